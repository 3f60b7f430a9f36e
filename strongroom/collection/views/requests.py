"""Staff pages of one request: create, send, review items, talk to the client, close."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from strongroom.accounts.access import membership_in
from strongroom.audit.actions import record_now
from strongroom.collection import lifecycle, review
from strongroom.collection.access import clients_for, item_for, request_for, templates_for
from strongroom.collection.forms import RequestForm
from strongroom.collection.threads import author_label, do_post_message, visible_thread
from strongroom.portal.revocation import do_revoke_request_links
from strongroom.rights.restriction import active_restriction


def _refusal(exc: Exception) -> str:
    return " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)


@login_required
def request_new(request: HttpRequest, workspace_id: Any) -> HttpResponse:
    membership = membership_in(request.user, workspace_id)  # type: ignore[arg-type]
    clients = {str(c.pk): c for c in clients_for(membership)}
    templates = {str(t.pk): t for t in templates_for(membership)}
    form = RequestForm(
        request.POST or None,
        initial={"client": request.GET.get("client", "")},
        clients=sorted(((k, f"{c.name} <{c.email}>") for k, c in clients.items()), key=lambda p: p[1]),
        templates=[(k, t.name) for k, t in templates.items()],
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        template = templates.get(data["template"] or "")
        due = data["due_date"] or (
            timezone.localdate() + timedelta(days=template.default_due_days)
            if template and template.default_due_days
            else None
        )
        try:
            created = lifecycle.do_create_request(
                membership.workspace,
                request.user,
                client=clients[data["client"]],
                title=data["title"],
                template=template,
                due_date=due,
                message=data["message"],
            )
        except ValidationError as exc:
            form.add_error(None, _refusal(exc))
        else:
            return redirect("staff:request", workspace_id=workspace_id, request_id=created.pk)
    return render(
        request,
        "staff/request_form.html",
        {"workspace": membership.workspace, "form": form},
        status=400 if request.method == "POST" else 200,
    )


def _sections(req: Any) -> list[dict[str, Any]]:
    from strongroom.collection.checklists import visible_items

    items = list(
        req.items.select_related("section")
        .prefetch_related("uploads__blob")
        .order_by("section__position", "position")
    )
    visible = {i.pk for i in visible_items(items)}
    sections: dict[Any, dict[str, Any]] = {}
    for item in items:
        sections.setdefault(item.section_id, {"section": item.section, "items": []})["items"].append(
            {"item": item, "visible": item.pk in visible, "uploads": list(item.uploads.all())}
        )
    return list(sections.values())


@login_required
def request_detail(request: HttpRequest, workspace_id: Any, request_id: Any) -> HttpResponse:
    req = request_for(request.user, workspace_id, request_id)  # type: ignore[arg-type]
    record_now(request.user, "request.viewed", req, subject=req.client.subject_id)
    thread = [(m, author_label(m, viewer_is_staff=True)) for m in visible_thread(req, for_portal=False)]
    return render(
        request,
        "staff/request_detail.html",
        {
            "workspace": req.workspace,
            "req": req,
            "sections": _sections(req),
            "thread": thread,
            "contributors": req.contributors.all(),
            "today": timezone.localdate(),
            "holds": _holds(request, req),
            "restriction": active_restriction(req.client.subject_id),
        },
    )


def _holds(request: HttpRequest, req: Any) -> list[Any] | None:
    """The request's legal holds, for those who handle rights requests (None: the panel is hidden)."""
    from strongroom.rights.lifecycle import may_handle
    from strongroom.rights.models import LegalHold

    if not may_handle(request.user, req.workspace_id):  # type: ignore[arg-type]
        return None
    return list(LegalHold.objects.filter(request=req, lifted_at=None))


def _act(
    request: HttpRequest, workspace_id: Any, request_id: Any, action: Callable[[], Any], done: str
) -> HttpResponse:
    try:
        action()
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _refusal(exc))
    else:
        messages.success(request, done)
    return redirect("staff:request", workspace_id=workspace_id, request_id=request_id)


@require_POST
@login_required
def request_send(request: HttpRequest, workspace_id: Any, request_id: Any) -> HttpResponse:
    req = request_for(request.user, workspace_id, request_id)  # type: ignore[arg-type]
    return _act(
        request,
        workspace_id,
        request_id,
        lambda: lifecycle.do_send_request(req, request.user),
        _("Sent: the client will receive an e-mail with their link."),
    )


@require_POST
@login_required
def request_cancel(request: HttpRequest, workspace_id: Any, request_id: Any) -> HttpResponse:
    req = request_for(request.user, workspace_id, request_id)  # type: ignore[arg-type]
    return _act(
        request,
        workspace_id,
        request_id,
        lambda: lifecycle.do_cancel_request(req, request.user),
        _("The request is cancelled; its links stop working."),
    )


@require_POST
@login_required
def request_new_link(request: HttpRequest, workspace_id: Any, request_id: Any) -> HttpResponse:
    req = request_for(request.user, workspace_id, request_id)  # type: ignore[arg-type]
    chosen = request.POST.get("contributor", "")
    contributor = req.contributors.filter(pk=chosen).first() if chosen else None
    return _act(
        request,
        workspace_id,
        request_id,
        lambda: lifecycle.do_send_new_link(req, request.user, contributor),
        _("A new link is on its way; the earlier one no longer works."),
    )


@require_POST
@login_required
def request_revoke_links(request: HttpRequest, workspace_id: Any, request_id: Any) -> HttpResponse:
    req = request_for(request.user, workspace_id, request_id)  # type: ignore[arg-type]
    return _act(
        request,
        workspace_id,
        request_id,
        lambda: do_revoke_request_links(req, request.user),
        _("Every link to this request is withdrawn. Send a new link when the client needs one."),
    )


@require_POST
@login_required
def request_contributor(request: HttpRequest, workspace_id: Any, request_id: Any) -> HttpResponse:
    req = request_for(request.user, workspace_id, request_id)  # type: ignore[arg-type]
    post = request.POST
    return _act(
        request,
        workspace_id,
        request_id,
        lambda: lifecycle.do_add_contributor(
            req,
            request.user,
            name=post.get("name", ""),
            email=post.get("email", ""),
            language=post.get("language", "en"),
        ),
        _("Contributor added."),
    )


@require_POST
@login_required
def request_message(request: HttpRequest, workspace_id: Any, request_id: Any) -> HttpResponse:
    req = request_for(request.user, workspace_id, request_id)  # type: ignore[arg-type]
    internal = request.POST.get("internal") == "1"
    return _act(
        request,
        workspace_id,
        request_id,
        lambda: do_post_message(req, request.user, request.POST.get("body", ""), internal=internal),  # type: ignore[arg-type]
        _("Note saved.") if internal else _("Message sent."),
    )


ReviewAction = Callable[[Any, Any, int, Any], Any]

REVIEW_ACTIONS: dict[str, tuple[ReviewAction, str]] = {
    "approve": (lambda item, user, version, post: review.do_approve_item(item, user, version), "Approved."),
    "reject": (
        lambda item, user, version, post: review.do_reject_item(item, user, version, post.get("reason", "")),
        "Sent back to the client with your reason.",
    ),
    "reopen": (lambda item, user, version, post: review.do_reopen_item(item, user, version), "Reopened."),
    "answer": (
        lambda item, user, version, post: review.do_answer_for_client(
            item,
            user,
            version,
            post.getlist("value") if item.question_type == "multiple_choice" else post.get("value", ""),
        ),
        "Answer saved.",
    ),
}


@require_POST
@login_required
def item_review(request: HttpRequest, workspace_id: Any, item_id: Any, verb: str) -> HttpResponse:
    item = item_for(request.user, workspace_id, item_id)  # type: ignore[arg-type]
    if verb not in REVIEW_ACTIONS:
        return redirect("staff:request", workspace_id=workspace_id, request_id=item.request_id)
    action, done = REVIEW_ACTIONS[verb]
    try:
        version = int(request.POST.get("version", "-1"))
    except ValueError:
        version = -1
    return _act(
        request,
        workspace_id,
        item.request_id,
        lambda: action(item, request.user, version, request.POST),
        _(done),
    )
