"""Every portal URL, tried without a session, with another request's session, with a revoked or an
expired link's session, and with the right session before and after each gate.

Firm A (owner, member) and Firm B (outsider) each sent a request to a client: a required question, a
document offering a form to download, and one upload the client gave through their link. The URLs
come from walking the URLconf, so a portal URL added later fails
`test_every_portal_url_has_a_permission_spec` until it is described in ROUTES.

- the holder of request A's link can use each URL (and its audit event names their link);
- without a usable session every URL answers the same neutral 404 page as an unknown token;
- with request B's session, request A's items and files answer 404 (and the other way round), the
  same page as for ids that exist nowhere;
- the gates come in order: portal password, e-mailed code, privacy notice;
- a contributor cannot take back the client's file.

Every refused attempt leaves the database as it was, audit log included.
"""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.db.models import Max
from django.http import StreamingHttpResponse
from django.test import Client as WebClient
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from strongroom.accounts.models import User, Workspace
from strongroom.audit.models import Event
from strongroom.collection.answers import do_add_upload, do_save_answer
from strongroom.collection.lifecycle import do_add_contributor, do_send_request
from strongroom.collection.models import Client, Contributor, Message, Request, RequestItem, Upload
from strongroom.collection.tests.factories import (
    acknowledged_link,
    document,
    item,
    make_client,
    make_request,
    question,
    sealed_file,
)
from strongroom.portal.links import do_issue_code, do_issue_link, do_revoke_link, do_set_password
from strongroom.portal.models import Acknowledgement, PortalLink
from strongroom.portal.notice import notice_for
from strongroom.vault.actions import do_store_blob
from strongroom.vault.models import Blob

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
PORTAL_PASSWORD = "correct horse battery staple 7"
UNKNOWN_TOKEN = "Zm9yZ2VkLXRva2VuLXRoYXQtbm9ib2R5LWV2ZXItaXNzdWVk"

# --- the world -----------------------------------------------------------------------------------


@dataclass
class Side:
    """One firm's request as its client sees it through their link."""

    workspace: Workspace
    owner: User
    request: Request
    link: PortalLink
    token: str
    question: RequestItem
    document: RequestItem
    upload: Upload
    secrets: tuple[str, ...]  # what no page shown to anyone else may contain


def sent_request(workspace: Workspace, owner: User, letter: str) -> tuple[Request, tuple[str, str]]:
    """A sent request to a new client: a required question and a document offering a form."""
    name = f"Zéphyrine Quillfeather {letter}"
    email = f"zephyrine.{letter.lower()}.{uuid.uuid4().hex[:6]}@client.example"
    client = make_client(workspace, owner, name=name, email=email)
    labels = (f"Social security number {letter}", f"Payslips of {letter}")
    request = make_request(
        workspace, owner, client, [question(labels[0]), document(labels[1])], title=f"Merger dossier {letter}"
    )
    form = do_store_blob(client.subject, io.BytesIO(PDF), name=f"form-{letter}.pdf",
                         content_type="application/pdf", actor=owner, workspace=workspace)
    RequestItem.objects.filter(pk=item(request, labels[1]).pk).update(attachment=form)
    do_send_request(request, owner)
    return Request.objects.get(pk=request.pk), labels


def build_side(workspace: Workspace, owner: User, letter: str) -> Side:
    request, labels = sent_request(workspace, owner, letter)
    link, token = acknowledged_link(request)
    upload = do_add_upload(
        link, item(request, labels[1]), sealed_file(request, PDF, f"payslip-{letter}.pdf", "pdf")
    )
    return Side(
        workspace=workspace, owner=owner, request=request, link=link, token=token,
        question=item(request, labels[0]), document=item(request, labels[1]), upload=upload,
        secrets=(request.client.name, request.client.email, request.title, *labels, f"payslip-{letter}",
                 f"form-{letter}"),
    )


@pytest.fixture
def side_a(workspace: Workspace, owner: User) -> Side:
    return build_side(workspace, owner, "A")


@pytest.fixture
def side_b(other_workspace: Workspace, outsider: User) -> Side:
    return build_side(other_workspace, outsider, "B")


def visitor(token: str | None = None) -> WebClient:
    """A browser that came in by `token`'s link (None: no portal session at all)."""
    web = WebClient()
    if token is not None:
        response = web.get(reverse("portal:enter", kwargs={"token": token}))
        assert response.status_code == 302 and response["Location"] == reverse("portal:home")
    return web


def neutral_page() -> bytes:
    """The page an unknown token gets: what every unusable link or missing session must look like."""
    response = WebClient().get(reverse("portal:enter", kwargs={"token": UNKNOWN_TOKEN}))
    assert response.status_code == 404
    return body_of(response)


# --- what changing nothing means -------------------------------------------------------------------


def snapshot() -> dict[str, Any]:
    """Everything a portal URL could change, as plain values."""

    def rows(model: Any, *fields: str) -> list[tuple[str, ...]]:
        return sorted(tuple(str(v) for v in row) for row in model.objects.values_list("pk", *fields))

    return {
        "requests": rows(Request, "state", "version", "submitted_at"),
        "items": rows(RequestItem, "state", "version", "updated_at"),
        "uploads": rows(Upload, "state"),
        "clients": Client.objects.count(),
        "messages": Message.objects.count(),
        "contributors": Contributor.objects.count(),
        "links": rows(PortalLink, "revoked_at", "expires_at", "password", "failed_attempts",
                      "locked_until", "code_hash"),
        "acknowledgements": Acknowledgement.objects.count(),
        "blobs": Blob.objects.count(),
        "events": Event.objects.count(),
        "tasks": DBTaskResult.objects.count(),
    }


def body_of(response: Any) -> bytes:
    """The body, without the Content-Security-Policy nonce that differs on every page."""
    if isinstance(response, StreamingHttpResponse):
        return b"".join(response.streaming_content)  # type: ignore[arg-type]
    return re.sub(rb' nonce="[^"]*"', b"", bytes(response.content))


def assert_names_nothing_of(body: bytes, side: Side) -> None:
    text = body.decode("utf-8", "replace")
    leaked = [secret for secret in side.secrets if secret in text]
    assert not leaked, f"the page names {leaked}"


# --- the portal URLs -------------------------------------------------------------------------------


def walk(patterns: list[Any], namespace: str = "") -> Iterator[tuple[str, URLPattern]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}:{entry.namespace}" if namespace and entry.namespace else entry.namespace
            yield from walk(entry.url_patterns, inner or namespace)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}:{entry.name}" if namespace else entry.name, entry


def defined_urls(namespace: str) -> dict[str, URLPattern]:
    """Every URL pattern of `namespace` in the project's URLconf, by name."""
    prefix = f"{namespace}:"
    return {
        name.removeprefix(prefix): pattern
        for name, pattern in walk(get_resolver().url_patterns)
        if name.startswith(prefix)
    }


def no_data(side: Side) -> dict[str, Any]:
    return {}


def a_file(side: Side) -> dict[str, Any]:
    scan = io.BytesIO(PDF)
    scan.name = "scan.pdf"
    return {"files": scan}


def answer_the_question(side: Side) -> None:
    do_save_answer(side.link, side.question, "1 85 12 75 123 456 78")


def give_a_logo(side: Side) -> None:
    from strongroom.accounts.invitations import workspace_subject
    from strongroom.audit.actors import operator
    from strongroom.vault.actions import do_store_blob

    workspace = side.link.request.workspace
    workspace.logo = do_store_blob(workspace_subject(workspace, operator("test")), io.BytesIO(b"\x89PNG\r\n"),
                                   name="logo.png", content_type="image/png", actor=operator("test"),
                                   workspace=workspace)
    workspace.save(update_fields=["logo"])


@dataclass(frozen=True)
class Use:
    """One way the link's holder uses a URL: method, body, answer, redirect, audit event."""

    method: str
    status: int
    event: str | None = None
    data: Callable[[Side], dict[str, Any]] = no_data
    location: str | None = None  # URL name the answer redirects to


@dataclass(frozen=True)
class Route:
    uses: tuple[Use, ...]
    # The methods the view answers (the others: 405). Pages answer POST as they answer GET.
    methods: tuple[str, ...] = ("get", "post")
    item: str = "document"  # which item fills <item_id>
    given: Callable[[Side], None] | None = None  # what must hold before the holder can use it


ROUTES: dict[str, Route] = {
    "enter": Route((Use("get", 302, location="portal:home"),)),
    "home": Route((Use("get", 200),)),
    "password": Route((Use("get", 302, location="portal:home"),)),  # no password set: nothing to ask
    "set_password": Route(
        (Use("get", 200),
         Use("post", 302, "portal.password_set",
             lambda side: {"password": PORTAL_PASSWORD, "password2": PORTAL_PASSWORD}, "portal:home")),
    ),
    "code": Route((Use("get", 302, location="portal:home"),)),  # the workspace asks for no code
    "notice": Route((Use("get", 200),)),
    "answer": Route(
        (Use("post", 302, "item.answered", lambda side: {"value": "2 85 12"}, "portal:home"),),
        ("post",), item="question",
    ),
    "not_applicable": Route(
        (Use("post", 302, "item.marked_not_applicable", lambda side: {"reason": "none"}, "portal:home"),),
        ("post",), item="question",
    ),
    "upload": Route((Use("post", 302, "item.file_added", a_file, "portal:home"),), ("post",)),
    "attachment": Route((Use("get", 200, "blob.downloaded"),)),
    "remove_upload": Route((Use("post", 302, "item.file_removed", location="portal:home"),), ("post",)),
    "finish": Route(
        (Use("post", 302, "request.submitted", location="portal:receipt"),), ("post",),
        given=answer_the_question,
    ),
    "receipt": Route((Use("get", 200),)),
    "logo": Route((Use("get", 200),), ("get",), given=give_a_logo),
    "messages": Route(
        (Use("get", 200),
         Use("post", 302, "message.posted", lambda side: {"body": "Here you are."}, "portal:messages")),
    ),
}

PORTAL_NAMES = sorted(set(ROUTES) | set(defined_urls("portal")))
GATES = ("password", "code", "notice")


def route_of(name: str) -> Route:
    if name not in ROUTES:
        pytest.fail(f"portal URL {name!r} has no permission spec in ROUTES: describe who may use it")
    return ROUTES[name]


def url_for(name: str, side: Side) -> str:
    """The URL `name` with its ids (and token) taken from `side`."""
    objects: dict[str, Any] = {
        "token": side.token,
        "item_id": side.question.pk if route_of(name).item == "question" else side.document.pk,
        "upload_id": side.upload.pk,
    }
    wanted = defined_urls("portal")[name].pattern.converters
    unknown = set(wanted) - set(objects)
    assert not unknown, f"portal URL {name!r} takes {sorted(unknown)}: teach url_for to fill them"
    return reverse(f"portal:{name}", kwargs={k: objects[k] for k in wanted})


def takes_ids(name: str) -> bool:
    """Whether the URL names an item or a file (records of one request) in its path."""
    return bool(set(defined_urls("portal")[name].pattern.converters) & {"item_id", "upload_id"})


ID_NAMES = [name for name in PORTAL_NAMES if name in ROUTES and takes_ids(name)]
SESSION_NAMES = [name for name in PORTAL_NAMES if name != "enter"]


def phantom(side: Side) -> Side:
    """`side` with its item and upload ids replaced by ones that exist nowhere."""
    ghost = RequestItem(pk=uuid.uuid4())
    return Side(workspace=side.workspace, owner=side.owner, request=side.request, link=side.link,
                token=side.token, question=ghost, document=ghost, upload=Upload(pk=uuid.uuid4()),
                secrets=side.secrets)


def send(web: WebClient, method: str, url: str, data: dict[str, Any] | None = None) -> Any:
    return getattr(web, method)(url, data or {})


def data_for(route: Route, method: str, side: Side) -> dict[str, Any]:
    return next((use.data(side) for use in route.uses if use.method == method), {})


def tried(web: WebClient, name: str, side: Side) -> Iterator[tuple[str, Any]]:
    """Each method of URL `name` with `side`'s ids, checking that the attempt changed nothing."""
    route = route_of(name)
    for method in route.methods:
        url = url_for(name, side)
        before = snapshot()
        response = send(web, method, url, data_for(route, method, side))
        assert snapshot() == before, f"{method.upper()} {url} changed something"
        yield f"{method.upper()} {url}", response


def assert_neutral_everywhere(web: WebClient, side: Side, names: list[str]) -> None:
    neutral = neutral_page()
    for name in names:
        for attempt, response in tried(web, name, side):
            assert response.status_code == 404, f"{attempt}: {response.status_code}"
            assert body_of(response) == neutral, f"{attempt}: not the neutral page"


def assert_refused_by_id(web: WebClient, name: str, side: Side) -> bytes:
    """URL `name` with `side`'s ids answers 404 like ids that exist nowhere; returns the page."""
    route = route_of(name)
    page = b""
    for attempt, response in tried(web, name, side):
        assert response.status_code == 404, f"{attempt}: {response.status_code}"
        page = body_of(response)
        assert_names_nothing_of(page, side)
        method = attempt.split()[0].lower()
        ghost = send(web, method, url_for(name, phantom(side)), data_for(route, method, side))
        assert (ghost.status_code, body_of(ghost)) == (404, page), f"{attempt}: an existence oracle"
    return page


# --- the inventory ---------------------------------------------------------------------------------


def test_every_portal_url_has_a_permission_spec() -> None:
    defined = set(defined_urls("portal"))

    missing, stale = sorted(defined - set(ROUTES)), sorted(set(ROUTES) - defined)

    assert not missing, f"portal URLs without a permission spec in ROUTES: {missing}"
    assert not stale, f"ROUTES describes portal URLs that no longer exist: {stale}"


@pytest.mark.parametrize("name", SESSION_NAMES)
def test_the_spec_matches_the_methods_the_view_answers(name: str, side_a: Side) -> None:
    web = visitor(side_a.token)
    for method in {"get", "post"} - set(route_of(name).methods):
        before = snapshot()

        response = send(web, method, url_for(name, side_a))

        assert response.status_code == 405, f"{method.upper()} {name}: {response.status_code}"
        assert snapshot() == before


# --- the right session -----------------------------------------------------------------------------


def last_event_id() -> int:
    return Event.objects.aggregate(last=Max("id"))["last"] or 0


@pytest.mark.parametrize("name", PORTAL_NAMES)
def test_the_links_holder_uses_every_portal_url(name: str, side_a: Side, side_b: Side) -> None:
    # given the client of request A in their portal session
    route = route_of(name)
    web = visitor(side_a.token)
    if route.given is not None:
        route.given(side_a)
    for use in route.uses:
        url = url_for(name, side_a)
        before, last = snapshot(), last_event_id()

        # when they use the URL
        response = send(web, use.method, url, use.data(side_a))
        body = body_of(response)

        # then it works, and writes its audit event as their link
        assert response.status_code == use.status, f"{use.method.upper()} {url}: {response.status_code}"
        if use.location is not None:
            assert response["Location"] == reverse(use.location)
        if use.event is None:
            assert use.method != "get" or snapshot() == before, f"viewing {url} changed something"
        else:
            audited = Event.objects.filter(id__gt=last, action=use.event, actor_id=str(side_a.link.pk))
            assert audited.filter(actor_kind="client").count() == 1, f"{url}: no {use.event} event"
        assert_names_nothing_of(body, side_b)


# --- no usable session -----------------------------------------------------------------------------


def test_unknown_revoked_and_expired_tokens_get_the_same_neutral_page(side_a: Side, side_b: Side) -> None:
    # given a revoked link and an expired one
    revoked, revoked_token = do_issue_link(side_a.request, side_a.owner)
    do_revoke_link(revoked, side_a.owner)
    expired, expired_token = do_issue_link(side_a.request, side_a.owner)
    PortalLink.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    neutral = neutral_page()

    for token in (revoked_token, expired_token, UNKNOWN_TOKEN[:-1], "x" * 500, "' OR 1=1 --"):
        before = snapshot()

        # when someone comes in by it
        response = WebClient().get(reverse("portal:enter", kwargs={"token": token}))

        # then they see the neutral page, and nothing changes
        assert (response.status_code, body_of(response)) == (404, neutral), token
        assert snapshot() == before
    assert_names_nothing_of(neutral, side_a)


def test_without_a_session_every_portal_url_is_the_neutral_page(side_a: Side) -> None:
    assert_neutral_everywhere(visitor(), side_a, SESSION_NAMES)


def test_a_revoked_links_session_gets_the_neutral_page_everywhere(side_a: Side) -> None:
    # given a session opened by a link, which staff then revoke
    web = visitor(side_a.token)
    do_revoke_link(side_a.link, side_a.owner)

    # then every portal URL answers the neutral page, and nothing changes
    assert_neutral_everywhere(web, side_a, SESSION_NAMES)


def test_an_expired_links_session_gets_the_neutral_page_everywhere(side_a: Side) -> None:
    web = visitor(side_a.token)
    PortalLink.objects.filter(pk=side_a.link.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    assert_neutral_everywhere(web, side_a, SESSION_NAMES)


# --- another request's session ---------------------------------------------------------------------


@pytest.mark.parametrize("name", ID_NAMES)
def test_request_bs_session_gets_404_for_request_as_items_and_files(
    name: str, side_a: Side, side_b: Side
) -> None:
    assert_refused_by_id(visitor(side_b.token), name, side_a)


@pytest.mark.parametrize("name", ID_NAMES)
def test_request_as_session_gets_404_for_request_bs_items_and_files(
    name: str, side_a: Side, side_b: Side
) -> None:
    assert_refused_by_id(visitor(side_a.token), name, side_b)


def test_another_requests_items_answer_the_same_neutral_page(side_a: Side, side_b: Side) -> None:
    """The acceptance rule asks for one neutral 404 page for every portal page of request A, whatever
    the session: the portal's own page (in the visitor's language), not Django's bare default."""
    web, neutral = visitor(side_b.token), neutral_page()

    others = [name for name in ID_NAMES if assert_refused_by_id(web, name, side_a) != neutral]

    assert not others, f"request A's items and files answer Django's bare 404, not the portal's: {others}"


@pytest.mark.parametrize("name", [name for name in SESSION_NAMES if name not in ID_NAMES])
def test_request_bs_pages_name_nothing_of_request_a(name: str, side_a: Side, side_b: Side) -> None:
    web = visitor(side_b.token)

    response = web.get(url_for(name, side_b))

    # B's workspace has no logo: its logo URL answers the neutral page
    assert response.status_code in (200, 302, 405) or (name == "logo" and response.status_code == 404)
    assert_names_nothing_of(body_of(response), side_a)


# --- the gates -------------------------------------------------------------------------------------


def assert_every_page_leads_to(web: WebClient, side: Side, gate: str) -> None:
    """Every /portal/ URL sends the visitor to `gate`, and changes nothing. The gate page answers
    itself at its turn; it is only looked at (a POST there would be an attempt)."""
    for name in SESSION_NAMES:
        if name == "logo":  # the workspace's logo heads the gate pages themselves: it is not gated
            continue
        for method in ("get",) if name in GATES else route_of(name).methods:
            url = url_for(name, side)
            before = snapshot()

            response = send(web, method, url, data_for(route_of(name), method, side))

            assert snapshot() == before, f"{method.upper()} {url} changed something"
            if name == gate:
                assert response.status_code == 200, f"{url}: {response.status_code}"
            else:
                assert response.status_code == 302, f"{method.upper()} {url}: {response.status_code}"
                assert response["Location"] == reverse(f"portal:{gate}"), f"{method.upper()} {url}"


def test_the_gates_come_in_order_password_code_notice(workspace: Workspace, owner: User) -> None:
    # given a link with a portal password, a workspace that e-mails a code, and no acknowledgement yet
    request, labels = sent_request(workspace, owner, "G")
    link, token = do_issue_link(request, owner)
    do_set_password(link, PORTAL_PASSWORD)
    Workspace.objects.filter(pk=workspace.pk).update(require_client_code=True)
    side = Side(workspace=workspace, owner=owner, request=request, link=link, token=token,
                question=item(request, labels[0]), document=item(request, labels[1]),
                upload=Upload(pk=uuid.uuid4()), secrets=())
    web = visitor(token)

    # then every page asks for the password first
    assert_every_page_leads_to(web, side, "password")
    assert web.post(reverse("portal:password"), {"password": PORTAL_PASSWORD})["Location"] == "/portal/"

    # then for the e-mailed code
    assert_every_page_leads_to(web, side, "code")
    assert web.post(reverse("portal:code"), {"code": do_issue_code(link)})["Location"] == "/portal/"

    # then for the privacy notice
    assert_every_page_leads_to(web, side, "notice")
    shown = notice_for(link, "en")
    assert web.post(reverse("portal:notice"), {"sha256": shown.sha256, "agree": "1"}).status_code == 302

    # and then the checklist opens, and the passed gates step aside
    assert web.get(reverse("portal:home")).status_code == 200
    for gate in ("password", "code"):
        assert web.get(reverse(f"portal:{gate}"))["Location"] == reverse("portal:home")


def test_a_new_session_asks_for_the_password_again(side_a: Side) -> None:
    # given the client set a password in an earlier session
    do_set_password(side_a.link, PORTAL_PASSWORD)

    # then a new session by the same link asks for it before anything else
    assert_every_page_leads_to(visitor(side_a.token), side_a, "password")


# --- contributors ----------------------------------------------------------------------------------


@pytest.mark.parametrize("accept", ["text/html", "application/json"])
def test_a_contributor_cannot_remove_the_clients_pending_upload(side_a: Side, accept: str) -> None:
    # given a contributor's link to the same request, and the client's file waiting for review
    contributor = do_add_contributor(side_a.request, side_a.owner, name="Sam Spouse", email="sam@x.example")
    _link, token = acknowledged_link(side_a.request, contributor=contributor)
    web = visitor(token)
    before = snapshot()

    # when the contributor tries to take the client's file back
    response = web.post(url_for("remove_upload", side_a), HTTP_ACCEPT=accept)

    # then it is refused and the file stays
    if accept == "application/json":
        assert response.status_code == 400 and response.json()["ok"] is False
    else:
        assert response.status_code == 302 and response["Location"] == reverse("portal:home")
    assert snapshot() == before
    assert Upload.objects.filter(pk=side_a.upload.pk, state="pending").exists()
