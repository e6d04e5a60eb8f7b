"""Attendance reads: who is expected at a meeting, and a member by id."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from storage import repo
from storage.models import Meeting, Member, Sector


async def expected_sectors(
    *, session: AsyncSession, network_id: int, meeting: Meeting
) -> Sequence[Sector]:
    """Who is expected: a working group's sectors, else every sector with representatives
    (the same rule as handlers.common.expected_sectors)."""
    sectors = await repo.sectors(session=session, network_id=network_id)
    if meeting.working_group_id is not None:
        group = await repo.working_group(session=session, group_id=meeting.working_group_id)
        wanted = set(group.sector_ids) if group else set()
        return [s for s in sectors if s.id in wanted]
    people = await repo.representatives(session=session, network_id=network_id)
    with_people = {m.sector_id for m in people}
    return [s for s in sectors if s.id in with_people]


async def member_by_id(*, session: AsyncSession, member_id: int) -> Member | None:
    return await session.get(Member, member_id)
