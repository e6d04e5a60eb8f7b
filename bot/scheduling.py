"""Which rows of future work a meeting needs (reminders, the month's announcement)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from storage import repo
from storage.models import Meeting, Network

# PRODUCT.md §1: the bot announces the month's meeting at the start of the month.
ANNOUNCEMENT_TIME = time(8, 0)
# Issue 3: two days before, the coordination is warned if quorum is not confirmed.
QUORUM_CHECK_BEFORE = timedelta(days=2)
# Issue 3: an urgent meeting gets an extra reminder 30 minutes before.
URGENT_REMINDER_MINUTES = 30


def reminder_due_times(
    starts_at: datetime, offsets_minutes: list[int], now: datetime
) -> list[tuple[int, datetime]]:
    """Issue 2 §5: (offset, due instant) for each reminder still in the future."""
    due = [(offset, starts_at - timedelta(minutes=offset)) for offset in offsets_minutes]
    return sorted(((o, d) for o, d in due if d > now), key=lambda item: item[1])


def reminder_superseded(
    starts_at: datetime, offset_minutes: int, offsets_minutes: list[int], now: datetime
) -> bool:
    """A late reminder is dropped when a closer one is also due (no burst after downtime)."""
    return any(
        other < offset_minutes and starts_at - timedelta(minutes=other) <= now
        for other in offsets_minutes
    )


def announcement_due(starts_at: datetime, tz: ZoneInfo) -> datetime:
    """The first day of the meeting's month, at 08:00 in the network's zone."""
    local = starts_at.astimezone(tz)
    first = datetime.combine(local.date().replace(day=1), ANNOUNCEMENT_TIME, tzinfo=tz)
    return first.astimezone(starts_at.tzinfo)


def month_key(starts_at: datetime, tz: ZoneInfo) -> str:
    return starts_at.astimezone(tz).strftime("%Y-%m")


async def plan_meeting(
    *, session: AsyncSession, network: Network, meeting: Meeting, now: datetime
) -> None:
    """(Re)write the reminder rows of ``meeting``; a cancelled one keeps none."""
    prefix = f"meeting:{meeting.id}:"
    if meeting.status != "scheduled" or meeting.starts_at <= now:
        await repo.cancel_scheduled(session=session, network_id=network.id, key_prefix=prefix)
        return
    keys = []
    offsets = list(network.reminder_offsets)
    if meeting.urgent:
        offsets.append(URGENT_REMINDER_MINUTES)
    for offset, due in reminder_due_times(meeting.starts_at, offsets, now):
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
    await repo.cancel_scheduled(
        session=session, network_id=network.id, key_prefix=f"{prefix}remind:", keep=keys
    )
    if meeting.kind in ("ordinary", "extraordinary"):
        # Issue 4: the roles are named at the start (unless /presenca did it before).
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
        await repo.cancel_scheduled(
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
