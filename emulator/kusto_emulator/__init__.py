"""A local Azure AD and Kusto cluster over HTTPS, for tests: `kusto-emulator --print-config`.

Pure Python (stdlib + cryptography), a package of its own: it never imports the kusto binding, so C and Lua
developers run it without building the extension. See __main__.py for the command line, control.py for the
test-control API, aad.py and kusto_service.py for what is emulated.
"""
try:  # before the modules that import it: the error says what to install
    import cryptography  # noqa: F401
except ModuleNotFoundError as e:
    if e.name != "cryptography":
        raise
    raise ModuleNotFoundError("the emulator needs the cryptography package: pip install cryptography",
                              name="cryptography") from None
from .app import Emulator  # noqa: E402

__version__ = "0.1.0"
__all__ = ["Emulator"]
