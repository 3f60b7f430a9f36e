"""Background work of rights requests. Tasks take ids only; codes and download tokens are made
inside the task that e-mails them, so they exist nowhere else."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.tasks import task
from django.utils import formats, timezone, translation

from strongroom.audit.actions import record
from strongroom.audit.actors import SYSTEM
from strongroom.rights.lifecycle import CODE_VALID_FOR, deciders, issue_code, mark_done
from strongroom.rights.models import RightKind, RightsRequest, RightsState
from strongroom.rights.rectification import list_recipients


def _load(rights_request_id: str) -> RightsRequest | None:
    return (
        RightsRequest.objects.select_related("workspace__keyring", "client__subject", "subject")
        .filter(pk=rights_request_id)
        .first()
    )


def _person_context(rights_request: RightsRequest, language: str) -> dict[str, Any]:
    client = rights_request.client
    with translation.override(language):
        kind = str(RightKind(rights_request.kind).label).lower()
        return {
            "workspace_name": rights_request.workspace.name,
            "client_name": client.name if client is not None else "",
            "kind": kind,
            "received_on": formats.date_format(timezone.localdate(rights_request.received_at)),
            "due_on": formats.date_format(rights_request.due_on),
            "original_due_on": formats.date_format(rights_request.original_due_on),
            "accent_colour": rights_request.workspace.accent_colour,
        }


def _send_to_person(rights_request: RightsRequest, template: str, **extra: Any) -> bool:
    from strongroom.mail.render import send_mail_in_language

    client = rights_request.client
    if client is None or client.subject.is_destroyed:
        return False
    language = str(client.language)
    context = _person_context(rights_request, language) | extra
    send_mail_in_language(to=[client.email], template=template, context=context, language=language)
    return True


def verify_url(rights_request: RightsRequest) -> str:
    return f"{settings.BASE_URL}/rights/{rights_request.pk}/verify/"


@task()
def send_verification_code(rights_request_id: str) -> str:
    """E-mail a one-time code to the address the workspace holds for the person."""
    with transaction.atomic():
        rights_request = _load(rights_request_id)
        if rights_request is None or rights_request.state != RightsState.UNVERIFIED:
            return "nothing to verify"
        code = issue_code(rights_request)
        hours = int(CODE_VALID_FOR.total_seconds() // 3600)
        sent = _send_to_person(
            rights_request, "rights_code", code=code, hours=hours, verify_url=verify_url(rights_request)
        )
    return "sent" if sent else "no address"


@task()
def tell_deciders(rights_request_id: str) -> int:
    """Tell the owners and privacy officers a verified request waits for their decision."""
    from strongroom.mail.render import send_mail_in_language

    rights_request = _load(rights_request_id)
    if rights_request is None:
        return 0
    workspace = rights_request.workspace
    people = deciders(workspace)
    url = f"{settings.BASE_URL}/w/{workspace.pk}/rights/{rights_request.pk}/"
    for person in people:
        with translation.override(workspace.default_language):
            kind = str(RightKind(rights_request.kind).label).lower()
        send_mail_in_language(
            to=[person.email],
            template="rights_staff",
            language=workspace.default_language,
            context={
                "workspace_name": workspace.name,
                "kind": kind,
                "due_on": formats.date_format(rights_request.due_on),
                "review_url": url,
            },
        )
    return len(people)


@task()
def tell_subject(rights_request_id: str, template: str) -> str:
    """The person is told of a refusal (with its reasons) or an extension (with the new deadline)."""
    rights_request = _load(rights_request_id)
    if rights_request is None:
        return "gone"
    if template == "rights_refused":
        reason = rights_request.refusal_reason
    elif template == "rights_extended":
        reason = rights_request.extension_reason
    else:
        raise ValueError(f"unknown notice {template!r}")
    return "sent" if _send_to_person(rights_request, template, reason=reason) else "no address"


@task()
def carry_out(rights_request_id: str) -> str:
    """Carry out an approved request, then tell the person."""
    rights_request = _load(rights_request_id)
    if rights_request is None or rights_request.state != RightsState.IN_PROGRESS:
        return "not in progress"
    if rights_request.kind in (RightKind.ACCESS, RightKind.PORTABILITY):
        return _deliver_package(rights_request)
    if rights_request.kind == RightKind.ERASURE:
        return _erase(rights_request)
    if rights_request.kind in (RightKind.RESTRICTION, RightKind.OBJECTION):
        return _restrict(rights_request)
    # A rectification logged by staff, with no correction proposed through the portal: the staff
    # corrected the data in the usual pages; approving it records that the request was answered.
    with transaction.atomic():
        locked = RightsRequest.objects.select_for_update(of=("self",)).get(pk=rights_request.pk)
        if locked.state == RightsState.IN_PROGRESS:
            mark_done(locked, {"corrected_by_staff": True})
    return "answered"


def _restrict(rights_request: RightsRequest) -> str:
    """A restriction is placed; an upheld objection keeps the one placed when it arrived."""
    from strongroom.rights.restriction import place

    with transaction.atomic():
        locked = (
            RightsRequest.objects.select_for_update(of=("self",)).select_related("workspace").get(pk=rights_request.pk)
        )
        if locked.state != RightsState.IN_PROGRESS:
            return "already done"
        restriction = place(locked, SYSTEM)
        list_recipients(locked)
        upheld = locked.kind == RightKind.OBJECTION
        mark_done(locked, {"restriction": str(restriction.pk), "objection_upheld": upheld})
        _send_to_person(rights_request, "rights_restricted", upheld=upheld)
    return "restricted"


@task()
def announce_and_lift(restriction_id: str) -> str:
    """Art. 18(3): the person is told before the restriction is lifted; then it is lifted."""
    from strongroom.mail.render import send_mail_in_language
    from strongroom.rights.models import Restriction
    from strongroom.rights.restriction import lift

    with transaction.atomic():
        restriction = (
            Restriction.objects.select_for_update(of=("self",))
            .select_related("workspace", "subject")
            .filter(pk=restriction_id)
            .first()
        )
        if restriction is None or restriction.lifted_at is not None:
            return "nothing to lift"
        from strongroom.collection.models import Client

        client = Client.objects.filter(subject=restriction.subject).first()
        if client is not None and not restriction.subject.is_destroyed:
            language = str(client.language)
            send_mail_in_language(
                to=[client.email],
                template="rights_lifted",
                language=language,
                context={"workspace_name": restriction.workspace.name, "client_name": client.name},
            )
        lift(restriction)
    return "lifted"


def _deliver_package(rights_request: RightsRequest) -> str:
    from strongroom.rights.packages import build_package

    package, token = build_package(rights_request)
    with transaction.atomic():
        locked = RightsRequest.objects.select_for_update(of=("self",)).get(pk=rights_request.pk)
        if locked.state != RightsState.IN_PROGRESS:
            return "already done"
        mark_done(locked, {"package": str(package.pk)})
        expires_on = formats.date_format(timezone.localdate(package.expires_at))
        _send_to_person(
            rights_request,
            "rights_package",
            expires_on=expires_on,
            package_url=f"{settings.BASE_URL}/rights/package/{token}",
        )
    return "package sent"


def _erase(rights_request: RightsRequest) -> str:
    from strongroom.mail.render import send_mail_in_language
    from strongroom.rights.erasure import erase_client, forget_mails

    client = rights_request.client
    if client is None or client.subject.is_destroyed:
        with transaction.atomic():
            locked = RightsRequest.objects.select_for_update(of=("self",)).get(pk=rights_request.pk)
            if locked.state == RightsState.IN_PROGRESS:
                mark_done(locked, {"already_erased": True})
        return "already erased"
    # What the confirmation needs, read before the key that opens it is destroyed.
    address, language = client.email, str(client.language)
    context = _person_context(rights_request, language)
    with transaction.atomic():
        locked = RightsRequest.objects.select_for_update(of=("self",)).get(pk=rights_request.pk)
        if locked.state != RightsState.IN_PROGRESS:
            return "already done"
        report = erase_client(client, SYSTEM)
        list_recipients(locked)
        mark_done(locked, report.as_outcome())
    forget_mails(report)
    held = report.held_requests
    context["held"] = str(held) if held else ""
    send_mail_in_language(to=[address], template="rights_erased", context=context, language=language)
    with transaction.atomic():
        record(SYSTEM, "rights.erasure_confirmed", rights_request, workspace=rights_request.workspace_id)
    return "erased"


@task()
def send_package_code(package_id: str) -> str:
    """E-mail the person a code that unlocks the download of their package."""
    from strongroom.mail.render import send_mail_in_language
    from strongroom.rights.models import AccessPackage
    from strongroom.rights.packages import PACKAGE_CODE_VALID_FOR, issue_package_code

    with transaction.atomic():
        package = (
            AccessPackage.objects.select_related(
                "rights_request__workspace", "rights_request__client__subject"
            )
            .filter(pk=package_id)
            .first()
        )
        if package is None or package.blob_id is None:
            return "gone"
        client = package.rights_request.client
        if client is None or client.subject.is_destroyed:
            return "no address"
        code = issue_package_code(package)
        minutes = int(PACKAGE_CODE_VALID_FOR.total_seconds() // 60)
        send_mail_in_language(
            to=[client.email],
            template="package_code",
            language=str(client.language),
            context={
                "workspace_name": package.rights_request.workspace.name,
                "code": code,
                "minutes": minutes,
            },
        )
    return "sent"


@task()
def warn_deciders(rights_request_id: str, kind: str) -> int:
    """Tell the owners and privacy officers a rights request is due in a week, or today."""
    from strongroom.mail.render import send_mail_in_language

    rights_request = _load(rights_request_id)
    if rights_request is None or not rights_request.is_open:
        return 0
    workspace = rights_request.workspace
    url = f"{settings.BASE_URL}/w/{workspace.pk}/rights/{rights_request.pk}/"
    people = deciders(workspace)
    with translation.override(workspace.default_language):
        label = str(RightKind(rights_request.kind).label).lower()
    for person in people:
        send_mail_in_language(
            to=[person.email],
            template="rights_deadline",
            language=workspace.default_language,
            context={
                "workspace_name": workspace.name,
                "kind": label,
                "today": kind == "due_today",
                "due_on": formats.date_format(rights_request.due_on),
                "review_url": url,
            },
        )
    return len(people)
