"""RS256 JSON Web Tokens: signing access tokens, checking them, and the JWKS that publishes the key."""
import base64
import hashlib
import json
import time

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _int_b64url(number):
    return b64url(number.to_bytes((number.bit_length() + 7) // 8, "big"))


class TokenError(Exception):
    """Why a bearer token was refused; the message never contains the token."""


class Signer:
    def __init__(self, key, cert):
        self._key = key
        self._cert = cert
        der = cert.public_bytes(serialization.Encoding.DER)
        self.x5t = b64url(hashlib.sha1(der).digest())
        self.kid = self.x5t
        self._x5c = base64.b64encode(der).decode("ascii")

    def sign(self, claims):
        header = {"typ": "JWT", "alg": "RS256", "x5t": self.x5t, "kid": self.kid}
        signing_input = (b64url(json.dumps(header, separators=(",", ":")).encode()) + "." +
                         b64url(json.dumps(claims, separators=(",", ":")).encode()))
        signature = self._key.sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
        return signing_input + "." + b64url(signature)

    def jwks(self, issuer):
        numbers = self._key.public_key().public_numbers()
        return {"keys": [{"kty": "RSA", "use": "sig", "kid": self.kid, "x5t": self.x5t,
                          "n": _int_b64url(numbers.n), "e": _int_b64url(numbers.e),
                          "x5c": [self._x5c], "issuer": issuer}]}

    def verify(self, token, audiences, now=None):
        """Returns the claims of a valid token; raises TokenError otherwise."""
        claims = unverified_claims(token)
        if claims is None:
            raise TokenError("the bearer token is not a well-formed JWT")
        header_b64, payload_b64, signature_b64 = token.split(".")
        try:
            header = json.loads(b64url_decode(header_b64))
            self._key.public_key().verify(b64url_decode(signature_b64),
                                          (header_b64 + "." + payload_b64).encode("ascii"),
                                          padding.PKCS1v15(), hashes.SHA256())
        except (ValueError, InvalidSignature):
            raise TokenError("the bearer token's signature is invalid") from None
        if header.get("alg") != "RS256" or header.get("kid") != self.kid:
            raise TokenError("the bearer token was not signed by a known key")
        now = time.time() if now is None else now
        if not isinstance(claims.get("exp"), (int, float)) or claims["exp"] <= now:
            raise TokenError("the bearer token has expired (IDX10223: Lifetime validation failed)")
        if isinstance(claims.get("nbf"), (int, float)) and claims["nbf"] > now:
            raise TokenError("the bearer token is not yet valid")
        if claims.get("aud") not in audiences:
            raise TokenError("the bearer token's audience '%s' is not valid for this cluster "
                             "(IDX10214: Audience validation failed)" % claims.get("aud"))
        return claims


def unverified_claims(token):
    """The payload of a JWT without checking it (for the request log), or None."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        claims = json.loads(b64url_decode(parts[1]))
    except ValueError:
        return None
    return claims if isinstance(claims, dict) else None
