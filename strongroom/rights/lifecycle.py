"""The life of a rights request: received, verified, decided by the workspace, carried out, answered.

    unverified -> verified -> awaiting approval -> in progress -> done
                                               \\-> refused (with the reasons)
    (awaiting approval | in progress) -> extended (once, before the original deadline) -> done | refused

Nothing is disclosed or changed before the person's identity is verified: through their portal
session (the request was made there), or through a one-time code e-mailed to the address the
workspace holds for them. For a client's data the workspace decides (its owners, or a member it
named privacy officer); Strongroom carries the decision out. Every step is audited, never with the
details the person wrote.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from strongroom.accounts.access import membership_in
from strongroom.accounts.models import Membership, Role, User, Workspace
from strongroom.audit.actions import record
from strongroom.audit.actors import SYSTEM as SYSTEM_ACTOR
from strongroom.collection.models import Client
from strongroom.crypto import keys, primitives
from strongroom.rights.deadlines import MAX_EXTENSION_MONTHS, due_on, extended_due_on
from strongroom.rights.models import (
    OPEN_RIGHTS_STATES,
    Channel,
    RightKind,
    RightsRequest,
    RightsState,
    Verification,
)

CODE_VALID_FOR = timedelta(hours=48)
MAX_CODE_FAILURES = 5
MAX_TEXT = 5000


class RightsError(ValidationError):
    """A step the request's state or the rules do not allow; the message is fit to show."""


def deciders(workspace: Workspace) -> list[User]:
    """Who decides on clients' rights requests: the owners and any privacy officer."""
    memberships = Membership.objects.filter(workspace=workspace, user__is_active=True).select_related("user")
    return [m.user for m in memberships if m.role == Role.OWNER or m.privacy_officer]


def require_decider(actor: User, workspace: Workspace) -> Membership:
    """The actor's membership when they may decide; 404 outside the workspace, 403 otherwise."""
    membership = membership_in(actor, workspace.pk)
    if membership.role != Role.OWNER and not membership.privacy_officer:
        raise PermissionDenied(
            _("Only the workspace's owners and privacy officers decide on rights requests.")
        )
    return membership


def require_handler(actor: User, workspace_id: Any) -> Membership:
    """Who sees and logs rights requests: owners, admins and privacy officers (404 / 403 otherwise)."""
    membership = membership_in(actor, workspace_id)
    if membership.role not in (Role.OWNER, Role.ADMIN) and not membership.privacy_officer:
        raise PermissionDenied(_("Your role in this workspace does not include rights requests."))
    return membership


def may_handle(actor: User, workspace_id: Any) -> bool:
    try:
        require_handler(actor, workspace_id)
    except PermissionDenied:
        return False
    return True


def _clean_text(value: str, what: str, *, required: bool = False) -> str:
    text = (value or "").strip()
    if required and not text:
        raise RightsError(_("%(what)s is required.") % {"what": what}, code="reason_required")
    if len(text) > MAX_TEXT:
        raise RightsError(
            _("%(what)s is too long (at most %(n)d characters).") % {"what": what, "n": MAX_TEXT},
            code="too_long",
        )
    return text


def _lock(rights_request: RightsRequest) -> RightsRequest:
    return (
        RightsRequest.objects.select_for_update(of=("self",))
        .select_related("workspace", "client__subject", "subject")
        .get(pk=rights_request.pk)
    )


def _require_state(rights_request: RightsRequest, *states: str) -> None:
    if rights_request.state not in states:
        raise RightsError(
            _("This request is %(state)s: that step is not possible now.")
            % {"state": rights_request.get_state_display().lower()},
            code="wrong_state",
        )


def _enqueue(task: Any, *args: str) -> None:
    transaction.on_commit(lambda: task.enqueue(*args))


def do_receive(
    workspace: Workspace,
    client: Client,
    kind: str,
    *,
    channel: str,
    actor: Any,
    details: str = "",
    received_at: datetime | None = None,
    verified_by: str = "",
) -> RightsRequest:
    """Record a rights request of `client`. From the portal it is verified at once (the session proves
    who they are); one logged by staff from a letter or a call waits for the e-mailed code."""
    from strongroom.rights.tasks import send_verification_code, tell_deciders

    if kind not in RightKind.values:
        raise RightsError(_("Choose which right is exercised."))
    if channel not in Channel.values:
        raise RightsError(_("Choose how the request arrived."))
    if client.workspace_id != workspace.pk:
        raise PermissionDenied("That client belongs to another workspace.")
    details = _clean_text(details, _("The request's details"))
    now = timezone.now()
    received_at = received_at or now
    if received_at > now + timedelta(minutes=5):
        raise RightsError(_("A request cannot be received in the future."))
    with transaction.atomic():
        due = due_on(received_at)
        rights_request = RightsRequest(
            workspace=workspace,
            subject=client.subject,
            client=client,
            kind=kind,
            channel=channel,
            logged_by=actor if isinstance(actor, User) else None,
            received_at=received_at,
            due_on=due,
            original_due_on=due,
        )
        rights_request.details = details
        if verified_by:
            rights_request.state = RightsState.AWAITING_APPROVAL
            rights_request.verified_at, rights_request.verified_by = now, verified_by
        rights_request.save(force_insert=True)
        record(
            actor,
            "rights.received",
            rights_request,
            subject=client.subject,
            workspace=workspace,
            kind=kind,
            channel=channel,
            due_on=due.isoformat(),
            verified=bool(verified_by),
        )
        if verified_by:
            record(
                actor,
                "rights.verified",
                rights_request,
                subject=client.subject,
                workspace=workspace,
                method=verified_by,
            )
            _on_verified(rights_request, actor)
            _enqueue(tell_deciders, str(rights_request.pk))
        else:
            _enqueue(send_verification_code, str(rights_request.pk))
    return rights_request


def code_digest(rights_request: RightsRequest, code: str) -> str:
    keyring = rights_request.workspace.keyring
    key = primitives.derive_key(keys.keyring_key(keyring.id), "strongroom:rights-code")
    return hmac.new(key, f"{rights_request.pk}:{code}".encode(), "sha256").hexdigest()


def issue_code(rights_request: RightsRequest) -> str:
    """A fresh six-digit code for the person's e-mail; only its keyed hash is kept. Call it inside
    the transaction that sends the mail, so the code exists nowhere else."""
    code = f"{secrets.randbelow(10**6):06d}"
    locked = _lock(rights_request)
    locked.code_hash = code_digest(locked, code)
    locked.code_expires_at = timezone.now() + CODE_VALID_FOR
    locked.code_failures = 0
    locked.save(update_fields=["code_hash", "code_expires_at", "code_failures"])
    record(SYSTEM_ACTOR, "rights.code_sent", locked, subject=locked.subject, workspace=locked.workspace)
    return code


def do_resend_code(rights_request: RightsRequest, actor: User) -> None:
    """Staff send a new code (the first expired, or the person used up their attempts)."""
    from strongroom.rights.tasks import send_verification_code

    require_handler(actor, rights_request.workspace_id)
    with transaction.atomic():
        locked = _lock(rights_request)
        _require_state(locked, RightsState.UNVERIFIED)
        record(actor, "rights.code_requested", locked, subject=locked.subject, workspace=locked.workspace)
        _enqueue(send_verification_code, str(locked.pk))


def do_verify_with_code(rights_request: RightsRequest, code: str, *, ip: str | None = None) -> bool:
    """True once for the right, unexpired code; five wrong tries use the code up. Audited either way."""
    from strongroom.rights.tasks import tell_deciders

    with transaction.atomic():
        locked = _lock(rights_request)
        actor = _person_actor(locked)
        if locked.state != RightsState.UNVERIFIED:
            record(actor, "rights.code_failed", locked, workspace=locked.workspace, ip=ip, why="not_awaited")
            return False
        fresh = locked.code_expires_at is not None and locked.code_expires_at > timezone.now()
        usable = fresh and locked.code_hash and locked.code_failures < MAX_CODE_FAILURES
        cleaned = "".join((code or "").split())
        if usable and hmac.compare_digest(locked.code_hash, code_digest(locked, cleaned)):
            locked.code_hash, locked.code_expires_at, locked.code_failures = "", None, 0
            locked.state = RightsState.AWAITING_APPROVAL
            locked.verified_at, locked.verified_by = timezone.now(), Verification.EMAIL_CODE
            locked.save(
                update_fields=[
                    "code_hash",
                    "code_expires_at",
                    "code_failures",
                    "state",
                    "verified_at",
                    "verified_by",
                ]
            )
            record(
                actor,
                "rights.verified",
                locked,
                subject=locked.subject,
                workspace=locked.workspace,
                ip=ip,
                method=Verification.EMAIL_CODE,
            )
            _on_verified(locked, actor)
            _enqueue(tell_deciders, str(locked.pk))
            rights_request.state = locked.state
            return True
        if usable:
            locked.code_failures += 1
            if locked.code_failures >= MAX_CODE_FAILURES:
                locked.code_hash = ""
            locked.save(update_fields=["code_failures", "code_hash"])
        record(
            actor,
            "rights.code_failed",
            locked,
            workspace=locked.workspace,
            ip=ip,
            why="wrong" if usable else "expired_or_used_up",
        )
    return False


def _on_verified(rights_request: RightsRequest, actor: Any) -> None:
    """An objection freezes the processing at once, while the workspace decides (Art. 21(1))."""
    from strongroom.rights.restriction import place

    if rights_request.kind == RightKind.OBJECTION:
        place(rights_request, actor)


def _person_actor(rights_request: RightsRequest) -> Any:
    from strongroom.audit.actors import Actor

    return Actor("client", str(rights_request.client_id or rights_request.subject_id))


def do_refuse(rights_request: RightsRequest, actor: User, reason: str) -> RightsRequest:
    """The workspace refuses, with the reasons the person is told (Art. 12(4))."""
    from strongroom.rights.tasks import tell_subject

    reason = _clean_text(reason, _("The reason for refusing"), required=True)
    require_decider(actor, rights_request.workspace)
    with transaction.atomic():
        locked = _lock(rights_request)
        _require_state(locked, RightsState.AWAITING_APPROVAL, RightsState.IN_PROGRESS, RightsState.EXTENDED)
        now = timezone.now()
        locked.state, locked.closed_at = RightsState.REFUSED, now
        locked.decided_by, locked.decided_at = actor, now
        locked.refusal_reason = reason
        locked.save(update_fields=["state", "closed_at", "decided_by", "decided_at", "refusal_reason"])
        record(
            actor,
            "rights.refused",
            locked,
            subject=locked.subject,
            workspace=locked.workspace,
            kind=locked.kind,
        )
        _enqueue(tell_subject, str(locked.pk), "rights_refused")
        if locked.kind == RightKind.OBJECTION:
            # Processing continues on the grounds just recorded: the freeze ends, announced first.
            from strongroom.rights.restriction import active_restriction, do_request_lift

            restriction = active_restriction(locked.subject_id)
            if restriction is not None:
                transaction.on_commit(lambda: do_request_lift(restriction, actor))
    return locked


def do_extend(rights_request: RightsRequest, actor: User, *, months: int, reason: str) -> RightsRequest:
    """Extend the deadline once, by one or two months, with the reason; the person is told at once,
    which is before the original deadline since that has not passed."""
    from strongroom.rights.tasks import tell_subject

    reason = _clean_text(reason, _("The reason for the extension"), required=True)
    require_decider(actor, rights_request.workspace)
    if not 1 <= months <= MAX_EXTENSION_MONTHS:
        raise RightsError(_("An extension is one or two months."), code="bad_extension")
    with transaction.atomic():
        locked = _lock(rights_request)
        if locked.extended_at is not None:
            raise RightsError(
                _("This request has already been extended once; it cannot be extended again."),
                code="already_extended",
            )
        _require_state(locked, RightsState.AWAITING_APPROVAL, RightsState.IN_PROGRESS)
        if timezone.localdate() > locked.original_due_on:
            raise RightsError(
                _("The deadline has passed: an extension must be decided and told before the deadline."),
                code="deadline_passed",
            )
        locked.due_on = extended_due_on(locked.original_due_on, months)
        locked.extended_at = timezone.now()
        locked.extension_reason = reason
        locked.state = RightsState.EXTENDED
        locked.save(update_fields=["due_on", "extended_at", "extension_reason", "state"])
        record(
            actor,
            "rights.extended",
            locked,
            subject=locked.subject,
            workspace=locked.workspace,
            months=months,
            due_on=locked.due_on.isoformat(),
        )
        _enqueue(tell_subject, str(locked.pk), "rights_extended")
    return locked


def do_approve(rights_request: RightsRequest, actor: User) -> RightsRequest:
    """The workspace agrees: the request is carried out in the background and the person told."""
    from strongroom.rights.tasks import carry_out

    require_decider(actor, rights_request.workspace)
    with transaction.atomic():
        locked = _lock(rights_request)
        _require_state(locked, RightsState.AWAITING_APPROVAL, RightsState.EXTENDED)
        if locked.kind == RightKind.RECTIFICATION and locked.corrections.filter(state="proposed").exists():
            raise RightsError(_("Accept or refuse each proposed correction instead."), code="decide_each")
        now = timezone.now()
        locked.state = RightsState.IN_PROGRESS
        locked.decided_by, locked.decided_at = actor, now
        locked.save(update_fields=["state", "decided_by", "decided_at"])
        record(
            actor,
            "rights.approved",
            locked,
            subject=locked.subject,
            workspace=locked.workspace,
            kind=locked.kind,
        )
        _enqueue(carry_out, str(locked.pk))
    return locked


def mark_done(rights_request: RightsRequest, outcome: dict[str, Any]) -> None:
    """Close the request as answered, with counts of what was done; inside the executing transaction."""
    rights_request.state, rights_request.closed_at = RightsState.DONE, timezone.now()
    rights_request.outcome = outcome
    rights_request.save(update_fields=["state", "closed_at", "outcome"])
    counts: dict[str, Any] = {k: v for k, v in outcome.items() if isinstance(v, int | str | bool)}
    if isinstance(outcome.get("rows"), dict):
        counts["rows"] = sum(outcome["rows"].values())
    record(
        SYSTEM_ACTOR,
        "rights.done",
        rights_request,
        subject=rights_request.subject,
        workspace=rights_request.workspace,
        kind=rights_request.kind,
        **counts,
    )


def open_requests_of(client: Client) -> Any:
    return RightsRequest.objects.filter(client=client, state__in=OPEN_RIGHTS_STATES)
