"""Azure AD (Entra ID) v2.0 endpoints: OIDC and instance discovery, JWKS, and the token endpoint.

Errors are shaped like Azure AD's: {"error", "error_description": "AADSTSnnn: ...\\r\\nTrace ID: ...", "error_codes",
"timestamp", "trace_id", "correlation_id", "error_uri"}, with correlation_id echoing client-request-id.
"""
import base64
import binascii
import datetime
import hmac
import ipaddress
import json
import re
import secrets
import time
import urllib.parse
import uuid

from .web import json_response

MULTI_TENANT = ("common", "organizations", "consumers")
REDACTED_FORM_FIELDS = ("client_secret", "client_assertion", "password", "refresh_token", "assertion",
                        "code", "device_code", "code_verifier")


class App:
    def __init__(self, client_id, secret, name):
        self.client_id = client_id
        self.secret = secret
        self.name = name
        self.object_id = str(uuid.uuid4())


def new_client_secret():
    """Shaped like an Azure AD client secret value (3 characters, '8Q~', 34 more)."""
    return secrets.token_urlsafe(3)[:3] + "8Q~" + secrets.token_urlsafe(32)[:34]


class Directory:
    """One tenant with its domain name and registered applications."""

    def __init__(self, domain="contoso.example"):
        self.tenant_id = str(uuid.uuid4())
        self.domain = domain
        self.apps = {}
        self.base_url = None            # https://host:port, known once the server is bound

    def register(self, name):
        app = App(str(uuid.uuid4()), new_client_secret(), name)
        self.apps[app.client_id] = app
        return app

    def resolve(self, tenant):
        """The tenant id a path segment names, the segment itself for common/organizations, else None."""
        if tenant.lower() in (self.tenant_id, self.domain):
            return self.tenant_id
        if tenant.lower() in MULTI_TENANT:
            return tenant.lower()
        return None

    def issuer(self, tenant_id=None):
        return "%s/%s/v2.0" % (self.base_url, tenant_id or self.tenant_id)


def _is_loopback_host(host):
    if host is None:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class AzureAD:
    ROUTES = [
        (re.compile(r"^/(?P<tenant>[^/]+)/oauth2/v2\.0/token$"), "token"),
        (re.compile(r"^/(?P<tenant>[^/]+)/v2\.0/\.well-known/openid-configuration$"), "openid_configuration"),
        (re.compile(r"^/(?P<tenant>[^/]+)/discovery/instance$"), "instance_discovery"),
        (re.compile(r"^/(?P<tenant>[^/]+)/discovery/(?:v2\.0/)?keys$"), "keys"),
    ]

    def __init__(self, directory, signer, settings):
        self.directory = directory
        self.signer = signer
        self.settings = settings
        self.refresh_tokens = {}        # refresh token -> (client_id, tenant id, user); each is used once

    def route(self, request):
        for pattern, name in self.ROUTES:
            match = pattern.match(request.path)
            if match:
                return getattr(self, name)(request, urllib.parse.unquote(match.group("tenant")))
        return None

    # --- errors -----------------------------------------------------------------------------------------

    def error(self, request, status, error, code, description):
        now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ")
        trace_id = str(uuid.uuid4())
        correlation_id = request.header("client-request-id") or str(uuid.uuid4())
        text = "AADSTS%d: %s\r\nTrace ID: %s\r\nCorrelation ID: %s\r\nTimestamp: %s" % (
            code, description, trace_id, correlation_id, now)
        body = {"error": error, "error_description": text, "error_codes": [code], "timestamp": now,
                "trace_id": trace_id, "correlation_id": correlation_id,
                "error_uri": "%s/error?code=%d" % (self.directory.base_url, code)}
        request.record["aad_error"] = "AADSTS%d" % code
        return json_response(status, body, {"x-ms-request-id": trace_id, "Cache-Control": "no-store, no-cache"})

    def _unknown_tenant(self, request, tenant):
        return self.error(request, 400, "invalid_tenant", 90002,
                          "Tenant '%s' not found. Check to make sure you have the correct tenant ID and are "
                          "signing into the correct cloud. Check with your subscription administrator, this may "
                          "happen if there are no active subscriptions for the tenant." % tenant)

    def _missing(self, request, parameter):
        return self.error(request, 400, "invalid_request", 900144,
                          "The request body must contain the following parameter: '%s'." % parameter)

    # --- discovery --------------------------------------------------------------------------------------

    def openid_configuration(self, request, tenant):
        tid = self.directory.resolve(tenant)
        if tid is None:
            return self._unknown_tenant(request, tenant)
        base = "%s/%s" % (self.directory.base_url, tenant if tid in MULTI_TENANT else tid)
        return json_response(200, {
            "token_endpoint": base + "/oauth2/v2.0/token",
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt",
                                                      "client_secret_basic"],
            "jwks_uri": base + "/discovery/v2.0/keys",
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": self.directory.issuer("{tenantid}" if tid in MULTI_TENANT else tid),
            "request_uri_parameter_supported": False,
            "userinfo_endpoint": self.directory.base_url + "/oidc/userinfo",
            "authorization_endpoint": base + "/oauth2/v2.0/authorize",
            "device_authorization_endpoint": base + "/oauth2/v2.0/devicecode",
            "http_logout_supported": True,
            "frontchannel_logout_supported": True,
            "end_session_endpoint": base + "/oauth2/v2.0/logout",
            "claims_supported": ["sub", "iss", "cloud_instance_name", "cloud_instance_host_name",
                                 "cloud_graph_host_name", "msgraph_host", "aud", "exp", "iat", "auth_time",
                                 "acr", "nonce", "preferred_username", "name", "tid", "ver", "at_hash",
                                 "c_hash", "email"],
            "kerberos_endpoint": base + "/kerberos",
            "tenant_region_scope": "NA",
            "cloud_instance_name": "emulator.invalid",
            "cloud_graph_host_name": "graph.emulator.invalid",
            "msgraph_host": "graph.emulator.invalid",
            "rbac_url": "https://pas.emulator.invalid",
        }, {"Cache-Control": "max-age=86400, private"})

    def instance_discovery(self, request, tenant):
        endpoint = request.query.get("authorization_endpoint", "")
        parsed = urllib.parse.urlsplit(endpoint)
        if not _is_loopback_host(parsed.hostname):
            return self.error(request, 400, "invalid_instance", 50049, "Unknown or invalid instance.")
        segments = [s for s in parsed.path.split("/") if s]
        authority_tenant = segments[0] if segments else "common"
        host = urllib.parse.urlsplit(self.directory.base_url).netloc
        hostname = urllib.parse.urlsplit(self.directory.base_url).hostname
        aliases = list(dict.fromkeys([hostname, host, "localhost",
                                      "localhost:%s" % urllib.parse.urlsplit(self.directory.base_url).port]))
        return json_response(200, {
            "tenant_discovery_endpoint": "%s/%s/v2.0/.well-known/openid-configuration" % (
                self.directory.base_url, authority_tenant),
            "api-version": "1.1",
            "metadata": [{"preferred_network": hostname, "preferred_cache": hostname, "aliases": aliases}],
        }, {"Cache-Control": "max-age=86400, private"})

    def keys(self, request, tenant):
        tid = self.directory.resolve(tenant)
        if tid is None:
            return self._unknown_tenant(request, tenant)
        return json_response(200, self.signer.jwks(self.directory.issuer(
            "{tenantid}" if tid in MULTI_TENANT else tid)), {"Cache-Control": "max-age=86400, private"})

    # --- token endpoint ---------------------------------------------------------------------------------

    def token(self, request, tenant):
        if request.method != "POST":
            return self.error(request, 400, "invalid_request", 900561,
                              "The endpoint only accepts POST, OPTIONS requests. Received a %s request."
                              % request.method)
        form = request.form()
        basic_id, basic_secret = _basic_credentials(request.header("Authorization"))
        if basic_id is not None:
            form.setdefault("client_id", basic_id)
            form.setdefault("client_secret", basic_secret)
        request.record["form"] = {k: ("<redacted>" if k in REDACTED_FORM_FIELDS else v) for k, v in form.items()}
        tid = self.directory.resolve(tenant)
        if tid is None:
            return self._unknown_tenant(request, tenant)
        grant = form.get("grant_type")
        if not grant:
            return self._missing(request, "grant_type")
        if grant == "refresh_token":
            return self._refresh(request, tid, form)
        if grant != "client_credentials":
            return self.error(request, 400, "unsupported_grant_type", 70003,
                              "The app requested an unsupported grant type '%s'." % grant)
        return self._client_credentials(request, tid, form)

    # --- users (refresh tokens; minted by the test-only control call /_emulator/mint_user_tokens) ---------

    def mint_user_tokens(self, client_id, username, scope, tid=None):
        """A user sign-in's answer (access, refresh and id token, client_info) without a sign-in flow: a test
        affordance standing in for the interactive and device-code flows."""
        user = {"oid": str(uuid.uuid5(uuid.NAMESPACE_DNS, username)), "username": username}
        return self._user_answer(client_id, tid or self.directory.tenant_id, user, scope)

    def _user_answer(self, client_id, tid, user, scope):
        lifetime = max(1, int(self.settings["token_lifetime"]))
        resource = scope.split()[0].rsplit("/", 1)[0]
        now = int(time.time())
        issuer = self.directory.issuer(tid)
        access = self.signer.sign({"aud": resource, "iss": issuer, "iat": now, "nbf": now, "exp": now + lifetime,
                                   "azp": client_id, "appid": client_id, "idtyp": "user", "oid": user["oid"],
                                   "sub": user["oid"], "tid": tid, "scp": "user_impersonation",
                                   "preferred_username": user["username"], "uti": secrets.token_urlsafe(16),
                                   "ver": "2.0"})
        id_token = self.signer.sign({"aud": client_id, "iss": issuer, "iat": now, "nbf": now, "exp": now + 3600,
                                     "oid": user["oid"], "sub": user["oid"], "tid": tid,
                                     "preferred_username": user["username"], "ver": "2.0"})
        refresh = secrets.token_urlsafe(48)
        self.refresh_tokens[refresh] = (client_id, tid, user)
        info = base64.urlsafe_b64encode(json.dumps({"uid": user["oid"], "utid": tid}).encode()).rstrip(b"=")
        return {"token_type": "Bearer", "scope": resource + "/user_impersonation", "expires_in": lifetime,
                "ext_expires_in": lifetime, "access_token": access, "refresh_token": refresh, "id_token": id_token,
                "client_info": info.decode()}

    def _refresh(self, request, tid, form):
        client_id = form.get("client_id")
        if not client_id:
            return self._missing(request, "client_id")
        entry = self.refresh_tokens.pop(form.get("refresh_token") or "", None)  # rotation: each RT works once
        if entry is None or entry[0] != client_id:
            return self.error(request, 400, "invalid_grant", 70000,
                              "The provided value for the 'refresh_token' is not valid.")
        request.record["refresh_token_ok"] = True
        return json_response(200, self._user_answer(client_id, entry[1], entry[2], form.get("scope") or ""),
                             {"Cache-Control": "no-store, no-cache", "Pragma": "no-cache"})

    def _client_credentials(self, request, tid, form):
        client_id = form.get("client_id")
        if not client_id:
            return self._missing(request, "client_id")
        if tid in MULTI_TENANT:
            return self.error(request, 400, "invalid_request", 50059,
                              "No tenant-identifying information found in either the request or implied "
                              "by any provided credentials.")
        app = self.directory.apps.get(client_id.lower())
        if app is None:
            return self.error(request, 400, "unauthorized_client", 700016,
                              "Application with identifier '%s' was not found in the directory '%s'. This can "
                              "happen if the application has not been installed by the administrator of the "
                              "tenant or consented to by any user in the tenant. You may have sent your "
                              "authentication request to the wrong tenant." % (client_id, self.directory.domain))
        secret = form.get("client_secret")
        if not secret:
            return self.error(request, 401, "invalid_client", 7000218,
                              "The request body must contain the following parameter: 'client_assertion' "
                              "or 'client_secret'.")
        request.record["client_secret_ok"] = hmac.compare_digest(secret.encode(), app.secret.encode())
        if not request.record["client_secret_ok"]:
            return self.error(request, 401, "invalid_client", 7000215,
                              "Invalid client secret provided. Ensure the secret being sent in the request is "
                              "the client secret value, not the client secret ID, for a secret added to app "
                              "'%s'." % app.client_id)
        return self._issue(request, app, tid, form.get("scope"))

    def _issue(self, request, app, tid, scope):
        if not scope:
            return self._missing(request, "scope")
        scopes = scope.split()
        if len(scopes) != 1 or not scopes[0].endswith("/.default"):
            return self.error(request, 400, "invalid_scope", 70011,
                              "The provided value for the input parameter 'scope' is not valid. The scope %s "
                              "is not valid. Client credential flows must have a scope value with /.default "
                              "suffixed to the resource identifier (application ID URI)." % scope)
        resource = scopes[0][:-len("/.default")]
        parsed = urllib.parse.urlsplit(resource)
        if parsed.scheme != "https" or not _is_loopback_host(parsed.hostname):
            return self.error(request, 400, "invalid_resource", 500011,
                              "The resource principal named %s was not found in the tenant named %s. This can "
                              "happen if the application has not been installed by the administrator of the "
                              "tenant or consented to by any user in the tenant. You might have sent your "
                              "authentication request to the wrong tenant." % (resource, self.directory.domain))
        lifetime = max(1, int(self.settings["token_lifetime"]))
        token = self.signer.sign(self._claims(app, tid, resource, lifetime))
        return json_response(200, {"token_type": "Bearer", "expires_in": lifetime, "ext_expires_in": lifetime,
                                   "access_token": token},
                             {"Cache-Control": "no-store, no-cache", "Pragma": "no-cache"})

    def _claims(self, app, tid, resource, lifetime):
        now = int(time.time())
        issuer = self.directory.issuer(tid)
        return {"aud": resource, "iss": issuer, "iat": now, "nbf": now, "exp": now + lifetime,
                "aio": secrets.token_urlsafe(24), "azp": app.client_id, "azpacr": "1",
                "appid": app.client_id, "appidacr": "1", "idp": issuer, "idtyp": "app",
                "oid": app.object_id, "rh": secrets.token_urlsafe(16), "sub": app.object_id, "tid": tid,
                "uti": secrets.token_urlsafe(16), "ver": "2.0"}


def _basic_credentials(header):
    """client_id and client_secret from 'Authorization: Basic ...' (RFC 6749 2.3.1 form-encodes both)."""
    if not header or not header.lower().startswith("basic "):
        return None, None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None, None
    client_id, _, secret = decoded.partition(":")
    return urllib.parse.unquote_plus(client_id), urllib.parse.unquote_plus(secret)
