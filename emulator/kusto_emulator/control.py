"""The test-control side: request log, fault injection and settings, under /_emulator (no auth, loopback only).

  POST   /_emulator/faults    {"path", "status", "body" (or "body_base64": exact bytes), "headers", "delay", "stall",
                               "truncate_after", "count"}
                              ("stall": true accepts the request and answers nothing until the faults are cleared)
  GET    /_emulator/faults    the faults still armed
  DELETE /_emulator/faults    disarm all
  GET    /_emulator/requests  every request received so far (?path=PREFIX filters), secrets redacted; "closed":
                              true on one whose client went away before the whole answer was written
  POST   /_emulator/reset     clear the log and the faults, restore default settings
  GET|POST /_emulator/settings {"token_lifetime": seconds, "rows_per_fragment": n, "device_code_interval": s,
                               "device_code_lifetime": s, "metadata_status": 200 or 404,
                               "metadata_mfa_required": bool,
                               "metadata_resource": KustoServiceResourceId (null: https://<cluster host>)}
  and the routes services add (Azure AD: /device/approve, /device/decline, /device/slow_down, /device,
  /interactive)
"""
import contextlib
import ipaddress
import json
import threading

from .web import json_response

PREFIX = "/_emulator"

DEFAULT_SETTINGS = {"token_lifetime": 3599, "rows_per_fragment": 1000,
                    "device_code_interval": 5, "device_code_lifetime": 900,
                    "metadata_status": 200, "metadata_mfa_required": False, "metadata_resource": None}


class Fault:
    def __init__(self, spec):
        if not isinstance(spec, dict):
            raise ValueError("a fault is a JSON object")
        self.spec = spec
        self.path = str(spec.get("path", "/"))
        self.status = spec.get("status")
        self.body = spec.get("body", "")
        self.body_base64 = spec.get("body_base64")
        self.headers = {str(k): str(v) for k, v in (spec.get("headers") or {}).items()}
        self.delay = float(spec.get("delay") or 0)
        self.stall = bool(spec.get("stall"))
        self.truncate_after = spec.get("truncate_after")
        self.remaining = spec.get("count", 1)   # null: every matching request
        if self.status is not None and not 100 <= int(self.status) <= 599:
            raise ValueError("status must be an HTTP status code")
        if self.truncate_after is not None and int(self.truncate_after) < 0:
            raise ValueError("truncate_after must be >= 0")

    def describe(self):
        return dict(self.spec, count=self.remaining)


class Faults:
    RELEASE_WAIT = 5    # seconds clear() waits for the requests it released to be answered and logged

    def __init__(self):
        self._lock = threading.Condition()
        self._faults = []
        self._held = 0          # requests a taken fault's delay holds, until answered and logged
        self._clears = 0        # bumped by clear(): held requests go on at once

    def add(self, fault):
        with self._lock:
            self._faults.append(fault)

    def clear(self):
        """Disarms every fault and releases the requests a delay still holds, returning once they are logged:
        a test's fault, even one already taken, does not answer or log anything during the next test."""
        with self._lock:
            self._faults.clear()
            self._clears += 1
            self._lock.notify_all()
            self._lock.wait_for(lambda: self._held == 0, self.RELEASE_WAIT)

    @contextlib.contextmanager
    def holding(self, fault):
        """Around the handling of a request that took `fault`: waits its delay, or until clear() for a stall (a
        delay is cut short by clear() too), and
        counts the request as held until the block (answer and log) is done."""
        if not fault or not (fault.delay or fault.stall):
            yield
            return
        with self._lock:
            self._held += 1
            clears = self._clears
            self._lock.wait_for(lambda: self._clears != clears, None if fault.stall else fault.delay)
        try:
            yield
        finally:
            with self._lock:
                self._held -= 1
                self._lock.notify_all()

    def describe(self):
        with self._lock:
            return [f.describe() for f in self._faults]

    def take(self, path):
        """The first armed fault whose path prefixes this one, using up one of its count."""
        with self._lock:
            for fault in self._faults:
                if path.startswith(fault.path):
                    if fault.remaining is not None:
                        fault.remaining -= 1
                        if fault.remaining <= 0:
                            self._faults.remove(fault)
                    return fault
        return None


class RequestLog:
    def __init__(self, path=None):
        self._lock = threading.Lock()
        self._records = []
        self._file = open(path, "a", encoding="utf-8") if path else None

    def append(self, record):
        """Stores the record and returns it (for mark_closed)."""
        with self._lock:
            self._records.append(record)
            self._write(record)
        return record

    def mark_closed(self, record):
        """The client went away before the whole answer: "closed": true (written to the file again)."""
        with self._lock:
            record["closed"] = True
            self._write(record)

    def _write(self, record):
        if self._file:
            self._file.write(json.dumps(record) + "\n")
            self._file.flush()

    def records(self, prefix=None):
        with self._lock:
            return [dict(r) for r in self._records if prefix is None or r["path"].startswith(prefix)]

    def clear(self):
        with self._lock:
            self._records.clear()

    def close(self):
        if self._file:
            self._file.close()


class Settings:
    def __init__(self):
        self._values = dict(DEFAULT_SETTINGS)

    def __getitem__(self, name):
        return self._values[name]

    def update(self, changes):
        for name, value in changes.items():
            if name not in DEFAULT_SETTINGS:
                raise ValueError("unknown setting %r" % name)
            default = DEFAULT_SETTINGS[name]
            if isinstance(default, bool):
                if not isinstance(value, bool):
                    raise ValueError("%s must be true or false" % name)
            elif default is None:
                if value is not None and not isinstance(value, str):
                    raise ValueError("%s must be a string or null" % name)
            elif isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise ValueError("%s must be a positive number" % name)
        self._values.update(changes)

    def reset(self):
        self._values = dict(DEFAULT_SETTINGS)

    def snapshot(self):
        return dict(self._values)


def _is_loopback(address):
    try:
        return ipaddress.ip_address(address.split("%")[0]).is_loopback
    except ValueError:
        return False


class Control:
    def __init__(self, log, faults, settings):
        self.log = log
        self.faults = faults
        self.settings = settings
        self.routes = {}            # (method, path under PREFIX) -> handler(request), added by services
        self.on_reset = []

    def handle(self, request):
        if not _is_loopback(request.client_address[0]):
            return json_response(403, {"error": "the control API answers loopback clients only"})
        route = (request.method, request.path[len(PREFIX):].rstrip("/"))
        try:
            if route == ("POST", "/faults"):
                self.faults.add(Fault(request.json()))
                return json_response(200, {"faults": self.faults.describe()})
            if route == ("GET", "/faults"):
                return json_response(200, {"faults": self.faults.describe()})
            if route == ("DELETE", "/faults"):
                self.faults.clear()
                return json_response(200, {"faults": []})
            if route == ("GET", "/requests"):
                return json_response(200, self.log.records(request.query.get("path")))
            if route == ("POST", "/reset"):
                self.log.clear()
                self.faults.clear()
                self.settings.reset()
                for hook in self.on_reset:
                    hook()
                return json_response(200, {"reset": True})
            if route in self.routes:
                return self.routes[route](request)
            if route[1] == "/settings" and request.method in ("GET", "POST"):
                if request.method == "POST":
                    changes = request.json()
                    if not isinstance(changes, dict):
                        raise ValueError("settings are a JSON object")
                    self.settings.update(changes)
                return json_response(200, self.settings.snapshot())
        except (ValueError, TypeError) as e:
            return json_response(400, {"error": str(e)})
        return json_response(404, {"error": "no such control endpoint: %s %s" % (request.method, request.path)})
