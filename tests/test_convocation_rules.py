"""The pure checks behind a convocation's preview (bot/rules/convocation.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.errors import UserError
from bot.rules.convocation import Busy, caveats, check_duplicate, overlaps

TZ = "America/Sao_Paulo"
AT = datetime(2026, 11, 27, 17, 0, tzinfo=UTC)  # Friday 14h in São Paulo


def _busy(hour: int, minute: int = 0, **kwargs: object) -> Busy:
    fields: dict = {"kind": "ordinary", "minutes": 120, "place": "CRAS"} | kwargs
    return Busy(starts_at=AT.replace(hour=hour, minute=minute), **fields)


def test_meetings_overlap_only_when_each_starts_before_the_other_ends() -> None:
    assert overlaps(AT, 120, _busy(18))  # 15h, within 14h–16h
    assert overlaps(AT, 120, _busy(16, 1))  # 13h01–15h01
    assert not overlaps(AT, 120, _busy(19))  # starts at 16h, when this one ends
    assert not overlaps(AT, 120, _busy(15))  # 12h–14h ends as this one starts


def test_only_a_scheduled_extraordinary_meeting_at_the_same_time_is_a_duplicate() -> None:
    check_duplicate(AT, [_busy(17), _busy(17, kind="extraordinary", cancel_reason="x")], TZ)
    with pytest.raises(UserError) as refused:
        check_duplicate(AT, [_busy(17, kind="extraordinary", topic="CASO-1")], TZ)
    assert refused.value.example is not None and refused.value.params["topic"] == "CASO-1"


def test_caveats_of_a_day() -> None:
    quiet = caveats(AT, [_busy(12)], tz=TZ, holidays={})
    assert not quiet
    christmas = datetime(2026, 12, 25, 13, tzinfo=UTC)
    found = caveats(christmas, [], tz=TZ, holidays={date(2026, 12, 25): "Natal"})
    assert found.holiday == "Natal" and not found.weekend and not found.odd_hour
    night = caveats(AT.replace(hour=23, minute=30), [], tz=TZ, holidays={})  # 20h30
    assert night.odd_hour
    cancelled = caveats(AT, [_busy(12, cancel_reason="feriado municipal")], tz=TZ, holidays={})
    assert cancelled.cancelled and not cancelled.clashes
