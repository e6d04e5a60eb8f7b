"""The calendar of ordinary meetings: drafting and saving a year, moving or cancelling a
meeting, the meetings asked for, the reminders and announcements due, the ICS feed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any, NoReturn
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import UserError
from bot.i18n import N_
from bot.rules import calendar as rules
from bot.rules import dates, privacy
from bot.rules.names import kind_name, name_key
from bot.rules.status import DraftStatus, MeetingStatus
from bot.scheduling import (
    URGENT_REMINDER_MINUTES,
    month_key,
    plan_meeting,
    plan_meetings,
    reminder_superseded,
    said_by_announcement,
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


# --- changing one meeting: which one, then move, cancel or undo a cancellation ----------


class Change(StrEnum):
    """What a command does to the meeting it names."""

    CANCEL = "cancel"
    MOVE = "move"
    UNDO = "undo"


@dataclass(frozen=True)
class Cancelled:
    meeting: Meeting


@dataclass(frozen=True)
class Restored:
    """A cancelled meeting back on, with its reminders still ahead."""

    meeting: Meeting


@dataclass(frozen=True)
class Choose:
    """More than one meeting fits: the coordination picks one with a button (the draft
    ``draft_id`` keeps the rest of the command until then)."""

    change: Change
    draft_id: int
    meetings: list[Meeting]
    reason: str = ""
    starts_at: datetime | None = None  # a move: where to
    place: str = ""


@dataclass(frozen=True)
class NoneAt:
    """No meeting of ``day`` starts at ``at``: the day's meetings, to say which there are."""

    day: date
    at: time
    meetings: list[Meeting]


Changed = Cancelled | Moved | Restored

PICK_KIND = "meeting-pick"
# /cancelar desfazer without a day offers the latest cancellations ahead, at most these.
UNDO_CHOICES = 6
AHEAD = timedelta(days=3 * 366)


def _undo_form(day: date) -> str:
    return f"/cancelar {rules.UNDO_WORD} {dates.format_date(day)}"


def _nothing_on(
    day_meetings: Sequence[Meeting], change: Change, day: date, example: str
) -> NoReturn:
    """Refuse a day with no meeting ``change`` can apply to, saying what the day has."""
    shown = dates.format_date(day, with_year=True)
    if change is Change.UNDO:
        if day_meetings:
            raise UserError(
                N_("The meeting of {day} is not cancelled: there is nothing to undo."),
                example=example,
                day=shown,
            )
        raise UserError(
            N_("There is no cancelled meeting on {day}. See /calendario."),
            example=example,
            day=shown,
        )
    if day_meetings:
        raise UserError(
            N_("The meeting of {day} is already cancelled. To undo the cancellation:"),
            example=_undo_form(day),
            day=shown,
        )
    raise UserError(
        N_("There is no meeting scheduled on {day}. See /calendario."),
        example=example,
        day=shown,
    )


async def _named(
    session: AsyncSession,
    network: Network,
    ref: rules.MeetingRef,
    now: datetime,
    *,
    change: Change,
    example: str,
) -> list[Meeting] | NoneAt:
    """The meetings ahead that ``ref`` names and ``change`` applies to (scheduled ones, or
    cancelled ones to undo): all of the day's without a time, those at that time with one."""
    day_meetings = list(
        await meeting_store.meetings_on(
            session=session,
            network_id=network.id,
            day=ref.day,
            tz=network.timezone,
            include_cancelled=True,
        )
    )
    wanted = MeetingStatus.CANCELLED if change is Change.UNDO else MeetingStatus.SCHEDULED
    fitting = [m for m in day_meetings if m.status == wanted]
    if not fitting:
        _nothing_on(day_meetings, change, ref.day, example)
    timed = rules.at_time(fitting, ref.at, network.timezone)
    if not timed and ref.at is not None:
        return NoneAt(ref.day, ref.at, day_meetings)
    ahead = [m for m in timed if m.starts_at > now]
    if not ahead:
        raise UserError(_PAST[change], example=example)
    return ahead


_PAST = {
    Change.CANCEL: N_("This meeting has already happened."),
    Change.MOVE: N_("This meeting has already happened."),
    Change.UNDO: N_("This meeting's time has passed: its cancellation can no longer be undone."),
}


async def _choose(
    session: AsyncSession,
    network: Network,
    *,
    now: datetime,
    user_id: str,
    change: Change,
    meetings: list[Meeting],
    reason: str = "",
    starts_at: datetime | None = None,
    place: str = "",
) -> Choose:
    """Keep the command as a draft until the coordination picks one of ``meetings`` (each
    with its sequence: a meeting changed in between is not the one that was shown)."""
    draft = await repo.add_draft(
        session=session,
        network_id=network.id,
        user_id=user_id,
        kind=PICK_KIND,
        payload={
            "change": change.value,
            "meetings": [[m.id, m.sequence] for m in meetings],
            "reason": reason,
            "starts_at": starts_at.isoformat() if starts_at else None,
            "place": place,
        },
        now=now,
    )
    return Choose(change, draft.id, meetings, reason, starts_at, place)


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
    user_id: str,
    ref: rules.MeetingRef,
    when_text: str,
    place: str,
) -> Moved | Choose | NoneAt:
    """Move the meeting ``ref`` names to a new time (or day and time) and maybe place;
    when several fit, the coordination chooses."""
    found = await _named(session, network, ref, now, change=Change.MOVE, example=rules.MOVE_EXAMPLE)
    if isinstance(found, NoneAt):
        return found
    # The candidates share their day, so a bare new time means the same for all of them.
    starts_at = rules.new_start(when_text, found[0].starts_at, now=now, tz=network.timezone)
    privacy.screen(place)
    if len(found) > 1:
        return await _choose(
            session,
            network,
            now=now,
            user_id=user_id,
            change=Change.MOVE,
            meetings=found,
            starts_at=starts_at,
            place=place,
        )
    return await _move(session, network, found[0], starts_at, place, now)


async def _move(
    session: AsyncSession,
    network: Network,
    meeting: Meeting,
    starts_at: datetime,
    place: str,
    now: datetime,
) -> Moved:
    place = place or meeting.place
    if starts_at == meeting.starts_at and name_key(place) == name_key(meeting.place):
        raise UserError(
            N_("The {kind} is already on {when} ({place}): there is nothing to change."),
            example=rules.MOVE_EXAMPLE,
            kind=kind_name(meeting.kind),
            when=dates.format_when(meeting.starts_at, network.timezone),
            place=meeting.place,
        )
    if starts_at <= now:
        raise UserError(N_("That time has already passed."), example=rules.MOVE_EXAMPLE)
    moved = Moved(meeting, meeting.starts_at, meeting.place)
    meeting.starts_at = starts_at.astimezone(ZoneInfo("UTC"))
    meeting.place = place
    await _changed(session, network, meeting, now)
    return moved


async def cancel(
    session: AsyncSession,
    network: Network,
    *,
    now: datetime,
    user_id: str,
    ref: rules.MeetingRef,
    reason: str,
) -> Cancelled | Choose | NoneAt:
    """Cancel the meeting ``ref`` names for ``reason`` (its reminders are dropped); when
    several fit, the coordination chooses."""
    privacy.screen(reason)
    found = await _named(
        session, network, ref, now, change=Change.CANCEL, example=rules.CANCEL_EXAMPLE
    )
    if isinstance(found, NoneAt):
        return found
    if len(found) > 1:
        return await _choose(
            session,
            network,
            now=now,
            user_id=user_id,
            change=Change.CANCEL,
            meetings=found,
            reason=reason,
        )
    return await _cancel(session, network, found[0], reason, now)


async def _cancel(
    session: AsyncSession, network: Network, meeting: Meeting, reason: str, now: datetime
) -> Cancelled:
    meeting.status = MeetingStatus.CANCELLED
    meeting.cancel_reason = reason
    await _changed(session, network, meeting, now)
    return Cancelled(meeting)


async def _latest_cancelled(
    session: AsyncSession, network: Network, now: datetime
) -> list[Meeting]:
    """The cancelled meetings still ahead that can come back, the latest cancelled first
    (a closed working group's meetings stay cancelled with it)."""
    ahead = await repo.meetings_between(
        session=session, network_id=network.id, start=now, end=now + AHEAD
    )
    cancelled = [m for m in ahead if m.status == MeetingStatus.CANCELLED and m.starts_at > now]
    groups = {g.id for g in await repo.working_groups(session=session, network_id=network.id)}
    back = [m for m in cancelled if m.working_group_id is None or m.working_group_id in groups]
    return sorted(back, key=lambda m: (m.updated_at, m.id), reverse=True)[:UNDO_CHOICES]


async def undo(
    session: AsyncSession,
    network: Network,
    *,
    now: datetime,
    user_id: str,
    ref: rules.MeetingRef | None,
) -> Restored | Choose | NoneAt:
    """Undo the cancellation of the meeting ``ref`` names (None: the latest cancellation
    ahead); when several fit, the coordination chooses."""
    if ref is None:
        found: list[Meeting] | NoneAt = await _latest_cancelled(session, network, now)
        if not found:
            raise UserError(
                N_("There is no cancelled meeting ahead to bring back."), example="/calendario"
            )
    else:
        found = await _named(
            session, network, ref, now, change=Change.UNDO, example=rules.UNDO_EXAMPLE
        )
    if isinstance(found, NoneAt):
        return found
    if len(found) > 1:
        return await _choose(
            session, network, now=now, user_id=user_id, change=Change.UNDO, meetings=found
        )
    return await _restore(session, network, found[0], now)


async def undo_cancellation(
    session: AsyncSession,
    network: Network,
    *,
    now: datetime,
    meeting_id: int,
    sequence: int,
    is_coordinator: bool,
) -> Restored:
    """The "undo" button of a cancellation: the meeting as it was cancelled comes back."""
    meeting = await repo.meeting(session=session, meeting_id=meeting_id)
    if meeting is None or meeting.network_id != network.id:
        raise UserError(N_("This choice is no longer valid."))
    if not is_coordinator:
        raise UserError(N_("Only the network's coordination can decide this."))
    if meeting.status == MeetingStatus.SCHEDULED:
        raise UserError(N_("This meeting is already back on."))
    if meeting.sequence != sequence:
        raise UserError(
            N_("This meeting was cancelled again since: undo it from the latest message.")
        )
    return await _restore(session, network, meeting, now)


async def _restore(
    session: AsyncSession, network: Network, meeting: Meeting, now: datetime
) -> Restored:
    """Bring ``meeting`` back: it is scheduled again and its reminders, start and quorum
    check still ahead are planned anew (those whose time passed while it was cancelled
    stay unsent: no burst of late reminders)."""
    if meeting.starts_at <= now:
        raise UserError(_PAST[Change.UNDO], example=None)
    if meeting.working_group_id is not None:
        group = await repo.working_group(session=session, group_id=meeting.working_group_id)
        if group is None or not group.active:
            raise UserError(
                N_("The working group {name} was closed: its meetings stay cancelled."),
                name=group.name if group else meeting.topic,
            )
    same_time = await repo.meetings_between(
        session=session,
        network_id=network.id,
        start=meeting.starts_at,
        end=meeting.starts_at + timedelta(minutes=1),
        kinds=[meeting.kind],
        include_cancelled=False,
    )
    if any(m.working_group_id == meeting.working_group_id for m in same_time):
        raise UserError(
            N_("There is already a {kind} on {when}: this one stays cancelled."),
            kind=kind_name(meeting.kind),
            when=dates.format_when(meeting.starts_at, network.timezone),
        )
    meeting.status = MeetingStatus.SCHEDULED
    meeting.cancel_reason = None
    await _changed(session, network, meeting, now)
    return Restored(meeting)


async def pick(
    session: AsyncSession,
    network: Network,
    *,
    now: datetime,
    draft_id: int,
    meeting_id: int,
    is_coordinator: bool,
) -> Changed | None:
    """The coordination picked one of the meetings a command named (0: none of them)."""
    draft = await drafts.undecided(
        session,
        network,
        draft_id,
        kind=PICK_KIND,
        coordinator=is_coordinator,
        decided=N_("This choice was already made."),
    )
    if meeting_id == 0:
        draft.status = DraftStatus.DISCARDED
        return None
    payload = draft.payload
    shown = {int(i): int(seq) for i, seq in payload["meetings"]}
    meeting = await repo.meeting(session=session, meeting_id=meeting_id)
    if meeting_id not in shown or meeting is None or meeting.network_id != network.id:
        raise UserError(N_("This choice is no longer valid."))
    if meeting.sequence != shown[meeting_id]:
        raise UserError(N_("That meeting changed in the meantime: please send the command again."))
    change = Change(payload["change"])
    result: Changed
    if change is Change.UNDO:
        result = await _restore(session, network, meeting, now)
    elif meeting.starts_at <= now:
        raise UserError(_PAST[change])
    elif change is Change.CANCEL:
        result = await _cancel(session, network, meeting, str(payload["reason"]), now)
    else:
        starts_at = datetime.fromisoformat(str(payload["starts_at"]))
        result = await _move(session, network, meeting, starts_at, str(payload["place"]), now)
    draft.status = DraftStatus.SAVED
    return result


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
    if reminder_superseded(meeting.starts_at, offset, offsets, now):
        return None
    if meeting.kind == "ordinary":
        month = month_key(meeting.starts_at, ZoneInfo(network.timezone))
        announcement = await repo.scheduled_by_key(
            session=session, network_id=network.id, key=f"announce:{month}"
        )
        if said_by_announcement(announcement, row.planned_at or row.due_at, now):
            return None
    return meeting


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
