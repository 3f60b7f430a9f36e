"""The worker's part: deadline warnings to the deciders, and erasing expired access packages."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from strongroom.accounts.models import Membership, User, Workspace
from strongroom.audit.models import Event
from strongroom.collection.tests.factories import acknowledged_link, use_immediate_tasks, use_outbox
from strongroom.mail import outbox
from strongroom.rights.lifecycle import do_approve, do_receive
from strongroom.rights.models import AccessPackage, Channel, RightsRequest, Verification
from strongroom.rights.packages import erase_expired_packages
from strongroom.rights.tests.seed import Seeded, seed_client
from strongroom.rights.warnings import send_deadline_warnings
from strongroom.vault.models import Blob

pytestmark = pytest.mark.django_db


@pytest.fixture
def asked(
    settings: Any, tmp_path: Path, owner: User, workspace: Workspace, django_capture_on_commit_callbacks: Any
) -> tuple[Seeded, RightsRequest]:
    use_outbox(settings, tmp_path)
    use_immediate_tasks(settings)
    seeded = seed_client(workspace, owner, django_capture_on_commit_callbacks)
    link, _ = acknowledged_link(seeded.request)
    with django_capture_on_commit_callbacks(execute=True):
        rights_request = do_receive(
            workspace,
            seeded.client,
            "access",
            channel=Channel.PORTAL,
            actor=link,
            verified_by=Verification.PORTAL_SESSION,
        )
    return seeded, rights_request


def warnings_to(address: str) -> list[str]:
    return [m.subject for m in reversed(outbox.list_messages()) if address in m.to and "Due " in m.subject]


def test_deciders_are_warned_a_week_before_and_on_the_day_each_once(
    owner: User,
    member: User,
    workspace: Workspace,
    asked: tuple[Seeded, RightsRequest],
    django_capture_on_commit_callbacks: Any,
) -> None:
    _, rights_request = asked
    due = rights_request.due_on
    Membership.objects.filter(user=member).update(privacy_officer=True)

    def run(day: Any) -> int:
        with django_capture_on_commit_callbacks(execute=True):
            return send_deadline_warnings(day)

    assert run(due - timedelta(days=8)) == 0
    assert run(due - timedelta(days=7)) == 1
    assert run(due - timedelta(days=6)) == 0  # the same warning does not go twice
    assert run(due) == 1
    assert run(due + timedelta(days=3)) == 0
    assert warnings_to("owner@firm-a.example") == [
        "Due in a week: rights request (Firm A)",
        "Due today: rights request (Firm A)",
    ]
    assert len(warnings_to("member@firm-a.example")) == 2  # the privacy officer too
    assert Event.objects.filter(action="rights.deadline_warning").count() == 2


def test_a_closed_request_is_not_warned_about(
    owner: User, asked: tuple[Seeded, RightsRequest], django_capture_on_commit_callbacks: Any
) -> None:
    _, rights_request = asked
    with django_capture_on_commit_callbacks(execute=True):
        do_approve(rights_request, owner)
    assert send_deadline_warnings(rights_request.due_on) == 0


def test_an_expired_package_is_erased_and_its_row_kept(
    settings: Any, owner: User, asked: tuple[Seeded, RightsRequest], django_capture_on_commit_callbacks: Any
) -> None:
    _, rights_request = asked
    with django_capture_on_commit_callbacks(execute=True):
        do_approve(rights_request, owner)
    package = AccessPackage.objects.get()
    assert package.blob is not None
    blob_id = package.blob.pk
    stored = Path(settings.BLOB_DIR)
    files_before = {p for p in stored.rglob("*") if p.is_file()}
    assert erase_expired_packages() == 0

    AccessPackage.objects.filter(pk=package.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert erase_expired_packages() == 1

    package = AccessPackage.objects.get()
    assert package.blob_id is None and package.erased_at is not None
    assert not Blob.objects.filter(pk=blob_id).exists()
    assert len(files_before - {p for p in stored.rglob("*") if p.is_file()}) == 1  # the sealed ZIP
