"""The embedded server's TLS certificate: the operator's own, or a self-signed one for this machine.

The self-signed certificate covers localhost, 127.0.0.1 and ::1 only. It is made on first start,
kept under the key folder (key mode 0600), reused while it is valid and replaced once it has expired
or is about to.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

SELF_SIGNED_NAMES = ("localhost",)
SELF_SIGNED_ADDRESSES = ("127.0.0.1", "::1")
SELF_SIGNED_LIFETIME = datetime.timedelta(days=365)
# Renewed a little before expiry, so a server started today still serves a valid one tomorrow.
RENEW_BEFORE = datetime.timedelta(days=7)


class CertificateError(Exception):
    """The configured certificate or key cannot be used; the message says which file and why."""


@dataclass(frozen=True)
class ServerCertificate:
    cert: Path
    key: Path
    self_signed: bool


def server_certificate(cert: str, key: str, key_dir: Path) -> ServerCertificate:
    """The operator's certificate when both files are given (checked now, not at the first
    handshake), else this machine's self-signed one."""
    if cert or key:
        if not (cert and key):
            raise CertificateError("STRONGROOM_TLS_CERT and STRONGROOM_TLS_KEY must be given together")
        cert_path, key_path = Path(cert), Path(key)
        check_certificate_pair(cert_path, key_path)
        return ServerCertificate(cert_path, key_path, self_signed=False)
    cert_path, key_path = self_signed_certificate(key_dir / "tls")
    return ServerCertificate(cert_path, key_path, self_signed=True)


def _read(path: Path, setting: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise CertificateError(f"{setting} is {path}, which cannot be read: {exc.strerror}") from exc


def check_certificate_pair(cert_path: Path, key_path: Path) -> None:
    """Raise CertificateError unless the files hold a PEM certificate and its PKCS#8 PEM key."""
    cert_pem = _read(cert_path, "STRONGROOM_TLS_CERT")
    key_pem = _read(key_path, "STRONGROOM_TLS_KEY")
    try:
        certificate = x509.load_pem_x509_certificate(cert_pem)
    except ValueError as exc:
        raise CertificateError(f"STRONGROOM_TLS_CERT {cert_path} holds no PEM certificate") from exc
    # The embedded server reads PKCS#8 keys only ("BEGIN PRIVATE KEY").
    if b"-----BEGIN PRIVATE KEY-----" not in key_pem:
        raise CertificateError(
            f"STRONGROOM_TLS_KEY {key_path} is not a PKCS#8 PEM key (convert it with "
            "`openssl pkcs8 -topk8 -nocrypt -in old.key -out new.key`)"
        )
    try:
        private_key = serialization.load_pem_private_key(key_pem, password=None)
    except (ValueError, TypeError) as exc:
        raise CertificateError(f"STRONGROOM_TLS_KEY {key_path} cannot be loaded: {exc}") from exc
    public = serialization.PublicFormat.SubjectPublicKeyInfo
    encoding = serialization.Encoding.DER
    if private_key.public_key().public_bytes(encoding, public) != certificate.public_key().public_bytes(
        encoding, public
    ):
        raise CertificateError(f"STRONGROOM_TLS_KEY {key_path} is not the key of {cert_path}")


def self_signed_certificate(folder: Path, now: datetime.datetime | None = None) -> tuple[Path, Path]:
    """This machine's certificate and key files, made (or renewed) when missing or expiring."""
    now = now or datetime.datetime.now(datetime.UTC)
    cert_path, key_path = folder / "self-signed.crt", folder / "self-signed.key"
    if cert_path.exists() and key_path.exists() and _still_valid(cert_path, now):
        return cert_path, key_path
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Strongroom on localhost")])
    alternatives: list[x509.GeneralName] = [x509.DNSName(n) for n in SELF_SIGNED_NAMES]
    alternatives += [x509.IPAddress(ipaddress.ip_address(a)) for a in SELF_SIGNED_ADDRESSES]
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + SELF_SIGNED_LIFETIME)
        .add_extension(x509.SubjectAlternativeName(alternatives), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    _write_private(key_path, key_pem)
    _write_private(cert_path, certificate.public_bytes(serialization.Encoding.PEM))
    return cert_path, key_path


def _still_valid(cert_path: Path, now: datetime.datetime) -> bool:
    try:
        certificate = x509.load_pem_x509_certificate(cert_path.read_bytes())
    except ValueError:
        return False
    return certificate.not_valid_after_utc - RENEW_BEFORE > now


def _write_private(path: Path, content: bytes) -> None:
    """Write through a 0600 temporary file and rename, so no reader sees half a file."""
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)
    partial.replace(path)
