"""File names as senders give them, made safe to store, show and offer back as a download name."""

from __future__ import annotations

import re
import unicodedata
from typing import Final

MAX_LENGTH: Final = 150
MAX_EXTENSION: Final = 16  # longer "extensions" are just part of the name
FALLBACK: Final = "file"
_WHITESPACE: Final = re.compile(r"\s+")
_LAYOUT: Final = "\t\n\r\x0b\x0c"  # control characters that become a space, not nothing


def _keep(char: str) -> bool:
    """Drop control (Cc) and format (Cf) characters: NUL, escapes, and the invisible bidi
    overrides that make "invoice\u202egpj.exe" display as "invoiceexe.jpg"."""
    return unicodedata.category(char) not in {"Cc", "Cf", "Cs"} or char in _LAYOUT


def clean_filename(raw: str) -> str:
    """A safe display name for `raw`: no path, no control or invisible characters, NFC, single
    spaces, no leading dots (or trailing dots and spaces), at most 150 characters with the
    extension kept; "file" if nothing is left."""
    name = unicodedata.normalize("NFC", raw)
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(char for char in name if _keep(char))
    name = _WHITESPACE.sub(" ", name).strip()
    name = name.lstrip(". ").rstrip(". ")
    return _shorten(name) or FALLBACK


def _shorten(name: str) -> str:
    if len(name) <= MAX_LENGTH:
        return name
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem or not 0 < len(extension) <= MAX_EXTENSION or " " in extension:
        stem, extension = name, ""
    room = MAX_LENGTH - (len(extension) + 1 if extension else 0)
    stem = _without_trailing_marks(stem[:room]).rstrip(". ")
    return f"{stem}.{extension}" if extension else stem


def _without_trailing_marks(text: str) -> str:
    """Cutting may leave a combining mark without its base character; drop it."""
    while text and unicodedata.combining(text[-1]):
        text = text[:-1]
    return text
