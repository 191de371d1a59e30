"""Small measurements, each printed as one JSON line:
    python bench/micro.py token      cached acquire_token, microseconds per call (against the local emulator)
    python bench/micro.py threads PORT ROWS QUERIES [WAIT_MS]   rows/s with 1 thread and with 8 threads; with
        WAIT_MS the server waits that long before it answers each query, as a cluster running it would
    python bench/micro.py threads_arrow PORT ROWS QUERIES       the same with query_arrow to pyarrow.Table
"""
import json
import os
import subprocess
import sys
import tempfile
import threading
import time


def token():
    import kusto
    with tempfile.TemporaryDirectory() as tmp:
        emulator = subprocess.Popen([sys.executable, "-m", "kusto.emulator", "--print-config"], cwd=tmp,
                                    stdout=subprocess.PIPE, text=True)
        try:
            config = json.loads(emulator.stdout.readline())
            client = kusto.Client(config["connection_string"], ca_file=config["ca_file"])
            client.acquire_token()
            n = 200_000
            best = float("inf")
            for _ in range(5):
                start = time.perf_counter()
                for _ in range(n):
                    client.acquire_token()
                best = min(best, (time.perf_counter() - start) / n)
            print(json.dumps({"token_us": best * 1e6}))
        finally:
            emulator.terminate()
            emulator.wait()


def threads(port, rows, queries, wait_ms=0, arrow=False):
    import kusto
    client = kusto.Client(f"Data Source=http://127.0.0.1:{port};Initial Catalog=bench")
    query = f"rows={rows} wait={wait_ms}"
    client.query("bench", query)  # warm the connection pool
    if arrow:
        import pyarrow

    def count_rows():
        if arrow:
            return pyarrow.RecordBatchReader.from_stream(client.query_arrow("bench", query)).read_all().num_rows
        return len(client.query("bench", query)["primary_results"][0]["rows"])

    def work(count):
        for _ in range(count):
            assert count_rows() == rows

    def timed(thread_count):
        workers = [threading.Thread(target=work, args=(queries,)) for _ in range(thread_count)]
        start = time.perf_counter()
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        return thread_count * queries * rows / (time.perf_counter() - start)

    one = timed(1)
    eight = timed(8)
    print(json.dumps({"rows_per_s_1": one, "rows_per_s_8": eight, "speedup": eight / one}))


if __name__ == "__main__":
    if sys.argv[1] == "token":
        token()
    elif sys.argv[1] == "threads_arrow":
        threads(*map(int, sys.argv[2:]), arrow=True)
    else:
        threads(*map(int, sys.argv[2:]))
