from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from strongroom.accounts.models import Language
from strongroom.collection.models.common import CLIENT_RETENTION, CLIENT_SERVICE
from strongroom.crypto.blind import BlindIndexField
from strongroom.crypto.fields import EncryptedTextField
from strongroom.privacy.datamap import DataMap, LegalBasis


class Client(models.Model):
    """A person a workspace requests documents from. Clients have no account, only portal links."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.PROTECT, related_name="clients")
    subject = models.OneToOneField("crypto.SubjectKey", on_delete=models.PROTECT, related_name="client")
    name = EncryptedTextField(category="user.name")
    name_index = BlindIndexField(source="name")
    email = EncryptedTextField(category="user.contact.email")
    email_index = BlindIndexField(source="email")
    phone = EncryptedTextField(category="user.contact.phone_number", blank=True, default="")
    language = models.CharField(
        _("language"), max_length=2, choices=Language.choices, default=Language.ENGLISH
    )
    notes = EncryptedTextField(category="user.content.note", blank=True, default="")
    created_by = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    data_map = DataMap(
        export_with=("language", "created_at"),
        subject="subject",
        subject_kind="client",
        purpose=CLIENT_SERVICE,
        legal_basis=LegalBasis.CONTRACT,
        retention=CLIENT_RETENTION,
        not_personal={
            "id": "random identifier",
            "workspace": "reference to the workspace",
            "subject": "reference to the client's subject key",
            "name_index": "keyed hash of the name for exact search; cleared on erasure",
            "email_index": "keyed hash of the e-mail for exact search; cleared on erasure",
            "language": "language the portal and e-mails use",
            "created_by": "reference to a staff user",
            "created_at": "creation time",
        },
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "email_index"], name="one_client_per_email")
        ]

    def __str__(self) -> str:
        return f"client {self.id}"
