"""kusto.aio: the Client's calls driven by the asyncio event loop itself, with no thread per call.

    async with kusto.aio.Client(cs) as client:
        result = await client.query("Samples", "StormEvents | take 10")

The core decides everything, as for the blocking client: cloud metadata, trust, the token cache and the
sign-in's token requests, retries and their pauses, the parse (kusto._kusto.Op says what to send where).
This module only moves bytes: asyncio streams over TLS, a few kept-alive connections per host, reads of
at most 64 KiB each parsed at once into the same objects as Client.query, so the loop is never held long.
Cancelling the task closes the connection at once (the server sees the client go) and abandons the query.
"""
import asyncio
import collections
import os
import ssl
import sys

from . import _kusto
from ._stream import Client as _BlockingClient

_CHUNK = 65536          # bytes read, and parsed, at a time
_IDLE_PER_HOST = 8      # kept-alive connections per (host, port)


class Client:
    """kusto.Client's calls as coroutines: same constructor (connection string, credential, options), same
    results and exceptions. Sign-in flows that need a person (device code, interactive) or a process (the
    Azure CLI) are refused with UnsupportedError unless the token cache already answers; sign in with the
    blocking kusto.Client first, sharing cache_path. Not for use from several event loops at once."""

    def __init__(self, connection_string, /, credential=None, **options):
        if options.get("proxy"):  # its sockets are asyncio's own: a proxy given and not used would be a silent leak
            raise _kusto.ArgumentError("kusto.aio connects directly and does not support the proxy option; "
                                       "use kusto.Client for a proxy")
        self._client = _BlockingClient(connection_string, credential=credential, **options)
        ca_file = options.get("ca_file")
        self._pool = _Pool(os.fspath(ca_file) if ca_file is not None else None)

    @property
    def closed(self):
        return self._client.closed

    @property
    def client(self):
        """The blocking kusto.Client underneath: same token cache, for the calls that have no coroutine."""
        return self._client

    async def query(self, db, csl, properties=None, **arguments):
        """As kusto.Client.query (parameters, properties, raw_ticks, columnar, strict, on_progress...)."""
        return await self._complete(self._client._query_op(db, csl, properties, **arguments))

    async def mgmt(self, db, command, properties=None, **arguments):
        """As kusto.Client.mgmt."""
        return await self._complete(self._client._mgmt_op(db, command, properties, **arguments))

    def query_iter(self, db, csl, properties=None, **arguments):
        """An async iterator over the rows (lists) of the primary results while they arrive, in batches of up
        to 1000 rows parsed per read; `async for row in client.query_iter(...)`. Its `warnings` are complete once
        the loop is exhausted; aclose() (or leaving the loop and dropping it) cancels the query."""
        return RowIterator(self._pool, lambda on_rows: self._client._query_op(db, csl, properties, on_rows=on_rows,
                                                                              **arguments))

    async def acquire_token(self, scope=None):
        """As kusto.Client.acquire_token. The core has no I/O-free form of a token request alone, so this one
        runs the blocking call in the loop's default executor (a cached token takes a microsecond there)."""
        return await asyncio.get_running_loop().run_in_executor(None, self._client.acquire_token, scope)

    async def close(self):
        """Closes the kept-alive connections and the client; calls still running finish first."""
        self._pool.close()
        self._client.close()

    async def __aenter__(self):
        if self._client.closed:
            raise ValueError("operation on a closed kusto.aio.Client")
        return self

    async def __aexit__(self, *exc_info):
        await self.close()

    def __repr__(self):
        return "<kusto.aio.Client %s>" % repr(self._client)[len("<kusto.Client "):-1]

    async def _complete(self, op):
        try:
            async for _ in _steps(self._pool, op):
                pass
            return op.result()
        finally:
            op.close()


class RowIterator:
    """query_iter's rows. `warnings`: as query()'s result["warnings"], complete once the loop is exhausted (or
    has raised: those the error's result carried)."""

    def __init__(self, pool, start):
        self.warnings = []
        self._rows = _rows(pool, start, self.warnings)

    def __aiter__(self):
        return self

    async def __anext__(self):
        return await self._rows.__anext__()

    async def aclose(self):
        """Leaves the query: closes its connection and abandons it."""
        await self._rows.aclose()


class _Batches(collections.deque):
    """on_rows: keeps the batches the parse hands over until the iterator yields them."""

    def __call__(self, table, rows):
        self.append(rows)


async def _rows(pool, start, warnings):
    batches = _Batches()
    op = start(batches)
    steps = _steps(pool, op)
    try:
        async for _ in steps:
            while batches:
                for row in batches.popleft():
                    yield row
        try:
            result = op.result()
        except Exception as e:
            warnings.extend(_warnings_of(getattr(e, "result", None)))
            raise
        warnings.extend(_warnings_of(result))
        while batches:
            for row in batches.popleft():
                yield row
    finally:
        await steps.aclose()
        op.close()


def _warnings_of(result):
    return result.get("warnings", ()) if isinstance(result, dict) else ()


async def _steps(pool, op):
    """Performs op's exchanges; yields after each chunk of an answer the op took (rows may have come)."""
    while True:
        step, request = op.next()
        if step == "wait":
            await asyncio.sleep(request / 1000)
        elif step == "send":
            async for _ in _exchange(pool, op, request):
                yield
        else:
            return


async def _exchange(pool, op, request):
    """One request and its answer; a failure to send or read is the op's to judge (op.failed)."""
    key = _key_of(request)
    deadline = None if request["timeout_ms"] < 0 else asyncio.get_running_loop().time() + request["timeout_ms"] / 1000
    connection = None
    try:
        connection, fresh = await _within(pool.open(key), deadline)
        chunk = await _send(connection, op.request_bytes(), deadline)
        if not chunk and not fresh:  # a kept-alive connection the server had closed meanwhile
            _abort(connection)
            connection = await _within(pool.connect(key), deadline)
            chunk = await _send(connection, op.request_bytes(), deadline)
        while True:
            status = op.receive(chunk)
            if status or not chunk:
                break
            yield
            if len(chunk) == _CHUNK:
                await asyncio.sleep(0)  # the loop's other work goes on while a long answer streams
            chunk = await _within(connection[0].read(_CHUNK), deadline)
    except (OSError, asyncio.TimeoutError) as e:  # TLS included
        _abort(connection)
        op.failed(_transient(e), _describe(e))
        return
    except BaseException:  # cancelled, or the iterator left: the server must see the client go
        _abort(connection)
        raise
    if status == 1 and op.keep_alive():
        pool.give_back(key, connection)
    else:
        _abort(connection)


async def _send(connection, data, deadline):
    """Writes the request; the answer's first bytes (b"" when the server closed the connection)."""
    reader, writer = connection
    writer.write(data)
    await _within(writer.drain(), deadline)
    return await _within(reader.read(_CHUNK), deadline)


def _key_of(request):
    tls = request["url"].startswith("https:")
    return request["host"], request["port"], request["tls_name"] if tls else None


if sys.version_info >= (3, 11):
    async def _within(awaitable, deadline):
        async with asyncio.timeout_at(deadline):
            return await awaitable
else:  # wait_for: a task per read, and a cancel that meets a finished read may be lost (fixed by timeout_at)
    async def _within(awaitable, deadline):
        if deadline is None:
            return await awaitable
        return await asyncio.wait_for(awaitable, max(0.0, deadline - asyncio.get_running_loop().time()))


def _abort(connection):
    if connection is not None:
        connection[1].transport.abort()


def _transient(e):
    return isinstance(e, ConnectionError)


def _describe(e):
    if isinstance(e, asyncio.TimeoutError):
        return "timed out: the call's timeout ran out"
    if isinstance(e, ssl.SSLCertVerificationError):
        return "TLS verification of the server failed (%s)" % e.verify_message
    return getattr(e, "strerror", None) or str(e) or type(e).__name__


class _Pool:
    """Kept-alive connections per (host, port, TLS name), newest reused first; TLS verified against the
    client's ca_file, else the system's CAs."""

    def __init__(self, ca_file):
        self._ca_file = ca_file
        self._context = None
        self._idle = collections.defaultdict(list)
        self._loop = None

    def _ssl(self):
        if self._context is None:
            self._context = ssl.create_default_context(cafile=self._ca_file)
        return self._context

    async def open(self, key):
        """(reader, writer), fresh: an idle connection of `key`, else a new one."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # connections belong to the loop that made them
            self._drop()
            self._loop = loop
        idle = self._idle.get(key)
        while idle:
            reader, writer = idle.pop()
            if not reader.at_eof() and not writer.is_closing():
                return (reader, writer), False
            writer.transport.abort()
        return await self.connect(key), True

    async def connect(self, key):
        host, port, tls_name = key
        return await asyncio.open_connection(host, port, ssl=self._ssl() if tls_name else None,
                                             server_hostname=tls_name, limit=_CHUNK)

    def give_back(self, key, connection):
        idle = self._idle[key]
        if len(idle) < _IDLE_PER_HOST:
            idle.append(connection)
        else:
            connection[1].transport.abort()

    def close(self):
        self._drop()

    def _drop(self):
        for idle in self._idle.values():
            for _, writer in idle:
                try:
                    writer.transport.abort()
                except RuntimeError:  # its loop is closed, and the socket with it
                    pass
        self._idle.clear()
