"""Which reminder rows a meeting gets, and which late ones are dropped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.scheduling import announcement_due, reminder_due_times, reminder_superseded

START = datetime(2027, 1, 12, 17, 0, tzinfo=UTC)  # 14h in São Paulo
OFFSETS = [7 * 24 * 60, 24 * 60, 120]


def test_only_reminders_still_ahead_are_planned() -> None:
    now = START - timedelta(days=3)
    assert reminder_due_times(START, OFFSETS, now) == [
        (24 * 60, START - timedelta(days=1)),
        (120, START - timedelta(hours=2)),
    ]


def test_a_late_reminder_gives_way_to_a_closer_one_already_due() -> None:
    now = START - timedelta(hours=20)
    assert reminder_superseded(START, 7 * 24 * 60, OFFSETS, now)
    assert not reminder_superseded(START, 24 * 60, OFFSETS, now)


def test_the_announcement_is_on_the_first_of_the_month_at_8_local() -> None:
    due = announcement_due(START, ZoneInfo("America/Sao_Paulo"))
    assert due == datetime(2027, 1, 1, 11, 0, tzinfo=UTC)
    cuiaba = announcement_due(START, ZoneInfo("America/Cuiaba"))
    assert cuiaba == datetime(2027, 1, 1, 12, 0, tzinfo=UTC)


def test_a_meeting_early_on_the_first_in_utc_belongs_to_its_local_month() -> None:
    # 31/01 at 22h in Manaus is already 01/02 in UTC: still January's meeting.
    late = datetime(2027, 2, 1, 2, 0, tzinfo=UTC)
    due = announcement_due(late, ZoneInfo("America/Manaus"))
    assert due == datetime(2027, 1, 1, 12, 0, tzinfo=UTC)
