"""The presence list of a meeting, as a PDF to print and sign and as a CSV, and
the book of a year's approved atas (minutes) as one PDF.

Pure functions over plain data (no database): the caller gathers the meeting,
its sectors and the representatives into a ``PresenceList`` (the year's approved
atas into an ``AtaBook``), and chooses the locale with ``bot.i18n.use_locale``
(pt_BR by default). The same input always gives the same bytes: the PDF's dates
come from ``generated_at`` and reportlab runs in invariant mode.

The PDF uses the standard Helvetica font, which covers Latin-1/cp1252 (ã, ç,
é, º ...); characters it cannot draw (emoji, other scripts) are reduced to
their base letter when there is one and left out otherwise.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.pdfbase import pdfmetrics
from reportlab.platypus import (
    BaseDocTemplate,
    Frame,
    HRFlowable,
    KeepTogether,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from bot.i18n import _, current_locale, ngettext
from bot.rules.atas import verification_code
from bot.rules.dates import format_date, format_time, format_when, zone

__all__ = [
    "AtaBook",
    "AtaEntry",
    "Attendee",
    "PresenceList",
    "atas_filename",
    "atas_pdf",
    "presence_csv",
    "presence_filename",
    "presence_pdf",
]


@dataclass(frozen=True)
class Attendee:
    """A network member expected at the meeting (never a person served)."""

    name: str
    sector: str
    present: bool
    rsvp: str | None  # "yes" | "no" | "maybe" | None
    absence_reason: str | None = None


@dataclass(frozen=True)
class PresenceList:
    """Everything printed on the presence list of one meeting."""

    network_name: str
    meeting_kind: str  # already translated: "Reunião extraordinária"
    starts_at: datetime  # aware
    timezone: str  # the network's IANA zone
    place: str
    topic: str
    justification: str | None  # extraordinary meetings only
    convened_by: str | None
    sectors_present: list[str]
    sectors_absent: list[str]
    attendees: list[Attendee]  # in the order they are listed
    generated_at: datetime  # aware


# ------------------------------------------------------------------- words


def _presence_word(attendee: Attendee) -> str:
    return _("Present") if attendee.present else _("Absent")


def _rsvp_word(rsvp: str | None) -> str:
    if rsvp is None:
        return _("No reply")
    words = {"yes": _("Yes"), "no": _("No"), "maybe": _("Maybe")}
    return words.get(rsvp, rsvp)


def _reason(attendee: Attendee) -> str:
    return "" if attendee.present else (attendee.absence_reason or "").strip()


def _shortened(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _local(instant: datetime, tz: str) -> datetime:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("naive datetime: pass timezone-aware instants")
    return instant.astimezone(zone(tz))


def _generated_on(data: PresenceList) -> str:
    return _generated_text(data.generated_at, data.timezone)


def _generated_text(generated_at: datetime, tz: str) -> str:
    """The footer's "Gerado em 23/11/2026 às 10h" in the zone ``tz``."""
    local = _local(generated_at, tz)
    pattern = ngettext("Generated on {date} at {time}", "Generated on {date} at {time}", local.hour)
    return pattern.format(
        date=format_date(local.date(), with_year=True), time=format_time(local.time())
    )


def presence_filename(data: PresenceList, ext: str) -> str:
    """The file name for the list: "lista-presenca-2026-10-14.pdf" (meeting's local day)."""
    day = _local(data.starts_at, data.timezone).date()
    prefix = _("presence-list")
    return f"{prefix}-{day.isoformat()}.{ext.lstrip('.')}"


# --------------------------------------------------------------------- CSV

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(text: str) -> str:
    """The text as a spreadsheet shows it, never as a formula (names are typed by users)."""
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def presence_csv(data: PresenceList) -> bytes:
    """One row per attendee, ``;``-separated UTF-8 with a BOM, headers in the current locale."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(
        [_("Sector"), _("Representative"), _("Attendance"), _("Reply"), _("Reason for absence")]
    )
    for attendee in data.attendees:
        writer.writerow(
            [
                _csv_cell(attendee.sector),
                _csv_cell(attendee.name),
                _presence_word(attendee),
                _rsvp_word(attendee.rsvp),
                _csv_cell(_reason(attendee)),
            ]
        )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


# --------------------------------------------------------------------- PDF

_FONT = "Helvetica"
_BOLD = "Helvetica-Bold"
_OBLIQUE = "Helvetica-Oblique"
_INK = colors.HexColor("#1A1A1A")
_MUTED = colors.HexColor("#555555")
_RULE = colors.HexColor("#7F7F7F")
_HEADER_FILL = colors.HexColor("#D9D9D9")
_ZEBRA_FILL = colors.HexColor("#F2F2F2")

_MARGIN_X = 2 * cm
_MARGIN_TOP = 2 * cm
_MARGIN_BOTTOM = 2.2 * cm
_CONTENT_WIDTH = A4[0] - 2 * _MARGIN_X
_LABEL_WIDTH = 3.3 * cm
_COLUMNS = (3.8 * cm, 5.0 * cm, 2.8 * cm, _CONTENT_WIDTH - 11.6 * cm)
_REASON_LIMIT = 240
_SIGNATURE_HEIGHT = 0.72 * cm  # with the padding, rows about 1 cm tall


def _drawable(text: str) -> str:
    """``text`` on one line, with only characters the standard fonts can draw."""
    kept: list[str] = []
    for char in unicodedata.normalize("NFC", text):
        if char.isspace():
            kept.append(" ")
            continue
        if unicodedata.category(char).startswith("C"):  # controls, ZWJ, private use
            continue
        for candidate in (char, _base_letters(char)):
            try:
                candidate.encode("cp1252")
            except UnicodeEncodeError:
                continue
            kept.append(candidate)
            break
    return " ".join("".join(kept).split())


# Letters without a decomposition to a Latin-1 base letter.
_LOOKALIKES = str.maketrans({"Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "Ħ": "H", "ħ": "h", "ı": "i"})


def _base_letters(char: str) -> str:
    decomposed = unicodedata.normalize("NFKD", char.translate(_LOOKALIKES))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _markup(text: str) -> str:
    """``text`` as Paragraph markup, keeping the line breaks typed by the user."""
    lines = (_drawable(line) for line in text.splitlines())
    return "<br/>".join(escape(line) for line in lines if line) or "—"


def _styles() -> dict[str, Any]:
    base = ParagraphStyle("base", fontName=_FONT, fontSize=10, leading=13, textColor=_INK)
    return {
        "network": ParagraphStyle(
            "network", parent=base, fontName=_BOLD, fontSize=11, leading=14, alignment=TA_CENTER
        ),
        "title": ParagraphStyle(
            "title",
            parent=base,
            fontName=_BOLD,
            fontSize=18,
            leading=22,
            alignment=TA_CENTER,
            spaceBefore=4,
            spaceAfter=2,
        ),
        "label": ParagraphStyle("label", parent=base, fontName=_BOLD),
        "body": base,
        "summary": ParagraphStyle(
            "summary", parent=base, fontName=_BOLD, fontSize=11, leading=14, spaceAfter=3
        ),
        "sectors": ParagraphStyle("sectors", parent=base, leftIndent=12, spaceAfter=1),
        "head": ParagraphStyle("head", parent=base, fontName=_BOLD, fontSize=9.5, leading=12),
        "cell": ParagraphStyle("cell", parent=base, fontSize=9.5, leading=12),
        "note": ParagraphStyle(
            "note", parent=base, fontName=_OBLIQUE, fontSize=8, leading=10, textColor=_MUTED
        ),
    }


def _title_block(data: PresenceList, st: dict[str, Any]) -> list[Any]:
    return [
        Paragraph(_markup(data.network_name), st["network"]),
        Paragraph(escape(_("Presence list")), st["title"]),
        HRFlowable(width="100%", thickness=1, color=_RULE, spaceBefore=2, spaceAfter=8),
    ]


def _meeting_block(data: PresenceList, when: str, st: dict[str, Any]) -> list[Any]:
    rows: list[tuple[str, str]] = [
        (_("Meeting type:"), data.meeting_kind),
        (_("Date and time:"), when),
        (_("Venue:"), data.place),
        (_("Agenda:"), data.topic),
    ]
    if data.justification and data.justification.strip():
        rows.append((_("Justification:"), data.justification))
    if data.convened_by and data.convened_by.strip():
        rows.append((_("Convened by:"), data.convened_by))
    table = _label_table(
        [(label, Paragraph(_markup(value), st["body"])) for label, value in rows], st
    )
    return [table, Spacer(1, 10)]


def _sectors_block(data: PresenceList, st: dict[str, Any]) -> list[Any]:
    present, absent = data.sectors_present, data.sectors_absent
    summary = _("Sectors present: {present} of {total}").format(
        present=len(present), total=len(present) + len(absent)
    )

    def listed(sectors: Sequence[str]) -> str:
        return ", ".join(_markup(s) for s in sectors) if sectors else escape(_("no sector"))

    return [
        KeepTogether(
            [
                Paragraph(escape(summary), st["summary"]),
                Paragraph(_("Present: {sectors}").format(sectors=listed(present)), st["sectors"]),
                Paragraph(_("Absent: {sectors}").format(sectors=listed(absent)), st["sectors"]),
            ]
        ),
        Spacer(1, 12),
    ]


def _attendance_table(data: PresenceList, st: dict[str, Any]) -> Table:
    head = [
        Paragraph(escape(text), st["head"])
        for text in (_("Sector"), _("Representative"), _("Attendance"), _("Signature"))
    ]
    rows: list[list[Any]] = [head]
    for attendee in data.attendees:
        presence: list[Any] = [Paragraph(escape(_presence_word(attendee)), st["cell"])]
        reason = _shortened(_reason(attendee), _REASON_LIMIT)  # a row must fit on a page
        if reason:
            note = _("Reason: {reason}").format(reason=_markup(reason))
            presence.append(Paragraph(note, st["note"]))
        rows.append(
            [
                Paragraph(_markup(attendee.sector), st["cell"]),
                Paragraph(_markup(attendee.name), st["cell"]),
                presence,
                Spacer(1, _SIGNATURE_HEIGHT),  # room to sign on paper
            ]
        )
    table = Table(rows, colWidths=_COLUMNS, repeatRows=1, hAlign="LEFT")
    table.setStyle(_grid_style("MIDDLE"))
    return table


def _grid_style(valign: str) -> TableStyle:
    """The ruled, zebra-striped table with a shaded header row of the documents."""
    return TableStyle(
        [
            ("GRID", (0, 0), (-1, -1), 0.5, _RULE),
            ("BOX", (0, 0), (-1, -1), 1, _INK),
            ("LINEBELOW", (0, 0), (-1, 0), 1, _INK),
            ("BACKGROUND", (0, 0), (-1, 0), _HEADER_FILL),
            ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, _ZEBRA_FILL]),
            ("VALIGN", (0, 0), (-1, -1), valign),
            ("TOPPADDING", (0, 0), (-1, -1), 4),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ("LEFTPADDING", (0, 0), (-1, -1), 5),
            ("RIGHTPADDING", (0, 0), (-1, -1), 5),
        ]
    )


def _story(data: PresenceList) -> list[Any]:
    st = _styles()
    when = format_when(data.starts_at, data.timezone, with_year=True)
    return [
        *_title_block(data, st),
        *_meeting_block(data, when, st),
        *_sectors_block(data, st),
        _attendance_table(data, st),
    ]


def _pdf_date(instant: datetime) -> str:
    """``instant`` as a PDF date string: "D:20261123100000-03'00'"."""
    offset = instant.utcoffset()
    assert offset is not None
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    hours, minutes = divmod(abs(minutes), 60)
    return f"D:{instant:%Y%m%d%H%M%S}{sign}{hours:02d}'{minutes:02d}'"


def _decorator(
    running: str, generated_at: datetime, tz: str, total_pages: int, pages_seen: list[int]
) -> Callable[[Any, Any], None]:
    """The onPage hook: ``running`` atop pages 2 on, "Gerado em" and "Página X de N" below."""
    generated = _generated_text(generated_at, tz)
    created = _pdf_date(_local(generated_at, tz))
    left, right = _MARGIN_X, A4[0] - _MARGIN_X

    def decorate(canvas: Any, doc: Any) -> None:
        page = int(canvas.getPageNumber())
        pages_seen.append(page)
        canvas.saveState()
        canvas.setDateFormatter(lambda *_parts: created)
        canvas.setStrokeColor(_RULE)
        canvas.setLineWidth(0.5)
        canvas.setFillColor(_MUTED)
        if page > 1:
            canvas.setFont(_FONT, 8)
            canvas.drawString(left, A4[1] - 1.3 * cm, running)
            canvas.line(left, A4[1] - 1.45 * cm, right, A4[1] - 1.45 * cm)
        footer_y = 1.2 * cm
        canvas.line(left, footer_y + 0.4 * cm, right, footer_y + 0.4 * cm)
        canvas.setFont(_FONT, 8)
        canvas.drawString(left, footer_y, generated)
        numbering = _("Page {page} of {pages}").format(page=page, pages=max(total_pages, page))
        canvas.drawRightString(right, footer_y, numbering)
        canvas.restoreState()

    return decorate


def _build_pdf(
    story: Callable[[dict[int, int]], list[Any]],
    *,
    title: str,
    author: str,
    subject: str,
    running: Sequence[str],
    generated_at: datetime,
    tz: str,
    marker: str | None = None,
    bookmark: str = "",
) -> bytes:
    """An A4 PDF in the current locale of the flowables ``story(anchors)`` gives.

    ``title``, ``author`` and ``subject`` are its metadata; ``running`` (parts joined
    by " — ") heads pages 2 on; every page ends in "Gerado em" (``generated_at`` in
    the zone ``tz``) and "Página X de N". A flowable with the attribute ``marker``
    (a number) starts a section: it gets the bookmark "{bookmark}-{number}" and an
    outline entry, and ``anchors`` maps each number to the page its section starts on.
    """
    header = " — ".join(_drawable(part) for part in running)

    def render(total_pages: int, anchors: dict[int, int]) -> tuple[bytes, int, dict[int, int]]:
        """The PDF, its page count and the page on which each section starts."""
        buffer = io.BytesIO()
        doc = BaseDocTemplate(
            buffer,
            pagesize=A4,
            leftMargin=_MARGIN_X,
            rightMargin=_MARGIN_X,
            topMargin=_MARGIN_TOP,
            bottomMargin=_MARGIN_BOTTOM,
            title=_drawable(title),
            author=_drawable(author),
            subject=_drawable(subject),
            creator="redebot",
            lang=current_locale().replace("_", "-"),
            invariant=1,
        )
        starts: dict[int, int] = {}

        def after_flowable(flowable: Any) -> None:
            number = getattr(flowable, marker, None) if marker else None
            if number is not None and number not in starts:
                starts[number] = int(doc.page)
                key = f"{bookmark}-{number}"
                doc.canv.bookmarkPage(key)
                doc.canv.addOutlineEntry(_drawable(flowable.getPlainText()), key, level=0)

        if marker:
            doc.afterFlowable = after_flowable
        pages: list[int] = []
        frame = Frame(
            _MARGIN_X,
            _MARGIN_BOTTOM,
            _CONTENT_WIDTH,
            A4[1] - _MARGIN_TOP - _MARGIN_BOTTOM,
            leftPadding=0,
            rightPadding=0,
            topPadding=0,
            bottomPadding=0,
        )
        onpage = _decorator(header, generated_at, tz, total_pages, pages)
        doc.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=onpage)])
        doc.build(story(anchors))
        return buffer.getvalue(), max(pages, default=1), starts

    # The first pass finds the page count and where each section starts; the footer
    # and the contents are drawn from them in the second, which keeps the same layout.
    _draft, total_pages, starts = render(0, {})
    pdf, pages, again = render(total_pages, starts)
    assert (pages, again) == (total_pages, starts)
    return pdf


def presence_pdf(data: PresenceList) -> bytes:
    """The presence list as an A4 PDF in the current locale, ready to print and sign."""
    heading = _("Presence list")
    when = format_when(data.starts_at, data.timezone, with_year=True)
    day = format_date(_local(data.starts_at, data.timezone).date(), with_year=True)
    return _build_pdf(
        lambda _anchors: _story(data),
        title=f"{heading} — {data.network_name}",
        author=data.network_name,
        subject=f"{data.meeting_kind} — {when}",
        running=(heading, data.network_name, day),
        generated_at=data.generated_at,
        tz=data.timezone,
    )


# ------------------------------------------------------------ book of atas


@dataclass(frozen=True)
class AtaEntry:
    """One approved ata (the minutes of a meeting) as it goes into the book."""

    meeting_kind: str  # already translated: "Reunião ordinária"
    starts_at: datetime  # aware
    place: str
    topic: str
    author_sector: str  # the sector that wrote it: "CREAS"
    secretary_sector: str | None
    approved_at: datetime  # aware
    sha256: str  # hex digest of the stored content
    text: str | None  # the ata's text, when it was delivered as text
    file_name: str | None  # when delivered as a file (PDF/DOCX/ODT), sent apart


@dataclass(frozen=True)
class AtaBook:
    """The approved atas of one year of a network, in meeting order."""

    network_name: str
    year: int
    timezone: str  # the network's IANA zone
    entries: list[AtaEntry]
    generated_at: datetime  # aware


_SHA_FONT = "Courier"
_SHA_SIZE = 8
# How far the smaller monospace digest moves down to sit on the label's baseline.
_SHA_DROP = pdfmetrics.getAscent(_BOLD, 10) - pdfmetrics.getAscent(_SHA_FONT, _SHA_SIZE)
_CONTENTS_COLUMNS = (1.3 * cm, 6.2 * cm, _CONTENT_WIDTH - 9.0 * cm, 1.5 * cm)
_CONTENTS_TOPIC_LIMIT = 160
_BLANK_LINE = re.compile(r"\n[ \t\f\v]*\n")


def atas_filename(book: AtaBook) -> str:
    """The file name of the book: "atas-2026.pdf"."""
    prefix = _("approved-minutes")
    return f"{prefix}-{book.year}.pdf"


def _book_title(book: AtaBook) -> str:
    return _("Approved minutes — {year}").format(year=book.year)


def _book_count(book: AtaBook) -> str:
    n = len(book.entries)
    return ngettext("Minutes of {n} meeting", "Minutes of {n} meetings", n).format(n=n)


def _ata_number(book: AtaBook, index: int) -> str:
    return _("Minutes no. {number}/{year}").format(number=f"{index:02d}", year=book.year)


def _lower_first(kind: str) -> str:
    """The kind as it reads inside a sentence ("reunião ordinária"); acronyms ("GT") stay."""
    if len(kind) > 1 and kind[1].isupper():
        return kind
    return kind[:1].lower() + kind[1:]


def _ata_heading(entry: AtaEntry, tz: str) -> str:
    when = format_when(entry.starts_at, tz, with_year=True)
    meeting = _lower_first(entry.meeting_kind.strip())
    return _("Minutes of the {meeting} of {when}").format(meeting=meeting, when=when)


def _paragraphs(text: str) -> list[str]:
    """The paragraphs of ``text`` (split on blank lines) as markup, line breaks kept."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    chunks = _BLANK_LINE.split(text)
    return [_markup(chunk) for chunk in chunks if any(map(_drawable, chunk.splitlines()))]


def _book_styles() -> dict[str, Any]:
    st = _styles()
    base = st["body"]
    st.update(
        {
            "count": ParagraphStyle(
                "count", parent=base, fontSize=11, leading=14, alignment=TA_CENTER, spaceAfter=4
            ),
            "explain": ParagraphStyle(
                "explain",
                parent=st["note"],
                fontSize=8.5,
                leading=11,
                alignment=TA_CENTER,
                spaceAfter=14,
            ),
            "empty": ParagraphStyle(
                "empty", parent=base, fontSize=11, leading=15, alignment=TA_CENTER, spaceBefore=24
            ),
            "contents": ParagraphStyle(
                "contents", parent=base, fontName=_BOLD, fontSize=12, leading=15, spaceAfter=6
            ),
            "number": ParagraphStyle(
                "number", parent=base, fontName=_BOLD, fontSize=9, leading=11, textColor=_MUTED
            ),
            "heading": ParagraphStyle(
                "heading",
                parent=base,
                fontName=_BOLD,
                fontSize=13,
                leading=16,
                spaceBefore=2,
                spaceAfter=8,
            ),
            "sha": ParagraphStyle(
                "sha", parent=base, fontName=_SHA_FONT, fontSize=_SHA_SIZE, leading=11
            ),
            "page": ParagraphStyle("page", parent=st["cell"], alignment=TA_RIGHT),
            "page_head": ParagraphStyle("page_head", parent=st["head"], alignment=TA_RIGHT),
            "ata": ParagraphStyle(
                "ata", parent=base, fontSize=10.5, leading=14.5, alignment=TA_JUSTIFY, spaceAfter=7
            ),
            "file": ParagraphStyle(
                "file",
                parent=base,
                fontName=_OBLIQUE,
                backColor=_ZEBRA_FILL,
                borderColor=_RULE,
                borderWidth=0.5,
                borderPadding=6,
                leftIndent=6,  # the border is drawn outside the text: keep it in the margins
                rightIndent=6,
                spaceBefore=12,
            ),
        }
    )
    return st


def _label_table(
    rows: Sequence[tuple[str, Any]],
    st: dict[str, Any],
    extra: Sequence[tuple[Any, ...]] = (),
    *,
    label_width: float = _LABEL_WIDTH,
) -> Table:
    """A two-column "Label: value" block (values are flowables), used by every document."""
    table = Table(
        [[Paragraph(escape(label), st["label"]), value] for label, value in rows],
        colWidths=(label_width, _CONTENT_WIDTH - label_width),
        splitInRow=1,
        hAlign="LEFT",
    )
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 4),
                ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
                *extra,
            ]
        )
    )
    return table


def _contents_table(book: AtaBook, anchors: dict[int, int], st: dict[str, Any]) -> Table:
    head = [Paragraph(escape(text), st["head"]) for text in (_("No."), _("Meeting"), _("Agenda"))]
    head.append(Paragraph(escape(_("Page")), st["page_head"]))
    rows: list[list[Any]] = [head]
    for index, entry in enumerate(book.entries, start=1):
        when = format_when(entry.starts_at, book.timezone, with_year=True)
        meeting = f"{_markup(entry.meeting_kind)}<br/>{escape(_drawable(when))}"
        page = anchors.get(index)
        rows.append(
            [
                Paragraph(f"{index:02d}", st["cell"]),
                Paragraph(meeting, st["cell"]),
                Paragraph(_markup(_shortened(entry.topic, _CONTENTS_TOPIC_LIMIT)), st["cell"]),
                Paragraph("—" if page is None else str(page), st["page"]),
            ]
        )
    table = Table(rows, colWidths=_CONTENTS_COLUMNS, repeatRows=1, hAlign="LEFT")
    table.setStyle(_grid_style("TOP"))
    return table


def _cover(book: AtaBook, anchors: dict[int, int], st: dict[str, Any]) -> list[Any]:
    story: list[Any] = [
        Paragraph(_markup(book.network_name), st["network"]),
        Paragraph(escape(_book_title(book)), st["title"]),
        HRFlowable(width="100%", thickness=1, color=_RULE, spaceBefore=2, spaceAfter=8),
    ]
    if not book.entries:
        message = _("There are no approved minutes for {year}.").format(year=book.year)
        return [*story, Paragraph(escape(message), st["empty"])]
    explanation = _(
        "Each set of minutes is printed with the SHA-256 code of its content as approved "
        "and stored: any change to that content gives a different code. Its first digits "
        "are the verification code shown in the group when it was approved."
    )
    return [
        *story,
        Paragraph(escape(_book_count(book)), st["count"]),
        Paragraph(escape(explanation), st["explain"]),
        Paragraph(escape(_("Contents")), st["contents"]),
        _contents_table(book, anchors, st),
    ]


def _ata_section(book: AtaBook, index: int, entry: AtaEntry, st: dict[str, Any]) -> list[Any]:
    tz = book.timezone
    approved = format_date(_local(entry.approved_at, tz).date(), with_year=True)
    rows: list[tuple[str, Any]] = [
        (_("Venue:"), Paragraph(_markup(entry.place), st["body"])),
        (_("Agenda:"), Paragraph(_markup(entry.topic), st["body"])),
        (_("Written by:"), Paragraph(_markup(entry.author_sector), st["body"])),
    ]
    if entry.secretary_sector and entry.secretary_sector.strip():
        rows.append((_("Secretary:"), Paragraph(_markup(entry.secretary_sector), st["body"])))
    rows += [
        (_("Approved on:"), Paragraph(escape(approved), st["body"])),
        (_("Verification code:"), Paragraph(escape(verification_code(entry.sha256)), st["body"])),
        ("SHA-256:", Paragraph(_markup(entry.sha256), st["sha"])),
    ]
    heading = Paragraph(escape(_drawable(_ata_heading(entry, tz))), st["heading"])
    heading._redebot_ata = index  # found again by _build_pdf
    story: list[Any] = [
        PageBreak(),
        Paragraph(escape(_ata_number(book, index)), st["number"]),
        heading,
        _label_table(rows, st, [("TOPPADDING", (1, -1), (1, -1), 1.5 + _SHA_DROP)]),
        HRFlowable(width="100%", thickness=0.5, color=_RULE, spaceBefore=8, spaceAfter=10),
    ]
    paragraphs = _paragraphs(entry.text or "")
    story += [Paragraph(p, st["ata"]) for p in paragraphs]
    if entry.file_name and entry.file_name.strip():
        note = _("Minutes delivered as a file: {file} (sent along with this document).")
        story.append(Paragraph(escape(note.format(file=_drawable(entry.file_name))), st["file"]))
    elif not paragraphs:
        story.append(Paragraph(escape(_("These minutes have no text.")), st["file"]))
    return story


def _book_story(book: AtaBook, anchors: dict[int, int]) -> list[Any]:
    st = _book_styles()
    story = _cover(book, anchors, st)
    for index, entry in enumerate(book.entries, start=1):
        story += _ata_section(book, index, entry, st)
    return story


def atas_pdf(book: AtaBook) -> bytes:
    """The year's approved atas as one A4 PDF in the current locale: a cover with the
    contents, then each ata on its own pages (data, SHA-256 and text, or a note when
    the ata is a file sent apart)."""
    title = _book_title(book)
    return _build_pdf(
        lambda anchors: _book_story(book, anchors),
        title=f"{title} — {book.network_name}",
        author=book.network_name,
        subject=_book_count(book),
        running=(title, book.network_name),
        generated_at=book.generated_at,
        tz=book.timezone,
        marker="_redebot_ata",
        bookmark="ata",
    )
