"""Queries and writes of the atas (minutes) of the meetings (seed 000 §6)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.rules.status import AtaStatus
from storage.models import Ata, Sector


async def ata(*, session: AsyncSession, ata_id: int) -> Ata | None:
    return await session.get(Ata, ata_id)


async def sector(*, session: AsyncSession, sector_id: int) -> Sector | None:
    return await session.get(Sector, sector_id)


async def add_ata(
    *, session: AsyncSession, network_id: int, meeting_id: int, author: int | None, now: datetime
) -> Ata:
    """The meeting's ata, pending, written by the ``author`` sector (saved at once: its id
    keys its reminders)."""
    row = Ata(
        network_id=network_id,
        meeting_id=meeting_id,
        author_sector_id=author,
        status=AtaStatus.PENDING,
        created_at=now,
    )
    session.add(row)
    await session.flush()
    return row
