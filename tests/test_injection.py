"""SQL and template injection: hostile strings typed into every text field staff and clients can fill
come out inert on every page that shows them, in e-mails, and in search.

For each payload, staff fill the workspace settings, a new client, a new request, a question of every
type (its choices too) and a document item, a message, a checklist, a rights request, a breach
record with its update and the authority's reference, a rejection and the refusal of rights
requests; the client answers every question, marks an item not applicable, writes a message, asks
for their data and for a correction. The text fields of each form are found by walking the form's
fields, so a text field added later is filled too. Then every page that takes only ids we
hold is opened (found by walking the URLconf): no page fails, the payload is never in a page raw
(only escaped), template syntax is shown, not run, and the database is intact.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from django import forms
from django.conf import settings as django_settings
from django.core.validators import RegexValidator
from django.test import Client as WebClient
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils.html import escape

from strongroom.accounts.forms import WorkspaceSettingsForm
from strongroom.accounts.models import User, Workspace
from strongroom.collection.forms import ClientForm, ItemForm, RequestForm, TemplateForm
from strongroom.collection.models import Client, Request, RequestItem, RequestSection, Upload
from strongroom.collection.models.common import QuestionType
from strongroom.collection.models.templates import Template
from strongroom.collection.tests.factories import sealed_file, use_immediate_tasks, use_outbox
from strongroom.mail import outbox
from strongroom.privacy.models import BreachNotice
from strongroom.privacy.views.breaches import AuthorityForm, BreachForm, UpdateForm
from strongroom.rights.forms import LogRequestForm, PortalRightsForm, RefuseForm
from strongroom.rights.models import RightsRequest, RightsState

pytestmark = pytest.mark.django_db

PAYLOADS = (
    "' OR 1=1 --",
    '"; DROP TABLE accounts_user; --',
    "{{ settings.SECRET_KEY }}",
    "{% debug %}",
    "${7*7}",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
)
HTML = "text/html"


# --- filling forms -------------------------------------------------------------------------------------


def text_fields(form: forms.Form) -> list[str]:
    """The free-text fields of `form`: plain CharFields (not e-mail, URL, number or choice fields)
    that take any text, that is with no pattern to match."""
    return [
        name for name, field in form.fields.items()
        if type(field) is forms.CharField and not any(isinstance(v, RegexValidator) for v in field.validators)
    ]


FILLED: list[str] = []  # every form field a payload went into, for the coverage check


def filled(form: forms.Form, payload: str, **fixed: Any) -> dict[str, Any]:
    """POST data for `form`: the payload in every free-text field, `fixed` for everything else."""
    data = dict(fixed)
    for name in text_fields(form):
        if name not in fixed:
            data[name] = payload
            FILLED.append(f"{type(form).__name__}.{name}")
    return data


def posted(web: WebClient, url: str, data: dict[str, Any], *, expect: int = 302) -> Any:
    response = web.post(url, data)
    assert response.status_code == expect, f"{url}: {response.status_code} {response.content[:2000]!r}"
    return response


def email_for(payload: str) -> str:
    """An address that is valid and still carries the SQL trick: ' = and - are allowed before the @."""
    local = re.sub(r"[^A-Za-z0-9'=\-]", "", payload.replace(" ", "")) or "x"
    return f"{local}.{len(FILLED)}@client.example"


# --- the world, filled by staff and client -------------------------------------------------------------


def staff_fill(web: WebClient, owner: User, workspace: Workspace, payload: str) -> Request:
    ws = workspace.pk
    settings_form = WorkspaceSettingsForm(initial=WorkspaceSettingsForm.initial_from(workspace))
    base = {k: v for k, v in WorkspaceSettingsForm.initial_from(workspace).items() if v is not None}
    base |= {"privacy_policy_url": "https://firm-a.example/privacy", "logo": ""}
    fixed = {k: v for k, v in base.items() if k not in text_fields(settings_form)}
    settings_url = reverse("admin_pages:settings", kwargs={"workspace_id": ws})
    posted(web, settings_url, filled(settings_form, payload, **fixed))

    posted(web, reverse("staff:client_new", kwargs={"workspace_id": ws}),
           filled(ClientForm(), payload, email=email_for(payload), language="en", phone="+33 1 23 45 67 89"))
    client = Client.objects.get(workspace=workspace)

    choice = [(str(client.pk), "")]
    posted(web, reverse("staff:request_new", kwargs={"workspace_id": ws}),
           filled(RequestForm(clients=choice, templates=[]), payload, client=str(client.pk), template="",
                  due_date=(date.today() + timedelta(days=30)).isoformat()))
    request = Request.objects.get(client=client)
    section = RequestSection.objects.filter(request=request).first() or RequestSection.objects.create(
        request=request, title=payload, position=0)
    item_form = ItemForm(questions=[])
    item_url = reverse("staff:request_item_new", kwargs={"workspace_id": ws, "request_id": request.pk,
                                                         "section_id": section.pk})
    for question_type in QuestionType.values:  # every kind of question, its choices hostile too
        posted(web, item_url, filled(item_form, payload, kind="question", question_type=question_type,
                                     required="on", max_file_size_mb=10, max_files=5,
                                     choices=f"{payload}\nOther", condition_value=""))
    posted(web, item_url, filled(item_form, payload, kind="document", accepted_kinds=["pdf"], required="on",
                                 max_file_size_mb=10, max_files=5, choices="", condition_value=""))
    posted(web, reverse("staff:request_send", kwargs={"workspace_id": ws, "request_id": request.pk}),
           {"version": Request.objects.get(pk=request.pk).version})
    posted(web, reverse("staff:request_message", kwargs={"workspace_id": ws, "request_id": request.pk}),
           {"body": payload})
    posted(web, reverse("rights:log", kwargs={"workspace_id": ws}),
           filled(LogRequestForm(clients=choice), payload, client=str(client.pk), kind="access",
                  channel="email", received_on=date.today().isoformat()))
    posted(web, reverse("staff:templates", kwargs={"workspace_id": ws}),
           filled(TemplateForm(), payload, default_due_days=30))
    posted(web, reverse("compliance:breach_new", kwargs={"workspace_id": ws}),
           filled(BreachForm(), payload, subjects_approx=1, records_approx=1,
                  aware_at=date.today().strftime("%Y-%m-%dT00:00")))
    notice = {"workspace_id": ws, "notice_id": BreachNotice.objects.get(workspace=workspace).pk}
    posted(web, reverse("compliance:breach_update", kwargs=notice), filled(UpdateForm(), payload))
    posted(web, reverse("compliance:breach_authority", kwargs=notice),
           filled(AuthorityForm(), payload, notified_at=date.today().strftime("%Y-%m-%dT00:00")))
    return Request.objects.get(pk=request.pk)


def client_fill(request: Request, payload: str) -> WebClient:
    from strongroom.collection.answers import do_add_upload
    from strongroom.collection.tests.factories import acknowledged_link

    link, token = acknowledged_link(request)
    web = WebClient()
    assert web.get(reverse("portal:enter", kwargs={"token": token})).status_code == 302
    for each in RequestItem.objects.filter(request=request, kind="question"):
        value: Any = [payload] if each.question_type == QuestionType.MULTIPLE_CHOICE else payload
        posted(web, reverse("portal:answer", kwargs={"item_id": each.pk}), {"value": value})
    document = RequestItem.objects.get(request=request, kind="document")
    posted(web, reverse("portal:not_applicable", kwargs={"item_id": document.pk}), {"reason": payload})
    posted(web, reverse("portal:messages"), {"body": payload})
    posted(web, reverse("rights:portal"), filled(PortalRightsForm(), payload, kind="access"))
    posted(web, reverse("rights:portal_correct"), {"name": payload, "phone": payload, "details": payload})
    do_add_upload(link, document, sealed_file(request, b"%PDF-1.4\n%%EOF\n", f"{payload}.pdf", "pdf"))
    return web


def refuse_rights_request(web: WebClient, workspace: Workspace, payload: str) -> None:
    """Staff refuse the client's own rights requests, with the payload as the reason they are told."""
    asked = RightsRequest.objects.filter(state=RightsState.AWAITING_APPROVAL)
    assert asked.exists()
    for each in asked:
        url = reverse("rights:refuse", kwargs={"workspace_id": workspace.pk, "rights_request_id": each.pk})
        posted(web, url, filled(RefuseForm(), payload))


def reject_upload(web: WebClient, request: Request, payload: str) -> None:
    upload = Upload.objects.get(item__request=request)
    item = upload.item
    posted(web, reverse("staff:item_review", kwargs={"workspace_id": request.workspace_id, "item_id": item.pk,
                                                      "verb": "reject"}),
           {"version": item.version, "reason": payload})


# --- every page ------------------------------------------------------------------------------------------


def walk(patterns: list[Any], namespace: str = "") -> Iterator[tuple[str, URLPattern]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}:{entry.namespace}" if namespace and entry.namespace else entry.namespace
            yield from walk(entry.url_patterns, inner or namespace)
        elif isinstance(entry, URLPattern) and entry.name:
            yield (f"{namespace}:{entry.name}" if namespace else entry.name), entry


def page_urls(ids: dict[str, Any], prefix: str = "") -> list[str]:
    """Every URL whose arguments are all ids we hold (staff pages, or `prefix` ones)."""
    urls = []
    for name, pattern in walk(get_resolver().url_patterns):
        arguments = set(pattern.pattern.converters)
        if (prefix and not name.startswith(prefix)) or not arguments <= set(ids):
            continue
        urls.append(reverse(name, kwargs={key: ids[key] for key in arguments}))
    return urls


def pages(web: WebClient, urls: list[str]) -> dict[str, str]:
    """The HTML of every page `web` may GET among `urls`; none may fail."""
    found = {}
    for url in urls:
        response = web.get(url)
        assert response.status_code < 500, f"{url} failed with {response.status_code}"
        if response.status_code == 200 and response.get("Content-Type", "").startswith(HTML):
            found[url] = response.content.decode()
    return found


def assert_inert(payload: str, documents: dict[str, str]) -> None:
    escaped = escape(payload)
    secret = django_settings.SECRET_KEY
    for where, text in documents.items():
        if escaped != payload:
            assert payload not in text, f"{where} shows {payload!r} raw"
        assert secret not in text, f"{where} shows the secret key"
    # Shown as typed on many pages: template syntax that had been run would be gone from them.
    assert sum(escaped in text for text in documents.values()) >= 5, "the payload is shown on too few pages"


@pytest.mark.parametrize("payload", PAYLOADS)
def test_every_text_field_keeps_a_hostile_string_inert(
    payload: str, owner: User, workspace: Workspace, settings: Any, tmp_path: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    use_outbox(settings, tmp_path)
    use_immediate_tasks(settings)
    FILLED.clear()
    users = User.objects.count()
    staff = WebClient()
    staff.force_login(owner)

    # when staff and the client type the payload into every text field they can fill
    with django_capture_on_commit_callbacks(execute=True):
        request = staff_fill(staff, owner, workspace, payload)
        portal = client_fill(request, payload)
        reject_upload(staff, request, payload)
        refuse_rights_request(staff, workspace, payload)

    # then every form's text fields were filled (a form whose fields cannot be found fails here)
    for form in ("WorkspaceSettingsForm.name", "WorkspaceSettingsForm.dpo_contact", "ClientForm.name",
                 "ClientForm.notes", "RequestForm.title", "RequestForm.message", "ItemForm.label",
                 "ItemForm.instructions", "LogRequestForm.details", "BreachForm.nature",
                 "PortalRightsForm.details", "RefuseForm.reason", "TemplateForm.name",
                 "UpdateForm.text", "AuthorityForm.reference"):
        assert form in FILLED
    # and every page that shows them shows the payload escaped, never raw, never evaluated
    item = RequestItem.objects.filter(request=request).first()
    assert item is not None
    ids = {"workspace_id": workspace.pk, "notice_id": BreachNotice.objects.get().pk,
           "client_id": request.client_id, "request_id": request.pk,
           "item_id": item.pk, "section_id": item.section_id,
           "template_id": Template.objects.get(workspace=workspace).pk,
           "rights_request_id": RightsRequest.objects.order_by("pk").first().pk}  # type: ignore[union-attr]
    staff_pages = pages(staff, page_urls(ids))
    portal_urls = [*page_urls({"item_id": item.pk}, prefix="portal:"), reverse("rights:portal")]
    portal_pages = pages(portal, portal_urls)
    assert_inert(payload, staff_pages | portal_pages)
    if payload == "${7*7}":
        assert not any("$49" in text for text in staff_pages.values())

    # and the e-mails sent meanwhile carry it as text, never as markup
    messages = outbox.list_messages()
    assert messages
    for listed in messages:
        message = outbox.read_message(listed.id)
        html = message.get_body(preferencelist=("html",))
        if html is not None and escape(payload) != payload:
            assert payload not in str(html.get_content())
        assert "\n" not in str(message["Subject"])
        assert django_settings.SECRET_KEY not in message.as_string()

    # and the database is intact
    assert User.objects.count() == users
    assert Client.objects.filter(workspace=workspace).count() == 1


@pytest.mark.parametrize("payload", ["' OR 1=1 --", '" OR ""="', "%", "_", "\\"])
def test_searching_clients_with_sql_finds_only_real_matches(
    payload: str, owner: User, workspace: Workspace
) -> None:
    from strongroom.collection.tests.factories import make_client

    for number in range(3):
        make_client(workspace, owner, name=f"Camille Dupont {number}", email=f"c{number}@client.example")
    staff = WebClient()
    staff.force_login(owner)
    dashboard = reverse("staff:dashboard", kwargs={"workspace_id": workspace.pk})
    response = staff.get(dashboard, {"client": payload})
    assert response.status_code in (200, 400)
    assert "Camille Dupont" not in response.content.decode()
    response = staff.get(reverse("staff:clients", kwargs={"workspace_id": workspace.pk}), {"q": payload})
    assert response.status_code in (200, 400)
    assert "Camille Dupont" not in response.content.decode()
    assert Client.objects.filter(workspace=workspace).count() == 3


def test_a_line_break_in_a_name_cannot_add_an_e_mail_header(
    owner: User, workspace: Workspace, settings: Any, tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    from strongroom.accounts.invitations import do_update_workspace_settings
    from strongroom.collection.lifecycle import do_send_request
    from strongroom.collection.tests.factories import make_client, make_request, question

    use_outbox(settings, tmp_path)
    use_immediate_tasks(settings)
    hostile = "Firm A\r\nBcc: spy@attacker.example\r\n\r\n<b>forged body</b>"
    do_update_workspace_settings(workspace, owner, name=hostile)
    workspace.refresh_from_db()
    client = make_client(workspace, owner, email="kim@client.example")
    request = make_request(workspace, owner, client, [question("Income")], title=hostile)
    with django_capture_on_commit_callbacks(execute=True):
        do_send_request(request, owner)
    (listed,) = outbox.list_messages()
    message = outbox.read_message(listed.id)
    assert message["Bcc"] is None and message.get_all("To") == ["kim@client.example"]
    carrying = [name for name, value in message.items() if "spy@attacker.example" in value]
    assert carrying == ["Subject"]
    assert str(message["Subject"]).startswith("Firm A Bcc: spy@attacker.example")  # text on one line
    html = message.get_body(preferencelist=("html",))
    assert html is not None
    assert "<b>forged body</b>" not in str(html.get_content())
    assert "&lt;b&gt;forged body&lt;/b&gt;" in str(html.get_content())
