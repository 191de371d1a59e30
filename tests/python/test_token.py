"""kusto.acquire_token and Client.acquire_token against the emulator's Azure AD."""
import time

import pytest

import kusto


pytestmark = pytest.mark.usefixtures("clean_emulator")


def options(config, **extra):
    return dict(ca_file=config["ca_file"], authority=config["authority"], **extra)


def token_requests(emulator):
    return [r for r in emulator.requests() if r["path"].endswith("/token")]


def test_acquire_token_returns_a_bearer_token_for_the_cluster(emulator):
    config = emulator.config
    token = kusto.acquire_token(config["connection_string"], **options(config))
    assert set(token) == {"access_token", "token_type", "expires_on", "resource", "authority", "from_cache"}
    assert token["token_type"] == "Bearer"
    assert token["access_token"].count(".") == 2  # a JWT
    assert token["resource"].rstrip("/") == config["resource"].rstrip("/")
    assert token["authority"].rstrip("/").lower() == config["authority"].rstrip("/").lower()
    assert time.time() + 600 < token["expires_on"] < time.time() + 2 * 3600
    assert token["from_cache"] is False
    [request] = token_requests(emulator)
    assert request["method"] == "POST"
    assert request["form"]["client_id"] == config["client_id"]
    assert request["form"]["scope"].startswith(config["resource"].rstrip("/"))


def test_second_acquire_token_on_a_client_is_a_cache_hit(emulator):
    config = emulator.config
    with kusto.Client(config["connection_string"], **options(config)) as client:
        first = client.acquire_token()
        second = client.acquire_token()
    assert first["from_cache"] is False
    assert second["from_cache"] is True
    assert second["access_token"] == first["access_token"]
    assert len(token_requests(emulator)) == 1


def test_query_after_acquire_token_reuses_the_cached_token(emulator):
    config = emulator.config
    with kusto.Client(config["connection_string"], **options(config)) as client:
        client.acquire_token()
        client.query(None, "print x=1")
    assert len(token_requests(emulator)) == 1
    [query] = emulator.requests("/v2/rest/query")
    assert query["has_authorization"] is True
    assert query["token_aud"].rstrip("/") == config["resource"].rstrip("/")


def test_options_override_the_connection_string(emulator):
    config = emulator.config
    cs = "Data Source=%s;AAD Federated Security=True;Application Client Id=%s;Application Key=wrong" % (
        config["cluster"], config["client_id"])
    token = kusto.acquire_token(cs, client_secret=config["client_secret"], **options(config))
    assert token["token_type"] == "Bearer"


def test_acquire_token_without_authentication_is_an_argument_error(emulator):
    with pytest.raises(kusto.ArgumentError):
        kusto.acquire_token("Data Source=%s" % emulator.config["cluster"], ca_file=emulator.config["ca_file"])
    assert token_requests(emulator) == []


def test_repr_of_a_client_shows_no_secret(emulator):
    config = emulator.config
    with kusto.Client(config["connection_string"], **options(config)) as client:
        token = client.acquire_token()
        text = repr(client)
    assert config["cluster"] in text
    assert config["client_secret"] not in text
    assert token["access_token"] not in text
    assert "closed" in repr(client)


def test_sign_in_option_picks_the_method_by_name(emulator):
    cfg = emulator.config
    with pytest.raises(kusto.ArgumentError, match=r"unknown sign_in 'nope' \(known: .*application_secret"):
        kusto.Client(cfg["connection_string"], ca_file=cfg["ca_file"], sign_in="nope")
    with pytest.raises(kusto.ArgumentError, match="sign_in 'user_token' lacks its credentials"):
        kusto.Client(cfg["connection_string"], ca_file=cfg["ca_file"], sign_in="user_token")
    client = kusto.Client(cfg["connection_string"], ca_file=cfg["ca_file"], sign_in="application_secret")
    assert client.acquire_token()["token_type"] == "Bearer"
