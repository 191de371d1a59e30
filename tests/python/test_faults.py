"""The fault matrix: what a call does when a step stalls or is slow (one deadline for the whole call), when
the input is bad (a kusto error, no secret in it), and when the error should say what to do."""
import base64
import json
import os
import subprocess
import threading
import time

import pytest
import requests

import kusto
import conftest

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


# ---- the emulator's stall -------------------------------------------------------------------------

def test_a_stall_answers_nothing_until_the_faults_are_cleared(emulator):
    config = emulator.config
    emulator.fault(path=METADATA, stall=True)
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.get(config["cluster"] + METADATA, verify=config["ca_file"], timeout=1)
    emulator.clear_faults()
    assert requests.get(config["cluster"] + METADATA, verify=config["ca_file"], timeout=10).status_code == 200


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


# ---- errors say what to do -----------------------------------------------------------------------

def test_a_private_ca_failure_suggests_the_ca_file_option(emulator, cli):
    config = emulator.config
    with pytest.raises(kusto.NetworkError, match="TLS verification") as info:
        kusto.acquire_token(config["connection_string"], authority=config["authority"])   # the system's CAs
    assert "give that CA's PEM bundle with the ca_file option" in str(info.value)
    env = dict(os.environ, KUSTO_CONNECTION_STRING=config["connection_string"])
    out = subprocess.run([cli, "print 1"], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 4 and "--ca-file FILE" in out.stderr, out.stderr


def test_an_unreadable_ca_file_is_an_argument_error(emulator, cli, tmp_path):
    config = emulator.config
    missing = str(tmp_path / "missing.pem")
    with pytest.raises(kusto.ArgumentError, match="cannot read CA file '%s'" % missing):
        kusto.Client(config["connection_string"], ca_file=missing)
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate\n")
    with pytest.raises(kusto.ArgumentError, match="cannot read CA file '%s'.*not a PEM bundle" % garbage):
        kusto.acquire_token(config["connection_string"], ca_file=str(garbage), authority=config["authority"])
    out = subprocess.run([cli, "--ca-file", missing, "-c", config["connection_string"], "print 1"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 1 and "cannot read CA file" in out.stderr, out.stderr


@pytest.mark.parametrize("path", [QUERY, "token"])
def test_a_redirect_is_refused_alike_by_the_cluster_and_azure_ad(emulator, path):
    config = emulator.config
    target = "https://elsewhere.example/steal"
    path = token_path(config) if path == "token" else path
    emulator.fault(path=path, status=302, headers={"Location": target}, count=None)
    with pytest.raises(kusto.ServiceError) as info:
        kusto.query(config["connection_string"], None, "print 1", **options(config))
    assert str(info.value) == ("https://127.0.0.1:%s%s answered HTTP 302 with a redirect to '%s', which is not followed "
                               "(a token must not go to another host)" % (config["cluster"].rsplit(":", 1)[1], path,
                                                                           target))
    assert info.value.http_status == 302
    assert len(emulator.requests(path)) == 1    # a redirect is not retried either


def claims_of(jwt):
    payload = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


@pytest.mark.parametrize("keyword", ["User Token", "Application Token"])
def test_a_token_brought_along_keeps_its_own_expiry(emulator, keyword):
    config = emulator.config
    token = kusto.acquire_token(config["connection_string"], **options(config))["access_token"]
    cs = "Data Source=%s;AAD Federated Security=True;%s=" % (config["cluster"], keyword)
    assert kusto.acquire_token(cs + token)["expires_on"] == claims_of(token)["exp"]
    assert kusto.acquire_token(cs + "not-a-jwt")["expires_on"] == 2 ** 63 - 1    # the caller's business


def test_a_certificate_thumbprint_is_not_masked():
    parsed = kusto.parse_connection_string("Data Source=https://c.kusto.windows.net;Application Key=s3cr3t;"
                                           "Application Certificate Thumbprint=0A1B2C3D")
    assert parsed["Application Certificate Thumbprint"] == "0A1B2C3D" and parsed["Application Key"] == "****"


@pytest.fixture(scope="module")
def cli():
    subprocess.run(["make", "-s", "-C", REPO, "build/kusto"], check=True)
    return conftest.CLI


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
