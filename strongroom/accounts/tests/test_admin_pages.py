"""Workspace administration pages: settings and logo (owners only), members and invitations (owners
and admins), the demo outbox (owners, and only when mail is not really sent), and withdrawing every
link of a request.

Permission tests use Firm A (owner, admin, member) and Firm B (outsider), and assert that nothing
leaked and nothing changed.
"""

from __future__ import annotations

import struct
import zlib
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.auth import authenticate
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import PASSWORD, make_user
from strongroom.accounts.actions import do_add_member
from strongroom.accounts.invitations import do_invite, find_invitation, token_hash, workspace_subject
from strongroom.accounts.models import Invitation, Membership, Role, User, Workspace
from strongroom.audit.actors import operator
from strongroom.audit.models import Event
from strongroom.collection.models import Request
from strongroom.collection.tests.factories import make_client, make_request, question, use_outbox
from strongroom.crypto.models import SubjectKey
from strongroom.mail import outbox
from strongroom.portal.links import do_issue_link, find_link
from strongroom.vault.actions import read_blob
from strongroom.vault.models import Blob

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a brand new passphrase 1234"


# --- helpers -------------------------------------------------------------------------------------


@pytest.fixture
def admin(workspace: Workspace) -> User:
    user = make_user("admin@firm-a.example", "Ada Admin")
    do_add_member(workspace, user, Role.ADMIN, operator("test"))
    return user


@pytest.fixture
def mail_folder(settings: Any, tmp_path: Path) -> Path:
    return use_outbox(settings, tmp_path)


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def url(name: str, *args: Any) -> str:
    return reverse(f"admin_pages:{name}", args=args)


def state(workspace: Workspace) -> tuple[Any, ...]:
    """Everything these pages could change."""
    memberships = sorted((str(m.workspace_id), str(m.user_id), m.role) for m in Membership.objects.all())
    return (
        Workspace.objects.filter(pk=workspace.pk).values().get(), memberships, Event.objects.count(),
        Blob.objects.count(), SubjectKey.objects.count(), Invitation.objects.count(), User.objects.count(),
    )


def stored_files(settings: Any) -> list[Path]:
    root = Path(settings.BLOB_DIR)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def settings_form(workspace: Workspace, **changes: Any) -> dict[str, Any]:
    data = {
        "name": workspace.name, "accent_colour": workspace.accent_colour,
        "privacy_policy_url": workspace.privacy_policy_url, "dpo_contact": workspace.dpo_contact,
        "default_language": workspace.default_language, "remind_days_before": workspace.remind_days_before,
        "remind_on_due_date": "on" if workspace.remind_on_due_date else "",
        "remind_every_days_after": workspace.remind_every_days_after,
        "remind_max_after": workspace.remind_max_after,
        "require_client_code": "on" if workspace.require_client_code else "",
        "link_days_after_close": workspace.link_days_after_close,
    }
    data.update(changes)
    return {k: ("" if v is None else v) for k, v in data.items() if v != ""}


def png(padding: int = 0) -> bytes:
    """A 1x1 PNG; `padding` bytes of text chunk make it as large as a test needs."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    extra = chunk(b"tEXt", b"c\x00" + b"x" * padding) if padding else b""
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\x00")) + extra + chunk(b"IEND", b""))


def the_only_mail() -> Any:
    [listed] = outbox.list_messages()
    return outbox.read_message(listed.id)


def accept_link(mail: Any) -> str:
    [link] = [found for found in outbox.find_links(mail) if "/invitations/" in found]
    assert link.startswith(settings.BASE_URL)
    return urlsplit(link).path


def invite(client: Client, workspace: Workspace, email: str, role: str, django_capture: Any) -> Any:
    with django_capture(execute=True):
        return client.post(url("members", workspace.pk), {"email": email, "role": role})


# --- settings ------------------------------------------------------------------------------------


def test_an_owner_saves_settings_and_only_field_names_are_audited(owner: User, workspace: Workspace) -> None:
    # given the owner on the settings page
    client = signed_in(owner)
    assert client.get(url("settings", workspace.pk)).status_code == 200

    # when they change the colour, the policy, the reminders and the client code
    response = client.post(url("settings", workspace.pk), settings_form(
        workspace, accent_colour="#AA3300", privacy_policy_url="https://firm-a.example/privacy",
        dpo_contact="dpo@firm-a.example", remind_days_before=5, remind_on_due_date="",
        require_client_code="on", default_language="fr",
    ))

    # then they are saved
    assert response.status_code == 302
    saved = Workspace.objects.get(pk=workspace.pk)
    assert (saved.accent_colour, saved.privacy_policy_url, saved.dpo_contact) == (
        "#aa3300", "https://firm-a.example/privacy", "dpo@firm-a.example")
    assert (saved.remind_days_before, saved.remind_on_due_date, saved.require_client_code) == (5, False, True)
    assert saved.default_language == "fr"
    # and one event names the fields, never their values
    [event] = Event.objects.filter(action="workspace.settings_changed")
    assert event.extra == {"fields": sorted([
        "accent_colour", "privacy_policy_url", "dpo_contact", "remind_days_before", "remind_on_due_date",
        "require_client_code", "default_language"])}
    assert (event.actor_id, event.workspace) == (str(owner.pk), workspace.pk)
    assert "dpo@firm-a.example" not in str(event.extra)


def test_saving_unchanged_settings_records_no_change(owner: User, workspace: Workspace) -> None:
    response = signed_in(owner).post(url("settings", workspace.pk), settings_form(workspace))

    assert response.status_code == 302
    assert not Event.objects.filter(action="workspace.settings_changed").exists()


@pytest.mark.parametrize(("who", "status"), [("member", 403), ("admin", 403), ("outsider", 404)])
def test_settings_are_refused_to_non_owners_and_nothing_changes(
    request: pytest.FixtureRequest, workspace: Workspace, admin: User, other_workspace: Workspace,
    who: str, status: int,
) -> None:
    # given someone who is not an owner of Firm A
    client = signed_in(request.getfixturevalue(who))
    before = state(workspace)

    # when they open the page and post new settings with a logo
    seen = client.get(url("settings", workspace.pk))
    posted = client.post(url("settings", workspace.pk), settings_form(
        workspace, name="Hijacked", logo=SimpleUploadedFile("logo.png", png())))

    # then they are refused, nothing of Firm A shows, and nothing changed
    assert (seen.status_code, posted.status_code) == (status, status)
    assert b"Firm A" not in seen.content + posted.content
    assert state(workspace) == before


def test_the_settings_link_shows_to_owners_only(owner: User, member: User, workspace: Workspace) -> None:
    settings_url = url("settings", workspace.pk).encode()

    assert settings_url in signed_in(owner).get(url("members", workspace.pk)).content
    assert settings_url not in signed_in(member).get(url("members", workspace.pk)).content


@pytest.mark.parametrize(("field", "value", "message"), [
    ("accent_colour", "red", "#rrggbb"),
    ("accent_colour", "#12345", "#rrggbb"),
    ("accent_colour", "#1234567", "#rrggbb"),
    ("privacy_policy_url", "not a url", "valid URL"),
    ("privacy_policy_url", "javascript:alert(1)", "valid URL"),
    ("privacy_policy_url", "ftp://firm-a.example/policy", "valid URL"),
    ("name", "   ", "This field is required"),
    ("link_days_after_close", "-1", "greater than or equal to 0"),
])
def test_bad_settings_give_clear_errors_and_change_nothing(
    owner: User, workspace: Workspace, field: str, value: str, message: str
) -> None:
    workspace_subject(workspace, owner)  # made by the first owner's post, whatever its fate
    before = state(workspace)

    form = settings_form(workspace, **{field: value})
    response = signed_in(owner).post(url("settings", workspace.pk), form)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert state(workspace) == before


# --- logo ----------------------------------------------------------------------------------------


def test_an_owner_uploads_a_png_logo_sealed_under_the_workspaces_own_key(
    owner: User, workspace: Workspace
) -> None:
    # when the owner uploads a PNG logo
    data = png()
    response = signed_in(owner).post(url("settings", workspace.pk), settings_form(
        workspace, logo=SimpleUploadedFile("logo.png", data, content_type="image/png")))

    # then it is the workspace's logo, sealed under a subject key of kind "workspace", and reads back
    assert response.status_code == 302
    logo = Workspace.objects.select_related("logo__subject").get(pk=workspace.pk).logo
    assert logo is not None
    assert logo.subject.kind == SubjectKey.Kind.WORKSPACE
    assert logo.subject.keyring.workspace_id == workspace.pk
    assert logo.meta["content_type"] == "image/png"
    assert b"".join(read_blob(logo)) == data
    [event] = Event.objects.filter(action="workspace.settings_changed")
    assert event.extra == {"fields": ["logo"]}
    assert Event.objects.filter(action="blob.stored", target_id=str(logo.pk)).count() == 1


def test_the_logo_upload_works_behind_a_real_csrf_check(owner: User, workspace: Workspace) -> None:
    # given a browser-like client that must show its CSRF token
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    client.get(url("settings", workspace.pk))
    token = client.cookies["csrftoken"].value

    # when it posts without the token, then nothing is kept
    refused = client.post(url("settings", workspace.pk), settings_form(
        workspace, logo=SimpleUploadedFile("logo.png", png())))
    assert refused.status_code == 403
    assert not Blob.objects.exists()

    # when it posts with the token, then the logo is kept
    kept = client.post(url("settings", workspace.pk), settings_form(
        workspace, csrfmiddlewaretoken=token, logo=SimpleUploadedFile("logo.png", png())))
    assert kept.status_code == 302
    assert Workspace.objects.get(pk=workspace.pk).logo_id is not None


def test_the_workspace_key_is_made_once_on_the_first_owner_post_and_audited(
    owner: User, workspace: Workspace
) -> None:
    client = signed_in(owner)
    client.get(url("settings", workspace.pk))
    assert not SubjectKey.objects.filter(kind=SubjectKey.Kind.WORKSPACE).exists()

    for _ in range(2):
        client.post(url("settings", workspace.pk), settings_form(workspace))

    [key] = SubjectKey.objects.filter(kind=SubjectKey.Kind.WORKSPACE)
    assert key.keyring.workspace_id == workspace.pk
    [event] = Event.objects.filter(action="workspace.subject_created")
    assert (event.subject, event.workspace) == (key.pk, workspace.pk)


def test_a_second_logo_replaces_the_first_and_removing_it_leaves_no_file(
    settings: Any, owner: User, workspace: Workspace, django_capture_on_commit_callbacks: Any
) -> None:
    client = signed_in(owner)
    for name in ("one.png", "two.png"):
        form = settings_form(workspace, logo=SimpleUploadedFile(name, png()))
        with django_capture_on_commit_callbacks(execute=True):
            client.post(url("settings", workspace.pk), form)

    # the second logo reuses the workspace key, and the first one is gone: row and sealed file
    assert SubjectKey.objects.filter(kind=SubjectKey.Kind.WORKSPACE).count() == 1
    assert Workspace.objects.get(pk=workspace.pk).logo.meta["name"] == "two.png"  # type: ignore[union-attr]
    assert Blob.objects.count() == 1
    assert len(stored_files(settings)) == 1

    with django_capture_on_commit_callbacks(execute=True):
        client.post(url("settings", workspace.pk), settings_form(workspace, remove_logo="on"))

    assert Workspace.objects.get(pk=workspace.pk).logo is None
    assert not Blob.objects.exists()
    assert stored_files(settings) == []


@pytest.mark.parametrize(("name", "data", "message"), [
    ("report.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n",
     "not a kind of file accepted here"),
    ("renamed.png", b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n", "not a kind of file accepted here"),
    ("huge.png", png(padding=1024 * 1024 + 1), "larger than the 1 MB"),
])
def test_a_logo_that_is_not_a_small_png_or_jpeg_is_refused_and_nothing_is_stored(
    settings: Any, owner: User, workspace: Workspace, name: str, data: bytes, message: str
) -> None:
    before_files = stored_files(settings)

    response = signed_in(owner).post(url("settings", workspace.pk), settings_form(
        workspace, name="Firm A renamed", logo=SimpleUploadedFile(name, data)))

    assert response.status_code == 400
    assert message in response.content.decode()
    saved = Workspace.objects.get(pk=workspace.pk)
    assert (saved.logo_id, saved.name) == (None, "Firm A")
    assert not Blob.objects.exists()
    assert stored_files(settings) == before_files
    assert not Event.objects.filter(action__in=["blob.stored", "workspace.settings_changed"]).exists()


# --- invitations ---------------------------------------------------------------------------------


def test_an_invited_newcomer_sets_a_password_and_joins_with_the_role(
    owner: User, workspace: Workspace, mail_folder: Path, django_capture_on_commit_callbacks: Any
) -> None:
    # given the owner invites a newcomer as admin
    response = invite(signed_in(owner), workspace, "nina@firm-a.example", Role.ADMIN,
                      django_capture_on_commit_callbacks)
    assert response.status_code == 302

    # then an inactive account without a password exists, and the invitation keeps only a hash
    [newcomer] = User.objects.with_email("nina@firm-a.example")
    assert not newcomer.is_active and not newcomer.has_usable_password()
    invitation = Invitation.objects.get(user=newcomer)
    assert (invitation.role, invitation.workspace_id) == (Role.ADMIN, workspace.pk)
    assert invitation.expires_at - timezone.now() > timedelta(days=6, hours=23)
    assert Event.objects.filter(action="membership.invited", target_id=str(invitation.pk)).count() == 1

    # and the e-mail carries the accept link, whose token is stored only as its SHA-256
    mail = the_only_mail()
    assert mail["To"] == "nina@firm-a.example"
    path = accept_link(mail)
    token = path.rstrip("/").rsplit("/", 1)[1]
    assert invitation.token_hash == token_hash(token)
    assert not Event.objects.filter(extra__icontains=token).exists()

    # when the newcomer opens the link and chooses a password
    visitor = Client()
    page = visitor.get(path)
    assert page.status_code == 200 and b"Firm A" in page.content
    with django_capture_on_commit_callbacks(execute=True):
        joined = visitor.post(path, {"password": NEW_PASSWORD, "password2": NEW_PASSWORD})

    # then they are signed in, a member with the role, and can sign in again later
    assert joined.status_code == 302
    assert joined["Location"] == reverse("staff:dashboard", args=[workspace.pk])
    assert Membership.objects.get(user=newcomer, workspace=workspace).role == Role.ADMIN
    assert visitor.get(reverse("staff:dashboard", args=[workspace.pk])).status_code == 200
    assert authenticate(username="nina@firm-a.example", password=NEW_PASSWORD) == newcomer
    assert Client().login(username="nina@firm-a.example", password=NEW_PASSWORD)
    assert Event.objects.filter(action="membership.invitation_accepted").count() == 1
    # and the link is spent
    assert visitor.get(path).status_code == 404


def test_a_weak_or_mismatched_password_is_refused_and_the_invitation_stays(
    owner: User, workspace: Workspace, mail_folder: Path, django_capture_on_commit_callbacks: Any
) -> None:
    capture = django_capture_on_commit_callbacks
    invite(signed_in(owner), workspace, "nina@firm-a.example", Role.MEMBER, capture)
    path = accept_link(the_only_mail())

    weak = Client().post(path, {"password": "short", "password2": "short"})
    differ = Client().post(path, {"password": NEW_PASSWORD, "password2": NEW_PASSWORD + "x"})

    assert (weak.status_code, differ.status_code) == (400, 400)
    assert b"too short" in weak.content and b"differ" in differ.content
    [newcomer] = User.objects.with_email("nina@firm-a.example")
    assert not newcomer.is_active
    assert not Membership.objects.filter(user=newcomer).exists()
    assert Client().get(path).status_code == 200


def test_an_existing_user_must_be_signed_in_as_themselves_to_accept(
    owner: User, outsider: User, member: User, workspace: Workspace, other_workspace: Workspace,
    mail_folder: Path, django_capture_on_commit_callbacks: Any,
) -> None:
    # given the outsider (an active user of Firm B) is invited to Firm A
    capture = django_capture_on_commit_callbacks
    invite(signed_in(owner), workspace, "owner@firm-b.example", Role.MEMBER, capture)
    path = accept_link(the_only_mail())

    # when nobody, or someone else, tries to accept it, then they are refused and nothing changes
    anonymous = Client().post(path)
    someone_else = signed_in(member).post(path)
    assert (anonymous.status_code, someone_else.status_code) == (400, 400)
    assert b"Sign in as the invited account" in someone_else.content
    assert not Membership.objects.filter(user=outsider, workspace=workspace).exists()

    # when the outsider, signed in, accepts
    response = signed_in(outsider).post(path)

    # then they are a member of Firm A too, and their password did not change
    assert response.status_code == 302
    assert Membership.objects.get(user=outsider, workspace=workspace).role == Role.MEMBER
    assert authenticate(username="owner@firm-b.example", password=PASSWORD) == outsider


@pytest.mark.parametrize("how", ["unknown", "expired", "revoked", "accepted", "garbage"])
def test_a_token_that_cannot_be_accepted_is_a_neutral_404(
    owner: User, workspace: Workspace, mail_folder: Path, how: str
) -> None:
    invitation, token = do_invite(workspace, "nina@firm-a.example", Role.MEMBER, owner)
    if how == "unknown":
        token = token[:-4] + "AAAA"
    elif how == "garbage":
        token = "x" * 200
    elif how == "expired":
        Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    elif how == "revoked":
        Invitation.objects.filter(pk=invitation.pk).update(revoked_at=timezone.now())
    else:
        Invitation.objects.filter(pk=invitation.pk).update(accepted_at=timezone.now())
    before = state(workspace)

    seen = Client().get(url("invitation_accept", token))
    form = {"password": NEW_PASSWORD, "password2": NEW_PASSWORD}
    posted = Client().post(url("invitation_accept", token), form)

    assert (seen.status_code, posted.status_code) == (404, 404)
    assert b"Firm A" not in seen.content + posted.content
    assert state(workspace) == before


def test_an_admin_cannot_invite_an_owner(
    admin: User, workspace: Workspace, mail_folder: Path, django_capture_on_commit_callbacks: Any
) -> None:
    before = state(workspace)

    response = invite(signed_in(admin), workspace, "boss@firm-a.example", Role.OWNER,
                      django_capture_on_commit_callbacks)

    assert response.status_code == 400
    assert state(workspace) == before
    assert outbox.list_messages() == []
    with pytest.raises(PermissionDenied):
        do_invite(workspace, "boss@firm-a.example", Role.OWNER, admin)
    # an admin does invite members and admins
    assert invite(signed_in(admin), workspace, "new@firm-a.example", Role.ADMIN,
                  django_capture_on_commit_callbacks).status_code == 302


@pytest.mark.parametrize(("who", "status"), [("member", 403), ("outsider", 404)])
def test_members_and_outsiders_cannot_invite(
    request: pytest.FixtureRequest, workspace: Workspace, other_workspace: Workspace, mail_folder: Path,
    django_capture_on_commit_callbacks: Any, who: str, status: int,
) -> None:
    before = state(workspace)

    response = invite(signed_in(request.getfixturevalue(who)), workspace, "x@firm-a.example", Role.MEMBER,
                      django_capture_on_commit_callbacks)

    assert response.status_code == status
    assert state(workspace) == before
    assert outbox.list_messages() == []


def test_a_new_invitation_replaces_the_pending_one(owner: User, workspace: Workspace) -> None:
    _first, first_token = do_invite(workspace, "nina@firm-a.example", Role.MEMBER, owner)

    second, second_token = do_invite(workspace, "nina@firm-a.example", Role.ADMIN, owner)

    assert find_invitation(first_token) is None
    assert find_invitation(second_token) == second
    assert Event.objects.get(action="membership.invited", target_id=str(second.pk)).extra["replaced"] == 1
    assert User.objects.with_email("nina@firm-a.example").count() == 1


def test_inviting_a_member_again_is_refused(owner: User, member: User, workspace: Workspace) -> None:
    response = signed_in(owner).post(url("members", workspace.pk),
                                     {"email": "member@firm-a.example", "role": Role.ADMIN})

    assert response.status_code == 400
    assert b"already a member" in response.content
    assert not Invitation.objects.exists()


def test_an_owner_revokes_a_pending_invitation(owner: User, member: User, workspace: Workspace) -> None:
    invitation, token = do_invite(workspace, "nina@firm-a.example", Role.MEMBER, owner)
    assert signed_in(member).post(url("invitation_revoke", workspace.pk, invitation.pk)).status_code == 403
    assert find_invitation(token) is not None

    response = signed_in(owner).post(url("invitation_revoke", workspace.pk, invitation.pk))

    assert response.status_code == 302
    assert find_invitation(token) is None
    assert Event.objects.filter(action="membership.invitation_revoked", target_id=str(invitation.pk)).exists()


def test_the_members_page_lists_people_and_hides_other_workspaces(
    owner: User, member: User, outsider: User, workspace: Workspace, other_workspace: Workspace
) -> None:
    page = signed_in(member).get(url("members", workspace.pk)).content.decode()

    assert "member@firm-a.example" in page and "Olive Owner" in page and "Owner" in page
    assert "firm-b" not in page
    assert "Send invitation" not in page  # members only look
    assert signed_in(outsider).get(url("members", workspace.pk)).status_code == 404


def test_managers_change_roles_and_remove_members_and_see_refusals(
    owner: User, member: User, admin: User, workspace: Workspace, outsider: User, other_workspace: Workspace
) -> None:
    client = signed_in(owner)
    member_ship = Membership.objects.get(user=member, workspace=workspace)
    owner_ship = Membership.objects.get(user=owner, workspace=workspace)

    # an owner promotes a member
    client.post(url("member_role", workspace.pk, member_ship.pk), {"role": Role.ADMIN})
    assert Membership.objects.get(pk=member_ship.pk).role == Role.ADMIN

    # the last owner cannot step down: the page says why
    step_down = url("member_role", workspace.pk, owner_ship.pk)
    response = client.post(step_down, {"role": Role.MEMBER}, follow=True)
    assert "at least one owner" in response.content.decode()
    assert Membership.objects.get(pk=owner_ship.pk).role == Role.OWNER

    # an admin cannot demote an owner
    response = signed_in(admin).post(url("member_role", workspace.pk, owner_ship.pk), {"role": Role.MEMBER},
                                     follow=True)
    assert "Only owners grant or remove the owner role" in response.content.decode()

    # an outsider cannot touch Firm A's memberships, nor a member anyone's
    before = state(workspace)
    assert signed_in(outsider).post(url("member_remove", workspace.pk, member_ship.pk)).status_code == 404
    plain = make_user("plain@firm-a.example")
    do_add_member(workspace, plain, Role.MEMBER, owner)
    before = state(workspace)
    assert signed_in(plain).post(url("member_remove", workspace.pk, member_ship.pk)).status_code == 403
    assert state(workspace) == before

    # an owner removes a member
    client.post(url("member_remove", workspace.pk, member_ship.pk))
    assert not Membership.objects.filter(pk=member_ship.pk).exists()


# --- outbox --------------------------------------------------------------------------------------


def test_an_owner_reads_the_outbox_and_each_reading_is_audited(
    owner: User, workspace: Workspace, mail_folder: Path, django_capture_on_commit_callbacks: Any,
    settings: Any,
) -> None:
    settings.DEMO = True
    capture = django_capture_on_commit_callbacks
    invite(signed_in(owner), workspace, "nina@firm-a.example", Role.MEMBER, capture)
    [listed] = outbox.list_messages()
    client = signed_in(owner)

    page = client.get(url("outbox"))
    shown = client.get(url("outbox_message", listed.id))

    assert page.status_code == 200 and b"nina@firm-a.example" in page.content
    assert shown.status_code == 200 and b"/invitations/" in shown.content
    [event] = Event.objects.filter(action="outbox.read")
    assert (event.target_id, event.actor_id) == (listed.id, str(owner.pk))
    assert client.get(url("outbox_message", "20250101T000000.000000-0000000000000000")).status_code == 404


def test_the_outbox_is_hidden_from_members_and_when_smtp_is_configured(
    settings: Any, owner: User, member: User, workspace: Workspace, mail_folder: Path
) -> None:
    do_invite(workspace, "nina@firm-a.example", Role.MEMBER, owner)
    assert signed_in(owner).get(url("outbox")).status_code == 404  # not a demo installation

    settings.DEMO = True
    assert signed_in(member).get(url("outbox")).status_code == 404
    assert Client().get(url("outbox")).status_code == 302  # sign in first

    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                                    "OPTIONS": {"host": "smtp.example", "port": 587}}}
    assert signed_in(owner).get(url("outbox")).status_code == 404
    assert not Event.objects.filter(action="outbox.read").exists()


# --- withdrawing links ---------------------------------------------------------------------------


@pytest.fixture
def request_(workspace: Workspace, owner: User) -> Request:
    client = make_client(workspace, owner, name="Camille Dupont", email="camille@client.example")
    return make_request(workspace, owner, client, [question("Your tax number")])


def test_withdrawing_all_links_of_a_request(
    owner: User, member: User, outsider: User, request_: Request, other_workspace: Workspace
) -> None:
    # given two live links to the request
    tokens = [do_issue_link(request_, owner)[1] for _ in range(2)]
    revoke = reverse("staff:request_revoke_links", args=[request_.workspace_id, request_.pk])

    # when an outsider or a member who does not see the request tries, nothing happens
    assert signed_in(outsider).post(revoke).status_code == 404
    assert signed_in(member).post(revoke).status_code == 404
    assert all(find_link(token) is not None for token in tokens)

    # when the owner withdraws them
    response = signed_in(owner).post(revoke, follow=True)

    # then no token opens the portal any more, and each revocation is audited
    assert response.status_code == 200 and b"withdrawn" in response.content
    assert all(find_link(token) is None for token in tokens)
    assert Event.objects.filter(action="portal.link_revoked").count() == 2


# --- privacy officers ------------------------------------------------------------------------------


def test_an_owner_names_a_privacy_officer_and_an_admin_cannot(
    owner: User, member: User, workspace: Workspace
) -> None:
    from strongroom.accounts.actions import do_change_role

    target = Membership.objects.get(user=member, workspace=workspace)
    response = signed_in(owner).post(url("member_privacy_officer", workspace.pk, target.pk),
                                     {"privacy_officer": "on"})
    assert response.status_code == 302
    assert Membership.objects.get(pk=target.pk).privacy_officer
    [event] = Event.objects.filter(action="membership.privacy_officer_changed")
    assert event.extra == {"privacy_officer": True}
    assert "decides on rights requests" in signed_in(owner).get(url("members", workspace.pk)).content.decode()

    # an admin (not an owner) cannot change it
    do_change_role(target, "admin", owner)
    signed_in(member).post(url("member_privacy_officer", workspace.pk, target.pk), {})
    assert Membership.objects.get(pk=target.pk).privacy_officer
