"""What users of azure-kusto-data bring: a KustoConnectionStringBuilder or ClientRequestProperties, read by their
fields (duck typing: azure-kusto-data is not imported). Query parameters as Python values are the extension's
(Client.query(parameters=...): the core writes each KQL literal and the declare statement)."""

# KustoConnectionStringBuilder's properties -> libkusto options (connection-string keywords in snake_case).
_KCSB_FIELDS = (
    ("data_source", "data_source"), ("initial_catalog", "initial_catalog"),
    ("application_client_id", "application_client_id"), ("application_key", "application_key"),
    ("aad_user_id", "user_id"), ("password", "password"), ("authority_id", "authority_id"),
    ("user_token", "user_token"), ("application_token", "application_token"),
    ("application_certificate", "application_certificate_blob"),
    ("application_certificate_thumbprint", "application_certificate_thumbprint"),
)

# Its sign-in flags -> sign_in.
_KCSB_SIGN_INS = (("az_cli_login", "azure_cli"), ("device_login", "device_code"), ("interactive_login", "interactive"),
                  ("msi_authentication", "managed_identity"))


def is_kcsb(value):
    return not isinstance(value, str) and hasattr(value, "data_source") and hasattr(value, "aad_federated_security")


def from_kcsb(kcsb, options):
    """The (connection string, options) a KustoConnectionStringBuilder means; options the caller gave win."""
    from . import UnsupportedError
    given = {}
    for field, option in _KCSB_FIELDS:
        value = getattr(kcsb, field, None)
        if value:
            given[option] = value
    if getattr(kcsb, "aad_federated_security", False):
        given["aad_federated_security"] = True
    if getattr(kcsb, "application_public_certificate", None) and "application_certificate_blob" in given:
        given["application_certificate_blob"] += "\n" + kcsb.application_public_certificate
        given["application_certificate_sendx5c"] = True
    for flag, sign_in in _KCSB_SIGN_INS:
        if getattr(kcsb, flag, False):
            given["sign_in"] = sign_in
    device_callback = getattr(kcsb, "device_callback", None)
    if device_callback:
        given["device_code_callback"] = _device_code_prompt(device_callback)
    msi = getattr(kcsb, "msi_parameters", None) or {}
    if msi.get("client_id"):
        given["managed_identity_client_id"] = msi["client_id"]
    if getattr(kcsb, "async_token_provider", None):
        raise UnsupportedError("an async token provider is not supported: give a token_callback or a credential")
    provider = getattr(kcsb, "token_provider", None)
    if provider:
        given["token_callback"] = lambda resource: provider()
    credential = getattr(kcsb, "azure_credential", None)
    if credential is not None:
        given["credential"] = credential
    given.update(options)
    return "", given


def _device_code_prompt(callback):
    """azure-kusto-data's device callback (verification_uri, user_code, expires_on as a UTC datetime) as ours."""
    def prompt(info):
        import datetime
        expires_on = datetime.datetime.fromtimestamp(info["expires_on"], datetime.timezone.utc)
        callback(info["verification_uri"], info["user_code"], expires_on)
    return prompt


def from_request_properties(properties, arguments):
    """The properties dict (Options plus Parameters) and call arguments of a ClientRequestProperties."""
    if isinstance(properties, dict) or properties is None or not hasattr(properties, "set_option"):
        return properties, arguments
    options = getattr(properties, "_options", None)
    parameters = getattr(properties, "_parameters", None)
    if options is None or parameters is None:
        import json
        whole = json.loads(properties.to_json())
        options, parameters = whole.get("Options", {}), whole.get("Parameters", {})
    merged = dict(options)
    if parameters:
        merged["Parameters"] = dict(parameters)
    arguments = dict(arguments)
    for name in ("client_request_id", "application", "user"):
        value = getattr(properties, name, None)
        if value is not None and arguments.get(name) is None:
            arguments[name] = value
    return merged, arguments
