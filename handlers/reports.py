"""The annual report of intersectoral actions (seed 000 §6), and the month so far."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time
from functools import partial
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot import reports
from bot.errors import UserError
from bot.i18n import N_
from bot.i18n import gettext as _
from bot.messages import OutFile, Reply
from bot.router import Context, Router
from bot.rules import dates
from bot.rules.annual_report import annual_report
from storage import report_queries
from storage.models import Network

EXAMPLE = "/relatorio 2026 pdf  ·  /relatorio 2026 xlsx  ·  /relatorio mes"
FORMATS: dict[str, tuple[str, Callable[[reports.AnnualReport], bytes]]] = {
    "pdf": ("application/pdf", reports.report_pdf),
    "xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        reports.report_xlsx,
    ),
    "csv": ("application/zip", reports.report_csv),
}


def _year_bounds(year: int, tz: ZoneInfo) -> tuple[datetime, datetime]:
    return datetime(year, 1, 1, tzinfo=tz), datetime(year + 1, 1, 1, tzinfo=tz)


async def collect(
    session: AsyncSession, network: Network, year: int, now: datetime
) -> reports.AnnualReport:
    """The network's year: read (storage.report_queries), then counted (bot.rules.annual_report)."""
    start, end = _year_bounds(year, ZoneInfo(network.timezone))
    records = await report_queries.year_records(session, network, year, start, end, now)
    return annual_report(
        records,
        network_name=network.title or _("Rede de Proteção Social"),
        year=year,
        timezone=network.timezone,
        now=now,
    )


async def report(ctx: Context) -> list[Reply]:
    words = ctx.msg.args.lower().split()
    if words and words[0] in {"mes", "mês"}:
        return [Reply(text=await month_summary(ctx.session, ctx.network, ctx.now))]
    year = ctx.now.astimezone(ctx.tz).year
    fmt = "pdf"
    for word in words:
        if word.isdigit() and len(word) == 4:
            year = int(word)
        elif word in FORMATS:
            fmt = word
        else:
            raise UserError(N_("I did not understand {word!r}."), example=EXAMPLE, word=word)
    data = await collect(ctx.session, ctx.network, year, ctx.now)
    mime, render = FORMATS[fmt]
    text = (
        _("Annual report {year}: no records for this year yet.").format(year=year)
        if data.is_empty()
        else _("Annual report of intersectoral actions — {year}.").format(year=year)
    )
    # Rendering is CPU work: it runs after the commit, in a worker thread (OutFile.later).
    file = OutFile.later(reports.report_filename(data, fmt), mime, partial(render, data))
    return [Reply(text=text, file=file)]


async def month_summary(session: AsyncSession, network: Network, now: datetime) -> str:
    """The month so far, as a short message for the group."""
    tz = ZoneInfo(network.timezone)
    local = now.astimezone(tz)
    start = datetime.combine(local.date().replace(day=1), time(0), tzinfo=tz)
    month = await report_queries.month_counts(session, network, start, now, local.date())
    return _(
        "📊 {month} so far\nMeetings held: {held} · cancelled: {cancelled}\n"
        "Encaminhamentos opened: {opened} · devolutivas received: {answered} · "
        "overdue: {overdue}\nAtas in progress: {atas}"
    ).format(
        month=dates.month_name(local.month).capitalize(),
        held=month.held,
        cancelled=month.cancelled,
        opened=month.opened,
        answered=month.answered,
        overdue=month.overdue,
        atas=month.atas_in_progress,
    )


def register(router: Router) -> None:
    router.command(
        "relatorio",
        N_("annual report (PDF, XLSX, CSV) or the month so far"),
        EXAMPLE,
        coordinator=True,
    )(report)
