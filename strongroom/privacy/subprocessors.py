"""The operator's sub-processors (Art. 28(2) and (4)): the published list, the changes announced to
every workspace's owners before they take effect, and the workspaces' objections.

A row is never edited in place, so the list in effect on any date can be read back from the rows:

- adding creates a row that takes effect on the announced date;
- retiring sets the row's `retired_on` to the announced date;
- changing (a new purpose, place, safeguard or category) retires the row on the announced date and
  creates its successor, with the new values, taking effect that same day. The change is recorded
  against the successor. Until the date, the old values stay in effect and are what packages,
  Art. 19 notices and the public list show.

Every announcement is audited and, after it commits, e-mailed to the owners of every workspace
(each workspace told once, recorded in its own audit chain) with a link to object. An announcement
must give the workspaces NOTICE_DAYS; while the installation has no workspace there is nobody to
tell, and the operator may set up the list with immediate effect.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Model, Q
from django.tasks import task
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from strongroom.accounts.access import require_role
from strongroom.accounts.models import Membership, Role, User, Workspace
from strongroom.audit.actions import record
from strongroom.audit.actors import SYSTEM
from strongroom.privacy.datamap import CATEGORIES
from strongroom.privacy.models import SubProcessor, SubProcessorChange, SubProcessorObjection

NOTICE_DAYS = 30
MAX_REASON = 5000
Kind = SubProcessorChange.Kind
OWNERS_TOLD = "subprocessors.owners_told"


class SubProcessorError(ValidationError):
    """An announcement or objection the rules do not allow; the message is fit to show."""


@dataclass(frozen=True)
class Details:
    """What the public list says about a sub-processor."""

    name: str
    purpose: str
    location: str
    safeguards: str
    data_categories: tuple[str, ...] = field(default=())

    @classmethod
    def of(cls, subprocessor: SubProcessor) -> Details:
        return cls(
            subprocessor.name,
            subprocessor.purpose,
            subprocessor.location,
            subprocessor.safeguards,
            tuple(subprocessor.data_categories),
        )


# --- reading -------------------------------------------------------------------------------------


def current(on: date | None = None) -> list[SubProcessor]:
    """The sub-processors in effect on `on` (today by default), by name."""
    on = on or timezone.localdate()
    return list(
        SubProcessor.objects.filter(effective_from__lte=on)
        .filter(Q(retired_on__isnull=True) | Q(retired_on__gt=on))
        .order_by("name", "effective_from")
    )


def upcoming_changes(today: date | None = None) -> list[SubProcessorChange]:
    """Announced changes that have not taken effect yet, soonest first."""
    today = today or timezone.localdate()
    return list(
        SubProcessorChange.objects.filter(effective_on__gt=today)
        .select_related("subprocessor")
        .order_by("effective_on", "announced_at")
    )


def category_labels(codes: list[str] | tuple[str, ...]) -> list[tuple[str, str]]:
    """(code, label) of each data map category code, in the order given."""
    return [(code, CATEGORIES.get(code, code)) for code in codes]


def last_update() -> Any:
    """When the published list last changed: the latest announcement (None while it is empty)."""
    announced = SubProcessorChange.objects.aggregate(at=Max("announced_at"))["at"]
    return announced or SubProcessor.objects.aggregate(at=Max("created_at"))["at"]


# --- announcing ----------------------------------------------------------------------------------


def earliest_effective_date(today: date | None = None) -> date:
    """The first date an announcement made today may take effect."""
    today = today or timezone.localdate()
    return today + timedelta(days=NOTICE_DAYS) if Workspace.objects.exists() else today


def do_announce(
    actor: Any,
    *,
    kind: str,
    summary: str,
    effective_on: date,
    subprocessor: SubProcessor | None = None,
    details: Details | None = None,
) -> SubProcessorChange:
    """Announce a change of the list; the operator's action (`actor` is an operator or the system).

    `added` needs `details`; `retired` needs `subprocessor`; `changed` needs both (the successor's
    values). Raises SubProcessorError, having changed nothing, when the date leaves the workspaces
    less than NOTICE_DAYS, the values are incomplete or the sub-processor is already being retired.
    """
    summary = " ".join(summary.split())
    if not summary:
        raise SubProcessorError(_("Say in a sentence what changes and why: the owners read it."))
    limit = _limit(SubProcessorChange, "summary")
    if len(summary) > limit:
        raise SubProcessorError(_("The summary is limited to %(limit)d characters.") % {"limit": limit})
    _check_date(effective_on)
    with transaction.atomic():
        if kind == Kind.ADDED and details is not None:
            target = _add(details, effective_on)
        elif kind == Kind.RETIRED and subprocessor is not None:
            target = _retire(subprocessor, effective_on)
        elif kind == Kind.CHANGED and subprocessor is not None and details is not None:
            target = _supersede(subprocessor, details, effective_on)
        else:
            raise ValueError(f"an announcement of kind {kind!r} needs other arguments")
        change = SubProcessorChange.objects.create(
            subprocessor=target, kind=kind, summary=summary, effective_on=effective_on
        )
        record(
            actor,
            "subprocessors.change_announced",
            change,
            kind=kind,
            subprocessor=target.pk,
            effective_on=effective_on.isoformat(),
        )
        change_id = str(change.pk)
        transaction.on_commit(lambda: announce_change.enqueue(change_id))
    return change


def _check_date(effective_on: date) -> None:
    today = timezone.localdate()
    earliest = earliest_effective_date(today)
    if effective_on < today:
        raise SubProcessorError(
            _("The effective date %(date)s is in the past.") % {"date": effective_on.isoformat()}
        )
    if effective_on < earliest:
        raise SubProcessorError(
            _(
                "Workspaces must be told at least %(days)d days ahead, so they can object: the "
                "earliest effective date is %(earliest)s."
            )
            % {"days": NOTICE_DAYS, "earliest": earliest.isoformat()}
        )


def _limit(model: type[Model], name: str) -> int:
    return int(getattr(model._meta.get_field(name), "max_length", 0) or 0)


def _clean(details: Details) -> Details:
    cleaned = Details(
        name=" ".join(details.name.split()),
        purpose=" ".join(details.purpose.split()),
        location=" ".join(details.location.split()),
        safeguards=" ".join(details.safeguards.split()),
        data_categories=tuple(dict.fromkeys(c.strip() for c in details.data_categories if c.strip())),
    )
    for name, label in (
        ("name", _("name")),
        ("purpose", _("purpose")),
        ("location", _("location")),
        ("safeguards", _("safeguards")),
    ):
        value: str = getattr(cleaned, name)
        limit = _limit(SubProcessor, name)
        if not value:
            raise SubProcessorError(_("The %(field)s of the sub-processor is missing.") % {"field": label})
        if len(value) > limit:
            raise SubProcessorError(
                _("The %(field)s is limited to %(limit)d characters.") % {"field": label, "limit": limit}
            )
    unknown = [c for c in cleaned.data_categories if c not in CATEGORIES]
    if unknown:
        raise SubProcessorError(
            _("Unknown data categories: %(codes)s. Use the codes of the data map.")
            % {"codes": ", ".join(unknown)}
        )
    return cleaned


def _refuse_duplicate(name: str, effective_on: date, other_than: SubProcessor | None = None) -> None:
    same = SubProcessor.objects.filter(name__iexact=name).filter(
        Q(retired_on__isnull=True) | Q(retired_on__gt=effective_on)
    )
    if other_than is not None:
        same = same.exclude(pk=other_than.pk)
    if same.exists():
        raise SubProcessorError(_("%(name)s is already on the list.") % {"name": name})


def _create(details: Details, effective_on: date) -> SubProcessor:
    return SubProcessor.objects.create(
        name=details.name,
        purpose=details.purpose,
        location=details.location,
        safeguards=details.safeguards,
        data_categories=list(details.data_categories),
        effective_from=effective_on,
    )


def _add(details: Details, effective_on: date) -> SubProcessor:
    details = _clean(details)
    _refuse_duplicate(details.name, effective_on)
    return _create(details, effective_on)


def _locked_live(subprocessor: SubProcessor, effective_on: date) -> SubProcessor:
    """The row, locked, when it may still be retired on `effective_on`."""
    locked = SubProcessor.objects.select_for_update(of=("self",)).get(pk=subprocessor.pk)
    if locked.retired_on is not None:
        if locked.retired_on <= timezone.localdate():
            message = _("%(name)s left the list on %(date)s.")
        else:
            message = _("%(name)s already leaves the list on %(date)s.")
        raise SubProcessorError(message % {"name": locked.name, "date": locked.retired_on.isoformat()})
    if effective_on <= locked.effective_from:
        raise SubProcessorError(
            _("%(name)s takes effect on %(date)s: a change must come after that.")
            % {"name": locked.name, "date": locked.effective_from.isoformat()}
        )
    return locked


def _retire(subprocessor: SubProcessor, effective_on: date) -> SubProcessor:
    locked = _locked_live(subprocessor, effective_on)
    locked.retired_on = effective_on
    locked.save(update_fields=["retired_on"])
    return locked


def _supersede(subprocessor: SubProcessor, details: Details, effective_on: date) -> SubProcessor:
    """Retire the row on `effective_on` and create its successor with the new values from that day."""
    details = _clean(details)
    locked = _locked_live(subprocessor, effective_on)
    if details == _clean(Details.of(locked)):
        raise SubProcessorError(_("Nothing changes: give at least one new value."))
    _refuse_duplicate(details.name, effective_on, other_than=locked)
    locked.retired_on = effective_on
    locked.save(update_fields=["retired_on"])
    return _create(details, effective_on)


# --- objecting -----------------------------------------------------------------------------------


def do_object(
    change: SubProcessorChange, workspace: Workspace, actor: User, reason: str
) -> SubProcessorObjection:
    """Record a workspace's objection to an announced change (Art. 28(2)).

    Only the workspace's owners (404 outside the workspace, 403 for another role), before the change
    takes effect, once per workspace. Raises SubProcessorError, having changed nothing, otherwise.
    """
    require_role(actor, workspace.pk, (Role.OWNER,))
    reason = reason.strip()
    if len(reason) > MAX_REASON:
        raise SubProcessorError(_("The reason is limited to %(limit)d characters.") % {"limit": MAX_REASON})
    if timezone.localdate() >= change.effective_on:
        raise SubProcessorError(
            _("This change took effect on %(date)s; objections were taken until the day before.")
            % {"date": change.effective_on.isoformat()}
        )
    with transaction.atomic():
        Workspace.objects.select_for_update(of=("self",)).filter(
            pk=workspace.pk
        ).first()  # one objection at a time
        _refuse_second(change, workspace)
        try:
            with transaction.atomic():
                objection = SubProcessorObjection.objects.create(
                    change=change, workspace=workspace, objected_by=actor, reason=reason
                )
        except IntegrityError:
            _refuse_second(change, workspace)  # made by another request since the check above
            raise
        record(
            actor,
            "subprocessors.objected",
            objection,
            workspace=workspace.pk,
            change=change.pk,
            kind=change.kind,
            subprocessor=change.subprocessor_id,
        )
    return objection


def _refuse_second(change: SubProcessorChange, workspace: Workspace) -> None:
    earlier = SubProcessorObjection.objects.filter(change=change, workspace=workspace).first()
    if earlier is not None:
        raise SubProcessorError(
            _("%(workspace)s already objected to this change on %(date)s.")
            % {"workspace": workspace.name, "date": timezone.localdate(earlier.created_at).isoformat()}
        )


# --- telling the owners --------------------------------------------------------------------------


@task()
def announce_change(change_id: str) -> int:
    """Queue the notice of a change to each workspace; safe to run twice (each is told once)."""
    if not SubProcessorChange.objects.filter(pk=change_id).exists():
        return 0
    workspace_ids = [str(pk) for pk in Workspace.objects.order_by("created_at").values_list("pk", flat=True)]
    for workspace_id in workspace_ids:
        tell_owners.enqueue(change_id, workspace_id)
    return len(workspace_ids)


@task()
def tell_owners(change_id: str, workspace_id: str) -> int:
    """E-mail a change to the owners of one workspace, once: the audit event it records is the proof
    the workspace was told, and its presence makes a second run send nothing."""
    from strongroom.audit.models import Event
    from strongroom.mail.render import send_mail_in_language

    with transaction.atomic():
        workspace = Workspace.objects.select_for_update(of=("self",)).filter(pk=workspace_id).first()
        change = SubProcessorChange.objects.select_related("subprocessor").filter(pk=change_id).first()
        if workspace is None or change is None:
            return 0
        told = Event.objects.filter(
            action=OWNERS_TOLD,
            workspace=workspace.pk,
            target_id=str(change.pk),
            target_type=SubProcessorChange._meta.label_lower,
        )
        if told.exists():
            return 0
        owners = Membership.objects.filter(workspace=workspace, role=Role.OWNER, user__is_active=True)
        addresses = list(dict.fromkeys(m.user.email for m in owners.select_related("user")))
        context = _notice_context(change, workspace)
        for address in addresses:
            send_mail_in_language(
                to=[address],
                template="subprocessors_change",
                context=context,
                language=workspace.default_language,
            )
        record(SYSTEM, OWNERS_TOLD, change, workspace=workspace.pk, owners=len(addresses))
    return len(addresses)


def _notice_context(change: SubProcessorChange, workspace: Workspace) -> dict[str, Any]:
    subprocessor = change.subprocessor
    with translation.override(workspace.default_language):
        return {
            "workspace_name": workspace.name,
            "kind": change.kind,
            "name": subprocessor.name,
            "purpose": subprocessor.purpose,
            "location": subprocessor.location,
            "safeguards": subprocessor.safeguards,
            "categories": ", ".join(label for _code, label in category_labels(subprocessor.data_categories)),
            "summary": change.summary,
            "effective_on": formats.date_format(change.effective_on),
            "object_by": formats.date_format(change.effective_on - timedelta(days=1)),
            "object_url": f"{settings.BASE_URL}/w/{workspace.pk}/compliance/subprocessors/",
            "list_url": f"{settings.BASE_URL}/subprocessors/",
        }
