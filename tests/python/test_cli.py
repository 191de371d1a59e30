"""The `kusto` command-line tool (build/kusto), run against the emulator."""
import json
import os
import subprocess

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARY = os.path.join(REPO, "build", "kusto")


@pytest.fixture(scope="module")
def cli():
    subprocess.run(["make", "-s", "-C", REPO, "build/kusto"], check=True)
    return BINARY


pytestmark = pytest.mark.usefixtures("clean_emulator")


def run(cli, emulator, *args, stdin=None, env_cs=True, ca=True):
    env = dict(os.environ)
    env.pop("KUSTO_CONNECTION_STRING", None)
    if env_cs:
        env["KUSTO_CONNECTION_STRING"] = emulator.config["connection_string"]
    argv = [cli] + (["--ca-file", emulator.config["ca_file"]] if ca else []) + list(args)
    return subprocess.run(argv, capture_output=True, text=True, env=env, input=stdin, timeout=60)


def test_table_format_aligns_columns(cli, emulator):
    out = run(cli, emulator, 'range x from 9 to 11 step 1 | extend s = strcat("v", x)')
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["x   s", "--  ---", "9   v9", "10  v10", "11  v11"]
    assert out.stderr == ""


def test_table_format_streams_past_the_sample_with_its_widths(cli, emulator):
    out = run(cli, emulator, "range x from 1 to 1500 step 1")
    lines = out.stdout.splitlines()
    assert out.returncode == 0 and len(lines) == 1502
    assert lines[:3] == ["x", "---", "1"] and lines[-1] == "1500"


def test_csv_quotes_what_needs_it(cli, emulator):
    out = run(cli, emulator, "-f", "csv", 'print a=1, s="x,\\"y\\"", n=long(null)')
    assert out.returncode == 0, out.stderr
    assert out.stdout == 'a,s,n\n1,"x,""y""",\n'


def test_json_lines_keep_types(cli, emulator):
    out = run(cli, emulator, "--format", "json", 'print a=1, b=true, s="q", d=datetime(2024-01-02), '
                                                 'y=dynamic({"k":[1,2]}), n=long(null), r=real(0.1)')
    assert out.returncode == 0, out.stderr
    assert [json.loads(line) for line in out.stdout.splitlines()] == [
        {"a": 1, "b": True, "s": "q", "d": "2024-01-02T00:00:00.0000000Z", "y": {"k": [1, 2]}, "n": None, "r": 0.1}]


def test_mgmt_command(cli, emulator):
    out = run(cli, emulator, "--mgmt", "-f", "csv", ".show version")
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0].startswith("BuildVersion,")
    assert emulator.requests("/v1/rest/mgmt")


def test_query_from_stdin_and_connection_string_argument(cli, emulator):
    out = run(cli, emulator, "-c", emulator.config["connection_string"], "-f", "csv", "-", stdin="print q=7",
              env_cs=False)
    assert (out.returncode, out.stdout) == (0, "q\n7\n")


def test_request_options_reach_the_service_typed(cli, emulator):
    out = run(cli, emulator, "-p", "servertimeout=00:01:00", "-p", "notruncation=true", "-p",
              "truncationmaxrecords=5", "print 1")
    assert out.returncode == 0, out.stderr
    [request] = emulator.requests("/v2/rest/query")
    properties = request["body"]["properties"]
    options = (json.loads(properties) if isinstance(properties, str) else properties)["Options"]
    assert options["servertimeout"] == "00:01:00"
    assert options["notruncation"] is True and options["truncationmaxrecords"] == 5


def test_service_error_exits_with_its_class_and_says_why_on_stderr(cli, emulator):
    out = run(cli, emulator, "nosuchtable | take 1")
    assert out.returncode == 7
    assert out.stdout == ""
    assert "KUSTO_E_SERVICE" in out.stderr and "nosuchtable" in out.stderr and "request id" in out.stderr


def test_wrong_secret_exits_with_the_auth_class_and_never_prints_it(cli, emulator):
    out = run(cli, emulator, "-o", "client_secret=not-the-secret-42", "print 1")
    assert out.returncode == 6
    assert "KUSTO_E_AUTH" in out.stderr and "not-the-secret-42" not in out.stderr + out.stdout


def test_untrusted_ca_is_a_network_error(cli, emulator):
    out = run(cli, emulator, "print 1", ca=False)
    assert out.returncode == 4 and "KUSTO_E_NETWORK" in out.stderr


@pytest.mark.parametrize("args, message", [
    ((), "no query"),
    (("-f", "yaml", "print 1"), "unknown format"),
    (("-o", "timeout", "print 1"), "NAME=VALUE"),
    (("--bogus", "print 1"), "unknown option"),
    (("print 1", "print 2"), "more than one query"),
])
def test_usage_errors_exit_1(cli, emulator, args, message):
    out = run(cli, emulator, *args)
    assert out.returncode == 1 and message in out.stderr and "usage:" in out.stderr


def test_missing_connection_string(cli, emulator):
    out = run(cli, emulator, "print 1", env_cs=False)
    assert out.returncode == 1 and "no connection string" in out.stderr


def test_unknown_client_option_is_an_argument_error(cli, emulator):
    out = run(cli, emulator, "-o", "no_such_option=1", "print 1")
    assert out.returncode == 1 and "no_such_option" in out.stderr
