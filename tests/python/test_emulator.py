"""The emulator itself, spoken to with `requests` and with MSAL (a real Azure AD client)."""
import base64
import json
import os
import time
import uuid

import pytest
import requests

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures")


@pytest.fixture
def http(emulator):
    session = requests.Session()
    session.trust_env = False
    session.verify = emulator.config["ca_file"]
    yield session
    session.close()


def token_for(http, config, scope=None, **form):
    body = {"grant_type": "client_credentials", "client_id": config["client_id"],
            "client_secret": config["client_secret"], "scope": scope or config["resource"] + "/.default"}
    body.update(form)
    response = http.post("%s/oauth2/v2.0/token" % config["authority"], data=body)
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def claims_of(token):
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def post_query(http, config, csl, token, path="/v2/rest/query", db=None, options=None, headers=None, **kw):
    body = {"db": db or config["database"], "csl": csl}
    if options is not None:
        body["properties"] = {"Options": options}
    headers = dict(headers or {})
    if token:
        headers["Authorization"] = "Bearer " + token
    return http.post(config["cluster"] + path, json=body, headers=headers, **kw)


@pytest.fixture
def token(http, emulator):
    return token_for(http, emulator.config)


def frames_of(response):
    assert response.status_code == 200, response.text
    return response.json()


def primary_rows(frames):
    [table] = [f for f in frames if f.get("TableKind") == "PrimaryResult"]
    return table["Columns"], table["Rows"]


# --- Azure AD ---------------------------------------------------------------------------------------------

@pytest.fixture
def msal_app(emulator, monkeypatch):
    msal = pytest.importorskip("msal")
    # requests lets these variables override a Session's verify=, which MSAL's verify= sets.
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    config = emulator.config

    def make(secret=config["client_secret"], discovery=True):
        # MSAL validates an unknown authority host through instance discovery; pointed at the emulator, it asks
        # the emulator. After a failed attempt MSAL also looks up host aliases, always at login.microsoftonline.com
        # (unreachable here), so tests of failures turn instance discovery off.
        return msal.ConfidentialClientApplication(
            config["client_id"], client_credential=secret, authority=config["authority"], verify=config["ca_file"],
            instance_discovery=config["login_endpoint"] + "/common/discovery/instance" if discovery else False)
    return make


def test_msal_client_credentials_token_is_accepted_by_the_cluster(emulator, msal_app, http):
    emulator.reset()
    config = emulator.config
    result = msal_app().acquire_token_for_client([config["resource"] + "/.default"])
    assert "error" not in result, result.get("error_description")
    assert result["token_type"] == "Bearer" and result["expires_in"] == 3599
    claims = claims_of(result["access_token"])
    assert claims["aud"] == config["resource"]
    assert claims["tid"] == config["tenant"] and claims["ver"] == "2.0"
    assert claims["appid"] == claims["azp"] == config["client_id"]
    assert claims["iss"] == "%s/%s/v2.0" % (config["login_endpoint"], config["tenant"])
    assert claims["exp"] - claims["iat"] == 3599

    response = post_query(http, config, "print x=1", result["access_token"])
    assert primary_rows(frames_of(response))[1] == [[1]]

    paths = [r["path"] for r in emulator.requests()]
    assert paths == ["/common/discovery/instance",
                     "/%s/v2.0/.well-known/openid-configuration" % config["tenant"],
                     "/%s/oauth2/v2.0/token" % config["tenant"], "/v2/rest/query"]
    token_request = emulator.requests("/%s/oauth2" % config["tenant"])[0]
    assert token_request["form"]["client_secret"] == "<redacted>"
    assert token_request["client_secret_ok"] is True
    assert token_request["form"]["scope"] == config["resource"] + "/.default"


def test_msal_bad_secret_gets_aadsts7000215(emulator, msal_app):
    emulator.reset()
    result = msal_app(secret="not-the-secret", discovery=False).acquire_token_for_client([emulator.config["resource"] + "/.default"])
    assert result["error"] == "invalid_client"
    assert result["error_description"].startswith("AADSTS7000215: Invalid client secret provided.")
    assert result["error_codes"] == [7000215]
    [request] = emulator.requests("/%s/oauth2" % emulator.config["tenant"])
    assert request["status"] == 401 and request["client_secret_ok"] is False
    assert result["correlation_id"] == request["headers"]["client-request-id"]
    assert "Correlation ID: %s" % result["correlation_id"] in result["error_description"]


def test_openid_configuration_and_domain_name(emulator, http):
    config = emulator.config
    for tenant in (config["tenant"], config["tenant_domain"]):
        response = http.get("%s/%s/v2.0/.well-known/openid-configuration" % (config["login_endpoint"], tenant))
        assert response.status_code == 200
        document = response.json()
        assert document["token_endpoint"] == config["authority"] + "/oauth2/v2.0/token"
        assert document["device_authorization_endpoint"] == config["authority"] + "/oauth2/v2.0/devicecode"
        assert document["issuer"] == config["authority"] + "/v2.0"
    keys = http.get(document["jwks_uri"]).json()["keys"]
    assert keys[0]["kty"] == "RSA" and keys[0]["kid"] == json.loads(base64.urlsafe_b64decode(
        token_for(http, config).split(".")[0] + "=="))["kid"]
    unknown = http.get("%s/nosuch.example/v2.0/.well-known/openid-configuration" % config["login_endpoint"])
    assert unknown.status_code == 400 and unknown.json()["error_codes"] == [90002]


def test_client_secret_in_basic_auth(emulator, http):
    config = emulator.config
    response = http.post(config["authority"] + "/oauth2/v2.0/token",
                         data={"grant_type": "client_credentials", "scope": config["resource"] + "/.default"},
                         auth=(config["client_id"], config["client_secret"]))
    assert response.status_code == 200
    assert claims_of(response.json()["access_token"])["appid"] == config["client_id"]


@pytest.mark.parametrize("change, status, error, code", [
    ({"client_id": str(uuid.UUID(int=1))}, 400, "unauthorized_client", 700016),
    ({"scope": "https://127.0.0.1/user.read"}, 400, "invalid_scope", 70011),
    ({"scope": "https://127.0.0.1/.default https://localhost/.default"}, 400, "invalid_scope", 70011),
    ({"scope": "https://kusto.example.com/.default"}, 400, "invalid_resource", 500011),
    ({"grant_type": "urn:ietf:params:oauth:grant-type:saml1_1-bearer"}, 400, "unsupported_grant_type", 70003),
    ({"scope": None}, 400, "invalid_request", 900144),
    ({"client_secret": None}, 401, "invalid_client", 7000218),
    ({"tenant": "nosuch.example"}, 400, "invalid_tenant", 90002),
])
def test_token_endpoint_errors(emulator, http, change, status, error, code):
    config = emulator.config
    tenant = change.pop("tenant", config["tenant"])
    form = {"grant_type": "client_credentials", "client_id": config["client_id"],
            "client_secret": config["client_secret"], "scope": config["resource"] + "/.default"}
    form.update(change)
    form = {k: v for k, v in form.items() if v is not None}
    correlation = str(uuid.uuid4())
    response = http.post("%s/%s/oauth2/v2.0/token" % (config["login_endpoint"], tenant), data=form,
                         headers={"client-request-id": correlation})
    assert response.status_code == status
    body = response.json()
    assert body["error"] == error and body["error_codes"] == [code]
    assert body["error_description"].startswith("AADSTS%d: " % code)
    assert "\r\nTrace ID: %s\r\nCorrelation ID: %s\r\nTimestamp: " % (body["trace_id"], correlation) \
        in body["error_description"]
    assert body["correlation_id"] == correlation and body["error_uri"].endswith("?code=%d" % code)


# --- Kusto: authentication --------------------------------------------------------------------------------

def assert_unauthorized(response, reason):
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer authorization_uri=")
    error = response.json()["error"]
    assert error["code"] == "Unauthorized" and error["@permanent"] is True
    assert reason in error["@message"]
    assert response.headers["x-ms-activity-id"]


def test_query_without_token_is_401(emulator, http):
    assert_unauthorized(post_query(http, emulator.config, "print 1", None), "no bearer token")


def test_expired_token_is_401(emulator, http):
    emulator.settings(token_lifetime=1)
    try:
        short = token_for(http, emulator.config)
    finally:
        emulator.settings(token_lifetime=3599)
    assert claims_of(short)["exp"] - claims_of(short)["iat"] == 1
    time.sleep(1.5)
    assert_unauthorized(post_query(http, emulator.config, "print 1", short), "expired")


def test_wrong_audience_is_401(emulator, http):
    other = token_for(http, emulator.config, scope="https://localhost/.default")
    assert claims_of(other)["aud"] == "https://localhost"
    assert_unauthorized(post_query(http, emulator.config, "print 1", other), "audience")


def test_trailing_slash_audience_is_accepted(emulator, http):
    slash = token_for(http, emulator.config, scope=emulator.config["resource"] + "//.default")
    assert claims_of(slash)["aud"] == emulator.config["resource"] + "/"
    assert post_query(http, emulator.config, "print 1", slash).status_code == 200


def test_forged_signature_is_401(emulator, http, token):
    header, payload, signature = token.split(".")
    forged = dict(claims_of(token), appid="someone-else")
    forged_payload = base64.urlsafe_b64encode(json.dumps(forged).encode()).rstrip(b"=").decode()
    assert_unauthorized(post_query(http, emulator.config, "print 1", ".".join([header, forged_payload, signature])),
                        "signature")


def test_auth_metadata_needs_no_token(emulator, http):
    response = http.get(emulator.config["cluster"] + "/v1/rest/auth/metadata")
    assert response.status_code == 200
    aad = response.json()["AzureAD"]
    assert aad["LoginEndpoint"] == emulator.config["login_endpoint"]
    assert aad["KustoServiceResourceId"] == emulator.config["resource"]
    assert aad["LoginMfaRequired"] is False


# --- Kusto: results ---------------------------------------------------------------------------------------

def test_v2_frames_and_typed_values(emulator, http, token):
    csl = ('print l=1, r=2.5, s="x\\"y", b=true, d=datetime(2020-01-02 03:04:05.1234567), t=timespan(1.02:03:04), '
           'g=guid(12345678-1234-1234-1234-123456789abc), dy=dynamic({"a":[1,null]}), n=int(null), '
           'nan=real(nan), inf=real(-inf), dec=decimal(1.50)')
    response = post_query(http, emulator.config, csl, token, headers={"x-ms-client-request-id": "test;42"})
    assert response.headers["x-ms-client-request-id"] == "test;42"
    frames = frames_of(response)
    assert [(f["FrameType"], f.get("TableKind")) for f in frames] == [
        ("DataSetHeader", None), ("DataTable", "QueryProperties"), ("DataTable", "PrimaryResult"),
        ("DataTable", "QueryCompletionInformation"), ("DataSetCompletion", None)]
    assert frames[0] == {"FrameType": "DataSetHeader", "IsProgressive": False, "Version": "v2.0"}
    assert [frames[1]["TableId"], frames[1]["TableName"]] == [0, "@ExtendedProperties"]
    columns, rows = primary_rows(frames)
    assert [(c["ColumnName"], c["ColumnType"]) for c in columns] == [
        ("l", "long"), ("r", "real"), ("s", "string"), ("b", "bool"), ("d", "datetime"), ("t", "timespan"),
        ("g", "guid"), ("dy", "dynamic"), ("n", "int"), ("nan", "real"), ("inf", "real"), ("dec", "decimal")]
    assert rows == [[1, 2.5, 'x"y', True, "2020-01-02T03:04:05.1234567Z", "1.02:03:04",
                     "12345678-1234-1234-1234-123456789abc", {"a": [1, None]}, None, "NaN", "-Infinity", "1.50"]]
    completion_info = frames[3]
    assert completion_info["TableName"] == "QueryCompletionInformation"
    assert completion_info["Rows"][0][1] == "test;42" and completion_info["Rows"][0][6] == "Info"
    assert frames[-1] == {"FrameType": "DataSetCompletion", "HasErrors": False, "Cancelled": False}


def test_fixture_shapes_match(emulator, http, token):
    """Our frames have the same keys as the recorded service responses in tests/fixtures."""
    with open(os.path.join(FIXTURES, "deft.json")) as f:
        recorded = {(fr["FrameType"], fr.get("TableKind")): set(fr) for fr in json.load(f)}
    ours = {(fr["FrameType"], fr.get("TableKind")): set(fr)
            for fr in frames_of(post_query(http, emulator.config, "print 1", token))}
    assert ours == recorded


def test_range_extend_take_count_project(emulator, http, token):
    config = emulator.config
    rows = primary_rows(frames_of(post_query(
        http, config, "range x from 1 to 10 step 3 | extend y = x * 2, z = x / 2.0 | take 3", token)))[1]
    assert rows == [[1, 2, 0.5], [4, 8, 2.0], [7, 14, 3.5]]
    rows = primary_rows(frames_of(post_query(http, config, "range x from 1 to 1000 step 1 | count", token)))[1]
    assert rows == [[1000]]
    columns, rows = primary_rows(frames_of(post_query(
        http, config, "range d from datetime(2020-01-01) to datetime(2020-01-02) step 12h | project d, e = d + 1h",
        token)))
    assert [c["ColumnType"] for c in columns] == ["datetime", "datetime"]
    assert rows[-1] == ["2020-01-02T00:00:00.0000000Z", "2020-01-02T01:00:00.0000000Z"] and len(rows) == 3


def test_newline_delimited_frames(emulator, http, token):
    response = post_query(http, emulator.config, "range x from 1 to 3 step 1", token,
                          options={"results_v2_newlines_between_frames": True})
    lines = response.text.split("\n")
    assert lines[0].startswith('[{"FrameType":"DataSetHeader"')
    assert all(line.startswith(',{"FrameType":') for line in lines[1:-2])
    assert lines[-2:] == ["]", ""]
    frames = [json.loads(line[1:]) for line in lines[:-2]]
    assert [f["FrameType"] for f in frames] == ["DataSetHeader", "DataTable", "DataTable", "DataTable",
                                                "DataSetCompletion"]
    assert frames == response.json()


def test_fragmented_primary_table(emulator, http, token):
    frames = frames_of(post_query(http, emulator.config, "range x from 1 to 2500 step 1", token,
                                  options={"results_v2_fragment_primary_tables": True,
                                           "results_v2_newlines_between_frames": True}))
    assert frames[0]["IsFragmented"] is True
    kinds = [f["FrameType"] for f in frames]
    assert kinds == ["DataSetHeader", "DataTable", "TableHeader", "TableFragment", "TableFragment",
                     "TableFragment", "TableCompletion", "DataTable", "DataSetCompletion"]
    header, fragments, completion = frames[2], frames[3:6], frames[6]
    assert header["TableKind"] == "PrimaryResult" and header["Columns"] == [{"ColumnName": "x", "ColumnType": "long"}]
    assert [len(f["Rows"]) for f in fragments] == [1000, 1000, 500]
    assert all(f["TableFragmentType"] == "DataAppend" and f["TableId"] == 1 for f in fragments)
    assert [r[0] for f in fragments for r in f["Rows"]] == list(range(1, 2501))
    assert completion == {"FrameType": "TableCompletion", "TableId": 1, "RowCount": 2500}


def test_row_limit_gives_partial_failure(emulator, http, token):
    frames = frames_of(post_query(http, emulator.config, "range x from 1 to 5 step 1", token,
                                  options={"truncationmaxrecords": 3}))
    rows = primary_rows(frames)[1]
    assert rows[:3] == [[1], [2], [3]]
    assert rows[3]["OneApiErrors"][0]["error"]["code"] == "LimitsExceeded"
    assert frames[-1]["HasErrors"] is True
    frames = frames_of(post_query(http, emulator.config, "range x from 1 to 5 step 1", token,
                                  options={"truncationmaxrecords": 3, "results_v2_fragment_primary_tables": True,
                                           "results_error_reporting_placement": "end_of_table"}))
    [completion] = [f for f in frames if f["FrameType"] == "TableCompletion"]
    assert completion["RowCount"] == 3
    assert "E_QUERY_RESULT_SET_TOO_LARGE" in completion["OneApiErrors"][0]["error"]["@message"]


def test_large_range_is_streamed_in_chunks(emulator, http, token):
    started = time.monotonic()
    response = post_query(http, emulator.config, "range x from 1 to 1000000 step 1", token, stream=True,
                          options={"results_v2_newlines_between_frames": True,
                                   "results_v2_fragment_primary_tables": True})
    assert response.status_code == 200
    assert response.headers["Transfer-Encoding"] == "chunked" and "Content-Length" not in response.headers
    rows, last, first_fragment_at = 0, None, None
    for line in response.iter_lines():
        if line.startswith(b',{"FrameType":"TableFragment"'):
            first_fragment_at = first_fragment_at or time.monotonic() - started
            fragment = json.loads(line[1:])
            rows += len(fragment["Rows"])
            last = fragment["Rows"][-1][0]
    total = time.monotonic() - started
    assert rows == 1000000 and last == 1000000
    assert first_fragment_at < total / 4, "the first rows should arrive long before the last"


def test_semantic_error(emulator, http, token):
    response = post_query(http, emulator.config, "NoSuchTable | take 10", token)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "General_BadRequest" and error["@permanent"] is True
    assert error["@message"] == ("Request is invalid and cannot be processed: Semantic error: SEM0100: 'take' "
                                 "operator: Failed to resolve table or column expression named 'NoSuchTable'")
    assert error["@context"]["activityId"] == response.headers["x-ms-activity-id"]


def test_syntax_error_and_unknown_database(emulator, http, token):
    error = post_query(http, emulator.config, "print 1 +", token).json()["error"]
    assert "Syntax error: SYN0002" in error["@message"]
    response = post_query(http, emulator.config, "print 1", token, db="NoSuchDb")
    assert response.status_code == 400
    assert response.json()["error"]["@message"] == "Database 'NoSuchDb' was not found."


def test_control_command_on_v2_is_refused(emulator, http, token):
    response = post_query(http, emulator.config, ".show version", token)
    assert response.status_code == 400
    assert response.text.startswith("Bad request: Control commands (starting with a dot '.') do not support "
                                    "api_version=v2\nError details:\n")


def test_show_version_has_the_v1_shape(emulator, http, token):
    response = post_query(http, emulator.config, ".show version", token, path="/v1/rest/mgmt")
    assert response.status_code == 200
    with open(os.path.join(FIXTURES, "versionshowcommandresult.json")) as f:
        recorded = json.load(f)
    [table] = response.json()["Tables"]
    [expected] = recorded["Tables"]
    assert table["TableName"] == expected["TableName"]
    assert [(c["ColumnName"], c["DataType"]) for c in table["Columns"]] == \
        [(c["ColumnName"], c["DataType"]) for c in expected["Columns"]]
    assert len(table["Rows"]) == 1 and table["Rows"][0][2] == "Engine"


def test_show_databases_and_v1_query_with_toc(emulator, http, token):
    [table] = post_query(http, emulator.config, ".show databases", token, path="/v1/rest/mgmt").json()["Tables"]
    assert table["Rows"][0][0] == emulator.config["database"]
    tables = post_query(http, emulator.config, "print a=1, d=dynamic({\"k\":2})", token,
                        path="/v1/rest/query").json()["Tables"]
    assert len(tables) == 4
    assert tables[0]["Rows"] == [[1, '{"k":2}']]
    assert [c["DataType"] for c in tables[0]["Columns"]] == ["Int64", "Object"]
    assert [row[1] for row in tables[3]["Rows"]] == ["QueryResult", "QueryProperties", "QueryStatus"]


# --- fault injection and the request log ------------------------------------------------------------------

def test_fault_status_headers_and_count(emulator, http, token):
    emulator.reset()
    emulator.fault(path="/v2/rest/query", status=503, body={"error": "busy"}, headers={"Retry-After": "1"}, count=1)
    first = post_query(http, emulator.config, "print 1", token)
    assert first.status_code == 503 and first.json() == {"error": "busy"}
    assert first.headers["Retry-After"] == "1"
    assert post_query(http, emulator.config, "print 1", token).status_code == 200
    assert [r["status"] for r in emulator.requests("/v2/rest/query")] == [503, 200]
    assert emulator.requests("/v2/rest/query")[0]["fault"]["status"] == 503


def test_fault_delay_and_token_endpoint_fault(emulator, http, token):
    emulator.reset()
    emulator.fault(path="/v2/rest/query", delay=0.5)
    started = time.monotonic()
    assert post_query(http, emulator.config, "print 1", token).status_code == 200
    assert time.monotonic() - started >= 0.5
    emulator.fault(path="/%s/oauth2/v2.0/token" % emulator.config["tenant"], status=500, body="oops")
    response = http.post(emulator.config["authority"] + "/oauth2/v2.0/token", data={})
    assert response.status_code == 500 and response.text == "oops"


def test_clearing_faults_releases_a_request_a_taken_delay_holds(emulator, http, token):
    """A delay outlives its fault once taken: clearing must end it, answer and log the request before it
    returns, so nothing of one test's fault reaches the next test's log."""
    import threading
    emulator.reset()
    emulator.fault(path="/v2/rest/query", delay=30)
    answers = []
    held = threading.Thread(target=lambda: answers.append(post_query(http, emulator.config, "print 1", token)))
    started = time.monotonic()
    held.start()
    while emulator._call("GET", "/faults")["faults"]:        # taken: the query is being held
        assert time.monotonic() - started < 10
        time.sleep(0.02)
    assert emulator.requests("/v2/rest/query") == []
    emulator.clear_faults()
    assert [r["status"] for r in emulator.requests("/v2/rest/query")] == [200]
    held.join(10)
    assert answers[0].status_code == 200
    assert time.monotonic() - started < 10


def test_fault_truncates_the_body(emulator, http, token):
    emulator.reset()
    emulator.fault(path="/v2/rest/query", truncate_after=100)
    with pytest.raises(requests.exceptions.RequestException):
        post_query(http, emulator.config, "range x from 1 to 10000 step 1", token).json()
    emulator.fault(path="/v1/rest/mgmt", truncate_after=10)
    with pytest.raises(requests.exceptions.RequestException):
        post_query(http, emulator.config, ".show version", token, path="/v1/rest/mgmt")
    assert post_query(http, emulator.config, "print 1", token).status_code == 200


def test_request_log_redacts_secrets(emulator, http):
    emulator.reset()
    config = emulator.config
    token = token_for(http, config)
    post_query(http, config, "print 1", token, options={"servertimeout": "00:01:00"})
    records = emulator.requests()
    text = json.dumps(records)
    assert token not in text and config["client_secret"] not in text
    query = records[-1]
    assert query["headers"]["Authorization"] == "Bearer <redacted>" and query["has_authorization"] is True
    assert query["token_aud"] == config["resource"]
    assert query["body"] == {"db": config["database"], "csl": "print 1",
                             "properties": {"Options": {"servertimeout": "00:01:00"}}}
    with open(emulator.request_log_path) as f:
        logged = [json.loads(line) for line in f]
    assert logged[-2:] == records[-2:]
    with open(emulator.request_log_path) as f:
        assert token not in f.read()


def test_properties_as_a_json_string(emulator, http, token):
    body = {"db": emulator.config["database"], "csl": "range x from 1 to 2 step 1",
            "properties": json.dumps({"Options": {"results_v2_fragment_primary_tables": True}})}
    response = http.post(emulator.config["cluster"] + "/v2/rest/query", json=body,
                         headers={"Authorization": "Bearer " + token})
    assert "TableFragment" in [f["FrameType"] for f in frames_of(response)]


def test_reset_clears_log_and_faults(emulator, http, token):
    emulator.fault(path="/v2/rest/query", status=500, count=None)
    emulator.reset()
    assert emulator.requests() == []
    assert post_query(http, emulator.config, "print 1", token).status_code == 200
    assert len(emulator.requests()) == 1


KUSTO_PUBLIC_CLIENT = "db662dc1-0cfe-4e1c-a843-19a68e65be58"


def password_grant(http, config, scope, **extra):
    form = {"grant_type": "password", "client_id": KUSTO_PUBLIC_CLIENT, "username": config["user"],
            "password": config["password"], "scope": scope}
    form.update(extra)
    return http.post(config["authority"] + "/oauth2/v2.0/token", data=form)


def test_user_answers_carry_what_was_asked_like_azure_ad(emulator, http):
    """One issuer of user tokens: refresh token with offline_access, id token with openid, client_info when
    asked, and the scopes granted on the resource, whatever the grant."""
    config = emulator.config
    resource = config["resource"]
    full = password_grant(http, config, resource + "/.default offline_access openid profile", client_info="1")
    assert full.status_code == 200, full.text
    answer = full.json()
    assert answer["scope"] == "%s/user_impersonation %s/.default" % (resource, resource)
    assert {"refresh_token", "id_token", "client_info"} <= set(answer)
    assert full.headers["Cache-Control"] == "no-store, no-cache"
    access, id_token = claims_of(answer["access_token"]), claims_of(answer["id_token"])
    assert access["upn"] == access["preferred_username"] == config["user"] and access["idtyp"] == "user"
    assert access["aud"] == resource and access["oid"] == id_token["oid"]
    assert id_token["aud"] == KUSTO_PUBLIC_CLIENT
    bare = password_grant(http, config, resource + "/.default").json()
    assert "access_token" in bare and not {"refresh_token", "id_token", "client_info"} & set(bare)

    # The password grant's refresh token is redeemable once, for the same user, and rotates.
    refreshed = http.post(config["authority"] + "/oauth2/v2.0/token", data={
        "grant_type": "refresh_token", "client_id": KUSTO_PUBLIC_CLIENT, "refresh_token": answer["refresh_token"],
        "scope": resource + "/.default offline_access openid profile", "client_info": "1"})
    assert refreshed.status_code == 200, refreshed.text
    assert claims_of(refreshed.json()["access_token"])["oid"] == access["oid"]
    assert refreshed.json()["client_info"] == answer["client_info"]
    assert refreshed.json()["refresh_token"] != answer["refresh_token"]
    again = http.post(config["authority"] + "/oauth2/v2.0/token", data={
        "grant_type": "refresh_token", "client_id": KUSTO_PUBLIC_CLIENT, "refresh_token": answer["refresh_token"],
        "scope": resource + "/.default"})
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


def test_minted_user_tokens_are_those_of_a_sign_in(emulator, http):
    config = emulator.config
    minted = http.post(config["control"] + "/mint_user_tokens", json={"username": config["user"]}).json()
    assert minted["scope"] == "%s/user_impersonation %s/.default" % (config["resource"], config["resource"])
    access = claims_of(minted["access_token"])
    [user] = [u for u in config["users"] if u["username"] == config["user"]]
    assert access["upn"] == config["user"] and access["oid"] == user["oid"]    # the directory's user
    assert {"refresh_token", "id_token", "client_info"} <= set(minted)
    refreshed = http.post(config["authority"] + "/oauth2/v2.0/token", data={
        "grant_type": "refresh_token", "client_id": config["client_id"], "refresh_token": minted["refresh_token"]})
    assert refreshed.status_code == 200, refreshed.text
    assert claims_of(refreshed.json()["access_token"])["aud"] == config["resource"]
