"""Client.query and Client.mgmt: typed values, tables, request properties, the GIL."""
import datetime as dt
import decimal
import json
import math
import pickle
import threading
import time
import uuid
import weakref

import pytest

import kusto

UTC = dt.timezone.utc


pytestmark = pytest.mark.usefixtures("clean_emulator")


def single_row(result):
    [table] = result["primary_results"]
    [row] = table["rows"]
    return dict(zip([c["name"] for c in table["columns"]], row)), table


def test_result_has_every_table_and_picks_the_primary_ones(client):
    result = client.query(None, "print a=1")
    assert set(result) >= {"tables", "primary_results", "errors"}
    kinds = [t["kind"] for t in result["tables"]]
    assert "PrimaryResult" in kinds
    assert result["primary_results"] == [t for t in result["tables"] if t["kind"] == "PrimaryResult"]
    assert result["primary_results"][0] is next(t for t in result["tables"] if t["kind"] == "PrimaryResult")
    assert result["errors"] == []
    table = result["primary_results"][0]
    assert set(table) == {"id", "name", "kind", "columns", "rows"}
    assert table["columns"] == [{"name": "a", "type": "long"}]
    assert table["rows"] == [[1]]


def test_scalar_types(client):
    row, table = single_row(client.query(None, 'print b=true, i=int(-7), l=long(9007199254740993), r=real(1.5), '
                                               's="héllo \\"x\\"", n=long(null)'))
    assert [c["type"] for c in table["columns"]] == ["bool", "int", "long", "real", "string", "long"]
    assert row == {"b": True, "i": -7, "l": 9007199254740993, "r": 1.5, "s": 'héllo "x"', "n": None}
    assert type(row["b"]) is bool and type(row["i"]) is int and type(row["r"]) is float


def test_special_reals(client):
    row, _ = single_row(client.query(None, "print nan=real(nan), pinf=real(+inf), ninf=real(-inf)"))
    assert math.isnan(row["nan"])
    assert row["pinf"] == math.inf and row["ninf"] == -math.inf


def test_datetime_is_utc_floored_to_microseconds(client):
    row, table = single_row(client.query(None, "print d=datetime(2024-01-02T03:04:05.1234567Z)"))
    assert table["columns"][0]["type"] == "datetime"
    assert row["d"] == dt.datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)
    assert row["d"].utcoffset() == dt.timedelta(0)


def test_timespan_is_a_timedelta(client):
    row, table = single_row(client.query(None, "print t=timespan(1.02:03:04.5), neg=timespan(-00:00:01.25)"))
    assert table["columns"][0]["type"] == "timespan"
    assert row["t"] == dt.timedelta(days=1, hours=2, minutes=3, seconds=4, milliseconds=500)
    assert row["neg"] == dt.timedelta(seconds=-1.25)


def test_raw_ticks_keeps_exact_datetime_and_timespan(client):
    result = client.query(None, "print d=datetime(2024-01-02T03:04:05.1234567Z), t=timespan(00:00:00.0000001)",
                          raw_ticks=True)
    row, _ = single_row(result)
    since_year_one = dt.datetime(2024, 1, 2, 3, 4, 5) - dt.datetime(1, 1, 1)
    assert row["d"] == (since_year_one // dt.timedelta(microseconds=1)) * 10 + 1234567
    assert row["t"] == 1


def test_guid_and_decimal(client):
    row, _ = single_row(client.query(None, 'print g=guid(74be27de-1e4e-49d9-b579-fe0b331d3642), '
                                           'm=decimal(2.00000000000001)'))
    assert row["g"] == uuid.UUID("74be27de-1e4e-49d9-b579-fe0b331d3642")
    assert isinstance(row["g"], uuid.UUID) and str(row["g"]) == "74be27de-1e4e-49d9-b579-fe0b331d3642"
    assert hash(row["g"]) == hash(uuid.UUID(int=row["g"].int))
    assert row["m"] == decimal.Decimal("2.00000000000001") and isinstance(row["m"], decimal.Decimal)


@pytest.mark.parametrize("text", ["00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff",
                                  "0123ABCD-89ab-CDEF-0123-456789AbCdEf", "80000000-0000-0000-0000-000000000001"])
def test_guid_values_keep_all_128_bits(client, text):
    row, _ = single_row(client.query(None, f"print g=guid({text})"))
    assert row["g"] == uuid.UUID(text) and row["g"].int == int(text.replace("-", ""), 16)
    assert str(row["g"]) == text.lower() and row["g"].is_safe == uuid.SafeUUID.unknown
    assert pickle.loads(pickle.dumps(row["g"])) == row["g"] and weakref.ref(row["g"])() is row["g"]


def test_dynamic_becomes_nested_python_values(client):
    row, table = single_row(client.query(
        None, 'print o=dynamic({"a":[1,2.5,"x",null,true,{"b":[]}],"c":{}}), l=dynamic([[1],[2,[3]]]), '
              'e=dynamic(null), n=dynamic(7)'))
    assert table["columns"][0]["type"] == "dynamic"
    assert row["o"] == {"a": [1, 2.5, "x", None, True, {"b": []}], "c": {}}
    assert row["l"] == [[1], [2, [3]]]
    assert row["e"] is None
    assert row["n"] == 7


def test_result_rows_and_dynamic_values_are_not_tracked_by_the_cycle_collector(client):
    import gc
    result = client.query(None, 'print o=dynamic({"a":[1,{"b":[]}]}), g=guid(01234567-89ab-cdef-0123-456789abcdef)')
    [table] = result["primary_results"]
    row = table["rows"][0]
    assert not gc.is_tracked(row)
    assert not gc.is_tracked(row[0]) and not gc.is_tracked(row[0]["a"]) and not gc.is_tracked(row[0]["a"][1])
    assert not gc.is_tracked(row[1])
    assert row[0] == {"a": [1, {"b": []}]}


def test_range_row_counts(client):
    [table] = client.query(None, "range x from 1 to 25000 step 1")["primary_results"]
    assert len(table["rows"]) == 25000
    assert table["rows"][0] == [1] and table["rows"][-1] == [25000]
    assert [r[0] for r in table["rows"]] == list(range(1, 25001))
    [count] = client.query(None, "range x from 1 to 100 step 3 | count")["primary_results"]
    assert count["rows"] == [[34]]
    [taken] = client.query(None, "range x from 0 to 9 step 1 | take 4")["primary_results"]
    assert len(taken["rows"]) == 4


def test_database_none_uses_the_connection_string_database(client, emulator):
    client.query(None, "print 1")
    with pytest.raises(kusto.ServiceError, match="Other"):
        client.query("Other", "print 1")
    bodies = [r["body"] for r in emulator.requests("/v2/rest/query")]
    assert [b["db"] for b in bodies] == [emulator.config["database"], "Other"]


def test_mgmt_show_version(client, emulator):
    result = client.mgmt(None, ".show version")
    table = result["tables"][0]
    names = [c["name"] for c in table["columns"]]
    assert "BuildVersion" in names
    assert len(table["rows"]) == 1
    assert isinstance(table["rows"][0][names.index("BuildVersion")], str)
    assert len(emulator.requests("/v1/rest/mgmt")) == 1


def test_one_shot_query_and_mgmt(emulator):
    config = emulator.config
    opts = dict(ca_file=config["ca_file"], authority=config["authority"])
    result = kusto.query(config["connection_string"], None, "print x=2", **opts)
    assert result["primary_results"][0]["rows"] == [[2]]
    result = kusto.mgmt(config["connection_string"], None, ".show databases", **opts)
    assert result["tables"][0]["rows"]
    result = kusto.query(config["connection_string"], None, "print d=datetime(2000-01-01)", raw_ticks=True, **opts)
    assert result["primary_results"][0]["rows"] == [[630822816000000000]]


def header(request, name):
    return {k.lower(): v for k, v in request["headers"].items()}.get(name.lower())


def test_request_properties_and_tracing_headers_reach_the_service(client, emulator):
    client.query(None, "print 1", {"servertimeout": dt.timedelta(minutes=2), "notruncation": True,
                                   "truncationmaxrecords": 10, "query_weakconsistency_session_id": "s",
                                   "Parameters": {"p": "1"}},
                 client_request_id="MyApp.query;42", application="my-app", user="someone")
    [request] = emulator.requests("/v2/rest/query")
    properties = request["body"]["properties"]
    if isinstance(properties, str):
        properties = json.loads(properties)
    assert properties["Options"]["servertimeout"] == "00:02:00"
    assert properties["Options"]["notruncation"] is True
    assert properties["Options"]["truncationmaxrecords"] == 10
    assert properties["Options"]["query_weakconsistency_session_id"] == "s"
    assert properties["Parameters"] == {"p": "1"}
    assert header(request, "x-ms-client-request-id") == "MyApp.query;42"
    assert header(request, "x-ms-app") == "my-app"
    assert header(request, "x-ms-user") == "someone"


def test_bad_property_types_raise_type_error(client, emulator):
    with pytest.raises(TypeError, match="servertimeout"):
        client.query(None, "print 1", {"servertimeout": object()})
    with pytest.raises(TypeError):
        client.query(None, "print 1", ["servertimeout"])
    with pytest.raises(TypeError):
        client.query(None, "print 1", {"Parameters": {"p": [1]}})
    with pytest.raises(TypeError):
        client.query(None, "print 1", application=5)
    with pytest.raises(TypeError):
        client.query(5, "print 1")
    assert emulator.requests("/v2/rest/query") == []


def test_gil_is_released_while_a_query_waits(client, emulator):
    client.acquire_token()
    emulator.fault(path="/v2/rest/query", delay=1.5, count=1)
    ticks = []
    done = threading.Event()

    def ticker():
        while not done.is_set():
            ticks.append(time.monotonic())
            time.sleep(0.01)

    thread = threading.Thread(target=ticker)
    thread.start()
    started = time.monotonic()
    try:
        result = client.query(None, "print x=1")
    finally:
        done.set()
        thread.join()
    elapsed = time.monotonic() - started
    assert result["primary_results"][0]["rows"] == [[1]]
    assert elapsed >= 1.4
    assert len([t for t in ticks if started < t < started + elapsed]) >= 50


def test_one_client_serves_several_threads(client):
    results, errors = [], []

    def work(n):
        try:
            rows = client.query(None, "range x from 1 to %d step 1 | count" % n)["primary_results"][0]["rows"]
            results.append((n, rows[0][0]))
        except Exception as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(n,)) for n in (10, 200, 3000, 40000)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(results) == [(10, 10), (200, 200), (3000, 3000), (40000, 40000)]


def test_close_during_a_query_lets_it_finish(emulator):
    config = emulator.config
    client = kusto.Client(config["connection_string"], ca_file=config["ca_file"], authority=config["authority"])
    client.acquire_token()
    emulator.fault(path="/v2/rest/query", delay=1.0, count=1)
    outcome = {}
    thread = threading.Thread(target=lambda: outcome.update(result=client.query(None, "print x=5")))
    thread.start()
    time.sleep(0.3)
    client.close()
    thread.join()
    assert outcome["result"]["primary_results"][0]["rows"] == [[5]]
    with pytest.raises(ValueError, match="closed"):
        client.query(None, "print 1")
