"""The emulator answers as the real services do: Azure AD's AADSTS500011 for a resource no app exposes, the KQL a
first-time user tries, and an honest "not supported by the emulator" for the KQL it does not know."""
import urllib.parse
import uuid

import pytest

import kusto

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


# --- KQL: what a first-time user tries, answered alike through every client ---------------------------------

TRIED = [
    ('datatable(name:string, n:long, x:real) ["a", 1, 1.5, "b", 2, 2.5, "a", 3, 0.5, "c", 4, 4.0] '
     '| where n > 1 and name != "c" or name has "A" | summarize c=count(), total=sum(n), top_x=max(x) by name '
     '| sort by name asc', [["a", 2, 4, 1.5], ["b", 1, 2, 2.5]]),
    ('StormEvents | where State == "TEXAS" | summarize count() by EventType | order by EventType asc',
     [["Flash Flood", 1], ["Flood", 1], ["Thunderstorm Wind", 1]]),
    ('StormEvents | where EventType contains "flood" and State startswith "min" or DamageProperty >= 250000000 '
     '| project State, EventType, DamageProperty | sort by DamageProperty desc',
     [["KANSAS", "Tornado", 250000000], ["MINNESOTA", "Flood", 3000000]]),
    ('StormEvents | summarize n=count(), deaths=sum(DeathsDirect), least=min(InjuriesDirect), '
     'mean=avg(InjuriesDirect), kinds=dcount(EventType)', [[12, 27, 0, 81 / 12, 7]]),
    ('StormEvents | where State in ("KANSAS", "IOWA") and EventType !has "hail" | top 1 by StartTime asc '
     '| project EventId', [[28034]]),
    ('range x from 1 to 10 step 1 | where x % 2 == 0 and x < 9 | order by x desc', [[8], [6], [4], [2]]),
]


@pytest.fixture
def azure_kusto(emulator, monkeypatch):
    """azure-kusto-data (PyPI) pointed at the emulator with a token the emulator's Azure AD issued (MSAL there
    would ask login.microsoftonline.com for instance discovery, which this machine cannot reach)."""
    data = pytest.importorskip("azure.kusto.data")
    import kusto
    config = emulator.config
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", config["ca_file"])
    monkeypatch.setenv("NO_PROXY", "*")
    token = kusto.acquire_token(config["connection_string"], ca_file=config["ca_file"])["access_token"]
    builder = data.KustoConnectionStringBuilder.with_aad_application_token_authentication(config["cluster"], token)
    with data.KustoClient(builder) as azure_client:
        yield data, azure_client


def azure_rows(response):
    return [row.to_list() for row in response.primary_results[0]]


@pytest.mark.parametrize("csl, rows", TRIED)
def test_first_queries_answer_the_same_through_libkusto_and_azure_kusto_data(emulator, client, azure_kusto, csl,
                                                                               rows):
    database = emulator.config["database"]
    assert client.query(database, csl)["primary_results"][0]["rows"] == rows
    assert azure_rows(azure_kusto[1].execute_query(database, csl)) == rows


def test_show_tables_has_the_v1_shape_and_answers_both_clients(emulator, client, azure_kusto, http, token):
    database = emulator.config["database"]
    [table] = post_query(http, emulator.config, ".show tables", token, path="/v1/rest/mgmt").json()["Tables"]
    assert table["TableName"] == "Table_0"
    assert [(c["ColumnName"], c["DataType"]) for c in table["Columns"]] == [
        ("TableName", "String"), ("DatabaseName", "String"), ("Folder", "String"), ("DocString", "String")]
    expected = [["StormEvents", database, "", ""]]
    assert table["Rows"] == expected
    assert client.mgmt(database, ".show tables")["primary_results"][0]["rows"] == expected
    assert azure_rows(azure_kusto[1].execute_mgmt(database, ".show tables")) == expected


def test_query_parameters_come_from_the_request_properties(emulator, client, azure_kusto):
    database = emulator.config["database"]
    csl = ('declare query_parameters(state:string, since:datetime = datetime(2007-01-01), n:long = 100);\n'
           'StormEvents | where State == state and StartTime > since | take n | project EventId')
    emulator.reset()
    rows = client.query(database, csl, properties={"Parameters": {"state": "KANSAS", "since": "2007-03-01"}})
    assert rows["primary_results"][0]["rows"] == [[28034]]
    [sent] = emulator.requests("/v2/rest/query")
    assert sent["body"]["properties"]["Parameters"] == {"state": "KANSAS", "since": "2007-03-01"}
    properties = azure_kusto[0].ClientRequestProperties()
    properties.set_parameter("state", "TEXAS")
    properties.set_parameter("n", "2")
    assert azure_rows(azure_kusto[1].execute_query(database, csl, properties)) == [[9488], [22551]]
    with pytest.raises(kusto.ServiceError, match="no value was given for the query parameter 'state'"):
        client.query(database, csl)


NOT_IMPLEMENTED = [
    ("StormEvents | join kind=inner (StormEvents) on EventId", "the 'join' operator"),
    ("StormEvents | mv-expand StormSummary", "the 'mv-expand' operator"),
    ("StormEvents | summarize make_list(State) by EventType", "the function make_list()"),
    ("StormEvents | extend d = format_datetime(StartTime, 'yyyy')", "the function format_datetime()"),
    ("let states = 1; StormEvents | take states", "'let'"),
    ("StormEvents | where DamageProperty between (1 .. 1000)", "'between'"),
    ("union StormEvents, StormEvents", "the 'union' operator"),
    ("StormEvents | render timechart", "the 'render' operator"),
]


@pytest.mark.parametrize("csl, what", NOT_IMPLEMENTED)
def test_valid_kql_the_emulator_lacks_is_said_to_be_not_supported(emulator, http, token, client, csl, what):
    response = post_query(http, emulator.config, csl, token)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "General_BadRequest" and error["@permanent"] is True
    assert error["@type"] == "Kusto.Emulator.NotSupportedException"
    assert error["@message"].startswith("Request is invalid and cannot be processed: %s is not supported by the "
                                        "emulator (it implements print, range, datatable" % what)
    assert "SYN0" not in error["@message"] and "SEM0" not in error["@message"]
    with pytest.raises(kusto.ServiceError, match="not supported by the emulator"):
        client.query(None, csl)


@pytest.mark.parametrize("command", [".create table T (a:int)", ".show functions", ".drop table StormEvents"])
def test_control_commands_the_emulator_lacks_are_said_to_be_not_supported(client, command):
    with pytest.raises(kusto.ServiceError, match="the command '%s' is not supported by the emulator \\(it "
                                                 "implements .show version, .show databases, .show tables\\)"
                       % " ".join(command.split()[:2])):
        client.mgmt(None, command)


@pytest.mark.parametrize("csl, message", [
    ("print 1 +", "Syntax error: SYN0002: Query could not be parsed at '<end of query>'"),
    ("StormEvents | frobnicate", "Syntax error: SYN0002: Query could not be parsed at 'frobnicate'"),
    ("NoSuchTable | count", "Semantic error: SEM0100: 'count' operator: Failed to resolve table or column "
                            "expression named 'NoSuchTable'"),
    ("print nosuch(1)", "Semantic error: SEM0219"),
])
def test_what_is_not_kql_still_gets_kusto_s_own_errors(client, csl, message):
    with pytest.raises(kusto.ServiceError, match=message.replace("(", "\\(").replace(")", "\\)")) as info:
        client.query(None, csl)
    assert "not supported by the emulator" not in str(info.value)
    with pytest.raises(kusto.ServiceError, match="Syntax error: SYN0002: Query could not be parsed at '.frobnicate'"):
        client.mgmt(None, ".frobnicate the cluster")


def test_a_command_sent_to_the_v2_query_endpoint_is_refused_in_kusto_s_words(client, azure_kusto):
    """Real Kusto's answer (as recorded in azure-kusto-go's testData/error.txt): 400, plain text. libkusto routes
    a command given to query to the management endpoint, so its users never see it."""
    refusal = r"^Bad request: Control commands \(starting with a dot '\.'\) do not support api_version=v2\n" \
              r"Error details:\nClientRequestId='K.C\.execute;[0-9a-f-]+', ActivityId='[0-9a-f-]+', Timestamp='"
    with pytest.raises(azure_kusto[0].exceptions.KustoServiceError, match=refusal):
        azure_kusto[1].execute_query("Samples", ".show tables")
    routed = client.query(None, ".show tables")
    assert routed["tables"][0]["rows"] == client.mgmt(None, ".show tables")["tables"][0]["rows"]


def test_managed_identity_endpoints_relay_aadsts500011_for_a_resource_no_app_exposes(emulator, http):
    config = emulator.config
    imds = http.get(config["imds_endpoint"] + "/metadata/identity/oauth2/token", headers={"Metadata": "true"},
                    params={"api-version": "2018-02-01", "resource": "https://kusto.example.com"})
    assert imds.status_code == 400 and imds.json()["error"] == "invalid_resource"
    assert imds.json()["error_description"] == ("AADSTS500011: The resource principal named https://kusto.example.com "
                                                "was not found in the tenant named %s.%s" % (config["tenant"],
                                                                                           AADSTS500011_TAIL))
    app_service = http.get(config["identity_endpoint"], headers={"X-IDENTITY-HEADER": config["identity_header"]},
                           params={"api-version": "2019-08-01", "resource": "https://127.0.0.1:1"})
    assert app_service.status_code == 400 and app_service.json()["message"].startswith(
        "AADSTS500011: The resource principal named https://127.0.0.1:1 was not found")
    granted = http.get(config["imds_endpoint"] + "/metadata/identity/oauth2/token", headers={"Metadata": "true"},
                       params={"api-version": "2018-02-01", "resource": config["resource"]})
    assert granted.status_code == 200 and claims_of(granted.json()["access_token"])["aud"] == config["resource"]
