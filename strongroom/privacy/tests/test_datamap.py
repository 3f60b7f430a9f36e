"""The data map covers every field of every model, and answers for a subject and for a workspace."""

from __future__ import annotations

import io

import pytest
from django.apps import apps

from conftest import make_user
from strongroom.accounts.models import User, Workspace
from strongroom.audit.actors import operator
from strongroom.privacy import datamap
from strongroom.vault.actions import do_store_blob

pytestmark = pytest.mark.django_db


def test_every_field_of_every_installed_model_is_classified() -> None:
    problems = [p for model in apps.get_models() for p in datamap.unclassified_fields(model)]
    assert problems == []


def test_an_unclassified_field_is_named() -> None:
    from django.db import models

    class Note(models.Model):
        subject = models.ForeignKey("crypto.SubjectKey", on_delete=models.CASCADE)
        text = models.TextField()
        data_map = datamap.DataMap(subject="subject", not_personal={"id": "identifier"})

        class Meta:
            app_label = "privacy"

    try:
        assert datamap.unclassified_fields(Note) == [
            "privacy.Note.subject: unclassified (declare it personal or not personal)",
            "privacy.Note.text: unclassified (declare it personal or not personal)",
        ]
    finally:
        apps.all_models["privacy"].pop("note", None)
        apps.clear_cache()


def test_personal_fields_carry_category_purpose_basis_and_retention() -> None:
    fields = datamap.personal_fields(User)
    assert set(fields) == {"email", "name"}
    assert fields["email"].category == "user.contact.email"
    assert fields["email"].legal_basis == datamap.LegalBasis.CONTRACT
    assert fields["email"].purpose and fields["email"].purpose.code == "staff-accounts"
    assert fields["email"].retention is not None


def test_rows_and_blobs_of_one_subject(workspace: Workspace, owner: User, member: User) -> None:
    blob = do_store_blob(owner.subject, io.BytesIO(b"x"), name="a.txt", content_type="text/plain",
                         actor=operator("test"), workspace=workspace)
    do_store_blob(member.subject, io.BytesIO(b"y"), name="b.txt", content_type="text/plain",
                  actor=operator("test"), workspace=workspace)

    rows = datamap.rows_of_subject(owner.subject)

    assert list(rows["accounts.User"]) == [owner]
    assert list(rows["vault.Blob"]) == [blob]
    assert list(datamap.blobs_of_subject(owner.subject)) == [blob]
    assert "audit.Event" not in rows  # the audit log holds no field of the subject's own data


def test_processing_activities_of_a_workspace(workspace: Workspace, other_workspace: Workspace,
                                              owner: User) -> None:
    make_user("unrelated@example.org")

    activities = {a.purpose.code: a for a in datamap.processing_activities(workspace)}

    staff = activities["staff-accounts"]
    # Names staff give their passkeys count as sign-in credentials, with the device and address of
    # their sessions, listed on "Your sessions".
    assert staff.categories == (
        "user.authorization.credentials", "user.behavior.activity", "user.contact.email",
        "user.device.ip_address", "user.name",
    )
    assert staff.legal_bases == (datamap.LegalBasis.CONTRACT,)
    assert staff.subject_kinds == ("staff",)
    assert staff.subject_count == 2  # Firm A's owner and member, not the other firm's or unrelated staff
    documents = activities["document-collection"]
    assert "user.content.document" in documents.categories
    assert "user.content.document.metadata" in documents.categories
    accountability = activities["accountability"]
    assert accountability.categories == ("user.device.ip_address",)
    assert accountability.legal_bases == (datamap.LegalBasis.LEGITIMATE_INTERESTS,)
    assert datamap.processing_activities(other_workspace)[0].purpose.code == "accountability"
