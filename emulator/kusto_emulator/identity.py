"""Identities that come from the environment: managed identity endpoints and a Kubernetes service-account issuer.

ManagedIdentityService answers the two managed-identity protocols, under their real paths on the emulator's host:
  IMDS         GET /metadata/identity/oauth2/token?api-version=2018-02-01&resource=...[&client_id=...]
               header "Metadata: true"
  App Service  GET /msi/token?api-version=2019-08-01&resource=...[&client_id=...]
               header "X-IDENTITY-HEADER: <the identity_header of the config>"
Both answer with string numbers ("expires_in": "3599", "expires_on": "1700000000"), as Azure does.

KubernetesIssuer signs a service-account token (a "federated token file") and checks client assertions made from it
for the federated application of the directory.
"""
import os
import secrets
import time
import uuid

from cryptography.hazmat.primitives.asymmetric import rsa

from .tokens import Signer, TokenError, unverified_claims
from .web import json_response

IMDS_PATH = "/metadata/identity/oauth2/token"
APP_SERVICE_PATH = "/msi/token"
EXCHANGE_AUDIENCE = "api://AzureADTokenExchange"
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


class ManagedIdentityService:
    def __init__(self, directory, signer, settings, refusal):
        self.directory = directory
        self.signer = signer
        self.settings = settings
        self.refusal = refusal          # callable(request, resource): Azure AD's AADSTS500011 text, or None
        self.system_assigned = str(uuid.uuid4())        # object ids
        self.user_assigned_client_id = str(uuid.uuid4())
        self.identity_header = secrets.token_urlsafe(24)

    def route(self, request):
        if request.path == IMDS_PATH:
            return self.imds(request)
        if request.path == APP_SERVICE_PATH:
            return self.app_service(request)
        return None

    def imds(self, request):
        if request.header("Metadata") != "true":
            return json_response(400, {"error": "invalid_request",
                                       "error_description": "Required metadata header not specified"})
        if request.query.get("api-version") != "2018-02-01":
            return json_response(400, {"error": "invalid_request", "error_description": "Invalid api-version"})
        return self._issue(request, lambda status, message: json_response(status, {
            "error": ("invalid_resource" if message.startswith("AADSTS500011") else "invalid_request") if status == 400
            else "not_found", "error_description": message}))

    def app_service(self, request):
        def error(status, message):
            return json_response(status, {"statusCode": status, "message": message,
                                          "correlationId": str(uuid.uuid4())})
        if request.header("X-IDENTITY-HEADER") != self.identity_header:
            return error(401, "The X-IDENTITY-HEADER is missing or wrong.")
        if request.query.get("api-version") != "2019-08-01":
            return error(400, "Invalid api-version.")
        return self._issue(request, error)

    def _issue(self, request, error):
        resource = request.query.get("resource")
        if not resource:
            return error(400, "Required audience parameter not specified")
        refused = self.refusal(request, resource)
        if refused:
            return error(400, refused)
        client_id = request.query.get("client_id")
        request.record["managed_identity_client_id"] = client_id
        if client_id and client_id.lower() != self.user_assigned_client_id:
            return error(400, "Identity not found")
        oid = self.user_assigned_client_id if client_id else self.system_assigned
        lifetime = max(1, int(self.settings["token_lifetime"]))
        now = int(time.time())
        issuer = self.directory.issuer()
        token = self.signer.sign({"aud": resource.rstrip("/"), "iss": issuer, "iat": now, "nbf": now,
                                  "exp": now + lifetime, "appid": client_id or oid, "idtyp": "app", "oid": oid,
                                  "sub": oid, "tid": self.directory.tenant_id, "ver": "1.0"})
        return json_response(200, {"access_token": token, "client_id": client_id or oid,
                                   "expires_in": str(lifetime), "expires_on": str(now + lifetime),
                                   "ext_expires_in": str(lifetime), "not_before": str(now),
                                   "resource": resource, "token_type": "Bearer"})


class KubernetesIssuer:
    """The cluster's service-account issuer: a key of its own, not Azure AD's."""

    ISSUER = "https://kubernetes.emulator.invalid"
    SUBJECT = "system:serviceaccount:default:libkusto"

    def __init__(self, directory_path, signing_cert):
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        # Signer wants a certificate for its kid; the subject key is what matters when checking.
        self.signer = Signer(self._key, signing_cert)
        self.token_file = os.path.join(directory_path, "federated-token")
        self.write_token()

    def write_token(self, lifetime=3600):
        now = int(time.time())
        token = self.signer.sign({"iss": self.ISSUER, "sub": self.SUBJECT, "aud": EXCHANGE_AUDIENCE,
                                  "iat": now, "nbf": now, "exp": now + lifetime})
        tmp = self.token_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(token)
        os.replace(tmp, self.token_file)

    def check(self, assertion):
        """None when the assertion is a valid service-account token, else the reason (never the token)."""
        claims = unverified_claims(assertion or "")
        if claims is None:
            return "the client assertion is not a JWT"
        try:
            self.signer.verify(assertion, [EXCHANGE_AUDIENCE])
        except TokenError as e:
            return str(e)
        if claims.get("iss") != self.ISSUER or claims.get("sub") != self.SUBJECT:
            return "no federated identity credential matches issuer '%s' and subject '%s'" % (
                claims.get("iss"), claims.get("sub"))
        return None
