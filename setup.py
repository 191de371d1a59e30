"""Builds the kusto package: the pure-Python part and the C extension kusto._kusto, which compiles
the whole libkusto core into itself (so the wheel needs only the system's libcurl, cJSON and OpenSSL); and beside
it the emulator, kusto_emulator from emulator/ (which `pip install ./emulator` installs alone)."""
import glob
import re
import shutil
import subprocess
import sys

from setuptools import Extension, find_packages, setup

# pkg-config name -> the Debian package that provides it
DEPENDENCIES = {"libcurl": "libcurl4-openssl-dev", "libcjson": "libcjson-dev", "openssl": "libssl-dev"}


def fail(message):
    sys.exit("error: " + message)


def pkg_config(*args):
    if not shutil.which("pkg-config"):
        fail("pkg-config not found; install it (Debian/Ubuntu: apt-get install pkg-config)")
    for name, debian in DEPENDENCIES.items():
        if subprocess.run(["pkg-config", "--exists", name]).returncode != 0:
            fail(f"pkg-config cannot find {name}; install it (Debian/Ubuntu: apt-get install {debian})")
    out = subprocess.run(["pkg-config", *args, *DEPENDENCIES], check=True, capture_output=True, text=True)
    return out.stdout.split()


def version():
    with open("core/include/kusto.h", encoding="utf-8") as header:
        return re.search(r'#define KUSTO_VERSION "([^"]+)"', header.read()).group(1)


def extension():
    cflags, libs = pkg_config("--cflags"), pkg_config("--libs")
    sources = sorted(glob.glob("core/src/*.c") + glob.glob("core/src/flows/*.c")) + sorted(
        glob.glob("bindings/python/src/*.c"))
    return Extension(
        "kusto._kusto",
        sources=sources,
        depends=sorted(glob.glob("core/include/*.h") + glob.glob("core/src/*.h") + glob.glob("core/src/flows/*.h")
                       + glob.glob("bindings/python/src/*.h")),
        include_dirs=["core/include", "core/src", "bindings/python/src"]
        + [flag[2:] for flag in cflags if flag.startswith("-I")],
        library_dirs=[flag[2:] for flag in libs if flag.startswith("-L")],
        libraries=[flag[2:] for flag in libs if flag.startswith("-l")] + ["pthread"],
        extra_compile_args=["-std=c11", "-D_GNU_SOURCE", "-DKUSTO_STATIC", "-fvisibility=hidden"]
        + [flag for flag in cflags if not flag.startswith("-I")],
        extra_link_args=[flag for flag in libs if not flag.startswith(("-l", "-L"))],
    )


setup(
    name="kusto",
    version=version(),
    description="Sign in to Azure AD and query Azure Data Explorer (Kusto): a fast C core with a thin binding",
    license="MIT",
    license_files=["LICENSE"],
    python_requires=">=3.10",
    package_dir={"": "bindings/python", "kusto_emulator": "emulator/kusto_emulator"},
    packages=find_packages(where="bindings/python") + ["kusto_emulator"],
    package_data={"kusto": ["py.typed", "*.pyi"]},
    include_package_data=True,
    ext_modules=[extension()],
    entry_points={"console_scripts": ["kusto-emulator = kusto_emulator.__main__:main"]},
    extras_require={
        "emulator": ["cryptography"],
        "pandas": ["pandas"],
        "arrow": ["pyarrow"],
        "test": ["pytest", "cryptography", "requests", "msal", "msal-extensions[portalocker]", "pandas",
                 "azure-kusto-data", "azure-identity", "mypy", "sqlalchemy", "pyarrow", "polars", "duckdb"],
        "bench": ["azure-kusto-data", "requests", "pandas", "pyarrow"],
    },
)
