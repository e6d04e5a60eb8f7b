"""Queries and writes of the meetings' features (calendar, convocation) not in repo."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.rules.status import MeetingStatus
from storage import repo
from storage.models import Attendance, Meeting, Member, Network, Sector


async def next_slot(
    *, session: AsyncSession, network_id: int, after: datetime
) -> Sequence[Meeting]:
    """Every scheduled meeting of the whole network (no working group's) at the earliest
    start from ``after``: two meetings at the same hour are both the next one."""
    result = await session.scalars(_NEXT_SLOT, {"network_id": network_id, "after": after})
    return result.all()


def _next_slot() -> Select[Meeting]:
    """Built once (/proxima runs it often); the values are bound parameters."""
    ahead = (
        Meeting.network_id == bindparam("network_id"),
        Meeting.status == MeetingStatus.SCHEDULED,
        Meeting.working_group_id.is_(None),
    )
    first = select(func.min(Meeting.starts_at)).where(
        *ahead, Meeting.starts_at >= bindparam("after")
    )
    return (
        select(Meeting)
        .where(*ahead, Meeting.starts_at == first.scalar_subquery())
        .order_by(Meeting.id)
    )


_NEXT_SLOT = _next_slot()


async def next_of_groups(
    *, session: AsyncSession, network_id: int, group_ids: Sequence[int], after: datetime
) -> Sequence[Meeting]:
    """The next scheduled meeting of each of the working groups ``group_ids``, in order."""
    if not group_ids:
        return []
    ahead = (
        Meeting.network_id == network_id,
        Meeting.status == MeetingStatus.SCHEDULED,
        Meeting.working_group_id.in_(list(group_ids)),
        Meeting.starts_at >= after,
    )
    first = (
        select(Meeting.working_group_id, func.min(Meeting.starts_at).label("first"))
        .where(*ahead)
        .group_by(Meeting.working_group_id)
        .subquery()
    )
    on_first = and_(
        Meeting.working_group_id == first.c.working_group_id, Meeting.starts_at == first.c.first
    )
    result = await session.scalars(
        select(Meeting).join(first, on_first).where(*ahead).order_by(Meeting.starts_at, Meeting.id)
    )
    return result.all()


async def expected_sectors(
    *, session: AsyncSession, network: Network, meeting: Meeting
) -> list[Sector]:
    """Who is expected: a working group's sectors, else every sector with representatives
    and every sector present at it (one whose only representative erased their data, or
    left it since, was there: the meeting's counts keep it)."""
    sectors = await repo.sectors(session=session, network_id=network.id)
    if meeting.working_group_id is not None:
        group = await repo.working_group(session=session, group_id=meeting.working_group_id)
        wanted = set(group.sector_ids) if group else set()
        return [s for s in sectors if s.id in wanted]
    people = await repo.representatives(session=session, network_id=network.id)
    came = await session.scalars(
        select(Attendance.sector_id).where(
            Attendance.meeting_id == meeting.id, Attendance.present.is_(True)
        )
    )
    ids = {m.sector_id for m in people} | set(came.all())
    return [s for s in sectors if s.id in ids]


async def member(*, session: AsyncSession, member_id: int) -> Member | None:
    return await session.get(Member, member_id)


async def sector_by_id(*, session: AsyncSession, sector_id: int) -> Sector | None:
    return await session.get(Sector, sector_id)


async def meetings_on(
    *, session: AsyncSession, network_id: int, day: date, tz: str, include_cancelled: bool = False
) -> Sequence[Meeting]:
    """The scheduled (and maybe cancelled) meetings on a local day of the network, earliest
    first."""
    zone = ZoneInfo(tz)
    start = datetime.combine(day, time(0), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    return await repo.meetings_between(
        session=session,
        network_id=network_id,
        start=start,
        end=end,
        include_cancelled=include_cancelled,
    )


async def delete_meetings(*, session: AsyncSession, meetings: Iterable[Meeting]) -> None:
    """Delete ``meetings``, then flush."""
    for meeting in meetings:
        await session.delete(meeting)
    await session.flush()


async def sector(*, session: AsyncSession, sector_id: int) -> Sector | None:
    return await session.get(Sector, sector_id)


async def sectors_with_email(*, session: AsyncSession, network_id: int) -> list[Sector]:
    """The network's sectors that have an institutional e-mail address, by name."""
    return [s for s in await repo.sectors(session=session, network_id=network_id) if s.email]
