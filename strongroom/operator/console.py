"""What the operator console shows of a workspace: counts, sizes and states, never names of
clients, e-mail addresses, file names or answers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from django.db.models import Count, Model, QuerySet, Sum

from strongroom.accounts.models import Membership, Workspace
from strongroom.collection.models import Client, Request
from strongroom.privacy.dpa import CURRENT_VERSION
from strongroom.privacy.models import BreachNotice, DpaSignature
from strongroom.vault.models import Blob


@dataclass(frozen=True)
class WorkspaceFacts:
    id: UUID
    name: str
    created_at: datetime
    closed_at: datetime | None
    members: int
    clients: int
    requests: int
    stored_bytes: int
    dpa_signed: bool
    open_breaches: int


def _per_workspace(queryset: QuerySet[Any], value: Any) -> dict[UUID, int]:
    rows = queryset.values("workspace_id").annotate(value=value).values_list("workspace_id", "value")
    return {workspace_id: int(found or 0) for workspace_id, found in rows}


def _count(model: type[Model], ids: list[UUID]) -> dict[UUID, int]:
    return _per_workspace(model._default_manager.filter(workspace_id__in=ids), Count("id"))


def workspace_facts(workspaces: QuerySet[Workspace]) -> list[WorkspaceFacts]:
    """One line per workspace, a handful of grouped queries whatever their number."""
    found = list(workspaces.only("id", "name", "created_at", "closed_at"))
    ids = [w.pk for w in found]
    members, clients, requests = _count(Membership, ids), _count(Client, ids), _count(Request, ids)
    stored = _per_workspace(Blob.objects.filter(workspace_id__in=ids), Sum("size"))
    signed = set(
        DpaSignature.objects.filter(workspace_id__in=ids, version=CURRENT_VERSION).values_list(
            "workspace_id", flat=True
        )
    )
    # Open: the authority neither notified nor the decision not to notify it recorded.
    breaches = _count_open_breaches(ids)
    return [
        WorkspaceFacts(
            id=w.pk,
            name=w.name,
            created_at=w.created_at,
            closed_at=w.closed_at,
            members=members.get(w.pk, 0),
            clients=clients.get(w.pk, 0),
            requests=requests.get(w.pk, 0),
            stored_bytes=stored.get(w.pk, 0),
            dpa_signed=w.pk in signed,
            open_breaches=breaches.get(w.pk, 0),
        )
        for w in found
    ]


def _count_open_breaches(ids: list[UUID]) -> dict[UUID, int]:
    notices = BreachNotice.objects.filter(
        workspace_id__in=ids, authority_notified_at__isnull=True, not_notified_reason=""
    )
    return _per_workspace(notices, Count("id"))
