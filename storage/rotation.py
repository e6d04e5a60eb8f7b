"""Queries and writes of the roles' rotation: who is expected, who holds a role (seed 000 §5)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.rules.status import RoleStatus
from storage import repo
from storage.models import Meeting, RoleAssignment, ScheduledMessage


async def assignment(*, session: AsyncSession, assignment_id: int) -> RoleAssignment | None:
    return await session.get(RoleAssignment, assignment_id)


async def live_assignments(*, session: AsyncSession, meeting_id: int) -> dict[str, RoleAssignment]:
    """The live assignment of each role (the newest one not declined or overridden)."""
    current: dict[str, RoleAssignment] = {}
    for row in await repo.assignments(session=session, meeting_id=meeting_id):
        if row.status in (RoleStatus.PROPOSED, RoleStatus.ACCEPTED):
            current[row.role] = row
    return current


async def declined_sectors(*, session: AsyncSession, meeting_id: int, role: str) -> set[int]:
    """The sectors that said "não posso" to ``role`` at this meeting."""
    rows = await repo.assignments(session=session, meeting_id=meeting_id, role=role)
    return {r.sector_id for r in rows if r.status == RoleStatus.DECLINED}


async def add_assignment(
    *,
    session: AsyncSession,
    network_id: int,
    meeting_id: int,
    role: str,
    sector_id: int,
    status: RoleStatus,
    now: datetime,
) -> None:
    session.add(
        RoleAssignment(
            network_id=network_id,
            meeting_id=meeting_id,
            role=role,
            sector_id=sector_id,
            status=status,
            assigned_at=now,
        )
    )


async def latest_meeting_with_roles(
    *,
    session: AsyncSession,
    network_id: int,
    kinds: Sequence[str],
    start: datetime,
    end: datetime,
    now: datetime,
) -> Meeting | None:
    """The latest meeting of ``kinds`` between ``start`` and ``end`` (not cancelled) that
    has roles, or has started (its roles may not be named yet, or nobody could take them)."""
    found = await repo.meetings_between(
        session=session,
        network_id=network_id,
        start=start,
        end=end,
        kinds=kinds,
        include_cancelled=False,
    )
    for meeting in reversed(found):
        if meeting.starts_at <= now or await repo.assignments(
            session=session, meeting_id=meeting.id
        ):
            return meeting
    return None


async def flush(*, session: AsyncSession) -> None:
    await session.flush()


async def roles_row(*, session: AsyncSession, network_id: int, key: str) -> ScheduledMessage | None:
    """The outbox row that names a meeting's roles (any status), if there is one."""
    return await session.scalar(
        select(ScheduledMessage).where(
            ScheduledMessage.network_id == network_id, ScheduledMessage.key == key
        )
    )
