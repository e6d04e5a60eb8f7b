"""The calendar of ordinary meetings: drafting and saving a year, moving or cancelling a
meeting, the meetings asked for, the reminders and announcements due, the ICS feed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import UserError
from bot.i18n import N_
from bot.rules import calendar as rules
from bot.rules import dates, privacy
from bot.rules.status import DraftStatus, MeetingStatus
from bot.scheduling import (
    URGENT_REMINDER_MINUTES,
    plan_meeting,
    plan_meetings,
    reminder_superseded,
)
from bot.services import drafts
from storage import meetings as meeting_store
from storage import repo
from storage.models import Meeting, Network, ScheduledMessage, WorkingGroup

DRAFT_KIND = "calendar"


@dataclass(frozen=True)
class YearDraft:
    """A year's calendar kept as a draft until the coordination saves or discards it."""

    year: int
    draft_id: int
    meetings: list[rules.PlannedMeeting]  # the ones still ahead, to be saved
    skipped: int  # planned meetings already past, left out
    replaced: int  # future ordinary meetings of that year the draft replaces


@dataclass(frozen=True)
class SavedYear:
    year: int
    meetings: list[Meeting]


@dataclass(frozen=True)
class Moved:
    """A meeting moved, and where it was before."""

    meeting: Meeting
    old_starts_at: datetime
    old_place: str


async def _future_ordinary(
    session: AsyncSession, network: Network, year: int, now: datetime
) -> Sequence[Meeting]:
    tz = ZoneInfo(network.timezone)
    return await repo.meetings_between(
        session=session,
        network_id=network.id,
        start=max(now, datetime(year, 1, 1, tzinfo=tz)),
        end=datetime(year + 1, 1, 1, tzinfo=tz),
        kinds=["ordinary"],
        include_cancelled=False,
    )


async def draft_year(
    session: AsyncSession,
    network: Network,
    *,
    user_id: str,
    now: datetime,
    year: int,
    planned: Sequence[rules.PlannedMeeting],
    rule_text: str | None,
) -> YearDraft:
    """Keep the year's meetings still ahead as a draft for the coordination to confirm."""
    future = rules.future_meetings(planned, now=now, tz=network.timezone)
    if not future:
        raise UserError(N_("All the meetings of {year} are already in the past."), year=year)
    existing = await _future_ordinary(session, network, year, now)
    draft = await repo.add_draft(
        session=session,
        network_id=network.id,
        user_id=user_id,
        kind=DRAFT_KIND,
        payload={"year": year, "rule": rule_text, "meetings": rules.planned_payload(future)},
        now=now,
    )
    return YearDraft(year, draft.id, future, len(planned) - len(future), len(existing))


async def decide_year(
    session: AsyncSession,
    network: Network,
    *,
    now: datetime,
    draft_id: int,
    save: bool,
    is_coordinator: bool,
) -> SavedYear | None:
    """The coordination saves (the saved year) or discards (None) a drafted calendar."""
    draft = await drafts.undecided(
        session,
        network,
        draft_id,
        kind=DRAFT_KIND,
        coordinator=is_coordinator,
        decided=N_("This calendar was already decided."),
    )
    if not save:
        draft.status = DraftStatus.DISCARDED
        return None
    draft.status = DraftStatus.SAVED
    meetings = await save_year(session, network, draft.payload, now)
    return SavedYear(int(draft.payload["year"]), meetings)


def _meeting_of(network: Network, item: dict[str, Any], now: datetime) -> Meeting:
    day, at = date.fromisoformat(item["day"]), time.fromisoformat(item["at"])
    return Meeting(
        network_id=network.id,
        kind="ordinary",
        starts_at=datetime.combine(day, at, tzinfo=ZoneInfo(network.timezone)),
        place=item["place"],
        topic=item["topic"],
        status=MeetingStatus.SCHEDULED,
        sequence=0,
        duration_minutes=120,
        created_at=now,
        updated_at=now,
    )


async def save_year(
    session: AsyncSession, network: Network, payload: dict[str, Any], now: datetime
) -> list[Meeting]:
    """The drafted year replaces the future ordinary meetings of that year; its
    reminders and announcements are planned. The new meetings, in order."""
    old = await _future_ordinary(session, network, int(payload["year"]), now)
    await meeting_store.delete_meetings(session=session, meetings=old)
    meetings = [_meeting_of(network, item, now) for item in payload["meetings"]]
    await repo.add_meetings(session=session, meetings=meetings)
    if payload.get("rule"):
        network.meeting_rule = payload["rule"]
    # Looked up when called: bench/bench_setup.py swaps the planner here.
    await plan_meetings(session=session, network=network, meetings=meetings, now=now)
    return meetings


async def _meeting_on(session: AsyncSession, network: Network, day: date, example: str) -> Meeting:
    found = await meeting_store.meetings_on(
        session=session, network_id=network.id, day=day, tz=network.timezone
    )
    if not found:
        raise UserError(
            N_("There is no meeting scheduled on {day}. See /calendario."),
            example=example,
            day=dates.format_date(day, with_year=True),
        )
    return found[0]


async def _changed(
    session: AsyncSession, network: Network, meeting: Meeting, now: datetime
) -> None:
    meeting.sequence += 1
    meeting.updated_at = now
    await plan_meeting(session=session, network=network, meeting=meeting, now=now)


async def move(
    session: AsyncSession,
    network: Network,
    *,
    now: datetime,
    day: date,
    when_text: str,
    place: str,
) -> Moved:
    """Move the meeting of ``day`` to a new time (or day and time) and maybe place."""
    meeting = await _meeting_on(session, network, day, rules.MOVE_EXAMPLE)
    if meeting.starts_at <= now:
        raise UserError(N_("This meeting has already happened."), example=rules.MOVE_EXAMPLE)
    starts_at = rules.new_start(when_text, meeting.starts_at, now=now, tz=network.timezone)
    place = place or meeting.place
    privacy.screen(place)
    moved = Moved(meeting, meeting.starts_at, meeting.place)
    meeting.starts_at = starts_at.astimezone(ZoneInfo("UTC"))
    meeting.place = place
    await _changed(session, network, meeting, now)
    return moved


async def cancel(
    session: AsyncSession, network: Network, *, now: datetime, day: date, reason: str
) -> Meeting:
    """Cancel the meeting of ``day`` for ``reason``; its reminders are dropped."""
    meeting = await _meeting_on(session, network, day, rules.CANCEL_EXAMPLE)
    privacy.screen(reason)
    meeting.status = MeetingStatus.CANCELLED
    meeting.cancel_reason = reason
    await _changed(session, network, meeting, now)
    return meeting


@dataclass(frozen=True)
class Upcoming:
    """What /proxima shows: the network's next slot (every meeting at that hour) and the
    next meeting of each working group the member's sector takes part in."""

    meetings: Sequence[Meeting]
    groups: Sequence[tuple[WorkingGroup, Meeting]]


async def upcoming(
    session: AsyncSession, network: Network, *, sector_id: int | None, now: datetime
) -> Upcoming:
    meetings = await meeting_store.next_slot(session=session, network_id=network.id, after=now)
    groups = {
        g.id: g
        for g in await repo.working_groups(session=session, network_id=network.id)
        if sector_id is not None and sector_id in g.sector_ids
    }
    ahead = await meeting_store.next_of_groups(
        session=session, network_id=network.id, group_ids=list(groups), after=now
    )
    return Upcoming(
        meetings, [(groups[m.working_group_id], m) for m in ahead if m.working_group_id]
    )


async def year_meetings(session: AsyncSession, network: Network, year: int) -> Sequence[Meeting]:
    """Every meeting of ``year`` (cancelled ones too), in order."""
    tz = ZoneInfo(network.timezone)
    return await repo.meetings_between(
        session=session,
        network_id=network.id,
        start=datetime(year, 1, 1, tzinfo=tz),
        end=datetime(year + 1, 1, 1, tzinfo=tz),
    )


async def network_ics(session: AsyncSession, network: Network, now: datetime) -> bytes:
    """The network's calendar as ICS: a year back and everything ahead."""
    meetings = await repo.meetings_between(
        session=session,
        network_id=network.id,
        start=now - timedelta(days=366),
        end=now + timedelta(days=3 * 366),
    )
    events = [
        rules.meeting_event(
            uid=f"meeting-{m.id}-{network.id}@redebot",
            kind=m.kind,
            start=m.starts_at,
            minutes=m.duration_minutes,
            place=m.place,
            topic=m.topic,
            cancelled=m.status == MeetingStatus.CANCELLED,
            sequence=m.sequence,
        )
        for m in meetings
    ]
    return rules.build_ics(
        rules.calendar_name(network.title), events, tz=network.timezone, stamp=now
    )


async def reminder_due(
    session: AsyncSession, network: Network, row: ScheduledMessage, now: datetime
) -> Meeting | None:
    """The meeting a reminder row is about, unless it is off, past or a closer one is due."""
    if row.meeting_id is None:
        return None
    meeting = await repo.meeting(session=session, meeting_id=row.meeting_id)
    if meeting is None or meeting.status != MeetingStatus.SCHEDULED or meeting.starts_at <= now:
        return None
    offsets = [
        *network.reminder_offsets,
        *([URGENT_REMINDER_MINUTES] if meeting.urgent else []),
    ]
    offset = int(row.payload.get("offset", 0))
    return None if reminder_superseded(meeting.starts_at, offset, offsets, now) else meeting


async def month_meetings(
    session: AsyncSession, network: Network, month: str, now: datetime
) -> list[Meeting]:
    """The ordinary meetings still ahead in ``month`` ("2026-03"), for its announcement."""
    start, end = rules.month_bounds(month, network.timezone)
    found = await repo.meetings_between(
        session=session,
        network_id=network.id,
        start=start,
        end=end,
        include_cancelled=False,
    )
    return [m for m in found if m.starts_at > now and m.kind == "ordinary"]
