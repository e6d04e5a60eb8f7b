"""The annual report of intersectoral actions (seed 000 §6), and the month so far."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import gettext as _
from bot.rules.annual_report import annual_report
from bot.rules.report_data import AnnualReport
from bot.services import cases
from storage import report_queries
from storage.models import Network


@dataclass(frozen=True)
class MonthSoFar:
    """The network's current month (1-12, local) and its counts up to now."""

    month: int
    counts: report_queries.MonthCounts


async def collect(
    session: AsyncSession, network: Network, year: int, now: datetime
) -> AnnualReport:
    """The network's year: read (storage.report_queries), then counted (bot.rules.annual_report)."""
    tz = ZoneInfo(network.timezone)
    start, end = datetime(year, 1, 1, tzinfo=tz), datetime(year + 1, 1, 1, tzinfo=tz)
    records = await report_queries.year_records(session, network, year, start, end, now)
    report = annual_report(
        records,
        network_name=network.title or _("Rede de Proteção Social"),
        year=year,
        timezone=network.timezone,
        now=now,
    )
    return dataclasses.replace(report, cases=await cases.year_figures(session, network, year, now))


async def month_so_far(session: AsyncSession, network: Network, now: datetime) -> MonthSoFar:
    """The month so far: meetings, encaminhamentos and devolutivas, atas in progress."""
    tz = ZoneInfo(network.timezone)
    local = now.astimezone(tz)
    start = datetime.combine(local.date().replace(day=1), time(0), tzinfo=tz)
    counts = await report_queries.month_counts(session, network, start, now, local.date())
    return MonthSoFar(local.month, counts)
