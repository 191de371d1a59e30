"""One contender, run N times in this process: prints {"times": [seconds...], "rows": n} as JSON.

    python bench/contenders.py NAME PORT ROWS N
The runner starts each contender in a process of its own so that its peak RSS is its own.
"""
import json
import sys
import time


def libkusto(port, rows):
    import kusto
    client = kusto.Client(f"Data Source=http://127.0.0.1:{port};Initial Catalog=bench")
    return lambda: sum(len(t["rows"]) for t in client.query("bench", f"rows={rows}")["primary_results"])


def libkusto_columnar(port, rows):
    import kusto
    client = kusto.Client(f"Data Source=http://127.0.0.1:{port};Initial Catalog=bench")

    def run():
        table = client.query("bench", f"rows={rows}", columnar=True)["primary_results"][0]
        return len(table["data"][0])
    return run


def _iter(port, rows, form):
    import kusto
    client = kusto.Client(f"Data Source=http://127.0.0.1:{port};Initial Catalog=bench")
    return lambda: sum(1 for _ in client.query_iter("bench", f"rows={rows} form={form}"))


def libkusto_iter(port, rows):
    """query_iter, fragmented body."""
    return _iter(port, rows, "fragmented")


def libkusto_iter_plain(port, rows):
    """query_iter, the body in one DataTable frame."""
    return _iter(port, rows, "plain")


def libkusto_df(port, rows):
    import kusto
    client = kusto.Client(f"Data Source=http://127.0.0.1:{port};Initial Catalog=bench")
    return lambda: len(client.query_df("bench", f"rows={rows}"))


def libkusto_df_pyarrow(port, rows):
    """query_df with pandas.ArrowDtype columns (dtype_backend="pyarrow")."""
    import kusto
    client = kusto.Client(f"Data Source=http://127.0.0.1:{port};Initial Catalog=bench")
    return lambda: len(client.query_df("bench", f"rows={rows}", dtype_backend="pyarrow"))


def _arrow_table(port, rows, form):
    import pyarrow

    import kusto
    client = kusto.Client(f"Data Source=http://127.0.0.1:{port};Initial Catalog=bench")
    # RecordBatchReader, not pyarrow.table(x): that one first imports pandas to ask whether x is a DataFrame
    return lambda: pyarrow.RecordBatchReader.from_stream(
        client.query_arrow("bench", f"rows={rows} form={form}")).read_all().num_rows


def libkusto_arrow(port, rows):
    """query_arrow to a pyarrow.Table, fragmented body."""
    return _arrow_table(port, rows, "fragmented")


def libkusto_arrow_plain(port, rows):
    """query_arrow to a pyarrow.Table, the body in one DataTable frame."""
    return _arrow_table(port, rows, "plain")


def libkusto_arrow_stream(port, rows):
    """query_arrow(stream=True), each batch read and dropped: peak RSS is a few batches, not the result."""
    import pyarrow

    import kusto
    client = kusto.Client(f"Data Source=http://127.0.0.1:{port};Initial Catalog=bench")
    return lambda: sum(b.num_rows for b in pyarrow.RecordBatchReader.from_stream(
        client.query_arrow("bench", f"rows={rows} form=fragmented", stream=True)))


def libkusto_arrow_polars(port, rows):
    import polars

    import kusto
    client = kusto.Client(f"Data Source=http://127.0.0.1:{port};Initial Catalog=bench")
    return lambda: polars.DataFrame(client.query_arrow("bench", f"rows={rows}")).height


def _azure_client(port):
    from azure.kusto.data import KustoClient, KustoConnectionStringBuilder
    return KustoClient(KustoConnectionStringBuilder.with_no_authentication(f"http://127.0.0.1:{port}"))


def azure(port, rows):
    client = _azure_client(port)

    def run():
        table = client.execute("bench", f"rows={rows}").primary_results[0]
        return len([row.to_list() for row in table])  # typed values (datetime, timedelta, Decimal...) in lists
    return run


def azure_df(port, rows):
    from azure.kusto.data.helpers import dataframe_from_result_table
    client = _azure_client(port)
    return lambda: len(dataframe_from_result_table(client.execute("bench", f"rows={rows}").primary_results[0]))


def requests_json(port, rows):
    import requests
    session = requests.Session()
    body = {"db": "bench", "csl": f"rows={rows}"}

    def run():
        frames = json.loads(session.post(f"http://127.0.0.1:{port}/v2/rest/query", json=body).content)
        return sum(len(f["Rows"]) for f in frames if f.get("TableKind") == "PrimaryResult")
    return run


CONTENDERS = {f.__name__: f for f in (libkusto, libkusto_columnar, libkusto_iter, libkusto_iter_plain, libkusto_df,
                                      libkusto_df_pyarrow,
                                      libkusto_arrow, libkusto_arrow_plain, libkusto_arrow_polars,
                                      libkusto_arrow_stream, azure, azure_df, requests_json)}


def main():
    name, port, rows, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    run = CONTENDERS[name](port, rows)
    times, count = [], 0
    for _ in range(n):
        start = time.perf_counter()
        count = run()
        times.append(time.perf_counter() - start)
    print(json.dumps({"times": times, "rows": count}))


if __name__ == "__main__":
    main()
