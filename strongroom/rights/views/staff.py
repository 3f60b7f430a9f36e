"""Staff pages of rights requests: the deadlines board, one request and its decisions, legal holds."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from strongroom.audit.actions import record_now
from strongroom.collection.access import request_for
from strongroom.collection.models import Client
from strongroom.rights import holds, lifecycle
from strongroom.rights.forms import ExtendForm, HoldForm, LogRequestForm, RefuseForm
from strongroom.rights.models import OPEN_RIGHTS_STATES, LegalHold, RightsRequest
from strongroom.rights.restriction import active_restriction
from strongroom.signin.reauth import recent_login_required


def _refusal(exc: ValidationError | PermissionDenied) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc) or _("You cannot do this.")


def _rights_request(request: HttpRequest, workspace_id: Any, rights_request_id: Any) -> RightsRequest:
    membership = lifecycle.require_handler(request.user, workspace_id)  # type: ignore[arg-type]
    found = (
        RightsRequest.objects.select_related("workspace", "client__subject", "subject", "decided_by")
        .filter(workspace=membership.workspace, pk=rights_request_id)
        .first()
    )
    if found is None:
        raise Http404("No such rights request.")
    return found


@login_required
def board(request: HttpRequest, workspace_id: Any) -> HttpResponse:
    """Open requests by deadline, overdue first; then the last closed ones."""
    membership = lifecycle.require_handler(request.user, workspace_id)  # type: ignore[arg-type]
    today = timezone.localdate()
    mine = RightsRequest.objects.filter(workspace=membership.workspace).select_related("client__subject")
    open_requests = list(mine.filter(state__in=OPEN_RIGHTS_STATES).order_by("due_on", "received_at"))
    closed = list(mine.exclude(state__in=OPEN_RIGHTS_STATES).order_by("-closed_at")[:50])
    return render(
        request,
        "rights/board.html",
        {
            "workspace": membership.workspace,
            "open_requests": open_requests,
            "closed": closed,
            "today": today,
            "overdue": sum(1 for r in open_requests if r.due_on < today),
            "can_decide": membership.role == "owner" or membership.privacy_officer,
        },
    )


@login_required
def log_request(request: HttpRequest, workspace_id: Any) -> HttpResponse:
    """Log a request that arrived by letter, e-mail, phone or in person, on the client's behalf."""
    membership = lifecycle.require_handler(request.user, workspace_id)  # type: ignore[arg-type]
    workspace = membership.workspace
    clients = Client.objects.filter(workspace=workspace).select_related("subject").order_by("created_at")
    choices = [(str(c.pk), f"{c.name} <{c.email}>") for c in clients if not c.subject.is_destroyed]
    form = LogRequestForm(
        request.POST or None, clients=choices, initial={"received_on": timezone.localdate()}
    )
    if request.method == "POST" and not form.is_valid() and "client" in form.errors:
        record_now(
            request.user,
            "rights.step_refused",
            None,
            workspace=workspace.pk,
            step="log",
            why="unknown_subject",
        )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        client = clients.get(pk=data["client"])
        received = datetime.combine(data["received_on"], time(12), tzinfo=timezone.get_current_timezone())
        if data["received_on"] == timezone.localdate():
            received = timezone.now()
        try:
            created = lifecycle.do_receive(
                workspace,
                client,
                data["kind"],
                channel=data["channel"],
                actor=request.user,
                details=data["details"],
                received_at=received,
            )
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(request, _("Logged. A code was e-mailed to the client to confirm it is them."))
            return redirect("rights:detail", workspace_id=workspace.pk, rights_request_id=created.pk)
    return render(
        request,
        "rights/log.html",
        {"workspace": workspace, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@login_required
def detail(request: HttpRequest, workspace_id: Any, rights_request_id: Any) -> HttpResponse:
    rights_request = _rights_request(request, workspace_id, rights_request_id)
    record_now(request.user, "rights.viewed", rights_request, subject=rights_request.subject_id)
    return _detail_page(request, rights_request)


def _detail_page(request: HttpRequest, rights_request: RightsRequest, status: int = 200) -> HttpResponse:
    membership = lifecycle.require_handler(request.user, rights_request.workspace_id)  # type: ignore[arg-type]
    client = rights_request.client
    erased = rights_request.subject.is_destroyed
    return render(
        request,
        "rights/detail.html",
        {
            "workspace": rights_request.workspace,
            "rr": rights_request,
            "today": timezone.localdate(),
            "client": None if client is None or client.subject.is_destroyed else client,
            "details": "" if erased else rights_request.details,
            "refusal_reason": "" if erased else rights_request.refusal_reason,
            "extension_reason": "" if erased else rights_request.extension_reason,
            "erased": erased,
            "can_decide": membership.role == "owner" or membership.privacy_officer,
            "refuse_form": RefuseForm(),
            "extend_form": ExtendForm(),
            "holds": holds.holds_of(client) if client is not None and not erased else [],
            "restriction": active_restriction(rights_request.subject_id),
            "corrections": _corrections(rights_request, client if not erased else None),
            "notices": list(rights_request.notices.select_related("contributor__subject")),
        },
        status=status,
    )


def _corrections(rights_request: RightsRequest, client: Any) -> list[dict[str, Any]]:
    """Each proposed correction with the value it would replace (nothing once the data is erased)."""
    if client is None:
        return []
    rows = []
    for correction in rights_request.corrections.select_related("item").order_by("field_name"):
        if correction.item is not None:
            label, current = correction.item.label, correction.item.answer
        else:
            label, current = correction.field_name, getattr(client, correction.field_name, "")
        rows.append({"correction": correction, "label": label, "current": current})
    return rows


def _act(
    request: HttpRequest,
    workspace_id: Any,
    rights_request_id: Any,
    action: Callable[[RightsRequest], Any],
    done: str,
) -> HttpResponse:
    rights_request = _rights_request(request, workspace_id, rights_request_id)
    try:
        action(rights_request)
    except PermissionDenied:
        raise
    except ValidationError as exc:
        # A step the rules do not allow (no reason, a second extension...): nothing changes, and
        # the attempt is recorded.
        record_now(
            request.user,
            "rights.step_refused",
            rights_request,
            subject=rights_request.subject_id,
            step=request.resolver_match.url_name if request.resolver_match else "",
            why=getattr(exc, "code", None) or "invalid",
        )
        messages.error(request, _refusal(exc))
        return _detail_page(request, _rights_request(request, workspace_id, rights_request_id), status=400)
    messages.success(request, done)
    return redirect("rights:detail", workspace_id=workspace_id, rights_request_id=rights_request_id)


@require_POST
@login_required
@recent_login_required()
def approve(request: HttpRequest, workspace_id: Any, rights_request_id: Any) -> HttpResponse:
    return _act(
        request,
        workspace_id,
        rights_request_id,
        lambda rr: lifecycle.do_approve(rr, request.user),  # type: ignore[arg-type]
        _("Approved: it is being carried out and the person will be told."),
    )


@require_POST
@login_required
def refuse(request: HttpRequest, workspace_id: Any, rights_request_id: Any) -> HttpResponse:
    reason = request.POST.get("reason", "")
    return _act(
        request,
        workspace_id,
        rights_request_id,
        lambda rr: lifecycle.do_refuse(rr, request.user, reason),  # type: ignore[arg-type]
        _("Refused; the person is told the reason."),
    )


@require_POST
@login_required
def extend(request: HttpRequest, workspace_id: Any, rights_request_id: Any) -> HttpResponse:
    form = ExtendForm(request.POST)
    months = form.cleaned_data["months"] if form.is_valid() else int(request.POST.get("months") or 0)
    reason = request.POST.get("reason", "")
    return _act(
        request,
        workspace_id,
        rights_request_id,
        lambda rr: lifecycle.do_extend(rr, request.user, months=months, reason=reason),  # type: ignore[arg-type]
        _("Extended; the person is told the new deadline and the reason."),
    )


@require_POST
@login_required
def resend_code(request: HttpRequest, workspace_id: Any, rights_request_id: Any) -> HttpResponse:
    return _act(
        request,
        workspace_id,
        rights_request_id,
        lambda rr: lifecycle.do_resend_code(rr, request.user),  # type: ignore[arg-type]
        _("A new code is on its way to the client."),
    )


@require_POST
@login_required
def hold_add(request: HttpRequest, workspace_id: Any, request_id: Any) -> HttpResponse:
    req = request_for(request.user, workspace_id, request_id)  # type: ignore[arg-type]
    form = HoldForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    else:
        try:
            holds.do_set_hold(req, request.user, form.cleaned_data["ground"], form.cleaned_data["until"])  # type: ignore[arg-type]
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, _refusal(exc))
        else:
            messages.success(
                request, _("Legal hold set: this request will be kept if the client's data is erased.")
            )
    return redirect("staff:request", workspace_id=workspace_id, request_id=req.pk)


@require_POST
@login_required
def hold_lift(request: HttpRequest, workspace_id: Any, hold_id: Any) -> HttpResponse:
    membership = lifecycle.require_handler(request.user, workspace_id)  # type: ignore[arg-type]
    hold = LegalHold.objects.filter(workspace=membership.workspace, pk=hold_id).first()
    if hold is None:
        raise Http404("No such hold.")
    holds.do_lift_hold(hold, request.user)
    messages.success(request, _("Legal hold lifted."))
    return redirect("staff:request", workspace_id=workspace_id, request_id=hold.request_id)


@require_POST
@login_required
def restriction_lift(request: HttpRequest, workspace_id: Any, restriction_id: Any) -> HttpResponse:
    """Lift a restriction: the person is told first, then it is lifted (Art. 18(3))."""
    from strongroom.rights.models import Restriction
    from strongroom.rights.restriction import do_request_lift

    membership = lifecycle.require_handler(request.user, workspace_id)  # type: ignore[arg-type]
    restriction = Restriction.objects.filter(workspace=membership.workspace, pk=restriction_id).first()
    if restriction is None:
        raise Http404("No such restriction.")
    do_request_lift(restriction, request.user)  # type: ignore[arg-type]
    messages.success(request, _("The person is being told; the restriction is lifted once they have been."))
    if restriction.rights_request_id:
        return redirect(
            "rights:detail", workspace_id=workspace_id, rights_request_id=restriction.rights_request_id
        )
    return redirect("rights:board", workspace_id=workspace_id)


@require_POST
@login_required
def correction_decide(
    request: HttpRequest, workspace_id: Any, rights_request_id: Any, correction_id: Any, verb: str
) -> HttpResponse:
    """Accept (and apply) or refuse one proposed correction."""
    from strongroom.rights import rectification
    from strongroom.rights.models import Correction

    if verb not in ("accept", "refuse"):
        raise Http404("No such decision.")
    rights_request = _rights_request(request, workspace_id, rights_request_id)
    correction = Correction.objects.filter(rights_request=rights_request, pk=correction_id).first()
    if correction is None:
        raise Http404("No such correction.")
    return _act(
        request,
        workspace_id,
        rights_request_id,
        lambda rr: rectification.do_decide_correction(correction, request.user, accept=verb == "accept"),  # type: ignore[arg-type]
        _("Correction applied.") if verb == "accept" else _("Correction refused."),
    )


@require_POST
@login_required
def notice_done(
    request: HttpRequest, workspace_id: Any, rights_request_id: Any, notice_id: Any
) -> HttpResponse:
    """Art. 19: staff record that they told a recipient of the change."""
    from strongroom.rights import rectification
    from strongroom.rights.models import RecipientNotice

    rights_request = _rights_request(request, workspace_id, rights_request_id)
    notice = RecipientNotice.objects.filter(rights_request=rights_request, pk=notice_id).first()
    if notice is None:
        raise Http404("No such recipient.")
    rectification.do_mark_notified(notice, request.user)  # type: ignore[arg-type]
    messages.success(request, _("Recorded."))
    return redirect("rights:detail", workspace_id=workspace_id, rights_request_id=rights_request_id)
