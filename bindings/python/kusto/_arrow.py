"""Arrow results: kusto.ArrowResult and kusto.ArrowTable around the C extension's record batches.

Both implement the Arrow PyCapsule interface (__arrow_c_stream__, __arrow_c_schema__), so pyarrow.table(x),
pyarrow.RecordBatchReader.from_stream(x), polars.DataFrame(x), duckdb.sql("select * from x") take them without
copies. Nothing here imports pyarrow, polars or pandas until a to_* method is called."""


class ArrowTable:
    """One result table as Arrow record batches (columns typed as the README's "Arrow results" says)."""

    def __init__(self, data, index, info):
        self._data = data
        self._index = index
        self.id = info["id"]
        self.name = info["name"]
        self.kind = info["kind"]
        self.columns = info["columns"]
        self.num_rows = info["rows"]

    def __repr__(self):
        return f"<kusto.ArrowTable {self.name!r} kind={self.kind!r} rows={self.num_rows} columns={len(self.columns)}>"

    def __len__(self):
        return self.num_rows

    def __arrow_c_stream__(self, requested_schema=None):
        # The batches are made in their own schema; a consumer asking for another casts itself.
        return self._data.stream_capsule(self._index)

    def __arrow_c_schema__(self):
        return self._data.schema_capsule(self._index)

    def to_pyarrow(self):
        """A pyarrow.Table sharing the batches' buffers (pyarrow.table(x) gives the same, but first imports pandas
        if it is installed, to ask whether x is a DataFrame: a quarter second in a fresh process)."""
        import pyarrow

        return pyarrow.RecordBatchReader.from_stream(self).read_all()

    def to_polars(self):
        import polars

        return polars.DataFrame(self)

    def to_pandas(self, dtype_backend="numpy_nullable"):
        """A pandas DataFrame: nullable Int64/Float64/boolean/string columns (NaN and null stay distinct),
        datetime64[ns, UTC], timedelta64[ns]; guid as uuid.UUID, decimal as decimal.Decimal, dynamic parsed.
        dtype_backend="pyarrow": every column a pandas.ArrowDtype over the Arrow data as it is (a guid cell reads
        as uuid.UUID, dynamic is JSON text, decimal its exact text)."""
        check_dtype_backend(dtype_backend)
        if dtype_backend == "pyarrow":
            import pandas

            return self.to_pyarrow().to_pandas(types_mapper=pandas.ArrowDtype)
        return to_pandas(self.to_pyarrow(), self.columns)


class ArrowResult(ArrowTable):
    """A query's tables as Arrow record batches, built in C with the GIL released. As an Arrow stream it is
    its first primary result table; every table is in `tables`. `warnings` and `errors` as for query()."""

    def __init__(self, data):
        self._result = data
        self.tables = [ArrowTable(data, i, info) for i, info in enumerate(data.tables)]
        self.primary_results = [t for t, info in zip(self.tables, data.tables) if info["primary"]]
        if data.primary_index is None:
            raise _protocol_error("the response has no primary result table")
        ArrowTable.__init__(self, data, data.primary_index, data.tables[data.primary_index])

    def __repr__(self):
        return f"<kusto.ArrowResult tables={len(self.tables)} rows={self.num_rows}>"

    @property
    def warnings(self):
        return self._result.warnings

    @property
    def errors(self):
        return self._result.errors


class ArrowStream:
    """The first primary result of client.query_arrow(..., stream=True): its record batches while the response still
    arrives, read once. pyarrow.RecordBatchReader.from_stream(x) (or polars, DuckDB) takes it; each batch comes as
    soon as it is complete, with the GIL released while waiting. An error part-way is raised by the reader after the
    batches before it. Dropping the reader before the end cancels the query. Other tables, warnings and the
    response's error list are not kept (query_arrow() without stream has them)."""

    def __init__(self, stream_capsule, schema_capsule):
        self._stream = stream_capsule
        self._schema = schema_capsule

    def __repr__(self):
        return f"<kusto.ArrowStream {'read' if self._stream is None else 'unread'}>"

    def __arrow_c_stream__(self, requested_schema=None):
        if self._stream is None:
            raise _kusto_error("ArgumentError", "the Arrow stream was already taken: it can be read once")
        stream, self._stream = self._stream, None
        return stream

    def __arrow_c_schema__(self):
        return self._schema

    def to_pyarrow(self):
        """Reads the rest of the stream into a pyarrow.Table."""
        import pyarrow

        return pyarrow.RecordBatchReader.from_stream(self).read_all()


def check_dtype_backend(dtype_backend):
    """pandas' names of the two column kinds to_pandas makes; any other is an ArgumentError."""
    if dtype_backend not in ("numpy_nullable", "pyarrow"):
        raise _kusto_error("ArgumentError",
                           f"dtype_backend must be 'numpy_nullable' or 'pyarrow', not {dtype_backend!r}")


def _kusto_error(name, message):
    from . import _kusto

    return getattr(_kusto, name)(message)


def _protocol_error(message):
    from ._kusto import ProtocolError

    return ProtocolError(message)


def to_pandas(table, columns):
    """A pyarrow.Table of Kusto columns to pandas, keeping NaN apart from null and every tick of a datetime."""
    import pandas

    frame = {}
    for column, array in zip(columns, table.columns):
        kusto_type, name = column["type"], column["name"]
        if kusto_type in _MASKED:
            frame[name] = _masked(pandas, kusto_type, array)
        elif kusto_type == "string":
            frame[name] = pandas.array(array.to_pandas(), dtype="string")
        elif kusto_type in ("datetime", "timespan"):
            frame[name] = array.to_pandas()
        else:
            frame[name] = pandas.array(_objects(kusto_type, array), dtype=object)
    return pandas.DataFrame(frame, columns=[c["name"] for c in columns])


_MASKED = {"long": ("IntegerArray", 0), "int": ("IntegerArray", 0), "real": ("FloatingArray", 0.0),
           "bool": ("BooleanArray", False)}


def _masked(pandas, kusto_type, array):
    """A nullable pandas array from the Arrow values and validity: a NaN stays a value, a null is NA."""
    kind, zero = _MASKED[kusto_type]
    mask = array.is_null().to_numpy(zero_copy_only=False)
    values = array.fill_null(zero).to_numpy(zero_copy_only=False)
    return getattr(pandas.arrays, kind)(values, mask)


def _storage(array):
    """The plain values under an extension type (arrow.uuid's bytes, arrow.json's text) as a Python list."""
    import pyarrow

    chunks = [c.storage if isinstance(c, pyarrow.ExtensionArray) else c for c in array.chunks]
    return pyarrow.chunked_array(chunks, type=chunks[0].type if chunks else pyarrow.string()).to_pylist()


def _uuid(data, _new=object.__new__, _set=object.__setattr__, _from_bytes=int.from_bytes):
    """uuid.UUID(bytes=data) without its argument checks (16 bytes from Arrow already): a third of the time."""
    import uuid

    value = _new(uuid.UUID)
    _set(value, "int", _from_bytes(data, "big"))
    _set(value, "is_safe", uuid.SafeUUID.unknown)
    return value


def _objects(kusto_type, array):
    if kusto_type == "guid":
        return [None if b is None else _uuid(b) for b in _storage(array)]
    if kusto_type == "decimal":
        import decimal

        return [None if v is None else decimal.Decimal(v) for v in array.to_pylist()]
    if kusto_type == "dynamic":
        import json

        texts = _storage(array)  # one json.loads for the column: a C loop instead of a call per cell
        return json.loads("[" + ",".join("null" if v is None else v for v in texts) + "]")
    return array.to_pylist()
