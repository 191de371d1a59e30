"""Kusto v2 response bodies for the benchmark: one primary table of long, real, string, datetime, timespan, bool,
guid, dynamic and decimal columns, in Kusto's fragmented newline form (what libkusto asks for) and in the plain
form (one DataTable frame per table, what azure-kusto-data asks for).

    python bench/gen.py ROWS [--plain] > body.json
"""
import json
import sys

COLUMNS = [("Id", "long"), ("Score", "real"), ("Name", "string"), ("At", "datetime"), ("Took", "timespan"),
           ("Ok", "bool"), ("Key", "guid"), ("Bag", "dynamic"), ("Amount", "decimal")]
ROWS_PER_FRAGMENT = 1000


def row(i):
    """Distinct values every row, about 200 bytes of JSON, with a null now and then."""
    return [
        i * 7919 - 3_000_000,
        None if i % 97 == 0 else i / 7.0 + 0.125,
        f"name {i} with some text",
        f"2024-{i % 12 + 1:02d}-{i % 28 + 1:02d}T{i % 24:02d}:{i % 60:02d}:{i % 59:02d}.{i % 10_000_000:07d}Z",
        f"{i % 3}.{i % 24:02d}:{i % 60:02d}:{i % 60:02d}.{i % 1000:03d}0000",
        i % 3 == 0,
        f"{i:08x}-1234-4abc-8def-{i * 31 % 10 ** 12:012d}",
        {"n": i, "tags": ["a", "b"], "ok": i % 2 == 0},
        f"{i}.{i % 997:03d}",
    ]


def _columns():
    return [{"ColumnName": n, "ColumnType": t} for n, t in COLUMNS]


def _dumps(obj):
    return json.dumps(obj, separators=(",", ":"))


HEADER = {"FrameType": "DataSetHeader", "IsProgressive": False, "Version": "v2.0"}
PROPERTIES = {"FrameType": "DataTable", "TableId": 0, "TableKind": "QueryProperties", "TableName": "@ExtendedProperties",
              "Columns": [{"ColumnName": "TableId", "ColumnType": "int"}, {"ColumnName": "Key", "ColumnType": "string"},
                          {"ColumnName": "Value", "ColumnType": "dynamic"}],
              "Rows": [[1, "Visualization", {"Visualization": None}]]}
COMPLETION_INFO = {"FrameType": "DataTable", "TableId": 2, "TableKind": "QueryCompletionInformation",
                   "TableName": "QueryCompletionInformation",
                   "Columns": [{"ColumnName": "Level", "ColumnType": "int"},
                               {"ColumnName": "LevelName", "ColumnType": "string"},
                               {"ColumnName": "Payload", "ColumnType": "string"}],
                   "Rows": [[4, "Info", "{\"Count\":1,\"Text\":\"Query completed successfully\"}"]]}


def fragmented(rows, out):
    """[frame,\\nframe,...]: a TableHeader, a TableFragment per ROWS_PER_FRAGMENT rows, a TableCompletion."""
    frames = [dict(HEADER, IsFragmented=True, ErrorReportingPlacement="EndOfTable"), PROPERTIES,
              {"FrameType": "TableHeader", "TableId": 1, "TableKind": "PrimaryResult", "TableName": "PrimaryResult",
               "Columns": _columns()}]
    out.write("[" + ",\n".join(_dumps(f) for f in frames))
    for start in range(0, rows, ROWS_PER_FRAGMENT):
        chunk = [row(i) for i in range(start, min(rows, start + ROWS_PER_FRAGMENT))]
        out.write(',\n{"FrameType":"TableFragment","TableFragmentType":"DataAppend","TableId":1,"Rows":')
        out.write(_dumps(chunk) + "}")
    tail = [{"FrameType": "TableCompletion", "TableId": 1, "RowCount": rows}, COMPLETION_INFO,
            {"FrameType": "DataSetCompletion", "HasErrors": False, "Cancelled": False}]
    out.write(",\n" + ",\n".join(_dumps(f) for f in tail) + "\n]")


def plain(rows, out):
    """[frame,frame,...]: the primary table as one DataTable frame."""
    out.write("[" + _dumps(dict(HEADER, IsFragmented=False)) + "," + _dumps(PROPERTIES) + ",")
    out.write('{"FrameType":"DataTable","TableId":1,"TableKind":"PrimaryResult","TableName":"PrimaryResult",'
              '"Columns":' + _dumps(_columns()) + ',"Rows":[')
    for start in range(0, rows, ROWS_PER_FRAGMENT):
        chunk = _dumps([row(i) for i in range(start, min(rows, start + ROWS_PER_FRAGMENT))])[1:-1]
        out.write(("," if start else "") + chunk)
    out.write("]}," + _dumps(COMPLETION_INFO) + "," +
              _dumps({"FrameType": "DataSetCompletion", "HasErrors": False, "Cancelled": False}) + "]")


def write(path, rows, form):
    with open(path, "w") as out:
        (plain if form == "plain" else fragmented)(rows, out)


if __name__ == "__main__":
    (plain if "--plain" in sys.argv else fragmented)(int(sys.argv[1]), sys.stdout)
