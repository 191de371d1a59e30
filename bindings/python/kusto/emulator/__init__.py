"""A local Azure AD and Kusto cluster over HTTPS, for tests: `python -m kusto.emulator --print-config`.

Pure Python (stdlib + cryptography); it never imports the C extension. See __main__.py for the command line,
control.py for the test-control API, aad.py and kusto_service.py for what is emulated.
"""
from .._extras import require

require("cryptography", "the emulator")  # before the modules that import it: the error says what to install
from .app import Emulator  # noqa: E402

__all__ = ["Emulator"]
