"""The staff dashboard: requests by state, overdue first, with filters and client search."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import BooleanField, Case, Count, Exists, OuterRef, Q, Value, When
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from strongroom.accounts.access import membership_in
from strongroom.collection.access import requests_for
from strongroom.collection.clients import find_clients
from strongroom.collection.forms import DashboardFilter
from strongroom.collection.models.requests import OPEN_STATES


def _owners(membership: Any) -> list[tuple[str, str]]:
    members = membership.workspace.memberships.select_related("user__subject")
    return [(str(m.user_id), m.user.name or m.user.email) for m in members]


def _rows(page: Any, owner_names: dict[str, str]) -> list[tuple[Any, str]]:
    """Each request with its owner's name, read once per owner rather than once per row."""
    return [(r, owner_names.get(str(r.owner_id), "")) for r in page]


@login_required
def dashboard(request: HttpRequest, workspace_id: Any) -> HttpResponse:
    membership = membership_in(request.user, workspace_id)  # type: ignore[arg-type]
    today = timezone.localdate()
    requests = requests_for(membership).annotate(
        overdue=Case(
            When(Q(due_date__lt=today, state__in=OPEN_STATES), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
    )
    counts = dict(requests.values_list("state").annotate(n=Count("id")).values_list("state", "n"))
    owners = _owners(membership)
    filters = DashboardFilter(request.GET or None, owners=owners)
    if filters.is_valid():
        data = filters.cleaned_data
        if data["state"] == "overdue":
            requests = requests.filter(overdue=True)
        elif data["state"]:
            requests = requests.filter(state=data["state"])
        if data["owner"]:
            requests = requests.filter(owner_id=data["owner"])
        if data["due_before"]:
            requests = requests.filter(due_date__lte=data["due_before"])
        if data["client"]:
            requests = requests.filter(client__in=find_clients(membership.workspace, data["client"]))
    from strongroom.rights.models import Restriction

    restricted = Restriction.objects.filter(subject=OuterRef("client__subject"), lifted_at=None)
    ordered = requests.annotate(restricted=Exists(restricted)).select_related("client__subject").order_by(
        "-overdue", "due_date", "-created_at"
    )
    page = Paginator(ordered, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "staff/dashboard.html",
        {
            "membership": membership,
            "workspace": membership.workspace,
            "page": page,
            "rows": _rows(page, dict(owners)),
            "filters": filters,
            "counts": counts,
            "overdue_count": requests_for(membership)
            .filter(due_date__lt=today, state__in=OPEN_STATES)
            .count(),
        },
    )
