"""kusto.dbapi (PEP 249) against the emulator: the values client.query gives, typed parameters, rows streamed in
chunks, PEP 249's exceptions, pandas.read_sql and a SQLAlchemy raw connection; and the emulator's log marking a
request whose client went away before the whole answer."""
import base64
import datetime
import decimal
import http.client
import json
import ssl
import threading
import time
import uuid
import warnings

import pytest

import kusto
import kusto.dbapi as dbapi

pytestmark = pytest.mark.usefixtures("clean_emulator")

UTC = datetime.timezone.utc
EVERY_TYPE = ('datatable(l:long, i:int, r:real, m:decimal, b:bool, s:string, d:datetime, t:timespan, g:guid, '
              'y:dynamic) [long(5), int(-3), 2.5, decimal(1.25), true, "x", datetime(2024-01-02 03:04:05.1234567), '
              'timespan(1.02:03:04), guid(00000000-1234-4abc-8def-000000000001), dynamic({"a":[1,2]}), '
              'long(null), int(null), real(null), decimal(null), bool(null), "", datetime(null), timespan(null), '
              'guid(null), dynamic(null)]')


@pytest.fixture
def connection(emulator):
    config = emulator.config
    with dbapi.connect(config["connection_string"], ca_file=config["ca_file"], authority=config["authority"],
                       max_retries=0) as conn:
        yield conn


def wait_for(condition, seconds=10):
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)
    return condition()


# --- the module ---------------------------------------------------------------------------------------------

def test_module_globals_and_exception_hierarchy(connection):
    assert (dbapi.apilevel, dbapi.threadsafety, dbapi.paramstyle) == ("2.0", 2, "named")
    assert issubclass(dbapi.Warning, Exception) and issubclass(dbapi.Error, Exception)
    assert issubclass(dbapi.InterfaceError, dbapi.Error) and issubclass(dbapi.DatabaseError, dbapi.Error)
    for name in ("DataError", "OperationalError", "IntegrityError", "InternalError", "ProgrammingError",
                 "NotSupportedError"):
        assert issubclass(getattr(dbapi, name), dbapi.DatabaseError)
        assert getattr(connection, name) is getattr(dbapi, name)


def test_type_objects_compare_equal_to_kusto_column_types():
    assert dbapi.STRING == "string" and dbapi.STRING != "long"
    assert dbapi.NUMBER == "long" and dbapi.NUMBER == "int" and dbapi.NUMBER == "real" and dbapi.NUMBER == "decimal"
    assert dbapi.DATETIME == "datetime" and dbapi.TIMESPAN == "timespan" and dbapi.BOOLEAN == "bool"
    assert dbapi.GUID == "guid" and dbapi.DYNAMIC == "dynamic" and dbapi.BINARY != "string"
    assert dbapi.Timestamp(2024, 1, 2, 3, 4, 5) == datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert dbapi.TimestampFromTicks(86400) == datetime.datetime(1970, 1, 2, tzinfo=UTC)
    assert dbapi.DateFromTicks(86400) == datetime.date(1970, 1, 2) and dbapi.TimeFromTicks(61) == datetime.time(0, 1, 1)
    assert (dbapi.Date(2024, 1, 2), dbapi.Time(1, 2, 3), dbapi.Binary(b"ab")) == (
        datetime.date(2024, 1, 2), datetime.time(1, 2, 3), b"ab")


# --- values -------------------------------------------------------------------------------------------------

def test_every_type_and_nulls_equal_client_query(connection, client):
    expected = client.query(None, EVERY_TYPE)["primary_results"][0]
    cursor = connection.cursor()
    cursor.execute(EVERY_TYPE)
    assert cursor.description == [(c["name"], c["type"], None, None, None, None, True) for c in expected["columns"]]
    assert [d[1] for d in cursor.description] == [dbapi.NUMBER] * 4 + [
        dbapi.BOOLEAN, dbapi.STRING, dbapi.DATETIME, dbapi.TIMESPAN, dbapi.GUID, dbapi.DYNAMIC]
    rows = cursor.fetchall()
    assert rows == expected["rows"] and len(rows) == 2 and rows[1][:5] == [None] * 5
    assert cursor.rowcount == 2 and cursor.fetchone() is None


def test_a_control_command_goes_to_mgmt(connection, client, emulator):
    cursor = connection.cursor()
    cursor.execute(".show databases")
    assert cursor.fetchall() == client.mgmt(None, ".show databases")["primary_results"][0]["rows"]
    assert cursor.description[0][:2] == ("DatabaseName", "string")
    assert [r["path"] for r in emulator.requests("/v1/rest/mgmt")] == ["/v1/rest/mgmt"] * 2


def test_an_empty_result_has_a_description_and_no_rows(connection):
    cursor = connection.cursor().execute("range x from 1 to 3 step 1 | take 0")
    assert cursor.description == [("x", "long", None, None, None, None, True)]
    assert (cursor.rowcount, cursor.fetchall(), cursor.fetchmany(5), cursor.nextset()) == (0, [], [], None)


# --- parameters ---------------------------------------------------------------------------------------------

PARAMETERS = [
    (5, "long", 5),
    (-(2 ** 63), "long", -(2 ** 63)),
    (2.5, "real", 2.5),
    (float("inf"), "real", float("inf")),
    (True, "bool", True),
    (False, "bool", False),
    ('quote " apostrophe \' backslash \\ newline \n tab \t :s // not a comment', "string", None),
    ("ünïcödé ✓", "string", None),
    ("", "string", None),
    (datetime.datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=UTC), "datetime", None),
    (datetime.datetime(2024, 1, 2, 3, 4, 5), "datetime", datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)),
    (datetime.datetime(2024, 1, 2, 5, 4, 5, tzinfo=datetime.timezone(datetime.timedelta(hours=2))), "datetime",
     datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)),
    (datetime.date(2024, 1, 2), "datetime", datetime.datetime(2024, 1, 2, tzinfo=UTC)),
    (datetime.timedelta(days=1, hours=2, minutes=3, seconds=4, microseconds=5), "timespan", None),
    (datetime.timedelta(seconds=-1.5), "timespan", None),
    (datetime.time(1, 2, 3), "timespan", datetime.timedelta(hours=1, minutes=2, seconds=3)),
    (uuid.UUID("00000000-1234-4abc-8def-000000000001"), "guid", None),
    (decimal.Decimal("-12345.678"), "decimal", None),
    ({"a": [1, "b)", None], "c": {"d": True}}, "dynamic", None),
    ([1, 2.5, "x"], "dynamic", None),
    (None, "dynamic", None),
]


@pytest.mark.parametrize("value, kusto_type, expected", PARAMETERS, ids=lambda v: type(v).__name__)
def test_parameters_of_each_python_type_round_trip(connection, emulator, value, kusto_type, expected):
    cursor = connection.cursor().execute("print v = :v", {"v": value})
    assert cursor.description == [("v", kusto_type, None, None, None, None, True)]
    assert cursor.fetchall() == [[value if expected is None else expected]]
    [record] = emulator.requests("/v2/rest/query")
    assert record["body"]["csl"] == "declare query_parameters(v:%s);\nprint v = v" % kusto_type
    assert list(record["body"]["properties"]["Parameters"]) == ["v"]


def test_placeholders_in_strings_and_comments_and_leading_set_statements(connection, emulator):
    query = "set notruncation;\nprint a = :a, b = ':a', c = @\":a\", d = :a + 1 // :a"
    cursor = connection.cursor().execute(query, {"a": 41})
    assert cursor.fetchall() == [[41, ":a", ":a", 42]]
    [record] = emulator.requests("/v2/rest/query")
    assert record["body"]["csl"] == ("set notruncation;\ndeclare query_parameters(a:long);\n"
                                     "print a = a, b = ':a', c = @\":a\", d = a + 1 // :a")


def test_a_query_that_declares_its_parameters_keeps_its_types(connection, emulator):
    query = "declare query_parameters(n:int, s:string = 'd');\nprint n = :n, t = s // declare query_parameters(x:long)"
    cursor = connection.cursor().execute(query, {"n": 7})
    assert cursor.description[0][:2] == ("n", "int") and cursor.fetchall() == [[7, "d"]]
    [record] = emulator.requests("/v2/rest/query")
    assert record["body"]["csl"] == query.replace(":n", "n") and record["body"]["properties"]["Parameters"] == {"n": "7"}


def test_a_string_parameter_is_not_query_text(connection):
    evil = '"; print 2 //'
    assert connection.cursor().execute("print s = :s", {"s": evil}).fetchall() == [[evil]]


def test_bad_parameters_are_programming_errors(connection):
    cursor = connection.cursor()
    with pytest.raises(dbapi.ProgrammingError, match="mapping"):
        cursor.execute("print :a", [1])
    with pytest.raises(dbapi.ProgrammingError, match="bytes"):
        cursor.execute("print :a", {"a": b"x"})
    with pytest.raises(dbapi.ProgrammingError, match="identifiers"):
        cursor.execute("print 1", {"a b": 1})
    with pytest.raises(dbapi.ProgrammingError, match="a: the int does not fit Kusto's long"):
        cursor.execute("print :a", {"a": -2 ** 63 - 1})
    with pytest.raises(dbapi.ProgrammingError, match="a: Kusto's decimal has no NaN"):
        cursor.execute("print :a", {"a": decimal.Decimal("sNaN")})
    with pytest.raises(dbapi.NotSupportedError):
        cursor.execute(".show tables", {"a": 1})


def test_executemany_runs_once_per_mapping(connection, emulator):
    cursor = connection.cursor()
    cursor.executemany("range x from 1 to :n step 1", [{"n": 2}, {"n": 3}])
    assert cursor.rowcount == 5 and cursor.description is None
    assert len(emulator.requests("/v2/rest/query")) == 2


# --- streaming ----------------------------------------------------------------------------------------------

def test_fetchmany_streams_and_closing_cancels_the_query(connection, emulator):
    threads = threading.active_count()
    cursor = connection.cursor()
    cursor.arraysize = 1000
    cursor.execute("range x from 1 to 50000000 step 1")        # far more than the client would hold
    chunks = [cursor.fetchmany() for _ in range(3)] + [cursor.fetchmany(2500)]
    assert [len(c) for c in chunks] == [1000, 1000, 1000, 2500]
    assert [row[0] for chunk in chunks for row in chunk] == list(range(1, 5501))
    assert cursor.fetchone() == [5501] and cursor.rowcount == -1
    [record] = emulator.requests("/v2/rest/query")
    assert "closed" not in record                               # the answer was still being written
    cursor.close()
    assert threading.active_count() == threads
    assert wait_for(lambda: emulator.requests("/v2/rest/query")[0].get("closed") is True)
    with pytest.raises(dbapi.InterfaceError, match="closed"):
        cursor.fetchone()


def test_closing_the_connection_cancels_its_cursors_queries(connection, emulator):
    threads = threading.active_count()
    cursor = connection.cursor().execute("range x from 1 to 50000000 step 1")
    assert cursor.fetchone() == [1]
    connection.close()
    assert cursor.closed and connection.client.closed and threading.active_count() == threads
    assert wait_for(lambda: emulator.requests("/v2/rest/query")[0].get("closed") is True)


def test_iteration_and_rowcount_at_the_end(connection):
    cursor = connection.cursor().execute("range x from 1 to 2500 step 1")
    assert cursor.rowcount == -1
    assert [row[0] for row in cursor] == list(range(1, 2501))
    assert cursor.rowcount == 2500


def test_nextset_moves_to_the_next_primary_table(connection, emulator):
    frames = [{"FrameType": "DataSetHeader", "IsProgressive": False, "Version": "v2.0"},
              _table(1, "a", [[1], [2]]), _table(2, "b", [[3]]), _table(3, "c", []),
              {"FrameType": "DataSetCompletion", "HasErrors": False, "Cancelled": False}]
    emulator.fault(path="/v2/rest/query", status=200, body=frames, count=1)
    cursor = connection.cursor().execute("T")
    assert cursor.description[0][0] == "a" and cursor.fetchone() == [1]
    assert cursor.nextset() is True and cursor.description[0][0] == "b" and cursor.fetchall() == [[3]]
    assert cursor.nextset() is True and cursor.description[0][0] == "c" and cursor.fetchall() == []
    assert cursor.rowcount == 0 and cursor.nextset() is None and cursor.description is None


def _table(table_id, column, rows):
    return {"FrameType": "DataTable", "TableId": table_id, "TableKind": "PrimaryResult", "TableName": column,
            "Columns": [{"ColumnName": column, "ColumnType": "long"}], "Rows": rows}


def test_cells_delivered_as_sent_are_listed_in_messages(connection, emulator):
    frames = [{"FrameType": "DataSetHeader", "IsProgressive": False, "Version": "v2.0"},
              {"FrameType": "DataTable", "TableId": 1, "TableKind": "PrimaryResult", "TableName": "PrimaryResult",
               "Columns": [{"ColumnName": "n", "ColumnType": "long"}], "Rows": [["12"], [3]]},
              {"FrameType": "DataSetCompletion", "HasErrors": False, "Cancelled": False}]
    emulator.fault(path="/v2/rest/query", status=200, body=frames, count=1)
    cursor = connection.cursor().execute("T")
    assert cursor.fetchall() == [["12"], [3]]
    [(category, warning)] = cursor.messages
    assert category is dbapi.Warning and warning["column_name"] == "n" and warning["row"] == 0


# --- errors -------------------------------------------------------------------------------------------------

def assert_raises(cls, cause, run):
    with pytest.raises(cls) as info:
        run()
    assert type(info.value) is cls and isinstance(info.value.__cause__, cause)
    return info.value


def test_syntax_and_semantic_errors_are_programming_errors(connection):
    cursor = connection.cursor()
    error = assert_raises(dbapi.ProgrammingError, kusto.ServiceError, lambda: cursor.execute("print x="))
    assert "SYN0002" in str(error) and error.__cause__.http_status == 400
    assert_raises(dbapi.ProgrammingError, kusto.ServiceError, lambda: cursor.execute("NoSuchTable"))
    assert cursor.execute("print 1").fetchall() == [[1]]        # the cursor is still usable


@pytest.mark.parametrize("status, cause", [(503, kusto.ServiceError), (429, kusto.ThrottledError)])
def test_service_failures_are_operational_errors(connection, emulator, status, cause):
    emulator.fault(path="/v2/rest/query", status=status, body="busy", count=1)
    assert_raises(dbapi.OperationalError, cause, lambda: connection.cursor().execute("print 1"))


def test_an_unreadable_response_is_an_interface_error(connection, emulator):
    emulator.fault(path="/v2/rest/query", status=200, body_base64=base64.b64encode(b"[{not json").decode(), count=1)
    assert_raises(dbapi.InterfaceError, kusto.ProtocolError, lambda: connection.cursor().execute("print 1"))


def test_timeouts_and_unreachable_clusters_are_operational_errors(emulator):
    config = emulator.config
    emulator.fault(path="/v2/rest/query", stall=True, count=1)
    with dbapi.connect(config["connection_string"], ca_file=config["ca_file"], authority=config["authority"],
                       timeout=1, max_retries=0) as conn:
        assert_raises(dbapi.OperationalError, kusto.TimeoutError, lambda: conn.cursor().execute("print 1"))
    emulator.clear_faults()
    with dbapi.connect({"connection_string": "Data Source=https://127.0.0.1:9;Fed=True;AppClientId=a;AppKey=b"},
                       max_retries=0) as conn:
        assert_raises(dbapi.OperationalError, kusto.NetworkError, lambda: conn.cursor().execute("print 1"))


def test_connection_errors_and_misuse(connection):
    assert_raises(dbapi.InterfaceError, kusto.ConnectionStringError,
                  lambda: dbapi.connect("Data Source=https://x;Bogus=1"))
    cursor = connection.cursor()
    with pytest.raises(dbapi.InterfaceError, match="execute"):
        cursor.fetchone()
    with pytest.raises(dbapi.NotSupportedError):
        connection.rollback()
    with pytest.raises(dbapi.NotSupportedError):
        cursor.callproc("f")
    connection.commit()
    connection.close()
    with pytest.raises(dbapi.InterfaceError, match="closed"):
        connection.cursor()
    with pytest.raises(dbapi.InterfaceError, match="closed"):
        cursor.execute("print 1")


def test_a_client_given_to_connect_is_used_and_not_closed(client):
    conn = dbapi.connect(client, database="Samples")
    assert conn.cursor().execute("StormEvents | count").fetchall() == \
        client.query("Samples", "StormEvents | count")["primary_results"][0]["rows"]
    conn.close()
    assert not client.closed


# --- pandas and SQLAlchemy ----------------------------------------------------------------------------------

def test_pandas_read_sql_returns_the_values_of_client_query(connection, client):
    pandas = pytest.importorskip("pandas")
    expected = client.query(None, EVERY_TYPE)["primary_results"][0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)     # "pandas only supports SQLAlchemy connectable ..."
        frame = pandas.read_sql(EVERY_TYPE, connection)
        by_parameter = pandas.read_sql("range x from 1 to :n step 1", connection, params={"n": 3})
    assert list(frame.columns) == [c["name"] for c in expected["columns"]]
    assert frame.iloc[0].tolist() == expected["rows"][0]
    assert [None if pandas.isna(v) else v for v in frame.iloc[1].tolist()] == expected["rows"][1]
    assert by_parameter["x"].tolist() == [1, 2, 3]


def test_pandas_read_sql_in_chunks_reads_the_stream(connection, emulator):
    pandas = pytest.importorskip("pandas")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        chunks = pandas.read_sql("range x from 1 to 50000000 step 1", connection, chunksize=2000)
        first, second = next(chunks), next(chunks)
    assert first["x"].tolist() == list(range(1, 2001)) and second["x"].tolist() == list(range(2001, 4001))
    chunks.close()                                          # pandas closes the cursor: the query is cancelled
    assert wait_for(lambda: [r.get("closed") for r in emulator.requests("/v2/rest/query")] == [True])


def test_sqlalchemy_raw_connection(emulator, client):
    sqlalchemy = pytest.importorskip("sqlalchemy")
    from sqlalchemy.engine.default import DefaultDialect

    class KustoDialect(DefaultDialect):    # no SQL of its own: only what raw_connection() needs (see README)
        name, driver, supports_statement_cache = "kusto", "dbapi", True

        @classmethod
        def import_dbapi(cls):
            return dbapi

        def do_rollback(self, dbapi_connection):   # SQLAlchemy rolls back on connect and on return to the pool
            pass

    sqlalchemy.dialects.registry.impls["kusto.dbapi"] = lambda: KustoDialect
    config = emulator.config
    engine = sqlalchemy.create_engine(
        "kusto+dbapi://", creator=lambda: dbapi.connect(config["connection_string"], ca_file=config["ca_file"],
                                      authority=config["authority"]))
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute(EVERY_TYPE)
        assert cursor.fetchall() == client.query(None, EVERY_TYPE)["primary_results"][0]["rows"]
        cursor.execute("range x from 1 to :n step 1", {"n": 4})
        assert [d[0] for d in cursor.description] == ["x"] and cursor.fetchmany(3) == [[1], [2], [3]]
        cursor.close()
        assert isinstance(raw.driver_connection, dbapi.Connection)
    finally:
        raw.close()
        engine.dispose()


# --- the emulator's log of a client that went away ----------------------------------------------------------

def test_the_log_marks_a_request_whose_client_went_away(emulator, client):
    token = client.acquire_token()["access_token"]
    host, port = emulator.config["cluster"].split("//")[1].rsplit(":", 1)
    context = ssl.create_default_context(cafile=emulator.config["ca_file"])
    body = json.dumps({"db": "Samples", "csl": "range x from 1 to 50000000 step 1"})
    conn = http.client.HTTPSConnection(host, int(port), context=context, timeout=10)
    conn.request("POST", "/v2/rest/query", body, {"Authorization": "Bearer " + token,
                                                  "Content-Type": "application/json"})
    response = conn.getresponse()
    assert response.status == 200 and response.read(4096)
    conn.close()                                                # mid-answer
    assert wait_for(lambda: emulator.requests("/v2/rest/query")[-1].get("closed") is True)
    client.query(None, "print 1")
    assert "closed" not in emulator.requests("/v2/rest/query")[-1]   # a request answered in full is not marked


def test_the_log_marks_a_query_given_up_while_a_delay_held_it(emulator):
    config = emulator.config
    with kusto.Client(config["connection_string"], ca_file=config["ca_file"], authority=config["authority"],
                      timeout=0.5, max_retries=0) as client:
        client.acquire_token()
        emulator.fault(path="/v2/rest/query", delay=1.5, count=1)
        with pytest.raises(kusto.TimeoutError):
            client.query(None, "print 1")
    assert wait_for(lambda: [r.get("closed") for r in emulator.requests("/v2/rest/query")] == [True])
