"""The Data Processing Agreement: signed in the application, a PAdES PDF a validator accepts."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.test import Client as WebClient

from strongroom.accounts.models import Membership, User, Workspace
from strongroom.audit.models import Event
from strongroom.privacy import dpa
from strongroom.privacy.models import DpaSignature
from strongroom.privacy.signing import certificate_pem
from strongroom.vault.actions import read_blob

pytestmark = pytest.mark.django_db


def web(user: User | None) -> WebClient:
    client = WebClient()
    if user is not None:
        client.force_login(user)
    return client


def validate(pdf: bytes) -> Any:
    from pyhanko.keys import load_certs_from_pemder_data
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    roots = list(load_certs_from_pemder_data(certificate_pem().encode()))
    reader = PdfFileReader(io.BytesIO(pdf))
    [signature] = reader.embedded_signatures
    context = ValidationContext(trust_roots=roots, allow_fetching=False, revocation_mode="soft-fail")
    return validate_pdf_signature(signature, context)


def sign(owner: User, workspace: Workspace, **changes: str) -> Any:
    form = {"version": dpa.CURRENT_VERSION, "name": "Olive Owner", "role": "Managing partner", "agree": "yes"}
    return web(owner).post(f"/w/{workspace.pk}/compliance/dpa/", form | changes)


def test_an_owner_signs_and_the_pdf_carries_a_signature_a_validator_accepts(
    owner: User, workspace: Workspace
) -> None:
    page = web(owner).get(f"/w/{workspace.pk}/compliance/dpa/")
    assert page.status_code == 200 and "not signed yet" in page.content.decode()
    assert "Art. 28(3)(h)" in page.content.decode()  # every clause of Art. 28(3) is in the text
    for clause in "abcdefgh":
        assert f"Art. 28(3)({clause})" in dpa.agreement_text()

    assert sign(owner, workspace).status_code == 302

    [signature] = DpaSignature.objects.all()
    assert signature.version == dpa.CURRENT_VERSION and signature.signer_role == "Managing partner"
    assert signature.text_sha256 == dpa.text_digest(dpa.signed_text(workspace))
    pdf = b"".join(read_blob(signature.pdf))  # type: ignore[arg-type]
    status = validate(pdf)
    assert status.bottom_line and status.intact and status.valid
    assert status.coverage.name == "ENTIRE_FILE"
    [event] = Event.objects.filter(action="dpa.signed")
    assert event.extra["sha256"] == signature.text_sha256 and event.ip_sealed is not None

    # the owner downloads it; it is the same signed file
    download = web(owner).get(f"/w/{workspace.pk}/compliance/dpa/{signature.pk}.pdf")
    assert b"".join(download.streaming_content) == pdf  # type: ignore[attr-defined]


def test_changing_one_byte_breaks_the_signature(owner: User, workspace: Workspace) -> None:
    sign(owner, workspace)
    pdf = bytearray(b"".join(read_blob(DpaSignature.objects.get().pdf)))  # type: ignore[arg-type]
    at = pdf.find(b"Processing Agreement")
    assert at > 0
    pdf[at] ^= 0x01
    status = validate(bytes(pdf))
    assert not status.intact and not status.bottom_line


def test_signing_an_outdated_version_or_without_name_changes_nothing(
    owner: User, workspace: Workspace
) -> None:
    events = Event.objects.count()
    outdated = sign(owner, workspace, version="2025-01")
    assert outdated.status_code == 400 and "not the current agreement" in outdated.content.decode()
    unnamed = sign(owner, workspace, name=" ")
    assert unnamed.status_code == 400
    unticked = sign(owner, workspace, agree="")
    assert unticked.status_code == 400
    assert not DpaSignature.objects.exists() and Event.objects.count() == events


def test_only_owners_sign_and_download(
    owner: User, member: User, outsider: User, workspace: Workspace, other_workspace: Workspace
) -> None:
    Membership.objects.filter(user=member).update(role="admin")
    assert web(member).get(f"/w/{workspace.pk}/compliance/dpa/").status_code == 200  # admins read
    assert sign(member, workspace).status_code == 403
    assert sign(outsider, workspace).status_code == 404
    sign(owner, workspace)
    signature = DpaSignature.objects.get()
    assert web(member).get(f"/w/{workspace.pk}/compliance/dpa/{signature.pk}.pdf").status_code == 403
    assert web(outsider).get(f"/w/{other_workspace.pk}/compliance/dpa/{signature.pk}.pdf").status_code == 404


def test_a_new_version_asks_the_owners_to_sign_again(
    monkeypatch: pytest.MonkeyPatch, owner: User, workspace: Workspace, other_workspace: Workspace
) -> None:
    sign(owner, workspace)
    assert dpa.unsigned_workspaces() == [other_workspace]
    monkeypatch.setattr(dpa, "CURRENT_VERSION", "2027-01")
    monkeypatch.setattr(dpa, "agreement_text", lambda version="2027-01": "# New agreement\n\nArt. 28(3)(a)")
    status = dpa.status(workspace)
    assert status.signature is None and [s.version for s in status.earlier] == ["2026-11"]
    assert set(dpa.unsigned_workspaces()) == {workspace, other_workspace}
    assert "not signed yet" in web(owner).get(f"/w/{workspace.pk}/compliance/dpa/").content.decode()


def test_the_signing_certificate_is_public(workspace: Workspace) -> None:
    response = web(None).get("/security/certificate.pem")
    assert response.status_code == 200 and response.content.startswith(b"-----BEGIN CERTIFICATE-----")
