"""What a regulator asks to see, kept by the system itself: sub-processors and their changes,
retention rules and purges, the breach register. (The data map itself lives in datamap.py.)

None of these rows holds a client's personal data: they describe processing, not people.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from strongroom.privacy.datamap import DataMap

# --- sub-processors ------------------------------------------------------------------------------


class SubProcessor(models.Model):
    """A company the operator has process personal data on its customers' behalf (Art. 28(2))."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    purpose = models.CharField(max_length=300)
    location = models.CharField(max_length=200)  # where the data is: country or region
    safeguards = models.CharField(max_length=300)  # e.g. "within the EU", "SCCs (2021/914)"
    data_categories = models.JSONField(default=list, blank=True)  # data map category codes
    effective_from = models.DateField()
    retired_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    data_map = DataMap(
        not_personal={
            "id": "random identifier",
            "name": "a company's name",
            "purpose": "description",
            "location": "country or region",
            "safeguards": "transfer safeguards",
            "data_categories": "category codes",
            "effective_from": "date",
            "retired_on": "date",
            "created_at": "time",
        }
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"sub-processor {self.name}"


class SubProcessorChange(models.Model):
    """A change to the list, announced to every workspace's owners before it takes effect."""

    class Kind(models.TextChoices):
        ADDED = "added", _("Added")
        CHANGED = "changed", _("Changed")
        RETIRED = "retired", _("Retired")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subprocessor = models.ForeignKey(SubProcessor, on_delete=models.PROTECT, related_name="changes")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    summary = models.CharField(max_length=500)
    announced_at = models.DateTimeField(auto_now_add=True)
    effective_on = models.DateField()

    data_map = DataMap(
        not_personal={
            "id": "random identifier",
            "subprocessor": "reference",
            "kind": "what changed",
            "summary": "description",
            "announced_at": "time",
            "effective_on": "date",
        }
    )

    class Meta:
        ordering = ["-announced_at"]

    def __str__(self) -> str:
        return f"sub-processor change {self.id}"


class SubProcessorObjection(models.Model):
    """A workspace objects to an announced change (Art. 28(2)); recorded, one per workspace."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    change = models.ForeignKey(SubProcessorChange, on_delete=models.CASCADE, related_name="objections")
    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    objected_by = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    data_map = DataMap(
        not_personal={
            "id": "random identifier",
            "change": "reference",
            "workspace": "reference",
            "objected_by": "reference to a staff user",
            "reason": "the workspace's grounds, written by staff",
            "created_at": "time",
        }
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["change", "workspace"], name="one_objection_per_change")
        ]

    def __str__(self) -> str:
        return f"objection {self.id}"


# --- retention -----------------------------------------------------------------------------------


class RetentionRule(models.Model):
    """How long a workspace keeps what it collected, counted from an event, never a file's date."""

    class Action(models.TextChoices):
        DOCUMENTS_AFTER_COMPLETION = (
            "documents_after_completion",
            _("Delete a request's documents N days after it is completed"),
        )
        REQUEST_AFTER_CLOSING = (
            "request_after_closing",
            _("Delete a whole request N days after it is completed or cancelled"),
        )
        UNSTARTED_REQUESTS = (
            "unstarted_requests",
            _("Delete requests the client never started N days after they were sent"),
        )

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="retention_rules"
    )
    template = models.ForeignKey(
        "collection.Template", null=True, blank=True, on_delete=models.CASCADE, related_name="retention_rules"
    )  # None: every request of the workspace
    action = models.CharField(max_length=32, choices=Action.choices)
    days = models.PositiveIntegerField()
    created_by = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    data_map = DataMap(
        not_personal={
            "id": "random identifier",
            "workspace": "reference",
            "template": "reference",
            "action": "what is deleted",
            "days": "period",
            "created_by": "reference to a staff user",
            "created_at": "time",
        }
    )

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(days__gt=0), name="retention_days_positive"),
            # Two partial constraints rather than one with nulls_distinct=False, which SQLite ignores.
            models.UniqueConstraint(
                fields=["workspace", "template", "action"], condition=Q(template__isnull=False),
                name="one_rule_per_checklist_action",
            ),
            models.UniqueConstraint(
                fields=["workspace", "action"], condition=Q(template__isnull=True),
                name="one_workspace_rule_per_action",
            ),
        ]

    def __str__(self) -> str:
        return f"retention rule {self.id}"


class RetentionPurge(models.Model):
    """One purge the worker ran for a workspace: what it removed, in counts."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    ran_at = models.DateTimeField(auto_now_add=True)
    requests = models.PositiveIntegerField(default=0)
    files = models.PositiveIntegerField(default=0)
    held = models.PositiveIntegerField(default=0)  # skipped: under legal hold
    details = models.JSONField(default=dict, blank=True)  # counts per rule id

    data_map = DataMap(
        not_personal={
            "id": "random identifier",
            "workspace": "reference",
            "ran_at": "time",
            "requests": "count",
            "files": "count",
            "held": "count",
            "details": "counts per rule",
        }
    )

    def __str__(self) -> str:
        return f"purge {self.id}"


class RetentionWarning(models.Model):
    """The owners were told, a week ahead, what a purge will remove; unique so it goes once a day."""

    id = models.BigAutoField(primary_key=True)
    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    purge_on = models.DateField()
    sent_at = models.DateTimeField(auto_now_add=True)

    data_map = DataMap(
        not_personal={"id": "identifier", "workspace": "reference", "purge_on": "date", "sent_at": "time"}
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "purge_on"], name="one_retention_warning")
        ]

    def __str__(self) -> str:
        return f"retention warning {self.id}"


# --- breaches ------------------------------------------------------------------------------------


class Breach(models.Model):
    """A personal data breach (Art. 33/34): documented whether or not it is notified."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # None: recorded by the installation's operator, for the workspaces listed in its notices.
    workspace = models.ForeignKey(
        "accounts.Workspace", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_by = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")
    nature = models.TextField()
    data_categories = models.JSONField(default=list, blank=True)
    subjects_approx = models.PositiveIntegerField(null=True, blank=True)
    records_approx = models.PositiveIntegerField(null=True, blank=True)
    consequences = models.TextField(blank=True)
    measures = models.TextField(blank=True)
    contact = models.CharField(max_length=300)
    aware_at = models.DateTimeField()
    recorded_at = models.DateTimeField(auto_now_add=True)

    data_map = DataMap(
        not_personal={
            "id": "random identifier",
            "workspace": "reference",
            "recorded_by": "reference to a staff user",
            "nature": "description of the incident",
            "data_categories": "category codes",
            "subjects_approx": "count",
            "records_approx": "count",
            "consequences": "description",
            "measures": "description",
            "contact": "the contact point's role and address",
            "aware_at": "time",
            "recorded_at": "time",
        }
    )

    class Meta:
        ordering = ["-aware_at"]

    def __str__(self) -> str:
        return f"breach {self.id}"


class BreachNotice(models.Model):
    """One affected workspace's side of a breach: its owners told, its 72 hours to the authority,
    its decision on telling the people concerned."""

    class SubjectsDecision(models.TextChoices):
        UNDECIDED = "", _("Not decided yet")
        INFORM = "inform", _("Inform the people concerned")
        NOT_INFORM = "not_inform", _("Do not inform them")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    breach = models.ForeignKey(Breach, on_delete=models.CASCADE, related_name="notices")
    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="breach_notices"
    )
    owners_notified_at = models.DateTimeField(null=True, blank=True)
    authority_notified_at = models.DateTimeField(null=True, blank=True)
    authority_reference = models.CharField(max_length=200, blank=True)
    not_notified_reason = models.TextField(blank=True)  # why the authority was not notified, if it was not
    subjects_decision = models.CharField(max_length=12, choices=SubjectsDecision.choices, blank=True)
    subjects_decision_reason = models.TextField(blank=True)
    decided_by = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    data_map = DataMap(
        not_personal={
            "id": "random identifier",
            "breach": "reference",
            "workspace": "reference",
            "owners_notified_at": "time",
            "authority_notified_at": "time",
            "authority_reference": "the authority's case number",
            "not_notified_reason": "grounds",
            "subjects_decision": "decision",
            "subjects_decision_reason": "grounds",
            "decided_by": "reference to a staff user",
            "decided_at": "time",
        }
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["breach", "workspace"], name="one_notice_per_workspace")
        ]

    def __str__(self) -> str:
        return f"breach notice {self.id}"


class BreachUpdate(models.Model):
    """Information given in phases (Art. 33(4)): what became known, and when."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    notice = models.ForeignKey(BreachNotice, on_delete=models.CASCADE, related_name="updates")
    text = models.TextField()
    written_by = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")
    written_at = models.DateTimeField(auto_now_add=True)

    data_map = DataMap(
        not_personal={
            "id": "random identifier",
            "notice": "reference",
            "text": "description of the incident",
            "written_by": "reference to a staff user",
            "written_at": "time",
        }
    )

    class Meta:
        ordering = ["written_at"]

    def __str__(self) -> str:
        return f"breach update {self.id}"


# --- documents the installation signs ------------------------------------------------------------


class SigningKey(models.Model):
    """The installation's document-signing key (signed DPAs, deletion certificates): the certificate
    in clear, the private key sealed under the installation keyring."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    certificate_pem = models.TextField()
    sealed_private_key = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    data_map = DataMap(
        not_personal={
            "id": "random identifier",
            "certificate_pem": "the installation's public certificate",
            "sealed_private_key": "key material, encrypted under the installation keyring",
            "created_at": "time",
        }
    )

    def __str__(self) -> str:
        return f"signing key {self.id}"


class DpaSignature(models.Model):
    """A workspace owner signed a version of the Data Processing Agreement (Art. 28): who, when, the
    hash of the exact text, and the signed PDF (sealed under the workspace's own key)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="dpa_signatures"
    )
    version = models.CharField(max_length=32)
    text_sha256 = models.CharField(max_length=64)
    signed_by = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")
    signer_role = models.CharField(max_length=200)
    signed_at = models.DateTimeField(auto_now_add=True)
    pdf = models.ForeignKey("vault.Blob", null=True, on_delete=models.SET_NULL, related_name="+")

    data_map = DataMap(
        not_personal={
            "id": "random identifier",
            "workspace": "reference",
            "version": "agreement version",
            "text_sha256": "digest of the signed text",
            "signed_by": "reference to a staff user",
            "signer_role": "the signer's position in the organisation",
            "signed_at": "time",
            "pdf": "reference to the signed PDF (sealed under the workspace's key)",
        }
    )

    class Meta:
        ordering = ["-signed_at"]

    def __str__(self) -> str:
        return f"DPA signature {self.id}"


# --- impact assessments --------------------------------------------------------------------------


class Dpia(models.Model):
    """A data protection impact assessment (Art. 35) of one checklist, in the CNIL's structure:
    context, fundamental principles, risks (each with likelihood, severity and measures), then
    validation and an action plan. Its texts describe the processing, never a person."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        VALIDATED = "validated", _("Validated")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="dpias")
    template = models.ForeignKey("collection.Template", on_delete=models.CASCADE, related_name="dpias")
    context = models.JSONField(default=dict)
    principles = models.JSONField(default=dict)
    risks = models.JSONField(default=dict)
    action_plan = models.TextField(blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    validation_opinion = models.TextField(blank=True)  # the DPO's or the owner's opinion
    validated_by = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")
    validated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    data_map = DataMap(
        not_personal={
            "id": "random identifier",
            "workspace": "reference",
            "template": "reference",
            "context": "description of the processing",
            "principles": "description of the processing",
            "risks": "assessment of risks",
            "action_plan": "measures planned",
            "state": "progress",
            "validation_opinion": "opinion on the processing",
            "validated_by": "reference to a staff user",
            "validated_at": "time",
            "created_at": "time",
            "updated_at": "time",
        }
    )

    class Meta:
        ordering = ["-updated_at"]

    def __str__(self) -> str:
        return f"DPIA {self.id}"


class DeletionCertificate(models.Model):
    """The signed certificate of a workspace's deletion, sealed under the installation keyring (the
    workspace's own key no longer exists); the operator can hand it over again."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.OneToOneField(
        "accounts.Workspace", on_delete=models.PROTECT, related_name="deletion_certificate"
    )
    sealed_pdf = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    data_map = DataMap(
        not_personal={
            "id": "random identifier",
            "workspace": "reference",
            "sealed_pdf": "the certificate, encrypted under the installation keyring (it names the owner)",
            "created_at": "time",
        }
    )

    def __str__(self) -> str:
        return f"deletion certificate {self.id}"

    @staticmethod
    def _key() -> bytes:
        from strongroom.crypto import keys, primitives

        return primitives.derive_key(
            keys.keyring_key(keys.installation_keyring().id), "strongroom:certificate"
        )

    @classmethod
    def store(cls, workspace: Any, pdf: bytes) -> DeletionCertificate:
        from strongroom.crypto import primitives

        row = cls(workspace=workspace)
        row.sealed_pdf = primitives.seal(cls._key(), pdf, f"strongroom:certificate:{row.id}".encode())
        row.save(force_insert=True)
        return row

    def pdf(self) -> bytes:
        from strongroom.crypto import primitives

        return primitives.unseal(
            self._key(), bytes(self.sealed_pdf), f"strongroom:certificate:{self.id}".encode()
        )
