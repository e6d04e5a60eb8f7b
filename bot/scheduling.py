"""Which rows of future work a meeting needs (reminders, the month's announcement)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.rules.kinds import Kind
from bot.rules.rotation import ROLES_AFTER_LIST
from bot.rules.status import MeetingStatus, OutboxStatus
from storage import repo
from storage.models import Meeting, Network, ScheduledMessage

# PRODUCT.md §1: the bot announces the month's meeting at the start of the month.
ANNOUNCEMENT_TIME = time(8, 0)
# Issue 3: two days before, the coordination is warned if quorum is not confirmed.
QUORUM_CHECK_BEFORE = timedelta(days=2)
# Issue 9 §7: a quorum check come late (the bot was down: run over LATE_AFTER after its
# row was due), less than this before the meeting, is not sent: too late to move the
# meeting, and the reminder that goes then names who has not answered. (Quiet hours move
# the row's due_at: a check they push to the meeting's morning is on time, and goes.)
QUORUM_TOO_LATE = timedelta(hours=6)
LATE_AFTER = timedelta(hours=1)
# Issue 3: an urgent meeting gets an extra reminder 30 minutes before.
URGENT_REMINDER_MINUTES = 30
# Issue 14: the month's announcement is an ordinary meeting's first reminder when it comes
# at most this long before that reminder (one message instead of two in a few days).
ANNOUNCEMENT_MERGES_WITHIN = timedelta(days=7)


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


def merged_into_announcement(
    network: Network,
    meeting: Meeting,
    offset: int,
    due: datetime,
    offsets: list[int],
    now: datetime,
) -> bool:
    """Is this the ordinary meeting's first reminder, with the month's announcement (which
    carries the same RSVP buttons) still to come at most ANNOUNCEMENT_MERGES_WITHIN before
    it? Then the announcement says it and the reminder row is not written."""
    if meeting.kind != "ordinary" or offset != max(offsets) or offset < 24 * 60:
        return False
    announced = announcement_due(meeting.starts_at, ZoneInfo(network.timezone))
    return announced > now and due - ANNOUNCEMENT_MERGES_WITHIN <= announced <= due


def said_by_announcement(
    announcement: ScheduledMessage | None, reminder_due: datetime, now: datetime
) -> bool:
    """After a gap, the month's announcement and an ordinary meeting's reminder fall due
    together: the announcement (RSVP buttons, pauta) says it once, the reminder is not
    sent as well (issue 9 §7: one message per meeting). Together means the announcement
    is still to go now, or went out only once the reminder was already due; on time, it
    went out days before the reminder, and the reminder goes."""
    if announcement is None:
        return False
    if announcement.status == OutboxStatus.PENDING:
        return announcement.due_at <= now
    return (
        announcement.status == OutboxStatus.SENT
        and announcement.sent_at is not None
        and announcement.sent_at >= reminder_due
    )


def month_key(starts_at: datetime, tz: ZoneInfo) -> str:
    return starts_at.astimezone(tz).strftime("%Y-%m")


def meeting_rows(
    network: Network, meeting: Meeting, now: datetime
) -> tuple[list[repo.ScheduledRow], list[repo.PrefixCancel]]:
    """The rows of future work ``meeting`` needs, and the prefixes of those it no longer does.

    Writing the rows, then cancelling the prefixes (each keeps the rows just written
    under it) leaves the outbox as scheduling and cancelling them one by one would.
    """
    prefix = f"meeting:{meeting.id}:"
    if meeting.status != MeetingStatus.SCHEDULED or meeting.starts_at <= now:
        return [], [repo.PrefixCancel(network_id=network.id, key_prefix=prefix)]
    rows: list[repo.ScheduledRow] = []
    cancels: list[repo.PrefixCancel] = []
    offsets = list(network.reminder_offsets)
    if meeting.urgent:
        offsets.append(URGENT_REMINDER_MINUTES)
    for offset, due in reminder_due_times(meeting.starts_at, offsets, now):
        if merged_into_announcement(network, meeting, offset, due, offsets, now):
            continue
        rows.append(
            repo.ScheduledRow(
                network_id=network.id,
                key=f"{prefix}remind:{offset}",
                kind=Kind.MEETING_REMINDER,
                due_at=due,
                meeting_id=meeting.id,
                payload={"offset": offset},
            )
        )
    cancels.append(
        repo.PrefixCancel(
            network_id=network.id,
            key_prefix=f"{prefix}remind:",
            keep=tuple(row.key for row in rows),
        )
    )
    if meeting.kind in ("ordinary", "extraordinary"):
        # Issue 4: the roles are named at the start (unless /presenca did it before).
        rows.append(
            repo.ScheduledRow(
                network_id=network.id,
                key=f"{prefix}start",
                kind=Kind.MEETING_START,
                due_at=meeting.starts_at,
                meeting_id=meeting.id,
            )
        )
        # Before the start, the only roles row there can be is the presence list's, due
        # exactly ROLES_AFTER_LIST after the start (bot.rules.rotation.roles_due). One due
        # at any other time was planned for another start (the list opened, then /remarcar
        # moved the meeting, even by a few minutes): it goes, and the new start plans the
        # roles again (bot.services.rotation.at_start).
        cancels.append(
            repo.PrefixCancel(
                network_id=network.id,
                key_prefix=f"{prefix}roles",
                unless_due_at=meeting.starts_at + ROLES_AFTER_LIST,
            )
        )
    quorum_due = meeting.starts_at - QUORUM_CHECK_BEFORE
    if quorum_due > now:
        rows.append(
            repo.ScheduledRow(
                network_id=network.id,
                key=f"{prefix}quorum",
                kind=Kind.QUORUM_CHECK,
                due_at=quorum_due,
                meeting_id=meeting.id,
            )
        )
    else:
        cancels.append(repo.PrefixCancel(network_id=network.id, key_prefix=f"{prefix}quorum"))
    if meeting.kind == "ordinary":
        tz = ZoneInfo(network.timezone)
        due = announcement_due(meeting.starts_at, tz)
        if due > now:
            month = month_key(meeting.starts_at, tz)
            rows.append(
                repo.ScheduledRow(
                    network_id=network.id,
                    key=f"announce:{month}",
                    kind=Kind.MONTHLY_ANNOUNCEMENT,
                    due_at=due,
                    payload={"month": month},
                )
            )
    return rows, cancels


async def plan_meetings(
    *, session: AsyncSession, network: Network, meetings: Iterable[Meeting], now: datetime
) -> None:
    """(Re)write the reminder rows of ``meetings``; a cancelled one keeps none.

    The rows of all of them are written together: one upsert and one cancel per batch
    (repo.schedule_many, repo.cancel_scheduled_many), not a few statements per row.
    Meetings have keys of their own (``meeting:<id>:``); those sharing a month share its
    announcement, the later meeting's as when planned one after the other.
    """
    rows: list[repo.ScheduledRow] = []
    cancels: list[repo.PrefixCancel] = []
    for meeting in meetings:
        more_rows, more_cancels = meeting_rows(network, meeting, now)
        rows += more_rows
        cancels += more_cancels
    await repo.schedule_many(session=session, rows=rows)
    await repo.cancel_scheduled_many(session=session, cancels=cancels)


async def plan_meeting(
    *, session: AsyncSession, network: Network, meeting: Meeting, now: datetime
) -> None:
    """(Re)write the reminder rows of ``meeting``; a cancelled one keeps none."""
    await plan_meetings(session=session, network=network, meetings=[meeting], now=now)
