"""When the information systems' reporting deadlines fall (seed 001: RMA, Censo SUAS, SISC…).

Pure rules over anything that says its recurrence, day and month (a stored
``ReportingDeadline`` does).
"""

from __future__ import annotations

import calendar as month_calendar
from datetime import date, timedelta
from typing import Protocol


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
