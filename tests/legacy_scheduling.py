"""Meeting planning as it was before batching: the reference for tests and bench_setup.

``repo.schedule`` row by row and a prefix cancel by LIKE, exactly as ``bot.scheduling``
planned a meeting before ``plan_meetings``; kept so the batched path can be compared with it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.scheduling import (
    QUORUM_CHECK_BEFORE,
    URGENT_REMINDER_MINUTES,
    announcement_due,
    merged_into_announcement,
    month_key,
    reminder_due_times,
)
from storage import repo
from storage.models import Meeting, Network, ScheduledMessage


async def old_cancel_scheduled(
    *, session: AsyncSession, network_id: int, key_prefix: str, keep: Iterable[str] = ()
) -> None:
    query = (
        update(ScheduledMessage)
        .where(
            ScheduledMessage.network_id == network_id,
            ScheduledMessage.key.startswith(key_prefix, autoescape=True),
            ScheduledMessage.status == "pending",
        )
        .values(status="cancelled")
    )
    kept = list(keep)
    if kept:
        query = query.where(ScheduledMessage.key.not_in(kept))
    await session.execute(query)


async def old_plan_meeting(
    *, session: AsyncSession, network: Network, meeting: Meeting, now: datetime
) -> None:
    prefix = f"meeting:{meeting.id}:"
    if meeting.status != "scheduled" or meeting.starts_at <= now:
        await old_cancel_scheduled(session=session, network_id=network.id, key_prefix=prefix)
        return
    keys = []
    offsets = list(network.reminder_offsets)
    if meeting.urgent:
        offsets.append(URGENT_REMINDER_MINUTES)
    for offset, due in reminder_due_times(meeting.starts_at, offsets, now):
        if merged_into_announcement(network, meeting, offset, due, offsets, now):
            continue  # issue 14: the rule of bot.scheduling, so both still compare equal
        key = f"{prefix}remind:{offset}"
        keys.append(key)
        await repo.schedule(
            session=session,
            network_id=network.id,
            key=key,
            kind="meeting_reminder",
            due_at=due,
            meeting_id=meeting.id,
            payload={"offset": offset},
        )
    await old_cancel_scheduled(
        session=session, network_id=network.id, key_prefix=f"{prefix}remind:", keep=keys
    )
    if meeting.kind in ("ordinary", "extraordinary"):
        await repo.schedule(
            session=session,
            network_id=network.id,
            key=f"{prefix}start",
            kind="meeting_start",
            due_at=meeting.starts_at,
            meeting_id=meeting.id,
        )
    quorum_due = meeting.starts_at - QUORUM_CHECK_BEFORE
    if quorum_due > now:
        await repo.schedule(
            session=session,
            network_id=network.id,
            key=f"{prefix}quorum",
            kind="quorum_check",
            due_at=quorum_due,
            meeting_id=meeting.id,
        )
    else:
        await old_cancel_scheduled(
            session=session, network_id=network.id, key_prefix=f"{prefix}quorum"
        )
    if meeting.kind == "ordinary":
        tz = ZoneInfo(network.timezone)
        due = announcement_due(meeting.starts_at, tz)
        if due > now:
            month = month_key(meeting.starts_at, tz)
            await repo.schedule(
                session=session,
                network_id=network.id,
                key=f"announce:{month}",
                kind="monthly_announcement",
                due_at=due,
                payload={"month": month},
            )


async def old_plan_meetings(
    *, session: AsyncSession, network: Network, meetings: Iterable[Meeting], now: datetime
) -> None:
    """What the confirm button did before: plan_meeting for each meeting, one by one."""
    for meeting in meetings:
        await old_plan_meeting(session=session, network=network, meeting=meeting, now=now)
