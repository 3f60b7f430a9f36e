"""Impact assessments (Art. 35): flagged when a checklist collects special categories, pre-filled,
completed, validated by an owner, exported as PDF."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client as WebClient

from strongroom.accounts.models import User, Workspace
from strongroom.audit.models import Event
from strongroom.collection.template_editing import do_add_section, do_create_template, do_save_item
from strongroom.privacy import dpia
from strongroom.privacy.models import Dpia

pytestmark = pytest.mark.django_db


def web(user: User) -> WebClient:
    client = WebClient()
    client.force_login(user)
    return client


def checklist(workspace: Workspace, owner: User, category: str, name: str = "Onboarding") -> Any:
    template = do_create_template(workspace, owner, name=name)
    section = do_add_section(template, owner, "Questions")
    do_save_item(section, owner, {"kind": "question", "question_type": "short_text", "label": "Q",
                                  "required": True, "category": category})
    return template


def completed_answers(assessment: Dpia) -> dict[str, str]:
    answers = {f"context.{k}": assessment.context.get(k) or "ISO 27001" for k, _l in dpia.CONTEXT}
    answers |= {f"principles.{k}": v for k, v in assessment.principles.items()}
    for code, _label in dpia.RISKS:
        answers |= {f"risks.{code}.likelihood": "2", f"risks.{code}.severity": "3"}
        answers |= {f"risks.{code}.{k}": f"{k} of {code}" for k, _l in dpia.RISK_FIELDS}
    return answers | {"action_plan": "Review yearly"}


def test_a_checklist_collecting_health_data_is_flagged_until_an_assessment_is_validated(
    owner: User, workspace: Workspace
) -> None:
    harmless = checklist(workspace, owner, "user.contact.address", "Address check")
    health = checklist(workspace, owner, "user.health", "Medical questionnaire")
    assert dpia.flagged_templates(workspace) == [health]
    assert not dpia.needs_dpia(harmless)
    assert "Medical questionnaire" in web(owner).get(f"/w/{workspace.pk}/compliance/").content.decode()

    # started from the list page: pre-filled from the data map and Strongroom's measures
    started = web(owner).post(f"/w/{workspace.pk}/compliance/dpia/", {"template": str(health.pk)})
    assessment = Dpia.objects.get()
    assert started.status_code == 302 and assessment.state == Dpia.State.DRAFT
    assert "Health data" in assessment.context["data"]
    assert "Art. 9(2) condition" in assessment.principles["basis"]
    assert "AES-256-GCM" in assessment.risks["illegitimate_access"]["measures"]
    assert assessment.risks["illegitimate_access"]["severity"] == 3  # special category: higher severity

    # an incomplete assessment cannot be validated; the gaps are named
    base = f"/w/{workspace.pk}/compliance/dpia/{assessment.pk}/"
    refused = web(owner).post(base, {"action": "validate", "opinion": "Fine"})
    assert refused.status_code == 400 and "Risk sources" in refused.content.decode()
    assert dpia.flagged_templates(workspace) == [health]

    web(owner).post(base, completed_answers(assessment) | {"action": "save"})
    no_opinion = web(owner).post(base, {"action": "validate", "opinion": " "})
    assert no_opinion.status_code == 400
    web(owner).post(base, {"action": "validate", "opinion": "Residual risks acceptable (DPO)"})

    assessment = Dpia.objects.get()
    assert assessment.state == Dpia.State.VALIDATED and assessment.validated_by == owner
    assert dpia.flagged_templates(workspace) == []
    assert [e.action for e in Event.objects.filter(target_id=str(assessment.pk)).order_by("id")] == [
        "dpia.started", "dpia.saved", "dpia.validated"]
    pdf = web(owner).get(f"/w/{workspace.pk}/compliance/dpia/{assessment.pk}.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    # a validated assessment is not changed any more
    again = web(owner).post(base, completed_answers(assessment) | {"action": "save", "action_plan": "x"})
    assert again.status_code == 400 and Dpia.objects.get().action_plan == "Review yearly"


def test_levels_outside_one_to_four_are_refused(owner: User, workspace: Workspace) -> None:
    template = checklist(workspace, owner, "user.health")
    assessment = dpia.do_start(template, owner)
    answers = completed_answers(assessment) | {"risks.disappearance.severity": "9", "action": "save"}
    response = web(owner).post(f"/w/{workspace.pk}/compliance/dpia/{assessment.pk}/", answers)
    assert response.status_code == 400 and "1, 2, 3 or 4" in response.content.decode()


def test_members_and_outsiders_cannot_reach_assessments(
    owner: User, member: User, outsider: User, workspace: Workspace, other_workspace: Workspace
) -> None:
    assessment = dpia.do_start(checklist(workspace, owner, "user.health"), owner)
    assert web(member).get(f"/w/{workspace.pk}/compliance/dpia/").status_code == 403
    for base in (workspace.pk, other_workspace.pk):
        assert web(outsider).get(f"/w/{base}/compliance/dpia/{assessment.pk}/").status_code == 404
