"""The emulator answers as the real services do: Azure AD's AADSTS500011 for a resource no app exposes, the KQL a
first-time user tries, and an honest "not supported by the emulator" for the KQL it does not know."""
import urllib.parse
import uuid

import pytest

from test_emulator import KUSTO_PUBLIC_CLIENT, claims_of, http, post_query, token, token_for  # noqa: F401

AADSTS500011_TAIL = (" This can happen if the application has not been installed by the administrator of the tenant or "
                     "consented to by any user in the tenant. You might have sent your authentication request to the "
                     "wrong tenant.")


# --- Azure AD: AADSTS500011 ---------------------------------------------------------------------------------

def assert_aadsts500011(response, resource, tenant, correlation):
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"error", "error_description", "error_codes", "timestamp", "trace_id", "correlation_id",
                         "error_uri"}
    assert body["error"] == "invalid_resource" and body["error_codes"] == [500011]
    first, trace, correlation_line, timestamp = body["error_description"].split("\r\n")
    assert first == "AADSTS500011: The resource principal named %s was not found in the tenant named %s.%s" % (
        resource, tenant, AADSTS500011_TAIL)
    assert trace == "Trace ID: " + body["trace_id"] and correlation_line == "Correlation ID: " + correlation
    assert timestamp == "Timestamp: " + body["timestamp"] and body["correlation_id"] == correlation
    uuid.UUID(body["trace_id"])


@pytest.mark.parametrize("resource", ["https://kusto.example.com", "https://127.0.0.1:8443", "https://127.0.0.2",
                                      "https://127.0.0.1/Samples", "http://127.0.0.1",
                                      "api://00000000-0000-0000-0000-000000000007"])
def test_a_resource_no_app_exposes_is_refused_with_aadsts500011(emulator, http, resource):
    config = emulator.config
    for tenant in (config["tenant"], config["tenant_domain"]):
        correlation = str(uuid.uuid4())
        response = http.post("%s/%s/oauth2/v2.0/token" % (config["login_endpoint"], tenant), headers={
            "client-request-id": correlation}, data={
            "grant_type": "client_credentials", "client_id": config["client_id"],
            "client_secret": config["client_secret"], "scope": resource + "/.default"})
        assert_aadsts500011(response, resource, tenant, correlation)


def test_user_flows_and_the_authorize_page_refuse_an_unknown_resource_too(emulator, http):
    config = emulator.config
    correlation = str(uuid.uuid4())
    refused = http.post(
        config["authority"] + "/oauth2/v2.0/token", headers={"client-request-id": correlation}, data={
            "grant_type": "password", "client_id": KUSTO_PUBLIC_CLIENT, "username": config["user"],
            "password": config["password"], "scope": "https://nosuch.kusto.windows.net/.default openid profile"})
    assert_aadsts500011(refused, "https://nosuch.kusto.windows.net", config["tenant"], correlation)
    landed = http.get(config["authority"] + "/oauth2/v2.0/authorize", allow_redirects=False, params={
        "client_id": KUSTO_PUBLIC_CLIENT, "response_type": "code", "redirect_uri": "http://localhost:9",
        "scope": "https://nosuch.kusto.windows.net/.default openid", "state": "s1"})
    assert landed.status_code == 302
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(landed.headers["Location"]).query))
    assert query["error"] == "invalid_resource" and query["state"] == "s1"
    assert query["error_description"] == ("AADSTS500011: The resource principal named https://nosuch.kusto.windows.net "
                                          "was not found in the tenant named %s.%s" % (config["tenant"],
                                                                                     AADSTS500011_TAIL))


@pytest.mark.parametrize("resource", ["{cluster}", "{cluster}/", "https://localhost", "https://LOCALHOST",
                                      "https://[::1]", "api://{client_id}"])
def test_the_resources_the_emulator_exposes(emulator, http, resource):
    config = emulator.config
    resource = resource.format(cluster=config["resource"], client_id=config["client_id"])
    assert claims_of(token_for(http, config, scope=resource + "/.default"))["aud"] == resource


def test_the_resource_the_metadata_advertises_is_exposed_while_it_is_advertised(emulator, http):
    config = emulator.config
    form = {"grant_type": "client_credentials", "client_id": config["client_id"],
            "client_secret": config["client_secret"], "scope": "https://help.kusto.windows.net/.default"}
    assert http.post(config["authority"] + "/oauth2/v2.0/token", data=form).json()["error_codes"] == [500011]
    emulator.settings(metadata_resource="https://help.kusto.windows.net")
    try:
        assert claims_of(token_for(http, config, scope=form["scope"]))["aud"] == "https://help.kusto.windows.net"
    finally:
        emulator.settings(metadata_resource=None)
