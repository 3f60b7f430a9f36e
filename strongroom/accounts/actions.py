"""State changes of accounts, workspaces and memberships, each with its audit event."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction

from strongroom.accounts.models import Membership, Role, User, Workspace
from strongroom.audit.actions import record
from strongroom.crypto import keys
from strongroom.crypto.models import SubjectKey


def do_create_user(email: str, password: str | None, actor: Any, *, name: str = "") -> User:
    """A new staff user, their own subject key, and an argon2 password hash."""
    email = email.strip()
    validate_email(email)
    with transaction.atomic():
        if User.objects.with_email(email).exists():
            raise ValidationError("A user with this e-mail address already exists.")
        subject = keys.create_subject(keys.installation_keyring(), SubjectKey.Kind.STAFF)
        user = User(subject=subject, email=email, name=name)
        if password is None:
            user.set_unusable_password()
        else:
            validate_password(password, user)
            user.set_password(password)
        user.save()
        record(actor, "user.created", user, subject=subject)
    return user


def do_create_workspace(name: str, owner: User, actor: Any, *, region: str = "default") -> Workspace:
    """A workspace with its own key, and its first owner."""
    name = name.strip()
    if not name:
        raise ValidationError("A workspace needs a name.")
    with transaction.atomic():
        workspace = Workspace.objects.create(name=name, region=region)
        keys.create_keyring(workspace)
        record(actor, "workspace.created", workspace)
        add_membership(workspace, owner, Role.OWNER, actor)
    return workspace


def add_membership(workspace: Workspace, user: User, role: str, actor: Any) -> Membership:
    membership = Membership.objects.create(workspace=workspace, user=user, role=role)
    record(actor, "membership.added", membership, workspace=workspace, user=str(user.pk), role=role)
    return membership


def require_manager(workspace: Workspace, actor: Any) -> None:
    """Staff actors must be owner or admin of the workspace; operators and the system may act."""
    if isinstance(actor, User) and not Membership.objects.filter(
        workspace=workspace, user=actor, role__in=[Role.OWNER, Role.ADMIN]
    ).exists():
        raise PermissionDenied("Only owners and admins manage members of this workspace.")


def require_owner_for(role: str, workspace: Workspace, actor: Any) -> None:
    if role == Role.OWNER and isinstance(actor, User) and not Membership.objects.filter(
        workspace=workspace, user=actor, role=Role.OWNER
    ).exists():
        raise PermissionDenied("Only owners grant or remove the owner role.")


def do_add_member(workspace: Workspace, user: User, role: str, actor: Any) -> Membership:
    if role not in Role.values:
        raise ValidationError(f"Unknown role {role!r}; choose one of {', '.join(Role.values)}.")
    with transaction.atomic():
        require_manager(workspace, actor)
        require_owner_for(role, workspace, actor)
        if Membership.objects.filter(workspace=workspace, user=user).exists():
            raise ValidationError("This user is already a member of the workspace.")
        return add_membership(workspace, user, role, actor)


def _lock_workspace(workspace_id: Any) -> None:
    """Serialise membership changes of one workspace, so two owners cannot demote each other at once."""
    list(Workspace.objects.select_for_update().filter(pk=workspace_id).values_list("pk", flat=True))


def _check_owner_remains(membership: Membership) -> None:
    others = Membership.objects.filter(workspace_id=membership.workspace_id, role=Role.OWNER)
    if membership.role == Role.OWNER and not others.exclude(pk=membership.pk).exists():
        raise ValidationError("A workspace must keep at least one owner.")


def do_change_role(membership: Membership, role: str, actor: Any) -> Membership:
    if role not in Role.values:
        raise ValidationError(f"Unknown role {role!r}; choose one of {', '.join(Role.values)}.")
    with transaction.atomic():
        _lock_workspace(membership.workspace_id)
        locked = Membership.objects.select_for_update().select_related("workspace").get(pk=membership.pk)
        require_manager(locked.workspace, actor)
        require_owner_for(role if role == Role.OWNER else locked.role, locked.workspace, actor)
        if role != Role.OWNER:
            _check_owner_remains(locked)
        old = locked.role
        locked.role = role
        locked.save(update_fields=["role"])
        record(actor, "membership.role_changed", locked, old_role=old, role=role)
    return locked


def do_set_privacy_officer(membership: Membership, privacy_officer: bool, actor: Any) -> Membership:
    """Owners name the members who decide, with them, on clients' rights requests."""
    with transaction.atomic():
        locked = Membership.objects.select_for_update().select_related("workspace").get(pk=membership.pk)
        if isinstance(actor, User) and not Membership.objects.filter(
            workspace=locked.workspace, user=actor, role=Role.OWNER
        ).exists():
            raise PermissionDenied("Only owners name privacy officers.")
        if locked.privacy_officer != privacy_officer:
            locked.privacy_officer = privacy_officer
            locked.save(update_fields=["privacy_officer"])
            record(actor, "membership.privacy_officer_changed", locked, privacy_officer=privacy_officer)
    return locked


def do_remove_member(membership: Membership, actor: Any) -> None:
    with transaction.atomic():
        _lock_workspace(membership.workspace_id)
        locked = Membership.objects.select_for_update().select_related("workspace").get(pk=membership.pk)
        require_manager(locked.workspace, actor)
        require_owner_for(locked.role, locked.workspace, actor)
        _check_owner_remains(locked)
        record(actor, "membership.removed", locked, user=str(locked.user_id), role=locked.role)
        locked.delete()
