"""Query results on the wire: v2 frames (/v2/rest/query) and v1 tables (/v1/rest/query, /v1/rest/mgmt).

Bodies are generators of bytes so that a million-row `range` is written as it is produced. Frame layout follows
the service: "[" frame "," frame ... "]", or with results_v2_newlines_between_frames one frame per line
("[" frame "\\n," frame ... "\\n]\\n"), and with results_v2_fragment_primary_tables the primary table as
TableHeader, TableFragment (DataAppend) ..., TableCompletion.
"""
import json
import os
import threading

from . import values

CHUNK_BYTES = 64 * 1024
VISUALIZATION = json.dumps({"Visualization": None, "Title": None, "XColumn": None, "Series": None,
                            "YColumns": None, "AnomalyColumns": None, "XTitle": None, "YTitle": None,
                            "XAxis": None, "YAxis": None, "Legend": None, "YSplit": None, "Accumulate": False,
                            "IsQuerySorted": False, "Kind": None, "Ymin": "NaN", "Ymax": "NaN", "Xmin": None,
                            "Xmax": None}, separators=(",", ":"))
QCI_COLUMNS = [("Timestamp", "datetime"), ("ClientRequestId", "string"), ("ActivityId", "guid"),
               ("SubActivityId", "guid"), ("ParentActivityId", "guid"), ("Level", "int"), ("LevelName", "string"),
               ("StatusCode", "int"), ("StatusCodeName", "string"), ("EventType", "int"),
               ("EventTypeName", "string"), ("Payload", "string")]
PLACEMENTS = {"in_data": "InData", "end_of_table": "EndOfTable", "end_of_dataset": "EndOfDataset"}
TOO_LARGE_CODE = -2133196797


def _dumps(value):
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def chunked(pieces):
    """Groups many small strings into ~64 KiB byte chunks."""
    buffer, size = [], 0
    for piece in pieces:
        data = piece.encode("utf-8")
        buffer.append(data)
        size += len(data)
        if size >= CHUNK_BYTES:
            yield b"".join(buffer)
            buffer, size = [], 0
    if buffer:
        yield b"".join(buffer)


class CallInfo:
    """Identifiers of one request, as they appear in errors' @context and in QueryCompletionInformation."""

    def __init__(self, activity_id, client_request_id):
        self.activity_id = activity_id
        self.client_request_id = client_request_id or "unspecified;" + activity_id
        self.timestamp = values.now_ticks()

    def context(self):
        return {"timestamp": values.format_datetime(values.now_ticks()), "serviceAlias": "EMULATOR",
                "machineName": "KEngine000000", "processName": "Kusto.Emulator", "processId": os.getpid(),
                "threadId": threading.get_ident() % 100000, "clientRequestId": self.client_request_id,
                "activityId": self.activity_id, "subActivityId": self.activity_id,
                "activityType": "GW.Http.CallContext", "parentActivityId": self.activity_id,
                "activityStack": "(Activity stack: CRID=%s ARID=%s > GW.Http.CallContext/%s)"
                                 % (self.client_request_id, self.activity_id, self.activity_id)}

    def one_api_error(self, code, message, error_type, description, permanent):
        return {"error": {"code": code, "message": message, "@type": error_type, "@message": description,
                          "@context": self.context(), "@permanent": permanent}}


class Limited:
    """Yields at most `limit` rows (None: all), remembering whether rows were left over."""

    def __init__(self, rows, limit):
        self._rows = iter(rows)
        self.limit = limit
        self.count = 0
        self.truncated = False

    def __iter__(self):
        for row in self._rows:
            if self.limit is not None and self.count >= self.limit:
                self.truncated = True
                return
            self.count += 1
            yield row


def _too_large_text(limit):
    return ("Query execution has exceeded the allowed limits (80DA0003): The results of this query exceed the set "
            "limit of %d records, so not all records were returned (E_QUERY_RESULT_SET_TOO_LARGE, 0x80DA0003). "
            "See https://aka.ms/kustoquerylimits for more information and possible solutions.." % limit)


def _too_large_error(call, limit):
    return call.one_api_error("LimitsExceeded", "Request is invalid and cannot be executed.",
                              "Kusto.Data.Exceptions.KustoServicePartialQueryFailureLimitsExceededException",
                              _too_large_text(limit), False)


class Options:
    """The client request properties that shape a response."""

    def __init__(self, options, csl):
        def flag(name):
            return str(options.get(name, "")).lower() == "true"
        self.newlines = flag("results_v2_newlines_between_frames")
        self.fragmented = flag("results_v2_fragment_primary_tables")
        self.placement = str(options.get("results_error_reporting_placement") or "")
        self.defer_errors = flag("deferpartialqueryfailures")
        limit = options.get("truncationmaxrecords")
        no_truncation = flag("notruncation") or "set notruncation" in csl.lower()
        self.row_limit = None if no_truncation or limit is None else int(limit)


def _columns_v2(columns):
    return [{"ColumnName": name, "ColumnType": kusto_type} for name, kusto_type in columns]


def _rows_text(columns, rows):
    encode = values.row_encoder([t for _, t in columns])
    return ",".join(encode(row) for row in rows)


def _data_table(table_id, kind, name, columns, rows):
    return _dumps({"FrameType": "DataTable", "TableId": table_id, "TableKind": kind, "TableName": name,
                   "Columns": _columns_v2(columns)})[:-1] + ',"Rows":[' + _rows_text(columns, rows) + "]}"


class V2Writer:
    """Generates a v2 response for one primary table."""

    def __init__(self, table, options, call, rows_per_fragment):
        self.table = table
        self.options = options
        self.call = call
        self.rows_per_fragment = int(rows_per_fragment)
        self.rows = Limited(table.rows, options.row_limit)
        self.error = None           # the partial-failure OneApiError once the row limit was hit

    def body(self):
        separator = "\n," if self.options.newlines else ","
        yield "["
        for index, frame in enumerate(self.frames()):
            if index:
                yield separator
            yield from frame
        yield "\n]\n" if self.options.newlines else "]"

    def frames(self):
        """Each frame is a list or generator of string pieces."""
        header = {"FrameType": "DataSetHeader", "IsProgressive": False, "Version": "v2.0"}
        if self.options.fragmented:
            header["IsFragmented"] = True
        if self.options.placement in PLACEMENTS:
            header["ErrorReportingPlacement"] = PLACEMENTS[self.options.placement]
        yield [_dumps(header)]
        yield [_data_table(0, "QueryProperties", "@ExtendedProperties",
                           [("TableId", "int"), ("Key", "string"), ("Value", "dynamic")],
                           [(1, "Visualization", VISUALIZATION)])]
        if self.options.fragmented:
            yield from self.fragmented_primary()
        else:
            yield self.primary_data_table()
        yield [_data_table(2, "QueryCompletionInformation", "QueryCompletionInformation", QCI_COLUMNS,
                           self.completion_rows())]
        completion = {"FrameType": "DataSetCompletion", "HasErrors": False, "Cancelled": False}
        if self.error and not self.options.defer_errors:
            completion.update(HasErrors=True, OneApiErrors=[self.error])
        yield [_dumps(completion)]

    def _note_truncation(self):
        if self.rows.truncated:
            self.error = _too_large_error(self.call, self.rows.limit)
        return self.error is not None and not self.options.defer_errors

    def primary_data_table(self):
        columns = self.table.columns
        encode = values.row_encoder([t for _, t in columns])
        yield _dumps({"FrameType": "DataTable", "TableId": 1, "TableKind": "PrimaryResult",
                      "TableName": "PrimaryResult", "Columns": _columns_v2(columns)})[:-1] + ',"Rows":['
        for index, row in enumerate(self.rows):
            yield ("," if index else "") + encode(row)
        if self._note_truncation() and self.options.placement != "end_of_dataset":
            yield ("," if self.rows.count else "") + _dumps({"OneApiErrors": [self.error]})
        yield "]}"

    def fragmented_primary(self):
        columns = self.table.columns
        yield [_dumps({"FrameType": "TableHeader", "TableId": 1, "TableKind": "PrimaryResult",
                       "TableName": "PrimaryResult", "Columns": _columns_v2(columns)})]
        encode = values.row_encoder([t for _, t in columns])
        batch = []
        for row in self.rows:
            batch.append(encode(row))
            if len(batch) >= self.rows_per_fragment:
                yield [self._fragment(batch)]
                batch = []
        inline_error = self._note_truncation() and self.options.placement in ("", "in_data")
        if inline_error:
            batch.append(_dumps({"OneApiErrors": [self.error]}))
        if batch:
            yield [self._fragment(batch)]
        completion = {"FrameType": "TableCompletion", "TableId": 1, "RowCount": self.rows.count}
        if self.error and not self.options.defer_errors and self.options.placement == "end_of_table":
            completion["OneApiErrors"] = [self.error]
        yield [_dumps(completion)]

    @staticmethod
    def _fragment(encoded_rows):
        return '{"FrameType":"TableFragment","TableFragmentType":"DataAppend","TableId":1,"Rows":[%s]}' \
            % ",".join(encoded_rows)

    def completion_rows(self):
        call = self.call
        ids = (values.now_ticks(), call.client_request_id, call.activity_id, call.activity_id, call.activity_id)
        rows = [ids + (4, "Info", 0, "S_OK (0)", 4, "QueryInfo",
                       _dumps({"Count": 1, "Text": "Query completed successfully"})),
                ids + (6, "Stats", 0, "S_OK (0)", 0, "QueryResourceConsumption",
                       _dumps({"ExecutionTime": 0.0, "resource_usage": {"cpu": {"user": "00:00:00",
                                                                                "kernel": "00:00:00"}},
                               "dataset_statistics": [{"table_row_count": self.rows.count,
                                                       "table_size": 0}]}))]
        if self.error and self.options.defer_errors:
            rows.insert(0, ids + (2, "Error", TOO_LARGE_CODE,
                                  "Query result set too large (E_QUERY_RESULT_SET_TOO_LARGE). (%d)" % TOO_LARGE_CODE,
                                  3, "QueryLimitsExceeded",
                                  _dumps({"Count": 1, "Text": _too_large_text(self.rows.limit)})))
        return rows


def v2_body(table, options, call, rows_per_fragment):
    return chunked(V2Writer(table, options, call, rows_per_fragment).body())


# --- v1 -------------------------------------------------------------------------------------------------

def _v1_table(name, columns, rows, limited=None):
    encode = values.row_encoder([t for _, t in columns], v1=True)
    head = {"TableName": name, "Columns": [{"ColumnName": n, "DataType": values.CLR_NAMES[t], "ColumnType": t}
                                           for n, t in columns]}
    yield _dumps(head)[:-1] + ',"Rows":['
    count = 0
    for count, row in enumerate(rows, 1):
        yield ("," if count > 1 else "") + encode(row)
    if limited is not None and limited.truncated:
        yield ("," if count else "") + _dumps({"Exceptions": [_too_large_text(limited.limit)]})
    yield "]}"


def _v1_tables(tables):
    yield '{"Tables":['
    for index, table in enumerate(tables):
        if index:
            yield ","
        yield from table
    yield "]}"


def v1_query_body(table, options, call):
    """Data, @ExtendedProperties, QueryStatus and the table of contents, as /v1/rest/query answers."""
    rows = Limited(table.rows, options.row_limit)
    status_columns = [("Timestamp", "datetime"), ("Severity", "int"), ("SeverityName", "string"),
                      ("StatusCode", "int"), ("StatusDescription", "string"), ("Count", "int"),
                      ("RequestId", "guid"), ("ActivityId", "guid"), ("SubActivityId", "guid"),
                      ("ClientActivityId", "string")]
    status = [(values.now_ticks(), 4, "Info", 0, "Query completed successfully", 1, call.activity_id,
               call.activity_id, call.activity_id, call.client_request_id)]
    toc_columns = [("Ordinal", "long"), ("Kind", "string"), ("Name", "string"), ("Id", "string"),
                   ("PrettyName", "string")]
    toc = [(0, "QueryResult", "PrimaryResult", call.activity_id, ""),
           (1, "QueryProperties", "@ExtendedProperties", call.activity_id, ""),
           (2, "QueryStatus", "QueryStatus", call.activity_id, "")]
    return chunked(_v1_tables([
        _v1_table("Table_0", table.columns, rows, rows),
        _v1_table("Table_1", [("Value", "string")], [('{"Visualization":null,"Title":null}',)]),
        _v1_table("Table_2", status_columns, status),
        _v1_table("Table_3", toc_columns, toc)]))


def v1_command_body(table):
    return chunked(_v1_tables([_v1_table("Table_0", table.columns, table.rows)]))

