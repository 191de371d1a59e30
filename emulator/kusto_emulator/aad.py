"""Azure AD (Entra ID) v2.0 endpoints: OIDC and instance discovery, JWKS, and the token endpoint.

Errors are shaped like Azure AD's: {"error", "error_description": "AADSTSnnn: ...\\r\\nTrace ID: ...", "error_codes",
"timestamp", "trace_id", "correlation_id", "error_uri"}, with correlation_id echoing client-request-id.
"""
import base64
import binascii
import datetime
import hmac
import json
import ipaddress
import re
import secrets
import time
import urllib.parse
import uuid

from . import assertions, user_signin
from .tokens import TokenError
from .user_signin import AuthCode, DeviceCode, User
from .web import Response, json_response

MULTI_TENANT = ("common", "organizations", "consumers")
KUSTO_PUBLIC_CLIENT_ID = "db662dc1-0cfe-4e1c-a843-19a68e65be58"   # Kusto's first-party public client
JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
USER_GRANTS = ("password", DEVICE_CODE_GRANT, "authorization_code", "refresh_token")   # public clients may use /organizations
CLIENT_CREDENTIALS_SCOPE = (" Client credential flows must have a scope value with /.default suffixed to the "
                            "resource identifier (application ID URI).")
NO_STORE = {"Cache-Control": "no-store, no-cache", "Pragma": "no-cache"}
REDACTED_FORM_FIELDS = ("client_secret", "client_assertion", "password", "refresh_token", "assertion",
                        "code", "device_code", "code_verifier")


class App:
    def __init__(self, client_id, secret, name, cert=None, public=False):
        self.client_id = client_id
        self.secret = secret            # None: no client secret registered
        self.name = name
        self.cert = cert                # a registered certificate (cryptography x509), or None
        self.public = public            # "Allow public client flows": device code, interactive (no secret)
        self.object_id = str(uuid.uuid4())
        self.federated = False          # trusts the Kubernetes issuer's service-account tokens (workload identity)


def new_client_secret():
    """Shaped like an Azure AD client secret value (3 characters, '8Q~', 34 more)."""
    return secrets.token_urlsafe(3)[:3] + "8Q~" + secrets.token_urlsafe(32)[:34]


class Directory:
    """One tenant with its domain name and registered applications."""

    def __init__(self, domain="contoso.example"):
        self.tenant_id = str(uuid.uuid4())
        self.domain = domain
        self.apps = {}
        self.users = {}
        self.base_url = None            # https://host:port, known once the server is bound

    def register(self, name, cert=None, client_id=None, public=False):
        """An application with a client secret, or (cert given) with that certificate only, or (public) a
        public client with neither."""
        app = App(client_id or str(uuid.uuid4()), None if cert is not None or public else new_client_secret(),
                  name, cert, public)
        self.apps[app.client_id] = app
        return app

    def add_user(self, login, name):
        user = User("%s@%s" % (login, self.domain), name, password=secrets.token_urlsafe(12) + "a1!")
        self.users[user.username] = user
        return user

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
    if host.lower() == "localhost" or host.lower().endswith(".localhost"):     # RFC 6761: *.localhost is loopback
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class AzureAD:
    ROUTES = [
        (re.compile(r"^/(?P<tenant>[^/]+)/oauth2/v2\.0/token$"), "token"),
        (re.compile(r"^/(?P<tenant>[^/]+)/oauth2/token$"), "token_v1"),
        (re.compile(r"^/(?P<tenant>[^/]+)/v2\.0/\.well-known/openid-configuration$"), "openid_configuration"),
        (re.compile(r"^/(?P<tenant>[^/]+)/\.well-known/openid-configuration$"), "openid_configuration_v1"),
        (re.compile(r"^/(?P<tenant>[^/]+)/discovery/instance$"), "instance_discovery"),
        (re.compile(r"^/(?P<tenant>[^/]+)/discovery/(?:v2\.0/)?keys$"), "keys"),
        (re.compile(r"^/(?P<tenant>[^/]+)/oauth2/v2\.0/devicecode$"), "devicecode"),
        (re.compile(r"^/(?P<tenant>[^/]+)/oauth2/v2\.0/authorize$"), "authorize"),
    ]

    def __init__(self, directory, signer, settings):
        self.directory = directory
        self.signer = signer
        self.settings = settings
        self.federation = None          # identity.KubernetesIssuer, set by the emulator
        self.pending = user_signin.Pending()
        # refresh token -> (client_id, tenant id, user, resource, audience); each is used once
        self.refresh_tokens = {}
        self.resources = lambda: ()     # the resources the cluster exposes (the emulator sets this)

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
        return self._openid_configuration(request, tenant, "/v2.0")

    def openid_configuration_v1(self, request, tenant):
        """Azure AD v1's document: endpoints without "/v2.0", the sts.windows.net-style issuer."""
        return self._openid_configuration(request, tenant, "")

    def _openid_configuration(self, request, tenant, version):
        tid = self.directory.resolve(tenant)
        if tid is None:
            return self._unknown_tenant(request, tenant)
        base = "%s/%s" % (self.directory.base_url, tenant if tid in MULTI_TENANT else tid)
        oauth2 = base + "/oauth2" + version
        issuer_tid = "{tenantid}" if tid in MULTI_TENANT else tid
        issuer = self.directory.issuer(issuer_tid) if version else "%s/%s/" % (self.directory.base_url, issuer_tid)
        return json_response(200, {
            "token_endpoint": oauth2 + "/token",
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt",
                                                      "client_secret_basic"],
            "jwks_uri": base + "/discovery%s/keys" % version,
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": issuer,
            "request_uri_parameter_supported": False,
            "userinfo_endpoint": self.directory.base_url + "/oidc/userinfo",
            "authorization_endpoint": oauth2 + "/authorize",
            "device_authorization_endpoint": oauth2 + "/devicecode",
            "http_logout_supported": True,
            "frontchannel_logout_supported": True,
            "end_session_endpoint": oauth2 + "/logout",
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

    def token_v1(self, request, tenant):
        """Azure AD v1: resource= instead of scope=, and numbers as strings in the answer."""
        request.record["aad_v1"] = True
        return self.token(request, tenant)

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
        flows = {"client_credentials": self._client_credentials, "password": self._password,
                 JWT_BEARER_GRANT: self._on_behalf_of, DEVICE_CODE_GRANT: self._device_code_grant,
                 "authorization_code": self._authorization_code_grant, "refresh_token": self._refresh}
        if grant not in flows:
            return self.error(request, 400, "unsupported_grant_type", 70003,
                              "The app requested an unsupported grant type '%s'." % grant)
        if tid in MULTI_TENANT and grant not in USER_GRANTS:
            return self.error(request, 400, "invalid_request", 50059,
                              "No tenant-identifying information found in either the request or implied "
                              "by any provided credentials.")
        return flows[grant](request, tenant, tid, form)

    # --- users' tokens: every user flow, the refresh grant and the control API's minting end here ----------------

    def _user_tokens(self, client_id, tid, user, resource, scope, audience=None, nonce=None,
                     with_client_info=True):
        """The one way user tokens are issued; the refresh token, if any, is redeemable once (see _refresh)."""
        answer = user_signin.user_tokens(self.signer, self.directory.issuer(tid), tid, client_id, user, resource,
                                         scope, max(1, int(self.settings["token_lifetime"])), audience, nonce,
                                         with_client_info)
        if "refresh_token" in answer:
            self.refresh_tokens[answer["refresh_token"]] = (client_id.lower(), tid, user, resource, audience)
        return answer

    def _user_response(self, request, client_id, tid, user, resource, scope, audience=None, nonce=None):
        request.record["signed_in_user"] = user.username
        answer = self._user_tokens(client_id, tid, user, resource, scope, audience, nonce,
                                   request.form().get("client_info") == "1")
        return json_response(200, answer, NO_STORE)

    def mint_user_tokens(self, client_id, username, scope, tid=None):
        """A user sign-in's answer (access, refresh and id token, client_info) without a sign-in flow: a test
        affordance standing in for the interactive and device-code flows, which ask these OpenID scopes."""
        user = self.directory.users.get(username.lower())
        if user is None:
            user = User(username, username.split("@")[0].title())
            user.object_id = str(uuid.uuid5(uuid.NAMESPACE_DNS, username))
        asked = scope.split()
        resource = [s for s in asked if s not in user_signin.OIDC_SCOPES][0].rsplit("/", 1)[0]
        asked += [s for s in ("offline_access", "openid", "profile") if s not in asked]
        return self._user_tokens(client_id, tid or self.directory.tenant_id, user, resource, " ".join(asked))

    def _refresh(self, request, tenant, tid, form):
        client_id = form.get("client_id")
        if not client_id:
            return self._missing(request, "client_id")
        entry = self.refresh_tokens.pop(form.get("refresh_token") or "", None)  # rotation: each RT works once
        if entry is None or entry[0] != client_id.lower():
            return self.error(request, 400, "invalid_grant", 70000,
                              "The provided value for the 'refresh_token' is not valid.")
        request.record["refresh_token_ok"] = True
        _, tid, user, resource, audience = entry
        scope = form.get("scope") or resource + "/.default offline_access openid profile"
        if form.get("scope"):
            resource, audience, failure = self._user_resource(request, scope, client_id)
            if failure is not None:
                return failure
        return self._user_response(request, client_id, tid, user, resource, scope, audience)

    def _client_credentials(self, request, tenant, tid, form):
        app, failure = self._authenticated_app(request, tenant, form)
        if failure is not None:
            return failure
        return self._issue(request, app, tid, form.get("scope"))

    def _authenticated_app(self, request, tenant, form):
        """(app, None) when the confidential client proved itself with its secret or certificate, else
        (None, error response)."""
        client_id = form.get("client_id")
        if not client_id:
            return None, self._missing(request, "client_id")
        app = self.directory.apps.get(client_id.lower())
        if app is None:
            return None, self.error(request, 400, "unauthorized_client", 700016,
                              "Application with identifier '%s' was not found in the directory '%s'. This can "
                              "happen if the application has not been installed by the administrator of the "
                              "tenant or consented to by any user in the tenant. You may have sent your "
                              "authentication request to the wrong tenant." % (client_id, self.directory.domain))
        if form.get("client_assertion") is not None:
            if app.federated:
                return self._check_federated_assertion(request, app, form)
            return self._check_assertion(request, tenant, app, form)
        secret = form.get("client_secret")
        if not secret:
            return None, self.error(request, 401, "invalid_client", 7000218,
                                    "The request body must contain the following parameter: 'client_assertion' "
                                    "or 'client_secret'.")
        request.record["client_secret_ok"] = app.secret is not None and hmac.compare_digest(
            secret.encode(), app.secret.encode())
        if not request.record["client_secret_ok"]:
            return None, self.error(request, 401, "invalid_client", 7000215,
                                    "Invalid client secret provided. Ensure the secret being sent in the request "
                                    "is the client secret value, not the client secret ID, for a secret added to "
                                    "app '%s'." % app.client_id)
        return app, None

    def _check_assertion(self, request, tenant, app, form):
        if form.get("client_assertion_type") != assertions.JWT_BEARER:
            return None, self.error(request, 400, "invalid_request", 50027,
                                    "JWT token is invalid or malformed. [Reason - client_assertion_type must be "
                                    "'%s'.]" % assertions.JWT_BEARER)
        endpoints = ["%s/%s/oauth2/v2.0/token" % (self.directory.base_url, t)
                     for t in (tenant, self.directory.tenant_id, self.directory.domain)]
        try:
            header, claims, _, _ = assertions.decode(form["client_assertion"])
            # Header and claims only (never the signature): tests compare what clients send.
            request.record["client_assertion"] = {"header": header, "claims": claims}
            assertions.verify(form["client_assertion"], app, endpoints)
        except assertions.AssertionError_ as e:
            return None, self.error(request, 401 if e.error == "invalid_client" else 400, e.error, e.code,
                                    e.description)
        return app, None

    # --- user flows -------------------------------------------------------------------------------------

    def _user_resource(self, request, scope, client_id):
        """(resource, audience, None) for a user flow's scope, or (None, None, error response); a token for one of
        this tenant's own apps (api://{client id}) has that app's client id as its audience."""
        resource, failure = self._resource(request, scope, user_flow=True)
        if failure is not None:
            return None, None, failure
        app_id = _app_id_of(resource)
        return resource, app_id if app_id in self.directory.apps else resource, None

    def _password(self, request, tenant, tid, form):
        for name in ("client_id", "username", "password", "scope"):
            if not form.get(name):
                return self._missing(request, name)
        app = self.directory.apps.get(form["client_id"].lower())
        if app is None:
            return self.error(request, 400, "unauthorized_client", 700016,
                              "Application with identifier '%s' was not found in the directory '%s'."
                              % (form["client_id"], self.directory.domain))
        user = self.directory.users.get(form["username"].lower())
        request.record["anchor_mailbox"] = request.header("X-AnchorMailbox")
        if user is None or not hmac.compare_digest(form["password"].encode(), user.password.encode()):
            return self.error(request, 400, "invalid_grant", 50126,
                              "Error validating credentials due to invalid username or password.")
        resource, audience, failure = self._user_resource(request, form["scope"], app.client_id)
        if failure is not None:
            return failure
        return self._user_response(request, app.client_id, self.directory.tenant_id, user, resource, form["scope"],
                                   audience)

    def _on_behalf_of(self, request, tenant, tid, form):
        if form.get("requested_token_use") != "on_behalf_of":
            return self.error(request, 400, "invalid_request", 900144,
                              "The request body must contain the following parameter: 'requested_token_use'.")
        for name in ("assertion", "scope"):
            if not form.get(name):
                return self._missing(request, name)
        app, failure = self._authenticated_app(request, tenant, form)
        if failure is not None:
            return failure
        try:
            incoming = self.signer.verify(form["assertion"], (app.client_id, "api://" + app.client_id))
        except TokenError as e:
            return self.error(request, 400, "invalid_grant", 50013, "Assertion failed signature validation. "
                              "[Reason - %s.]" % e)
        user = self.directory.users.get(str(incoming.get("upn", "")).lower())
        if user is None or incoming.get("idtyp") != "user":
            return self.error(request, 400, "invalid_grant", 50013,
                              "Assertion is not a user token (on-behalf-of needs a user's token).")
        resource, audience, failure = self._user_resource(request, form["scope"], app.client_id)
        if failure is not None:
            return failure
        return self._user_response(request, app.client_id, tid, user, resource, form["scope"], audience)

    def _check_federated_assertion(self, request, app, form):
        """Workload identity: an assertion signed by the Kubernetes issuer the app trusts."""
        if form.get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer":
            return None, self.error(request, 400, "invalid_request", 700022,
                                    "The client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:"
                                    "jwt-bearer.")
        reason = self.federation.check(form["client_assertion"]) if self.federation else \
            "the application has no federated identity credential"
        request.record["client_assertion_ok"] = reason is None
        if reason:
            return None, self.error(request, 400, "invalid_client", 700213,
                                    "No matching federated identity record found for presented assertion: %s."
                                    % reason)
        return app, None

    def _issue(self, request, app, tid, scope):
        if request.record.get("aad_v1"):
            resource = request.form().get("resource")
            if not resource:
                return self._missing(request, "resource")
            scope = resource.rstrip("/") + "/.default"
        resource, failure = self._resource(request, scope)
        if failure is not None:
            return failure
        lifetime = max(1, int(self.settings["token_lifetime"]))
        token = self.signer.sign(self._claims(app, tid, resource, lifetime))
        if request.record.get("aad_v1"):
            now = int(time.time())
            return json_response(200, {"token_type": "Bearer", "expires_in": str(lifetime),
                                       "ext_expires_in": str(lifetime), "expires_on": str(now + lifetime),
                                       "not_before": str(now), "resource": resource, "access_token": token},
                                 {"Cache-Control": "no-store, no-cache", "Pragma": "no-cache"})
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

    def _resource(self, request, scope, user_flow=False):
        """(resource, None) for a valid scope naming a resource this tenant has, else (None, the error response)."""
        if not scope:
            return None, self._missing(request, "scope")
        scopes = scope.split()
        if user_flow:
            scopes = [s for s in scopes if s not in user_signin.OIDC_SCOPES]
        if len(scopes) != 1 or not scopes[0].endswith("/.default"):
            return None, self.error(request, 400, "invalid_scope", 70011,
                                    "The provided value for the input parameter 'scope' is not valid. The scope "
                                    "%s is not valid.%s" % (scope, "" if user_flow else CLIENT_CREDENTIALS_SCOPE))
        resource = scopes[0][:-len("/.default")]
        if not self.exposes(resource):
            return None, self.error(request, 400, "invalid_resource", 500011, self.unknown_resource_text(
                request, resource))
        return resource, None

    def refusal(self, request, resource):
        """The first line of Azure AD's AADSTS500011 for a resource no app exposes (as managed identity endpoints
        relay it), or None."""
        return None if self.exposes(resource) else "AADSTS500011: " + self.unknown_resource_text(request, resource)

    def exposes(self, resource):
        """Whether an app of this tenant exposes the resource: the cluster (self.resources(), set by the
        emulator) or one of the registered apps (api://{client id}). Azure AD ignores trailing slashes."""
        name = resource.rstrip("/").lower()
        return name in (r.rstrip("/").lower() for r in self.resources()) or _app_id_of(name) in self.directory.apps

    def unknown_resource_text(self, request, resource):
        segment = urllib.parse.unquote(request.path.split("/")[1]) if request.path.count("/") > 1 else ""
        tenant = segment if self.directory.resolve(segment) not in MULTI_TENANT + (None,) else self.directory.tenant_id
        return ("The resource principal named %s was not found in the tenant named %s. This can happen if the "
                "application has not been installed by the administrator of the tenant or consented to by any user "
                "in the tenant. You might have sent your authentication request to the wrong tenant."
                % (resource, tenant))

    # --- a person signs in: device code ------------------------------------------------------------------

    def _public_app(self, request, client_id):
        """(app, None) for a registered app that allows public client flows, else (None, the error)."""
        if not client_id:
            return None, self._missing(request, "client_id")
        app = self.directory.apps.get(client_id.lower())
        if app is None:
            return None, self.error(request, 400, "unauthorized_client", 700016,
                                    "Application with identifier '%s' was not found in the directory '%s'."
                                    % (client_id, self.directory.domain))
        if not app.public:
            return None, self.error(request, 401, "invalid_client", 7000218,
                                    "The request body must contain the following parameter: 'client_assertion' "
                                    "or 'client_secret'.")
        return app, None

    def devicecode(self, request, tenant):
        if request.method != "POST":
            return self.error(request, 400, "invalid_request", 900561,
                              "The endpoint only accepts POST, OPTIONS requests. Received a %s request."
                              % request.method)
        form = request.form()
        request.record["form"] = dict(form)
        if self.directory.resolve(tenant) is None:
            return self._unknown_tenant(request, tenant)
        app, failure = self._public_app(request, form.get("client_id"))
        if failure:
            return failure
        _, failure = self._resource(request, form.get("scope"), user_flow=True)
        if failure:
            return failure
        device = DeviceCode(app.client_id, form["scope"], int(self.settings["device_code_lifetime"]),
                            max(1, int(self.settings["device_code_interval"])))
        self.pending.add_device(device)
        uri = self.directory.base_url + "/devicelogin"
        return json_response(200, {
            "user_code": device.user_code, "device_code": device.device_code, "verification_uri": uri,
            "expires_in": int(self.settings["device_code_lifetime"]), "interval": device.interval,
            "message": "To sign in, use a web browser to open the page %s and enter the code %s to authenticate."
                       % (uri, device.user_code)}, {"Cache-Control": "no-store, no-cache"})

    def _device_code_grant(self, request, tenant, tid, form):
        code = form.get("device_code")
        if not code:
            return self._missing(request, "device_code")
        device = self.pending.devices.get(code)
        if device is None or device.client_id != (form.get("client_id") or "").lower():
            return self.error(request, 400, "bad_verification_code", 70018,
                              "Invalid verification code due to User typing in wrong user code for device code "
                              "flow.")
        now = time.time()
        if now > device.expires_at:
            return self.error(request, 400, "expired_token", 70019, "Verification code expired.")
        if device.declined:
            return self.error(request, 400, "authorization_declined", 65004,
                              "User declined to consent to access the app.")
        if device.slow_downs > 0:
            device.slow_downs -= 1
            device.interval += 5
            device.last_poll = now
            return self._slow_down_error(request, device)
        if device.user is None:
            too_fast = device.last_poll is not None and now - device.last_poll < device.interval - 0.5
            device.last_poll = now
            if too_fast:
                return self._slow_down_error(request, device)
            return self.error(request, 400, "authorization_pending", 70016,
                              "OAuth 2.0 device flow error. Authorization is pending. Continue polling.")
        with self.pending.lock:
            self.pending.devices.pop(code, None)      # one token per approval
        return self._issue_for_user(request, tid, device.client_id, device.user, device.scope)

    def _slow_down_error(self, request, device):
        # Azure AD files every "keep polling" answer under AADSTS70016, slow_down included.
        return self.error(request, 400, "slow_down", 70016,
                          "OAuth 2.0 device flow error. Polling faster than the interval of %d s." % device.interval)

    def _issue_for_user(self, request, tid, client_id, user, scope, nonce=None):
        resource, failure = self._resource(request, scope, user_flow=True)
        if failure:
            return failure
        tid = self.directory.tenant_id if tid in MULTI_TENANT else tid
        return self._user_response(request, client_id, tid, user, resource, scope, nonce=nonce)

    # --- a person signs in: the browser at the authorize page ------------------------------------------------

    def _page(self, status, text):
        return Response(status, ("<!DOCTYPE html><html><body><p>%s</p></body></html>" % text).encode(),
                        {"Cache-Control": "no-store"}, "text/html; charset=utf-8")

    @staticmethod
    def _redirect(redirect_uri, params):
        query = urllib.parse.urlencode({k: v for k, v in params.items() if v is not None})
        return Response(302, b"", {"Location": redirect_uri + ("&" if "?" in redirect_uri else "?") + query,
                                   "Cache-Control": "no-store"})

    def authorize(self, request, tenant):
        q = request.query
        tid = self.directory.resolve(tenant)
        if tid is None:
            return self._page(400, "AADSTS90002: Tenant '%s' not found." % tenant)
        app = self.directory.apps.get((q.get("client_id") or "").lower())
        if app is None:
            return self._page(400, "AADSTS700016: Application with identifier '%s' was not found in the "
                                   "directory." % q.get("client_id"))
        redirect_uri = q.get("redirect_uri") or ""
        parsed = urllib.parse.urlsplit(redirect_uri)
        if not app.public or parsed.scheme != "http" or not _is_loopback_host(parsed.hostname):
            return self._page(400, "AADSTS50011: The redirect URI '%s' specified in the request does not match "
                                   "the redirect URIs configured for the application '%s'."
                                   % (redirect_uri, app.client_id))
        state = q.get("state")
        choice = dict(self.pending.interactive)

        def fail(error, description):
            request.record["authorize_error"] = error
            return self._redirect(redirect_uri, {"error": error, "error_description": description,
                                                 "state": state})

        if q.get("response_type") != "code":
            return fail("unsupported_response_type", "AADSTS700054: response_type '%s' is not enabled for the "
                                                     "application." % q.get("response_type"))
        if q.get("code_challenge") and q.get("code_challenge_method", "plain") not in ("S256", "plain"):
            return fail("invalid_request", "AADSTS501491: Invalid code_challenge_method.")
        if choice.get("error"):
            return fail(choice["error"], choice.get("error_description")
                        or "AADSTS65004: User declined to consent to access the app.")
        resource, failure = self._resource(request, q.get("scope"), user_flow=True)
        if failure:
            # The token endpoint's error, as a redirect: its first line only (the ids stay with the page).
            refused = json.loads(failure.body)
            return fail(refused["error"], refused["error_description"].split("\r\n")[0])
        username = q.get("login_hint") or choice.get("user") or next(iter(self.directory.users))
        user = self.directory.users.get(username)
        if user is None:
            return self._page(400, "AADSTS50034: The user account %s does not exist in the %s directory."
                              % (username, self.directory.domain))
        code = AuthCode(app.client_id, q.get("scope"), redirect_uri, q.get("code_challenge"),
                        q.get("code_challenge_method", "plain"), q.get("nonce"), user)
        self.pending.add_code(code)
        request.record["signed_in_user"] = user.username
        home_tid = self.directory.tenant_id
        return self._redirect(redirect_uri, {"code": code.code, "state": state,
                                             "client_info": user_signin.client_info(user, home_tid),
                                             "session_state": str(uuid.uuid4())})

    def _authorization_code_grant(self, request, tenant, tid, form):
        if not form.get("code"):
            return self._missing(request, "code")
        auth, already = self.pending.take_code(form["code"])
        if auth is None or auth.expires_at < time.time():
            return self.error(request, 400, "invalid_grant", 70000,
                              "The provided authorization code is invalid or has expired.")
        if already:
            return self.error(request, 400, "invalid_grant", 54005,
                              "OAuth2 Authorization code was already redeemed, please retry with a new valid code "
                              "or use an existing refresh token.")
        if auth.client_id != (form.get("client_id") or "").lower():
            return self.error(request, 400, "invalid_grant", 70000,
                              "The provided authorization code was issued to another client.")
        if form.get("redirect_uri") != auth.redirect_uri:
            return self.error(request, 400, "invalid_grant", 70000,
                              "The redirect_uri does not match the one the authorization code was issued for.")
        if not user_signin.pkce_matches(auth, form.get("code_verifier")):
            request.record["pkce_ok"] = False
            return self.error(request, 400, "invalid_grant", 50148,
                              "The code_verifier does not match the code_challenge supplied in the authorization "
                              "request for PKCE.")
        request.record["pkce_ok"] = bool(auth.challenge)
        return self._issue_for_user(request, tid, auth.client_id, auth.user, form.get("scope") or auth.scope,
                                    auth.nonce)

    # --- the control API's side: what a person does in a browser ----------------------------------------------

    def control_routes(self):
        return {("POST", "/device/approve"): self._approve, ("POST", "/device/decline"): self._decline,
                ("POST", "/device/slow_down"): self._slow_down,
                ("GET", "/device"): self._devices, ("POST", "/interactive"): self._interactive}

    def _approve(self, request):
        spec = request.json() or {}
        device = self.pending.device_by_user_code(spec.get("user_code"))
        if device is None:
            return json_response(404, {"error": "no pending device code %r" % spec.get("user_code")})
        user = self.directory.users.get(spec.get("user") or next(iter(self.directory.users)))
        if user is None:
            return json_response(400, {"error": "no such user %r" % spec.get("user")})
        device.user = user
        return json_response(200, {"approved": device.user_code, "user": user.username})

    def _decline(self, request):
        spec = request.json() or {}
        device = self.pending.device_by_user_code(spec.get("user_code"))
        if device is None:
            return json_response(404, {"error": "no pending device code %r" % spec.get("user_code")})
        device.declined = True
        return json_response(200, {"declined": device.user_code})

    def _slow_down(self, request):
        """The next polls ({"count": n}, default 1) of that device code answer slow_down, as a throttled Azure AD
        would; the code's interval grows by 5 s each time (RFC 8628 3.5), so faster polls answer slow_down too."""
        spec = request.json() or {}
        device = self.pending.device_by_user_code(spec.get("user_code"))
        if device is None:
            return json_response(404, {"error": "no pending device code %r" % spec.get("user_code")})
        device.slow_downs = int(spec.get("count", 1))
        return json_response(200, {"slow_down": device.user_code, "count": device.slow_downs})

    def _devices(self, request):
        with self.pending.lock:
            return json_response(200, [{"user_code": d.user_code, "client_id": d.client_id, "scope": d.scope,
                                        "approved": d.user is not None} for d in self.pending.devices.values()])

    def _interactive(self, request):
        spec = request.json() or {}
        if spec.get("user") and spec["user"] not in self.directory.users:
            return json_response(400, {"error": "no such user %r" % spec["user"]})
        self.pending.interactive = {k: spec.get(k) for k in ("user", "error", "error_description") if spec.get(k)}
        return json_response(200, self.pending.interactive)


def _app_id_of(resource):
    """The client id an Application ID URI (api://{client id}, or the bare client id) names, lowercased."""
    name = resource.rstrip("/").lower()
    return name[len("api://"):] if name.startswith("api://") else name


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
