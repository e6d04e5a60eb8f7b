"""Action plans (seed 002) and Planos de Providências (seed 004): the caption and table of an
import, its deadlines moved off days without expediente, its Responsáveis mapped to the
network's sectors, the draft that previews it, and a plan's progress."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any, Protocol

from bot.errors import UserError
from bot.i18n import N_
from bot.rules import deadlines, numbers, privacy
from bot.rules import sectors as sector_rules
from bot.rules.calendar import holidays_for, next_working_day
from bot.rules.names import name_key
from bot.rules.status import ReferralStatus, ResponsibleStatus

IMPORT_EXAMPLE = "/plano importar 2026 Fortalecimento do SIPIA"


def parse_caption(args: str) -> tuple[int, str]:
    """ "2026 Fortalecimento do SIPIA" → the plan's year and name (screened)."""
    year_text, _sep, name = args.partition(" ")
    year = numbers.year(year_text)
    if year is None or not name.strip():
        raise UserError(N_("Give the plan's year and name in the caption."), example=IMPORT_EXAMPLE)
    privacy.screen(name)
    return year, name.strip()


# The first rows of a plan's table, for an error about the table as a whole.
TABLE_EXAMPLE = "Ação; Tarefas; Período; Responsável / 1. Articulação; Elaborar o plano; Maio; CRAS"


def read_table(data: bytes, filename: str, year: int) -> list[deadlines.PlanTask]:
    """The plan's tasks from its table, each (its Ação, Tarefa and Responsáveis) screened
    for personal data. An error about the table as a whole (its format, its columns, no task) shows
    the table's first rows."""
    try:
        tasks = deadlines.parse_plan_table(data, filename, year=year)
    except UserError as error:
        if error.example is None:
            error.example = TABLE_EXAMPLE
        raise
    for task in tasks:
        privacy.screen(task.action)
        privacy.screen(task.task)
        for name in task.responsible:  # it may become a sector's name
            privacy.screen(name)
    return tasks


# ---------------------------------------------------------------------------
# Deadlines: a task is not due on a day without expediente
# ---------------------------------------------------------------------------

HOLIDAY_WORD = "feriado"
MAX_REASON = 60  # characters of a cancellation's reason shown as the holiday's name


def municipal_holidays(cancelled: Iterable[tuple[date, str]]) -> dict[date, str]:
    """The municipal holidays the network told the bot of: the days it cancelled a meeting
    for a holiday ("/cancelar 10/03 | feriado municipal"), with the reason it gave."""
    found = {}
    for day, reason in cancelled:
        if HOLIDAY_WORD in name_key(reason):
            text = " ".join(reason.split())
            found[day] = text if len(text) <= MAX_REASON else text[: MAX_REASON - 1] + "…"
    return found


def days_off(
    years: Iterable[int], state: str | None, municipal: Mapping[date, str]
) -> dict[date, str]:
    """The holidays of ``years`` and the year after each (a deadline on 31/12 moves into
    it): national and the state's (``holidays_for``), then the municipal ones known."""
    found: dict[date, str] = {}
    for year in sorted({y + k for y in years for k in (0, 1)}):
        found.update(holidays_for(year, state))
    for day, reason in municipal.items():
        found.setdefault(day, reason)
    return found


@dataclass(frozen=True)
class Moved:
    """Tasks due on a weekend or holiday (``original``), due on ``deadline`` instead."""

    original: date
    deadline: date
    holiday: str  # the holiday's name; "" for a Saturday or Sunday
    tasks: int


def working_deadlines(
    tasks: Sequence[deadlines.PlanTask], off: Mapping[date, str]
) -> tuple[list[deadlines.PlanTask], list[Moved]]:
    """Each task due on a working day: a deadline on a Saturday, Sunday or a day of ``off``
    goes to the next working day (``next_working_day``, as the calendar does). Also the
    moves, by original date."""
    moved: dict[date, Moved] = {}
    result = []
    for task in tasks:
        due = next_working_day(task.deadline, off)
        if due != task.deadline:
            seen = moved.get(task.deadline)
            count = seen.tasks + 1 if seen else 1
            moved[task.deadline] = Moved(task.deadline, due, off.get(task.deadline, ""), count)
            task = dataclasses.replace(task, deadline=due)
        result.append(task)
    return result, [moved[day] for day in sorted(moved)]


def deadline_years(tasks: Iterable[deadlines.PlanTask]) -> set[int]:
    return {task.deadline.year for task in tasks}


# ---------------------------------------------------------------------------
# Responsáveis: which sector of the network each name of the table is
# ---------------------------------------------------------------------------


class SectorLike(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def key(self) -> str: ...
    @property
    def name(self) -> str: ...


class AliasLike(Protocol):
    @property
    def key(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def sector_id(self) -> int | None: ...


@dataclass(frozen=True)
class _Known:
    """A name ``lookup`` may find: a sector's own, or one decided for an earlier plan."""

    key: str
    name: str
    sector_id: int | None
    remembered: bool


@dataclass(frozen=True)
class Responsible:
    """One name of the plan's Responsável column and the sector it is (``sector_id``;
    None when it is no sector, or not decided yet), with the sectors offered for it."""

    name: str
    status: ResponsibleStatus
    sector_id: int | None = None
    options: tuple[int, ...] = ()

    @property
    def pending(self) -> bool:
        return self.status is ResponsibleStatus.ASK


class Choice(StrEnum):
    """What the coordination answers for an unknown name."""

    SECTOR = "s"  # an existing sector (one of the options)
    NEW = "n"  # a new sector of that name
    IGNORE = "i"  # no sector of the network


PLAUSIBLE = 3  # sectors offered for an unknown name


def responsible_names(tasks: Iterable[deadlines.PlanTask]) -> list[str]:
    """Every name of the Responsável column, once (accents and case ignored), in order."""
    seen: dict[str, str] = {}
    for task in tasks:
        for name in task.responsible:
            seen.setdefault(name_key(name), name)
    return list(seen.values())


def resolve(
    names: Iterable[str], sectors: Sequence[SectorLike], aliases: Iterable[AliasLike]
) -> list[Responsible]:
    """Each name as a sector: found by ``bot.rules.sectors.lookup`` among the sectors'
    names and the names decided for earlier plans (a sector's own name first); else asked,
    offering the ``plausible`` sectors."""
    known = [_Known(s.key, s.name, s.id, remembered=False) for s in sectors]
    known += [_Known(a.key, a.name, a.sector_id, remembered=True) for a in aliases]
    found = []
    for name in names:
        match = sector_rules.lookup(known, name)
        if match is None:
            options = tuple(s.id for s in sector_rules.plausible(sectors, name, PLAUSIBLE))
            found.append(Responsible(name, ResponsibleStatus.ASK, options=options))
        elif not match.remembered:
            found.append(Responsible(name, ResponsibleStatus.SECTOR, match.sector_id))
        elif match.sector_id is None:
            found.append(Responsible(name, ResponsibleStatus.SKIP))
        else:
            found.append(Responsible(name, ResponsibleStatus.ALIAS, match.sector_id))
    return found


def next_pending(names: Sequence[Responsible]) -> int | None:
    """The index of the first name still to decide."""
    return next((i for i, r in enumerate(names) if r.pending), None)


def can_be_sector(name: str) -> bool:
    """Whether ``name`` fits as a new sector's name."""
    return len(name) <= sector_rules.MAX_NAME


_MSG_NO_LONGER = N_("This choice is no longer valid.")
_MSG_DECIDED = N_("This was already decided.")


def decide(
    names: Sequence[Responsible], index: int, choice: Choice, sector_id: int, sectors: set[int]
) -> list[Responsible]:
    """``names`` with the name at ``index`` decided (an existing sector must be one of its
    options and still be in ``sectors``). A name decided already, or a choice that was not
    offered, raises UserError."""
    if not 0 <= index < len(names):
        raise UserError(_MSG_NO_LONGER)
    item = names[index]
    if not item.pending:
        raise UserError(_MSG_DECIDED)
    if choice is Choice.SECTOR:
        if sector_id not in item.options or sector_id not in sectors:
            raise UserError(_MSG_NO_LONGER)
        decided = dataclasses.replace(item, status=ResponsibleStatus.CHOSEN, sector_id=sector_id)
    elif choice is Choice.NEW:
        if not can_be_sector(item.name):
            raise UserError(_MSG_NO_LONGER)
        decided = dataclasses.replace(item, status=ResponsibleStatus.NEW)
    else:
        decided = dataclasses.replace(item, status=ResponsibleStatus.IGNORED)
    return [*names[:index], decided, *names[index + 1 :]]


NO_SECTOR = (ResponsibleStatus.SKIP, ResponsibleStatus.IGNORED)


def left_out(tasks: Iterable[deadlines.PlanTask], names: Sequence[Responsible]) -> int:
    """Tasks none of whose Responsáveis is a sector of the network (they are not saved)."""
    status = {name_key(r.name): r.status for r in names}
    return sum(1 for t in tasks if all(status.get(name_key(n)) in NO_SECTOR for n in t.responsible))


# ---------------------------------------------------------------------------
# The draft
# ---------------------------------------------------------------------------


def draft_payload(
    name: str,
    year: int,
    tasks: Sequence[deadlines.PlanTask],
    moved: Sequence[Moved],
    names: Sequence[Responsible],
) -> dict[str, Any]:
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
        "moved": [
            {
                "from": m.original.isoformat(),
                "to": m.deadline.isoformat(),
                "holiday": m.holiday,
                "tasks": m.tasks,
            }
            for m in moved
        ],
        "names": [names_item(r) for r in names],
    }


def names_item(item: Responsible) -> dict[str, Any]:
    return {
        "name": item.name,
        "status": item.status.value,
        "sector_id": item.sector_id,
        "options": list(item.options),
    }


def payload_tasks(payload: Mapping[str, Any]) -> list[deadlines.PlanTask]:
    return [
        deadlines.PlanTask(
            action=t["action"],
            task=t["task"],
            period=t["period"],
            deadline=date.fromisoformat(t["deadline"]),
            responsible=list(t["responsible"]),
        )
        for t in payload["tasks"]
    ]


def payload_moved(payload: Mapping[str, Any]) -> list[Moved]:
    return [
        Moved(date.fromisoformat(m["from"]), date.fromisoformat(m["to"]), m["holiday"], m["tasks"])
        for m in payload.get("moved", [])
    ]


def payload_names(payload: Mapping[str, Any]) -> list[Responsible]:
    return [
        Responsible(
            n["name"],
            ResponsibleStatus(n["status"]),
            n["sector_id"],
            tuple(n["options"]),
        )
        for n in payload.get("names", [])
    ]


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
