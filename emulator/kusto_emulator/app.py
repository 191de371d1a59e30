"""The emulator as a whole: one tenant, one application, one cluster, and the test-control state.

handle() turns a Request into a Response: control requests go straight to the control API; every other request
is routed to Azure AD or Kusto, then armed faults may replace or delay its answer, and it is logged.
"""
import base64
import json
import time

from . import control
from . import aad
from .aad import AzureAD, Directory
from .ca import Credentials
from .identity import KubernetesIssuer, ManagedIdentityService
from .kusto_service import Cluster, KustoService
from .tokens import Signer
from .web import Response, json_response


def _redacted_headers(headers):
    out = {}
    for name, value in headers.items():
        if name.lower() == "x-identity-header":
            value = "<redacted>"
        elif name.lower() == "authorization":
            value = value.split(" ", 1)[0] + " <redacted>"
        out[name] = value
    return out


def _fault_response(fault):
    if fault.body_base64 is not None:   # any bytes, e.g. a canned body that is not valid UTF-8
        return Response(int(fault.status), base64.b64decode(fault.body_base64), content_type="application/json")
    if isinstance(fault.body, (dict, list)):
        return json_response(int(fault.status), fault.body)
    return Response(int(fault.status), str(fault.body).encode("utf-8"), content_type="text/plain; charset=utf-8")


class Emulator:
    def __init__(self, host="127.0.0.1", request_log=None):
        self.credentials = Credentials(hosts=(host, "127.0.0.1", "::1"))
        self.signer = Signer(self.credentials.signing_key, self.credentials.signing_cert)
        self.directory = Directory()
        self.app = self.directory.register("libkusto tests")
        cert, self.cert_pem_file, self.cert_pfx_file, self.cert_pfx_password, self.cert_thumbprint = \
            self.credentials.application_certificate()
        self.cert_app = self.directory.register("libkusto certificate tests", cert=cert)
        self.public_app = self.directory.register("Kusto client (public)", client_id=aad.KUSTO_PUBLIC_CLIENT_ID,
                                                  public=True)
        self.users = [self.directory.add_user("alice", "Alice Example"), self.directory.add_user("bob", "Bob Example")]
        self.user = self.users[0]
        self.cluster = Cluster(self.directory)
        self.settings = control.Settings()
        self.faults = control.Faults()
        self.log = control.RequestLog(request_log)
        self.control = control.Control(self.log, self.faults, self.settings)
        self.federated_app = self.directory.register("libkusto workload identity")
        self.federated_app.federated = True
        self.kubernetes = KubernetesIssuer(self.credentials.directory, self.credentials.signing_cert)
        self.managed_identity = ManagedIdentityService(self.directory, self.signer, self.settings,
                                                       lambda request, resource: self.aad.refusal(request, resource))
        self.aad = AzureAD(self.directory, self.signer, self.settings)
        self.aad.federation = self.kubernetes
        self.control.routes.update(self.aad.control_routes())
        self.control.on_reset.append(self.aad.pending.reset)
        self.kusto = KustoService(self.cluster, self.signer, self.settings)
        self.aad.resources = self.resource_principals
        self.services = [self.kusto, self.aad, self.managed_identity]

    def bind(self, host, port):
        """Called once the listening port is known."""
        host = "[%s]" % host if ":" in host else host
        self.directory.base_url = "https://%s:%d" % (host, port)
        self.cluster.resource = "https://%s" % host

    def resource_principals(self):
        """The resources this tenant's Azure AD knows (others get AADSTS500011): the cluster under each loopback
        name it answers to, and what its metadata advertises (with the MFA twin when that is required)."""
        names = [self.cluster.resource] + ["https://%s" % h for h in ("127.0.0.1", "localhost", "[::1]")]
        return names + list(self.kusto.audiences())

    def config(self):
        base, tenant, app = self.directory.base_url, self.directory.tenant_id, self.app
        authority = "%s/%s" % (base, tenant)
        database = self.cluster.databases[0]
        return {"authority": authority, "tenant": tenant, "tenant_domain": self.directory.domain,
                "login_endpoint": base, "cluster": base, "resource": self.cluster.resource, "database": database,
                "ca_file": self.credentials.ca_file, "client_id": app.client_id, "client_secret": app.secret,
                "control": base + control.PREFIX,
                "imds_endpoint": base, "identity_endpoint": base + "/msi/token",
                "identity_header": self.managed_identity.identity_header,
                "managed_identity_client_id": self.managed_identity.user_assigned_client_id,
                "federated_client_id": self.federated_app.client_id,
                "federated_token_file": self.kubernetes.token_file,
                "cert_client_id": self.cert_app.client_id, "cert_pem_file": self.cert_pem_file,
                "cert_pfx_file": self.cert_pfx_file, "cert_pfx_password": self.cert_pfx_password,
                "cert_thumbprint": self.cert_thumbprint, "user": self.user.username, "password": self.user.password,
                "public_client_id": self.public_app.client_id,
                "users": [user.describe() for user in self.users],
                "connection_string": "Data Source=%s;Initial Catalog=%s;AAD Federated Security=True;"
                                     "Application Client Id=%s;Application Key=%s;Authority Id=%s"
                                     % (base, database, app.client_id, app.secret, authority)}

    def handle(self, request):
        """(Response, truncate_after or None)."""
        if request.path == control.PREFIX + "/mint_user_tokens" and request.method == "POST":
            # Test affordance: a user's tokens (with a refresh token) as if a user had signed in.
            spec = json.loads(request.body or b"{}")
            return json_response(200, self.aad.mint_user_tokens(spec.get("client_id", self.app.client_id),
                                                                spec.get("username", "ann@contoso.example"),
                                                                spec.get("scope", self.cluster.resource
                                                                         + "/.default"))), None
        if request.path == control.PREFIX or request.path.startswith(control.PREFIX + "/"):
            return self.control.handle(request), None
        fault = self.faults.take(request.path)
        with self.faults.holding(fault):
            response = self._route(request)
            if fault and fault.status is not None:
                response = _fault_response(fault)
            if fault:
                response.headers.update(fault.headers)
            request.log_entry = self.log.append(self._record(request, response, fault))
        return response, (int(fault.truncate_after) if fault and fault.truncate_after is not None else None)

    def client_went_away(self, request):
        """The server could not write the whole answer: the request's log entry says "closed": true."""
        if getattr(request, "log_entry", None) is not None:
            self.log.mark_closed(request.log_entry)

    def _route(self, request):
        for service in self.services:
            response = service.route(request)
            if response is not None:
                return response
        return json_response(404, {"error": {"code": "NotFound", "message": "No such endpoint: %s %s"
                                             % (request.method, request.path)}})

    @staticmethod
    def _record(request, response, fault):
        record = {"time": time.time(), "method": request.method, "path": request.path, "query": request.query,
                  "headers": _redacted_headers(request.headers),
                  "has_authorization": request.header("Authorization") is not None,
                  "status": response.status}
        if fault:
            record["fault"] = fault.describe()
        record.update(request.record)
        return json.loads(json.dumps(record, default=str))

    def close(self):
        self.log.close()
        self.credentials.remove()
