"""Network faults, retries, cancellation, hostile answers, proxies and TLS: what libkusto does when the
network or the server misbehaves, checked against what the emulator received."""
import os
import select
import signal
import socket
import threading
import time

import pytest

import kusto

QUERY = "/v2/rest/query"
MGMT = "/v1/rest/mgmt"


pytestmark = pytest.mark.usefixtures("clean_emulator")


def options(config, **extra):
    return dict(ca_file=config["ca_file"], authority=config["authority"], **extra)


@pytest.fixture
def client(emulator):
    with kusto.Client(emulator.config["connection_string"], **options(emulator.config)) as c:
        c.acquire_token()
        yield c


def answered(emulator, path):
    return [r.get("status") for r in emulator.requests(path)]


def single_value(result):
    return result["primary_results"][0]["rows"][0][0]


# ---- retries -------------------------------------------------------------------------------------


def test_503_with_retry_after_is_retried_after_the_wait(client, emulator):
    emulator.fault(path=QUERY, status=503, headers={"Retry-After": "1"}, body="busy", count=1)
    started = time.monotonic()
    assert single_value(client.query(None, "print x=7")) == 7
    assert time.monotonic() - started >= 0.9
    assert answered(emulator, QUERY) == [503, 200]


def test_429_is_retried_until_it_passes(client, emulator):
    emulator.fault(path=QUERY, status=429, headers={"Retry-After": "0"}, count=2)
    assert single_value(client.query(None, "print x=1")) == 1
    assert answered(emulator, QUERY) == [429, 429, 200]


def test_transient_500_is_retried_but_a_permanent_one_is_not(client, emulator):
    def error(permanent):
        return {"error": {"code": "Internal", "message": "boom", "@type": "X", "@permanent": permanent}}
    emulator.fault(path=QUERY, status=500, body=error(False), headers={"Retry-After": "0"}, count=1)
    assert single_value(client.query(None, "print x=2")) == 2
    assert answered(emulator, QUERY) == [500, 200]
    emulator.reset()
    emulator.fault(path=QUERY, status=500, body=error(True), headers={"Retry-After": "0"}, count=1)
    with pytest.raises(kusto.ServiceError) as info:
        client.query(None, "print x=2")
    assert info.value.http_status == 500 and info.value.permanent is True
    assert answered(emulator, QUERY) == [500]


def test_retries_give_up_after_max_retries(emulator):
    config = emulator.config
    with kusto.Client(config["connection_string"], max_retries=2, **options(config)) as c:
        c.acquire_token()
        emulator.fault(path=QUERY, status=503, headers={"Retry-After": "0"}, count=None)
        with pytest.raises(kusto.ServiceError) as info:
            c.query(None, "print 1")
        emulator.clear_faults()
    assert info.value.http_status == 503
    assert answered(emulator, QUERY) == [503, 503, 503]


def test_max_retries_zero_disables_retries(emulator):
    config = emulator.config
    with kusto.Client(config["connection_string"], max_retries=0, **options(config)) as c:
        c.acquire_token()
        emulator.fault(path=QUERY, status=503, headers={"Retry-After": "0"}, count=1)
        with pytest.raises(kusto.ServiceError):
            c.query(None, "print 1")
    assert answered(emulator, QUERY) == [503]


def test_bad_max_retries_is_named():
    with pytest.raises(kusto.ArgumentError, match="max_retries"):
        kusto.Client("Data Source=https://a.kusto.windows.net", max_retries="-1")


def test_show_commands_are_retried_other_control_commands_are_not(client, emulator):
    emulator.fault(path=MGMT, status=503, headers={"Retry-After": "0"}, count=1)
    assert client.mgmt(None, ".show version")["primary_results"][0]["rows"]
    assert answered(emulator, MGMT) == [503, 200]
    emulator.reset()
    emulator.fault(path=MGMT, status=503, headers={"Retry-After": "0"}, count=1)
    with pytest.raises(kusto.ServiceError) as info:
        client.mgmt(None, ".drop table T ifexists")
    assert info.value.http_status == 503
    assert answered(emulator, MGMT) == [503]


def test_token_request_is_retried(emulator):
    config = emulator.config
    emulator.fault(path="/" + config["tenant"] + "/oauth2/v2.0/token", status=503, headers={"Retry-After": "0"},
                   count=1)
    token = kusto.acquire_token(config["connection_string"], **options(config))
    assert token["access_token"]
    assert answered(emulator, "/" + config["tenant"] + "/oauth2/v2.0/token") == [503, 200]


def test_connection_cut_before_any_body_byte_is_retried(client, emulator):
    emulator.fault(path=QUERY, truncate_after=0, count=1)
    assert single_value(client.query(None, "print x=3")) == 3
    assert len(emulator.requests(QUERY)) == 2


def test_cut_mid_body_is_not_retried_once_rows_were_delivered(client, emulator):
    emulator.fault(path=QUERY, truncate_after=300, count=1)
    with pytest.raises((kusto.ProtocolError, kusto.NetworkError)):
        client.query(None, "range x from 1 to 2000 step 1")
    assert len(emulator.requests(QUERY)) == 1


def test_truncated_json_in_a_complete_answer_is_a_protocol_error(client, emulator):
    emulator.fault(path=QUERY, status=200, body='[{"FrameType":"DataSetHeader","IsProgressive":false,', count=1)
    with pytest.raises(kusto.ProtocolError):
        client.query(None, "print 1")
    assert len(emulator.requests(QUERY)) == 1


def test_deadline_bounds_retries_and_waits(emulator):
    config = emulator.config
    with kusto.Client(config["connection_string"], timeout=2, **options(config)) as c:
        c.acquire_token()
        emulator.fault(path=QUERY, status=503, headers={"Retry-After": "30"}, count=5)
        started = time.monotonic()
        with pytest.raises(kusto.ServiceError) as info:
            c.query(None, "print 1")
        emulator.clear_faults()
    assert time.monotonic() - started < 1.5  # a wait past the deadline is not started
    assert info.value.http_status == 503


def test_stalling_server_is_a_timeout(emulator):
    config = emulator.config
    with kusto.Client(config["connection_string"], timeout=1, **options(config)) as c:
        c.acquire_token()
        emulator.fault(path=QUERY, delay=4, count=1)
        started = time.monotonic()
        with pytest.raises(kusto.TimeoutError):
            c.query(None, "print 1")
    assert time.monotonic() - started < 2.5


def test_unresolvable_host_is_a_network_error(emulator):
    cs = "Data Source=https://kusto.does-not-exist.invalid;AAD Federated Security=True;User Token=t"
    with pytest.raises(kusto.NetworkError, match="does-not-exist.invalid"):
        kusto.query(cs, None, "print 1", max_retries=0, trusted_hosts=".invalid")


# ---- cancellation --------------------------------------------------------------------------------


def test_ctrl_c_stops_a_long_query_promptly(client, emulator):
    client.acquire_token()  # signed in first: what is interrupted is the query
    emulator.fault(path=QUERY, delay=20, count=1)
    held_at, returned = [], threading.Event()

    def interrupt_once_the_query_is_held():
        # Not on a timer: on a loaded machine the query may not have been sent yet after a fixed time.
        deadline = time.monotonic() + 10
        while emulator._call("GET", "/faults")["faults"] and time.monotonic() < deadline:
            time.sleep(0.02)
        held_at.append(time.monotonic())
        if not returned.is_set():
            os.kill(os.getpid(), signal.SIGINT)

    interrupter = threading.Thread(target=interrupt_once_the_query_is_held)
    # A process started in the background by a non-interactive shell (as CI may be) inherits SIGINT ignored, and
    # Python then installs no handler: put the one an interactive user has in place.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    started = time.monotonic()
    interrupter.start()
    outcome = "returned"
    try:
        try:
            client.query(None, "print 1")
            returned.set()
        except KeyboardInterrupt:
            outcome = "interrupted"
        interrupter.join()
    except KeyboardInterrupt:  # a Ctrl-C that came once the query had returned must not end the test run
        outcome = "returned, then was interrupted"
    finally:
        signal.signal(signal.SIGINT, previous)
    ended = time.monotonic()
    assert outcome == "interrupted", f"the query {outcome} after {ended - started:.1f} s; " \
        f"faults left: {emulator._call('GET', '/faults')['faults']}; queries: {emulator.requests(QUERY)}"
    assert ended - held_at[0] < 3, f"{ended - held_at[0]:.1f} s from Ctrl-C to the query's end"
    assert single_value(client.query(None, "print x=5")) == 5  # the client is still usable


# ---- hostile answers -----------------------------------------------------------------------------


class Listener:
    """A TCP port that counts connections and answers none."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]

    def connections(self):
        count = 0
        try:
            while True:
                conn, _ = self.sock.accept()
                conn.close()
                count += 1
        except OSError:
            return count


def test_redirect_to_another_host_is_not_followed(client, emulator):
    other = Listener()
    target = "https://127.0.0.1:%d/v2/rest/query" % other.port
    emulator.fault(path=QUERY, status=302, headers={"Location": target}, count=1)
    with pytest.raises(kusto.ServiceError, match="redirect") as info:
        client.query(None, "print 1")
    assert target in str(info.value)
    assert other.connections() == 0
    assert len(emulator.requests(QUERY)) == 1


@pytest.mark.parametrize("cluster", [
    "https://kusto.windows.net.evil.example",
    "https://evilkusto.windows.net",
    "https://a.kusto.windows.net@evil.example",
    "https://127.0.0.1.evil.example",
    "http://a.kusto.windows.net",
])
def test_tricky_hosts_get_no_token(emulator, cluster):
    config = emulator.config
    cs = "Data Source=%s;AAD Federated Security=True;Application Client Id=%s;Application Key=%s" % (
        cluster, config["client_id"], config["client_secret"])
    with pytest.raises((kusto.UntrustedEndpointError, kusto.ConnectionStringError)):
        kusto.query(cs, None, "print 1", **options(config))
    assert emulator.requests("/" + config["tenant"]) == []


def test_max_response_bytes_bounds_a_result(client, emulator):
    config = emulator.config
    with kusto.Client(config["connection_string"], max_response_bytes="20000", **options(config)) as c:
        assert single_value(c.query(None, "print x=1")) == 1
        with pytest.raises(kusto.ProtocolError, match="max_response_bytes"):
            c.query(None, "range x from 1 to 100000 step 1")


def test_wrong_ca_fails_with_a_tls_message(emulator):
    config = emulator.config
    system_bundle = "/etc/ssl/certs/ca-certificates.crt"
    with pytest.raises(kusto.NetworkError, match="TLS verification") as info:
        kusto.acquire_token(config["connection_string"], ca_file=system_bundle, authority=config["authority"])
    assert info.value.status == "KUSTO_E_NETWORK"


# ---- proxy ---------------------------------------------------------------------------------------


class ConnectProxy:
    """An HTTP CONNECT proxy that counts the tunnels it opens."""

    def __init__(self):
        self.tunnels = []
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(16)
        self.url = "http://127.0.0.1:%d" % self.server.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._tunnel, args=(conn,), daemon=True).start()

    def _tunnel(self, conn):
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = conn.recv(4096)
            if not chunk:
                return conn.close()
            head += chunk
        method, target = head.split(b" ")[:2]
        if method != b"CONNECT":
            conn.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            return conn.close()
        host, port = target.decode().rsplit(":", 1)
        self.tunnels.append(target.decode())
        upstream = socket.create_connection((host, int(port)))
        conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        pair = {conn: upstream, upstream: conn}
        while True:
            ready, _, _ = select.select(list(pair), [], [], 30)
            if not ready:
                break
            data = ready[0].recv(65536)
            if not data:
                break
            pair[ready[0]].sendall(data)
        conn.close()
        upstream.close()

    def close(self):
        self.server.close()


@pytest.fixture
def proxy(monkeypatch):
    for name in ("no_proxy", "NO_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    p = ConnectProxy()
    yield p
    p.close()


def test_proxy_carries_token_requests_and_queries(emulator, proxy):
    config = emulator.config
    cluster = config["cluster"].split("://", 1)[1]
    token = kusto.acquire_token(config["connection_string"], proxy=proxy.url, **options(config))
    assert proxy.tunnels == [cluster]
    cs = "Data Source=%s;Initial Catalog=%s;AAD Federated Security=True;User Token=%s" % (
        config["cluster"], config["database"], token["access_token"])
    assert single_value(kusto.query(cs, None, "print x=4", proxy=proxy.url, ca_file=config["ca_file"])) == 4
    assert proxy.tunnels == [cluster, cluster]


# ---- concurrency ---------------------------------------------------------------------------------


def test_eight_threads_share_one_client_and_one_sign_in(emulator):
    config = emulator.config
    results, failures = {}, []

    def work(index, c):
        try:
            for i in range(5):
                n = index * 100 + i
                results[n] = single_value(c.query(None, "print n=%d" % n))
        except Exception as e:  # reported below
            failures.append(e)

    with kusto.Client(config["connection_string"], **options(config)) as c:
        threads = [threading.Thread(target=work, args=(i, c)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert failures == []
    assert results == {n: n for n in results} and len(results) == 40
    assert len(emulator.requests("/" + config["tenant"] + "/oauth2/v2.0/token")) == 1
