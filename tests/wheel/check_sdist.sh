#!/usr/bin/env bash
# The sdist (./dev.sh wheel) holds every tracked file the builds need (the Python package and the emulator, and
# `make` for C users: core, CLI, kusto.pc, the CMake files), and `make` builds the library and the CLI from it unpacked.
#   tests/wheel/check_sdist.sh [DIST_DIR]     (default build/wheel/dist)
set -euo pipefail
cd "$(dirname "$0")/../.."
dist=${1:-build/wheel/dist}
work=$PWD/build/wheel/sdist-check
sdist=$(ls "$dist"/kusto-*.tar.gz)
rm -rf "$work"
mkdir -p "$work"
tar xzf "$sdist" -C "$work"
top=$(ls "$work")
needed=$(git ls-files core cli cmake bindings/python/src bindings/python/kusto emulator setup.py pyproject.toml \
    MANIFEST.in Makefile kusto.pc.in LICENSE README.md)
missing=$(for f in $needed; do [ -e "$work/$top/$f" ] || echo "$f"; done)
[ -z "$missing" ] || { echo "the sdist lacks:" $missing >&2; exit 1; }
make -s -C "$work/$top" -j2 all >"$work/make.log" 2>&1 || { tail -20 "$work/make.log" >&2; exit 1; }
echo "sdist: $(echo "$needed" | wc -l) tracked files present; make built $(cd "$work/$top/build" && ls libkusto.so kusto | tr "\n" " ")"
