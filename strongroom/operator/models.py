"""The installation's operators, and the support access a workspace's owners grant one of them."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from strongroom.privacy.datamap import DataMap

MIN_HOURS = 1
MAX_HOURS = 72
REASON_MAX_LENGTH = 200


class Operator(models.Model):
    """A staff user who runs the installation: sees workspaces' metadata, never their content."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.OneToOneField("accounts.User", on_delete=models.CASCADE, related_name="operator")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.CharField(max_length=64, blank=True)  # the command that made them one

    data_map = DataMap(
        not_personal={
            "id": "random identifier",
            "user": "reference to a staff user",
            "created_at": "time the user became an operator",
            "created_by": "name of the command that made the user an operator",
        }
    )

    def __str__(self) -> str:
        return f"operator {self.id}"


class GrantState(models.TextChoices):
    PENDING = "pending", _("Waiting for an owner")
    APPROVED = "approved", _("Approved")
    REFUSED = "refused", _("Refused")
    REVOKED = "revoked", _("Revoked")
    EXPIRED = "expired", _("Expired")


class SupportGrant(models.Model):
    """An operator's request to see one workspace's staff pages, read-only, for a few hours.

    The reason is a ticket reference and a short technical description, kept plain and short:
    the form tells the operator to name nobody, and refuses e-mail addresses.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="support_grants"
    )
    operator = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="support_grants")
    reason = models.CharField(max_length=REASON_MAX_LENGTH)
    requested_hours = models.PositiveSmallIntegerField()
    requested_at = models.DateTimeField(auto_now_add=True)
    state = models.CharField(max_length=16, choices=GrantState.choices, default=GrantState.PENDING)
    decided_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    granted_hours = models.PositiveSmallIntegerField(null=True, blank=True)
    # Pages only, unless the owner also lets the operator open the clients' files.
    files_allowed = models.BooleanField(default=False)
    expires_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    data_map = DataMap(
        not_personal={
            "id": "random identifier",
            "workspace": "reference to a workspace",
            "operator": "reference to the operator's staff account",
            "reason": "support ticket reference and technical description, naming nobody",
            "requested_hours": "duration asked for",
            "requested_at": "time",
            "state": "state of the request",
            "decided_by": "reference to the owner who decided",
            "decided_at": "time",
            "granted_hours": "duration approved",
            "files_allowed": "whether the owner let the operator open files too",
            "expires_at": "time the access ends",
            "ended_at": "time it was revoked or found expired",
            "ended_by": "reference to the owner who revoked it",
        }
    )

    class Meta:
        indexes = [models.Index(fields=["operator", "workspace", "state"])]

    def __str__(self) -> str:
        return f"support grant {self.id}"

    @property
    def is_active(self) -> bool:
        return (
            self.state == GrantState.APPROVED
            and self.expires_at is not None
            and self.expires_at > timezone.now()
        )
