"""What a file is comes from its bytes: real minimal samples of each kind, disguised files, programs;
and file names made safe."""

from __future__ import annotations

import io
import struct
import unicodedata
import zipfile
import zlib

import pytest

from strongroom.vault.filekinds import OLE2_MAGIC, accepts, content_type_for, sniff
from strongroom.vault.filenames import clean_filename

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CONTENT_TYPES = b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'


def png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
            + chunk(b"IEND", b""))


def ftyp(major: bytes, *compatible: bytes) -> bytes:
    body = major + b"\x00\x00\x00\x00" + b"".join(compatible)
    return struct.pack(">I", 8 + len(body)) + b"ftyp" + body + b"\x00\x00\x00\x08meta" + bytes(64)


def zipped(*entries: tuple[str, bytes], stored: bool = False) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return buffer.getvalue()[:8192]


def ole2(at_512: bytes = bytes(4)) -> bytes:
    return OLE2_MAGIC + bytes(504) + at_512 + bytes(1536)


PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xdb\x00\x43\x00" + bytes(64)
WORD = b"<w:document xmlns:w='http://schemas.openxmlformats.org/wordprocessingml/2006/main'/>"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + bytes(48) + b"PE\x00\x00" + bytes(200)
ELF = b"\x7fELF\x02\x01\x01\x00" + bytes(8) + b"\x02\x00\x3e\x00" + bytes(200)


@pytest.mark.parametrize(
    ("head", "kind", "content_type"),
    [
        (PDF, "pdf", "application/pdf"),
        (png(), "image", "image/png"),
        (JPEG, "image", "image/jpeg"),
        (ftyp(b"heic", b"mif1", b"heic"), "image", "image/heic"),
        (ftyp(b"mif1", b"mif1", b"heic"), "image", "image/heic"),
        (ftyp(b"heix", b"mif1", b"heix"), "image", "image/heic"),
        (ftyp(b"mif1", b"mif1", b"miaf"), "image", "image/heif"),
        (zipped(("[Content_Types].xml", CONTENT_TYPES), ("word/document.xml", WORD)), "office", DOCX),
        (zipped(("[Content_Types].xml", CONTENT_TYPES), ("xl/workbook.xml", b"<workbook/>")), "office", XLSX),
        # Parts in an order the `filetype` check does not expect.
        (zipped(("[Content_Types].xml", CONTENT_TYPES),
                *[(f"customXml/item{n}.xml", b"<x/>") for n in range(6)], ("word/document.xml", WORD)),
         "office", DOCX),
        (zipped(("mimetype", b"application/vnd.oasis.opendocument.text"), ("content.xml", b"<x/>"),
                stored=True), "office", "application/vnd.oasis.opendocument.text"),
        (zipped(("mimetype", b"application/vnd.oasis.opendocument.spreadsheet"), stored=True),
         "office", "application/vnd.oasis.opendocument.spreadsheet"),
        (ole2(b"\xec\xa5\xc1\x00"), "office", "application/msword"),
        (ole2(), "office", "application/x-ole-storage"),
        (b"name,amount,date\r\nOlive,12.50,2024-03-01\r\nMark,7,2024-03-02\r\n", "text",
         "text/csv; charset=utf-8"),
        ("nom;montant\nÉlodie;12\nFrançois;7\n".encode("latin-1"), "text", "text/csv; charset=windows-1252"),
        ("Dear Olive,\n\tthe payslips — all of them — are attached.\n".encode(), "text",
         "text/plain; charset=utf-8"),
        (b"\xef\xbb\xbfHello\n", "text", "text/plain; charset=utf-8"),
        ("Hello, world\n".encode("utf-16"), "text", "text/plain; charset=utf-16"),
        (b"BM is a company name, not a bitmap\n", "text", "text/plain; charset=utf-8"),
        # A head that ends in the middle of a character.
        ("é".encode() * 4095 + "é".encode()[:1], "text", "text/plain; charset=utf-8"),
    ],
    ids=["pdf", "png", "jpeg", "heic", "heic-in-mif1", "heix", "heif", "docx", "xlsx", "docx-reordered",
         "odt", "ods", "doc", "ole2", "csv", "csv-latin1", "txt", "txt-bom", "txt-utf16", "text-like-bmp",
         "utf8-cut"],
)
def test_the_kind_comes_from_the_bytes(head: bytes, kind: str, content_type: str) -> None:
    assert sniff(head, "whatever.name") == kind
    assert content_type_for(kind, head) == content_type


@pytest.mark.parametrize(
    "head",
    [EXE, ELF, b"GIF89a\x01\x00\x01\x00\x80\x00\x00" + bytes(20), b"RIFF\x00\x00\x00\x00WEBPVP8 " + bytes(20),
     zipped(("payload.exe", EXE)), ftyp(b"avif", b"mif1", b"avif"), ftyp(b"isom", b"isom", b"mp41"),
     b"plain text\x00with a NUL", b"text with an escape \x1b[31m", b"", b"\x00" * 100],
    ids=["exe", "elf", "gif", "webp", "zip", "avif", "mp4", "nul", "escape", "empty", "zeros"],
)
def test_other_bytes_are_no_kind(head: bytes) -> None:
    assert sniff(head, "invoice.pdf") is None
    assert not accepts(["pdf", "image"], sniff(head, "invoice.pdf"))
    assert content_type_for(None, head) == "application/octet-stream"


def test_the_name_and_the_claimed_type_are_not_trusted() -> None:
    assert sniff(png(), "statement.pdf") == "image"
    assert sniff(EXE, "photo.jpg") is None
    assert content_type_for("pdf", png()) == "application/octet-stream"


@pytest.mark.parametrize(
    ("accepted", "kind", "answer"),
    [([], None, True), ([], "pdf", True), (["any"], None, True), (["pdf", "any"], "text", True),
     (["pdf"], "pdf", True), (["pdf", "image"], "image", True), (["pdf", "image"], "office", False),
     (["pdf"], None, False), (["text"], "pdf", False)],
)
def test_accepts(accepted: list[str], kind: str | None, answer: bool) -> None:
    assert accepts(accepted, kind) is answer


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("C:\\Users\\olive\\Documents\\payslip.pdf", "payslip.pdf"),
        ("../../etc/passwd", "passwd"),
        ("folder/sub\\mixed/name.txt", "name.txt"),
        ("pay\x00slip\x1f\x7f.pdf", "payslip.pdf"),
        ("invoice\u202egpj.exe", "invoicegpj.exe"),
        ("zero\u200bwidth.txt", "zerowidth.txt"),
        ("Cafe\u0301 menu.pdf", "Caf\u00e9 menu.pdf"),
        ("  many   spaces\tand\ttabs\n.pdf ", "many spaces and tabs .pdf"),
        (".bashrc", "bashrc"),
        ("...hidden report.pdf", "hidden report.pdf"),
        (". . .x", "x"),
        ("report.pdf...", "report.pdf"),
        ("", "file"),
        ("..", "file"),
        ("/", "file"),
        ("C:\\", "file"),
        ("\x00\x01", "file"),
        ("   ", "file"),
    ],
)
def test_file_names_are_made_safe(raw: str, clean: str) -> None:
    assert clean_filename(raw) == clean


def test_a_long_name_keeps_its_extension() -> None:
    name = clean_filename("a" * 300 + ".pdf")

    assert len(name) == 150 and name.endswith("a.pdf")
    assert clean_filename("b" * 300) == "b" * 150
    assert clean_filename("c" * 100 + "." + "d" * 100) == ("c" * 100 + "." + "d" * 100)[:150]
    assert clean_filename("e" * 146 + ".pdf") == "e" * 146 + ".pdf"


def test_a_long_name_is_not_cut_inside_a_character() -> None:
    name = clean_filename("x" * 140 + "a\u0301\u0302" * 10 + ".txt")  # marks NFC cannot compose

    assert len(name) <= 150 and name.endswith(".txt")
    assert not unicodedata.combining(name[-5])
