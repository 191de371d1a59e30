"""examples/signin.py, signin.lua and signin.c sign in every way they offer against the emulator and query."""
import json
import os
import shutil
import stat
import subprocess
import sys

import pytest

import kusto

from conftest import REPO

FLOWS = ["application_secret", "application_certificate", "user_password", "on_behalf_of", "device_code",
         "interactive", "token_callback", "managed_identity", "workload_identity", "environment", "azure_cli"]
LUA_FLOWS = ["application_secret", "application_certificate", "user_password", "device_code", "interactive",
             "token_callback", "managed_identity", "azure_cli"]
C_FLOWS = ["application_secret", "application_certificate", "user_password", "managed_identity", "workload_identity",
           "environment", "azure_cli"]
ENV_NAMES = ["AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_CLIENT_SECRET", "AZURE_AUTHORITY_HOST",
             "AZURE_FEDERATED_TOKEN_FILE", "AZURE_CLIENT_CERTIFICATE_PATH", "IDENTITY_ENDPOINT", "IDENTITY_HEADER",
             "IMDS_ENDPOINT", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "KUSTO_EMULATOR_CONFIG"]


@pytest.fixture
def example_env(emulator, tmp_path):
    """The config in a file, and an `az` on PATH that hands out a token the emulator accepts."""
    emulator.reset()
    emulator.settings(device_code_interval=1)
    config = emulator.config
    config_path = tmp_path / "emulator.json"
    config_path.write_text(json.dumps(config) + "\n")
    token = kusto.acquire_token(config["connection_string"], ca_file=config["ca_file"], authority=config["authority"])
    az = tmp_path / "az"
    az.write_text("#!/bin/sh\necho '%s'\n" % json.dumps({"accessToken": token["access_token"], "tokenType": "Bearer",
                                                        "expires_on": token["expires_on"]}))
    az.chmod(az.stat().st_mode | stat.S_IEXEC)
    env = {k: v for k, v in os.environ.items() if k not in ENV_NAMES}
    env["PATH"] = "%s:%s" % (tmp_path, env["PATH"])
    env["KUSTO_EMULATOR_CONFIG"] = str(config_path)
    yield env
    emulator.reset()


def run(command, env):
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, cwd=REPO)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize("flow", FLOWS)
def test_python_example_signs_in_and_queries(emulator, example_env, flow):
    out = run([sys.executable, "examples/signin.py", flow], example_env)
    assert "row: %s 1\n" % flow in out
    assert "token expires in " in out
    if flow == "device_code":
        assert "enter the code" in out


@pytest.mark.parametrize("flow", LUA_FLOWS)
def test_lua_example_signs_in_and_queries(emulator, example_env, flow):
    lua_tree = os.path.join(REPO, ".lua", "lib", "lua", "5.4")
    if not shutil.which("lua5.4") or not os.path.isdir(lua_tree):
        pytest.skip("the Lua module is not built in .lua (./dev.sh builds it)")
    example_env["LUA_CPATH"] = lua_tree + "/?.so;;"
    out = run(["lua5.4", "examples/signin.lua", flow], example_env)
    assert "row: %s 1\n" % flow in out
    assert "token expires in " in out


@pytest.fixture(scope="module")
def c_example(tmp_path_factory):
    library = os.path.join(REPO, "build", "libkusto.a")
    if not shutil.which("cc") or not os.path.exists(library):
        pytest.skip("build/libkusto.a is not built (make)")
    binary = str(tmp_path_factory.mktemp("example") / "signin")
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "libcurl", "libcjson", "openssl"], check=True,
                           capture_output=True, text=True).stdout.split()
    subprocess.run(["cc", "-std=c11", "-D_POSIX_C_SOURCE=200809L", "-Wall", "-Werror", "-I" + REPO + "/core/include",
                    os.path.join(REPO, "examples", "signin.c"), library, "-o", binary, *flags, "-lpthread"], check=True)
    return binary


@pytest.mark.parametrize("flow", C_FLOWS)
def test_c_example_signs_in_and_queries(emulator, example_env, c_example, flow):
    out = run([c_example, flow], example_env)
    assert "row: %s 1\n" % flow in out
    assert "token expires in " in out


def test_an_unknown_flow_prints_the_usage(example_env):
    done = subprocess.run([sys.executable, "examples/signin.py", "nope"], env=example_env, capture_output=True,
                          text=True, timeout=60, cwd=REPO)
    assert done.returncode == 1 and "usage: signin.py {application_secret," in done.stderr
