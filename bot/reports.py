"""The network's annual report (seed 000 §6, "Relatório anual das ações
intersetoriais"; "Registros formais") as a PDF, a spreadsheet and a ZIP of CSVs.

Pure functions over plain data (no database): a collector elsewhere fills an
``AnnualReport`` with the year's figures, already counted, and the caller
chooses the locale with ``bot.i18n.use_locale`` (pt_BR by default). Labels that
come in the data (meeting kinds, statuses, sector and plan names) are printed as
given, so the collector passes them already translated.

The PDF is what a Secretaria de Assistência Social hands its council: a cover
with the contents, then seven numbered sections of tables and charts. It shows
aggregates only; the row-level lists (every meeting, every referral and owing
sector) go to the spreadsheet and the CSVs. Like the other documents it uses the
standard Helvetica font (see ``bot.documents._drawable``), prints "Gerado em" and
"Página X de N" on every page, and gives the same bytes for the same input: its
dates come from ``generated_at`` and reportlab runs in invariant mode. The
spreadsheet and the ZIP are deterministic too (their timestamps are
``generated_at``).
"""

from __future__ import annotations

import csv
import io
import math
import re
import zipfile
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from xml.sax.saxutils import escape

from babel.numbers import format_decimal, get_decimal_symbol
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter
from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.piecharts import Pie
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import (
    CondPageBreak,
    HRFlowable,
    KeepTogether,
    PageBreak,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from bot.documents import (
    _BOLD,
    _CONTENT_WIDTH,
    _FONT,
    _HEADER_FILL,
    _INK,
    _MUTED,
    _OBLIQUE,
    _RULE,
    _ZEBRA_FILL,
    _build_pdf,
    _csv_cell,
    _drawable,
    _generated_text,
    _local,
    _markup,
)
from bot.documents import (
    _label_table as _document_label_table,
)
from bot.i18n import _, current_locale, ngettext
from bot.rules.dates import format_when
from bot.rules.report_data import (
    AnnualReport,
    DeadlineCompliance,
    ExtraordinaryRow,
    KindCount,
    MeetingRow,
    PlanProgress,
    ReferralRow,
    SectorAttendance,
    SectorDevolutivas,
)

__all__ = [
    "AnnualReport",
    "DeadlineCompliance",
    "ExtraordinaryRow",
    "KindCount",
    "MeetingRow",
    "PlanProgress",
    "ReferralRow",
    "SectorAttendance",
    "SectorDevolutivas",
    "report_csv",
    "report_filename",
    "report_pdf",
    "report_xlsx",
]


# ------------------------------------------------------------------- words


def report_filename(report: AnnualReport, ext: str) -> str:
    """The file name of the report: "relatorio-anual-2026.pdf". The CSV export is a ZIP
    of CSV files, so ``"csv"`` gives "relatorio-anual-2026.zip"."""
    prefix = _("annual-report")
    suffix = ext.lstrip(".").lower()
    return f"{prefix}-{report.year}.{'zip' if suffix == 'csv' else suffix}"


def _report_title() -> str:
    return _("Annual report of the intersectoral actions")


def _section_titles() -> list[str]:
    return [
        _("Meetings"),
        _("Extraordinary meetings"),
        _("Attendance by sector"),
        _("Referrals"),
        _("Action plans"),
        _("Minutes"),
        _("Deadlines of the systems"),
        _("Flows and protocols"),
        _cases_title(),
    ]


def _cases_title() -> str:
    from bot import report_cases  # its own module (issue 15), which uses the helpers here

    return report_cases.title()


def _integer(n: int) -> str:
    """``n`` with the locale's digit grouping: "2.000" in pt_BR."""
    return str(format_decimal(n, locale=current_locale()))


def _days(value: float | None) -> str:
    """Days with one decimal in the locale ("3,5"), or "—" when there is none."""
    if value is None or not math.isfinite(value):
        return "—"
    # Half up, as people round by hand (7.25 days is "7,3"), not the float's half even.
    rounded = Decimal(repr(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return f"{rounded:.1f}".replace(".", get_decimal_symbol(current_locale()))


def _rate(part: int, whole: int) -> int | None:
    """``part`` of ``whole`` as a whole percentage, rounded half up; None for 0 of 0."""
    if whole <= 0:
        return None
    return (200 * max(part, 0) + whole) // (2 * whole)


def _percent(part: int, whole: int) -> str:
    rate = _rate(part, whole)
    return "—" if rate is None else f"{rate}%"


def _of(part: int, whole: int) -> str:
    """``part`` of ``whole`` and the rate: "3 de 5 (60%)"."""
    return _("{part} of {whole} ({rate})").format(
        part=_integer(part), whole=_integer(whole), rate=_percent(part, whole)
    )


def _plan_status(plan: PlanProgress) -> str:
    if plan.total <= 0:
        return _("no actions")
    if plan.done >= plan.total:
        return _("completed")
    return _("under way")


def _attendance_order(rows: Iterable[SectorAttendance]) -> list[SectorAttendance]:
    """Highest rate first, then by name; sectors never expected go last."""

    def key(row: SectorAttendance) -> tuple[int, float, str]:
        if row.expected <= 0:
            return (1, 0.0, row.sector.casefold())
        return (0, -row.present / row.expected, row.sector.casefold())

    return sorted(rows, key=key)


def _local_naive(instant: datetime, tz: str) -> datetime:
    """The instant as the network's wall clock, without a zone (Excel has none)."""
    return _local(instant, tz).replace(tzinfo=None)


# --------------------------------------------------------------------- CSV


def _csv_file(header: Sequence[str], rows: Iterable[Sequence[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([_csv_cell(cell) for cell in row] for row in rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _csv_when(instant: datetime | None, tz: str) -> str:
    return "" if instant is None else f"{_local(instant, tz):%d/%m/%Y %H:%M}"


def _csv_summary(report: AnnualReport) -> list[list[str]]:
    meetings, referrals, plans, atas, deadlines = (
        _("Meetings"),
        _("Referrals"),
        _("Action plans"),
        _("Minutes"),
        _("Deadlines of the systems"),
    )
    rows: list[list[str]] = []
    for kind in report.kinds:
        rows += [
            [meetings, kind.kind, _("Meetings planned"), str(kind.planned)],
            [meetings, kind.kind, _("Meetings held"), str(kind.held)],
            [meetings, kind.kind, _("Meetings without record"), str(kind.unrecorded)],
            [meetings, kind.kind, _("Meetings cancelled"), str(kind.cancelled)],
        ]
    rows += [[referrals, "", label, str(value)] for label, value in _referral_figures(report)]
    for plan in report.plans:
        rows += [
            [plans, plan.name, _("Plan tasks"), str(plan.total)],
            [plans, plan.name, _("Tasks concluded"), str(plan.done)],
            [plans, plan.name, _("Tasks overdue"), str(plan.overdue)],
        ]
    rows += [[atas, "", label, str(value)] for label, value in _atas_figures(report)]
    for deadline in report.deadlines:
        rows += [
            [deadlines, deadline.name, _("Reports expected"), str(deadline.expected)],
            [deadlines, deadline.name, _("Reports confirmed"), str(deadline.confirmed)],
        ]
    return rows


def _referral_figures(report: AnnualReport) -> list[tuple[str, int]]:
    """Encaminhamentos first, then the devolutivas they owe (one per sector), which the
    other figures divide: every figure says what it counts."""
    return [
        (_("Referrals registered in the year"), report.referrals_opened),
        (_("Feedback owed (one per sector and referral)"), report.devolutivas_owed),
        (_("Feedback given on time"), report.answered_on_time),
        (_("Feedback given late"), report.answered_late),
        (_("Feedback not given (referral concluded)"), report.closed_unanswered),
        (_("Feedback still pending"), report.still_open),
    ]


def _atas_figures(report: AnnualReport) -> list[tuple[str, int]]:
    return [
        (_("Meetings with minutes"), report.atas_meetings),
        (_("Minutes delivered"), report.atas_delivered),
        (_("Minutes approved"), report.atas_approved),
    ]


def _meeting_header() -> list[str]:
    return [
        _("Date and time"),
        _("Type of meeting"),
        _("Place"),
        _("Agenda"),
        _("Status"),
        _("Sectors present"),
        _("Sectors expected"),
    ]


def _attendance_header() -> list[str]:
    return [_("Sector"), _("Meetings expected"), _("Meetings attended"), _("Attendance rate")]


def _referral_header() -> list[str]:
    return [
        _("Code"),
        _("Opened on"),
        _("Description"),
        _("Sector"),
        _("Deadline"),
        _("Answered on"),
        _("Status"),
    ]


def _devolutivas_header() -> list[str]:
    return [
        _("Sector"),
        _("Feedback owed"),
        _("Feedback on time"),
        _("Feedback late"),
        _("Feedback open"),
        _("Closed without feedback"),
        _("Mean (days)"),
        _("Median (days)"),
    ]


def _zip_stamp(report: AnnualReport) -> tuple[int, int, int, int, int, int]:
    local = _local(report.generated_at, report.timezone)
    if local.year < 1980:  # the ZIP format starts in 1980
        return (1980, 1, 1, 0, 0, 0)
    return (local.year, local.month, local.day, local.hour, local.minute, local.second)


def _zip(files: Iterable[tuple[str, bytes]], stamp: tuple[int, int, int, int, int, int]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, content)
    return buffer.getvalue()


def report_csv(report: AnnualReport) -> bytes:
    """The report as a ZIP of ``;``-separated UTF-8 CSV files with a BOM (resumo.csv,
    reunioes.csv, presenca.csv, encaminhamentos.csv, devolutivas.csv in pt_BR), file
    names, headers and numbers in the current locale."""
    tz = report.timezone
    meetings = [
        [
            _csv_when(m.starts_at, tz),
            m.kind,
            m.place,
            m.topic,
            m.status,
            str(m.sectors_present),
            str(m.sectors_expected),
        ]
        for m in report.meetings
    ]
    attendance = []
    for row in _attendance_order(report.attendance):
        rate = _rate(row.present, row.expected)
        attendance.append(
            [row.sector, str(row.expected), str(row.present), "" if rate is None else f"{rate}%"]
        )
    referrals = [
        [
            r.code,
            _csv_when(r.created_at, tz),
            r.description,
            r.sector,
            f"{r.deadline:%d/%m/%Y}",
            _csv_when(r.answered_at, tz),
            r.status,
        ]
        for r in report.referrals
    ]

    def days(value: float | None) -> str:
        text = _days(value)
        return "" if text == "—" else text

    devolutivas = [
        [
            d.sector,
            str(d.owed),
            str(d.on_time),
            str(d.late),
            str(d.open),
            str(d.closed),
            days(d.mean_days),
            days(d.median_days),
        ]
        for d in report.devolutivas
    ]
    summary_header = [_("Section"), _("Item"), _("Indicator"), _("Value")]
    files = [
        (_("summary.csv"), _csv_file(summary_header, _csv_summary(report))),
        (_("meetings.csv"), _csv_file(_meeting_header(), meetings)),
        (_("attendance.csv"), _csv_file(_attendance_header(), attendance)),
        (_("referrals.csv"), _csv_file(_referral_header(), referrals)),
        (_("feedback.csv"), _csv_file(_devolutivas_header(), devolutivas)),
        _flows_csv(report),
    ]
    from bot import report_cases

    files += report_cases.csv_files(report)
    return _zip(files, _zip_stamp(report))


# -------------------------------------------------------------------- XLSX

_XLSX_BOLD = Font(bold=True)
_XLSX_TITLE = Font(bold=True, size=13)
_XLSX_HEAD_FILL = PatternFill("solid", fgColor="D9D9D9")
_XLSX_WRAP = Alignment(wrap_text=True, vertical="top")
_DATETIME_FORMAT = "dd/mm/yyyy hh:mm"
_DATE_FORMAT = "dd/mm/yyyy"
_PERCENT_FORMAT = "0%"
_DAYS_FORMAT = "0.0"
_CELL_LIMIT = 32_767  # characters Excel keeps in one cell
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def _xlsx_value(value: Any) -> Any:
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)[:_CELL_LIMIT]
    return value


def _put(ws: Worksheet, row: int, values: Sequence[Any], formats: Sequence[str | None]) -> None:
    """``values`` into ``row``, text always as text (never a formula) and numbers formatted."""
    for column, value in enumerate(values, start=1):
        if value is None:
            continue
        cell = ws.cell(row=row, column=column, value=_xlsx_value(value))
        if isinstance(value, str):
            cell.data_type = "s"  # "=SUM(...)" typed by a user stays text
        elif column <= len(formats) and formats[column - 1]:
            cell.number_format = formats[column - 1]


def _head(ws: Worksheet, row: int, values: Sequence[str]) -> None:
    _put(ws, row, values, ())
    for column in range(1, len(values) + 1):
        cell = ws.cell(row=row, column=column)
        cell.font = _XLSX_BOLD
        cell.fill = _XLSX_HEAD_FILL


def _widths(ws: Worksheet, widths: Sequence[float]) -> None:
    for column, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(column)].width = width


def _sheet_title(title: str) -> str:
    return _SHEET_FORBIDDEN.sub("", title)[:31] or "-"


def _data_sheet(
    wb: Workbook,
    title: str,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    widths: Sequence[float],
    formats: Sequence[str | None] = (),
    wrap: Sequence[int] = (),
) -> Worksheet:
    """A sheet with a bold frozen header and one record per row."""
    ws = wb.create_sheet(_sheet_title(title))
    _head(ws, 1, header)
    count = 0
    for count, values in enumerate(rows, start=2):
        _put(ws, count, values, formats)
        for column in wrap:
            ws.cell(row=count, column=column).alignment = _XLSX_WRAP
    ws.freeze_panes = "A2"
    if count:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(header))}{count}"
    _widths(ws, widths)
    return ws


def _summary_sheet(ws: Worksheet, report: AnnualReport) -> None:
    ws.title = _sheet_title(_("Summary"))
    ws.cell(row=1, column=1, value=_xlsx_value(_report_title())).font = _XLSX_TITLE
    ws.freeze_panes = "A2"
    _put(ws, 2, [_("Network"), report.network_name], ())
    _put(ws, 3, [_("Year"), report.year], ())
    generated = _local_naive(report.generated_at, report.timezone)
    _put(ws, 4, [_("Generated on"), generated], (None, _DATETIME_FORMAT))
    for row in (2, 3, 4):
        ws.cell(row=row, column=1).font = _XLSX_BOLD
        ws.cell(row=row, column=2).alignment = Alignment(horizontal="left")
    row = 6

    def block(title: str, header: Sequence[str]) -> None:
        nonlocal row
        ws.cell(row=row, column=1, value=_xlsx_value(title)).font = _XLSX_TITLE
        _head(ws, row + 1, header)
        row += 2

    def line(values: Sequence[Any], formats: Sequence[str | None] = (), bold: bool = False) -> None:
        nonlocal row
        _put(ws, row, values, formats)
        if bold:
            for column in range(1, len(values) + 1):
                ws.cell(row=row, column=column).font = _XLSX_BOLD
        row += 1

    rate = (None, None, None, None, None, _PERCENT_FORMAT)
    block(
        _("Meetings"),
        [
            _("Type of meeting"),
            _("Meetings planned"),
            _("Meetings held"),
            _("Meetings without record"),
            _("Meetings cancelled"),
            "%",
        ],
    )
    for k in report.kinds:
        counts = [k.planned, k.held, k.unrecorded, k.cancelled]
        line([k.kind, *counts, _share(k.held, k.planned)], rate)
    planned, held, unrecorded, cancelled = _kind_totals(report)
    line([_("Total"), planned, held, unrecorded, cancelled, _share(held, planned)], rate, bold=True)
    row += 1
    block(_("Attendance by sector"), [_("Indicator"), _("Value")])
    expected = sum(a.expected for a in report.attendance)
    present = sum(a.present for a in report.attendance)
    line([_("Sectors"), len(report.attendance)])
    line([_("Overall attendance rate"), _share(present, expected)], (None, _PERCENT_FORMAT))
    row += 1
    block(_("Referrals"), [_("Indicator"), _("Value")])
    for label, value in _referral_figures(report):
        line([label, value])
    row += 1
    block(
        _("Action plans"),
        [_("Plan"), _("Plan tasks"), _("Tasks concluded"), _("Tasks overdue"), _("Status")],
    )
    for plan in report.plans:
        line([plan.name, plan.total, plan.done, plan.overdue, _plan_status(plan)])
    row += 1
    block(_("Minutes"), [_("Indicator"), _("Value")])
    for label, value in _atas_figures(report):
        line([label, value])
    row += 1
    block(
        _("Deadlines of the systems"),
        [_("Deadline"), _("Reports expected"), _("Reports confirmed"), "%"],
    )
    for d in report.deadlines:
        line([d.name, d.expected, d.confirmed, _share(d.confirmed, d.expected)], rate[2:])
    _widths(ws, (44, 16, 14, 14, 16))


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole > 0 else None


def _kind_totals(report: AnnualReport) -> tuple[int, int, int, int]:
    """Planned, held, without record and cancelled meetings of every kind."""
    return (
        sum(k.planned for k in report.kinds),
        sum(k.held for k in report.kinds),
        sum(k.unrecorded for k in report.kinds),
        sum(k.cancelled for k in report.kinds),
    )


def _workbook(report: AnnualReport) -> Workbook:
    tz = report.timezone
    wb = Workbook()
    summary = wb.active
    assert isinstance(summary, Worksheet)
    _summary_sheet(summary, report)
    _data_sheet(
        wb,
        _("Meetings"),
        [*_meeting_header(), _("Attendance rate")],
        (
            [
                _local_naive(m.starts_at, tz),
                m.kind,
                m.place,
                m.topic,
                m.status,
                m.sectors_present,
                m.sectors_expected,
                _share(m.sectors_present, m.sectors_expected),
            ]
            for m in report.meetings
        ),
        (17, 24, 30, 44, 14, 12, 12, 12),
        (_DATETIME_FORMAT, None, None, None, None, None, None, _PERCENT_FORMAT),
    )
    _data_sheet(
        wb,
        _("Attendance"),
        _attendance_header(),
        (
            [a.sector, a.expected, a.present, _share(a.present, a.expected)]
            for a in _attendance_order(report.attendance)
        ),
        (40, 18, 18, 16),
        (None, None, None, _PERCENT_FORMAT),
    )
    _data_sheet(
        wb,
        _("Referrals"),
        _referral_header(),
        (
            [
                r.code,
                _local_naive(r.created_at, tz),
                r.description,
                r.sector,
                r.deadline,
                None if r.answered_at is None else _local_naive(r.answered_at, tz),
                r.status,
            ]
            for r in report.referrals
        ),
        (14, 17, 50, 30, 12, 17, 14),
        (None, _DATETIME_FORMAT, None, None, _DATE_FORMAT, _DATETIME_FORMAT),
    )
    _data_sheet(
        wb,
        _("Feedback by sector"),
        _devolutivas_header(),
        (
            [d.sector, d.owed, d.on_time, d.late, d.open, d.closed, d.mean_days, d.median_days]
            for d in report.devolutivas
        ),
        (40, 10, 10, 12, 10, 12, 13, 14),
        (None, None, None, None, None, None, _DAYS_FORMAT, _DAYS_FORMAT),
    )
    _data_sheet(
        wb,
        _("Extraordinary"),
        [
            _("Date and time"),
            _("Place"),
            _("Agenda"),
            _("Convened by"),
            _("Basis"),
            _("Justification"),
            _("Meeting cancelled"),
        ],
        (
            [
                _local_naive(e.starts_at, tz),
                e.place,
                e.agenda,
                e.convened_by,
                e.basis,
                e.justification,
                _("Yes") if e.cancelled else _("No"),
            ]
            for e in report.extraordinary
        ),
        (17, 28, 36, 24, 30, 70, 11),
        (_DATETIME_FORMAT,),
        wrap=(3, 5, 6),
    )
    _flows_sheet(wb, report)
    from bot import report_cases

    report_cases.xlsx_sheet(wb, report)
    created = _local_naive(report.generated_at, "UTC")  # the core properties are in UTC
    wb.properties.created = wb.properties.modified = created
    wb.properties.creator = "redebot"
    wb.properties.title = _drawable(f"{_report_title()} — {report.network_name} — {report.year}")
    return wb


def report_xlsx(report: AnnualReport) -> bytes:
    """The report as an .xlsx workbook: Resumo (the figures), Reuniões, Presença,
    Encaminhamentos (one row per referral and owing sector), Devolutivas por setor and
    Extraordinárias (names in the current locale), dates as the network's local time."""
    wb = _workbook(report)
    buffer = io.BytesIO()
    # ExcelWriter rather than Workbook.save, which stamps the current time.
    ExcelWriter(wb, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED)).save()
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as written:
        files = [(info.filename, written.read(info)) for info in written.infolist()]
    return _zip(files, _zip_stamp(report))


# --------------------------------------------------------------------- PDF

_ACCENT = colors.HexColor("#1F3864")  # the navy of headings and the main series
_ACCENT_LIGHT = colors.HexColor("#9DB4D3")
_GRID = colors.HexColor("#D0D0D0")
_ON_TIME = colors.HexColor("#4E8542")
_LATE = colors.HexColor("#C0631B")
_OPEN = colors.HexColor("#A6A6A6")
_CLOSED = colors.HexColor("#6B7FA3")

_CHART_LABEL_LIMIT = 50  # characters of a sector name on a chart axis
_KIND_LABEL_LIMIT = 36
_SECTORS_PER_CHART = 40  # more sectors continue on a second chart
_SECTION_ROOM = 3.5 * cm  # a section heading needs this much room left on the page


def _pdf_styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=_FONT, fontSize=10, leading=13, textColor=_INK)
    center = {"alignment": TA_CENTER}
    return {
        "body": base,
        "cover_network": ParagraphStyle(
            "cover_network", parent=base, fontName=_BOLD, fontSize=14, leading=18, **center
        ),
        "cover_title": ParagraphStyle(
            "cover_title", parent=base, fontName=_BOLD, fontSize=24, leading=30, **center
        ),
        "cover_year": ParagraphStyle(
            "cover_year",
            parent=base,
            fontName=_BOLD,
            fontSize=44,
            leading=50,
            textColor=_ACCENT,
            **center,
        ),
        "cover_text": ParagraphStyle(
            "cover_text",
            parent=base,
            fontName=_OBLIQUE,
            fontSize=10.5,
            leading=14,
            textColor=_MUTED,
            **center,
        ),
        "cover_generated": ParagraphStyle("cover_generated", parent=base, **center),
        "contents": ParagraphStyle(
            "contents", parent=base, fontName=_BOLD, fontSize=12, leading=15, spaceAfter=6
        ),
        "section": ParagraphStyle(
            "section",
            parent=base,
            fontName=_BOLD,
            fontSize=14,
            leading=18,
            textColor=_ACCENT,
            spaceBefore=22,  # the space between sections, dropped atop a page
        ),
        "subsection": ParagraphStyle(
            "subsection",
            parent=base,
            fontName=_BOLD,
            fontSize=11,
            leading=14,
            spaceBefore=12,
            spaceAfter=4,
        ),
        "intro": ParagraphStyle("intro", parent=base, spaceAfter=8),
        "none": ParagraphStyle("none", parent=base, fontName=_OBLIQUE, textColor=_MUTED),
        "caption": ParagraphStyle(
            "caption",
            parent=base,
            fontName=_BOLD,
            fontSize=9.5,
            leading=12,
            spaceBefore=14,
            spaceAfter=2,
        ),
        "note": ParagraphStyle(
            "note",
            parent=base,
            fontName=_OBLIQUE,
            fontSize=8,
            leading=10,
            textColor=_MUTED,
            spaceBefore=3,
        ),
        "label": ParagraphStyle("label", parent=base, fontName=_BOLD),
        "head": ParagraphStyle("head", parent=base, fontName=_BOLD, fontSize=8.5, leading=10.5),
        "head_num": ParagraphStyle(
            "head_num",
            parent=base,
            fontName=_BOLD,
            fontSize=8.5,
            leading=10.5,
            alignment=TA_RIGHT,
        ),
        "cell": ParagraphStyle("cell", parent=base, fontSize=9, leading=11.5),
        "cell_bold": ParagraphStyle(
            "cell_bold", parent=base, fontName=_BOLD, fontSize=9, leading=11.5
        ),
        "empty": ParagraphStyle("empty", parent=base, fontSize=12, leading=17, alignment=TA_CENTER),
    }


def _table(
    head: Sequence[str],
    rows: Sequence[Sequence[str]],
    widths: Sequence[float],
    st: dict[str, ParagraphStyle],
    *,
    numeric: Sequence[int],
    total: Sequence[str] | None = None,
) -> Table:
    """A grid table: text columns wrap, ``numeric`` columns are right-aligned."""
    numbers = set(numeric)

    def cell(column: int, text: str, bold: bool = False) -> Any:
        if column in numbers:
            return text
        return Paragraph(_markup(text), st["cell_bold" if bold else "cell"])

    data: list[list[Any]] = [
        [
            Paragraph(escape(text), st["head_num" if i in numbers else "head"])
            for i, text in enumerate(head)
        ]
    ]
    data += [[cell(i, text) for i, text in enumerate(row)] for row in rows]
    if total is not None:
        data.append([cell(i, text, bold=True) for i, text in enumerate(total)])
    style: list[tuple[Any, ...]] = [
        ("GRID", (0, 0), (-1, -1), 0.5, _RULE),
        ("BOX", (0, 0), (-1, -1), 1, _INK),
        ("LINEBELOW", (0, 0), (-1, 0), 1, _INK),
        ("BACKGROUND", (0, 0), (-1, 0), _HEADER_FILL),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, _ZEBRA_FILL]),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("FONT", (0, 1), (-1, -1), _FONT, 9, 11.5),
        ("TEXTCOLOR", (0, 1), (-1, -1), _INK),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ("LEFTPADDING", (0, 0), (-1, -1), 5),
        ("RIGHTPADDING", (0, 0), (-1, -1), 5),
    ]
    style += [("ALIGN", (i, 1), (i, -1), "RIGHT") for i in sorted(numbers)]
    if total is not None:
        style += [
            ("FONT", (0, -1), (-1, -1), _BOLD, 9, 11.5),
            ("LINEABOVE", (0, -1), (-1, -1), 1, _INK),
            ("BACKGROUND", (0, -1), (-1, -1), _HEADER_FILL),
        ]
    table = Table(data, colWidths=list(widths), repeatRows=1, hAlign="LEFT")
    table.setStyle(TableStyle(style))
    return table


def _label_table(rows: Sequence[tuple[str, str]], st: dict[str, ParagraphStyle]) -> Table:
    """ "Label: value" lines; values wrap and keep the user's line breaks."""
    return _document_label_table(
        [(label, Paragraph(_markup(value), st["body"])) for label, value in rows],
        st,
        label_width=3.6 * cm,
    )


def _fit(text: str, size: float, width: float, limit: int) -> str:
    """``text`` drawable, within ``limit`` characters and ``width`` points: a long name
    loses its middle ("Secretaria Municipal de…nº 12 — Unidade Regional"), so names
    that share a long beginning stay apart."""
    label = _drawable(text)
    keep = min(len(label), limit)
    while keep > 4:
        if keep >= len(label):
            candidate = label
        else:
            head = (keep - 1) * 11 // 20
            tail = keep - 1 - head
            candidate = label[:head].rstrip() + "…" + label[len(label) - tail :].lstrip()
        if stringWidth(candidate, _FONT, size) <= width:
            return candidate
        keep -= 1
    return label[:keep]


def _nice_step(top: int) -> int:
    """An axis step of 1, 2, 5, 10, 20, 50 ... giving at most 8 steps up to ``top``."""
    magnitude = 1
    while True:
        for factor in (1, 2, 5):
            step = factor * magnitude
            if top <= 8 * step:
                return step
        magnitude *= 10


def _legend(pairs: Sequence[tuple[Any, str]], x: float, y: float, columns: int) -> Legend:
    legend = Legend()
    legend.colorNamePairs = list(pairs)
    legend.x, legend.y = x, y
    legend.boxAnchor = "nw"
    legend.alignment = "right"
    legend.fontName = _FONT
    legend.fontSize = 8.5
    legend.dx = legend.dy = 8
    legend.deltax = 10
    legend.deltay = 12
    legend.columnMaximum = columns
    legend.strokeColor = None
    legend.strokeWidth = 0
    legend.subCols.minWidth = 0
    legend.dxTextSpace = 5
    return legend


def _kinds_chart(kinds: Sequence[KindCount]) -> Drawing:
    """Planned and held meetings per kind, side by side."""
    width = _CONTENT_WIDTH
    count = len(kinds)
    size = 8.0 if count <= 6 else 7.0
    labels = [_fit(k.kind, size, 200, _KIND_LABEL_LIMIT) for k in kinds]
    widest = max(stringWidth(label, _FONT, size) for label in labels)
    left, right, top = 40.0, 10.0, 28.0
    group = (width - left - right) / count
    slanted = widest > group - 6
    if slanted:  # labels at 30°, hanging left of their bar
        left = max(left, widest * 0.87 - group / 2 + 6)
        group = (width - left - right) / count
    bottom = (widest * 0.5 + size + 10) if slanted else 22.0
    plot_height = 150.0
    drawing = Drawing(width, bottom + plot_height + top)
    chart = VerticalBarChart()
    chart.x, chart.y = left, bottom
    chart.width, chart.height = width - left - right, plot_height
    chart.data = [[k.planned for k in kinds], [k.held for k in kinds]]
    chart.categoryAxis.categoryNames = labels
    chart.categoryAxis.labels.fontName = _FONT
    chart.categoryAxis.labels.fontSize = size
    chart.categoryAxis.labels.fillColor = _INK
    if slanted:
        chart.categoryAxis.labels.angle = 30
        chart.categoryAxis.labels.boxAnchor = "ne"
        chart.categoryAxis.labels.dx = 2
        chart.categoryAxis.labels.dy = -4
    else:
        chart.categoryAxis.labels.boxAnchor = "n"
        chart.categoryAxis.labels.dy = -5
    chart.categoryAxis.strokeColor = _INK
    highest = max([k.planned for k in kinds] + [k.held for k in kinds] + [1])
    step = _nice_step(highest)
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = step * math.ceil(highest / step)
    chart.valueAxis.valueStep = step
    chart.valueAxis.labelTextFormat = "%d"
    chart.valueAxis.labels.fontName = _FONT
    chart.valueAxis.labels.fontSize = 8
    chart.valueAxis.strokeColor = _INK
    chart.valueAxis.visibleGrid = True
    chart.valueAxis.gridStrokeColor = _GRID
    chart.valueAxis.gridStrokeWidth = 0.4
    chart.bars.strokeColor = None
    chart.bars[0].fillColor = _ACCENT_LIGHT
    chart.bars[1].fillColor = _ACCENT
    # In points: two bars of at most 36 pt, the rest of each group is space.
    bar = min(36.0, group * 0.3)
    chart.barWidth = bar
    chart.barSpacing = 2
    chart.groupSpacing = group - 2 * bar - 2
    chart.barLabelFormat = "%d"
    chart.barLabels.fontName = _FONT
    chart.barLabels.fontSize = 7.5
    chart.barLabels.nudge = 6
    drawing.add(chart)
    legend = _legend(
        [(_ACCENT_LIGHT, _("Meetings planned")), (_ACCENT, _("Meetings held"))],
        left,
        drawing.height,
        1,
    )
    drawing.add(legend)
    return drawing


def _attendance_chart(rows: Sequence[tuple[str, int]]) -> Drawing:
    """Horizontal bars of the attendance rate, the first of ``rows`` at the top."""
    width = _CONTENT_WIDTH
    count = len(rows)
    size = 8.5 if count <= 15 else 7.5 if count <= 30 else 7.0
    pitch = 17.0 if count <= 10 else 14.0 if count <= 24 else 12.5
    max_label = width * 0.4
    labels = [_fit(name, size, max_label, _CHART_LABEL_LIMIT) for name, _rate in rows]
    label_width = max(stringWidth(label, _FONT, size) for label in labels)
    left, right, bottom, top = label_width + 10, 34.0, 20.0, 6.0
    plot_height = pitch * count
    drawing = Drawing(width, bottom + plot_height + top)
    chart = HorizontalBarChart()
    chart.x, chart.y = left, bottom
    chart.width, chart.height = width - left - right, plot_height
    # Categories are drawn from the bottom up.
    chart.data = [[rate for _name, rate in reversed(rows)]]
    chart.categoryAxis.categoryNames = list(reversed(labels))
    chart.categoryAxis.labels.fontName = _FONT
    chart.categoryAxis.labels.fontSize = size
    chart.categoryAxis.labels.fillColor = _INK
    chart.categoryAxis.labels.boxAnchor = "e"
    chart.categoryAxis.labels.dx = -5
    chart.categoryAxis.tickLeft = 0  # no ticks between the names and the bars
    chart.categoryAxis.strokeColor = _INK
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = max(100, *(rate for _name, rate in rows))
    chart.valueAxis.valueStep = 20
    chart.valueAxis.labelTextFormat = "%d%%"
    chart.valueAxis.labels.fontName = _FONT
    chart.valueAxis.labels.fontSize = 8
    chart.valueAxis.strokeColor = _INK
    chart.valueAxis.visibleGrid = True
    chart.valueAxis.gridStrokeColor = _GRID
    chart.valueAxis.gridStrokeWidth = 0.4
    chart.bars.strokeColor = None
    chart.bars[0].fillColor = _ACCENT
    chart.groupSpacing = pitch * 0.28
    chart.barLabelFormat = "%d%%"
    chart.barLabels.fontName = _FONT
    chart.barLabels.fontSize = size - 0.5
    chart.barLabels.boxAnchor = "w"
    chart.barLabels.dx = 3
    chart.barLabels.nudge = 0
    drawing.add(chart)
    return drawing


def _referrals_pie(report: AnnualReport, width: float) -> Drawing | None:
    """On time / late / still open as a pie with a legend; None when all are 0."""
    parts = [
        (_ON_TIME, _("Answered on time"), report.answered_on_time),
        (_LATE, _("Answered late"), report.answered_late),
        (_CLOSED, _("Closed without feedback"), report.closed_unanswered),
        (_OPEN, _("Still open"), report.still_open),
    ]
    total = sum(max(n, 0) for _c, _l, n in parts)
    if total <= 0:
        return None
    pairs = [(color, f"{label}: {_integer(n)} ({_percent(n, total)})") for color, label, n in parts]
    diameter, row = 100.0, 12.0
    legend_width = 8 + 5 + max(stringWidth(text, _FONT, 8.5) for _color, text in pairs)
    legend_height = row * len(pairs)
    if diameter + 18 + legend_width <= width:  # the legend beside the pie
        drawing = Drawing(width, diameter + 10)
        pie_y = 5.0
        legend_x, legend_top = diameter + 18, pie_y + diameter / 2 + legend_height / 2
    else:  # below it
        drawing = Drawing(width, diameter + legend_height + 18)
        pie_y = legend_height + 13
        legend_x, legend_top = 4.0, legend_height + 4
    pie = Pie()
    pie.x, pie.y = 4, pie_y
    pie.width = pie.height = diameter
    shown = [(color, n) for color, _label, n in parts if n > 0]
    pie.data = [n for _color, n in shown]
    pie.labels = None
    pie.startAngle = 90
    pie.direction = "clockwise"
    pie.slices.strokeColor = colors.white
    pie.slices.strokeWidth = 1
    for index, (color, _n) in enumerate(shown):
        pie.slices[index].fillColor = color
    drawing.add(pie)
    drawing.add(_legend(pairs, legend_x, legend_top, len(pairs)))
    return drawing


# ----------------------------------------------------------------- sections


def _none(text: str, st: dict[str, ParagraphStyle]) -> list[Any]:
    return [Paragraph(escape(text), st["none"])]


def _meetings_section(report: AnnualReport, st: dict[str, ParagraphStyle]) -> list[Any]:
    planned, held, unrecorded, cancelled = _kind_totals(report)
    if not report.kinds or planned + held + cancelled == 0:
        return _none(_("No meetings were planned in {year}.").format(year=report.year), st)
    intro = ngettext(
        "In {year}, {planned} meeting was planned: {held} held, {unrecorded} without record "
        "and {cancelled} cancelled.",
        "In {year}, {planned} meetings were planned: {held} held, {unrecorded} without record "
        "and {cancelled} cancelled.",
        planned,
    ).format(
        year=report.year,
        planned=_integer(planned),
        held=_integer(held),
        unrecorded=_integer(unrecorded),
        cancelled=_integer(cancelled),
    )
    head = [
        _("Type of meeting"),
        _("Meetings planned"),
        _("Meetings held"),
        _("Meetings without record"),
        _("Meetings cancelled"),
        _("Held (%)"),
    ]
    rows = [
        [
            k.kind,
            *(_integer(n) for n in (k.planned, k.held, k.unrecorded, k.cancelled)),
            _percent(k.held, k.planned),
        ]
        for k in report.kinds
    ]
    total = [_("Total"), *(_integer(n) for n in (planned, held, unrecorded, cancelled))]
    total.append(_percent(held, planned))
    number, share = 2.1 * cm, 2.2 * cm
    table = _table(
        head,
        rows,
        (_CONTENT_WIDTH - 4 * number - share, number, number, number, number, share),
        st,
        numeric=(1, 2, 3, 4, 5),
        total=total,
    )
    held_note = _(
        "Held: with a presence list or an approved ata. Without record: past meetings with neither."
    )
    caption = Paragraph(escape(_("Planned and held meetings, by type")), st["caption"])
    charted = [k for k in report.kinds if k.planned or k.held]  # kinds with no meeting: no bars
    story: list[Any] = [
        Paragraph(escape(intro), st["intro"]),
        table,
        Paragraph(escape(held_note), st["note"]),
    ]
    if charted:
        story.append(KeepTogether([caption, _kinds_chart(charted)]))
    return story


def _extraordinary_section(report: AnnualReport, st: dict[str, ParagraphStyle]) -> list[Any]:
    rows = report.extraordinary
    if not rows:
        message = _("There were no extraordinary meetings in {year}.")
        return _none(message.format(year=report.year), st)
    intro = ngettext(
        "{n} extraordinary meeting was convened in {year}.",
        "{n} extraordinary meetings were convened in {year}.",
        len(rows),
    ).format(n=_integer(len(rows)), year=report.year)
    story: list[Any] = []
    for index, row in enumerate(rows, start=1):
        when = format_when(row.starts_at, report.timezone, with_year=True)
        heading = f"{index}. {when[:1].upper()}{when[1:]}"
        if row.cancelled:
            heading += " — " + _("meeting cancelled")
        fields = [
            (_("Venue:"), row.place),
            (_("Agenda:"), row.agenda),
            (_("Convened by:"), row.convened_by),
            (_("Basis:"), row.basis),
            (_("Justification:"), row.justification),
        ]
        block = [
            Paragraph(escape(_drawable(heading)), st["subsection"]),
            _label_table(fields, st),
        ]
        if index == 1:  # kept with the section heading (a list, see _story)
            story.append([Paragraph(escape(intro), st["intro"]), *block])
        else:
            story.append(KeepTogether(block))
    return story


def _attendance_section(report: AnnualReport, st: dict[str, ParagraphStyle]) -> list[Any]:
    if not report.attendance:
        message = _("No attendance was recorded in {year}.")
        return _none(message.format(year=report.year), st)
    ordered = _attendance_order(report.attendance)
    expected = sum(a.expected for a in ordered)
    present = sum(a.present for a in ordered)
    intro = _(
        "Meetings each sector was expected at and attended; the rate is attended divided "
        "by expected. Overall attendance: {rate}."
    ).format(rate=_percent(present, expected))
    rows = [
        [a.sector, _integer(a.expected), _integer(a.present), _percent(a.present, a.expected)]
        for a in ordered
    ]
    number = 2.6 * cm
    table = _table(
        _attendance_header(),
        rows,
        (_CONTENT_WIDTH - 3 * number, number, number, number),
        st,
        numeric=(1, 2, 3),
    )
    story: list[Any] = [Paragraph(escape(intro), st["intro"]), table]
    rated = [
        (a.sector, rate) for a in ordered if (rate := _rate(a.present, a.expected)) is not None
    ]
    caption = Paragraph(escape(_("Attendance rate by sector")), st["caption"])
    for start in range(0, len(rated), _SECTORS_PER_CHART):
        chunk = rated[start : start + _SECTORS_PER_CHART]
        story.append(
            KeepTogether([caption, _attendance_chart(chunk)])
            if start == 0
            else _attendance_chart(chunk)
        )
    return story


def _referrals_section(report: AnnualReport, st: dict[str, ParagraphStyle]) -> list[Any]:
    figures = _referral_figures(report)
    if not any(value for _label, value in figures) and not report.devolutivas:
        message = _("No referrals were opened in {year}.")
        return _none(message.format(year=report.year), st)
    owed = report.devolutivas_owed
    rows = [[label, _integer(value), ""] for label, value in figures[:2]]
    rows += [[label, _integer(value), _percent(value, owed)] for label, value in figures[2:]]
    summary_width = 9.6 * cm
    summary = _table(
        [_("Indicator"), _("Quantity"), "%"],
        rows,
        (summary_width - 4.0 * cm, 2.4 * cm, 1.6 * cm),
        st,
        numeric=(1, 2),
    )
    pie = _referrals_pie(report, _CONTENT_WIDTH - summary_width - 0.6 * cm)
    top: Any = summary
    if pie is not None:
        top = Table(
            [[summary, pie]],
            colWidths=(summary_width + 0.6 * cm, _CONTENT_WIDTH - summary_width - 0.6 * cm),
            hAlign="LEFT",
        )
        top.setStyle(
            TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ]
            )
        )
    note = _(
        "Each referral owes one feedback per sector it was sent to; the percentages are of "
        "the feedback owed."
    )
    story: list[Any] = [top, Paragraph(escape(note), st["note"])]
    caption = Paragraph(escape(_("Feedback by sector")), st["subsection"])
    if not report.devolutivas:
        return [*story, caption, *_none(_("No sector owed feedback."), st)]
    head = _devolutivas_header()
    body = [
        [
            d.sector,
            _integer(d.owed),
            _integer(d.on_time),
            _integer(d.late),
            _integer(d.open),
            _integer(d.closed),
            _days(d.mean_days),
            _days(d.median_days),
        ]
        for d in report.devolutivas
    ]
    number, days = 1.8 * cm, 1.9 * cm
    table = _table(
        head,
        body,
        (_CONTENT_WIDTH - 5 * number - 2 * days, *([number] * 5), days, days),
        st,
        numeric=(1, 2, 3, 4, 5, 6, 7),
    )
    days_note = _("Mean and median: days from the referral to the sector's feedback.")
    days = Paragraph(escape(days_note), st["note"])
    return [*story, KeepTogether([caption, table, days])]


def _plans_section(report: AnnualReport, st: dict[str, ParagraphStyle]) -> list[Any]:
    if not report.plans:
        return _none(_("There were no action plans in {year}.").format(year=report.year), st)
    rows = [
        [p.name, _of(p.done, p.total), _integer(p.overdue), _plan_status(p)] for p in report.plans
    ]
    done = sum(1 for p in report.plans if p.total > 0 and p.done >= p.total)
    intro = ngettext(
        "{done} of {n} action plan completed.",
        "{done} of {n} action plans completed.",
        len(report.plans),
    ).format(done=_integer(done), n=_integer(len(report.plans)))
    widths = (_CONTENT_WIDTH - 9.4 * cm, 3.8 * cm, 2.2 * cm, 3.4 * cm)
    head = [_("Plan"), _("Tasks concluded"), _("Tasks overdue"), _("Status")]
    # One lead block (a list): kept with the heading.
    return [[Paragraph(escape(intro), st["intro"]), _table(head, rows, widths, st, numeric=(1, 2))]]


def _atas_section(report: AnnualReport, st: dict[str, ParagraphStyle]) -> list[Any]:
    figures = _atas_figures(report)
    if not any(value for _label, value in figures):
        return _none(_("No minutes were due in {year}.").format(year=report.year), st)
    meetings = report.atas_meetings
    rows = [[figures[0][0], _integer(meetings), ""]]
    rows += [[label, _integer(value), _percent(value, meetings)] for label, value in figures[1:]]
    widths = (7.0 * cm, 2.4 * cm, 2.0 * cm)
    note = _("The percentages are of the meetings with minutes.")
    table = _table([_("Indicator"), _("Quantity"), "%"], rows, widths, st, numeric=(1, 2))
    return [[table, Paragraph(escape(note), st["note"])]]


def _deadlines_section(report: AnnualReport, st: dict[str, ParagraphStyle]) -> list[Any]:
    if not report.deadlines:
        message = _("No reporting deadlines were tracked in {year}.")
        return _none(message.format(year=report.year), st)
    rows = [
        [d.name, _of(d.confirmed, d.expected), _integer(d.expected - d.confirmed)]
        for d in report.deadlines
    ]
    widths = (_CONTENT_WIDTH - 7.4 * cm, 4.2 * cm, 3.2 * cm)
    note = _("Counted in sector-periods: each sector confirms each period's report once.")
    head = [_("Deadline"), _("Reports confirmed"), _("Reports not confirmed")]
    table = _table(head, rows, widths, st, numeric=(1, 2))
    return [[table, Paragraph(escape(note), st["note"])]]


# --- flows and protocols (issue 15) ------------------------------------------------------


def _flows_header() -> list[str]:
    return [_("Document"), _("Version"), _("Responsible sector"), _("Approved at the meeting")]


def _flows_section(report: AnnualReport, st: dict[str, ParagraphStyle]) -> list[Any]:
    """The flow documents updated in the year (seed 000 §6: "Fluxos de atendimento
    atualizados"), each version with the meeting that approved it."""
    if not report.flows:
        return _none(_("No flow document was updated in {year}.").format(year=report.year), st)
    n = len(report.flows)
    intro = ngettext(
        "{n} version of the network's flows and protocols was approved in {year}.",
        "{n} versions of the network's flows and protocols were approved in {year}.",
        n,
    ).format(n=_integer(n), year=report.year)
    rows = [[f.document, str(f.version), f.sector, f.meeting] for f in report.flows]
    widths = (_CONTENT_WIDTH - 10.8 * cm, 1.6 * cm, 3.8 * cm, 5.4 * cm)
    table = _table(_flows_header(), rows, widths, st, numeric=(1,))
    return [[Paragraph(escape(intro), st["intro"]), table]]


def _flows_sheet(wb: Workbook, report: AnnualReport) -> None:
    tz = report.timezone
    _data_sheet(
        wb,
        _("Flows"),
        [*_flows_header(), _("Meeting"), _("Approved on")],
        (
            [
                f.document,
                f.version,
                f.sector,
                None if f.meeting_at is None else _local_naive(f.meeting_at, tz),
                f.meeting,
                _local_naive(f.approved_at, tz),
            ]
            for f in report.flows
        ),
        (40, 10, 30, 20, 36, 17),
        (None, None, None, _DATETIME_FORMAT, None, _DATETIME_FORMAT),
    )


def _flows_csv(report: AnnualReport) -> tuple[str, bytes]:
    rows = [
        [
            f.document,
            str(f.version),
            f.sector,
            _csv_when(f.meeting_at, report.timezone),
            _csv_when(f.approved_at, report.timezone),
        ]
        for f in report.flows
    ]
    header = [*_flows_header(), _("Approved on")]
    return _("flows.csv"), _csv_file(header, rows)


_SECTIONS: tuple[Callable[[AnnualReport, dict[str, ParagraphStyle]], list[Any]], ...] = (
    _meetings_section,
    _extraordinary_section,
    _attendance_section,
    _referrals_section,
    _plans_section,
    _atas_section,
    _deadlines_section,
    _flows_section,
    lambda report, st: _cases_section(report, st),
)


def _cases_section(report: AnnualReport, st: dict[str, ParagraphStyle]) -> list[Any]:
    from bot import report_cases

    return report_cases.pdf_section(report, st)


def _section_heading(number: int, title: str, st: dict[str, ParagraphStyle]) -> list[Any]:
    heading = Paragraph(escape(f"{number}. {title}"), st["section"])
    heading._redebot_section = number  # found again by _build_pdf
    return [
        heading,
        HRFlowable(width="100%", thickness=0.8, color=_ACCENT, spaceBefore=2, spaceAfter=8),
    ]


def _contents(anchors: dict[int, int], st: dict[str, ParagraphStyle]) -> Table:
    rows = [
        [f"{number}.", Paragraph(escape(title), st["body"]), str(anchors.get(number, "—"))]
        for number, title in enumerate(_section_titles(), start=1)
    ]
    width = 13 * cm
    table = Table(rows, colWidths=(1.0 * cm, width - 2.2 * cm, 1.2 * cm), hAlign="CENTER")
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), _FONT, 10, 13),
                ("TEXTCOLOR", (0, 0), (-1, -1), _INK),
                ("ALIGN", (-1, 0), (-1, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.4, _GRID),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    return table


def _cover(
    report: AnnualReport, anchors: dict[int, int], st: dict[str, ParagraphStyle]
) -> list[Any]:
    generated = _generated_text(report.generated_at, report.timezone)
    story: list[Any] = [
        Spacer(1, 0.6 * cm),
        Paragraph(_markup(report.network_name), st["cover_network"]),
        HRFlowable(width="100%", thickness=1.5, color=_ACCENT, spaceBefore=6, spaceAfter=0),
        Spacer(1, 3.2 * cm),
        Paragraph(escape(_report_title()), st["cover_title"]),
        Spacer(1, 0.5 * cm),
        Paragraph(str(report.year), st["cover_year"]),
        Spacer(1, 0.8 * cm),
    ]
    if not report.is_empty():
        scope = _(
            "Formal records of the network in {year}: meetings, attendance of the sectors, "
            "referrals and feedback, action plans, minutes and reporting deadlines."
        ).format(year=report.year)
        story.append(Paragraph(escape(scope), st["cover_text"]))
    story += [Spacer(1, 1.6 * cm), Paragraph(escape(generated), st["cover_generated"])]
    if not report.is_empty():
        story += [
            Spacer(1, 2.2 * cm),
            Paragraph(
                escape(_("Contents")),
                ParagraphStyle("c", parent=st["contents"], alignment=TA_CENTER),
            ),
            _contents(anchors, st),
        ]
    return story


def _story(report: AnnualReport, anchors: dict[int, int]) -> list[Any]:
    st = _pdf_styles()
    story = _cover(report, anchors, st)
    story.append(PageBreak())
    if report.is_empty():
        message = _("There are no records for {year}: no meetings, referrals or action plans.")
        return [
            *story,
            Spacer(1, 6 * cm),
            Paragraph(escape(message.format(year=report.year)), st["empty"]),
        ]
    for number, (title, section) in enumerate(zip(_section_titles(), _SECTIONS, strict=True), 1):
        # A section starts on a new page rather than at the foot of one, and its
        # heading stays with its first block (one flowable, or a list of them:
        # KeepTogether inside KeepTogether always moves to the next page).
        lead, *rest = section(report, st)
        lead = lead if isinstance(lead, list) else [lead]
        story += [
            CondPageBreak(_SECTION_ROOM),
            KeepTogether([*_section_heading(number, title, st), *lead]),
            *rest,
        ]
    return story


def report_pdf(report: AnnualReport) -> bytes:
    """The annual report as an A4 PDF in the current locale: a cover with the contents,
    then 1. meetings, 2. extraordinary meetings, 3. attendance by sector, 4. referrals
    and feedback, 5. action plans, 6. minutes, 7. reporting deadlines, 8. flows and
    protocols; or, for a year
    with nothing recorded, the cover and one page saying so."""
    title = _report_title()
    return _build_pdf(
        lambda anchors: _story(report, anchors),
        title=f"{title} — {report.network_name} — {report.year}",
        author=report.network_name,
        subject=f"{title} — {report.year}",
        running=(title, report.network_name, str(report.year)),
        generated_at=report.generated_at,
        tz=report.timezone,
        marker="_redebot_section",
        bookmark="section",
    )
