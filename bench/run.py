"""The benchmark: libkusto (Python, Lua) against azure-kusto-data, requests + json.loads and lua-cjson, on the
same generated v2 responses served from loopback, in the same run. Prints a table of medians, ratios and peak RSS.

    ./dev.sh bench                              (installs what is missing, then runs this)
    python bench/run.py [--rows 100000,1000000] [--runs 5] [--big-runs 1] [--skip-peers]

Every contender runs in a process of its own (peak RSS from wait4). Lua has no wall clock: its libkusto time is
the wall time of one `lua` process minus that of a `lua` process that only loads the module.
"""
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import gen  # noqa: E402

DATA = os.path.join(ROOT, "build", "bench")
WAITING_ROWS, WAIT_MS = 1000, 100  # the threads measure with queries a cluster takes 100 ms to run
LUA_CPATH = os.path.join(ROOT, ".lua", "lib", "lua", "5.4", "?.so") + ";;"
LUA = shutil.which("lua5.4") or "lua5.4"


def ensure_bodies(rows):
    os.makedirs(DATA, exist_ok=True)
    for form in ("fragmented", "plain"):
        path = os.path.join(DATA, f"{rows}.{form}.json")
        if not os.path.exists(path):
            print(f"generating {path}", file=sys.stderr)
            gen.write(path + ".tmp", rows, form)
            os.replace(path + ".tmp", path)


def run_process(argv, env=None):
    """(stdout, wall seconds, peak RSS in MiB) of one child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, env=env, cwd=ROOT)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{argv[:3]} exited with {proc.returncode}")
    return out.decode(), wall, usage.ru_maxrss / 1024


def python_contender(name, port, rows, runs):
    out, _, rss = run_process([sys.executable, os.path.join(HERE, "contenders.py"), name, str(port), str(rows),
                               str(runs)])
    result = json.loads(out)
    return statistics.median(result["times"]), rss, result["rows"]


def lua_env():
    return dict(os.environ, LUA_CPATH=LUA_CPATH)


def lua_libkusto(port, rows, runs, mode="libkusto"):
    script = os.path.join(HERE, "bench.lua")
    base = statistics.median(run_process([LUA, script, "start"], lua_env())[1] for _ in range(3))
    walls, rss, count = [], 0, 0
    for _ in range(runs):
        out, wall, peak = run_process([LUA, script, mode, str(port), str(rows)], lua_env())
        walls.append(wall - base)
        rss, count = max(rss, peak), json.loads(out)["rows"]
    return statistics.median(walls), rss, count


def lua_cjson(rows, runs):
    path = os.path.join(DATA, f"{rows}.fragmented.json")
    times, rss = [], 0
    for _ in range(runs):
        out, _, peak = run_process([LUA, os.path.join(HERE, "bench.lua"), "cjson", path], lua_env())
        times.append(json.loads(out)["seconds"])
        rss = max(rss, peak)
    return statistics.median(times), rss, rows


def import_ms(runs=7):
    times = []
    for _ in range(runs):
        err = subprocess.run([sys.executable, "-X", "importtime", "-c", "import kusto"], capture_output=True,
                             text=True, cwd="/tmp").stderr
        cumulative = [int(m.group(1)) for m in re.finditer(r"^import time:\s+\d+ \|\s+(\d+) \| kusto$", err, re.M)]
        times.append(cumulative[-1] / 1000)
    return statistics.median(times)


def micro(*args):
    return json.loads(run_process([sys.executable, os.path.join(HERE, "micro.py"), *map(str, args)])[0])


def start_server():
    server = subprocess.Popen([sys.executable, os.path.join(HERE, "server.py"), DATA], stdout=subprocess.PIPE,
                              text=True)
    return server, json.loads(server.stdout.readline())["port"]


def fmt_row(cells, widths):
    return "  ".join(str(c).rjust(w) if i else str(c).ljust(w) for i, (c, w) in enumerate(zip(cells, widths)))


def print_table(title, header, rows):
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    print(f"\n{title}")
    print(fmt_row(header, widths))
    for r in rows:
        print(fmt_row(r, widths))


def measure_size(port, rows, runs, peers):
    contenders = [("libkusto Python (rows)", lambda: python_contender("libkusto", port, rows, runs)),
                  ("libkusto Python columnar", lambda: python_contender("libkusto_columnar", port, rows, runs)),
                  ("libkusto Python query_iter", lambda: python_contender("libkusto_iter", port, rows, runs)),
                  ("libkusto Lua (rows)", lambda: lua_libkusto(port, rows, runs)),
                  ("libkusto Lua raw_ticks", lambda: lua_libkusto(port, rows, runs, "libkusto_raw_ticks"))]
    if peers:
        contenders += [("azure-kusto-data execute + rows", lambda: python_contender("azure", port, rows, runs)),
                       ("requests.post + json.loads", lambda: python_contender("requests_json", port, rows, runs)),
                       ("lua-cjson decode (alone)", lambda: lua_cjson(rows, runs))]
        if rows < 1_000_000:  # DataFrames: azure-kusto-data's helper takes minutes at 1M rows
            contenders += [("libkusto query_df (pandas)", lambda: python_contender("libkusto_df", port, rows, runs)),
                           ("azure-kusto-data dataframe_from_result_table",
                            lambda: python_contender("azure_df", port, rows, runs))]
    results = {}
    for name, fn in contenders:
        try:
            results[name] = fn()
        except Exception as e:  # a missing peer or feature is reported, not fatal
            print(f"{name}: {e}", file=sys.stderr)
    return results


def report_size(rows, runs, results):
    table = [[name, f"{t:.3f}", f"{rss:.0f}", n] for name, (t, rss, n) in results.items()]
    print_table(f"{rows} rows, median of {runs}", ["contender", "seconds", "peak RSS MiB", "rows"], table)
    ratios = [("libkusto Python (rows)", "azure-kusto-data execute + rows", "1/15"),
              ("libkusto Python (rows)", "requests.post + json.loads", "1/4"),
              ("libkusto Lua (rows)", "lua-cjson decode (alone)", "1/3"),
              ("libkusto Lua raw_ticks", "lua-cjson decode (alone)", "1/3"),
              ("libkusto query_df (pandas)", "azure-kusto-data dataframe_from_result_table", "1/1")]
    lines = []
    for ours, theirs, goal in ratios:
        if ours in results and theirs in results:
            ratio = results[ours][0] / results[theirs][0]
            lines.append([f"{ours} / {theirs}", f"{ratio:.3f}", goal, "yes" if ratio <= eval(goal) else "NO"])
    ours, theirs = "libkusto Python (rows)", "azure-kusto-data execute + rows"
    if ours in results and theirs in results:
        ratio = results[ours][1] / results[theirs][1]
        lines.append(["peak RSS: libkusto Python / azure-kusto-data", f"{ratio:.3f}", "1/2", "yes" if ratio <= .5 else "NO"])
    if lines:
        print_table(f"{rows} rows: ratios", ["ratio", "value", "goal", "met"], lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", default="100000,1000000")
    ap.add_argument("--runs", type=int, default=5, help="runs per contender below 1M rows")
    ap.add_argument("--big-runs", type=int, default=1, help="runs per contender at 1M rows and more")
    ap.add_argument("--skip-peers", action="store_true", help="libkusto only")
    args = ap.parse_args()
    sizes = [int(s) for s in args.rows.split(",")]
    for rows in sizes + [WAITING_ROWS]:
        ensure_bodies(rows)
    server, port = start_server()
    try:
        for rows in sizes:
            runs = args.runs if rows < 1_000_000 else args.big_runs
            report_size(rows, runs, measure_size(port, rows, runs, not args.skip_peers))
        small = min(sizes)
        th = micro("threads", port, small, 2)
        waiting = micro("threads", port, WAITING_ROWS, 5, WAIT_MS)
        tok = micro("token")["token_us"]
        imp = import_ms()
        print_table("other goals", ["measure", "value", "goal", "met"], [
            ["cached acquire_token (µs)", f"{tok:.2f}", "<= 1", "yes" if tok <= 1 else "NO"],
            ["import kusto (ms)", f"{imp:.1f}", "<= 15", "yes" if imp <= 15 else "NO"],
            [f"8 threads / 1 thread throughput ({small} rows, answered at once)", f"{th['speedup']:.2f}x",
             ">= 1.8x", "yes" if th["speedup"] >= 1.8 else "NO"],
            [f"8 threads / 1 thread throughput ({WAITING_ROWS} rows, the cluster takes {WAIT_MS} ms)",
             f"{waiting['speedup']:.2f}x", ">= 1.8x", "yes" if waiting["speedup"] >= 1.8 else "NO"],
        ])
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
