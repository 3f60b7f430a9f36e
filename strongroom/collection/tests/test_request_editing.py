"""A request's details and reminders change while it is open; its checklist only while it is a draft;
a document's limits until it closes."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from strongroom.accounts.models import User, Workspace
from strongroom.audit.models import Event
from strongroom.collection import request_editing as editing
from strongroom.collection.lifecycle import RequestStateError, do_cancel_request, do_send_request
from strongroom.collection.models import Request
from strongroom.collection.tests.factories import document, item, make_client, make_request, question

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(workspace: Workspace, owner: User) -> Request:
    client = make_client(workspace, owner)
    return make_request(
        workspace, owner, client, [question("Are you married?", "yes_no"), document("Payslips")]
    )


def test_details_and_reminders_change_while_open(draft: Request, owner: User) -> None:
    do_send_request(draft, owner)

    changed = editing.do_update_request(
        draft,
        owner,
        title="Tax return 2026",
        due_date=date(2027, 1, 31),
        remind_every_days_after=7,
        remind_max_after=2,
    )

    assert (changed.title, changed.due_date, changed.remind_every_days_after) == (
        "Tax return 2026",
        date(2027, 1, 31),
        7,
    )
    event = Event.objects.get(action="request.changed")
    assert event.extra["fields"] == ["due_date", "remind_every_days_after", "remind_max_after", "title"]


def test_nothing_changes_once_closed(draft: Request, owner: User) -> None:
    do_send_request(draft, owner)
    do_cancel_request(draft, owner)

    with pytest.raises(RequestStateError):
        editing.do_update_request(draft, owner, title="Reopened?")
    assert Request.objects.get(pk=draft.pk).title == "Tax return 2025"


def test_a_draft_checklist_grows_with_conditions(draft: Request, owner: User) -> None:
    section = draft.sections.get()
    married = item(draft, "Are you married?")

    spouse = editing.do_save_request_item(
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

    assert spouse.condition_item == married and spouse.condition_value is True
    with pytest.raises(ValidationError, match="depend on this one"):
        editing.do_delete_request_item(married, owner)
    editing.do_delete_request_item(spouse, owner)
    assert not draft.items.filter(label="Spouse's name").exists()


def test_a_sent_checklist_keeps_its_items_but_limits_can_grow(draft: Request, owner: User) -> None:
    do_send_request(draft, owner)
    section = draft.sections.get()
    payslips = item(draft, "Payslips")

    with pytest.raises(RequestStateError):
        editing.do_save_request_item(
            section, owner, {"kind": "question", "label": "Late addition", "question_type": "short_text"}
        )
    changed = editing.do_change_item_limits(
        payslips, owner, accepted_kinds=["pdf"], max_file_size=300 * 2**20, max_files=12
    )

    assert (changed.max_file_size, changed.max_files, changed.accepted_kinds) == (300 * 2**20, 12, ["pdf"])
    with pytest.raises(ValidationError):
        editing.do_change_item_limits(payslips, owner, accepted_kinds=["pdf"], max_file_size=0, max_files=12)


def test_another_workspace_cannot_edit(draft: Request, outsider: User, other_workspace: Workspace) -> None:
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        editing.do_update_request(draft, outsider, title="Taken over")
    with pytest.raises(PermissionDenied):
        editing.do_add_request_section(draft, outsider, "Planted")
    assert Request.objects.get(pk=draft.pk).title == "Tax return 2025"
    assert draft.sections.count() == 1
