"""Who can see a client's data, through what, and when each last looked at it or downloaded it."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from strongroom.accounts.access import MANAGERS
from strongroom.accounts.models import Membership, Role, User
from strongroom.audit.models import Event
from strongroom.collection.models import Client, Request
from strongroom.operator.models import GrantState, SupportGrant
from strongroom.rights.models import RightsRequest

# Audit codes that show a staff member reading the client's data, and taking copies of it.
VIEW_ACTIONS = ("client.viewed", "request.viewed", "blob.viewed")
DOWNLOAD_ACTIONS = ("blob.downloaded", "request.files_downloaded")


@dataclass
class Access:
    user: User
    reasons: list[str] = field(default_factory=list)
    support_until: datetime | None = None
    last_viewed: datetime | None = None
    last_downloaded: datetime | None = None


def _last(client: Client, actions: tuple[str, ...]) -> dict[str, datetime]:
    rows = (
        Event.objects.filter(
            workspace=client.workspace_id, subject=client.subject_id, actor_kind="staff", action__in=actions
        )
        .values("actor_id")
        .annotate(last=Max("created_at"))
        .values_list("actor_id", "last")
    )
    return dict(rows)


def _request_reasons(client: Client) -> dict[Any, list[str]]:
    """A member who is neither owner nor admin sees the client's requests they own or are assigned to."""
    reasons: dict[Any, list[str]] = defaultdict(list)
    for request in Request.objects.filter(client=client).prefetch_related("assignees").order_by("created_at"):
        reasons[request.owner_id].append(_("owns the request “%(title)s”") % {"title": request.title})
        for assignee in request.assignees.all():
            reasons[assignee.pk].append(
                _("is assigned to the request “%(title)s”") % {"title": request.title}
            )
    return reasons


def who_has_access(client: Client) -> list[Access]:
    """Current members who can see the client (removed members are not listed), and operators with
    an active support grant to the workspace."""
    by_request = _request_reasons(client)
    has_rights_requests = RightsRequest.objects.filter(client=client).exists()
    found: list[Access] = []
    memberships = Membership.objects.filter(
        workspace=client.workspace_id, user__is_active=True
    ).select_related("user")
    for membership in memberships.order_by("created_at"):
        if membership.role in MANAGERS:
            role = Role(membership.role).label
            reasons = [_("%(role)s of the workspace: sees every client") % {"role": role}]
        else:
            reasons = list(by_request.get(membership.user_id, []))
            if membership.privacy_officer and has_rights_requests:
                reasons.append(_("privacy officer: handles this client's rights requests"))
        if reasons:
            found.append(Access(membership.user, list(reasons)))
    grants = SupportGrant.objects.filter(
        workspace=client.workspace_id,
        state=GrantState.APPROVED,
        expires_at__gt=timezone.now(),
        operator__operator__isnull=False,
    ).select_related("operator")
    for grant in grants.order_by("decided_at"):
        found.append(
            Access(grant.operator, [_("installation operator, support access (read-only)")], grant.expires_at)
        )
    viewed, downloaded = _last(client, VIEW_ACTIONS), _last(client, DOWNLOAD_ACTIONS)
    for access in found:
        access.last_viewed = viewed.get(str(access.user.pk))
        access.last_downloaded = downloaded.get(str(access.user.pk))
    return found
