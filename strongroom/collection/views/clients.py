from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from strongroom.accounts.access import membership_in
from strongroom.audit.actions import record_now
from strongroom.collection.access import client_for, clients_for, requests_for
from strongroom.collection.clients import do_create_client, do_update_client, find_clients
from strongroom.collection.forms import ClientForm
from strongroom.rights.restriction import active_restriction


@login_required
def client_list(request: HttpRequest, workspace_id: Any) -> HttpResponse:
    membership = membership_in(request.user, workspace_id)  # type: ignore[arg-type]
    query = request.GET.get("q", "").strip()
    clients = find_clients(membership.workspace, query) if query else clients_for(membership)
    return render(
        request,
        "staff/clients.html",
        {
            "workspace": membership.workspace,
            "membership": membership,
            "query": query,
            "clients": clients.select_related("subject").order_by("-created_at")[:200],
        },
    )


def _save(form: ClientForm, action: Any) -> Any:
    try:
        return action(**form.cleaned_data)
    except PermissionDenied as exc:  # the client's data is restricted
        form.add_error(None, str(exc))
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            form.add_error(None, exc.messages)
    return None


@login_required
def client_new(request: HttpRequest, workspace_id: Any) -> HttpResponse:
    membership = membership_in(request.user, workspace_id)  # type: ignore[arg-type]
    form = ClientForm(request.POST or None, initial={"language": membership.workspace.default_language})
    if request.method == "POST" and form.is_valid():
        client = _save(form, lambda **v: do_create_client(membership.workspace, request.user, **v))
        if client is not None:
            messages.success(request, _("Client added."))
            return redirect("staff:client", workspace_id=workspace_id, client_id=client.pk)
    return render(
        request,
        "staff/client_form.html",
        {"workspace": membership.workspace, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@login_required
def client_detail(request: HttpRequest, workspace_id: Any, client_id: Any) -> HttpResponse:
    client = client_for(request.user, workspace_id, client_id)  # type: ignore[arg-type]
    membership = membership_in(request.user, workspace_id)  # type: ignore[arg-type]
    form = ClientForm(
        request.POST or None,
        initial={
            "name": client.name,
            "email": client.email,
            "phone": client.phone,
            "language": client.language,
            "notes": client.notes,
        },
    )
    if request.method == "POST" and form.is_valid():
        if _save(form, lambda **v: do_update_client(client, request.user, **v)) is not None:
            messages.success(request, _("Saved."))
            return redirect("staff:client", workspace_id=workspace_id, client_id=client.pk)
    else:
        record_now(request.user, "client.viewed", client, subject=client.subject_id)
    return render(
        request,
        "staff/client_detail.html",
        {
            "workspace": membership.workspace,
            "client": client,
            "form": form,
            "restriction": active_restriction(client.subject_id),
            "requests": requests_for(membership).filter(client=client).order_by("-created_at"),
        },
        status=400 if request.method == "POST" else 200,
    )
