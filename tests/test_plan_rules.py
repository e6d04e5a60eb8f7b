"""The pure rules of a plan import: deadlines off days without expediente, which sector a
Responsável is, and the coordination's answers (issue 12)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from bot.errors import UserError
from bot.rules import plans as rules
from bot.rules import sectors
from bot.rules.deadlines import PlanTask
from bot.rules.names import name_key
from bot.rules.status import ResponsibleStatus


@dataclass(frozen=True)
class _Sector:
    id: int
    name: str

    @property
    def key(self) -> str:
        return name_key(self.name)


@dataclass(frozen=True)
class _Alias:
    name: str
    sector_id: int | None

    @property
    def key(self) -> str:
        return name_key(self.name)


SECTORS = [
    _Sector(1, "CRAS"),
    _Sector(2, "CREAS"),
    _Sector(3, "Conselho Tutelar"),
    _Sector(4, "Ministério Público"),
    _Sector(5, "Saúde"),
    _Sector(6, "Saúde Mental"),
    _Sector(7, "Escola Municipal"),
    _Sector(8, "Pastoral da Criança"),
]


def _task(deadline: date, *names: str) -> PlanTask:
    return PlanTask("1. Ação", "Tarefa", "período", deadline, list(names))


def test_a_deadline_on_a_weekend_or_holiday_goes_to_the_next_working_day() -> None:
    tasks = [
        _task(date(2027, 7, 31), "CRAS"),  # Saturday
        _task(date(2027, 7, 9), "CRAS"),  # Friday: a holiday in São Paulo only
        _task(date(2027, 12, 25), "CRAS"),  # Christmas, a Saturday
        _task(date(2027, 6, 30), "CRAS"),  # Wednesday
        _task(date(2027, 7, 31), "CREAS"),
        _task(date(2027, 3, 10), "CRAS"),  # the municipal holiday the network told of
    ]
    off = rules.days_off(
        rules.deadline_years(tasks),
        "SP",
        rules.municipal_holidays([(date(2027, 3, 10), "Feriado municipal")]),
    )
    moved_tasks, moved = rules.working_deadlines(tasks, off)
    assert [t.deadline for t in moved_tasks] == [
        date(2027, 8, 2),
        date(2027, 7, 12),
        date(2027, 12, 27),
        date(2027, 6, 30),
        date(2027, 8, 2),
        date(2027, 3, 11),
    ]
    assert moved == [
        rules.Moved(date(2027, 3, 10), date(2027, 3, 11), "Feriado municipal", 1),
        rules.Moved(date(2027, 7, 9), date(2027, 7, 12), "Revolução Constitucionalista", 1),
        rules.Moved(date(2027, 7, 31), date(2027, 8, 2), "", 2),
        rules.Moved(date(2027, 12, 25), date(2027, 12, 27), "Natal", 1),
    ]
    # Paraná has no holiday on 09/07: the deadline stays.
    pr = rules.days_off({2027}, "PR", {})
    assert rules.working_deadlines([tasks[1]], pr)[1] == []


def test_the_year_after_counts_for_a_deadline_at_the_end_of_the_year() -> None:
    off = rules.days_off({2026}, None, {})
    (task,), (move,) = rules.working_deadlines([_task(date(2026, 12, 31), "CRAS")], off)
    assert task.deadline == date(2027, 1, 4)  # 31/12 observed, 01/01, then a weekend
    assert move.holiday == "Véspera de Ano-Novo"


def test_only_cancellations_for_a_holiday_are_municipal_holidays() -> None:
    found = rules.municipal_holidays(
        [
            (date(2026, 3, 10), "FERIADO municipal"),
            (date(2026, 4, 14), "falta de quórum"),
            (date(2026, 5, 12), "Feriado: " + "x" * 100),
        ]
    )
    assert set(found) == {date(2026, 3, 10), date(2026, 5, 12)}
    assert len(found[date(2026, 5, 12)]) == rules.MAX_REASON


def test_names_are_found_remembered_or_asked_with_plausible_sectors() -> None:
    names = ["CRAS", "saude", "Escola", "SEJUDH", "JUSTIÇA", "C.T", "Secretaria de Saúde", "MP"]
    aliases = [_Alias("SEJUDH", 2), _Alias("Justiça", None)]
    found = {r.name: r for r in rules.resolve(names, SECTORS, aliases)}
    assert found["CRAS"] == rules.Responsible("CRAS", ResponsibleStatus.SECTOR, 1)
    assert found["saude"].sector_id == 5  # accents and case ignored, exact before prefix
    assert found["Escola"].sector_id == 7  # the only sector whose name starts so
    assert found["SEJUDH"] == rules.Responsible("SEJUDH", ResponsibleStatus.ALIAS, 2)
    assert found["JUSTIÇA"] == rules.Responsible("JUSTIÇA", ResponsibleStatus.SKIP)
    assert found["C.T"].options == (3,)  # by its initials
    assert found["MP"].options == (4,)
    assert found["Secretaria de Saúde"].options == (5, 6)  # a word in common
    assert all(found[n].pending for n in ("C.T", "MP", "Secretaria de Saúde"))


def test_plausible_sectors_are_offered_never_chosen() -> None:
    assert sectors.lookup(SECTORS, "Vara da Infância") is None
    assert sectors.plausible(SECTORS, "Vara da Infância") == []  # "da" is no likeness
    assert sectors.lookup(SECTORS, "Saúde") == SECTORS[4]
    assert [s.name for s in sectors.plausible(SECTORS, "CAPS")] == ["CRAS"]  # a close spelling


def test_each_name_is_decided_once_and_only_among_what_was_offered() -> None:
    names = rules.resolve(["C.T", "SEJUDH"], SECTORS, [])
    ids = {s.id for s in SECTORS}
    decided = rules.decide(names, 0, rules.Choice.SECTOR, 3, ids)
    assert decided[0].status is ResponsibleStatus.CHOSEN and rules.next_pending(decided) == 1
    with pytest.raises(UserError) as again:
        rules.decide(decided, 0, rules.Choice.IGNORE, 0, ids)
    assert again.value.key == "This was already decided."
    for index, choice, sector in ((1, rules.Choice.SECTOR, 3), (5, rules.Choice.NEW, 0)):
        with pytest.raises(UserError) as refused:
            rules.decide(decided, index, choice, sector, ids)
        assert refused.value.key == "This choice is no longer valid."
    with pytest.raises(UserError):  # offered, but the sector is gone since
        rules.decide(names, 0, rules.Choice.SECTOR, 3, ids - {3})
    done = rules.decide(decided, 1, rules.Choice.IGNORE, 0, ids)
    assert rules.next_pending(done) is None
    tasks = [_task(date(2027, 5, 31), "SEJUDH"), _task(date(2027, 5, 31), "SEJUDH", "C.T")]
    assert rules.left_out(tasks, done) == 1


def test_a_name_too_long_for_a_sector_cannot_become_one() -> None:
    long = "Secretaria " * 10
    (item,) = rules.resolve([long], SECTORS, [])
    assert not rules.can_be_sector(long)
    with pytest.raises(UserError):
        rules.decide([item], 0, rules.Choice.NEW, 0, set())


def test_the_draft_keeps_what_the_preview_showed() -> None:
    tasks = [_task(date(2027, 8, 2), "C.T")]
    moved = [rules.Moved(date(2027, 7, 31), date(2027, 8, 2), "", 1)]
    names = rules.resolve(rules.responsible_names(tasks), SECTORS, [])
    payload = rules.draft_payload("SIPIA", 2027, tasks, moved, names)
    assert rules.payload_tasks(payload) == tasks
    assert rules.payload_moved(payload) == moved
    assert rules.payload_names(payload) == names


def test_each_name_is_listed_once_in_the_order_of_the_table() -> None:
    tasks = [
        _task(date(2027, 5, 31), "Equipe SIPIA", "SEJUDH"),
        _task(date(2027, 5, 31), "sejudh", "CRAS"),
    ]
    assert rules.responsible_names(tasks) == ["Equipe SIPIA", "SEJUDH", "CRAS"]
