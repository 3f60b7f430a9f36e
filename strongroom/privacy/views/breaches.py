"""Pages of the breaches part of compliance; see strongroom/privacy/breaches.py.

Owners and admins read the workspace's register and notices; owners record and decide. Members
get 403, anyone outside the workspace 404 (through either workspace's address).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from strongroom.accounts.access import MANAGERS, require_role
from strongroom.accounts.models import Membership, Role
from strongroom.privacy import breaches
from strongroom.privacy.datamap import CATEGORIES
from strongroom.privacy.models import BreachNotice

OWNERS = (Role.OWNER,)
_COUNT = forms.NumberInput(attrs={"min": 0})  # a negative count is the action's to refuse, in its words
_MOMENT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def _text(label: Any, rows: int = 3, required: bool = False) -> forms.CharField:
    # Emptiness and length are the action's to judge, so the page and the console say the same.
    attrs: dict[str, Any] = {"rows": rows, "required": True} if required else {"rows": rows}
    return forms.CharField(label=label, required=False, widget=forms.Textarea(attrs=attrs))


class BreachForm(forms.Form):
    nature = _text(gettext_lazy("Nature of the breach"), rows=4, required=True)
    data_categories = forms.MultipleChoiceField(
        label=gettext_lazy("Categories of personal data concerned"),
        required=False,
        choices=list(CATEGORIES.items()),
        widget=forms.CheckboxSelectMultiple,
    )
    subjects_approx = forms.IntegerField(
        label=gettext_lazy("Approximate number of people concerned"), required=False, widget=_COUNT
    )
    records_approx = forms.IntegerField(
        label=gettext_lazy("Approximate number of records concerned"), required=False, widget=_COUNT
    )
    consequences = _text(gettext_lazy("Likely consequences"))
    measures = _text(gettext_lazy("Measures taken or proposed, including to mitigate its effects"))
    contact = forms.CharField(
        label=gettext_lazy("Contact point for more information"),
        required=False,
        widget=forms.TextInput(attrs={"required": True}),
    )
    aware_at = forms.DateTimeField(
        label=gettext_lazy("Became known on"),
        help_text=gettext_lazy("The 72 hours to notify the authority run from this moment."),
        required=False,
        widget=forms.DateTimeInput(
            attrs={"type": "datetime-local", "required": True}, format="%Y-%m-%dT%H:%M"
        ),
    )


class _NoticeForm(forms.Form):
    """One of several forms on the notice page: each names its fields' ids after itself."""

    id_prefix = "notice"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


class AuthorityForm(_NoticeForm):
    id_prefix = "authority"

    notified_at = forms.DateTimeField(label=gettext_lazy("Notified on"), required=False, widget=_MOMENT)
    reference = forms.CharField(label=gettext_lazy("The authority's reference"), required=False)


class NotNotifiedForm(_NoticeForm):
    id_prefix = "not_notified"

    reason = _text(gettext_lazy("Why the breach is unlikely to result in a risk to people"), required=True)


class UpdateForm(_NoticeForm):
    id_prefix = "update"

    text = _text(gettext_lazy("What became known"), required=True)


class SubjectsForm(_NoticeForm):
    id_prefix = "subjects"

    decision = forms.ChoiceField(
        label=gettext_lazy("Decision"),
        required=False,
        choices=[(c, label) for c, label in BreachNotice.SubjectsDecision.choices if c],
        widget=forms.RadioSelect,
    )
    reason = _text(gettext_lazy("Reasons"), required=True)


def _errors_into(form: forms.Form, exc: ValidationError) -> None:
    """Put an action's ValidationError on the form: beside the fields it names."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _notice(membership: Membership, notice_id: Any) -> BreachNotice:
    found = (
        BreachNotice.objects.select_related("breach", "workspace", "decided_by")
        .filter(workspace=membership.workspace, pk=notice_id)
        .first()
    )
    if found is None:
        raise Http404("No such breach.")
    return found


@login_required
def register(request: HttpRequest, workspace_id: Any) -> HttpResponse:
    """Every breach of the workspace, newest first, notified or not, each with its countdown."""
    membership = require_role(request.user, workspace_id, MANAGERS)  # type: ignore[arg-type]
    now = timezone.now()
    notices = (
        BreachNotice.objects.filter(workspace=membership.workspace)
        .select_related("breach")
        .order_by("-breach__aware_at", "-breach__recorded_at")
    )
    return render(
        request,
        "compliance/breaches/register.html",
        {
            "workspace": membership.workspace,
            "rows": [(notice, breaches.countdown(notice, now)) for notice in notices],
            "can_act": membership.role == Role.OWNER,
        },
    )


@login_required
def record_breach(request: HttpRequest, workspace_id: Any) -> HttpResponse:
    """An owner records a breach of their workspace; the owners are e-mailed at once."""
    membership = require_role(request.user, workspace_id, OWNERS)  # type: ignore[arg-type]
    now = timezone.localtime().replace(second=0, microsecond=0)
    form = BreachForm(request.POST or None, initial={"aware_at": now})
    if request.method == "POST" and form.is_valid():
        try:
            breach = breaches.do_record_breach(
                actor=request.user, workspace=membership.workspace, **form.cleaned_data
            )
        except ValidationError as exc:
            _errors_into(form, exc)
        else:
            messages.success(request, _("Breach recorded. The workspace's owners are being told."))
            notice = breach.notices.get()
            return redirect("compliance:breach_notice", workspace_id=workspace_id, notice_id=notice.pk)
    return render(
        request,
        "compliance/breaches/new.html",
        {"workspace": membership.workspace, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@login_required
def notice_page(request: HttpRequest, workspace_id: Any, notice_id: Any) -> HttpResponse:
    membership = require_role(request.user, workspace_id, MANAGERS)  # type: ignore[arg-type]
    return _notice_page(request, membership, _notice(membership, notice_id))


def _notice_page(
    request: HttpRequest,
    membership: Membership,
    notice: BreachNotice,
    bound: dict[str, forms.Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    breach = notice.breach
    now = timezone.localtime().replace(second=0, microsecond=0)
    page_forms: dict[str, forms.Form] = {
        "authority_form": AuthorityForm(initial={"notified_at": now}),
        "not_notified_form": NotNotifiedForm(),
        "update_form": UpdateForm(),
        "subjects_form": SubjectsForm(),
    } | (bound or {})
    return render(
        request,
        "compliance/breaches/notice.html",
        {
            "workspace": membership.workspace,
            "notice": notice,
            "breach": breach,
            "countdown": breaches.countdown(notice, timezone.now()),
            "categories": [(code, CATEGORIES.get(code, code)) for code in breach.data_categories],
            "updates": list(notice.updates.select_related("written_by")),
            "can_act": membership.role == Role.OWNER,
            **page_forms,
        },
        status=status,
    )


def _act(
    request: HttpRequest,
    workspace_id: Any,
    notice_id: Any,
    form_name: str,
    form_class: type[forms.Form],
    action: Callable[[BreachNotice, dict[str, Any]], Any],
    done: str,
) -> HttpResponse:
    """An owner's step on a notice: done and back to the page, or the page again with the errors."""
    membership = require_role(request.user, workspace_id, OWNERS)  # type: ignore[arg-type]
    notice = _notice(membership, notice_id)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            action(notice, form.cleaned_data)
        except ValidationError as exc:
            _errors_into(form, exc)
        else:
            messages.success(request, done)
            return redirect("compliance:breach_notice", workspace_id=workspace_id, notice_id=notice.pk)
    messages.error(request, _("Nothing was recorded: see the form below."))
    return _notice_page(request, membership, notice, {form_name: form}, status=400)


@require_POST
@login_required
def notify_authority(request: HttpRequest, workspace_id: Any, notice_id: Any) -> HttpResponse:
    return _act(
        request,
        workspace_id,
        notice_id,
        "authority_form",
        AuthorityForm,
        lambda notice, data: breaches.do_record_authority_notification(
            notice, request.user, data["notified_at"], data["reference"]
        ),
        _("The notification to the authority is recorded."),
    )


@require_POST
@login_required
def not_notified(request: HttpRequest, workspace_id: Any, notice_id: Any) -> HttpResponse:
    return _act(
        request,
        workspace_id,
        notice_id,
        "not_notified_form",
        NotNotifiedForm,
        lambda notice, data: breaches.do_record_not_notified(notice, request.user, data["reason"]),
        _("Recorded: the authority is not notified, for the reasons given."),
    )


@require_POST
@login_required
def add_update(request: HttpRequest, workspace_id: Any, notice_id: Any) -> HttpResponse:
    return _act(
        request,
        workspace_id,
        notice_id,
        "update_form",
        UpdateForm,
        lambda notice, data: breaches.do_add_update(notice, request.user, data["text"]),
        _("Update recorded."),
    )


@require_POST
@login_required
def decide_subjects(request: HttpRequest, workspace_id: Any, notice_id: Any) -> HttpResponse:
    return _act(
        request,
        workspace_id,
        notice_id,
        "subjects_form",
        SubjectsForm,
        lambda notice, data: breaches.do_decide_subjects(
            notice, request.user, data["decision"], data["reason"]
        ),
        _("Decision on informing the people concerned recorded."),
    )


_NOTICE = "w/<uuid:workspace_id>/compliance/breaches/<uuid:notice_id>/"

urlpatterns: list[Any] = [
    path("w/<uuid:workspace_id>/compliance/breaches/", register, name="breaches"),
    path("w/<uuid:workspace_id>/compliance/breaches/new/", record_breach, name="breach_new"),
    path(_NOTICE, notice_page, name="breach_notice"),
    path(f"{_NOTICE}authority/", notify_authority, name="breach_authority"),
    path(f"{_NOTICE}not-notified/", not_notified, name="breach_not_notified"),
    path(f"{_NOTICE}updates/", add_update, name="breach_update"),
    path(f"{_NOTICE}subjects/", decide_subjects, name="breach_subjects"),
]
