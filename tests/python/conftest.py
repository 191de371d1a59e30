"""The `emulator` fixture: one local Azure AD + Kusto emulator per test session.

    def test_x(emulator):
        emulator.config["cluster"], emulator.config["connection_string"], ...
        emulator.reset()                               # tests reset when they need a clean log; nothing does it for them
        emulator.fault(path="/v2/rest/query", status=503, headers={"Retry-After": "1"}, count=1)
        emulator.settings(token_lifetime=2)
        emulator.requests("/v2/rest/query")            # what the emulator received, secrets redacted
"""
import json
import os
import select
import subprocess
import sys
import tempfile
import time

import pytest
import requests

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# The kusto command; the sanitized pass of dev.sh names a wrapper that runs it without the sanitizer runtime
# preloaded (the CLI is not built with it, and preloaded into it the runtime deadlocks p11-kit's exit handler).
CLI = os.environ.get("KUSTO_TEST_CLI") or os.path.join(REPO, "build", "kusto")
# Tests never touch the person's own token cache (the CLI keeps one by default); a test that needs a cache of
# its own sets XDG_CACHE_HOME again.
os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="kusto-test-cache-")
# The emulator from the source tree (the package kusto_emulator, which never imports kusto): it starts whether or
# not (and wherever) the extension was built, and an edit to it needs no reinstall.
EMULATOR_DIR = os.path.join(REPO, "emulator")
START_TIMEOUT = 20


class Emulator:
    def __init__(self, process, config, request_log_path):
        self.process = process
        self.config = config
        self.request_log_path = request_log_path
        self._http = requests.Session()
        self._http.trust_env = False        # no proxies, no REQUESTS_CA_BUNDLE: talk to the emulator directly
        self._http.verify = config["ca_file"]

    def _call(self, method, path, payload=None):
        response = self._http.request(method, self.config["control"] + path, json=payload, timeout=10)
        response.raise_for_status()
        return response.json()

    def requests(self, path_prefix=None):
        records = self._call("GET", "/requests")
        return [r for r in records if path_prefix is None or r["path"].startswith(path_prefix)]

    def reset(self):
        self._call("POST", "/reset")

    def fault(self, **spec):
        return self._call("POST", "/faults", spec)

    def clear_faults(self):
        self._call("DELETE", "/faults")

    def settings(self, **changes):
        return self._call("POST", "/settings", changes)


def _read_config_line(process, stderr_file):
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stdout], [], [], 0.2)
        if ready:
            line = process.stdout.readline()
            if line:
                return json.loads(line)
        if process.poll() is not None:
            break
    process.kill()
    stderr_file.seek(0)
    pytest.fail("the emulator did not print its configuration (exit status %s):\n%s"
                % (process.poll(), stderr_file.read().decode(errors="replace")))


@pytest.fixture(scope="session")
def emulator():
    workdir = tempfile.mkdtemp(prefix="kusto-emulator-test-")
    request_log_path = os.path.join(workdir, "requests.jsonl")
    env = dict(os.environ, PYTHONPATH=EMULATOR_DIR, PYTHONUNBUFFERED="1")
    with tempfile.TemporaryFile() as stderr_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "kusto_emulator", "--print-config", "--request-log", request_log_path],
            stdout=subprocess.PIPE, stderr=stderr_file, stdin=subprocess.DEVNULL, env=env, cwd=workdir)
        try:
            yield Emulator(process, _read_config_line(process, stderr_file), request_log_path)
        finally:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            process.stdout.close()
            if os.path.exists(request_log_path):
                os.remove(request_log_path)
            os.rmdir(workdir)


@pytest.fixture
def clean_emulator(emulator):
    """An empty request log, no fault armed and default settings before and after the test. Modules that want
    it say `pytestmark = pytest.mark.usefixtures("clean_emulator")`."""
    emulator.reset()
    yield
    emulator.reset()


@pytest.fixture(autouse=True)
def no_fault_outlives_its_test(request):
    """Disarms every fault after each test that used the emulator, whatever its outcome: a fault whose request
    never came (the test failed first, or a count larger than the requests made) would otherwise answer, or
    delay, a later test's request. Modules without clean_emulator keep their log and settings."""
    yield
    if "emulator" in request.fixturenames:
        request.getfixturevalue("emulator").clear_faults()


@pytest.fixture(autouse=True)
def fresh_process_state():
    """Each test starts as a new process would: no shared one-shot client, no kept metadata or OpenID
    configuration (the emulator's settings and faults change them between tests)."""
    import kusto
    kusto.clear_process_state()
    yield
    kusto.clear_process_state()


@pytest.fixture
def client(emulator):
    """A client of the emulator's application (secret), closed after the test."""
    import kusto
    config = emulator.config
    with kusto.Client(config["connection_string"], ca_file=config["ca_file"], authority=config["authority"]) as c:
        yield c
