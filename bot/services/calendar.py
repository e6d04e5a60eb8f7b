"""Saving a year's calendar the coordination confirmed."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.rules.status import MeetingStatus
from bot.scheduling import plan_meetings
from storage import repo
from storage.models import Meeting, Network


async def save_year(
    session: AsyncSession, network: Network, payload: dict[str, Any], now: datetime
) -> list[Meeting]:
    """The drafted year replaces the future ordinary meetings of that year; its
    reminders and announcements are planned. The new meetings, in order."""
    tz = ZoneInfo(network.timezone)
    year = int(payload["year"])
    for old in await repo.meetings_between(
        session=session,
        network_id=network.id,
        start=max(now, datetime(year, 1, 1, tzinfo=tz)),
        end=datetime(year + 1, 1, 1, tzinfo=tz),
        kinds=["ordinary"],
        include_cancelled=False,
    ):
        await session.delete(old)
    await session.flush()
    meetings = [
        Meeting(
            network_id=network.id,
            kind="ordinary",
            starts_at=datetime.combine(
                date.fromisoformat(item["day"]), time.fromisoformat(item["at"]), tzinfo=tz
            ),
            place=item["place"],
            topic=item["topic"],
            status=MeetingStatus.SCHEDULED,
            sequence=0,
            duration_minutes=120,
            created_at=now,
            updated_at=now,
        )
        for item in payload["meetings"]
    ]
    await repo.add_meetings(session=session, meetings=meetings)
    if payload.get("rule"):
        network.meeting_rule = payload["rule"]
    await plan_meetings(session=session, network=network, meetings=meetings, now=now)
    return meetings
