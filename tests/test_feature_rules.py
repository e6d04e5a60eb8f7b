"""The parsers and tallies the setup, system-deadline, plan and working-group handlers use."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.errors import UserError
from bot.rules import network, plans, sectors, system_deadlines, working_groups
from bot.rules.kinds import Kind
from bot.rules.status import ReferralStatus

TZ = ZoneInfo("America/Sao_Paulo")


@dataclass(frozen=True)
class _Sector:
    name: str
    key: str


CRAS, CREAS = _Sector("CRAS", "cras"), _Sector("CREAS", "creas")


def test_a_city_names_its_zone_and_an_unknown_zone_is_refused() -> None:
    assert network.parse_zone("Cuiabá") == "America/Cuiaba"
    assert network.parse_zone("America/Sao_Paulo") == "America/Sao_Paulo"
    with pytest.raises(UserError):
        network.parse_zone("Atlantis")


def test_reminders_are_minutes_largest_first_each_once() -> None:
    assert network.parse_reminders(["1h", "3d", "1h"]) == [3 * 24 * 60, 60]
    assert network.format_reminders([60, 3 * 24 * 60]) == "3 dias e 1 hora"


@pytest.mark.parametrize("words", [["2min"], ["31d"], ["1h", "2h", "3h", "4h", "5h", "6h"]])
def test_reminders_out_of_range_or_too_many_are_refused(words: list[str]) -> None:
    with pytest.raises(UserError):
        network.parse_reminders(words)


def test_state_language_and_coordinator_sign() -> None:
    assert network.parse_state(" pr ") == "PR"
    # By name too, as /fuso takes a city: accents and case do not matter.
    assert network.parse_state("Paraná") == "PR"
    assert network.parse_state("mato grosso do sul") == "MS"
    assert network.parse_state("Mato  Grosso") == "MT"
    assert network.parse_state("Sao Paulo") == "SP"
    with pytest.raises(UserError) as caught:
        network.parse_state("Paranaguá")
    assert caught.value.params["state"] == "Paranaguá"
    assert caught.value.example == "/estado Paraná"
    assert network.parse_locale("pt-br") == "pt_BR"
    assert network.parse_coordinator_sign("+") is True
    assert network.parse_coordinator_sign("-") is False
    for refused in (lambda: network.parse_state("XX"), lambda: network.parse_coordinator_sign("*")):
        with pytest.raises(UserError):
            refused()


def test_sectors_are_found_by_name_prefix_or_listed_in_order() -> None:
    assert sectors.find([CRAS, CREAS], "creas", "/setor CRAS") is CREAS
    assert sectors.find([CRAS, CREAS], "CRE", "/setor CRAS") is CREAS
    assert sectors.find_all([CRAS, CREAS], "CREAS, , CRAS", "") == [CREAS, CRAS]
    with pytest.raises(UserError):
        sectors.find([CRAS, CREAS], "Saúde", "/setor CRAS")


def test_a_sector_change_is_an_addition_or_a_renaming() -> None:
    assert sectors.parse_change("adicionar  CAPS   AD") == sectors.AddSector("CAPS AD")
    assert sectors.parse_change("renomear CMEI | CMEI  Centro") == sectors.RenameSector(
        "CMEI", "CMEI Centro"
    )
    for wrong in ("adicionar", "renomear CMEI", "apagar CMEI", "adicionar " + "x" * 81):
        with pytest.raises(UserError):
            sectors.parse_change(wrong)


def test_a_system_deadline_is_read_from_its_parts() -> None:
    spec = system_deadlines.parse_deadline(["RMA", "mensal dia 10", "CRAS, CREAS", ""])
    assert spec == system_deadlines.DeadlineSpec(
        "RMA", system_deadlines.Recurrence("monthly", 10, None), "CRAS, CREAS", None
    )
    assert system_deadlines.parse_recurrence("anual 30/06") == system_deadlines.Recurrence(
        "yearly", 30, 6
    )
    wrong_forms = ("semanal dia 3", "mensal dia x", "anual 30", "mensal dia 32", "mensal dia 0")
    impossible_days = ("anual 31/02", "anual 30/02", "anual 31/04", "anual 0/05", "anual 31/13")
    for wrong in (*wrong_forms, *impossible_days):
        with pytest.raises(UserError):
            system_deadlines.parse_recurrence(wrong)
    # Months without the day use their last one: a monthly 31, a yearly 29/02.
    assert system_deadlines.parse_recurrence("mensal dia 31").day == 31
    assert system_deadlines.parse_recurrence("anual 29/02") == system_deadlines.Recurrence(
        "yearly", 29, 2
    )


def test_a_system_deadline_is_announced_a_week_before_and_chased_two_days_before() -> None:
    now = datetime(2026, 3, 1, 12, tzinfo=TZ)
    assert system_deadlines.notices(date(2026, 3, 10), TZ, now) == [
        (Kind.REPORT_ANNOUNCE, datetime(2026, 3, 3, 9, tzinfo=TZ)),
        (Kind.REPORT_PENDING, datetime(2026, 3, 8, 9, tzinfo=TZ)),
    ]
    # Never before now.
    assert system_deadlines.notices(date(2026, 3, 4), TZ, now)[0][1] == now


def test_a_confirmation_counts_for_the_occurrence_just_passed() -> None:
    @dataclass(frozen=True)
    class Deadline:
        recurrence: str = "monthly"
        day: int = 10
        month: int | None = None

    long_ago = date(2025, 1, 1)
    assert system_deadlines.open_occurrences(Deadline(), date(2026, 3, 15), long_ago) == (
        date(2026, 3, 10),
        date(2026, 4, 10),
    )
    assert system_deadlines.open_occurrences(Deadline(), date(2026, 3, 25), long_ago) == (
        date(2026, 4, 10),
    )
    # Never a date due before the deadline was created (on the day itself, it counts).
    assert system_deadlines.open_occurrences(Deadline(), date(2026, 3, 15), date(2026, 3, 11)) == (
        date(2026, 4, 10),
    )
    assert system_deadlines.open_occurrences(Deadline(), date(2026, 3, 15), date(2026, 3, 10)) == (
        date(2026, 3, 10),
        date(2026, 4, 10),
    )
    last_day = Deadline(day=31)  # created on 2/12: 30/11 was due before it existed
    assert system_deadlines.open_occurrences(last_day, date(2026, 12, 2), date(2026, 12, 2)) == (
        date(2026, 12, 31),
    )


@dataclass(frozen=True)
class _Task:
    status: str
    deadline: date


def test_a_plan_is_concluded_only_when_every_task_is() -> None:
    tasks = [
        _Task(ReferralStatus.CONCLUDED, date(2026, 1, 31)),
        _Task(ReferralStatus.OPEN, date(2026, 2, 28)),
        _Task(ReferralStatus.OPEN, date(2026, 6, 30)),
    ]
    assert plans.progress(tasks, date(2026, 3, 1)) == plans.Progress(1, 3, 1, False)
    assert plans.progress(tasks[:1], date(2026, 3, 1)).concluded
    assert not plans.progress([], date(2026, 3, 1)).concluded


def test_a_plan_caption_gives_year_and_name() -> None:
    assert plans.parse_caption("2026 Fortalecimento do SIPIA ") == (2026, "Fortalecimento do SIPIA")
    for wrong in ("Fortalecimento", "26 Plano", "2026"):
        with pytest.raises(UserError):
            plans.parse_caption(wrong)


def test_a_working_group_has_four_parts_and_extends_a_month_ahead() -> None:
    spec = working_groups.parse_group(["GT", "Saúde, CRAS", "quinzenal quarta 14h", "CRAS"])
    assert spec == working_groups.GroupSpec("GT", "Saúde, CRAS", "quinzenal quarta 14h", "CRAS")
    with pytest.raises(UserError):
        working_groups.parse_group(["GT", "Saúde, CRAS", "", "CRAS"])
    start = date(2026, 1, 1)
    next_start, due = working_groups.next_extension(start, TZ)
    assert next_start == start + working_groups.HORIZON + (date(2026, 1, 2) - start)
    assert due == datetime(2026, 6, 4, 6, tzinfo=TZ)
