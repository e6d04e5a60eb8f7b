"""Issue 14, "dates as 'terça, 14/10 às 14h', with the year when it is not this year":
every message rendered for a reader (an update's replies, a scheduled row's messages)
shows a day's year exactly when it is not the reader's year. Played through the router on
SQLite and PostgreSQL; NOW (tests.conftest) is Monday 23/11/2026."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.clock import ManualClock
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


async def _calendar_2027_saved(group: Group) -> None:
    preview = await group.say(COORDINATOR, "/gerarcalendario 2027 2ª terça 14h CRAS")
    assert "Calendário 2027 salvo" in _text(
        await group.press(COORDINATOR, preview[-1].buttons[0][0].data)
    )


async def test_calendario_in_december_shows_next_year_once_this_one_has_nothing_left(
    runtime: Runtime, clock: ManualClock
) -> None:
    # 02/12/2026 at 04h30: no meeting left in 2026, the 2027 calendar just saved.
    await clock.set(datetime(2026, 12, 2, 7, 30, tzinfo=UTC))
    group = Group(runtime)
    await _calendar_2027_saved(group)
    for command in ("/calendario", "/reunioes"):
        shown = await group.text(ANA, command)
        assert shown.startswith("Reuniões de 2027:"), shown
        assert "• terça, 12/01 às 14h — CRAS" in shown and "Nenhuma reunião" not in shown
        assert "/calendario 2026" not in shown  # 2026 had no meeting to point to
    # The year typed is still that year.
    assert (await group.text(ANA, "/calendario 2026")).startswith("Nenhuma reunião em 2026.")


async def test_calendario_shows_this_year_while_a_meeting_remains_and_names_the_next(
    runtime: Runtime, clock: ManualClock
) -> None:
    group = await _calendars(runtime)  # 2026 from 08/12 (NOW is 23/11), 2027 whole
    shown = await group.text(ANA, "/calendario")
    assert shown.startswith("Reuniões de 2026:") and "• terça, 08/12 às 14h — CRAS" in shown
    assert "12/01" not in shown
    assert shown.endswith("O calendário de 2027 também já está pronto: /calendario 2027")
    # Past 2026's last meeting, 2027 is what members need; 2026 stays one command away.
    await clock.set(datetime(2026, 12, 9, 12, tzinfo=UTC))
    shown = await group.text(ANA, "/calendario")
    assert shown.startswith("Reuniões de 2027:") and "• terça, 12/01 às 14h — CRAS" in shown
    assert shown.endswith("As reuniões de 2026: /calendario 2026")
    assert (await group.text(ANA, "/calendario 2026")).startswith("Reuniões de 2026:")
