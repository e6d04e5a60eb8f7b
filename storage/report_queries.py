"""What the annual report reads: one network's year, in a few queries (issue 11 §4).

The tallies are pure functions (``bot.rules.annual_report``); this module only reads.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.rules.status import ATA_IN_PROGRESS, AtaStatus, MeetingStatus, ReferralStatus
from storage import flows as flows_store
from storage import repo
from storage.models import (
    ActionPlan,
    Ata,
    Attendance,
    Devolutiva,
    FlowDocument,
    FlowVersion,
    Meeting,
    Member,
    Network,
    Referral,
    ReportingConfirmation,
    ReportingDeadline,
    Sector,
)


@dataclass(frozen=True)
class YearRecords:
    """Everything the annual report counts, as stored."""

    meetings: list[Meeting]
    sectors: dict[int, Sector]
    members: dict[int, Member]
    # Held meetings whose presence list was taken: who was expected, who came (sector ids).
    expected: dict[int, set[int]]
    present: dict[int, set[int]]
    # The year's encaminhamentos with their devolutivas and sectors: those created in the
    # year, and the tasks of the year's action plans (a task belongs to its plan's year).
    referrals: list[Referral]
    plans: list[tuple[ActionPlan, list[Referral]]]  # the year's plans and their tasks
    atas: list[Ata]  # of the past ordinary and extraordinary meetings
    approved_atas: set[int]  # meetings of the year whose ata was approved
    deadlines: list[ReportingDeadline]
    # (deadline id, period) → sectors that confirmed.
    confirmations: dict[tuple[int, str], set[int]]
    # The flow documents' versions approved in the year, their document and meeting.
    flows: list[tuple[FlowVersion, FlowDocument, Meeting | None]] = field(default_factory=list)


def _past(meeting: Meeting, now: datetime) -> bool:
    """Not cancelled and already started (held, or without record)."""
    return meeting.status == MeetingStatus.SCHEDULED and meeting.starts_at < now


async def year_records(
    session: AsyncSession,
    network: Network,
    year: int,
    start: datetime,
    end: datetime,
    now: datetime,
) -> YearRecords:
    meetings = list(
        await repo.meetings_between(session=session, network_id=network.id, start=start, end=end)
    )
    counted = [m for m in meetings if _past(m, now) and m.presence is not None]
    roles = [m for m in meetings if _past(m, now) and m.kind in ("ordinary", "extraordinary")]
    deadlines = list(await repo.reporting_deadlines(session=session, network_id=network.id))
    plans = [
        plan
        for plan in await repo.action_plans(session=session, network_id=network.id)
        if plan.year == year
    ]
    past = [m.id for m in meetings if _past(m, now)]
    present = await _present(session, counted)
    return YearRecords(
        meetings=meetings,
        sectors={
            s.id: s
            for s in await repo.sectors(
                session=session, network_id=network.id, include_removed=True
            )
        },
        members={
            m.id: m
            for m in await session.scalars(select(Member).where(Member.network_id == network.id))
        },
        expected=await _expected(session, network, counted, present),
        present=present,
        referrals=await _referrals(session, network, start, end, [p.id for p in plans]),
        plans=[
            (plan, list(await repo.plan_referrals(session=session, plan_id=plan.id)))
            for plan in plans
        ],
        atas=list(
            await session.scalars(select(Ata).where(Ata.meeting_id.in_([m.id for m in roles])))
        ),
        approved_atas=set(
            await session.scalars(
                select(Ata.meeting_id).where(
                    Ata.meeting_id.in_(past), Ata.status == AtaStatus.APPROVED
                )
            )
        ),
        deadlines=deadlines,
        confirmations=await _confirmations(session, [d.id for d in deadlines]),
        flows=await flows_store.approved_between(
            session=session, network_id=network.id, start=start, end=end
        ),
    )


async def _expected(
    session: AsyncSession,
    network: Network,
    meetings: list[Meeting],
    present: dict[int, set[int]],
) -> dict[int, set[int]]:
    """A working group's sectors, else every sector with representatives and those present
    (as storage.meetings.expected_sectors)."""
    people = await repo.representatives(session=session, network_id=network.id)
    with_people = {m.sector_id for m in people if m.sector_id is not None}
    expected = {}
    for meeting in meetings:
        if meeting.working_group_id is None:
            expected[meeting.id] = with_people | present.get(meeting.id, set())
            continue
        group = await repo.working_group(session=session, group_id=meeting.working_group_id)
        expected[meeting.id] = set(group.sector_ids) if group else set()
    return expected


async def _present(session: AsyncSession, meetings: list[Meeting]) -> dict[int, set[int]]:
    rows = await session.scalars(
        select(Attendance).where(
            Attendance.meeting_id.in_([m.id for m in meetings]), Attendance.present.is_(True)
        )
    )
    present: dict[int, set[int]] = defaultdict(set)
    for row in rows:
        if row.sector_id is not None:
            present[row.meeting_id].add(row.sector_id)
    return present


async def _referrals(
    session: AsyncSession, network: Network, start: datetime, end: datetime, plan_ids: list[int]
) -> list[Referral]:
    created_in_year = and_(
        Referral.plan_id.is_(None), Referral.created_at >= start, Referral.created_at < end
    )
    result = await session.scalars(
        select(Referral)
        .options(selectinload(Referral.owed).selectinload(Devolutiva.sector))
        .where(
            Referral.network_id == network.id,
            or_(created_in_year, Referral.plan_id.in_(plan_ids)),
        )
        .order_by(Referral.code)
    )
    return list(result.all())


async def _confirmations(
    session: AsyncSession, deadline_ids: list[int]
) -> dict[tuple[int, str], set[int]]:
    rows = await session.execute(
        select(
            ReportingConfirmation.deadline_id,
            ReportingConfirmation.period,
            ReportingConfirmation.sector_id,
        ).where(ReportingConfirmation.deadline_id.in_(deadline_ids))
    )
    confirmed: dict[tuple[int, str], set[int]] = defaultdict(set)
    for deadline_id, period, sector_id in rows:
        confirmed[(deadline_id, period)].add(sector_id)
    return confirmed


@dataclass(frozen=True)
class MonthCounts:
    held: int  # with a presence list or an approved ata (as in the annual report)
    unrecorded: int  # past, not cancelled, with neither
    cancelled: int
    opened: int
    answered: int
    overdue: int
    atas_in_progress: int


async def month_counts(
    session: AsyncSession, network: Network, start: datetime, now: datetime, today: date
) -> MonthCounts:
    """The month so far: meetings, encaminhamentos and devolutivas, atas in progress."""
    meetings = await repo.meetings_between(
        session=session, network_id=network.id, start=start, end=now
    )
    past = [m for m in meetings if _past(m, now)]
    approved = set(
        await session.scalars(
            select(Ata.meeting_id).where(
                Ata.meeting_id.in_([m.id for m in past]), Ata.status == AtaStatus.APPROVED
            )
        )
    )
    held_count = sum(1 for m in past if m.presence is not None or m.id in approved)
    opened = await session.scalar(
        select(func.count())
        .select_from(Referral)
        .where(
            Referral.network_id == network.id,
            Referral.created_at >= start,
            Referral.status != ReferralStatus.DELETED,
        )
    )
    answered = await session.scalar(
        select(func.count())
        .select_from(Devolutiva)
        .join(Referral, Referral.id == Devolutiva.referral_id)
        .where(
            Referral.network_id == network.id,
            Devolutiva.answered_at >= start,
            Referral.status != ReferralStatus.DELETED,
        )
    )
    overdue = sum(
        1
        for referral in await repo.open_referrals(session=session, network_id=network.id)
        for d in referral.owed
        if d.answered_at is None and (d.deadline or referral.deadline) < today
    )
    atas = await repo.atas(
        session=session, network_id=network.id, statuses=[*ATA_IN_PROGRESS, AtaStatus.DELIVERED]
    )
    return MonthCounts(
        held=held_count,
        unrecorded=len(past) - held_count,
        cancelled=sum(1 for m in meetings if m.status == MeetingStatus.CANCELLED),
        opened=int(opened or 0),
        answered=int(answered or 0),
        overdue=overdue,
        atas_in_progress=len(atas),
    )
