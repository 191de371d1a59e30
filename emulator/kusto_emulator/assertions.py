"""Client assertions (private_key_jwt) checked like Azure AD does: the registered certificate, the signature
(RS256 or PS256), the audience, the time window and the subject. Failures carry the AADSTS code Azure AD uses."""
import base64
import datetime
import hashlib
import json
import time

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from .tokens import b64url, b64url_decode

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
CLOCK_SKEW = 300


class AssertionError_(Exception):
    def __init__(self, code, error, description):
        super().__init__(description)
        self.code, self.error, self.description = code, error, description


def thumbprints(cert):
    der = cert.public_bytes(serialization.Encoding.DER)
    return b64url(hashlib.sha1(der).digest()), b64url(hashlib.sha256(der).digest())


def decode(assertion):
    """(header, claims, signing_input, signature) without checking anything; raises AssertionError_."""
    parts = assertion.split(".")
    try:
        header, claims = (json.loads(b64url_decode(p)) for p in parts[:2])
        signature = b64url_decode(parts[2])
        if len(parts) != 3 or not isinstance(header, dict) or not isinstance(claims, dict):
            raise ValueError
    except (ValueError, IndexError):
        raise AssertionError_(50027, "invalid_request", "JWT token is invalid or malformed.") from None
    return header, claims, (parts[0] + "." + parts[1]).encode("ascii"), signature


def _verify_signature(cert, alg, signing_input, signature):
    if alg == "RS256":
        pad = padding.PKCS1v15()
    elif alg == "PS256":
        pad = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=hashes.SHA256.digest_size)
    else:
        raise AssertionError_(5002738, "invalid_client", "Invalid JWT token. '%s' is not a supported signature "
                                                         "algorithm." % alg)
    try:
        cert.public_key().verify(signature, signing_input, pad, hashes.SHA256())
    except InvalidSignature:
        raise AssertionError_(700027, "invalid_client", "Client assertion failed signature validation.") from None


def _utc(seconds):
    return datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc).strftime("%m/%d/%Y %H:%M:%S")


def verify(assertion, app, token_endpoints, now=None):
    """The decoded (header, claims) of a valid client assertion for `app`; raises AssertionError_."""
    header, claims, signing_input, signature = decode(assertion)
    sha1, sha256 = thumbprints(app.cert) if app.cert is not None else (None, None)
    used = header.get("x5t#S256") or header.get("x5t")
    # MSAL Python pads its x5t with '=' (RFC 7515 base64url has none); Azure AD takes both.
    if app.cert is None or not isinstance(used, str) or used.rstrip("=") not in (sha1, sha256):
        raise AssertionError_(700027, "invalid_client",
                              "The certificate with identifier used to sign the client assertion is not "
                              "registered on application. [Reason - The key was not found., Thumbprint of key used "
                              "by client: '%s', Please visit the Azure Portal, Graph Explorer or directly use MS "
                              "Graph to see configured keys for app Id '%s'.]" % (used, app.client_id))
    x5c = header.get("x5c")
    registered = base64.b64encode(app.cert.public_bytes(serialization.Encoding.DER)).decode("ascii")
    if x5c is not None and (not isinstance(x5c, list) or not x5c or x5c[0].replace("\n", "") != registered):
        raise AssertionError_(700027, "invalid_client", "Client assertion failed signature validation. "
                                                        "[Reason - The x5c leaf certificate is not the one "
                                                        "registered.]")
    _verify_signature(app.cert, header.get("alg"), signing_input, signature)
    if claims.get("aud") not in token_endpoints:
        raise AssertionError_(50012, "invalid_client", "Client assertion audience claim does not match Realm "
                                                       "issuer.")
    if claims.get("iss") != app.client_id or claims.get("sub") != app.client_id:
        raise AssertionError_(700021, "invalid_client", "Client assertion application identifier doesn't match "
                                                        "'client_id' parameter.")
    if not claims.get("jti"):
        raise AssertionError_(50027, "invalid_request", "JWT token is invalid or malformed. [Reason - the 'jti' "
                                                        "claim is missing.]")
    now = time.time() if now is None else now
    exp, nbf = claims.get("exp"), claims.get("nbf", claims.get("iat", now))
    if not isinstance(exp, (int, float)) or not isinstance(nbf, (int, float)) or \
            not nbf - CLOCK_SKEW <= now <= exp + CLOCK_SKEW:
        raise AssertionError_(700024, "invalid_client",
                              "Client assertion is not within its valid time range. Current time: %s, assertion "
                              "valid from %s, expiry time of assertion %s. Review the documentation at "
                              "https://docs.microsoft.com/azure/active-directory/develop/"
                              "active-directory-certificate-credentials ." % (
                                  _utc(now), _utc(nbf) if isinstance(nbf, (int, float)) else "?",
                                  _utc(exp) if isinstance(exp, (int, float)) else "?"))
    return header, claims
