"""Queries and writes of encaminhamentos that repo.py does not hold: extension requests."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.rules.status import ExtensionStatus
from storage.models import Extension


async def add_extension(
    *,
    session: AsyncSession,
    referral_id: int,
    sector_id: int,
    requested_by_id: int,
    new_deadline: date,
    reason: str,
    now: datetime,
) -> Extension:
    """An open request for more time, with its id (the coordination's buttons carry it)."""
    request = Extension(
        referral_id=referral_id,
        sector_id=sector_id,
        requested_by_id=requested_by_id,
        new_deadline=new_deadline,
        reason=reason,
        status=ExtensionStatus.OPEN,
        created_at=now,
    )
    session.add(request)
    await session.flush()
    return request


async def extension(*, session: AsyncSession, extension_id: int) -> Extension | None:
    return await session.get(Extension, extension_id)
