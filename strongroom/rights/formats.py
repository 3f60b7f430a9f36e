"""The machine-readable formats of an access and portability package (GDPR Art. 15 and Art. 20).

A subject's data is a `SubjectExport`: typed tables. It is written four times, as JSON, XML, XLSX and
CSV, and each `read_*` gives back exactly what its `render_*` was given: same tables, columns, types
and values, null kept apart from empty text. The conventions below are what a reader of the package
needs to know; `render_readme` explains them in the package itself.

- Dates are ISO 8601 (`2024-05-31`). Times are ISO 8601 in UTC with microseconds
  (`2024-05-31T09:30:00.000000Z`). Decimals are text in plain notation (`-12.50`), never floating point.
- JSON: one object with `title`, `generated_at` and `tables`; each row is an object keyed by column
  name. Integers are numbers, except beyond +/-(2**53 - 1), where they are strings so no reader rounds them.
- XML: validates against `subject-export.xsd` (`XSD_PATH`). A text holding a character XML 1.0 cannot
  carry (U+0000-U+0008, U+000B, U+000C, U+000E-U+001F, U+FFFE, U+FFFF) is written as the base64 of its
  UTF-8 bytes, and its element is marked `encoding="base64"`.
- XLSX: sheet "about" holds the title, the time and the list of tables and columns; one sheet per table
  follows, in order. Text is always a text cell, never a formula. A character a worksheet cannot hold is
  written `_xHHHH_` (the Office Open XML escape), and an underscore followed by `xHHHH` is written
  `_x005F_`. Null is a cell with nothing in it; empty text is an empty cell formatted as text (`@`).
- CSV: one file per table, `tables.csv` (the tables, their columns and row counts) and `export.csv`
  (title and time). UTF-8, RFC 4180. Null is `\\N`; a text made of backslashes and a final `N` is
  written with one backslash more. A text a spreadsheet would run as a formula (beginning with `=`,
  `+`, `-`, `@`, a tab or a carriage return, after any apostrophes) is written with one apostrophe
  more in front, which the spreadsheet shows as plain text and `read_csv` removes.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import re
import textwrap
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any, Final

import openpyxl
from lxml import etree
from openpyxl.cell.cell import Cell, MergedCell
from openpyxl.styles import Font
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.worksheet import Worksheet

Value = str | int | Decimal | bool | date | datetime | None

XSD_PATH: Final = Path(__file__).resolve().parent / "schema" / "subject-export.xsd"
XML_NAMESPACE: Final = "urn:strongroom:subject-export:1"
FORMAT_VERSION: Final = 1

# The package layout `render_readme` describes.
README_FILE: Final = "README.txt"
JSON_FILE: Final = "data.json"
XML_FILE: Final = "data.xml"
XSD_FILE: Final = "subject-export.xsd"
XLSX_FILE: Final = "data.xlsx"
CSV_DIRECTORY: Final = "csv/"
CSV_MANIFEST: Final = "tables.csv"
CSV_EXPORT: Final = "export.csv"
ABOUT_SHEET: Final = "about"

# Table names that would collide with the CSV package's own files.
RESERVED_TABLE_NAMES: Final = frozenset({"tables", "export"})

JSON_SAFE_INTEGER: Final = 2**53 - 1  # the largest integer every JSON reader holds exactly
XLSX_SAFE_INTEGER: Final = 10**15 - 1  # spreadsheets keep 15 significant digits
XLSX_MAX_TEXT: Final = 32_767  # characters in one worksheet cell
XLSX_MAX_SHEET_TITLE: Final = 31

_IDENTIFIER = re.compile(r"[a-z][a-z0-9_]*")
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_XLSX_ESCAPE = re.compile(r"_(?=x[0-9A-Fa-f]{4})|[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_XLSX_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")
_CSV_NULL: Final = "\\N"
_CSV_NULL_LOOKALIKE = re.compile(r"\\+N")
_CSV_ESCAPED_LOOKALIKE = re.compile(r"\\{2,}N")
# What a spreadsheet opening the CSV would take for a formula, and the same once neutralised.
_CSV_FORMULA_LOOKALIKE = re.compile(r"'*[=+\-@\t\r]", re.DOTALL)
_CSV_NEUTRALISED = re.compile(r"'+[=+\-@\t\r]", re.DOTALL)
_MANIFEST_HEADER: Final = (
    "table",
    "table_title",
    "table_description",
    "row_count",
    "column",
    "column_title",
    "column_type",
)
_EXPORT_HEADER: Final = ("title", "generated_at")


class ColumnType(StrEnum):
    TEXT = "text"
    INTEGER = "integer"
    DECIMAL = "decimal"
    BOOLEAN = "boolean"
    DATE = "date"
    DATETIME = "datetime"


_EXPECTED: Final = {
    ColumnType.TEXT: "text",
    ColumnType.INTEGER: "an integer",
    ColumnType.DECIMAL: "a decimal",
    ColumnType.BOOLEAN: "true or false",
    ColumnType.DATE: "a date",
    ColumnType.DATETIME: "a timezone-aware date and time",
}
_LEXICAL: Final = {
    ColumnType.INTEGER: re.compile(r"-?[0-9]+"),
    ColumnType.DECIMAL: re.compile(r"-?[0-9]+(\.[0-9]+)?"),
    ColumnType.BOOLEAN: re.compile(r"true|false"),
    ColumnType.DATE: re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}"),
    ColumnType.DATETIME: re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z"),
}


@dataclass(frozen=True)
class Column:
    """A column: `name` is what programs use, `title` what a person reads."""

    name: str
    title: str
    type: ColumnType

    def __post_init__(self) -> None:
        _check_identifier("Column", self.name)
        _check_text(f"The title of column {self.name!r}", self.title)
        object.__setattr__(self, "type", _column_type(self.type, f"Column {self.name!r}"))


@dataclass(frozen=True)
class Table:
    """Rows are checked on construction: exactly the table's columns, each value of its column's type."""

    name: str
    title: str
    description: str
    columns: tuple[Column, ...]
    rows: tuple[Mapping[str, Value], ...]  # a Mapping, so a dict[str, str] is accepted; stored as dicts

    def __post_init__(self) -> None:
        _check_identifier("Table", self.name)
        if self.name in RESERVED_TABLE_NAMES:
            raise ValueError(f"Table name {self.name!r} is reserved: the CSV package has a file so named.")
        _check_text(f"The title of table {self.name!r}", self.title)
        _check_text(f"The description of table {self.name!r}", self.description)
        columns = tuple(self.columns)
        names = [column.name for column in columns]
        if not columns:
            raise ValueError(f"Table {self.name!r} has no columns.")
        if len(set(names)) != len(names):
            raise ValueError(f"Table {self.name!r} names a column twice.")
        object.__setattr__(self, "columns", columns)
        rows = tuple(self._checked_row(number, row) for number, row in enumerate(self.rows, start=1))
        object.__setattr__(self, "rows", rows)

    def _checked_row(self, number: int, row: Mapping[str, object]) -> dict[str, Value]:
        where = f"Table {self.name!r}, row {number}"
        if not isinstance(row, Mapping):
            raise ValueError(f"{where} is not a mapping of column names to values.")
        names = [column.name for column in self.columns]
        missing = [name for name in names if name not in row]
        unexpected = sorted(str(key) for key in row if key not in names)
        if missing or unexpected:
            raise ValueError(
                f"{where} does not have the table's columns (missing {missing}, unexpected {unexpected})."
            )
        checked: dict[str, Value] = {}
        for column in self.columns:
            try:
                checked[column.name] = _checked_value(column.type, row[column.name])
            except ValueError as error:
                raise ValueError(f"{where}, column {column.name!r}: {error}.") from None
        return checked


@dataclass(frozen=True)
class SubjectExport:
    """Everything written about one person; `generated_at` is moved to UTC like every time."""

    title: str
    generated_at: datetime
    tables: tuple[Table, ...]

    def __post_init__(self) -> None:
        _check_text("The export title", self.title)
        try:
            object.__setattr__(self, "generated_at", _checked_value(ColumnType.DATETIME, self.generated_at))
        except ValueError as error:
            raise ValueError(f"The export's generated_at: {error}.") from None
        tables = tuple(self.tables)
        names = [table.name for table in tables]
        if len(set(names)) != len(names):
            raise ValueError("The export names a table twice.")
        object.__setattr__(self, "tables", tables)


def _check_identifier(kind: str, name: object) -> None:
    if not isinstance(name, str) or not _IDENTIFIER.fullmatch(name):
        raise ValueError(
            f"{kind} name {name!r} is not an identifier: use a lowercase letter, then lowercase letters, "
            "digits or underscores."
        )


def _check_text(what: str, text: object) -> None:
    if not isinstance(text, str):
        raise ValueError(f"{what} must be text.")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(f"{what} is not valid Unicode text (it holds a lone surrogate).") from None


def _column_type(value: str, where: str) -> ColumnType:
    try:
        return ColumnType(value)
    except ValueError:
        raise ValueError(f"{where} has an unknown type; use one of: {', '.join(ColumnType)}.") from None


def _checked_value(kind: ColumnType, value: object) -> Value:
    """The value as stored: unchanged, except times, which are moved to UTC. Messages never quote it."""
    if value is None:
        return None
    if kind is ColumnType.TEXT and isinstance(value, str):
        _check_text("The text", value)
        return value
    if kind is ColumnType.INTEGER and isinstance(value, int) and not isinstance(value, bool):
        return value
    if kind is ColumnType.DECIMAL and isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError("a decimal must be a finite number, not NaN or infinity")
        return value
    if kind is ColumnType.BOOLEAN and isinstance(value, bool):
        return value
    if kind is ColumnType.DATE and isinstance(value, date) and not isinstance(value, datetime):
        return value
    if kind is ColumnType.DATETIME and isinstance(value, datetime):
        if value.utcoffset() is None:
            raise ValueError("a time must be timezone-aware; a naive time cannot be written in UTC")
        try:
            return value.astimezone(UTC).replace(fold=0)  # fold means nothing in UTC
        except OverflowError:
            raise ValueError("the time falls outside the years 1 to 9999 once moved to UTC") from None
    raise ValueError(f"expected {_EXPECTED[kind]}, got a {type(value).__name__}")


def _to_text(value: Value) -> str:
    """The lexical form every format shares; see the module docstring."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"
    if isinstance(value, date):
        return value.isoformat()
    raise ValueError("null has no lexical form")


def _from_text(kind: ColumnType, text: str) -> Value:
    if kind is ColumnType.TEXT:
        return text
    if not _LEXICAL[kind].fullmatch(text):
        raise ValueError(f"the value is not {_EXPECTED[kind]} in the package's notation")
    if kind is ColumnType.INTEGER:
        return int(text)
    if kind is ColumnType.DECIMAL:
        return Decimal(text)
    if kind is ColumnType.BOOLEAN:
        return text == "true"
    if kind is ColumnType.DATE:
        return date.fromisoformat(text)
    return datetime.fromisoformat(text).astimezone(UTC)


def _generated_at(text: str, source: str) -> datetime:
    try:
        value = _from_text(ColumnType.DATETIME, text)
    except ValueError:
        raise ValueError(f"{source}: generated_at is not a UTC time in the package's notation.") from None
    assert isinstance(value, datetime)
    return value


def _convert_row[Raw](
    table: str,
    number: int,
    columns: Sequence[Column],
    raws: Sequence[Raw],
    convert: Callable[[ColumnType, Raw], Value],
) -> dict[str, Value]:
    """One row read back, with any error placed by table, row and column."""
    if len(raws) != len(columns):
        raise ValueError(f"Table {table!r}, row {number} has {len(raws)} values for {len(columns)} columns.")
    row: dict[str, Value] = {}
    for column, raw in zip(columns, raws, strict=True):
        try:
            row[column.name] = convert(column.type, raw)
        except ValueError as error:
            raise ValueError(f"Table {table!r}, row {number}, column {column.name!r}: {error}.") from None
    return row


# JSON ------------------------------------------------------------------------------------------------


def render_json(export: SubjectExport) -> bytes:
    """One UTF-8 JSON document; the metadata sits in its top-level object."""
    document = {
        "format": "strongroom-subject-export",
        "version": FORMAT_VERSION,
        "title": export.title,
        "generated_at": _to_text(export.generated_at),
        "tables": [
            {
                "name": table.name,
                "title": table.title,
                "description": table.description,
                "columns": [{"name": c.name, "title": c.title, "type": c.type.value} for c in table.columns],
                "rows": [{c.name: _to_json(row[c.name]) for c in table.columns} for row in table.rows],
            }
            for table in export.tables
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8") + b"\n"


def _to_json(value: Value) -> str | int | bool | None:
    if value is None or isinstance(value, str | bool):
        return value
    if isinstance(value, int) and abs(value) <= JSON_SAFE_INTEGER:
        return value
    return _to_text(value)


def read_json(data: bytes) -> SubjectExport:
    """Read back `render_json`; anything else raises ValueError saying where."""
    try:
        document = json.loads(data)
    except ValueError as error:
        raise ValueError(f"The JSON export is not valid JSON: {error}.") from None
    tables = []
    for number, table in enumerate(_json_list(document, "tables", "The JSON export"), start=1):
        where = f"Table {number} of the JSON export"
        name = _json_str(table, "name", where)
        columns = tuple(
            Column(
                _json_str(c, "name", where),
                _json_str(c, "title", where),
                _column_type(_json_str(c, "type", where), where),
            )
            for c in _json_list(table, "columns", where)
        )
        names = [column.name for column in columns]
        rows = []
        for row_number, row in enumerate(_json_list(table, "rows", where), start=1):
            if not isinstance(row, dict) or sorted(row) != sorted(names):
                raise ValueError(f"Table {name!r}, row {row_number} does not have the table's columns.")
            rows.append(_convert_row(name, row_number, columns, [row[n] for n in names], _from_json))
        tables.append(
            Table(
                name,
                _json_str(table, "title", where),
                _json_str(table, "description", where),
                columns,
                tuple(rows),
            )
        )
    generated_at = _generated_at(_json_str(document, "generated_at", "The JSON export"), "The JSON export")
    return SubjectExport(_json_str(document, "title", "The JSON export"), generated_at, tuple(tables))


def _json_str(container: object, key: str, where: str) -> str:
    value = container.get(key) if isinstance(container, dict) else None
    if not isinstance(value, str):
        raise ValueError(f"{where} has no text {key!r}.")
    return value


def _json_list(container: object, key: str, where: str) -> list[object]:
    value = container.get(key) if isinstance(container, dict) else None
    if not isinstance(value, list):
        raise ValueError(f"{where} has no list {key!r}.")
    return value


def _from_json(kind: ColumnType, raw: object) -> Value:
    if raw is None:
        return None
    if kind is ColumnType.BOOLEAN and isinstance(raw, bool):
        return raw
    if kind is ColumnType.INTEGER and isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if kind is not ColumnType.BOOLEAN and isinstance(raw, str):
        return _from_text(kind, raw)
    raise ValueError(f"expected {_EXPECTED[kind]}, got a JSON {type(raw).__name__}")


# XML -------------------------------------------------------------------------------------------------


def _q(tag: str) -> str:
    return f"{{{XML_NAMESPACE}}}{tag}"


def render_xml(export: SubjectExport) -> bytes:
    """One UTF-8 XML document that validates against `XSD_PATH`."""
    default_namespace: dict[Any, str] = {None: XML_NAMESPACE}
    root = etree.Element(_q("subject-export"), nsmap=default_namespace)
    root.set("version", str(FORMAT_VERSION))
    root.set("generated-at", _to_text(export.generated_at))
    _xml_text(root, "title", export.title)
    for table in export.tables:
        table_element = etree.SubElement(root, _q("table"), name=table.name)
        _xml_text(table_element, "title", table.title)
        _xml_text(table_element, "description", table.description)
        columns = etree.SubElement(table_element, _q("columns"))
        for column in table.columns:
            column_element = etree.SubElement(columns, _q("column"), name=column.name, type=column.type.value)
            _xml_text(column_element, "title", column.title)
        rows = etree.SubElement(table_element, _q("rows"))
        for row in table.rows:
            row_element = etree.SubElement(rows, _q("row"))
            for column in table.columns:
                value = row[column.name]
                if value is None:
                    etree.SubElement(row_element, _q("null"), column=column.name)
                elif isinstance(value, str):
                    _xml_text(row_element, "text", value).set("column", column.name)
                else:
                    value_element = etree.SubElement(row_element, _q(column.type.value), column=column.name)
                    value_element.text = _to_text(value)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _xml_text(parent: etree._Element, tag: str, text: str) -> etree._Element:
    element = etree.SubElement(parent, _q(tag))
    if _XML_ILLEGAL.search(text):
        element.set("encoding", "base64")
        element.text = base64.b64encode(text.encode("utf-8")).decode("ascii")
    else:
        element.text = text
    return element


def _read_xml_text(element: etree._Element) -> str:
    text = element.text or ""
    if element.get("encoding") != "base64":
        return text
    try:
        return base64.b64decode(text, validate=True).decode("utf-8")
    except ValueError:
        raise ValueError("a text marked base64 is not base64 of UTF-8 text") from None


@cache
def _xsd_document() -> etree._ElementTree:
    return etree.parse(str(XSD_PATH))


def _parse_valid_xml(data: bytes) -> etree._Element:
    # huge_tree: a single text (a long message) may pass libxml2's 10 MB guard; entities stay unresolved.
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, remove_comments=True, remove_pis=True, huge_tree=True
    )
    try:
        root = etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as error:
        raise ValueError(f"The XML export is not well-formed XML: {error}") from None
    if root.getroottree().docinfo.internalDTD is not None:
        raise ValueError("The XML export declares a document type, which the package never does.")
    schema = etree.XMLSchema(_xsd_document())
    try:
        schema.assertValid(root)
    except etree.DocumentInvalid as error:
        raise ValueError(f"The XML export does not match {XSD_FILE}: {error}") from None
    return root


def validate_xml(data: bytes) -> None:
    """Raise ValueError, with lxml's message, unless `data` is well-formed and matches the shipped XSD."""
    _parse_valid_xml(data)


def read_xml(data: bytes) -> SubjectExport:
    """Read back `render_xml`, after checking it against the schema; ValueError otherwise."""
    root = _parse_valid_xml(data)
    tables = []
    for table_element in root.iterchildren(_q("table")):
        name = table_element.get("name", "")
        columns = tuple(
            Column(
                c.get("name", ""),
                _read_xml_text(_xml_child(c, "title")),
                _column_type(c.get("type", ""), f"Table {name!r}"),
            )
            for c in _xml_child(table_element, "columns").iterchildren(_q("column"))
        )
        names = [column.name for column in columns]
        rows = []
        for number, row in enumerate(_xml_child(table_element, "rows").iterchildren(_q("row")), start=1):
            values = list(row.iterchildren(_q("*")))
            if [value.get("column") for value in values] != names:
                raise ValueError(f"Table {name!r}, row {number} lacks one value per column, in order.")
            rows.append(_convert_row(name, number, columns, values, _from_xml))
        tables.append(
            Table(
                name,
                _read_xml_text(_xml_child(table_element, "title")),
                _read_xml_text(_xml_child(table_element, "description")),
                columns,
                tuple(rows),
            )
        )
    generated_at = _generated_at(root.get("generated-at", ""), "The XML export")
    return SubjectExport(_read_xml_text(_xml_child(root, "title")), generated_at, tuple(tables))


def _xml_child(parent: etree._Element, tag: str) -> etree._Element:
    child = parent.find(_q(tag))
    if child is None:
        raise ValueError(f"The XML export lacks a <{tag}> element.")
    return child


def _from_xml(kind: ColumnType, element: etree._Element) -> Value:
    tag = etree.QName(element).localname
    if tag == "null":
        return None
    if tag != kind.value:
        raise ValueError(f"expected {_EXPECTED[kind]}, got a <{tag}> element")
    if kind is ColumnType.TEXT:
        return _read_xml_text(element)
    return _from_text(kind, element.text or "")


# XLSX ------------------------------------------------------------------------------------------------


def _xlsx_escape(text: str) -> str:
    return _XLSX_ESCAPE.sub(lambda match: f"_x{ord(match.group()):04X}_", text)


def _xlsx_unescape(text: str) -> str:
    return _XLSX_ESCAPED.sub(lambda match: chr(int(match.group(1), 16)), text)


def _sheet_titles(names: Sequence[str]) -> list[str]:
    """One distinct sheet title per table: names a spreadsheet refuses (too long, "about") are shortened."""
    used = {ABOUT_SHEET} | {name for name in names if len(name) <= XLSX_MAX_SHEET_TITLE}
    titles = []
    for name in names:
        title = name
        if len(name) > XLSX_MAX_SHEET_TITLE or name == ABOUT_SHEET:
            title, counter = name[:XLSX_MAX_SHEET_TITLE], 1
            while title in used:
                counter += 1
                title = f"{name[: XLSX_MAX_SHEET_TITLE - len(str(counter)) - 1]}_{counter}"
            used.add(title)
        titles.append(title)
    return titles


def _put(sheet: Worksheet, row: int, column: int, value: Value, where: str) -> Cell | None:
    """Write one cell. Text is set as a text cell explicitly, so "=1+1" or "#N/A" stay text."""
    if value is None:
        return None
    if isinstance(value, bool) or (isinstance(value, int) and abs(value) <= XLSX_SAFE_INTEGER):
        return sheet.cell(row=row, column=column, value=value)
    text = _xlsx_escape(_to_text(value))
    if len(text) > XLSX_MAX_TEXT:
        raise ValueError(f"{where}: the text is longer than the {XLSX_MAX_TEXT} characters a cell holds.")
    cell = sheet.cell(row=row, column=column, value=text)
    cell.data_type = "s"
    cell.number_format = "@"
    return cell


def _put_row(sheet: Worksheet, row: int, values: Sequence[Value], where: str, *, bold: bool = False) -> None:
    for column, value in enumerate(values, start=1):
        cell = _put(sheet, row, column, value, f"{where}, column {column}")
        if cell is not None and bold:
            cell.font = Font(bold=True)


def _manifest_rows(export: SubjectExport) -> list[tuple[str, ...]]:
    return [
        (table.name, table.title, table.description, str(len(table.rows)), c.name, c.title, c.type.value)
        for table in export.tables
        for c in table.columns
    ]


def render_xlsx(export: SubjectExport) -> bytes:
    """A workbook: the about sheet, then a sheet per table. Text over 32,767 characters raises ValueError."""
    workbook = openpyxl.Workbook()
    about = workbook.worksheets[0]
    about.title = ABOUT_SHEET
    _put_row(about, 1, ("title", export.title), "The about sheet")
    _put_row(about, 2, ("generated_at", _to_text(export.generated_at)), "The about sheet")
    _put_row(about, 4, _MANIFEST_HEADER, "The about sheet", bold=True)
    for number, manifest_row in enumerate(_manifest_rows(export), start=5):
        _put_row(about, number, manifest_row, "The about sheet")
    titles = _sheet_titles([table.name for table in export.tables])
    for table, title in zip(export.tables, titles, strict=True):
        sheet = workbook.create_sheet(title)
        _put_row(sheet, 1, [column.title for column in table.columns], f"Table {table.name!r}", bold=True)
        sheet.freeze_panes = "A2"
        for number, row in enumerate(table.rows, start=1):
            values = [row[column.name] for column in table.columns]
            _put_row(sheet, number + 1, values, f"Table {table.name!r}, row {number}")
    workbook.properties.creator = "Strongroom"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _from_xlsx(kind: ColumnType, cell: Cell | MergedCell) -> Value:
    value = cell.value
    if value is None:
        return "" if kind is ColumnType.TEXT and cell.number_format == "@" else None
    if kind is ColumnType.BOOLEAN and isinstance(value, bool):
        return value
    if kind is ColumnType.INTEGER and isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        return _from_text(kind, _xlsx_unescape(value))
    raise ValueError(f"expected {_EXPECTED[kind]}, got a {type(value).__name__} cell")


def _xlsx_texts(sheet: Worksheet, row: int, width: int) -> list[str]:
    """The texts of the first `width` cells of a row, an absent cell read as empty."""
    cells = next(sheet.iter_rows(min_row=row, max_row=row, max_col=width))
    return [text if isinstance(text := _from_xlsx(ColumnType.TEXT, cell), str) else "" for cell in cells]


def read_xlsx(data: bytes) -> SubjectExport:
    """Read back `render_xlsx`; anything else raises ValueError saying where."""
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data))
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError):
        raise ValueError("The XLSX export is not a readable workbook.") from None
    sheets = workbook.worksheets
    if not sheets or sheets[0].title != ABOUT_SHEET or not isinstance(sheets[0], Worksheet):
        raise ValueError(f"The XLSX export does not begin with its {ABOUT_SHEET!r} sheet.")
    about = sheets[0]
    title_label, title = _xlsx_texts(about, 1, 2)
    time_label, generated = _xlsx_texts(about, 2, 2)
    if (title_label, time_label) != _EXPORT_HEADER or tuple(_xlsx_texts(about, 4, 7)) != _MANIFEST_HEADER:
        raise ValueError(f"The {ABOUT_SHEET!r} sheet of the XLSX export is not laid out as expected.")
    manifest = [_xlsx_texts(about, number, 7) for number in range(5, about.max_row + 1)]
    outlines = _outlines(manifest, f"The {ABOUT_SHEET!r} sheet")
    if len(sheets) != len(outlines) + 1:
        raise ValueError("The XLSX export does not have one sheet per table its about sheet lists.")
    tables = []
    for outline, sheet in zip(outlines, sheets[1:], strict=True):
        if not isinstance(sheet, Worksheet):
            raise ValueError(f"The sheet of table {outline.name!r} is not a worksheet.")
        width = len(outline.columns)
        if _xlsx_texts(sheet, 1, width) != [column.title for column in outline.columns]:
            raise ValueError(f"The sheet of table {outline.name!r} does not begin with its column titles.")
        if sheet.max_row > outline.row_count + 1 or sheet.max_column > width:
            raise ValueError(f"The sheet of table {outline.name!r} holds more than its about sheet lists.")
        rows = [
            _convert_row(outline.name, number, outline.columns, cells, _from_xlsx)
            for number, cells in enumerate(
                sheet.iter_rows(min_row=2, max_row=outline.row_count + 1, max_col=width), start=1
            )
        ]
        tables.append(outline.table(rows))
    generated_at = _generated_at(generated, f"The {ABOUT_SHEET!r} sheet")
    return SubjectExport(title, generated_at, tuple(tables))


# CSV and the manifest it shares with XLSX ------------------------------------------------------------


@dataclass
class _Outline:
    """A table as its manifest describes it, before its rows are read."""

    name: str
    title: str
    description: str
    row_count: int
    columns: list[Column] = field(default_factory=list)

    def table(self, rows: Iterable[dict[str, Value]]) -> Table:
        return Table(self.name, self.title, self.description, tuple(self.columns), tuple(rows))


def _outlines(manifest: Iterable[Sequence[str]], source: str) -> list[_Outline]:
    outlines: dict[str, _Outline] = {}
    for number, fields in enumerate(manifest, start=1):
        if len(fields) != len(_MANIFEST_HEADER):
            raise ValueError(f"{source}, entry {number}: expected {len(_MANIFEST_HEADER)} fields.")
        name, title, description, row_count, column, column_title, column_type = fields
        if not _LEXICAL[ColumnType.INTEGER].fullmatch(row_count) or row_count.startswith("-"):
            raise ValueError(f"{source}, entry {number}: the row count is not a whole number.")
        outline = outlines.setdefault(name, _Outline(name, title, description, int(row_count)))
        if (outline.title, outline.description, outline.row_count) != (title, description, int(row_count)):
            raise ValueError(f"{source}, entry {number}: table {name!r} is described twice, differently.")
        where = f"{source}, entry {number}"
        outline.columns.append(Column(column, column_title, _column_type(column_type, where)))
    return list(outlines.values())


def _csv_bytes(rows: Iterable[Sequence[str]]) -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _csv_text(text: str) -> str:
    """Text a spreadsheet shows as text: a would-be formula gets one more leading apostrophe."""
    return "'" + text if _CSV_FORMULA_LOOKALIKE.match(text) else text


def _csv_untext(raw: str) -> str:
    return raw[1:] if _CSV_NEUTRALISED.match(raw) else raw


def _to_csv(value: Value) -> str:
    if value is None:
        return _CSV_NULL
    if isinstance(value, str):
        return "\\" + value if _CSV_NULL_LOOKALIKE.fullmatch(value) else _csv_text(value)
    return _to_text(value)


def _from_csv(kind: ColumnType, raw: str) -> Value:
    if raw == _CSV_NULL:
        return None
    if kind is ColumnType.TEXT and _CSV_ESCAPED_LOOKALIKE.fullmatch(raw):
        return raw[1:]
    if kind is ColumnType.TEXT:
        return _csv_untext(raw)
    return _from_text(kind, raw)


def render_csv(export: SubjectExport) -> dict[str, bytes]:
    """The CSV files by name: `tables.csv`, `export.csv` and one `<table>.csv` per table."""
    files = {
        CSV_MANIFEST: _csv_bytes([_MANIFEST_HEADER, *_manifest_rows(export)]),
        CSV_EXPORT: _csv_bytes([_EXPORT_HEADER, (_csv_text(export.title), _to_text(export.generated_at))]),
    }
    for table in export.tables:
        header = [column.name for column in table.columns]
        rows = ([_to_csv(row[name]) for name in header] for row in table.rows)
        files[f"{table.name}.csv"] = _csv_bytes([header, *rows])
    return files


def _csv_rows(files: Mapping[str, bytes], name: str, missing: str) -> list[list[str]]:
    if name not in files:
        raise ValueError(missing)
    try:
        text = files[name].decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError(f"{name} is not UTF-8 text.") from None
    # Fields may be as long as the file (a long message); only ever raise the process-wide limit.
    csv.field_size_limit(max(csv.field_size_limit(), len(text)))
    try:
        return list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as error:
        raise ValueError(f"{name} is not valid CSV: {error}.") from None


def read_csv(files: Mapping[str, bytes]) -> SubjectExport:
    """Read back `render_csv` (other files are ignored); anything else raises ValueError saying where."""
    manifest = _csv_rows(files, CSV_MANIFEST, f"The CSV export has no manifest {CSV_MANIFEST}.")
    about = _csv_rows(files, CSV_EXPORT, f"The CSV export has no {CSV_EXPORT}.")
    if not manifest or tuple(manifest[0]) != _MANIFEST_HEADER:
        raise ValueError(f"{CSV_MANIFEST} does not begin with the manifest's header.")
    if len(about) != 2 or tuple(about[0]) != _EXPORT_HEADER or len(about[1]) != 2:
        raise ValueError(f"{CSV_EXPORT} is not a header and one row of title and generated_at.")
    tables = []
    for outline in _outlines(manifest[1:], CSV_MANIFEST):
        file_name = f"{outline.name}.csv"
        missing = f"{CSV_MANIFEST} lists table {outline.name!r}, but {file_name} is missing."
        lines = _csv_rows(files, file_name, missing)
        if not lines or lines[0] != [column.name for column in outline.columns]:
            raise ValueError(f"{file_name} does not begin with the column names {CSV_MANIFEST} lists.")
        if len(lines) - 1 != outline.row_count:
            raise ValueError(f"{file_name} has {len(lines) - 1} rows; its manifest says {outline.row_count}.")
        rows = (
            _convert_row(outline.name, number, outline.columns, line, _from_csv)
            for number, line in enumerate(lines[1:], start=1)
        )
        tables.append(outline.table(rows))
    generated_at = _generated_at(about[1][1], CSV_EXPORT)
    return SubjectExport(_csv_untext(about[1][0]), generated_at, tuple(tables))


# README ----------------------------------------------------------------------------------------------

_README_WIDTH: Final = 100
_README_INTRO: Final = (
    "This package is a copy of the personal data held about you, given under Article 15 (right of "
    "access) and Article 20 (right to data portability) of the General Data Protection Regulation "
    "(GDPR). The same data is written in four machine-readable formats, so that you can read it or take "
    "it to another service: use whichever suits you. Every format holds the same tables, columns and "
    "values, in the same order."
)
_README_VALUES: Final = (
    (
        "Each column has a type: text, integer, decimal, boolean, date or datetime. A value may be "
        "missing (null), which is not the same as an empty text."
    ),
    "Dates follow ISO 8601: YYYY-MM-DD.",
    (
        "Dates with a time follow ISO 8601, in UTC, to the microsecond: YYYY-MM-DDThh:mm:ss.ffffffZ "
        "(the final Z means UTC)."
    ),
    (
        "Decimals are written as text in plain notation with a dot, such as -12.50, so that no digit "
        "is lost: never as floating-point numbers."
    ),
    "Integers are written in full. Booleans are true or false.",
)
_README_FORMATS: Final = (
    (
        ("JSON", JSON_FILE),
        'One object with "format", "version", "title", "generated_at" and "tables". Each table has '
        '"name", "title", "description", "columns" (each with "name", "title" and "type") and "rows"; '
        "each row is an object keyed by column name. A missing value is null. Integers are JSON "
        f"numbers, except beyond {JSON_SAFE_INTEGER:,} either side of zero, where they are strings so "
        "that no program rounds them. Decimals, dates and times are strings.",
    ),
    (
        ("XML", XML_FILE),
        f"The root element subject-export, in the namespace {XML_NAMESPACE}, has the attributes "
        "version and generated-at, and a title. Each table element has a name, a title, a description, "
        "its columns (name, type and title) and its rows. A row holds one element per column, in "
        "column order, named after the column's type (text, integer, decimal, boolean, date, datetime), "
        f"or null for a missing value. The file validates against the XML Schema {XSD_FILE}, shipped "
        "in this package. XML 1.0 cannot carry some control characters (U+0000 to U+0008, U+000B, "
        "U+000C, U+000E to U+001F, U+FFFE and U+FFFF): a text holding one is written as the base64 of "
        'its UTF-8 bytes, and its element has the attribute encoding="base64".',
    ),
    (
        ("SPREADSHEET", XLSX_FILE),
        f'The first sheet, "{ABOUT_SHEET}", gives the title and the time the package was made, then '
        "one line per column of each table: table, table title, description, row count, column, "
        "column title and type. One sheet per table follows, in the same order, named after the "
        f"table (shortened to {XLSX_MAX_SHEET_TITLE} characters where needed), with the column titles "
        "in its first row. Texts are always text cells, never formulas. Decimals, dates, times and "
        "integers of more than 15 digits are text cells, so that every digit is kept. A cell with "
        "nothing in it is a missing value; an empty cell formatted as text (@) is an empty text. A "
        "character a spreadsheet cannot hold is written _xHHHH_ (its code point in hexadecimal), and "
        "an underscore followed by xHHHH is written _x005F_, as Office Open XML does.",
    ),
    (
        ("CSV", CSV_DIRECTORY),
        "UTF-8, comma-separated, quoted where needed (RFC 4180). Each table is in <table>.csv: a header "
        f"row of column names, then one line per row. {CSV_MANIFEST} lists every column of every table "
        "(table, table_title, table_description, row_count, column, column_title, column_type), so "
        f"that the files can be read back typed; {CSV_EXPORT} gives the title and generated_at. A "
        "missing value is written \\N, and an empty field is an empty text. A text made only of "
        "backslashes followed by N (such as \\N itself) is written with one more backslash in front. "
        "So that no spreadsheet program takes a text for a formula, a text beginning with =, +, -, @, "
        "a tab or a carriage return (after any apostrophes) is written with one more apostrophe in "
        f"front; remove it when reading the file with a program. {XLSX_FILE} needs no such care.",
    ),
)


def _printable(text: str) -> str:
    """Text safe to show: control and invisible characters (which could hide or fake a name) escaped."""
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)


def _paragraph(text: str, indent: str = "") -> list[str]:
    flat = _printable(" ".join(text.split()))
    return textwrap.wrap(
        flat,
        _README_WIDTH,
        initial_indent=indent,
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    ) or [indent.rstrip()]


def _readme_files(files: Sequence[str]) -> list[str]:
    listing = [
        (README_FILE, "This explanation."),
        (JSON_FILE, "The data as JSON."),
        (XML_FILE, f"The data as XML; it validates against {XSD_FILE}."),
        (XSD_FILE, f"The XML Schema (XSD 1.0) that {XML_FILE} follows."),
        (XLSX_FILE, "The data as a spreadsheet workbook."),
        (CSV_DIRECTORY, f"The data as CSV: one file per table, with {CSV_MANIFEST} and {CSV_EXPORT}."),
    ]
    lines = [f"  {name:<20} {what}" for name, what in listing]
    if files:
        lines += ["", "The original documents, as they were supplied, are in this package:"]
        lines += [f"  {_printable(path)}" for path in files]
    else:
        lines += ["", "There are no original documents in this package."]
    return lines


def _readme_table(table: Table, sheet_title: str) -> list[str]:
    count = f"{len(table.rows)} row" + ("" if len(table.rows) == 1 else "s")
    lines = [*_paragraph(f"{table.name}: {table.title} ({count})", "  ")]
    if table.description.strip():
        lines += _paragraph(table.description, "    ")
    lines += _paragraph(
        f"In {JSON_FILE} and {XML_FILE} as {table.name}; in {XLSX_FILE} on the sheet {sheet_title}; "
        f"in {CSV_DIRECTORY}{table.name}.csv. Columns:",
        "    ",
    )
    for column in table.columns:
        lines += _paragraph(f"- {column.name} ({column.type.value}): {column.title}", "      ")
    return lines


def render_readme(export: SubjectExport, files: Sequence[str]) -> str:
    """The package's README.txt: every file, how values are written, every table and column."""
    title = _paragraph(export.title)
    lines = [*title, "=" * max(3, max(len(line) for line in title)), ""]
    lines += [f"Generated {_to_text(export.generated_at)} (UTC).", "", *_paragraph(_README_INTRO), ""]
    lines += ["FILES", "", *_readme_files(files), ""]
    lines += ["HOW VALUES ARE WRITTEN", ""]
    for rule in _README_VALUES:
        lines += _paragraph(f"- {rule}", "  ")
    lines.append("")
    for (kind, file_name), text in _README_FORMATS:
        lines += [f"{kind} ({file_name})", "", *_paragraph(text, "  "), ""]
    lines += ["TABLES", ""]
    titles = _sheet_titles([table.name for table in export.tables])
    for table, sheet_title in zip(export.tables, titles, strict=True):
        lines += [*_readme_table(table, sheet_title), ""]
    if not export.tables:
        lines += ["  This package holds no tables.", ""]
    return "\n".join(lines)
