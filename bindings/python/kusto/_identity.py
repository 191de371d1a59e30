"""azure-core's TokenCredential protocol both ways, without importing azure-core or azure-identity.

In: Client(cs, credential=cred) asks any object with get_token / get_token_info (DefaultAzureCredential,
ClientSecretCredential, ...) for "{resource}/.default" and keeps its token until 5 minutes before it expires
(or until its refresh_on), so a credential that does not cache (the Azure CLI's) is not asked at every query.

Out: kusto.Credential(cs) is a TokenCredential backed by libkusto's sign-in and token cache, for azure-storage,
azure-kusto-ingest or any azure-core pipeline."""
import time


# Field for field what azure.core.credentials.AccessToken and AccessTokenInfo hold, as tuples (azure-core reads
# attributes and unpacks AccessToken), so these are accepted wherever its own are. Not collections.namedtuple:
# importing collections would cost `import kusto` a sixth of its time.
class AccessToken(tuple):
    """(token, expires_on), as azure.core.credentials.AccessToken."""
    __slots__ = ()
    token = property(lambda self: self[0])
    expires_on = property(lambda self: self[1])

    def __new__(cls, token, expires_on):
        return tuple.__new__(cls, (token, expires_on))

    def __repr__(self):
        return "AccessToken(token='***', expires_on=%r)" % (self.expires_on,)


class AccessTokenInfo(tuple):
    """(token, expires_on, token_type, refresh_on), as azure.core.credentials.AccessTokenInfo."""
    __slots__ = ()
    token = property(lambda self: self[0])
    expires_on = property(lambda self: self[1])
    token_type = property(lambda self: self[2])
    refresh_on = property(lambda self: self[3])

    def __new__(cls, token, expires_on, token_type="Bearer", refresh_on=None):
        return tuple.__new__(cls, (token, expires_on, token_type, refresh_on))

    def __repr__(self):
        return "AccessTokenInfo(token='***', expires_on=%r, token_type=%r, refresh_on=%r)" % self[1:]


# As the core renews its own cached tokens.
_RENEW_MARGIN_SECONDS = 300


def is_token_credential(value):
    return callable(getattr(value, "get_token_info", None)) or callable(getattr(value, "get_token", None))


class CredentialTokens:
    """A token_callback asking an azure-core TokenCredential, one token kept per resource."""

    def __init__(self, credential):
        if not is_token_credential(credential):
            raise TypeError("credential must be an azure-core TokenCredential (with get_token or get_token_info), "
                            "not %s" % type(credential).__name__)
        self._credential = credential
        self._kept = {}  # resource -> (token, expires_on, renew_at)

    def __call__(self, resource):
        kept = self._kept.get(resource)
        if kept and time.time() < kept[2]:
            return kept[0], kept[1]
        token, expires_on, refresh_on = self._ask(resource + "/.default")
        renew_at = expires_on - _RENEW_MARGIN_SECONDS
        if refresh_on:
            renew_at = min(renew_at, refresh_on)
        self._kept[resource] = (token, expires_on, renew_at)
        return token, expires_on

    def _ask(self, scope):
        get_token_info = getattr(self._credential, "get_token_info", None)
        if callable(get_token_info):
            info = get_token_info(scope)
            return info.token, int(info.expires_on), getattr(info, "refresh_on", None)
        token = self._credential.get_token(scope)
        return token.token, int(token.expires_on), None


class Credential:
    """libkusto's sign-in as an azure-core TokenCredential.

        credential = kusto.Credential(cs)                 # or kusto.Credential(client)
        BlobServiceClient(url, credential=credential)     # the same identity, the same token cache

    `cs` is a connection string (plus client options as keywords) or a kusto.Client, whose sign-in and cache
    are then shared. get_token(scope) is a token for that scope's resource ("{resource}/.default"), from the
    cache while it has more than 5 minutes left. Claims challenges and other tenants are not supported
    (kusto.UnsupportedError)."""

    def __init__(self, connection_string, **options):
        from . import Client
        self._owned = not isinstance(connection_string, Client)
        self._client = Client(connection_string, **options) if self._owned else connection_string

    def get_token(self, *scopes, claims=None, tenant_id=None, enable_cae=False, **kwargs):
        token = self._acquire(scopes, claims, tenant_id)
        return AccessToken(token["access_token"], token["expires_on"])

    def get_token_info(self, *scopes, options=None):
        options = options or {}
        token = self._acquire(scopes, options.get("claims"), options.get("tenant_id"))
        return AccessTokenInfo(token["access_token"], token["expires_on"], token["token_type"])

    def _acquire(self, scopes, claims, tenant_id):
        from . import ArgumentError, UnsupportedError
        if len(scopes) != 1:
            raise ArgumentError("get_token takes one scope, \"{resource}/.default\"; got %d" % len(scopes))
        if claims:
            raise UnsupportedError("claims challenges are not supported: libkusto cannot ask Azure AD for them")
        if tenant_id:
            raise UnsupportedError("a token for another tenant (tenant_id=%r) is not supported: give the tenant in "
                                   "the connection string's Authority Id" % tenant_id)
        return self._client.acquire_token(scopes[0])

    def close(self):
        if self._owned:
            self._client.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
