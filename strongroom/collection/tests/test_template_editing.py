"""Owners and admins build their own checklists (or copy a ready-made one); members use them."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client as Browser

from conftest import PASSWORD
from strongroom.accounts.models import User, Workspace
from strongroom.audit.models import Event
from strongroom.collection import template_editing as editing
from strongroom.collection.checklists import install_shipped_templates
from strongroom.collection.lifecycle import do_create_request
from strongroom.collection.models import Template, TemplateItem
from strongroom.collection.tests.factories import make_client

pytestmark = pytest.mark.django_db


def signed_in(user: User) -> Browser:
    browser = Browser()
    assert browser.login(username=user.email, password=PASSWORD)
    return browser


@pytest.fixture
def checklist(workspace: Workspace, owner: User) -> Template:
    template = editing.do_create_template(workspace, owner, name="Payroll onboarding")
    section = editing.do_add_section(template, owner, "About you")
    married = editing.do_save_item(
        section,
        owner,
        {"kind": "question", "label": "Are you married?", "question_type": "yes_no", "required": True},
    )
    editing.do_save_item(
        section,
        owner,
        {
            "kind": "question",
            "label": "Spouse's name",
            "question_type": "short_text",
            "required": True,
            "condition_item": married,
            "condition_value": "yes",
        },
    )
    editing.do_save_item(
        section,
        owner,
        {
            "kind": "document",
            "label": "Passport",
            "required": True,
            "accepted_kinds": ["pdf", "image"],
            "max_file_size": 5 * 1024 * 1024,
            "max_files": 2,
        },
    )
    return template


def test_a_checklist_built_by_hand_becomes_a_request(
    checklist: Template, workspace: Workspace, owner: User
) -> None:
    client = make_client(workspace, owner)

    request = do_create_request(workspace, owner, client=client, title="", template=checklist)

    items = list(request.items.order_by("position"))
    assert [i.label for i in items] == ["Are you married?", "Spouse's name", "Passport"]
    assert items[1].condition_item == items[0] and items[1].condition_value is True
    assert items[2].accepted_kinds == ["pdf", "image"] and items[2].max_files == 2
    assert request.title == "Payroll onboarding"
    assert Event.objects.filter(action="template.item_saved").count() == 3


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        (
            {"kind": "question", "label": "Colour", "question_type": "single_choice", "choices": ["Red"]},
            "choices",
        ),
        ({"kind": "question", "label": "Age", "question_type": ""}, "question_type"),
        (
            {
                "kind": "document",
                "label": "Scan",
                "accepted_kinds": ["pdf"],
                "max_file_size": 0,
                "max_files": 1,
            },
            "max_file_size",
        ),
        (
            {
                "kind": "document",
                "label": "Scan",
                "accepted_kinds": ["exe"],
                "max_file_size": 10,
                "max_files": 1,
            },
            "accepted_kinds",
        ),
        ({"kind": "question", "label": "", "question_type": "short_text"}, "label"),
    ],
)
def test_a_malformed_item_is_refused_by_name(
    checklist: Template, owner: User, spec: dict[str, Any], field: str
) -> None:
    section = checklist.sections.get()
    before = TemplateItem.objects.count()

    with pytest.raises(ValidationError) as refused:
        editing.do_save_item(section, owner, spec)

    assert field in refused.value.message_dict
    assert TemplateItem.objects.count() == before


def test_a_condition_must_name_an_earlier_question_and_a_valid_answer(
    checklist: Template, owner: User
) -> None:
    section = checklist.sections.get()
    passport = section.items.get(label="Passport")
    married = section.items.get(label="Are you married?")

    with pytest.raises(ValidationError) as on_document:
        editing.do_save_item(
            section,
            owner,
            {
                "kind": "question",
                "label": "X",
                "question_type": "short_text",
                "condition_item": passport,
                "condition_value": "yes",
            },
        )
    with pytest.raises(ValidationError) as bad_value:
        editing.do_save_item(
            section,
            owner,
            {
                "kind": "question",
                "label": "X",
                "question_type": "short_text",
                "condition_item": married,
                "condition_value": "perhaps",
            },
        )
    assert "condition_item" in on_document.value.message_dict
    assert "condition_value" in bad_value.value.message_dict


def test_an_item_others_depend_on_cannot_be_removed_or_moved_below_them(
    checklist: Template, owner: User
) -> None:
    married = TemplateItem.objects.get(label="Are you married?")
    spouse = TemplateItem.objects.get(label="Spouse's name")

    with pytest.raises(ValidationError, match="depend on this one"):
        editing.do_delete_item(married, owner)
    with pytest.raises(ValidationError, match="stay after"):
        editing.do_move_item(spouse, owner, -1)
    assert list(married.section.items.order_by("position").values_list("label", flat=True))[:2] == [
        "Are you married?",
        "Spouse's name",
    ]


def test_shipped_checklists_are_copied_not_changed(workspace: Workspace, owner: User) -> None:
    install_shipped_templates()
    shipped = Template.objects.get(slug="tenant-application", workspace=None)
    browser = signed_in(owner)

    with pytest.raises(PermissionDenied):
        editing.do_update_template(shipped, owner, name="Mine now")
    reply = browser.post(f"/w/{workspace.pk}/checklists/{shipped.pk}/copy/")

    copy = Template.objects.get(workspace=workspace)
    assert reply.status_code == 302 and reply["Location"].endswith(f"/checklists/{copy.pk}/")
    assert (
        TemplateItem.objects.filter(section__template=copy).count()
        == TemplateItem.objects.filter(section__template=shipped).count()
    )
    assert Template.objects.get(pk=shipped.pk).name == "Tenant application"


def test_members_use_checklists_but_do_not_change_them(
    checklist: Template, workspace: Workspace, member: User
) -> None:
    browser = signed_in(member)
    section = checklist.sections.get()
    before = (TemplateItem.objects.count(), Event.objects.count())

    page = browser.get(f"/w/{workspace.pk}/checklists/{checklist.pk}/")
    browser.post(f"/w/{workspace.pk}/checklists/{checklist.pk}/sections/", {"title": "Extra"})
    refused = browser.post(
        f"/w/{workspace.pk}/checklists/{checklist.pk}/sections/{section.pk}/items/new/",
        {
            "kind": "question",
            "label": "Sneaky",
            "question_type": "short_text",
            "max_file_size_mb": 1,
            "max_files": 1,
        },
    )

    assert page.status_code == 200 and b"Add an item" not in page.content
    assert refused.status_code == 403
    assert checklist.sections.count() == 1
    assert TemplateItem.objects.count() == before[0]


def test_another_workspace_sees_nothing(
    checklist: Template, workspace: Workspace, outsider: User, other_workspace: Workspace
) -> None:
    browser = signed_in(outsider)
    section = checklist.sections.get()
    before = (TemplateItem.objects.count(), Event.objects.count())

    for url in (
        f"/w/{workspace.pk}/checklists/{checklist.pk}/",
        f"/w/{other_workspace.pk}/checklists/{checklist.pk}/",
        f"/w/{other_workspace.pk}/checklists/{checklist.pk}/sections/{section.pk}/items/new/",
    ):
        assert browser.get(url).status_code == 404
        assert browser.post(url, {"name": "Taken", "kind": "question", "label": "x"}).status_code == 404

    assert (TemplateItem.objects.count(), Event.objects.count()) == before
    assert Template.objects.get(pk=checklist.pk).name == "Payroll onboarding"


def test_the_item_form_saves_through_the_page(checklist: Template, workspace: Workspace, owner: User) -> None:
    browser = signed_in(owner)
    section = checklist.sections.get()

    bad = browser.post(
        f"/w/{workspace.pk}/checklists/{checklist.pk}/sections/{section.pk}/items/new/",
        {
            "kind": "question",
            "label": "Colour",
            "question_type": "single_choice",
            "choices": "Red",
            "max_file_size_mb": 1,
            "max_files": 1,
        },
    )
    good = browser.post(
        f"/w/{workspace.pk}/checklists/{checklist.pk}/sections/{section.pk}/items/new/",
        {
            "kind": "question",
            "label": "Colour",
            "question_type": "single_choice",
            "choices": "Red\nBlue",
            "max_file_size_mb": 1,
            "max_files": 1,
            "required": "on",
        },
    )

    assert bad.status_code == 400 and b"at least two different choices" in bad.content
    assert good.status_code == 302
    assert TemplateItem.objects.get(label="Colour").choices == ["Red", "Blue"]
