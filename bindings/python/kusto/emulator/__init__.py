"""`python -m kusto.emulator`: an alias of the emulator, which is the package kusto_emulator (emulator/ in the
repository; `pip install .` installs both, `pip install ./emulator` the emulator alone)."""
from kusto_emulator import Emulator

__all__ = ["Emulator"]
