"""Sign in and run a query, then print the primary table.

    python examples/query.py [CONFIG.json | "CONNECTION STRING"] ["QUERY"]

CONFIG.json (or the file named by $KUSTO_EMULATOR_CONFIG) is the line `python -m kusto.emulator
--print-config` prints; its CA and authority are used. Otherwise the argument is a connection string.
"""
import datetime
import json
import os
import sys
import time

import kusto

target = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("KUSTO_EMULATOR_CONFIG", "")
csl = sys.argv[2] if len(sys.argv) > 2 else 'range x from 1 to 5 step 1 | extend y = x * 2'
if os.path.isfile(target):
    with open(target, encoding="utf-8") as f:
        config = json.loads(f.readline())
    client = kusto.Client(config["connection_string"], ca_file=config["ca_file"], authority=config["authority"])
elif target:
    client = kusto.Client(target)
else:
    sys.exit(__doc__)

with client:
    token = client.acquire_token()
    expires = datetime.datetime.fromtimestamp(token["expires_on"]).astimezone()
    minutes = round((token["expires_on"] - time.time()) / 60)
    print("signed in: token for %s, expires at %s (in %d min)"                        # never the token itself
          % (token["resource"], expires.strftime("%H:%M:%S %Z"), minutes))
    table = client.query(None, csl)["primary_results"][0]

names = [c["name"] for c in table["columns"]]
cells = [[str(v) for v in row] for row in table["rows"]]
widths = [max(len(text) for text in column) for column in zip(names, *cells)]
for line in [names, ["-" * w for w in widths], *cells]:    # as query.lua and query.c print it
    print("  ".join(text.ljust(w) for text, w in zip(line, widths)).rstrip())
