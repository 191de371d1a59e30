"""sign_in="default": DefaultAzureCredential's order (environment, workload identity, managed identity, the shared
token cache, Azure CLI, interactive where a person can answer), each step against the emulator, and the error that
lists what every step said."""
import os
import socket
import stat
import subprocess

import pytest

import kusto
from test_cli import BINARY, REPO
from test_env_signin import secret_env, workload_env

ENV_NAMES = ("IDENTITY_ENDPOINT", "IDENTITY_HEADER", "IMDS_ENDPOINT", "AZURE_CLIENT_ID", "AZURE_TENANT_ID",
             "AZURE_CLIENT_SECRET", "AZURE_FEDERATED_TOKEN_FILE", "AZURE_AUTHORITY_HOST",
             "AZURE_CLIENT_CERTIFICATE_PATH", "DISPLAY", "WAYLAND_DISPLAY", "BROWSER")

FAKE_AZ = """#!/bin/sh
echo '{"accessToken": "fake-cli-token", "expires_on": 1893456000, "tokenType": "Bearer"}'
"""


def closed_port_url():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return "http://127.0.0.1:%d" % s.getsockname()[1]


@pytest.fixture(autouse=True)
def nothing_configured(emulator, monkeypatch, tmp_path):
    """No credential anywhere: no environment, IMDS on a closed port, no az on PATH, nobody to sign in."""
    emulator.reset()
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("IMDS_ENDPOINT", closed_port_url())
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    yield
    emulator.reset()


def client(config, **options):
    cs = "Data Source=%s;Initial Catalog=%s;AAD Federated Security=True" % (config["cluster"], config["database"])
    options.setdefault("sign_in", "default")
    return kusto.Client(cs, ca_file=config["ca_file"], authority=config["authority"], **options)


def token_forms(emulator):
    return [r["form"] for r in emulator.requests() if r["path"].endswith("/token") and r["method"] == "POST"]


def test_the_environment_comes_first(emulator, monkeypatch):
    config = emulator.config
    secret_env(monkeypatch, config)
    monkeypatch.setenv("IMDS_ENDPOINT", config["imds_endpoint"])  # there, but after the environment
    with client(config) as c:
        assert c.query(None, "print x=1")["primary_results"][0]["rows"] == [[1]]
        assert c.acquire_token()["from_cache"] is True
    [form] = token_forms(emulator)
    assert form["grant_type"] == "client_credentials" and form["client_id"] == config["client_id"]
    assert emulator.requests("/metadata/identity") == []


def test_workload_identity_when_its_token_file_is_set(emulator, monkeypatch):
    config = emulator.config
    workload_env(monkeypatch, config)
    with client(config) as c:
        c.acquire_token()
    [form] = token_forms(emulator)
    assert form["client_id"] == config["federated_client_id"]
    assert form["client_assertion_type"] == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def test_managed_identity_when_its_endpoint_answers(emulator, monkeypatch):
    config = emulator.config
    monkeypatch.setenv("IMDS_ENDPOINT", config["imds_endpoint"])
    with client(config) as c:
        token = c.acquire_token()
        c.query(None, "print 1")
    [request] = emulator.requests("/metadata/identity/oauth2/token")
    assert request["query"]["resource"] == config["resource"] and token["resource"] == config["resource"]
    assert token_forms(emulator) == []


def test_the_shared_token_cache_after_a_user_signed_in(emulator, tmp_path):
    config = emulator.config
    cache_path = str(tmp_path / "cache.json")
    with client(config, sign_in="user_password", user_id=config["user"], password=config["password"],
                cache_path=cache_path) as c:
        signed_in = c.acquire_token()
    emulator.reset()
    with client(config, cache_path=cache_path) as c:
        token = c.acquire_token()
    assert token["access_token"] == signed_in["access_token"] and token["from_cache"] is True
    assert token_forms(emulator) == []


def test_the_azure_cli_when_it_is_on_path(emulator, monkeypatch, tmp_path):
    az = tmp_path / "bin" / "az"
    az.parent.mkdir()
    az.write_text(FAKE_AZ)
    az.chmod(az.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", "%s:%s" % (az.parent, os.defpath))
    with client(emulator.config) as c:
        assert c.acquire_token()["access_token"] == "fake-cli-token"


def test_nothing_works_the_error_says_what_each_step_said(emulator):
    with pytest.raises(kusto.AuthenticationError) as raised:
        client(emulator.config).acquire_token()
    lines = str(raised.value).split("\n")
    assert lines[0] == 'sign_in "default" found no credential that works:'
    steps = [line.strip().split(":")[0] for line in lines[1:]]
    assert steps == ["environment", "workload_identity", "managed_identity", "shared_cache", "azure_cli",
                     "interactive"]
    said = dict(line.strip().split(": ", 1) for line in lines[1:])
    assert said["environment"].startswith("not configured (AZURE_CLIENT_ID")
    assert said["workload_identity"].startswith("not configured (AZURE_FEDERATED_TOKEN_FILE")
    assert "127.0.0.1" in said["managed_identity"]
    assert said["shared_cache"] == "no account in the token cache can sign in to this cluster silently"
    assert said["azure_cli"].startswith("cannot run the Azure CLI")
    assert "DISPLAY" in said["interactive"] or "BROWSER" in said["interactive"]
    assert token_forms(emulator) == [] and emulator.requests("/v2/rest/query") == []


def test_interactive_is_the_last_step_when_a_person_can_answer(emulator):
    urls = []

    def browser(url):
        urls.append(url)
        raise KeyboardInterrupt  # the person closes the window
    with pytest.raises(KeyboardInterrupt):
        client(emulator.config, browser_callback=browser).acquire_token()
    assert len(urls) == 1 and "/oauth2/v2.0/authorize?" in urls[0]


def test_default_with_a_credential_in_the_connection_string_uses_it(emulator, monkeypatch):
    config = emulator.config
    monkeypatch.setenv("IMDS_ENDPOINT", config["imds_endpoint"])  # would work, but the connection string says
    with kusto.Client(config["connection_string"], ca_file=config["ca_file"], authority=config["authority"],
                      sign_in="default") as c:
        c.acquire_token()
    [form] = token_forms(emulator)
    assert form["client_id"] == config["client_id"] and form["grant_type"] == "client_credentials"
    assert emulator.requests("/metadata/identity") == []


def test_the_cli_signs_in_by_the_chain_when_the_connection_string_has_no_credential(emulator, monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))   # the CLI's token cache file: a fresh one
    subprocess.run(["make", "-s", "-C", REPO, "build/kusto"], check=True, env=dict(os.environ, PATH=os.defpath))
    config = emulator.config
    monkeypatch.setenv("IMDS_ENDPOINT", config["imds_endpoint"])
    cs = "Data Source=%s;Initial Catalog=%s;AAD Federated Security=True" % (config["cluster"], config["database"])
    done = subprocess.run([BINARY, "-c", cs, "--ca-file", config["ca_file"], "-v", "print 5"], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1].strip() == "5"   # numbers right-aligned
    assert 'kusto: sign_in "default": signed in with managed_identity' in done.stderr.splitlines()


def test_the_step_that_worked_is_kept(emulator, monkeypatch, caplog):
    import logging
    caplog.set_level(logging.DEBUG, logger="kusto")
    config = emulator.config
    monkeypatch.setenv("IMDS_ENDPOINT", config["imds_endpoint"])
    with client(config) as c:
        c.acquire_token()
        tried = len([r for r in caplog.records if 'sign_in "default"' in r.getMessage()])
        c.clear_cache()
        assert c.acquire_token()["from_cache"] is False
    assert len([r for r in caplog.records if 'sign_in "default"' in r.getMessage()]) == tried
    assert len(emulator.requests("/metadata/identity/oauth2/token")) == 2
