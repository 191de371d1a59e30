"""Every failure maps to its kusto.Error subclass with the core's details, and never shows a secret."""
import builtins
import socket

import pytest

import kusto


pytestmark = pytest.mark.usefixtures("clean_emulator")


def options(config, **extra):
    return dict(ca_file=config["ca_file"], authority=config["authority"], **extra)


@pytest.fixture
def client(emulator):
    config = emulator.config
    with kusto.Client(config["connection_string"], **options(config)) as c:
        yield c


def test_class_hierarchy():
    for cls in (kusto.ArgumentError, kusto.ConnectionStringError, kusto.UntrustedEndpointError, kusto.NetworkError,
                kusto.TimeoutError, kusto.AuthenticationError, kusto.ServiceError, kusto.ProtocolError,
                kusto.CancelledError, kusto.UnsupportedError):
        assert issubclass(cls, kusto.Error) and cls.__module__ == "kusto"
    assert issubclass(kusto.TimeoutError, builtins.TimeoutError)
    assert issubclass(kusto.ThrottledError, kusto.ServiceError)
    assert issubclass(kusto.PartialResultError, kusto.ServiceError)
    assert issubclass(kusto.ConnectionStringError, ValueError)
    assert kusto.ServiceError.status == "KUSTO_E_SERVICE"
    assert kusto.Error("x").code is None


def test_malformed_connection_string():
    with pytest.raises(kusto.ConnectionStringError) as info:
        kusto.Client('Data Source="https://a.kusto.windows.net')
    assert info.value.status == "KUSTO_E_CONNSTR"


def test_unknown_connection_string_keyword_is_named():
    with pytest.raises(kusto.ConnectionStringError, match="Flux Capacitor"):
        kusto.Client("Data Source=https://a.kusto.windows.net;Flux Capacitor=1")


def test_unknown_option_is_named():
    with pytest.raises(kusto.ArgumentError, match="no_such_option"):
        kusto.Client("Data Source=https://a.kusto.windows.net", no_such_option="1")


def test_option_of_a_bad_type_is_a_type_error():
    with pytest.raises(TypeError, match="timeout"):
        kusto.Client("Data Source=https://a.kusto.windows.net", timeout=object())
    with pytest.raises(TypeError):
        kusto.Client(b"Data Source=https://a.kusto.windows.net")


def test_wrong_secret_is_an_authentication_error_without_the_secret(emulator):
    config = emulator.config
    secret = "wrong-secret-Zq9"
    with pytest.raises(kusto.AuthenticationError) as info:
        kusto.acquire_token(config["connection_string"], **options(config, client_secret=secret))
    e = info.value
    assert e.aadsts == 7000215
    assert e.code == "invalid_client"
    assert e.status == "KUSTO_E_AUTH"
    assert e.http_status in (400, 401)
    assert e.permanent in (True, None)
    assert secret not in str(e) and secret not in repr(e.args)
    assert config["client_secret"] not in str(e)


def test_untrusted_host_gets_no_request(emulator):
    config = emulator.config
    cs = "Data Source=https://evil.example.com;AAD Federated Security=True;Application Client Id=%s;" \
         "Application Key=%s" % (config["client_id"], config["client_secret"])
    with pytest.raises(kusto.UntrustedEndpointError, match="evil.example.com") as info:
        kusto.query(cs, "db", "print 1", **options(config))
    assert config["client_secret"] not in str(info.value)
    assert emulator.requests() == []


def test_semantic_error_is_a_permanent_service_error(client):
    with pytest.raises(kusto.ServiceError) as info:
        client.query(None, "NoSuchTable | take 1")
    e = info.value
    assert type(e) is kusto.ServiceError
    assert e.status == "KUSTO_E_SERVICE"
    assert isinstance(e.code, str) and e.code
    assert e.permanent is True
    assert e.http_status == 400
    assert "NoSuchTable" in str(e)


def test_service_unavailable(client, emulator):
    client.acquire_token()
    emulator.fault(path="/v2/rest/query", status=503, body="overloaded", count=10)
    with pytest.raises(kusto.ServiceError) as info:
        client.query(None, "print 1")
    assert info.value.http_status == 503


def test_throttled(client, emulator):
    client.acquire_token()
    emulator.fault(path="/v2/rest/query", status=429, headers={"Retry-After": "0"}, count=10)
    with pytest.raises(kusto.ThrottledError) as info:
        client.query(None, "print 1")
    assert info.value.http_status == 429


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_emulator_down_is_a_network_error(emulator):
    config = emulator.config
    port = free_port()
    cs = "Data Source=https://127.0.0.1:%d;AAD Federated Security=True;Application Client Id=%s;" \
         "Application Key=%s" % (port, config["client_id"], config["client_secret"])
    with pytest.raises(kusto.NetworkError) as info:
        kusto.query(cs, "db", "print 1", ca_file=config["ca_file"],
                    authority="https://127.0.0.1:%d/%s" % (port, config["tenant"]))
    assert info.value.status == "KUSTO_E_NETWORK"


def test_no_authentication_sends_no_token(emulator):
    """Kustainer-style: no AAD keywords, so no Authorization header; the emulator's 401 proves it."""
    config = emulator.config
    with pytest.raises(kusto.AuthenticationError) as info:
        kusto.query("Data Source=%s" % config["cluster"], config["database"], "print 1", ca_file=config["ca_file"])
    assert info.value.http_status == 401
    [request] = emulator.requests("/v2/rest/query")
    assert request["has_authorization"] is False
    assert [r for r in emulator.requests() if r["path"].endswith("/token")] == []


def test_closed_client_is_a_value_error(emulator):
    config = emulator.config
    client = kusto.Client(config["connection_string"], **options(config))
    client.close()
    client.close()  # twice is fine
    assert client.closed
    with pytest.raises(ValueError, match="closed"):
        client.query(None, "print 1")
    with pytest.raises(ValueError, match="closed"):
        client.acquire_token()
    with pytest.raises(ValueError):
        with client:
            pass


def test_partial_result_keeps_the_rows_delivered(client):
    with pytest.raises(kusto.PartialResultError) as info:
        client.query(None, "range x from 1 to 100 step 1", {"truncationmaxrecords": 10})
    e = info.value
    assert isinstance(e, kusto.ServiceError)
    assert e.status == "KUSTO_E_PARTIAL"
    assert e.code
    [table] = e.result["primary_results"]
    assert [row[0] for row in table["rows"]] == list(range(1, 11))
    assert len(e.result["errors"]) >= 1
    assert all(isinstance(x, kusto.Error) and x.code == e.code for x in e.result["errors"])


def test_deadline_is_a_timeout_error(emulator):
    config = emulator.config
    with kusto.Client(config["connection_string"], timeout=1, **options(config)) as client:
        client.acquire_token()
        emulator.fault(path="/v2/rest/query", delay=3, count=1)
        with pytest.raises(kusto.TimeoutError) as info:
            client.query(None, "print 1")
    assert isinstance(info.value, builtins.TimeoutError)
    assert info.value.status == "KUSTO_E_TIMEOUT"


def test_cut_off_response_is_an_error_not_a_short_result(client, emulator):
    client.acquire_token()
    emulator.fault(path="/v2/rest/query", truncate_after=200, count=1)
    with pytest.raises((kusto.ProtocolError, kusto.NetworkError)):
        client.query(None, "range x from 1 to 1000 step 1")
