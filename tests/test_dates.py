"""How bot.rules.dates reads and writes the dates Brazilian social workers type."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.errors import UserError
from bot.i18n import use_locale
from bot.rules import numbers
from bot.rules.dates import (
    format_date,
    format_time,
    format_until,
    format_when,
    month_name,
    parse_day,
    parse_day_time,
    parse_month,
    parse_offset,
    parse_time_of_day,
    parse_when,
    weekday_name,
    zone,
)

# Monday 23/11/2026, 10:00 in São Paulo, 09:00 in Cuiabá.
NOW = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)
SP = "America/Sao_Paulo"
CUIABA = "America/Cuiaba"


def local(tz: str, year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    """An instant given as wall-clock time in ``tz``, converted to UTC."""
    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(tz)).astimezone(UTC)


def at(tz: str, when: str) -> datetime:
    """NOW moved to the wall-clock "YYYY-MM-DD HH:MM" in ``tz``."""
    return datetime.fromisoformat(when).replace(tzinfo=ZoneInfo(tz)).astimezone(UTC)


def render(exc: pytest.ExceptionInfo[UserError]) -> str:
    with use_locale("pt_BR"):
        return exc.value.render()


# ------------------------------------------------------------------- zone


@pytest.mark.parametrize(
    "name",
    [
        "America/Sao_Paulo",
        "America/Cuiaba",
        "America/Manaus",
        "America/Fortaleza",
        "America/Noronha",
        "America/Rio_Branco",
        "UTC",
    ],
)
def test_zone_accepts_iana_names(name: str) -> None:
    assert zone(name) == ZoneInfo(name)


def test_zone_ignores_case_and_spaces() -> None:
    assert zone(" america/cuiaba ") == ZoneInfo("America/Cuiaba")


@pytest.mark.parametrize(
    "name", ["", "Brasil", "America", "America/Cuiabá", "../etc/passwd", "GMT-3x"]
)
def test_zone_rejects_unknown_names_with_example(name: str) -> None:
    with pytest.raises(UserError) as exc:
        zone(name)
    assert exc.value.example == "/fuso America/Cuiaba"
    assert exc.value.params == {"name": name}
    assert "fuso horário" in render(exc)


# ------------------------------------------------------------- parse_when

EXAMPLES = [
    ("amanhã 9h", (2026, 11, 24, 9, 0)),
    ("amanha às 9h", (2026, 11, 24, 9, 0)),
    ("hoje 16h", (2026, 11, 23, 16, 0)),
    ("sexta às 14h30", (2026, 11, 27, 14, 30)),
    ("sexta-feira 14h", (2026, 11, 27, 14, 0)),
    ("15/03 10h", (2027, 3, 15, 10, 0)),
    ("15/03 às 10:30", (2027, 3, 15, 10, 30)),
    ("15/3 10h", (2027, 3, 15, 10, 0)),
    ("dia 5 às 8h30", (2026, 12, 5, 8, 30)),
    ("próxima terça 14h", (2026, 11, 24, 14, 0)),
    ("proxima terca 14h", (2026, 11, 24, 14, 0)),
    ("27/11/2026 14:00", (2026, 11, 27, 14, 0)),
    ("27/11/26 14h", (2026, 11, 27, 14, 0)),
    ("terça que vem 9h", (2026, 11, 24, 9, 0)),
    ("depois de amanhã 10h", (2026, 11, 25, 10, 0)),
    ("15 de março às 14h", (2027, 3, 15, 14, 0)),
    ("5 de dezembro 9h", (2026, 12, 5, 9, 0)),
]


@pytest.mark.parametrize(("text", "wall"), EXAMPLES)
def test_parse_when_reads_every_documented_example(
    text: str, wall: tuple[int, int, int, int, int]
) -> None:
    assert parse_when(text, now=NOW, tz=SP) == local(SP, *wall)


@pytest.mark.parametrize(
    ("text", "wall"),
    [
        ("AMANHÃ 9H", (2026, 11, 24, 9, 0)),
        ("Amanhã às 9", (2026, 11, 24, 9, 0)),
        ("amanhã 14 horas", (2026, 11, 24, 14, 0)),
        ("amanhã 14:30h", (2026, 11, 24, 14, 30)),
        ("amanhã 8h05", (2026, 11, 24, 8, 5)),
        ("amanhã de manhã às 9h", (2026, 11, 24, 9, 0)),
        ("amanhã cedo 8h", (2026, 11, 24, 8, 0)),
        ("amanhã à noite às 8h", (2026, 11, 24, 20, 0)),
        ("amanhã às 2 da tarde", (2026, 11, 24, 14, 0)),
        ("meio-dia de amanhã", (2026, 11, 24, 12, 0)),
        ("14h30 amanhã", (2026, 11, 24, 14, 30)),
        ("sábado próximo 9h", (2026, 11, 28, 9, 0)),
        ("na quinta 9h", (2026, 11, 26, 9, 0)),
        ("qua 9h", (2026, 11, 25, 9, 0)),
        ("Sexta-Feira, 27/11/2026 às 14h30", (2026, 11, 27, 14, 30)),
        ("sexta dia 27 às 14h", (2026, 11, 27, 14, 0)),
        ("dia 5/12 9h", (2026, 12, 5, 9, 0)),
        ("terça, 24/11, às 9h", (2026, 11, 24, 9, 0)),
        ("amanhã, terça, 9h", (2026, 11, 24, 9, 0)),
        ("27-11 14h", (2026, 11, 27, 14, 0)),
        ("1º de dezembro 9h", (2026, 12, 1, 9, 0)),
        ("primeiro de dezembro 9h", (2026, 12, 1, 9, 0)),
        ("5 de dez. 9h", (2026, 12, 5, 9, 0)),
        ("15 de março de 2027 às 14h", (2027, 3, 15, 14, 0)),
        ("dia 15 de marco 14h", (2027, 3, 15, 14, 0)),
        ("daqui a 3 dias 10h", (2026, 11, 26, 10, 0)),
        ("em 2 semanas 9h", (2026, 12, 7, 9, 0)),
        ("16h", (2026, 11, 23, 16, 0)),
        # Not in the grammar, left to dateparser (which rates it a single day).
        ("um de dezembro 9h", (2026, 12, 1, 9, 0)),
    ],
)
def test_parse_when_reads_other_common_forms(
    text: str, wall: tuple[int, int, int, int, int]
) -> None:
    assert parse_when(text, now=NOW, tz=SP) == local(SP, *wall)


@pytest.mark.parametrize(("text", "_wall"), EXAMPLES)
def test_parse_when_returns_aware_utc(text: str, _wall: tuple[int, int, int, int, int]) -> None:
    result = parse_when(text, now=NOW, tz=CUIABA)
    assert result.tzinfo is UTC


@pytest.mark.parametrize(
    ("tz", "utc_hour"),
    [
        ("America/Noronha", 11),  # UTC-2
        ("America/Sao_Paulo", 12),  # UTC-3
        ("America/Fortaleza", 12),  # UTC-3
        ("America/Cuiaba", 13),  # UTC-4
        ("America/Manaus", 13),  # UTC-4
        ("America/Rio_Branco", 14),  # UTC-5
    ],
)
def test_parse_when_reads_the_time_in_the_network_zone(tz: str, utc_hour: int) -> None:
    assert parse_when("amanhã 9h", now=NOW, tz=tz) == datetime(
        2026, 11, 24, utc_hour, 0, tzinfo=UTC
    )
    assert parse_when("27/11/2026 14:00", now=NOW, tz=tz) == datetime(
        2026, 11, 27, utc_hour + 5, 0, tzinfo=UTC
    )


@pytest.mark.parametrize("month", [1, 4, 7, 10])
def test_brazilian_zones_have_no_daylight_saving(month: int) -> None:
    now = datetime(2026, month, 1, 12, 0, tzinfo=UTC)
    assert parse_when("dia 15 9h", now=now, tz=CUIABA) == datetime(
        2026, month, 15, 13, 0, tzinfo=UTC
    )


def test_cuiaba_late_evening_tomorrow_is_the_local_tomorrow() -> None:
    # 22:30 on Monday in Cuiabá is already Tuesday 02:30 in UTC.
    now = at(CUIABA, "2026-11-23 22:30")
    assert now.day == 24
    assert parse_when("amanhã 9h", now=now, tz=CUIABA) == datetime(2026, 11, 24, 13, 0, tzinfo=UTC)
    assert parse_when("hoje 23h", now=now, tz=CUIABA) == datetime(2026, 11, 24, 3, 0, tzinfo=UTC)


def test_rio_branco_evening_today_is_the_local_today() -> None:
    now = at("America/Rio_Branco", "2026-11-23 19:00")  # 00:00 UTC on the 24th
    assert parse_when("hoje 21h", now=now, tz="America/Rio_Branco") == datetime(
        2026, 11, 24, 2, 0, tzinfo=UTC
    )


def test_bare_weekday_means_next_occurrence() -> None:
    # NOW is a Monday.
    assert parse_when("quarta 9h", now=NOW, tz=SP) == local(SP, 2026, 11, 25, 9, 0)
    assert parse_when("domingo 9h", now=NOW, tz=SP) == local(SP, 2026, 11, 29, 9, 0)


def test_weekday_typed_on_that_same_weekday_means_next_week() -> None:
    assert parse_when("segunda 16h", now=NOW, tz=SP) == local(SP, 2026, 11, 30, 16, 0)
    assert parse_when("segunda 8h", now=NOW, tz=SP) == local(SP, 2026, 11, 30, 8, 0)


def test_hoje_means_today_even_on_that_weekday() -> None:
    assert parse_when("hoje 16h", now=NOW, tz=SP) == local(SP, 2026, 11, 23, 16, 0)


@pytest.mark.parametrize(
    "text", ["sexta 9h", "próxima sexta 9h", "sexta que vem 9h", "essa sexta 9h"]
)
def test_next_and_that_comes_mean_the_same_as_bare_weekday(text: str) -> None:
    assert parse_when(text, now=NOW, tz=SP) == local(SP, 2026, 11, 27, 9, 0)


def test_weekday_crosses_the_year() -> None:
    now = at(SP, "2026-12-31 10:00")  # Thursday
    assert parse_when("sexta 9h", now=now, tz=SP) == local(SP, 2027, 1, 1, 9, 0)


def test_dia_n_later_this_month_stays_in_this_month() -> None:
    assert parse_when("dia 28 9h", now=NOW, tz=SP) == local(SP, 2026, 11, 28, 9, 0)


def test_dia_n_already_passed_means_next_month() -> None:
    now = at(SP, "2026-11-28 10:00")
    assert parse_when("dia 2 10h", now=now, tz=SP) == local(SP, 2026, 12, 2, 10, 0)


def test_dia_n_in_december_rolls_into_next_year() -> None:
    now = at(SP, "2026-12-20 10:00")
    assert parse_when("dia 2 10h", now=now, tz=SP) == local(SP, 2027, 1, 2, 10, 0)


def test_dia_31_skips_months_without_day_31() -> None:
    # November has 30 days.
    assert parse_when("dia 31 9h", now=NOW, tz=SP) == local(SP, 2026, 12, 31, 9, 0)


def test_dia_today_is_today_not_next_month() -> None:
    assert parse_when("dia 23 15h", now=NOW, tz=SP) == local(SP, 2026, 11, 23, 15, 0)
    with pytest.raises(UserError) as exc:
        parse_when("dia 23 8h", now=NOW, tz=SP)
    assert "já passou" in render(exc)


def test_day_month_without_year_already_passed_means_next_year() -> None:
    now = at(SP, "2026-12-10 10:00")
    assert parse_when("15/01 9h", now=now, tz=SP) == local(SP, 2027, 1, 15, 9, 0)
    assert parse_when("15 de janeiro 9h", now=now, tz=SP) == local(SP, 2027, 1, 15, 9, 0)


def test_day_month_without_year_still_ahead_stays_this_year() -> None:
    assert parse_when("20/12 9h", now=NOW, tz=SP) == local(SP, 2026, 12, 20, 9, 0)


def test_leap_day_without_year_means_next_leap_year() -> None:
    assert parse_when("29/02 10h", now=NOW, tz=SP) == local(SP, 2028, 2, 29, 10, 0)


def test_daqui_a_hours_is_relative_to_now() -> None:
    assert parse_when("daqui a 2 horas", now=NOW, tz=SP) == NOW + timedelta(hours=2)
    assert parse_when("em 30 min", now=NOW, tz=SP) == NOW + timedelta(minutes=30)
    assert parse_when("daqui a 1h30", now=NOW, tz=SP) == NOW + timedelta(hours=1, minutes=30)


@pytest.mark.parametrize(
    "text", ["amanhã", "sexta", "15/03", "dia 5", "15 de março", "hoje à noite"]
)
def test_date_without_time_asks_for_the_time(text: str) -> None:
    with pytest.raises(UserError) as exc:
        parse_when(text, now=NOW, tz=SP)
    assert exc.value.example == "15/03 14h"
    assert "que horas?" in render(exc)


def test_asking_for_the_time_names_the_day() -> None:
    with pytest.raises(UserError) as exc:
        parse_when("amanhã", now=NOW, tz=SP)
    assert render(exc).startswith("terça, 24/11, a que horas?")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "xyz",
        "reunião",
        "amanhã 9h reunião no CRAS",
        "sexta 9h 10h",
        "hoje amanhã 9h",
        "15/03 10",
        "dezembro 9h",
        "semana que vem 9h",
    ],
)
def test_unparseable_text_gets_a_list_of_examples(text: str) -> None:
    with pytest.raises(UserError) as exc:
        parse_when(text, now=NOW, tz=SP)
    assert exc.value.params == {"text": text}
    assert exc.value.example is not None
    assert "15/03 10h" in exc.value.example
    assert "sexta 9h30" in exc.value.example
    assert render(exc).startswith("Não entendi a data")


@pytest.mark.parametrize("text", ["hoje 8h", "ontem 14h", "sexta passada 9h", "20/11/2026 9h"])
def test_past_instant_is_refused_with_the_date_shown(text: str) -> None:
    with pytest.raises(UserError) as exc:
        parse_when(text, now=NOW, tz=SP)
    message = render(exc)
    assert message.endswith("já passou.")
    assert "às" in message


def test_past_message_formats_the_date() -> None:
    with pytest.raises(UserError) as exc:
        parse_when("hoje 8h", now=NOW, tz=SP)
    assert render(exc) == "segunda, 23/11 às 8h já passou."


def test_past_message_in_another_year_shows_the_year() -> None:
    with pytest.raises(UserError) as exc:
        parse_when("10/10/2025 8h", now=NOW, tz=SP)
    assert render(exc) == "sexta, 10/10/2025 às 8h já passou."


def test_allow_past_accepts_past_instants() -> None:
    assert parse_when("hoje 8h", now=NOW, tz=SP, allow_past=True) == local(SP, 2026, 11, 23, 8, 0)
    assert parse_when("sexta passada 9h", now=NOW, tz=SP, allow_past=True) == local(
        SP, 2026, 11, 20, 9, 0
    )
    assert parse_when("ontem 14h", now=NOW, tz=SP, allow_past=True) == local(
        SP, 2026, 11, 22, 14, 0
    )


def test_allow_past_reads_yearless_day_as_the_nearest_one() -> None:
    # Recording a meeting that happened: 10/11 is 13 days ago, not next year.
    assert parse_when("10/11 14h", now=NOW, tz=SP, allow_past=True) == local(
        SP, 2026, 11, 10, 14, 0
    )
    with pytest.raises(UserError) as exc:  # without allow_past: past, not next year's
        parse_when("10/11 14h", now=NOW, tz=SP)
    assert render(exc) == "terça, 10/11 às 14h já passou."
    assert parse_when("dia 20 14h", now=NOW, tz=SP, allow_past=True) == local(
        SP, 2026, 11, 20, 14, 0
    )
    # ...but a day just ahead is still ahead.
    assert parse_when("dia 5 14h", now=NOW, tz=SP, allow_past=True) == local(SP, 2026, 12, 5, 14, 0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Typed in November 2026: the next February is 2027's, not a leap year (issue 12).
        ("31/02 10h", "31/02 não existe: fevereiro só tem 28 dias."),
        ("29/02/2027 10h", "29/02/2027 não existe: fevereiro só tem 28 dias."),
        ("31/04 9h", "31/04 não existe: abril só tem 30 dias."),
        ("31 de junho 9h", "31/06 não existe: junho só tem 30 dias."),
        ("32/01 9h", "32/01 não existe."),
        ("15/13 9h", "15/13 não existe."),
        ("00/05 9h", "00/05 não existe."),
        ("dia 32 9h", "dia 32 não existe."),
    ],
)
def test_impossible_dates_are_explained(text: str, expected: str) -> None:
    with pytest.raises(UserError) as exc:
        parse_when(text, now=NOW, tz=SP)
    assert render(exc).splitlines()[0] == expected


def test_a_yearless_february_is_the_next_one() -> None:
    before_a_leap_february = datetime(2027, 3, 1, 12, tzinfo=UTC)
    with pytest.raises(UserError) as exc:
        parse_when("30/02 10h", now=before_a_leap_february, tz=SP)
    assert render(exc).splitlines()[0] == "30/02 não existe: fevereiro só tem 29 dias."
    assert parse_when("29/02 10h", now=NOW, tz=SP) == local(SP, 2028, 2, 29, 10, 0)


@pytest.mark.parametrize("text", ["amanhã 25h", "amanhã 14h60", "amanhã 24:00"])
def test_impossible_times_are_explained(text: str) -> None:
    with pytest.raises(UserError) as exc:
        parse_when(text, now=NOW, tz=SP)
    assert "não é um horário válido" in render(exc)
    assert exc.value.example == "14h30"


def test_weekday_that_contradicts_the_date_is_refused() -> None:
    with pytest.raises(UserError) as exc:
        parse_when("quinta 27/11 14h", now=NOW, tz=SP)
    assert render(exc).splitlines() == ["27/11 é sexta, não quinta.", "Exemplo: sexta 27/11 14h"]


def test_naive_now_is_a_programming_error() -> None:
    naive = NOW.replace(tzinfo=None)
    with pytest.raises(ValueError, match="naive"):
        parse_when("amanhã 9h", now=naive, tz=SP)
    with pytest.raises(ValueError, match="naive"):
        format_until(NOW, naive)


def test_unknown_zone_is_reported() -> None:
    with pytest.raises(UserError) as exc:
        parse_when("amanhã 9h", now=NOW, tz="Brasil/Cuiaba")
    assert exc.value.example == "/fuso America/Cuiaba"


# -------------------------------------------------------------- parse_day


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("14/04", date(2027, 4, 14)),
        ("14/04/2026", date(2026, 4, 14)),  # past accepted with a year
        ("14/04/26", date(2026, 4, 14)),
        ("amanhã", date(2026, 11, 24)),
        ("hoje", date(2026, 11, 23)),
        ("sexta", date(2026, 11, 27)),
        ("sexta-feira", date(2026, 11, 27)),
        ("segunda", date(2026, 11, 30)),
        ("dia 5", date(2026, 12, 5)),
        ("dia 23", date(2026, 11, 23)),  # today
        ("23/11", date(2026, 11, 23)),  # today
        ("10/01", date(2027, 1, 10)),  # far behind: next year's
        ("15 de março", date(2027, 3, 15)),
        ("15 de março de 2026", date(2026, 3, 15)),
        ("sexta 14h", date(2026, 11, 27)),  # a typed time is ignored
        ("sexta passada", date(2026, 11, 20)),
    ],
)
def test_parse_day_reads_days(text: str, expected: date) -> None:
    assert parse_day(text, now=NOW, tz=SP) == expected


# Typed on 02/12/2026: a day/month just passed is a slip, not a day a year away.
DECEMBER = at(SP, "2026-12-02 04:30")


@pytest.mark.parametrize("text", ["01/12", "1/12", "1º de dezembro", "15/09", "22 de novembro"])
def test_parse_day_refuses_a_yearless_day_just_passed(text: str) -> None:
    with pytest.raises(UserError) as exc:
        parse_day(text, now=DECEMBER, tz=SP)
    assert render(exc).splitlines()[0].endswith("já passou.")
    assert exc.value.example is not None
    with pytest.raises(UserError):
        parse_day_time(text + " 10h", now=DECEMBER, tz=SP)


def test_parse_day_past_message_names_the_day() -> None:
    with pytest.raises(UserError) as exc:
        parse_day("01/12", now=DECEMBER, tz=SP)
    assert render(exc).splitlines()[0] == "01/12 já passou."
    with pytest.raises(UserError) as exc:
        parse_day("20/12", now=at(SP, "2027-01-05 10:00"), tz=SP)
    assert render(exc).splitlines()[0] == "20/12/2026 já passou."


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("02/12", date(2026, 12, 2)),  # today
        ("10/01", date(2027, 1, 10)),
        ("15 de março", date(2027, 3, 15)),
        ("15/06", date(2027, 6, 15)),  # passed over RECENT_PAST ago: half a year ahead
        ("01/12/2027", date(2027, 12, 1)),  # the year typed: next year's, as asked
        ("01/12/2026", date(2026, 12, 1)),  # the year typed: the caller decides
    ],
)
def test_parse_day_in_december_still_reads_next_year(text: str, expected: date) -> None:
    assert parse_day(text, now=DECEMBER, tz=SP) == expected


def test_parse_day_nearest_returns_the_day_just_passed() -> None:
    assert parse_day("01/12", now=DECEMBER, tz=SP, nearest=True) == date(2026, 12, 1)


def test_parse_when_refuses_a_yearless_day_just_passed() -> None:
    with pytest.raises(UserError) as exc:
        parse_when("01/12 14h", now=DECEMBER, tz=SP)
    assert render(exc) == "terça, 01/12 às 14h já passou."
    assert parse_when("10/01 14h", now=DECEMBER, tz=SP) == local(SP, 2027, 1, 10, 14, 0)


def test_parse_day_uses_the_network_calendar() -> None:
    now = at(CUIABA, "2026-11-23 22:30")  # already the 24th in UTC
    assert parse_day("hoje", now=now, tz=CUIABA) == date(2026, 11, 23)
    assert parse_day("amanhã", now=now, tz=CUIABA) == date(2026, 11, 24)


@pytest.mark.parametrize("text", ["", "xyz", "reunião", "dezembro", "proxima semana"])
def test_parse_day_rejects_what_is_not_one_day(text: str) -> None:
    with pytest.raises(UserError) as exc:
        parse_day(text, now=NOW, tz=SP)
    assert render(exc).startswith("Não entendi o dia")
    assert exc.value.example is not None


def test_parse_day_rejects_impossible_dates() -> None:
    with pytest.raises(UserError) as exc:
        parse_day("31/02", now=NOW, tz=SP)
    assert "não existe" in render(exc)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("03/12", (date(2026, 12, 3), None)),
        ("03/12 10h", (date(2026, 12, 3), time(10, 0))),
        ("03/12 às 14h30", (date(2026, 12, 3), time(14, 30))),
        ("sexta 9h", (date(2026, 11, 27), time(9, 0))),
        ("hoje às 14:00", (date(2026, 11, 23), time(14, 0))),
    ],
)
def test_parse_day_time_keeps_the_time_typed(text: str, expected: tuple[date, time | None]) -> None:
    assert parse_day_time(text, now=NOW, tz=SP) == expected


def test_parse_day_time_refuses_a_time_that_does_not_exist() -> None:
    with pytest.raises(UserError) as exc:
        parse_day_time("03/12 25h", now=NOW, tz=SP)
    assert "25h" in render(exc) and exc.value.example == "14h30"


# ------------------------------------------------------- parse_time_of_day


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("14h", time(14, 0)),
        ("9h", time(9, 0)),
        ("14h30", time(14, 30)),
        ("14:30", time(14, 30)),
        ("14:30h", time(14, 30)),
        ("14 horas", time(14, 0)),
        ("8h05", time(8, 5)),
        ("0h", time(0, 0)),
        ("23h59", time(23, 59)),
        ("14H", time(14, 0)),
        ("14 h 30", time(14, 30)),
        ("14h30min", time(14, 30)),
        ("às 9", time(9, 0)),
        ("9", time(9, 0)),
        ("meio-dia", time(12, 0)),
        ("meia-noite", time(0, 0)),
        ("9h da noite", time(21, 0)),
        ("8h30 da manhã", time(8, 30)),
    ],
)
def test_parse_time_of_day_reads_brazilian_hours(text: str, expected: time) -> None:
    assert parse_time_of_day(text) == expected


@pytest.mark.parametrize("text", ["", "abc", "25h", "14h60", "1430", "14h 15h", "amanhã 14h", "24"])
def test_parse_time_of_day_rejects_other_text(text: str) -> None:
    with pytest.raises(UserError) as exc:
        parse_time_of_day(text)
    assert exc.value.example == "14h30"


# ------------------------------------------------------------------ offsets


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7d", timedelta(days=7)),
        ("1d", timedelta(days=1)),
        ("2h", timedelta(hours=2)),
        ("30min", timedelta(minutes=30)),
        ("1h30", timedelta(hours=1, minutes=30)),
        ("3 dias", timedelta(days=3)),
        ("1 dia", timedelta(days=1)),
        ("2 horas", timedelta(hours=2)),
        ("30 minutos", timedelta(minutes=30)),
        ("1 hora e 30 minutos", timedelta(hours=1, minutes=30)),
        ("1d12h", timedelta(days=1, hours=12)),
        ("1h 30min", timedelta(hours=1, minutes=30)),
        ("90min", timedelta(minutes=90)),
        ("2 semanas", timedelta(days=14)),
        ("2D", timedelta(days=2)),
    ],
)
def test_parse_offset_reads_reminder_offsets(text: str, expected: timedelta) -> None:
    assert parse_offset(text) == expected


@pytest.mark.parametrize("text", ["", "x", "30", "1h1h", "1h5", "1,5h", "-2h", "2 anos"])
def test_parse_offset_rejects_other_text(text: str) -> None:
    with pytest.raises(UserError) as exc:
        parse_offset(text)
    assert exc.value.example == "/lembretes 3d 1h"


@pytest.mark.parametrize(
    ("td", "expected"),
    [
        (timedelta(days=7), "7d"),
        (timedelta(days=1), "1d"),
        (timedelta(hours=2), "2h"),
        (timedelta(minutes=30), "30min"),
        (timedelta(hours=1, minutes=30), "1h30"),
        (timedelta(hours=1, minutes=5), "1h05"),
        (timedelta(days=1, hours=12), "1d12h"),
        (timedelta(days=1, minutes=30), "1d30min"),
        (timedelta(0), "0min"),
    ],
)
def test_parse_offset_reads_the_short_form(td: timedelta, expected: str) -> None:
    assert parse_offset(expected) == td


# --------------------------------------------------------------- formatting


@pytest.mark.parametrize(
    ("day", "name"),
    [
        (date(2026, 11, 23), "segunda"),
        (date(2026, 11, 24), "terça"),
        (date(2026, 11, 25), "quarta"),
        (date(2026, 11, 26), "quinta"),
        (date(2026, 11, 27), "sexta"),
        (date(2026, 11, 28), "sábado"),
        (date(2026, 11, 29), "domingo"),
    ],
)
def test_weekday_name_is_short_in_portuguese(day: date, name: str) -> None:
    assert weekday_name(day) == name


def test_weekday_name_follows_the_locale() -> None:
    with use_locale("en"):
        assert weekday_name(date(2026, 11, 24)) == "Tuesday"
    with use_locale("es"):
        assert weekday_name(date(2026, 11, 24)) == "martes"


def test_format_date_and_time() -> None:
    assert format_date(date(2026, 10, 14)) == "14/10"
    assert format_date(date(2026, 3, 5), with_year=True) == "05/03/2026"
    assert format_time(time(14, 0)) == "14h"
    assert format_time(time(14, 30)) == "14h30"
    assert format_time(time(8, 5)) == "8h05"
    with use_locale("es"):
        assert format_time(time(14, 0)) == "14:00"
        assert format_time(time(8, 5)) == "8:05"


@pytest.mark.parametrize(
    ("instant", "tz", "expected"),
    [
        (datetime(2026, 10, 13, 17, 0, tzinfo=UTC), SP, "terça, 13/10 às 14h"),
        (datetime(2026, 10, 13, 17, 30, tzinfo=UTC), SP, "terça, 13/10 às 14h30"),
        (datetime(2026, 10, 13, 17, 0, tzinfo=UTC), CUIABA, "terça, 13/10 às 13h"),
        (datetime(2026, 10, 13, 17, 0, tzinfo=UTC), "America/Rio_Branco", "terça, 13/10 às 12h"),
        (datetime(2026, 10, 13, 17, 0, tzinfo=UTC), "America/Noronha", "terça, 13/10 às 15h"),
        (datetime(2026, 10, 14, 4, 0, tzinfo=UTC), SP, "quarta, 14/10 à 1h"),
        (datetime(2026, 10, 14, 3, 0, tzinfo=UTC), SP, "quarta, 14/10 à 0h"),
        (datetime(2026, 10, 14, 2, 0, tzinfo=UTC), SP, "terça, 13/10 às 23h"),
        (datetime(2026, 10, 17, 12, 0, tzinfo=UTC), SP, "sábado, 17/10 às 9h"),
    ],
)
def test_format_when_is_brazilian(instant: datetime, tz: str, expected: str) -> None:
    assert format_when(instant, tz) == expected


def test_format_when_shows_the_year_only_when_asked() -> None:
    instant = datetime(2026, 10, 13, 17, 0, tzinfo=UTC)
    assert format_when(instant, SP, with_year=True) == "terça, 13/10/2026 às 14h"


def test_format_when_follows_the_locale() -> None:
    instant = datetime(2026, 10, 13, 17, 30, tzinfo=UTC)
    with use_locale("en"):
        assert format_when(instant, SP) == "Tuesday, 13/10 at 14:30"
    with use_locale("es"):
        assert format_when(instant, SP) == "martes, 13/10 a las 14:30"
        assert format_when(datetime(2026, 10, 14, 4, 0, tzinfo=UTC), SP) == (
            "miércoles, 14/10 a la 1:00"
        )


def test_format_when_reads_back_through_parse_when() -> None:
    instant = parse_when("sexta às 14h30", now=NOW, tz=CUIABA)
    assert format_when(instant, CUIABA) == "sexta, 27/11 às 14h30"


@pytest.mark.parametrize(
    ("delta", "expected"),
    [
        (timedelta(minutes=-5), "já passou"),
        (timedelta(days=-3), "já passou"),
        (timedelta(seconds=-30), "agora"),
        (timedelta(seconds=20), "agora"),
        (timedelta(minutes=1), "em 1 minuto"),
        (timedelta(minutes=15), "em 15 minutos"),
        (timedelta(hours=1), "em 1 hora"),
        (timedelta(hours=2), "em 2 horas"),
        (timedelta(hours=1, minutes=50), "em 2 horas"),
        (timedelta(hours=8), "hoje"),  # 18h, same day
        (timedelta(days=1), "amanhã"),
        (timedelta(days=3), "em 3 dias"),
        (timedelta(days=30), "em 30 dias"),
    ],
)
def test_format_until_speaks_like_a_colleague(delta: timedelta, expected: str) -> None:
    assert format_until(NOW + delta, NOW, tz=SP) == expected


def test_format_until_counts_days_in_the_network_zone() -> None:
    now = at(SP, "2026-11-23 22:00")  # 01:00 UTC on the 24th
    tomorrow_morning = local(SP, 2026, 11, 24, 9, 0)
    assert format_until(tomorrow_morning, now, tz=SP) == "amanhã"
    assert format_until(tomorrow_morning, now.astimezone(ZoneInfo(SP))) == "amanhã"


def test_format_until_follows_the_locale() -> None:
    with use_locale("en"):
        assert format_until(NOW + timedelta(days=3), NOW, tz=SP) == "in 3 days"
        assert format_until(NOW + timedelta(minutes=1), NOW, tz=SP) == "in 1 minute"
    with use_locale("es"):
        assert format_until(NOW + timedelta(days=1), NOW, tz=SP) == "mañana"
        assert format_until(NOW - timedelta(days=1), NOW, tz=SP) == "ya pasó"


# ------------------------------------------------------------------ months


def test_month_name_follows_the_locale() -> None:
    assert [month_name(m) for m in (1, 3, 12)] == ["janeiro", "março", "dezembro"]
    with use_locale("en"):
        assert month_name(3) == "March"
    with use_locale("es"):
        assert month_name(3) == "marzo"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Janeiro", 1),
        ("jan", 1),
        ("fev", 2),
        ("março", 3),
        ("marco", 3),
        ("MARÇO", 3),
        ("mar.", 3),
        ("3", 3),
        ("03", 3),
        ("set", 9),
        ("setem", 9),
        ("out", 10),
        ("dez", 12),
        ("12", 12),
        ("December", 12),
        ("enero", 1),
    ],
)
def test_parse_month_accepts_names_abbreviations_and_numbers(text: str, expected: int) -> None:
    assert parse_month(text) == expected


@pytest.mark.parametrize("text", ["", "xx", "ju", "13", "0", "mês"])
def test_parse_month_rejects_other_text(text: str) -> None:
    with pytest.raises(UserError) as exc:
        parse_month(text)
    assert "mês" in render(exc)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("6", 6),
        (" 12 ", 12),
        ("0", 0),
        ("²", None),
        ("１２", None),
        ("٣", None),
        ("-1", None),
        ("1e3", None),
        ("", None),
        ("1234567890", None),
    ],
)
def test_a_number_is_ascii_digits_only(text: str, expected: int | None) -> None:
    assert numbers.number(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026", 2026),
        ("0000", None),
        ("1999", None),
        ("2101", None),
        ("26", None),
        ("２０２６", None),
    ],
)
def test_a_year_is_one_a_network_can_have(text: str, expected: int | None) -> None:
    assert numbers.year(text) == expected


def test_a_list_of_days_shows_the_years_when_it_leaves_this_year() -> None:
    from bot.rules.dates import local_days, spans_years

    today = date(2026, 12, 20)
    assert not spans_years([date(2026, 12, 22), date(2026, 12, 29)], today)
    assert spans_years([date(2026, 12, 29), date(2027, 1, 5)], today)  # into January
    assert spans_years([date(2025, 11, 24)], today)  # last year's, still pending
    assert not spans_years([], today)
    # 23h on 31/12 in Cuiabá is already 1 January in UTC: the local day counts.
    late = datetime(2027, 1, 1, 3, tzinfo=UTC)
    assert local_days([late], CUIABA) == [date(2026, 12, 31)]


def test_durations_are_written_in_words() -> None:
    from bot.rules.dates import format_duration, join_words

    assert format_duration(timedelta(days=7)) == "7 dias"
    assert format_duration(timedelta(days=1, hours=2)) == "1 dia e 2 horas"
    assert format_duration(timedelta(hours=1, minutes=30)) == "1 hora e 30 minutos"
    assert format_duration(timedelta(minutes=1)) == "1 minuto"
    assert join_words(["7 dias", "1 dia", "2 horas"]) == "7 dias, 1 dia e 2 horas"
    with use_locale("es"):
        assert join_words([format_duration(timedelta(days=1)), "2 horas"]) == "1 día y 2 horas"


def test_a_date_of_another_year_shows_its_year() -> None:
    from bot.rules.dates import format_when

    now = datetime(2026, 12, 1, 15, tzinfo=UTC)
    soon = datetime(2026, 12, 8, 17, tzinfo=UTC)
    next_year = datetime(2027, 1, 12, 17, tzinfo=UTC)
    assert format_when(soon, "America/Sao_Paulo", now=now) == "terça, 08/12 às 14h"
    assert format_when(next_year, "America/Sao_Paulo", now=now) == "terça, 12/01/2027 às 14h"
