"""Support access in one place: under an active grant, a workspace page may be read, never changed,
and every page read is audited."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from strongroom.operator.support import FILE_VIEWS, READ_ONLY_METHODS, grant_in_use, record_support_view


class SupportAccessMiddleware:
    """For a request to a workspace's page by an operator under a support grant (not a member):
    refuses anything but GET and HEAD with 403, records `support.viewed` for the rest."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Any, args: Any, kwargs: dict[str, Any]
    ) -> HttpResponse | None:
        match = request.resolver_match
        workspace_id = kwargs.get("workspace_id")
        if workspace_id is None or match is None or match.namespace == "operator":
            return None
        grant = grant_in_use(request.user, workspace_id)
        if grant is None:
            return None
        files_refused = match.view_name in FILE_VIEWS and not grant.files_allowed
        if request.method not in READ_ONLY_METHODS or files_refused:
            context = {"workspace": grant.workspace, "grant": grant, "files_refused": files_refused}
            return render(request, "operator/read_only.html", context, status=403)
        record_support_view(grant, match.view_name, kwargs)
        return None
