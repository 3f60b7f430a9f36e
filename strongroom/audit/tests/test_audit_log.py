"""The audit log: events are written in the caller's transaction, chained per workspace, refused
UPDATE and DELETE by the database itself, and any tampering by someone who gets around that is named.

Tests run inside pytest-django's per-test transaction (never `transaction=True`: the append-only
triggers make Django's table flush fail). Tampering tests drop the triggers inside that transaction,
so the rollback at the end of each test restores them (DDL is transactional on SQLite and PostgreSQL).
"""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.test import RequestFactory

from conftest import PASSWORD, make_user
from strongroom.accounts.actions import do_add_member, do_create_workspace
from strongroom.accounts.models import Role, Workspace
from strongroom.audit.actions import record
from strongroom.audit.actors import SYSTEM, operator
from strongroom.audit.chain import GENESIS, all_chains, event_hash, verify_chain
from strongroom.audit.models import INSTALLATION_CHAIN, ChainHead, Event
from strongroom.crypto import keys, primitives
from strongroom.crypto.models import Keyring, SubjectKey

pytestmark = pytest.mark.django_db


class Boom(Exception):
    """Raised by a test to make a change fail after its event was recorded."""


# --- helpers -------------------------------------------------------------------------------------


def note(workspace: Workspace, n: int) -> Event:
    with transaction.atomic():
        return record(SYSTEM, "test.noted", workspace, n=n)


@pytest.fixture
def chain(workspace: Workspace) -> str:
    """Firm A's chain, grown to five events (workspace.created, 2 x membership.added, 2 notes)."""
    note(workspace, 1)
    note(workspace, 2)
    name = str(workspace.id)
    assert list(Event.objects.filter(chain=name).order_by("seq").values_list("seq", flat=True)) == [
        1, 2, 3, 4, 5,
    ]
    return name


def events_of(chain_name: str) -> list[Event]:
    return list(Event.objects.filter(chain=chain_name).order_by("seq"))


def snapshot() -> list[tuple[Any, ...]]:
    """Every stored event, column by column, to prove nothing changed."""
    return list(Event.objects.order_by("id").values_list(
        "id", "chain", "seq", "action", "extra", "prev_hash", "hash"))


def drop_append_only_triggers() -> None:
    """What an attacker with database superuser rights can do. The test's transaction undoes it."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER audit_event_no_update")
            cursor.execute("DROP TRIGGER audit_event_no_delete")
            cursor.execute("DROP TRIGGER audit_chainhead_no_delete")
        elif connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_event DISABLE TRIGGER USER")
            cursor.execute("ALTER TABLE audit_chainhead DISABLE TRIGGER USER")
        else:  # pragma: no cover
            pytest.fail(f"no append-only triggers known for {connection.vendor}")


def sql(statement: str, params: list[Any] | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params or [])


def problem_of(chain_name: str) -> str:
    report = verify_chain(chain_name)
    assert not report.ok, "the tampering went unnoticed"
    assert report.problem is not None
    return report.problem


# --- record() and transactions --------------------------------------------------------------------


def test_an_event_rolls_back_with_the_change_it_describes(workspace: Workspace) -> None:
    # given Firm A's chain as it stands
    head_before = ChainHead.objects.get(chain=str(workspace.id))
    events_before = snapshot()

    # when a change records its event and then fails
    with pytest.raises(Boom), transaction.atomic():
        created = Workspace.objects.create(name="Short-lived")
        record(SYSTEM, "workspace.created", created)
        record(SYSTEM, "test.noted", workspace, n=1)
        raise Boom

    # then neither the change nor any event remains, and the chain heads did not move
    assert not Workspace.objects.filter(name="Short-lived").exists()
    assert not Event.objects.filter(action="test.noted").exists()
    assert not Event.objects.filter(chain=str(created.id)).exists()
    assert not ChainHead.objects.filter(chain=str(created.id)).exists()
    assert snapshot() == events_before
    head_after = ChainHead.objects.get(chain=str(workspace.id))
    assert (head_after.seq, head_after.hash) == (head_before.seq, head_before.hash)

    # and the next event continues the chain without a gap
    assert note(workspace, 2).seq == head_before.seq + 1
    assert verify_chain(str(workspace.id)).ok


def test_record_outside_a_transaction_is_refused() -> None:
    # given a fresh thread: its database connection is not inside the test's transaction
    def record_without_atomic() -> None:
        assert not connection.in_atomic_block
        record(SYSTEM, "test.noted", None)

    # when an event is recorded there, then it is refused before anything is written
    with ThreadPoolExecutor(max_workers=1) as pool:
        future = pool.submit(record_without_atomic)
        with pytest.raises(RuntimeError, match="inside the transaction"):
            future.result()
    assert not Event.objects.filter(action="test.noted").exists()


@pytest.mark.parametrize("bad_extra", [
    {"details": {"email": "x"}},
    {"who": object()},
    {"ids": [1, {"nested": True}]},
    {"when": [[1, 2]]},
])
def test_extras_hold_plain_values_only(workspace: Workspace, bad_extra: dict[str, Any]) -> None:
    # given the log as it stands
    before = snapshot()

    # when an event carries a structured extra, then it is refused and nothing is written
    with pytest.raises(TypeError, match="plain value"), transaction.atomic():
        record(SYSTEM, "test.noted", workspace, **bad_extra)

    assert snapshot() == before


def test_extras_accept_codes_ids_and_lists_of_them(workspace: Workspace) -> None:
    # when an event carries scalar extras and a list of them
    event = note(workspace, 1)
    with transaction.atomic():
        listed = record(SYSTEM, "test.listed", workspace, codes=["a", "b"], count=2, flag=True,
                        none=None)

    # then they are stored as given, and the chain still verifies after a round trip
    assert Event.objects.get(pk=event.pk).extra == {"n": 1}
    assert Event.objects.get(pk=listed.pk).extra == {
        "codes": ["a", "b"], "count": 2, "flag": True, "none": None}
    assert verify_chain(str(workspace.id)).ok


def test_oversized_extras_are_refused(workspace: Workspace) -> None:
    before = snapshot()

    with pytest.raises(ValueError, match="short codes"), transaction.atomic():
        record(SYSTEM, "test.noted", workspace, blob="x" * 5000)

    assert snapshot() == before


def test_events_hold_no_personal_data(rf: RequestFactory) -> None:
    # given users with known e-mails and names, in workspaces, signing in and failing to
    ada = make_user("Ada.Lovelace@analytical.example", "Ada Lovelace")
    grace = make_user("grace.hopper@cobol.example", "Grace Hopper")
    firm = do_create_workspace("Engines Ltd", ada, operator("test"))
    do_add_member(firm, grace, Role.ADMIN, ada)
    request = rf.post("/login", REMOTE_ADDR="198.51.100.23")
    assert authenticate(request, email="ada.lovelace@analytical.example", password=PASSWORD) == ada
    assert authenticate(request, email="grace.hopper@cobol.example", password="wrong " * 5) is None
    assert authenticate(request, email="nobody.known@nowhere.example", password=PASSWORD) is None

    # when every column of every event is read back raw
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM audit_event")
        rows = cursor.fetchall()
    assert len(rows) >= 7

    # then no e-mail, name (or part of one) or IP address appears in them
    secrets = ["Ada.Lovelace@analytical.example", "analytical.example", "Lovelace", "Ada Lovelace",
               "grace.hopper", "cobol.example", "Hopper", "nobody.known", "nowhere.example",
               "198.51.100.23"]
    for row in rows:
        for value in row:
            if isinstance(value, bytes | memoryview):
                raw = bytes(value)
                for secret in secrets:
                    assert secret.encode().lower() not in raw.lower()
            else:
                text = str(value).lower()
                for secret in secrets:
                    assert secret.lower() not in text, f"{secret!r} leaked into the audit log"


# --- chains ----------------------------------------------------------------------------------------


def test_each_workspace_has_its_own_chain(workspace: Workspace, other_workspace: Workspace) -> None:
    # given two workspaces, and events for both interleaved
    note(workspace, 1)
    note(other_workspace, 1)
    note(workspace, 2)

    # then each has its own chain, numbered from 1 without gaps, linked from the genesis hash
    firm_a, firm_b = events_of(str(workspace.id)), events_of(str(other_workspace.id))
    assert [e.seq for e in firm_a] == [1, 2, 3, 4, 5]
    assert [e.seq for e in firm_b] == [1, 2, 3]
    for events, ws in ((firm_a, workspace), (firm_b, other_workspace)):
        assert {e.workspace for e in events} == {ws.id}
        assert events[0].prev_hash == GENESIS
        assert [e.prev_hash for e in events[1:]] == [e.hash for e in events[:-1]]
        assert all(e.hash == event_hash(e) for e in events)
    assert [e.action for e in firm_b] == ["workspace.created", "membership.added", "test.noted"]

    # and staff accounts, which belong to no workspace, are in the installation's chain
    installation = events_of(INSTALLATION_CHAIN)
    assert [e.action for e in installation] == ["user.created"] * 3
    assert [e.seq for e in installation] == [1, 2, 3]
    assert all(e.workspace is None for e in installation)

    # and every chain verifies
    assert set(all_chains()) == {INSTALLATION_CHAIN, str(workspace.id), str(other_workspace.id)}
    for name in all_chains():
        report = verify_chain(name)
        assert report.ok, report.problem
        assert report.events == len(events_of(name))


def test_key_events_land_in_the_chain_of_their_workspace(
    workspace: Workspace, other_workspace: Workspace
) -> None:
    # given a client subject of Firm A
    client = keys.create_subject(Keyring.objects.get(workspace=workspace), SubjectKey.Kind.CLIENT)
    firm_b_before = events_of(str(other_workspace.id))

    # when its key is destroyed
    keys.destroy_subject_key(client, operator("test"), reason="erasure request")

    # then the event is in Firm A's chain, names the subject, and Firm B's chain is untouched
    last = events_of(str(workspace.id))[-1]
    assert (last.action, last.subject, last.extra) == (
        "key.subject_destroyed", client.id, {"reason": "erasure request"})
    assert events_of(str(other_workspace.id)) == firm_b_before
    assert verify_chain(str(workspace.id)).ok


def test_verify_reports_an_empty_or_unknown_chain_as_intact() -> None:
    report = verify_chain(str(uuid.uuid4()))

    assert report.ok and report.events == 0


# --- the request's IP address ---------------------------------------------------------------------


def test_the_ip_address_of_a_sign_in_is_sealed(owner: Any, rf: RequestFactory) -> None:
    # given a request from a known address
    request = rf.post("/login", REMOTE_ADDR="203.0.113.7")

    # when the owner signs in
    assert authenticate(request, email="owner@firm-a.example", password=PASSWORD) == owner

    # then the event holds the address, sealed: not readable in the row, but opened with the key
    event = Event.objects.get(action="login.succeeded")
    assert event.ip_sealed is not None
    sealed = bytes(event.ip_sealed)
    assert b"203.0.113.7" not in sealed
    keyring = Keyring.objects.get(is_installation=True)
    aad = f"strongroom:audit-ip:{event.chain}:{event.seq}".encode()
    assert primitives.unseal(keys.keyring_key(keyring.id), sealed, aad) == b"203.0.113.7"
    assert verify_chain(event.chain).ok


def test_events_without_a_request_have_no_ip(workspace: Workspace) -> None:
    assert note(workspace, 1).ip_sealed is None


# --- the database refuses UPDATE and DELETE ----------------------------------------------------------


@pytest.mark.parametrize("statement", [
    "UPDATE audit_event SET action = 'x'",
    "UPDATE audit_event SET extra = '{}'",
    "DELETE FROM audit_event",
])
def test_raw_sql_cannot_change_events(chain: str, statement: str) -> None:
    # given a log of events
    before = snapshot()

    # when raw SQL tries to change or remove them, then the database refuses
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        sql(statement)

    # and nothing changed
    assert snapshot() == before
    assert verify_chain(chain).ok


@pytest.mark.parametrize("how", ["queryset update", "queryset delete", "instance save",
                                 "instance delete"])
def test_the_orm_cannot_change_events(chain: str, how: str) -> None:
    before = snapshot()
    event = Event.objects.get(chain=chain, seq=3)

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        if how == "queryset update":
            Event.objects.update(action="x")
        elif how == "queryset delete":
            Event.objects.filter(chain=chain).delete()
        elif how == "instance save":
            event.extra = {"n": 99}
            event.save(update_fields=["extra"])
        else:
            event.delete()

    assert snapshot() == before
    assert verify_chain(chain).ok


def test_the_append_only_triggers_are_in_place() -> None:
    # Guards the tampering tests below: their trigger drops must not outlive them.
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' "
                           "AND tbl_name = 'audit_event' ORDER BY name")
            assert [r[0] for r in cursor.fetchall()] == ["audit_event_no_delete", "audit_event_no_update"]
        else:
            cursor.execute("SELECT tgenabled FROM pg_trigger WHERE tgname = 'audit_event_append_only'")
            assert cursor.fetchall() == [("O",)]


# --- tampering is caught -------------------------------------------------------------------------


def test_an_altered_action_is_named(chain: str, workspace: Workspace, other_workspace: Workspace) -> None:
    # given an attacker who got around the triggers
    target = Event.objects.get(chain=chain, seq=2)
    drop_append_only_triggers()

    # when they change what event 2 says happened
    Event.objects.filter(pk=target.pk).update(action="membership.removed")

    # then verification names event 2 as altered
    problem = problem_of(chain)
    assert problem.startswith(f"event 2 (id {target.pk}, membership.removed) was altered")
    # and the other chains are still intact
    assert verify_chain(str(other_workspace.id)).ok
    assert verify_chain(INSTALLATION_CHAIN).ok


def test_altered_extras_are_named(chain: str) -> None:
    target = Event.objects.get(chain=chain, seq=4)
    drop_append_only_triggers()

    Event.objects.filter(pk=target.pk).update(extra={"n": 1, "note": "harmless"})

    assert problem_of(chain).startswith(f"event 4 (id {target.pk}, test.noted) was altered")


def test_an_altered_raw_column_is_named(chain: str) -> None:
    # A subject id rewritten in SQL, outside the ORM.
    target = Event.objects.get(chain=chain, seq=3)
    drop_append_only_triggers()

    value = uuid.uuid4()
    sql("UPDATE audit_event SET subject = %s WHERE id = %s",
        [value.hex if connection.vendor == "sqlite" else value, target.pk])

    assert problem_of(chain).startswith(f"event 3 (id {target.pk}, membership.added) was altered")


def test_a_removed_middle_event_is_named(chain: str) -> None:
    drop_append_only_triggers()

    sql("DELETE FROM audit_event WHERE chain = %s AND seq = 3", [chain])

    fourth = Event.objects.get(chain=chain, seq=4)
    problem = problem_of(chain)
    assert problem.startswith(f"event 3 of chain {chain} is missing (removed)")
    assert f"the next event found is 4 (id {fourth.pk}" in problem


def test_a_removed_first_event_is_named(chain: str) -> None:
    drop_append_only_triggers()

    Event.objects.filter(chain=chain, seq=1).delete()

    assert problem_of(chain).startswith(f"event 1 of chain {chain} is missing (removed)")


@pytest.mark.parametrize(("removed", "named"), [([5], "events 5 to 5"), ([4, 5], "events 4 to 5")])
def test_events_removed_from_the_end_are_named(chain: str, removed: list[int], named: str) -> None:
    drop_append_only_triggers()

    Event.objects.filter(chain=chain, seq__in=removed).delete()

    assert problem_of(chain) == f"{named} of chain {chain} were removed from its end"


def test_a_whole_chain_removed_is_named(chain: str) -> None:
    drop_append_only_triggers()

    Event.objects.filter(chain=chain).delete()

    assert problem_of(chain) == f"events 1 to 5 of chain {chain} were removed from its end"


def _make_room_at(chain_name: str, seq: int) -> None:
    """Renumber events from `seq` on one place up, last first (the unique constraint is per row)."""
    for event in Event.objects.filter(chain=chain_name, seq__gte=seq).order_by("-seq"):
        Event.objects.filter(pk=event.pk).update(seq=event.seq + 1)


def _forged(chain_name: str, seq: int, prev_hash: str) -> Event:
    genuine = Event.objects.get(chain=chain_name, seq=2)
    return Event(
        chain=chain_name, seq=seq, created_at=genuine.created_at, workspace=genuine.workspace,
        actor_kind="staff", actor_id=str(uuid.uuid4()), action="membership.added",
        target_type="accounts.membership", target_id=str(uuid.uuid4()),
        extra={"role": "owner", "user": str(uuid.uuid4())}, prev_hash=prev_hash,
    )


def test_a_naively_inserted_event_is_named(chain: str) -> None:
    # given an attacker who renumbers events 3.. and slips a forged event in as event 3,
    # without knowing how links are made
    drop_append_only_triggers()
    _make_room_at(chain, 3)
    forged = _forged(chain, 3, prev_hash="f" * 64)
    forged.hash = event_hash(forged)
    forged.save(force_insert=True)

    # then the forged event itself is named first, as inserted
    assert problem_of(chain).startswith(
        f"event 3 (id {forged.pk}, membership.added) does not follow event 2: it was inserted")


def test_an_inserted_event_with_a_made_up_hash_is_named(chain: str) -> None:
    drop_append_only_triggers()
    _make_room_at(chain, 3)
    forged = _forged(chain, 3, prev_hash=Event.objects.get(chain=chain, seq=2).hash)
    forged.hash = "a" * 64
    forged.save(force_insert=True)

    assert problem_of(chain).startswith(f"event 3 (id {forged.pk}, membership.added) was altered")


def test_a_cleverly_inserted_event_breaks_the_next_link(chain: str) -> None:
    # given an attacker who knows the algorithm: the forged event 3 links to event 2 and its hash
    # is right, but the genuine event that was 3 (now renumbered 4) still links to event 2
    genuine_third = Event.objects.get(chain=chain, seq=3)
    drop_append_only_triggers()
    _make_room_at(chain, 3)
    forged = _forged(chain, 3, prev_hash=Event.objects.get(chain=chain, seq=2).hash)
    forged.hash = event_hash(forged)
    forged.save(force_insert=True)

    # then the first event named is the renumbered genuine one, which no longer follows
    assert problem_of(chain).startswith(
        f"event 4 (id {genuine_third.pk}, membership.added) does not follow event 3: it was inserted")


def test_an_event_appended_behind_the_head_is_caught(chain: str) -> None:
    # An attacker appends a well-formed event 6 without updating the chain head.
    last = Event.objects.get(chain=chain, seq=5)
    forged = _forged(chain, 6, prev_hash=last.hash)
    forged.hash = event_hash(forged)
    forged.save(force_insert=True)

    assert problem_of(chain) == f"events 6 to 6 of chain {chain} were inserted after its recorded end"


def test_an_altered_event_with_a_recomputed_hash_breaks_the_next_link(chain: str) -> None:
    # given an attacker who alters event 3 and recomputes its hash
    drop_append_only_triggers()
    target = Event.objects.get(chain=chain, seq=3)
    target.extra = {**target.extra, "role": "owner"}
    target.hash = event_hash(target)
    Event.objects.filter(pk=target.pk).update(extra=target.extra, hash=target.hash)
    fourth = Event.objects.get(chain=chain, seq=4)

    # then event 3 looks fine on its own, but event 4 no longer follows it, and is named
    assert event_hash(Event.objects.get(pk=target.pk)) == target.hash
    assert problem_of(chain).startswith(
        f"event 4 (id {fourth.pk}, test.noted) does not follow event 3")


def test_an_altered_last_event_with_a_recomputed_hash_no_longer_matches_the_head(chain: str) -> None:
    drop_append_only_triggers()
    target = Event.objects.get(chain=chain, seq=5)
    target.action = "test.erased"
    target.hash = event_hash(target)
    Event.objects.filter(pk=target.pk).update(action=target.action, hash=target.hash)

    assert problem_of(chain) == (
        f"event 5 of chain {chain} was altered: it does not match the chain's recorded end")


def test_an_event_moved_to_another_chain_is_missing_from_its_own(
    chain: str, other_workspace: Workspace
) -> None:
    drop_append_only_triggers()

    Event.objects.filter(chain=chain, seq=5).update(chain=str(other_workspace.id), seq=99)

    assert problem_of(chain) == f"events 5 to 5 of chain {chain} were removed from its end"
    assert problem_of(str(other_workspace.id)).startswith(
        f"event 3 of chain {other_workspace.id} is missing (removed)")


# --- the management command ------------------------------------------------------------------------


def test_verify_command_reports_intact_chains(chain: str, other_workspace: Workspace) -> None:
    out = StringIO()

    call_command("audit", "verify", stdout=out)

    lines = out.getvalue().splitlines()
    assert len(lines) == 3
    assert f"chain {chain}: 5 events, intact" in lines
    assert f"chain {other_workspace.id}: 2 events, intact" in lines
    assert f"chain {INSTALLATION_CHAIN}: 3 events, intact" in lines


def test_verify_command_checks_only_the_chains_named(chain: str, other_workspace: Workspace) -> None:
    out = StringIO()

    call_command("audit", "verify", chain, stdout=out)

    assert out.getvalue().splitlines() == [f"chain {chain}: 5 events, intact"]


def test_verify_command_fails_and_names_the_broken_event(
    chain: str, other_workspace: Workspace
) -> None:
    # given one event altered in Firm A's chain
    target = Event.objects.get(chain=chain, seq=4)
    drop_append_only_triggers()
    Event.objects.filter(pk=target.pk).update(extra={"n": 42})
    out = StringIO()

    # when the log is verified, then the command fails
    with pytest.raises(CommandError, match=r"1 of 3 audit chain\(s\) are broken"):
        call_command("audit", "verify", stdout=out)

    # and its output names the broken event, and reports the other chains intact
    output = out.getvalue()
    assert f"chain {chain}: BROKEN: event 4 (id {target.pk}, test.noted) was altered" in output
    assert f"chain {other_workspace.id}: 2 events, intact" in output
    assert f"chain {INSTALLATION_CHAIN}: 3 events, intact" in output



# --- what the hardening adds ------------------------------------------------------------------------


def test_chain_heads_cannot_be_removed(chain: str) -> None:
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_chainhead")
    assert ChainHead.objects.filter(chain=chain).exists()


def test_wiping_the_whole_log_is_refused(chain: str) -> None:
    # PostgreSQL's TRUNCATE skips row triggers, so it has triggers of its own; SQLite has no TRUNCATE.
    wipe = "TRUNCATE {}" if connection.vendor == "postgresql" else "DELETE FROM {}"
    for table in ("audit_event", "audit_chainhead"):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(wipe.format(table))
    assert verify_chain(chain).ok and verify_chain(chain).events == 5


def test_an_event_inserted_with_a_duplicate_position_is_named(chain: str) -> None:
    forged = _forged(chain, 0, prev_hash=GENESIS)
    forged.hash = event_hash(forged)
    forged.save(force_insert=True)

    assert problem_of(chain).startswith(f"event 0 (id {forged.pk}, ")
    assert "was inserted" in problem_of(chain)


def test_a_chain_rebuilt_without_the_key_is_caught(chain: str) -> None:
    """An attacker who knows the algorithm but not the key recomputes every hash with plain SHA-256."""
    import hashlib

    drop_append_only_triggers()
    previous = GENESIS
    for event in Event.objects.filter(chain=chain).order_by("seq"):
        if event.seq == 2:
            event.action = "test.erased"
        event.prev_hash = previous
        event.hash = hashlib.sha256(f"{previous}{event.action}".encode()).hexdigest()
        Event.objects.filter(pk=event.pk).update(
            action=event.action, prev_hash=event.prev_hash, hash=event.hash
        )
        previous = event.hash
    ChainHead.objects.filter(chain=chain).update(hash=previous)

    assert problem_of(chain).startswith("event 1 (id ")
    assert "was altered" in problem_of(chain)
