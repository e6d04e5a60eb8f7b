"""Queries and writes of the systems' reporting deadlines (seed 001); each takes the
session by keyword, like storage.repo."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ReportingConfirmation, ReportingDeadline


async def deadline(*, session: AsyncSession, deadline_id: int) -> ReportingDeadline | None:
    return await session.get(ReportingDeadline, deadline_id)


async def deadline_by_key(
    *, session: AsyncSession, network_id: int, key: str
) -> ReportingDeadline | None:
    return await session.scalar(
        select(ReportingDeadline).where(
            ReportingDeadline.network_id == network_id, ReportingDeadline.key == key
        )
    )


async def save_deadline(*, session: AsyncSession, deadline: ReportingDeadline) -> None:
    """Add a new deadline (a stored one stays as it is) and flush its changes."""
    session.add(deadline)
    await session.flush()


async def add_confirmation(*, session: AsyncSession, confirmation: ReportingConfirmation) -> None:
    session.add(confirmation)
