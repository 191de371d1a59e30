"""What a process shares: the one-shot calls' client per connection string and options (tokens, metadata,
connections), and the cloud metadata and OpenID configuration of every client (core/src/shared_clients.c,
core/src/process_cache.c)."""
import os
import threading

import pytest

import kusto

pytestmark = pytest.mark.usefixtures("clean_emulator")

METADATA = "/v1/rest/auth/metadata"


def requests_to(emulator, suffix):
    return [r for r in emulator.requests() if r["path"].endswith(suffix)]


def options(config, **extra):
    return dict(ca_file=config["ca_file"], authority=config["authority"], **extra)


def test_one_hundred_one_shot_queries_sign_in_once(emulator):
    config = emulator.config
    for _ in range(100):
        result = kusto.query(config["connection_string"], config["database"], "print x = 1", **options(config))
        assert result["primary_results"][0]["rows"] == [[1]]
    assert len(requests_to(emulator, "/token")) == 1
    assert len(requests_to(emulator, METADATA)) == 1
    assert len(requests_to(emulator, "/v2/rest/query")) == 100
    token = kusto.acquire_token(config["connection_string"], **options(config))
    assert token["from_cache"] is True
    kusto.mgmt(config["connection_string"], config["database"], ".show version", **options(config))
    assert len(requests_to(emulator, "/token")) == 1


def test_other_options_or_a_callback_make_another_client(emulator):
    config = emulator.config
    kusto.acquire_token(config["connection_string"], **options(config))
    kusto.acquire_token(config["connection_string"], **options(config, timeout=30))  # other options
    kusto.acquire_token(config["connection_string"], **options(config))
    assert len(requests_to(emulator, "/token")) == 2
    calls = []
    kusto.acquire_token(config["connection_string"], **options(config, token_callback=lambda r: calls.append(r) or "t"))
    kusto.acquire_token(config["connection_string"], **options(config, token_callback=lambda r: calls.append(r) or "t"))
    assert len(calls) == 2  # each its own client: the callbacks are the caller's


def test_one_shot_calls_from_threads_share_one_sign_in(emulator):
    config = emulator.config
    tokens = []
    threads = [threading.Thread(target=lambda: tokens.append(
        kusto.acquire_token(config["connection_string"], **options(config))["access_token"])) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(tokens)) == 1 and len(requests_to(emulator, "/token")) == 1


def test_a_forked_child_makes_its_own_client(emulator):
    config = emulator.config
    kusto.acquire_token(config["connection_string"], **options(config))
    pid = os.fork()
    if pid == 0:  # the parent's connections are not the child's: it signs in on its own
        try:
            ok = kusto.acquire_token(config["connection_string"], **options(config))["from_cache"] is False
        finally:
            os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 0
    assert kusto.acquire_token(config["connection_string"], **options(config))["from_cache"] is True
    assert len(requests_to(emulator, "/token")) == 2


def test_a_second_client_makes_no_more_metadata_or_discovery_requests(emulator):
    config = emulator.config
    for _ in range(3):
        with kusto.Client(config["connection_string"], **options(config)) as client:
            client.acquire_token()
    assert len(requests_to(emulator, METADATA)) == 1
    assert len(requests_to(emulator, "/.well-known/openid-configuration")) == 1
    assert len(requests_to(emulator, "/token")) == 3  # tokens stay each client's own
    kusto.clear_process_state()
    with kusto.Client(config["connection_string"], **options(config)) as client:
        client.acquire_token()
    assert len(requests_to(emulator, METADATA)) == 2


def test_failures_are_not_kept(emulator):
    config = emulator.config
    emulator.fault(path=METADATA, status=500, body="boom", count=1)
    with pytest.raises(kusto.Error):
        with kusto.Client(config["connection_string"], **options(config, max_retries="0")) as client:
            client.acquire_token()
    with kusto.Client(config["connection_string"], **options(config)) as client:
        client.acquire_token()
    assert len(requests_to(emulator, METADATA)) == 2
