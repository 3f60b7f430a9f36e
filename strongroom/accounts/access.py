"""Access helpers: every read of workspace data by a staff member goes through here.

Anything outside the actor's workspaces answers 404, so ids of other workspaces' records never
leak through a different error. A known record the actor's role may not change answers 403.

An installation operator holding a support grant an owner approved sees the workspace as an admin
would, read-only: `membership_in` answers with an unsaved admin membership marked with the grant;
the support middleware refuses anything but GET and HEAD, and `require_member` stays strict.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model, Q, QuerySet
from django.http import Http404

from strongroom.accounts.models import Membership, Role, User, Workspace

MANAGERS = (Role.OWNER, Role.ADMIN)


def _parse_id(value: Any) -> UUID:
    try:
        return value if isinstance(value, UUID) else UUID(str(value))
    except (ValueError, ValidationError):
        raise Http404("No such record.") from None


def membership_in(actor: User, workspace_id: Any) -> Membership:
    """The actor's membership of the workspace, or 404."""
    if not actor.is_authenticated or not actor.is_active:
        raise Http404("No such workspace.")
    found = (
        Membership.objects.select_related("workspace")
        .filter(user=actor, workspace_id=_parse_id(workspace_id))
        .first()
    )
    if found is None:
        found = _support_membership(actor, workspace_id)
    if found is None:
        raise Http404("No such workspace.")
    return found


def _support_membership(actor: User, workspace_id: Any) -> Membership | None:
    from strongroom.operator.support import active_grant

    grant = active_grant(actor, _parse_id(workspace_id))
    if grant is None:
        return None
    membership = Membership(user=actor, workspace=grant.workspace, role=Role.ADMIN)
    membership.support_grant = grant  # type: ignore[attr-defined]
    return membership


def support_grant_of(membership: Membership) -> Any:
    """The support grant a membership stands for, or None for a real member."""
    return getattr(membership, "support_grant", None)


def workspace_for(actor: User, workspace_id: Any) -> Workspace:
    return membership_in(actor, workspace_id).workspace


def require_role(actor: User, workspace_id: Any, roles: tuple[str, ...]) -> Membership:
    """The actor's membership, 404 outside the workspace, 403 when the role is not enough."""
    membership = membership_in(actor, workspace_id)
    if membership.role not in roles:
        raise PermissionDenied("Your role in this workspace does not allow this.")
    return membership


def get_in_workspace[M: Model](queryset: QuerySet[M], actor: User, workspace_id: Any, pk: Any) -> M:
    """One record of the workspace, only if the actor is a member: 404 for everything else."""
    membership = membership_in(actor, workspace_id)
    found = queryset.filter(workspace=membership.workspace, pk=_parse_id(pk)).first()
    if found is None:
        raise Http404("No such record.")
    return found


def require_member(workspace: Workspace | Any, actor: Any) -> None:
    """Inside actions: a staff actor must belong to the workspace (operators and the system may act).

    Views already answer 404 through the helpers above; this stops a view that forgot to.
    """
    if isinstance(actor, User):
        workspace_id: Any = getattr(workspace, "pk", workspace)
        if not Membership.objects.filter(user=actor, workspace_id=workspace_id).exists():
            raise PermissionDenied("You are not a member of this workspace.")


def visible_workspaces(actor: User) -> QuerySet[Workspace]:
    """The actor's workspaces, and those an active support grant lets them see."""
    from strongroom.operator.support import supported_workspace_ids

    return (
        Workspace.objects.filter(Q(memberships__user=actor) | Q(pk__in=supported_workspace_ids(actor)))
        .distinct()
        .order_by("name")
    )
