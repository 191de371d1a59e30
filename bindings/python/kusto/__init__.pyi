import builtins
import os
from datetime import timedelta
from typing import Any, Literal, Mapping, Sequence, TypedDict

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
    rows: list[list[Any]]

class Result(TypedDict):
    tables: list[Table]
    primary_results: list[Table]
    errors: list[Error]

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
class ProtocolError(Error): ...
class PartialResultError(ServiceError):
    result: Result
class CancelledError(Error): ...
class UnsupportedError(Error): ...

class Client:
    closed: bool
    def __init__(self, connection_string: str, /, **options: OptionValue) -> None: ...
    def acquire_token(self) -> Token: ...
    def query(self, db: str | None, csl: str, properties: Mapping[str, PropertyValue] | None = None, *,
              client_request_id: str | None = None, application: str | None = None, user: str | None = None,
              raw_ticks: bool = False) -> Result: ...
    def mgmt(self, db: str | None, command: str, properties: Mapping[str, PropertyValue] | None = None, *,
             client_request_id: str | None = None, application: str | None = None, user: str | None = None,
             raw_ticks: bool = False) -> Result: ...
    def close(self) -> None: ...
    def __enter__(self) -> Client: ...
    def __exit__(self, *exc: object) -> None: ...

def parse_connection_string(cs: str) -> dict[str, str]: ...
def acquire_token(connection_string: str, **options: OptionValue) -> Token: ...
def query(connection_string: str, db: str | None, csl: str, properties: Mapping[str, PropertyValue] | None = None,
          **options: Any) -> Result: ...
def mgmt(connection_string: str, db: str | None, command: str,
         properties: Mapping[str, PropertyValue] | None = None, **options: Any) -> Result: ...
