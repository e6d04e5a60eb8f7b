"""Issue 14, "dates as 'terça, 14/10 às 14h', with the year when it is not this year":
every message rendered for a reader (an update's replies, a scheduled row's messages)
shows a day's year exactly when it is not the reader's year. Played through the router on
SQLite and PostgreSQL; NOW (tests.conftest) is Monday 23/11/2026."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.messages import Reply
from bot.rules import dates
from bot.runtime import Runtime
from tests.drive import ANA, COORDINATOR, Group


def _text(replies: list[Reply]) -> str:
    return "\n".join(r.text or r.notice or "" for r in replies)


async def _calendars(runtime: Runtime) -> Group:
    group = Group(runtime)
    for year in (2026, 2027):
        preview = await group.say(COORDINATOR, f"/gerarcalendario {year} 2ª terça 14h CRAS")
        save = preview[-1].buttons[0][0].data
        assert f"Calendário {year} salvo" in _text(await group.press(COORDINATOR, save))
    await group.seat(ANA, "Saúde")
    return group


async def test_next_years_meetings_show_their_year_and_this_years_do_not(
    runtime: Runtime,
) -> None:
    group = await _calendars(runtime)
    moved = await group.text(COORDINATOR, "/remarcar 12/01 14h | 13/01 15h")
    assert "de terça, 12/01/2027 às 14h" in moved and "para quarta, 13/01/2027 às 15h" in moved
    cancelled = await group.text(COORDINATOR, "/cancelar 09/03 | falta de quórum")
    assert "09/03/2027" in cancelled and "09/03 " not in cancelled
    this_year = await group.text(COORDINATOR, "/remarcar 08/12 14h | 09/12 15h")
    assert "de terça, 08/12 às 14h" in this_year and "2026" not in this_year
    # The convocation's "that day already has" line names next year's meeting with its year.
    preview = await group.text(
        ANA, "/convocar 13/01 16h | CREAS | CASO-2026-001: plano | risco de evasão escolar"
    )
    assert "Reunião extraordinária: quarta, 13/01/2027 às 16h" in preview
    assert "a Rede já tem: reunião ordinária — quarta, 13/01/2027 às 15h, CRAS" in preview


def test_reading_sets_the_year_a_day_is_compared_with() -> None:
    day = date(2027, 1, 12)
    assert dates.format_date(day) == "12/01"  # no reader: as before
    # 23h on 31/12/2026 in São Paulo is already 2027 in UTC: the network's zone decides.
    with dates.reading(datetime(2027, 1, 1, 2, tzinfo=UTC), "America/Sao_Paulo"):
        assert dates.format_date(day) == "12/01/2027"
        assert dates.format_date(date(2026, 12, 31)) == "31/12"
        assert dates.format_date(date(2026, 12, 31), with_year=True) == "31/12/2026"
    with dates.reading(datetime(2027, 1, 2, tzinfo=UTC), "America/Sao_Paulo"):
        assert dates.format_date(day) == "12/01"
        assert dates.format_date(date(2026, 12, 31)) == "31/12/2026"
    assert dates.format_date(day) == "12/01"  # the block is over
