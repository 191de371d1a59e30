"""python -m kusto.emulator: runs kusto_emulator (kusto-emulator), with the same arguments."""
import sys

from kusto_emulator.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
