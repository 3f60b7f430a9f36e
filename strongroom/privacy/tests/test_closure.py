"""Leaving Strongroom: export everything, or delete everything with a signed certificate."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.test import Client as WebClient

from conftest import PASSWORD
from strongroom.accounts.models import Membership, User, Workspace
from strongroom.collection.models import Client
from strongroom.collection.tests.factories import use_immediate_tasks, use_outbox
from strongroom.crypto.errors import SubjectErased
from strongroom.crypto.keys import keyring_key
from strongroom.crypto.models import Keyring
from strongroom.privacy.models import DeletionCertificate
from strongroom.privacy.tests.test_dpa import validate
from strongroom.rights import formats
from strongroom.rights.models import LegalHold
from strongroom.rights.tests.seed import Seeded, seed_client
from strongroom.vault.models import Blob

pytestmark = pytest.mark.django_db


@pytest.fixture
def clients(
    settings: Any, tmp_path: Path, owner: User, workspace: Workspace, django_capture_on_commit_callbacks: Any
) -> tuple[Seeded, Seeded]:
    use_outbox(settings, tmp_path)
    use_immediate_tasks(settings)
    return (
        seed_client(workspace, owner, django_capture_on_commit_callbacks, "one"),
        seed_client(workspace, owner, django_capture_on_commit_callbacks, "two"),
    )


def owner_web(owner: User) -> WebClient:
    web = WebClient()
    web.force_login(owner)
    return web


def test_an_owner_exports_everything_in_the_rights_engines_formats(
    owner: User, workspace: Workspace, clients: tuple[Seeded, Seeded]
) -> None:
    refused = owner_web(owner).post(
        f"/w/{workspace.pk}/compliance/close/", {"action": "export", "password": "x"}
    )
    assert refused.status_code == 400

    response = owner_web(owner).post(
        f"/w/{workspace.pk}/compliance/close/", {"action": "export", "password": PASSWORD}
    )
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))  # type: ignore[attr-defined]
    exported = formats.read_json(archive.read("data.json"))
    assert formats.read_xml(archive.read("data.xml")) == exported
    names = {row["name"] for row in {t.name: t for t in exported.tables}["collection_client"].rows}
    assert names == {clients[0].name, clients[1].name}
    files = {archive.read(n) for n in archive.namelist() if n.startswith("files/")}
    assert set(clients[0].files.values()) | set(clients[1].files.values()) <= files


def test_deleting_everything_destroys_the_key_and_issues_a_signed_certificate(
    settings: Any,
    owner: User,
    member: User,
    workspace: Workspace,
    clients: tuple[Seeded, Seeded],
    django_capture_on_commit_callbacks: Any,
) -> None:
    url = f"/w/{workspace.pk}/compliance/close/"
    form = {"action": "delete", "password": PASSWORD, "confirm_name": "Firm A", "understood": "yes"}
    assert owner_web(owner).post(url, form | {"confirm_name": "Firm B"}).status_code == 400
    assert owner_web(owner).post(url, form | {"understood": ""}).status_code == 400
    assert Client.objects.filter(workspace=workspace).count() == 2

    keyring = Keyring.objects.get(workspace=workspace)
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_web(owner).post(url, form)

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    status = validate(response.content)
    assert status.bottom_line and status.intact
    assert not Client.objects.filter(workspace=workspace).exists()
    assert not Blob.objects.filter(workspace=workspace).exists()
    assert not Membership.objects.filter(workspace=workspace).exists()
    assert Workspace.objects.get(pk=workspace.pk).closed_at is not None
    with pytest.raises(SubjectErased):
        keyring_key(keyring.pk)
    stored = [p for p in Path(settings.BLOB_DIR).rglob("*") if p.is_file()]
    assert stored == []
    assert DeletionCertificate.objects.get(workspace=workspace).pdf() == response.content
    # nobody can reach it any more
    assert owner_web(owner).get(f"/w/{workspace.pk}/").status_code == 404


def test_a_legal_hold_blocks_deleting_everything(
    owner: User, workspace: Workspace, clients: tuple[Seeded, Seeded]
) -> None:
    LegalHold.objects.create(workspace=workspace, request=clients[0].request, ground="AML, 5 years")
    response = owner_web(owner).post(
        f"/w/{workspace.pk}/compliance/close/",
        {"action": "delete", "password": PASSWORD, "confirm_name": "Firm A", "understood": "yes"},
    )
    assert response.status_code == 400 and "legal hold" in response.content.decode()
    assert Client.objects.filter(workspace=workspace).count() == 2


def test_only_owners_reach_the_page(member: User, outsider: User, workspace: Workspace) -> None:
    Membership.objects.filter(user=member).update(role="admin")
    assert owner_web(member).get(f"/w/{workspace.pk}/compliance/close/").status_code == 403
    assert owner_web(outsider).get(f"/w/{workspace.pk}/compliance/close/").status_code == 404
