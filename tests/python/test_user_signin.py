"""Sign-ins by a person against the emulator: device code and interactive (auth code + PKCE over loopback).

The tests play the person: the device-code prompt approves through the emulator's control API, and the browser
callback GETs the authorize URL with requests, following the redirect to the library's loopback listener.
"""
import base64
import json
import os
import signal
import threading
import time

import pytest
import requests

import kusto

KUSTO_CLIENT_ID = "db662dc1-0cfe-4e1c-a843-19a68e65be58"
USER_SCOPE_TAIL = "/.default offline_access openid profile"


def claims_of(jwt):
    payload = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def user_connection_string(config, extra=""):
    return "Data Source=%s;Initial Catalog=%s;AAD Federated Security=True;Authority Id=%s%s" % (
        config["cluster"], config["database"], config["authority"], extra)


def control(emulator, path, payload):
    response = emulator._http.post(emulator.config["control"] + path, json=payload, timeout=10)
    response.raise_for_status()
    return response.json()


@pytest.fixture
def fast_device_codes(emulator):
    emulator.reset()
    emulator.settings(device_code_interval=1)
    yield
    emulator.reset()


def token_requests(emulator):
    return emulator.requests("/%s/oauth2/v2.0/token" % emulator.config["tenant"])


# --- device code --------------------------------------------------------------------------------------------

def test_device_code_sign_in_after_the_person_approves(emulator, fast_device_codes):
    config = emulator.config
    bob = config["users"][1]
    shown = []

    def prompt(info):
        shown.append(info)
        # The person needs a moment: the library keeps polling meanwhile.
        threading.Timer(1.5, control, (emulator, "/device/approve",
                                       {"user_code": info["user_code"], "user": bob["username"]})).start()

    client = kusto.Client(user_connection_string(config), ca_file=config["ca_file"], sign_in="device_code",
                          device_code_callback=prompt)
    token = client.acquire_token()
    [info] = shown
    assert info["message"] == ("To sign in, use a web browser to open the page %s/devicelogin and enter the code "
                               "%s to authenticate." % (config["login_endpoint"], info["user_code"]))
    assert info["verification_uri"] == config["login_endpoint"] + "/devicelogin"
    assert abs(info["expires_on"] - (time.time() + 900)) < 30
    claims = claims_of(token["access_token"])
    assert claims["preferred_username"] == bob["username"] and claims["oid"] == bob["oid"]
    assert claims["aud"] == config["resource"] and claims["appid"] == KUSTO_CLIENT_ID
    assert claims["idtyp"] == "user"
    # The cluster accepts the user's token.
    assert client.query(None, "print x=1")["primary_results"][0]["rows"] == [[1]]
    # The second call comes from the cache: no new prompt.
    assert client.acquire_token()["from_cache"] is True and len(shown) == 1

    [initiation] = emulator.requests("/%s/oauth2/v2.0/devicecode" % config["tenant"])
    assert initiation["form"] == {"client_id": KUSTO_CLIENT_ID, "scope": config["resource"] + USER_SCOPE_TAIL}
    polls = token_requests(emulator)
    assert len(polls) >= 2
    assert [p["status"] for p in polls] == [400] * (len(polls) - 1) + [200]
    assert all(p["aad_error"] == "AADSTS70016" for p in polls[:-1])
    assert polls[-1]["signed_in_user"] == bob["username"]
    assert polls[0]["form"] == {"grant_type": "urn:ietf:params:oauth:grant-type:device_code",
                                "client_id": KUSTO_CLIENT_ID, "device_code": "<redacted>", "client_info": "1"}
    gaps = [b["time"] - a["time"] for a, b in zip(polls, polls[1:])]
    assert all(gap >= 0.9 for gap in gaps), gaps          # polled at the interval, never faster
    client.close()


def test_device_code_declined_is_an_authentication_error(emulator, fast_device_codes):
    config = emulator.config

    def prompt(info):
        control(emulator, "/device/decline", {"user_code": info["user_code"]})

    with pytest.raises(kusto.AuthenticationError) as caught:
        kusto.acquire_token(user_connection_string(config), ca_file=config["ca_file"], sign_in="device_code",
                            device_code_callback=prompt)
    assert caught.value.code == "authorization_declined" and caught.value.aadsts == 65004
    assert "User declined" in str(caught.value)


def test_device_code_expired_token_is_an_authentication_error(emulator, fast_device_codes):
    config = emulator.config
    emulator.fault(path="/%s/oauth2/v2.0/token" % config["tenant"], status=400, count=1,
                   body={"error": "expired_token", "error_description": "AADSTS70019: Verification code expired.",
                         "error_codes": [70019]})
    with pytest.raises(kusto.AuthenticationError) as caught:
        kusto.acquire_token(user_connection_string(config), ca_file=config["ca_file"], sign_in="device_code",
                            device_code_callback=lambda info: None)
    assert caught.value.code == "expired_token" and caught.value.aadsts == 70019


def test_device_code_gives_up_at_the_client_timeout(emulator, fast_device_codes):
    config = emulator.config
    started = time.monotonic()
    with pytest.raises(kusto.TimeoutError, match="nobody completed the device code sign-in in time"):
        kusto.acquire_token(user_connection_string(config), ca_file=config["ca_file"], sign_in="device_code",
                            device_code_callback=lambda info: None, timeout=2.5)
    assert time.monotonic() - started < 5
    assert 1 <= len(token_requests(emulator)) <= 3


def test_device_code_gives_up_when_the_code_expires(emulator, fast_device_codes):
    config = emulator.config
    emulator.settings(device_code_lifetime=3)
    started = time.monotonic()
    with pytest.raises(kusto.TimeoutError, match="nobody completed the device code sign-in in time"):
        kusto.acquire_token(user_connection_string(config), ca_file=config["ca_file"], sign_in="device_code",
                            device_code_callback=lambda info: None)
    assert 1.5 <= time.monotonic() - started < 6
    assert 1 <= len(token_requests(emulator)) <= 3


def test_device_code_prompt_that_raises_cancels_and_the_exception_propagates(emulator, fast_device_codes):
    config = emulator.config

    class NotNow(Exception):
        pass

    def prompt(info):
        raise NotNow("the person walked away")

    with pytest.raises(NotNow, match="walked away"):
        kusto.acquire_token(user_connection_string(config), ca_file=config["ca_file"], sign_in="device_code",
                            device_code_callback=prompt)
    assert token_requests(emulator) == []                  # cancelled before any poll


def test_device_code_with_an_unregistered_application(emulator, fast_device_codes):
    config = emulator.config
    cs = user_connection_string(config, ";Application Client Id=00000000-1111-2222-3333-444444444444")
    with pytest.raises(kusto.AuthenticationError) as caught:
        kusto.acquire_token(cs, ca_file=config["ca_file"], sign_in="device_code",
                            device_code_callback=lambda info: None)
    assert caught.value.code == "unauthorized_client" and caught.value.aadsts == 700016


def test_device_code_prompt_must_be_callable(emulator):
    with pytest.raises(TypeError, match="device_code_callback' must be callable"):
        kusto.Client(user_connection_string(emulator.config), device_code_callback="print")


# --- interactive --------------------------------------------------------------------------------------------

class Browser:
    """What a person's browser does: open the URL, sign in, follow the redirect to the loopback listener."""

    def __init__(self, config):
        self.session = requests.Session()
        self.session.trust_env = False
        self.session.verify = config["ca_file"]
        self.urls, self.pages, self.threads = [], [], []

    def __call__(self, url):
        self.urls.append(url)
        thread = threading.Thread(target=self._visit, args=(url,))   # a browser does not block the caller
        thread.start()
        self.threads.append(thread)

    def _visit(self, url):
        response = self.session.get(url, timeout=10)
        self.pages.append((response.status_code, response.text, response.url))

    def join(self):
        for thread in self.threads:
            thread.join(10)


def interactive_client(config, browser, **options):
    return kusto.Client(user_connection_string(config), ca_file=config["ca_file"], browser_callback=browser,
                        **options)


def test_interactive_sign_in_with_pkce_over_loopback(emulator):
    emulator.reset()
    config = emulator.config
    alice = config["users"][0]
    browser = Browser(config)
    with interactive_client(config, browser) as client:     # no credentials: interactive is the fallback
        token = client.acquire_token()
        assert client.query(None, "print x=2")["primary_results"][0]["rows"] == [[2]]
    browser.join()
    claims = claims_of(token["access_token"])
    assert claims["preferred_username"] == alice["username"] and claims["appid"] == KUSTO_CLIENT_ID

    [url] = browser.urls
    [(status, page, landed)] = browser.pages
    assert status == 200 and "Authentication complete" in page
    assert landed.startswith("http://localhost:")
    [authorize] = emulator.requests("/%s/oauth2/v2.0/authorize" % config["tenant"])
    query = authorize["query"]
    assert url.startswith(config["authority"] + "/oauth2/v2.0/authorize?")
    assert query["client_id"] == KUSTO_CLIENT_ID and query["response_type"] == "code"
    assert query["scope"] == config["resource"] + USER_SCOPE_TAIL
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
    assert query["redirect_uri"] == landed.split("?")[0].rstrip("/")
    assert len(query["state"]) >= 32 and len(query["nonce"]) >= 32 and query["state"] != query["nonce"]
    [redeem] = token_requests(emulator)
    assert redeem["status"] == 200 and redeem["pkce_ok"] is True
    assert redeem["form"]["grant_type"] == "authorization_code"
    assert redeem["form"]["code"] == redeem["form"]["code_verifier"] == "<redacted>"
    assert redeem["form"]["redirect_uri"] == query["redirect_uri"]


def test_interactive_states_differ_between_sign_ins(emulator):
    emulator.reset()
    config = emulator.config
    for _ in range(2):
        browser = Browser(config)
        kusto.acquire_token(user_connection_string(config), ca_file=config["ca_file"], browser_callback=browser,
                            sign_in="interactive")
        browser.join()
    first, second = [r["query"] for r in emulator.requests("/%s/oauth2/v2.0/authorize" % config["tenant"])]
    for name in ("state", "nonce", "code_challenge"):
        assert first[name] != second[name]


def test_interactive_error_redirect_is_an_authentication_error(emulator):
    emulator.reset()
    config = emulator.config
    control(emulator, "/interactive", {"error": "access_denied",
                                       "error_description": "AADSTS65004: User declined to consent to access the app."})
    browser = Browser(config)
    with pytest.raises(kusto.AuthenticationError) as caught:
        interactive_client(config, browser).acquire_token()
    browser.join()
    assert caught.value.code == "access_denied" and caught.value.aadsts == 65004
    assert token_requests(emulator) == []
    emulator.reset()


def test_interactive_ignores_an_answer_with_another_state(emulator):
    emulator.reset()
    config = emulator.config
    browser = Browser(config)
    stray = []

    def callback(url):
        port = None
        for part in url.split("?")[1].split("&"):
            if part.startswith("redirect_uri="):
                port = requests.utils.unquote(part.split("=", 1)[1]).rsplit(":", 1)[1]

        def forged_then_real():
            stray.append(requests.get("http://127.0.0.1:%s/?code=forged&state=not-yours" % port, timeout=10))
            browser(url)
        threading.Thread(target=forged_then_real).start()

    token = interactive_client(config, callback).acquire_token()
    browser.join()
    assert stray[0].status_code == 400 and "state mismatch" in stray[0].text
    assert claims_of(token["access_token"])["preferred_username"] == config["users"][0]["username"]


def test_interactive_times_out_when_the_browser_never_comes_back(emulator):
    emulator.reset()
    config = emulator.config
    started = time.monotonic()
    with pytest.raises(kusto.TimeoutError, match="browser did not complete the sign-in"):
        interactive_client(config, lambda url: None, interactive_timeout=1).acquire_token()
    assert time.monotonic() - started < 3


def test_interactive_callback_that_raises_propagates(emulator):
    with pytest.raises(RuntimeError, match="no browser here"):
        interactive_client(emulator.config, lambda url: (_ for _ in ()).throw(RuntimeError("no browser here"))) \
            .acquire_token()


def test_interactive_timeout_option_is_checked(emulator):
    client = interactive_client(emulator.config, lambda url: None, interactive_timeout="soon")
    with pytest.raises(kusto.ArgumentError, match="interactive_timeout"):
        client.acquire_token()


# --- the cache: refresh tokens of a person's sign-in, and whose tokens are used --------------------------------

def approving_prompt(emulator, username, shown):
    def prompt(info):
        shown.append(info)
        control(emulator, "/device/approve", {"user_code": info["user_code"], "user": username})
    return prompt


def test_expired_device_code_token_is_renewed_with_the_refresh_token_without_a_prompt(emulator, fast_device_codes):
    config = emulator.config
    alice = config["users"][0]
    emulator.settings(device_code_interval=1, token_lifetime=290)   # inside the 5-minute margin at once
    shown = []
    client = kusto.Client(user_connection_string(config), ca_file=config["ca_file"], sign_in="device_code",
                          device_code_callback=approving_prompt(emulator, alice["username"], shown))
    first = client.acquire_token()
    second = client.acquire_token()
    assert len(shown) == 1                           # no second prompt
    assert second["from_cache"] is False and second["access_token"] != first["access_token"]
    assert claims_of(second["access_token"])["oid"] == alice["oid"]
    grants = [r["form"]["grant_type"] for r in token_requests(emulator) if r["status"] == 200]
    assert grants == ["urn:ietf:params:oauth:grant-type:device_code", "refresh_token"]
    client.close()


def test_user_id_restricts_the_cache_to_that_user(emulator, fast_device_codes, tmp_path):
    config = emulator.config
    alice, bob = config["users"][0], config["users"][1]
    cache = str(tmp_path / "cache.json")
    shown = []
    with kusto.Client(user_connection_string(config), ca_file=config["ca_file"], sign_in="device_code",
                      cache_path=cache, device_code_callback=approving_prompt(emulator, alice["username"], shown)) as c:
        assert claims_of(c.acquire_token()["access_token"])["oid"] == alice["oid"]
    # Bob's client must not be handed Alice's cached token: it signs Bob in.
    with kusto.Client(user_connection_string(config, ";User ID=" + bob["username"]), ca_file=config["ca_file"],
                      sign_in="device_code", cache_path=cache,
                      device_code_callback=approving_prompt(emulator, bob["username"], shown)) as c:
        token = c.acquire_token()
        assert token["from_cache"] is False and claims_of(token["access_token"])["oid"] == bob["oid"]
        assert c.acquire_token()["from_cache"] is True
    # Alice's client with her User ID finds her token again without a prompt.
    with kusto.Client(user_connection_string(config, ";User ID=" + alice["username"]), ca_file=config["ca_file"],
                      sign_in="device_code", cache_path=cache,
                      device_code_callback=approving_prompt(emulator, alice["username"], shown)) as c:
        token = c.acquire_token()
        assert token["from_cache"] is True and claims_of(token["access_token"])["oid"] == alice["oid"]
    assert len(shown) == 2


def test_device_code_slow_down_adds_five_seconds_to_the_interval(emulator, fast_device_codes):
    """The emulator answers the first poll with slow_down (as a throttled Azure AD does): the next poll comes
    interval + 5 s later (RFC 8628 3.5, MSAL's behaviour), then the sign-in completes."""
    config = emulator.config
    bob = config["users"][1]["username"]

    def prompt(info):
        control(emulator, "/device/slow_down", {"user_code": info["user_code"]})
        control(emulator, "/device/approve", {"user_code": info["user_code"], "user": bob})

    token = kusto.acquire_token(user_connection_string(config), ca_file=config["ca_file"], sign_in="device_code",
                                device_code_callback=prompt)
    assert claims_of(token["access_token"])["preferred_username"] == bob
    slowed, granted = token_requests(emulator)
    assert slowed["status"] == 400 and slowed["aad_error"] == "AADSTS70016"
    assert granted["status"] == 200
    [initiation] = emulator.requests("/%s/oauth2/v2.0/devicecode" % config["tenant"])
    assert 0.9 <= slowed["time"] - initiation["time"] < 2.5                # the code's interval: 1 s
    assert 5.9 <= granted["time"] - slowed["time"] < 7.5                  # 1 s + 5 s


def test_emulator_device_code_errors_are_shaped_like_azure_ads(emulator, fast_device_codes):
    """What Azure AD sends to a device-code poll: HTTP 400, {error, error_description "AADSTSnnnnn: ...\\r\\n
    Trace ID: ...\\r\\nCorrelation ID: ...\\r\\nTimestamp: ...", error_codes, timestamp, trace_id, correlation_id,
    error_uri}; correlation_id echoes client-request-id."""
    config = emulator.config
    tenant_url = "%s/%s/oauth2/v2.0" % (config["login_endpoint"], config["tenant"])
    started = emulator._http.post(tenant_url + "/devicecode", data={
        "client_id": KUSTO_CLIENT_ID, "scope": config["resource"] + USER_SCOPE_TAIL}).json()

    def poll(**headers):
        return emulator._http.post(tenant_url + "/token", headers=headers, data={
            "grant_type": "urn:ietf:params:oauth:grant-type:device_code", "client_id": KUSTO_CLIENT_ID,
            "device_code": started["device_code"]})

    answers = [poll(**{"client-request-id": "6f1c4a38-0a8e-4a55-9d0b-3e0e7b6c2a11"})]
    control(emulator, "/device/slow_down", {"user_code": started["user_code"]})
    answers.append(poll())
    control(emulator, "/device/decline", {"user_code": started["user_code"]})
    answers.append(poll())
    expected = [("authorization_pending", 70016), ("slow_down", 70016), ("authorization_declined", 65004)]
    for answer, (error, code) in zip(answers, expected):
        body = answer.json()
        assert answer.status_code == 400 and body["error"] == error and body["error_codes"] == [code]
        assert body["error_description"].startswith("AADSTS%d: " % code)
        assert "\r\nTrace ID: %s\r\nCorrelation ID: %s\r\nTimestamp: %s" % (
            body["trace_id"], body["correlation_id"], body["timestamp"]) in body["error_description"]
        assert body["error_uri"].endswith("/error?code=%d" % code)
    assert answers[0].json()["correlation_id"] == "6f1c4a38-0a8e-4a55-9d0b-3e0e7b6c2a11"


def test_emulator_expired_device_code_answers_expired_token(emulator, fast_device_codes):
    config = emulator.config
    emulator.settings(device_code_lifetime=1)
    tenant_url = "%s/%s/oauth2/v2.0" % (config["login_endpoint"], config["tenant"])
    started = emulator._http.post(tenant_url + "/devicecode", data={
        "client_id": KUSTO_CLIENT_ID, "scope": config["resource"] + USER_SCOPE_TAIL}).json()
    time.sleep(1.2)
    answer = emulator._http.post(tenant_url + "/token", data={
        "grant_type": "urn:ietf:params:oauth:grant-type:device_code", "client_id": KUSTO_CLIENT_ID,
        "device_code": started["device_code"]})
    body = answer.json()
    assert answer.status_code == 400 and body["error"] == "expired_token" and body["error_codes"] == [70019]
    assert body["error_description"].startswith("AADSTS70019: Verification code expired.")


# --- Ctrl-C while a person is awaited -------------------------------------------------------------------------

def interrupted_sign_in(sign_in):
    """Runs sign_in(prompted), sending SIGINT once its prompt was called; (outcome, seconds from SIGINT to end)."""
    prompted, returned, sent_at = threading.Event(), threading.Event(), []

    def interrupt_once_prompted():
        if prompted.wait(20) and not returned.is_set():
            time.sleep(0.3)  # into the wait that follows the prompt
            sent_at.append(time.monotonic())
            os.kill(os.getpid(), signal.SIGINT)

    interrupter = threading.Thread(target=interrupt_once_prompted)
    # A background job of a non-interactive shell inherits SIGINT ignored: put an interactive user's handler back.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    outcome = "returned"
    interrupter.start()
    try:
        try:
            sign_in(prompted)
            returned.set()
        except KeyboardInterrupt:
            outcome = "interrupted"
        except kusto.Error as e:
            returned.set()
            outcome = "failed: %r" % e
        interrupter.join()
    except KeyboardInterrupt:  # one that came after the call must not end the test run
        outcome += ", then was interrupted"
    finally:
        signal.signal(signal.SIGINT, previous)
    return outcome, time.monotonic() - sent_at[0] if sent_at else None


def test_ctrl_c_stops_a_device_code_sign_in(emulator, fast_device_codes):
    config = emulator.config
    outcome, took = interrupted_sign_in(lambda prompted: kusto.acquire_token(
        user_connection_string(config), ca_file=config["ca_file"], sign_in="device_code", timeout=20,
        device_code_callback=lambda info: prompted.set()))
    assert outcome == "interrupted" and took < 3, (outcome, took)


def test_ctrl_c_stops_an_interactive_sign_in(emulator):
    emulator.reset()
    config = emulator.config
    outcome, took = interrupted_sign_in(lambda prompted: interactive_client(
        config, lambda url: prompted.set(), interactive_timeout=20).acquire_token())
    assert outcome == "interrupted" and took < 3, (outcome, took)
    assert kusto.Client(config["connection_string"], ca_file=config["ca_file"]).acquire_token()["access_token"]
