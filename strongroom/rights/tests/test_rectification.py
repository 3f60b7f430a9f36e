"""Rectification (Art. 16) through the portal, decided field by field; Art. 19 recipients listed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client as WebClient
from django.utils import timezone

from strongroom.accounts.models import User, Workspace
from strongroom.audit.models import Event
from strongroom.collection.models import Client, RequestItem
from strongroom.collection.tests.factories import acknowledged_link, item, use_immediate_tasks, use_outbox
from strongroom.privacy.models import SubProcessor
from strongroom.rights.models import Correction, RecipientNotice, RightsRequest, RightsState
from strongroom.rights.tests.seed import Seeded, seed_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(
    settings: Any, tmp_path: Path, owner: User, workspace: Workspace, django_capture_on_commit_callbacks: Any
) -> Seeded:
    use_outbox(settings, tmp_path)
    use_immediate_tasks(settings)
    SubProcessor.objects.create(
        name="Mailjet SAS", purpose="e-mail delivery", location="France", safeguards="within the EU",
        effective_from=timezone.localdate(),
    )
    return seed_client(workspace, owner, django_capture_on_commit_callbacks)


def portal(seeded: Seeded) -> WebClient:
    _, token = acknowledged_link(seeded.request)
    web = WebClient()
    web.get(f"/p/{token}")
    return web


def staff(user: User) -> WebClient:
    web = WebClient()
    web.force_login(user)
    return web


def test_a_client_proposes_corrections_and_the_workspace_decides_each(
    owner: User, workspace: Workspace, seeded: Seeded, django_capture_on_commit_callbacks: Any
) -> None:
    employer = item(seeded.request, "Employer")
    web = portal(seeded)
    page = web.get("/portal/rights/correct/")
    assert page.status_code == 200 and f"Employer {seeded.marker}" in page.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        sent = web.post(
            "/portal/rights/correct/",
            {
                "name": "Zoé Corrected",
                "email": seeded.email,
                "phone": "+33 6 12 34 56 78",
                f"item:{employer.pk}": "Acme Bank",
                f"item:{item(seeded.request, 'Date of birth').pk}": "1985-03-31",
            },
        )
    assert sent.status_code == 302
    rights_request = RightsRequest.objects.get()
    assert rights_request.kind == "rectification" and rights_request.state == RightsState.AWAITING_APPROVAL
    corrections = {c.field_name: c for c in Correction.objects.all()}
    assert set(corrections) == {"name", "answer"}  # unchanged values are not proposed

    # the whole request cannot be approved in one go
    base = f"/w/{workspace.pk}/rights/{rights_request.pk}"
    assert staff(owner).post(f"{base}/approve/").status_code == 400
    detail = staff(owner).get(f"{base}/").content.decode()
    assert "Zoé Corrected" in detail and "Acme Bank" in detail

    staff(owner).post(f"{base}/corrections/{corrections['name'].pk}/refuse/")
    with django_capture_on_commit_callbacks(execute=True):
        staff(owner).post(f"{base}/corrections/{corrections['answer'].pk}/accept/")

    assert Client.objects.get(pk=seeded.client.pk).name == seeded.name
    assert RequestItem.objects.get(pk=employer.pk).answer == "Acme Bank"
    rights_request = RightsRequest.objects.get()
    assert rights_request.state == RightsState.DONE
    assert rights_request.outcome == {"accepted": 1, "refused": 1}
    # audited with the field's name, never the values
    [rectified] = Event.objects.filter(action="rights.rectified")
    assert rectified.extra == {"field": "answer"}
    assert "Acme" not in str(list(Event.objects.values_list("extra", flat=True)))
    # Art. 19: the contributor and the sub-processor are listed, to be told
    notices = list(RecipientNotice.objects.order_by("recipient"))
    assert [n.recipient for n in notices] == ["Mailjet SAS", "contributor"]
    staff(owner).post(f"{base}/recipients/{notices[0].pk}/")
    assert RecipientNotice.objects.get(pk=notices[0].pk).notified_at is not None
    # a decided correction cannot be decided again
    again = staff(owner).post(f"{base}/corrections/{corrections['name'].pk}/accept/")
    assert again.status_code == 400
    assert Client.objects.get(pk=seeded.client.pk).name == seeded.name


def test_a_bad_proposed_value_is_refused_before_anything_is_kept(seeded: Seeded) -> None:
    web = portal(seeded)
    bad_date = item(seeded.request, "Date of birth")
    response = web.post(
        "/portal/rights/correct/",
        {
            "name": seeded.name,
            "email": "not an address",
            "phone": "",
            f"item:{bad_date.pk}": "31/02/1985",
        },
    )
    assert response.status_code == 400
    assert not RightsRequest.objects.exists() and not Correction.objects.exists()
    nothing = web.post("/portal/rights/correct/", {"name": seeded.name, "email": seeded.email})
    assert nothing.status_code == 400 and "at least one value" in nothing.content.decode()
