"""Prazos of encaminhamentos, the escalation ladder, and action plans (seeds 002 and 004)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import UTC, date, datetime, time

import pytest
from openpyxl import Workbook

from bot.errors import UserError
from bot.i18n import use_locale
from bot.rules.calendar import holidays_for
from bot.rules.deadlines import (
    DEADLINE_EXAMPLE,
    Ladder,
    PlanTask,
    Step,
    add_business_days,
    business_days_between,
    days_overdue,
    ladder_times,
    parse_deadline,
    parse_ladder,
    parse_plan_table,
    period_end,
    plan_concluded,
    plan_deadline,
    split_responsible,
)

SP = "America/Sao_Paulo"
MANAUS = "America/Manaus"


def holidays(state: str | None, *years: int) -> dict[date, str]:
    merged: dict[date, str] = {}
    for year in years:
        merged.update(holidays_for(year, state))
    return merged


def deadline(text: str, today: date, state: str | None = "PR") -> date:
    return parse_deadline(text, today=today, tz=SP, state=state)


# ---------------------------------------------------------------------------
# Business days
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("state", ["PR", "SP"])
def test_ten_business_days_from_18_december_skip_christmas_and_new_year(state: str) -> None:
    # Fri 18/12/2026: 21, 22, 23 (24 véspera, 25 Natal, weekend) 28, 29, 30
    # (31 véspera, 01/01, weekend) 04, 05, 06, 07/01/2027.
    assert deadline("10 dias úteis", date(2026, 12, 18), state) == date(2027, 1, 7)
    hol = holidays(state, 2026, 2027)
    assert add_business_days(date(2026, 12, 18), 10, hol) == date(2027, 1, 7)


def test_without_holidays_ten_business_days_are_two_weeks() -> None:
    assert add_business_days(date(2026, 12, 18), 10, {}) == date(2027, 1, 1)


def test_business_days_follow_the_state_holidays() -> None:
    # 09/07 (Revolução Constitucionalista) is a holiday in SP only.
    today = date(2026, 7, 6)
    assert deadline("5 dias úteis", today, "SP") == date(2026, 7, 14)
    assert deadline("5 dias úteis", today, "PR") == date(2026, 7, 13)


def test_one_business_day_after_friday_is_monday() -> None:
    assert add_business_days(date(2026, 3, 6), 1, {}) == date(2026, 3, 9)
    assert deadline("1 dia útil", date(2026, 3, 6)) == date(2026, 3, 9)


def test_zero_business_days_is_the_start_and_negative_counts_back() -> None:
    saturday = date(2026, 3, 7)
    assert add_business_days(saturday, 0, {}) == saturday
    assert add_business_days(date(2026, 3, 9), -1, {}) == date(2026, 3, 6)
    hol = holidays("PR", 2026, 2027)
    assert add_business_days(date(2027, 1, 4), -3, hol) == date(2026, 12, 28)


def test_business_days_between_is_the_inverse_of_adding_them() -> None:
    hol = holidays("SP", 2026, 2027)
    start = date(2026, 12, 18)
    for n in range(0, 40):
        assert business_days_between(start, add_business_days(start, n, hol), hol) == n
    assert business_days_between(date(2027, 1, 7), start, hol) == -10
    # A weekend adds nothing: Friday to Sunday is 0, Friday to Monday is 1.
    assert business_days_between(date(2026, 3, 6), date(2026, 3, 8), {}) == 0
    assert business_days_between(date(2026, 3, 6), date(2026, 3, 9), {}) == 1


def test_accents_and_spelling_of_business_days_do_not_matter() -> None:
    today = date(2026, 12, 18)
    expected = date(2027, 1, 7)
    for text in ("10 dias úteis", "10 dias uteis", "10 DIAS ÚTEIS", "prazo de 10 dias úteis."):
        assert deadline(text, today) == expected


# ---------------------------------------------------------------------------
# Calendar days and typed days
# ---------------------------------------------------------------------------


def test_calendar_days_landing_on_a_sunday_move_to_monday() -> None:
    # Fri 06/03/2026 + 2 days = Sun 08/03 -> Mon 09/03.
    assert deadline("2 dias", date(2026, 3, 6)) == date(2026, 3, 9)


def test_calendar_days_landing_on_carnaval_move_past_it() -> None:
    # Sat 07/02/2026 + 9 = Mon 16/02 (Carnaval), 17/02 too; Ash Wednesday is a working day.
    assert deadline("9 dias", date(2026, 2, 7)) == date(2026, 2, 18)


def test_calendar_days_on_a_working_day_stay() -> None:
    assert deadline("5 dias", date(2026, 3, 2)) == date(2026, 3, 7 + 2)  # Mon + 5 = Sat -> Mon
    assert deadline("3 dias", date(2026, 3, 2)) == date(2026, 3, 5)
    assert deadline("30 dias corridos", date(2026, 3, 2)) == date(2026, 4, 1)
    assert deadline("em 10 dias", date(2026, 3, 2)) == date(2026, 3, 12)
    assert deadline("2 semanas", date(2026, 3, 2)) == date(2026, 3, 16)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15/12", date(2026, 12, 15)),
        ("15/12/2026", date(2026, 12, 15)),
        ("sexta", date(2026, 11, 27)),
        ("amanhã", date(2026, 11, 24)),
        ("hoje", date(2026, 11, 23)),
    ],
)
def test_a_typed_day_is_the_deadline(text: str, expected: date) -> None:
    assert deadline(text, date(2026, 11, 23)) == expected  # a Monday


def test_a_typed_day_on_a_holiday_moves_to_the_next_working_day() -> None:
    # 25/12/2026 is Natal (a Friday): the prazo ends on Monday 28/12.
    assert deadline("25/12", date(2026, 11, 23)) == date(2026, 12, 28)
    # Friday + "amanhã" = Saturday -> Monday.
    assert deadline("amanhã", date(2026, 3, 6)) == date(2026, 3, 9)


@pytest.mark.parametrize(
    "text",
    ["10/11/2026", "sexta passada", "ontem", "01/11", "16/11", "dia 20"],
)
def test_a_past_day_is_refused(text: str) -> None:
    with pytest.raises(UserError) as caught:
        deadline(text, date(2026, 11, 23))
    assert caught.value.key == "{when} has already passed."
    assert caught.value.example == DEADLINE_EXAMPLE


def test_a_day_without_year_is_the_nearest_such_day() -> None:
    # Typed on 08/12, "01/12" was last week (refused above), not next December; a January
    # day typed in December is next month's.
    with pytest.raises(UserError) as caught:
        deadline("01/12", date(2026, 12, 8))
    assert caught.value.params["when"] == "01/12"
    assert deadline("15/01", date(2026, 12, 8)) == date(2027, 1, 15)
    assert deadline("05/03", date(2026, 12, 8)) == date(2027, 3, 5)


@pytest.mark.parametrize("text", ["0 dias", "0 dias úteis", "366 dias", "400 dias úteis"])
def test_zero_or_more_than_a_year_of_days_is_refused(text: str) -> None:
    with pytest.raises(UserError) as caught:
        deadline(text, date(2026, 11, 23))
    assert caught.value.key == "The deadline must be from 1 to {max} days, not {days}."
    assert caught.value.example == DEADLINE_EXAMPLE


def test_a_day_more_than_a_year_away_is_refused() -> None:
    with pytest.raises(UserError) as caught:
        deadline("15/12/2030", date(2026, 11, 23))
    assert caught.value.params["date"] == "15/12/2030"


@pytest.mark.parametrize("text", ["", "   ", "garbage", "blá blá", "10", "dez dias", "logo"])
def test_garbage_is_refused_with_the_encaminhar_example(text: str) -> None:
    with pytest.raises(UserError) as caught:
        deadline(text, date(2026, 11, 23))
    error = caught.value
    assert error.key.startswith("I didn't understand the deadline")
    assert error.example == DEADLINE_EXAMPLE
    with use_locale("pt_BR"):
        rendered = error.render()
    assert "Não entendi o prazo" in rendered
    assert "/encaminhar Saúde, CREAS | 10 dias úteis" in rendered


def test_an_impossible_day_keeps_its_reason_and_gets_the_encaminhar_example() -> None:
    with pytest.raises(UserError) as caught:
        deadline("31/02", date(2026, 11, 23))
    assert "fevereiro" in caught.value.render()
    assert caught.value.example == DEADLINE_EXAMPLE


def test_an_unknown_state_is_refused() -> None:
    with pytest.raises(UserError):
        deadline("10 dias úteis", date(2026, 11, 23), "XX")


def test_days_overdue_counts_from_the_day_after_the_deadline() -> None:
    due = date(2026, 3, 10)
    assert days_overdue(due, date(2026, 3, 1)) == 0
    assert days_overdue(due, due) == 0
    assert days_overdue(due, date(2026, 3, 11)) == 1
    assert days_overdue(due, date(2026, 3, 17)) == 7


# ---------------------------------------------------------------------------
# The escalation ladder
# ---------------------------------------------------------------------------


def utc(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_default_ladder_in_sao_paulo_is_at_9h_local() -> None:
    due = date(2026, 3, 10)
    assert ladder_times(due, Ladder(), tz=SP) == [
        (Step.REMINDER, utc(2026, 3, 8, 12)),
        (Step.GROUP, utc(2026, 3, 11, 12)),
        (Step.PRIVATE, utc(2026, 3, 13, 12)),
        (Step.EMAIL, utc(2026, 3, 15, 12)),
        (Step.AGENDA, utc(2026, 3, 17, 12)),
    ]


def test_default_ladder_in_manaus_is_one_hour_later_in_utc() -> None:
    due = date(2026, 3, 10)
    times = ladder_times(due, Ladder(), tz=MANAUS)
    assert [instant for _step, instant in times] == [
        utc(2026, 3, 8, 13),
        utc(2026, 3, 11, 13),
        utc(2026, 3, 13, 13),
        utc(2026, 3, 15, 13),
        utc(2026, 3, 17, 13),
    ]
    assert all(instant.tzinfo is UTC for _step, instant in times)


def test_ladder_time_of_day_and_custom_days() -> None:
    ladder = Ladder(remind_before=0, group=2, private=4, email=6, agenda=6)
    times = ladder_times(date(2026, 12, 30), ladder, tz=SP, at=time(14, 30))
    assert times == [
        (Step.REMINDER, utc(2026, 12, 30, 17, 30)),
        (Step.GROUP, utc(2027, 1, 1, 17, 30)),
        (Step.PRIVATE, utc(2027, 1, 3, 17, 30)),
        (Step.EMAIL, utc(2027, 1, 5, 17, 30)),
        (Step.AGENDA, utc(2027, 1, 5, 17, 30)),
    ]


def test_steps_turned_off_are_left_out_of_the_ladder() -> None:
    ladder = Ladder(private=0, email=0)
    steps = [step for step, _ in ladder_times(date(2026, 3, 10), ladder, tz=SP)]
    assert steps == [Step.REMINDER, Step.GROUP, Step.AGENDA]


def test_parse_ladder_reads_the_coordinator_setting() -> None:
    assert parse_ladder("lembrete 2 grupo 1 privado 3 email 5 pauta 7") == Ladder()
    assert parse_ladder("Lembrete: 3, Grupo: 2d, Privado 4 dias, E-mail 6, Pauta 10") == Ladder(
        remind_before=3, group=2, private=4, email=6, agenda=10
    )


def test_parse_ladder_keeps_the_steps_not_named() -> None:
    assert parse_ladder("email 6") == Ladder(email=6)
    base = Ladder(remind_before=5, group=2, private=4, email=6, agenda=9)
    assert parse_ladder("pauta 12", base=base) == Ladder(
        remind_before=5, group=2, private=4, email=6, agenda=12
    )


def test_parse_ladder_turns_a_step_off_with_zero_or_off() -> None:
    assert parse_ladder("privado 0 email off") == Ladder(private=0, email=0)
    assert parse_ladder("email 7 pauta 7").agenda == 7  # agenda may share the e-mail's day


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("", "Missing the days of the escalation ladder"),
        ("grupo", "{step}: missing the number of days"),
        ("grupo privado 3", "{step}: missing the number of days"),
        ("grupo x", "{step}: write a number of days from {min} to {max}"),
        ("grupo 61", "{step}: write a number of days from {min} to {max}"),
        ("pauta 100", "{step}: write a number of days from {min} to {max}"),
        ("pauta 0", "{step}: write a number of days from {min} to {max}"),
        ("pauta off", "{step}: write a number of days from {min} to {max}"),
        ("sms 3", "I didn't understand '{value}' in the escalation ladder"),
        ("grupo 1 grupo 2", "{step} appears twice."),
        ("grupo 4 privado 3", "{later} ({later_days}) must come after"),
        ("privado 5 email 5", "{later} ({later_days}) must come after"),
        ("email 8 pauta 7", "{later} ({later_days}) cannot come before"),
        ("privado 0 grupo 6", "{later} ({later_days}) must come after"),
    ],
)
def test_parse_ladder_refuses_bad_settings(text: str, key: str) -> None:
    with pytest.raises(UserError) as caught:
        parse_ladder(text)
    assert caught.value.key.startswith(key)
    with use_locale("pt_BR"):
        assert caught.value.render()


def test_a_ladder_out_of_order_names_both_steps() -> None:
    with pytest.raises(UserError) as caught:
        parse_ladder("grupo 4 privado 3")
    assert caught.value.params == {
        "later": "privado",
        "later_days": 3,
        "earlier": "grupo",
        "earlier_days": 4,
    }
    with use_locale("pt_BR"):
        assert caught.value.render() == "privado (3) tem que vir depois de grupo (4)."


def test_a_ladder_built_in_code_is_checked_too() -> None:
    with pytest.raises(UserError):
        Ladder(group=5, private=3)
    with pytest.raises(UserError):
        Ladder(remind_before=-1)


# ---------------------------------------------------------------------------
# Periods of action plans
# ---------------------------------------------------------------------------

# Every Período of seed 002, as the seed writes it (Word line breaks included), with the
# plan year of its table (2015; 2016-2019; 2017-2019) and the expected end and label.
SEED_002_PERIODS = [
    ("Maio", 2015, date(2015, 5, 31), "maio"),
    ("Maio e Junho", 2015, date(2015, 6, 30), "maio e junho"),
    ("Junho/\nJulho", 2015, date(2015, 7, 31), "junho e julho"),
    ("Julho", 2015, date(2015, 7, 31), "julho"),
    ("Agosto", 2015, date(2015, 8, 31), "agosto"),
    ("A partir de agosto", 2015, date(2015, 12, 31), "a partir de agosto"),
    ("Setembro", 2015, date(2015, 9, 30), "setembro"),
    ("Outubro", 2015, date(2015, 10, 31), "outubro"),
    ("Novembro", 2015, date(2015, 11, 30), "novembro"),
    ("\nDezembro", 2015, date(2015, 12, 31), "dezembro"),
    ("Mensalmente", 2016, date(2016, 12, 31), "mensal"),
    ("Janeiro/2016", 2016, date(2016, 1, 31), "janeiro/2016"),
    ("Março/2016", 2016, date(2016, 3, 31), "março/2016"),
    (
        "Abril, maio, junho e julho/2016",
        2016,
        date(2016, 7, 31),
        "abril, maio, junho e julho/2016",
    ),
    ("A partir dos cadastramentos", 2016, date(2016, 12, 31), "a partir dos cadastramentos"),
    ("Dezembro/2016", 2016, date(2016, 12, 31), "dezembro/2016"),
    ("Janeiro/2017", 2017, date(2017, 1, 31), "janeiro/2017"),
    ("Março/2017", 2017, date(2017, 3, 31), "março/2017"),
    (
        "Abril, maio, junho e julho/2017",
        2017,
        date(2017, 7, 31),
        "abril, maio, junho e julho/2017",
    ),
    (
        "A partir dos cadastramentos/2017",
        2017,
        date(2017, 12, 31),
        "a partir dos cadastramentos/2017",
    ),
    (
        "A partir de Março/2017 \nCom atualizações anuais 2018/2019",
        2017,
        date(2019, 12, 31),
        "a partir de março/2017, com atualizações anuais até 2019",
    ),
    ("\nAnualmente ", 2017, date(2017, 12, 31), "anual"),
]

ISSUE_PERIODS = [
    ("Maio e Junho", 2026, date(2026, 6, 30), "maio e junho"),
    ("A partir de agosto", 2026, date(2026, 12, 31), "a partir de agosto"),
    ("Mensalmente", 2026, date(2026, 12, 31), "mensal"),
    ("Janeiro/2016", 2026, date(2016, 1, 31), "janeiro/2016"),
]

OTHER_PERIODS = [
    ("Julho a Setembro", 2026, date(2026, 9, 30), "julho a setembro"),
    ("de julho à setembro", 2026, date(2026, 9, 30), "julho a setembro"),
    ("jul-set", 2026, date(2026, 9, 30), "julho a setembro"),
    ("entre julho e setembro", 2026, date(2026, 9, 30), "julho a setembro"),
    ("Novembro a fevereiro", 2026, date(2027, 2, 28), "novembro a fevereiro"),
    ("2º semestre", 2026, date(2026, 12, 31), "2º semestre"),
    ("1º semestre de 2027", 2026, date(2027, 6, 30), "1º semestre/2027"),
    ("3º trimestre", 2026, date(2026, 9, 30), "3º trimestre"),
    ("Até dezembro", 2026, date(2026, 12, 31), "até dezembro"),
    ("Até 15/12", 2026, date(2026, 12, 15), "até 15/12"),
    ("15/12/2027", 2026, date(2027, 12, 15), "15/12/2027"),
    ("05/2027", 2026, date(2027, 5, 31), "maio/2027"),
    ("Permanente", 2026, date(2026, 12, 31), "contínuo"),
    ("Semanalmente", 2026, date(2026, 12, 31), "semanal"),
    ("Até o fim do ano", 2026, date(2026, 12, 31), "até o fim do ano"),
]


@pytest.mark.parametrize(("text", "year", "end", "label"), SEED_002_PERIODS)
def test_every_period_of_seed_002_has_an_end(text: str, year: int, end: date, label: str) -> None:
    assert period_end(text, year=year) == (end, label)


@pytest.mark.parametrize(("text", "year", "end", "label"), ISSUE_PERIODS + OTHER_PERIODS)
def test_periods_of_the_issue_and_common_forms(text: str, year: int, end: date, label: str) -> None:
    assert period_end(text, year=year) == (end, label)


@pytest.mark.parametrize(
    "text", ["xyz", "", "Maio e", "31/02", "5º semestre", "A partir de maio e junho", "13/2016"]
)
def test_an_unknown_period_is_refused_naming_it(text: str) -> None:
    with pytest.raises(UserError) as caught:
        period_end(text, year=2026)
    assert caught.value.key == "I didn't understand the period '{text}'."
    assert caught.value.params == {"text": text}
    assert caught.value.example == "Maio e Junho"
    with use_locale("pt_BR"):
        assert caught.value.render().startswith(f"Não entendi o período “{text}”.")


# ---------------------------------------------------------------------------
# Responsible sectors
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "names"),
    [
        (
            "Equipe SIPIA/SEJUDH/UAGE/JUSTIÇA SETAS",
            ["Equipe SIPIA", "SEJUDH", "UAGE", "JUSTIÇA", "SETAS"],
        ),
        (
            "Equipe SIPIA/\nSEJUDH/UAGE/JUSTIÇA\nSETAS",
            ["Equipe SIPIA", "SEJUDH", "UAGE", "JUSTIÇA", "SETAS"],
        ),
        ("Equipe SIPIA/ JUSTIÇA\nSETAS", ["Equipe SIPIA", "JUSTIÇA", "SETAS"]),
        (
            "Instituições de Ensino parceiras SEJUDH/SETAS/\nJUSTIÇA/CEDECA",
            ["Instituições de Ensino parceiras", "SEJUDH", "SETAS", "JUSTIÇA", "CEDECA"],
        ),
        (
            "\nSEJUDH/SETAS/\nJUSTIÇA/CEDECA\nInstituições de Ensino parceiras",
            ["SEJUDH", "SETAS", "JUSTIÇA", "CEDECA", "Instituições de Ensino parceiras"],
        ),
        ("Saúde e Educação", ["Saúde", "Educação"]),
        ("CRAS, CREAS; Conselho Tutelar", ["CRAS", "CREAS", "Conselho Tutelar"]),
        ("CONSELHO TUTELAR/CAPS AD", ["CONSELHO TUTELAR", "CAPS AD"]),
        ("VARA DA INFÂNCIA E JUVENTUDE", ["VARA DA INFÂNCIA", "JUVENTUDE"]),
        ("SIPIA/C.T", ["SIPIA", "C.T"]),
        ("CRAS/cras/CRAS", ["CRAS"]),
        (" / \n", []),
    ],
)
def test_responsible_cells_split_into_names(cell: str, names: list[str]) -> None:
    assert split_responsible(cell) == names


# ---------------------------------------------------------------------------
# Action plan tables: seed 002, faithfully
# ---------------------------------------------------------------------------

EQUIPE_FULL = "Equipe SIPIA/\nSEJUDH/UAGE/JUSTIÇA\nSETAS"
EQUIPE_NAMES = ["Equipe SIPIA", "SEJUDH", "UAGE", "JUSTIÇA", "SETAS"]
EXPANSAO = "SEJUDH/SETAS/\nJUSTIÇA/CEDECA"
EXPANSAO_NAMES = ["SEJUDH", "SETAS", "JUSTIÇA", "CEDECA"]

# (Ação, Tarefas, Período, Responsável) rows of seed 002's three Word tables, with the
# action written once for the tasks below it (blank Ação cells), as in the seed.
SEED_002_TABLE_2015 = (
    ["2015- PLANO DE AÇÃO", "Organização e Fortalecimento do SIPIA"],
    [
        (
            "1. Conclusão implantação e implementação do Módulo SINASE nas 08 unidades do "
            "Sistema de Atendimento Socioeducativo.",
            "Visitas às unidades de alimentação do SIPIA nas 08 unidades socioeducativas "
            "(Cuiabá, Cáceres, Sinop, Barra do Garças, Rondonópolis), conclusão de "
            "capacitação dos operadores SIPIA,",
            "\nMaio",
            "\nEquipe SIPIA/SEJUDH",
        ),
        (
            "",
            "Levantamento e elaboração de diagnóstico do uso do SIPIA e nas 08 unidades "
            "socioeducativas (Cuiabá, Cáceres, Sinop, Barra do Garças, Rondonópolis)",
            "\nMaio e Junho",
            "Equipe SIPIA/SEJUDH",
        ),
        (
            "",
            "Definição de equipe de alimentação do SIPIA: equipe setorial (nas unidades), "
            "coordenação (UAGE)",
            "Maio e Junho",
            "Equipe SIPIA/SEJUDH",
        ),
        ("", "Elaborar Plano de capacitação dos gestores do SIPIA", "Julho", "Equipe SIPIA/SEJUDH"),
        (
            "2. Constituição da Equipe de Trabalho do SIPIA/MT e identificação do corpo técnico "
            "para a operação do sistema para uso em meio aberto nas 06 cidades onde existe "
            "unidade do socioeducativo",
            "[bookmark: _GoBack]Reunir com os representantes do Meio Aberto/SETAS, da "
            "Justiça/CIJ, meio fechado/SEJUDH e SIPIA/C.T para apresentar, validar e "
            "encaminhar proposta de implantação e implementação do SIPIA em MT.",
            "\nJunho/\nJulho",
            EQUIPE_FULL,
        ),
        (
            "",
            "Elaborar instrumental de criação e regulamentação da Equipe Trabalho do SIPIA de "
            "Mato Grosso e preparar Termo de Cooperação entre os órgãos e instituições do "
            "SIPIA.",
            "\nJulho",
            EQUIPE_FULL,
        ),
        (
            "",
            "Encaminhar para publicação ato normativo de criação da Equipe Trabalho do SIPIA.",
            "\nJulho",
            EQUIPE_FULL,
        ),
        (
            "",
            "Definir estratégia de articulação com operadores do SIPIA nos 06 municípios com "
            "unidades Socioeducativas (Visitas e reuniões)",
            "\nJulho",
            EQUIPE_FULL,
        ),
        (
            "",
            "Definir instrumental de levantamento do uso do SIPIA para Meio Aberto e Justiça.",
            "\nJulho",
            EQUIPE_FULL,
        ),
        (
            "",
            "Encaminhar instrumental de levantamento para CREAS, CRAS e Justiça que tenham "
            "unidades Socioeducativas",
            "\nJulho",
            "Equipe SIPIA/JUSTIÇA\nSETAS",
        ),
        (
            "",
            "Elaborar relatório diagnóstico do uso do SIPIA no Meio Aberto e Justiça nos "
            "municípios que tenham unidades socioeducativas",
            "\nJulho",
            EQUIPE_FULL,
        ),
        (
            "3. Articulação da SEJUDH com a SETAS/Justiça/CT",
            "Articular junto a SDH/MDS no Observatório de Direito da Infância e Adolescência "
            "para efetivação de capacitação para 2016",
            "\nJulho",
            EQUIPE_FULL,
        ),
        (
            "4. ",
            "Buscar recursos financeiros para apoio aos municípios na implantação do "
            "SIPIA/SINASE (Equipamentos, rede de internet e mobiliário)",
            "\nAgosto",
            EQUIPE_FULL,
        ),
        (
            "",
            "Capacitar os operadores do SIPIA/SINASE Meio Aberto, Justiça e SIPIA/CT nos 06 "
            "municípios que possuem unidades socioeducativas.",
            "\nAgosto",
            EQUIPE_FULL,
        ),
        (
            "5.  Acompanhamento da implementação e implantação do SIPIA SINASE e CT",
            "Monitorar uso do SIPIA Meio Aberto, Justiça a partir do cadastramento no sistema. "
            "(CT)",
            "A partir de agosto",
            "Equipe SIPIA/ JUSTIÇA\nSETAS",
        ),
        (
            "",
            "Levantamento de uso do SIPIA nos municípios que não possuem unidades "
            "socioeducativas e alto índice de MSE/LA/PSC",
            "\nSetembro",
            "Equipe SIPIA/\nSEJUDH/UAGE/ JUSTIÇA\nSETAS",
        ),
        (
            "",
            "Elaboração de diagnostico de uso do SIPIA nos municípios que não possuem unidades "
            "socioeducativas e alto índice de MSE/LA/PSC",
            "Outubro",
            EQUIPE_FULL,
        ),
        (
            "",
            "Avaliar e produzir relatório da implantação e implementação do SIPIA nos "
            "municípios com unidades socioeducativas do Estado.",
            "Novembro",
            EQUIPE_FULL,
        ),
        (
            "",
            "Apresentação e/ou encaminhamento de relatório de implantação/implementação do "
            "SIPIA/SINASE",
            "\nDezembro",
            "SEJUDH/UAGE/JUSTIÇA\nSETAS",
        ),
    ],
)

_TASKS_2016_2019 = [
    (
        "Articulação com a SETAS, Conselho Estadual e Municipais de Direitos de Crianças e "
        "Adolescentes e Conselhos Tutelares para implementação e implantação do Módulo CT"
    ),
    (
        "Sugerir a criação de Grupo Gestor Municipal do SIPIA para gestão das informações e "
        "insumo da política de proteção dos direitos da infância e adolescência. (CREAS, "
        "Gestores Municipais A. Social, Comarcas e CT?)"
    ),
    "Sugerir modelo de ato normativo para regulamentação do Grupo Gestor Municipal do SIPIA",
    (
        "Articular e mobilizar Gestores Municipais da situação do SIPIA no Município e sua "
        "importância para gestão das políticas públicas voltadas à infância e adolescência."
    ),
]
_CRIAR = "Criar documento de orientação para implantação/implementação do SIPIA nos municípios"
_DEFINIR = (
    "Definir estratégia de articulação com Secretarias Municipais de Assistência Social, "
    "Comarcas e Conselhos Tutelares para capacitação dos operadores municipais do SIPIA;"
)
_PARCERIA = (
    "1. Parceria para implementação com a Secretaria de Trabalho Emprego e Assistência "
    "Social- SETAS do Módulo SINASE para o meio aberto, Justiça e CT nos municípios que não "
    "possuem unidades socioeducativas e apresentam {indices} de medidas socioeducativas em "
    "meio aberto{sep} (L.A, P.S.C.)"
)
_MONITORAMENTO = "4. Monitoramento da implantação e implementação do SIPIA/MT"
_RELATORIOS = (
    "Avaliar e Produzir relatórios anuais das fases de implantação e implementação do SIPIA."
)

SEED_002_TABLE_2016 = (
    ["2016, 2017, 2018,2019 (Expansão do SIPIA) – Municípios com altos índices de MSE-Meio Aberto"],
    [
        (
            _PARCERIA.format(indices="índices elevados", sep="."),
            "Promover reuniões da Equipe de Trabalho Estadual do SIPIA;",
            "Mensalmente",
            EXPANSAO,
        ),
        ("2. ", _CRIAR, "Janeiro/2016", EXPANSAO),
        ("", _DEFINIR, "Janeiro/2016", EXPANSAO),
        ("", _TASKS_2016_2019[0], "Janeiro/2016", "\n" + EXPANSAO),
        ("", _TASKS_2016_2019[1], "Março/2016", EXPANSAO),
        ("", _TASKS_2016_2019[2], "Março/2016", EXPANSAO),
        ("", _TASKS_2016_2019[3], "Março/2016", EXPANSAO),
        (
            "",
            "Capacitar os operadores do SIPIA/SINASE Meio Aberto, Justiça e CT nos demais "
            "municípios;",
            "Abril, maio, junho e julho/2016",
            "SETAS/\nJUSTIÇA/CEDECA",
        ),
        (
            "",
            "Monitorar uso do SIPIA Meio Aberto, Justiça e CT",
            "A partir dos cadastramentos",
            "SETAS/\nJUSTIÇA/CEDECA",
        ),
        (
            "",
            "Efetuar levantamento de uso do SIPIA nos municípios que não possuem unidades "
            "socioeducativas e baixo índice de M.S.E./LA/PSC",
            "\nSetembro",
            "SETAS/\nJUSTIÇA/CEDECA",
        ),
        (
            "3. Elaboração de Plano de Capacitação da rede de atendimento",
            "Proposição do Plano de Capacitação da rede de atendimento para elaboração do Plano "
            "de Atendimento Individual e Familiar para o funcionamento da Rede de Proteção "
            "(instituições públicas e privadas que ofereçam recursos e equipamentos voltados ao "
            "desenvolvimento psicossocial e cultural da criança e adolescente).",
            "Março/2016",
            "\nSEJUDH/SETAS/\nJUSTIÇA/CEDECA\nInstituições de Ensino parceiras",
        ),
        (_MONITORAMENTO, _RELATORIOS, "Dezembro/2016", EXPANSAO),
    ],
)

SEED_002_TABLE_2017 = (
    ["2017, 2018,2019 (Expansão do SIPIA) – Municípios com baixos índices de MSE-Meio Aberto"],
    [
        (
            _PARCERIA.format(indices="baixos índices", sep=""),
            "Promover reuniões da Equipe Gestora Estadual do SIPIA;",
            "Mensalmente",
            EXPANSAO,
        ),
        ("2. ", _CRIAR, "Janeiro/2017", EXPANSAO),
        ("", _DEFINIR, "\nJaneiro/2017", "\n" + EXPANSAO),
        ("", _TASKS_2016_2019[0], "Janeiro/2017", "\n" + EXPANSAO),
        ("", _TASKS_2016_2019[1], "Março/2017", "\n" + EXPANSAO),
        ("", _TASKS_2016_2019[2], "Março/2017", EXPANSAO),
        ("", _TASKS_2016_2019[3], "Março/2017", EXPANSAO),
        (
            "",
            "Capacitar os operadores do SIPIA/SINASE Meio Aberto, Justiça e CT nos demais "
            "municípios;",
            "Abril, maio, junho e julho/2017",
            "SETAS/\nJUSTIÇA/CEDECA",
        ),
        (
            "",
            "Monitorar uso do SIPIA Meio Aberto, Justiça e CT;",
            "A partir dos cadastramentos/2017",
            "SETAS/\nJUSTIÇA/CEDECA",
        ),
        (
            "3. Execução da capacitação da rede de atendimento ",
            "Executar o Plano de Capacitação da rede de atendimento para elaboração do Plano de "
            "Atendimento Individual e Familiar para o funcionamento da Rede de Proteção.",
            "A partir de Março/2017 \nCom atualizações anuais 2018/2019",
            "Instituições de Ensino parceiras SEJUDH/SETAS/\nJUSTIÇA/CEDECA",
        ),
        (_MONITORAMENTO, _RELATORIOS, "\nAnualmente ", EXPANSAO + "\n "),
    ],
)

HEADER = ("Ação", "Tarefas", "Período", "Responsável")
Table = tuple[list[str], list[tuple[str, str, str, str]]]


def sheet_rows(*tables: Table) -> list[list[str]]:
    """The rows as pasted into one sheet: each table's title rows, header, then tasks."""
    rows: list[list[str]] = []
    for titles, tasks in tables:
        rows.extend([title, "", "", ""] for title in titles)
        rows.append(list(HEADER))
        rows.extend(list(task) for task in tasks)
        rows.append(["", "", "", ""])
    return rows


def make_csv(rows: list[list[str]], *, delimiter: str = ";", encoding: str = "utf-8-sig") -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=delimiter).writerows(rows)
    return buffer.getvalue().encode(encoding)


def make_xlsx(rows: Sequence[Sequence[object]], merge_actions: bool = False) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append([value if value != "" else None for value in row])
    if merge_actions:  # merged Ação cells: only the top one holds the text, as in Word
        last = sheet.max_row
        for top in range(1, last + 1):
            if sheet.cell(top, 1).value is None or sheet.cell(top, 2).value is None:
                continue
            bottom = top
            while (
                bottom < last
                and sheet.cell(bottom + 1, 1).value is None
                and sheet.cell(bottom + 1, 2).value is not None
            ):
                bottom += 1
            if bottom > top:
                sheet.merge_cells(start_row=top, end_row=bottom, start_column=1, end_column=1)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def check_table_2015(tasks: list[PlanTask]) -> None:
    assert len(tasks) == 19
    first = tasks[0]
    assert first.action.startswith("1. Conclusão implantação e implementação do Módulo SINASE")
    assert first.task.startswith("Visitas às unidades de alimentação do SIPIA")
    assert (first.period, first.deadline) == ("maio", date(2015, 5, 31))
    assert first.responsible == ["Equipe SIPIA", "SEJUDH"]
    # The action is written once for four tasks.
    assert {task.action for task in tasks[:4]} == {first.action}
    assert [task.period for task in tasks[:4]] == ["maio", "maio e junho", "maio e junho", "julho"]
    reunir = tasks[4]
    assert reunir.action.startswith("2. Constituição da Equipe de Trabalho do SIPIA/MT")
    assert reunir.task.startswith(
        "Reunir com os representantes do Meio Aberto/SETAS"
    )  # no bookmark
    assert (reunir.period, reunir.deadline) == ("junho e julho", date(2015, 7, 31))
    assert reunir.responsible == EQUIPE_NAMES
    assert {task.action for task in tasks[4:11]} == {reunir.action}
    assert tasks[9].responsible == ["Equipe SIPIA", "JUSTIÇA", "SETAS"]
    assert tasks[11].action == "3. Articulação da SEJUDH com a SETAS/Justiça/CT"
    assert [task.action for task in tasks[12:14]] == ["4.", "4."]
    monitorar = tasks[14]
    assert (
        monitorar.action == "5. Acompanhamento da implementação e implantação do SIPIA SINASE e CT"
    )
    assert (monitorar.period, monitorar.deadline) == ("a partir de agosto", date(2015, 12, 31))
    assert monitorar.responsible == ["Equipe SIPIA", "JUSTIÇA", "SETAS"]
    last = tasks[-1]
    assert (last.period, last.deadline) == ("dezembro", date(2015, 12, 31))
    assert last.responsible == ["SEJUDH", "UAGE", "JUSTIÇA", "SETAS"]
    assert {task.action for task in tasks[14:]} == {monitorar.action}


def check_table_2017(tasks: list[PlanTask]) -> None:
    assert len(tasks) == 11
    assert (tasks[0].period, tasks[0].deadline) == ("mensal", date(2017, 12, 31))
    assert tasks[0].responsible == EXPANSAO_NAMES
    assert [task.action for task in tasks[1:9]] == ["2."] * 8
    assert (tasks[7].period, tasks[7].deadline) == (
        "abril, maio, junho e julho/2017",
        date(2017, 7, 31),
    )
    assert tasks[7].responsible == ["SETAS", "JUSTIÇA", "CEDECA"]
    executar = tasks[9]
    assert executar.action == "3. Execução da capacitação da rede de atendimento"
    assert executar.deadline == date(2019, 12, 31)
    assert executar.responsible == [
        "Instituições de Ensino parceiras",
        "SEJUDH",
        "SETAS",
        "JUSTIÇA",
        "CEDECA",
    ]
    assert (tasks[10].period, tasks[10].deadline) == ("anual", date(2017, 12, 31))


def test_seed_002_as_csv_gives_every_task_with_its_deadline() -> None:
    data = make_csv(sheet_rows(SEED_002_TABLE_2015))
    check_table_2015(parse_plan_table(data, "plano.csv", year=2015))


@pytest.mark.parametrize(
    ("delimiter", "encoding"), [(";", "utf-8-sig"), (",", "utf-8"), ("\t", "cp1252")]
)
def test_csv_delimiter_and_encoding_are_sniffed(delimiter: str, encoding: str) -> None:
    data = make_csv(sheet_rows(SEED_002_TABLE_2017), delimiter=delimiter, encoding=encoding)
    check_table_2017(parse_plan_table(data, "plano.csv", year=2017))


def test_seed_002_as_xlsx_with_merged_action_cells() -> None:
    data = make_xlsx(sheet_rows(SEED_002_TABLE_2015), merge_actions=True)
    check_table_2015(parse_plan_table(data, "plano.xlsx", year=2015))


def test_the_whole_seed_in_one_sheet_reads_its_three_tables() -> None:
    rows = sheet_rows(SEED_002_TABLE_2015, SEED_002_TABLE_2016, SEED_002_TABLE_2017)
    tasks = parse_plan_table(make_xlsx(rows), "plano.xlsx", year=2015)
    assert len(tasks) == 19 + 12 + 11
    check_table_2015(tasks[:19])
    # One plan year (2015) for the whole sheet: periods without a year fall in it, the
    # others keep theirs.
    assert (tasks[19].period, tasks[19].deadline) == ("mensal", date(2015, 12, 31))
    assert tasks[-2].deadline == date(2019, 12, 31)
    expansion = tasks[19:31]
    assert expansion[0].action.startswith("1. Parceria para implementação com a Secretaria")
    assert [task.period for task in expansion[1:4]] == ["janeiro/2016"] * 3
    assert expansion[8].period == "a partir dos cadastramentos"
    assert expansion[10].responsible == [*EXPANSAO_NAMES, "Instituições de Ensino parceiras"]
    assert expansion[11].deadline == date(2016, 12, 31)
    assert plan_deadline(tasks) == date(2019, 12, 31)


def test_the_header_is_found_by_name_in_any_case_and_order() -> None:
    rows = [
        ["Plano de Providências 2026", "", "", "", ""],
        ["", "", "", "", ""],
        ["RESPONSÁVEIS", "Observação", "acao", "Tarefa(s)", "Prazo"],
        ["CRAS e CREAS", "", "1. Busca ativa", "Visitas às famílias", "Julho a Setembro"],
        ["Saúde", "urgente", "", "Consultas", "2º semestre"],
    ]
    tasks = parse_plan_table(make_csv(rows), "p.csv", year=2026)
    assert tasks == [
        PlanTask(
            "1. Busca ativa",
            "Visitas às famílias",
            "julho a setembro",
            date(2026, 9, 30),
            ["CRAS", "CREAS"],
        ),
        PlanTask("1. Busca ativa", "Consultas", "2º semestre", date(2026, 12, 31), ["Saúde"]),
    ]


def test_an_action_heading_row_heads_the_tasks_below_it() -> None:
    rows = [
        list(HEADER),
        ["1. Fortalecer a Rede", "", "", ""],
        ["", "Mapear serviços", "Maio", "CRAS"],
        ["", "Divulgar fluxos", "Junho", "CREAS"],
    ]
    tasks = parse_plan_table(make_csv(rows), "p.csv", year=2026)
    assert [task.action for task in tasks] == ["1. Fortalecer a Rede"] * 2


def test_a_row_with_only_a_cell_second_line_continues_the_task_above() -> None:
    rows = [
        list(HEADER),
        ["1. Capacitar", "Executar o plano", "A partir de Março/2017", "SEJUDH/SETAS/"],
        ["", "", "Com atualizações anuais 2018/2019", "JUSTIÇA/CEDECA"],
    ]
    [task] = parse_plan_table(make_csv(rows), "p.csv", year=2017)
    assert task.deadline == date(2019, 12, 31)
    assert task.responsible == EXPANSAO_NAMES


def test_an_action_without_tasks_is_its_own_task() -> None:
    rows = [list(HEADER), ["Reunião de avaliação", "", "Dezembro", "Coordenação"]]
    [task] = parse_plan_table(make_csv(rows), "p.csv", year=2026)
    assert task.task == task.action == "Reunião de avaliação"


def test_an_excel_date_in_the_period_is_its_month() -> None:
    rows: list[list[object]] = [
        list(HEADER),
        ["1. Ação", "Tarefa", datetime(2016, 1, 1), "CRAS"],
        ["", "Outra", datetime(2026, 12, 15), "CREAS"],
    ]
    tasks = parse_plan_table(make_xlsx(rows), "p.xlsx", year=2026)
    assert [(task.period, task.deadline) for task in tasks] == [
        ("janeiro/2016", date(2016, 1, 31)),
        ("15/12/2026", date(2026, 12, 15)),
    ]


def render_pt(error: UserError) -> str:
    with use_locale("pt_BR"):
        return error.render()


def test_a_bad_period_names_the_sheet_row_and_column() -> None:
    rows = sheet_rows(SEED_002_TABLE_2015)
    rows[6][2] = "xyz"  # the 4th task: row 7 of the sheet (two title rows and the header)
    with pytest.raises(UserError) as caught:
        parse_plan_table(make_csv(rows), "plano.csv", year=2015)
    assert render_pt(caught.value) == (
        "Linha 7 (Período): não entendi “xyz”.\nExemplo: Período: Maio e Junho"
    )


def test_a_bad_row_in_xlsx_fails_the_whole_table() -> None:
    rows = sheet_rows(SEED_002_TABLE_2015)
    rows[-2][3] = ""  # the last task has no Responsável
    with pytest.raises(UserError) as caught:
        parse_plan_table(make_xlsx(rows), "plano.xlsx", year=2015)
    assert render_pt(caught.value).startswith("Linha 22 (Responsável): está em branco.")


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            [list(HEADER), ["1. Ação", "Tarefa", "", "CRAS"]],
            "Linha 2 (Período): está em branco.",
        ),
        (
            [list(HEADER), ["", "Tarefa", "Maio", "CRAS"]],
            "Linha 2 (Ação): a primeira tarefa está sem ação.",
        ),
        (
            [list(HEADER), ["1. Ação", "Tarefa", "Maio", "CRAS"], ["2. Sem tarefas", "", "", ""]],
            "Linha 3 (Ação): esta ação não tem tarefas.",
        ),
        (
            [
                list(HEADER),
                ["1. Sem tarefas", "", "", ""],
                ["2. Ação", "Tarefa", "Maio", "CRAS"],
            ],
            "Linha 2 (Ação): esta ação não tem tarefas.",
        ),
        (
            [list(HEADER), ["1. Ação", "Tarefa", "Maio", " / "]],
            "Linha 2 (Responsável): está em branco.",
        ),
        ([list(HEADER), ["", "", "", ""]], "A tabela não tem tarefas."),
        (
            [["Ação", "Tarefa", "Quando"], ["1", "x", "Maio"]],
            "Faltou coluna na tabela: Período, Responsável.",
        ),
    ],
)
def test_bad_tables_are_refused_with_the_row_and_column(
    rows: list[list[str]], message: str
) -> None:
    with pytest.raises(UserError) as caught:
        parse_plan_table(make_csv(rows), "p.csv", year=2026)
    assert render_pt(caught.value).startswith(message)


def test_only_csv_or_xlsx_files_are_read() -> None:
    with pytest.raises(UserError) as caught:
        parse_plan_table(b"x", "plano.docx", year=2026)
    assert "plano.docx" in render_pt(caught.value)
    with pytest.raises(UserError) as caught:
        parse_plan_table(b"not a zip", "plano.xlsx", year=2026)
    assert render_pt(caught.value).startswith("Não consegui abrir plano.xlsx")


# ---------------------------------------------------------------------------
# Seed 004, art. 6 §3: a Plano de Providências is concluded only when all is done
# ---------------------------------------------------------------------------


def test_a_plan_is_concluded_only_when_every_action_is_done() -> None:
    assert plan_concluded([True, True, True])
    assert not plan_concluded([True, False, True])
    assert not plan_concluded([])


def test_the_plan_deadline_is_its_latest_task() -> None:
    tasks = [
        PlanTask("a", "t1", "maio", date(2026, 5, 31), ["CRAS"]),
        PlanTask("a", "t2", "2º semestre", date(2026, 12, 31), ["CREAS"]),
    ]
    assert plan_deadline(tasks) == date(2026, 12, 31)
    assert plan_deadline([]) is None
