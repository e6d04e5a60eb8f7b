"""Real DOCX, ODT and PDF files, made here, for the tests that send an ata as a file."""

from __future__ import annotations

import io
from collections.abc import Sequence

import docx
from odf.opendocument import OpenDocumentText
from odf.style import Footer, MasterPage, PageLayout
from odf.text import P
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas


def docx_file(body: Sequence[str], *, header: str = "", table: Sequence[str] = ()) -> bytes:
    """A Word document: paragraphs, a one-column table and a page header."""
    document = docx.Document()
    for line in body:
        document.add_paragraph(line)
    if table:
        grid = document.add_table(rows=len(table), cols=1)
        for row, line in zip(grid.rows, table, strict=True):
            row.cells[0].text = line
    if header:
        document.sections[0].header.paragraphs[0].text = header
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def odt_file(body: Sequence[str], *, footer: str = "") -> bytes:
    """An OpenDocument text: paragraphs and a page footer."""
    document = OpenDocumentText()
    layout = PageLayout(name="Layout")
    document.automaticstyles.addElement(layout)
    page = MasterPage(name="Standard", pagelayoutname=layout)
    if footer:
        bottom = Footer()
        bottom.addElement(P(text=footer))
        page.addElement(bottom)
    document.masterstyles.addElement(page)
    for line in body:
        document.text.addElement(P(text=line))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def pdf_file(pages: Sequence[Sequence[str]]) -> bytes:
    """A PDF with a text layer: each page its lines."""
    out = io.BytesIO()
    drawing = canvas.Canvas(out, pagesize=A4)
    for lines in pages:
        y = 800
        for line in lines:
            drawing.drawString(50, y, line)
            y -= 16
        drawing.showPage()
    drawing.save()
    return out.getvalue()


def scanned_pdf() -> bytes:
    """A PDF with no text layer, as a scanner makes (a drawn page only)."""
    out = io.BytesIO()
    drawing = canvas.Canvas(out, pagesize=A4)
    drawing.rect(50, 50, 400, 700, fill=1)
    drawing.showPage()
    drawing.save()
    return out.getvalue()
