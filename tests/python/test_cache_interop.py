"""One token cache file, many writers at once: msal-extensions' PersistedTokenCache + FilePersistence (as the
Azure CLI and many Python tools use it; with portalocker and with its lock-file-only fallback), libkusto from C
(tests/c/cache_writer.c, in a tight loop) and libkusto through the Python binding (real sign-ins against the
emulator). Nothing may be lost, no file wiped, no writer held past msal-extensions' 5 s lock timeout."""
import hashlib
import json
import os
import subprocess
import sys
import threading
import time

import pytest

pytest.importorskip("msal_extensions")
pytest.importorskip("portalocker")

pytestmark = pytest.mark.usefixtures("clean_emulator")

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROUNDS = 20
MSAL_EXTENSIONS_TIMEOUT = 5.0

# Adds ROUNDS application tokens through MSAL's own TokenCache.add (each add is two modify() calls, each
# under msal-extensions' lock, reloading when the file's mtime says so); reports the warnings
# msal-extensions logged (it logs one when it gave up waiting for the lock) and its longest add.
MSAL_EXTENSIONS_WRITER = r"""
import json, logging, sys, time
import msal_extensions
from msal_extensions import token_cache
path, tag, count, lock_kind = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
if lock_kind == "lockfile-only":  # what msal-extensions 1.3 does when portalocker is not installed
    from msal_extensions import filelock
    token_cache.CrossPlatLock = filelock.CrossPlatLock
warnings = []
class Keep(logging.Handler):
    def emit(self, record):
        warnings.append(record.getMessage())
logging.getLogger("msal_extensions").addHandler(Keep(logging.WARNING))
cache = token_cache.PersistedTokenCache(msal_extensions.FilePersistence(path))
longest = 0.0
for i in range(count):
    start = time.monotonic()
    cache.add({"client_id": "msalx-%s-%d" % (tag, i), "scope": ["https://c.example/.default"],
               "token_endpoint": "https://login.microsoftonline.com/contoso/oauth2/v2.0/token",
               "response": {"access_token": "at", "token_type": "Bearer", "expires_in": 3600}})
    longest = max(longest, time.monotonic() - start)
    time.sleep(0.02)
print(json.dumps({"warnings": warnings, "longest": longest}))
"""

# Signs in ROUNDS times through the Python binding (the emulator's tokens live less than the 5 minute
# margin, so each is a new token, stored); prints the SHA-256 of the last one (never a token).
BINDING_WRITER = r"""
import hashlib, json, sys, kusto
cs, ca_file, authority, path, count = sys.argv[1:6]
options = dict(ca_file=ca_file, authority=authority)
options.update({"azure_cli_cache": True} if path == "azure_cli" else {"cache_path": path})
last = None
for _ in range(int(count)):
    last = kusto.acquire_token(cs, **options)["access_token"]
print(json.dumps({"last": hashlib.sha256(last.encode()).hexdigest()}))
"""


@pytest.fixture(scope="module")
def c_writer():
    if subprocess.run(["make", "-s", "build/tests/cache_writer"], cwd=REPO).returncode != 0:
        pytest.fail("cannot build tests/c/cache_writer.c")
    return os.path.join(REPO, "build", "tests", "cache_writer")


def read_cache(path):
    """The file's JSON, or None while another writer has it half-written (msal-extensions writes in place)."""
    try:
        with open(path) as f:
            return json.loads(f.read())
    except (OSError, ValueError):
        return None


class Watch(threading.Thread):
    """Reads the file every 10 ms: the number of access tokens only grows (nobody removes any), so a smaller
    count is a writer that wrote back an old copy, and an empty one a wiped file."""

    def __init__(self, path):
        super().__init__(daemon=True)
        self.path, self.most, self.drops, self.stop = path, 0, [], threading.Event()

    def run(self):
        while not self.stop.wait(0.01):
            data = read_cache(self.path)
            if data is not None:
                count = len(data.get("AccessToken", {}))
                if count < self.most:
                    self.drops.append((self.most, count))
                self.most = max(self.most, count)


def start(args, env=None):
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def finish(process):
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    return out, err


def msal_extensions_writer(path, tag, lock_kind, env=None):
    return start([sys.executable, "-c", MSAL_EXTENSIONS_WRITER, path, tag, str(ROUNDS), lock_kind], env)


def binding_writer(config, authority, path, env=None):
    return start([sys.executable, "-c", BINDING_WRITER, config["connection_string"], config["ca_file"], authority,
                  path, str(ROUNDS)], env)


def check_msal_extensions_writer(process):
    out, _ = finish(process)
    report = json.loads(out)
    assert report["warnings"] == [], "msal-extensions gave up waiting for the lock"
    assert report["longest"] < MSAL_EXTENSIONS_TIMEOUT


def c_writers(c_writer, path, tags, stop, env=None):
    """libkusto from C in a tight loop, ROUNDS stores at least and on until `stop` exists."""
    return [start([c_writer, path, tag, str(ROUNDS), stop], env) for tag in tags]


def check_c_writer(process):
    """How many it stored."""
    out, err = finish(process)
    count, longest = map(int, out.split())
    assert longest < MSAL_EXTENSIONS_TIMEOUT * 1000
    assert "stale" not in err  # every lock it met had a live holder
    return count


def lost(data, prefix, count):
    """Client ids prefix0..prefix{count-1} that have no access token in the file."""
    have = {entry.get("client_id") for entry in data.get("AccessToken", {}).values()}
    return sorted(set("%s%d" % (prefix, i) for i in range(count)) - have)


def binding_tokens(data, config):
    """realm -> SHA-256 of the binding's access token stored for that realm."""
    return {e["realm"]: hashlib.sha256(e["secret"].encode()).hexdigest()
            for e in data.get("AccessToken", {}).values() if e.get("client_id") == config["client_id"]}


def test_msal_extensions_and_libkusto_writers_at_once_lose_nothing(emulator, c_writer, tmp_path):
    config = emulator.config
    emulator.settings(token_lifetime=120)
    path, stop = str(tmp_path / "msal_token_cache.json"), str(tmp_path.parent / (tmp_path.name + ".stop"))
    watch = Watch(path)
    watch.start()
    writers = [msal_extensions_writer(path, "portalocker", "portalocker"),
               msal_extensions_writer(path, "lockfile", "lockfile-only")]
    cs = c_writers(c_writer, path, ("a", "b"), stop)
    by_domain = "%s/%s" % (config["login_endpoint"], config["tenant_domain"])
    bindings = {config["tenant"]: binding_writer(config, config["authority"], path),
                config["tenant_domain"]: binding_writer(config, by_domain, path)}
    try:
        for process in writers:
            check_msal_extensions_writer(process)
    finally:
        open(stop, "w").close()
    c_writes = [check_c_writer(process) for process in cs]
    last = {realm: json.loads(finish(process)[0])["last"] for realm, process in bindings.items()}
    watch.stop.set()
    watch.join()

    data = read_cache(path)
    assert lost(data, "msalx-portalocker-", ROUNDS) == []
    assert lost(data, "msalx-lockfile-", ROUNDS) == []
    assert lost(data, "kusto-a-", c_writes[0]) == [] and lost(data, "kusto-b-", c_writes[1]) == []
    assert binding_tokens(data, config) == last  # each binding writer's newest token, not an older one
    assert watch.drops == []
    assert len(data["AppMetadata"]) == 2 * ROUNDS + sum(c_writes) + 1
    leftovers = sorted(set(os.listdir(tmp_path)) - {"msal_token_cache.json"})
    assert leftovers == []  # no lock file, no temp file


def test_azure_cli_layout_shared_while_msal_extensions_writes(emulator, c_writer, tmp_path, monkeypatch):
    """~/.azure/msal_token_cache.json as the Azure CLI keeps it (msal-extensions' FilePersistence with
    portalocker): a token MSAL put there serves libkusto silently, and libkusto's writes and the CLI's
    meet without loss."""
    msal = pytest.importorskip("msal")
    import msal_extensions
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)  # requests prefers it to verify=
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    config = emulator.config
    home = tmp_path / "home"
    path = str(home / ".azure" / "msal_token_cache.json")
    env = {k: v for k, v in os.environ.items() if k not in ("AZURE_CONFIG_DIR", "XDG_CACHE_HOME")}
    env["HOME"] = str(home)

    cache = msal_extensions.PersistedTokenCache(msal_extensions.FilePersistence(path))
    app = msal.ConfidentialClientApplication(
        config["client_id"], client_credential=config["client_secret"], authority=config["authority"],
        verify=config["ca_file"], instance_discovery=False, token_cache=cache)
    result = app.acquire_token_for_client([config["resource"] + "/.default"])
    assert result["token_source"] == "identity_provider"
    emulator.reset()

    script = ("import json, kusto, sys; t = kusto.acquire_token(sys.argv[1], ca_file=sys.argv[2], "
              "authority=sys.argv[3], azure_cli_cache=True); print(json.dumps(t['from_cache']))")
    run = subprocess.run([sys.executable, "-c", script, config["connection_string"], config["ca_file"],
                          config["authority"]], env=env, capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "true"
    assert [r for r in emulator.requests() if r["path"].endswith("/token")] == []

    emulator.settings(token_lifetime=120)
    watch = Watch(path)
    watch.start()
    stop = str(tmp_path / "stop")
    writer = msal_extensions_writer(path, "cli", "portalocker", env)
    [c] = c_writers(c_writer, path, ("cli",), stop, env)
    by_domain = "%s/%s" % (config["login_endpoint"], config["tenant_domain"])
    binding = binding_writer(config, by_domain, "azure_cli", env)
    try:
        check_msal_extensions_writer(writer)
    finally:
        open(stop, "w").close()
    c_writes = check_c_writer(c)
    last = json.loads(finish(binding)[0])["last"]
    watch.stop.set()
    watch.join()

    data = read_cache(path)
    assert lost(data, "msalx-cli-", ROUNDS) == [] and lost(data, "kusto-cli-", c_writes) == []
    assert binding_tokens(data, config)[config["tenant_domain"]] == last
    assert binding_tokens(data, config)[config["tenant"]] == hashlib.sha256(
        result["access_token"].encode()).hexdigest()  # MSAL's own token, untouched
    assert watch.drops == []
    assert sorted(os.listdir(home / ".azure")) == ["msal_token_cache.json"]
