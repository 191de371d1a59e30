"""Inside the wheel check's bare environment: a query on the emulator through the installed wheel (trusting its
CA by ca_file, then as the system's only bundle), then which
libcurl, cJSON and OpenSSL this process has loaded; every one must come from the wheel (kusto.libs).

    python run_query.py CONFIG.json
"""
import json
import os
import sys

import kusto

with open(sys.argv[1], encoding="utf-8") as f:
    config = json.loads(f.readline())
for ca in (config["ca_file"], None):
    options = {"ca_file": ca} if ca else {}
    with kusto.Client(config["connection_string"], authority=config["authority"], **options) as client:
        rows = client.query(None, "print answer=42")["primary_results"][0]["rows"]
    assert rows == [[42]], rows
    print("query through the wheel, CA from %s: print answer=42 -> %s" % (ca or "the system (/etc/ssl/cert.pem)",
                                                                         rows[0][0]))

libs_dir = os.path.join(os.path.dirname(os.path.dirname(kusto.__file__)), "kusto.libs")
with open("/proc/self/maps", encoding="utf-8") as maps:
    loaded = sorted({line.split()[-1] for line in maps if ".so" in line.split()[-1]})
for stem in ("libcurl", "libcjson", "libssl", "libcrypto"):
    paths = [p for p in loaded if os.path.basename(p).startswith(stem + "-") or os.path.basename(p).startswith(stem + ".")]
    assert paths and all(p.startswith(libs_dir + "/") for p in paths), (stem, paths)
    print("loaded %-9s from %s" % (stem, ", ".join(paths)))
