"""Who runs the installation. Operators are staff users flagged by someone with shell access; the
flag opens the operator console (metadata only), never a workspace's content."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from strongroom.accounts.models import User
from strongroom.audit.actions import record
from strongroom.audit.actors import actor_of
from strongroom.operator.models import GrantState, Operator, SupportGrant


def is_operator(user: Any) -> bool:
    return bool(
        isinstance(user, User)
        and user.is_authenticated
        and user.is_active
        and Operator.objects.filter(user=user).exists()
    )


def find_user(email: str) -> User:
    user = User.objects.with_email(email).first()
    if user is None:
        raise ValidationError("No staff user has this e-mail address.")
    return user


def do_add_operator(user: User, actor: Any) -> Operator:
    with transaction.atomic():
        if Operator.objects.filter(user=user).exists():
            raise ValidationError("This user is an operator already.")
        made = Operator.objects.create(user=user, created_by=actor_of(actor).id[:64])
        record(actor, "operator.added", made, user=str(user.pk))
    return made


def do_remove_operator(user: User, actor: Any) -> None:
    """No longer an operator: every support access they hold or asked for ends with it."""
    with transaction.atomic():
        found = Operator.objects.select_for_update().filter(user=user).first()
        if found is None:
            raise ValidationError("This user is not an operator.")
        now = timezone.now()
        for grant in SupportGrant.objects.select_for_update().filter(
            operator=user, state__in=(GrantState.PENDING, GrantState.APPROVED)
        ):
            grant.state, grant.ended_at = GrantState.REVOKED, now
            grant.save(update_fields=["state", "ended_at"])
            record(actor, "support.revoked", grant, operator=str(user.pk), why="operator_removed")
        record(actor, "operator.removed", found, user=str(user.pk))
        found.delete()
