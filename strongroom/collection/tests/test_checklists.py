"""Checklists on requests: copying a template, conditional visibility, answer validation, completeness."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from strongroom.accounts.models import User, Workspace
from strongroom.audit.actors import operator
from strongroom.collection.checklists import (
    copy_template,
    install_shipped_templates,
    is_provided,
    missing_required,
    request_items,
    validate_answer,
    visible_items,
)
from strongroom.collection.models import (
    Client,
    Request,
    RequestItem,
    RequestSection,
    Template,
    TemplateItem,
    TemplateSection,
    Upload,
)
from strongroom.collection.models.common import QuestionType
from strongroom.collection.models.requests import ItemState, RequestState, UploadState
from strongroom.crypto.keys import create_subject
from strongroom.crypto.models import Keyring
from strongroom.vault.actions import do_store_blob

pytestmark = pytest.mark.django_db


def make_request(workspace: Workspace, owner: User, title: str = "Mortgage 2025") -> Request:
    subject = create_subject(Keyring.objects.get(workspace=workspace), "client")
    client = Client.objects.create(workspace=workspace, subject=subject, name="Claire Client",
                                   email="claire@client.example")
    return Request.objects.create(workspace=workspace, client=client, owner=owner, title=title)


@pytest.fixture
def request_(workspace: Workspace, owner: User) -> Request:
    return make_request(workspace, owner)


@pytest.fixture
def mortgage() -> Template:
    install_shipped_templates()
    return Template.objects.get(workspace=None, slug="mortgage-application")


def item(request: Request, label: str, *, kind: str = "question", qtype: str = "yes_no",
         parent: RequestItem | None = None, equals: Any = None, **fields: Any) -> RequestItem:
    section = request.sections.first() or RequestSection.objects.create(request=request, title="Main")
    position = request.items.count()
    return RequestItem.objects.create(
        request=request, section=section, kind=kind, question_type=qtype if kind == "question" else "",
        label=label, position=position, condition_item=parent, condition_value=equals, **fields,
    )


def answer(it: RequestItem, value: Any, state: str = ItemState.PENDING) -> None:
    it.answer, it.state = value, state
    it.save(update_fields=["answer", "state"])


def labels(items: list[RequestItem]) -> list[str]:
    return [i.label for i in items]


# Copying a template into a request -----------------------------------------------------------------


def test_copy_template_keeps_order_limits_and_conditions(request_: Request, mortgage: Template) -> None:
    copy_template(mortgage, request_)

    source = list(TemplateItem.objects.filter(section__template=mortgage).order_by("position"))
    items = list(request_.items.order_by("position"))
    assert labels(items) == [i.label for i in source]
    assert [s.title for s in request_.sections.order_by("position")] == [
        s.title for s in mortgage.sections.order_by("position")
    ]
    for new, old in zip(items, source, strict=True):
        assert (new.kind, new.question_type, new.required, new.accepted_kinds, new.max_files,
                new.max_file_size, new.choices, new.condition_value, new.section.title) == (
            old.kind, old.question_type, old.required, old.accepted_kinds, old.max_files,
            old.max_file_size, old.choices, old.condition_value, old.section.title)
        assert new.state == ItemState.MISSING and new.answer is None
    by_label = {i.label: i for i in items}
    assert by_label["Last two years' accounts"].condition_item == by_label["Are you self-employed?"]
    assert by_label["Gifted deposit letter"].condition_item == by_label["Where does your deposit come from?"]
    assert all(i.condition_item is None or i.condition_item.request_id == request_.pk for i in items)


def test_copy_template_in_french_for_a_french_client(request_: Request, mortgage: Template) -> None:
    copy_template(mortgage, request_, language="fr")

    by_label = {i.label: i for i in request_.items.all()}
    assert "Êtes-vous travailleur indépendant ?" in by_label
    deposit = by_label["D'où provient votre apport ?"]
    assert deposit.choices[1] == "Don familial"
    assert by_label["Attestation de don pour l'apport"].condition_value == "Don familial"
    assert request_.sections.order_by("position").first().title == "Identité"  # type: ignore[union-attr]


def test_copying_twice_appends_after_what_is_there(request_: Request, mortgage: Template) -> None:
    copy_template(mortgage, request_)
    count = request_.items.count()
    copy_template(mortgage, request_)

    positions = list(request_.items.order_by("position").values_list("position", flat=True))
    assert positions == list(range(2 * count))
    assert request_.sections.count() == 2 * mortgage.sections.count()


def test_copy_template_refuses_a_sent_request_or_another_workspaces_template(
    request_: Request, mortgage: Template, other_workspace: Workspace
) -> None:
    theirs = Template.objects.create(workspace=other_workspace, name="Theirs")
    TemplateItem.objects.create(section=TemplateSection.objects.create(template=theirs, title="S"),
                                kind="question", question_type="short_text", label="Secret question")
    with pytest.raises(ValueError, match="another workspace"):
        copy_template(theirs, request_)
    request_.state = RequestState.SENT
    request_.save(update_fields=["state"])
    with pytest.raises(ValueError, match="no longer a draft"):
        copy_template(mortgage, request_)
    assert request_.items.count() == 0 and request_.sections.count() == 0


# Visibility ----------------------------------------------------------------------------------------


def test_self_employed_no_hides_the_accounts_and_yes_shows_them(
    request_: Request, mortgage: Template
) -> None:
    copy_template(mortgage, request_)
    question = request_.items.get(label="Are you self-employed?")

    hidden_before = {"Last two years' accounts", "Tax calculations for the last two years"}
    assert hidden_before.isdisjoint(labels(visible_items(request_items(request_))))

    answer(question, False)
    assert hidden_before.isdisjoint(labels(visible_items(request_items(request_))))

    answer(question, True)
    visible = labels(visible_items(request_items(request_)))
    assert hidden_before <= set(visible)
    assert "Gifted deposit letter" not in visible


def test_a_chain_hides_the_last_item_when_the_middle_one_is_hidden(request_: Request) -> None:
    a = item(request_, "A")
    b = item(request_, "B", parent=a, equals=True)
    c = item(request_, "C", parent=b, equals=True)
    answer(b, True)  # stale answer left from before A changed

    answer(a, True)
    assert labels(visible_items(request_items(request_))) == ["A", "B", "C"]
    answer(a, False)
    assert labels(visible_items(request_items(request_))) == ["A"]
    answer(a, True)
    answer(b, False)
    assert labels(visible_items(request_items(request_))) == ["A", "B"]
    assert c.pk not in {i.pk for i in visible_items(request_items(request_))}


def test_multiple_choice_conditions_match_when_the_answer_contains_the_value(request_: Request) -> None:
    sources = item(request_, "Sources", qtype="multiple_choice", choices=["Dividends", "Foreign income"])
    item(request_, "Foreign details", qtype="long_text", parent=sources, equals="Foreign income")

    answer(sources, ["Dividends"])
    assert labels(visible_items(request_items(request_))) == ["Sources"]
    answer(sources, ["Dividends", "Foreign income"])
    assert labels(visible_items(request_items(request_))) == ["Sources", "Foreign details"]


def test_other_condition_values_match_exactly(request_: Request) -> None:
    choice = item(request_, "Status", qtype="single_choice", choices=["Employed", "Retired"])
    item(request_, "P60", kind="document", parent=choice, equals="Employed")
    count = item(request_, "Children", qtype="number")
    item(request_, "Childcare", qtype="long_text", parent=count, equals=2)
    flag = item(request_, "Flag")
    item(request_, "Flag is 1", qtype="short_text", parent=flag, equals=1)

    answer(choice, "Retired")
    answer(count, "2")
    answer(flag, True)
    assert labels(visible_items(request_items(request_))) == ["Status", "Children", "Childcare", "Flag"]
    answer(choice, "Employed", ItemState.NOT_APPLICABLE)
    assert "P60" not in labels(visible_items(request_items(request_)))
    answer(choice, "Employed")
    assert "P60" in labels(visible_items(request_items(request_)))


def test_visibility_reads_a_prefetched_list_without_a_query_per_item(
    request_: Request, mortgage: Template, django_assert_max_num_queries: Any
) -> None:
    copy_template(mortgage, request_)
    for it in request_.items.filter(kind="question", question_type="yes_no"):
        answer(it, True)
    items = request_items(request_)

    with django_assert_max_num_queries(3):  # the client, its subject key, the keyring: once each
        visible = visible_items(items)

    assert [i.label for i in items if i not in visible] == ["Gifted deposit letter"]


# Answers -------------------------------------------------------------------------------------------


def q(qtype: str, *, required: bool = True, choices: list[str] | None = None) -> RequestItem:
    return RequestItem(kind="question", question_type=qtype, label="Q", required=required,
                       choices=choices or [])


def invalid(qtype: str, raw: Any, **kwargs: Any) -> str:
    with pytest.raises(ValidationError) as exc:
        validate_answer(q(qtype, **kwargs), raw)
    return exc.value.messages[0]


@pytest.mark.parametrize("qtype", QuestionType.values)
def test_empty_answers_are_none_when_optional_and_refused_when_required(qtype: str) -> None:
    empties: list[Any] = [None, "", "   ", []]
    for empty in empties:
        assert validate_answer(q(qtype, required=False, choices=["A", "B"]), empty) is None
        assert invalid(qtype, empty, choices=["A", "B"]) == "This answer is required."


def test_short_text() -> None:
    assert validate_answer(q("short_text"), "  Sole trader \t") == "Sole trader"
    assert validate_answer(q("short_text"), "x" * 500) == "x" * 500
    assert invalid("short_text", "x" * 501) == "Keep this answer to 500 characters or fewer (it has 501)."
    assert invalid("short_text", "two\nlines").startswith("This answer contains invisible control characters")
    assert invalid("short_text", 42) == "Enter text."


def test_long_text() -> None:
    assert validate_answer(q("long_text"), " line one\r\nline two ") == "line one\nline two"
    assert validate_answer(q("long_text"), "y" * 10_000) == "y" * 10_000
    assert invalid("long_text", "y" * 10_001).startswith("Keep this answer to 10000 characters")
    assert invalid("long_text", "nul\x00byte").startswith("This answer contains invisible")


def test_date() -> None:
    assert validate_answer(q("date"), " 2025-03-31 ") == "2025-03-31"
    assert validate_answer(q("date"), date(1990, 1, 2)) == "1990-01-02"
    assert invalid("date", "2025-02-30") == "This date does not exist."
    for bad in ("31/03/2025", "20250331", "2025-W01-1", "yesterday", 20250331):
        assert invalid("date", bad) == "Enter a date as year-month-day, for example 2025-03-31."


def test_number() -> None:
    cases = {"250000": "250000", "1234.50": "1234.5", " 1 234,5 ": "1234.5", "-0.0": "0", "+7": "7",
             "0.000125": "0.000125", 42: "42", Decimal("2.5E+5"): "250000", 0.5: "0.5", "1,5": "1.5"}
    for raw, expected in cases.items():
        assert validate_answer(q("number"), raw) == expected, raw
    digits_only = "Enter a number using digits only, for example 250000 or 1234.5."
    for bad in ("NaN", "inf", "-Infinity", "1e5", "12abc", "1.2.3", "--1"):
        assert invalid("number", bad) == digits_only, bad
    assert invalid("number", float("nan")) == digits_only
    separators = "Write the number without thousands separators, for example 250000."
    assert invalid("number", "250,000") == separators
    assert invalid("number", "1,234.5").startswith("Write the number without thousands separators")
    assert invalid("number", "1" * 16) == "This number is too large."
    assert invalid("number", "0.1234567") == "Use at most 6 decimal places."
    assert invalid("number", True) == "Enter a number."


def test_email() -> None:
    assert validate_answer(q("email"), " HR.Team@Employer.Example ") == "HR.Team@employer.example"
    for bad in ("not an address", "a@b", "@example.com", "a b@example.com"):
        assert invalid("email", bad) == "Enter a valid e-mail address, for example name@example.com.", bad


def test_phone() -> None:
    assert validate_answer(q("phone"), " +44 (0)20  7946-0958 ") == "+44 (0)20 7946-0958"
    assert validate_answer(q("phone"), "06 12 34 56 78") == "06 12 34 56 78"
    assert invalid("phone", "call me").startswith("Enter a telephone number using digits")
    assert invalid("phone", "12-34") == "A telephone number has between 6 and 20 digits."
    assert invalid("phone", "1" * 21) == "A telephone number has between 6 and 20 digits."


def test_single_choice() -> None:
    options = ["Savings", "Gift from family"]
    assert validate_answer(q("single_choice", choices=options), " Savings ") == "Savings"
    assert invalid("single_choice", "Lottery", choices=options) == "Choose one of the options offered."
    assert invalid("single_choice", ["Savings"], choices=options) == "Choose one of the options offered."


def test_multiple_choice() -> None:
    options = ["Savings interest", "Dividends", "Foreign income"]
    item_ = q("multiple_choice", choices=options)
    assert validate_answer(item_, ["Foreign income", "Savings interest", ""]) == [
        "Savings interest", "Foreign income"]
    assert validate_answer(item_, "Dividends") == ["Dividends"]
    assert invalid("multiple_choice", ["Dividends", "Bitcoin"], choices=options) == (
        "Choose only among the options offered.")
    assert invalid("multiple_choice", ["Dividends", "Dividends"], choices=options) == (
        "Each option can be chosen only once.")
    assert invalid("multiple_choice", {"a": 1}, choices=options) == "Choose only among the options offered."


def test_yes_no() -> None:
    for raw, expected in [(True, True), (False, False), ("yes", True), ("No", False), ("true", True),
                          ("FALSE", False), ("on", True), (" off ", False)]:
        assert validate_answer(q("yes_no"), raw) is expected, raw
    assert validate_answer(q("yes_no", required=True), False) is False, "no is an answer, not an empty one"
    assert invalid("yes_no", "maybe") == "Answer yes or no."
    assert invalid("yes_no", 1) == "Answer yes or no."


def test_documents_take_no_answers() -> None:
    with pytest.raises(ValueError, match="takes files"):
        validate_answer(RequestItem(kind="document", label="ID"), "text")


# Completeness --------------------------------------------------------------------------------------


def upload(it: RequestItem, state: str) -> Upload:
    request = it.request
    blob = do_store_blob(request.client.subject, io.BytesIO(b"%PDF-1.4"), name="f.pdf",
                         content_type="application/pdf", actor=operator("test"), workspace=request.workspace)
    return Upload.objects.create(item=it, blob=blob, state=state)


def test_missing_required_lists_visible_required_items_not_provided(request_: Request) -> None:
    pending_doc = item(request_, "Pending doc", kind="document")
    approved_doc = item(request_, "Approved doc", kind="document")
    rejected_doc = item(request_, "Rejected doc", kind="document")
    item(request_, "Empty doc", kind="document")
    na_doc = item(request_, "N/A doc", kind="document")
    item(request_, "Optional doc", kind="document", required=False)
    answered = item(request_, "Answered", qtype="short_text")
    blank = item(request_, "Blank answer", qtype="short_text")
    no = item(request_, "Said no")
    na_question = item(request_, "N/A question", qtype="date")
    item(request_, "Hidden", qtype="short_text", parent=no, equals=True)
    item(request_, "Shown", qtype="short_text", parent=no, equals=False)
    upload(pending_doc, UploadState.PENDING)
    upload(approved_doc, UploadState.APPROVED)
    upload(rejected_doc, UploadState.REJECTED)
    answer(na_doc, None, ItemState.NOT_APPLICABLE)
    answer(answered, "Acme Ltd")
    answer(blank, "")
    answer(no, False)
    answer(na_question, None, ItemState.NOT_APPLICABLE)

    assert labels(missing_required(request_)) == ["Rejected doc", "Empty doc", "Blank answer", "Shown"]

    items = {i.label: i for i in request_items(request_)}
    assert is_provided(items["Pending doc"]) and is_provided(items["Approved doc"])
    assert is_provided(items["Said no"]) and is_provided(items["N/A question"])
    assert not is_provided(items["Rejected doc"]) and not is_provided(items["Optional doc"])


def test_missing_required_for_a_fresh_shipped_checklist(request_: Request, mortgage: Template) -> None:
    copy_template(mortgage, request_)

    missing = labels(missing_required(request_))

    required_visible = [i.label for i in visible_items(request_items(request_)) if i.required]
    assert missing == required_visible
    assert "Passport or national identity card" in missing
    assert "Last two years' accounts" not in missing and "Other regular income" not in missing
