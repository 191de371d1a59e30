"""Arrow results (client.query_arrow): every cell equals the typed-object path's (client.query) on every fixture
and on generated bodies (nulls, NaN, extremes, datetimes outside nanoseconds, guid, dynamic, decimal), batches of
N rows, an empty result, a response cut off part-way; and pyarrow, polars, DuckDB and pandas take the result."""
import base64
import datetime
import decimal
import json
import math
import os
import subprocess
import sys
import time
import uuid

import pytest

import kusto
import conftest

pyarrow = pytest.importorskip("pyarrow")

pytestmark = pytest.mark.usefixtures("clean_emulator")

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures")
HEADER = {"FrameType": "DataSetHeader", "IsProgressive": False, "Version": "v2.0"}
COMPLETION = {"FrameType": "DataSetCompletion", "HasErrors": False, "Cancelled": False}
EPOCH_TICKS = 621355968000000000
NS_MIN, NS_MAX = -(2 ** 63), 2 ** 63 - 1


def table(columns, rows, table_id=1, name="PrimaryResult", kind="PrimaryResult"):
    return {"FrameType": "DataTable", "TableId": table_id, "TableKind": kind, "TableName": name,
            "Columns": [{"ColumnName": n, "ColumnType": t} for n, t in columns], "Rows": rows}


def serve(emulator, body, count=1):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    emulator.fault(path="/v2/rest/query", status=200, body_base64=base64.b64encode(data).decode(), count=count)


def both_paths(client, emulator, body):
    """(typed result, ArrowResult) of the same body, each with the exception its call raised, if any."""
    serve(emulator, body, count=2)
    outcomes = []
    for run in (lambda: client.query(None, "T", raw_ticks=True), lambda: client.query_arrow(None, "T")):
        try:
            outcomes.append((run(), None))
        except (kusto.PartialResultError, kusto.ProtocolError) as e:
            outcomes.append((e.result, type(e)))
    (typed, typed_error), (arrow, arrow_error) = outcomes
    assert typed_error == arrow_error
    return typed, arrow


def _typed_int(text):
    """The typed path reads an integer beyond 64 bits in a dynamic value as a float; Arrow keeps its digits."""
    value = int(text)
    return value if -2 ** 63 <= value < 2 ** 63 else float(value)


def _ns(ticks, offset=0):
    ns = (ticks - offset) * 100
    return ns if NS_MIN <= ns <= NS_MAX else None


def expected_cell(kusto_type, value):
    """What the Arrow column holds (as read back below) for a typed-path value."""
    if value is None:
        return None
    fixed = {"long": int, "int": int, "real": float, "bool": bool}
    if kusto_type in fixed:
        if kusto_type == "real" and type(value) is int:
            return float(value)
        ok = type(value) is fixed[kusto_type] and (kusto_type != "int" or -2 ** 31 <= value < 2 ** 31)
        return value if ok else None                 # a cell in another form: null (with a warning)
    if kusto_type == "datetime":
        return _ns(value, EPOCH_TICKS) if type(value) is int else None
    if kusto_type == "timespan":
        return _ns(value) if type(value) is int else None
    if kusto_type == "guid":
        return value if isinstance(value, uuid.UUID) else None
    return value


def arrow_cells(kusto_type, column):
    """The cells of a pyarrow column as comparable Python values."""
    if kusto_type in ("datetime", "timespan"):
        return column.cast(pyarrow.int64()).to_pylist()
    if kusto_type == "guid":
        storage = pyarrow.chunked_array([c.storage if hasattr(c, "storage") else c for c in column.chunks],
                                        type=pyarrow.binary(16))
        return [None if b is None else uuid.UUID(bytes=b) for b in storage.to_pylist()]
    if kusto_type == "dynamic":
        storage = [c.storage if hasattr(c, "storage") else c for c in column.chunks]
        texts = pyarrow.chunked_array(storage, type=pyarrow.string()).to_pylist()
        return [None if v is None else json.loads(v, parse_int=_typed_int) for v in texts]
    if kusto_type == "decimal":
        return [None if v is None else decimal.Decimal(v) for v in column.to_pylist()]
    return column.to_pylist()


def same(a, b):
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return type(a) is type(b) and a == b if not isinstance(a, (dict, list)) else a == b


def text_form(value):
    """A typed cell of another form in a string column: its JSON text (what Arrow holds)."""
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


def rows_received(arrow_table):
    """A pyarrow.Table of every batch of the stream, also when it ends with the call's error."""
    reader = pyarrow.RecordBatchReader.from_stream(arrow_table)
    batches = []
    while True:
        try:
            batches.append(reader.read_next_batch())
        except StopIteration:
            break
        except OSError:
            assert arrow_table is not None
            break
    return pyarrow.Table.from_batches(batches, reader.schema)


def assert_same_cells(typed, arrow):
    assert [t["name"] for t in typed["tables"]] == [t.name for t in arrow.tables]
    for typed_table, arrow_table in zip(typed["tables"], arrow.tables):
        assert [(c["name"], c["type"]) for c in typed_table["columns"]] == \
            [(c["name"], c["type"]) for c in arrow_table.columns]
        pa_table = rows_received(arrow_table)
        assert pa_table.num_rows == len(typed_table["rows"]) == arrow_table.num_rows
        for i, column in enumerate(typed_table["columns"]):
            got = arrow_cells(column["type"], pa_table.column(i))
            for row, value in zip(typed_table["rows"], got):
                want = expected_cell(column["type"], row[i])
                if isinstance(want, bytes):  # not UTF-8: bytes in the typed path, null in Arrow
                    assert value is None
                elif column["type"] == "string" and want is not None and not isinstance(want, str):
                    assert json.loads(value) == want
                else:
                    assert same(value, want), (typed_table["name"], column["name"], value, want)


@pytest.mark.parametrize("name", sorted(f for f in os.listdir(FIXTURES) if f.endswith(".json")))
def test_every_fixture_cell_by_cell(client, emulator, name):
    with open(os.path.join(FIXTURES, name), "rb") as f:
        typed, arrow = both_paths(client, emulator, f.read())
    assert_same_cells(typed, arrow)


ALL_TYPES = [("l", "long"), ("i", "int"), ("r", "real"), ("b", "bool"), ("s", "string"), ("d", "datetime"),
             ("t", "timespan"), ("g", "guid"), ("y", "dynamic"), ("m", "decimal")]
GENERATED = [
    [9223372036854775807, 2147483647, "NaN", True, "h\u00e9\u6f22\U0001F600", "2262-04-11T23:47:16.8547758Z",
     "10675199.02:48:05.4775807", "01234567-89ab-cdef-0123-456789abcdef", {"a": [1, {"b": None}]},
     "79228162514264337593543950335"],
    [None] * 10,
    [-9223372036854775808, -2147483648, "-Infinity", False, "", "0001-01-01T00:00:00Z", "-00:00:00.0000001",
     "00000000-0000-0000-0000-000000000000", "text", "-0.0000000000000000000000000001"],
    [0, 0, -0.0, True, "line\nbreak \"quoted\"", "1677-09-21T00:12:43.1452242Z", "00:00:00", None, [1, 2.5, True],
     "1.10"],
    [1, -1, 1e308, False, "\u0000nul", "9999-12-31T23:59:59.9999999Z", "1.00:00:00", None, 12, "0"],
    [2, 7, 5e-324, None, None, "1970-01-01T00:00:00Z", None, None, 1.25, None],
]


def test_generated_extremes_cell_by_cell(client, emulator):
    typed, arrow = both_paths(client, emulator, [HEADER, table(ALL_TYPES, GENERATED), COMPLETION])
    assert_same_cells(typed, arrow)
    t = pyarrow.table(arrow)
    assert str(t.schema.field("d").type) == "timestamp[ns, tz=UTC]"
    assert str(t.schema.field("t").type) == "duration[ns]"
    assert "arrow.uuid" in str(t.schema.field("g").type) and "arrow.json" in str(t.schema.field("y").type)
    assert t.column("r").null_count == 1 and math.isnan(t.column("r")[0].as_py())   # NaN and null stay apart
    assert t.column("d").cast(pyarrow.int64()).to_pylist()[:4] == [NS_MAX - 7, None, None, -9223372036854775800]
    warnings = [w for w in arrow.warnings if "nanoseconds" in w["reason"]]
    assert {(w["column_name"], w["count"], w["row"]) for w in warnings} == {("d", 2, 2), ("t", 1, 0)}
    assert t.schema.metadata[b"kusto:table_kind"] == b"PrimaryResult"
    assert t.schema.field("m").metadata[b"kusto:type"] == b"decimal"


def test_cells_in_another_form_are_null_or_text(client, emulator):
    body = [HEADER, table([("s", "string"), ("n", "long"), ("g", "guid"), ("i", "int")],
                          [[{"Count": 3}, "12", "not a guid", 4294967296], [42, 1.5, None, 1]]), COMPLETION]
    typed, arrow = both_paths(client, emulator, body)
    assert_same_cells(typed, arrow)
    t = pyarrow.table(arrow)
    assert t.column("s").to_pylist() == ['{"Count":3}', "42"]
    assert t.column("n").to_pylist() == [None, None]
    assert t.column("i").to_pylist() == [None, 1]
    reasons = {(w["column_name"], w["reason"]) for w in arrow.warnings}
    assert ("s", "an object that is not a valid string") in reasons          # the parser's
    assert any(c == "n" and "null in the Arrow column" in r for c, r in reasons)  # the Arrow builder's


def test_batches_of_n_rows(client, emulator):
    serve(emulator, [HEADER, table([("x", "long")], [[i] for i in range(10)]), COMPLETION])
    reader = pyarrow.RecordBatchReader.from_stream(client.query_arrow(None, "T", batch_rows=3))
    assert [b.num_rows for b in reader] == [3, 3, 3, 1]


def test_batches_are_64k_rows_by_default(client):
    result = client.query_arrow(None, "range x from 1 to 150000 step 1")
    assert [b.num_rows for b in pyarrow.table(result).to_batches()] == [65536, 65536, 18928]
    assert pyarrow.table(result).column("x").to_pylist()[-1] == 150000


def test_an_empty_result_has_its_schema(client, emulator):
    serve(emulator, [HEADER, table(ALL_TYPES, []), COMPLETION])
    t = pyarrow.table(client.query_arrow(None, "T"))
    assert t.num_rows == 0 and t.column_names == [n for n, _ in ALL_TYPES]
    assert str(t.schema.field("l").type) == "int64"


def test_a_body_cut_off_part_way_fails_the_stream_after_its_rows(client, emulator):
    frames = [HEADER, table([("x", "long")], [[i] for i in range(100)])]
    body = ("[" + ",\n".join(json.dumps(f) for f in frames)).encode()
    serve(emulator, body)
    with pytest.raises(kusto.ProtocolError) as info:
        client.query_arrow(None, "T", batch_rows=40)
    result = info.value.result
    assert isinstance(result, kusto.ArrowResult) and result.num_rows == 100
    reader = pyarrow.RecordBatchReader.from_stream(result)
    assert reader.read_next_batch().num_rows == 40
    assert reader.read_next_batch().num_rows == 40
    assert reader.read_next_batch().num_rows == 20
    with pytest.raises(Exception) as failure:
        reader.read_next_batch()
    assert str(info.value) in str(failure.value)


def test_a_service_error_raises_before_any_stream(client):
    with pytest.raises(kusto.ServiceError):
        client.query_arrow(None, "this is not kql (")


def test_consumers_take_it_without_pyarrow_in_between(client):
    result = client.query_arrow(None, "range x from 1 to 1000 step 1 | extend y = x * 2")
    polars = pytest.importorskip("polars")
    frame = polars.DataFrame(result)
    assert frame.shape == (1000, 2) and frame["y"].sum() == 1001000
    assert polars.from_arrow(pyarrow.table(result)).shape == (1000, 2)
    duckdb = pytest.importorskip("duckdb")
    assert duckdb.sql("select count(*), sum(y) from result").fetchall() == [(1000, 1001000)]
    schema = pyarrow.schema(result)
    assert schema.names == ["x", "y"]
    pandas = pytest.importorskip("pandas")
    if hasattr(pandas.DataFrame, "from_arrow"):  # pandas 3: any Arrow PyCapsule producer
        assert pandas.DataFrame.from_arrow(result)["y"].sum() == 1001000


def test_polars_and_duckdb_read_every_type(client, emulator):
    polars = pytest.importorskip("polars")
    duckdb = pytest.importorskip("duckdb")
    serve(emulator, [HEADER, table(ALL_TYPES, GENERATED), COMPLETION], count=2)
    frame = polars.DataFrame(client.query_arrow(None, "T"))
    assert frame.height == len(GENERATED) and frame["l"][0] == 9223372036854775807
    assert frame["d"].dtype == polars.Datetime("ns", "UTC")
    arrow = client.query_arrow(None, "T")
    assert duckdb.sql("select count(*), max(l) from arrow").fetchall() == [(6, 9223372036854775807)]


def test_query_df_on_arrow_keeps_nan_null_and_ticks(client, emulator):
    pandas = pytest.importorskip("pandas")
    body = [HEADER, table([("r", "real"), ("d", "datetime"), ("l", "long"), ("g", "guid"), ("m", "decimal"),
                           ("y", "dynamic")],
                          [["NaN", "2024-01-02T03:04:05.1234567Z", 1, "01234567-89ab-cdef-0123-456789abcdef",
                            "1.10", {"a": 1}],
                           [None, None, None, None, None, None]]), COMPLETION]
    serve(emulator, body)
    frame = client.query_df(None, "T")
    assert math.isnan(frame["r"][0]) and frame["r"][1] is pandas.NA
    assert frame["d"][0] == pandas.Timestamp("2024-01-02T03:04:05.1234567Z")
    assert frame["d"][0].nanosecond == 700 and pandas.isna(frame["d"][1])
    assert frame["l"].dtype == "Int64" and frame["l"][1] is pandas.NA
    assert frame["g"][0] == uuid.UUID("01234567-89ab-cdef-0123-456789abcdef")
    assert frame["m"][0] == decimal.Decimal("1.10") and frame["y"][0] == {"a": 1}


def test_query_df_rejects_what_it_cannot_honour(client):
    with pytest.raises(kusto.ArgumentError, match="raw_ticks"):
        client.query_df(None, "print 1", raw_ticks=True)


def test_to_dataframe_of_raw_ticks_gives_the_right_dates(client, emulator):
    pytest.importorskip("pandas")
    serve(emulator, [HEADER, table([("d", "datetime"), ("t", "timespan"), ("r", "real")],
                                   [["2024-01-02T03:04:05.1234567Z", "1.00:00:00.0000001", "NaN"],
                                    [None, None, None]]), COMPLETION])
    frame = kusto.to_dataframe(client.query(None, "T", raw_ticks=True)["primary_results"][0])
    assert str(frame["d"][0]) == "2024-01-02 03:04:05.123456700+00:00"
    assert frame["t"][0].value == 86400 * 10 ** 9 + 100
    assert math.isnan(frame["r"][0]) and frame["r"][1] is __import__("pandas").NA


def test_columnar_with_on_rows_is_an_argument_error(client):
    with pytest.raises(kusto.ArgumentError, match="columnar"):
        client.query(None, "print 1", columnar=True, on_rows=lambda table, rows: None)
    with pytest.raises(kusto.ArgumentError, match="columnar"):
        list(client.query_iter(None, "print 1", columnar=True))


def test_import_kusto_does_not_import_pyarrow():
    code = "import sys, kusto; print(any(m.split('.')[0] in ('pyarrow', 'polars', 'pandas') for m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "False\n"


def test_threads_run_queries_at_once(client):
    import threading
    results = []

    def work():
        results.append(pyarrow.table(client.query_arrow(None, "range x from 1 to 20000 step 1")).num_rows)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [20000] * 8


def test_text_that_is_not_utf8_is_null_with_a_warning(client, emulator):
    body = (json.dumps([HEADER, table([("s", "string"), ("y", "dynamic")], [["ok", {"k": "v"}], ["BAD", "BAD"]]),
                        COMPLETION]).encode().replace(b"BAD", b"\xff\xfe"))
    typed, arrow = both_paths(client, emulator, body)
    assert_same_cells(typed, arrow)
    t = pyarrow.table(arrow)
    assert t.column("s").to_pylist() == ["ok", None]
    assert arrow_cells("dynamic", t.column("y")) == [{"k": "v"}, None]
    assert {w["column_name"] for w in arrow.warnings if "UTF-8" in w["reason"]} == {"s", "y"}


REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="module")
def cli():
    subprocess.run(["make", "-s", "-C", REPO, "build/kusto"], check=True)
    return conftest.CLI


def run_cli(cli, emulator, *args):
    env = dict(os.environ, KUSTO_CONNECTION_STRING=emulator.config["connection_string"])
    return subprocess.run([cli, "--ca-file", emulator.config["ca_file"], *args], capture_output=True, env=env,
                          timeout=60)


def test_cli_writes_an_arrow_ipc_stream(cli, client, emulator):
    serve(emulator, [HEADER, table(ALL_TYPES, GENERATED), COMPLETION], count=2)
    out = run_cli(cli, emulator, "-F", "arrow", "T")
    assert out.returncode == 0, out.stderr
    from_cli = pyarrow.ipc.open_stream(out.stdout).read_all()
    direct = client.query_arrow(None, "T").to_pyarrow()
    assert from_cli.schema.equals(direct.schema, check_metadata=True)
    for (name, kusto_type), a, b in zip(ALL_TYPES, from_cli.columns, direct.columns):
        assert all(same(x, y) for x, y in zip(arrow_cells(kusto_type, a), arrow_cells(kusto_type, b))), name
    assert "arrow.uuid" in str(from_cli.schema.field("g").type)
    assert b"outside Arrow's int64 nanoseconds" in out.stderr       # the warnings, on stderr
    polars = pytest.importorskip("polars")
    assert polars.read_ipc_stream(out.stdout).height == len(GENERATED)


def test_cli_arrow_in_batches_and_cut_off(cli, emulator):
    out = run_cli(cli, emulator, "--format=arrow", "range x from 1 to 200000 step 1")
    assert out.returncode == 0, out.stderr
    batches = list(pyarrow.ipc.open_stream(out.stdout))
    assert [b.num_rows for b in batches] == [65536, 65536, 65536, 3392]
    frames = [HEADER, table([("x", "long")], [[i] for i in range(10)])]
    serve(emulator, ("[" + ",\n".join(json.dumps(f) for f in frames)).encode())
    out = run_cli(cli, emulator, "-F", "arrow", "T")
    assert out.returncode == 9                                         # ProtocolError's class
    reader = pyarrow.ipc.open_stream(out.stdout)
    assert reader.read_next_batch().num_rows == 10
    with pytest.raises(Exception):                                     # no end marker: the stream was cut short
        reader.read_next_batch()


def test_cli_arrow_as_the_old_f_and_from_a_script(cli, emulator, tmp_path):
    out = run_cli(cli, emulator, "-f", "arrow", "range x from 1 to 3 step 1")   # -f FORMAT when no file arrow
    assert out.returncode == 0, out.stderr
    assert pyarrow.ipc.open_stream(out.stdout).read_all().column("x").to_pylist() == [1, 2, 3]
    script = tmp_path / "two.kql"
    script.write_text("print a=1;\nprint b='two';\n")
    out = run_cli(cli, emulator, "-F", "arrow", "-f", str(script))
    assert out.returncode == 0, out.stderr
    stream = pyarrow.BufferReader(out.stdout)                          # a stream per query, one after the other
    assert pyarrow.ipc.open_stream(stream).read_all().to_pydict() == {"a": [1]}
    assert pyarrow.ipc.open_stream(stream).read_all().to_pydict() == {"b": ["two"]}


def test_cli_arrow_service_error_writes_nothing(cli, emulator):
    out = run_cli(cli, emulator, "-F", "arrow", "this is not kql (")
    assert out.returncode == 7 and out.stdout == b""
    assert out.stderr.startswith(b"kusto: KUSTO_E_SERVICE: ")


def test_strict_makes_a_cell_in_another_form_an_error(client, emulator):
    serve(emulator, [HEADER, table([("n", "long")], [["x"]]), COMPLETION])
    with pytest.raises(kusto.ProtocolError):
        client.query_arrow(None, "T", strict=True)


def test_a_control_command_and_streams_that_outlive_the_client(emulator):
    config = emulator.config
    with kusto.Client(config["connection_string"], ca_file=config["ca_file"]) as client:
        result = client.query_arrow(None, ".show version")
    assert result.kind == "PrimaryResult" and result.num_rows == 1
    first = result.to_pyarrow()
    second = pyarrow.RecordBatchReader.from_stream(result, schema=None).read_all()  # the batches are shared
    assert first.equals(second) and "BuildVersion" in first.column_names
    assert pyarrow.table(result.tables[0]).num_rows == 1


def test_every_table_is_a_stream_of_its_own(client):
    result = client.query_arrow(None, "range x from 1 to 10 step 1")
    kinds = [t.kind for t in result.tables]
    assert kinds == ["QueryProperties", "PrimaryResult", "QueryCompletionInformation"]
    assert result.primary_results[0].num_rows == 10 == len(result)
    assert all(pyarrow.table(t).num_rows == t.num_rows for t in result.tables)
    assert pyarrow.schema(result.tables[0]).metadata[b"kusto:table_kind"] == b"QueryProperties"


# ---- stream=True: batches while the response arrives ---------------------------------------------------------------

def test_stream_gives_the_collected_values(client, emulator):
    serve(emulator, [HEADER, table(ALL_TYPES, GENERATED), COMPLETION], count=2)
    collected = client.query_arrow(None, "T").to_pyarrow()
    stream = client.query_arrow(None, "T", stream=True, batch_rows=2)
    assert isinstance(stream, kusto.ArrowStream)
    assert pyarrow.schema(stream).equals(collected.schema, check_metadata=True)
    reader = pyarrow.RecordBatchReader.from_stream(stream)
    batches = list(reader)
    assert [b.num_rows for b in batches] == [2, 2, 2]
    streamed = pyarrow.Table.from_batches(batches)
    assert streamed.schema.equals(collected.schema, check_metadata=True)
    assert repr(streamed.to_pylist()) == repr(collected.to_pylist())  # repr: NaN equals NaN


def test_stream_skips_the_other_tables(client):
    t = client.query_arrow(None, "range x from 1 to 10 step 1", stream=True).to_pyarrow()
    assert t.column("x").to_pylist() == list(range(1, 11))
    assert t.schema.metadata[b"kusto:table_kind"] == b"PrimaryResult"


def test_stream_is_read_once(client):
    stream = client.query_arrow(None, "print 1", stream=True)
    assert stream.to_pyarrow().num_rows == 1
    with pytest.raises(kusto.ArgumentError, match="read once"):
        pyarrow.RecordBatchReader.from_stream(stream)


def test_stream_cut_off_part_way_fails_after_its_rows(client, emulator):
    frames = [HEADER, table([("x", "long")], [[i] for i in range(100)])]
    serve(emulator, ("[" + ",\n".join(json.dumps(f) for f in frames)).encode(), count=2)
    with pytest.raises(kusto.ProtocolError) as collected:
        client.query_arrow(None, "T")
    reader = pyarrow.RecordBatchReader.from_stream(client.query_arrow(None, "T", stream=True, batch_rows=40))
    assert [reader.read_next_batch().num_rows for _ in range(3)] == [40, 40, 20]
    with pytest.raises(Exception) as failure:
        reader.read_next_batch()
    assert str(collected.value) in str(failure.value)


def test_stream_errors_before_the_table_raise_from_the_call(client):
    with pytest.raises(kusto.ServiceError):
        client.query_arrow(None, "this is not kql (", stream=True)
    with pytest.raises(kusto.ArgumentError, match="strict"):
        client.query_arrow(None, "print 1", stream=True, strict=True)


def test_stream_dropped_early_cancels_the_transfer(client, emulator):
    reader = pyarrow.RecordBatchReader.from_stream(
        client.query_arrow(None, "range x from 1 to 3000000 step 1", stream=True, batch_rows=1000))
    first = reader.read_next_batch()
    assert first.num_rows == 1000 and first.column("x")[999].as_py() == 1000
    del reader  # releases the stream: the worker stops and the connection closes before the body was sent
    for _ in range(200):
        if emulator.requests("/v2/rest/query")[-1].get("closed"):
            break
        time.sleep(0.1)
    assert emulator.requests("/v2/rest/query")[-1].get("closed") is True


def test_stream_outlives_a_closed_client(emulator):
    config = emulator.config
    with kusto.Client(config["connection_string"], ca_file=config["ca_file"]) as client:
        stream = client.query_arrow(None, "range x from 1 to 100000 step 1", stream=True, batch_rows=7000)
    t = stream.to_pyarrow()
    assert t.num_rows == 100000 and t.column("x").to_pylist()[-1] == 100000
    with pytest.raises(ValueError, match="closed"):
        client.query_arrow(None, "print 1", stream=True)


def test_query_df_with_the_pyarrow_backend_keeps_arrow_columns(client, emulator):
    pandas = pytest.importorskip("pandas")
    serve(emulator, [HEADER, table([("r", "real"), ("d", "datetime"), ("l", "long"), ("s", "string"),
                                    ("g", "guid"), ("y", "dynamic")],
                                   [["NaN", "2024-01-02T03:04:05.1234567Z", 9223372036854775807, "é",
                                     "01234567-89ab-cdef-0123-456789abcdef", {"a": 1}],
                                    [None, None, None, None, None, None]]), COMPLETION])
    frame = client.query_df(None, "T", dtype_backend="pyarrow")
    assert all(isinstance(t, pandas.ArrowDtype) for t in frame.dtypes)
    assert str(frame["l"].dtype) == "int64[pyarrow]" and frame["l"][0] == 9223372036854775807
    assert math.isnan(frame["r"][0]) and frame["r"][1] is pandas.NA
    assert frame["d"][0] == pandas.Timestamp("2024-01-02T03:04:05.1234567Z") and frame["d"][0].nanosecond == 700
    assert frame["s"][0] == "é" and frame["s"][1] is pandas.NA
    assert frame["g"][0] == uuid.UUID("01234567-89ab-cdef-0123-456789abcdef")  # pyarrow reads arrow.uuid so
    assert json.loads(frame["y"][0]) == {"a": 1} and frame["y"][1] is pandas.NA


def test_query_df_refuses_an_unknown_dtype_backend_before_querying(client, emulator):
    before = len(emulator.requests())
    with pytest.raises(kusto.ArgumentError, match="dtype_backend must be 'numpy_nullable' or 'pyarrow', not 'numpy'"):
        client.query_df(None, "print 1", dtype_backend="numpy")
    assert len(emulator.requests()) == before
