"""Tests of the package formats: each reads back exactly what it wrote, whatever a person typed.

No database is needed: these tests only touch bytes in memory.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from openpyxl.cell.cell import Cell
from openpyxl.worksheet.worksheet import Worksheet

from strongroom.rights.formats import (
    ABOUT_SHEET,
    CSV_DIRECTORY,
    CSV_EXPORT,
    CSV_MANIFEST,
    JSON_FILE,
    README_FILE,
    RESERVED_TABLE_NAMES,
    XLSX_FILE,
    XLSX_MAX_TEXT,
    XML_FILE,
    XSD_FILE,
    XSD_PATH,
    Column,
    ColumnType,
    SubjectExport,
    Table,
    Value,
    read_csv,
    read_json,
    read_xlsx,
    read_xml,
    render_csv,
    render_json,
    render_readme,
    render_xlsx,
    render_xml,
    validate_xml,
)

ROUND_TRIPS: dict[str, Callable[[SubjectExport], SubjectExport]] = {
    "json": lambda export: read_json(render_json(export)),
    "xml": lambda export: read_xml(render_xml(export)),
    "xlsx": lambda export: read_xlsx(render_xlsx(export)),
    "csv": lambda export: read_csv(render_csv(export)),
}
FORMATS = sorted(ROUND_TRIPS)

# What people type, and what trips up a format.
NASTY_TEXTS = [
    "",
    " ",
    "  padded  ",
    "007",
    "0",
    "-0",
    "1e5",
    "12.50",
    "2024-01-01",
    "2024-01-01T00:00:00.000000Z",
    "true",
    "false",
    "null",
    "None",
    "N",
    "\\N",
    "\\\\N",
    "\\\\\\N",
    "\\",
    "\\n",
    "=1+1",
    '=HYPERLINK("http://example.com")',
    "+33 6 12 34 56 78",
    "-12",
    "@SUM(A1)",
    "#N/A",
    "#DIV/0!",
    "a,b",
    'say "hi"',
    "'quoted'",
    "line\nbreak",
    "cr\rlf\r\n",
    "\r",
    "\n",
    "\t",
    "tab\tin",
    "\x00",
    "nul\x00inside",
    "\x1b[2J",
    "\x0b\x0c",
    "\x7f",
    "\ufffe\uffff",
    "\u2028\u2029",
    "_x0041_",
    "_x005F_",
    "_x005f_x0041_",
    "_xABCD\x1b",
    "_x",
    "__x0000_",
    "_x000D_",
    "é ü ß ç",
    "🙂 👩‍👩‍👧 🇫🇷",
    "\u202eexe.pdf",
    "\ufeffbom",
    "<tag>&amp;</tag>",
    "]]>",
    "日本語",
]

UTC_PLUS_2 = timezone(timedelta(hours=2))
MOMENT = datetime(2024, 5, 31, 9, 30, 15, 123456, tzinfo=UTC)

identifiers = st.from_regex(r"[a-z][a-z0-9_]{0,40}", fullmatch=True)
texts = st.one_of(st.text(), st.sampled_from(NASTY_TEXTS))
time_zones = st.one_of(
    st.just(UTC),
    st.timedeltas(min_value=-timedelta(hours=23, minutes=59), max_value=timedelta(hours=23, minutes=59)).map(
        timezone
    ),
    st.timezones(),
)
aware_times = st.datetimes(datetime(2, 1, 1), datetime(9998, 12, 31), timezones=time_zones)
decimals = st.one_of(
    st.decimals(allow_nan=False, allow_infinity=False, min_value=-(10**30), max_value=10**30),
    st.builds(lambda digits, places: Decimal(digits).scaleb(-places), st.integers(), st.integers(0, 30)),
)
VALUES: dict[ColumnType, st.SearchStrategy[Value]] = {
    ColumnType.TEXT: texts,
    ColumnType.INTEGER: st.one_of(st.integers(), st.sampled_from([2**53, -(2**53) - 1, 10**15, 10**40])),
    ColumnType.DECIMAL: decimals,
    ColumnType.BOOLEAN: st.booleans(),
    ColumnType.DATE: st.dates(),
    ColumnType.DATETIME: aware_times,
}


@st.composite
def tables(draw: st.DrawFn, name: str) -> Table:
    names = draw(st.lists(identifiers, min_size=1, max_size=5, unique=True))
    columns = tuple(Column(n, draw(texts), draw(st.sampled_from(ColumnType))) for n in names)
    row = st.fixed_dictionaries({c.name: st.one_of(st.none(), VALUES[c.type]) for c in columns})
    return Table(name, draw(texts), draw(texts), columns, tuple(draw(st.lists(row, max_size=4))))


@st.composite
def exports(draw: st.DrawFn) -> SubjectExport:
    table_names = identifiers.filter(lambda name: name not in RESERVED_TABLE_NAMES)
    names = draw(st.lists(st.one_of(table_names, st.just(ABOUT_SHEET)), max_size=4, unique=True))
    return SubjectExport(draw(texts), draw(aware_times), tuple(draw(tables(name)) for name in names))


def exact(export: SubjectExport) -> object:
    """The export with each value's type and exact notation: `==` alone takes True for 1, 1.0 for 1.00."""

    def typed(value: Value) -> tuple[str, str]:
        shown = format(value, "f") if isinstance(value, Decimal) else repr(value)
        return type(value).__name__, shown

    return (
        export.title,
        repr(export.generated_at),
        [
            (t.name, t.title, t.description, t.columns, [{k: typed(v) for k, v in r.items()} for r in t.rows])
            for t in export.tables
        ],
    )


def assert_round_trips(export: SubjectExport, form: str) -> None:
    read_back = ROUND_TRIPS[form](export)
    assert read_back == export
    assert exact(read_back) == exact(export)


def one_column(kind: ColumnType, *values: Value, name: str = "notes") -> SubjectExport:
    table = Table(
        name,
        "Notes",
        "Notes kept",
        (Column("value", "Value", kind),),
        tuple({"value": value} for value in values),
    )
    return SubjectExport("Your data", MOMENT, (table,))


def every_type(**overrides: Value) -> SubjectExport:
    columns = tuple(Column(kind.value, kind.value.title(), kind) for kind in ColumnType)
    row: dict[str, Value] = {
        "text": "Ada",
        "integer": 42,
        "decimal": Decimal("1234.50"),
        "boolean": True,
        "date": date(1990, 12, 10),
        "datetime": MOMENT,
    }
    row.update(overrides)
    return SubjectExport("Your data", MOMENT, (Table("people", "People", "", columns, (row,)),))


def xlsx_cells(data: bytes, sheet: str) -> list[list[Cell]]:
    worksheet = openpyxl.load_workbook(io.BytesIO(data))[sheet]
    assert isinstance(worksheet, Worksheet)
    return [[cell for cell in row if isinstance(cell, Cell)] for row in worksheet.iter_rows()]


def xlsx_sheet_xml(data: bytes, number: int) -> str:
    return zipfile.ZipFile(io.BytesIO(data)).read(f"xl/worksheets/sheet{number}.xml").decode("utf-8")


# The property: any export, any format ----------------------------------------------------------------


@pytest.mark.parametrize("form", FORMATS)
@settings(max_examples=75, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(export=exports())
def test_any_export_reads_back_exactly(form: str, export: SubjectExport) -> None:
    assert_round_trips(export, form)


# Values and their types ------------------------------------------------------------------------------


@pytest.mark.parametrize("form", FORMATS)
def test_nasty_texts_read_back_exactly_and_stay_text(form: str) -> None:
    export = one_column(ColumnType.TEXT, *NASTY_TEXTS, None)
    assert_round_trips(export, form)


@pytest.mark.parametrize("form", FORMATS)
def test_nasty_texts_in_titles_and_descriptions_read_back(form: str) -> None:
    for text in NASTY_TEXTS:
        table = Table("notes", text, text, (Column("body", text, ColumnType.TEXT),), ({"body": text},))
        assert_round_trips(SubjectExport(text, MOMENT, (table,)), form)


@pytest.mark.parametrize("form", FORMATS)
def test_null_and_empty_text_stay_apart(form: str) -> None:
    export = one_column(ColumnType.TEXT, None, "", None, "", " ")
    assert [row["value"] for row in ROUND_TRIPS[form](export).tables[0].rows] == [None, "", None, "", " "]


@pytest.mark.parametrize("form", FORMATS)
def test_a_row_of_nulls_only_is_kept(form: str) -> None:
    # given a last row with no value at all (a spreadsheet would write no cell for it)
    export = every_type(**{kind.value: None for kind in ColumnType})
    assert_round_trips(export, form)
    assert_round_trips(one_column(ColumnType.INTEGER, 1, None, None), form)


@pytest.mark.parametrize("form", FORMATS)
@pytest.mark.parametrize(
    "value",
    [
        Decimal("0.1"),
        Decimal("1.10"),
        Decimal("-0.00"),
        Decimal("123456789012345678901234567890.123456789"),
        Decimal("0.000000000000000000001"),
        Decimal("-7"),
    ],
)
def test_decimals_keep_every_digit_and_their_places(form: str, value: Decimal) -> None:
    read_back = ROUND_TRIPS[form](one_column(ColumnType.DECIMAL, value)).tables[0].rows[0]["value"]
    assert isinstance(read_back, Decimal)
    assert str(read_back) == str(value)


@pytest.mark.parametrize("form", FORMATS)
@pytest.mark.parametrize("value", [0, -1, 2**53 - 1, 2**53, -(2**53), 10**15 - 1, 10**15, 10**40, -(10**40)])
def test_integers_of_any_size_read_back_exactly(form: str, value: int) -> None:
    assert_round_trips(one_column(ColumnType.INTEGER, value), form)


@pytest.mark.parametrize("form", FORMATS)
def test_booleans_dates_and_times_keep_their_types(form: str) -> None:
    leap_second_before_midnight = datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=UTC_PLUS_2)
    export = every_type(datetime=leap_second_before_midnight, date=date(1, 1, 1))
    assert_round_trips(export, form)
    assert_round_trips(every_type(boolean=False, datetime=datetime(1, 1, 1, tzinfo=UTC)), form)


def test_times_are_moved_to_utc_and_keep_their_microseconds() -> None:
    # given a time in Paris summer time
    local = datetime(2024, 7, 1, 12, 0, 0, 1, tzinfo=UTC_PLUS_2)
    # when it is stored
    stored = every_type(datetime=local).tables[0].rows[0]["datetime"]
    # then it is the same instant, written in UTC
    assert stored == local
    assert isinstance(stored, datetime)
    assert stored.tzinfo is UTC
    assert stored.isoformat() == "2024-07-01T10:00:00.000001+00:00"
    assert b'"2024-07-01T10:00:00.000001Z"' in render_json(every_type(datetime=local))


# JSON ------------------------------------------------------------------------------------------------


def test_json_writes_integers_beyond_what_every_reader_holds_as_strings() -> None:
    document = json.loads(render_json(one_column(ColumnType.INTEGER, 2**53 - 1, 2**53, None)))
    assert [row["value"] for row in document["tables"][0]["rows"]] == [2**53 - 1, str(2**53), None]


def test_json_writes_decimals_as_strings_and_metadata_at_the_top() -> None:
    document = json.loads(render_json(every_type()))
    assert document["tables"][0]["rows"][0]["decimal"] == "1234.50"
    assert document["title"] == "Your data"
    assert document["generated_at"] == "2024-05-31T09:30:15.123456Z"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"{not json", "not valid JSON"),
        (b"[]", "no list 'tables'"),
        (b'{"tables": [], "title": "t"}', "no text 'generated_at'"),
        (b"\xff\xfe\x00", "not valid JSON"),
    ],
)
def test_json_that_is_not_an_export_is_refused(data: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        read_json(data)


def test_json_with_a_value_of_the_wrong_type_names_where() -> None:
    document = json.loads(render_json(every_type()))
    document["tables"][0]["rows"][0]["boolean"] = "yes"
    with pytest.raises(ValueError, match=r"Table 'people', row 1, column 'boolean': expected true or false"):
        read_json(json.dumps(document).encode())


# XML -------------------------------------------------------------------------------------------------


def test_the_xml_validates_against_the_shipped_schema() -> None:
    assert XSD_PATH.name == XSD_FILE
    assert XSD_PATH.is_file()
    etree.XMLSchema(etree.parse(str(XSD_PATH)))  # the schema itself is valid
    validate_xml(render_xml(every_type()))
    validate_xml(render_xml(one_column(ColumnType.TEXT, *NASTY_TEXTS, None)))


def test_xml_writes_text_it_cannot_carry_as_marked_base64() -> None:
    data = render_xml(one_column(ColumnType.TEXT, "esc \x1b and nul \x00", "plain"))
    texts = etree.fromstring(data).findall(".//{urn:strongroom:subject-export:1}text")
    assert [(t.get("encoding"), t.text) for t in texts] == [
        ("base64", "ZXNjIBsgYW5kIG51bCAA"),
        (None, "plain"),
    ]
    assert read_xml(data).tables[0].rows[0]["value"] == "esc \x1b and nul \x00"


def replace_in_xml(old: str, new: str) -> bytes:
    data = render_xml(every_type(integer=42, datetime=MOMENT)).decode()
    assert old in data
    return data.replace(old, new, 1).encode()


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('type="integer"', 'type="money"'),  # an unknown column type
        (">42<", ">forty-two<"),  # a value not of its element's type
        (">42<", ">4.2<"),
        ('<boolean column="boolean">true<', '<boolean column="boolean">yes<'),
        ("2024-05-31T09:30:15.123456Z<", "2024-05-31T11:30:15.123456+02:00<"),  # a time not in UTC
        ('<integer column="integer">', '<integer column="salary">'),  # a value of no declared column
        ('<table name="people">', '<table name="People">'),  # a name that is no identifier
        ('version="1"', 'version="2"'),
        ("<rows>", "<rows><row/>"),  # a row without values
        ("<title>People</title>", ""),  # a table without its title
    ],
)
def test_xml_that_fails_the_schema_is_refused_with_lxmls_reason(old: str, new: str) -> None:
    data = replace_in_xml(old, new)
    with pytest.raises(ValueError, match=rf"does not match {XSD_FILE}: .*Element"):
        validate_xml(data)
    with pytest.raises(ValueError, match=XSD_FILE):
        read_xml(data)


def test_xml_reads_back_a_text_longer_than_libxml2s_default_limit() -> None:
    assert_round_trips(one_column(ColumnType.TEXT, "x" * 10_500_000), "xml")


STAMP = b"2024-05-31T09:30:15.123456Z"


def test_a_bad_export_time_is_refused_saying_where() -> None:
    # JSON and CSV: the time replaced by words; XML: its schema refuses it (see above)
    with pytest.raises(ValueError, match="The JSON export: generated_at is not a UTC time"):
        read_json(render_json(every_type()).replace(STAMP, b"yesterday", 1))  # the first is generated_at
    files = render_csv(every_type())
    files[CSV_EXPORT] = files[CSV_EXPORT].replace(STAMP, b"2024-05-31 09:30")
    with pytest.raises(ValueError, match=r"export\.csv: generated_at is not a UTC time"):
        read_csv(files)
    workbook = openpyxl.load_workbook(io.BytesIO(render_xlsx(every_type())))
    about = workbook[ABOUT_SHEET]
    assert isinstance(about, Worksheet)
    about["B2"] = "yesterday"
    buffer = io.BytesIO()
    workbook.save(buffer)
    with pytest.raises(ValueError, match="The 'about' sheet: generated_at is not a UTC time"):
        read_xlsx(buffer.getvalue())


def test_xml_that_is_not_well_formed_is_refused() -> None:
    with pytest.raises(ValueError, match="not well-formed"):
        read_xml(b"<subject-export")


def test_xml_declaring_entities_is_refused() -> None:
    data = replace_in_xml(
        "<?xml version='1.0' encoding='UTF-8'?>",
        "<?xml version='1.0' encoding='UTF-8'?><!DOCTYPE x [<!ENTITY e 'boom'>]>",
    )
    with pytest.raises(ValueError, match="document type"):
        read_xml(data)


def test_xml_with_a_value_element_of_another_type_names_where() -> None:
    # given an XML the schema accepts, but whose integer column holds a text element
    data = replace_in_xml('<integer column="integer">42</integer>', '<text column="integer">42</text>')
    validate_xml(data)
    with pytest.raises(ValueError, match=r"Table 'people', row 1, column 'integer': expected an integer"):
        read_xml(data)


def test_xml_with_values_out_of_column_order_is_refused() -> None:
    # given the first value moved to the end of its row
    data = replace_in_xml('<text column="text">Ada</text>', "")
    data = data.replace(b"</row>", b'<text column="text">Ada</text></row>', 1)
    validate_xml(data)
    with pytest.raises(ValueError, match=r"Table 'people', row 1 lacks one value per column, in order"):
        read_xml(data)


# XLSX ------------------------------------------------------------------------------------------------


def test_xlsx_text_that_looks_like_a_formula_or_an_error_is_a_text_cell() -> None:
    formula_like = ["=1+1", "+1", "-1", "@SUM(A1)", "#N/A", '=HYPERLINK("http://example.com")']
    data = render_xlsx(one_column(ColumnType.TEXT, *formula_like))
    cells = [row[0] for row in xlsx_cells(data, "notes")[1:]]
    assert [(c.value, c.data_type) for c in cells] == [(text, "s") for text in formula_like]
    assert "<f>" not in xlsx_sheet_xml(data, 2)


def test_xlsx_escapes_what_a_worksheet_cannot_hold_and_reads_it_back() -> None:
    # given control characters, and a person's text that looks like the escape itself
    export = one_column(ColumnType.TEXT, "a\x00b\x1bc", "_x0041_", "_xABCD\x1b")
    data = render_xlsx(export)
    cells = [row[0].value for row in xlsx_cells(data, "notes")[1:]]
    assert cells == ["a_x0000_b_x001B_c", "_x005F_x0041_", "_x005F_xABCD_x001B_"]
    assert_round_trips(export, "xlsx")


def test_xlsx_tells_null_from_empty_text_by_the_text_format() -> None:
    data = render_xlsx(one_column(ColumnType.TEXT, None, ""))
    null, empty = (row[0] for row in xlsx_cells(data, "notes")[1:])
    assert (null.value, null.number_format) == (None, "General")
    assert (empty.value, empty.number_format) == (None, "@")


def test_xlsx_keeps_numbers_that_fit_and_writes_the_rest_as_text() -> None:
    big = one_column(ColumnType.INTEGER, 10**15 - 1, 10**15).tables[0]
    export = SubjectExport("t", MOMENT, (*every_type().tables, big))
    data = render_xlsx(export)
    people = xlsx_cells(data, "people")
    assert [cell.value for cell in people[1]] == [
        "Ada",
        42,
        "1234.50",
        True,
        "1990-12-10",
        "2024-05-31T09:30:15.123456Z",
    ]
    assert [row[0].value for row in xlsx_cells(data, "notes")[1:]] == [10**15 - 1, "1000000000000000"]


def test_xlsx_begins_with_the_about_sheet() -> None:
    data = render_xlsx(every_type())
    about = xlsx_cells(data, ABOUT_SHEET)
    assert [c.value for c in about[0]][:2] == ["title", "Your data"]
    assert [c.value for c in about[1]][:2] == ["generated_at", "2024-05-31T09:30:15.123456Z"]
    assert [c.value for c in about[4]] == ["people", "People", None, "1", "text", "Text", "text"]
    assert [c.value for c in xlsx_cells(data, "people")[0]] == [kind.value.title() for kind in ColumnType]


def test_xlsx_gives_long_or_clashing_table_names_a_sheet_of_their_own() -> None:
    long_a, long_b = "a" * 31 + "_first", "a" * 31 + "_second"
    tables_ = tuple(
        one_column(ColumnType.INTEGER, n, name=name).tables[0]
        for n, name in enumerate([long_a, long_b, "a" * 31, ABOUT_SHEET])
    )
    export = SubjectExport("t", MOMENT, tables_)
    workbook = openpyxl.load_workbook(io.BytesIO(render_xlsx(export)))
    assert workbook.sheetnames == [ABOUT_SHEET, "a" * 29 + "_2", "a" * 29 + "_3", "a" * 31, "about_2"]
    assert_round_trips(export, "xlsx")


def test_xlsx_refuses_text_longer_than_a_cell_holds() -> None:
    assert_round_trips(one_column(ColumnType.TEXT, "x" * XLSX_MAX_TEXT), "xlsx")
    with pytest.raises(ValueError, match=r"Table 'notes', row 1, column 1: the text is longer than"):
        render_xlsx(one_column(ColumnType.TEXT, "x" * (XLSX_MAX_TEXT + 1)))
    # escaping counts: six characters for each control character
    with pytest.raises(ValueError, match="longer than"):
        render_xlsx(one_column(ColumnType.TEXT, "\x1b" * (XLSX_MAX_TEXT // 7 + 1)))


@pytest.mark.parametrize("data", [b"", b"not a zip", render_json(every_type())])
def test_xlsx_that_is_not_a_workbook_is_refused(data: bytes) -> None:
    with pytest.raises(ValueError, match="not a readable workbook"):
        read_xlsx(data)


def test_xlsx_without_its_about_sheet_is_refused() -> None:
    workbook = openpyxl.Workbook()
    buffer = io.BytesIO()
    workbook.save(buffer)
    with pytest.raises(ValueError, match="about"):
        read_xlsx(buffer.getvalue())


def test_xlsx_with_a_bad_value_names_where() -> None:
    workbook = openpyxl.load_workbook(io.BytesIO(render_xlsx(every_type())))
    sheet = workbook["people"]
    assert isinstance(sheet, Worksheet)
    sheet["E2"] = "31/12/1990"
    buffer = io.BytesIO()
    workbook.save(buffer)
    with pytest.raises(ValueError, match=r"Table 'people', row 1, column 'date': the value is not a date"):
        read_xlsx(buffer.getvalue())


# CSV -------------------------------------------------------------------------------------------------


def test_csv_writes_null_as_backslash_n_and_escapes_text_that_looks_like_it() -> None:
    files = render_csv(one_column(ColumnType.TEXT, None, "", "\\N", "\\\\N", "N"))
    assert files["notes.csv"] == b'value\r\n\\N\r\n""\r\n\\\\N\r\n\\\\\\N\r\nN\r\n'
    assert_round_trips(one_column(ColumnType.TEXT, None, "", "\\N", "\\\\N", "N"), "csv")


def test_csv_one_column_rows_of_null_and_empty_text_read_back() -> None:
    assert_round_trips(one_column(ColumnType.TEXT, None), "csv")
    assert_round_trips(one_column(ColumnType.TEXT, ""), "csv")
    assert_round_trips(one_column(ColumnType.DATE, None), "csv")


def test_csv_has_a_manifest_and_the_export_file() -> None:
    files = render_csv(every_type())
    assert sorted(files) == sorted([CSV_MANIFEST, CSV_EXPORT, "people.csv"])
    manifest = files[CSV_MANIFEST].decode().splitlines()
    assert manifest[0] == "table,table_title,table_description,row_count,column,column_title,column_type"
    assert manifest[3] == "people,People,,1,decimal,Decimal,decimal"
    assert files[CSV_EXPORT] == b"title,generated_at\r\nYour data,2024-05-31T09:30:15.123456Z\r\n"


def test_csv_reads_fields_longer_than_the_csv_modules_default_limit() -> None:
    assert_round_trips(one_column(ColumnType.TEXT, "long message " * 20_000), "csv")


def test_csv_whose_manifest_names_a_missing_file_is_refused() -> None:
    files = render_csv(every_type())
    del files["people.csv"]
    with pytest.raises(ValueError, match=r"tables.csv lists table 'people', but people.csv is missing"):
        read_csv(files)


@pytest.mark.parametrize(
    ("name", "change", "message"),
    [
        (CSV_MANIFEST, None, "no manifest tables.csv"),
        (CSV_EXPORT, None, "no export.csv"),
        ("people.csv", b"text,integer\r\n", "does not begin with the column names"),
        ("people.csv", b"", "does not begin with the column names"),
        (CSV_MANIFEST, b"table\r\n", "does not begin with the manifest's header"),
        (CSV_EXPORT, b"title\r\n", "is not a header and one row"),
        ("people.csv", b"\xff", "is not UTF-8"),
    ],
)
def test_csv_with_a_broken_file_is_refused(name: str, change: bytes | None, message: str) -> None:
    files = render_csv(every_type())
    if change is None:
        del files[name]
    else:
        files[name] = change
    with pytest.raises(ValueError, match=message):
        read_csv(files)


def test_csv_with_more_rows_than_its_manifest_lists_is_refused() -> None:
    files = render_csv(every_type())
    files["people.csv"] += files["people.csv"].split(b"\r\n")[1] + b"\r\n"
    with pytest.raises(ValueError, match=r"people\.csv has 2 rows; its manifest says 1"):
        read_csv(files)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (b",42,", b",forty-two,", "row 1, column 'integer': the value is not an integer"),
        (b",42,", b",,", "row 1, column 'integer': the value is not an integer"),
        (b",true,", b",yes,", "row 1, column 'boolean': the value is not true or false"),
        (b",1234.50,", b",1.2e3,", "row 1, column 'decimal': the value is not a decimal"),
        (b",1990-12-10,", b",1990-13-10,", "row 1, column 'date': month must be in 1..12"),
        (
            b"Z\r\n",
            b"+02:00\r\n",
            "row 1, column 'datetime': the value is not a timezone-aware date and time",
        ),
        (b",42,", b",42,43,", "row 1 has 7 values for 6 columns"),
    ],
)
def test_csv_with_a_bad_value_names_table_row_and_column(old: bytes, new: bytes, message: str) -> None:
    files = render_csv(every_type())
    files["people.csv"] = files["people.csv"].replace(old, new)
    with pytest.raises(ValueError, match=rf"Table 'people', {re.escape(message)}"):
        read_csv(files)


# The data model refuses what no format could carry ---------------------------------------------------


@pytest.mark.parametrize("name", ["", "Notes", "1notes", "_notes", "notes-2", "no tes", "notés", "notes\n"])
def test_a_table_or_column_name_must_be_an_identifier(name: str) -> None:
    with pytest.raises(ValueError, match=r"Table name .* is not an identifier"):
        Table(name, "t", "", (Column("a", "A", ColumnType.TEXT),), ())
    with pytest.raises(ValueError, match=r"Column name .* is not an identifier"):
        Column(name, "A", ColumnType.TEXT)


@pytest.mark.parametrize("name", sorted(RESERVED_TABLE_NAMES))
def test_table_names_the_csv_package_uses_are_reserved(name: str) -> None:
    with pytest.raises(ValueError, match="is reserved"):
        Table(name, "t", "", (Column("a", "A", ColumnType.TEXT),), ())


def test_a_table_needs_distinct_columns_and_an_export_distinct_tables() -> None:
    column = Column("a", "A", ColumnType.TEXT)
    with pytest.raises(ValueError, match="has no columns"):
        Table("notes", "t", "", (), ())
    with pytest.raises(ValueError, match="names a column twice"):
        Table("notes", "t", "", (column, column), ())
    table = Table("notes", "t", "", (column,), ())
    with pytest.raises(ValueError, match="names a table twice"):
        SubjectExport("t", MOMENT, (table, table))


def test_an_unknown_column_type_is_refused() -> None:
    with pytest.raises(ValueError, match="Column 'a' has an unknown type"):
        Column("a", "A", "money")  # type: ignore[arg-type]
    assert Column("a", "A", "date") == Column("a", "A", ColumnType.DATE)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kind", "value", "reason"),
    [
        (ColumnType.TEXT, 7, "expected text, got a int"),
        (ColumnType.TEXT, b"bytes", "expected text, got a bytes"),
        (ColumnType.INTEGER, True, "expected an integer, got a bool"),
        (ColumnType.INTEGER, 1.0, "expected an integer, got a float"),
        (ColumnType.DECIMAL, 0.1, "expected a decimal, got a float"),
        (ColumnType.DECIMAL, Decimal("NaN"), "a decimal must be a finite number"),
        (ColumnType.DECIMAL, Decimal("-Infinity"), "a decimal must be a finite number"),
        (ColumnType.BOOLEAN, 1, "expected true or false, got a int"),
        (ColumnType.DATE, datetime(2024, 1, 1, tzinfo=UTC), "expected a date, got a datetime"),
        (ColumnType.DATE, "2024-01-01", "expected a date, got a str"),
        (ColumnType.DATETIME, datetime(2024, 1, 1), "a time must be timezone-aware"),
        (ColumnType.DATETIME, date(2024, 1, 1), "expected a timezone-aware date and time, got a date"),
        (
            ColumnType.DATETIME,
            datetime(1, 1, 1, tzinfo=UTC_PLUS_2),
            "the time falls outside the years 1 to 9999",
        ),
    ],
)
def test_a_value_of_the_wrong_type_is_refused_naming_table_row_and_column(
    kind: ColumnType, value: object, reason: str
) -> None:
    columns = (Column("id", "Id", ColumnType.INTEGER), Column("value", "Value", kind))
    rows = ({"id": 1, "value": None}, {"id": 2, "value": value})
    with pytest.raises(ValueError, match=rf"^Table 'notes', row 2, column 'value': {reason}") as refused:
        Table("notes", "Notes", "", columns, rows)  # type: ignore[arg-type]
    assert "2024" not in str(refused.value)  # the value itself is never quoted: it may be personal data


def test_a_row_must_have_exactly_the_tables_columns() -> None:
    columns = (Column("a", "A", ColumnType.TEXT), Column("b", "B", ColumnType.TEXT))
    missing_b = "row 1 does not have the table's columns (missing ['b'], unexpected [])"
    with pytest.raises(ValueError, match=re.escape(missing_b)):
        Table("notes", "t", "", columns, ({"a": "x"},))
    unexpected_c = "row 2 does not have the table's columns (missing [], unexpected ['c'])"
    with pytest.raises(ValueError, match=re.escape(unexpected_c)):
        Table("notes", "t", "", columns, ({"a": "x", "b": "y"}, {"a": "x", "b": "y", "c": "z"}))


def test_text_must_be_valid_unicode() -> None:
    with pytest.raises(ValueError, match="column 'value': The text is not valid Unicode text"):
        one_column(ColumnType.TEXT, "half a pair \ud83d")
    with pytest.raises(ValueError, match="export title is not valid Unicode"):
        SubjectExport("\udc00", MOMENT, ())


def test_the_export_time_must_be_timezone_aware() -> None:
    with pytest.raises(ValueError, match="generated_at: a time must be timezone-aware"):
        SubjectExport("t", datetime(2024, 1, 1), ())
    assert SubjectExport("t", datetime(2024, 1, 1, 2, tzinfo=UTC_PLUS_2), ()).generated_at.tzinfo is UTC


@pytest.mark.parametrize("form", FORMATS)
def test_an_export_without_tables_reads_back(form: str) -> None:
    assert_round_trips(SubjectExport("Nothing held", MOMENT, ()), form)
    assert_round_trips(one_column(ColumnType.TEXT), form)


# README ----------------------------------------------------------------------------------------------


def test_the_readme_explains_every_file_table_and_column() -> None:
    export = every_type()
    readme = render_readme(export, ["files/0001-passport.pdf", "files/0002-payslip.pdf"])
    package_files = [
        README_FILE,
        JSON_FILE,
        XML_FILE,
        XSD_FILE,
        XLSX_FILE,
        CSV_DIRECTORY,
        CSV_MANIFEST,
        CSV_EXPORT,
    ]
    assert all(name in readme for name in package_files)
    assert "files/0001-passport.pdf" in readme and "files/0002-payslip.pdf" in readme
    assert "people: People (1 row)" in readme
    for kind in ColumnType:
        assert f"- {kind.value} ({kind.value}): {kind.value.title()}" in readme
    conventions = [
        "ISO 8601",
        "UTC",
        "YYYY-MM-DDThh:mm:ss.ffffffZ",
        "validates against",
        "base64",
        "_x005F_",
        "\\N",
        "formatted as text (@)",
        "never formulas",
        "Article 15",
        "Article 20",
    ]
    flat = " ".join(readme.split())
    assert [convention for convention in conventions if convention not in flat] == []
    assert "Generated 2024-05-31T09:30:15.123456Z (UTC)." in readme


def test_the_readme_shows_hidden_characters_in_names_instead_of_obeying_them() -> None:
    # given a file name that reverses the text after it, and one that clears a terminal
    readme = render_readme(every_type(), ["files/0001-invoice\u202efdp.exe", "files/0002-\x1b[2J.pdf"])
    assert "\u202e" not in readme and "\x1b" not in readme
    assert "files/0001-invoice\\u202efdp.exe" in readme
    assert "files/0002-\\x1b[2J.pdf" in readme


def test_the_readme_says_when_there_are_no_documents() -> None:
    assert "There are no original documents in this package." in render_readme(every_type(), [])
