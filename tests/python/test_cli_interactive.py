"""`kusto` at its prompt, driven through a pseudo-terminal against the emulator: line editing and history, multi-line
queries, backslash commands, formats, the pager and Ctrl-C."""
import fcntl
import os
import pty
import re
import select
import stat
import struct
import termios
import time

import pytest

import conftest
from test_cli import BINARY, cli  # noqa: F401  (the fixture that builds build/kusto)

pytestmark = pytest.mark.usefixtures("clean_emulator")

PROMPT = "kusto> "
DIM_NULL = "\x1b[2mnull\x1b[0m"


class Terminal:
    """The CLI on a pseudo-terminal of `rows` x `cols`; what it writes is read with \\r\\n as \\n."""

    def __init__(self, argv, env, rows=24, cols=120):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
            os.execve(argv[0], argv, env)
        self.buffer = ""

    def send(self, text):
        os.write(self.fd, text.encode())

    def expect(self, marker, timeout=20):
        """Reads until `marker` appears; returns what came before it and keeps what came after."""
        deadline = time.monotonic() + timeout
        while marker not in self.buffer:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self.fd], [], [], max(left, 0))
            if not ready:
                raise AssertionError("no %r within %s s; the terminal shows:\n%s" % (marker, timeout, self.buffer))
            try:
                data = os.read(self.fd, 65536)
            except OSError:
                data = b""
            if not data:
                raise AssertionError("the CLI ended before %r; the terminal shows:\n%s" % (marker, self.buffer))
            self.buffer += data.decode("utf-8", "replace").replace("\r\n", "\n")
        before, self.buffer = self.buffer.split(marker, 1)
        return before

    def read_to_end(self, timeout=20):
        """What is left to read until the CLI ends."""
        try:
            self.expect("\0never\0", timeout)
        except AssertionError as ended:
            if "ended before" not in str(ended):
                raise
        os.close(self.fd)
        return self.buffer

    def run(self, line, prompt=PROMPT):
        """Types a line, returns what it printed (its echo removed) up to the next prompt."""
        self.send(line + "\n")
        echoed = self.expect(prompt)
        return echoed.split("\n", 1)[1] if "\n" in echoed else ""

    def close(self):
        """Quits with \\q and returns the exit status."""
        self.send("\\q\n")
        _, status = os.waitpid(self.pid, 0)
        os.close(self.fd)
        return os.waitstatus_to_exitcode(status)


@pytest.fixture
def terminal_env(emulator, tmp_path):
    inputrc = tmp_path / "inputrc"
    inputrc.write_text("set enable-bracketed-paste off\n")
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path / "home"), "TERM": "dumb",
           "INPUTRC": str(inputrc), "XDG_STATE_HOME": str(tmp_path / "state"),
           "XDG_CACHE_HOME": str(tmp_path / "cache"), "LANG": "C.UTF-8",
           "KUSTO_CONNECTION_STRING": emulator.config["connection_string"]}
    os.mkdir(env["HOME"])
    return env


@pytest.fixture
def start(cli, emulator, terminal_env):  # noqa: F811
    started = []

    def start_terminal(*args, rows=24, env=None):
        argv = [BINARY, "--ca-file", emulator.config["ca_file"]] + list(args)
        term = Terminal(argv, dict(terminal_env, **(env or {})), rows=rows)
        term.expect(PROMPT)
        started.append(term)
        return term

    yield start_terminal
    for term in started:
        try:
            os.kill(term.pid, 9)
            os.waitpid(term.pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass


def test_a_query_runs_at_a_semicolon_or_a_blank_line(start, emulator):
    term = start()
    assert term.run("print a=1;") == "a\n-\n1\n"
    term.send("range x from 1\n")
    term.expect("kusto-> ")
    term.send("  to 2 step 1\n")
    term.expect("kusto-> ")
    assert term.run("") == "x\n-\n1\n2\n"
    assert [r["body"]["csl"] for r in emulator.requests("/v2/rest/query")] == [
        "print a=1", "range x from 1\n  to 2 step 1"]
    assert term.close() == 0


def test_each_format_and_expanded_rows(start):
    term = start()
    query = 'print n=1, s="héllo", e="", z=long(null);'
    assert term.run(query) == "n  s      e     z\n-  -----  -  ----\n1  héllo     %s\n" % DIM_NULL
    assert term.run("\\format csv") == "format: csv\n"
    assert term.run(query) == "n,s,e,z\n1,héllo,,\n"
    assert term.run("\\format tsv") == "format: tsv\n"
    assert term.run(query) == "n\ts\te\tz\n1\théllo\t\t\n"
    assert term.run("\\format json") == "format: json\n"
    assert term.run(query) == '{"n":1,"s":"héllo","e":"","z":null}\n'
    assert term.run("\\format markdown") == "format: markdown\n"
    assert term.run(query) == ("|   n | s     | e   |    z |\n| --: | ----- | --- | ---: |\n"
                               "|   1 | héllo |     | %s |\n" % DIM_NULL)
    assert term.run("\\format yaml").startswith("kusto: unknown format yaml")
    assert term.run("\\format arrow") == "kusto: arrow writes binary, not for the prompt: kusto -F arrow QUERY > FILE\n"
    assert term.run("\\format") == "format: markdown\n"                # the format before stays
    assert term.run("\\format table") == "format: table\n"
    assert term.run("\\x") == "expanded rows: on\n"
    assert term.run(query) == "-[ RECORD 1 ]-\nn | 1\ns | héllo\ne | \nz | %s\n" % DIM_NULL
    assert term.close() == 0


def test_database_timing_and_commands(start, emulator):
    term = start()
    assert term.run("\\db Samples", prompt="Samples> ") == "database: Samples\n"
    term.run("print 1;", prompt="Samples> ")
    assert emulator.requests("/v2/rest/query")[-1]["body"]["db"] == "Samples"
    assert term.run("\\timing", prompt="Samples> ") == "timing: on\n"
    assert re.fullmatch(r"print_0\n-------\n      1\nTime: \d+\.\d ms\n",
                        term.run("print 1;", prompt="Samples> "))
    assert term.run("\\bogus", prompt="Samples> ").startswith("kusto: unknown command \\bogus")
    assert term.close() == 0


def test_control_commands_go_to_the_management_endpoint(start, emulator):
    term = start()
    out = term.run(".show version;")
    assert out.startswith("BuildVersion")
    assert len(emulator.requests("/v1/rest/mgmt")) == 1 and not emulator.requests("/v2/rest/query")
    assert term.close() == 0


def built_with_readline():
    with open(os.path.join(conftest.REPO, "build", "kusto"), "rb") as f:   # BINARY may be a wrapper
        return b"rl_callback_read_char" in f.read()


def test_history_persists_across_sessions(start, terminal_env):
    if not built_with_readline():
        pytest.skip("build/kusto was built without GNU readline (libreadline-dev): no line editing")
    term = start()
    term.run("print first=1;")
    term.run("print second=2;")
    assert term.close() == 0
    path = os.path.join(terminal_env["XDG_STATE_HOME"], "kusto", "history")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with open(path) as f:
        assert f.read().splitlines() == ["print first=1;", "print second=2;"]
    term = start()
    term.send("\x10\x10")              # Ctrl-P twice: the first session's first line
    assert term.run("") == "first\n-----\n    1\n"
    assert term.close() == 0


def test_history_without_xdg_state_home_is_in_home(start, terminal_env):
    env = dict(terminal_env)
    del env["XDG_STATE_HOME"]
    term = start(env={"XDG_STATE_HOME": ""})
    term.run("print h=1;")
    assert term.close() == 0
    path = os.path.join(terminal_env["HOME"], ".kusto_history")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600 and open(path).read() == "print h=1;\n"


def test_ctrl_c_cancels_the_query_and_keeps_the_session(start, emulator):
    term = start()
    term.run("print warm=1;")          # signed in: what Ctrl-C stops next is the query
    emulator.fault(path="/v2/rest/query", stall=True, count=1)
    term.send("print held=1;\n")
    time.sleep(1.0)
    started = time.monotonic()
    term.send("\x03")
    out = term.expect(PROMPT)
    assert "kusto: cancelled" in out and "held" not in out.split("\n", 1)[1]
    assert time.monotonic() - started < 5
    emulator.clear_faults()
    assert term.run("print after=2;") == "after\n-----\n    2\n"
    assert term.close() == 0


def test_ctrl_c_at_the_prompt_drops_what_is_typed(start, emulator):
    term = start()
    term.send("print dropped=1\n")
    term.expect("kusto-> ")
    term.send("\x03")
    term.expect(PROMPT)
    assert term.run("print kept=2;") == "kept\n----\n   2\n"
    assert [r["body"]["csl"] for r in emulator.requests("/v2/rest/query")] == ["print kept=2"]
    assert term.close() == 0


def test_a_table_taller_than_the_terminal_goes_to_the_pager(start, tmp_path):
    paged = tmp_path / "paged.txt"
    term = start(rows=10, env={"PAGER": "cat >> %s" % paged})
    assert term.run("print short=1;") == "short\n-----\n    1\n"
    assert not paged.exists()
    assert term.run("range x from 1 to 20 step 1;") == ""
    assert paged.read_text() == " x\n--\n" + "".join("%2d\n" % x for x in range(1, 21))
    term.run("range x from 1 to 500 step 1;")   # past the widths' sample: the pager starts mid-stream
    assert paged.read_text().splitlines()[-1] == "500" and len(paged.read_text().splitlines()) == 22 + 502
    assert term.close() == 0


def test_no_query_and_no_terminal_is_a_usage_error(cli, emulator, terminal_env):  # noqa: F811
    import subprocess
    out = subprocess.run([BINARY], capture_output=True, text=True, env=terminal_env, stdin=subprocess.DEVNULL)
    assert out.returncode == 1 and "no query given" in out.stderr


def test_a_query_on_a_terminal_shows_null_dimmed(cli, emulator, terminal_env):  # noqa: F811
    term = Terminal([BINARY, "--ca-file", emulator.config["ca_file"], 'print e="", n=long(null)'], terminal_env)
    assert term.read_to_end() == "e     n\n-  ----\n   %s\n" % DIM_NULL
    _, status = os.waitpid(term.pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_arrow_to_a_terminal_is_a_usage_error(cli, emulator, terminal_env):  # noqa: F811
    term = Terminal([BINARY, "--ca-file", emulator.config["ca_file"], "-F", "arrow", "print 1"], terminal_env)
    assert term.read_to_end().startswith("kusto: this format writes binary: redirect standard output: arrow\n")
    _, status = os.waitpid(term.pid, 0)
    assert os.waitstatus_to_exitcode(status) == 1
    assert not emulator.requests("/v2/rest/query")


def test_an_existing_history_file_is_made_private(start, terminal_env):
    path = os.path.join(terminal_env["HOME"], ".kusto_history")
    with open(path, "w") as f:
        f.write("print old=1;\n")
    os.chmod(path, 0o644)
    term = start(env={"XDG_STATE_HOME": ""})
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert term.close() == 0
    assert open(path).read() == "print old=1;\n"
