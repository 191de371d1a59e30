"""The Kusto (Azure Data Explorer) side: cloud metadata, /v2/rest/query, /v1/rest/query and /v1/rest/mgmt.

Queries and commands need a bearer token signed by the emulator for its resource; errors use the service's
OneApiError body {"error": {"code", "message", "@type", "@message", "@context", "@permanent"}}.
"""
import json
import re
import uuid

from . import kql, known, results, samples, tabular, tokens, values
from .web import Response, json_response, text_response

KUSTO_CLIENT_APP_ID = "db662dc1-0cfe-4e1c-a843-19a68e65be58"
SERVICE_VERSION = "1.0.9999.1"
COMMANDS_IMPLEMENTED = ".show version, .show databases, .show tables"
QUERY_PATHS = {"/v2/rest/query": "v2", "/v1/rest/query": "v1", "/v1/rest/mgmt": "mgmt"}


class Cluster:
    def __init__(self, directory, databases=("Samples",)):
        self.directory = directory
        self.databases = list(databases)
        self.database_ids = {name: str(uuid.uuid4()) for name in self.databases}
        self.tables = {name: samples.TABLES.get(name, {}) for name in self.databases}
        self.resource = None            # e.g. https://127.0.0.1, set once the server is bound

    @property
    def authority(self):
        return "%s/%s" % (self.directory.base_url, self.directory.tenant_id)


class KustoService:
    def __init__(self, cluster, signer, settings):
        self.cluster = cluster
        self.signer = signer
        self.settings = settings

    def route(self, request):
        if request.path == "/v1/rest/auth/metadata" and request.method == "GET":
            return self.auth_metadata()
        if request.path in QUERY_PATHS:
            return self.execute(request, QUERY_PATHS[request.path])
        return None

    def advertised_resource(self):
        return self.settings["metadata_resource"] or self.cluster.resource

    def audiences(self):
        """What tokens must be for: the resource the metadata advertises, its ".kustomfa." twin when MFA is on."""
        resource = self.advertised_resource().rstrip("/")
        if self.settings["metadata_mfa_required"]:
            resource = resource.replace(".kusto.", ".kustomfa.", 1)
        return (resource, resource + "/")

    def auth_metadata(self):
        login = self.cluster.directory.base_url
        if self.settings["metadata_status"] != 200:
            return json_response(int(self.settings["metadata_status"]),
                                 {"error": {"code": "NotFound", "message": "no cloud metadata here"}})
        return json_response(200, {
            "AzureAD": {"LoginEndpoint": login, "LoginMfaRequired": self.settings["metadata_mfa_required"],
                        "KustoClientAppId": KUSTO_CLIENT_APP_ID,
                        "KustoClientRedirectUri": "https://microsoft/kustoclient",
                        "KustoServiceResourceId": self.advertised_resource(),
                        "FirstPartyAuthorityUrl": self.cluster.authority},
            "dSTS": {"CloudEndpointSuffix": "emulator.invalid", "DstsRealm": "realm://dsts.emulator.invalid",
                     "DstsInstance": "dsts.emulator.invalid", "KustoDnsHostName": "emulator.invalid",
                     "ServiceName": "kusto"}})

    # --- one query or command ---------------------------------------------------------------------------

    def execute(self, request, api):
        call = results.CallInfo(str(uuid.uuid4()), request.header("x-ms-client-request-id"))
        headers = {"x-ms-activity-id": call.activity_id}
        if request.header("x-ms-client-request-id"):
            headers["x-ms-client-request-id"] = request.header("x-ms-client-request-id")
        response = self._execute(request, api, call)
        response.headers.update(headers)
        return response

    def _execute(self, request, api, call):
        refusal = self.authenticate(request, call)
        if refusal:
            return refusal
        if request.method != "POST":
            return self.bad_request(call, "Kusto.Data.Exceptions.KustoBadRequestException",
                                    "Request is invalid and cannot be processed: the emulator accepts POST only")
        try:
            db, csl, options, parameters = self.parse_body(request)
        except ValueError as e:
            return self.bad_request(call, "Kusto.Data.Exceptions.KustoBadRequestException",
                                    "Request is invalid and cannot be processed: %s" % e)
        if db not in self.cluster.databases:
            return self.bad_request(call, "Kusto.Data.Exceptions.DatabaseNotFoundException",
                                    "Database '%s' was not found." % db)
        if csl.lstrip().startswith("."):
            if api == "v2":
                return self.v2_command_refusal(call)
            return self.command(csl, call, db)
        try:
            table = tabular.compile_query(csl, self.cluster.tables[db], parameters)
        except kql.KqlError as e:
            error_type = "Kusto.Data.Exceptions.%sException" % e.kind
            return self.bad_request(call, error_type, "Request is invalid and cannot be processed: %s" % e)
        except known.NotSupported as e:
            return self.not_supported(call, e)
        shape = results.Options(options, csl)
        if api == "v2":
            body = results.v2_body(table, shape, call, self.settings["rows_per_fragment"])
        else:
            body = results.v1_query_body(table, shape, call)
        return Response(200, body, content_type="application/json; charset=utf-8")

    def parse_body(self, request):
        try:
            body = request.json()
        except (ValueError, UnicodeDecodeError):
            raise ValueError("the request body is not valid JSON") from None
        if not isinstance(body, dict) or not isinstance(body.get("csl"), str):
            raise ValueError("the request body must be a JSON object with 'db' and 'csl'")
        request.record["body"] = {"db": body.get("db"), "csl": body["csl"], "properties": body.get("properties")}
        properties = body.get("properties") or {}
        if isinstance(properties, str):
            properties = json.loads(properties)
        if not isinstance(properties, dict):
            raise ValueError("'properties' must be a JSON object")
        options = properties.get("Options") or properties.get("options") or {}
        parameters = properties.get("Parameters") or properties.get("parameters") or {}
        if not isinstance(parameters, dict):
            raise ValueError("'Parameters' must be a JSON object")
        return body.get("db"), body["csl"], options, parameters

    # --- authentication ---------------------------------------------------------------------------------

    def authenticate(self, request, call):
        header = request.header("Authorization") or ""
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return self.unauthorized(call, None, "the request has no bearer token (Authorization header missing)")
        token = token.strip()
        claims = tokens.unverified_claims(token)
        request.record["token_aud"] = claims.get("aud") if claims else None
        try:
            self.signer.verify(token, self.audiences())
        except tokens.TokenError as e:
            return self.unauthorized(call, "invalid_token", str(e))
        return None

    def unauthorized(self, call, error, reason):
        challenge = 'Bearer authorization_uri="%s"' % self.cluster.authority
        if error:
            challenge += ', error="%s", error_description="%s"' % (error, reason.replace('"', "'"))
        body = call.one_api_error("Unauthorized", "The request is unauthorized.",
                                  "Kusto.Common.Svc.Exceptions.UnauthorizedOperationException",
                                  "Unauthorized: %s" % reason, True)
        return json_response(401, body, {"WWW-Authenticate": challenge})

    def bad_request(self, call, error_type, description):
        return json_response(400, call.one_api_error("General_BadRequest", "Request is invalid and cannot be "
                                                     "executed.", error_type, description, True))

    def not_supported(self, call, error):
        """Valid Kusto the emulator does not implement: said as such, in the service's error shape."""
        return self.bad_request(call, "Kusto.Emulator.NotSupportedException",
                                "Request is invalid and cannot be processed: %s" % error)

    # --- control commands -------------------------------------------------------------------------------

    @staticmethod
    def v2_command_refusal(call):
        return text_response(400, "Bad request: Control commands (starting with a dot '.') do not support "
                                  "api_version=v2\nError details:\nClientRequestId='%s', ActivityId='%s', "
                                  "Timestamp='%s'.\n" % (call.client_request_id, call.activity_id,
                                                         values.format_datetime(values.now_ticks())))

    def command(self, csl, call, db):
        normalized = re.sub(r"\s+", " ", csl.strip().rstrip(";")).lower()
        if normalized == ".show version":
            table = kql.Table([("BuildVersion", "string"), ("BuildTime", "datetime"), ("ServiceType", "string"),
                               ("ProductVersion", "string")],
                              [(SERVICE_VERSION, values.parse_datetime("2024-01-01T00:00:00Z"), "Engine",
                                "KustoEmulator_" + SERVICE_VERSION)])
        elif normalized == ".show databases":
            table = kql.Table([("DatabaseName", "string"), ("PersistentStorage", "string"), ("Version", "string"),
                               ("IsCurrent", "bool"), ("DatabaseAccessMode", "string"), ("PrettyName", "string"),
                               ("ReservedSlot1", "bool"), ("DatabaseId", "guid"), ("InTransitionTo", "string")],
                              [(name, "", "v1.0", False, "ReadWrite", None, None, self.cluster.database_ids[name], "")
                               for name in self.cluster.databases])
        elif normalized == ".show tables":
            table = kql.Table([("TableName", "string"), ("DatabaseName", "string"), ("Folder", "string"),
                               ("DocString", "string")],
                              [(name, db, "", "") for name in self.cluster.tables[db]])
        else:
            word = csl.strip().split()[0]
            if word.lower() == ".show" or word[1:].lower() in known.COMMAND_VERBS:
                return self.not_supported(call, known.NotSupported(
                    "the command '%s'" % " ".join(csl.split()[:2]), COMMANDS_IMPLEMENTED))
            return self.bad_request(call, "Kusto.Data.Exceptions.SyntaxException",
                                    "Request is invalid and cannot be processed: Syntax error: SYN0002: "
                                    "Query could not be parsed at '%s' on line [1,1]" % word)
        return Response(200, results.v1_command_body(table), content_type="application/json; charset=utf-8")
