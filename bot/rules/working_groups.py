"""Working groups' cadence: "quinzenal quarta 14h", generated skipping holidays (seed 000 §1)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.errors import UserError
from bot.i18n import N_
from bot.rules import calendar, dates, privacy
from bot.rules.names import name_key

EXAMPLE = "/gt criar GT Saúde Mental | Saúde, CRAS, CAPS | quinzenal quarta 14h | CRAS"
CADENCES = {"semanal": "weekly", "quinzenal": "biweekly", "mensal": "monthly"}
STEP = {"weekly": 7, "biweekly": 14}
# How far ahead a working group's meetings are generated.
HORIZON = timedelta(days=183)
# A month before the generated meetings run out, the following months are generated.
EXTEND_BEFORE = timedelta(days=30)
EXTEND_AT = time(6)


@dataclass(frozen=True)
class Cadence:
    kind: str  # weekly | biweekly | monthly
    weekday: int
    at: time
    ordinal: int | None = None  # monthly only: 1..5, -1 for the last


@dataclass(frozen=True)
class GroupSpec:
    """A working group as written: ``name | sectors | cadence | place``."""

    name: str
    sectors: str  # "Saúde, CRAS, CAPS", resolved against the network's sectors
    cadence: str  # parsed by parse_cadence once the name and sectors are checked
    place: str


def parse_group(parts: Sequence[str]) -> GroupSpec:
    """The pipe-separated parts of ``/gt criar`` (the name and the place screened for
    personal data)."""
    if len(parts) != 4 or not all(parts):
        raise UserError(
            N_("Write the four parts separated by |: name | sectors | cadence | place."),
            example=EXAMPLE,
        )
    name, sectors, cadence, place = parts
    privacy.screen(name)
    privacy.screen(place)
    return GroupSpec(name, sectors, cadence, place)


def parse_cadence(text: str) -> Cadence:
    """ "quinzenal quarta 14h", "semanal segunda 9h30", "mensal 1ª quinta 10h", "quarta 14h"."""
    words = [
        w for w in text.replace(",", " ").split() if name_key(w) not in {"as", "a", "toda", "todo"}
    ]
    kind = "biweekly"
    if words and name_key(words[0]) in CADENCES:
        kind = CADENCES[name_key(words.pop(0))]
    ordinal = None
    if kind == "monthly":
        ordinal = calendar.parse_ordinal(words.pop(0)) if words else None
        if not ordinal:  # None, or 0: a number that is no week of a month ("9ª")
            raise UserError(
                N_("Monthly: say which week, like mensal 1ª quinta 10h."), example=EXAMPLE
            )
    weekday = calendar.parse_weekday(words.pop(0)) if words else None
    if weekday is None:
        raise UserError(
            N_("Say the cadence, the weekday and the time, like quinzenal quarta 14h."),
            example=EXAMPLE,
        )
    if weekday >= 5:
        raise UserError(N_("Working groups meet on working days."), example=EXAMPLE)
    if not words:
        raise UserError(N_("Missing the time: write it like 14h or 14h30."), example=EXAMPLE)
    at = dates.parse_time_of_day(" ".join(words))
    return Cadence(kind=kind, weekday=weekday, at=at, ordinal=ordinal)


def generate(
    cadence: Cadence, *, start: date, until: date, state: str | None
) -> list[calendar.PlannedMeeting]:
    """The meetings from ``start`` to ``until``; a holiday moves one to the next working day."""
    holidays: dict[date, str] = {}
    for year in range(start.year, until.year + 2):
        holidays.update(calendar.holidays_for(year, state))
    days: list[date] = []
    if cadence.kind == "monthly":
        assert cadence.ordinal is not None
        year, month = start.year, start.month
        while date(year, month, 1) <= until:
            days.append(calendar.nth_weekday(year, month, cadence.weekday, cadence.ordinal))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    else:
        day = start + timedelta(days=(cadence.weekday - start.weekday()) % 7)
        while day <= until:
            days.append(day)
            day += timedelta(days=STEP[cadence.kind])
    planned = []
    for day in days:
        if not start <= day <= until:
            continue
        moved = calendar.next_working_day(day, holidays)
        planned.append(
            calendar.PlannedMeeting(
                day=moved,
                at=cadence.at,
                place="",
                shifted_from=day if moved != day else None,
                shift_reason=holidays.get(day, ""),
            )
        )
    return planned


def next_extension(start: date, tz: ZoneInfo) -> tuple[date, datetime]:
    """After generating from ``start``: where the next generation starts, and when it runs
    (a month before the generated meetings run out)."""
    next_start = start + HORIZON + timedelta(days=1)
    return next_start, datetime.combine(next_start - EXTEND_BEFORE, EXTEND_AT, tzinfo=tz)
