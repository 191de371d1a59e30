#!/usr/bin/env bash
# A C user's view of `make install PREFIX=<dir>` outside the system directories: examples/query.c built with
# CMake (find_package(kusto), from a copy of the tree moved elsewhere) and with pkg-config (no rpath given: kusto.pc
# carries it), each run against the emulator ($KUSTO_EMULATOR_CONFIG, from dev.sh's start_emulator); a request for
# a version this libkusto does not answer is refused, no version or its own is not. Ends with "C: N passed,
# N failed", the line dev.sh counts.
set -euo pipefail
cd "$(dirname "$0")/../.."
work="$PWD/build/install-test"
rm -rf "$work"
mkdir -p "$work"
passed=0
ok() { passed=$((passed + 1)); }
fail() { echo "install: $*" >&2; echo "C: $passed passed, 1 failed"; exit 1; }
config() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$KUSTO_EMULATOR_CONFIG" "$1"; }
answers_42() { "$1" "$(config connection_string)" "$(config ca_file)" "print answer=42" | grep -qx 42; }

make -s install PREFIX="$work/staged" >/dev/null
mv "$work/staged" "$work/prefix"   # nothing in lib/cmake/kusto may name the prefix it was installed to

cmake -S tests/install -B "$work/cmake" -DCMAKE_PREFIX_PATH="$work/prefix" -DKUSTO_WANTED_VERSION=0.1 \
    >"$work/cmake.log" 2>&1 || { cat "$work/cmake.log" >&2; fail "cmake could not configure with find_package(kusto 0.1)"; }
cmake --build "$work/cmake" >>"$work/cmake.log" 2>&1 || { cat "$work/cmake.log" >&2; fail "cmake could not build"; }
ok
ldd "$work/cmake/query" | grep -q "libkusto.so.0 => $work/prefix/lib/libkusto.so.0" ||
    fail "the CMake-built program does not load $work/prefix/lib/libkusto.so.0: $(ldd "$work/cmake/query" | grep kusto)"
ok
answers_42 "$work/cmake/query" || fail "the CMake-built example did not answer the query"
ok

for version in "" 0.1.0; do
    cmake -S tests/install -B "$work/cmake-any$version" -DCMAKE_PREFIX_PATH="$work/prefix" \
        -DKUSTO_WANTED_VERSION=$version >/dev/null 2>&1 || fail "find_package(kusto $version) refused libkusto 0.1.0"
    ok
done
for version in 0.2 1.0; do
    if cmake -S tests/install -B "$work/cmake-$version" -DCMAKE_PREFIX_PATH="$work/prefix" \
        -DKUSTO_WANTED_VERSION=$version >/dev/null 2>&1; then
        fail "find_package(kusto $version) accepted libkusto 0.1"
    fi
    ok
done

make -s install PREFIX="$work/pc-prefix" >/dev/null
# shellcheck disable=SC2046  # pkg-config's flags are words
cc -std=c11 examples/query.c $(PKG_CONFIG_PATH="$work/pc-prefix/lib/pkgconfig" pkg-config --cflags --libs kusto) \
    -o "$work/query-pc"
env -u LD_LIBRARY_PATH "$work/query-pc" "$(config connection_string)" "$(config ca_file)" "print answer=42" |
    grep -qx 42 || fail "the example linked through pkg-config (rpath from kusto.pc) did not answer"
ok
echo "C: $passed passed, 0 failed"
