"""The request and response values passed between the HTTP server and the services."""
import json
import urllib.parse


class Request:
    def __init__(self, method, target, headers, body, client_address):
        parsed = urllib.parse.urlsplit(target)
        self.method = method
        self.path = parsed.path
        self.query = {k: v[-1] for k, v in urllib.parse.parse_qs(parsed.query).items()}
        self.headers = headers          # http.client.HTTPMessage: case-insensitive get()
        self.body = body
        self.client_address = client_address
        self.record = {}                # what the services add to this request's log entry

    def header(self, name, default=None):
        return self.headers.get(name, default)

    def json(self):
        """The body as JSON, or raises ValueError."""
        return json.loads(self.body.decode("utf-8-sig") or "null")

    def form(self):
        text = self.body.decode("utf-8", errors="replace")
        return {k: v[-1] for k, v in urllib.parse.parse_qs(text, keep_blank_values=True).items()}


class Response:
    """body is bytes, or an iterable of bytes sent with chunked transfer encoding."""

    def __init__(self, status, body=b"", headers=None, content_type=None):
        self.status = status
        self.body = body
        self.headers = dict(headers or {})
        if content_type:
            self.headers["Content-Type"] = content_type

    @property
    def streamed(self):
        return not isinstance(self.body, (bytes, bytearray))


def json_response(status, value, headers=None):
    body = json.dumps(value, separators=(",", ":")).encode("utf-8")
    return Response(status, body, headers, "application/json; charset=utf-8")


def text_response(status, text, headers=None):
    return Response(status, text.encode("utf-8"), headers, "text/plain; charset=utf-8")
