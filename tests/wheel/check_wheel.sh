#!/usr/bin/env bash
# The manylinux wheel (./dev.sh wheel) as a user without a compiler or -dev packages gets it: installed into a
# fresh venv (pip unpacks it, builds nothing), then run in a mount namespace where
#   - the system's copy of every library the wheel bundles (libcurl, cJSON, OpenSSL and theirs) is an empty file,
#     so loading any of them instead of the wheel's own would fail;
#   - /usr/include and the compilers' directories are empty, and the environment is `env -i` with PATH the
#     venv's bin alone (no cc, no pkg-config);
#   - /etc/ssl holds only cert.pem (the emulator's CA), as Alpine and the BSDs keep it: the bundled libcurl's
#     compiled-in /etc/ssl/certs/ca-certificates.crt is missing, and libkusto must find the system's bundle;
# where tests/wheel/run_query.py queries the emulator (with ca_file, then trusting the system's bundle) (started from the source tree, as tests/python/conftest.py
# does) and checks from /proc/self/maps that libcurl, cJSON and OpenSSL were loaded from the wheel.
#   tests/wheel/check_wheel.sh [DIST_DIR]     (default build/wheel/dist; as root, or with user namespaces)
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD
dist=${1:-build/wheel/dist}
work=$repo/build/wheel/check
emulator_python=${EMULATOR_PYTHON:-$repo/.venv/bin/python}   # any Python with `cryptography`
shopt -s nullglob
wheels=("$dist"/kusto-*-manylinux*.whl)
[ ${#wheels[@]} -eq 1 ] || { echo "expected one manylinux wheel in $dist, found ${#wheels[@]}" >&2; exit 1; }
wheel=$(realpath "${wheels[0]}")

rm -rf "$work"
mkdir -p "$work"
python3 -m venv "$work/venv"
"$work/venv/bin/python" -m pip install -q --no-index --no-deps "$wheel"
site=$("$work/venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')

# The emulator, from the source tree (kusto_emulator never imports kusto, whose C extension would load).
(cd "$work" && PYTHONPATH="$repo/emulator" exec "$emulator_python" -m kusto_emulator --print-config \
    >"$work/emulator.json" 2>"$work/emulator.log") &
emulator=$!
trap 'kill $emulator 2>/dev/null; wait $emulator 2>/dev/null || true' EXIT
for _ in $(seq 200); do [ -s "$work/emulator.json" ] && break; sleep 0.1; done
[ -s "$work/emulator.json" ] || { cat "$work/emulator.log" >&2; echo "the emulator did not start" >&2; exit 1; }

# The system's copies of the bundled libraries: kusto.libs/libcurl-02fbea31.so.4.8.0 is libcurl.so.4.
ldconfig -p | grep "/$(python3 -c 'import sysconfig; print(sysconfig.get_config_var("MULTIARCH"))')/" \
    >"$work/ldconfig.txt"   # this architecture's libraries only
hidden=()
for bundled in "$site"/kusto.libs/*.so*; do
    soname=$(basename "$bundled" | sed -E 's/-[0-9a-f]{8}\././; s/(\.so\.[0-9]+).*/\1/')
    system=$(awk -v name="$soname" '$1 == name {print $NF; exit}' "$work/ldconfig.txt")
    [ -n "$system" ] && hidden+=("$(realpath "$system")")
done
[ ${#hidden[@]} -gt 10 ] || { echo "found only ${#hidden[@]} system copies of the bundled libraries" >&2; exit 1; }
: >"$work/empty"

namespace=(unshare --mount --propagation private)
[ "$(id -u)" -eq 0 ] || namespace=(unshare --user --map-root-user --mount --propagation private)
"${namespace[@]}" bash -euo pipefail -s "$work" "$site" "${hidden[@]}" <<'NAMESPACE'
work=$1 site=$2
shift 2
for lib in "$@"; do mount --bind "$work/empty" "$lib"; done
for dir in /usr/include /usr/lib/gcc /usr/libexec/gcc /usr/lib/llvm-*; do
    [ -d "$dir" ] && mount -t tmpfs -o ro none "$dir"
done
ca=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["ca_file"])' "$work/emulator.json")
mount -t tmpfs none /etc/ssl
cp "$ca" /etc/ssl/cert.pem
curl=$(awk '$1 == "libcurl.so.4" {print $NF; exit}' "$work/ldconfig.txt")
echo "bare environment: $# system libraries hidden (e.g. $curl is $(stat -L -c %s "$curl") bytes)," \
     "/usr/include has $(find /usr/include -mindepth 1 | wc -l) entries, PATH=$work/venv/bin"
env -i PATH="$work/venv/bin" HOME="$work" /bin/sh -c '! command -v cc && ! command -v gcc && ! command -v pkg-config' ||
    { echo "a compiler or pkg-config is on PATH" >&2; exit 1; }
ext=$(ls "$site"/kusto/_kusto*.so)
echo "ldd $(basename "$ext"):"
ldd "$ext" | grep -E "libcurl|libcjson|libssl|libcrypto|not found" | sed 's/^/    /'
! ldd "$ext" | grep -q "not found"
cd "$work"
exec env -i PATH="$work/venv/bin" HOME="$work" python "$OLDPWD/tests/wheel/run_query.py" "$work/emulator.json"
NAMESPACE
