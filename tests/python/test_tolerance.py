"""A tolerant reader: cells real servers send oddly arrive as sent and are listed in result["warnings"] (strict=True
raises instead); a body cut off at a frame boundary is a ProtocolError with the rows received; TableProgress frames
reach on_progress; a control command given to query() goes to the management endpoint.

Every body here is written for this test, in the shapes real clusters send; the emulator serves it as a fault."""
import base64
import datetime
import decimal
import json
import os
import pty
import subprocess
import uuid

import pytest

import kusto
import conftest

pytestmark = pytest.mark.usefixtures("clean_emulator")

HEADER = {"FrameType": "DataSetHeader", "IsProgressive": False, "Version": "v2.0"}
COMPLETION = {"FrameType": "DataSetCompletion", "HasErrors": False, "Cancelled": False}


def table(columns, rows, table_id=1, name="PrimaryResult", kind="PrimaryResult"):
    return {"FrameType": "DataTable", "TableId": table_id, "TableKind": kind, "TableName": name,
            "Columns": [{"ColumnName": n, "ColumnType": t} for n, t in columns], "Rows": rows}


def serve(emulator, body, path="/v2/rest/query"):
    """The next request to `path` gets `body`: frames (a list), a dict, or exact bytes."""
    if isinstance(body, bytes):
        emulator.fault(path=path, status=200, body_base64=base64.b64encode(body).decode(), count=1)
    else:
        emulator.fault(path=path, status=200, body=body, count=1)


def test_cells_that_do_not_fit_arrive_as_sent_with_warnings(client, emulator):
    serve(emulator, [HEADER, table([("s", "string"), ("n", "long"), ("b", "bool"), ("r", "real")],
                                   [[{"Count": 3}, 1.5, 1, "fast"],
                                    [42, "12", 0, True],
                                    [{"Count": 4}, 18446744073709551615, True, 1]]), COMPLETION])
    result = client.query(None, "T")
    assert result["primary_results"][0]["rows"] == [
        [{"Count": 3}, decimal.Decimal("1.5"), True, "fast"],
        [42, "12", False, True],
        [{"Count": 4}, decimal.Decimal("18446744073709551615"), True, 1.0],
    ]
    warnings = {(w["column_name"], w["reason"]): w for w in result["warnings"]}
    first = warnings[("s", "an object that is not a valid string")]
    assert first == {"table": "PrimaryResult", "table_id": 1, "row": 0, "column": 0, "column_name": "s",
                     "reason": "an object that is not a valid string", "excerpt": '{"Count":3}', "count": 2}
    assert warnings[("n", "a number that is not a valid long")]["count"] == 2
    assert warnings[("n", "text that is not a valid long")]["row"] == 1
    assert len(result["warnings"]) == 6


def test_datetimes_out_of_range_and_empty_ones(client, emulator):
    serve(emulator, [HEADER, table([("t", "datetime"), ("d", "timespan")],
                                   [["0000-01-01T00:00:00Z", ""],
                                    ["0001-01-01T00:00:00Z", 36000000000],
                                    ["9999-12-31T23:59:59.9999999Z", "-1.00:00:00"],
                                    ["", None]]), COMPLETION])
    result = client.query(None, "T")
    utc = datetime.timezone.utc
    assert result["primary_results"][0]["rows"] == [
        ["0000-01-01T00:00:00Z", None],   # no datetime can hold year 0: its text, and a warning
        [datetime.datetime(1, 1, 1, tzinfo=utc), datetime.timedelta(hours=1)],
        [datetime.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=utc), datetime.timedelta(days=-1)],
        [None, None],
    ]
    assert [(w["row"], w["column_name"], w["reason"]) for w in result["warnings"]] == [
        (0, "t", "text that is not a valid datetime")]


def test_guids_decimals_and_invalid_utf8(client, emulator):
    frames = [HEADER, table([("g", "guid"), ("m", "decimal"), ("s", "string"), ("d", "dynamic")],
                            [["0f8fad5b-d9cb-469f-a165-70867728950e", "2.5", "ok", {"k": 1}],
                             ["not-a-guid", "1,5", "STRING_CELL", {"KEY_CELL": 2}]]), COMPLETION]
    body = json.dumps(frames).encode().replace(b"STRING_CELL", b"caf\xe9").replace(b"KEY_CELL", b"k\xff")
    serve(emulator, body)
    result = client.query(None, "T")
    rows = result["primary_results"][0]["rows"]
    assert rows[0] == [uuid.UUID("0f8fad5b-d9cb-469f-a165-70867728950e"), decimal.Decimal("2.5"), "ok", {"k": 1}]
    assert rows[1] == ["not-a-guid", "1,5", b"caf\xe9", {b"k\xff": 2}]
    reasons = sorted((w["column_name"], w["reason"]) for w in result["warnings"])
    assert reasons == [
        ("d", "a dynamic key that is not valid UTF-8, delivered as bytes"),
        ("g", "text that is not a valid guid"),
        ("m", "text that is not a valid decimal"),
        ("s", "text that is not valid UTF-8, delivered as bytes"),
    ]
    assert {w["row"] for w in result["warnings"]} == {1}


def streamed_body(completion=True):
    """One DataTable frame of 3000 rows (over 256 KiB: its rows stream while it arrives), an object in a string
    cell of row 2000 and a byte that is not UTF-8 in another."""
    rows = [[i, "x" * 100] for i in range(3000)]
    rows[2000][1], rows[2500][1] = {"Count": 3}, "STRING_CELL"
    frames = [HEADER, table([("n", "long"), ("s", "string")], rows)] + ([COMPLETION] if completion else [])
    return json.dumps(frames).encode().replace(b"STRING_CELL", b"caf\xe9")


STREAMED_WARNINGS = [
    {"table": "PrimaryResult", "table_id": 1, "row": 2000, "column": 1, "column_name": "s",
     "reason": "an object that is not a valid string", "excerpt": '{"Count": 3}', "count": 1},  # as sent
    {"table": "PrimaryResult", "table_id": 1, "row": 2500, "column": 1, "column_name": "s",
     "reason": "text that is not valid UTF-8, delivered as bytes", "excerpt": "caf\\xe9", "count": 1}]


def test_query_iter_has_the_warnings_once_exhausted(client, emulator):
    serve(emulator, streamed_body())
    rows = client.query_iter(None, "T")
    received = list(rows)
    assert [r[0] for r in received] == list(range(3000))
    assert received[2000][1] == {"Count": 3} and received[2500][1] == b"caf\xe9"
    assert sorted(rows.warnings, key=lambda w: w["row"]) == STREAMED_WARNINGS


def test_query_iter_cut_off_keeps_the_warnings_of_the_rows_received(client, emulator):
    serve(emulator, streamed_body(completion=False))
    rows = client.query_iter(None, "T")
    with pytest.raises(kusto.ProtocolError, match="without a DataSetCompletion"):
        for _ in rows:
            pass
    assert sorted(rows.warnings, key=lambda w: w["row"]) == STREAMED_WARNINGS


def test_on_rows_callers_get_the_warnings_in_the_result(client, emulator):
    serve(emulator, streamed_body())
    batches = []
    result = client.query(None, "T", on_rows=lambda table, rows: batches.append(len(rows)))
    assert sum(batches) == 3000 and len(batches) > 1
    assert sorted(result["warnings"], key=lambda w: w["row"]) == STREAMED_WARNINGS


def test_strict_raises_instead(client, emulator):
    frames = [HEADER, table([("s", "string")], [["a"], [{"Count": 3}]]), COMPLETION]
    serve(emulator, frames)
    with pytest.raises(kusto.ProtocolError, match="row 1, column 's'"):
        client.query(None, "T", strict=True)
    serve(emulator, json.dumps([HEADER, table([("s", "string")], [["STRING_CELL"]]), COMPLETION]).encode()
          .replace(b"STRING_CELL", b"\xff"))
    with pytest.raises(UnicodeDecodeError):
        client.query(None, "T", strict=True)


def test_strict_as_a_client_option(emulator):
    config = emulator.config
    serve(emulator, [HEADER, table([("n", "int")], [["x"]]), COMPLETION])
    with pytest.raises(kusto.ProtocolError, match="is not a valid int"):
        kusto.query(config["connection_string"], None, "T", ca_file=config["ca_file"],
                    authority=config["authority"], strict=True)


def test_v1_dotnet_types_and_a_status_table_with_objects(client, emulator):
    body = {"Tables": [
        {"TableName": "Table_0", "Columns": [{"ColumnName": "a", "DataType": "SByte"},
                                             {"ColumnName": "b", "DataType": "TimeSpan"},
                                             {"ColumnName": "c", "DataType": "Object"},
                                             {"ColumnName": "d", "DataType": "Int32"}],
         "Rows": [[1, 600000000, {"x": 1}, 7], [0, "", [], None]]},
        {"TableName": "Table_1", "Columns": [{"ColumnName": "Status", "DataType": "String"}],
         "Rows": [[{"ExecutionTime": 0.1}]]}]}
    serve(emulator, body, path="/v1/rest/mgmt")
    result = client.mgmt(None, ".show something")
    assert result["tables"][0]["rows"] == [[True, datetime.timedelta(minutes=1), {"x": 1}, 7], [False, None, [], None]]
    assert result["tables"][1]["rows"] == [[{"ExecutionTime": 0.1}]]
    assert [(w["table"], w["reason"]) for w in result["warnings"]] == [
        ("Table_1", "an object that is not a valid string")]


def test_table_name_that_is_not_a_string_is_not_out_of_memory(client, emulator):
    frame = table([("x", "int")], [[1]])
    frame["TableName"] = 5
    serve(emulator, [HEADER, frame, COMPLETION])
    assert client.query(None, "T")["tables"][0]["name"] == "5"


def test_frame_type_in_another_letter_case(client, emulator):
    frame = table([("x", "int")], [[1]])
    frame["FrameType"] = "datatable"
    serve(emulator, [{"frameType": "DataSetHeader"}, frame, {"FrameType": "DATASETCOMPLETION"}])
    assert client.query(None, "T")["tables"][0]["rows"] == [[1]]


@pytest.mark.parametrize("frames", [
    [],
    [HEADER, table([("x", "int")], [[1], [2]])],
    [HEADER, {"FrameType": "TableHeader", "TableId": 1, "TableKind": "PrimaryResult", "TableName": "PrimaryResult",
              "Columns": [{"ColumnName": "x", "ColumnType": "int"}]},
     {"FrameType": "TableFragment", "TableId": 1, "Rows": [[1], [2]]},
     {"FrameType": "TableCompletion", "TableId": 1}],
], ids=["empty", "no-completion", "cut-after-table"])
def test_a_body_without_completion_is_a_protocol_error_with_the_rows(client, emulator, frames):
    serve(emulator, frames)
    with pytest.raises(kusto.ProtocolError, match="without a DataSetCompletion") as info:
        client.query(None, "T")
    tables = info.value.result["tables"]
    assert [row for t in tables for row in t["rows"]] == ([] if not frames else [[1], [2]])


def test_v1_without_tables_is_a_protocol_error(client, emulator):
    serve(emulator, {"Something": []}, path="/v1/rest/mgmt")
    with pytest.raises(kusto.ProtocolError, match="without Tables"):
        client.mgmt(None, ".show version")


def test_on_progress_gets_table_progress(client, emulator):
    serve(emulator, [dict(HEADER, IsProgressive=True),
                     {"FrameType": "TableHeader", "TableId": 1, "TableKind": "PrimaryResult",
                      "TableName": "PrimaryResult", "Columns": [{"ColumnName": "x", "ColumnType": "int"}]},
                     {"FrameType": "TableProgress", "TableId": 1, "TableProgress": 25.0},
                     {"FrameType": "TableFragment", "TableFragmentType": "DataAppend", "TableId": 1, "Rows": [[1]]},
                     {"FrameType": "TableProgress", "TableId": 1, "TableProgress": 100.0},
                     {"FrameType": "TableCompletion", "TableId": 1}, COMPLETION])
    seen = []
    result = client.query(None, "T", on_progress=lambda table_id, percent: seen.append((table_id, percent)))
    assert seen == [(1, 25.0), (1, 100.0)]
    assert result["primary_results"][0]["rows"] == [[1]]


def test_on_progress_that_raises_stops_the_query(client, emulator):
    serve(emulator, [HEADER, {"FrameType": "TableProgress", "TableId": 0, "TableProgress": 5}, COMPLETION])

    def stop(table_id, percent):
        raise RuntimeError("enough")

    with pytest.raises(RuntimeError, match="enough"):
        client.query(None, "T", on_progress=stop)


def test_a_control_command_given_to_query_goes_to_mgmt(client, emulator):
    def last_path():
        return [r["path"] for r in emulator.requests() if r["path"].startswith("/v")][-1]

    emulator.reset()
    result = client.query(None, " \n .show version")
    assert result["tables"][0]["rows"] and last_path() == "/v1/rest/mgmt"
    assert "/v2/rest/query" not in [r["path"] for r in emulator.requests()]
    try:  # comments before the command count as white space (the emulator's parser may not take them)
        client.query(None, "// the version\n.show version")
    except kusto.ServiceError:
        pass
    assert last_path() == "/v1/rest/mgmt"
    client.query(None, "print x = '.show'")
    assert last_path() == "/v2/rest/query"


# ---- the CLI: warnings and progress on stderr, a control command without --mgmt ----------------------------------

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="module")
def cli():
    subprocess.run(["make", "-s", "-C", REPO, "build/kusto"], check=True)
    return conftest.CLI


def run_cli(cli, emulator, *args, stderr=subprocess.PIPE):
    env = dict(os.environ, KUSTO_CONNECTION_STRING=emulator.config["connection_string"])
    argv = [cli, "--ca-file", emulator.config["ca_file"], "-o", "authority=" + emulator.config["authority"]]
    return subprocess.run(argv + list(args), stdout=subprocess.PIPE, stderr=stderr, text=True, env=env, timeout=60)


def test_cli_prints_rows_and_warnings_on_stderr(cli, emulator):
    serve(emulator, [HEADER, table([("s", "string")], [["a"], [{"Count": 3}]]), COMPLETION])
    out = run_cli(cli, emulator, "-f", "csv", "T")
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["s", "a", '"{""Count"":3}"']
    assert out.stderr == ("kusto: warning: table 'PrimaryResult', row 1, column 's': an object that is not a valid "
                          "string, e.g. {\"Count\":3} (1 cell, delivered as sent)\n")
    serve(emulator, [HEADER, table([("s", "string")], [["a"], [{"Count": 3}]]), COMPLETION])
    strict = run_cli(cli, emulator, "-o", "strict=true", "-f", "csv", "T")
    assert strict.returncode == 9 and "is not a valid string" in strict.stderr


def test_cli_sends_a_control_command_to_mgmt_without_the_flag(cli, emulator):
    emulator.reset()
    out = run_cli(cli, emulator, "-f", "csv", ".show version")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("BuildVersion,")
    assert emulator.requests("/v1/rest/mgmt") and not emulator.requests("/v2/rest/query")


def test_cli_shows_progress_on_a_terminal_only(cli, emulator):
    frames = [HEADER, {"FrameType": "TableProgress", "TableId": 1, "TableProgress": 60.0},
              table([("x", "int")], [[1]]), COMPLETION]
    serve(emulator, frames)
    quiet = run_cli(cli, emulator, "-f", "csv", "T")
    assert quiet.stderr == "" and quiet.stdout == "x\n1\n"
    main, terminal = pty.openpty()
    try:
        serve(emulator, frames)
        shown = run_cli(cli, emulator, "-f", "csv", "T", stderr=terminal)
        os.close(terminal)
        terminal = None
        seen = b""
        while True:
            try:
                chunk = os.read(main, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
    finally:
        if terminal is not None:
            os.close(terminal)
        os.close(main)
    assert shown.returncode == 0 and shown.stdout == "x\n1\n"
    assert b"kusto: table 1: 60% done" in seen


def test_to_dataframe_keeps_a_column_with_odd_cells_as_objects(client, emulator):
    pandas = pytest.importorskip("pandas")
    serve(emulator, [HEADER, table([("s", "string"), ("n", "long")], [["a", 1], [{"Count": 3}, 2]]), COMPLETION])
    frame = kusto.to_dataframe(client.query(None, "T")["primary_results"][0])  # query_df (Arrow) holds the JSON text
    assert list(frame["s"]) == ["a", {"Count": 3}]
    assert str(frame["n"].dtype) == "Int64"
