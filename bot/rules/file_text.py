"""The text of a document a member sends (an ata as PDF, DOCX or ODT), read so that it
can be screened for personal data before the file is stored (issue 13).

pypdf, python-docx and odfpy read the three formats; each file is read whole: every page
of a PDF, and a DOCX's body, tables, text boxes, headers, footers, notes and comments
(every ``w:p`` of every XML part), an ODT's paragraphs and headings wherever they are
(body, frames, headers and footers). A file that cannot be read (a scan with no text
layer, a password, a broken or oversized archive) gives ``None``: what cannot be read
cannot be checked, and the caller refuses it.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator

MAX_UNPACKED = 64 * 1024 * 1024  # a DOCX or ODT is a zip: no bomb is unpacked
MAX_PAGES = 500


def text_of(filename: str, content: bytes) -> str | None:
    """The text of a PDF, DOCX or ODT file (by its name's extension), or ``None`` when it
    cannot be read or is of another kind."""
    kind = filename.lower().rpartition(".")[2]
    reader = {"pdf": _pdf_text, "docx": _docx_text, "odt": _odt_text}.get(kind)
    if reader is None:
        return None
    if kind != "pdf" and not _reasonable_zip(content):
        return None
    try:
        return "\n".join(reader(content))
    except Exception:  # a broken or hostile file: whatever the library raises
        return None


def _reasonable_zip(content: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return sum(info.file_size for info in archive.infolist()) <= MAX_UNPACKED
    except (zipfile.BadZipFile, ValueError, OSError):
        return False


def _pdf_text(content: bytes) -> Iterator[str]:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(content))
    if reader.is_encrypted and not reader.decrypt(""):
        raise ValueError("a password protects the PDF")
    for page in reader.pages[:MAX_PAGES]:
        yield page.extract_text() or ""


def _docx_text(content: bytes) -> Iterator[str]:
    import docx
    from docx.opc.part import XmlPart
    from docx.oxml.ns import qn

    document = docx.Document(io.BytesIO(content))
    for part in document.part.package.iter_parts():
        if isinstance(part, XmlPart):
            for paragraph in part.element.iter(qn("w:p")):
                yield "".join(node.text or "" for node in paragraph.iter(qn("w:t")))


def _odt_text(content: bytes) -> Iterator[str]:
    from odf import teletype
    from odf import text as odf_text
    from odf.opendocument import load

    document = load(io.BytesIO(content))
    for kind in (odf_text.H, odf_text.P):
        for element in document.getElementsByType(kind):
            yield teletype.extractText(element)
