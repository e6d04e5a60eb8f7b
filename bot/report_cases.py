"""The annual report's cases section (issue 15): the PDF section and the XLSX sheet.

Its own module so that other sections can be added to ``bot.reports`` beside it; it uses
that module's table, number and chart helpers (imported when the report is drawn).
"""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape

from openpyxl import Workbook
from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.shapes import Drawing
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.platypus import Paragraph, Spacer

from bot import reports as base
from bot.documents import _CONTENT_WIDTH, _FONT, _INK
from bot.i18n import _, ngettext
from bot.rules.report_data import AnnualReport, CaseFigures


def title() -> str:
    return _("Complex cases")


def _chart(figures: CaseFigures) -> Drawing | None:
    """Bars: reviews on time, late, and overdue now."""
    values = [figures.reviews_on_time, figures.reviews_late, figures.reviews_overdue]
    if not any(values):
        return None
    labels = [_("Reviews on time"), _("Reviews late"), _("Reviews overdue")]
    width, height = _CONTENT_WIDTH * 0.6, 120.0
    drawing = Drawing(width, height + 30)
    chart = VerticalBarChart()
    chart.x, chart.y = 30, 20
    chart.width, chart.height = width - 40, height
    chart.data = [values]
    chart.categoryAxis.categoryNames = labels
    chart.categoryAxis.labels.fontName = _FONT
    chart.categoryAxis.labels.fontSize = 8
    chart.categoryAxis.labels.fillColor = _INK
    chart.valueAxis.valueMin = 0
    top = max(values)
    step = base._nice_step(top)
    chart.valueAxis.valueStep = step
    chart.valueAxis.valueMax = max(step, ((top + step - 1) // step) * step)
    chart.valueAxis.labels.fontName = _FONT
    chart.valueAxis.labels.fontSize = 8
    chart.bars.strokeColor = None
    chart.bars[0].fillColor = base._ACCENT
    chart.barLabelFormat = "%d"
    chart.barLabels.fontName = _FONT
    chart.barLabels.fontSize = 8
    chart.barLabels.nudge = 7
    drawing.add(chart)
    return drawing


def pdf_section(report: AnnualReport, st: dict[str, ParagraphStyle]) -> list[Any]:
    figures = report.cases
    if figures is None or figures.followed == 0:
        return base._none(
            _("No complex cases were followed in {year}.").format(year=report.year), st
        )
    intro = ngettext(
        # The table right below gives the cases opened and closed.
        "In {year}, {followed} complex case was followed.",
        "In {year}, {followed} complex cases were followed.",
        figures.followed,
    ).format(year=report.year, followed=base._integer(figures.followed))
    numbers = [
        [_("Cases opened"), base._integer(figures.opened)],
        [_("Cases closed"), base._integer(figures.closed)],
        [_("Mean time open of the cases closed (days)"), base._days(figures.mean_days_open)],
        [_("Reviews on time"), base._integer(figures.reviews_on_time)],
        [_("Reviews late"), base._integer(figures.reviews_late)],
        [_("Reviews overdue"), base._integer(figures.reviews_overdue)],
    ]
    figures_table = base._table(
        [_("Indicator"), _("Quantity")], numbers, (9.0 * cm, 2.6 * cm), st, numeric=(1,)
    )
    sectors = base._table(
        [_("Reference sector"), _("Opened"), _("Closed")],
        [[n, base._integer(o), base._integer(c)] for n, o, c in figures.by_reference],
        (_CONTENT_WIDTH - 5.2 * cm, 2.6 * cm, 2.6 * cm),
        st,
        numeric=(1, 2),
    )
    risks = base._table(
        [_("Risk"), _("Cases")],
        [[name, base._integer(n)] for name, n in figures.by_risk],
        (5.0 * cm, 2.6 * cm),
        st,
        numeric=(1,),
    )
    note = _("Cases are counted by code only; the spreadsheet lists each one.")
    story: list[Any] = [
        [Paragraph(escape(intro), st["intro"]), figures_table],
        Spacer(1, 0.4 * cm),
        sectors,
        Spacer(1, 0.4 * cm),
        risks,
    ]
    chart = _chart(figures)
    if chart is not None:
        story += [Spacer(1, 0.4 * cm), chart]
    story.append(Paragraph(escape(note), st["note"]))
    return story


def _header() -> list[str]:
    return [
        _("Code"),
        _("Reference sector"),
        _("Sectors involved"),
        _("Risk"),
        _("Opened on"),
        _("Closed on"),
        _("Status"),
        _("Reason for closing"),
        _("Reviews on time"),
        _("Reviews late"),
    ]


def csv_files(report: AnnualReport) -> list[tuple[str, bytes]]:
    """casos.csv for the report's ZIP, one row per case (none without the section)."""
    figures = report.cases
    if figures is None:
        return []
    tz = report.timezone
    rows = [
        [
            r.code,
            r.reference,
            r.sectors,
            r.risk,
            base._csv_when(r.opened_at, tz),
            base._csv_when(r.closed_at, tz),
            r.status,
            r.reason,
            str(r.reviews_on_time),
            str(r.reviews_late),
        ]
        for r in figures.rows
    ]
    return [(_("cases.csv"), base._csv_file(_header(), rows))]


def xlsx_sheet(wb: Workbook, report: AnnualReport) -> None:
    """The sheet of the cases, one row each (codes only)."""
    figures = report.cases
    if figures is None:
        return
    tz = report.timezone
    base._data_sheet(
        wb,
        _("Cases"),
        _header(),
        (
            [
                r.code,
                r.reference,
                r.sectors,
                r.risk,
                base._local_naive(r.opened_at, tz),
                None if r.closed_at is None else base._local_naive(r.closed_at, tz),
                r.status,
                r.reason,
                r.reviews_on_time,
                r.reviews_late,
            ]
            for r in figures.rows
        ),
        (16, 20, 40, 14, 17, 17, 12, 30, 12, 12),
        (None, None, None, None, base._DATETIME_FORMAT, base._DATETIME_FORMAT),
    )
