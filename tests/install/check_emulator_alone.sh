#!/usr/bin/env bash
# A C or Lua developer's emulator: `pip install ./emulator` into a fresh venv, which then holds kusto-emulator and
# cryptography (with what cryptography needs) and no kusto package or extension; `kusto-emulator --print-config`
# started from it answers a client-credentials token request and a query made with curl.
#   tests/install/check_emulator_alone.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
work="$PWD/build/emulator-alone"
venv="$work/venv"
rm -rf "$work"
mkdir -p "$work"
fail() { echo "emulator alone: $*" >&2; exit 1; }
json() { python3 -c 'import json, sys; print(eval(sys.argv[2], {"j": json.load(open(sys.argv[1]))}))' "$@"; }

python3 -m venv "$venv"
"$venv/bin/python" -m pip install -q ./emulator
packages=$("$venv/bin/python" -m pip list --format=freeze | cut -d= -f1 | tr '[:upper:]' '[:lower:]' | sort | tr '\n' ' ' | sed 's/ $//')
for package in $packages; do
    case $package in kusto-emulator | cryptography | cffi | pycparser | pip | setuptools) ;;
    *) fail "the venv holds $package besides the emulator: $packages" ;; esac
done
(cd "$work" && "$venv/bin/python" -c 'import kusto' 2>/dev/null) && fail "kusto is importable in the emulator's venv"

(cd "$work" && exec "$venv/bin/kusto-emulator" --print-config >"$work/config.json" 2>"$work/emulator.log") &
emulator=$!
trap 'kill $emulator 2>/dev/null; wait $emulator 2>/dev/null || true' EXIT
for _ in $(seq 200); do [ -s "$work/config.json" ] && break; sleep 0.1; done
[ -s "$work/config.json" ] || { cat "$work/emulator.log" >&2; fail "kusto-emulator did not print its configuration"; }

config="$work/config.json"
ca=$(json "$config" 'j["ca_file"]')
curl -sS --fail-with-body --cacert "$ca" -o "$work/token.json" "$(json "$config" 'j["authority"]')/oauth2/v2.0/token" \
    --data-urlencode grant_type=client_credentials --data-urlencode "client_id=$(json "$config" 'j["client_id"]')" \
    --data-urlencode "client_secret=$(json "$config" 'j["client_secret"]')" \
    --data-urlencode "scope=$(json "$config" 'j["resource"]')/.default" || fail "the token request failed"
token=$(json "$work/token.json" 'j["access_token"]')
curl -sS --fail-with-body --cacert "$ca" -o "$work/query.json" "$(json "$config" 'j["cluster"]')/v2/rest/query" \
    -H "Authorization: Bearer $token" -H "Content-Type: application/json" \
    -d "{\"db\": \"$(json "$config" 'j["database"]')\", \"csl\": \"print answer=42\"}" || fail "the query failed"
answer=$(json "$work/query.json" \
    '[f["Rows"] for f in j if f.get("FrameType") == "DataTable" and f["TableKind"] == "PrimaryResult"][0][0][0]')
[ "$answer" = 42 ] || fail "print answer=42 answered $answer"
echo "emulator alone: a venv of $packages; kusto-emulator gave a token and answered print answer=42 with $answer"
