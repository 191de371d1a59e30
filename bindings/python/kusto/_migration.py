"""What users of azure-kusto-data bring: a KustoConnectionStringBuilder or ClientRequestProperties, read by their
fields (duck typing: azure-kusto-data is not imported), and query parameters as Python values. The value types'
modules are imported when a call needs them: `import kusto` stays light."""
import math

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


# --- query parameters ----------------------------------------------------------------------------------------------

_LONG_MIN, _LONG_MAX = -2 ** 63, 2 ** 63 - 1
_TICKS_PER_SECOND = 10 ** 7


def _timespan(delta):
    ticks = (delta.days * 86400 + delta.seconds) * _TICKS_PER_SECOND + delta.microseconds * 10
    sign, ticks = ("-", -ticks) if ticks < 0 else ("", ticks)
    seconds, fraction = divmod(ticks, _TICKS_PER_SECOND)
    days, seconds = divmod(seconds, 86400)
    return "%s%d.%02d:%02d:%02d.%07d" % (sign, days, seconds // 3600, seconds // 60 % 60, seconds % 60, fraction)


def _datetime(when):
    import datetime
    if when.tzinfo is not None:
        when = when.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + "%06d0Z" % when.microsecond


def _real(number):
    if math.isnan(number):
        return "real(nan)"
    if math.isinf(number):
        return "real(+inf)" if number > 0 else "real(-inf)"
    return "real(%r)" % number


def kql_literal(name, value):
    """(Kusto type, literal text) of a Python value, for `declare query_parameters` and the request's Parameters."""
    import datetime
    import decimal
    import json
    import uuid

    from . import ArgumentError
    if isinstance(value, bool):
        return "bool", "true" if value else "false"
    if isinstance(value, int):
        if not _LONG_MIN <= value <= _LONG_MAX:
            raise ArgumentError("query parameter %s: %d does not fit Kusto's long" % (name, value))
        return "long", str(value)
    if isinstance(value, float):
        return "real", _real(value)
    if isinstance(value, str):
        return "string", json.dumps(value, ensure_ascii=False)
    if isinstance(value, datetime.datetime):  # naive: UTC, as Kusto's datetimes are
        return "datetime", "datetime(%s)" % _datetime(value)
    if isinstance(value, datetime.date):
        return "datetime", "datetime(%s)" % value.isoformat()
    if isinstance(value, datetime.timedelta):
        return "timespan", "timespan(%s)" % _timespan(value)
    if isinstance(value, uuid.UUID):
        return "guid", "guid(%s)" % value
    if isinstance(value, decimal.Decimal):
        if not value.is_finite():
            raise ArgumentError("query parameter %s: Kusto's decimal has no %s" % (name, value))
        return "decimal", "decimal(%s)" % format(value, "f")
    if isinstance(value, (dict, list, tuple)):
        return "dynamic", "dynamic(%s)" % json.dumps(value, ensure_ascii=False, allow_nan=False)
    raise ArgumentError("query parameter %s: %s has no Kusto type (give int, float, bool, str, datetime, timedelta, "
                        "UUID, Decimal, dict or list)" % (name, "None" if value is None else type(value).__name__))


def with_parameters(csl, properties, parameters):
    """csl with `declare query_parameters(...)` written for the parameters, and properties with their values."""
    from . import ArgumentError
    if not parameters:
        return csl, properties
    declared, values = [], {}
    for name, value in parameters.items():
        if not isinstance(name, str) or not name.isidentifier():
            raise ArgumentError("query parameter name %r is not a Kusto identifier" % (name,))
        kusto_type, literal = kql_literal(name, value)
        declared.append("%s:%s" % (name, kusto_type))
        values[name] = literal
    properties = dict(properties or {})
    properties["Parameters"] = dict(properties.get("Parameters") or {}, **values)
    return "declare query_parameters(%s);\n%s" % (", ".join(declared), csl), properties
