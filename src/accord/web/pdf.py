"""A document as a PDF: the same headings and rows a page shows, for filing and print.

Pure in what it takes (a title and :class:`Section` values) and gives (bytes); fpdf2
lays it out. The PDF's built-in fonts cover Latin-1 only, so other characters are
written as their nearest Latin-1 equivalent (typographic quotes and dashes) or ``?``:
nothing a user typed can break the document.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fpdf import FPDF

__all__ = ["Section", "document_pdf", "latin1"]

_PLAIN = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2026": "...",
        "\u00a0": " ",
        "\u2022": "-",
    }
)


@dataclass(frozen=True, slots=True)
class Section:
    """A heading with rows of (key, value) and a list of items, either of which may be
    empty."""

    heading: str
    rows: tuple[tuple[str, str], ...] = ()
    items: tuple[str, ...] = ()
    empty: str = ""
    """What to say when there are neither rows nor items."""


def latin1(text: str) -> str:
    return text.translate(_PLAIN).encode("latin-1", "replace").decode("latin-1")


def document_pdf(title: str, subtitle: str, sections: Sequence[Section]) -> bytes:
    """The document: a title, a line under it, then each section in order."""
    pdf = FPDF(format="A4")
    pdf.set_title(latin1(title))
    pdf.set_creator("Accord")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", style="B", size=18)
    pdf.multi_cell(0, 9, latin1(title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 6, latin1(subtitle), new_x="LMARGIN", new_y="NEXT")
    for section in sections:
        pdf.ln(4)
        pdf.set_font("Helvetica", style="B", size=13)
        pdf.multi_cell(0, 7, latin1(section.heading), new_x="LMARGIN", new_y="NEXT")
        for key, value in section.rows:
            pdf.set_font("Helvetica", style="B", size=10)
            pdf.multi_cell(0, 5, latin1(key), new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("Helvetica", size=10)
            pdf.multi_cell(0, 5, latin1(value or "-"), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)
        pdf.set_font("Helvetica", size=10)
        for item in section.items:
            pdf.multi_cell(0, 5, latin1(f"- {item}"), new_x="LMARGIN", new_y="NEXT")
        if not section.rows and not section.items and section.empty:
            pdf.multi_cell(0, 5, latin1(section.empty), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
