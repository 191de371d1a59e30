"""libkusto for Python: sign in to Azure AD (Entra ID) and query Azure Data Explorer (Kusto).

    import kusto
    cs = "Data Source=https://help.kusto.windows.net;Fed=True;Application Client Id=...;Application Key=..."
    with kusto.Client(cs) as client:
        result = client.query("Samples", "StormEvents | take 10")
    for row in result["primary_results"][0]["rows"]:
        print(row)

Everything is done by the C extension kusto._kusto; this module only re-exports it and adds the
one-shot helpers. The emulator (kusto.emulator) is imported only by `python -m kusto.emulator`.

Calls release the GIL while they wait on the network. The lists and dicts of a result are not
tracked by the cyclic garbage collector (they cannot form cycles as built, and a large result would
otherwise be traversed by every collection); a cycle made later by appending a row list to itself
would not be collected.
"""
from ._kusto import (
    ArgumentError,
    AuthenticationError,
    CancelledError,
    ConnectionStringError,
    Error,
    NetworkError,
    PartialResultError,
    ProtocolError,
    ServiceError,
    ThrottledError,
    TimeoutError,
    UnsupportedError,
    UntrustedEndpointError,
    __version__,
    clear_process_state,
    parse_connection_string,
)
from ._arrow import ArrowResult, ArrowStream, ArrowTable
from ._identity import AccessToken, AccessTokenInfo, Credential
from ._stream import Client, to_dataframe

__all__ = [
    "AccessToken", "AccessTokenInfo", "ArgumentError", "ArrowResult", "ArrowStream", "ArrowTable",
    "AuthenticationError", "CancelledError", "Client", "ConnectionStringError", "Credential", "Error",
    "NetworkError", "PartialResultError", "ProtocolError", "ServiceError", "ThrottledError", "TimeoutError",
    "UnsupportedError", "UntrustedEndpointError", "__version__", "acquire_token", "clear_process_state", "mgmt",
    "parse_connection_string", "query", "to_dataframe",
]

# Keyword arguments of Client.query/mgmt; every other keyword is a client option.
_CALL_ARGUMENTS = ("parameters", "client_request_id", "application", "user", "raw_ticks", "columnar", "on_rows",
                   "strict", "on_progress")


def _call_arguments(options):
    return {name: options.pop(name) for name in _CALL_ARGUMENTS if name in options}


def acquire_token(connection_string, **options):
    """A token dict for the connection string's cluster (see Client.acquire_token). The one-shot calls share
    the process's client for the same connection string and options (its tokens, metadata, connections);
    with a callback among the options, a temporary client of their own."""
    with Client(connection_string, _shared=True, **options) as client:
        return client.acquire_token()


def query(connection_string, db, csl, properties=None, **options):
    """Runs one query on the process's shared client (see acquire_token); see Client.query. Other keywords
    are client options."""
    arguments = _call_arguments(options)
    with Client(connection_string, _shared=True, **options) as client:
        return client.query(db, csl, properties, **arguments)


def mgmt(connection_string, db, command, properties=None, **options):
    """Runs one control command on the process's shared client (see acquire_token); see Client.mgmt."""
    arguments = _call_arguments(options)
    with Client(connection_string, _shared=True, **options) as client:
        return client.mgmt(db, command, properties, **arguments)
