"""azure-core's TokenCredential both ways: azure-identity's credentials in (Client(cs, credential=...)), libkusto's
sign-in out (kusto.Credential) to an azure-core pipeline; against the emulator's Azure AD and cluster."""
import base64
import json
import time

import pytest
from azure.core.credentials import AccessTokenInfo
from azure.core.pipeline import Pipeline
from azure.core.pipeline.policies import BearerTokenCredentialPolicy
from azure.core.pipeline.transport import RequestsTransport
from azure.core.rest import HttpRequest
from azure.identity import ClientSecretCredential

import kusto

pytestmark = pytest.mark.usefixtures("clean_emulator")


def bare_cs(config):
    """The cluster and database, no credential: the credential object brings the tokens."""
    return "Data Source=%s;Initial Catalog=%s" % (config["cluster"], config["database"])


def token_requests(emulator):
    return [r for r in emulator.requests() if r["path"].endswith("/token")]


def claims_of(token):
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def secret_credential(config):
    return ClientSecretCredential(config["tenant"], config["client_id"], config["client_secret"],
                                  authority=config["login_endpoint"], disable_instance_discovery=True,
                                  connection_verify=config["ca_file"])


class Counting:
    """Passes a credential's calls on, counting the scopes asked."""

    def __init__(self, credential, *, info=True):
        self.credential, self.scopes = credential, []
        if info:
            self.get_token_info = self._get_token_info

    def get_token(self, *scopes, **kwargs):
        self.scopes.extend(scopes)
        return self.credential.get_token(*scopes, **kwargs)

    def _get_token_info(self, *scopes, **kwargs):
        self.scopes.extend(scopes)
        return self.credential.get_token_info(*scopes, **kwargs)


class Fixed:
    """A credential handing out one token with the given expiry (and refresh_on)."""

    def __init__(self, token, expires_on, refresh_on=None):
        self.token, self.expires_on, self.refresh_on, self.calls = token, expires_on, refresh_on, 0

    def get_token_info(self, *scopes, options=None):
        self.calls += 1
        return AccessTokenInfo(self.token, self.expires_on, refresh_on=self.refresh_on)


# --- azure-identity in -------------------------------------------------------------------------------------------

def test_a_client_secret_credential_signs_the_client_in(emulator):
    config = emulator.config
    credential = Counting(secret_credential(config))
    with kusto.Client(bare_cs(config), credential=credential, ca_file=config["ca_file"]) as client:
        assert client.query(None, "print x=1")["primary_results"][0]["rows"] == [[1]]
        assert client.query(None, "print x=2")["primary_results"][0]["rows"] == [[2]]
        token = client.acquire_token()
    assert credential.scopes == [config["resource"] + "/.default"]  # asked once: its token is kept
    [request] = token_requests(emulator)  # azure-identity's own request to the emulator's Azure AD
    assert request["path"] == "/%s/oauth2/v2.0/token" % config["tenant"]
    assert claims_of(token["access_token"])["aud"] == config["resource"]
    assert token["expires_on"] == claims_of(token["access_token"])["exp"]
    assert len(emulator.requests("/v2/rest/query")) == 2


def test_the_one_shot_calls_take_a_credential(emulator):
    config = emulator.config
    result = kusto.query(bare_cs(config), None, "print x=3", credential=secret_credential(config),
                         ca_file=config["ca_file"])
    assert result["primary_results"][0]["rows"] == [[3]]
    token = kusto.acquire_token(bare_cs(config), credential=secret_credential(config), ca_file=config["ca_file"])
    assert claims_of(token["access_token"])["appid"] == config["client_id"]


def test_a_token_near_its_expiry_is_asked_for_again(emulator):
    config = emulator.config
    real = kusto.acquire_token(config["connection_string"], ca_file=config["ca_file"], authority=config["authority"])
    soon = Fixed(real["access_token"], int(time.time()) + 120)  # inside the 5 minutes' margin
    with kusto.Client(bare_cs(config), credential=soon, ca_file=config["ca_file"]) as client:
        client.query(None, "print 1")
        client.query(None, "print 1")
        assert client.acquire_token()["expires_on"] == soon.expires_on
    assert soon.calls == 3


def test_a_token_is_kept_until_its_refresh_on(emulator):
    config = emulator.config
    real = kusto.acquire_token(config["connection_string"], ca_file=config["ca_file"], authority=config["authority"])
    later = Fixed(real["access_token"], real["expires_on"])
    past = Fixed(real["access_token"], real["expires_on"], refresh_on=int(time.time()) - 1)
    for credential in (later, past):
        with kusto.Client(bare_cs(config), credential=credential, ca_file=config["ca_file"]) as client:
            client.query(None, "print 1")
            client.query(None, "print 1")
    assert (later.calls, past.calls) == (1, 2)


def test_a_credential_with_get_token_only_is_enough(emulator):
    config = emulator.config
    credential = Counting(secret_credential(config), info=False)
    assert not hasattr(credential, "get_token_info")
    token = kusto.acquire_token(bare_cs(config), credential=credential, ca_file=config["ca_file"])
    assert credential.scopes == [config["resource"] + "/.default"]
    assert token["expires_on"] > time.time() + 600


def test_a_failing_credential_is_an_authentication_error_chained_to_its_exception(emulator):
    config = emulator.config
    wrong = ClientSecretCredential(config["tenant"], config["client_id"], "not-the-secret",
                                   authority=config["login_endpoint"], disable_instance_discovery=True,
                                   connection_verify=config["ca_file"])
    with pytest.raises(kusto.AuthenticationError) as raised:
        kusto.query(bare_cs(config), None, "print 1", credential=wrong, ca_file=config["ca_file"])
    assert "ClientAuthenticationError" in str(raised.value)
    assert type(raised.value.__cause__).__name__ == "ClientAuthenticationError"
    assert "not-the-secret" not in str(raised.value)
    assert emulator.requests("/v2/rest/query") == []


def test_what_is_not_a_credential_is_refused(emulator):
    with pytest.raises(TypeError, match="TokenCredential.*not str"):
        kusto.Client(bare_cs(emulator.config), credential="a token")
    with pytest.raises(kusto.ArgumentError, match="credential or token_callback"):
        kusto.Client(bare_cs(emulator.config), credential=Fixed("t", 0), token_callback=lambda resource: "t")


# --- libkusto out ------------------------------------------------------------------------------------------------

def pipeline(credential, config):
    policy = BearerTokenCredentialPolicy(credential, config["resource"] + "/.default")
    return Pipeline(transport=RequestsTransport(connection_verify=config["ca_file"]), policies=[policy])


def query_request(config, csl):
    body = json.dumps({"db": config["database"], "csl": csl})
    return HttpRequest("POST", config["cluster"] + "/v2/rest/query", content=body,
                       headers={"Content-Type": "application/json"})


def test_an_azure_core_pipeline_queries_the_cluster_with_kusto_credential(emulator):
    config = emulator.config
    with kusto.Credential(config["connection_string"], ca_file=config["ca_file"],
                          authority=config["authority"]) as credential:
        with pipeline(credential, config) as p:
            first = p.run(query_request(config, "print x=41")).http_response
            second = p.run(query_request(config, "print x=42")).http_response
    assert (first.status_code, second.status_code) == (200, 200)
    assert "42" in second.text()
    assert len(token_requests(emulator)) == 1
    assert [r["has_authorization"] for r in emulator.requests("/v2/rest/query")] == [True, True]


def test_get_token_is_azure_core_shaped_and_cached(emulator):
    config = emulator.config
    with kusto.Client(config["connection_string"], ca_file=config["ca_file"], authority=config["authority"]) as c:
        credential = kusto.Credential(c)
        token = credential.get_token(config["resource"] + "/.default")
        token, expires_on = token  # unpacks as azure-core's AccessToken does
        info = credential.get_token_info(config["resource"] + "/.default")
        assert (info.token, info.expires_on, info.token_type, info.refresh_on) == (token, expires_on, "Bearer", None)
        assert c.acquire_token()["from_cache"] is True  # the client's own sign-in, shared
    assert claims_of(token)["aud"] == config["resource"] and expires_on == claims_of(token)["exp"]
    assert len(token_requests(emulator)) == 1


def test_a_token_for_another_resource_comes_from_the_same_sign_in(emulator):
    config = emulator.config
    api = "api://" + config["cert_client_id"]
    with kusto.Client(config["connection_string"], ca_file=config["ca_file"], authority=config["authority"]) as c:
        first = c.acquire_token(api + "/.default")
        again = kusto.Credential(c).get_token(api + "/.default")
        cluster = c.acquire_token()
    assert first["resource"] == api and first["from_cache"] is False
    assert claims_of(first["access_token"])["aud"] in (api, config["cert_client_id"])
    assert again.token == first["access_token"]  # from the cache
    assert claims_of(cluster["access_token"])["aud"] == config["resource"]
    scopes = [r["form"].get("scope") for r in token_requests(emulator)]
    assert scopes == [api + "/.default", config["resource"] + "/.default"]


def test_what_the_core_cannot_do_is_said(emulator):
    config = emulator.config
    with kusto.Credential(config["connection_string"], ca_file=config["ca_file"],
                          authority=config["authority"]) as credential:
        with pytest.raises(kusto.ArgumentError, match="one scope"):
            credential.get_token("a/.default", "b/.default")
        with pytest.raises(kusto.UnsupportedError, match="claims"):
            credential.get_token(config["resource"] + "/.default", claims='{"access_token": {}}')
        with pytest.raises(kusto.UnsupportedError, match="tenant"):
            credential.get_token_info(config["resource"] + "/.default", options={"tenant_id": "other"})
        with pytest.raises(kusto.ArgumentError, match="one scope per token"):
            credential.get_token("https://a/.default https://b/.default")
    user_token = "Data Source=%s;Fed=True;User Token=abc" % config["cluster"]
    with pytest.raises(kusto.UnsupportedError, match="User Token .* cluster only"):
        kusto.Credential(user_token, ca_file=config["ca_file"]).get_token("https://storage.azure.com/.default")
    assert token_requests(emulator) == []
