"""When the information systems' reporting deadlines fall (seed 001: RMA, Censo SUAS, SISC…).

Pure rules over anything that says its recurrence, day and month (a stored
``ReportingDeadline`` does); what the coordination types to add one; when its
announcement and pending notice go.
"""

from __future__ import annotations

import calendar as month_calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.errors import UserError
from bot.i18n import N_
from bot.rules import dates, numbers, privacy
from bot.rules.kinds import Kind
from bot.rules.names import name_key


class Recurring(Protocol):
    @property
    def recurrence(self) -> str: ...  # monthly | quarterly | yearly
    @property
    def day(self) -> int: ...
    @property
    def month(self) -> int | None: ...


def occurrences_after(deadline: Recurring, after: date) -> date:
    """The first due date on or after ``after`` (day clamped to the month's last day)."""
    year, month = after.year, after.month
    for _step in range(30):
        if _is_due_month(deadline, month):
            day = min(deadline.day, month_calendar.monthrange(year, month)[1])
            candidate = date(year, month, day)
            if candidate >= after:
                return candidate
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    raise ValueError("no occurrence found")


def _is_due_month(deadline: Recurring, month: int) -> bool:
    if deadline.recurrence == "monthly":
        return True
    if deadline.recurrence == "quarterly":
        return month in (1, 4, 7, 10)  # the month after each quarter closes
    return month == deadline.month


def period_of(deadline: Recurring, due: date) -> str:
    """The period a due date reports on: 2026-10 (monthly), 2026-Q3, 2026 (yearly)."""
    previous = due.replace(day=1) - timedelta(days=1)
    if deadline.recurrence == "monthly":
        return previous.strftime("%Y-%m")
    if deadline.recurrence == "quarterly":
        return f"{previous.year}-Q{(previous.month - 1) // 3 + 1}"
    return str(due.year)


# --- what the coordination types (/prazos novo) -------------------------------------------

EXAMPLE = (
    "/prazos novo RMA | mensal dia 10 | CRAS, CREAS | https://aplicacoes.mds.gov.br/sagirmps/rma"
)
YEARLY_EXAMPLE = "/prazos novo Censo SUAS | anual 30/06 | CRAS"
OK_EXAMPLE = "/prazo_ok RMA"
RECURRENCES = {"mensal": "monthly", "trimestral": "quarterly", "anual": "yearly"}


@dataclass(frozen=True)
class Recurrence:
    kind: str  # monthly | quarterly | yearly
    day: int
    month: int | None  # yearly only


@dataclass(frozen=True)
class DeadlineSpec:
    """A deadline as written: ``name | recurrence | sectors [| link]``."""

    name: str
    recurrence: Recurrence
    sectors: str  # "CRAS, CREAS", resolved against the network's sectors
    link: str | None


def parse_deadline(parts: Sequence[str]) -> DeadlineSpec:
    """The pipe-separated parts of ``/prazos novo`` (the name and the link screened for
    personal data)."""
    if len(parts) not in (3, 4) or not all(parts[:3]):
        raise UserError(N_("Write: name | recurrence | sectors [| link]."), example=EXAMPLE)
    name, recurrence_text, sector_text = parts[:3]
    link = parts[3] if len(parts) == 4 and parts[3] else None
    privacy.screen(name)
    privacy.screen(link or "")
    return DeadlineSpec(name, parse_recurrence(recurrence_text), sector_text, link)


def parse_recurrence(text: str) -> Recurrence:
    """ "mensal dia 10", "trimestral dia 15", "anual 30/06"."""
    words = name_key(text).replace("dia", " ").split()
    if len(words) < 2 or words[0] not in RECURRENCES:
        raise _bad_recurrence()
    kind = RECURRENCES[words[0]]
    day, month = _yearly_day(words[1]) if kind == "yearly" else (_day(words[1]), None)
    if not 1 <= day <= 31:
        raise UserError(N_("The day must be between 1 and 31."), example=EXAMPLE)
    return Recurrence(kind, day, month)


def _bad_recurrence() -> UserError:
    return UserError(
        N_("Say the recurrence and the day: mensal dia 10, trimestral dia 15 or anual 30/06."),
        example=EXAMPLE,
    )


def _day(text: str) -> int:
    day = numbers.number(text)
    if day is None:
        raise _bad_recurrence()
    return day


def _yearly_day(text: str) -> tuple[int, int]:
    """ "30/06" as (30, 6); a day its month never has ("31/02", "31/04") is refused, as
    every typed date is (29/02 is kept: 28/02 in the years without it)."""
    day_text, _sep, month_text = text.partition("/")
    day, month = numbers.number(day_text), numbers.number(month_text)
    if day is None or month is None:
        raise UserError(
            N_("For a yearly deadline write the day and month, like anual 30/06."),
            example=YEARLY_EXAMPLE,
        )
    typed = f"{day:02d}/{month:02d}"
    if not 1 <= month <= 12 or day < 1:
        raise UserError(N_("There is no date {date}."), example=YEARLY_EXAMPLE, date=typed)
    longest = month_calendar.monthrange(2024, month)[1]  # a leap year: February has 29
    if day > longest:
        last = 28 if month == 2 else longest
        example = YEARLY_EXAMPLE.replace("30/06", f"{last:02d}/{month:02d}")
        if month == 2:
            raise UserError(N_("There is no date {date}."), example=example, date=typed)
        raise UserError(
            N_("There is no {date}: {month} has only {days} days."),
            example=example,
            date=typed,
            month=dates.month_name(month),
            days=longest,
        )
    return day, month


# --- when the bot speaks of an occurrence (seed 001, Anexos I and II) ----------------------

ANNOUNCE_BEFORE = timedelta(days=7)  # Anexo I
PENDING_BEFORE = timedelta(days=2)  # Anexo II
AT = time(9, 0)
# A sector may still confirm the occurrence just passed, up to this late.
CONFIRM_LATE = timedelta(days=10)


def pending_at(due: date, tz: ZoneInfo) -> datetime:
    """When the pending notice (Anexo II) of the occurrence ``due`` is planned."""
    return datetime.combine(due, AT, tzinfo=tz) - PENDING_BEFORE


def notices(due: date, tz: ZoneInfo, now: datetime) -> list[tuple[Kind, datetime]]:
    """The announcement (Anexo I) and the pending notice (Anexo II) of an occurrence, and
    when each is sent (never before ``now``)."""
    at_due = datetime.combine(due, AT, tzinfo=tz)
    return [
        (Kind.REPORT_ANNOUNCE, max(at_due - ANNOUNCE_BEFORE, now)),
        (Kind.REPORT_PENDING, max(at_due - PENDING_BEFORE, now)),
    ]


def open_occurrences(deadline: Recurring, today: date, since: date) -> tuple[date, ...]:
    """The occurrences a sector may still confirm on ``today``, oldest first: the one just
    passed (up to 10 days late), then the next one. None is due before ``since``, the day
    the deadline was created: its periods before that were never asked of anyone."""
    upcoming = occurrences_after(deadline, max(today, since))
    passed = occurrences_after(deadline, max(today - CONFIRM_LATE, since))
    return (passed, upcoming) if passed < upcoming else (upcoming,)


def after_pending(now: datetime) -> datetime:
    """Once the pending notice is out, the next occurrence is planned from past its due
    date (the notice goes two days before it)."""
    return now + PENDING_BEFORE + timedelta(days=1)
