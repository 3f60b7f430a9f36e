"""Staff users, the workspaces they work in, and their roles there."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.utils.translation import gettext_lazy as _

from strongroom.crypto.blind import BlindIndexField, lookup
from strongroom.crypto.fields import EncryptedTextField
from strongroom.privacy.datamap import DataMap, LegalBasis, Purpose, Retention

STAFF_ACCOUNTS = Purpose("staff-accounts", "Staff accounts, sign-in and access control")
ACCOUNT_LIFETIME = Retention("for as long as the account exists", counted_from="account closure")


class UserManager(BaseUserManager["User"]):
    def get_by_natural_key(self, username: str | None) -> User:
        """Sign-in looks users up by e-mail through its blind index; no e-mail is ever stored in clear."""
        from strongroom.crypto.keys import installation_keyring

        return self.get(email_index=lookup(User, "email", installation_keyring().id, username or ""))

    def with_email(self, email: str) -> models.QuerySet[User]:
        from strongroom.crypto.keys import installation_keyring

        return self.filter(email_index=lookup(User, "email", installation_keyring().id, email))


class User(AbstractBaseUser):
    """A staff member of one or more workspaces. Clients are not users: they have no account."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subject = models.OneToOneField("crypto.SubjectKey", on_delete=models.PROTECT, related_name="user")
    email = EncryptedTextField(category="user.contact.email")
    email_index = BlindIndexField(source="email", unique=True)
    name = EncryptedTextField(category="user.name", blank=True, default="")
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(auto_now_add=True)
    # Sign-in times are kept in the audit log, not on the user row.
    last_login = None

    USERNAME_FIELD = "email_index"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects: ClassVar[UserManager] = UserManager()

    data_map = DataMap(
        subject="subject",
        subject_kind="staff",
        purpose=STAFF_ACCOUNTS,
        legal_basis=LegalBasis.CONTRACT,
        retention=ACCOUNT_LIFETIME,
        not_personal={
            "id": "random identifier",
            "subject": "reference to the user's subject key",
            "email_index": "keyed hash of the e-mail for sign-in lookup; cleared on erasure",
            "password": "argon2 hash of the password, not reversible",
            "is_active": "account state",
            "date_joined": "account creation time",
        },
    )

    def __str__(self) -> str:
        return f"user {self.id}"

    def natural_key(self) -> tuple[Any, ...]:
        return (str(self.id),)


class Language(models.TextChoices):
    ENGLISH = "en", "English"
    FRENCH = "fr", "Français"


class Workspace(models.Model):
    """An organisation (a firm, an office) using Strongroom: the controller of its clients' data."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(_("name"), max_length=200)
    region = models.CharField(max_length=32, default="default")
    created_at = models.DateTimeField(auto_now_add=True)
    # What clients see on the portal.
    logo = models.ForeignKey("vault.Blob", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    accent_colour = models.CharField(_("accent colour"), max_length=7, default="#1f4e79")
    privacy_policy_url = models.URLField(_("privacy policy URL"), blank=True)
    dpo_contact = models.CharField(_("data protection officer contact"), max_length=200, blank=True)
    # The controller's legal name and contact details, for its record of processing (Art. 30(1)(a)).
    controller_contact = models.TextField(_("controller's contact details"), blank=True)
    default_language = models.CharField(max_length=2, choices=Language.choices, default=Language.ENGLISH)
    # Defaults copied into each new request.
    remind_days_before = models.PositiveSmallIntegerField(null=True, blank=True, default=3)
    remind_on_due_date = models.BooleanField(default=True)
    remind_every_days_after = models.PositiveSmallIntegerField(null=True, blank=True, default=3)
    remind_max_after = models.PositiveSmallIntegerField(default=4)
    # Portal access.
    require_client_code = models.BooleanField(_("e-mail a one-time code to clients"), default=False)
    # Staff sign-in: every member needs a second factor (an authenticator app or a passkey).
    require_two_factor = models.BooleanField(_("require two-factor sign-in"), default=False)
    link_days_after_close = models.PositiveSmallIntegerField(default=90)
    # Set when an owner deleted everything: the row stays as the record of it, its key destroyed.
    closed_at = models.DateTimeField(null=True, blank=True)

    data_map = DataMap(
        not_personal={
            "id": "random identifier",
            "name": "name of an organisation",
            "region": "where the workspace's data is kept",
            "created_at": "creation time",
            "logo": "the organisation's logo",
            "accent_colour": "portal colour",
            "privacy_policy_url": "the organisation's published policy",
            "dpo_contact": "the organisation's published data-protection contact",
            "controller_contact": "the organisation's legal name and address",
            "closed_at": "time the workspace was deleted",
            "default_language": "setting",
            "remind_days_before": "setting",
            "remind_on_due_date": "setting",
            "remind_every_days_after": "setting",
            "remind_max_after": "setting",
            "require_client_code": "setting",
            "require_two_factor": "setting",
            "link_days_after_close": "setting",
        }
    )

    def __str__(self) -> str:
        return f"workspace {self.id}"


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    ADMIN = "admin", _("Admin")
    MEMBER = "member", _("Member")


class Invitation(models.Model):
    """An invitation to join a workspace, sent by e-mail; only a hash of its token is kept."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="invitations")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="invitations")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    data_map = DataMap(
        not_personal={
            "id": "random identifier", "workspace": "reference", "user": "reference to the invited user",
            "role": "role offered", "token_hash": "SHA-256 of the invitation's random token",
            "invited_by": "reference to a staff user", "created_at": "time", "expires_at": "time",
            "accepted_at": "time", "revoked_at": "time",
        }
    )

    def __str__(self) -> str:
        return f"invitation {self.id}"


class Membership(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    # Decides, with the owners, on the rights requests of the workspace's clients.
    privacy_officer = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    data_map = DataMap(
        not_personal={
            "id": "random identifier",
            "user": "reference to a staff user",
            "workspace": "reference to a workspace",
            "role": "role in the workspace",
            "privacy_officer": "flag",
            "created_at": "time the membership began",
        }
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "workspace"], name="one_membership_per_workspace")
        ]

    def __str__(self) -> str:
        return f"membership {self.id}"
