"""Support access: an operator asks to see one workspace, an owner approves (perhaps for less time)
or refuses, and may revoke it at any moment. While a grant is active the operator sees the
workspace's staff pages as an admin would, read-only; expiry is checked on each request."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.tasks import task
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from strongroom.accounts.models import Membership, Role, User, Workspace
from strongroom.audit.actions import record
from strongroom.audit.actors import SYSTEM
from strongroom.audit.models import Event
from strongroom.operator.models import MAX_HOURS, MIN_HOURS, REASON_MAX_LENGTH, GrantState, SupportGrant
from strongroom.operator.operators import is_operator

_EMAIL = re.compile(r"\S+@\S+")
READ_ONLY_METHODS = ("GET", "HEAD")
# The pages that hand out a client's documents: closed to support access the owner gave for pages only.
FILE_VIEWS = frozenset({"staff:upload_file", "staff:request_zip"})


# --- asking --------------------------------------------------------------------------------------


def _checked_hours(hours: Any, most: int = MAX_HOURS) -> int:
    try:
        value = int(hours)
    except (TypeError, ValueError):
        value = 0
    if not MIN_HOURS <= value <= most:
        raise ValidationError(
            _("The duration is between %(least)d and %(most)d hours.") % {"least": MIN_HOURS, "most": most}
        )
    return value


def _checked_reason(reason: str) -> str:
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError(_("Give the reason: the support ticket and what needs looking at."))
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationError(_("Keep the reason under %(most)d characters.") % {"most": REASON_MAX_LENGTH})
    if _EMAIL.search(reason):
        raise ValidationError(_("Name nobody in the reason: no e-mail addresses."))
    return reason


def do_request_support(workspace: Workspace, operator: User, *, reason: str, hours: Any) -> SupportGrant:
    """An operator asks the workspace's owners for access; the owners are e-mailed a link."""
    if not is_operator(operator):
        raise PermissionDenied(_("Only the installation's operators ask for support access."))
    reason, value = _checked_reason(reason), _checked_hours(hours)
    with transaction.atomic():
        locked = Workspace.objects.select_for_update().get(pk=workspace.pk)
        if locked.closed_at is not None:
            raise ValidationError(_("This workspace was deleted."))
        if SupportGrant.objects.filter(
            Q(state=GrantState.PENDING) | Q(state=GrantState.APPROVED, expires_at__gt=timezone.now()),
            workspace=locked,
            operator=operator,
        ).exists():
            raise ValidationError(_("You already have a pending or active support access to this workspace."))
        grant = SupportGrant.objects.create(
            workspace=locked, operator=operator, reason=reason, requested_hours=value
        )
        record(operator, "support.requested", grant, hours=value)
        transaction.on_commit(lambda: tell_owners.enqueue(str(grant.pk)))
    return grant


def owners_of(workspace_id: Any) -> QuerySet[Membership]:
    return Membership.objects.filter(workspace_id=workspace_id, role=Role.OWNER, user__is_active=True)


def grants_url(workspace_id: Any) -> str:
    return f"{settings.BASE_URL}{reverse('support:grants', kwargs={'workspace_id': workspace_id})}"


@task()
def tell_owners(grant_id: str) -> int:
    """E-mail each owner a link to decide; no reason, no name: the page shows the rest."""
    from strongroom.mail.render import send_mail_in_language

    grant = SupportGrant.objects.select_related("workspace").filter(pk=grant_id).first()
    if grant is None or grant.state != GrantState.PENDING:
        return 0
    owners = [m.user for m in owners_of(grant.workspace_id).select_related("user")]
    context = {
        "workspace_name": grant.workspace.name,
        "hours": grant.requested_hours,
        "decide_url": grants_url(grant.workspace_id),
    }
    for owner in owners:
        send_mail_in_language(
            to=[owner.email],
            template="support_requested",
            context=context,
            language=grant.workspace.default_language,
        )
    return len(owners)


# --- deciding ------------------------------------------------------------------------------------


def _require_owner(workspace_id: Any, actor: Any) -> None:
    if not (isinstance(actor, User) and owners_of(workspace_id).filter(user=actor).exists()):
        raise PermissionDenied(_("Only the workspace's owners decide on support access."))


def _locked(grant: SupportGrant, *states: str) -> SupportGrant:
    locked = SupportGrant.objects.select_for_update().get(pk=grant.pk)
    if locked.state not in states:
        raise ValidationError(_("This support access was already decided or has ended."))
    return locked


def do_approve_support(
    grant: SupportGrant, owner: User, hours: Any = None, *, files_allowed: bool = False
) -> SupportGrant:
    """Approve for the hours asked, or fewer; the access starts now. Pages only, unless the owner
    also lets the operator open the clients' files (`FILE_VIEWS`)."""
    _require_owner(grant.workspace_id, owner)
    with transaction.atomic():
        locked = _locked(grant, GrantState.PENDING)
        value = _checked_hours(
            locked.requested_hours if hours in (None, "") else hours, locked.requested_hours
        )
        now = timezone.now()
        locked.state, locked.decided_by, locked.decided_at = GrantState.APPROVED, owner, now
        locked.granted_hours, locked.expires_at = value, now + timedelta(hours=value)
        locked.files_allowed = files_allowed
        locked.save(update_fields=[
            "state", "decided_by", "decided_at", "granted_hours", "expires_at", "files_allowed"
        ])
        record(owner, "support.approved", locked, operator=str(locked.operator_id), hours=value,
               files=files_allowed)
    return locked


def do_refuse_support(grant: SupportGrant, owner: User) -> SupportGrant:
    _require_owner(grant.workspace_id, owner)
    with transaction.atomic():
        locked = _locked(grant, GrantState.PENDING)
        locked.state, locked.decided_by, locked.decided_at = GrantState.REFUSED, owner, timezone.now()
        locked.save(update_fields=["state", "decided_by", "decided_at"])
        record(owner, "support.refused", locked, operator=str(locked.operator_id))
    return locked


def do_revoke_support(grant: SupportGrant, owner: User) -> SupportGrant:
    """End an approved access at once (a pending one can simply be refused)."""
    _require_owner(grant.workspace_id, owner)
    with transaction.atomic():
        locked = _locked(grant, GrantState.APPROVED)
        locked.state, locked.ended_at, locked.ended_by = GrantState.REVOKED, timezone.now(), owner
        locked.save(update_fields=["state", "ended_at", "ended_by"])
        record(owner, "support.revoked", locked, operator=str(locked.operator_id))
    return locked


# --- using ---------------------------------------------------------------------------------------


def _expire(grant: SupportGrant) -> None:
    with transaction.atomic():
        locked = SupportGrant.objects.select_for_update().get(pk=grant.pk)
        if locked.state != GrantState.APPROVED:
            return
        locked.state, locked.ended_at = GrantState.EXPIRED, locked.expires_at
        locked.save(update_fields=["state", "ended_at"])
        record(SYSTEM, "support.expired", locked, operator=str(locked.operator_id))


def active_grant(actor: Any, workspace_id: Any) -> SupportGrant | None:
    """The actor's approved, unexpired grant to the workspace; a grant found past its time is
    marked expired (and audited) here, so no job is needed for access to end on time."""
    if not isinstance(actor, User) or not actor.is_authenticated or not actor.is_active:
        return None
    grant = (
        SupportGrant.objects.select_related("workspace")
        .filter(operator=actor, workspace_id=workspace_id, state=GrantState.APPROVED)
        .order_by("-decided_at")
        .first()
    )
    if grant is None:
        return None
    if not grant.is_active or not is_operator(actor) or grant.workspace.closed_at is not None:
        if not grant.is_active:
            _expire(grant)
        return None
    return grant


def supported_workspace_ids(actor: User) -> QuerySet[SupportGrant, Any]:
    """Ids of the workspaces the actor may see now through support access (for subqueries)."""
    return SupportGrant.objects.filter(
        operator=actor,
        state=GrantState.APPROVED,
        expires_at__gt=timezone.now(),
        operator__operator__isnull=False,
    ).values("workspace_id")


def grant_in_use(actor: Any, workspace_id: Any) -> SupportGrant | None:
    """The grant a request to this workspace runs under: an active one, when the actor is no member."""
    if not isinstance(actor, User) or not actor.is_authenticated:
        return None
    if not SupportGrant.objects.filter(
        operator=actor, workspace_id=workspace_id, state=GrantState.APPROVED
    ).exists():
        return None
    if Membership.objects.filter(user=actor, workspace_id=workspace_id).exists():
        return None
    return active_grant(actor, workspace_id)


def record_support_view(grant: SupportGrant, url_name: str, kwargs: dict[str, Any]) -> None:
    """The page seen under the grant: its URL name and the ids in its path, never queries or bodies."""
    from uuid import UUID

    ids = {f"{key}": str(value) for key, value in kwargs.items() if isinstance(value, UUID)}
    with transaction.atomic():
        record(grant.operator, "support.viewed", grant, url=url_name[:64], **ids)


# --- the owners' view ----------------------------------------------------------------------------


def events_under(grant: SupportGrant) -> QuerySet[Event]:
    """Everything the operator did in the workspace while the grant was active."""
    if grant.decided_at is None or grant.state in (GrantState.PENDING, GrantState.REFUSED):
        return Event.objects.none()
    until = grant.ended_at or grant.expires_at or timezone.now()
    return Event.objects.filter(
        workspace=grant.workspace_id,
        actor_kind="staff",
        actor_id=str(grant.operator_id),
        created_at__gte=grant.decided_at,
        created_at__lte=until,
    ).order_by("created_at", "id")
