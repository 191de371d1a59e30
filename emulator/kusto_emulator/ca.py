"""A throwaway certificate authority: a CA, a TLS server certificate signed by it, and a token-signing key.

Everything lives in one temporary directory that `Credentials.remove()` deletes.
"""
import datetime
import ipaddress
import os
import shutil
import ssl
import tempfile

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def _new_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _name(common_name):
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "libkusto emulator"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _builder(subject, issuer, public_key, days=30):
    now = datetime.datetime.now(datetime.timezone.utc)
    return (x509.CertificateBuilder()
            .subject_name(subject).issuer_name(issuer).public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=days))
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False))


def _make_ca():
    key = _new_key()
    name = _name("libkusto emulator throwaway CA")
    cert = (_builder(name, name, key.public_key())
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                         key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, key_cert_sign=True, crl_sign=True,
                                         encipher_only=False, decipher_only=False), critical=True)
            .sign(key, hashes.SHA256()))
    return key, cert


def _make_server_cert(ca_key, ca_cert, hosts):
    key = _new_key()
    names = [x509.DNSName("localhost")]
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    cert = (_builder(_name("localhost"), ca_cert.subject, key.public_key())
            .add_extension(x509.SubjectAlternativeName(list(dict.fromkeys(names))), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    return key, cert


def _make_signing_cert():
    """Azure AD publishes its signing keys with a self-signed certificate (the JWKS x5c)."""
    key = _new_key()
    name = _name("libkusto emulator token signing")
    return key, _builder(name, name, key.public_key(), days=365).sign(key, hashes.SHA256())


def _pem_cert(cert):
    return cert.public_bytes(serialization.Encoding.PEM)


def _pem_key(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _write(path, data, mode=0o600):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


class Credentials:
    """The emulator's CA file, TLS context and token-signing key."""

    def __init__(self, hosts=("127.0.0.1", "::1")):
        self.directory = tempfile.mkdtemp(prefix="kusto-emulator-")
        ca_key, ca_cert = _make_ca()
        server_key, server_cert = _make_server_cert(ca_key, ca_cert, hosts)
        self.signing_key, self.signing_cert = _make_signing_cert()
        self.ca_file = os.path.join(self.directory, "ca.pem")
        self._cert_file = os.path.join(self.directory, "server.pem")
        self._key_file = os.path.join(self.directory, "server.key")
        _write(self.ca_file, _pem_cert(ca_cert), 0o644)
        _write(self._cert_file, _pem_cert(server_cert) + _pem_cert(ca_cert), 0o644)
        _write(self._key_file, _pem_key(server_key))

    def application_certificate(self, name="libkusto test application"):
        """A self-signed certificate for an application's sign-in, written as PEM (key + certificate) and as a
        password-protected PFX: (cert, pem_path, pfx_path, pfx_password, sha1_hex)."""
        from cryptography.hazmat.primitives.serialization import pkcs12
        import secrets
        key = _new_key()
        subject = _name(name)
        cert = _builder(subject, subject, key.public_key(), days=365).sign(key, hashes.SHA256())
        pem_path = os.path.join(self.directory, "app-cert.pem")
        pfx_path = os.path.join(self.directory, "app-cert.pfx")
        password = secrets.token_urlsafe(12)
        _write(pem_path, _pem_key(key) + _pem_cert(cert))
        _write(pfx_path, pkcs12.serialize_key_and_certificates(
            b"libkusto", key, cert, None, serialization.BestAvailableEncryption(password.encode())))
        return cert, pem_path, pfx_path, password, cert.fingerprint(hashes.SHA1()).hex()

    def server_context(self):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(self._cert_file, self._key_file)
        return context

    def remove(self):
        shutil.rmtree(self.directory, ignore_errors=True)
