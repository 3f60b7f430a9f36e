"""What a file is, decided from its first bytes; never from its name or the browser's Content-Type.

`sniff(head, name)` answers with a FileKind value ("pdf", "image", "office", "text") or None when
the bytes are none of the kinds an item can ask for (GIF, WebP, archives, programs, unknown
binary...). `content_type_for(kind, head)` gives the canonical Content-Type to store and serve.

Recognised (from the bytes, mostly with the `filetype` library):
- pdf: "%PDF" at offset 0;
- image: JPEG, PNG (and APNG), HEIC/HEIF (ISO-BMFF `ftyp` brands);
- office: Word/Excel/PowerPoint OOXML (a ZIP whose entries include `word/`, `xl/`, `ppt/`),
  OpenDocument (ZIP whose first entry is `mimetype`), and legacy OLE2 compound files
  (D0 CF 11 E0 ...: .doc, .xls, .ppt; other OLE2 files, an .msi included, look the same from the
  first bytes, so downloads MUST be served as attachments with `nosniff`);
- text: UTF-8 (with or without BOM), UTF-16 with a BOM, or else Latin-1/Windows-1252 without NUL,
  with no control characters but tab, line feed, form feed and carriage return.
"""

from __future__ import annotations

import codecs
import struct
from typing import Final

import filetype

PDF: Final = "pdf"
IMAGE: Final = "image"
OFFICE: Final = "office"
TEXT: Final = "text"
ANY: Final = "any"
OCTET_STREAM: Final = "application/octet-stream"

_BY_MIME: Final = {
    "application/pdf": PDF,
    "image/jpeg": IMAGE,
    "image/png": IMAGE,
    "image/apng": IMAGE,
    "image/heic": IMAGE,
    "application/msword": OFFICE,
    "application/vnd.ms-excel": OFFICE,
    "application/vnd.ms-powerpoint": OFFICE,
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": OFFICE,
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": OFFICE,
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": OFFICE,
    "application/vnd.oasis.opendocument.text": OFFICE,
    "application/vnd.oasis.opendocument.spreadsheet": OFFICE,
    "application/vnd.oasis.opendocument.presentation": OFFICE,
}
# How a type is served: an APNG is a PNG to every viewer.
_SERVED_AS: Final = {"image/apng": "image/png"}

OLE2_MAGIC: Final = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
OLE2_GENERIC: Final = "application/x-ole-storage"
ZIP_MAGIC: Final = b"PK\x03\x04"
_OOXML: Final = {
    "word/": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xl/": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt/": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
_HEIC_BRANDS: Final = frozenset({"heic", "heix", "heim", "heis", "hevc", "hevx", "hevm", "hevs"})
_HEIF_BRANDS: Final = frozenset({"mif1", "msf1"})

# Bytes that never occur in text: C0 controls but tab, LF, FF, CR; and DEL.
_CONTROL: Final = bytes(sorted(set(range(32)) - {9, 10, 12, 13})) + b"\x7f"
_CONTROL_CHARS: Final = frozenset(_CONTROL.decode("ascii"))


def sniff(head: bytes, name: str = "") -> str | None:
    """The FileKind value the bytes show, or None if they are no kind an item accepts.

    `head` is the first bytes of the file (8 KiB is plenty). `name` is the untrusted name the
    sender gave: it never changes the answer (a PNG called "x.pdf" is an image), and is taken only
    so callers pass what they have.
    """
    found = _detect(head)
    return found[0] if found else None


def content_type_for(kind: str | None, head: bytes) -> str:
    """The canonical Content-Type for a file of `kind` whose first bytes are `head`.

    application/octet-stream when the bytes are not of that kind (or no kind at all).
    """
    found = _detect(head)
    if found is None or found[0] != kind:
        return OCTET_STREAM
    return found[1]


def accepts(accepted_kinds: list[str] | tuple[str, ...], kind: str | None) -> bool:
    """Whether an item asking for `accepted_kinds` takes a file of `kind`; empty or "any": all."""
    if not accepted_kinds or ANY in accepted_kinds:
        return True
    return kind is not None and kind in accepted_kinds


def _detect(head: bytes) -> tuple[str, str] | None:
    """(kind, content type), or None."""
    if not head:
        return None
    head = bytes(head)
    heif = _heif_type(head)
    if heif:
        return IMAGE, heif
    if head.startswith(OLE2_MAGIC):
        guessed = filetype.guess_mime(head)
        return OFFICE, guessed if _BY_MIME.get(guessed) == OFFICE else OLE2_GENERIC
    guessed = filetype.guess_mime(head)
    if guessed in _BY_MIME:
        return _BY_MIME[guessed], _SERVED_AS.get(guessed, guessed)
    if head.startswith(ZIP_MAGIC):
        ooxml = _ooxml_type(head)
        return (OFFICE, ooxml) if ooxml else None
    charset = _text_charset(head)
    if charset:
        subtype = "csv" if _looks_like_csv(head, charset) else "plain"
        return TEXT, f"text/{subtype}; charset={charset}"
    return None


def _heif_type(head: bytes) -> str | None:
    """image/heic or image/heif from an ISO-BMFF `ftyp` box; None for other ISO-BMFF (MP4, AVIF)."""
    if len(head) < 16 or head[4:8] != b"ftyp":
        return None
    box_size = struct.unpack(">I", head[:4])[0]
    end = min(max(box_size, 16), len(head), 256)
    brands = {head[i : i + 4].decode("latin-1") for i in range(16, end - 3, 4)}
    major = head[8:12].decode("latin-1")
    if "avif" in brands or major == "avif":
        return None
    if major in _HEIC_BRANDS or (major in _HEIF_BRANDS and brands & _HEIC_BRANDS):
        return "image/heic"
    if major in _HEIF_BRANDS:
        return "image/heif"
    return None


def _ooxml_type(head: bytes) -> str | None:
    """Office Open XML from the ZIP entry names in `head` (the `filetype` check wants a fixed order
    of entries that some writers do not follow); needs [Content_Types].xml and a part folder."""
    names: list[bytes] = []
    at = head.find(ZIP_MAGIC)
    while at != -1 and at + 30 <= len(head) and len(names) < 64:
        length = struct.unpack("<H", head[at + 26 : at + 28])[0]
        names.append(head[at + 30 : at + 30 + length])
        at = head.find(ZIP_MAGIC, at + 30 + length)
    if b"[Content_Types].xml" not in names:
        return None
    for prefix, mime in _OOXML.items():
        if any(name.startswith(prefix.encode()) for name in names):
            return mime
    return None


def _text_charset(head: bytes) -> str | None:
    """The charset if `head` is text: UTF-8, UTF-16 with a BOM, else Windows-1252 without NUL."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = codecs.getincrementaldecoder("utf-16")().decode(head, final=False)
        except UnicodeDecodeError:
            return None
        return "utf-16" if text and not _CONTROL_CHARS.intersection(text) and "\0" not in text else None
    if len(head.translate(None, _CONTROL)) != len(head):
        return None
    try:
        # Not final: the head may end inside a multi-byte character.
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return "windows-1252"  # NUL and controls were ruled out above
    return "utf-8"


def _looks_like_csv(head: bytes, charset: str) -> bool:
    """Two or more complete lines with the same number (one or more) of one separator."""
    text = head.decode(charset, errors="ignore").lstrip("\ufeff")
    lines = [line for line in text.splitlines()[:6] if line.strip()]
    if not text.endswith(("\n", "\r")) and len(lines) > 2:
        lines = lines[:-1]  # the last line may be cut off at the end of the head
    if len(lines) < 2:
        return False
    return any(len({line.count(sep) for line in lines} - {0}) == 1 and all(sep in line for line in lines)
               for sep in (",", ";", "\t"))
