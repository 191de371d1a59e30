"""The "kusto" logger, fed by the core's log callback: sign-ins chosen, the default chain's steps, token cache hits
and misses, retries and their waits, throttling, redirects refused; never a secret or token."""
import logging
import subprocess

import pytest

import kusto
from test_cli import BINARY, REPO, run
from test_secrets import SECRET, TOKEN, failures

pytestmark = pytest.mark.usefixtures("clean_emulator")


@pytest.fixture
def logged(caplog):
    caplog.set_level(logging.DEBUG, logger="kusto")

    def messages(level=logging.DEBUG):
        return [r.getMessage() for r in caplog.records if r.name == "kusto" and r.levelno >= level]
    return messages


def app_client(config, **options):
    return kusto.Client(config["connection_string"], ca_file=config["ca_file"], authority=config["authority"],
                        **options)


def test_the_sign_in_chosen_and_the_cache_misses_then_hits(emulator, logged):
    config = emulator.config
    target = "api://%s/.default" % config["cert_client_id"]
    with app_client(config) as client:
        client.acquire_token(target)
        client.acquire_token(target)
    assert "sign-in for %s: application_secret" % config["cluster"] in logged(logging.INFO)
    debug = logged()
    assert debug.index("token cache miss for %s (application_secret)" % target) < \
        debug.index("token cache hit for %s (application_secret)" % target)


def test_retries_their_waits_and_throttling(emulator, logged):
    config = emulator.config
    emulator.fault(path="/v2/rest/query", status=429, headers={"Retry-After": "1"}, count=1)
    emulator.fault(path="/v2/rest/query", status=503, count=1)
    with app_client(config) as client:
        client.query(None, "print 1")
    info = [m for m in logged(logging.INFO) if "/v2/rest/query" in m]
    assert info == ["POST %s/v2/rest/query: throttled (HTTP 429); retry 1 in 1000 ms (Retry-After)" % config["cluster"],
                    "POST %s/v2/rest/query: HTTP 503; retry 2 in %s ms" % (config["cluster"], info[1].split()[-2])]
    assert 0 < int(info[1].split()[-2]) <= 60000


def test_a_retry_past_the_deadline_is_said(emulator, logged):
    config = emulator.config
    emulator.fault(path="/v2/rest/query", status=503, headers={"Retry-After": "30"}, count=1)
    with app_client(config, timeout=5) as client:
        with pytest.raises(kusto.ServiceError):
            client.query(None, "print 1")
    assert any("no retry: the next, in 30000 ms (Retry-After), would be past the deadline" in m
               for m in logged(logging.INFO))


def test_a_redirect_refused(emulator, logged):
    config = emulator.config
    emulator.fault(path="/v2/rest/query", status=302, headers={"Location": "https://evil.example/?code=x"}, count=1)
    with app_client(config) as client:
        with pytest.raises(kusto.Error):
            client.query(None, "print 1")
    assert "HTTP 302 redirect from %s/v2/rest/query refused" % config["cluster"] in logged(logging.INFO)
    assert not any("evil.example" in m for m in logged())


def test_the_default_chains_steps(emulator, logged, monkeypatch, tmp_path):
    for name in ("AZURE_CLIENT_ID", "AZURE_FEDERATED_TOKEN_FILE", "DISPLAY", "WAYLAND_DISPLAY", "BROWSER"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("IMDS_ENDPOINT", emulator.config["imds_endpoint"])
    config = emulator.config
    bare = "Data Source=%s;AAD Federated Security=True" % config["cluster"]
    with kusto.Client(bare, ca_file=config["ca_file"], authority=config["authority"], sign_in="default") as client:
        client.acquire_token()
    messages = logged()
    assert 'sign_in "default": environment skipped: not configured' in " ".join(messages)
    assert 'sign_in "default": signed in with managed_identity' in messages


def test_no_message_holds_a_secret_or_token(emulator, logged):
    for fail in failures(emulator):
        with pytest.raises(kusto.Error):
            fail()
    text = "\n".join(logged())
    assert text and SECRET not in text and TOKEN not in text, text
    assert "refused" in text and "retry" not in text  # max_retries=0 there: no retry said


def test_a_failing_handler_does_not_break_the_call_and_is_reported_as_unraisable(emulator, monkeypatch):
    import sys
    reported = []
    monkeypatch.setattr(sys, "unraisablehook", reported.append)

    class Broken(logging.Handler):
        def emit(self, record):
            raise RuntimeError("handler down")
    logger = logging.getLogger("kusto")
    handler = Broken()
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        with app_client(emulator.config) as client:
            assert client.query(None, "print 7")["primary_results"][0]["rows"] == [[7]]
    finally:
        logger.removeHandler(handler)
        logger.setLevel(logging.NOTSET)
    assert reported and all(str(r.exc_value) == "handler down" for r in reported)


def test_the_cli_says_what_the_library_does_with_v_and_vv(emulator, monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))   # the CLI's token cache file: a fresh one
    subprocess.run(["make", "-s", "-C", REPO, "build/kusto"], check=True)
    config = emulator.config
    authority = ["-o", "authority=" + config["authority"]]
    quiet = run(BINARY, emulator, *authority, "print 1")
    assert quiet.returncode == 0 and quiet.stderr == ""
    emulator.fault(path="/v2/rest/query", status=503, headers={"Retry-After": "0"}, count=1)
    told = run(BINARY, emulator, "-v", *authority, "print 1")
    assert told.returncode == 0, told.stderr
    assert told.stderr.splitlines() == [
        "kusto: sign-in for %s: application_secret" % config["cluster"],
        "kusto: POST %s/v2/rest/query: HTTP 503; retry 1 in 0 ms (Retry-After)" % config["cluster"]]
    detailed = run(BINARY, emulator, "-vv", "--no-cache", *authority, "print 1")   # memory: a miss
    assert "kusto: token cache miss for %s/.default (application_secret)" % config["resource"] in detailed.stderr
    assert config["client_secret"] not in told.stderr + detailed.stderr
