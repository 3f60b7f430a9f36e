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


class Workspace(models.Model):
    """An organisation (a firm, an office) using Strongroom: the controller of its clients' data."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(_("name"), max_length=200)
    region = models.CharField(max_length=32, default="default")
    created_at = models.DateTimeField(auto_now_add=True)

    data_map = DataMap(
        not_personal={
            "id": "random identifier",
            "name": "name of an organisation",
            "region": "where the workspace's data is kept",
            "created_at": "creation time",
        }
    )

    def __str__(self) -> str:
        return f"workspace {self.id}"


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    ADMIN = "admin", _("Admin")
    MEMBER = "member", _("Member")


class Membership(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(auto_now_add=True)

    data_map = DataMap(
        not_personal={
            "id": "random identifier",
            "user": "reference to a staff user",
            "workspace": "reference to a workspace",
            "role": "role in the workspace",
            "created_at": "time the membership began",
        }
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "workspace"], name="one_membership_per_workspace")
        ]

    def __str__(self) -> str:
        return f"membership {self.id}"
