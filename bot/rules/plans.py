"""Action plans (seed 002) and Planos de Providências (seed 004): the caption and table of an
import, the draft that previews it, and a plan's progress."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from bot.errors import UserError
from bot.i18n import N_
from bot.rules import deadlines, privacy
from bot.rules.status import ReferralStatus

IMPORT_EXAMPLE = "/plano importar 2026 Fortalecimento do SIPIA"


def parse_caption(args: str) -> tuple[int, str]:
    """ "2026 Fortalecimento do SIPIA" → the plan's year and name (screened)."""
    year_text, _sep, name = args.partition(" ")
    if not (year_text.isdigit() and len(year_text) == 4) or not name.strip():
        raise UserError(N_("Give the plan's year and name in the caption."), example=IMPORT_EXAMPLE)
    privacy.screen(name)
    return int(year_text), name.strip()


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

    @property
    def concluded(self) -> bool:
        """Seed 004, art. 6 §3: a plan is concluded only when every action is."""
        return self.total > 0 and self.done == self.total


def progress(tasks: Iterable[Task], today: date) -> Progress:
    """How many of a plan's tasks are concluded, and how many are overdue."""
    items = list(tasks)
    done = sum(1 for t in items if t.status == ReferralStatus.CONCLUDED)
    late = sum(1 for t in items if t.status != ReferralStatus.CONCLUDED and t.deadline < today)
    return Progress(done=done, total=len(items), late=late)
