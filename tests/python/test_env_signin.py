"""Sign-in with what the environment provides: managed identity, workload identity, environment variables, Azure CLI."""
import os
import stat
import time

import pytest

import kusto

ENV_NAMES = ("IDENTITY_ENDPOINT", "IDENTITY_HEADER", "IMDS_ENDPOINT", "AZURE_CLIENT_ID", "AZURE_TENANT_ID",
             "AZURE_CLIENT_SECRET", "AZURE_FEDERATED_TOKEN_FILE", "AZURE_AUTHORITY_HOST",
             "AZURE_CLIENT_CERTIFICATE_PATH", "AZURE_CLIENT_CERTIFICATE_PASSWORD", "AZURE_CLIENT_SEND_CERTIFICATE_CHAIN")


@pytest.fixture(autouse=True)
def clean(emulator, monkeypatch):
    emulator.reset()
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)


def connection_string(config):
    return "Data Source=%s;Initial Catalog=%s;AAD Federated Security=True" % (config["cluster"], config["database"])


def imds_url(config):
    return config["imds_endpoint"] + "/metadata/identity/oauth2/token"


def answer(result):
    return result["primary_results"][0]["rows"][0][0]


# --- managed identity ----------------------------------------------------------------------------------------

def test_managed_identity_from_imds_signs_in_and_queries(emulator):
    config = emulator.config
    with kusto.Client(connection_string(config), ca_file=config["ca_file"], sign_in="managed_identity",
                      managed_identity_endpoint=imds_url(config)) as client:
        token = client.acquire_token()
        result = client.query(None, "print answer=42")
    assert token["token_type"] == "Bearer"
    assert time.time() + 3000 < token["expires_on"] < time.time() + 3700   # from the string "expires_on"
    assert token["resource"] == config["resource"]
    assert answer(result) == 42
    [request] = emulator.requests("/metadata/identity/oauth2/token")
    assert request["method"] == "GET"
    assert request["headers"].get("Metadata") == "true"
    assert request["query"] == {"api-version": "2018-02-01", "resource": config["resource"]}
    assert not emulator.requests("/" + config["tenant"])          # Azure AD was not asked


def test_managed_identity_user_assigned_sends_client_id(emulator):
    config = emulator.config
    token = kusto.acquire_token(connection_string(config), ca_file=config["ca_file"], sign_in="managed_identity",
                                managed_identity_endpoint=imds_url(config),
                                managed_identity_client_id=config["managed_identity_client_id"])
    assert token["token_type"] == "Bearer"
    [request] = emulator.requests("/metadata/identity/oauth2/token")
    assert request["query"]["client_id"] == config["managed_identity_client_id"]


def test_managed_identity_unknown_identity_is_a_typed_auth_error(emulator):
    config = emulator.config
    with pytest.raises(kusto.AuthenticationError) as info:
        kusto.acquire_token(connection_string(config), ca_file=config["ca_file"], sign_in="managed_identity",
                            managed_identity_endpoint=imds_url(config),
                            managed_identity_client_id="00000000-0000-0000-0000-000000000000")
    assert "Identity not found" in str(info.value)
    assert info.value.code == "invalid_request"
    assert info.value.http_status == 400


def test_managed_identity_from_app_service_environment(emulator, monkeypatch):
    config = emulator.config
    monkeypatch.setenv("IDENTITY_ENDPOINT", config["identity_endpoint"])
    monkeypatch.setenv("IDENTITY_HEADER", config["identity_header"])
    token = kusto.acquire_token(connection_string(config), ca_file=config["ca_file"], sign_in="managed_identity")
    assert time.time() + 3000 < token["expires_on"] < time.time() + 3700
    [request] = emulator.requests("/msi/token")
    assert request["query"]["api-version"] == "2019-08-01"
    assert request["headers"].get("X-IDENTITY-HEADER") == "<redacted>"   # sent, and kept out of the log


def test_managed_identity_app_service_wrong_header_error_has_message_and_correlation_id(emulator, monkeypatch):
    config = emulator.config
    monkeypatch.setenv("IDENTITY_ENDPOINT", config["identity_endpoint"])
    monkeypatch.setenv("IDENTITY_HEADER", "wrong")
    with pytest.raises(kusto.AuthenticationError) as info:
        kusto.acquire_token(connection_string(config), ca_file=config["ca_file"], sign_in="managed_identity")
    assert "X-IDENTITY-HEADER is missing or wrong" in str(info.value)
    assert info.value.http_status == 401
    assert info.value.request_id


def test_managed_identity_imds_endpoint_environment_variable(emulator, monkeypatch):
    config = emulator.config
    monkeypatch.setenv("IMDS_ENDPOINT", config["imds_endpoint"])
    token = kusto.acquire_token(connection_string(config), ca_file=config["ca_file"], sign_in="managed_identity")
    assert token["token_type"] == "Bearer"
    assert len(emulator.requests("/metadata/identity/oauth2/token")) == 1


def test_managed_identity_refuses_plain_http_to_a_remote_host(emulator):
    config = emulator.config
    with pytest.raises(kusto.UntrustedEndpointError, match="plain http"):
        kusto.acquire_token(connection_string(config), ca_file=config["ca_file"], sign_in="managed_identity",
                            managed_identity_endpoint="http://identity.example.com/token")


# --- workload identity and environment credentials ------------------------------------------------------------

def workload_env(monkeypatch, config, token_file=None):
    monkeypatch.setenv("AZURE_FEDERATED_TOKEN_FILE", token_file or config["federated_token_file"])
    monkeypatch.setenv("AZURE_CLIENT_ID", config["federated_client_id"])
    monkeypatch.setenv("AZURE_TENANT_ID", config["tenant"])
    monkeypatch.setenv("AZURE_AUTHORITY_HOST", config["login_endpoint"])


def test_workload_identity_sends_the_token_file_as_assertion_and_queries(emulator, monkeypatch):
    config = emulator.config
    workload_env(monkeypatch, config)
    with kusto.Client(connection_string(config), ca_file=config["ca_file"], sign_in="workload_identity") as client:
        token = client.acquire_token()
        assert answer(client.query(None, "print answer=42")) == 42
    assert token["authority"].lower() == config["authority"].lower()
    [request] = emulator.requests("/%s/oauth2/v2.0/token" % config["tenant"])
    assert request["form"]["client_id"] == config["federated_client_id"]
    assert request["form"]["client_assertion"] == "<redacted>"
    assert request["form"]["client_assertion_type"] == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    assert request["client_assertion_ok"] is True


def test_workload_identity_rejects_an_assertion_not_from_the_issuer(emulator, monkeypatch, tmp_path):
    config = emulator.config
    forged = tmp_path / "token"
    forged.write_text(open(config["federated_token_file"]).read()[:-8] + "AAAAAAAA")
    workload_env(monkeypatch, config, str(forged))
    with pytest.raises(kusto.AuthenticationError) as info:
        kusto.acquire_token(connection_string(config), ca_file=config["ca_file"], sign_in="workload_identity")
    assert info.value.aadsts == 700213
    assert info.value.code == "invalid_client"


def test_workload_identity_rereads_the_token_file(emulator, monkeypatch, tmp_path):
    config = emulator.config
    token_file = tmp_path / "token"
    token_file.write_text("not-a-jwt")
    workload_env(monkeypatch, config, str(token_file))
    with pytest.raises(kusto.AuthenticationError):
        kusto.acquire_token(connection_string(config), ca_file=config["ca_file"], sign_in="workload_identity")
    token_file.write_text(open(config["federated_token_file"]).read())
    token = kusto.acquire_token(connection_string(config), ca_file=config["ca_file"], sign_in="workload_identity")
    assert token["token_type"] == "Bearer"


def test_workload_identity_without_environment_is_an_argument_error(emulator):
    with pytest.raises(kusto.ArgumentError, match="sign_in 'workload_identity' lacks its credentials"):
        kusto.Client(connection_string(emulator.config), sign_in="workload_identity")


def test_environment_credentials_with_client_secret(emulator, monkeypatch):
    config = emulator.config
    monkeypatch.setenv("AZURE_CLIENT_ID", config["client_id"])
    monkeypatch.setenv("AZURE_TENANT_ID", config["tenant"])
    monkeypatch.setenv("AZURE_CLIENT_SECRET", config["client_secret"])
    monkeypatch.setenv("AZURE_AUTHORITY_HOST", config["login_endpoint"])
    token = kusto.acquire_token(connection_string(config), ca_file=config["ca_file"], sign_in="environment")
    assert token["authority"].lower() == config["authority"].lower()
    [request] = emulator.requests("/%s/oauth2/v2.0/token" % config["tenant"])
    assert request["client_secret_ok"] is True


def secret_env(monkeypatch, config):
    monkeypatch.setenv("AZURE_CLIENT_ID", config["client_id"])
    monkeypatch.setenv("AZURE_TENANT_ID", config["tenant"])
    monkeypatch.setenv("AZURE_CLIENT_SECRET", config["client_secret"])
    monkeypatch.setenv("AZURE_AUTHORITY_HOST", config["login_endpoint"])


def discovery_path(config):
    return "/%s/v2.0/.well-known/openid-configuration" % config["tenant"]


@pytest.mark.parametrize("flow", ["environment", "workload_identity"])
def test_environment_flows_discover_an_authority_host_that_is_not_well_known(emulator, monkeypatch, flow):
    """AZURE_AUTHORITY_HOST off Microsoft's hosts: one discovery, then the token request goes to the token
    endpoint the document names (here marked by a query the emulator's own document lacks)."""
    config = emulator.config
    secret_env(monkeypatch, config) if flow == "environment" else workload_env(monkeypatch, config)
    token_endpoint = config["authority"] + "/oauth2/v2.0/token?from=discovery"
    emulator.fault(path=discovery_path(config), status=200, count=1,
                   body={"token_endpoint": token_endpoint, "issuer": config["authority"] + "/v2.0",
                         "authorization_endpoint": config["authority"] + "/oauth2/v2.0/authorize"})
    kusto.acquire_token(connection_string(config), ca_file=config["ca_file"], sign_in=flow)
    records = emulator.requests("/" + config["tenant"])
    assert [r["path"] for r in records] == [discovery_path(config), "/%s/oauth2/v2.0/token" % config["tenant"]]
    assert records[1]["query"] == {"from": "discovery"} and records[1]["status"] == 200


def test_environment_flow_refuses_a_discovered_endpoint_on_another_host(emulator, monkeypatch):
    config = emulator.config
    secret_env(monkeypatch, config)
    emulator.fault(path=discovery_path(config), status=200, count=1,
                   body={"token_endpoint": "https://evil.example/t/oauth2/v2.0/token",
                         "authorization_endpoint": "https://evil.example/t/oauth2/v2.0/authorize"})
    with pytest.raises(kusto.UntrustedEndpointError, match="its host 'evil.example' is not the authority's host"):
        kusto.acquire_token(connection_string(config), ca_file=config["ca_file"], sign_in="environment")
    assert [r["path"] for r in emulator.requests("/" + config["tenant"])] == [discovery_path(config)]


def test_environment_credentials_wrong_secret_is_typed_without_the_secret(emulator, monkeypatch):
    config = emulator.config
    monkeypatch.setenv("AZURE_CLIENT_ID", config["client_id"])
    monkeypatch.setenv("AZURE_TENANT_ID", config["tenant"])
    monkeypatch.setenv("AZURE_CLIENT_SECRET", "wrong-secret-value")
    monkeypatch.setenv("AZURE_AUTHORITY_HOST", config["login_endpoint"])
    with pytest.raises(kusto.AuthenticationError) as info:
        kusto.acquire_token(connection_string(config), ca_file=config["ca_file"], sign_in="environment")
    assert info.value.aadsts == 7000215
    assert info.value.request_id
    assert "wrong-secret-value" not in str(info.value)


def certificate_env(monkeypatch, config, path, password=None):
    monkeypatch.setenv("AZURE_CLIENT_ID", config["cert_client_id"])
    monkeypatch.setenv("AZURE_TENANT_ID", config["tenant"])
    monkeypatch.setenv("AZURE_AUTHORITY_HOST", config["login_endpoint"])
    monkeypatch.setenv("AZURE_CLIENT_CERTIFICATE_PATH", path)
    if password is not None:
        monkeypatch.setenv("AZURE_CLIENT_CERTIFICATE_PASSWORD", password)


def env_token_request(emulator):
    [request] = emulator.requests("/%s/oauth2/v2.0/token" % emulator.config["tenant"])
    return request


def test_environment_certificate_pem_signs_in_and_queries(emulator, monkeypatch):
    config = emulator.config
    certificate_env(monkeypatch, config, config["cert_pem_file"])
    with kusto.Client(connection_string(config), ca_file=config["ca_file"], sign_in="environment") as client:
        token = client.acquire_token()
        assert answer(client.query(None, "print x=7")) == 7
    assert token["authority"].lower() == config["authority"].lower()
    request = env_token_request(emulator)
    assert request["status"] == 200 and request["form"]["grant_type"] == "client_credentials"
    assert request["form"]["client_id"] == config["cert_client_id"] and "client_secret" not in request["form"]
    header = request["client_assertion"]["header"]
    assert header["alg"] == "RS256" and "x5c" not in header
    assert request["client_assertion"]["claims"]["aud"] == config["authority"] + "/oauth2/v2.0/token"


def test_environment_certificate_pfx_with_password_and_chain(emulator, monkeypatch):
    config = emulator.config
    certificate_env(monkeypatch, config, config["cert_pfx_file"], config["cert_pfx_password"])
    monkeypatch.setenv("AZURE_CLIENT_SEND_CERTIFICATE_CHAIN", "True")
    kusto.acquire_token(connection_string(config), ca_file=config["ca_file"], sign_in="environment")
    header = env_token_request(emulator)["client_assertion"]["header"]
    assert header["alg"] == "PS256" and len(header["x5t#S256"]) == 43 and len(header["x5c"]) >= 1


def test_environment_send_certificate_chain_false_sends_no_x5c(emulator, monkeypatch):
    config = emulator.config
    certificate_env(monkeypatch, config, config["cert_pem_file"])
    monkeypatch.setenv("AZURE_CLIENT_SEND_CERTIFICATE_CHAIN", "false")
    kusto.acquire_token(connection_string(config), ca_file=config["ca_file"], sign_in="environment")
    assert "x5c" not in env_token_request(emulator)["client_assertion"]["header"]


def test_environment_secret_wins_over_certificate(emulator, monkeypatch):
    config = emulator.config
    certificate_env(monkeypatch, config, "/nonexistent/cert.pem")
    monkeypatch.setenv("AZURE_CLIENT_ID", config["client_id"])
    monkeypatch.setenv("AZURE_CLIENT_SECRET", config["client_secret"])
    kusto.acquire_token(connection_string(config), ca_file=config["ca_file"], sign_in="environment")
    assert env_token_request(emulator)["client_secret_ok"] is True


def test_environment_certificate_wrong_password_names_the_file_not_the_password(emulator, monkeypatch):
    config = emulator.config
    certificate_env(monkeypatch, config, config["cert_pfx_file"], "Not-the-Passw0rd")
    with pytest.raises(kusto.Error) as raised:
        kusto.acquire_token(connection_string(config), ca_file=config["ca_file"], sign_in="environment")
    message = str(raised.value)
    assert raised.value.status == "KUSTO_E_ARGUMENT"
    assert config["cert_pfx_file"] in message and "AZURE_CLIENT_CERTIFICATE_PASSWORD" in message
    assert "Not-the-Passw0rd" not in message
    assert emulator.requests("/%s/oauth2" % config["tenant"]) == []


def test_environment_certificate_missing_file_names_the_variable(emulator, monkeypatch):
    certificate_env(monkeypatch, emulator.config, "/nonexistent/cert.pem")
    with pytest.raises(kusto.Error) as raised:
        kusto.acquire_token(connection_string(emulator.config), ca_file=emulator.config["ca_file"],
                            sign_in="environment")
    assert raised.value.status == "KUSTO_E_ARGUMENT"
    assert "AZURE_CLIENT_CERTIFICATE_PATH '/nonexistent/cert.pem'" in str(raised.value)


# --- Azure CLI ------------------------------------------------------------------------------------------------

FAKE_AZ = """#!/bin/sh
printf '%s\\n' "$@" > "$(dirname "$0")/args"
[ -n "$FAKE_AZ_EXIT" ] && exit "$FAKE_AZ_EXIT"
if [ -n "$FAKE_AZ_FAIL" ]; then
  echo "WARNING: something first" >&2
  echo "ERROR: Please run 'az login' to setup account." >&2
  exit 1
fi
[ -n "$FAKE_AZ_SLEEP" ] && sleep "$FAKE_AZ_SLEEP"
if [ -n "$FAKE_AZ_LOCAL_EXPIRY_ONLY" ]; then
  echo '{"accessToken": "fake-cli-token", "expiresOn": "2030-06-01 12:34:56.000000", "tokenType": "Bearer"}'
  exit 0
fi
echo '{"accessToken": "fake-cli-token", "expiresOn": "2030-01-01 00:00:00.000000", "expires_on": 1893456000,'
echo ' "subscription": "s", "tenant": "t", "tokenType": "Bearer"}'
"""


@pytest.fixture
def fake_az(tmp_path, monkeypatch):
    script = tmp_path / "az"
    script.write_text(FAKE_AZ)
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", "%s:%s" % (tmp_path, os.environ["PATH"]))
    return tmp_path


def test_azure_cli_token_and_arguments(emulator, fake_az):
    config = emulator.config
    cs = connection_string(config) + ";Authority Id=" + config["tenant"]
    token = kusto.acquire_token(cs, sign_in="azure_cli", ca_file=config["ca_file"])
    assert token["access_token"] == "fake-cli-token"
    assert token["expires_on"] == 1893456000
    assert token["resource"] == config["resource"]
    args = (fake_az / "args").read_text().split("\n")[:-1]
    assert args == ["account", "get-access-token", "--resource", config["resource"], "--output", "json",
                    "--tenant", config["tenant"]]


def test_azure_cli_older_versions_give_the_expiry_in_local_time(emulator, fake_az, monkeypatch):
    monkeypatch.setenv("FAKE_AZ_LOCAL_EXPIRY_ONLY", "1")
    token = kusto.acquire_token(connection_string(emulator.config), sign_in="azure_cli",
                                ca_file=emulator.config["ca_file"])
    assert token["expires_on"] == int(time.mktime((2030, 6, 1, 12, 34, 56, 0, 0, -1)))


def test_azure_cli_without_tenant_leaves_it_to_the_cli(emulator, fake_az):
    kusto.acquire_token(connection_string(emulator.config), sign_in="azure_cli",
                            ca_file=emulator.config["ca_file"])
    assert "--tenant" not in (fake_az / "args").read_text()


def test_azure_cli_not_logged_in_is_an_auth_error_with_its_message(emulator, fake_az, monkeypatch):
    monkeypatch.setenv("FAKE_AZ_FAIL", "1")
    with pytest.raises(kusto.AuthenticationError) as info:
        kusto.acquire_token(connection_string(emulator.config), sign_in="azure_cli",
                            ca_file=emulator.config["ca_file"])
    assert "ERROR: Please run 'az login' to setup account." in str(info.value)
    assert "exit status 1" in str(info.value)


def test_azure_cli_timeout(emulator, fake_az, monkeypatch):
    monkeypatch.setenv("FAKE_AZ_SLEEP", "5")
    started = time.monotonic()
    with pytest.raises(kusto.TimeoutError):
        kusto.acquire_token(connection_string(emulator.config), sign_in="azure_cli", timeout="0.5",
                            ca_file=emulator.config["ca_file"])
    assert time.monotonic() - started < 3


@pytest.mark.parametrize("exit_status, message", [(127, "cannot run the Azure CLI ('az' on PATH): exit status 127"),
                                                  (3, "the Azure CLI could not give a token (exit status 3)")])
def test_azure_cli_silent_exit_statuses(emulator, fake_az, monkeypatch, exit_status, message):
    monkeypatch.setenv("FAKE_AZ_EXIT", str(exit_status))
    with pytest.raises(kusto.AuthenticationError) as info:
        kusto.acquire_token(connection_string(emulator.config), sign_in="azure_cli",
                            ca_file=emulator.config["ca_file"])
    assert message in str(info.value)


def test_azure_cli_missing_is_an_auth_error(emulator, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(kusto.AuthenticationError, match="cannot run the Azure CLI"):
        kusto.acquire_token(connection_string(emulator.config), sign_in="azure_cli",
                            ca_file=emulator.config["ca_file"])


# --- Azure AD v1 ----------------------------------------------------------------------------------------------

def test_aad_v1_client_secret_uses_resource_and_reads_string_numbers(emulator):
    config = emulator.config
    with kusto.Client(config["connection_string"], ca_file=config["ca_file"], authority=config["authority"],
                      aad_v1="true") as client:
        token = client.acquire_token()
        assert answer(client.query(None, "print answer=42")) == 42
    assert time.time() + 3000 < token["expires_on"] < time.time() + 3700
    [request] = emulator.requests("/%s/oauth2/" % config["tenant"])
    assert request["path"] == "/%s/oauth2/token" % config["tenant"]
    assert request["form"]["resource"] == config["resource"]
    assert "scope" not in request["form"]


def test_aad_v1_errors_are_typed(emulator):
    config = emulator.config
    cs = config["connection_string"].replace(config["client_secret"], "wrong-v1-secret")
    with pytest.raises(kusto.AuthenticationError) as info:
        kusto.acquire_token(cs, ca_file=config["ca_file"], authority=config["authority"], aad_v1="true")
    assert info.value.aadsts == 7000215
    assert "wrong-v1-secret" not in str(info.value)
    assert emulator.requests("/%s/oauth2/token" % config["tenant"])
