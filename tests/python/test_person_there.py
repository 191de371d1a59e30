"""Whether a person is there to sign in in a browser, decided as a Jupyter kernel or a GUI app needs it: no terminal
on stdin, but a display or a $BROWSER is someone; with none of these (CI, cron, services) the sign-in refuses at
once. Each case runs in a child process whose stdin is not a terminal, whatever the tests run in."""
import json
import os
import stat
import subprocess
import sys

import pytest

SIGN_IN = """
import json, os, sys, time, kusto
cs, ca, sign_in, wait = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
out = {"pid": os.getpid()}
started = time.monotonic()
try:
    if sign_in == "fallback":
        token = kusto.acquire_token(cs, ca_file=ca, interactive_timeout=wait)
    else:
        token = kusto.Client(cs, ca_file=ca, sign_in=sign_in, interactive_timeout=wait).acquire_token()
    out["token"] = token["access_token"]
except kusto.Error as e:
    out["error"] = [type(e).__name__, str(e)]
out["seconds"] = time.monotonic() - started
print(json.dumps(out))
"""

# Plays the person's browser: follows the authorize page's redirect to the library's loopback listener, and notes
# who started it ($PPID: the Python process when Python's webbrowser did) and what the listener answered.
PLAYED_BROWSER = """#!/bin/sh
here=$(dirname "$0")
echo "$PPID" > "$here/parent"
curl -sS --noproxy '*' --cacert "$KUSTO_TEST_CA" -L -o "$here/page" -w '%{http_code}' "$1" > "$here/status"
"""


def user_connection_string(config):
    return "Data Source=%s;Initial Catalog=%s;AAD Federated Security=True;Authority Id=%s" % (
        config["cluster"], config["database"], config["authority"])


def sign_in_in_a_child(config, sign_in, wait=20, **env):
    clean = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "BROWSER")}
    child = subprocess.run([sys.executable, "-c", SIGN_IN, user_connection_string(config), config["ca_file"], sign_in,
                            str(wait)],
                           stdin=subprocess.DEVNULL, capture_output=True, text=True, env=dict(clean, **env),
                           timeout=60)
    assert child.returncode == 0, child.stderr
    return json.loads(child.stdout), child.stderr


def claims_of(jwt):
    import base64
    payload = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


@pytest.fixture
def played_browser(tmp_path, emulator):
    script = tmp_path / "browser"
    script.write_text(PLAYED_BROWSER)
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


@pytest.mark.parametrize("sign_in", ["fallback", "interactive"])
def test_no_terminal_but_a_browser_is_someone_and_python_s_webbrowser_opens_it(emulator, played_browser, sign_in):
    emulator.reset()
    config = emulator.config
    out, stderr = sign_in_in_a_child(config, sign_in, BROWSER=str(played_browser), KUSTO_TEST_CA=config["ca_file"])
    assert "error" not in out, out
    assert claims_of(out["token"])["preferred_username"] == config["users"][0]["username"]
    here = played_browser.parent
    assert (here / "status").read_text() == "200" and "Authentication complete" in (here / "page").read_text()
    # Python's webbrowser started the browser (the core's default would have started it from a shell).
    assert int((here / "parent").read_text()) == out["pid"]
    assert "Sign in to Azure AD in your browser. If none opens, visit:\n%s/oauth2/v2.0/authorize?" % (
        config["authority"]) in stderr
    [redeem] = [r for r in emulator.requests("/%s/oauth2/v2.0/token" % config["tenant"])
                if r["form"]["grant_type"] == "authorization_code"]
    assert redeem["status"] == 200 and redeem["pkce_ok"] is True


def test_a_display_without_a_terminal_is_someone(emulator):
    """A GUI session with no browser to start here: the sign-in tries (it waits for the browser), not refuses."""
    out, stderr = sign_in_in_a_child(emulator.config, "interactive", wait=1, DISPLAY=":99",
                                     PATH="/nonexistent")
    assert out["error"][0] in ("TimeoutError", "AuthenticationError"), out
    assert "impossible here" not in out["error"][1]
    assert "Sign in to Azure AD in your browser" in stderr


@pytest.mark.parametrize("sign_in", ["fallback", "interactive"])
def test_nobody_there_refuses_at_once(emulator, sign_in):
    """No terminal, no display, no $BROWSER: CI, cron, a service."""
    out, stderr = sign_in_in_a_child(emulator.config, sign_in)
    name, message = out["error"]
    assert name == "AuthenticationError"
    assert ("interactive sign-in is impossible here: stdin is not a terminal and there is no display ($DISPLAY, "
            "$WAYLAND_DISPLAY) and no $BROWSER, so nobody is there to sign in in a browser") in message
    if sign_in == "fallback":
        assert "gives no credential" in message
    assert out["seconds"] < 2 and "Sign in to Azure AD" not in stderr
