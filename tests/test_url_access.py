"""The attacker's walk: every URL of the project, tried by every kind of visitor.

The URLs come from walking the URLconf (namespaces included), never from a list kept by hand; what each
actor may get comes from `tests/access_registry.py`, the one place where URLs are classified. A URL
without a class, or with a parameter the world below cannot fill, fails the walk with its name.

Firm A and Firm B each hold a client with a sent request (answers, files, a message, a contributor),
a checklist, a rights request (a correction, a recipient to tell, a hold, a restriction, a package),
a breach notice, a signed processing agreement, an impact assessment, a retention rule and an open
invitation. Every URL parameter names a record of Firm A. The actors: an anonymous visitor, Firm A's
client and Firm B's client (each in their own portal session), Firm B's owner, and Firm A's member,
assignee (a member assigned to the request), admin and owner.

- every actor gets exactly what the registry's class says (page, 302 to sign in, 403, 404);
- a refused actor's POST (a valid form where one is needed) is refused the same way and changes
  nothing, audit log included (a recorded refusal aside);
- no refused answer, and no answer at all to someone outside Firm A, names anything of Firm A: its
  name, its records' ids, its client's name, e-mail or the marker in their answers; the member who is
  not on the request sees none of its answers, files or ids on the pages they may open;
- Firm B's ids through Firm A's URLs (one at a time), and Firm A's ids under Firm B's workspace,
  answer 404 and change nothing;
- a client in by the link of one request opens nothing of their other request.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.http import StreamingHttpResponse
from django.test import Client as WebClient
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.converters import UUIDConverter
from django.utils import timezone
from django.utils.http import urlsafe_base64_encode

from conftest import make_user
from strongroom.accounts.actions import do_add_member
from strongroom.accounts.invitations import do_invite, workspace_subject
from strongroom.accounts.models import Membership, Role, User, Workspace
from strongroom.audit.actors import operator
from strongroom.audit.models import Event
from strongroom.collection.lifecycle import do_send_request
from strongroom.collection.models import RequestSection
from strongroom.collection.template_editing import do_add_section, do_create_template, do_save_item
from strongroom.collection.tests.factories import (
    acknowledged_link,
    document,
    make_client,
    make_request,
    use_immediate_tasks,
    use_outbox,
)
from strongroom.operator.operators import do_add_operator
from strongroom.operator.support import do_request_support
from strongroom.privacy import breaches, dpa, dpia, subprocessors
from strongroom.privacy.models import RetentionRule, SubProcessorChange
from strongroom.privacy.retention import do_add_rule
from strongroom.rights.models import (
    AccessPackage,
    Channel,
    Correction,
    LegalHold,
    RecipientNotice,
    Restriction,
    RightsRequest,
    RightsState,
)
from strongroom.rights.packages import token_hash
from strongroom.rights.tests.seed import Seeded, seed_client
from strongroom.vault.actions import do_store_blob
from tests.access_registry import (
    ACCESS,
    ACTORS,
    ADMIN,
    ANONYMOUS,
    ASSIGNEE,
    CLIENT,
    LOGIN,
    MEMBER,
    OK,
    OPERATOR,
    OTHER_CLIENT,
    OUTSIDER,
    OWNER,
    REFUSED,
    Access,
    Outcome,
)

pytestmark = pytest.mark.django_db

UNKNOWN_TOKEN = "bm90LWEtdG9rZW4tYW55b25lLWV2ZXItcmVjZWl2ZWQ"  # a token nobody was given
STRANGERS = (ANONYMOUS, OTHER_CLIENT, OUTSIDER)  # nothing of Firm A is theirs to see
REFUSAL_EVENTS = ("rights.package_refused",)  # a refusal is recorded: the only trace one may leave
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4"
    b"\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82"
)

# --- walking the URLconf -----------------------------------------------------------------------------


def walk(patterns: list[Any], namespace: str = "") -> Iterator[tuple[str, URLPattern]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}:{entry.namespace}" if namespace and entry.namespace else entry.namespace
            yield from walk(entry.url_patterns, inner or namespace)
        elif isinstance(entry, URLPattern):
            assert entry.name, f"the URL {entry.pattern} has no name: it cannot be classified"
            yield (f"{namespace}:{entry.name}" if namespace else entry.name), entry


def every_url() -> dict[str, URLPattern]:
    found: dict[str, URLPattern] = {}
    for name, pattern in walk(get_resolver().url_patterns):
        found.setdefault(name, pattern)
    return found


def parameters(pattern: URLPattern) -> list[str]:
    return list(pattern.pattern.regex.groupindex)


# --- the world ---------------------------------------------------------------------------------------


@dataclass
class Firm:
    workspace: Workspace
    owner: User
    seeded: Seeded
    token: str  # a portal link of the seeded request, acknowledged
    ids: dict[str, Any]  # URL parameter -> value (or {context: value} when the name is shared)
    secrets: tuple[str, ...]  # what no page shown to someone outside the firm may contain


def stored(subject: Any, owner: User, workspace: Workspace, name: str) -> Any:
    extension = name.rsplit(".", 1)[-1]
    content_type = {"png": "image/png", "zip": "application/zip"}.get(extension, "application/pdf")
    return do_store_blob(subject, io.BytesIO(PNG), name=name, content_type=content_type, actor=owner,
                         workspace=workspace)


def checklist(workspace: Workspace, owner: User, letter: str) -> tuple[Any, Any, Any]:
    template = do_create_template(workspace, owner, name=f"Health checklist {letter}")
    section = do_add_section(template, owner, f"Medical history {letter}")
    first, _second = (
        do_save_item(section, owner, {"kind": "question", "question_type": "short_text", "label": label,
                                      "required": True, "category": "user.health"})
        for label in (f"Allergies {letter}", f"Treatments {letter}")
    )
    return template, section, first


def rights_records(workspace: Workspace, owner: User, seeded: Seeded) -> dict[str, Any]:
    """A rectification awaiting approval, and a restriction of another client of the firm (on the
    seeded client, it would keep staff from opening the files the walk downloads)."""
    now = timezone.now()
    due = timezone.localdate() + timedelta(days=30)
    rights_request = RightsRequest(
        workspace=workspace, subject=seeded.client.subject, client=seeded.client, kind="rectification",
        channel=Channel.PORTAL, state=RightsState.AWAITING_APPROVAL, received_at=now, due_on=due,
        original_due_on=due, verified_at=now, verified_by="portal_session",
    )
    rights_request.details = f"details {seeded.marker}"
    rights_request.save(force_insert=True)
    correction = Correction(rights_request=rights_request, field_name="name")
    correction.proposed = "New Name"
    correction.save(force_insert=True)
    return {
        "rights_request_id": rights_request.pk,
        "correction_id": correction.pk,
        "recipient": RecipientNotice.objects.create(rights_request=rights_request, recipient="Mailjet").pk,
        "hold_id": LegalHold.objects.create(workspace=workspace, request=seeded.request, ground="AML").pk,
        "restriction_id": Restriction.objects.create(
            workspace=workspace, subject=make_client(workspace, owner).subject, rights_request=rights_request,
            because_of="restriction",
        ).pk,
        "package_id": AccessPackage.objects.create(
            rights_request=rights_request, token_hash=token_hash(f"tok-{rights_request.pk}"),
            expires_at=now + timedelta(days=7),
            blob=stored(seeded.client.subject, owner, workspace, "data.zip"),
        ).pk,
    }


def compliance_records(workspace: Workspace, owner: User, template: Any) -> dict[str, Any]:
    breach = breaches.do_record_breach(
        actor=owner, workspace=workspace, nature="Laptop stolen", data_categories=["user.name"],
        contact="DPO", aware_at=timezone.now() - timedelta(hours=2),
    )
    signature = dpa.do_sign(workspace, owner, version=dpa.CURRENT_VERSION, name="Olive", role="CEO", ip=None)
    return {
        "breach": breach.notices.get().pk,
        "signature_id": signature.pk,
        "dpia_id": dpia.do_start(template, owner).pk,
        "rule_id": do_add_rule(
            workspace, owner, action=RetentionRule.Action.REQUEST_AFTER_CLOSING, days=90
        ).pk,
    }


def build_firm(workspace: Workspace, owner: User, letter: str, capture: Any) -> Firm:
    seeded = seed_client(workspace, owner, capture, label=f"Firm{letter}")
    _link, token = acknowledged_link(seeded.request)
    logo = stored(workspace_subject(workspace, owner), owner, workspace, "logo.png")
    Workspace.objects.filter(pk=workspace.pk).update(logo=logo)
    template, template_section, template_item = checklist(workspace, owner, letter)
    section = RequestSection.objects.get(request=seeded.request)
    request_item = seeded.request.items.get(label="Payslips")  # a document offering a form to fill in
    request_item.attachment = stored(seeded.client.subject, owner, workspace, f"form-{letter}.pdf")
    request_item.save(update_fields=["attachment"])
    upload = request_item.uploads.first()
    assert upload is not None
    rights = rights_records(workspace, owner, seeded)
    compliance = compliance_records(workspace, owner, template)
    ids: dict[str, Any] = {
        "workspace_id": workspace.pk,
        "client_id": seeded.client.pk,
        "request_id": seeded.request.pk,
        "template_id": template.pk,
        "section_id": {"template_id": template_section.pk, "": section.pk},
        "item_id": {"template_id": template_item.pk, "": request_item.pk},
        "upload_id": upload.pk,
        "membership_id": Membership.objects.get(workspace=workspace, user=owner).pk,
        "notice_id": {"rights_request_id": rights.pop("recipient"), "": compliance.pop("breach")},
        "verb": {"correction_id": "refuse", "": "accept"},
        "direction": "down",
        "fmt": "csv",
        "token": UNKNOWN_TOKEN,
        "message_id": "0" * 32,
        **rights,
        **compliance,
    }
    secrets = (workspace.name, seeded.marker, seeded.email, seeded.name, template.name)
    return Firm(workspace, owner, seeded, token, ids, secrets)


@dataclass
class World:
    a: Firm
    b: Firm
    browsers: dict[str, WebClient]
    secrets: tuple[str, ...]  # Firm A's: what no page shown to someone outside it may contain
    request_secrets: tuple[str, ...]  # what Firm A's staff refused the request may not see either


def all_ids(firm: Firm) -> list[str]:
    values: list[Any] = []
    for value in firm.ids.values():
        values.extend(value.values() if isinstance(value, dict) else [value])
    return [str(v) for v in values if hasattr(v, "hex")] + [v.hex for v in values if hasattr(v, "hex")]


def portal_visitor(token: str) -> WebClient:
    web = WebClient()
    entered = web.get(reverse("portal:enter", kwargs={"token": token}))
    assert entered.status_code == 302 and entered["Location"] == reverse("portal:home")
    return web


def signed_in(user: User) -> WebClient:
    web = WebClient()
    web.force_login(user)
    return web


@pytest.fixture
def world(
    settings: Any, tmp_path: Path, owner: User, member: User, outsider: User, workspace: Workspace,
    other_workspace: Workspace, django_capture_on_commit_callbacks: Any, monkeypatch: pytest.MonkeyPatch,
) -> World:
    use_outbox(settings, tmp_path)
    use_immediate_tasks(settings)
    # The agreement's PDF and its signature are another test's business; here they only cost time.
    monkeypatch.setattr(dpa, "_pdf", lambda *args: PDF)
    monkeypatch.setattr("strongroom.privacy.signing.sign_pdf", lambda pdf, **kwargs: pdf)
    subprocessors.do_announce(
        operator("test"), kind=subprocessors.Kind.ADDED, summary="We add an e-mail delivery service.",
        effective_on=timezone.localdate() + timedelta(days=subprocessors.NOTICE_DAYS),
        details=subprocessors.Details("Mailjet SAS", "e-mail delivery", "France", "within the EU"),
    )
    a = build_firm(workspace, owner, "A", django_capture_on_commit_callbacks)
    b = build_firm(other_workspace, outsider, "B", django_capture_on_commit_callbacks)
    for firm, letter in ((a, "a"), (b, "b")):
        firm.ids["change_id"] = SubProcessorChange.objects.get().pk  # announced to every workspace
        firm.ids["invitation_id"] = do_invite(
            firm.workspace, f"nina@firm-{letter}.example", Role.MEMBER, firm.owner
        )[0].pk
    admin, assignee = make_user("admin@firm-a.example"), make_user("assignee@firm-a.example")
    do_add_member(workspace, admin, Role.ADMIN, owner)
    do_add_member(workspace, assignee, Role.MEMBER, owner)
    a.seeded.request.assignees.add(assignee)
    a.ids["membership_id"] = Membership.objects.get(workspace=workspace, user=member).pk  # to promote oneself
    installation_operator = make_user("operator@hosting.example")
    do_add_operator(installation_operator, operator("test"))
    for firm in (a, b):
        firm.ids["grant_id"] = do_request_support(
            firm.workspace, installation_operator, reason="Ticket 4410: uploads fail", hours=2
        ).pk
        firm.ids["passkey_id"] = uuid.uuid4()  # nobody's: a passkey is only ever its own user's
        firm.ids["session_id"] = uuid.uuid4()  # likewise a staff session
        firm.ids["uidb64"] = urlsafe_base64_encode(firm.owner.pk.bytes)  # with an unknown token
    browsers = {
        ANONYMOUS: WebClient(),
        CLIENT: portal_visitor(a.token),
        OTHER_CLIENT: portal_visitor(b.token),
        OUTSIDER: signed_in(outsider),
        MEMBER: signed_in(member),
        ASSIGNEE: signed_in(assignee),
        ADMIN: signed_in(admin),
        OWNER: signed_in(owner),
        OPERATOR: signed_in(installation_operator),
    }
    request_ids = [a.ids[key] for key in ("request_id", "upload_id", "rights_request_id", "correction_id")]
    answers = (f"Employer {a.seeded.marker}", f"payslip-{a.seeded.marker}", f"Message with {a.seeded.marker}")
    request_secrets = (*answers, *(str(i) for i in request_ids), *(i.hex for i in request_ids))
    return World(a, b, browsers, (*a.secrets, *all_ids(a)), request_secrets)


def fill(name: str, pattern: URLPattern, firm: Firm) -> dict[str, Any]:
    """The URL's parameters, each naming a record of `firm`; a shared name is told apart by the
    URL's other parameters (`item_id` beside `template_id` is a checklist item)."""
    wanted = parameters(pattern)
    unknown = [key for key in wanted if key not in firm.ids]
    assert not unknown, f"{name}: no value for the URL parameter(s) {unknown}: add them to the world"
    kwargs: dict[str, Any] = {}
    for key in wanted:
        value = firm.ids[key]
        if isinstance(value, dict):
            context = next((c for c in value if c in wanted), "")
            value = value[context]
        kwargs[key] = value
    return kwargs


# --- observing -----------------------------------------------------------------------------------------


def snapshot() -> dict[str, Any]:
    """Every table's row count, and the state of what a refused action could have changed."""

    def rows(model: Any, *names: str) -> list[tuple[str, ...]]:
        return sorted(tuple(str(v) for v in row) for row in model.objects.values_list("pk", *names))

    from strongroom.collection.models import Request, RequestItem, Upload
    from strongroom.portal.models import PortalLink
    from strongroom.privacy.models import BreachNotice

    counts = {model._meta.label: model._default_manager.count() for model in apps.get_models()}
    return counts | {
        "audit.Event": Event.objects.exclude(action__in=REFUSAL_EVENTS).count(),
        "requests": rows(Request, "state", "version", "closed_at"),
        "items": rows(RequestItem, "state", "version", "reviewed_at"),
        "uploads": rows(Upload, "state"),
        "links": rows(PortalLink, "revoked_at", "expires_at", "password"),
        "members": rows(Membership, "role", "privacy_officer"),
        "rights": rows(RightsRequest, "state", "due_on", "decided_at"),
        "corrections": rows(Correction, "state"),
        "recipients": rows(RecipientNotice, "notified_at"),
        "holds": rows(LegalHold, "lifted_at"),
        "restrictions": rows(Restriction, "lift_requested_at", "lifted_at"),
        "breaches": rows(BreachNotice, "authority_notified_at", "subjects_decision", "not_notified_reason"),
        "workspaces": rows(Workspace, "name", "closed_at", "require_client_code"),
    }


def events_since(before: dict[str, Any]) -> list[str]:
    kept = Event.objects.exclude(action__in=REFUSAL_EVENTS).order_by("id")
    return list(kept.values_list("action", flat=True)[before["audit.Event"]:])


def body_of(response: Any) -> str:
    if isinstance(response, StreamingHttpResponse):
        content = b"".join(response.streaming_content)  # type: ignore[arg-type]
    else:
        content = bytes(response.content)
    return content.decode("utf-8", "replace")


def to_sign_in(response: Any) -> bool:
    return bool(response.status_code == 302 and response["Location"].startswith(reverse("login")))


def answered(method: str, response: Any, outcome: Outcome, access: Access) -> bool:
    """Whether `response` is what the registry promises; a POST to a view taking none may get 405."""
    status = response.status_code
    if method == "post" and status == 405 and outcome != OK:
        return True
    if outcome == OK or (outcome == REFUSED and method == "get"):
        return bool(status == access.ok)
    if outcome == REFUSED:
        return status in (400, 403) or (status == 302 and not to_sign_in(response))
    if outcome == LOGIN:
        return to_sign_in(response)
    return bool(status == outcome)


def leaks(response: Any, secrets: tuple[str, ...]) -> list[str]:
    body = body_of(response)
    return [secret for secret in secrets if secret in body]


# --- the walk ---------------------------------------------------------------------------------------------


def test_every_url_has_an_access_class() -> None:
    unclassified = sorted(set(every_url()) - set(ACCESS))
    assert not unclassified, f"classify these URLs in tests/access_registry.py: {unclassified}"
    gone = sorted(set(ACCESS) - set(every_url()))
    assert not gone, f"the registry names URLs that no longer exist: {gone}"


def try_refused(web: WebClient, name: str, url: str, actor: str, secrets: tuple[str, ...]) -> list[str]:
    """A wrong actor's GET (unless the view takes POST only) and empty POST: refused, naming nothing."""
    access = ACCESS[name]
    outcome = access.outcome(actor)
    problems = []
    for method in ("post",) if access.post_only else ("get", "post"):
        response = web.post(url, access.data) if method == "post" else web.get(url)
        if not answered(method, response, outcome, access):
            problems.append(f"{method.upper()} {name}: {response.status_code}, expected {outcome}")
        if leaked := leaks(response, secrets):
            problems.append(f"{method.upper()} {name} ({response.status_code}) names {leaked}")
    return problems


def try_allowed(web: WebClient, name: str, url: str, secrets: tuple[str, ...]) -> list[str]:
    access = ACCESS[name]
    response = web.get(url)
    problems = [] if answered("get", response, OK, access) else [
        f"GET {name}: {response.status_code}, expected {access.ok}"]
    if access.kind != "capability" and (leaked := leaks(response, secrets)):
        problems.append(f"GET {name} ({response.status_code}) names {leaked}")
    return problems


def walk_as(actor: str, world: World) -> list[str]:
    """Refused requests first (they must change nothing), then the pages the actor may open: those
    shown to anyone outside Firm A must name nothing of it either. The problems found, if any."""
    web = world.browsers[actor]
    urls = {name: reverse(name, kwargs=fill(name, pattern, world.a)) for name, pattern in every_url().items()}
    classified = [name for name in urls if name in ACCESS]
    wrong = [name for name in classified if ACCESS[name].outcome(actor) != OK]
    secrets = world.secrets if actor in STRANGERS else world.request_secrets

    before = snapshot()
    problems = [problem for name in wrong for problem in try_refused(web, name, urls[name], actor, secrets)]
    after = snapshot()
    if changed := sorted(key for key in before | after if before.get(key) != after.get(key)):
        problems.append(f"refused requests changed {changed}: {events_since(before)}")

    shown = secrets if actor in (*STRANGERS, MEMBER) else ()  # the member sees the firm, not the request
    for name in classified:
        if name not in wrong:
            problems += try_allowed(web, name, urls[name], shown)
    return [f"{actor}: {problem}" for problem in problems]


def test_every_url_answers_every_actor_as_its_class_says(world: World) -> None:
    """One world for all actors (it is the slow part); an actor's pages change nothing another's
    answers depend on, and the refused ones are checked to change nothing at all."""
    problems = [problem for actor in ACTORS for problem in walk_as(actor, world)]
    assert not problems, "\n".join(problems)


# --- one firm's ids through the other firm's URLs ---------------------------------------------------------


def record_parameters(pattern: URLPattern) -> list[str]:
    """The URL's parameters that name a record (by its UUID), the workspace's aside."""
    return [key for key, converter in pattern.pattern.converters.items()
            if isinstance(converter, UUIDConverter) and key != "workspace_id"]


def mixed_urls(world: World) -> Iterator[tuple[str, str]]:
    """Firm A's URLs with one record id at a time swapped for Firm B's record of the same kind."""
    for name, pattern in every_url().items():
        if "workspace_id" not in parameters(pattern):
            continue
        own, foreign = fill(name, pattern, world.a), fill(name, pattern, world.b)
        for key in record_parameters(pattern):
            if own[key] != foreign[key]:
                yield name, reverse(name, kwargs=own | {key: foreign[key]})


def test_a_workspace_never_opens_another_workspaces_record_by_its_id(world: World) -> None:
    """Firm A's owner, in their own workspace's URLs, with one of Firm B's ids: 404, nothing changed.
    A view that checked the workspace but fetched the record by its id alone would answer here."""
    web = world.browsers[OWNER]
    problems: list[str] = []
    before = snapshot()
    for name, url in mixed_urls(world):
        for method in ("post",) if ACCESS[name].post_only else ("get", "post"):
            response = web.post(url, ACCESS[name].data) if method == "post" else web.get(url)
            if response.status_code not in (404, 405) or (method == "get" and response.status_code != 404):
                problems.append(f"{method.upper()} {url} ({name}): {response.status_code}, expected 404")
            if leaked := leaks(response, world.b.secrets):
                problems.append(f"{method.upper()} {url} ({name}) names {leaked}")
    after = snapshot()
    if changed := sorted(key for key in before | after if before.get(key) != after.get(key)):
        problems.append(f"requests with another workspace's ids changed {changed}: {events_since(before)}")
    assert not problems, "\n".join(problems)


def test_an_outsider_gets_404_for_firm_a_ids_under_their_own_workspace(world: World) -> None:
    web = world.browsers[OUTSIDER]
    problems: list[str] = []
    before = snapshot()
    for name, pattern in every_url().items():
        own, foreign = fill(name, pattern, world.a), fill(name, pattern, world.b)
        if "workspace_id" not in own or all(own[key] == foreign[key] for key in record_parameters(pattern)):
            continue  # only the workspace's own pages, or records every workspace shares
        url = reverse(name, kwargs=fill(name, pattern, world.a) | {"workspace_id": world.b.workspace.pk})
        for method in ("post",) if ACCESS[name].post_only else ("get", "post"):
            response = web.post(url, ACCESS[name].data) if method == "post" else web.get(url)
            if response.status_code != 404 and not (method == "post" and response.status_code == 405):
                problems.append(f"{method.upper()} {name}: {response.status_code}, expected 404")
            if leaked := leaks(response, world.secrets):
                problems.append(f"{method.upper()} {name} ({response.status_code}) names {leaked}")
    after = snapshot()
    if changed := sorted(key for key in before | after if before.get(key) != after.get(key)):
        problems.append(f"requests with another workspace's ids changed {changed}: {events_since(before)}")
    assert not problems, "\n".join(problems)


def test_a_clients_session_of_one_request_opens_nothing_of_their_other_request(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    """The same client, in by the link of a second request of the firm: the first request's items and
    files answer the neutral 404 page (changing nothing), and no page of the second request's portal
    names the first one's answers or files. (The rights pages are about the person, all requests.)"""
    first = world.a.seeded
    second = make_request(world.a.workspace, world.a.owner, first.client, [document("Passport")], title="KYC")
    with django_capture_on_commit_callbacks(execute=True):
        do_send_request(second, world.a.owner)
    web = portal_visitor(acknowledged_link(second)[1])
    answers = (f"Employer {first.marker}", f"payslip-{first.marker}", f"Message with {first.marker}")
    portal = {name: pattern for name, pattern in every_url().items() if name.startswith("portal:")}
    naming = [name for name, pattern in portal.items() if {"item_id", "upload_id"} & set(parameters(pattern))]
    problems: list[str] = []
    before = snapshot()
    for name in naming:
        url = reverse(name, kwargs=fill(name, portal[name], world.a))
        response = web.post(url, ACCESS[name].data) if ACCESS[name].post_only else web.get(url)
        if response.status_code != 404 or leaks(response, answers):
            problems.append(f"{name}: {response.status_code}, names {leaks(response, answers)}")
    if (after := snapshot()) != before:
        problems.append(f"changed {sorted(k for k in before if before[k] != after.get(k))}")
    for name in set(portal) - set(naming):
        response = web.get(reverse(name, kwargs=fill(name, portal[name], world.a)))
        if leaked := leaks(response, answers):
            problems.append(f"GET {name} ({response.status_code}) names {leaked}")
    assert not problems, "\n".join(problems)
