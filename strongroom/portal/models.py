"""Portal links and privacy acknowledgements."""

from __future__ import annotations

import uuid

from django.db import models

from strongroom.audit.actors import Actor
from strongroom.privacy.datamap import DataMap


class PortalLink(models.Model):
    """A client's (or a contributor's) way into one request: a random token, of which only a hash is kept.

    The link may also carry a portal password the client chose (argon2 hash) and the hash of a
    one-time code e-mailed to them when the workspace requires a second factor.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    request = models.ForeignKey("collection.Request", on_delete=models.CASCADE, related_name="links")
    contributor = models.ForeignKey(
        "collection.Contributor", null=True, blank=True, on_delete=models.CASCADE, related_name="links"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    # Set by the task that e-mails the link, so running that task twice issues one link.
    issue_key = models.UUIDField(null=True, blank=True, unique=True)
    password = models.CharField(max_length=200, blank=True)
    code_hash = models.CharField(max_length=64, blank=True)
    code_expires_at = models.DateTimeField(null=True, blank=True)
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    data_map = DataMap(
        not_personal={
            "id": "random identifier", "request": "reference", "contributor": "reference",
            "token_hash": "SHA-256 of the link's random token", "issue_key": "random identifier",
            "password": "argon2 hash of the portal password, not reversible",
            "code_hash": "keyed hash of a one-time code", "code_expires_at": "time",
            "failed_attempts": "throttling counter", "locked_until": "throttling time",
            "created_by": "reference to a staff user", "created_at": "time", "expires_at": "time",
            "revoked_at": "time", "last_used_at": "time",
        }
    )

    def __str__(self) -> str:
        return f"portal link {self.id}"

    def audit_actor(self) -> Actor:
        return Actor("client" if self.contributor_id is None else "contributor", str(self.pk))


class Acknowledgement(models.Model):
    """The client read the privacy notice: when, which policy, and which version of the text."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    link = models.ForeignKey(PortalLink, on_delete=models.CASCADE, related_name="acknowledgements")
    acknowledged_at = models.DateTimeField(auto_now_add=True)
    policy_url = models.URLField(blank=True)
    notice_version = models.CharField(max_length=32)
    notice_sha256 = models.CharField(max_length=64)
    language = models.CharField(max_length=2)

    data_map = DataMap(
        not_personal={
            "id": "random identifier", "link": "reference", "acknowledged_at": "time",
            "policy_url": "the workspace's published policy", "notice_version": "version of the text",
            "notice_sha256": "digest of the exact text shown", "language": "language shown",
        }
    )

    def __str__(self) -> str:
        return f"acknowledgement {self.id}"
