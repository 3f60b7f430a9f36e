"""The installation's document signature: PAdES signatures (pyHanko) that any PDF reader can check.

On first use an ECDSA P-256 key and a self-signed certificate naming the installation are made; the
private key is stored sealed under the installation keyring, so a copy of the database alone cannot
sign. Readers verify a document against that certificate, which the installation publishes at
/security/certificate.pem.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from urllib.parse import urlparse

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.db import transaction

from strongroom.crypto import keys, primitives
from strongroom.privacy.models import SigningKey

VALID_FOR = timedelta(days=3650)


def _wrapping_key() -> bytes:
    return primitives.derive_key(keys.keyring_key(keys.installation_keyring().id), "strongroom:signing-key")


def _aad(signing_key_id: object) -> bytes:
    return f"strongroom:signing-key:{signing_key_id}".encode()


def current_key() -> SigningKey:
    """The installation's signing key, made on first use."""
    found = SigningKey.objects.order_by("-created_at").first()
    if found is not None:
        return found
    with transaction.atomic():
        private = ec.generate_private_key(ec.SECP256R1())
        host = urlparse(settings.BASE_URL).hostname or "localhost"
        name = x509.Name(
            [
                x509.NameAttribute(NameOID.COMMON_NAME, f"Strongroom document signing ({host})"),
                x509.NameAttribute(
                    NameOID.ORGANIZATION_NAME, settings.OPERATOR_NAME or "Strongroom installation"
                ),
            ]
        )
        now = datetime.now(UTC)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(private.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + VALID_FOR)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=True,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .sign(private, hashes.SHA256())
        )
        row = SigningKey(certificate_pem=certificate.public_bytes(serialization.Encoding.PEM).decode("ascii"))
        der = private.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        row.sealed_private_key = primitives.seal(_wrapping_key(), der, _aad(row.id))
        row.save(force_insert=True)
    return row


def certificate_pem() -> str:
    return current_key().certificate_pem


def sign_pdf(pdf: bytes, *, reason: str, signer_name: str, location: str = "") -> bytes:
    """`pdf` with a PAdES signature of the installation's key over all of it."""
    from asn1crypto import keys as asn1_keys  # type: ignore[import-untyped]
    from pyhanko.keys import load_certs_from_pemder_data
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    row = current_key()
    der = primitives.unseal(_wrapping_key(), bytes(row.sealed_private_key), _aad(row.id))
    [certificate] = list(load_certs_from_pemder_data(row.certificate_pem.encode("ascii")))
    signer = signers.SimpleSigner(
        signing_cert=certificate,
        signing_key=asn1_keys.PrivateKeyInfo.load(der),
        cert_registry=SimpleCertificateStore.from_certs([certificate]),  # type: ignore[no-untyped-call]
    )
    meta = signers.PdfSignatureMetadata(
        field_name="Signature",
        reason=reason,
        name=signer_name,
        location=location or None,
        subfilter=fields.SigSeedSubFilter.PADES,
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    signed = signers.sign_pdf(writer, meta, signer=signer)
    return bytes(signed.getvalue())
