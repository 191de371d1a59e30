"""OpenID Connect discovery, as MSAL does it: an authority off Microsoft's well-known hosts (the emulator's
https://127.0.0.1:PORT/{tenant}) is asked for {authority}/v2.0/.well-known/openid-configuration once per process
(core/src/process_cache.c) before any credential is sent, and the endpoints it names are used only when they are on the authority's host.
Also: the cloud metadata and the discovery are retried as token requests are."""
import pytest

import kusto

METADATA = "/v1/rest/auth/metadata"

pytestmark = pytest.mark.usefixtures("clean_emulator")


def discovery_path(config, v1=False):
    return "/%s%s/.well-known/openid-configuration" % (config["tenant"], "" if v1 else "/v2.0")


def token_requests(emulator):
    return [r for r in emulator.requests() if r["path"].endswith("/token")]


def answer(result):
    return result["primary_results"][0]["rows"][0][0]


def new_client(config, **options):
    return kusto.Client(config["connection_string"], ca_file=config["ca_file"], **options)


def test_discovery_happens_once_per_process_before_the_first_token_request(emulator):
    config = emulator.config
    with new_client(config) as client:
        assert answer(client.query(None, "print x=1")) == 1
        assert answer(client.query(None, "print x=2")) == 2
    with new_client(config) as client:
        assert answer(client.query(None, "print x=3")) == 3
    discoveries = emulator.requests(discovery_path(config))
    assert len(discoveries) == 1                  # once per process: the second client uses the kept answer
    assert all(r["method"] == "GET" and not r["has_authorization"] for r in discoveries)
    paths = [r["path"] for r in emulator.requests()]
    token_path = "/%s/oauth2/v2.0/token" % config["tenant"]
    assert paths.index(discovery_path(config)) < paths.index(token_path)
    assert [r["path"] for r in token_requests(emulator)] == [token_path] * 2


def test_aad_v1_reads_the_v1_document(emulator):
    config = emulator.config
    token = kusto.acquire_token(config["connection_string"], ca_file=config["ca_file"], aad_v1="true")
    assert token["access_token"]
    assert len(emulator.requests(discovery_path(config, v1=True))) == 1
    assert emulator.requests(discovery_path(config)) == []
    assert [r["path"] for r in token_requests(emulator)] == ["/%s/oauth2/token" % config["tenant"]]


def test_the_token_endpoint_the_document_names_is_used(emulator):
    config = emulator.config
    other = "%s/%s/oauth2/v2.0/token" % (config["login_endpoint"].replace("127.0.0.1", "localhost"),
                                       config["tenant_domain"])
    emulator.fault(path=discovery_path(config), status=200, count=1,
                   body={"token_endpoint": other, "authorization_endpoint": config["authority"] + "/a",
                         "issuer": config["authority"] + "/v2.0"})
    assert kusto.acquire_token(config["connection_string"], ca_file=config["ca_file"])["access_token"]
    assert [r["path"] for r in token_requests(emulator)] == ["/%s/oauth2/v2.0/token" % config["tenant_domain"]]


@pytest.mark.parametrize("body, error, message", [
    ("not json", kusto.ProtocolError, "invalid OpenID configuration of the authority: the answer is not a JSON object"),
    ({"issuer": "x"}, kusto.ProtocolError, "no token_endpoint"),
    ({"token_endpoint": "https://evil.example/t/oauth2/v2.0/token", "authorization_endpoint": "https://evil.example/a"},
     kusto.UntrustedEndpointError, "its host 'evil.example' is not the authority's host '127.0.0.1'"),
])
def test_a_bad_document_is_typed_and_no_credential_is_sent(emulator, body, error, message):
    config = emulator.config
    emulator.fault(path=discovery_path(config), status=200, body=body, count=1)
    with new_client(config) as client:
        with pytest.raises(error, match=message) as raised:
            client.query(None, "print 1")
        assert config["client_secret"] not in str(raised.value)
        assert token_requests(emulator) == [] and emulator.requests("/v2/rest/query") == []
        assert answer(client.query(None, "print x=4")) == 4          # a failure is not cached: asked again
    assert len(emulator.requests(discovery_path(config))) == 2


def test_an_unknown_tenant_is_an_authentication_error(emulator):
    config = emulator.config
    cs = config["connection_string"].replace("Authority Id=" + config["authority"],
                                             "Authority Id=%s/nosuchtenant.example" % config["login_endpoint"])
    with pytest.raises(kusto.AuthenticationError, match="OpenID Connect discovery .* HTTP 400: invalid_tenant") as e:
        kusto.acquire_token(cs, ca_file=config["ca_file"])
    assert e.value.aadsts == 90002
    assert token_requests(emulator) == []


def test_discovery_is_retried_after_503(emulator):
    config = emulator.config
    emulator.fault(path=discovery_path(config), status=503, headers={"Retry-After": "1"}, count=1)
    with new_client(config) as client:
        assert answer(client.query(None, "print x=5")) == 5
    assert [r["status"] for r in emulator.requests(discovery_path(config))] == [503, 200]


def test_cloud_metadata_is_retried_after_503(emulator):
    config = emulator.config
    emulator.fault(path=METADATA, status=503, headers={"Retry-After": "1"}, count=1)
    with new_client(config) as client:
        assert answer(client.query(None, "print x=6")) == 6
    assert [r["status"] for r in emulator.requests(METADATA)] == [503, 200]


def test_metadata_retries_stop_at_max_retries(emulator):
    config = emulator.config
    emulator.fault(path=METADATA, status=503, headers={"Retry-After": "0"}, count=None)
    with new_client(config, max_retries="2") as client:
        with pytest.raises(kusto.ServiceError, match="cloud metadata .*HTTP 503"):
            client.query(None, "print 1")
    assert len(emulator.requests(METADATA)) == 3


def test_msal_accepts_the_emulators_document(emulator, monkeypatch):
    """Interop: MSAL Python, pointed at the emulator's (not well-known) authority, discovers its endpoints from
    the same document and gets a token from the token endpoint it names."""
    msal = pytest.importorskip("msal")
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    config = emulator.config
    app = msal.ConfidentialClientApplication(config["client_id"], client_credential=config["client_secret"],
                                             authority=config["authority"], verify=config["ca_file"],
                                             validate_authority=False)
    result = app.acquire_token_for_client(scopes=[config["resource"] + "/.default"])
    assert "access_token" in result, result.get("error_description")
    assert app.authority.token_endpoint == config["authority"] + "/oauth2/v2.0/token"
    assert app.authority.device_authorization_endpoint == config["authority"] + "/oauth2/v2.0/devicecode"
    assert len(emulator.requests(discovery_path(config))) == 1
    assert [r["path"] for r in token_requests(emulator)] == ["/%s/oauth2/v2.0/token" % config["tenant"]]
