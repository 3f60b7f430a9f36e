"""Who on the staff sees which requests: admins and owners see all of their workspace's, members
only those they own or are assigned to. Everything else answers 404."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from strongroom.accounts.access import MANAGERS, membership_in
from strongroom.accounts.models import Membership, User
from strongroom.collection.models import Client, Request, RequestItem, Template, Upload


def requests_for(membership: Membership) -> QuerySet[Request]:
    found = Request.objects.filter(workspace=membership.workspace)
    if membership.role not in MANAGERS:
        found = found.filter(Q(owner=membership.user) | Q(assignees=membership.user)).distinct()
    return found


def _one(queryset: QuerySet[Any], pk: Any) -> Any:
    try:
        found = queryset.filter(pk=pk).first()
    except (ValueError, TypeError):
        found = None
    if found is None:
        raise Http404("No such record.")
    return found


def request_for(actor: User, workspace_id: Any, request_id: Any) -> Request:
    membership = membership_in(actor, workspace_id)
    found: Request = _one(
        requests_for(membership).select_related("client__subject", "workspace", "owner"), request_id
    )
    return found


def item_for(actor: User, workspace_id: Any, item_id: Any) -> RequestItem:
    membership = membership_in(actor, workspace_id)
    items = RequestItem.objects.filter(request__in=requests_for(membership)).select_related("request")
    return _one(items, item_id)  # type: ignore[no-any-return]


def upload_for(actor: User, workspace_id: Any, upload_id: Any) -> Upload:
    membership = membership_in(actor, workspace_id)
    uploads = Upload.objects.filter(item__request__in=requests_for(membership)).select_related(
        "blob__subject", "item__request"
    )
    return _one(uploads, upload_id)  # type: ignore[no-any-return]


def clients_for(membership: Membership) -> QuerySet[Client]:
    return Client.objects.filter(workspace=membership.workspace).select_related("subject")


def client_for(actor: User, workspace_id: Any, client_id: Any) -> Client:
    return _one(clients_for(membership_in(actor, workspace_id)), client_id)  # type: ignore[no-any-return]


def templates_for(membership: Membership) -> QuerySet[Template]:
    return Template.objects.filter(Q(workspace=membership.workspace) | Q(workspace=None)).order_by("name")
