"""A request: one client's copy of a checklist, its items, the files and answers given, and the thread."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from strongroom.accounts.models import Language
from strongroom.collection.models.common import (
    CLIENT_RETENTION,
    CLIENT_SERVICE,
    ITEM_SPEC_FIELDS,
    ItemSpec,
)
from strongroom.crypto.blind import BlindIndexField
from strongroom.crypto.fields import EncryptedJSONField, EncryptedTextField
from strongroom.privacy.datamap import DataMap, LegalBasis

CLIENT_DATA = {
    "subject_kind": "client",
    "purpose": CLIENT_SERVICE,
    "legal_basis": LegalBasis.CONTRACT,
    "retention": CLIENT_RETENTION,
}


class RequestState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SENT = "sent", _("Sent")
    IN_PROGRESS = "in_progress", _("In progress")
    SUBMITTED = "submitted", _("Submitted")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_STATES = (RequestState.SENT, RequestState.IN_PROGRESS, RequestState.SUBMITTED)
CLOSED_STATES = (RequestState.COMPLETED, RequestState.CANCELLED)


class ItemState(models.TextChoices):
    MISSING = "missing", _("Missing")
    PENDING = "pending", _("Pending review")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    NOT_APPLICABLE = "not_applicable", _("Not applicable")


class Request(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.PROTECT, related_name="requests")
    client = models.ForeignKey("collection.Client", on_delete=models.PROTECT, related_name="requests")
    owner = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="owned_requests")
    assignees = models.ManyToManyField("accounts.User", blank=True, related_name="assigned_requests")
    template = models.ForeignKey(
        "collection.Template", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    title = models.CharField(_("title"), max_length=200)
    message = EncryptedTextField(category="user.content.message", blank=True, default="")
    state = models.CharField(max_length=16, choices=RequestState.choices, default=RequestState.DRAFT)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    remind_days_before = models.PositiveSmallIntegerField(null=True, blank=True)
    remind_on_due_date = models.BooleanField(default=True)
    remind_every_days_after = models.PositiveSmallIntegerField(null=True, blank=True)
    remind_max_after = models.PositiveSmallIntegerField(default=4)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=0)

    data_map = DataMap(
        export_with=("title", "state", "due_date", "created_at"),
        subject="client__subject",
        **CLIENT_DATA,  # type: ignore[arg-type]
        not_personal={
            "id": "random identifier", "workspace": "reference", "client": "reference",
            "owner": "reference to a staff user", "template": "reference",
            "title": "checklist name written by staff", "state": "progress", "due_date": "deadline",
            "remind_days_before": "setting", "remind_on_due_date": "setting",
            "remind_every_days_after": "setting", "remind_max_after": "setting",
            "created_at": "time", "sent_at": "time", "submitted_at": "time", "closed_at": "time",
            "version": "change counter",
        },
    )

    class Meta:
        indexes = [models.Index(fields=["workspace", "state", "due_date"])]

    def __str__(self) -> str:
        return f"request {self.id}"


class RequestSection(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="sections")
    title = models.CharField(_("title"), max_length=200)
    position = models.PositiveIntegerField(default=0)

    data_map = DataMap(
        not_personal={"id": "random identifier", "request": "reference", "title": "checklist wording",
                      "position": "order"}
    )

    class Meta:
        ordering = ["position"]

    def __str__(self) -> str:
        return f"request section {self.id}"


class RequestItem(ItemSpec):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="items")
    section = models.ForeignKey(RequestSection, on_delete=models.CASCADE, related_name="items")
    condition_item = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="dependants"
    )
    attachment = models.ForeignKey(
        "vault.Blob", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(max_length=16, choices=ItemState.choices, default=ItemState.MISSING)
    answer = EncryptedJSONField(category="user.content.answer", null=True, blank=True)
    not_applicable_reason = EncryptedTextField(category="user.content.answer", blank=True, default="")
    rejection_reason = EncryptedTextField(category="user.content.message", blank=True, default="")
    reviewed_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=0)

    data_map = DataMap(
        export_with=("label", "state"),
        subject="request__client__subject",
        **CLIENT_DATA,  # type: ignore[arg-type]
        not_personal={
            **ITEM_SPEC_FIELDS, "id": "random identifier", "request": "reference", "section": "reference",
            "condition_item": "reference", "attachment": "a form the workspace offers for download",
            "state": "progress", "reviewed_by": "reference to a staff user", "reviewed_at": "time",
            "answered_by": "reference to a staff user who answered for the client",
            "updated_at": "time", "version": "change counter",
        },
    )

    def __str__(self) -> str:
        return f"request item {self.id}"


class Contributor(models.Model):
    """Someone else who helps with a client's request (a spouse, an employer): a link of their own."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="contributors")
    subject = models.OneToOneField("crypto.SubjectKey", on_delete=models.PROTECT, related_name="contributor")
    name = EncryptedTextField(category="user.name")
    email = EncryptedTextField(category="user.contact.email")
    email_index = BlindIndexField(source="email")
    language = models.CharField(max_length=2, choices=Language.choices, default=Language.ENGLISH)
    created_at = models.DateTimeField(auto_now_add=True)

    data_map = DataMap(
        export_with=("created_at",),
        subject="subject",
        subject_kind="contributor",
        purpose=CLIENT_SERVICE,
        legal_basis=LegalBasis.LEGITIMATE_INTERESTS,
        retention=CLIENT_RETENTION,
        not_personal={
            "id": "random identifier", "request": "reference", "subject": "reference to the subject key",
            "email_index": "keyed hash of the e-mail for exact search; cleared on erasure",
            "language": "language of the portal and e-mails", "created_at": "time",
        },
    )

    def __str__(self) -> str:
        return f"contributor {self.id}"


class UploadState(models.TextChoices):
    PENDING = "pending", _("Pending review")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class Upload(models.Model):
    """One file given for an item. Its bytes, name and type are in the sealed blob."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    item = models.ForeignKey(RequestItem, on_delete=models.CASCADE, related_name="uploads")
    blob = models.OneToOneField("vault.Blob", on_delete=models.PROTECT, related_name="upload")
    state = models.CharField(max_length=16, choices=UploadState.choices, default=UploadState.PENDING)
    uploaded_by_link = models.ForeignKey(
        "portal.PortalLink", null=True, blank=True, on_delete=models.SET_NULL, related_name="uploads"
    )
    uploaded_by_user = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    data_map = DataMap(
        not_personal={
            "id": "random identifier", "item": "reference", "blob": "reference to the sealed file",
            "state": "review state", "uploaded_by_link": "reference to the portal link used",
            "uploaded_by_user": "reference to a staff user", "created_at": "time received",
        }
    )

    def __str__(self) -> str:
        return f"upload {self.id}"


class Message(models.Model):
    """One message in a request's thread. Internal notes are never shown on the portal."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="messages")
    author_user = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    author_link = models.ForeignKey("portal.PortalLink", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    body = EncryptedTextField(category="user.content.message")
    internal = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    data_map = DataMap(
        frozen_by_restriction=False,
        export_with=("created_at",),
        subject="request__client__subject",
        **CLIENT_DATA,  # type: ignore[arg-type]
        not_personal={
            "id": "random identifier", "request": "reference", "author_user": "reference to staff",
            "author_link": "reference to the portal link used", "internal": "visibility",
            "created_at": "time",
        },
    )

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"message {self.id}"


class ReminderSent(models.Model):
    """One reminder that went out. The unique constraint is what makes each reminder go exactly once."""

    id = models.BigAutoField(primary_key=True)
    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=16)  # before, due, after
    due_on = models.DateField()
    sent_at = models.DateTimeField(auto_now_add=True)

    data_map = DataMap(
        not_personal={"id": "identifier", "request": "reference", "kind": "which reminder",
                      "due_on": "date it was due", "sent_at": "time"}
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["request", "kind", "due_on"], name="one_reminder_per_day")
        ]

    def __str__(self) -> str:
        return f"reminder {self.id}"
