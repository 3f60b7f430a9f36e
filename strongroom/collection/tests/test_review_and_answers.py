"""The client answers through their link (sealed, validated, only after the privacy notice, only on
their own request) and finishes; staff approve, reject with a reason, reopen and answer for the
client; two reviewers never overwrite each other; a request completes once everything is approved.

Permission tests use Firm A (owner, member) and Firm B (outsider), and assert that nothing leaked
and nothing changed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from strongroom.accounts.models import User, Workspace
from strongroom.audit.models import Event
from strongroom.collection.answers import (
    do_add_upload,
    do_finish,
    do_mark_not_applicable,
    do_remove_upload,
    do_save_answer,
)
from strongroom.collection.lifecycle import RequestStateError, do_add_contributor, do_send_request
from strongroom.collection.models import Client, Request, RequestItem, Upload
from strongroom.collection.models.common import QuestionType
from strongroom.collection.models.requests import ItemState, RequestState, UploadState
from strongroom.collection.review import (
    StaleItem,
    do_answer_for_client,
    do_approve_item,
    do_reject_item,
    do_reopen_item,
)
from strongroom.collection.tasks import PORTAL_PATH
from strongroom.collection.tests.factories import (
    acknowledged_link,
    document,
    events,
    item,
    make_client,
    make_request,
    question,
    raw_bytes,
    sealed_file,
    use_immediate_tasks,
    use_outbox,
)
from strongroom.mail import outbox
from strongroom.portal.links import do_issue_link, find_link
from strongroom.portal.models import PortalLink
from strongroom.vault.models import Blob

pytestmark = pytest.mark.django_db

TAX = "Your tax number"
MARRIED = "Are you married?"
SPOUSE = "Your spouse's name"
INCOME = "Annual income"
PAYSLIPS = "Payslips"
TAX_NUMBER = "FR-TAXMARKER-4417"
CLIENT_EMAIL = "camille.marker@client.example"
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64

type Capture = Callable[..., Any]


@pytest.fixture
def mailbox(settings: Any, tmp_path: Path) -> Path:
    use_immediate_tasks(settings)
    return use_outbox(settings, tmp_path)


@pytest.fixture
def client(workspace: Workspace, owner: User) -> Client:
    return make_client(workspace, owner, name="Camille Marker", email=CLIENT_EMAIL)


@pytest.fixture
def sent(workspace: Workspace, owner: User, client: Client) -> Request:
    """A sent request: a required question, a yes/no one, a question shown only to married clients,
    and a number."""
    draft = make_request(workspace, owner, client, [
        question(TAX),
        question(MARRIED, QuestionType.YES_NO),
        question(SPOUSE, condition_item=MARRIED, condition_value=True),
        question(INCOME, QuestionType.NUMBER),
    ])
    return do_send_request(draft, owner)


@pytest.fixture
def link(sent: Request) -> PortalLink:
    return acknowledged_link(sent)[0]


def state() -> tuple[Any, ...]:
    """Everything an answer or a review could change, as stored."""
    items = sorted(
        (str(i.pk), i.state, i.version, i.reviewed_at, raw_bytes("collection_requestitem", i.pk))
        for i in RequestItem.objects.all()
    )
    requests = sorted(
        (str(r.pk), r.state, r.version, r.submitted_at, r.closed_at) for r in Request.objects.all()
    )
    return items, requests, Event.objects.count(), Upload.objects.count(), PortalLink.objects.count()


def answer(link: PortalLink, label: str, raw: Any) -> RequestItem:
    return do_save_answer(link, item(link.request, label), raw)


def review(action: Callable[..., RequestItem], request: Request, label: str, actor: Any,
           *args: Any) -> RequestItem:
    """Run a review action on the item as it is now (the version the reviewer was shown)."""
    current = item(request, label)
    return action(current, actor, current.version, *args)


def answer_everything(link: PortalLink) -> None:
    answer(link, TAX, TAX_NUMBER)
    answer(link, MARRIED, "no")
    answer(link, INCOME, "52 000")


def request_state(request: Request) -> str:
    return Request.objects.get(pk=request.pk).state


def mails_to(address: str) -> list[EmailMessage]:
    found = [outbox.read_message(m.id) for m in reversed(outbox.list_messages())]
    return [msg for msg in found if msg["To"] == address]


# --- answering -----------------------------------------------------------------------------------


def test_an_answer_is_sealed_and_moves_the_request_in_progress(sent: Request, link: PortalLink) -> None:
    # when the client answers the first question
    answered = answer(link, TAX, f"  {TAX_NUMBER} ")

    # then the item waits for review, the request is in progress, and the answer is sealed at rest
    stored = item(sent, TAX)
    assert (stored.state, stored.answer, stored.version) == (ItemState.PENDING, TAX_NUMBER, 1)
    assert answered.version == 1
    assert request_state(sent) == RequestState.IN_PROGRESS
    assert b"TAXMARKER" not in raw_bytes("collection_requestitem", stored.pk)
    [event] = events("item.answered", stored)
    assert (event.actor_kind, event.actor_id) == ("client", str(link.pk))
    assert event.subject == sent.client.subject_id
    assert "TAXMARKER" not in repr(event.extra)


@pytest.mark.parametrize(
    ("label", "raw", "message"),
    [
        (TAX, "   ", "This answer is required."),
        (INCOME, "about fifty", "Enter a number using digits only"),
        (INCOME, "250,000", "without thousands separators"),
        (MARRIED, "perhaps", "Answer yes or no."),
        (TAX, "x" * 501, "Keep this answer to 500 characters or fewer (it has 501)."),
    ],
)
def test_an_invalid_answer_is_refused_with_a_clear_message(
    sent: Request, link: PortalLink, label: str, raw: str, message: str
) -> None:
    before = state()

    with pytest.raises(ValidationError) as refused:
        answer(link, label, raw)

    assert message in refused.value.messages[0]
    assert state() == before


def test_a_document_is_not_answered_with_text(workspace: Workspace, owner: User, client: Client) -> None:
    request = do_send_request(make_request(workspace, owner, client, [document(PAYSLIPS)]), owner)
    link, _token = acknowledged_link(request)
    before = state()

    with pytest.raises(ValidationError, match="uploaded"):
        answer(link, PAYSLIPS, "see attached")

    assert state() == before


def test_an_item_hidden_by_an_earlier_answer_cannot_be_answered(sent: Request, link: PortalLink) -> None:
    answer(link, MARRIED, "no")
    before = state()

    with pytest.raises(ValidationError, match="does not apply"):
        answer(link, SPOUSE, "Sam Marker")

    assert state() == before


def test_not_applicable_with_a_reason(sent: Request, link: PortalLink) -> None:
    marked = do_mark_not_applicable(link, item(sent, INCOME), "  Student, no income REASONMARKER ")

    stored = item(sent, INCOME)
    assert stored.state == marked.state == ItemState.NOT_APPLICABLE
    assert stored.not_applicable_reason == "Student, no income REASONMARKER"
    assert stored.reviewed_at is None
    assert b"REASONMARKER" not in raw_bytes("collection_requestitem", stored.pk)
    assert len(events("item.marked_not_applicable", stored)) == 1
    assert request_state(sent) == RequestState.IN_PROGRESS


# --- finishing -----------------------------------------------------------------------------------


def test_finishing_is_refused_while_a_required_visible_item_is_missing(
    sent: Request, link: PortalLink
) -> None:
    # given a married client who answered everything but their spouse's name
    answer(link, TAX, TAX_NUMBER)
    answer(link, MARRIED, "yes")
    answer(link, INCOME, "52000")
    before = state()

    # when they finish, then they are told which item is missing, and nothing changed
    with pytest.raises(ValidationError) as refused:
        do_finish(link)
    assert SPOUSE in refused.value.messages[0]
    assert TAX not in refused.value.messages[0]
    assert state() == before

    # when they give it and finish again, then the request is submitted
    answer(link, SPOUSE, "Sam Marker")
    submitted = do_finish(link)
    stored = Request.objects.get(pk=sent.pk)
    assert stored.state == submitted.state == RequestState.SUBMITTED and stored.submitted_at is not None
    assert len(events("request.submitted", sent)) == 1


def test_finishing_sends_the_client_a_receipt(
    mailbox: Path, sent: Request, link: PortalLink, settings: Any,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    answer_everything(link)

    with django_capture_on_commit_callbacks(execute=True):
        do_finish(link)

    [receipt] = mails_to(CLIENT_EMAIL)
    [url] = [u for u in outbox.find_links(receipt) if PORTAL_PATH in u]
    found = find_link(url.rsplit(PORTAL_PATH, 1)[1])
    assert found is not None and found.request_id == sent.pk


def test_the_receipt_lists_no_answer_the_client_withdrew(
    mailbox: Path, sent: Request, link: PortalLink, django_capture_on_commit_callbacks: Capture,
) -> None:
    """Marking an answered question not applicable forgets the answer; the e-mailed receipt names the
    questions answered but never carries the answers themselves."""
    # given a client who gave their income, then marked it not applicable
    answer(link, TAX, TAX_NUMBER)
    answer(link, MARRIED, "no")
    answer(link, INCOME, "52 000")
    do_mark_not_applicable(link, item(sent, INCOME), "Student")

    # when they finish
    with django_capture_on_commit_callbacks(execute=True):
        do_finish(link)

    # then the receipt names the tax number question, without its value, and not the withdrawn income
    [receipt] = mails_to(CLIENT_EMAIL)
    body = outbox.body_text(receipt)
    assert TAX in body and TAX_NUMBER not in body
    assert "52000" not in body and INCOME not in body
    assert item(sent, INCOME).answer is None


def test_a_submitted_request_cannot_be_finished_twice(sent: Request, link: PortalLink) -> None:
    answer_everything(link)
    do_finish(link)
    before = state()

    with pytest.raises(RequestStateError):
        do_finish(link)

    assert state() == before


# --- review --------------------------------------------------------------------------------------


def test_approving_everything_completes_the_request(
    sent: Request, link: PortalLink, owner: User, member: User, workspace: Workspace
) -> None:
    # given a submitted request (the spouse question does not apply)
    answer_everything(link)
    do_finish(link)

    # when the owner and a member approve each visible item
    review(do_approve_item, sent, TAX, owner)
    review(do_approve_item, sent, MARRIED, member)
    assert request_state(sent) == RequestState.SUBMITTED
    review(do_approve_item, sent, INCOME, member)

    # then the request completed by itself, its links expire after the workspace's delay
    stored = Request.objects.get(pk=sent.pk)
    assert stored.state == RequestState.COMPLETED and stored.closed_at is not None
    assert len(events("request.completed", sent)) == 1
    assert PortalLink.objects.get(pk=link.pk).expires_at == stored.closed_at + timedelta(
        days=workspace.link_days_after_close
    )
    approved = item(sent, INCOME)
    assert (approved.state, approved.reviewed_by_id) == (ItemState.APPROVED, member.pk)
    [event] = events("item.approved", approved)
    assert (event.actor_kind, event.actor_id) == ("staff", str(member.pk))


def test_an_accepted_not_applicable_counts_as_done(sent: Request, link: PortalLink, owner: User) -> None:
    answer(link, TAX, TAX_NUMBER)
    answer(link, MARRIED, False)
    do_mark_not_applicable(link, item(sent, INCOME), "No income")
    do_finish(link)

    review(do_approve_item, sent, TAX, owner)
    review(do_approve_item, sent, MARRIED, owner)
    accepted = review(do_approve_item, sent, INCOME, owner)

    assert accepted.state == ItemState.NOT_APPLICABLE and accepted.reviewed_at is not None
    assert len(events("item.not_applicable_accepted", accepted)) == 1
    assert request_state(sent) == RequestState.COMPLETED


def test_an_optional_item_left_empty_does_not_block_completion(
    workspace: Workspace, owner: User, client: Client
) -> None:
    """An optional item left empty cannot be approved (it is "missing"), so it must not hold back
    completion (`complete_if_done`)."""
    # given a submitted request whose optional question the client left empty
    request = do_send_request(make_request(workspace, owner, client, [
        question(TAX), question("Anything else?", QuestionType.LONG_TEXT, required=False),
    ]), owner)
    link, _token = acknowledged_link(request)
    answer(link, TAX, TAX_NUMBER)
    do_finish(link)

    # when staff approve the one answer given
    review(do_approve_item, request, TAX, owner)

    # then the request is complete
    assert request_state(request) == RequestState.COMPLETED


def test_a_missing_item_cannot_be_approved(sent: Request, link: PortalLink, owner: User) -> None:
    before = state()

    with pytest.raises(ValidationError, match="waiting for review"):
        review(do_approve_item, sent, TAX, owner)

    assert state() == before


def test_a_rejection_needs_a_reason(sent: Request, link: PortalLink, owner: User) -> None:
    answer(link, TAX, TAX_NUMBER)
    before = state()

    with pytest.raises(ValidationError) as refused:
        review(do_reject_item, sent, TAX, owner, "   ")

    assert "reason" in refused.value.message_dict
    assert state() == before


def test_a_rejection_tells_the_client_why_and_they_answer_again(
    mailbox: Path, sent: Request, link: PortalLink, member: User, settings: Any,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    # given a submitted request
    answer_everything(link)
    do_finish(link)

    # when a member rejects the tax number with a reason
    with django_capture_on_commit_callbacks(execute=True):
        review(do_reject_item, sent, TAX, member, "This is your VAT number, not your tax number.")

    # then the item is rejected, the request back in progress, and the client was e-mailed the reason
    rejected = item(sent, TAX)
    assert rejected.state == ItemState.REJECTED
    assert rejected.rejection_reason == "This is your VAT number, not your tax number."
    assert b"VAT number" not in raw_bytes("collection_requestitem", rejected.pk)
    assert request_state(sent) == RequestState.IN_PROGRESS
    [event] = events("item.rejected", rejected)
    assert "VAT" not in repr(event.extra)
    [mail] = [m for m in mails_to(CLIENT_EMAIL) if TAX in str(m["Subject"])]
    body = outbox.body_text(mail)
    assert "This is your VAT number, not your tax number." in body and TAX in body
    [url] = [u for u in outbox.find_links(mail) if PORTAL_PATH in u]
    new_link = find_link(url.rsplit(PORTAL_PATH, 1)[1])
    assert new_link is not None and new_link.request_id == sent.pk

    # when the client answers again, then it waits for review once more
    answer(link, TAX, "FR-1234567890")
    assert item(sent, TAX).state == ItemState.PENDING
    do_finish(link)
    assert request_state(sent) == RequestState.SUBMITTED


def test_an_approved_item_cannot_be_changed_by_the_client(
    sent: Request, link: PortalLink, owner: User
) -> None:
    answer(link, TAX, TAX_NUMBER)
    review(do_approve_item, sent, TAX, owner)
    before = state()

    with pytest.raises(ValidationError, match="already approved"):
        answer(link, TAX, "FR-OTHER")
    with pytest.raises(ValidationError, match="already approved"):
        do_mark_not_applicable(link, item(sent, TAX), "changed my mind")

    assert item(sent, TAX).answer == TAX_NUMBER
    assert state() == before


def test_reopening_an_approved_item_lets_the_client_change_it(
    sent: Request, link: PortalLink, owner: User, member: User
) -> None:
    answer(link, TAX, TAX_NUMBER)
    review(do_approve_item, sent, TAX, owner)

    reopened = review(do_reopen_item, sent, TAX, member)

    stored = item(sent, TAX)
    assert stored.state == reopened.state == ItemState.PENDING
    assert stored.reviewed_at is None
    assert len(events("item.reopened", stored)) == 1
    answer(link, TAX, "FR-1234567890")
    assert item(sent, TAX).answer == "FR-1234567890"


def test_reopening_an_unanswered_rejected_item_makes_it_missing(
    sent: Request, link: PortalLink, owner: User
) -> None:
    do_mark_not_applicable(link, item(sent, INCOME), "none")
    review(do_reject_item, sent, INCOME, owner, "You declared a salary last year.")

    assert review(do_reopen_item, sent, INCOME, owner).state == ItemState.MISSING
    assert item(sent, INCOME).rejection_reason == ""


def test_two_reviewers_the_first_wins_and_the_second_is_told(
    sent: Request, link: PortalLink, owner: User, member: User
) -> None:
    # given an answer both reviewers loaded at the same version
    answer(link, TAX, TAX_NUMBER)
    shown_to_owner, shown_to_member = item(sent, TAX), item(sent, TAX)
    assert shown_to_owner.version == shown_to_member.version

    # when the owner approves first
    do_approve_item(shown_to_owner, owner, shown_to_owner.version)
    before = state()

    # then the member's rejection (or approval) is refused, naming the item's new state ...
    with pytest.raises(StaleItem) as stale:
        do_reject_item(shown_to_member, member, shown_to_member.version, "Wrong number")
    assert "Approved" in stale.value.messages[0]
    assert stale.value.item.state == ItemState.APPROVED
    with pytest.raises(StaleItem):
        do_approve_item(shown_to_member, member, shown_to_member.version)

    # ... and nothing changed: one review event, the owner's
    assert state() == before
    [event] = events("item.approved", shown_to_owner)
    assert event.actor_id == str(owner.pk)
    assert events("item.rejected") == []


def test_a_stale_reviewer_loses_against_the_client_too(sent: Request, link: PortalLink, owner: User) -> None:
    answer(link, TAX, TAX_NUMBER)
    shown = item(sent, TAX)
    answer(link, TAX, "FR-CHANGED")  # the client changes the answer after the page was shown
    before = state()

    with pytest.raises(StaleItem):
        do_approve_item(shown, owner, shown.version)

    assert state() == before


def test_staff_answer_questions_for_the_client(sent: Request, link: PortalLink, member: User) -> None:
    answered = review(do_answer_for_client, sent, INCOME, member, "61 500")

    stored = item(sent, INCOME)
    assert (stored.state, stored.answer, stored.answered_by_id) == (ItemState.APPROVED, "61500", member.pk)
    assert answered.state == ItemState.APPROVED
    [event] = events("item.answered_by_staff", stored)
    assert event.actor_id == str(member.pk) and set(event.extra) == {"request"}


def test_staff_answer_only_questions_and_only_valid_answers(
    workspace: Workspace, owner: User, client: Client
) -> None:
    request = do_send_request(make_request(workspace, owner, client, [document(PAYSLIPS), question(INCOME,
                                                                      QuestionType.NUMBER)]), owner)
    before = state()

    with pytest.raises(ValidationError, match="Only questions"):
        review(do_answer_for_client, request, PAYSLIPS, owner, "received by post")
    with pytest.raises(ValidationError, match="Enter a number"):
        review(do_answer_for_client, request, INCOME, owner, "lots")

    assert state() == before


# --- who may answer ------------------------------------------------------------------------------


def test_nothing_is_given_before_the_privacy_notice(sent: Request, owner: User) -> None:
    # given a link whose holder has not acknowledged the notice
    link, _token = do_issue_link(sent, owner)
    before = state()

    # when they try to answer, mark not applicable, or finish, then each is refused and nothing changed
    with pytest.raises(PermissionDenied):
        answer(link, TAX, TAX_NUMBER)
    with pytest.raises(PermissionDenied):
        do_mark_not_applicable(link, item(sent, INCOME), "none")
    with pytest.raises(PermissionDenied):
        do_finish(link)
    assert state() == before


@pytest.mark.parametrize("where", ["same workspace", "other workspace"])
def test_a_link_cannot_touch_another_requests_items(
    sent: Request, link: PortalLink, owner: User, outsider: User, other_workspace: Workspace,
    workspace: Workspace, where: str,
) -> None:
    # given request B, of another client of Firm A or of Firm B, with an answer already given
    if where == "same workspace":
        other_client = make_client(workspace, owner, name="Bea Other", email="bea@client.example")
        other = do_send_request(make_request(workspace, owner, other_client, [question(TAX)]), owner)
    else:
        other_client = make_client(other_workspace, outsider, name="Bea Other", email="bea@client.example")
        other = do_send_request(
            make_request(other_workspace, outsider, other_client, [question(TAX)]), outsider
        )
    answer(acknowledged_link(other)[0], TAX, "B-SECRET")
    before = state()

    # when request A's link answers or rules on B's item
    with pytest.raises(PermissionDenied):
        do_save_answer(link, item(other, TAX), "A-PLANTED")
    with pytest.raises(PermissionDenied):
        do_mark_not_applicable(link, item(other, TAX), "planted")

    # then nothing changed, and the refusal says nothing of B's answer
    assert state() == before
    assert item(other, TAX).answer == "B-SECRET"


OUTSIDER_REVIEWS: dict[str, Callable[[Request, User], Any]] = {
    "approve": lambda request, who: review(do_approve_item, request, TAX, who),
    "reject": lambda request, who: review(do_reject_item, request, TAX, who, "planted"),
    "reopen": lambda request, who: review(do_reopen_item, request, MARRIED, who),
    "answer for the client": lambda request, who: review(do_answer_for_client, request, INCOME, who, "1"),
}


@pytest.mark.parametrize("action", list(OUTSIDER_REVIEWS))
def test_an_outsider_cannot_review_firm_a_items(
    sent: Request, link: PortalLink, owner: User, outsider: User, action: str
) -> None:
    """Every review action refuses a staff actor of another workspace itself (through `_locked_item`),
    so a view that forgets its access check still cannot touch Firm A's items."""
    # given an answer waiting for review and an approved one, and everything stored
    answer(link, TAX, TAX_NUMBER)
    answer(link, MARRIED, "no")
    review(do_approve_item, sent, MARRIED, owner)
    before = state()

    # when Firm B's owner reviews a Firm A item, then it is refused and nothing changed
    with pytest.raises((PermissionDenied, Http404)):
        OUTSIDER_REVIEWS[action](sent, outsider)
    assert state() == before


# --- documents -----------------------------------------------------------------------------------


@pytest.fixture
def with_document(workspace: Workspace, owner: User, client: Client) -> Request:
    return do_send_request(make_request(workspace, owner, client, [
        document(PAYSLIPS, accepted_kinds=["pdf"], max_files=1),
    ]), owner)


def upload_pdf(link: PortalLink, name: str = "may.pdf") -> Upload:
    request = link.request
    return do_add_upload(link, item(request, PAYSLIPS), sealed_file(request, PDF, name, "pdf"))


def test_an_uploaded_document_waits_for_review(with_document: Request) -> None:
    link, _token = acknowledged_link(with_document)

    upload = upload_pdf(link)

    stored = item(with_document, PAYSLIPS)
    assert stored.state == ItemState.PENDING
    assert (upload.state, upload.uploaded_by_link_id) == (UploadState.PENDING, link.pk)
    assert Blob.objects.get(pk=upload.blob_id).meta["name"] == "may.pdf"
    assert b"may.pdf" not in raw_bytes("vault_blob", upload.blob_id)
    assert request_state(with_document) == RequestState.IN_PROGRESS
    assert len(events("item.file_added", stored)) == 1
    do_finish(link)
    assert request_state(with_document) == RequestState.SUBMITTED


def test_a_file_of_a_kind_not_accepted_or_one_too_many_is_refused(with_document: Request) -> None:
    link, _token = acknowledged_link(with_document)
    before = state(), Blob.objects.count()

    with pytest.raises(ValidationError, match="not a kind of file"):
        do_add_upload(link, item(with_document, PAYSLIPS), sealed_file(with_document, PNG, "me.png", "image"))
    assert (state(), Blob.objects.count()) == before

    upload_pdf(link)
    kept = state(), Blob.objects.count()
    with pytest.raises(ValidationError, match="at most 1 file"):
        upload_pdf(link, "june.pdf")
    assert (state(), Blob.objects.count()) == kept


def test_a_client_takes_back_their_own_pending_file(
    with_document: Request, owner: User, django_capture_on_commit_callbacks: Capture
) -> None:
    # given a file the client uploaded
    link, _token = acknowledged_link(with_document)
    upload = upload_pdf(link)

    # when they take it back
    with django_capture_on_commit_callbacks(execute=True):
        do_remove_upload(link, upload)

    # then the upload and its blob are gone, the item is missing again, and it is audited
    assert not Upload.objects.filter(pk=upload.pk).exists()
    assert not Blob.objects.filter(pk=upload.blob_id).exists()
    assert item(with_document, PAYSLIPS).state == ItemState.MISSING
    assert len(events("item.file_removed")) == 1


def test_a_contributor_cannot_remove_the_clients_file(with_document: Request, owner: User) -> None:
    link, _token = acknowledged_link(with_document)
    upload = upload_pdf(link)
    spouse = do_add_contributor(with_document, owner, name="Sam Spouse", email="sam@client.example")
    theirs, _token = acknowledged_link(with_document, contributor=spouse)
    before = state(), Blob.objects.count()

    with pytest.raises(PermissionDenied):
        do_remove_upload(theirs, upload)

    assert (state(), Blob.objects.count()) == before


def test_the_client_removes_their_file_through_a_newer_link(with_document: Request) -> None:
    """A file is the person's, not the link's: every reminder, rejection or receipt e-mail brings a new
    link, and the client must still be able to take back what they sent from an earlier one."""
    # given a file sent through the invitation's link, and a reminder's link for the same client
    invitation, _token = acknowledged_link(with_document)
    upload = upload_pdf(invitation)
    reminder, _token = acknowledged_link(with_document)

    # when the client takes the file back through the reminder's link, then it is gone
    do_remove_upload(reminder, upload)
    assert not Upload.objects.filter(pk=upload.pk).exists()
