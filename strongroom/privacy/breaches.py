"""The breach register (GDPR Art. 33 and 34).

A breach is recorded by a workspace's owner, for that workspace, or by the installation's operator
(from the console), for any set of workspaces. Each affected workspace gets a notice: its owners are
e-mailed at once, and it has 72 hours from the moment the breach became known to notify its
supervisory authority. Each workspace records, on its own notice, the notification (or why it
was not notified: unlikely to result in a risk), information given in phases, and its decision on
telling the people concerned. Nothing here deletes: every breach stays documented (Art. 33(5)).

Contract of every `do_*` function: the input is checked before anything is written, and a
ValidationError (per field where a field is at fault) leaves the database as it was; the change and
its audit event commit together. Audit events hold ids, codes and counts, never the free text.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.tasks import task
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from strongroom.accounts.models import Membership, Role, User, Workspace
from strongroom.audit.actions import record
from strongroom.audit.actors import SYSTEM
from strongroom.privacy.datamap import CATEGORIES
from strongroom.privacy.models import Breach, BreachNotice, BreachUpdate

NOTIFY_WITHIN = timedelta(hours=72)  # Art. 33(1)
MAX_TEXT = 10_000
MAX_CONTACT = 300  # Breach.contact
MAX_REFERENCE = 200  # BreachNotice.authority_reference

Decision = BreachNotice.SubjectsDecision


# --- the countdown -------------------------------------------------------------------------------


def deadline(notice: BreachNotice) -> datetime:
    """When the 72 hours to notify the authority run out: counted from awareness, not recording."""
    return notice.breach.aware_at + NOTIFY_WITHIN


def remaining(notice: BreachNotice, now: datetime) -> timedelta:
    """Time left until the deadline at `now`; negative once it has passed."""
    return deadline(notice) - now


def _duration(span: timedelta) -> str:
    """ "41 h 12 min", "5 h", "12 min": whole minutes, rounded down."""
    hours, minutes = divmod(max(int(span.total_seconds() // 60), 0), 60)
    if hours and minutes:
        return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}
    if hours:
        return _("%(hours)d h") % {"hours": hours}
    return _("%(minutes)d min") % {"minutes": minutes}


def _when(moment: datetime) -> str:
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")


@dataclass(frozen=True)
class Countdown:
    """Where a notice stands against its 72 hours at a given moment."""

    state: str  # "running", "overdue", "notified" or "not_notified"
    deadline: datetime
    left: timedelta  # negative when the deadline has passed
    notified_at: datetime | None = None

    @property
    def text(self) -> str:
        if self.state == "notified":
            assert self.notified_at is not None
            late = self.notified_at - self.deadline
            if late > timedelta(0):
                return _("notified on %(date)s, %(late)s late") % {
                    "date": _when(self.notified_at),
                    "late": _duration(late),
                }
            return _("notified on %(date)s") % {"date": _when(self.notified_at)}
        if self.state == "not_notified":
            return _("not notified: unlikely to result in a risk (reasons recorded)")
        if self.state == "overdue":
            return _("overdue by %(time)s") % {"time": _duration(-self.left)}
        return _("%(time)s left to notify the authority") % {"time": _duration(self.left)}

    def __str__(self) -> str:
        return self.text


def countdown(notice: BreachNotice, now: datetime) -> Countdown:
    """The notice's standing at `now` (a notification recorded ends the countdown)."""
    due, left = deadline(notice), remaining(notice, now)
    if notice.authority_notified_at is not None:
        return Countdown("notified", due, left, notice.authority_notified_at)
    if notice.not_notified_reason:
        return Countdown("not_notified", due, left)
    return Countdown("overdue" if left < timedelta(0) else "running", due, left)


# --- checking input ------------------------------------------------------------------------------


class _Errors:
    """Problems with the input, by field, raised together so a form can show each beside its field."""

    def __init__(self) -> None:
        self.by_field: dict[str, list[ValidationError]] = {}

    def add(self, field: str, message: str, code: str) -> None:
        self.by_field.setdefault(field, []).append(ValidationError(message, code=code))

    def text(
        self, field: str, value: Any, what: str, *, max_length: int = MAX_TEXT, required: str = ""
    ) -> str:
        cleaned = str(value or "").strip()
        if required and not cleaned:
            self.add(field, required, "required")
        elif len(cleaned) > max_length:
            self.add(
                field,
                _("%(what)s is too long (at most %(n)d characters).") % {"what": what, "n": max_length},
                "too_long",
            )
        return cleaned

    def moment(self, field: str, value: Any, what: str, *, missing: str, now: datetime) -> datetime | None:
        if value is None or value == "":
            self.add(field, missing, "required")
        elif not isinstance(value, datetime) or timezone.is_naive(value):
            self.add(field, _("%(what)s needs a date, a time and a time zone.") % {"what": what}, "invalid")
        elif value > now:
            self.add(field, _("%(what)s cannot be in the future.") % {"what": what}, "future")
        else:
            return value
        return None

    def count(self, field: str, value: Any, what: str) -> int | None:
        if value is None or value == "":
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(field, _("%(what)s must be a whole number.") % {"what": what}, "invalid")
            return None
        if value < 0:
            self.add(field, _("%(what)s cannot be negative.") % {"what": what}, "negative")
            return None
        return value

    def raise_if_any(self) -> None:
        if self.by_field:
            raise ValidationError(self.by_field)


def _categories(errors: _Errors, codes: Iterable[str]) -> list[str]:
    chosen = list(dict.fromkeys(str(code).strip() for code in codes if str(code).strip()))
    unknown = [code for code in chosen if code not in CATEGORIES]
    if unknown:
        errors.add(
            "data_categories",
            _("Unknown data category: %(codes)s.") % {"codes": ", ".join(unknown)},
            "unknown_category",
        )
    return chosen


def _affected(errors: _Errors, workspace: Workspace | None, affected: Sequence[Workspace]) -> list[Workspace]:
    chosen = list({ws.pk: ws for ws in affected}.values())
    if workspace is not None:
        if any(ws.pk != workspace.pk for ws in chosen):
            errors.add("affected", _("A workspace records breaches for itself only."), "other_workspace")
        chosen = [workspace]
    if not chosen:
        errors.add("affected", _("Choose at least one affected workspace."), "required")
    return chosen


# --- who may act ---------------------------------------------------------------------------------


def is_owner(actor: Any, workspace_id: Any) -> bool:
    return (
        isinstance(actor, User)
        and Membership.objects.filter(
            workspace_id=workspace_id, user=actor, role=Role.OWNER, user__is_active=True
        ).exists()
    )


def _require_owner(actor: Any, workspace_id: Any) -> None:
    """The workspace is the controller: its owners record its breaches and take its decisions."""
    if not is_owner(actor, workspace_id):
        raise PermissionDenied(_("Only the workspace's owners record breaches and decide on them."))


def owners_of(workspace: Workspace) -> list[User]:
    """Who is told of a breach: the workspace's active owners (not its admins or members)."""
    found = Membership.objects.filter(workspace=workspace, role=Role.OWNER, user__is_active=True)
    return [m.user for m in found.select_related("user").order_by("created_at")]


# --- recording a breach --------------------------------------------------------------------------


def do_record_breach(
    *,
    actor: Any,
    workspace: Workspace | None = None,
    affected: Sequence[Workspace] = (),
    nature: str,
    data_categories: Iterable[str] = (),
    subjects_approx: int | None = None,
    records_approx: int | None = None,
    consequences: str = "",
    measures: str = "",
    contact: str,
    aware_at: datetime | None,
) -> Breach:
    """Record a breach and open one notice per affected workspace; their owners are e-mailed after commit.

    With `workspace`: an owner records it for that workspace alone. Without: the operator (or the
    system, never a staff user) records it for the workspaces in `affected`.
    """
    if workspace is not None:
        _require_owner(actor, workspace.pk)
    elif isinstance(actor, User):
        raise PermissionDenied(_("Staff record breaches from their workspace's breach register."))
    errors = _Errors()
    targets = _affected(errors, workspace, affected)
    values = _breach_values(
        errors,
        nature=nature,
        data_categories=data_categories,
        subjects_approx=subjects_approx,
        records_approx=records_approx,
        consequences=consequences,
        measures=measures,
        contact=contact,
        aware_at=aware_at,
    )
    errors.raise_if_any()
    with transaction.atomic():
        breach = Breach.objects.create(
            workspace=workspace, recorded_by=actor if isinstance(actor, User) else None, **values
        )
        for target in targets:
            _open_notice(breach, target, actor, len(targets))
    return breach


def _breach_values(errors: _Errors, **given: Any) -> dict[str, Any]:
    """The breach's fields, cleaned; each problem is added to `errors`."""
    return {
        "nature": errors.text(
            "nature",
            given["nature"],
            _("The nature of the breach"),
            required=_("Describe the nature of the breach."),
        ),
        "data_categories": _categories(errors, given["data_categories"]),
        "subjects_approx": errors.count(
            "subjects_approx", given["subjects_approx"], _("The approximate number of people concerned")
        ),
        "records_approx": errors.count(
            "records_approx", given["records_approx"], _("The approximate number of records concerned")
        ),
        "consequences": errors.text("consequences", given["consequences"], _("The likely consequences")),
        "measures": errors.text("measures", given["measures"], _("The measures taken or proposed")),
        "contact": errors.text(
            "contact",
            given["contact"],
            _("The contact point"),
            max_length=MAX_CONTACT,
            required=_("Give a contact point where more information can be obtained."),
        ),
        "aware_at": errors.moment(
            "aware_at",
            given["aware_at"],
            _("The time the breach became known"),
            missing=_("Say when the breach became known: the 72 hours run from then."),
            now=timezone.now(),
        ),
    }


def _open_notice(breach: Breach, workspace: Workspace, actor: Any, workspaces: int) -> BreachNotice:
    notice = BreachNotice.objects.create(breach=breach, workspace=workspace)
    record(
        actor,
        "breach.recorded",
        notice,
        workspace=workspace,
        breach=str(breach.pk),
        categories=len(breach.data_categories),
        subjects=breach.subjects_approx,
        records=breach.records_approx,
        workspaces=workspaces,
    )
    notice_id = str(notice.pk)
    transaction.on_commit(lambda: tell_owners.enqueue(notice_id))
    return notice


def notice_url(notice: BreachNotice) -> str:
    path = reverse(
        "compliance:breach_notice", kwargs={"workspace_id": notice.workspace_id, "notice_id": notice.pk}
    )
    return f"{settings.BASE_URL}{path}"


@task()
def tell_owners(notice_id: str) -> int:
    """E-mail each owner of the notice's workspace that a breach was recorded: the deadline and a link.

    Safe to run twice: the notice is locked and `owners_notified_at` set with the sending, so a
    second run sends nothing, and a failed send rolls back to be retried.
    """
    from strongroom.mail.render import send_mail_in_language

    with transaction.atomic():
        notice = BreachNotice.objects.select_for_update(of=("self",)).filter(pk=notice_id).first()
        if notice is None or notice.owners_notified_at is not None:
            return 0
        workspace = Workspace.objects.get(pk=notice.workspace_id)
        owners = owners_of(workspace)
        language = workspace.default_language
        due = deadline(notice)
        with translation.override(language):
            when = f"{_when(due)} ({timezone.get_current_timezone_name()})"
        context = {
            "workspace_name": workspace.name,
            "deadline": when,
            "overdue": due <= timezone.now(),
            "by_operator": notice.breach.workspace_id is None,
            "notice_url": notice_url(notice),
        }
        for owner in owners:
            send_mail_in_language(
                to=[owner.email], template="breach_recorded", context=context, language=language
            )
        notice.owners_notified_at = timezone.now()
        notice.save(update_fields=["owners_notified_at"])
        record(SYSTEM, "breach.owners_notified", notice, owners=len(owners))
    return len(owners)


# --- the workspace's side ------------------------------------------------------------------------


def _locked(notice: BreachNotice) -> BreachNotice:
    """A fresh copy of the notice, locked for the change (the caller's copy is left as it was)."""
    return BreachNotice.objects.select_for_update(of=("self",)).select_related("breach").get(pk=notice.pk)


def do_record_authority_notification(
    notice: BreachNotice, actor: Any, notified_at: datetime | None, reference: str = ""
) -> BreachNotice:
    """The workspace notified its supervisory authority at `notified_at` (case number: `reference`)."""
    _require_owner(actor, notice.workspace_id)
    with transaction.atomic():
        locked = _locked(notice)
        errors = _Errors()
        if locked.authority_notified_at is not None:
            errors.add("notified_at", _("The notification to the authority is already recorded."), "already")
        when = errors.moment(
            "notified_at",
            notified_at,
            _("The time of the notification"),
            missing=_("Say when the authority was notified."),
            now=timezone.now(),
        )
        if when is not None and when < locked.breach.aware_at:
            errors.add(
                "notified_at",
                _("The authority cannot have been notified before the breach became known."),
                "before_awareness",
            )
        reference = errors.text(
            "reference", reference, _("The authority's reference"), max_length=MAX_REFERENCE
        )
        errors.raise_if_any()
        locked.authority_notified_at, locked.authority_reference = when, reference
        locked.save(update_fields=["authority_notified_at", "authority_reference"])
        assert when is not None
        record(
            actor,
            "breach.authority_notified",
            locked,
            breach=str(locked.breach_id),
            hours_after_awareness=int((when - locked.breach.aware_at).total_seconds() // 3600),
            late=when > deadline(locked),
            with_reference=bool(reference),
        )
    return locked


def do_record_not_notified(notice: BreachNotice, actor: Any, reason: str) -> BreachNotice:
    """The workspace will not notify: the breach is unlikely to result in a risk (Art. 33(1)); why."""
    _require_owner(actor, notice.workspace_id)
    with transaction.atomic():
        locked = _locked(notice)
        errors = _Errors()
        if locked.authority_notified_at is not None:
            errors.add("reason", _("The authority was already notified of this breach."), "already")
        elif locked.not_notified_reason:
            errors.add("reason", _("The reasons for not notifying are already recorded."), "already")
        reason = errors.text(
            "reason",
            reason,
            _("The reasons"),
            required=_("Say why the breach is unlikely to result in a risk to people."),
        )
        errors.raise_if_any()
        locked.not_notified_reason = reason
        locked.save(update_fields=["not_notified_reason"])
        record(actor, "breach.not_notified", locked, breach=str(locked.breach_id))
    return locked


def do_add_update(notice: BreachNotice, actor: Any, text: str) -> BreachUpdate:
    """Information that became known later, given in phases (Art. 33(4))."""
    _require_owner(actor, notice.workspace_id)
    with transaction.atomic():
        locked = _locked(notice)
        errors = _Errors()
        text = errors.text("text", text, _("The update"), required=_("Write what became known."))
        errors.raise_if_any()
        update = BreachUpdate.objects.create(notice=locked, text=text, written_by=actor)
        record(actor, "breach.updated", locked, breach=str(locked.breach_id), update=str(update.pk))
    return update


def do_decide_subjects(notice: BreachNotice, actor: Any, decision: str, reason: str) -> BreachNotice:
    """Whether the people concerned are told (Art. 34), and why. A decision may be revisited (the
    authority may require it, Art. 34(4)): the earlier one is kept among the updates."""
    _require_owner(actor, notice.workspace_id)
    with transaction.atomic():
        locked = _locked(notice)
        errors = _Errors()
        if decision not in (Decision.INFORM, Decision.NOT_INFORM):
            errors.add("decision", _("Choose whether to inform the people concerned."), "invalid")
        elif decision == locked.subjects_decision:
            errors.add("decision", _("This is already the decision recorded."), "unchanged")
        reason = errors.text(
            "reason", reason, _("The reasons"), required=_("Give the reasons for this decision.")
        )
        errors.raise_if_any()
        previous = locked.subjects_decision
        if previous:
            earlier = _("Earlier decision: %(decision)s (%(date)s). Reasons: %(reason)s") % {
                "decision": locked.get_subjects_decision_display(),
                "date": _when(locked.decided_at or timezone.now()),
                "reason": locked.subjects_decision_reason,
            }
            BreachUpdate.objects.create(notice=locked, text=earlier, written_by=actor)
        locked.subjects_decision, locked.subjects_decision_reason = decision, reason
        locked.decided_by, locked.decided_at = actor, timezone.now()
        locked.save(
            update_fields=["subjects_decision", "subjects_decision_reason", "decided_by", "decided_at"]
        )
        record(
            actor,
            "breach.subjects_decided",
            locked,
            breach=str(locked.breach_id),
            decision=decision,
            previous=previous,
        )
    return locked
