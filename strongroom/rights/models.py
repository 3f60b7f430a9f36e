"""Data subject rights requests (GDPR Art. 15-21), the legal holds that limit erasure, and the
access packages made for the people who ask."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from strongroom.crypto.fields import EncryptedTextField
from strongroom.privacy.datamap import DataMap, LegalBasis, Purpose, Retention

RIGHTS_HANDLING = Purpose("rights-handling", "Answering people who exercise their data protection rights")
RIGHTS_RETENTION = Retention(
    "kept as proof the request was answered (Art. 5(2)); its sealed details become unreadable "
    "when the person's data is erased",
    counted_from="closure of the request",
    days=3 * 365,
)


class RightKind(models.TextChoices):
    ACCESS = "access", _("Access to my data")
    RECTIFICATION = "rectification", _("Correction of my data")
    ERASURE = "erasure", _("Erasure of my data")
    PORTABILITY = "portability", _("A copy of my data to take elsewhere")
    RESTRICTION = "restriction", _("Restriction of the use of my data")
    OBJECTION = "objection", _("Objection to the use of my data")


class RightsState(models.TextChoices):
    UNVERIFIED = "unverified", _("Identity not yet verified")
    VERIFIED = "verified", _("Verified")
    AWAITING_APPROVAL = "awaiting_approval", _("Awaiting the workspace's decision")
    IN_PROGRESS = "in_progress", _("In progress")
    EXTENDED = "extended", _("Extended")
    DONE = "done", _("Done")
    REFUSED = "refused", _("Refused")


OPEN_RIGHTS_STATES = (
    RightsState.UNVERIFIED,
    RightsState.VERIFIED,
    RightsState.AWAITING_APPROVAL,
    RightsState.IN_PROGRESS,
    RightsState.EXTENDED,
)


class Channel(models.TextChoices):
    PORTAL = "portal", _("Client portal")
    EMAIL = "email", _("E-mail")
    LETTER = "letter", _("Letter")
    PHONE = "phone", _("Telephone")
    IN_PERSON = "in_person", _("In person")


class Verification(models.TextChoices):
    PORTAL_SESSION = "portal_session", _("Signed in to the portal")
    EMAIL_CODE = "email_code", _("Code e-mailed to the person")


class RightsRequest(models.Model):
    """One person exercising one right against one workspace, from receipt to answer.

    The row outlives an erasure (it proves the request was answered); what the person wrote and
    the reasons given are sealed under their key, so they become unreadable with the rest.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.PROTECT, related_name="+")
    subject = models.ForeignKey("crypto.SubjectKey", on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(
        "collection.Client", null=True, blank=True, on_delete=models.SET_NULL, related_name="rights_requests"
    )
    kind = models.CharField(max_length=16, choices=RightKind.choices)
    state = models.CharField(max_length=20, choices=RightsState.choices, default=RightsState.UNVERIFIED)
    channel = models.CharField(max_length=12, choices=Channel.choices)
    logged_by = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")
    details = EncryptedTextField(category="user.content.message", blank=True, default="")
    received_at = models.DateTimeField()
    due_on = models.DateField()
    original_due_on = models.DateField()
    extended_at = models.DateTimeField(null=True, blank=True)
    extension_reason = EncryptedTextField(category="user.content.note", blank=True, default="")
    verified_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.CharField(max_length=16, choices=Verification.choices, blank=True)
    code_hash = models.CharField(max_length=64, blank=True)
    code_expires_at = models.DateTimeField(null=True, blank=True)
    code_failures = models.PositiveSmallIntegerField(default=0)
    decided_by = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    refusal_reason = EncryptedTextField(category="user.content.note", blank=True, default="")
    closed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.JSONField(default=dict, blank=True)

    data_map = DataMap(
        export_with=("kind", "state", "channel", "received_at", "due_on"),
        subject="subject",
        subject_kind="client",
        purpose=RIGHTS_HANDLING,
        legal_basis=LegalBasis.LEGAL_OBLIGATION,
        retention=RIGHTS_RETENTION,
        kept_on_erasure="proof that the request was received and answered (Art. 5(2), Art. 12)",
        frozen_by_restriction=False,
        not_personal={
            "id": "random identifier",
            "workspace": "reference",
            "subject": "reference to a subject key",
            "client": "reference",
            "kind": "which right",
            "state": "progress",
            "channel": "how it arrived",
            "logged_by": "reference to a staff user",
            "received_at": "time",
            "due_on": "deadline",
            "original_due_on": "deadline",
            "extended_at": "time",
            "verified_at": "time",
            "verified_by": "method",
            "code_hash": "keyed hash of a one-time code",
            "code_expires_at": "time",
            "code_failures": "throttling counter",
            "decided_by": "reference to a staff user",
            "decided_at": "time",
            "closed_at": "time",
            "outcome": "counts and codes of what was done, never values",
        },
    )

    class Meta:
        ordering = ["due_on", "received_at"]

    def __str__(self) -> str:
        return f"rights request {self.id}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_RIGHTS_STATES


class LegalHold(models.Model):
    """Records the law makes the workspace keep (anti-money-laundering files, tax records): the
    held collection request survives the client's erasure until the hold ends."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.PROTECT, related_name="+")
    request = models.ForeignKey("collection.Request", on_delete=models.CASCADE, related_name="legal_holds")
    ground = models.CharField(max_length=300)
    until = models.DateField(null=True, blank=True)
    set_by = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")
    set_at = models.DateTimeField(auto_now_add=True)
    lifted_at = models.DateTimeField(null=True, blank=True)

    data_map = DataMap(
        not_personal={
            "id": "random identifier",
            "workspace": "reference",
            "request": "reference",
            "ground": "the legal provision, written by staff",
            "until": "date",
            "set_by": "reference",
            "set_at": "time",
            "lifted_at": "time",
        }
    )

    def __str__(self) -> str:
        return f"legal hold {self.id}"


class AccessPackage(models.Model):
    """A subject's copy of their data: a sealed ZIP, downloadable by them alone until it expires."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    rights_request = models.ForeignKey(RightsRequest, on_delete=models.CASCADE, related_name="packages")
    blob = models.OneToOneField("vault.Blob", null=True, on_delete=models.SET_NULL, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    code_hash = models.CharField(max_length=64, blank=True)
    code_expires_at = models.DateTimeField(null=True, blank=True)
    code_failures = models.PositiveSmallIntegerField(default=0)
    downloads = models.PositiveIntegerField(default=0)
    erased_at = models.DateTimeField(null=True, blank=True)

    data_map = DataMap(
        not_personal={
            "id": "random identifier",
            "rights_request": "reference",
            "blob": "reference to the sealed package (the person's data, under their key)",
            "token_hash": "SHA-256 of the download link's random token",
            "created_at": "time",
            "expires_at": "time",
            "code_hash": "keyed hash of a one-time code",
            "code_expires_at": "time",
            "code_failures": "throttling counter",
            "downloads": "counter",
            "erased_at": "time",
        }
    )

    def __str__(self) -> str:
        return f"access package {self.id}"


class DeadlineWarning(models.Model):
    """A warning to the deciders that a rights request is nearly or now due; unique, so each goes once."""

    id = models.BigAutoField(primary_key=True)
    rights_request = models.ForeignKey(RightsRequest, on_delete=models.CASCADE, related_name="warnings")
    kind = models.CharField(max_length=16)  # week_before, due_today
    due_on = models.DateField()
    sent_at = models.DateTimeField(auto_now_add=True)

    data_map = DataMap(
        not_personal={
            "id": "identifier",
            "rights_request": "reference",
            "kind": "which warning",
            "due_on": "the deadline warned of",
            "sent_at": "time",
        }
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["rights_request", "kind", "due_on"], name="one_warning_per_deadline"
            )
        ]

    def __str__(self) -> str:
        return f"deadline warning {self.id}"


class LawfulUse(models.TextChoices):
    """What Art. 18(2) still allows with restricted data."""

    CONSENT = "consent", _("With the person's consent")
    LEGAL_CLAIMS = "legal_claims", _("To establish, exercise or defend legal claims")
    OTHER_PERSON = "other_person", _("To protect the rights of another person")
    PUBLIC_INTEREST = "public_interest", _("For an important public interest")


class Restriction(models.Model):
    """The person's data is frozen (Art. 18), at their request or while their objection (Art. 21) is
    decided: kept, but not changed, reminded about or downloaded except for a lawful use."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.PROTECT, related_name="+")
    subject = models.ForeignKey("crypto.SubjectKey", on_delete=models.PROTECT, related_name="restrictions")
    rights_request = models.ForeignKey(RightsRequest, null=True, on_delete=models.SET_NULL, related_name="+")
    because_of = models.CharField(max_length=16, choices=RightKind.choices)  # restriction or objection
    started_at = models.DateTimeField(auto_now_add=True)
    lift_requested_at = models.DateTimeField(null=True, blank=True)
    lift_requested_by = models.ForeignKey(
        "accounts.User", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    lifted_at = models.DateTimeField(null=True, blank=True)

    data_map = DataMap(
        not_personal={
            "id": "random identifier",
            "workspace": "reference",
            "subject": "reference to a subject key",
            "rights_request": "reference",
            "because_of": "which right",
            "started_at": "time",
            "lift_requested_at": "time",
            "lift_requested_by": "reference to a staff user",
            "lifted_at": "time",
        }
    )

    def __str__(self) -> str:
        return f"restriction {self.id}"


class RestrictedUse(models.Model):
    """Restricted data used all the same, for a use Art. 18(2) allows; the reason is recorded."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    restriction = models.ForeignKey(Restriction, on_delete=models.CASCADE, related_name="uses")
    purpose = models.CharField(max_length=20, choices=LawfulUse.choices)
    reason = EncryptedTextField(category="user.content.note")
    used_by = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")
    used_at = models.DateTimeField(auto_now_add=True)
    what = models.CharField(max_length=64)  # e.g. "upload:<id>", "request_zip:<id>"

    data_map = DataMap(
        subject="restriction__subject",
        subject_kind="client",
        purpose=RIGHTS_HANDLING,
        legal_basis=LegalBasis.LEGAL_OBLIGATION,
        retention=RIGHTS_RETENTION,
        kept_on_erasure="proof that restricted data was used only as Art. 18(2) allows",
        frozen_by_restriction=False,
        export_with=("purpose", "used_at"),
        not_personal={
            "id": "random identifier",
            "restriction": "reference",
            "purpose": "lawful use",
            "used_by": "reference to a staff user",
            "used_at": "time",
            "what": "which file or files",
        },
    )

    def __str__(self) -> str:
        return f"restricted use {self.id}"


class CorrectionState(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    ACCEPTED = "accepted", _("Accepted")
    REFUSED = "refused", _("Refused")


class Correction(models.Model):
    """One correction the person proposes (Art. 16): a profile field or an answer, and its new value.
    The workspace accepts or refuses each one."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    rights_request = models.ForeignKey(RightsRequest, on_delete=models.CASCADE, related_name="corrections")
    field_name = models.CharField(max_length=32)  # "name", "email", "phone", or "answer"
    item = models.ForeignKey(
        "collection.RequestItem", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    proposed = EncryptedTextField(category="user.content.answer")
    state = models.CharField(max_length=10, choices=CorrectionState.choices, default=CorrectionState.PROPOSED)
    decided_by = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    data_map = DataMap(
        subject="rights_request__subject",
        subject_kind="client",
        purpose=RIGHTS_HANDLING,
        legal_basis=LegalBasis.LEGAL_OBLIGATION,
        retention=RIGHTS_RETENTION,
        frozen_by_restriction=False,
        export_with=("field_name", "state"),
        not_personal={
            "id": "random identifier",
            "rights_request": "reference",
            "field_name": "which field",
            "item": "reference to the answered item",
            "state": "decision",
            "decided_by": "reference",
            "decided_at": "time",
        },
    )

    def __str__(self) -> str:
        return f"correction {self.id}"


class RecipientNotice(models.Model):
    """Art. 19: a recipient the person's data was disclosed to, to be told of a rectification,
    erasure or restriction; staff mark it done once they have told them."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    rights_request = models.ForeignKey(RightsRequest, on_delete=models.CASCADE, related_name="notices")
    recipient = models.CharField(max_length=200)  # a sub-processor's name, or "contributor"
    contributor = models.ForeignKey(
        "collection.Contributor", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    notified_at = models.DateTimeField(null=True, blank=True)
    notified_by = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")

    data_map = DataMap(
        not_personal={
            "id": "random identifier",
            "rights_request": "reference",
            "recipient": "an organisation's name, or the word contributor",
            "contributor": "reference",
            "notified_at": "time",
            "notified_by": "reference to a staff user",
        }
    )

    def __str__(self) -> str:
        return f"recipient notice {self.id}"
