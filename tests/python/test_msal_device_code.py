"""Proof of fidelity: MSAL Python completes a device-code sign-in against the emulator, and libkusto sends what MSAL
sends, field by field.

Deliberate differences (asserted below, so a change is noticed):
  - MSAL repeats the device code as `code` in polls (its "2018-10-4 hack" for an old Azure AD); Azure AD reads
    `device_code`, so libkusto sends only that.
  - MSAL sends `client_info=1` only in polls, libkusto too; neither sends it to the devicecode endpoint.
"""
import threading

import pytest

import kusto

from test_user_signin import KUSTO_CLIENT_ID, USER_SCOPE_TAIL, claims_of, control, user_connection_string


@pytest.fixture
def msal_public_app(emulator, monkeypatch):
    msal = pytest.importorskip("msal")
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    config = emulator.config
    return msal.PublicClientApplication(
        KUSTO_CLIENT_ID, authority=config["authority"], verify=config["ca_file"],
        instance_discovery=config["login_endpoint"] + "/common/discovery/instance")


def approve_later(emulator, user_code, user):
    timer = threading.Timer(1.2, control, (emulator, "/device/approve", {"user_code": user_code, "user": user}))
    timer.start()
    return timer


def sign_in_requests(emulator):
    tenant = emulator.config["tenant"]
    return (emulator.requests("/%s/oauth2/v2.0/devicecode" % tenant),
            emulator.requests("/%s/oauth2/v2.0/token" % tenant))


def test_msal_completes_a_device_code_sign_in(emulator, msal_public_app):
    emulator.reset()
    emulator.settings(device_code_interval=1)
    config = emulator.config
    bob = config["users"][1]["username"]
    flow = msal_public_app.initiate_device_flow(scopes=[config["resource"] + "/.default"])
    assert "user_code" in flow, flow
    assert flow["interval"] == 1 and flow["expires_in"] == 900
    approve_later(emulator, flow["user_code"], bob).join()
    result = msal_public_app.acquire_token_by_device_flow(flow)
    assert "error" not in result, result.get("error_description")
    assert claims_of(result["access_token"])["preferred_username"] == bob
    # MSAL checked the id token (aud = client id) and built the account from client_info.
    assert result["id_token_claims"]["aud"] == KUSTO_CLIENT_ID
    assert result["id_token_claims"]["preferred_username"] == bob
    [account] = msal_public_app.get_accounts()
    assert account["username"] == bob
    assert account["home_account_id"] == "%s.%s" % (config["users"][1]["oid"], config["tenant"])
    assert result["refresh_token"]
    emulator.reset()


def test_libkusto_sends_what_msal_sends_for_device_code(emulator, msal_public_app):
    config = emulator.config
    alice = config["users"][0]["username"]

    emulator.reset()
    emulator.settings(device_code_interval=1)
    flow = msal_public_app.initiate_device_flow(scopes=[config["resource"] + "/.default"])
    approve_later(emulator, flow["user_code"], alice)
    assert "access_token" in msal_public_app.acquire_token_by_device_flow(flow)
    msal_init, msal_polls = sign_in_requests(emulator)

    emulator.reset()
    emulator.settings(device_code_interval=1)
    kusto.acquire_token(user_connection_string(config), ca_file=config["ca_file"], sign_in="device_code",
                        device_code_callback=lambda info: approve_later(emulator, info["user_code"], alice))
    ours_init, ours_polls = sign_in_requests(emulator)
    emulator.reset()

    assert ours_init[0]["form"] == msal_init[0]["form"] == {
        "client_id": KUSTO_CLIENT_ID, "scope": config["resource"] + USER_SCOPE_TAIL}
    msal_poll, our_poll = msal_polls[0]["form"], ours_polls[0]["form"]
    assert msal_poll.pop("code") == "<redacted>"           # the deliberate difference (see above)
    assert our_poll == msal_poll
    # Both poll until approved, at the interval.
    for polls in (msal_polls, ours_polls):
        assert [p["status"] for p in polls][-1] == 200 and polls[0]["aad_error"] == "AADSTS70016"
    # The same headers where it matters: form body, JSON answer wanted, a request id to correlate.
    for request in (msal_polls[0], ours_polls[0]):
        assert request["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
        assert request["headers"]["client-request-id"]
