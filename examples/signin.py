"""Sign in one way, print the token's expiry (never the token) and a one-row query.

    python examples/signin.py FLOW [CONFIG.json]

FLOW is one of the names in FLOWS below. CONFIG.json (default: the file named by $KUSTO_EMULATOR_CONFIG) is the
line `python -m kusto.emulator --print-config` prints: the emulator's cluster, CA, test app, users and endpoints.
Against a real cluster, the same options with your own values sign in the same way.
"""
import json
import os
import sys
import threading
import time

import requests

import kusto


def base(c, extra=""):
    return "Data Source=%s;Initial Catalog=%s;AAD Federated Security=True%s" % (c["cluster"], c["database"], extra)


def http(c):
    session = requests.Session()
    session.trust_env = False
    session.verify = c["ca_file"]
    return session


def user_token_for_api(c):
    """What a middle tier receives from its caller: a user's token for the app (api://client_id)."""
    response = http(c).post(c["authority"] + "/oauth2/v2.0/token", timeout=30, data={
        "grant_type": "password", "client_id": "db662dc1-0cfe-4e1c-a843-19a68e65be58", "username": c["user"],
        "password": c["password"], "scope": "api://%s/.default openid profile offline_access" % c["client_id"]})
    response.raise_for_status()
    return response.json()["access_token"]


def device_code_prompt(c):
    def prompt(info):
        print(info["message"])
        if c.get("control"):   # the emulator only: play the person who enters the code in a browser
            approve = {"user_code": info["user_code"], "user": c["users"][0]["username"]}
            threading.Timer(1, http(c).post, (c["control"] + "/device/approve",), {"json": approve}).start()
    return prompt


def browser(c):
    # A real browser shows the sign-in page; here a GET of the URL plays the person, who is signed in already.
    return lambda url: threading.Thread(target=http(c).get, args=(url,), kwargs={"timeout": 30}).start()


def token_from_another_client(c):
    source = kusto.Client(c["connection_string"], ca_file=c["ca_file"], authority=c["authority"])
    def callback(resource):
        token = source.acquire_token()
        return token["access_token"], token["expires_on"]
    return callback


def set_env(**variables):
    os.environ.update(variables)
    return {}


# flow -> (connection string, options), from the config
FLOWS = {
    "application_secret": lambda c: (c["connection_string"], {"authority": c["authority"]}),
    "application_certificate": lambda c: (base(c, ";Application Client Id=" + c["cert_client_id"]),
                                          {"authority": c["authority"], "certificate_path": c["cert_pem_file"]}),
    "user_password": lambda c: (base(c, ";User ID=%s;Password=%s" % (c["user"], c["password"])),
                                {"authority": c["authority"]}),
    "on_behalf_of": lambda c: (c["connection_string"],
                               {"authority": c["authority"], "user_assertion": user_token_for_api(c)}),
    "device_code": lambda c: (base(c, ";Authority Id=" + c["authority"]),
                              {"sign_in": "device_code", "device_code_callback": device_code_prompt(c)}),
    "interactive": lambda c: (base(c, ";Authority Id=" + c["authority"]),
                              {"sign_in": "interactive", "browser_callback": browser(c)}),
    "token_callback": lambda c: (base(c), {"token_callback": token_from_another_client(c)}),
    "managed_identity": lambda c: (base(c), {
        "sign_in": "managed_identity",
        "managed_identity_endpoint": c["imds_endpoint"] + "/metadata/identity/oauth2/token"}),
    "workload_identity": lambda c: (base(c), dict(set_env(
        AZURE_FEDERATED_TOKEN_FILE=c["federated_token_file"], AZURE_CLIENT_ID=c["federated_client_id"],
        AZURE_TENANT_ID=c["tenant"], AZURE_AUTHORITY_HOST=c["login_endpoint"]), sign_in="workload_identity")),
    "environment": lambda c: (base(c), dict(set_env(
        AZURE_CLIENT_ID=c["client_id"], AZURE_CLIENT_SECRET=c["client_secret"], AZURE_TENANT_ID=c["tenant"],
        AZURE_AUTHORITY_HOST=c["login_endpoint"]), sign_in="environment")),
    "azure_cli": lambda c: (base(c, ";Authority Id=" + c["tenant"]), {"sign_in": "azure_cli"}),  # `az` on PATH
}


def main(argv):
    config_path = argv[2] if len(argv) > 2 else os.environ.get("KUSTO_EMULATOR_CONFIG")
    if len(argv) < 2 or argv[1] not in FLOWS or not config_path:
        sys.exit("usage: signin.py {%s} [CONFIG.json]" % ",".join(FLOWS))
    with open(config_path, encoding="utf-8") as f:
        config = json.loads(f.readline())
    connection_string, options = FLOWS[argv[1]](config)
    with kusto.Client(connection_string, ca_file=config["ca_file"], **options) as client:
        token = client.acquire_token()
        print("token expires in %d s" % (token["expires_on"] - time.time()))
        row = client.query(None, "print flow='%s', x=1" % argv[1])["primary_results"][0]["rows"][0]
        print("row:", " ".join(str(v) for v in row))


if __name__ == "__main__":
    main(sys.argv)
