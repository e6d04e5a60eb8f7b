"""The annual report of intersectoral actions (seed 000 §6), and the month so far."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot import dates, reports
from bot.convocation import BASIS_NAMES, Basis
from bot.errors import UserError
from bot.i18n import N_
from bot.i18n import gettext as _
from bot.messages import OutFile, Reply
from bot.router import Context, Router
from handlers.common import expected_sectors, first_upper, kind_name
from handlers.reporting import occurrences_after, period_of
from storage import repo
from storage.models import (
    Ata,
    Attendance,
    Devolutiva,
    Meeting,
    Member,
    Network,
    Referral,
)

EXAMPLE = "/relatorio 2026 pdf  ·  /relatorio 2026 xlsx  ·  /relatorio mes"
KINDS = ("ordinary", "extraordinary", "working_group")
FORMATS: dict[str, tuple[str, Callable[[reports.AnnualReport], bytes]]] = {
    "pdf": ("application/pdf", reports.report_pdf),
    "xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        reports.report_xlsx,
    ),
    "csv": ("application/zip", reports.report_csv),
}


@dataclass
class _Tally:
    """Devolutivas of one sector in the year."""

    owed: int = 0
    on_time: int = 0
    late: int = 0
    open: int = 0
    days: list[float] = field(default_factory=list)


def _year_bounds(year: int, tz: ZoneInfo) -> tuple[datetime, datetime]:
    return datetime(year, 1, 1, tzinfo=tz), datetime(year + 1, 1, 1, tzinfo=tz)


async def collect(
    session: AsyncSession, network: Network, year: int, now: datetime
) -> reports.AnnualReport:
    """Read the network's year from the database into the report's plain data."""
    tz = ZoneInfo(network.timezone)
    start, end = _year_bounds(year, tz)
    meetings = list(
        await repo.meetings_between(session=session, network_id=network.id, start=start, end=end)
    )
    sectors = {s.id: s for s in await repo.sectors(session=session, network_id=network.id)}
    held = [m for m in meetings if m.status == "scheduled" and m.starts_at < now]

    kinds = [
        reports.KindCount(
            kind=first_upper(kind_name(kind)),
            planned=sum(1 for m in meetings if m.kind == kind),
            held=sum(1 for m in held if m.kind == kind),
            cancelled=sum(1 for m in meetings if m.kind == kind and m.status == "cancelled"),
        )
        for kind in KINDS
    ]

    members = {
        m.id: m
        for m in (
            await session.scalars(select(Member).where(Member.network_id == network.id))
        ).all()
    }
    extraordinary = []
    for m in meetings:
        if m.kind != "extraordinary":
            continue
        who = members.get(m.convened_by_id or 0)
        sector = sectors.get(m.convened_by_sector_id or 0)
        convened_by = " — ".join(
            x for x in (sector.name if sector else "", who.name if who else "") if x
        )
        extraordinary.append(
            reports.ExtraordinaryRow(
                starts_at=m.starts_at,
                place=m.place,
                agenda=m.topic,
                convened_by=convened_by or "—",
                basis=_(BASIS_NAMES[Basis(m.basis)]) if m.basis else "—",
                justification=m.justification or "",
                cancelled=m.status == "cancelled",
            )
        )

    # Attendance: meetings whose presence list was taken.
    counted = [m for m in held if m.presence is not None]
    rows = (
        await session.scalars(
            select(Attendance).where(
                Attendance.meeting_id.in_([m.id for m in counted]), Attendance.present.is_(True)
            )
        )
    ).all()
    present_by_meeting: dict[int, set[int]] = defaultdict(set)
    for row in rows:
        if row.sector_id is not None:
            present_by_meeting[row.meeting_id].add(row.sector_id)
    expected_count: dict[int, int] = defaultdict(int)
    present_count: dict[int, int] = defaultdict(int)
    meeting_rows = []
    for m in meetings:
        expected = (
            {s.id for s in await expected_sectors(session, network, m)} if m in counted else set()
        )
        present = present_by_meeting.get(m.id, set()) & expected
        for sector_id in expected:
            expected_count[sector_id] += 1
            present_count[sector_id] += sector_id in present
        meeting_rows.append(
            reports.MeetingRow(
                starts_at=m.starts_at,
                kind=first_upper(kind_name(m.kind)),
                place=m.place,
                topic=m.topic,
                status=_meeting_status(m, now),
                sectors_present=len(present),
                sectors_expected=len(expected),
            )
        )
    attendance = sorted(
        (
            reports.SectorAttendance(
                sector=sectors[s].name, expected=expected_count[s], present=present_count[s]
            )
            for s in expected_count
            if s in sectors
        ),
        key=lambda a: a.sector,
    )

    referrals = (
        await session.scalars(
            select(Referral)
            .options(selectinload(Referral.owed).selectinload(Devolutiva.sector))
            .where(
                Referral.network_id == network.id,
                Referral.created_at >= start,
                Referral.created_at < end,
            )
            .order_by(Referral.code)
        )
    ).all()
    today = now.astimezone(tz).date()
    tallies: dict[str, _Tally] = defaultdict(_Tally)
    referral_rows = []
    for referral in referrals:
        for owed in referral.owed:
            due = owed.deadline or referral.deadline
            tally = tallies[owed.sector.name]
            tally.owed += 1
            if owed.answered_at is None:
                tally.open += 1
                status = _("open, overdue") if due < today else _("open")
            else:
                tally.days.append((owed.answered_at - referral.created_at).total_seconds() / 86400)
                if owed.answered_at.astimezone(tz).date() <= due:
                    tally.on_time += 1
                    status = _("on time")
                else:
                    tally.late += 1
                    status = _("late")
            referral_rows.append(
                reports.ReferralRow(
                    code=referral.code,
                    created_at=referral.created_at,
                    description=referral.description,
                    sector=owed.sector.name,
                    deadline=due,
                    answered_at=owed.answered_at,
                    status=status,
                )
            )
    devolutivas = [
        reports.SectorDevolutivas(
            sector=name,
            owed=t.owed,
            on_time=t.on_time,
            late=t.late,
            open=t.open,
            mean_days=statistics.fmean(t.days) if t.days else None,
            median_days=statistics.median(t.days) if t.days else None,
        )
        for name, t in sorted(tallies.items())
    ]

    plans = []
    for plan in await repo.action_plans(session=session, network_id=network.id):
        if plan.year != year:
            continue
        tasks = await repo.plan_referrals(session=session, plan_id=plan.id)
        plans.append(
            reports.PlanProgress(
                name=plan.name,
                total=len(tasks),
                done=sum(1 for t in tasks if t.status == "concluded"),
                overdue=sum(1 for t in tasks if t.status != "concluded" and t.deadline < today),
            )
        )

    with_roles = [m for m in held if m.kind in ("ordinary", "extraordinary")]
    atas = (
        await session.scalars(select(Ata).where(Ata.meeting_id.in_([m.id for m in with_roles])))
    ).all()

    deadlines = []
    for item in await repo.reporting_deadlines(session=session, network_id=network.id):
        periods_owed = periods_met = 0
        day = date(year, 1, 1)
        last = min(today, date(year, 12, 31))
        while day <= last:
            due = occurrences_after(item, day)
            if due > last:
                break
            period = period_of(item, due)
            done = await repo.confirmations(session=session, deadline_id=item.id, period=period)
            periods_owed += len(item.sector_ids)
            periods_met += len(done & set(item.sector_ids))
            day = due + timedelta(days=1)
        deadlines.append(
            reports.DeadlineCompliance(name=item.name, expected=periods_owed, confirmed=periods_met)
        )

    return reports.AnnualReport(
        network_name=network.title or _("Rede de Proteção Social"),
        year=year,
        timezone=network.timezone,
        generated_at=now,
        kinds=kinds,
        extraordinary=extraordinary,
        attendance=attendance,
        referrals_opened=len(referrals),
        answered_on_time=sum(t.on_time for t in tallies.values()),
        answered_late=sum(t.late for t in tallies.values()),
        still_open=sum(t.open for t in tallies.values()),
        devolutivas=devolutivas,
        plans=plans,
        atas_meetings=len(with_roles),
        atas_delivered=sum(1 for a in atas if a.status in ("delivered", "approved")),
        atas_approved=sum(1 for a in atas if a.status == "approved"),
        deadlines=deadlines,
        meetings=meeting_rows,
        referrals=referral_rows,
    )


def _meeting_status(meeting: Meeting, now: datetime) -> str:
    if meeting.status == "cancelled":
        return _("cancelled")
    return _("held") if meeting.starts_at < now else _("scheduled")


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
    meetings = await repo.meetings_between(
        session=session, network_id=network.id, start=start, end=now
    )
    held = [m for m in meetings if m.status == "scheduled"]
    opened = (
        await session.scalars(
            select(Referral)
            .options(selectinload(Referral.owed))
            .where(Referral.network_id == network.id, Referral.created_at >= start)
        )
    ).all()
    answered = (
        await session.scalars(
            select(Devolutiva)
            .join(Referral, Referral.id == Devolutiva.referral_id)
            .where(Referral.network_id == network.id, Devolutiva.answered_at >= start)
        )
    ).all()
    today = local.date()
    overdue = 0
    for referral in await repo.open_referrals(session=session, network_id=network.id):
        overdue += sum(
            1
            for d in referral.owed
            if d.answered_at is None and (d.deadline or referral.deadline) < today
        )
    pending_atas = await repo.atas(
        session=session, network_id=network.id, statuses=["pending", "returned", "delivered"]
    )
    return _(
        "📊 {month} so far\nMeetings held: {held} · cancelled: {cancelled}\n"
        "Encaminhamentos opened: {opened} · devolutivas received: {answered} · "
        "overdue: {overdue}\nAtas in progress: {atas}"
    ).format(
        month=dates.month_name(local.month).capitalize(),
        held=len(held),
        cancelled=len(meetings) - len(held),
        opened=len(opened),
        answered=len(answered),
        overdue=overdue,
        atas=len(pending_atas),
    )


def register(router: Router) -> None:
    router.command(
        "relatorio",
        N_("annual report (PDF, XLSX, CSV) or the month so far"),
        EXAMPLE,
        coordinator=True,
    )(report)
