"""Pages of the retention part of compliance; see strongroom/privacy/retention.py.

Owners and admins read the rules, the dry run (what the next purge removes, and what falls due
within a week) and the last purges; only owners add or remove a rule. Members get 403; anyone
outside the workspace 404.
"""

from __future__ import annotations

from datetime import timedelta
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
from django.views.decorators.http import require_POST, require_safe

from strongroom.accounts.access import MANAGERS, require_role
from strongroom.accounts.models import Membership, Role
from strongroom.collection.access import templates_for
from strongroom.privacy import retention
from strongroom.privacy.models import RetentionPurge, RetentionRule

OWNERS = (Role.OWNER,)


class RuleForm(forms.Form):
    action = forms.ChoiceField(label=gettext_lazy("What is deleted"), choices=RetentionRule.Action.choices)
    days = forms.IntegerField(
        label=gettext_lazy("After how many days"),
        min_value=1,
        max_value=retention.MAX_DAYS,
        error_messages={
            "required": gettext_lazy("Enter a number of days."),
            "invalid": gettext_lazy("Enter a whole number of days, such as 30."),
            "min_value": gettext_lazy("A retention period is at least %(limit_value)s day."),
            "max_value": gettext_lazy("A retention period is at most %(limit_value)s days (100 years)."),
        },
    )
    template = forms.ChoiceField(
        label=gettext_lazy("For requests made from"),
        required=False,
        error_messages={"invalid_choice": gettext_lazy("Choose a checklist of this workspace.")},
    )

    def __init__(self, *args: Any, templates: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        every = ("", _("Every request of the workspace (unless its checklist has a rule of its own)"))
        self.fields["template"].choices = [every, *templates]  # type: ignore[attr-defined]


def _rule_form(membership: Membership, data: Any = None) -> RuleForm:
    templates = [(str(t.pk), t.name) for t in templates_for(membership)]
    return RuleForm(data, templates=templates)


def _page(request: HttpRequest, membership: Membership, form: RuleForm, status: int = 200) -> HttpResponse:
    workspace = membership.workspace
    today = timezone.localdate()
    week = today + timedelta(days=retention.WARN_DAYS)
    due = retention.due_for_purge(workspace, today)
    return render(
        request,
        "compliance/retention/page.html",
        {
            "workspace": workspace,
            "rules": [
                (rule, retention.rule_starts_on(rule))
                for rule in RetentionRule.objects.filter(workspace=workspace)
                .select_related("template")
                .order_by("action", "template__name", "created_at")
            ],
            "due": due,
            "due_counts": retention.summary([e for e in due if not e.kept]),
            "soon": [e for e in retention.due_for_purge(workspace, week) if e.due_on > today],
            "week": week,
            "purges": RetentionPurge.objects.filter(workspace=workspace).order_by("-ran_at")[:20],
            "form": form,
            "can_change": membership.role == Role.OWNER,
            "warn_days": retention.WARN_DAYS,
        },
        status=status,
    )


@require_safe
@login_required
def retention_page(request: HttpRequest, workspace_id: Any) -> HttpResponse:
    """The rules, the dry run of the next purge, and the last purges."""
    membership = require_role(request.user, workspace_id, MANAGERS)  # type: ignore[arg-type]
    return _page(request, membership, _rule_form(membership))


@require_POST
@login_required
def rule_add(request: HttpRequest, workspace_id: Any) -> HttpResponse:
    membership = require_role(request.user, workspace_id, OWNERS)  # type: ignore[arg-type]
    form = _rule_form(membership, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        template = templates_for(membership).filter(pk=data["template"]).first() if data["template"] else None
        try:
            retention.do_add_rule(
                membership.workspace,
                request.user,
                action=data["action"],
                days=data["days"],
                template=template,
            )
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(
                request,
                _("Rule added. It removes nothing in its first %(days)s days; the owners are told a week "
                  "before each purge what it will remove.") % {"days": retention.WARN_DAYS},
            )
            return redirect("compliance:retention", workspace_id=membership.workspace.pk)
    return _page(request, membership, form, status=400)


@require_POST
@login_required
def rule_remove(request: HttpRequest, workspace_id: Any, rule_id: Any) -> HttpResponse:
    membership = require_role(request.user, workspace_id, OWNERS)  # type: ignore[arg-type]
    rule = RetentionRule.objects.filter(workspace=membership.workspace, pk=rule_id).first()
    if rule is None:
        raise Http404("No such rule.")
    retention.do_remove_rule(rule, request.user)
    messages.success(request, _("Rule removed."))
    return redirect("compliance:retention", workspace_id=membership.workspace.pk)


urlpatterns: list[Any] = [
    path("w/<uuid:workspace_id>/compliance/retention/", retention_page, name="retention"),
    path("w/<uuid:workspace_id>/compliance/retention/rules/", rule_add, name="retention_rule_add"),
    path(
        "w/<uuid:workspace_id>/compliance/retention/rules/<uuid:rule_id>/remove/",
        rule_remove,
        name="retention_rule_remove",
    ),
]
