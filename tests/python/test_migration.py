"""Coming from azure-kusto-data: its KustoConnectionStringBuilder and ClientRequestProperties taken by their fields,
and query parameters from Python values with `declare query_parameters` written for the user, end to end against
the emulator."""
import datetime
import decimal
import uuid

import pytest
from azure.kusto.data import ClientRequestProperties, KustoConnectionStringBuilder

import kusto

pytestmark = pytest.mark.usefixtures("clean_emulator")


def token_forms(emulator):
    return [r["form"] for r in emulator.requests() if r["path"].endswith("/token")]


def app_kcsb(config, secret=None):
    return KustoConnectionStringBuilder.with_aad_application_key_authentication(
        config["cluster"] + "/" + config["database"], config["client_id"], secret or config["client_secret"],
        config["tenant"])


def test_a_kcsb_with_an_application_key_signs_in_with_its_secret_not_the_mask(emulator):
    config = emulator.config
    kcsb = app_kcsb(config)
    assert "****" in str(kcsb) or config["client_secret"] not in str(kcsb)  # why str(kcsb) would not do
    with kusto.Client(kcsb, ca_file=config["ca_file"], authority=config["authority"]) as client:
        result = client.query(None, "print x=1")
    assert result["primary_results"][0]["rows"] == [[1]]
    [form] = token_forms(emulator)
    assert form["client_id"] == config["client_id"] and form["grant_type"] == "client_credentials"
    [query] = emulator.requests("/v2/rest/query")
    assert query["body"]["db"] == config["database"]  # the database from the builder's Data Source path


def test_a_kcsb_with_a_wrong_secret_is_an_authentication_error_without_it(emulator):
    config = emulator.config
    with pytest.raises(kusto.AuthenticationError) as raised:
        kusto.query(app_kcsb(config, "wrong-secret-123"), None, "print 1", ca_file=config["ca_file"],
                    authority=config["authority"])
    assert "invalid_client" in (raised.value.code or "") and "wrong-secret-123" not in str(raised.value)


def test_kcsb_user_password_token_provider_and_flags(emulator):
    config = emulator.config
    kcsb = KustoConnectionStringBuilder.with_aad_user_password_authentication(
        config["cluster"], config["user"], config["password"], config["tenant"])
    token = kusto.acquire_token(kcsb, ca_file=config["ca_file"], authority=config["authority"])
    assert token["access_token"] and token_forms(emulator)[0]["grant_type"] == "password"

    provided = KustoConnectionStringBuilder.with_token_provider(config["cluster"], lambda: token["access_token"])
    assert kusto.query(provided, config["database"], "print 2", ca_file=config["ca_file"])

    cli = KustoConnectionStringBuilder.with_az_cli_authentication(config["cluster"])
    with pytest.raises(kusto.AuthenticationError, match="Azure CLI"):
        kusto.acquire_token(cli, ca_file=config["ca_file"], timeout=5)
    msi = KustoConnectionStringBuilder.with_aad_managed_service_identity_authentication(
        config["cluster"], client_id=config["managed_identity_client_id"])
    token = kusto.acquire_token(msi, ca_file=config["ca_file"],
                                managed_identity_endpoint=config["imds_endpoint"] + "/metadata/identity/oauth2/token")
    [request] = emulator.requests("/metadata/identity/oauth2/token")
    assert request["query"]["client_id"] == config["managed_identity_client_id"]


def test_client_request_properties_options_parameters_and_tracing(emulator, client):
    crp = ClientRequestProperties()
    crp.set_option("servertimeout", datetime.timedelta(minutes=2))
    crp.set_option("notruncation", True)
    crp.set_parameter("n", "7")
    crp.client_request_id = "KPC.execute;from-crp"
    crp.application = "migrating-app"
    result = client.query(None, "declare query_parameters(n:long);\nprint x = n * 2", crp)
    assert result["primary_results"][0]["rows"] == [[14]]
    [request] = emulator.requests("/v2/rest/query")
    options = request["body"]["properties"]["Options"]
    assert options["servertimeout"] == "00:02:00" and options["notruncation"] is True
    assert request["body"]["properties"]["Parameters"] == {"n": "7"}
    assert request["headers"]["x-ms-client-request-id"] == "KPC.execute;from-crp"
    assert request["headers"]["x-ms-app"] == "migrating-app"


WHEN = datetime.datetime(2024, 2, 29, 12, 30, 45, 123456, tzinfo=datetime.timezone.utc)
PARAMETERS = {
    "n": 42, "big": -2 ** 63, "ratio": 0.25, "flag": True, "name": 'say "hi"; \\ done', "when": WHEN,
    "span": -datetime.timedelta(days=1, hours=2, microseconds=3), "id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "price": decimal.Decimal("1234.5600000001"), "bag": {"a": [1, 2, {"b": None}], "c": "d"}, "items": [1, "two"],
}


def test_query_parameters_from_python_values_round_trip(emulator, client):
    names = ", ".join(PARAMETERS)
    result = client.query(None, "print %s" % names, parameters=PARAMETERS)
    [row] = result["primary_results"][0]["rows"]
    assert dict(zip(PARAMETERS, row)) == PARAMETERS
    types = [c["type"] for c in result["primary_results"][0]["columns"]]
    assert types == ["long", "long", "real", "bool", "string", "datetime", "timespan", "guid", "decimal", "dynamic",
                     "dynamic"]
    [request] = emulator.requests("/v2/rest/query")
    assert request["body"]["csl"].startswith("declare query_parameters(n:long, big:long, ratio:real, flag:bool, "
                                             "name:string, when:datetime, span:timespan, id:guid, price:decimal, "
                                             "bag:dynamic, items:dynamic);\nprint ")
    sent = request["body"]["properties"]["Parameters"]
    assert sent["when"] == "datetime(2024-02-29T12:30:45.1234560Z)" and sent["span"] == "timespan(-1.02:00:00.0000030)"


def test_parameters_filter_a_table_and_go_with_properties(emulator, client):
    since = datetime.datetime(2007, 1, 1)  # naive: UTC
    result = client.query(None, "StormEvents | where State == state and StartTime >= since | count",
                          {"Parameters": {"unused": "1"}}, parameters={"state": "TEXAS", "since": since})
    assert result["primary_results"][0]["rows"][0][0] >= 1
    [request] = emulator.requests("/v2/rest/query")
    assert set(request["body"]["properties"]["Parameters"]) == {"unused", "state", "since"}


def test_one_shot_query_takes_parameters(emulator):
    config = emulator.config
    result = kusto.query(config["connection_string"], None, "print s = x", parameters={"x": "ü\n"},
                         ca_file=config["ca_file"], authority=config["authority"])
    assert result["primary_results"][0]["rows"] == [["ü\n"]]


def test_parameters_go_after_set_statements_and_none_is_a_dynamic_null(emulator, client):
    result = client.query(None, "set notruncation;\nprint n, nothing, t", parameters={
        "n": 1, "nothing": None, "t": datetime.time(1, 2, 3, 4)})
    assert result["primary_results"][0]["rows"] == [[1, None, datetime.timedelta(hours=1, minutes=2, seconds=3,
                                                                                  microseconds=4)]]
    [request] = emulator.requests("/v2/rest/query")
    assert request["body"]["csl"] == ("set notruncation;\ndeclare query_parameters(n:long, nothing:dynamic, "
                                      "t:timespan);\nprint n, nothing, t")
    assert request["body"]["properties"]["Parameters"] == {"n": "1", "nothing": "dynamic(null)",
                                                           "t": "timespan(01:02:03.0000040)"}


def test_query_iter_and_query_arrow_take_parameters(emulator, client):
    assert list(client.query_iter(None, "range x from 1 to n step 1", parameters={"n": 3})) == [[1], [2], [3]]
    assert client.query_arrow(None, "print s", parameters={"s": "ü"}) is not None
    iter_request, arrow_request = emulator.requests("/v2/rest/query")
    assert iter_request["body"]["csl"] == "declare query_parameters(n:long);\nrange x from 1 to n step 1"
    assert arrow_request["body"]["csl"] == "declare query_parameters(s:string);\nprint s"
    assert arrow_request["body"]["properties"]["Parameters"] == {"s": '"ü"'}


def test_a_query_declaring_its_parameters_gets_only_their_values(emulator, client):
    csl = "declare query_parameters(n:int);\nprint n"
    assert client.query(None, csl, parameters={"n": 7})["primary_results"][0]["rows"] == [[7]]
    [request] = emulator.requests("/v2/rest/query")
    assert request["body"]["csl"] == csl and request["body"]["properties"]["Parameters"] == {"n": "7"}


def test_control_commands_take_no_typed_parameters(emulator, client):
    with pytest.raises(kusto.ArgumentError, match="typed query parameters do not go with a control command"):
        client.query(None, ".show tables", parameters={"n": 1})
    with pytest.raises(kusto.ArgumentError, match="control command"):
        client.mgmt(None, ".show tables", parameters={"n": 1})
    assert emulator.requests("/v1/rest/mgmt") == []


@pytest.mark.parametrize("value, message", [
    (object(), "x: object has no Kusto type"), (b"x", "x: bytes has no Kusto type"),
    (2 ** 63, "does not fit Kusto's long"), (decimal.Decimal("NaN"), "decimal has no NaN"),
    (decimal.Decimal("-Infinity"), "decimal has no NaN, infinity"), ({"a": float("nan")}, "x: Out of range float"),
    (datetime.datetime(1, 1, 1, tzinfo=datetime.timezone(datetime.timedelta(hours=1))), "x: the datetime is outside"),
    ("lone \ud800 surrogate", "query parameter x is not text: character 5")])
def test_parameters_without_a_kusto_type_are_refused_before_sending(emulator, client, value, message):
    with pytest.raises(kusto.ArgumentError, match=message):
        client.query(None, "print x", parameters={"x": value})
    with pytest.raises(kusto.ArgumentError, match="not a Kusto identifier"):
        client.query(None, "print 1", parameters={"a b); print 2; declare query_parameters(c": 1})
    assert emulator.requests("/v2/rest/query") == []


def test_a_kcsb_device_callback_gets_azure_kusto_data_s_arguments(emulator):
    import threading
    import time
    import requests
    config = emulator.config
    emulator.settings(device_code_interval=1)
    shown = []

    def approve(user_code):
        requests.post(config["control"] + "/device/approve", json={"user_code": user_code, "user": config["user"]},
                      verify=config["ca_file"], timeout=10).raise_for_status()

    def callback(verification_uri, user_code, expires_on):
        shown.append((verification_uri, user_code, expires_on))
        threading.Timer(0.5, approve, (user_code,)).start()
    kcsb = KustoConnectionStringBuilder.with_aad_device_authentication(config["cluster"], config["tenant"], callback)
    token = kusto.acquire_token(kcsb, ca_file=config["ca_file"], authority=config["authority"])
    [(uri, code, expires_on)] = shown
    assert uri == config["login_endpoint"] + "/devicelogin" and code
    assert expires_on.tzinfo is datetime.timezone.utc and abs(expires_on.timestamp() - (time.time() + 900)) < 30
    assert token["access_token"]
