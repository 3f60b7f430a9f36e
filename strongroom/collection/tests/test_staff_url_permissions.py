"""Every staff URL, tried by the owner, a member, an outsider and an anonymous visitor.

Firm A (owner, member) and Firm B (outsider) each hold a client, a draft request and a sent request
(owned by the firm's owner) with a question and a document that has one upload, and a checklist of
their own (one section, two questions). The URLs come from walking the URLconf, so a staff URL added
later fails `test_every_staff_url_has_a_permission_spec` until ROUTES describes it, and is then
tried by every actor below.

- the owner can use each URL, and its audit event names them;
- the member uses the workspace's pages, but not the checklist editor (owners and admins only:
  refused, nothing changes), and gets 404 for the requests, items and files they neither own nor
  are assigned to;
- the outsider gets 404 for everything of Firm A, also through Firm B's workspace id;
- an anonymous visitor is sent to the sign-in page.

Every refused attempt leaves the database as it was (the audit log included: a refused page view is
no view), and its 404 page is the same as for ids that exist nowhere, and names nothing of Firm A.
"""

from __future__ import annotations

import io
import uuid
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields, replace
from typing import Any

import pytest
from django.db.models import Max, Model
from django.http import StreamingHttpResponse
from django.test import Client as WebClient
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django_tasks_db.models import DBTaskResult

from strongroom.accounts.models import User, Workspace
from strongroom.audit.models import Event
from strongroom.collection.answers import do_add_upload
from strongroom.collection.lifecycle import do_send_request
from strongroom.collection.models import (
    Client,
    Contributor,
    Message,
    Request,
    RequestItem,
    RequestSection,
    Template,
    TemplateItem,
    TemplateSection,
    Upload,
)
from strongroom.collection.template_editing import do_add_section, do_create_template, do_save_item
from strongroom.collection.tests.factories import (
    acknowledged_link,
    document,
    item,
    make_client,
    make_request,
    question,
    sealed_file,
)
from strongroom.collection.views.requests import REVIEW_ACTIONS
from strongroom.portal.models import Acknowledgement, PortalLink
from strongroom.vault.models import Blob

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
WORKSPACE = "workspace"  # every member of the workspace sees it
REQUEST = "request"  # only the request's owner, its assignees, and the workspace's owners and admins

# --- the world -----------------------------------------------------------------------------------


@dataclass
class Firm:
    workspace: Workspace
    owner: User
    client: Client
    draft: Request
    draft_section: RequestSection
    draft_question: RequestItem
    sent: Request
    question: RequestItem
    document: RequestItem
    upload: Upload
    template: Template
    section: TemplateSection
    template_item: TemplateItem
    secrets: tuple[str, ...]  # what no page shown to a stranger may contain


def checklist(
    workspace: Workspace, owner: User, letter: str
) -> tuple[Template, TemplateSection, TemplateItem]:
    template = do_create_template(workspace, owner, name=f"Onboarding checklist {letter}")
    section = do_add_section(template, owner, f"Identity papers {letter}")
    first, _second = (
        do_save_item(section, owner, {"kind": "question", "question_type": "short_text", "label": label,
                                      "required": True})
        for label in (f"Maiden name {letter}", f"Place of birth {letter}")
    )
    return template, section, first


def build_firm(workspace: Workspace, owner: User, letter: str) -> Firm:
    """A client, a draft and a sent request (a question, a document with one upload), all `owner`'s,
    and a checklist of the workspace's own."""
    name, email = f"Zéphyrine Quillfeather {letter}", f"zephyrine.{letter.lower()}@client.example"
    client = make_client(workspace, owner, name=name, email=email)
    labels = (f"Social security number {letter}", f"Payslips of {letter}")
    items = [question(labels[0]), document(labels[1])]
    draft = make_request(workspace, owner, client, items, title=f"Draft dossier {letter}")
    sent = make_request(workspace, owner, client, items, title=f"Merger dossier {letter}")
    do_send_request(sent, owner)
    link, _token = acknowledged_link(sent)
    scan = sealed_file(sent, PDF, f"payslip-{letter}.pdf", "pdf")
    upload = do_add_upload(link, item(sent, labels[1]), scan)
    template, section, template_item = checklist(workspace, owner, letter)
    return Firm(
        workspace=workspace, owner=owner, client=client, draft=draft,
        draft_section=RequestSection.objects.get(request=draft), draft_question=item(draft, labels[0]),
        sent=Request.objects.get(pk=sent.pk),
        question=item(sent, labels[0]), document=item(sent, labels[1]), upload=upload,
        template=template, section=section, template_item=template_item,
        secrets=(name, email, draft.title, sent.title, *labels, f"payslip-{letter}", template.name,
                 section.title, template_item.label),
    )


@pytest.fixture
def firm_a(workspace: Workspace, owner: User) -> Firm:
    return build_firm(workspace, owner, "A")


@pytest.fixture
def firm_b(other_workspace: Workspace, outsider: User) -> Firm:
    return build_firm(other_workspace, outsider, "B")


def phantom(firm: Firm) -> Firm:
    """`firm` with the id of every record but the workspace replaced by one that exists nowhere."""
    ghosts: dict[str, Any] = {
        f.name: type(value)(pk=uuid.uuid4())
        for f in fields(firm)
        if isinstance(value := getattr(firm, f.name), Model) and f.name not in ("workspace", "owner")
    }
    return replace(firm, **ghosts)


def browser(user: User | None) -> WebClient:
    """A web client signed in as `user` (None: anonymous). The test client does not check CSRF."""
    web = WebClient()
    if user is not None:
        web.force_login(user)
    return web


# --- what changing nothing means -------------------------------------------------------------------


def snapshot() -> dict[str, Any]:
    """Everything a staff URL could change, as plain values."""

    def rows(model: Any, *names: str) -> list[tuple[str, ...]]:
        return sorted(tuple(str(v) for v in row) for row in model.objects.values_list("pk", *names))

    return {
        "requests": rows(Request, "state", "version", "title", "sent_at", "closed_at"),
        "sections": rows(RequestSection, "title", "position"),
        "items": rows(RequestItem, "state", "version", "label", "max_files", "reviewed_at"),
        "uploads": rows(Upload, "state"),
        "clients": sorted((str(c.pk), c.name, c.email, c.phone, c.notes) for c in Client.objects.all()),
        "messages": Message.objects.count(),
        "contributors": Contributor.objects.count(),
        "links": rows(PortalLink, "revoked_at", "expires_at", "password", "failed_attempts"),
        "acknowledgements": Acknowledgement.objects.count(),
        "blobs": Blob.objects.count(),
        "templates": rows(Template, "name", "description", "default_due_days", "updated_at"),
        "template_sections": rows(TemplateSection, "title", "position"),
        "template_items": rows(TemplateItem, "label", "position", "section_id"),
        "events": Event.objects.count(),
        "tasks": DBTaskResult.objects.count(),
    }


def last_event_id() -> int:
    return Event.objects.aggregate(last=Max("id"))["last"] or 0


def body_of(response: Any) -> bytes:
    if isinstance(response, StreamingHttpResponse):
        return b"".join(response.streaming_content)  # type: ignore[arg-type]
    return bytes(response.content)


def assert_names_nothing_of(body: bytes, firm: Firm, secrets: tuple[str, ...] | None = None) -> None:
    text = body.decode("utf-8", "replace")
    leaked = [secret for secret in (firm.secrets if secrets is None else secrets) if secret in text]
    assert not leaked, f"the page names {leaked}"


# --- the staff URLs --------------------------------------------------------------------------------


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


def no_data(firm: Firm) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class Use:
    """One way a URL is used: method, body, the answer and audit event when the right actor uses it.
    `managers` marks a change only owners and admins may make (a member is refused, nothing changes)."""

    method: str
    status: int
    event: str | None = None
    data: Callable[[Firm], dict[str, Any]] = no_data
    managers: bool = False


# Which record of a Firm fills each URL argument, unless a Route says otherwise.
DEFAULT_IDS = {
    "workspace_id": "workspace", "client_id": "client", "request_id": "sent", "item_id": "document",
    "upload_id": "upload", "template_id": "template", "section_id": "section",
}


@dataclass(frozen=True)
class Route:
    scope: str
    uses: tuple[Use, ...]
    # The methods the view answers (the others: 405). Pages answer POST as they answer GET (none
    # uses `require_safe`), so refusals are tried with both.
    methods: tuple[str, ...] = ("get", "post")
    ids: dict[str, str] = field(default_factory=dict)  # URL argument -> Firm attribute, over DEFAULT_IDS
    literals: dict[str, str] = field(default_factory=dict)  # URL arguments that are not ids
    refusal_variants: tuple[dict[str, str], ...] = ({},)  # other literals a refusal is tried with


def new_client(firm: Firm) -> dict[str, Any]:
    return {"name": "Bertille Nouvelle", "email": f"bertille.{uuid.uuid4().hex[:8]}@client.example",
            "language": "en", "phone": "", "notes": ""}


def changed_client(firm: Firm) -> dict[str, Any]:
    return {"name": "Zéphyrine Renamed", "email": firm.client.email, "language": "en", "phone": "",
            "notes": "changed"}


def new_request(firm: Firm) -> dict[str, Any]:
    return {"client": str(firm.client.pk), "template": "", "title": "Another dossier", "due_date": "",
            "message": ""}


def current_version(firm: Firm) -> dict[str, Any]:
    return {"version": str(RequestItem.objects.get(pk=firm.document.pk).version)}


def template_fields(firm: Firm) -> dict[str, Any]:
    return {"name": "Renamed checklist", "description": "changed", "default_due_days": "21"}


def item_fields(firm: Firm) -> dict[str, Any]:
    return {"kind": "question", "label": "Mother's maiden name", "question_type": "short_text",
            "required": "on", "max_file_size_mb": "100", "max_files": "10"}


def request_details(firm: Firm) -> dict[str, Any]:
    return {"title": "Renamed dossier", "due_date": "", "message": "", "remind_days_before": "",
            "remind_on_due_date": "on", "remind_every_days_after": "", "remind_max_after": "4"}


DRAFT_ITEM = {"request_id": "draft", "section_id": "draft_section", "item_id": "draft_question"}


def editor(method: str, status: int, event: str, data: Callable[[Firm], dict[str, Any]] = no_data) -> Use:
    return Use(method, status, event, data, managers=True)


ROUTES: dict[str, Route] = {
    "dashboard": Route(WORKSPACE, (Use("get", 200),)),
    "clients": Route(WORKSPACE, (Use("get", 200),)),
    "client_new": Route(WORKSPACE, (Use("get", 200), Use("post", 302, "client.created", new_client))),
    "client": Route(
        WORKSPACE, (Use("get", 200, "client.viewed"), Use("post", 302, "client.updated", changed_client))
    ),
    "request_new": Route(WORKSPACE, (Use("get", 200), Use("post", 302, "request.created", new_request))),
    "request": Route(REQUEST, (Use("get", 200, "request.viewed"),)),
    "request_send": Route(
        REQUEST, (Use("post", 302, "request.sent"),), ("post",), ids={"request_id": "draft"}
    ),
    "request_cancel": Route(REQUEST, (Use("post", 302, "request.cancelled"),), ("post",)),
    "request_new_link": Route(REQUEST, (Use("post", 302, "request.new_link_requested"),), ("post",)),
    "request_revoke_links": Route(REQUEST, (Use("post", 302, "portal.link_revoked"),), ("post",)),
    "request_contributor": Route(
        REQUEST,
        (Use("post", 302, "request.contributor_added",
             lambda firm: {"name": "Sam Spouse", "email": "sam.spouse@client.example", "language": "en"}),),
        ("post",),
    ),
    "request_message": Route(
        REQUEST, (Use("post", 302, "message.posted", lambda firm: {"body": "Any news?"}),), ("post",)
    ),
    "request_edit": Route(
        REQUEST, (Use("get", 200), Use("post", 302, "request.changed", request_details))
    ),
    "request_section_add": Route(
        REQUEST, (Use("post", 302, "request.section_added", lambda firm: {"title": "Income"}),), ("post",),
        ids={"request_id": "draft"},
    ),
    "request_item_new": Route(
        REQUEST, (Use("get", 200), Use("post", 302, "request.item_saved", item_fields)), ids=DRAFT_ITEM
    ),
    "request_item_edit": Route(
        REQUEST, (Use("get", 200), Use("post", 302, "request.item_saved", item_fields)), ids=DRAFT_ITEM
    ),
    "request_item_delete": Route(
        REQUEST, (Use("post", 302, "request.item_removed"),), ("post",), ids=DRAFT_ITEM
    ),
    "request_zip": Route(REQUEST, (Use("get", 200, "request.files_downloaded"),)),
    "item_review": Route(
        REQUEST, (Use("post", 302, "item.approved", current_version),), ("post",),
        literals={"verb": "approve"},
        refusal_variants=tuple({"verb": v} for v in (*REVIEW_ACTIONS, "no-such-verb")),
    ),
    "upload_file": Route(REQUEST, (Use("get", 200, "blob.viewed"),)),
    "templates": Route(
        WORKSPACE, (Use("get", 200), editor("post", 302, "template.created", template_fields))
    ),
    "template": Route(WORKSPACE, (Use("get", 200), editor("post", 302, "template.changed", template_fields))),
    "template_copy": Route(WORKSPACE, (editor("post", 302, "template.created"),), ("post",)),
    "template_section_add": Route(
        WORKSPACE, (editor("post", 302, "template.section_added", lambda firm: {"title": "Income"}),),
        ("post",),
    ),
    "template_section_delete": Route(
        WORKSPACE, (editor("post", 302, "template.section_removed"),), ("post",)
    ),
    "template_item_new": Route(
        WORKSPACE, (Use("get", 200), editor("post", 302, "template.item_saved", item_fields))
    ),
    "template_item": Route(
        WORKSPACE, (Use("get", 200), editor("post", 302, "template.item_saved", item_fields)),
        ids={"item_id": "template_item"},
    ),
    "template_item_delete": Route(
        WORKSPACE, (editor("post", 302, "template.item_removed"),), ("post",),
        ids={"item_id": "template_item"},
    ),
    "template_item_move": Route(
        WORKSPACE, (editor("post", 302, "template.item_moved"),), ("post",), ids={"item_id": "template_item"},
        literals={"direction": "down"}, refusal_variants=({"direction": "up"}, {"direction": "down"}),
    ),
}

STAFF_NAMES = sorted(set(ROUTES) | set(defined_urls("staff")))
REQUEST_NAMES = sorted(name for name, route in ROUTES.items() if route.scope == REQUEST)
WORKSPACE_NAMES = sorted(name for name, route in ROUTES.items() if route.scope == WORKSPACE)


def route_of(name: str) -> Route:
    if name not in ROUTES:
        pytest.fail(f"staff URL {name!r} has no permission spec in ROUTES: describe who may use it")
    return ROUTES[name]


def arguments(name: str) -> set[str]:
    return set(defined_urls("staff")[name].pattern.converters)


def takes_ids(name: str) -> bool:
    """Whether the URL names a record beyond the workspace."""
    return bool(arguments(name) - {"workspace_id"} - set(route_of(name).literals))


def url_for(name: str, firm: Firm, *, workspace: Workspace | None = None, **literals: str) -> str:
    """The URL `name` with every id taken from `firm` (the workspace id from `workspace` if given)."""
    route = route_of(name)
    attribute = DEFAULT_IDS | route.ids
    values = {arg: getattr(firm, attribute[arg]).pk for arg in arguments(name) if arg in attribute}
    values |= route.literals | literals
    if workspace is not None:
        values["workspace_id"] = workspace.pk
    unknown = arguments(name) - set(values)
    assert not unknown, f"staff URL {name!r} takes {sorted(unknown)}: say in ROUTES how to fill them"
    return reverse(f"staff:{name}", kwargs={k: values[k] for k in arguments(name)})


def send(web: WebClient, method: str, url: str, data: dict[str, Any] | None = None) -> Any:
    return getattr(web, method)(url, data or {})


def data_for(route: Route, method: str, firm: Firm) -> dict[str, Any]:
    return next((use.data(firm) for use in route.uses if use.method == method), {})


def refused(web: WebClient, name: str, firm: Firm, *, workspace: Workspace | None = None) -> None:
    """Every method of URL `name` answers 404, the same page as for ids that exist nowhere, names
    nothing of `firm`, and changes nothing."""
    route = route_of(name)
    for method in route.methods:
        for variant in route.refusal_variants:
            url = url_for(name, firm, workspace=workspace, **variant)
            before = snapshot()
            response = send(web, method, url, data_for(route, method, firm))
            assert response.status_code == 404, f"{method.upper()} {url}: {response.status_code}"
            assert snapshot() == before, f"{method.upper()} {url} changed something"
            assert_names_nothing_of(body_of(response), firm)
            if takes_ids(name):
                ghost_url = url_for(name, phantom(firm), workspace=workspace, **variant)
                ghost = send(web, method, ghost_url, data_for(route, method, firm))
                assert (ghost.status_code, body_of(ghost)) == (404, body_of(response)), "an existence oracle"


def used(web: WebClient, actor: User, name: str, firm: Firm, use: Use) -> bytes:
    """`actor` uses URL `name` as `use` says: it answers as expected, and audits it as `actor`."""
    url = url_for(name, firm)
    before, last = snapshot(), last_event_id()

    response = send(web, use.method, url, use.data(firm))
    body = body_of(response)  # a streamed file is read to its end, as a browser would

    assert response.status_code == use.status, f"{use.method.upper()} {url}: {response.status_code}"
    if response.status_code == 302:
        assert not response["Location"].startswith(reverse("login")), response["Location"]
    if use.event is None:
        assert use.method != "get" or snapshot() == before, f"viewing {url} changed something"
    else:
        audited = Event.objects.filter(id__gt=last, action=use.event, actor_id=str(actor.pk))
        assert audited.filter(actor_kind="staff").count() == 1, f"{url}: no {use.event} event"
    return body


def refused_by_role(web: WebClient, name: str, firm: Firm, use: Use) -> None:
    """A change only owners and admins may make: refused (403, or the page with an error), unchanged."""
    url = url_for(name, firm)
    before = snapshot()

    response = send(web, use.method, url, use.data(firm))

    assert response.status_code in (200, 302, 403), f"{use.method.upper()} {url}: {response.status_code}"
    assert snapshot() == before, f"{use.method.upper()} {url} changed something"


# --- the inventory ---------------------------------------------------------------------------------


def test_every_staff_url_has_a_permission_spec() -> None:
    defined = set(defined_urls("staff"))

    missing, stale = sorted(defined - set(ROUTES)), sorted(set(ROUTES) - defined)

    assert not missing, f"staff URLs without a permission spec in ROUTES: {missing}"
    assert not stale, f"ROUTES describes staff URLs that no longer exist: {stale}"
    assert {name for name in defined if not takes_ids(name)} <= set(WORKSPACE_NAMES)


@pytest.mark.parametrize("name", STAFF_NAMES)
def test_the_spec_matches_the_methods_the_view_answers(name: str, firm_a: Firm) -> None:
    # given the owner, and a method the spec says the view does not answer
    route = route_of(name)
    web = browser(firm_a.owner)
    for method in {"get", "post"} - set(route.methods):
        before = snapshot()

        # when it is used
        response = send(web, method, url_for(name, firm_a))

        # then the view refuses it and nothing changes
        assert response.status_code == 405, f"{method.upper()} {name}: {response.status_code}"
        assert snapshot() == before


# --- the owner -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", STAFF_NAMES)
def test_the_owner_uses_every_staff_url(name: str, firm_a: Firm, firm_b: Firm) -> None:
    web = browser(firm_a.owner)
    for use in route_of(name).uses:
        body = used(web, firm_a.owner, name, firm_a, use)
        assert_names_nothing_of(body, firm_b)


def test_the_owner_receives_the_files_themselves(firm_a: Firm) -> None:
    web = browser(firm_a.owner)

    single = web.get(url_for("upload_file", firm_a))
    archive = zipfile.ZipFile(io.BytesIO(body_of(web.get(url_for("request_zip", firm_a)))))

    assert body_of(single) == PDF and single["Content-Type"] == "application/pdf"
    assert [archive.read(n) for n in archive.namelist()] == [PDF]
    assert archive.namelist()[0].endswith("/payslip-A.pdf")


@pytest.mark.parametrize("name", [n for n in STAFF_NAMES if n in ROUTES and takes_ids(n)])
def test_the_owner_gets_404_for_firm_b_records(name: str, firm_a: Firm, firm_b: Firm) -> None:
    web = browser(firm_a.owner)

    refused(web, name, firm_b, workspace=firm_a.workspace)
    refused(web, name, firm_b)


# --- the member ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", WORKSPACE_NAMES)
def test_a_member_uses_the_workspace_pages_but_not_the_checklist_editor(
    name: str, firm_a: Firm, member: User
) -> None:
    # given a member who neither owns nor is assigned to any request
    web = browser(member)
    for use in route_of(name).uses:
        if use.managers:
            # then a change for owners and admins is refused, and nothing changes
            refused_by_role(web, name, firm_a, use)
        else:
            # then the page works, and names no request of someone else
            body = used(web, member, name, firm_a, use)
            assert_names_nothing_of(body, firm_a, (firm_a.sent.title, firm_a.draft.title))


@pytest.mark.parametrize("name", REQUEST_NAMES)
def test_a_member_gets_404_for_requests_they_neither_own_nor_are_assigned_to(
    name: str, firm_a: Firm, member: User
) -> None:
    refused(browser(member), name, firm_a)


@pytest.mark.parametrize("name", REQUEST_NAMES)
def test_an_assigned_member_uses_the_request(name: str, firm_a: Firm, member: User) -> None:
    # given the member assigned to both requests
    firm_a.sent.assignees.add(member)
    firm_a.draft.assignees.add(member)

    # then every request URL works for them
    for use in route_of(name).uses:
        used(browser(member), member, name, firm_a, use)


# --- the outsider ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", STAFF_NAMES)
def test_the_outsider_gets_404_for_everything_of_firm_a(name: str, firm_a: Firm, firm_b: Firm) -> None:
    refused(browser(firm_b.owner), name, firm_a)


@pytest.mark.parametrize("name", [n for n in STAFF_NAMES if n in ROUTES and takes_ids(n)])
def test_the_outsider_gets_404_for_firm_a_ids_under_their_own_workspace(
    name: str, firm_a: Firm, firm_b: Firm
) -> None:
    refused(browser(firm_b.owner), name, firm_a, workspace=firm_b.workspace)


@pytest.mark.parametrize(
    "name", [n for n in WORKSPACE_NAMES if not takes_ids(n) and "get" in ROUTES[n].methods]
)
def test_the_outsiders_own_workspace_pages_name_nothing_of_firm_a(
    name: str, firm_a: Firm, firm_b: Firm
) -> None:
    response = browser(firm_b.owner).get(url_for(name, firm_b))

    assert response.status_code == 200
    assert_names_nothing_of(response.content, firm_a)


def test_the_outsider_cannot_start_a_request_for_a_firm_a_client(firm_a: Firm, firm_b: Firm) -> None:
    # given the outsider's own "new request" form, with Firm A's client id slipped in
    web = browser(firm_b.owner)
    before = snapshot()

    # when they submit it
    response = web.post(url_for("request_new", firm_b), new_request(firm_a))

    # then the form is refused and nothing changes
    assert response.status_code == 400
    assert snapshot() == before
    assert_names_nothing_of(response.content, firm_a)


# --- anonymous -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", STAFF_NAMES)
def test_an_anonymous_visitor_is_sent_to_sign_in(name: str, firm_a: Firm) -> None:
    route = route_of(name)
    web = browser(None)
    for method in route.methods:
        url = url_for(name, firm_a)
        before = snapshot()

        response = send(web, method, url, data_for(route, method, firm_a))

        assert response.status_code == 302, f"{method.upper()} {url}: {response.status_code}"
        assert response["Location"].startswith(reverse("login") + "?next=")
        assert snapshot() == before
        assert_names_nothing_of(body_of(response), firm_a)
