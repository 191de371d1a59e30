"""The `kusto` command-line tool (build/kusto), run against the emulator."""
import json
import os
import subprocess

import pytest
import conftest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARY = conftest.CLI


@pytest.fixture(scope="module")
def cli():
    subprocess.run(["make", "-s", "-C", REPO, "build/kusto"], check=True)
    return BINARY


pytestmark = pytest.mark.usefixtures("clean_emulator")


@pytest.fixture(autouse=True)
def token_cache_home(tmp_path, monkeypatch):
    """The CLI keeps tokens in the per-user cache file: each test has its own."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache"


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
    assert out.stdout.splitlines() == [" x  s", "--  ---", " 9  v9", "10  v10", "11  v11"]
    assert out.stderr == ""


def test_table_format_streams_past_the_sample_with_its_widths(cli, emulator):
    out = run(cli, emulator, "range x from 1 to 1500 step 1")
    lines = out.stdout.splitlines()
    assert out.returncode == 0 and len(lines) == 1502
    assert lines[:3] == ["  x", "---", "  1"] and lines[-1] == "1500"


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
    (("--format", "yaml", "print 1"), "unknown format"),
    (("--format=yaml", "print 1"), "unknown format"),
    (("-o",), "missing value after: -o"),
    (("-o", "timeout", "print 1"), "NAME=VALUE"),
    (("--bogus", "print 1"), "unknown option"),
    (("print 1", "print 2"), "more than one query"),
    (("-F", "arrow", "accounts"), "this format is for query results: accounts"),
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


# ---- arguments as people type them ------------------------------------------------------------------------------

def test_long_options_with_equals_bundled_short_options_and_double_dash(cli, emulator):
    out = run(cli, emulator, "--format=csv", "--", "print q=7")
    assert (out.returncode, out.stdout) == (0, "q\n7\n")
    out = run(cli, emulator, "-xFtable", "print a=1, bb=\"x\"")
    assert (out.returncode, out.stdout) == (0, "-[ RECORD 1 ]-\na  | 1\nbb | x\n")
    out = run(cli, emulator, "print q=8", "-F", "tsv")      # options after the query too
    assert (out.returncode, out.stdout) == (0, "q\n8\n")


def test_version_and_help(cli, emulator):
    out = run(cli, emulator, "--version")
    assert out.returncode == 0 and out.stdout == "kusto 0.1.0 (libkusto 0.1.0)\n"
    out = run(cli, emulator, "--help")
    assert out.returncode == 0 and out.stdout.startswith("usage: kusto")
    assert "--param NAME=VALUE" in out.stdout and "Examples:" in out.stdout and "kusto login" in out.stdout


def test_query_parameters_reach_the_service(cli, emulator):
    out = run(cli, emulator, "-F", "csv", "--param", "n=long(3)", "--param=s='a b'",
              "declare query_parameters(n:long, s:string); range x from 1 to n step 1 | extend s")
    assert (out.returncode, out.stdout) == (0, "x,s\n1,a b\n2,a b\n3,a b\n"), out.stderr
    [request] = emulator.requests("/v2/rest/query")
    properties = request["body"]["properties"]
    parameters = (json.loads(properties) if isinstance(properties, str) else properties)["Parameters"]
    assert parameters == {"n": "long(3)", "s": "'a b'"}


SCRIPT = """print a=1;
// a comment; not here;
print b=2

declare query_parameters(x:long = 3);
print c=x;
.show version
"""


def test_script_runs_each_query_in_order(cli, emulator, tmp_path):
    script = tmp_path / "report.kql"
    script.write_text(SCRIPT)
    out = run(cli, emulator, "-F", "csv", "-f", str(script))
    assert out.returncode == 0, out.stderr
    tables = out.stdout.split("\n\n")
    assert tables[:3] == ["a\n1", "b\n2", "c\n3"] and tables[3].startswith("BuildVersion,")
    queries = [r["body"]["csl"] for r in emulator.requests("/v2/rest/query")]
    assert queries == ["print a=1", "// a comment; not here;\nprint b=2",
                       "declare query_parameters(x:long = 3);\nprint c=x"]
    assert len(emulator.requests("/v1/rest/mgmt")) == 1


def test_script_from_stdin_stops_at_the_first_failure(cli, emulator):
    out = run(cli, emulator, "-F", "csv", "-f", "-", stdin="print a=1;\nnosuchtable;\nprint b=2;\n")
    assert out.returncode == 7 and out.stdout == "a\n1\n" and "nosuchtable" in out.stderr
    assert len(emulator.requests("/v2/rest/query")) == 2


def test_unreadable_script_is_an_argument_error(cli, emulator, tmp_path):
    out = run(cli, emulator, "-f", str(tmp_path / "missing.kql"))
    assert out.returncode == 1 and "cannot read" in out.stderr and "missing.kql" in out.stderr


# ---- output people read -----------------------------------------------------------------------------------------

def test_table_aligns_by_display_width_and_right_aligns_numbers(cli, emulator):
    out = run(cli, emulator, 'datatable(s:string, n:long, r:real)["héllo wörld", 1, 0.5, "日本語", 22, 10.25]')
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [
        "s             n      r",
        "-----------  --  -----",
        "héllo wörld   1    0.5",
        "日本語       22  10.25"]


def test_table_shows_null_apart_from_empty_text(cli, emulator):
    out = run(cli, emulator, "--null=NULL", 'print e="", n=long(null), z=1')
    assert out.stdout.splitlines() == ["e     n  z", "-  ----  -", "   NULL  1"]
    out = run(cli, emulator, "-F", "json", 'print e="", n=long(null)')
    assert out.stdout == '{"e":"","n":null}\n'


def test_table_keeps_each_row_on_its_line(cli, emulator):
    out = run(cli, emulator, 'print s="a\\tb\\nc"')
    assert out.stdout.splitlines() == ["s", "-------", "a\\tb\\nc"]


def test_markdown(cli, emulator):
    out = run(cli, emulator, "-F", "markdown", 'print a=1, s="x|y", t=""')
    assert out.returncode == 0, out.stderr
    assert out.stdout == "|   a | s    | t   |\n| --: | ---- | --- |\n|   1 | x\\|y |     |\n"


def test_tsv_escapes_tabs_newlines_and_backslashes(cli, emulator):
    out = run(cli, emulator, "-F", "tsv", 'print s="a\\tb\\\\c\\nd", n=long(null), m=2')
    assert (out.returncode, out.stdout) == (0, "s\tn\tm\na\\tb\\\\c\\nd\t\t2\n")


# ---- signs in once ----------------------------------------------------------------------------------------------

def user_connection_string(config):
    return ("Data Source=%s;Initial Catalog=%s;AAD Federated Security=True;User ID=%s;Password=%s"
            % (config["cluster"], config["database"], config["user"], config["password"]))


def token_requests(emulator):
    return [r for r in emulator.requests() if r["path"].endswith("/token")]


def test_login_then_queries_use_the_token_cache_file(cli, emulator, token_cache_home):
    config = emulator.config
    user = ("-c", user_connection_string(config), "-o", "authority=" + config["authority"])
    out = run(cli, emulator, *user, "login")
    assert out.returncode == 0 and out.stdout.startswith("signed in to " + config["resource"]), out.stderr
    assert "good until 20" in out.stdout and config["password"] not in out.stdout + out.stderr
    cache_file = token_cache_home / "libkusto" / "msal_token_cache.json"
    assert oct(cache_file.stat().st_mode & 0o777) == "0o600"
    assert len(token_requests(emulator)) == 1
    out = run(cli, emulator, *user, "-F", "csv", "print one=1")
    assert (out.returncode, out.stdout) == (0, "one\n1\n") and len(token_requests(emulator)) == 1
    out = run(cli, emulator, *user, "login")
    assert "already, from the token cache" in out.stdout and len(token_requests(emulator)) == 1

    out = run(cli, emulator, *user, "-F", "csv", "accounts")
    [header, row] = out.stdout.splitlines()
    assert header == "username,home_account_id,environment,realm"
    assert row.startswith(config["user"] + ",") and row.endswith("," + config["tenant"])

    out = run(cli, emulator, *user, "logout", "nobody@example.com")
    assert out.returncode == 1 and "no account nobody@example.com" in out.stderr
    out = run(cli, emulator, *user, "logout")
    assert (out.returncode, out.stdout) == (0, "signed out %s\n" % config["user"])
    cached = json.loads(cache_file.read_text())
    assert not cached.get("RefreshToken") and not cached.get("Account")
    out = run(cli, emulator, *user, "-F", "csv", "accounts")
    assert (out.returncode, out.stdout) == (0, "username,home_account_id,environment,realm\n")


def test_no_cache_keeps_tokens_in_memory(cli, emulator, token_cache_home):
    for _ in range(2):
        assert run(cli, emulator, "--no-cache", "print 1").returncode == 0
    assert len(token_requests(emulator)) == 2 and not (token_cache_home / "libkusto").exists()


def test_an_untrusted_token_cache_file_is_refused_with_a_way_out(cli, emulator, token_cache_home):
    cache_file = token_cache_home / "libkusto" / "msal_token_cache.json"
    cache_file.parent.mkdir(parents=True)
    cache_file.write_text("{}")
    cache_file.chmod(0o644)
    out = run(cli, emulator, "print 1")
    assert out.returncode == 3 and str(cache_file) in out.stderr and "--no-cache" in out.stderr
    assert run(cli, emulator, "--no-cache", "print 1").returncode == 0
