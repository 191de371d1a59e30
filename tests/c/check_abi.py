#!/usr/bin/env python3
"""The stable C ABI: libkusto.so exports exactly the functions kusto.h declares, and kusto.h compiles
as strict C89 and as C++11.

Usage: check_abi.py LIBKUSTO_SO [CC] [CXX]; exits 1 naming what differs or the compiler's message."""
import os
import re
import subprocess
import sys
import tempfile

HEADER = "core/include/kusto.h"


def declared(cc):
    """The functions kusto.h declares, read from the preprocessed header (no comments, no macros)."""
    text = subprocess.run([cc, "-E", "-P", "-Icore/include", "-x", "c", HEADER], check=True,
                          capture_output=True, text=True).stdout
    # A function pointer type reads "(*kusto_x)(": only a declared function has its name before "(".
    return set(re.findall(r"(?<!\w)(?<!\(\*)(kusto_\w+)\s*\(", text))


def exported(library):
    out = subprocess.run(["nm", "-D", "--defined-only", library], check=True, capture_output=True, text=True).stdout
    names = {line.split()[-1] for line in out.splitlines() if line.strip()}
    return names - {"_init", "_fini"}


def compiles(command, source, library):
    """Compiles `source` and links it with the library: unmangled names resolve from C++ too."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, source[0])
        with open(path, "w", encoding="utf-8") as f:
            f.write(source[1])
        run = subprocess.run(command + [path, library, "-o", os.path.join(tmp, "out")], capture_output=True,
                             text=True)
    return run.returncode == 0, run.stderr


# Every declaration is used, so a header that declares a function but misspells its type fails to compile.
USE = '#include "kusto.h"\nint main(void) { return kusto_version() == 0 || KUSTO_ARROW_BATCH_ROWS == 0; }\n'


def main():
    library = sys.argv[1]
    cc = sys.argv[2] if len(sys.argv) > 2 else "cc"
    cxx = sys.argv[3] if len(sys.argv) > 3 else "c++"
    failures = []
    want, have = declared(cc), exported(library)
    if not want:
        failures.append(f"no function found in {HEADER}")
    for name in sorted(have - want):
        failures.append(f"{library} exports {name}, which {HEADER} does not declare")
    for name in sorted(want - have):
        failures.append(f"{HEADER} declares {name}, which {library} does not export (KUSTO_EXTERN missing?)")
    headers = [
        (["-std=c89", "-pedantic", "-Wall", "-Wextra", "-Werror"], [cc], ("c89.c", USE)),
        (["-std=c++11", "-Wall", "-Wextra", "-Werror"], [cxx], ("cxx11.cpp", USE.replace("(void)", "()"))),
    ]
    for flags, compiler, source in headers:
        ok, message = compiles(compiler + flags + ["-Icore/include"], source, library)
        if not ok:
            failures.append(f"{HEADER} does not compile with {' '.join(compiler + flags)}:\n{message}")
    for failure in failures:
        print("check-abi: " + failure, file=sys.stderr)
    if failures:
        return 1
    print(f"check-abi: {len(have)} symbols exported, as kusto.h declares; kusto.h compiles as C89 and C++11")
    return 0


if __name__ == "__main__":
    sys.exit(main())
