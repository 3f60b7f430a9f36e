"""Clients: personal fields sealed at rest, one client per e-mail in a workspace, exact search
through blind indexes, audited changes that name fields and never values, and tenancy.

Permission tests use Firm A (owner, member) and Firm B (outsider), and assert that nothing leaked
and nothing changed.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from strongroom.accounts.models import User, Workspace
from strongroom.audit.models import Event
from strongroom.collection.clients import do_create_client, do_update_client, find_clients
from strongroom.collection.models import Client
from strongroom.collection.tests.factories import events, raw_bytes

pytestmark = pytest.mark.django_db

NAME = "Camille Dupont-Marker"
EMAIL = "camille.marker@client.example"
PHONE = "+33 6 12 34 56 78"
NOTES = "Prefers calls after NOTEMARKER hours"


@pytest.fixture
def client(workspace: Workspace, owner: User) -> Client:
    return do_create_client(workspace, owner, name=NAME, email=EMAIL, phone=PHONE, notes=NOTES, language="fr")


def state() -> tuple[Any, ...]:
    """What a client action could change: the clients (as stored) and the audit trail."""
    rows = sorted((str(c.pk), raw_bytes("collection_client", c.pk)) for c in Client.objects.all())
    return rows, Event.objects.count()


def found(workspace: Workspace, query: str) -> list[Client]:
    return list(find_clients(workspace, query))


# --- creating ------------------------------------------------------------------------------------


def test_a_new_clients_personal_fields_are_sealed(client: Client, workspace: Workspace) -> None:
    # when the row is read with SQL, no personal field appears in any form
    stored = raw_bytes("collection_client", client.pk)
    for plaintext in (NAME, EMAIL, PHONE, NOTES, "Camille", "Dupont", "camille.marker", "NOTEMARKER"):
        for variant in (plaintext, plaintext.lower(), plaintext.upper()):
            assert variant.encode("utf-8") not in stored, variant
            assert variant.encode("utf-16-le") not in stored, variant

    # and the model opens them again
    again = Client.objects.get(pk=client.pk)
    assert (again.name, again.email, again.phone, again.notes, again.language) == (
        NAME, EMAIL, PHONE, NOTES, "fr"
    )
    assert again.workspace_id == workspace.pk and again.subject_id is not None


def test_creating_is_audited_without_personal_data(client: Client, owner: User) -> None:
    [event] = events("client.created", client)

    assert (event.actor_kind, event.actor_id) == ("staff", str(owner.pk))
    assert event.subject == client.subject_id
    for plaintext in (NAME, EMAIL, PHONE, NOTES):
        assert plaintext not in repr(event.extra)


def test_values_are_trimmed(workspace: Workspace, owner: User) -> None:
    made = do_create_client(workspace, owner, name="  Ann Lee ", email=" ann@client.example\n")

    again = Client.objects.get(pk=made.pk)
    assert (again.name, again.email) == ("Ann Lee", "ann@client.example")


def test_a_duplicate_email_in_the_workspace_is_refused(client: Client, workspace: Workspace,
                                                       member: User) -> None:
    # given Firm A's client, and everything stored
    before = state()

    # when a member adds another client with the same e-mail in other letter case and spacing
    with pytest.raises(ValidationError) as refused:
        do_create_client(workspace, member, name="Someone Else", email="  CAMILLE.Marker@Client.EXAMPLE ")

    # then it is refused on the e-mail field, and nothing changed
    assert "email" in refused.value.message_dict
    assert state() == before


def test_the_same_email_is_allowed_in_another_workspace(
    client: Client, other_workspace: Workspace, outsider: User, workspace: Workspace
) -> None:
    theirs = do_create_client(other_workspace, outsider, name=NAME, email=EMAIL)

    assert theirs.workspace_id == other_workspace.pk and theirs.pk != client.pk
    # the blind indexes of the two workspaces are unrelated: one cannot be matched with the other
    assert Client.objects.get(pk=theirs.pk).email_index != Client.objects.get(pk=client.pk).email_index
    assert found(other_workspace, EMAIL) == [theirs]
    assert found(workspace, EMAIL) == [client]


@pytest.mark.parametrize(
    "values",
    [
        {"name": "", "email": "ok@client.example"},
        {"name": "   ", "email": "ok@client.example"},
        {"name": "Ann Lee", "email": "not an e-mail"},
        {"name": "Ann Lee", "email": "ann@"},
        {"name": "Ann Lee", "email": ""},
        {"name": "Ann Lee", "email": "ok@client.example", "language": "de"},
    ],
    ids=["empty name", "blank name", "invalid e-mail", "half e-mail", "empty e-mail", "unknown language"],
)
def test_invalid_values_are_refused(workspace: Workspace, owner: User, values: dict[str, str]) -> None:
    before = state()

    with pytest.raises(ValidationError) as refused:
        do_create_client(workspace, owner, **values)

    assert set(refused.value.message_dict) & {"name", "email", "language"}
    assert state() == before


@pytest.mark.parametrize("missing", ["name", "email"])
def test_a_missing_name_or_email_is_a_validation_error(
    workspace: Workspace, owner: User, missing: str
) -> None:
    """Without `email` the action once failed with KeyError, without `name` with a TypeError from the
    blind index: both must be a ValidationError naming the field."""
    values = {"name": "Ann Lee", "email": "ann@client.example"}
    del values[missing]
    before = state()

    with pytest.raises(ValidationError) as refused:
        do_create_client(workspace, owner, **values)

    assert missing in refused.value.message_dict
    assert state() == before


# --- finding -------------------------------------------------------------------------------------


def test_find_by_exact_email_in_any_case(client: Client, workspace: Workspace) -> None:
    assert found(workspace, EMAIL) == [client]
    assert found(workspace, "  Camille.MARKER@client.example ") == [client]


def test_find_by_whole_name_in_any_case(client: Client, workspace: Workspace) -> None:
    assert found(workspace, NAME) == [client]
    assert found(workspace, "  camille DUPONT-marker ") == [client]


def test_find_by_name_ignores_inner_spacing(client: Client, workspace: Workspace) -> None:
    """"Case and spacing aside" includes runs of spaces inside the name (crypto.blind.normalise_text)."""
    assert found(workspace, "Camille   Dupont-Marker") == [client]


@pytest.mark.parametrize("partial", ["Camille", "Dupont-Marker", "camille.marker", "client.example", "Cam"])
def test_a_partial_name_or_email_finds_nothing(client: Client, workspace: Workspace, partial: str) -> None:
    assert found(workspace, partial) == []


def test_an_empty_search_lists_only_the_workspaces_clients(
    client: Client, workspace: Workspace, other_workspace: Workspace, outsider: User
) -> None:
    theirs = do_create_client(other_workspace, outsider, name="Otto Client", email="otto@client.example")

    assert found(workspace, "  ") == [client]
    assert found(other_workspace, "") == [theirs]


def test_another_workspace_finds_nothing_of_firm_a(client: Client, other_workspace: Workspace) -> None:
    assert found(other_workspace, EMAIL) == []
    assert found(other_workspace, NAME) == []


# --- updating ------------------------------------------------------------------------------------


def test_an_update_records_the_names_of_the_changed_fields_only(client: Client, member: User) -> None:
    # when a member changes the phone and notes, and repeats the unchanged name
    do_update_client(client, member, name=NAME, phone="+33 7 00 00 00 01", notes="NEWNOTEMARKER")

    # then the change is stored and one event names the two fields, without their values
    again = Client.objects.get(pk=client.pk)
    assert (again.name, again.phone, again.notes) == (NAME, "+33 7 00 00 00 01", "NEWNOTEMARKER")
    [event] = events("client.updated", client)
    assert event.extra == {"fields": ["notes", "phone"]}
    assert (event.actor_kind, event.actor_id) == ("staff", str(member.pk))
    for value in ("+33 7 00 00 00 01", "NEWNOTEMARKER", NAME, PHONE, NOTES):
        assert value not in repr(event.extra)


def test_an_update_that_changes_nothing_records_nothing(client: Client, owner: User) -> None:
    before = state()

    do_update_client(client, owner, name=NAME, email=EMAIL)

    assert state() == before


def test_changing_the_email_keeps_it_searchable(client: Client, workspace: Workspace, owner: User) -> None:
    do_update_client(client, owner, email="camille.new@client.example", name="Camille Martin")

    assert found(workspace, "camille.new@client.example") == [client]
    assert found(workspace, "camille martin") == [client]
    assert found(workspace, EMAIL) == [] and found(workspace, NAME) == []
    assert b"camille.new" not in raw_bytes("collection_client", client.pk)
    [event] = events("client.updated", client)
    assert event.extra == {"fields": ["email", "name"]}


def test_an_update_to_another_clients_email_is_refused(client: Client, workspace: Workspace,
                                                       owner: User) -> None:
    other = do_create_client(workspace, owner, name="Ann Lee", email="ann@client.example")
    before = state()

    with pytest.raises(ValidationError) as refused:
        do_update_client(other, owner, email=EMAIL.upper())

    assert "email" in refused.value.message_dict
    assert state() == before


@pytest.mark.parametrize("changes", [{"name": ""}, {"email": "nope"}, {"language": "xx"}])
def test_an_invalid_update_is_refused(client: Client, owner: User, changes: dict[str, str]) -> None:
    before = state()

    with pytest.raises(ValidationError):
        do_update_client(client, owner, **changes)

    assert state() == before


# --- tenancy -------------------------------------------------------------------------------------


def test_owner_and_member_manage_clients_of_their_workspace(
    workspace: Workspace, owner: User, member: User
) -> None:
    made = do_create_client(workspace, member, name="Ann Lee", email="ann@client.example")
    do_update_client(made, owner, notes="seen")

    assert Client.objects.get(pk=made.pk).notes == "seen"


def test_an_outsider_can_neither_create_nor_change_firm_a_clients(
    client: Client, workspace: Workspace, outsider: User
) -> None:
    """The actions themselves refuse a staff actor of another workspace (`require_member`), so a view
    that forgets its access check still cannot write into Firm A."""
    # given Firm A's client, and everything stored
    before = state()

    # when Firm B's owner tries to add a client to Firm A, and to change Firm A's client
    with pytest.raises((PermissionDenied, Http404)):
        do_create_client(workspace, outsider, name="Planted Client", email="planted@client.example")
    with pytest.raises((PermissionDenied, Http404)):
        do_update_client(client, outsider, email="stolen@firm-b.example")

    # then nothing changed
    assert state() == before
