"""The annual report of intersectoral actions (seed 000 §6), and the month so far."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from bot import reports
from bot.i18n import N_
from bot.i18n import gettext as _
from bot.messages import OutFile, Reply
from bot.router import Context, Router
from bot.rules import dates
from bot.rules.annual_report import REPORT_EXAMPLE, ReportRequest, parse_request
from bot.services import reports as service

EXAMPLE = REPORT_EXAMPLE
FORMATS: dict[str, tuple[str, Callable[[reports.AnnualReport], bytes]]] = {
    "pdf": ("application/pdf", reports.report_pdf),
    "xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        reports.report_xlsx,
    ),
    "csv": ("application/zip", reports.report_csv),
}


async def report(ctx: Context) -> list[Reply]:
    this_year = ctx.now.astimezone(ctx.tz).year
    wanted = parse_request(ctx.msg.args, this_year=this_year, formats=FORMATS)
    if wanted.month:
        return [Reply(text=await month_summary(ctx))]
    return [await _annual(ctx, wanted)]


async def _annual(ctx: Context, wanted: ReportRequest) -> Reply:
    data = await service.collect(ctx.session, ctx.network, wanted.year, ctx.now)
    mime, render = FORMATS[wanted.fmt]
    text = (
        _("Annual report {year}: no records for this year yet.").format(year=wanted.year)
        if data.is_empty()
        else _("Annual report of intersectoral actions — {year}.").format(year=wanted.year)
    )
    # Rendering is CPU work: it runs after the commit, in a worker thread (OutFile.later).
    file = OutFile.later(reports.report_filename(data, wanted.fmt), mime, partial(render, data))
    return Reply(text=text, file=file)


async def month_summary(ctx: Context) -> str:
    """The month so far, as a short message for the group."""
    month = await service.month_so_far(ctx.session, ctx.network, ctx.now)
    counts = month.counts
    return _(
        "📊 {month} so far\nMeetings held: {held} · without record: {unrecorded} · "
        "cancelled: {cancelled}\n"
        "Encaminhamentos opened: {opened} · devolutivas received: {answered} · "
        "overdue: {overdue}\nAtas in progress: {atas}"
    ).format(
        month=dates.month_name(month.month).capitalize(),
        held=counts.held,
        unrecorded=counts.unrecorded,
        cancelled=counts.cancelled,
        opened=counts.opened,
        answered=counts.answered,
        overdue=counts.overdue,
        atas=counts.atas_in_progress,
    )


def register(router: Router) -> None:
    router.command(
        "relatorio",
        N_("annual report (PDF, XLSX, CSV) or the month so far"),
        EXAMPLE,
        coordinator=True,
    )(report)
