"""kusto.aio against the emulator: the same values, warnings and exceptions as the blocking client; queries driven
by the event loop (many at once on one thread, none behind); a cancelled task closes its connection."""
import asyncio
import base64
import math
import os
import socket
import threading
import time

import pytest

import kusto
import kusto.aio

pytestmark = pytest.mark.usefixtures("clean_emulator")

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures")
HEADER = {"FrameType": "DataSetHeader", "IsProgressive": False, "Version": "v2.0"}
COMPLETION = {"FrameType": "DataSetCompletion", "HasErrors": False, "Cancelled": False}
SCALARS = ('print l=long(-9007199254740993), i=int(7), r=real(1.5), n=real(nan), inf=real(+inf), b=true, '
           's="héllo", t=datetime(2024-02-29 12:34:56.1234567), d=time(1.02:03:04.5), '
           'g=guid(0f8fad5b-d9cb-469f-a165-70867728950e), m=decimal(1.10), j=dynamic({"a": [1, 2.5, null]}), z=long(null)')


def options(config, **more):
    return dict(ca_file=config["ca_file"], authority=config["authority"], **more)


def clients(emulator, **more):
    """A blocking client and an asyncio one of the emulator's application, same options."""
    config = emulator.config
    return (kusto.Client(config["connection_string"], **options(config, **more)),
            kusto.aio.Client(config["connection_string"], **options(config, **more)))


def run(coroutine):
    return asyncio.run(coroutine)


def comparable(value):
    """Results with NaN and exceptions inside, made comparable with ==; of the completion information (the request's
    times and activity ids) the description alone."""
    if isinstance(value, dict) and value.get("kind") == "QueryCompletionInformation":  # times and ids of the request
        return {k: v for k, v in value.items() if k not in ("rows", "data")}
    if isinstance(value, dict):
        return {k: comparable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [comparable(v) for v in value]
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    if isinstance(value, BaseException):
        return failure(value)
    return value


def failure(e):
    """What a caller sees of an exception: its type, message, attributes and any result it carries."""
    attributes = ("status", "code", "aadsts", "permanent", "http_status")
    return (type(e), str(e), {a: getattr(e, a, None) for a in attributes}, comparable(getattr(e, "result", None)))


def outcome(call):
    try:
        return comparable(call())
    except kusto.Error as e:
        return failure(e)


async def async_outcome(call):
    try:
        return comparable(await call())
    except kusto.Error as e:
        return failure(e)


def same_outcome(emulator, call, serve_twice=None):
    """call(client) -> result through both clients (serve_twice() arms the emulator before each): the outcome,
    asserted to be the same."""
    blocking, aio = clients(emulator)
    with blocking:
        if serve_twice:
            serve_twice()
        expected = outcome(lambda: call(blocking))
    if serve_twice:
        serve_twice()
    got = run(closing(aio, async_outcome(lambda: call(aio))))
    assert got == expected
    return got


async def closing(aio, coroutine):
    async with aio:
        return await coroutine


def serve(emulator, body, path="/v2/rest/query"):
    emulator.fault(path=path, status=200, body_base64=base64.b64encode(body).decode(), count=1)


# ---- the same values as Client.query --------------------------------------------------------------------------

@pytest.mark.parametrize("csl", [SCALARS, "range x from 1 to 5000 step 1 | extend y = x * 2",
                                 "NoSuchTable | take 1", "print x=1 | where x > 1"])
def test_values_and_errors_equal_the_blocking_query(emulator, csl):
    got = same_outcome(emulator, lambda c: c.query(None, csl))
    assert got  # a result or an error, the same as the blocking client's


def test_raw_ticks_columnar_and_properties_equal_the_blocking_query(emulator):
    same_outcome(emulator, lambda c: c.query(None, "range x from 1 to 100 step 1 | extend t = datetime(2020-01-01)",
                                             {"servertimeout": "00:01:00"}, raw_ticks=True, columnar=True))
    same_outcome(emulator, lambda c: c.query(None, "print n = p", parameters={"p": 42}))


def test_mgmt_equals_the_blocking_mgmt(emulator):
    result = same_outcome(emulator, lambda c: c.mgmt(None, ".show version"))
    assert result["primary_results"][0]["rows"]


@pytest.mark.parametrize("name", sorted(os.listdir(FIXTURES)))
def test_fixture_bodies_give_what_client_query_gives(emulator, name):
    with open(os.path.join(FIXTURES, name), "rb") as f:
        body = f.read()
    v1 = body.lstrip().startswith(b"{")
    path, call = ("/v1/rest/mgmt", lambda c: c.mgmt(None, ".show x")) if v1 else ("/v2/rest/query",
                                                                                  lambda c: c.query(None, "T"))
    same_outcome(emulator, call, serve_twice=lambda: serve(emulator, body, path))


def test_warnings_equal_the_blocking_query(emulator):
    import json
    frames = [HEADER, {"FrameType": "DataTable", "TableId": 1, "TableKind": "PrimaryResult", "TableName": "PrimaryResult",
                       "Columns": [{"ColumnName": "s", "ColumnType": "string"}, {"ColumnName": "n", "ColumnType": "long"}],
                       "Rows": [[{"Count": 3}, 1.5], [42, "12"]]}, COMPLETION]
    body = json.dumps(frames).encode()
    result = same_outcome(emulator, lambda c: c.query(None, "T"), serve_twice=lambda: serve(emulator, body))
    assert len(result["warnings"]) == 4


def test_query_iter_gives_the_rows_and_warnings(emulator):
    blocking, aio = clients(emulator)

    async def rows():
        iterator = aio.query_iter(None, "range x from 1 to 3500 step 1")
        return [row async for row in iterator], iterator.warnings

    got, warnings = run(closing(aio, rows()))
    with blocking:
        assert got == [row for table in blocking.query(None, "range x from 1 to 3500 step 1")["primary_results"]
                       for row in table["rows"]]
    assert warnings == []


def test_acquire_token_and_the_client_underneath(emulator):
    blocking, aio = clients(emulator)
    token = run(closing(aio, aio.acquire_token()))
    with blocking:
        assert token["access_token"] and token["resource"] == blocking.acquire_token()["resource"]
    assert isinstance(aio.client, kusto.Client) and "kusto.aio.Client" in repr(aio)
    assert aio.closed


# ---- one loop, many queries, no thread ------------------------------------------------------------------------

def test_hundred_concurrent_queries_on_one_loop_without_threads(emulator):
    config = emulator.config
    threads = threading.active_count()

    async def main():
        async with kusto.aio.Client(config["connection_string"], **options(config)) as client:
            await client.query(None, "print 1")  # signed in once
            emulator.fault(path="/v2/rest/query", delay=0.2, count=None)
            most = threads

            async def watch():
                nonlocal most
                while True:
                    most = max(most, threading.active_count())
                    await asyncio.sleep(0.01)

            watcher = asyncio.create_task(watch())
            start = time.monotonic()
            results = await asyncio.gather(*(client.query(None, "print n = %d" % i) for i in range(100)))
            concurrent = time.monotonic() - start
            start = time.monotonic()
            for i in range(100):
                await client.query(None, "print n = %d" % i)
            sequential = time.monotonic() - start
            watcher.cancel()
            return results, concurrent, sequential, most

    results, concurrent, sequential, most = run(main())
    print("\n100 queries held 0.2 s each: concurrent on one loop %.2f s, sequential %.2f s" % (concurrent, sequential))
    assert [r["primary_results"][0]["rows"] for r in results] == [[[i]] for i in range(100)]
    assert concurrent < 100 * 0.2 / 4  # generous: they overlapped
    assert most == threads and threading.active_count() == threads


def test_concurrent_queries_of_a_fresh_client_sign_in_once_between_them(emulator):
    config = emulator.config

    async def main():
        async with kusto.aio.Client(config["connection_string"], **options(config)) as client:
            return await asyncio.gather(*(client.query(None, "print n = %d" % i) for i in range(20)))

    results = run(main())
    assert [r["primary_results"][0]["rows"] for r in results] == [[[i]] for i in range(20)]
    # The first to need a token asks; the others wait for it (KUSTO_OP_WAIT) and find it in the cache.
    assert len([r for r in emulator.requests() if r["path"].endswith("/token")]) == 1


def test_cancelling_half_closes_their_connections_and_the_rest_complete(emulator):
    config = emulator.config
    threads = threading.active_count()

    async def main():
        async with kusto.aio.Client(config["connection_string"], **options(config)) as client:
            await client.query(None, "print 1")
            emulator.reset()
            emulator.fault(path="/v2/rest/query", delay=3.0, count=100)
            tasks = [asyncio.create_task(client.query(None, "print n = %d" % i, client_request_id="aio-%d" % i))
                     for i in range(100)]
            await arrived(emulator)
            for task in tasks[::2]:
                task.cancel()
            outcomes = await asyncio.gather(*tasks, return_exceptions=True)
            return outcomes

    outcomes = run(main())
    assert all(isinstance(o, asyncio.CancelledError) for o in outcomes[::2])
    assert [o["primary_results"][0]["rows"] for o in outcomes[1::2]] == [[[i]] for i in range(1, 100, 2)]
    assert threading.active_count() == threads
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # the emulator logs a request once answered: none is left running
        records = emulator.requests("/v2/rest/query")
        closed = {request_id(r) for r in records if r.get("closed")}
        if len(records) == 100 and len(closed) == 50:
            break
        time.sleep(0.1)
    assert len(records) == 100
    assert closed == {"aio-%d" % i for i in range(0, 100, 2)}


async def arrived(emulator):
    """Until the emulator holds every request (each took one of the fault's count), none answered yet."""
    while emulator._call("GET", "/faults")["faults"]:
        await asyncio.sleep(0.05)


def request_id(record):
    return {k.lower(): v for k, v in record["headers"].items()}.get("x-ms-client-request-id")


def test_leaving_query_iter_closes_the_connection(emulator):
    config = emulator.config

    async def main():
        async with kusto.aio.Client(config["connection_string"], **options(config)) as client:
            iterator = client.query_iter(None, "range x from 1 to 300000 step 1")
            first = [row async for row, _ in zip_count(iterator, 10)]
            await iterator.aclose()
            return first

    assert run(main()) == [[x] for x in range(1, 11)]
    deadline = time.monotonic() + 10
    while not emulator.requests("/v2/rest/query")[-1].get("closed") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert emulator.requests("/v2/rest/query")[-1].get("closed") is True


async def zip_count(iterator, count):
    n = 0
    async for row in iterator:
        yield row, n
        n += 1
        if n == count:
            return


def test_a_long_answer_leaves_the_loop_free_between_reads(emulator):
    config = emulator.config

    async def main():
        async with kusto.aio.Client(config["connection_string"], **options(config)) as client:
            ticks = 0

            async def tick():
                nonlocal ticks
                while True:
                    ticks += 1
                    await asyncio.sleep(0)

            ticker = asyncio.create_task(tick())
            result = await client.query(None, "range x from 1 to 200000 step 1")
            ticker.cancel()
            return result, ticks

    result, ticks = run(main())
    assert len(result["primary_results"][0]["rows"]) == 200000
    assert ticks > 20  # the 5 MB answer came in many reads, the other task ran between them


# ---- sign-in, retries, errors ---------------------------------------------------------------------------------

@pytest.mark.parametrize("sign_in", ["device_code", "interactive"])
def test_a_sign_in_that_needs_a_person_is_refused_clearly(emulator, sign_in):
    config = emulator.config
    cs = "Data Source=%s;Initial Catalog=%s;AAD Federated Security=True" % (config["cluster"], config["database"])

    async def main():
        async with kusto.aio.Client(cs, sign_in=sign_in, client_id=config["public_client_id"],
                                    **options(config)) as client:
            await client.query(None, "print 1")

    with pytest.raises(kusto.UnsupportedError) as info:
        run(main())
    assert sign_in.replace("_", " ") in str(info.value).replace("_", " ")
    assert emulator.requests("/v2/rest/query") == []


def test_retries_after_a_503(emulator):
    config = emulator.config

    async def main():
        async with kusto.aio.Client(config["connection_string"], **options(config)) as client:
            await client.acquire_token()
            emulator.fault(path="/v2/rest/query", status=503, headers={"Retry-After": "0"}, count=1)
            return await client.query(None, "print x = 5")

    assert run(main())["primary_results"][0]["rows"] == [[5]]
    assert [r["status"] for r in emulator.requests("/v2/rest/query")] == [503, 200]


@pytest.mark.parametrize("fault", [dict(status=503, body="overloaded", count=10),
                                   dict(status=429, headers={"Retry-After": "0"}, count=10),
                                   dict(status=401, body="no", count=10)])
def test_faults_raise_what_the_blocking_client_raises(emulator, fault):
    same_outcome(emulator, lambda c: c.query(None, "range x from 1 to 1000 step 1"),
                 serve_twice=lambda: emulator.fault(path="/v2/rest/query", **fault))


def test_a_cut_off_answer_is_the_network_error_the_blocking_client_raises(emulator):
    blocking, aio = clients(emulator)
    with blocking:
        blocking.query(None, "print 1")
        emulator.fault(path="/v2/rest/query", truncate_after=200, count=1)
        with pytest.raises(kusto.NetworkError):
            blocking.query(None, "range x from 1 to 1000 step 1")

    async def main():
        async with aio:
            await aio.query(None, "print 1")
            emulator.fault(path="/v2/rest/query", truncate_after=200, count=1)
            await aio.query(None, "range x from 1 to 1000 step 1")

    with pytest.raises(kusto.NetworkError, match="the connection closed before the answer was whole"):
        run(main())


def test_partial_results_raise_the_same_error_with_the_rows(emulator):
    got = same_outcome(emulator, lambda c: c.query(None, "range x from 1 to 100 step 1", {"truncationmaxrecords": 10}))
    assert got[0] is kusto.PartialResultError


def test_wrong_secret_and_untrusted_host_raise_the_same(emulator):
    config = emulator.config
    secret = "wrong-secret-Zq9"
    blocking_error = outcome(lambda: kusto.Client(config["connection_string"], client_secret=secret,
                                                  **options(config)).query(None, "print 1"))

    async def wrong_secret():
        async with kusto.aio.Client(config["connection_string"], client_secret=secret, **options(config)) as client:
            return await client.query(None, "print 1")

    assert run(async_outcome(wrong_secret)) == blocking_error
    assert blocking_error[0] is kusto.AuthenticationError and secret not in blocking_error[1]
    cs = "Data Source=https://evil.example.com;AAD Federated Security=True;Application Client Id=%s;" \
         "Application Key=%s" % (config["client_id"], config["client_secret"])
    emulator.reset()

    async def untrusted():
        async with kusto.aio.Client(cs, **options(config)) as client:
            return await client.query("db", "print 1")

    got = run(async_outcome(untrusted))
    assert got == outcome(lambda: kusto.Client(cs, **options(config)).query("db", "print 1"))
    assert got[0] is kusto.UntrustedEndpointError and emulator.requests() == []


def test_deadline_is_a_timeout_error(emulator):
    config = emulator.config

    async def main():
        async with kusto.aio.Client(config["connection_string"], timeout=1, **options(config)) as client:
            await client.query(None, "print 1")
            emulator.fault(path="/v2/rest/query", delay=3, count=1)
            start = time.monotonic()
            with pytest.raises(kusto.TimeoutError) as info:
                await client.query(None, "print 1")
            return info.value, time.monotonic() - start

    error, elapsed = run(main())
    assert error.status == "KUSTO_E_TIMEOUT" and elapsed < 2.5


def test_server_down_is_a_network_error(emulator):
    config = emulator.config
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cs = "Data Source=https://127.0.0.1:%d;AAD Federated Security=True;Application Client Id=%s;" \
         "Application Key=%s" % (port, config["client_id"], config["client_secret"])

    async def main():
        async with kusto.aio.Client(cs, ca_file=config["ca_file"],
                                    authority="https://127.0.0.1:%d/%s" % (port, config["tenant"])) as client:
            await client.query("db", "print 1")

    with pytest.raises(kusto.NetworkError) as info:
        run(main())
    assert info.value.status == "KUSTO_E_NETWORK"


def test_a_closed_client_is_a_value_error(emulator):
    _, aio = clients(emulator)
    run(aio.close())
    with pytest.raises(ValueError, match="closed"):
        run(aio.query(None, "print 1"))


def test_a_proxy_is_refused_not_ignored(emulator):
    with pytest.raises(kusto.ArgumentError, match="kusto.aio connects directly and does not support the proxy option"):
        kusto.aio.Client(emulator.config["connection_string"], proxy="http://127.0.0.1:9")
