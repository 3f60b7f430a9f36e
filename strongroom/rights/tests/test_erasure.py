"""Erasure of a client through the data map, finished by destroying their key; legal holds."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from strongroom.accounts.models import User, Workspace
from strongroom.audit.models import Event
from strongroom.collection.models import Client, Contributor, Message, Request, RequestItem, Upload
from strongroom.collection.tests.factories import use_immediate_tasks, use_outbox
from strongroom.crypto.errors import SubjectErased
from strongroom.crypto.models import SubjectKey
from strongroom.mail import outbox
from strongroom.rights.erasure import erase_client, forget_mails
from strongroom.rights.models import AccessPackage, LegalHold, RightsRequest
from strongroom.rights.tests.seed import Seeded, seed_client
from strongroom.vault.actions import read_blob
from strongroom.vault.models import Blob

pytestmark = pytest.mark.django_db


def database_dump() -> bytes:
    """Every row of every table, as the database holds it, joined: what a search looks through."""
    parts: list[bytes] = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, bytes | bytearray | memoryview):
                        parts.append(bytes(value))
                    else:
                        parts.append(str(value).encode("utf-8"))
    return b"\x00".join(parts)


def stored_files(settings: Any) -> list[Path]:
    root = Path(settings.BLOB_DIR)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def outbox_texts() -> list[str]:
    texts = []
    for message in outbox.list_messages():
        msg = outbox.read_message(message.id)
        texts.append(" ".join(message.to) + "\n" + str(msg.get("Subject", "")) + "\n" + outbox.body_text(msg))
    return texts


def earlier_package(client: Client) -> AccessPackage:
    from django.utils import timezone as tz

    from strongroom.rights.packages import build_package

    now = tz.now()
    rights_request = RightsRequest(
        workspace=client.workspace, subject=client.subject, client=client, kind="access", channel="portal",
        state="done", received_at=now, due_on=now.date(), original_due_on=now.date(),
    )
    rights_request.save(force_insert=True)
    package, _token = build_package(rights_request)
    return package


def traces(seeded: Seeded, tokens: list[str]) -> list[bytes]:
    return [
        seeded.marker.encode(),
        seeded.email.encode(),
        seeded.name.encode("utf-8"),
        *(t.encode() for t in tokens),
    ]


@pytest.fixture
def two_clients(
    settings: Any, tmp_path: Path, owner: User, workspace: Workspace, django_capture_on_commit_callbacks: Any
) -> tuple[Seeded, Seeded]:
    use_outbox(settings, tmp_path)
    use_immediate_tasks(settings)
    first = seed_client(workspace, owner, django_capture_on_commit_callbacks, "erased")
    second = seed_client(workspace, owner, django_capture_on_commit_callbacks, "kept")
    return first, second


def test_erasure_leaves_nothing_of_the_client_in_any_store_and_the_other_client_intact(
    settings: Any, owner: User, two_clients: tuple[Seeded, Seeded], django_capture_on_commit_callbacks: Any
) -> None:
    erased, kept = two_clients
    client = Client.objects.get(pk=erased.client.pk)
    tokens = [client.email_index, client.name_index]
    subject_id = client.subject_id
    contributor_subjects = list(
        Contributor.objects.filter(request__client=client).values_list("subject", flat=True)
    )
    # an access package made earlier for them (the export store)
    package = earlier_package(client)
    # before: the searches find the person (the mail in the outbox names them; the indexes are stored)
    assert any(erased.email in text for text in outbox_texts())
    assert all(t.encode() in database_dump() for t in tokens)
    files_before = len(stored_files(settings))

    with django_capture_on_commit_callbacks(execute=True):
        report = erase_client(client, owner)
    forget_mails(report)

    # every row of the person is gone, their key and their contributors' keys destroyed
    assert not Client.objects.filter(pk=erased.client.pk).exists()
    assert not Request.objects.filter(client_id=erased.client.pk).exists()
    assert not Blob.objects.filter(subject_id=subject_id).exists()
    assert SubjectKey.objects.get(pk=subject_id).is_destroyed
    assert all(SubjectKey.objects.get(pk=s).is_destroyed for s in contributor_subjects)
    assert report.files == 3 and report.contributors == 1 and report.mails >= 1  # 2 uploads, 1 package
    package = AccessPackage.objects.get(pk=package.pk)
    assert package.blob is None and package.erased_at is not None
    # every store searched: database, blob store, outbox (opened), task queue (in the database)
    dump = database_dump()
    for trace in traces(erased, tokens):
        assert trace not in dump, trace
    for path in stored_files(settings):
        assert erased.marker.encode() not in path.read_bytes()
    assert len(stored_files(settings)) == files_before - 3
    for text in outbox_texts():
        assert erased.email not in text, text
        assert erased.marker not in text, text
    # the other client is whole and readable
    other = Client.objects.get(pk=kept.client.pk)
    assert (other.name, other.email) == (kept.name, kept.email)
    bodies = {b"".join(read_blob(u.blob)) for u in Upload.objects.filter(item__request__client=other)}
    assert bodies == set(kept.files.values())
    assert Message.objects.get(request__client=other).body == f"Message with {kept.marker}"
    assert any(kept.email in text for text in outbox_texts())
    # the audit trail says an erasure happened, and nothing of what was erased
    [event] = Event.objects.filter(action="rights.erased")
    assert event.subject == subject_id
    assert erased.marker.encode() not in str(event.extra).encode()


def test_a_second_erasure_of_the_same_client_is_refused(
    owner: User, two_clients: tuple[Seeded, Seeded], django_capture_on_commit_callbacks: Any
) -> None:
    erased, _ = two_clients
    client = Client.objects.get(pk=erased.client.pk)
    with django_capture_on_commit_callbacks(execute=True):
        erase_client(client, owner)
    events_before = Event.objects.count()

    with pytest.raises(ValueError, match="already been erased"):
        erase_client(client, owner)
    assert Event.objects.count() == events_before


def test_a_legal_hold_keeps_exactly_the_held_request_readable_under_a_new_key(
    settings: Any,
    owner: User,
    workspace: Workspace,
    two_clients: tuple[Seeded, Seeded],
    django_capture_on_commit_callbacks: Any,
) -> None:
    erased, _ = two_clients
    # a second request of the same client, not held
    from strongroom.collection.tests.factories import make_request, question

    other_request = make_request(workspace, owner, erased.client, [question("Anything")], title="Not held")
    LegalHold.objects.create(
        workspace=workspace,
        request=erased.request,
        ground="AML: 5 years after the end",
        until=date.today() + timedelta(days=5 * 365),
    )
    old_subject = erased.client.subject_id

    with django_capture_on_commit_callbacks(execute=True):
        report = erase_client(erased.client, owner)

    # the old key is destroyed; the client row survives under a new key with name and e-mail only
    assert SubjectKey.objects.get(pk=old_subject).is_destroyed
    client = Client.objects.get(pk=erased.client.pk)
    assert client.subject_id != old_subject
    assert (client.name, client.email, client.phone, client.notes) == (erased.name, erased.email, "", "")
    # the held request stays, readable: answers, message, files
    assert not Request.objects.filter(pk=other_request.pk).exists()
    held_items = {i.label: i.answer for i in RequestItem.objects.filter(request=erased.request)}
    assert held_items["Employer"] == f"Employer {erased.marker}"
    assert Message.objects.get(request=erased.request).body == f"Message with {erased.marker}"
    uploads = Upload.objects.filter(item__request=erased.request).select_related("blob")
    assert {b"".join(read_blob(u.blob)) for u in uploads} == set(erased.files.values())
    assert {u.blob.subject_id for u in uploads} == {client.subject_id}
    assert report.held_requests == 1
    # nothing is left under the old key
    assert not Blob.objects.filter(subject_id=old_subject).exists()


def test_an_expired_or_lifted_hold_does_not_keep_anything(
    owner: User,
    workspace: Workspace,
    two_clients: tuple[Seeded, Seeded],
    django_capture_on_commit_callbacks: Any,
) -> None:
    erased, _ = two_clients
    LegalHold.objects.create(
        workspace=workspace, request=erased.request, ground="ended", until=date.today() - timedelta(days=1)
    )
    LegalHold.objects.create(
        workspace=workspace, request=erased.request, ground="lifted", lifted_at=timezone.now()
    )

    with django_capture_on_commit_callbacks(execute=True):
        report = erase_client(erased.client, owner)

    assert report.held_requests == 0
    assert not Client.objects.filter(pk=erased.client.pk).exists()


def test_data_sealed_under_the_erased_key_cannot_be_opened_even_from_a_copied_row(
    owner: User, two_clients: tuple[Seeded, Seeded], django_capture_on_commit_callbacks: Any
) -> None:
    erased, _ = two_clients
    subject = SubjectKey.objects.get(pk=erased.client.subject_id)
    from strongroom.crypto import keys

    with django_capture_on_commit_callbacks(execute=True):
        erase_client(erased.client, owner)

    with pytest.raises(SubjectErased):
        keys.subject_key(SubjectKey.objects.get(pk=subject.pk))
