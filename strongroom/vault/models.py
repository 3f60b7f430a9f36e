from __future__ import annotations

import uuid

from django.db import models

from strongroom.crypto.fields import EncryptedJSONField
from strongroom.privacy.datamap import DataMap, LegalBasis, Personal, Purpose, Retention

DOCUMENT_COLLECTION = Purpose(
    "document-collection", "Collecting, reviewing and keeping documents requested from clients"
)
DOCUMENT_RETENTION = Retention(
    "the workspace's retention period for the request", counted_from="request closure"
)


class Blob(models.Model):
    """A sealed file: its bytes in the store under a random name, sealed with a key of its own
    that only the subject's key unwraps; its name, type and digest sealed in `meta`."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subject = models.ForeignKey("crypto.SubjectKey", on_delete=models.PROTECT, related_name="blobs")
    workspace = models.ForeignKey(
        "accounts.Workspace", null=True, blank=True, on_delete=models.PROTECT, related_name="blobs"
    )
    storage_name = models.CharField(max_length=128, unique=True)
    wrapped_file_key = models.BinaryField()
    meta = EncryptedJSONField(category="user.content.document.metadata")
    size = models.PositiveBigIntegerField()
    sealed_size = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    data_map = DataMap(
        subject="subject",
        subject_kind="client,staff",
        purpose=DOCUMENT_COLLECTION,
        legal_basis=LegalBasis.CONTRACT,
        retention=DOCUMENT_RETENTION,
        sealed_content=Personal("user.content.document"),
        not_personal={
            "id": "random identifier",
            "subject": "reference to the subject key",
            "workspace": "reference to the workspace",
            "storage_name": "random name in the blob store",
            "wrapped_file_key": "key material, encrypted under the subject key",
            "size": "size in bytes",
            "sealed_size": "size in bytes of the sealed form",
            "created_at": "time stored",
        },
    )

    def __str__(self) -> str:
        return f"blob {self.id}"
