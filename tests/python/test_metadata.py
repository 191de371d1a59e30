"""Cloud metadata discovery (GET /v1/rest/auth/metadata): the token resource and login endpoint come from the
cluster, asked only once it passed the trusted check, once per client."""
import threading

import pytest

import kusto

METADATA = "/v1/rest/auth/metadata"


pytestmark = pytest.mark.usefixtures("clean_emulator")


def app_connection_string(config, authority_id):
    return ("Data Source=%s;Initial Catalog=%s;AAD Federated Security=True;Application Client Id=%s;"
            "Application Key=%s;Authority Id=%s" % (config["cluster"], config["database"], config["client_id"],
                                                     config["client_secret"], authority_id))


def answer(result):
    return result["primary_results"][0]["rows"][0][0]


def token_requests(emulator):
    return [r for r in emulator.requests() if r["path"].endswith("/token")]


def test_login_endpoint_and_resource_come_from_the_metadata(emulator):
    config = emulator.config
    # A plain tenant and no authority option: the emulator's LoginEndpoint is the only way to reach its Azure AD.
    with kusto.Client(app_connection_string(config, config["tenant"]), ca_file=config["ca_file"]) as client:
        assert answer(client.query(None, "print x=1")) == 1
        assert answer(client.query(None, "print x=2")) == 2
    [metadata] = emulator.requests(METADATA)
    assert metadata["method"] == "GET" and metadata["has_authorization"] is False
    [token_request] = token_requests(emulator)
    assert token_request["path"] == "/%s/oauth2/v2.0/token" % config["tenant"]
    assert token_request["form"]["scope"] == config["resource"] + "/.default"
    assert [r["token_aud"] for r in emulator.requests("/v2/rest/query")] == [config["resource"]] * 2
    paths = [r["path"] for r in emulator.requests()]
    assert paths.index(METADATA) < paths.index(token_request["path"])


def test_the_resource_the_metadata_names_is_the_token_audience(emulator):
    config = emulator.config
    emulator.settings(metadata_resource="https://localhost")
    with kusto.Client(config["connection_string"], ca_file=config["ca_file"]) as client:
        assert client.acquire_token()["resource"] == "https://localhost"
        assert answer(client.query(None, "print x=1")) == 1
    [token_request] = token_requests(emulator)
    assert token_request["form"]["scope"] == "https://localhost/.default"
    [query] = emulator.requests("/v2/rest/query")
    assert query["token_aud"] == "https://localhost"


def test_mfa_required_cloud_uses_the_kustomfa_resource(emulator):
    config = emulator.config
    emulator.settings(metadata_resource="https://kusto.kusto.localhost", metadata_mfa_required=True)
    with kusto.Client(config["connection_string"], ca_file=config["ca_file"]) as client:
        assert answer(client.query(None, "print x=1")) == 1
    [token_request] = token_requests(emulator)
    assert token_request["form"]["scope"] == "https://kusto.kustomfa.localhost/.default"
    [query] = emulator.requests("/v2/rest/query")
    assert query["token_aud"] == "https://kusto.kustomfa.localhost"


def test_no_metadata_means_the_public_cloud_and_is_cached(emulator):
    config = emulator.config
    emulator.settings(metadata_status=404)
    with kusto.Client(config["connection_string"], ca_file=config["ca_file"]) as client:
        for _ in range(2):
            # The public resource: the emulator's Azure AD does not know it, which shows what was asked for.
            with pytest.raises(kusto.AuthenticationError) as info:
                client.query(None, "print 1")
            assert info.value.aadsts == 500011
    assert len(emulator.requests(METADATA)) == 1
    assert [r["form"]["scope"] for r in token_requests(emulator)] == ["https://kusto.kusto.windows.net/.default"] * 2


def test_a_failed_metadata_request_is_typed_and_retried(emulator):
    config = emulator.config
    emulator.fault(path=METADATA, status=500, body="boom", count=1)
    with kusto.Client(config["connection_string"], ca_file=config["ca_file"]) as client:
        with pytest.raises(kusto.ServiceError, match="cloud metadata .*HTTP 500"):
            client.query(None, "print 1")
        assert token_requests(emulator) == [] and emulator.requests("/v2/rest/query") == []
        assert answer(client.query(None, "print x=3")) == 3
    assert [r["status"] for r in emulator.requests(METADATA)] == [500, 200]


@pytest.mark.parametrize("body", [{}, {"AzureAD": {"LoginEndpoint": "https://x"}}])
def test_an_empty_or_incomplete_answer_is_a_protocol_error(emulator, body):
    config = emulator.config
    emulator.fault(path=METADATA, status=200, body=body, count=1)
    with pytest.raises(kusto.ProtocolError, match="invalid cloud metadata"):
        kusto.query(config["connection_string"], None, "print 1", ca_file=config["ca_file"])
    assert token_requests(emulator) == []


def test_concurrent_first_calls_fetch_once(emulator):
    config = emulator.config
    emulator.fault(path=METADATA, delay=0.5, count=1)
    results, errors = [], []
    with kusto.Client(config["connection_string"], ca_file=config["ca_file"]) as client:
        def run():
            try:
                results.append(answer(client.query(None, "print x=5")))
            except Exception as e:                                      # noqa: BLE001 (reported below)
                errors.append(e)
        threads = [threading.Thread(target=run) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert errors == [] and results == [5] * 4
    assert len(emulator.requests(METADATA)) == 1


def test_untrusted_cluster_is_never_asked_for_metadata(emulator):
    config = emulator.config
    cs = app_connection_string(config, config["tenant"]).replace(config["cluster"], "https://evil.example.com")
    with pytest.raises(kusto.UntrustedEndpointError, match="evil.example.com"):
        kusto.query(cs, None, "print 1", ca_file=config["ca_file"])
    with pytest.raises(kusto.UntrustedEndpointError, match="evil.example.com"):
        kusto.acquire_token(cs, ca_file=config["ca_file"])
    assert emulator.requests() == []


def test_no_authentication_and_callers_tokens_skip_the_metadata(emulator):
    config = emulator.config
    base = "Data Source=%s;Initial Catalog=%s" % (config["cluster"], config["database"])
    with pytest.raises(kusto.AuthenticationError):
        kusto.query(base, None, "print 1", ca_file=config["ca_file"])
    assert [r["path"] for r in emulator.requests()] == ["/v2/rest/query"]
    token = kusto.acquire_token(config["connection_string"], ca_file=config["ca_file"])["access_token"]
    emulator.reset()
    for keyword in ("User Token", "Application Token"):
        cs = "%s;AAD Federated Security=True;%s=%s" % (base, keyword, token)
        assert answer(kusto.query(cs, None, "print x=7", ca_file=config["ca_file"])) == 7
    assert emulator.requests(METADATA) == []
    assert len(emulator.requests("/v2/rest/query")) == 2


def test_emulator_rejects_bad_metadata_settings(emulator):
    import requests
    with pytest.raises(requests.HTTPError):
        emulator.settings(metadata_mfa_required="yes")
    with pytest.raises(requests.HTTPError):
        emulator.settings(metadata_resource=5)


@pytest.mark.parametrize("cluster, status", [("https://x.kusto.windows.net", kusto.UntrustedEndpointError),
                                             ("https://x.kusto.usgovcloudapi.net", kusto.NetworkError)])
def test_environment_sign_in_is_checked_against_its_own_login_endpoint(emulator, monkeypatch, cluster, status):
    # The client's authority is the public cloud's; the token would come from AZURE_AUTHORITY_HOST's cloud.
    monkeypatch.setenv("AZURE_AUTHORITY_HOST", "https://login.microsoftonline.us")
    monkeypatch.setenv("AZURE_CLIENT_ID", "app")
    monkeypatch.setenv("AZURE_TENANT_ID", "tenant")
    monkeypatch.setenv("AZURE_CLIENT_SECRET", "not-a-real-secret")
    with pytest.raises(status) as info:
        kusto.query("Data Source=%s;AAD Federated Security=True" % cluster, "db", "print 1", sign_in="environment",
                    timeout="5")
    if status is kusto.NetworkError:
        assert cluster + METADATA in str(info.value)
    else:
        assert "login endpoint 'https://login.microsoftonline.us'" in str(info.value)
