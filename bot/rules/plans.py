"""Action plans (seed 002) and Planos de Providências (seed 004): the caption and table of an
import, the draft that previews it, and a plan's progress."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from bot.errors import UserError
from bot.i18n import N_
from bot.rules import deadlines, numbers, privacy
from bot.rules.status import ReferralStatus

IMPORT_EXAMPLE = "/plano importar 2026 Fortalecimento do SIPIA"


def parse_caption(args: str) -> tuple[int, str]:
    """ "2026 Fortalecimento do SIPIA" → the plan's year and name (screened)."""
    year_text, _sep, name = args.partition(" ")
    year = numbers.year(year_text)
    if year is None or not name.strip():
        raise UserError(N_("Give the plan's year and name in the caption."), example=IMPORT_EXAMPLE)
    privacy.screen(name)
    return year, name.strip()


def read_table(data: bytes, filename: str, year: int) -> list[deadlines.PlanTask]:
    """The plan's tasks from its table, each screened for personal data."""
    tasks = deadlines.parse_plan_table(data, filename, year=year)
    for task in tasks:
        privacy.screen(task.task)
    return tasks


def draft_payload(name: str, year: int, tasks: Sequence[deadlines.PlanTask]) -> dict[str, Any]:
    """What the preview keeps until the coordination saves it (JSON)."""
    return {
        "name": name,
        "year": year,
        "tasks": [
            {
                "action": t.action,
                "task": t.task,
                "period": t.period,
                "deadline": t.deadline.isoformat(),
                "responsible": t.responsible,
            }
            for t in tasks
        ],
    }


class Task(Protocol):
    @property
    def status(self) -> str: ...
    @property
    def deadline(self) -> date: ...


@dataclass(frozen=True)
class Progress:
    done: int
    total: int
    late: int
    concluded: bool  # seed 004, art. 6 §3: only when every task is


def progress(tasks: Sequence[Task], today: date) -> Progress:
    """How many of a plan's tasks are concluded, how many are overdue, and whether the
    plan is concluded."""
    flags = [t.status == ReferralStatus.CONCLUDED for t in tasks]
    late = sum(1 for t, done in zip(tasks, flags, strict=True) if not done and t.deadline < today)
    return Progress(
        done=sum(flags), total=len(flags), late=late, concluded=deadlines.plan_concluded(flags)
    )
