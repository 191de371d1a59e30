"""The benchmark: libkusto (Python, Lua) against azure-kusto-data, requests + json.loads and lua-cjson, on the
same generated v2 responses served from loopback, in the same run. Prints a table of medians, ratios and peak RSS.

    ./dev.sh bench                              (installs what is missing, then runs this)
    python bench/run.py [--rows 100000,1000000] [--runs 5] [--big-runs 1] [--skip-peers] [--arrow] [--only NAMES]

--arrow measures the Arrow path instead (query_arrow to pyarrow.Table / polars, query_df through Arrow) against
azure-kusto-data's DataFrame path, requests + json.loads and the C core alone (build/parse_bench over loopback:
a builder that keeps nothing, and the Arrow builder), in both body forms, and the 8-thread query_arrow throughput.

--only query_iter,CLI runs only the contenders whose names contain one of these words (any letter case) and leaves
out the other goals: these two give the streaming figures (query_iter's peak RSS and the CLI's time to first row,
cold processes, both body forms).

Every contender runs in a process of its own (peak RSS from wait4). Lua has no wall clock: its libkusto time is
the wall time of one `lua` process minus that of a `lua` process that only loads the module. "Lua arrays of the
same cells alone (floor)" is what Lua itself takes to hold the primary table's cells as query_columns gives them
(bench/lua_floor.c): the least any Lua columnar result can take, timed inside the process.
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


LUA_FLOOR = os.path.join(ROOT, "build", "lua_floor.so")
FLOOR = "Lua arrays of the same cells alone (floor)"


def lua_floor(rows, runs):
    """The least a Lua columnar result can take (bench/lua_floor.c): the primary table's cells pushed into Lua
    arrays from C memory, timed inside the process."""
    subprocess.run(["make", "-s", "build/lua_floor.so"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    env = dict(os.environ, LUA_CPATH=os.path.join(ROOT, "build", "?.so") + ";" + LUA_CPATH)
    path = os.path.join(DATA, f"{rows}.fragmented.json")
    times = [json.loads(run_process([LUA, os.path.join(HERE, "bench.lua"), "floor", path], env)[0])["seconds"]
             for _ in range(runs)]
    return statistics.median(times), 0, rows


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


ONLY = []  # --only: words of the contender names to run; empty: all


def selected(name):
    return not ONLY or any(word in name.lower() for word in ONLY)


def run_contenders(contenders):
    """{name: (seconds, peak RSS MiB, rows)} of each selected (name, measure) pair that ran."""
    results = {}
    for name, fn in contenders:
        if not selected(name):
            continue
        try:
            results[name] = fn()
        except Exception as e:  # a missing peer or feature is reported, not fatal
            print(f"{name}: {e}", file=sys.stderr)
    return results


def measure_size(port, rows, runs, peers):
    contenders = [("libkusto Python (rows)", lambda: python_contender("libkusto", port, rows, runs)),
                  ("libkusto Python columnar", lambda: python_contender("libkusto_columnar", port, rows, runs)),
                  ("libkusto Python query_iter", lambda: python_contender("libkusto_iter", port, rows, runs)),
                  ("libkusto Lua (rows)", lambda: lua_libkusto(port, rows, runs)),
                  ("libkusto Lua raw_ticks", lambda: lua_libkusto(port, rows, runs, "libkusto_raw_ticks")),
                  ("libkusto Lua query_columns", lambda: lua_libkusto(port, rows, runs, "libkusto_columns"))]
    if peers:
        contenders += [("azure-kusto-data execute + rows", lambda: python_contender("azure", port, rows, runs)),
                       ("requests.post + json.loads", lambda: python_contender("requests_json", port, rows, runs)),
                       ("lua-cjson decode (alone)", lambda: lua_cjson(rows, runs)),
                       (FLOOR, lambda: lua_floor(rows, runs))]
        if rows < 1_000_000:  # DataFrames: azure-kusto-data's helper takes minutes at 1M rows
            contenders += [("libkusto query_df (pandas)", lambda: python_contender("libkusto_df", port, rows, runs)),
                           ("azure-kusto-data dataframe_from_result_table",
                            lambda: python_contender("azure_df", port, rows, runs))]
    return run_contenders(contenders)


def report_size(rows, runs, results):
    if not results:
        return
    table = [[name, f"{t:.3f}", f"{rss:.0f}" if rss else "-", n] for name, (t, rss, n) in results.items()]
    print_table(f"{rows} rows, median of {runs}", ["contender", "seconds", "peak RSS MiB", "rows"], table)
    ratios = [("libkusto Python (rows)", "azure-kusto-data execute + rows", "1/15"),
              ("libkusto Python (rows)", "requests.post + json.loads", "1/4"),
              ("libkusto Lua (rows)", "lua-cjson decode (alone)", "1/3"),
              ("libkusto Lua raw_ticks", "lua-cjson decode (alone)", "1/3"),
              ("libkusto Lua query_columns", "lua-cjson decode (alone)", "1/3"),
              (FLOOR, "lua-cjson decode (alone)", "1/3"),
              ("libkusto Lua query_columns", FLOOR, "-"),
              ("libkusto query_df (pandas)", "azure-kusto-data dataframe_from_result_table", "1/1")]
    lines = []
    for ours, theirs, goal in ratios:
        if ours in results and theirs in results:
            ratio = results[ours][0] / results[theirs][0]
            met = "-" if goal == "-" else "yes" if ratio <= eval(goal) else "NO"
            lines.append([f"{ours} / {theirs}", f"{ratio:.3f}", goal, met])
    ours, theirs = "libkusto Python (rows)", "azure-kusto-data execute + rows"
    if ours in results and theirs in results:
        ratio = results[ours][1] / results[theirs][1]
        lines.append(["peak RSS: libkusto Python / azure-kusto-data", f"{ratio:.3f}", "1/2", "yes" if ratio <= .5 else "NO"])
    if lines:
        print_table(f"{rows} rows: ratios", ["ratio", "value", "goal", "met"], lines)


CLI = os.path.join(ROOT, "build", "kusto")
STREAM_RSS_MIB, FIRST_ROW_MS = 60, 50  # the goals of streaming rows, at 1M rows


def cold_iter(port, rows, runs, form):
    """(the highest peak RSS MiB, median seconds, rows) of query_iter in `runs` cold processes."""
    name = "libkusto_iter_plain" if form == "plain" else "libkusto_iter"
    results = [python_contender(name, port, rows, 1) for _ in range(runs)]
    return max(r[1] for r in results), statistics.median(r[0] for r in results), results[0][2]


def cli_first_row(server, port, rows, form):
    """(ms from the server's first byte to the CLI's first row on its stdout, seconds to the last row, rows) of
    one cold `kusto -F json` (JSON lines: no header, the first line is the first row). The server logs when it
    starts sending (CLOCK_MONOTONIC, as time.monotonic() here), so connection set-up and the process start are
    not counted; the CLI flushes its output after each batch of rows, whatever stdout is."""
    if not os.path.exists(CLI):
        subprocess.run(["make", "-s", "build/kusto"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    start = time.monotonic()
    proc = subprocess.Popen([CLI, "--no-cache", "-c", f"Data Source=http://127.0.0.1:{port};Initial Catalog=bench",
                             "-F", "json", f"rows={rows} form={form} mark"], stdout=subprocess.PIPE, cwd=ROOT)
    first = proc.stdout.readline()
    first_row = time.monotonic()
    count = (1 if first else 0) + sum(chunk.count(b"\n") for chunk in iter(lambda: proc.stdout.read(1 << 20), b""))
    if proc.wait() != 0:
        raise RuntimeError(f"kusto exited with {proc.returncode}")
    first_byte = json.loads(server.stdout.readline())["first_byte"]
    return (first_row - first_byte) * 1000, time.monotonic() - start, count


def cold_cli(server, port, rows, runs, form):
    """(median ms to the first row, median seconds to the last, rows) of the CLI in `runs` cold processes."""
    results = [cli_first_row(server, port, rows, form) for _ in range(runs)]
    return statistics.median(r[0] for r in results), statistics.median(r[1] for r in results), results[0][2]


def measure_streaming(server, port, rows, runs):
    """{name: (value, seconds or peak RSS, rows)}: query_iter's peak RSS and the CLI's first row, both forms."""
    contenders = []
    for form in ("fragmented", "plain"):
        contenders += [(f"query_iter, {form} body", lambda form=form: cold_iter(port, rows, runs, form)),
                       (f"CLI first row, {form} body", lambda form=form: cold_cli(server, port, rows, runs, form))]
    return run_contenders(contenders)


def report_streaming(rows, runs, results):
    lines = []
    for name, (value, other, count) in results.items():
        if name.startswith("query_iter"):
            lines.append([f"{name}: peak RSS MiB (run {other:.2f} s)", f"{value:.0f}", f"<= {STREAM_RSS_MIB}",
                          "yes" if value <= STREAM_RSS_MIB else "NO", count])
        else:
            lines.append([f"{name}: ms after the first byte (last row {other:.2f} s)", f"{value:.1f}",
                          f"<= {FIRST_ROW_MS}", "yes" if value <= FIRST_ROW_MS else "NO", count])
    if lines:
        print_table(f"{rows} rows, streaming: cold processes, median of {runs} (peak RSS: the highest)",
                    ["measure", "value", "goal", "met", "rows"], lines)


PARSE_BENCH = os.path.join(ROOT, "build", "parse_bench")


def c_core(port, rows, runs, form, builder):
    """The C core alone over loopback (build/parse_bench): best of `runs`; it has no Python to start."""
    if not os.path.exists(PARSE_BENCH):
        subprocess.run(["make", "-s", "build/parse_bench"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    out, _, rss = run_process([PARSE_BENCH, os.path.join(DATA, f"{rows}.{form}.json"), str(runs), str(port),
                               str(rows), "loopback-only", form])
    return float(re.search(rf"loopback, {builder}\s+best ([\d.]+) s", out).group(1)), rss, rows


ARROW = "query_arrow -> pyarrow.Table"
ARROW_PLAIN = "query_arrow -> pyarrow.Table (plain body)"
AZURE_DF = "azure-kusto-data dataframe_from_result_table"
REQUESTS = "requests.post + json.loads"
CORE, CORE_PLAIN = "C core alone, no-op builder", "C core alone, no-op builder (plain body)"
QUERY_DF = "query_df via Arrow (pandas)"
QUERY_DF_ARROW = "query_df(dtype_backend=\"pyarrow\")"


def measure_arrow(port, rows, runs, peers):
    contenders = [(ARROW, lambda: python_contender("libkusto_arrow", port, rows, runs)),
                  (ARROW_PLAIN, lambda: python_contender("libkusto_arrow_plain", port, rows, runs)),
                  (QUERY_DF, lambda: python_contender("libkusto_df", port, rows, runs)),
                  (QUERY_DF_ARROW, lambda: python_contender("libkusto_df_pyarrow", port, rows, runs)),
                  ("query_arrow -> polars.DataFrame", lambda: python_contender("libkusto_arrow_polars", port, rows, runs)),
                  ("query_arrow(stream=True), batches dropped as read",
                   lambda: python_contender("libkusto_arrow_stream", port, rows, runs)),
                  (CORE, lambda: c_core(port, rows, max(runs, 3), "fragmented", "no-op builder")),
                  (CORE_PLAIN, lambda: c_core(port, rows, max(runs, 3), "plain", "no-op builder")),
                  ("C core, Arrow builder", lambda: c_core(port, rows, max(runs, 3), "fragmented", "Arrow builder"))]
    if peers:
        contenders += [(REQUESTS, lambda: python_contender("requests_json", port, rows, runs)),
                       (AZURE_DF, lambda: python_contender("azure_df", port, rows, runs))]
    return run_contenders(contenders)


def report_arrow(rows, runs, results):
    table = [[name, f"{t:.3f}", f"{rss:.0f}" if not name.startswith("C core") else "-", n]
             for name, (t, rss, n) in results.items()]
    print_table(f"{rows} rows, Arrow path, median of {runs} (C core: best)", ["contender", "seconds",
                                                                             "peak RSS MiB", "rows"], table)
    ratios = [(ARROW, AZURE_DF, 1 / 20, "1/20"), (ARROW_PLAIN, AZURE_DF, 1 / 20, "1/20"),
              (ARROW, REQUESTS, 1 / 6, "1/6"), (ARROW_PLAIN, REQUESTS, 1 / 6, "1/6"),
              (ARROW, CORE, 1.5, "1.5"), (ARROW_PLAIN, CORE_PLAIN, 1.5, "1.5"), (QUERY_DF, AZURE_DF, 1 / 10, "1/10"),
              (QUERY_DF_ARROW, AZURE_DF, 1 / 10, "1/10")]
    lines = []
    for ours, theirs, goal, text in ratios:
        if ours in results and theirs in results:
            ratio = results[ours][0] / results[theirs][0]
            lines.append([f"{ours} / {theirs}", f"{ratio:.3f}", text, "yes" if ratio <= goal else "NO"])
    if ARROW in results and AZURE_DF in results:
        ratio = results[ARROW][1] / results[AZURE_DF][1]
        lines.append([f"peak RSS: {ARROW} / {AZURE_DF}", f"{ratio:.3f}", "1/4", "yes" if ratio <= .25 else "NO"])
    if lines:
        print_table(f"{rows} rows: Arrow ratios", ["ratio", "value", "goal", "met"], lines)


def arrow_main(args, sizes, port):
    for rows in sizes:
        runs = args.runs if rows < 1_000_000 else args.big_runs
        report_arrow(rows, runs, measure_arrow(port, rows, runs, not args.skip_peers))
    if ONLY:
        return
    th = micro("threads_arrow", port, 100_000, 2)
    print_table("Arrow threads", ["measure", "value", "goal", "met"], [
        ["8 threads / 1 thread query_arrow throughput (100000 rows, answered at once)", f"{th['speedup']:.2f}x",
         ">= 1.7x", "yes" if th["speedup"] >= 1.7 else "NO"]])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", default="100000,1000000")
    ap.add_argument("--runs", type=int, default=5, help="runs per contender below 1M rows")
    ap.add_argument("--big-runs", type=int, default=1, help="runs per contender at 1M rows and more")
    ap.add_argument("--skip-peers", action="store_true", help="libkusto only")
    ap.add_argument("--arrow", action="store_true", help="the Arrow path (see above)")
    ap.add_argument("--only", default="", help="comma-separated words: only the contenders named so (see above)")
    args = ap.parse_args()
    ONLY[:] = [word.strip().lower() for word in args.only.split(",") if word.strip()]
    sizes = [int(s) for s in args.rows.split(",")]
    for rows in sizes + [WAITING_ROWS] + ([100_000] if args.arrow else []):
        ensure_bodies(rows)
    server, port = start_server()
    try:
        if args.arrow:
            return arrow_main(args, sizes, port)
        for rows in sizes:
            runs = args.runs if rows < 1_000_000 else args.big_runs
            report_size(rows, runs, measure_size(port, rows, runs, not args.skip_peers))
            report_streaming(rows, runs, measure_streaming(server, port, rows, runs))
        if ONLY:
            return
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
