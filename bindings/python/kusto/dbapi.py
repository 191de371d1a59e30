"""DB-API 2.0 (PEP 249) over kusto.Client, for pandas.read_sql, SQLAlchemy raw connections and BI tools.

    import kusto.dbapi
    conn = kusto.dbapi.connect(cs, database="Samples", ca_file=...)
    cur = conn.cursor()
    cur.execute("StormEvents | where State == :state | take 5", {"state": "TEXAS"})
    print(cur.description, cur.fetchmany(2))

Parameters (paramstyle "named"): each `:name` of the query outside string literals and comments becomes `name`,
and the values go to Client.query(parameters=...): the core puts a `declare query_parameters(name:type, ...)`
statement typed from the Python values after any leading `set` statements, unless the query declares its own;
the values travel as KQL literals in the request's Parameters, never in the text.
Rows stream from the first primary result table (Client.query_iter's worker thread, a few batches ahead);
nextset() moves to the next one. rowcount is -1 until the last row was fetched. Cells the tolerant parser
delivered as sent are listed in cursor.messages as (kusto.dbapi.Warning, warning dict) once the result is read
to its end. Text starting with '.' is a control command (the core sends it to mgmt).
"""
import datetime
import re
import weakref

from . import _kusto
from ._stream import Client, iterate_rows

apilevel = "2.0"
threadsafety = 2        # threads may share the module and connections (a Client is thread-safe), not cursors
paramstyle = "named"


class Warning(Exception):  # noqa: A001 -- PEP 249 names it so
    pass


class Error(Exception):
    pass


class InterfaceError(Error):
    pass


class DatabaseError(Error):
    pass


class DataError(DatabaseError):
    pass


class OperationalError(DatabaseError):
    pass


class IntegrityError(DatabaseError):
    pass


class InternalError(DatabaseError):
    pass


class ProgrammingError(DatabaseError):
    pass


class NotSupportedError(DatabaseError):
    pass


_OPERATIONAL = (_kusto.NetworkError, _kusto.TimeoutError, _kusto.AuthenticationError, _kusto.ThrottledError,
                _kusto.UntrustedEndpointError, _kusto.CancelledError)


def _pep249_class(error):
    """The PEP 249 class for one of kusto's exceptions."""
    if isinstance(error, _OPERATIONAL):
        return OperationalError
    if isinstance(error, _kusto.UnsupportedError):
        return NotSupportedError
    if isinstance(error, (_kusto.ArgumentError, TypeError)):
        return ProgrammingError
    if isinstance(error, (_kusto.ConnectionStringError, _kusto.ProtocolError)):
        return InterfaceError
    if isinstance(error, _kusto.PartialResultError):
        return DatabaseError
    if isinstance(error, _kusto.ServiceError):   # 400: the query's fault (syntax, names, types); 5xx: the service's
        status = error.http_status or 0
        return ProgrammingError if 400 <= status < 500 else OperationalError if status >= 500 else DatabaseError
    return DatabaseError


def _translated(error):
    """A PEP 249 exception for `error` (kusto's own keeps its attributes as __cause__)."""
    translated = _pep249_class(error)(str(error))
    translated.__cause__ = error
    return translated


# --- types --------------------------------------------------------------------------------------------------

class _TypeObject(frozenset):
    """Compares equal to each Kusto column type it groups (description's type codes are Kusto's type names)."""

    def __eq__(self, other):
        return other in self if isinstance(other, str) else frozenset.__eq__(self, other)

    def __ne__(self, other):
        return not self.__eq__(other)

    __hash__ = frozenset.__hash__


STRING = _TypeObject({"string"})
BINARY = _TypeObject()          # Kusto has no binary column type
NUMBER = _TypeObject({"int", "long", "real", "decimal"})
DATETIME = _TypeObject({"datetime", "date"})
ROWID = _TypeObject()
TIMESPAN = _TypeObject({"timespan", "time"})
BOOLEAN = _TypeObject({"bool", "boolean"})
GUID = _TypeObject({"guid", "uuid", "uniqueid"})
DYNAMIC = _TypeObject({"dynamic"})

Date = datetime.date
Time = datetime.time
Binary = bytes


def Timestamp(year, month, day, hour=0, minute=0, second=0, microsecond=0):
    """A UTC datetime, as Kusto's datetime values arrive."""
    return datetime.datetime(year, month, day, hour, minute, second, microsecond, tzinfo=datetime.timezone.utc)


def DateFromTicks(ticks):
    return TimestampFromTicks(ticks).date()


def TimeFromTicks(ticks):
    return TimestampFromTicks(ticks).time()


def TimestampFromTicks(ticks):
    return datetime.datetime.fromtimestamp(ticks, datetime.timezone.utc)


# --- parameters ---------------------------------------------------------------------------------------------

# A string literal or comment (kept as is), or a `:name` placeholder.
_TOKENS = re.compile(r'''(?P<keep>```.*?```|//[^\n]*|@"(?:[^"]|"")*"|@'(?:[^']|'')*'|h?"(?:[^"\\\n]|\\.)*"'''
                     r'''|h?'(?:[^'\\\n]|\\.)*')|(?<![\w)\]]):(?P<name>[A-Za-z_]\w*)''', re.S)
_NAME = re.compile(r"[A-Za-z_]\w*\Z")


def _bind(query, params):
    """(query text with each `:name` made `name`, the parameters for Client.query) for a mapping of parameters.
    The core types each value, writes its KQL literal and the `declare query_parameters` statement."""
    if params is None:
        return query, None
    if not hasattr(params, "keys"):
        raise ProgrammingError("paramstyle is 'named': parameters are a mapping, not %s" % type(params).__name__)
    typed = {}
    for name in params.keys():
        if not isinstance(name, str) or not _NAME.match(name):
            raise ProgrammingError("parameter names must be identifiers: %r" % (name,))
        typed[name] = params[name]
    if not typed:
        return query, None
    if query.lstrip().startswith("."):
        raise NotSupportedError("parameters are not supported with control commands")

    def replace(match):
        name = match.group("name")
        return name if name in typed else match.group(0)

    return _TOKENS.sub(lambda m: m.group("keep") or replace(m), query), typed


_END = object()


# --- connection and cursor ----------------------------------------------------------------------------------

def connect(connection_string, database=None, **options):
    """A Connection on a new kusto.Client(connection_string, **options); `database` is the default database of
    its queries (None: the connection string's Initial Catalog). A kusto.Client may be given instead of the
    connection string: it is used as is and not closed with the connection."""
    if isinstance(connection_string, _kusto.Client):
        return Connection(connection_string, database, owned=False)
    if isinstance(connection_string, dict):
        options = dict(connection_string, **options)
        connection_string = options.pop("connection_string")
    try:
        return Connection(Client(connection_string, **options), database, owned=True)
    except _kusto.Error as e:
        raise _translated(e) from e


class Connection:
    Warning, Error, InterfaceError, DatabaseError, DataError = Warning, Error, InterfaceError, DatabaseError, DataError
    OperationalError, IntegrityError, InternalError = OperationalError, IntegrityError, InternalError
    ProgrammingError, NotSupportedError = ProgrammingError, NotSupportedError

    def __init__(self, client, database, owned):
        self.client = client
        self.database = database
        self._owned = owned
        self._cursors = weakref.WeakSet()
        self.closed = False

    def cursor(self):
        self._check_open()
        cursor = Cursor(self)
        self._cursors.add(cursor)
        return cursor

    def commit(self):
        """Kusto has no transactions: every command takes effect on its own."""
        self._check_open()

    def rollback(self):
        self._check_open()
        raise NotSupportedError("Kusto has no transactions to roll back")

    def close(self):
        """Closes the cursors (cancelling their queries), then the client unless it was given to connect()."""
        for cursor in list(self._cursors):
            cursor.close()
        if not self.closed and self._owned:
            self.client.close()
        self.closed = True

    def _check_open(self):
        if self.closed:
            raise InterfaceError("the connection is closed")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Cursor:
    def __init__(self, connection):
        self.connection = connection
        self.arraysize = 1
        self.description = None
        self.rowcount = -1
        self.messages = []
        self.closed = False
        self._stream = None     # (table, rows) batches of the running query
        self._rows = iter(())   # rows of the current batch
        self._table = None      # the table whose rows are being fetched
        self._pending = None    # a batch of the next table, held until nextset()
        self._result = None     # the query's result dict, once the stream ended
        self._state = {}        # where the worker leaves that result
        self._fetched = 0

    # -- execution

    def execute(self, operation, parameters=None):
        self._check_open()
        self._end_stream()
        query, bound = _bind(operation, parameters)
        client, database, state = self.connection.client, self.connection.database, {}

        def run_query(on_rows):
            state["result"] = client.query(database, query, parameters=bound,
                                           on_rows=lambda table, rows: on_rows(table, [(table, rows)]))

        self._stream, self._state = iterate_rows(run_query), state
        self.messages, self.rowcount, self._fetched = [], -1, 0
        self._start_table(self._next_batch())
        return self

    def executemany(self, operation, seq_of_parameters):
        """Runs the operation once per mapping (each result is read to its end and dropped)."""
        total = 0
        for parameters in seq_of_parameters:
            self.execute(operation, parameters)
            total += len(self.fetchall()) if self.description else 0
        self.description, self.rowcount = None, total
        return self

    def _next_batch(self):
        """The next (table, rows) batch, or None at the end of the result (then messages are known)."""
        if self._stream is None:
            return None
        try:
            return next(self._stream)
        except StopIteration:
            self._stream, self._result = None, self._state.get("result") or {}
            self.messages = [(Warning, w) for w in self._result.get("warnings", ())]
            return None
        except _kusto.Error as e:
            self._end_stream()
            raise _translated(e) from e

    def _start_table(self, batch):
        """Makes `batch`'s table current; None: the next primary table of the ended result, which has no rows."""
        if batch is None:
            after = self._table["id"] if self._table else -1
            later = [t for t in (self._result or {}).get("primary_results", ()) if t["id"] > after]
            self._table, self._rows = (later[0] if later else None), iter(())
        else:
            self._table, self._rows = batch[0], iter(batch[1])
        self._fetched = 0
        self.rowcount = 0 if batch is None and self._table is not None else -1
        self.description = None if self._table is None else [
            (c["name"], c["type"], None, None, None, None, True) for c in self._table["columns"]]

    def nextset(self):
        """Skips the rest of the current table; True when another primary table follows, else None."""
        self._check_result()
        while self._more_rows():
            pass
        batch, self._pending = self._pending, None
        self._start_table(batch)
        return True if self._table is not None else None

    # -- fetching

    def fetchone(self):
        rows = self.fetchmany(1)
        return rows[0] if rows else None

    def fetchmany(self, size=None):
        self._check_result()
        size = self.arraysize if size is None else size
        rows = []
        while len(rows) < size:
            row = next(self._rows, _END)
            if row is not _END:
                rows.append(row)
                self._fetched += 1
            elif not self._more_rows():
                break
        return rows

    def fetchall(self):
        self._check_result()
        rows = list(self._rows)
        self._fetched += len(rows)
        while self._more_rows():
            batch = list(self._rows)
            self._fetched += len(batch)
            rows.extend(batch)
        return rows

    def _more_rows(self):
        """Moves on to the next batch of the current table; False at its end (then rowcount is known)."""
        batch = self._next_batch() if self._pending is None and self._table is not None else None
        if batch is not None and batch[0]["id"] == self._table["id"]:
            self._rows = iter(batch[1])
            return True
        self._pending = self._pending or batch
        if self._table is not None:
            self.rowcount = self._fetched
        return False

    def __iter__(self):
        return self

    def __next__(self):
        row = self.fetchone()
        if row is None:
            raise StopIteration
        return row

    # -- the rest of PEP 249

    def setinputsizes(self, sizes):
        pass

    def setoutputsize(self, size, column=None):
        pass

    def callproc(self, procname, parameters=None):
        raise NotSupportedError("Kusto has no stored procedures (call a stored function in a query)")

    def close(self):
        """Closes the cursor; a query still streaming is cancelled."""
        self._end_stream()
        self.closed = True

    def _end_stream(self):
        if self._stream is not None:
            self._stream.close()        # stops the worker: the query is cancelled
        self._stream, self._rows, self._table, self._pending, self._result = None, iter(()), None, None, None
        self.description = None

    def _check_open(self):
        if self.closed:
            raise InterfaceError("the cursor is closed")
        self.connection._check_open()

    def _check_result(self):
        self._check_open()
        if self._table is None:
            raise InterfaceError("no result to fetch: execute a query first")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
