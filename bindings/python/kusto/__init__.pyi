import builtins
import os
from datetime import timedelta
from typing import Any, Callable, Iterator, Literal, Mapping, NamedTuple, Protocol, Sequence, TypedDict, overload

from typing_extensions import NotRequired

__version__: str

OptionValue = str | bool | int | float | os.PathLike[str] | Sequence[str] | None
PropertyValue = str | bool | int | float | timedelta | Mapping[str, str | bool | int | float] | None

class Token(TypedDict):
    access_token: str
    token_type: str
    expires_on: int
    resource: str
    authority: str | None
    from_cache: bool

class Column(TypedDict):
    name: str
    type: str

class Table(TypedDict):
    id: int
    name: str
    kind: str
    columns: list[Column]
    rows: NotRequired[list[list[Any]]]  # one list per row; absent with columnar=True
    data: NotRequired[list[list[Any]]]  # columnar=True: one list per column

class Warning(TypedDict):
    table: str
    table_id: int
    row: int
    column: int
    column_name: str | None
    reason: str
    excerpt: str
    count: int

class Result(TypedDict):
    tables: list[Table]
    primary_results: list[Table]
    errors: list[Error]
    warnings: list[Warning]

class Error(Exception):
    status: str | None
    code: str | None
    aadsts: int | None
    permanent: bool | None
    http_status: int | None
    request_id: str | None

class ArgumentError(Error, ValueError): ...
class ConnectionStringError(Error, ValueError): ...
class UntrustedEndpointError(Error): ...
class NetworkError(Error): ...
class TimeoutError(Error, builtins.TimeoutError): ...
class AuthenticationError(Error): ...
class ServiceError(Error): ...
class ThrottledError(ServiceError): ...
class ProtocolError(Error):
    result: Result | ArrowResult | None
class PartialResultError(ServiceError):
    result: Result | ArrowResult
class CancelledError(Error): ...
class UnsupportedError(Error): ...

class ArrowTable:
    id: int
    name: str
    kind: str
    columns: list[dict[str, str]]
    num_rows: int
    def __len__(self) -> int: ...
    def __arrow_c_stream__(self, requested_schema: object | None = None) -> object: ...
    def __arrow_c_schema__(self) -> object: ...
    def to_pyarrow(self) -> Any: ...
    def to_polars(self) -> Any: ...
    def to_pandas(self, dtype_backend: Literal["numpy_nullable", "pyarrow"] = "numpy_nullable") -> Any: ...

class ArrowResult(ArrowTable):
    tables: list[ArrowTable]
    primary_results: list[ArrowTable]
    @property
    def warnings(self) -> list[dict[str, Any]]: ...
    @property
    def errors(self) -> list[PartialResultError]: ...

class ArrowStream:
    def __arrow_c_stream__(self, requested_schema: object | None = None) -> object: ...
    def __arrow_c_schema__(self) -> object: ...
    def to_pyarrow(self) -> Any: ...

class AccessToken(NamedTuple):
    token: str
    expires_on: int

class AccessTokenInfo(NamedTuple):
    token: str
    expires_on: int
    token_type: str = "Bearer"
    refresh_on: int | None = None

class _TokenAnswer(Protocol):
    @property
    def token(self) -> str: ...
    @property
    def expires_on(self) -> int: ...

class TokenCredential(Protocol):
    def get_token(self, *scopes: str, claims: str | None = None, tenant_id: str | None = None,
                  **kwargs: Any) -> _TokenAnswer: ...

class RowIterator(Iterator[list[Any]]):
    warnings: list[dict[str, Any]]
    def __next__(self) -> list[Any]: ...
    def close(self) -> None: ...

class Client:
    closed: bool
    def __init__(self, connection_string: str | Any, /, credential: TokenCredential | None = None,
                 **options: Any) -> None: ...
    def acquire_token(self, scope: str | None = None) -> Token: ...
    def accounts(self) -> list[dict[str, str]]: ...
    def remove_account(self, home_account_id: str) -> None: ...
    def clear_cache(self) -> None: ...
    def query(self, db: str | None, csl: str, properties: Mapping[str, PropertyValue] | Any | None = None, *,
              parameters: Mapping[str, Any] | None = None, client_request_id: str | None = None, application: str | None = None, user: str | None = None,
              raw_ticks: bool = False, columnar: bool = False,
              on_rows: Callable[[dict[str, Any], list[list[Any]]], object] | None = None, strict: bool = False,
              on_progress: Callable[[int, float], object] | None = None) -> Result: ...
    def query_iter(self, db: str | None, csl: str, properties: Mapping[str, PropertyValue] | None = None,
                   **arguments: Any) -> RowIterator: ...
    def query_df(self, db: str | None, csl: str, properties: Mapping[str, PropertyValue] | None = None, *,
                 dtype_backend: Literal["numpy_nullable", "pyarrow"] = "numpy_nullable", **arguments: Any) -> Any: ...
    @overload
    def query_arrow(self, db: str | None, csl: str, properties: Mapping[str, PropertyValue] | None = None, *,
                    parameters: Mapping[str, Any] | None = None, client_request_id: str | None = None,
                    application: str | None = None, user: str | None = None,
                    batch_rows: int = 65536, strict: bool = False, stream: Literal[False] = False) -> ArrowResult: ...
    @overload
    def query_arrow(self, db: str | None, csl: str, properties: Mapping[str, PropertyValue] | None = None, *,
                    parameters: Mapping[str, Any] | None = None, client_request_id: str | None = None,
                    application: str | None = None, user: str | None = None,
                    batch_rows: int = 65536, stream: Literal[True]) -> ArrowStream: ...
    def mgmt(self, db: str | None, command: str, properties: Mapping[str, PropertyValue] | Any | None = None, *,
             client_request_id: str | None = None, application: str | None = None, user: str | None = None,
             raw_ticks: bool = False, columnar: bool = False,
             on_rows: Callable[[dict[str, Any], list[list[Any]]], object] | None = None, strict: bool = False,
             on_progress: Callable[[int, float], object] | None = None) -> Result: ...
    def close(self) -> None: ...
    def __enter__(self) -> Client: ...
    def __exit__(self, *exc: object) -> None: ...

class Credential:
    def __init__(self, connection_string: str | Client, /, **options: OptionValue) -> None: ...
    def get_token(self, *scopes: str, claims: str | None = None, tenant_id: str | None = None,
                  enable_cae: bool = False, **kwargs: Any) -> AccessToken: ...
    def get_token_info(self, *scopes: str, options: Mapping[str, Any] | None = None) -> AccessTokenInfo: ...
    def close(self) -> None: ...
    def __enter__(self) -> Credential: ...
    def __exit__(self, *exc: object) -> None: ...

def parse_connection_string(cs: str) -> dict[str, str]: ...
def clear_process_state() -> None: ...
def to_dataframe(table: Mapping[str, Any]) -> Any: ...
def acquire_token(connection_string: str | Any, credential: TokenCredential | None = None,
                  **options: OptionValue) -> Token: ...
def query(connection_string: str | Any, db: str | None, csl: str, properties: Mapping[str, PropertyValue] | None = None,
          **options: Any) -> Result: ...
def mgmt(connection_string: str | Any, db: str | None, command: str,
         properties: Mapping[str, PropertyValue] | None = None, **options: Any) -> Result: ...
