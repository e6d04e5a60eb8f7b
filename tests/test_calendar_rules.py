"""Rules of the ordinary meetings' calendar: rule parsing, holidays, table import, ICS."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from openpyxl import Workbook

from bot.errors import UserError
from bot.i18n import use_locale
from bot.rules.calendar import (
    IcsEvent,
    MeetingRule,
    PlannedMeeting,
    _ics_template,
    build_ics,
    generate_year,
    holidays_for,
    next_working_day,
    nth_weekday,
    parse_rule,
    parse_table,
)

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
RULE = MeetingRule(ordinal=2, weekday=1, at=time(14), place="CRAS")

# The seed's "Calendário Mensal das Reuniões Ordinárias" (Data blank, as in the document).
SEED_ROWS: list[tuple[str, str, str, str, str]] = [
    ("Janeiro", "", "14h", "CRAS", "Planejamento anual da Rede"),
    ("Fevereiro", "", "14h", "CRAS", "Alinhamento dos fluxos de atendimento"),
    ("Março", "", "14h", "CRAS", "Caso complexos /demanda saúde"),
    ("Abril", "", "14h", "CRAS", "Atualização do Fluxo de comunicação"),
    ("Maio", "", "14h", "CRAS", "Avaliação do primeiro quadrimestre"),
    ("Junho", "", "14h", "CRAS", "Articulação Rede e Conselho Tutelar"),
    ("Julho", "", "14h", "CRAS", "Recesso escolar / monitoramento de vulnerabilidades"),
    ("Agosto", "", "14h", "CRAS", "Casos de violência\n\ne medidas de proteção"),
    ("Setembro", "", "14h", "CRAS", "Revisão de fluxos e protocolos"),
    ("Outubro", "", "14h", "CRAS", "Ações integradas para campanhas preventivas"),
    ("Novembro", "", "14h", "CRAS", "Avaliação anual parcial"),
    ("Dezembro", "", "14h", "CRAS", "Encerramento, relatório anual e planejamento."),
]
SEED_HEADER = ("Mês", "Data", "Horário", "Local", "Observações")

# 2ª terça of each month of 2026 (none of them is a holiday, national, PR or SP).
SECOND_TUESDAYS_2026 = [
    date(2026, 1, 13),
    date(2026, 2, 10),
    date(2026, 3, 10),
    date(2026, 4, 14),
    date(2026, 5, 12),
    date(2026, 6, 9),
    date(2026, 7, 14),
    date(2026, 8, 11),
    date(2026, 9, 8),
    date(2026, 10, 13),
    date(2026, 11, 10),
    date(2026, 12, 8),
]


def _csv(
    rows: list[tuple[object, ...]],
    *,
    delimiter: str = ";",
    encoding: str = "utf-8",
    header: tuple[str, ...] = SEED_HEADER,
) -> bytes:
    def cell(value: object) -> str:
        text = "" if value is None else str(value)
        if any(ch in text for ch in (delimiter, "\n", '"')):
            return '"' + text.replace('"', '""') + '"'
        return text

    lines = [delimiter.join(cell(v) for v in row) for row in [header, *rows]]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def _xlsx(rows: list[tuple[object, ...]], header: tuple[str, ...] = SEED_HEADER) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    workbook.create_sheet("Outra aba").append(["nada", "a", "ver"])
    buf = io.BytesIO()
    workbook.save(buf)
    return buf.getvalue()


def _pt(exc: pytest.ExceptionInfo[UserError]) -> str:
    with use_locale("pt_BR"):
        return exc.value.render()


def _assert_seed_meetings(meetings: list[PlannedMeeting]) -> None:
    assert [m.day for m in meetings] == SECOND_TUESDAYS_2026
    assert {m.at for m in meetings} == {time(14)}
    assert {m.place for m in meetings} == {"CRAS"}
    assert meetings[0].topic == "Planejamento anual da Rede"
    assert meetings[7].topic == "Casos de violência e medidas de proteção"
    assert meetings[11].topic == "Encerramento, relatório anual e planejamento."


# --- parse_rule ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2ª terça 14h CRAS", MeetingRule(2, 1, time(14), "CRAS")),
        ("2a terça 14h CRAS", MeetingRule(2, 1, time(14), "CRAS")),
        ("segunda terça do mês às 14h no CRAS", MeetingRule(2, 1, time(14), "CRAS")),
        ("2ª terca 14h30 CREAS Centro", MeetingRule(2, 1, time(14, 30), "CREAS Centro")),
        ("última sexta 9h Câmara Municipal", MeetingRule(-1, 4, time(9), "Câmara Municipal")),
        ("1º segunda 8h30 CRAS", MeetingRule(1, 0, time(8, 30), "CRAS")),
        (
            "terceira quinta às 14h na Secretaria de Saúde",
            MeetingRule(3, 3, time(14), "Secretaria de Saúde"),
        ),
        ("toda 2ª terça-feira, às 14:00, no CRAS.", MeetingRule(2, 1, time(14), "CRAS")),
        ("quinta quinta 14 h CRAS", MeetingRule(5, 3, time(14), "CRAS")),
        ("4ª quarta feira 9h em Escola Municipal", MeetingRule(4, 2, time(9), "Escola Municipal")),
    ],
)
def test_parse_rule_understands_how_coordinators_write_it(text: str, expected: MeetingRule) -> None:
    assert parse_rule(text) == expected


@pytest.mark.parametrize(
    ("text", "part"),
    [
        ("", "week of the month"),
        ("terça 14h CRAS", "week of the month"),
        ("6ª terça 14h CRAS", "week of the month"),
        ("sempre terça 14h CRAS", "week of the month"),
        ("2ª 14h CRAS", "weekday"),
        ("2ª terçx 14h CRAS", "weekday"),
        ("2ª sábado 9h CRAS", "segunda to sexta"),
        ("2ª terça CRAS", "time"),
        ("2ª terça 25h CRAS", "time"),
        ("2ª terça 14h70 CRAS", "time"),
        ("2ª terça 14h", "place"),
        ("2ª terça às 14h no", "place"),
    ],
)
def test_parse_rule_says_which_part_is_missing_or_wrong(text: str, part: str) -> None:
    with pytest.raises(UserError) as exc:
        parse_rule(text)
    assert part in exc.value.key
    assert exc.value.example == "/gerarcalendario 2026 2ª terça 14h CRAS"


def test_parse_rule_error_is_in_portuguese_and_quotes_the_wrong_time() -> None:
    with pytest.raises(UserError) as exc:
        parse_rule("2ª terça 25h CRAS")
    assert _pt(exc) == (
        "Não entendi o horário “25h”: escreva, por exemplo, 14h ou 14h30.\n"
        "Exemplo: /gerarcalendario 2026 2ª terça 14h CRAS"
    )


@pytest.mark.parametrize(
    ("text", "locale", "expected"),
    [
        ("2ª terça 14h CRAS", "pt_BR", "2ª terça do mês, às 14h, no CRAS"),
        ("2ª terca 14h30 CREAS Centro", "pt_BR", "2ª terça do mês, às 14h30, no CREAS Centro"),
        (
            "última sexta 9h Câmara Municipal",
            "pt_BR",
            "última sexta do mês, às 9h, na Câmara Municipal",
        ),
        (
            "terceira quinta às 14h na Secretaria de Saúde",
            "pt_BR",
            "3ª quinta do mês, às 14h, na Secretaria de Saúde",
        ),
        ("2ª terça 14h CRAS", "en", "2nd Tuesday of the month, at 14:00, at CRAS"),
        ("1º segunda 8h30 CRAS", "es", "1.º lunes del mes, a las 8:30, en CRAS"),
    ],
)
def test_rule_describes_itself_in_the_network_locale(text: str, locale: str, expected: str) -> None:
    with use_locale(locale):
        assert parse_rule(text).describe() == expected


# --- dates and holidays ----------------------------------------------------------------------


def test_nth_weekday_finds_the_second_tuesday_and_the_last_friday() -> None:
    assert nth_weekday(2026, 4, 1, 2) == date(2026, 4, 14)
    assert nth_weekday(2026, 1, 4, -1) == date(2026, 1, 30)
    assert nth_weekday(2026, 2, 4, -1) == date(2026, 2, 27)


def test_fifth_weekday_that_the_month_lacks_falls_back_to_the_last_one() -> None:
    assert nth_weekday(2026, 1, 4, 5) == date(2026, 1, 30)  # January 2026 has five Fridays
    assert nth_weekday(2026, 2, 4, 5) == date(2026, 2, 27)  # February has four
    meetings = generate_year(parse_rule("5ª sexta 9h CRAS"), 2026, state=None)
    fridays = [m.shifted_from or m.day for m in meetings]
    assert fridays == [
        date(2026, 1, 30),
        date(2026, 2, 27),
        date(2026, 3, 27),
        date(2026, 4, 24),
        date(2026, 5, 29),
        date(2026, 6, 26),
        date(2026, 7, 31),
        date(2026, 8, 28),
        date(2026, 9, 25),
        date(2026, 10, 30),
        date(2026, 11, 27),
        date(2026, 12, 25),
    ]
    # Only four months of 2026 have a 5th Friday; the others use their last one.
    assert (meetings[11].day, meetings[11].shift_reason) == (date(2026, 12, 28), "Natal")


def test_nth_weekday_refuses_impossible_ordinals() -> None:
    with pytest.raises(ValueError, match="ordinal"):
        nth_weekday(2026, 1, 1, 6)


def test_holidays_include_national_state_and_observed_optional_days() -> None:
    national = holidays_for(2026, None)
    assert national[date(2026, 4, 21)] == "Tiradentes"
    assert national[date(2026, 2, 17)] == "Carnaval"
    assert national[date(2026, 6, 4)] == "Corpus Christi"
    assert date(2026, 2, 18) not in national  # Quarta-feira de Cinzas: afternoon is worked
    assert date(2026, 10, 28) not in national  # Dia do Servidor Público: moved by decree
    assert date(2026, 7, 9) not in national
    sp = holidays_for(2026, "sp")
    assert sp[date(2026, 7, 9)] == "Revolução Constitucionalista"
    assert date(2026, 7, 9) not in holidays_for(2026, "PR")


def test_unknown_state_is_a_user_error_with_an_example() -> None:
    with pytest.raises(UserError) as exc:
        holidays_for(2026, "XX")
    assert exc.value.params["state"] == "XX"
    assert exc.value.example == "/estado PR"


def test_next_working_day_skips_holidays_and_weekends() -> None:
    holidays = holidays_for(2026, None)
    assert next_working_day(date(2026, 5, 1), holidays) == date(2026, 5, 4)  # Fri holiday
    assert next_working_day(date(2026, 4, 21), holidays) == date(2026, 4, 22)
    assert next_working_day(date(2026, 4, 22), holidays) == date(2026, 4, 22)
    assert next_working_day(date(2026, 2, 14), holidays) == date(2026, 2, 18)  # Sat..Carnaval


# --- generate_year ---------------------------------------------------------------------------


@pytest.mark.parametrize("state", ["PR", "SP"])
def test_second_tuesday_2026_needs_no_shift_in_pr_nor_sp(state: str) -> None:
    meetings = generate_year(parse_rule("2ª terça 14h CRAS"), 2026, state=state)
    assert [m.day for m in meetings] == SECOND_TUESDAYS_2026
    assert all(m.shifted_from is None and m.shift_reason == "" for m in meetings)
    assert {(m.at, m.place) for m in meetings} == {(time(14), "CRAS")}


def test_third_tuesday_moves_off_carnaval_and_tiradentes() -> None:
    meetings = generate_year(parse_rule("3ª terça 14h CRAS"), 2026, state="PR")
    february, april = meetings[1], meetings[3]
    assert (february.day, february.shifted_from, february.shift_reason) == (
        date(2026, 2, 18),
        date(2026, 2, 17),
        "Carnaval",
    )
    assert (april.day, april.shifted_from, april.shift_reason) == (
        date(2026, 4, 22),
        date(2026, 4, 21),
        "Tiradentes",
    )
    assert sum(m.shifted_from is not None for m in meetings) == 2


def test_state_holiday_shifts_the_meeting_only_in_that_state() -> None:
    rule = parse_rule("2ª quinta 14h CRAS")
    sp_july = generate_year(rule, 2026, state="SP")[6]
    pr_july = generate_year(rule, 2026, state="PR")[6]
    assert (sp_july.day, sp_july.shifted_from) == (date(2026, 7, 10), date(2026, 7, 9))
    assert sp_july.shift_reason == "Revolução Constitucionalista"
    assert (pr_july.day, pr_july.shifted_from) == (date(2026, 7, 9), None)


def test_holiday_on_a_friday_moves_the_meeting_to_monday() -> None:
    may = generate_year(parse_rule("1ª sexta 9h CRAS"), 2026, state=None)[4]
    assert (may.day, may.shifted_from, may.shift_reason) == (
        date(2026, 5, 4),
        date(2026, 5, 1),
        "Dia do Trabalhador",
    )


def test_shift_that_would_leave_the_month_moves_back_instead() -> None:
    december = generate_year(parse_rule("última quinta 14h CRAS"), 2026, state=None)[11]
    # 31/12/2026 is Véspera de Ano-Novo; 01/01/2027 is a holiday in another year.
    assert (december.day, december.shifted_from) == (date(2026, 12, 30), date(2026, 12, 31))
    assert december.shift_reason == "Véspera de Ano-Novo"


def test_generate_year_attaches_topics_by_month() -> None:
    meetings = generate_year(RULE, 2026, state=None, topics={1: "Planejamento", 12: "Balanço"})
    assert meetings[0].topic == "Planejamento"
    assert meetings[11].topic == "Balanço"
    assert meetings[5].topic == ""


# --- parse_table -----------------------------------------------------------------------------


def test_seed_table_as_semicolon_csv_fills_blank_dates_from_the_rule() -> None:
    meetings = parse_table(
        _csv(list(SEED_ROWS)), "calendario.csv", year=2026, rule=RULE, state="PR"
    )
    _assert_seed_meetings(meetings)


def test_seed_table_as_xlsx_reads_the_first_sheet() -> None:
    rows: list[tuple[object, ...]] = [(m, None, h, local, obs) for m, _, h, local, obs in SEED_ROWS]
    meetings = parse_table(_xlsx(rows), "Calendário 2026.XLSX", year=2026, rule=RULE, state="PR")
    _assert_seed_meetings(meetings)


def test_seed_pasted_as_tab_text_with_title_and_split_topic_cell() -> None:
    text = (
        "2 – Calendário Mensal das Reuniões Ordinárias - 2025\n"
        "\n"
        "Mês\tData\tHorário\tLocal\tObservações\n"
        "Janeiro\t\t14h\tCRAS\tPlanejamento anual da Rede\n"
        "Agosto\t\t14h\tCRAS\tCasos de violência\n"
        "\n"
        "\t\t\t\te medidas de proteção\n"
        "Setembro\t\t14h\tCRAS\tRevisão de fluxos e protocolos\n"
    )
    meetings = parse_table(text.encode(), "tabela.txt", year=2026, rule=RULE, state=None)
    assert [(m.day, m.topic) for m in meetings] == [
        (date(2026, 1, 13), "Planejamento anual da Rede"),
        (date(2026, 8, 11), "Casos de violência e medidas de proteção"),
        (date(2026, 9, 8), "Revisão de fluxos e protocolos"),
    ]


@pytest.mark.parametrize("encoding", ["latin-1", "cp1252", "utf-8-sig"])
def test_csv_saved_by_excel_in_brazil_is_decoded(encoding: str) -> None:
    rows: list[tuple[object, ...]] = [
        ("Março", "", "14h", "CRAS", "Ações e violência – revisão"),
        ("Dezembro", "", "14h", "Câmara", "Encerramento"),
    ]
    if encoding == "latin-1":
        rows[0] = ("Março", "", "14h", "CRAS", "Ações e violência")  # no dash in Latin-1
    data = _csv(rows, encoding=encoding)
    meetings = parse_table(data, "cal.csv", year=2026, rule=RULE, state=None)
    assert [m.day for m in meetings] == [date(2026, 3, 10), date(2026, 12, 8)]
    assert meetings[0].topic.startswith("Ações e violência")
    assert meetings[1].place == "Câmara"


@pytest.mark.parametrize("delimiter", [",", "\t", ";"])
def test_csv_delimiter_is_sniffed(delimiter: str) -> None:
    data = _csv(list(SEED_ROWS), delimiter=delimiter)
    meetings = parse_table(data, "cal.csv", year=2026, rule=RULE, state=None)
    _assert_seed_meetings(meetings)


def test_header_aliases_extra_columns_and_blank_rows() -> None:
    header = ("Responsável", "MES", "dia", "Hora", "LOCAL", "Pauta")
    rows: list[tuple[object, ...]] = [
        ("Ana", "jan", "20/01", "9h", "CREAS", "Abertura"),
        ("", "", "", "", "", ""),
        ("Bia", "Marco", "17", "14:30", "", "  Casos\ncomplexos  "),
        ("Caio", "4", "28/04/2026", "14:00:00", "CRAS", ""),
        ("Davi", "Maio", "terça, 12/05", "14h às 16h", "CRAS", ""),
        ("Eva", "jun.", "2026-06-09", "8h-10h", "CRAS", ""),
    ]
    meetings = parse_table(_csv(rows, header=header), "x.csv", year=2026, rule=RULE, state=None)
    assert meetings == [
        PlannedMeeting(date(2026, 1, 20), time(9), "CREAS", "Abertura"),
        PlannedMeeting(date(2026, 3, 17), time(14, 30), "CRAS", "Casos complexos"),
        PlannedMeeting(date(2026, 4, 28), time(14), "CRAS", ""),
        PlannedMeeting(date(2026, 5, 12), time(14), "CRAS", ""),
        PlannedMeeting(date(2026, 6, 9), time(8), "CRAS", ""),
    ]


def test_xlsx_native_dates_times_and_day_fractions() -> None:
    rows: list[tuple[object, ...]] = [
        ("Janeiro", datetime(2026, 1, 20), time(9, 0), "CRAS", "A"),
        ("Fevereiro", 24, 0.5833333333333334, "CRAS", "B"),  # 14:00 as a fraction of a day
        (3, None, None, None, "C"),
    ]
    meetings = parse_table(_xlsx(rows), "cal.xlsx", year=2026, rule=RULE, state=None)
    assert [(m.day, m.at, m.topic) for m in meetings] == [
        (date(2026, 1, 20), time(9), "A"),
        (date(2026, 2, 24), time(14), "B"),
        (date(2026, 3, 10), time(14), "C"),
    ]


def test_blank_date_is_moved_off_the_holiday_like_generate_year() -> None:
    rule = parse_rule("3ª terça 14h CRAS")
    rows: list[tuple[object, ...]] = [("Abril", "", "", "", "Fluxo de comunicação")]
    (april,) = parse_table(_csv(rows), "cal.csv", year=2026, rule=rule, state="PR")
    assert (april.day, april.shifted_from, april.shift_reason) == (
        date(2026, 4, 22),
        date(2026, 4, 21),
        "Tiradentes",
    )
    assert (april.at, april.place) == (time(14), "CRAS")


def test_two_meetings_in_a_month_need_both_dates() -> None:
    rows: list[tuple[object, ...]] = [
        ("Março", "10/03", "14h", "CRAS", "Ordinária"),
        ("Março", "24/03", "14h", "CRAS", "Extra"),
    ]
    meetings = parse_table(_csv(rows), "cal.csv", year=2026, rule=None, state=None)
    assert [m.day for m in meetings] == [date(2026, 3, 10), date(2026, 3, 24)]

    rows[1] = ("Março", "", "14h", "CRAS", "Extra")
    with pytest.raises(UserError) as exc:
        parse_table(_csv(rows), "cal.csv", year=2026, rule=RULE, state=None)
    assert exc.value.params == {"row": 3, "column": "Data", "month": "Março", "other": 2}


def test_bad_time_names_the_sheet_row_and_column() -> None:
    rows: list[tuple[object, ...]] = [tuple(r) for r in SEED_ROWS]
    rows[3] = ("Abril", "", "25h", "CRAS", "Atualização")  # 4th data row = sheet row 5
    with pytest.raises(UserError) as exc:
        parse_table(_csv(rows), "cal.csv", year=2026, rule=RULE, state=None)
    assert _pt(exc) == "Linha 5 (Horário): não entendi “25h”.\nExemplo: Horário: 14h"


def test_bad_row_in_xlsx_uses_the_header_text_the_user_wrote() -> None:
    header = ("Mês", "Data", "Hora", "Local", "Tema")
    rows: list[tuple[object, ...]] = [
        ("Janeiro", None, "14h", "CRAS", ""),
        ("Fevereiro", None, "meio-dia", "CRAS", ""),
    ]
    with pytest.raises(UserError) as exc:
        parse_table(_xlsx(rows, header), "cal.xlsx", year=2026, rule=RULE, state=None)
    assert exc.value.params == {"row": 3, "column": "Hora", "value": "meio-dia"}


def test_blank_date_without_a_rule_asks_for_the_date_or_the_rule() -> None:
    with pytest.raises(UserError) as exc:
        parse_table(_csv(list(SEED_ROWS)), "cal.csv", year=2026, rule=None, state=None)
    assert exc.value.params == {"row": 2, "column": "Data"}
    assert exc.value.example == "/importar 2026 2ª terça 14h CRAS"
    assert _pt(exc).startswith("Linha 2 (Data): está em branco")


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        (
            ("Fevereiro", "14/01", "14h", "CRAS", ""),
            "Data",
            "Linha 2 (Data): 14/01 não é de Fevereiro.",
        ),
        (
            ("Janeiro", "14/01/2025", "14h", "CRAS", ""),
            "Data",
            "Linha 2 (Data): 14/01/2025 não é de 2026.",
        ),
        (("Fevereiro", "30/02", "14h", "CRAS", ""), "Data", "Linha 2 (Data): não entendi “30/02”."),
        (
            ("Fevereiro", "amanhã", "14h", "CRAS", ""),
            "Data",
            "Linha 2 (Data): não entendi “amanhã”.",
        ),
        (("Brumário", "", "14h", "CRAS", ""), "Mês", "Linha 2 (Mês): não entendi “Brumário”."),
        (("", "", "14h", "CRAS", "Pauta"), "Mês", "Linha 2 (Mês): faltou o mês."),
        (("Maio", "", "", "", ""), "Horário", "Linha 2 (Horário): está em branco"),
    ],
)
def test_row_errors_name_row_and_column(row: tuple[object, ...], column: str, message: str) -> None:
    rule = RULE if column != "Horário" else None
    data = _csv([row]) if column != "Horário" else _csv([("Maio", "12/05", "", "", "")])
    with pytest.raises(UserError) as exc:
        parse_table(data, "cal.csv", year=2026, rule=rule, state=None)
    assert exc.value.params["column"] == column
    assert _pt(exc).startswith(message)


def test_one_bad_row_rejects_the_whole_table() -> None:
    rows: list[tuple[object, ...]] = [tuple(r) for r in SEED_ROWS]
    rows[-1] = ("Dezembro", "", "14h", "CRAS", "")
    rows.append(("Janeiro", "", "14h", "CRAS", "repetido"))
    with pytest.raises(UserError) as exc:
        parse_table(_csv(rows), "cal.csv", year=2026, rule=RULE, state=None)
    assert exc.value.params["row"] == 14


def test_missing_header_lists_the_expected_columns() -> None:
    data = _csv([("Janeiro", "", "CRAS", "")], header=("Mês", "Data", "Local", "Observações"))
    with pytest.raises(UserError) as exc:
        parse_table(data, "cal.csv", year=2026, rule=RULE, state=None)
    assert exc.value.params["missing"] == "Horário"
    assert exc.value.params["columns"] == "Mês, Data, Horário, Local, Observações"


@pytest.mark.parametrize("filename", ["calendario.pdf", "calendario.xls", "calendario", "foto.jpg"])
def test_unknown_file_type_asks_for_csv_or_xlsx(filename: str) -> None:
    with pytest.raises(UserError) as exc:
        parse_table(b"whatever", filename, year=2026, rule=RULE, state=None)
    assert exc.value.params == {"filename": filename}
    assert exc.value.example is not None and exc.value.example.startswith("/importar")


def test_broken_xlsx_is_a_user_error() -> None:
    with pytest.raises(UserError) as exc:
        parse_table(b"not a zip", "cal.xlsx", year=2026, rule=RULE, state=None)
    assert exc.value.params == {"filename": "cal.xlsx"}


def test_table_with_only_a_header_has_no_meetings() -> None:
    with pytest.raises(UserError, match="no meetings"):
        parse_table(_csv([]), "cal.csv", year=2026, rule=RULE, state=None)


# --- ICS -------------------------------------------------------------------------------------


def _events() -> list[IcsEvent]:
    start = datetime(2026, 1, 13, 14, tzinfo=SAO_PAULO)
    return [
        IcsEvent(
            uid="rede-2026-01@redebot",
            start=start,
            end=start + timedelta(hours=2),
            summary="Reunião Ordinária da Rede",
            location="CRAS",
            description="Planejamento anual da Rede",
        ),
        IcsEvent(
            uid="rede-2026-02@redebot",
            start=datetime(2026, 2, 10, 17, tzinfo=UTC),  # 14h in São Paulo
            end=datetime(2026, 2, 10, 19, tzinfo=UTC),
            summary="Reunião Ordinária da Rede",
            location="CRAS",
            cancelled=True,
            sequence=2,
        ),
    ]


def test_ics_round_trip_keeps_every_field_in_the_network_time_zone() -> None:
    stamp = datetime(2025, 12, 1, 9, 30, tzinfo=SAO_PAULO)
    data = build_ics(
        "Rede de Proteção", _events(), tz="America/Sao_Paulo", method="publish", stamp=stamp
    )
    cal = Calendar.from_ical(data)
    assert str(cal["PRODID"]) == "-//redebot//pt_BR"
    assert str(cal["VERSION"]) == "2.0"
    assert str(cal["METHOD"]) == "PUBLISH"
    assert str(cal["X-WR-CALNAME"]) == "Rede de Proteção"
    assert str(cal["X-WR-TIMEZONE"]) == "America/Sao_Paulo"
    assert [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")] == ["America/Sao_Paulo"]

    first, second = cal.walk("VEVENT")
    assert str(first["UID"]) == "rede-2026-01@redebot"
    assert first.decoded("DTSTART") == datetime(2026, 1, 13, 14, tzinfo=SAO_PAULO)
    assert first["DTSTART"].params["TZID"] == "America/Sao_Paulo"
    assert first.decoded("DTEND") == datetime(2026, 1, 13, 16, tzinfo=SAO_PAULO)
    assert str(first["SUMMARY"]) == "Reunião Ordinária da Rede"
    assert str(first["LOCATION"]) == "CRAS"
    assert str(first["DESCRIPTION"]) == "Planejamento anual da Rede"
    assert str(first["STATUS"]) == "CONFIRMED"
    assert first.decoded("DTSTAMP") == datetime(2025, 12, 1, 12, 30, tzinfo=UTC)

    assert str(second["STATUS"]) == "CANCELLED"
    assert second.decoded("SEQUENCE") == 2
    assert second["DTSTART"].params["TZID"] == "America/Sao_Paulo"
    assert second.decoded("DTSTART").replace(tzinfo=None) == datetime(2026, 2, 10, 14)
    assert "DESCRIPTION" not in second
    assert b"DTSTART;TZID=America/Sao_Paulo:20260210T140000" in data


def test_ics_is_the_same_bytes_for_the_same_input() -> None:
    stamp = datetime(2025, 12, 1, tzinfo=UTC)
    first = build_ics("Rede", _events(), tz="America/Sao_Paulo", stamp=stamp)
    again = build_ics("Rede", _events(), tz="America/Sao_Paulo", stamp=stamp)
    assert first == again
    assert b"METHOD" not in first


def test_ics_built_again_with_another_stamp_differs_only_in_its_stamps() -> None:
    # The file is built once per input and restamped (see build_ics): each call must give
    # the bytes of a fresh build, and a changed event must never get the old file back.
    events = _events()
    first = build_ics(
        "Rede", events, tz="America/Sao_Paulo", stamp=datetime(2025, 12, 1, tzinfo=UTC)
    )
    later = datetime(2026, 3, 2, 10, 15, 30, 999, tzinfo=SAO_PAULO)
    again = build_ics("Rede", events, tz="America/Sao_Paulo", stamp=later)
    assert again.count(b"DTSTAMP:20260302T131530Z\r\n") == len(events)
    assert b"DTSTAMP:20251201T000000Z" not in again
    assert again.replace(b"20260302T131530Z", b"20251201T000000Z") == first
    _ics_template.cache_clear()
    assert build_ics("Rede", events, tz="America/Sao_Paulo", stamp=later) == again

    moved = [replace(events[0], location="Câmara Municipal", sequence=1), events[1]]
    changed = Calendar.from_ical(
        build_ics("Rede", moved, tz="America/Sao_Paulo", stamp=later)
    ).walk("VEVENT")[0]
    assert str(changed["LOCATION"]) == "Câmara Municipal"
    assert changed.decoded("SEQUENCE") == 1
    assert b"Rede 2" in build_ics("Rede 2", events, tz="America/Sao_Paulo", stamp=later)


def test_empty_ics_still_describes_its_time_zone() -> None:
    data = build_ics("Rede", [], tz="America/Sao_Paulo", stamp=datetime(2025, 1, 1, tzinfo=UTC))
    cal = Calendar.from_ical(data)
    assert cal.walk("VEVENT") == []
    assert [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")] == ["America/Sao_Paulo"]


def test_ics_refuses_naive_datetimes() -> None:
    naive = datetime(2026, 1, 13, 14)
    event = IcsEvent("u", naive, naive + timedelta(hours=1), "Reunião", "CRAS")
    with pytest.raises(ValueError, match="naive"):
        build_ics("Rede", [event], tz="America/Sao_Paulo", stamp=datetime(2025, 1, 1, tzinfo=UTC))
    with pytest.raises(ValueError, match="aware"):
        build_ics("Rede", [], tz="America/Sao_Paulo", stamp=naive)


def test_the_rule_names_a_place_of_unknown_gender_without_an_article() -> None:
    from bot.rules.calendar import MeetingRule as Rule

    assert Rule(2, 1, time(14), "CRAS").describe().endswith(", no CRAS")
    assert (
        Rule(2, 1, time(14), "Secretaria de Saúde").describe().endswith(", na Secretaria de Saúde")
    )
    assert Rule(2, 1, time(14), "SEJUDH").describe().endswith(", local: SEJUDH")
