"""Client methods written in Python on top of the C extension: query_iter (rows while they arrive) and
query_df / to_dataframe (pandas, imported only when called)."""
from . import _identity, _kusto, _migration

_DONE = object()
# Batches (of up to 1000 rows) waiting for the consumer; the query pauses while the queue is full.
_QUEUE_BATCHES = 4


class _Stop(Exception):
    """Raised inside on_rows when the consumer left: cancels the query."""


class RowIterator:
    """query_iter's rows. `warnings`: the tolerant reader's warnings (as query()'s result["warnings"]), added when
    the query ends, so complete once the loop is exhausted (or has raised: those the error's result carried)."""

    def __init__(self, run_query):
        self.warnings = []
        self._rows = _stream_rows(run_query, self.warnings)

    def __iter__(self):
        return self

    def __next__(self):
        return next(self._rows)

    def close(self):
        """Leaves the query: cancels it and waits for its worker thread."""
        self._rows.close()


def iterate_rows(run_query):
    """A RowIterator over the rows `run_query(on_rows)` hands to on_rows while it runs in a worker thread.

    The worker holds at most _QUEUE_BATCHES batches ahead of the consumer, so memory stays bounded whatever
    the result size; leaving the loop early cancels the query."""
    return RowIterator(run_query)


def _stream_rows(run_query, warnings):
    import queue  # here, not at the top: `import kusto` stays fast
    import threading

    batches = queue.Queue(_QUEUE_BATCHES)
    stop = threading.Event()

    def on_rows(table, rows):
        while not stop.is_set():
            try:
                batches.put(rows, timeout=0.1)
                return
            except queue.Full:
                pass
        raise _Stop()

    def hand_over(outcome):
        while not stop.is_set():
            try:
                batches.put(outcome, timeout=0.1)
                return
            except queue.Full:
                pass

    def work():
        try:
            result, outcome = run_query(on_rows), _DONE
        except _Stop:
            return
        except BaseException as e:  # handed to the consumer's thread
            result, outcome = getattr(e, "result", None), e
        if isinstance(result, dict):  # before the outcome: the consumer reads them once it has it
            warnings.extend(result.get("warnings", ()))
        hand_over(outcome)

    worker = threading.Thread(target=work, name="kusto-query-iter", daemon=True)
    worker.start()
    try:
        while True:
            item = batches.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield from item
    finally:
        stop.set()
        worker.join()


def to_dataframe(table):
    """A pandas DataFrame of one result table (from query(..., columnar=True) or not), columns typed by Kusto type."""
    from ._extras import require
    pandas = require("pandas", "to_dataframe")

    names = [c["name"] for c in table["columns"]]
    if "data" in table:
        columns = table["data"]
    else:
        rows = table["rows"]
        columns = [[row[i] for row in rows] for i in range(len(names))]
    frame = {}
    for column, name, values in zip(table["columns"], names, columns):
        try:
            frame[name] = _series(pandas, column["type"], values)
        except (TypeError, ValueError):  # a cell delivered as sent (see result["warnings"]) keeps the column as objects
            frame[name] = pandas.array(values, dtype=object)
    return pandas.DataFrame(frame, columns=names)


def _series(pandas, kusto_type, values):
    if kusto_type in ("long", "int"):
        return pandas.array(values, dtype="Int64")
    if kusto_type == "real":
        return _floats(pandas, values)
    if kusto_type == "bool":
        return pandas.array(values, dtype="boolean")
    if kusto_type == "string":
        if not all(type(v) is str or v is None for v in values):  # would be made text: keep them as they came
            return pandas.array(values, dtype=object)
        return pandas.array(values, dtype="string")
    if kusto_type == "datetime":
        if any(type(v) is int for v in values):  # raw_ticks: 100 ns since 0001-01-01, not ns since 1970
            values = [None if v is None else (v - _EPOCH_TICKS) * 100 for v in values]
            return pandas.to_datetime(pandas.array(values, dtype="Int64"), unit="ns", utc=True)
        return pandas.to_datetime(values, utc=True)
    if kusto_type == "timespan":
        if any(type(v) is int for v in values):
            return pandas.to_timedelta(pandas.array([None if v is None else v * 100 for v in values], dtype="Int64"),
                                       unit="ns")
        return pandas.to_timedelta(values)
    return pandas.array(values, dtype=object)


_EPOCH_TICKS = 621355968000000000


def _floats(pandas, values):
    """Float64 with NaN kept as a value (pandas.array would make it NA like None)."""
    import numpy

    if not all(v is None or type(v) is float for v in values):
        raise TypeError("not all floats")
    mask = numpy.array([v is None for v in values], dtype=bool)
    data = numpy.array([0.0 if v is None else v for v in values], dtype=float)
    return pandas.arrays.FloatingArray(data, mask)


class Client(_kusto.Client):
    __doc__ = _kusto.Client.__doc__

    def __new__(cls, connection_string, /, credential=None, **options):
        if _migration.is_kcsb(connection_string):
            connection_string, options = _migration.from_kcsb(connection_string, options)
            from_kcsb = options.pop("credential", None)
            credential = from_kcsb if credential is None else credential
        if credential is not None:
            if options.get("token_callback") is not None:
                raise _kusto.ArgumentError("give credential or token_callback, not both")
            options["token_callback"] = _identity.CredentialTokens(credential)
        return super().__new__(cls, connection_string, **options)

    def query(self, db, csl, properties=None, **arguments):
        """Runs a query; see the extension's Client.query (and its parameters=, typed query parameters).
        properties may be an azure-kusto-data ClientRequestProperties."""
        properties, arguments = _migration.from_request_properties(properties, arguments)
        return super().query(db, csl, properties, **arguments)

    def mgmt(self, db, command, properties=None, **arguments):
        properties, arguments = _migration.from_request_properties(properties, arguments)
        return super().mgmt(db, command, properties, **arguments)

    def _query_op(self, db, csl, properties=None, **arguments):
        """The query as a kusto._kusto.Op whose exchanges an event loop performs (kusto.aio)."""
        properties, arguments = _migration.from_request_properties(properties, arguments)
        return self._op(db, csl, properties, **arguments)

    def _mgmt_op(self, db, command, properties=None, **arguments):
        properties, arguments = _migration.from_request_properties(properties, arguments)
        return self._op(db, command, properties, mgmt=True, **arguments)

    def query_iter(self, db, csl, properties=None, **arguments):
        """Yields the rows (lists) of the primary result tables while they arrive, holding only a few batches.

        Same arguments as query(). The query runs in a worker thread (the GIL is released while it waits on
        the network); breaking out of the loop cancels it. Errors are raised at the point of iteration. The
        iterator's `warnings` (as query()'s result["warnings"]) are complete once the loop is exhausted."""
        return iterate_rows(lambda on_rows: self.query(db, csl, properties, on_rows=on_rows, **arguments))

    def query_arrow(self, db, csl, properties=None, **arguments):
        """The query's tables as Arrow record batches (kusto.ArrowResult), built in C with the GIL released for the
        whole transfer, parse and build. Pass it to pyarrow.table, polars.DataFrame, duckdb... without copies.

        Keywords: client_request_id, application, user, strict (as query()), batch_rows (default 65536).
        PartialResultError / ProtocolError carry the ArrowResult as .result: its streams give the rows
        received, then fail with the error.

        stream=True: a kusto.ArrowStream of the first primary result instead, whose batches come while the
        response still arrives (memory holds a few batches); see its docstring."""
        from ._arrow import ArrowResult, ArrowStream

        if arguments.get("stream"):
            return ArrowStream(*self._query_arrow(db, csl, properties, **arguments))
        try:
            return ArrowResult(self._query_arrow(db, csl, properties, **arguments))
        except (_kusto.PartialResultError, _kusto.ProtocolError) as e:
            if isinstance(getattr(e, "result", None), _kusto.ArrowResult):
                e.result = ArrowResult(e.result)
            raise

    def query_df(self, db, csl, properties=None, **arguments):
        """The first primary result table as a pandas DataFrame, through Arrow (query_arrow): nullable Int64,
        Float64 (NaN and null distinct), boolean and string columns, datetime64[ns, UTC] exact to the 100 ns tick,
        timedelta64[ns]; guid, decimal and dynamic as uuid.UUID, decimal.Decimal and parsed JSON objects.
        Needs pandas and pyarrow (imported on the first call). dtype_backend="pyarrow" (pandas' own parameter)
        keeps every column an Arrow column (pandas.ArrowDtype) without a conversion: many times faster."""
        dtype_backend = arguments.pop("dtype_backend", "numpy_nullable")
        from ._arrow import check_dtype_backend

        check_dtype_backend(dtype_backend)  # before the query: a wrong name costs no request
        for name in ("raw_ticks", "columnar", "on_rows"):
            if arguments.get(name):
                raise _kusto.ArgumentError(f"query_df does not take {name}: its datetimes are exact already "
                                           "(for ticks or columns use query(raw_ticks=True, columnar=True))")
            arguments.pop(name, None)
        return self.query_arrow(db, csl, properties, **arguments).to_pandas(dtype_backend)
