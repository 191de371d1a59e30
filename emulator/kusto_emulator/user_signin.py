"""Sign-ins by a person: test users, device codes waiting for a person, authorization codes waiting to be redeemed,
and the tokens a user gets (access token, refresh token, id token, client_info).

Tests play the person through the control API: POST /_emulator/device/approve {"user_code", "user"} (or /decline)
is what someone does at the verification page, and POST /_emulator/interactive {"user", "error"} decides what the
authorize page does when a "browser" comes (sign in as that user, or redirect with that error).
"""
import base64
import hashlib
import hmac
import json
import secrets
import string
import threading
import time
import uuid

USER_CODE_ALPHABET = string.ascii_uppercase + string.digits
OIDC_SCOPES = ("openid", "profile", "offline_access", "email")


class User:
    def __init__(self, username, name, password=None):
        self.username = username
        self.name = name
        self.password = password    # for the username/password (ROPC) grant
        self.object_id = str(uuid.uuid4())

    def describe(self):
        return {"username": self.username, "name": self.name, "oid": self.object_id}


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def pkce_s256(verifier):
    return b64url(hashlib.sha256(verifier.encode("ascii")).digest())


class DeviceCode:
    def __init__(self, client_id, scope, lifetime, interval):
        self.client_id = client_id
        self.scope = scope
        self.user_code = "".join(secrets.choice(USER_CODE_ALPHABET) for _ in range(9))
        self.device_code = secrets.token_urlsafe(48)
        self.expires_at = time.time() + lifetime
        self.interval = interval
        self.last_poll = None
        self.slow_downs = 0         # polls still to answer slow_down (control API: /device/slow_down)
        self.user = None            # set when a person approves
        self.declined = False


class AuthCode:
    def __init__(self, client_id, scope, redirect_uri, challenge, method, nonce, user):
        self.code = secrets.token_urlsafe(48)
        self.client_id = client_id
        self.scope = scope
        self.redirect_uri = redirect_uri
        self.challenge = challenge
        self.method = method
        self.nonce = nonce
        self.user = user
        self.expires_at = time.time() + 600
        self.redeemed = False


class Pending:
    """Device codes and authorization codes in flight, shared by the token endpoint and the control API."""

    def __init__(self):
        self.lock = threading.Lock()
        self.devices = {}           # device_code -> DeviceCode
        self.codes = {}             # code -> AuthCode
        self.interactive = {}       # what the authorize page does: {"user": username, "error": code}

    def add_device(self, device):
        with self.lock:
            self.devices[device.device_code] = device

    def device_by_user_code(self, user_code):
        with self.lock:
            for device in self.devices.values():
                if device.user_code == (user_code or "").upper():
                    return device
        return None

    def add_code(self, code):
        with self.lock:
            self.codes[code.code] = code

    def take_code(self, code):
        """The AuthCode (marked redeemed, so a second use is refused), or None."""
        with self.lock:
            found = self.codes.get(code)
            if found is None:
                return None, False
            already = found.redeemed
            found.redeemed = True
            return found, already

    def reset(self):
        with self.lock:
            self.devices.clear()
            self.codes.clear()
            self.interactive = {}


def pkce_matches(auth_code, verifier):
    if not auth_code.challenge:
        return True
    if not verifier:
        return False
    expected = pkce_s256(verifier) if auth_code.method == "S256" else verifier
    return hmac.compare_digest(expected.encode(), auth_code.challenge.encode())


def client_info(user, tid):
    return b64url(json.dumps({"uid": user.object_id, "utid": tid}, separators=(",", ":")).encode())


def user_tokens(signer, issuer, tid, client_id, user, resource, scope, lifetime, audience=None, nonce=None,
                with_client_info=True):
    """The token endpoint's answer to every user sign-in (password, device code, authorization code, on-behalf-of,
    refresh token, and the control API's minted tokens), as Azure AD v2 gives it: the scopes granted on the resource,
    a refresh token when offline_access was asked, an id token when openid was, client_info when asked."""
    asked, now = scope.split(), int(time.time())
    access = signer.sign({
        "aud": audience or resource, "iss": issuer, "iat": now, "nbf": now, "exp": now + lifetime,
        "aio": secrets.token_urlsafe(24), "azp": client_id, "azpacr": "0", "appid": client_id, "appidacr": "0",
        "idtyp": "user", "name": user.name, "oid": user.object_id, "preferred_username": user.username,
        "upn": user.username, "scp": "user_impersonation", "sub": b64url(hashlib.sha256(
            (user.object_id + client_id).encode()).digest()), "tid": tid, "uti": secrets.token_urlsafe(16),
        "ver": "2.0"})
    answer = {"token_type": "Bearer", "scope": "%s/user_impersonation %s/.default" % (resource, resource),
              "expires_in": lifetime, "ext_expires_in": lifetime, "access_token": access}
    if "offline_access" in asked:
        answer["refresh_token"] = "1.A" + secrets.token_urlsafe(96)
    if "openid" in asked:
        id_claims = {"aud": client_id, "iss": issuer, "iat": now, "nbf": now, "exp": now + 3600,
                     "name": user.name, "oid": user.object_id, "preferred_username": user.username,
                     "sub": b64url(hashlib.sha256((user.object_id + client_id + "id").encode()).digest()),
                     "tid": tid, "ver": "2.0"}
        if nonce:
            id_claims["nonce"] = nonce
        answer["id_token"] = signer.sign(id_claims)
    if with_client_info:
        answer["client_info"] = client_info(user, tid)
    return answer
