"""Wrapped keys. Only wrapped (encrypted) keys are ever stored; the master key never is."""

from __future__ import annotations

import uuid

from django.db import models

from strongroom.privacy.datamap import DataMap


class Keyring(models.Model):
    """One key per workspace, wrapped by a master key; it wraps the subject keys of that workspace.

    One keyring has no workspace: the installation's own, which holds the subject keys of staff
    users, since a person may belong to several workspaces and must be found at sign-in before
    any workspace is known.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.OneToOneField(
        "accounts.Workspace", null=True, blank=True, on_delete=models.PROTECT, related_name="keyring"
    )
    is_installation = models.BooleanField(default=False)
    master_key_id = models.CharField(max_length=64)
    wrapped_key = models.BinaryField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)
    rewrapped_at = models.DateTimeField(null=True, blank=True)
    destroyed_at = models.DateTimeField(null=True, blank=True)

    data_map = DataMap(
        not_personal={
            "id": "random identifier",
            "workspace": "reference to an organisation",
            "is_installation": "flag",
            "master_key_id": "key identifier",
            "wrapped_key": "key material, encrypted under the master key",
            "created_at": "key lifecycle time",
            "rewrapped_at": "key lifecycle time",
            "destroyed_at": "key lifecycle time",
        }
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["is_installation"],
                condition=models.Q(is_installation=True),
                name="one_installation_keyring",
            )
        ]

    def __str__(self) -> str:
        return f"keyring {self.id}"


class SubjectKey(models.Model):
    """A data subject (a client, a staff user) and the key their personal data is sealed with.

    The subject key is wrapped under a key derived from the keyring key and the subject's secret,
    a file of the key folder's subject secret store (subject_secrets.py), never in the database.
    Destroying the subject (crypto-shredding) nulls `wrapped_key` and deletes the secret: every
    field and file of the subject is then unreadable, in the database, the blob store and every
    backup of either, including database backups taken before the erasure. Only a backup of the
    key folder older than the erasure could still open them.

    `secret_held` is False for subjects made before subject secrets existed: their key is wrapped
    under the keyring key alone until `keys bind-subjects` binds them to a secret.
    """

    class Kind(models.TextChoices):
        STAFF = "staff", "Staff user"
        CLIENT = "client", "Client"
        CONTRIBUTOR = "contributor", "Contributor to a client's request"
        # The workspace itself, for its own files (logo, forms attached to templates): not a person.
        WORKSPACE = "workspace", "Workspace"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    keyring = models.ForeignKey(Keyring, on_delete=models.PROTECT, related_name="subject_keys")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    wrapped_key = models.BinaryField(null=True)
    # True once the key is wrapped under the keyring key AND the subject's secret (every new subject).
    secret_held = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    destroyed_at = models.DateTimeField(null=True, blank=True)

    data_map = DataMap(
        not_personal={
            "id": "random identifier",
            "keyring": "reference to a keyring",
            "kind": "whether the subject is staff or a client",
            "wrapped_key": "key material, encrypted under the workspace key and the subject's secret",
            "secret_held": "flag",
            "created_at": "key lifecycle time",
            "destroyed_at": "key lifecycle time",
        }
    )

    def __str__(self) -> str:
        return f"subject {self.id}"

    @property
    def is_destroyed(self) -> bool:
        return self.wrapped_key is None
