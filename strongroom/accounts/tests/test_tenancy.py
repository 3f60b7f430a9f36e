"""Tenancy: staff see only their own workspaces, only managers change memberships, every change is
audited in the workspace's chain, and staff accounts are created and signed in to safely.

Permission tests use Firm A (owner, member) and Firm B (outsider), and assert that nothing leaked
and nothing changed.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.http import Http404

from conftest import PASSWORD, make_user
from strongroom.accounts.access import (
    MANAGERS,
    get_in_workspace,
    require_role,
    visible_workspaces,
    workspace_for,
)
from strongroom.accounts.actions import (
    do_add_member,
    do_change_role,
    do_create_user,
    do_create_workspace,
    do_remove_member,
)
from strongroom.accounts.models import Membership, Role, User, Workspace
from strongroom.audit.actors import operator
from strongroom.audit.chain import verify_chain
from strongroom.audit.models import INSTALLATION_CHAIN, Event
from strongroom.crypto.models import SubjectKey

pytestmark = pytest.mark.django_db


# --- helpers -------------------------------------------------------------------------------------


def state() -> tuple[Any, ...]:
    """Everything a membership action could change: memberships, events, users, workspaces."""
    memberships = sorted(
        (str(m.workspace_id), str(m.user_id), m.role) for m in Membership.objects.all()
    )
    return (memberships, Event.objects.count(), User.objects.count(), Workspace.objects.count(),
            SubjectKey.objects.count())


def membership(user: User, workspace: Workspace) -> Membership:
    return Membership.objects.get(user=user, workspace=workspace)


def last_event(workspace: Workspace) -> Event:
    return Event.objects.filter(chain=str(workspace.id)).latest("seq")


@pytest.fixture
def newcomer(db: Any) -> User:
    return make_user("newcomer@firm-a.example", "Nina Newcomer")


@pytest.fixture
def admin(workspace: Workspace) -> User:
    user = make_user("admin@firm-a.example", "Ada Admin")
    do_add_member(workspace, user, Role.ADMIN, operator("test"))
    return user


# --- access helpers ------------------------------------------------------------------------------


def test_members_get_their_workspace(
    workspace: Workspace, other_workspace: Workspace, owner: User, member: User, outsider: User
) -> None:
    assert workspace_for(owner, workspace.id) == workspace
    assert workspace_for(member, str(workspace.id)) == workspace
    assert workspace_for(outsider, other_workspace.id) == other_workspace
    assert list(visible_workspaces(owner)) == [workspace]
    assert list(visible_workspaces(member)) == [workspace]
    assert list(visible_workspaces(outsider)) == [other_workspace]


@pytest.mark.parametrize("workspace_id", ["firm a", "random", "malformed", "empty", "none"])
def test_outsiders_get_the_same_404_for_every_workspace_not_theirs(
    workspace: Workspace, other_workspace: Workspace, outsider: User, workspace_id: str
) -> None:
    # given ids of Firm A, of nothing, and not ids at all
    given = {"firm a": workspace.id, "random": uuid.uuid4(), "malformed": "1; DROP TABLE x",
             "empty": "", "none": None}[workspace_id]

    # when the outsider asks for them, then each answer is the same 404: nothing tells them apart
    with pytest.raises(Http404) as answer:
        workspace_for(outsider, given)
    assert str(answer.value) in {"No such workspace.", "No such record."}
    with pytest.raises(Http404):
        require_role(outsider, given, MANAGERS)


def test_a_firm_a_id_answers_exactly_like_a_random_one(
    workspace: Workspace, other_workspace: Workspace, outsider: User
) -> None:
    with pytest.raises(Http404) as existing:
        workspace_for(outsider, workspace.id)
    with pytest.raises(Http404) as random:
        workspace_for(outsider, uuid.uuid4())

    assert str(existing.value) == str(random.value)


def test_signed_out_and_inactive_users_see_no_workspace(workspace: Workspace, owner: User) -> None:
    with pytest.raises(Http404):
        workspace_for(AnonymousUser(), workspace.id)  # type: ignore[arg-type]

    owner.is_active = False  # in memory only: the check must not depend on a fresh read
    with pytest.raises(Http404):
        workspace_for(owner, workspace.id)


def test_records_of_a_workspace_are_reached_only_by_its_members(
    workspace: Workspace, other_workspace: Workspace, owner: User, member: User, outsider: User
) -> None:
    # given a membership of Firm A and one of Firm B
    firm_a_record = membership(member, workspace)
    firm_b_record = membership(outsider, other_workspace)
    everything = Membership.objects.all()

    # then Firm A's members reach Firm A's record through Firm A
    assert get_in_workspace(everything, owner, workspace.id, firm_a_record.id) == firm_a_record
    assert get_in_workspace(everything, member, workspace.id, str(firm_a_record.id)) == firm_a_record
    assert get_in_workspace(everything, outsider, other_workspace.id, firm_b_record.id) == firm_b_record

    # and the outsider gets 404 through Firm A's id, and through their OWN workspace's id
    with pytest.raises(Http404):
        get_in_workspace(everything, outsider, workspace.id, firm_a_record.id)
    with pytest.raises(Http404):
        get_in_workspace(everything, outsider, other_workspace.id, firm_a_record.id)
    # and Firm A's owner can't reach Firm B's record through Firm A either
    with pytest.raises(Http404):
        get_in_workspace(everything, owner, workspace.id, firm_b_record.id)
    # and nonsense ids are 404 too
    for bad in (uuid.uuid4(), "not-a-uuid", ""):
        with pytest.raises(Http404):
            get_in_workspace(everything, owner, workspace.id, bad)


def test_require_role_separates_403_from_404(
    workspace: Workspace, other_workspace: Workspace, owner: User, member: User, outsider: User
) -> None:
    assert require_role(owner, workspace.id, MANAGERS) == membership(owner, workspace)
    assert require_role(owner, workspace.id, (Role.OWNER,)).role == Role.OWNER
    assert require_role(member, workspace.id, (Role.MEMBER, *MANAGERS)).role == Role.MEMBER

    # a known workspace, a role that is not enough: 403
    with pytest.raises(PermissionDenied):
        require_role(member, workspace.id, MANAGERS)
    with pytest.raises(PermissionDenied):
        require_role(member, workspace.id, (Role.OWNER,))
    # a workspace the actor is not in: 404, whatever the role asked for
    with pytest.raises(Http404):
        require_role(outsider, workspace.id, MANAGERS)
    with pytest.raises(Http404):
        require_role(outsider, workspace.id, (Role.MEMBER,))


# --- membership actions ----------------------------------------------------------------------------


def test_a_new_workspace_starts_its_own_chain_with_its_owner(
    other_workspace: Workspace, owner: User
) -> None:
    firm = do_create_workspace("  Firm C  ", owner, owner)

    assert firm.name == "Firm C"
    assert membership(owner, firm).role == Role.OWNER
    events = list(Event.objects.filter(chain=str(firm.id)).order_by("seq"))
    assert [(e.seq, e.action) for e in events] == [(1, "workspace.created"), (2, "membership.added")]
    assert events[1].extra == {"user": str(owner.pk), "role": "owner"}
    assert list(visible_workspaces(owner)) == [firm]
    with pytest.raises(ValidationError, match="needs a name"):
        do_create_workspace(" ", owner, owner)


def test_an_owner_adds_a_member_and_it_is_audited(
    workspace: Workspace, other_workspace: Workspace, owner: User, newcomer: User
) -> None:
    # given Firm B's chain as it stands
    firm_b_events = Event.objects.filter(chain=str(other_workspace.id)).count()

    # when the owner adds the newcomer
    added = do_add_member(workspace, newcomer, Role.MEMBER, owner)

    # then the newcomer is a member, and Firm A's chain says who added whom with which role
    assert membership(newcomer, workspace) == added
    assert workspace_for(newcomer, workspace.id) == workspace
    event = last_event(workspace)
    assert (event.action, event.workspace, event.actor_kind, event.actor_id) == (
        "membership.added", workspace.id, "staff", str(owner.pk))
    assert (event.target_type, event.target_id) == ("accounts.membership", str(added.pk))
    assert event.extra == {"user": str(newcomer.pk), "role": "member"}
    assert verify_chain(str(workspace.id)).ok
    # and nothing was written to Firm B's chain
    assert Event.objects.filter(chain=str(other_workspace.id)).count() == firm_b_events


def test_members_cannot_manage_members(
    workspace: Workspace, other_workspace: Workspace, owner: User, member: User, newcomer: User
) -> None:
    # given the state of both workspaces
    before = state()
    attempts: list[Callable[[], object]] = [
        lambda: do_add_member(workspace, newcomer, Role.MEMBER, member),
        lambda: do_remove_member(membership(owner, workspace), member),
        lambda: do_change_role(membership(member, workspace), Role.ADMIN, member),
        lambda: do_change_role(membership(owner, workspace), Role.MEMBER, member),
    ]

    # when the member tries to add, remove, promote themselves or demote the owner, each is refused
    for attempt in attempts:
        with pytest.raises(PermissionDenied):
            attempt()

    # and nothing changed
    assert state() == before


def test_outsiders_cannot_manage_another_firms_members(
    workspace: Workspace, other_workspace: Workspace, owner: User, member: User, outsider: User,
    newcomer: User,
) -> None:
    before = state()
    attempts: list[Callable[[], object]] = [
        lambda: do_add_member(workspace, newcomer, Role.MEMBER, outsider),
        lambda: do_add_member(workspace, outsider, Role.OWNER, outsider),
        lambda: do_remove_member(membership(member, workspace), outsider),
        lambda: do_change_role(membership(member, workspace), Role.OWNER, outsider),
        # and the other way round: Firm A's owner has no say in Firm B
        lambda: do_add_member(other_workspace, owner, Role.OWNER, owner),
        lambda: do_remove_member(membership(outsider, other_workspace), owner),
    ]

    for attempt in attempts:
        with pytest.raises(PermissionDenied):
            attempt()

    assert state() == before
    assert list(visible_workspaces(outsider)) == [other_workspace]


def test_admins_manage_members_but_not_owners(
    workspace: Workspace, owner: User, member: User, admin: User, newcomer: User
) -> None:
    # given an admin can add a plain member
    do_add_member(workspace, newcomer, Role.MEMBER, admin)
    assert membership(newcomer, workspace).role == Role.MEMBER
    stranger = make_user("stranger@firm-a.example")
    before = state()

    # when the admin tries to grant, take away or remove the owner role, each is refused
    attempts: list[Callable[[], object]] = [
        lambda: do_change_role(membership(member, workspace), Role.OWNER, admin),
        lambda: do_change_role(membership(owner, workspace), Role.MEMBER, admin),
        lambda: do_remove_member(membership(owner, workspace), admin),
    ]
    for attempt in attempts:
        with pytest.raises(PermissionDenied):
            attempt()
    with pytest.raises(PermissionDenied):
        do_add_member(workspace, stranger, Role.OWNER, admin)

    # and nothing changed
    assert state() == before
    assert membership(owner, workspace).role == Role.OWNER


def test_the_last_owner_stays(workspace: Workspace, owner: User) -> None:
    before = state()
    own = membership(owner, workspace)

    with pytest.raises(ValidationError, match="at least one owner"):
        do_change_role(own, Role.ADMIN, owner)
    with pytest.raises(ValidationError, match="at least one owner"):
        do_remove_member(own, owner)

    assert state() == before
    assert membership(owner, workspace).role == Role.OWNER


def test_an_owner_can_step_down_once_another_owner_exists(
    workspace: Workspace, owner: User, member: User
) -> None:
    do_change_role(membership(member, workspace), Role.OWNER, owner)

    do_change_role(membership(owner, workspace), Role.MEMBER, owner)

    assert membership(owner, workspace).role == Role.MEMBER
    assert membership(member, workspace).role == Role.OWNER


def test_a_role_change_is_audited_with_old_and_new_role(
    workspace: Workspace, owner: User, member: User
) -> None:
    target = membership(member, workspace)

    changed = do_change_role(target, Role.ADMIN, owner)

    assert changed.role == Role.ADMIN == membership(member, workspace).role
    event = last_event(workspace)
    assert (event.action, event.actor_id, event.target_id) == (
        "membership.role_changed", str(owner.pk), str(target.pk))
    assert event.extra == {"old_role": "member", "role": "admin"}
    assert verify_chain(str(workspace.id)).ok


def test_a_removal_is_audited(workspace: Workspace, owner: User, member: User) -> None:
    target = membership(member, workspace)

    do_remove_member(target, owner)

    assert not Membership.objects.filter(pk=target.pk).exists()
    with pytest.raises(Http404):
        workspace_for(member, workspace.id)
    event = last_event(workspace)
    assert (event.action, event.workspace, event.target_id) == (
        "membership.removed", workspace.id, str(target.pk))
    assert event.extra == {"user": str(member.pk), "role": "member"}
    assert verify_chain(str(workspace.id)).ok


def test_unknown_roles_and_double_memberships_are_refused(
    workspace: Workspace, owner: User, member: User, newcomer: User
) -> None:
    before = state()

    with pytest.raises(ValidationError, match="Unknown role"):
        do_add_member(workspace, newcomer, "superuser", owner)
    with pytest.raises(ValidationError, match="Unknown role"):
        do_change_role(membership(member, workspace), "root", owner)
    with pytest.raises(ValidationError, match="already a member"):
        do_add_member(workspace, member, Role.ADMIN, owner)

    assert state() == before


# --- users and sign-in ----------------------------------------------------------------------------


def test_sign_in_ignores_case_and_surrounding_spaces(owner: User) -> None:
    signed_in = authenticate(None, email="  OWNER@Firm-A.example ", password=PASSWORD)

    assert signed_in == owner
    event = Event.objects.filter(action="login.succeeded").get()
    assert (event.chain, event.actor_kind, event.actor_id, event.subject) == (
        INSTALLATION_CHAIN, "staff", str(owner.pk), owner.subject_id)


def test_a_wrong_password_is_refused_and_audited_against_the_account(owner: User) -> None:
    assert authenticate(None, email="owner@firm-a.example", password=PASSWORD + "!") is None

    event = Event.objects.filter(action="login.failed").get()
    assert (event.actor_kind, event.subject, event.target_id) == (
        "anonymous", owner.subject_id, str(owner.pk))
    assert event.extra == {"reason": "wrong password or inactive account"}
    assert not Event.objects.filter(action="login.succeeded").exists()


def test_an_unknown_email_is_refused_and_audited_without_it() -> None:
    assert authenticate(None, email="nobody@firm-a.example", password=PASSWORD) is None

    event = Event.objects.filter(action="login.failed").get()
    assert (event.actor_kind, event.subject, event.target_id) == ("anonymous", None, "")
    assert event.extra == {"reason": "unknown account"}
    assert "nobody" not in repr(list(Event.objects.values()))


def test_an_inactive_account_cannot_sign_in(owner: User) -> None:
    User.objects.filter(pk=owner.pk).update(is_active=False)

    assert authenticate(None, email="owner@firm-a.example", password=PASSWORD) is None
    assert Event.objects.filter(action="login.failed", subject=owner.subject_id).exists()


def test_passwords_are_stored_as_argon2(owner: User) -> None:
    stored = User.objects.get(pk=owner.pk)

    assert stored.password.startswith("argon2")
    assert PASSWORD not in stored.password
    assert stored.check_password(PASSWORD)


@pytest.mark.parametrize(("email", "password", "message"), [
    ("OWNER@firm-a.example", PASSWORD, "already exists"),
    (" owner@FIRM-A.EXAMPLE ", PASSWORD, "already exists"),
    ("not-an-email", PASSWORD, "valid email"),
    ("", PASSWORD, "valid email"),
    ("weak@firm-a.example", "password", "too common"),
    ("short@firm-a.example", "x7!", "too short"),
])
def test_bad_new_users_are_refused(owner: User, email: str, password: str, message: str) -> None:
    before = state()

    with pytest.raises(ValidationError) as refused:
        do_create_user(email, password, operator("test"))

    assert message in " ".join(refused.value.messages)
    assert state() == before


def test_a_user_without_a_password_cannot_sign_in(db: Any) -> None:
    user = do_create_user("sso@firm-a.example", None, operator("test"))

    assert not user.has_usable_password()
    assert authenticate(None, email="sso@firm-a.example", password="") is None


# --- management commands --------------------------------------------------------------------------


def _password_file(tmp_path: Path, password: str = PASSWORD) -> str:
    path = tmp_path / "password"
    path.write_text(password + "\n", encoding="utf-8")
    return str(path)


def test_users_and_workspaces_are_created_from_the_command_line(tmp_path: Path) -> None:
    out = StringIO()

    call_command("users", "create", "Carla@Firm-C.example", "--name", "Carla",
                 "--password-file", _password_file(tmp_path), stdout=out)
    call_command("workspaces", "create", "Firm C", "--owner", "carla@firm-c.example", stdout=out)

    carla = User.objects.with_email("carla@firm-c.example").get()
    firm = Workspace.objects.get(name="Firm C")
    assert out.getvalue().splitlines() == [f"user {carla.pk} created", f"workspace {firm.pk} created"]
    assert (carla.email, carla.name) == ("Carla@Firm-C.example", "Carla")
    assert authenticate(None, email="carla@firm-c.example", password=PASSWORD) == carla
    assert membership(carla, firm).role == Role.OWNER
    created = Event.objects.get(action="user.created", target_id=str(carla.pk))
    assert (created.actor_kind, created.actor_id) == ("operator", "users create")
    assert last_event(firm).actor_id == "workspaces create"


def test_users_command_without_password_file_needs_no_password_flag(tmp_path: Path) -> None:
    call_command("users", "create", "robot@firm-c.example", "--no-password", stdout=StringIO())

    assert not User.objects.with_email("robot@firm-c.example").get().has_usable_password()


def test_workspaces_command_with_an_unknown_owner_explains(owner: User) -> None:
    before = state()

    with pytest.raises(CommandError) as failed:
        call_command("workspaces", "create", "Firm X", "--owner", "ghost@firm-x.example",
                     stdout=StringIO())

    assert str(failed.value) == (
        "no staff user has the e-mail ghost@firm-x.example; create it first")
    assert state() == before


def test_workspaces_command_refuses_a_blank_name(owner: User) -> None:
    before = state()

    with pytest.raises(CommandError, match="needs a name"):
        call_command("workspaces", "create", "   ", "--owner", "owner@firm-a.example",
                     stdout=StringIO())

    assert state() == before


@pytest.mark.parametrize(("email", "password", "message"), [
    ("Owner@Firm-A.example", PASSWORD, "A user with this e-mail address already exists."),
    ("fresh@firm-a.example", "password", "too common"),
    ("no-at-sign", PASSWORD, "valid email"),
])
def test_users_command_refuses_bad_users(
    owner: User, tmp_path: Path, email: str, password: str, message: str
) -> None:
    before = state()

    with pytest.raises(CommandError, match=message):
        call_command("users", "create", email, "--password-file",
                     _password_file(tmp_path, password), stdout=StringIO())

    assert state() == before
