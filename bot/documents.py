"""The presence list of a meeting, as a PDF to print and sign and as a CSV.

Pure functions over plain data (no database): the caller gathers the meeting,
its sectors and the representatives into a ``PresenceList``, and chooses the
locale with ``bot.i18n.use_locale`` (pt_BR by default). The same input always
gives the same bytes: the PDF's dates come from ``generated_at`` and reportlab
runs in invariant mode.

The PDF uses the standard Helvetica font, which covers Latin-1/cp1252 (ã, ç,
é, º ...); characters it cannot draw (emoji, other scripts) are reduced to
their base letter when there is one and left out otherwise.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.platypus import (
    BaseDocTemplate,
    Frame,
    HRFlowable,
    KeepTogether,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from bot.dates import format_date, format_time, format_when, zone
from bot.i18n import _, current_locale, ngettext

__all__ = [
    "Attendee",
    "PresenceList",
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
    local = _local(data.generated_at, data.timezone)
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
    table = Table(
        [
            [Paragraph(escape(label), st["label"]), Paragraph(_markup(value), st["body"])]
            for label, value in rows
        ],
        colWidths=(_LABEL_WIDTH, _CONTENT_WIDTH - _LABEL_WIDTH),
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
            ]
        )
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
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, _RULE),
                ("BOX", (0, 0), (-1, -1), 1, _INK),
                ("LINEBELOW", (0, 0), (-1, 0), 1, _INK),
                ("BACKGROUND", (0, 0), (-1, 0), _HEADER_FILL),
                ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, _ZEBRA_FILL]),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
                ("LEFTPADDING", (0, 0), (-1, -1), 5),
                ("RIGHTPADDING", (0, 0), (-1, -1), 5),
            ]
        )
    )
    return table


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


def _page_decorator(
    data: PresenceList, total_pages: int, pages_seen: list[int]
) -> Callable[[Any, Any], None]:
    """Draws the running header (from page 2 on) and the footer of every page."""
    generated = _generated_on(data)
    created = _pdf_date(_local(data.generated_at, data.timezone))
    running = " — ".join(
        _drawable(part)
        for part in (
            _("Presence list"),
            data.network_name,
            format_date(_local(data.starts_at, data.timezone).date(), with_year=True),
        )
    )
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


def _render(data: PresenceList, total_pages: int) -> tuple[bytes, int]:
    buffer = io.BytesIO()
    heading = _("Presence list")
    title = _drawable(f"{heading} — {data.network_name}")
    doc = BaseDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=_MARGIN_X,
        rightMargin=_MARGIN_X,
        topMargin=_MARGIN_TOP,
        bottomMargin=_MARGIN_BOTTOM,
        title=title,
        author=_drawable(data.network_name),
        subject=_drawable(
            f"{data.meeting_kind} — {format_when(data.starts_at, data.timezone, with_year=True)}"
        ),
        creator="redebot",
        lang=current_locale().replace("_", "-"),
        invariant=1,
    )
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
    onpage = _page_decorator(data, total_pages, pages)
    doc.addPageTemplates([PageTemplate(id="list", frames=[frame], onPage=onpage)])
    doc.build(_story(data))
    return buffer.getvalue(), max(pages, default=1)


def presence_pdf(data: PresenceList) -> bytes:
    """The presence list as an A4 PDF in the current locale, ready to print and sign."""
    # The first pass counts the pages for the "Page 1 of N" footer; the footer
    # is drawn outside the frames, so the second pass lays out the same pages.
    _draft, total_pages = _render(data, 0)
    pdf, pages = _render(data, total_pages)
    assert pages == total_pages
    return pdf
