"""Plain, readable PDF documents (records, assessments, certificates) with fpdf2.

A Unicode TrueType font is used when the system has one (Debian's fonts-dejavu-core), so names in
any script print as written; without it, the PDF core font is used and characters it cannot show
are replaced by "?", which the document then says.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

FONT_CANDIDATES = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/TTF/DejaVuSans.ttf"),
)


class Document:
    """A portrait A4 document built top to bottom: a title, headings, paragraphs, label/value rows."""

    def __init__(self, title: str, *, subject: str = "") -> None:
        self.pdf = FPDF(format="A4")
        self.pdf.set_auto_page_break(auto=True, margin=15)
        self.pdf.set_title(title)
        self.pdf.set_subject(subject or title)
        self.pdf.set_creator("Strongroom")
        self.pdf.set_producer("Strongroom")
        self.unicode = False
        for candidate in FONT_CANDIDATES:
            bold = candidate.with_name(candidate.stem + "-Bold.ttf")
            if candidate.is_file() and bold.is_file():
                self.pdf.add_font("body", "", str(candidate))
                self.pdf.add_font("body", "B", str(bold))
                self.unicode = True
                break
        self.family = "body" if self.unicode else "helvetica"
        self.pdf.add_page()
        self._font(16, bold=True)
        self._write(title, 8)
        self.pdf.ln(2)

    def _font(self, size: int, *, bold: bool = False) -> None:
        self.pdf.set_font(self.family, "B" if bold else "", size)

    def _text(self, text: str) -> str:
        if self.unicode:
            return text
        return text.encode("latin-1", "replace").decode("latin-1")

    def _write(self, text: str, height: float) -> None:
        self.pdf.multi_cell(0, height, self._text(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def heading(self, text: str) -> None:
        self.pdf.ln(3)
        self._font(13, bold=True)
        self._write(text, 7)

    def paragraph(self, text: str) -> None:
        self._font(10)
        self._write(text, 5)
        self.pdf.ln(1)

    def rows(self, rows: Sequence[tuple[str, str]]) -> None:
        """Label and value pairs, the label in bold above its value."""
        for label, value in rows:
            self._font(9, bold=True)
            self._write(label, 5)
            self._font(10)
            self._write(value or "—", 5)
            self.pdf.ln(1)

    def output(self) -> bytes:
        return bytes(self.pdf.output())
