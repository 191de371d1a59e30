"""The token cache file: shared with MSAL Python both ways, across processes, refresh tokens, accounts."""
import json
import os
import stat
import subprocess
import sys

import pytest
import requests

import kusto


pytestmark = pytest.mark.usefixtures("clean_emulator")


@pytest.fixture
def cache_path(tmp_path):
    return str(tmp_path / "cache" / "msal_token_cache.json")


def options(config, **extra):
    return dict(ca_file=config["ca_file"], authority=config["authority"], **extra)


def token_requests(emulator):
    return [r for r in emulator.requests() if r["path"].endswith("/token")]


@pytest.fixture
def msal_app(emulator, monkeypatch):
    msal = pytest.importorskip("msal")
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    config = emulator.config

    def make(cache):
        return msal.ConfidentialClientApplication(
            config["client_id"], client_credential=config["client_secret"], authority=config["authority"],
            verify=config["ca_file"], instance_discovery=config["login_endpoint"] + "/common/discovery/instance",
            token_cache=cache)
    return msal, make


def test_file_is_msal_schema_and_private(emulator, cache_path):
    config = emulator.config
    token = kusto.acquire_token(config["connection_string"], **options(config, cache_path=cache_path))
    assert token["from_cache"] is False
    assert stat.S_IMODE(os.stat(cache_path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(os.path.dirname(cache_path)).st_mode) == 0o700
    data = json.load(open(cache_path))
    [(key, entry)] = data["AccessToken"].items()
    scope = config["resource"] + "/.default"
    # MSAL Python's environment is the authority's host without port; realm the tenant segment.
    assert key == ("-127.0.0.1-accesstoken-%s-%s-%s" % (config["client_id"], config["tenant"], scope)).lower()
    assert entry["home_account_id"] is None and entry["secret"] == token["access_token"]
    assert entry["expires_on"] == str(token["expires_on"]) and entry["target"] == scope
    assert list(data["AppMetadata"]) == ["appmetadata-127.0.0.1-%s" % config["client_id"]]


def test_msal_reads_libkusto_cache_without_a_request(emulator, msal_app, cache_path):
    config = emulator.config
    token = kusto.acquire_token(config["connection_string"], **options(config, cache_path=cache_path))
    emulator.reset()
    msal, make = msal_app
    cache = msal.SerializableTokenCache()
    cache.deserialize(open(cache_path).read())
    result = make(cache).acquire_token_for_client([config["resource"] + "/.default"])
    assert result["access_token"] == token["access_token"]
    assert result["token_source"] == "cache"
    assert token_requests(emulator) == []


def test_libkusto_reads_msal_cache_without_a_request(emulator, msal_app, cache_path):
    config = emulator.config
    msal, make = msal_app
    cache = msal.SerializableTokenCache()
    result = make(cache).acquire_token_for_client([config["resource"] + "/.default"])
    assert result["token_source"] == "identity_provider"
    os.makedirs(os.path.dirname(cache_path), mode=0o700)
    with os.fdopen(os.open(cache_path, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
        f.write(cache.serialize())
    emulator.reset()
    with kusto.Client(config["connection_string"], **options(config, cache_path=cache_path)) as client:
        token = client.acquire_token()
        assert token["from_cache"] is True and token["access_token"] == result["access_token"]
    assert token_requests(emulator) == []


def test_second_process_uses_the_first_ones_token(emulator, cache_path):
    config = emulator.config
    script = ("import json, sys, kusto; t = kusto.acquire_token(sys.argv[1], ca_file=sys.argv[2], "
              "authority=sys.argv[3], cache_path=sys.argv[4]); print(json.dumps(t['from_cache']))")
    args = [sys.executable, "-c", script, config["connection_string"], config["ca_file"], config["authority"],
            cache_path]
    outputs = [subprocess.run(args, capture_output=True, text=True, check=True).stdout.strip() for _ in range(2)]
    assert outputs == ["false", "true"]
    assert len(token_requests(emulator)) == 1


def test_unsafe_cache_file_is_refused(emulator, cache_path):
    os.makedirs(os.path.dirname(cache_path), mode=0o700)
    with open(cache_path, "w") as f:
        f.write("{}")
    os.chmod(cache_path, 0o644)
    with pytest.raises(kusto.Error) as info:
        kusto.Client(emulator.config["connection_string"], **options(emulator.config, cache_path=cache_path))
    assert cache_path in str(info.value) and "0644" in str(info.value)


def mint_user_tokens(emulator, username):
    config = emulator.config
    response = requests.post(config["control"] + "/mint_user_tokens", json={"username": username},
                             verify=config["ca_file"], timeout=10)
    response.raise_for_status()
    return response.json()


def write_user_cache(emulator, msal, cache_path, answer):
    """The minted answer stored by MSAL itself, as a user sign-in would have."""
    config = emulator.config
    cache = msal.SerializableTokenCache()
    cache.add({"client_id": config["client_id"], "scope": [config["resource"] + "/.default"],
               "token_endpoint": config["authority"] + "/oauth2/v2.0/token", "response": dict(answer),
               "grant_type": "authorization_code"})
    os.makedirs(os.path.dirname(cache_path), mode=0o700, exist_ok=True)
    with os.fdopen(os.open(cache_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
        f.write(cache.serialize())


def user_client(emulator, cache_path):
    config = emulator.config
    return kusto.Client(config["connection_string"], **options(config, cache_path=cache_path, sign_in="shared_cache"))


def test_user_token_then_silent_refresh_with_rotation(emulator, msal_app, cache_path):
    msal, _ = msal_app
    answer = mint_user_tokens(emulator, "ann@contoso.example")
    write_user_cache(emulator, msal, cache_path, answer)
    with user_client(emulator, cache_path) as client:
        token = client.acquire_token()
        assert token["from_cache"] is True and token["access_token"] == answer["access_token"]
        [account] = client.accounts()
        assert account["username"] == "ann@contoso.example" and account["realm"] == emulator.config["tenant"]
        assert account["environment"] == "127.0.0.1"
    assert token_requests(emulator) == []

    # The access token gone, the refresh token renews silently; the answer's new RT replaces the old one.
    data = json.load(open(cache_path))
    data["AccessToken"] = {}
    with open(cache_path, "w") as f:
        json.dump(data, f)
    with user_client(emulator, cache_path) as client:
        token = client.acquire_token()
    assert token["from_cache"] is False and token["access_token"] != answer["access_token"]
    [request] = token_requests(emulator)
    assert request["form"]["grant_type"] == "refresh_token" and request["form"]["client_info"] == "1"
    assert set(request["form"]["scope"].split()) == {emulator.config["resource"] + "/.default", "offline_access",
                                                     "openid", "profile"}
    rts = json.load(open(cache_path))["RefreshToken"]
    assert len(rts) == 1 and list(rts.values())[0]["secret"] != answer["refresh_token"]


def test_remove_account_and_clear_cache(emulator, msal_app, cache_path):
    msal, _ = msal_app
    write_user_cache(emulator, msal, cache_path, mint_user_tokens(emulator, "bob@contoso.example"))
    with user_client(emulator, cache_path) as client:
        [account] = client.accounts()
        client.remove_account(account["home_account_id"])
        assert client.accounts() == []
        with pytest.raises(kusto.AuthenticationError):
            client.acquire_token()
    data = json.load(open(cache_path))
    assert data["AccessToken"] == {} and data["RefreshToken"] == {} and data["Account"] == {}
    config = emulator.config
    with kusto.Client(config["connection_string"], **options(config, cache_path=cache_path)) as client:
        client.acquire_token()
        client.clear_cache()
        assert client.acquire_token()["from_cache"] is False
    assert len(token_requests(emulator)) == 2


def test_cache_option_values(emulator):
    with pytest.raises(kusto.Error) as info:
        kusto.Client(emulator.config["connection_string"], cache="disk")
    assert "'cache'" in str(info.value)


def test_memory_cache_hits_end_when_the_cache_is_cleared(emulator):
    """A client reuses the token it handed out last only while its in-memory cache is unchanged."""
    config = emulator.config
    emulator.reset()
    client = kusto.Client(config["connection_string"], ca_file=config["ca_file"])
    first = client.acquire_token()
    assert [client.acquire_token()["from_cache"] for _ in range(3)] == [True, True, True]
    client.clear_cache()
    again = client.acquire_token()
    assert again["from_cache"] is False and again["access_token"] != first["access_token"]
    assert len(emulator.requests("/%s/oauth2/v2.0/token" % config["tenant"])) == 2
    client.close()


NO_CREDENTIAL = r"""
import json, sys, kusto
cs, ca_file, cache_path = sys.argv[1:4]
client = kusto.Client(cs, ca_file=ca_file, cache_path=cache_path)
out = {"from_cache": client.acquire_token()["from_cache"], "accounts": [a["username"] for a in client.accounts()]}
client.clear_cache()
try:
    client.acquire_token()
except kusto.AuthenticationError as e:
    out["after_clear"] = str(e)
print(json.dumps(out))
"""


def test_no_credential_and_nobody_there_is_served_by_the_cache(emulator, msal_app, cache_path):
    """The interactive fallback with a file cache: an account signed in before answers silently, with no
    terminal; only when the cache cannot answer is the missing person an error."""
    msal, _ = msal_app
    config = emulator.config
    answer = mint_user_tokens(emulator, "ann@contoso.example")
    cache = msal.SerializableTokenCache()
    cache.add({"client_id": "db662dc1-0cfe-4e1c-a843-19a68e65be58", "scope": [config["resource"] + "/.default"],
               "token_endpoint": config["authority"] + "/oauth2/v2.0/token", "response": dict(answer),
               "grant_type": "authorization_code"})
    os.makedirs(os.path.dirname(cache_path), mode=0o700)
    with os.fdopen(os.open(cache_path, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
        f.write(cache.serialize())
    emulator.reset()
    cs = "Data Source=%s;AAD Federated Security=True;Authority Id=%s" % (config["cluster"], config["authority"])
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "BROWSER")}
    child = subprocess.run([sys.executable, "-c", NO_CREDENTIAL, cs, config["ca_file"], cache_path],
                           stdin=subprocess.DEVNULL, capture_output=True, text=True, env=env, timeout=60)
    assert child.returncode == 0, child.stderr
    out = json.loads(child.stdout)
    assert out["from_cache"] is True and out["accounts"] == ["ann@contoso.example"]
    assert "interactive sign-in is impossible here: stdin is not a terminal" in out["after_clear"]
    assert token_requests(emulator) == []
    # Without a persistent cache: refused at once, as before.
    child = subprocess.run([sys.executable, "-c", "import kusto, sys; kusto.Client(sys.argv[1])", cs],
                           stdin=subprocess.DEVNULL, capture_output=True, text=True, env=env, timeout=60)
    assert child.returncode != 0 and "AuthenticationError" in child.stderr and "gives no credential" in child.stderr
