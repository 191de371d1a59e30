"""The fault matrix: what a call does when a step stalls or is slow (one deadline for the whole call), when
the input is bad (a kusto error, no secret in it), and when the error should say what to do."""
import os
import subprocess
import threading
import time

import pytest

import kusto

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
QUERY = "/v2/rest/query"
METADATA = "/v1/rest/auth/metadata"

pytestmark = pytest.mark.usefixtures("clean_emulator")


def options(config, **extra):
    return dict(ca_file=config["ca_file"], authority=config["authority"], **extra)


def discovery(config):
    return "/%s/v2.0/.well-known/openid-configuration" % config["tenant"]


def token_path(config):
    return "/%s/oauth2/v2.0/token" % config["tenant"]


def timed(call):
    started = time.monotonic()
    with pytest.raises(kusto.Error) as info:
        call()
    return time.monotonic() - started, info.value


# ---- one deadline per call -----------------------------------------------------------------------

@pytest.mark.parametrize("step", [METADATA, "discovery"])
def test_a_stalled_first_step_ends_at_the_deadline(emulator, step):
    config = emulator.config
    emulator.fault(path=discovery(config) if step == "discovery" else step, stall=True)
    client = kusto.Client(config["connection_string"], timeout=2, **options(config))
    elapsed, error = timed(lambda: client.query(None, "print 1"))
    assert isinstance(error, kusto.TimeoutError), error
    assert 2 <= elapsed < 2.5    # the step's own bound (10 s) no longer applies past the call's


def test_three_slow_steps_share_one_deadline(emulator):
    config = emulator.config
    for path in (METADATA, token_path(config), QUERY):
        emulator.fault(path=path, delay=1.5)
    client = kusto.Client(config["connection_string"], timeout=2.5, **options(config))
    elapsed, error = timed(lambda: client.query(None, "print 1"))
    assert isinstance(error, kusto.TimeoutError), error
    assert 2.5 <= elapsed < 3.0
    assert emulator.requests(QUERY) == []    # the query's turn came after the deadline: never sent


def test_retry_pauses_share_the_deadline(emulator):
    config = emulator.config
    emulator.fault(path=token_path(config), status=503, headers={"Retry-After": "1"}, count=10)
    client = kusto.Client(config["connection_string"], timeout=1.5, max_retries=10, **options(config))
    elapsed, error = timed(client.acquire_token)
    assert isinstance(error, kusto.ServiceError) and error.http_status == 503
    assert elapsed < 1.5
    assert len(emulator.requests(token_path(config))) == 2   # at 0 s and 1 s; 2 s would be past the deadline


def test_without_a_timeout_a_stalled_step_has_its_own_bound(emulator):
    """No `timeout`: the steps keep their own bounds, so a call that does not stall just works."""
    config = emulator.config
    emulator.fault(path=METADATA, delay=0.5)
    client = kusto.Client(config["connection_string"], **options(config))
    assert client.query(None, "print x=1")["primary_results"][0]["rows"] == [[1]]


def test_the_device_code_polls_a_last_time_at_the_deadline(emulator):
    """Polls at 2 s and 4 s; the next would be at 6 s, past the 5.4 s deadline, so the last is sent at 4.9 s
    (the deadline less the time for its answer): the person who approved at 4.5 s is signed in."""
    config = emulator.config
    emulator.settings(device_code_interval=2)
    bob = config["users"][1]

    def prompt(info):
        threading.Timer(4.5, emulator._call, ("POST", "/device/approve",
                                              {"user_code": info["user_code"], "user": bob["username"]})).start()

    cs = "Data Source=%s;AAD Federated Security=True;Authority Id=%s" % (config["cluster"], config["authority"])
    started = time.monotonic()
    token = kusto.acquire_token(cs, ca_file=config["ca_file"], sign_in="device_code", device_code_callback=prompt,
                                timeout=5.4)
    assert token["access_token"] and 4.5 < time.monotonic() - started < 5.4
    assert len(emulator.requests(token_path(config))) == 3


# ---- bad input is a kusto error, and shows no secret -----------------------------------------------

SECRET = "canary-SECRET-9d2e71"
CLUSTER = "https://bad-input.kusto.windows.net"
APP = "Data Source=%s;AAD Federated Security=True;Application Client Id=app;Application Key=" % CLUSTER


def everything_shown(e, depth=0):
    """str, repr, args and every attribute of an exception, and the same of its cause and context."""
    parts = [str(e), repr(e), repr(e.args)]
    for name in dir(e):
        value = getattr(e, name, None)
        if isinstance(value, BaseException):
            if depth < 3:
                parts.append(everything_shown(value, depth + 1))
        elif not callable(value):
            parts.append("%s=%r" % (name, value))
    return "\n".join(parts)


BAD_INPUT = [
    ("lone surrogate in the connection string", kusto.ConnectionStringError,
     lambda: kusto.Client(APP + SECRET + "\udcff")),
    ("NUL in the connection string", kusto.ConnectionStringError, lambda: kusto.Client(APP + SECRET + "\0x")),
    ("NUL before the secret", kusto.ConnectionStringError, lambda: kusto.query(APP + "\0" + SECRET, None, "print 1")),
    ("parsing a lone surrogate", kusto.ConnectionStringError,
     lambda: kusto.parse_connection_string(APP + "\ud800" + SECRET)),
    ("parsing a NUL", kusto.ConnectionStringError, lambda: kusto.parse_connection_string(APP + SECRET + "\0")),
    ("lone surrogate in an option", kusto.ArgumentError,
     lambda: kusto.Client("Data Source=" + CLUSTER, client_secret=SECRET + "\udfff")),
    ("NUL in an option", kusto.ArgumentError, lambda: kusto.acquire_token("Data Source=" + CLUSTER,
                                                                          client_secret=SECRET + "\0")),
    ("lone surrogate in a request property", kusto.ArgumentError,
     lambda: kusto.Client("Data Source=" + CLUSTER).query(None, "print 1", {"x": SECRET + "\udcff"})),
    ("NUL in a query parameter", kusto.ArgumentError,
     lambda: kusto.Client("Data Source=" + CLUSTER).query(None, "print 1", {"Parameters": {"p": SECRET + "\0"}})),
]


@pytest.mark.parametrize("why, error_type, call", BAD_INPUT, ids=[case[0] for case in BAD_INPUT])
def test_bad_input_is_a_kusto_error_without_the_secret(why, error_type, call):
    with pytest.raises(kusto.Error) as info:
        call()
    assert type(info.value) is error_type and isinstance(info.value, ValueError)
    assert info.value.status == ("KUSTO_E_CONNSTR" if error_type is kusto.ConnectionStringError
                                 else "KUSTO_E_ARGUMENT")
    assert info.value.__cause__ is None and info.value.__context__ is None
    shown = everything_shown(info.value)
    assert SECRET not in shown and "canary" not in shown, shown


def test_the_cli_shows_no_secret_of_a_bad_connection_string(cli, emulator):
    out = subprocess.run([cli, "-c", APP + SECRET + ";Flux Capacitor=\xff", "print 1"], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 2, out.stderr       # the connection-string class
    assert "Flux Capacitor" in out.stderr and SECRET not in out.stderr + out.stdout


@pytest.fixture(scope="module")
def cli():
    subprocess.run(["make", "-s", "-C", REPO, "build/kusto"], check=True)
    return os.path.join(REPO, "build", "kusto")


def run_cli(cli, emulator, *args):
    env = dict(os.environ, KUSTO_CONNECTION_STRING=emulator.config["connection_string"])
    return subprocess.run([cli, "--ca-file", emulator.config["ca_file"]] + list(args), capture_output=True,
                          text=True, env=env, timeout=60)


def test_the_cli_timeout_is_the_whole_call(cli, emulator):
    emulator.fault(path=METADATA, stall=True)
    started = time.monotonic()
    out = run_cli(cli, emulator, "-o", "timeout=2", "print 1")
    assert out.returncode == 5, out.stderr     # the timeout class
    assert 2 <= time.monotonic() - started < 2.5
