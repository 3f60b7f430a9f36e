"""The records of processing (Art. 30): generated from live data, validated, exported."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client as WebClient
from openpyxl import load_workbook

from strongroom.accounts.models import User, Workspace
from strongroom.audit.models import Event
from strongroom.collection.template_editing import do_add_section, do_create_template, do_save_item
from strongroom.privacy import records
from strongroom.privacy.models import SubProcessor

pytestmark = pytest.mark.django_db


@pytest.fixture
def installation(settings: Any, workspace: Workspace) -> Workspace:
    """An installation whose operator and workspace filled in what the law asks."""
    settings.OPERATOR_NAME = "Hostco SAS"
    settings.OPERATOR_CONTACT = "12 rue de la Paix, 75002 Paris, dpo@hostco.example"
    settings.DATA_LOCATION = "France (OVH, Roubaix)"
    Workspace.objects.filter(pk=workspace.pk).update(
        controller_contact="Firm A LLP, 1 High Street, London", dpo_contact="dpo@firm-a.example"
    )
    SubProcessor.objects.create(
        name="Mailjet SAS",
        purpose="e-mail delivery",
        location="France",
        safeguards="within the EU",
        effective_from=date(2020, 1, 1),
    )
    SubProcessor.objects.create(
        name="Postmark Inc.",
        purpose="e-mail delivery",
        location="United States",
        safeguards="Standard contractual clauses (2021/914)",
        effective_from=date(2020, 1, 1),
    )
    return Workspace.objects.get(pk=workspace.pk)


def checklist_with(workspace: Workspace, owner: User, category: str) -> None:
    template = do_create_template(workspace, owner, name=f"Checklist collecting {category}")
    section = do_add_section(template, owner, "Questions")
    do_save_item(
        section,
        owner,
        {
            "kind": "question",
            "question_type": "short_text",
            "label": "Q",
            "required": True,
            "category": category,
        },
    )


def test_the_controller_record_fills_every_mandatory_field_from_live_data(
    installation: Workspace, owner: User
) -> None:
    record = records.controller_record(installation)

    assert record.problems() == []
    header = {label: value for label, value, _ in record.header}
    assert header["Controller"] == "Firm A"
    assert header["Controller's contact details (Art. 30(1)(a))"] == "Firm A LLP, 1 High Street, London"
    assert header["Data protection officer (Art. 30(1)(a))"] == "dpo@firm-a.example"
    purposes = {a.purpose: a for a in record.activities}
    assert "Requesting, collecting and reviewing documents and information from clients" in purposes
    for activity in record.activities:
        for name in records.Activity.MANDATORY:
            assert getattr(activity, name), (activity.purpose, name)
        assert activity.location == "France (OVH, Roubaix)"
        assert "Mailjet SAS" in activity.recipients and "Postmark Inc." in activity.recipients
        assert activity.transfers == "Postmark Inc., United States: Standard contractual clauses (2021/914)"
    assert "AES-256-GCM" in record.security


def test_a_checklist_collecting_a_new_kind_of_data_changes_the_record(
    installation: Workspace, owner: User
) -> None:
    def collection() -> records.Activity:
        [found] = [
            a
            for a in records.controller_record(installation).activities
            if a.purpose.startswith("Requesting, collecting")
        ]
        return found

    before = collection()
    assert "Health data" not in before.data_categories and before.special_categories == "None"

    checklist_with(installation, owner, "user.health")

    after = collection()
    assert "Health data (special category)" in after.data_categories
    assert after.special_categories == "Health data (special category)"
    assert after.dpia_needed.startswith("Yes") and "Health data" in after.dpia_needed


def test_the_validator_names_every_mandatory_field_still_empty(settings: Any, workspace: Workspace) -> None:
    settings.DATA_LOCATION = ""
    record = records.controller_record(workspace)  # no contact details, no location

    problems = record.problems()
    assert "Controller's contact details (Art. 30(1)(a)) is empty." in problems
    assert "Where the data is is empty." in problems
    assert not any("Data protection officer" in p for p in problems)  # "where applicable": not mandatory


def test_the_processor_record_lists_every_workspace_and_what_is_missing(
    installation: Workspace, other_workspace: Workspace
) -> None:
    record = records.processor_record()

    controllers = [a.controller for a in record.activities]
    assert any(c.startswith("Firm A: Firm A LLP") for c in controllers)
    assert any(c.startswith("Firm B:") for c in controllers)
    assert record.problems() == [
        "The controller's contact details are empty for \u201c"
        + next(a.purpose for a in record.activities if a.controller.startswith("Firm B"))
        + "\u201d."
    ]
    assert {label: value for label, value, _ in record.header}["Processor"] == "Hostco SAS"


def test_the_exports_carry_the_same_record(installation: Workspace, owner: User) -> None:
    record = records.controller_record(installation)

    rows = list(csv.reader(io.StringIO(records.to_csv(record).decode("utf-8-sig"))))
    assert len(rows) == 1 + len(record.activities)
    assert "Purpose of the processing (Art. 30(1)(b))" in rows[0]
    assert rows[1][0] == "Firm A"

    sheet = load_workbook(io.BytesIO(records.to_xlsx(record))).active
    assert sheet is not None
    values = [cell.value for row in sheet.iter_rows() for cell in row if cell.value]
    assert "Firm A LLP, 1 High Street, London" in values
    assert any(isinstance(v, str) and v.startswith("Requesting, collecting") for v in values)

    pdf = records.to_pdf(record)
    assert pdf.startswith(b"%PDF-") and len(pdf) > 2000


def test_owners_and_admins_see_the_compliance_page_members_do_not(
    installation: Workspace, owner: User, member: User, outsider: User, other_workspace: Workspace
) -> None:
    def web(user: User) -> WebClient:
        client = WebClient()
        client.force_login(user)
        return client

    page = web(owner).get(f"/w/{installation.pk}/compliance/")
    assert page.status_code == 200 and "Record of processing activities" in page.content.decode()
    assert "Every mandatory field is filled" in page.content.decode()
    pdf = web(owner).get(f"/w/{installation.pk}/compliance/record.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    assert Event.objects.filter(action="records.exported").count() == 1
    assert web(owner).get(f"/w/{installation.pk}/compliance/record.exe").status_code == 404
    assert web(member).get(f"/w/{installation.pk}/compliance/").status_code == 403
    assert web(outsider).get(f"/w/{installation.pk}/compliance/").status_code == 404
    assert web(outsider).get(f"/w/{installation.pk}/compliance/record.csv").status_code == 404
    assert WebClient().get(f"/w/{installation.pk}/compliance/").status_code == 302


def test_an_empty_field_is_shown_on_the_compliance_page_until_fixed(
    owner: User, workspace: Workspace
) -> None:
    web = WebClient()
    web.force_login(owner)
    assert (
        "contact details (Art. 30(1)(a)) is empty"
        in web.get(f"/w/{workspace.pk}/compliance/").content.decode()
    )
    Workspace.objects.filter(pk=workspace.pk).update(controller_contact="Firm A LLP, London")
    assert (
        "contact details (Art. 30(1)(a)) is empty"
        not in web.get(f"/w/{workspace.pk}/compliance/").content.decode()
    )


def test_the_records_command_writes_each_format_and_refuses_bad_input(
    installation: Workspace, tmp_path: Path
) -> None:
    for fmt in ("xlsx", "csv", "pdf"):
        target = tmp_path / f"record.{fmt}"
        call_command("records", "processor", "--format", fmt, "--output", str(target))
        assert target.stat().st_size > 100
    call_command(
        "records",
        "controller",
        str(installation.pk),
        "--format",
        "csv",
        "--output",
        str(tmp_path / "c.csv"),
        "--strict",
    )
    with pytest.raises(CommandError, match="There is no workspace"):
        call_command("records", "controller", "not-a-workspace", "--output", str(tmp_path / "x.pdf"))
    with pytest.raises(CommandError, match="does not exist"):
        call_command("records", "processor", "--output", str(tmp_path / "missing" / "x.pdf"))
    Workspace.objects.filter(pk=installation.pk).update(controller_contact="")
    with pytest.raises(CommandError, match="mandatory field"):
        call_command(
            "records", "controller", str(installation.pk), "--output", str(tmp_path / "y.pdf"), "--strict"
        )
