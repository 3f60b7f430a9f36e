"""Retention (storage limitation, GDPR Art. 5(1)(e)): rules per workspace and checklist, the daily
purge, and the owners' warning a week before it.

What each rule's action removes, and the event its days count from (never a file's date):

- documents_after_completion: the files uploaded to a completed request, N days after it was
  completed (`closed_at`); the request, its answers and thread stay.
- request_after_closing: a completed or cancelled request whole, N days after it was closed
  (`closed_at`).
- unstarted_requests: a request the client never started (still "sent"), N days after its last
  activity: it was sent (`sent_at`), or the latest message of its thread, whichever is later.

An event on day D (the installation's time zone) with a rule of N days falls due on D + N. A rule
made for a checklist applies to the requests made from it and, for its action, wins over the
workspace's rule. A new rule removes nothing before a week has passed since it was made, so the
owners' warning a week ahead holds for everything a purge removes. A request due to go whole is not
listed for its documents too.

Kept, never touched: a request under a legal hold on the purge date, and a request whose client's
data is restricted (Art. 18); both are listed, marked kept. `due_for_purge` is the one answer to
"what goes": the purge, its dry run (the retention page) and the warnings all read it. Erasure
itself goes through the rights engine (`erase_request`, `erase_request_documents`).
"""

from __future__ import annotations

import functools
import logging
from collections import Counter
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, OuterRef, QuerySet, Subquery
from django.tasks import task
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from strongroom.accounts.access import require_role
from strongroom.accounts.models import Membership, Role, User, Workspace
from strongroom.audit.actions import record
from strongroom.audit.actors import SYSTEM
from strongroom.collection.models import Message, Request, Template
from strongroom.collection.models.requests import CLOSED_STATES, RequestState
from strongroom.privacy.models import RetentionPurge, RetentionRule, RetentionWarning
from strongroom.rights.erasure import (
    ErasureReport,
    RequestKept,
    erase_request,
    erase_request_documents,
    forget_mails,
    held_request_ids,
)

log = logging.getLogger(__name__)

Action = RetentionRule.Action
WARN_DAYS = 7  # owners are told this many days before a purge; a new rule waits as long
MAX_DAYS = 36500  # a hundred years: more is a typing mistake, not a retention period
WHOLE = (Action.REQUEST_AFTER_CLOSING, Action.UNSTARTED_REQUESTS)
STATES: dict[str, tuple[str, ...]] = {
    Action.DOCUMENTS_AFTER_COMPLETION: (RequestState.COMPLETED,),
    Action.REQUEST_AFTER_CLOSING: tuple(CLOSED_STATES),
    Action.UNSTARTED_REQUESTS: (RequestState.SENT,),
}
LEGAL_HOLD, RESTRICTED = "legal_hold", "restricted"

RuleKey = tuple[Any, str]  # (template id or None, action)


@dataclass(frozen=True)
class Due:
    """One thing a purge removes on or after `due_on`: a request's documents, or the request whole."""

    rule: RetentionRule
    request: Request
    action: str
    due_on: date
    files: int
    kept: str = ""  # LEGAL_HOLD or RESTRICTED: listed, never removed

    @property
    def whole(self) -> bool:
        return self.action in WHOLE


# --- what is due ---------------------------------------------------------------------------------


def _rules(workspace_id: Any) -> dict[RuleKey, RetentionRule]:
    return {(r.template_id, r.action): r for r in RetentionRule.objects.filter(workspace_id=workspace_id)}


def _rule_for(request: Request, action: str, rules: dict[RuleKey, RetentionRule]) -> RetentionRule | None:
    """The checklist's rule for this action if it has one, else the workspace's."""
    if request.template_id is not None and (request.template_id, action) in rules:
        return rules[(request.template_id, action)]
    return rules.get((None, action))


def rule_starts_on(rule: RetentionRule) -> date:
    """The first purge date of a rule: a week after it was made, so its first removals are warned of."""
    return timezone.localdate(rule.created_at) + timedelta(days=WARN_DAYS)


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def _event(request: Request, action: str) -> datetime | None:
    """The moment the rule's days count from (see the module docstring)."""
    if action == Action.UNSTARTED_REQUESTS:
        last_message: datetime | None = getattr(request, "last_message_at", None)
        if request.sent_at is None or last_message is None:
            return request.sent_at
        return max(request.sent_at, last_message)
    return request.closed_at


def _candidates(workspace_id: Any, action: str, days: int, on: date) -> QuerySet[Request]:
    """Requests in the action's states whose event is old enough for the shortest rule of the action."""
    field = "sent_at" if action == Action.UNSTARTED_REQUESTS else "closed_at"
    found = (
        Request.objects.filter(workspace_id=workspace_id, state__in=STATES[action])
        .filter(**{f"{field}__lt": _start_of(on - timedelta(days=days - 1))})
        .select_related("client", "template")
        .annotate(files=Count("items__uploads"))
        .order_by(field, "pk")
    )
    if action == Action.UNSTARTED_REQUESTS:
        latest = Message.objects.filter(request=OuterRef("pk")).order_by("-created_at").values("created_at")
        found = found.annotate(last_message_at=Subquery(latest[:1]))
    return found


def _due(request: Request, action: str, rules: dict[RuleKey, RetentionRule], on: date) -> Due | None:
    rule = _rule_for(request, action, rules)
    event = _event(request, action)
    if rule is None or event is None:
        return None
    due_on = max(timezone.localdate(event) + timedelta(days=rule.days), rule_starts_on(rule))
    if due_on > on:
        return None
    return Due(rule, request, action, due_on, files=getattr(request, "files", 0))


def _kept(entries: list[Due], on: date) -> dict[Any, str]:
    from strongroom.rights.restriction import restricted_subjects

    ids = [e.request.pk for e in entries]
    restricted = Request.objects.filter(pk__in=ids, client__subject__in=restricted_subjects())
    kept = dict.fromkeys(restricted.values_list("pk", flat=True), RESTRICTED)
    return kept | dict.fromkeys(held_request_ids(ids, on), LEGAL_HOLD)


def due_for_purge(workspace: Workspace, today: date) -> list[Due]:
    """Everything the workspace's rules make due on or before `today`, kept ones marked, oldest first.

    The single source of truth: the purge removes exactly the entries not kept, the dry run shows
    them all, the warnings count them.
    """
    rules = _rules(workspace.pk)
    entries: list[Due] = []
    whole: set[Any] = set()
    for action in (*WHOLE, Action.DOCUMENTS_AFTER_COMPLETION):
        shortest = min((r.days for (_t, a), r in rules.items() if a == action), default=None)
        if shortest is None:
            continue
        for request in _candidates(workspace.pk, action, shortest, today):
            entry = _due(request, action, rules, today)
            if entry is None or (not entry.whole and (entry.files == 0 or request.pk in whole)):
                continue
            entries.append(entry)
            if entry.whole:
                whole.add(request.pk)
    kept = _kept(entries, today)
    entries = [replace(e, kept=kept.get(e.request.pk, "")) for e in entries]
    return sorted(entries, key=lambda e: (e.due_on, e.request.title, str(e.request.pk)))


# --- the purge -----------------------------------------------------------------------------------


def _still_due(entry: Due, today: date) -> bool:
    """Re-read under the request's lock: another worker, a rule removed or a request reopened since
    the list was made leave nothing to do."""
    workspace_id = entry.request.workspace_id
    fresh = _candidates(workspace_id, entry.action, 1, today).filter(pk=entry.request.pk).first()
    if fresh is None:
        return False
    current = _due(fresh, entry.action, _rules(workspace_id), today)
    return current is not None and current.rule.pk == entry.rule.pk and (current.whole or current.files > 0)


def _carry_out(entry: Due, today: date) -> ErasureReport | None:
    """Erase one entry through the rights engine, if it is still due; None when it no longer is."""
    with transaction.atomic():
        locked = Request.objects.select_for_update(of=("self",)).filter(pk=entry.request.pk)
        if locked.values_list("pk", flat=True).first() is None:  # erased meanwhile (another worker)
            return None
        if not _still_due(entry, today):
            return None
        erase = erase_request if entry.whole else erase_request_documents
        return erase(entry.request, SYSTEM, reason="retention", rule=str(entry.rule.pk))


def _slot(details: dict[str, dict[str, Any]], rule: RetentionRule) -> dict[str, Any]:
    return details.setdefault(
        str(rule.pk),
        {"action": rule.action, "days": rule.days, "requests": 0, "files": 0, LEGAL_HOLD: 0, RESTRICTED: 0,
         "failed": 0},
    )


def _purge_entry(entry: Due, today: date, slot: dict[str, Any]) -> None:
    if entry.kept:
        slot[entry.kept] += 1
        return
    try:
        report = _carry_out(entry, today)
    except RequestKept as kept:
        slot[kept.why] += 1
        return
    except PermissionDenied:  # a contributor's restricted data: kept as well
        slot[RESTRICTED] += 1
        return
    except Exception:
        # One request that cannot be erased (a store error) must not stop the others; it stays due.
        log.exception("retention could not erase request %s", entry.request.pk)
        slot["failed"] += 1
        return
    if report is None:
        return
    forget_mails(report)  # the contributors' invitations, once the erasure committed
    slot["requests"] += 1
    slot["files"] += report.files


def purge_workspace(workspace: Workspace, today: date) -> RetentionPurge:
    """Remove what `due_for_purge` lists for `today` and is not kept; record the purge and audit it.

    Each request is erased in a transaction of its own, so a failure keeps what went before. Safe to
    run twice, or on two workers: a request is re-checked under its lock, and erased once.
    """
    details: dict[str, dict[str, Any]] = {}
    for rule in RetentionRule.objects.filter(workspace=workspace):
        _slot(details, rule)
    for entry in due_for_purge(workspace, today):
        _purge_entry(entry, today, _slot(details, entry.rule))
    totals: Counter[str] = Counter()
    for slot in details.values():
        totals.update({k: v for k, v in slot.items() if isinstance(v, int) and k != "days"})
        totals["whole" if slot["action"] in WHOLE else "cleared"] += slot["requests"]
    with transaction.atomic():
        purge = RetentionPurge.objects.create(
            workspace=workspace,
            requests=totals["requests"],
            files=totals["files"],
            held=totals[LEGAL_HOLD],
            details=details,
        )
        record(
            SYSTEM,
            "retention.purged",
            purge,
            workspace=workspace.pk,
            purge_date=today.isoformat(),
            requests_erased=totals["whole"],
            documents_erased=totals["cleared"],
            files=totals["files"],
            held=totals[LEGAL_HOLD],
            restricted=totals[RESTRICTED],
            failed=totals["failed"],
        )
    return purge


def _workspaces_with_rules() -> QuerySet[Workspace]:
    return Workspace.objects.filter(pk__in=RetentionRule.objects.values("workspace_id")).order_by("pk")


def run_daily_purge(today: date | None = None) -> str:
    """Purge what the workspaces' rules say is due; a line for the worker's log."""
    today = today or timezone.localdate()
    totals: Counter[str] = Counter()
    for workspace in _workspaces_with_rules():
        purge = purge_workspace(workspace, today)
        totals.update(requests=purge.requests, files=purge.files, held=purge.held)
    return (
        f"{totals['requests']} request(s) purged, {totals['files']} file(s) removed, "
        f"{totals['held']} kept under legal hold"
    )


# --- the warnings --------------------------------------------------------------------------------


def upcoming(workspace: Workspace, purge_on: date) -> list[Due]:
    """What the purges up to `purge_on` remove that falls due after the last warning's window.

    The window is (the previous warning's purge date, or a week before `purge_on`; `purge_on`], so
    each removal is warned of once, even after a day the worker missed.
    """
    since = purge_on - timedelta(days=WARN_DAYS)
    previous = RetentionWarning.objects.filter(workspace=workspace, purge_on__lt=purge_on).aggregate(
        last=Max("purge_on")
    )["last"]
    if previous is not None and previous > since:
        since = previous
    return [e for e in due_for_purge(workspace, purge_on) if e.due_on > since and not e.kept]


def summary(entries: list[Due]) -> dict[str, int]:
    """Counts only: what a warning or a page may say about removals without naming anyone."""
    return {
        "requests": sum(1 for e in entries if e.whole),
        "documents": sum(1 for e in entries if not e.whole),
        "files": sum(e.files for e in entries),
    }


def warn_upcoming_purges(today: date | None = None) -> str:
    """Tell owners a week ahead what the purge will remove; a line for the worker's log.

    Each warning is recorded before its e-mail is queued; the unique (workspace, purge date) row
    makes it go once however many workers run.
    """
    today = today or timezone.localdate()
    purge_on = today + timedelta(days=WARN_DAYS)
    queued = 0
    for workspace in _workspaces_with_rules():
        if RetentionWarning.objects.filter(workspace=workspace, purge_on=purge_on).exists():
            continue
        counts = summary(upcoming(workspace, purge_on))
        if not any(counts.values()):
            continue
        try:
            with transaction.atomic():
                warning = RetentionWarning.objects.create(workspace=workspace, purge_on=purge_on)
                record(
                    SYSTEM,
                    "retention.warning_queued",
                    warning,
                    workspace=workspace.pk,
                    purge_on=purge_on.isoformat(),
                    requests=counts["requests"],
                    documents=counts["documents"],
                    files=counts["files"],
                )
                transaction.on_commit(functools.partial(warn_owners.enqueue, str(warning.pk)))
        except IntegrityError:
            continue  # another worker queued this one
        queued += 1
    return f"{queued} retention warning(s) queued"


def owners_of(workspace: Workspace) -> list[User]:
    memberships = Membership.objects.filter(workspace=workspace, role=Role.OWNER, user__is_active=True)
    return [m.user for m in memberships.select_related("user").order_by("created_at")]


@task()
def warn_owners(warning_id: str) -> int:
    """E-mail the workspace's owners the counts of what the purge on the warning's date removes, and
    a link to the retention page: never a client's name, a title or a file name."""
    from strongroom.mail.render import send_mail_in_language

    warning = RetentionWarning.objects.select_related("workspace").filter(pk=warning_id).first()
    if warning is None:
        return 0
    workspace = warning.workspace
    counts = summary(upcoming(workspace, warning.purge_on))
    if not any(counts.values()):
        return 0  # the rules changed since: nothing to warn of
    people = owners_of(workspace)
    url = settings.BASE_URL + reverse("compliance:retention", kwargs={"workspace_id": workspace.pk})
    with translation.override(workspace.default_language):
        purge_on = formats.date_format(warning.purge_on)
    for person in people:
        send_mail_in_language(
            to=[person.email],
            template="retention_warning",
            language=workspace.default_language,
            context={"workspace_name": workspace.name, "purge_on": purge_on, "review_url": url, **counts},
        )
    return len(people)


# --- the rules -----------------------------------------------------------------------------------


def _require_owner(workspace: Workspace, actor: Any) -> None:
    """Staff must own the workspace (404 outside it, 403 for another role); the system may act."""
    if isinstance(actor, User):
        require_role(actor, workspace.pk, (Role.OWNER,))


def check_days(days: Any) -> int:
    """A positive whole number of days, at most MAX_DAYS; ValidationError otherwise."""
    if isinstance(days, bool) or not isinstance(days, int):
        raise ValidationError(_("Enter a whole number of days, such as 30."), code="days")
    if days < 1:
        raise ValidationError(_("A retention period is at least one day."), code="days")
    if days > MAX_DAYS:
        message = _("A retention period is at most %(max)s days (a hundred years).") % {"max": MAX_DAYS}
        raise ValidationError(message, code="days")
    return days


def do_add_rule(
    workspace: Workspace, actor: Any, *, action: str, days: Any, template: Template | None = None
) -> RetentionRule:
    """Add a rule, audited as `retention.rule_added`. Refused with a ValidationError, nothing changed:
    an unknown action, days out of range, a checklist of another workspace, a second rule for the
    same action and checklist."""
    _require_owner(workspace, actor)
    if action not in Action.values:
        raise ValidationError(_("Choose what the rule deletes."), code="action")
    days = check_days(days)
    if template is not None and template.workspace_id not in (None, workspace.pk):
        raise ValidationError(_("This checklist belongs to another workspace."), code="template")
    duplicate = ValidationError(
        _("There is already a rule for this action and checklist: remove it first to change its days."),
        code="duplicate",
    )
    template_id = template.pk if template is not None else None
    if RetentionRule.objects.filter(workspace=workspace, template=template, action=action).exists():
        raise duplicate
    try:
        with transaction.atomic():
            rule = RetentionRule.objects.create(
                workspace=workspace,
                template=template,
                action=action,
                days=days,
                created_by=actor if isinstance(actor, User) else None,
            )
            record(
                actor,
                "retention.rule_added",
                rule,
                workspace=workspace.pk,
                rule_action=action,
                days=days,
                template=str(template_id or ""),
            )
    except IntegrityError:
        raise duplicate from None  # another owner added it a moment ago
    return rule


def do_remove_rule(rule: RetentionRule, actor: Any) -> None:
    """Remove a rule, audited as `retention.rule_removed`; removing it twice changes nothing more."""
    _require_owner(rule.workspace, actor)
    with transaction.atomic():
        locked = RetentionRule.objects.select_for_update(of=("self",)).filter(pk=rule.pk).first()
        if locked is None:
            return
        record(
            actor,
            "retention.rule_removed",
            locked,
            workspace=locked.workspace_id,
            rule_action=locked.action,
            days=locked.days,
            template=str(locked.template_id or ""),
        )
        locked.delete()
