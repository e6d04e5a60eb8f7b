"""Writes of the working groups; each takes the session by keyword, like storage.repo."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import WorkingGroup


async def add_working_group(*, session: AsyncSession, group: WorkingGroup) -> WorkingGroup:
    session.add(group)
    await session.flush()
    return group
