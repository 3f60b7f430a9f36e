"""Restriction of processing (Art. 18) and objection (Art. 21).

While a restriction is in place the person's data is kept but frozen. The freeze is enforced where
every change passes, not view by view: a save or delete of any row the data map ties to a
restricted subject is refused (`guard`), except the rights records and the message thread. The
worker sends no reminder to a restricted client, and staff may open restricted files only for a use
Art. 18(2) allows, with the reason recorded (`record_lawful_use`).

Lifting is announced first (Art. 18(3)): a lift is requested, the person is e-mailed, and only then
is the restriction lifted. An objection restricts at once, while the workspace decides: upholding
it keeps the restriction for good; continuing needs the grounds recorded, and then lifts it.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.db.models.signals import pre_delete, pre_save
from django.utils import timezone
from django.utils.translation import gettext as _

from strongroom.accounts.models import User
from strongroom.audit.actions import record
from strongroom.privacy.datamap import declaration, subject_of
from strongroom.rights.models import LawfulUse, RestrictedUse, Restriction, RightsRequest

_allowed: contextvars.ContextVar[bool] = contextvars.ContextVar("restriction_override", default=False)


class Restricted(PermissionDenied):
    """A change to restricted data; the message is fit to show."""


def active_restriction(subject_id: Any) -> Restriction | None:
    if subject_id is None:
        return None
    return Restriction.objects.filter(subject_id=subject_id, lifted_at=None).order_by("started_at").first()


def is_restricted(subject_id: Any) -> bool:
    return (
        subject_id is not None and Restriction.objects.filter(subject_id=subject_id, lifted_at=None).exists()
    )


def restricted_subjects() -> Any:
    """Subject ids under restriction, as a subquery for `subject__in=` filters."""
    return Restriction.objects.filter(lifted_at=None).values("subject_id")


@contextmanager
def changes_allowed() -> Iterator[None]:
    """Let the rights machinery itself (erasure, rectification the workspace accepted) write."""
    token = _allowed.set(True)
    try:
        yield
    finally:
        _allowed.reset(token)


def guard(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    """Refuse a change to a row of a restricted subject (connected to pre_save and pre_delete)."""
    if _allowed.get() or kwargs.get("raw"):
        return
    data_map = declaration(sender)
    if data_map is None or not data_map.subject or not data_map.frozen_by_restriction:
        return
    try:
        subject = subject_of(instance)
    except (LookupError, AttributeError, models.ObjectDoesNotExist):
        return
    if subject is not None and is_restricted(subject.pk):
        raise Restricted(
            _(
                "The use of this person's data is restricted at their request (GDPR Art. 18): it cannot be "
                "changed until the restriction is lifted."
            )
        )


def connect() -> None:
    pre_save.connect(guard, dispatch_uid="rights.restriction.pre_save")
    pre_delete.connect(guard, dispatch_uid="rights.restriction.pre_delete")


def place(rights_request: RightsRequest, actor: Any) -> Restriction:
    """Freeze the person's data; inside the caller's transaction. Idempotent per subject."""
    existing = active_restriction(rights_request.subject_id)
    if existing is not None:
        return existing
    restriction = Restriction.objects.create(
        workspace_id=rights_request.workspace_id,
        subject_id=rights_request.subject_id,
        rights_request=rights_request,
        because_of=rights_request.kind,
    )
    record(
        actor,
        "rights.restricted",
        restriction,
        subject=rights_request.subject_id,
        workspace=rights_request.workspace_id,
        because_of=rights_request.kind,
    )
    return restriction


def do_request_lift(restriction: Restriction, actor: User) -> Restriction:
    """Staff ask to lift a restriction: the person is told first, then it is lifted (by the task)."""
    from strongroom.rights.lifecycle import require_decider
    from strongroom.rights.tasks import announce_and_lift

    require_decider(actor, restriction.workspace)
    with transaction.atomic():
        locked = Restriction.objects.select_for_update(of=("self",)).get(pk=restriction.pk)
        if locked.lifted_at is not None or locked.lift_requested_at is not None:
            return locked
        locked.lift_requested_at, locked.lift_requested_by = timezone.now(), actor
        locked.save(update_fields=["lift_requested_at", "lift_requested_by"])
        record(
            actor, "rights.lift_requested", locked, subject=locked.subject_id, workspace=locked.workspace_id
        )
        restriction_id = str(locked.pk)
        transaction.on_commit(lambda: announce_and_lift.enqueue(restriction_id))
    return locked


def lift(restriction: Restriction) -> None:
    """Lift, once the person has been told; inside the task's transaction."""
    from strongroom.audit.actors import SYSTEM

    restriction.lifted_at = timezone.now()
    restriction.save(update_fields=["lifted_at"])
    record(
        SYSTEM,
        "rights.restriction_lifted",
        restriction,
        subject=restriction.subject_id,
        workspace=restriction.workspace_id,
    )


def record_lawful_use(subject_id: Any, actor: User, purpose: str, reason: str, what: str) -> RestrictedUse:
    """Note that restricted data is opened for a use Art. 18(2) allows, with the reason."""
    from strongroom.rights.lifecycle import RightsError

    restriction = active_restriction(subject_id)
    if restriction is None:
        raise RightsError(_("This person's data is not restricted."))
    if purpose not in LawfulUse.values:
        raise RightsError(_("Choose which lawful use this is."), code="purpose_required")
    reason = (reason or "").strip()
    if not reason:
        raise RightsError(_("Say why the restricted data must be used."), code="reason_required")
    with transaction.atomic():
        use = RestrictedUse(restriction=restriction, purpose=purpose, used_by=actor, what=what[:64])
        use.reason = reason
        use.save(force_insert=True)
        record(
            actor,
            "rights.restricted_data_used",
            use,
            subject=subject_id,
            workspace=restriction.workspace_id,
            purpose=purpose,
        )
    return use
