"""Application certificate, on-behalf-of and username/password sign-in through the core, against the emulator,
and what the core sends compared with what MSAL Python sends for the same flow."""
import base64
import datetime
import json
import time

import pytest

import kusto

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


pytestmark = pytest.mark.usefixtures("clean_emulator")


def options(config, **extra):
    return dict(ca_file=config["ca_file"], authority=config["authority"], **extra)


def cert_cs(config, extra=""):
    return ("Data Source=%s;Initial Catalog=%s;AAD Federated Security=True;Application Client Id=%s%s"
            % (config["cluster"], config["database"], config["cert_client_id"], extra))


def token_requests(emulator):
    return [r for r in emulator.requests() if r["path"].endswith("/token")]


def b64url_json(part):
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def claims_of(token):
    return b64url_json(token.split(".")[1])


def pem_text(config):
    with open(config["cert_pem_file"]) as f:
        return f.read()


# --- application certificate ------------------------------------------------------------------------------

def test_pem_certificate_file_signs_in_with_rs256_and_x5t(emulator):
    config = emulator.config
    with kusto.Client(cert_cs(config), certificate_path=config["cert_pem_file"], **options(config)) as client:
        token = client.acquire_token()
        client.query(None, "print x=1")
    assert claims_of(token["access_token"])["appid"] == config["cert_client_id"]
    [request] = token_requests(emulator)
    form = request["form"]
    assert form["grant_type"] == "client_credentials" and form["client_assertion_type"] == JWT_BEARER
    assert form["client_assertion"] == "<redacted>" and "client_secret" not in form
    header, claims = request["client_assertion"]["header"], request["client_assertion"]["claims"]
    assert header["alg"] == "RS256" and header["typ"] == "JWT" and "x5c" not in header
    assert base64.urlsafe_b64decode(header["x5t"] + "=").hex() == config["cert_thumbprint"]
    assert claims["aud"] == config["authority"] + "/oauth2/v2.0/token"
    assert claims["iss"] == claims["sub"] == config["cert_client_id"]
    assert claims["exp"] - claims["iat"] == 600 and abs(claims["iat"] - time.time()) < 60


def test_pem_blob_in_the_connection_string_with_thumbprint_and_x5c(emulator):
    config = emulator.config
    cs = cert_cs(config, ";Application Certificate Blob='%s';Application Certificate Thumbprint=%s;"
                         "Application Certificate SendX5c=true" % (pem_text(config), config["cert_thumbprint"].upper()))
    token = kusto.acquire_token(cs, **options(config))
    assert claims_of(token["access_token"])["appid"] == config["cert_client_id"]
    header = token_requests(emulator)[0]["client_assertion"]["header"]
    assert len(header["x5c"]) == 1 and "\n" not in header["x5c"][0]


def test_pfx_certificate_signs_in_with_ps256_and_x5t_s256(emulator):
    config = emulator.config
    token = kusto.acquire_token(cert_cs(config), certificate_path=config["cert_pfx_file"],
                                certificate_password=config["cert_pfx_password"], **options(config))
    assert claims_of(token["access_token"])["appid"] == config["cert_client_id"]
    header = token_requests(emulator)[0]["client_assertion"]["header"]
    assert header["alg"] == "PS256" and "x5t" not in header and len(header["x5t#S256"]) == 43


def test_pfx_with_a_wrong_password_is_an_argument_error_without_the_password(emulator):
    config = emulator.config
    with pytest.raises(kusto.Error) as raised:
        kusto.acquire_token(cert_cs(config), certificate_path=config["cert_pfx_file"],
                            certificate_password="wrong-Passw0rd", **options(config))
    assert raised.value.status == "KUSTO_E_ARGUMENT"
    assert "certificate_password" in str(raised.value) and "wrong-Passw0rd" not in str(raised.value)
    assert token_requests(emulator) == []


def test_a_thumbprint_that_does_not_match_is_refused_before_any_request(emulator):
    config = emulator.config
    with pytest.raises(kusto.Error) as raised:
        kusto.acquire_token(cert_cs(config, ";Application Certificate Thumbprint=" + "ab" * 20),
                            certificate_path=config["cert_pem_file"], **options(config))
    assert raised.value.status == "KUSTO_E_ARGUMENT" and "does not match" in str(raised.value)


def test_an_unregistered_certificate_gets_aadsts700027(emulator, tmp_path):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "not registered")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    path = tmp_path / "other.pem"
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()) + cert.public_bytes(serialization.Encoding.PEM))
    with pytest.raises(kusto.AuthenticationError) as raised:
        kusto.acquire_token(cert_cs(emulator.config), certificate_path=str(path), **options(emulator.config))
    assert raised.value.aadsts == 700027 and raised.value.code == "invalid_client"


def test_the_signed_assertion_is_reused_by_a_client(emulator):
    config = emulator.config
    emulator.settings(token_lifetime=200)   # within the 5-minute margin: every call signs in again
    with kusto.Client(cert_cs(config), certificate_path=config["cert_pem_file"], **options(config)) as client:
        client.acquire_token()
        client.acquire_token()
    first, second = (r["client_assertion"]["claims"] for r in token_requests(emulator))
    assert first["jti"] == second["jti"]     # same assertion, as MSAL reuses its own for 540 s


# --- the same flow through MSAL, field by field --------------------------------------------------------------

@pytest.fixture
def msal(monkeypatch):
    msal = pytest.importorskip("msal")
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    return msal


def msal_cert_app(msal, config, credential):
    return msal.ConfidentialClientApplication(
        config["cert_client_id"], client_credential=credential, authority=config["authority"],
        verify=config["ca_file"], instance_discovery=config["login_endpoint"] + "/common/discovery/instance")


def core_and_msal_requests(emulator, msal, msal_credential, **core_options):
    config = emulator.config
    kusto.acquire_token(cert_cs(config), **options(config, **core_options))
    [ours] = token_requests(emulator)
    emulator.reset()
    result = msal_cert_app(msal, config, msal_credential).acquire_token_for_client([config["resource"] + "/.default"])
    assert "error" not in result, result.get("error_description")
    assert claims_of(result["access_token"])["appid"] == config["cert_client_id"]
    [theirs] = token_requests(emulator)
    return ours, theirs


def assert_same_assertion(ours, theirs):
    assert ours["status"] == theirs["status"] == 200
    assert ours["form"] == theirs["form"]        # same fields, same values (assertion redacted in both)
    ours_a, theirs_a = ours["client_assertion"], theirs["client_assertion"]
    # Deliberate difference: MSAL Python pads x5t / x5t#S256 with '='; RFC 7515 base64url (and we) do not.
    for key in ("x5t", "x5t#S256"):
        if key in theirs_a["header"]:
            assert theirs_a["header"][key].endswith("=") or len(theirs_a["header"][key]) % 4 == 0
            theirs_a["header"][key] = theirs_a["header"][key].rstrip("=")
    assert ours_a["header"] == theirs_a["header"]
    assert sorted(ours_a["claims"]) == sorted(theirs_a["claims"])
    for claim in ("aud", "iss", "sub"):
        assert ours_a["claims"][claim] == theirs_a["claims"][claim]
    # Deliberate difference: MSAL Python's iat/exp are floats (time.time()); ours are integers, as in JWT
    # NumericDate practice and the other SDKs. The lifetime is 600 s in both.
    for a in (ours_a, theirs_a):
        assert round(a["claims"]["exp"] - a["claims"]["iat"]) == 600


def test_core_and_msal_send_the_same_pem_certificate_request(emulator, msal):
    config = emulator.config
    ours, theirs = core_and_msal_requests(
        emulator, msal, {"private_key": pem_text(config), "thumbprint": config["cert_thumbprint"]},
        certificate_path=config["cert_pem_file"])
    assert_same_assertion(ours, theirs)
    assert theirs["client_assertion"]["header"]["alg"] == "RS256"


def test_core_and_msal_send_the_same_pfx_certificate_request(emulator, msal):
    config = emulator.config
    try:
        ours, theirs = core_and_msal_requests(
            emulator, msal, {"private_key_pfx_path": config["cert_pfx_file"],
                             "passphrase": config["cert_pfx_password"]},
            certificate_path=config["cert_pfx_file"], certificate_password=config["cert_pfx_password"])
    except (TypeError, KeyError, ValueError) as e:       # an msal without private_key_pfx_path
        pytest.skip("this msal cannot load a PFX: %s" % e)
    assert_same_assertion(ours, theirs)
    assert theirs["client_assertion"]["header"]["alg"] == "PS256"


def test_core_and_msal_send_the_same_x5c_request(emulator, msal):
    config = emulator.config
    pem = pem_text(config)
    cert_pem = pem[pem.index("-----BEGIN CERTIFICATE"):]
    ours, theirs = core_and_msal_requests(
        emulator, msal, {"private_key": pem, "thumbprint": config["cert_thumbprint"], "public_certificate": cert_pem},
        certificate_path=config["cert_pem_file"], send_x5c="true")
    # MSAL keeps the PEM body's line breaks inside x5c; we send the plain base64 DER (what RFC 7515 says).
    theirs["client_assertion"]["header"]["x5c"] = [c.replace("\n", "") for c in theirs["client_assertion"]["header"]["x5c"]]
    assert_same_assertion(ours, theirs)


# --- username and password ----------------------------------------------------------------------------------

def user_cs(config, user=None, password=None):
    return ("Data Source=%s;Initial Catalog=%s;AAD Federated Security=True;User ID=%s;Password=%s"
            % (config["cluster"], config["database"], user or config["user"], password or config["password"]))


def test_user_password_signs_in_as_the_user_with_the_kusto_public_client(emulator):
    config = emulator.config
    with kusto.Client(user_cs(config), **options(config)) as client:
        token = client.acquire_token()
        client.query(None, "print x=1")
    claims = claims_of(token["access_token"])
    assert claims["upn"] == config["user"] and claims["idtyp"] == "user"
    [request] = token_requests(emulator)
    assert request["form"]["grant_type"] == "password" and request["form"]["password"] == "<redacted>"
    assert request["form"]["client_id"] == "db662dc1-0cfe-4e1c-a843-19a68e65be58"
    assert request["form"]["username"] == config["user"]
    assert request["form"]["scope"] == config["resource"] + "/.default offline_access openid profile"
    assert request["anchor_mailbox"] == "upn:" + config["user"]


# MSAL warns that username/password (ROPC) is deprecated for public clients: known, and the reason we compare.
@pytest.mark.filterwarnings("ignore:This API has been deprecated for public client flows:DeprecationWarning")
def test_user_password_request_matches_msal(emulator, msal, monkeypatch):
    config = emulator.config
    kusto.acquire_token(user_cs(config), **options(config))
    [ours] = token_requests(emulator)
    emulator.reset()
    # MSAL first asks https://<host>/common/userrealm/<user>, dropping the authority's port (so it cannot reach
    # the emulator); Azure AD answers "Managed" for cloud accounts, which is what this stands in for.
    monkeypatch.setattr(msal.authority.Authority, "user_realm_discovery",
                        lambda self, username, correlation_id=None, response=None: {"account_type": "Managed"})
    app = msal.PublicClientApplication("db662dc1-0cfe-4e1c-a843-19a68e65be58", authority=config["authority"],
                                       verify=config["ca_file"],
                                       instance_discovery=config["login_endpoint"] + "/common/discovery/instance")
    result = app.acquire_token_by_username_password(config["user"], config["password"],
                                                    [config["resource"] + "/.default"])
    assert "error" not in result, result.get("error_description")
    assert {"refresh_token", "id_token_claims"} <= set(result)
    [theirs] = token_requests(emulator)
    assert ours["form"] == theirs["form"] and ours["anchor_mailbox"] == theirs["anchor_mailbox"]


def test_a_bad_password_gets_aadsts50126_without_the_password(emulator):
    config = emulator.config
    with pytest.raises(kusto.AuthenticationError) as raised:
        kusto.acquire_token(user_cs(config, password="Wr0ng-pass"), **options(config))
    assert raised.value.aadsts == 50126 and raised.value.code == "invalid_grant"
    assert "Wr0ng-pass" not in str(raised.value)


# --- on-behalf-of -------------------------------------------------------------------------------------------

def user_token_for(emulator, client_id):
    """What a user's client sends to our middle tier: a token whose audience is the middle tier's app."""
    import requests
    config = emulator.config
    # The user signs in for api://<client_id>, the middle tier's application id URI.
    response = requests.post(config["authority"] + "/oauth2/v2.0/token", verify=config["ca_file"], data={
        "grant_type": "password", "client_id": "db662dc1-0cfe-4e1c-a843-19a68e65be58", "username": config["user"],
        "password": config["password"], "scope": "api://%s/.default openid profile offline_access" % client_id})
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def test_on_behalf_of_with_a_secret_gets_a_cluster_token_for_the_user(emulator):
    config = emulator.config
    assertion = user_token_for(emulator, config["client_id"])
    emulator.reset()
    with kusto.Client(config["connection_string"], user_assertion=assertion, **options(config)) as client:
        token = client.acquire_token()
        client.query(None, "print x=1")
    claims = claims_of(token["access_token"])
    assert claims["upn"] == config["user"] and claims["aud"].rstrip("/") == config["resource"].rstrip("/")
    [request] = token_requests(emulator)
    form = request["form"]
    assert form["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"
    assert form["requested_token_use"] == "on_behalf_of" and form["assertion"] == "<redacted>"
    assert form["scope"] == config["resource"] + "/.default offline_access openid profile"


def test_on_behalf_of_with_a_certificate(emulator):
    config = emulator.config
    assertion = user_token_for(emulator, config["cert_client_id"])
    emulator.reset()
    token = kusto.acquire_token(cert_cs(config), certificate_path=config["cert_pem_file"], user_assertion=assertion,
                                sign_in="on_behalf_of", **options(config))
    assert claims_of(token["access_token"])["upn"] == config["user"]
    assert token_requests(emulator)[0]["client_assertion"]["claims"]["sub"] == config["cert_client_id"]


def test_on_behalf_of_tokens_are_cached_per_user_assertion(emulator):
    config = emulator.config
    first, second = (user_token_for(emulator, config["client_id"]) for _ in range(2))
    emulator.reset()
    with kusto.Client(config["connection_string"], user_assertion=first, **options(config)) as client:
        client.acquire_token()
        assert client.acquire_token()["from_cache"] is True
    assert len(token_requests(emulator)) == 1


def test_on_behalf_of_a_token_for_another_app_gets_aadsts50013(emulator):
    config = emulator.config
    assertion = user_token_for(emulator, config["cert_client_id"])   # not for the secret app
    with pytest.raises(kusto.AuthenticationError) as raised:
        kusto.acquire_token(config["connection_string"], user_assertion=assertion, **options(config))
    assert raised.value.aadsts == 50013 and raised.value.code == "invalid_grant"


def test_on_behalf_of_request_matches_msal(emulator, msal):
    config = emulator.config
    assertion = user_token_for(emulator, config["client_id"])
    emulator.reset()
    kusto.acquire_token(config["connection_string"], user_assertion=assertion, **options(config))
    [ours] = token_requests(emulator)
    emulator.reset()
    app = msal.ConfidentialClientApplication(
        config["client_id"], client_credential=config["client_secret"], authority=config["authority"],
        verify=config["ca_file"], instance_discovery=config["login_endpoint"] + "/common/discovery/instance")
    result = app.acquire_token_on_behalf_of(assertion, [config["resource"] + "/.default"])
    assert "error" not in result, result.get("error_description")
    [theirs] = token_requests(emulator)
    assert ours["form"] == theirs["form"]


# --- token callback -----------------------------------------------------------------------------------------

def callback_cs(config):
    return "Data Source=%s;Initial Catalog=%s" % (config["cluster"], config["database"])


def a_token(emulator):
    return kusto.acquire_token(emulator.config["connection_string"], **options(emulator.config))["access_token"]


def test_token_callback_is_called_for_every_request_with_the_resource(emulator):
    config = emulator.config
    token, calls = a_token(emulator), []

    def callback(resource):
        calls.append(resource)
        return token, 2000000000
    emulator.reset()
    with kusto.Client(callback_cs(config), token_callback=callback, ca_file=config["ca_file"]) as client:
        assert client.query(None, "print x=1")
        assert client.query(None, "print x=2")
        got = client.acquire_token()
    assert got["access_token"] == token and got["expires_on"] == 2000000000 and got["from_cache"] is False
    assert calls == [config["resource"]] * 3
    assert token_requests(emulator) == [] and len(emulator.requests("/v2/rest/query")) == 2


def test_a_raising_token_callback_is_an_authentication_error_chained_to_the_exception(emulator):
    config = emulator.config

    def callback(resource):
        raise LookupError("no token in the vault")
    with pytest.raises(kusto.AuthenticationError) as raised:
        kusto.query(callback_cs(config), None, "print x=1", token_callback=callback, ca_file=config["ca_file"])
    assert "LookupError: no token in the vault" in str(raised.value)
    assert isinstance(raised.value.__cause__, LookupError)
    assert emulator.requests("/v2/rest/query") == []


def test_a_token_callback_returning_a_non_string_is_an_authentication_error(emulator):
    with pytest.raises(kusto.AuthenticationError) as raised:
        kusto.acquire_token(callback_cs(emulator.config), token_callback=lambda resource: 42)
    assert isinstance(raised.value.__cause__, TypeError)


def test_token_callback_must_be_callable(emulator):
    with pytest.raises(TypeError):
        kusto.Client(callback_cs(emulator.config), token_callback="not callable")
