"""Rows while they arrive (on_rows, query_iter), columnar results and pandas DataFrames."""
import datetime as dt
import decimal
import sys
import threading

import pytest

import kusto


pytestmark = pytest.mark.usefixtures("clean_emulator")


TYPED = ('print l=long(5), r=real(2.5), s="x", d=datetime(2024-01-02 03:04:05), t=timespan(1.02:03:04), '
         'b=true, g=guid(00000000-1234-4abc-8def-000000000001), y=dynamic({"a":[1,2]}), m=decimal(1.25)')


def test_on_rows_gets_batches_of_primary_rows_which_the_result_does_not_keep(client):
    calls = []
    result = client.query(None, "range x from 1 to 2500 step 1", on_rows=lambda t, rows: calls.append((t, rows)))
    assert [len(rows) for _, rows in calls] == [1000, 1000, 500]
    assert [r[0] for _, rows in calls for r in rows] == list(range(1, 2501))
    [table] = result["primary_results"]
    assert all(t is table for t, _ in calls)
    assert table["rows"] == [] and table["columns"] == [{"name": "x", "type": "long"}]
    assert any(t["kind"] == "QueryCompletionInformation" and t["rows"] for t in result["tables"])


def test_on_rows_exception_stops_the_query_and_propagates(client):
    def on_rows(table, rows):
        raise KeyError("stop here")
    with pytest.raises(KeyError, match="stop here"):
        client.query(None, "range x from 1 to 5000 step 1", on_rows=on_rows)


def test_on_rows_must_be_callable(client):
    with pytest.raises(TypeError, match="on_rows"):
        client.query(None, "print 1", on_rows=42)


def test_query_iter_yields_every_row_in_order(client):
    rows = client.query_iter(None, "range x from 1 to 12345 step 1")
    assert [r[0] for r in rows] == list(range(1, 12346))


def test_query_iter_converts_types_like_query(client):
    assert list(client.query_iter(None, TYPED)) == client.query(None, TYPED)["primary_results"][0]["rows"]


def test_query_iter_raises_service_errors_where_it_is_iterated(client):
    rows = client.query_iter(None, "nosuchtable | take 1")
    with pytest.raises(kusto.ServiceError) as info:
        next(rows)
    assert info.value.http_status == 400


def test_leaving_query_iter_early_cancels_and_leaves_no_thread(client):
    before = threading.active_count()
    rows = client.query_iter(None, "range x from 1 to 200000 step 1")
    assert [next(rows)[0] for _ in range(3)] == [1, 2, 3]
    rows.close()
    assert threading.active_count() == before
    assert client.query(None, "print 1")["primary_results"][0]["rows"] == [[1]]  # the client is still usable


def test_columnar_gives_one_list_per_column(client):
    result = client.query(None, "range x from 1 to 3 step 1 | extend y = x * 2", columnar=True)
    [table] = result["primary_results"]
    assert "rows" not in table
    assert [c["name"] for c in table["columns"]] == ["x", "y"]
    assert table["data"] == [[1, 2, 3], [2, 4, 6]]


def test_columnar_values_are_typed_like_rows(client):
    rows = client.query(None, TYPED)["primary_results"][0]["rows"]
    data = client.query(None, TYPED, columnar=True)["primary_results"][0]["data"]
    assert [column[0] for column in data] == rows[0]
    assert data[3] == [dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)]
    assert data[8] == [decimal.Decimal("1.25")]


def test_pandas_is_not_imported_by_import_kusto():
    import subprocess
    out = subprocess.run([sys.executable, "-c", "import kusto, sys; print('pandas' in sys.modules)"],
                         capture_output=True, text=True, cwd="/tmp")
    assert out.stdout.strip() == "False"


def test_query_df_types_the_columns(client):
    pandas = pytest.importorskip("pandas")
    frame = client.query_df(None, TYPED)
    assert list(frame.columns) == ["l", "r", "s", "d", "t", "b", "g", "y", "m"]
    assert str(frame["l"].dtype) == "Int64" and frame["l"][0] == 5
    assert str(frame["r"].dtype) == "Float64"
    assert str(frame["b"].dtype) == "boolean"
    assert frame["d"][0] == pandas.Timestamp("2024-01-02T03:04:05Z")
    assert frame["t"][0] == pandas.Timedelta(days=1, hours=2, minutes=3, seconds=4)
    assert frame["y"][0] == {"a": [1, 2]}


def test_to_dataframe_of_a_row_table_equals_the_columnar_one(client):
    pytest.importorskip("pandas")
    table = client.query(None, "range x from 1 to 50 step 1 | extend y = x * 2")["primary_results"][0]
    frame = kusto.to_dataframe(table)
    assert frame["y"].tolist() == [2 * x for x in range(1, 51)]
    assert frame.equals(client.query_df(None, "range x from 1 to 50 step 1 | extend y = x * 2"))


def test_dynamic_objects_share_their_key_strings(client):
    rows = client.query(None, 'range x from 1 to 3 step 1 | extend y = dynamic({"alpha": 1, "beta": [2]})')
    [table] = rows["primary_results"]
    first, second = (list(r[1]) for r in table["rows"][:2])
    assert first == second == ["alpha", "beta"]
    assert first[0] is second[0] and first[1] is second[1]
    assert table["rows"][2][1] == {"alpha": 1, "beta": [2]}
