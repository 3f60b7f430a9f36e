"""Portal links: strong tokens stored only as hashes, one answer (None) for every unusable token,
audited revocation, a throttled portal password, one-time e-mailed codes, and expiry after closing.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta

import pytest
from django.contrib.auth.hashers import identify_hasher
from django.core.exceptions import ValidationError
from django.utils import timezone

from strongroom.accounts.models import User, Workspace
from strongroom.audit.actors import SYSTEM
from strongroom.collection.lifecycle import do_add_contributor, do_cancel_request, do_send_request
from strongroom.collection.models import Request
from strongroom.collection.tests.factories import events, make_client, make_request, question, raw_bytes
from strongroom.portal import links
from strongroom.portal.links import (
    MAX_FAILURES,
    check_code,
    check_link_password,
    do_issue_code,
    do_issue_link,
    do_revoke_link,
    do_set_password,
    expire_links_of,
    find_link,
)
from strongroom.portal.models import PortalLink

pytestmark = pytest.mark.django_db

PORTAL_PASSWORD = "correct horse battery staple 7"


@pytest.fixture
def request_(workspace: Workspace, owner: User) -> Request:
    client = make_client(workspace, owner, name="Camille Dupont", email="camille@client.example")
    return make_request(workspace, owner, client, [question("Your tax number")])


def fresh(link: PortalLink) -> PortalLink:
    return PortalLink.objects.get(pk=link.pk)


def expire_code(link: PortalLink) -> None:
    PortalLink.objects.filter(pk=link.pk).update(code_expires_at=timezone.now() - timedelta(seconds=1))
    link.refresh_from_db()


# --- tokens --------------------------------------------------------------------------------------


def test_a_token_has_at_least_128_random_bits(request_: Request, owner: User) -> None:
    _link, token = do_issue_link(request_, owner)

    assert len(token) >= 22
    decoded = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    assert len(decoded) >= 16
    assert do_issue_link(request_, owner)[1] != token


def test_only_the_sha256_of_the_token_is_stored(request_: Request, owner: User) -> None:
    # given a link just issued
    link, token = do_issue_link(request_, owner)

    # then its row holds the token's SHA-256 and nowhere the token itself
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
    stored = raw_bytes("portal_portallink", link.pk)
    assert token.encode() not in stored
    assert token[:16].encode() not in stored
    assert link.token_hash.encode() in stored


def test_find_link_resolves_the_token_of_a_live_link(request_: Request, owner: User) -> None:
    link, token = do_issue_link(request_, owner)

    found = find_link(token)

    assert found is not None and found.pk == link.pk and found.request_id == request_.pk


@pytest.mark.parametrize("given", ["", "x" * 10_000, "not-a-token", "é" * 43, "\x00" * 43, "' OR 1=1 --"])
def test_find_link_answers_none_for_garbage(request_: Request, owner: User, given: str) -> None:
    do_issue_link(request_, owner)

    assert find_link(given) is None


def test_find_link_answers_none_for_an_unknown_token(request_: Request, owner: User) -> None:
    _link, token = do_issue_link(request_, owner)

    assert find_link(token[:-1] + ("A" if token[-1] != "A" else "B")) is None


def test_find_link_answers_none_for_a_revoked_link(request_: Request, owner: User) -> None:
    link, token = do_issue_link(request_, owner)

    do_revoke_link(link, owner)

    assert find_link(token) is None
    assert link.revoked_at is not None


def test_find_link_answers_none_for_an_expired_link(request_: Request, owner: User) -> None:
    link, token = do_issue_link(request_, owner)

    PortalLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    assert find_link(token) is None


def test_a_link_expiring_later_still_works(request_: Request, owner: User) -> None:
    link, token = do_issue_link(request_, owner)

    PortalLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() + timedelta(days=1))

    assert find_link(token) is not None


def test_revoking_is_audited_once(request_: Request, owner: User, member: User) -> None:
    # given a live link
    link, _token = do_issue_link(request_, owner)

    # when a member revokes it, twice
    do_revoke_link(link, member)
    first = fresh(link).revoked_at
    do_revoke_link(link, member)

    # then one event names the member and the link, and the revocation time did not move
    [event] = events("portal.link_revoked", link)
    assert (event.actor_kind, event.actor_id) == ("staff", str(member.pk))
    assert event.workspace == request_.workspace_id
    assert fresh(link).revoked_at == first


def test_issuing_is_audited_without_the_token(request_: Request, owner: User) -> None:
    link, token = do_issue_link(request_, owner)

    [event] = events("portal.link_issued", link)
    assert event.subject == request_.client.subject_id
    assert token not in repr(event.extra) and link.token_hash not in repr(event.extra)


# --- password ------------------------------------------------------------------------------------


def test_the_portal_password_is_stored_as_an_argon2_hash(request_: Request, owner: User) -> None:
    link, _token = do_issue_link(request_, owner)

    do_set_password(link, PORTAL_PASSWORD)

    stored = fresh(link)
    assert identify_hasher(stored.password).algorithm == "argon2"
    assert PORTAL_PASSWORD.encode() not in raw_bytes("portal_portallink", link.pk)
    assert check_link_password(stored, PORTAL_PASSWORD) is True
    assert check_link_password(stored, PORTAL_PASSWORD + "!") is False
    assert len(events("portal.password_set", link)) == 1


def test_a_weak_portal_password_is_refused(request_: Request, owner: User) -> None:
    link, _token = do_issue_link(request_, owner)

    with pytest.raises(ValidationError):
        do_set_password(link, "123")

    assert fresh(link).password == ""
    assert events("portal.password_set", link) == []


def test_a_portal_password_is_chosen_once(request_: Request, owner: User) -> None:
    """Once chosen, the password cannot be replaced through a link (staff issue a fresh link instead),
    and it protects every live link of the person."""
    # given a client with two live links (the invitation, a reminder) protected by their password
    link, _token = do_issue_link(request_, owner)
    do_set_password(link, PORTAL_PASSWORD)
    other, _token = do_issue_link(request_, SYSTEM)
    before = fresh(link).password

    # when someone holding a link tries to choose another password
    with pytest.raises(ValidationError):
        do_set_password(fresh(link), "an entirely different passphrase 99")

    # then both links still ask for the client's password, and nothing was recorded
    assert fresh(link).password == fresh(other).password == before
    assert check_link_password(fresh(other), PORTAL_PASSWORD) is True
    assert len(events("portal.password_set", link)) == 1


def test_a_password_protects_every_live_link_of_the_person(request_: Request, owner: User) -> None:
    first, _token = do_issue_link(request_, owner)
    second, _token = do_issue_link(request_, owner)

    do_set_password(second, PORTAL_PASSWORD)

    assert check_link_password(fresh(first), PORTAL_PASSWORD) is True


def test_each_wrong_password_is_counted_and_audited(request_: Request, owner: User) -> None:
    link, _token = do_issue_link(request_, owner)
    do_set_password(link, PORTAL_PASSWORD)

    assert check_link_password(link, "wrong one", ip="203.0.113.7") is False

    assert fresh(link).failed_attempts == 1
    [event] = events("portal.password_failed", link)
    assert (event.actor_kind, event.actor_id) == ("client", str(link.pk))
    assert event.ip_sealed is not None and b"203.0.113.7" not in bytes(event.ip_sealed)


def test_five_wrong_passwords_lock_the_link_even_for_the_right_one(request_: Request, owner: User) -> None:
    # given a link with a password
    link, _token = do_issue_link(request_, owner)
    do_set_password(link, PORTAL_PASSWORD)

    # when someone tries MAX_FAILURES wrong passwords
    results = [check_link_password(fresh(link), f"guess {n}") for n in range(MAX_FAILURES)]

    # then every attempt failed and was audited, and the link is locked: the right one is refused too
    assert results == [False] * MAX_FAILURES
    failed = events("portal.password_failed", link)
    assert len(failed) == MAX_FAILURES
    assert [e.extra["locked"] for e in failed] == [False] * (MAX_FAILURES - 1) + [True]
    locked = fresh(link)
    assert links.is_locked(locked)
    assert check_link_password(locked, PORTAL_PASSWORD) is False


def test_a_lock_ends_after_its_time(request_: Request, owner: User) -> None:
    link, _token = do_issue_link(request_, owner)
    do_set_password(link, PORTAL_PASSWORD)
    for n in range(MAX_FAILURES):
        check_link_password(fresh(link), f"guess {n}")

    PortalLink.objects.filter(pk=link.pk).update(locked_until=timezone.now() - timedelta(seconds=1))

    assert check_link_password(fresh(link), PORTAL_PASSWORD) is True


def test_the_right_password_clears_earlier_failures(request_: Request, owner: User) -> None:
    link, _token = do_issue_link(request_, owner)
    do_set_password(link, PORTAL_PASSWORD)
    for n in range(MAX_FAILURES - 1):
        check_link_password(fresh(link), f"guess {n}")

    assert check_link_password(fresh(link), PORTAL_PASSWORD) is True

    assert fresh(link).failed_attempts == 0
    assert check_link_password(fresh(link), "one more guess") is False
    assert not links.is_locked(fresh(link))


def test_a_new_link_for_the_same_person_keeps_the_password(request_: Request, owner: User) -> None:
    # given the client chose a password on their first link
    first, _token = do_issue_link(request_, owner)
    do_set_password(first, PORTAL_PASSWORD)

    # when a reminder issues them another link
    second, token = do_issue_link(request_, SYSTEM)

    # then the new link asks for the same password, and the first one still works
    assert second.password == fresh(first).password != ""
    assert check_link_password(second, PORTAL_PASSWORD) is True
    assert find_link(token) is not None and links.usable(fresh(first))


def test_another_persons_link_does_not_take_the_clients_password(
    request_: Request, owner: User
) -> None:
    first, _token = do_issue_link(request_, owner)
    do_set_password(first, PORTAL_PASSWORD)
    contributor = do_add_contributor(request_, owner, name="Sam Spouse", email="sam@client.example")

    theirs, _token = do_issue_link(request_, owner, contributor=contributor)

    assert theirs.password == ""
    assert check_link_password(theirs, PORTAL_PASSWORD) is False


def test_a_fresh_link_revokes_earlier_ones_and_has_no_password(request_: Request, owner: User) -> None:
    # given the client's link with a password they lost
    first, first_token = do_issue_link(request_, owner)
    do_set_password(first, PORTAL_PASSWORD)

    # when staff issue a fresh link
    second, second_token = do_issue_link(request_, owner, fresh=True)

    # then only the fresh one works, and it has no password yet
    assert find_link(first_token) is None
    assert fresh(first).revoked_at is not None
    assert second.password == ""
    found = find_link(second_token)
    assert found is not None and found.pk == second.pk


# --- e-mailed code -------------------------------------------------------------------------------


def test_a_code_is_six_digits_stored_only_as_a_keyed_hash(request_: Request, owner: User) -> None:
    link, _token = do_issue_link(request_, owner)

    code = do_issue_code(link)

    assert len(code) == 6 and code.isdigit()
    stored = fresh(link)
    assert len(stored.code_hash) == 64
    unkeyed = {hashlib.sha256(v.encode()).hexdigest() for v in (code, f"{link.pk}:{code}")}
    assert stored.code_hash not in unkeyed
    assert stored.code_expires_at is not None and stored.code_expires_at > timezone.now()
    assert len(events("portal.code_sent", link)) == 1


def test_the_right_code_works_once(request_: Request, owner: User) -> None:
    link, _token = do_issue_link(request_, owner)
    code = do_issue_code(link)

    assert check_code(fresh(link), code) is True
    assert check_code(fresh(link), code) is False

    assert fresh(link).code_hash == ""


def test_the_code_may_be_typed_with_spaces_around(request_: Request, owner: User) -> None:
    link, _token = do_issue_link(request_, owner)
    code = do_issue_code(link)

    assert check_code(fresh(link), f" {code}\n") is True


def test_an_expired_code_fails(request_: Request, owner: User) -> None:
    link, _token = do_issue_link(request_, owner)
    code = do_issue_code(link)

    expire_code(link)

    assert check_code(link, code) is False
    assert fresh(link).failed_attempts == 1


def test_a_wrong_code_is_counted_and_audited(request_: Request, owner: User) -> None:
    link, _token = do_issue_link(request_, owner)
    code = do_issue_code(link)
    wrong = f"{(int(code) + 1) % 10**6:06d}"

    assert check_code(fresh(link), wrong) is False

    assert fresh(link).failed_attempts == 1
    assert len(events("portal.code_failed", link)) == 1
    assert check_code(fresh(link), code) is True


def test_a_code_of_another_link_does_not_work(request_: Request, owner: User) -> None:
    mine, _token = do_issue_link(request_, owner)
    contributor = do_add_contributor(request_, owner, name="Sam Spouse", email="sam@client.example")
    theirs, _token = do_issue_link(request_, owner, contributor=contributor)
    my_code = do_issue_code(mine)
    their_code = do_issue_code(theirs)

    # (the two random codes are equal once in a million: then the check rightly passes)
    assert check_code(fresh(mine), their_code) is (their_code == my_code)


def test_wrong_codes_lock_the_link(request_: Request, owner: User) -> None:
    link, _token = do_issue_link(request_, owner)
    code = do_issue_code(link)
    wrong = f"{(int(code) + 1) % 10**6:06d}"

    for _ in range(MAX_FAILURES):
        check_code(fresh(link), wrong)

    assert check_code(fresh(link), code) is False
    failures = events("portal.code_failed", link)
    assert len(failures) == MAX_FAILURES + 1  # the attempt made while locked is recorded too
    assert failures[-1].extra["locked"] is True


# --- expiry after closing ------------------------------------------------------------------------


def test_links_expire_link_days_after_close(request_: Request, owner: User, workspace: Workspace) -> None:
    # given a workspace keeping links 7 days after closing, and a link
    workspace.link_days_after_close = 7
    workspace.save(update_fields=["link_days_after_close"])
    link, _token = do_issue_link(Request.objects.get(pk=request_.pk), owner)
    closed_at = timezone.now()

    # when the request's links are expired as of its closing
    expire_links_of(Request.objects.select_related("workspace").get(pk=request_.pk), closed_at)

    # then the link works until 7 days after, and not after
    assert fresh(link).expires_at == closed_at + timedelta(days=7)
    assert links.usable(fresh(link))


def test_cancelling_sets_the_expiry_of_every_link(
    request_: Request, owner: User, workspace: Workspace
) -> None:
    workspace.link_days_after_close = 30
    workspace.save(update_fields=["link_days_after_close"])
    sent = do_send_request(request_, owner)
    link, _token = do_issue_link(sent, owner)
    already, _token = do_issue_link(sent, owner)
    soon = timezone.now() + timedelta(days=2)
    PortalLink.objects.filter(pk=already.pk).update(expires_at=soon)

    cancelled = do_cancel_request(sent, owner)

    assert cancelled.closed_at is not None
    assert fresh(link).expires_at == cancelled.closed_at + timedelta(days=30)
    assert fresh(already).expires_at == soon  # an earlier expiry is kept
