"""The console speaks pt_BR and lets a tester play any member and any button (issue 14)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from bot.channels.console import ConsoleChannel, ShiftedClock, read_line, split_persona
from bot.runtime import open_runtime
from tests.conftest import make_settings


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'redebot.db'}"


async def _play(sqlite_url: str, tmp_path: Path, lines: list[str]) -> str:
    clock = ShiftedClock()
    runtime = await open_runtime(make_settings(sqlite_url), clock)
    out = io.StringIO()
    console = ConsoleChannel(runtime=runtime, clock=clock, out=out, files_dir=tmp_path / "files")
    runtime.add_channel(console)
    runtime.start_dispatcher()
    try:
        for line in lines:
            assert await console.line(line)
    finally:
        await runtime.close()
    return out.getvalue()


async def test_a_two_word_name_keeps_its_second_word_and_the_sector_is_the_known_end(
    sqlite_url: str, tmp_path: Path
) -> None:
    text = await _play(
        sqlite_url,
        tmp_path,
        [
            "/proxima",  # the bot meets the group (and its sectors)
            ":eu Ana Paula Conselho Tutelar",
            ":eu Maria José | Saúde",
        ],
    )
    assert "(agora você é Ana Paula)" in text
    assert "Ana Paula diz que representa Conselho Tutelar" in text
    assert "(agora você é Maria José)" in text
    assert "Maria José diz que representa Saúde" in text


def test_the_persona_split_without_a_bar() -> None:
    sectors = ["CRAS", "Conselho Tutelar", "Saúde"]
    assert split_persona("Ana Paula CRAS", sectors) == ("Ana Paula", "CRAS")
    assert split_persona("Ana conselho tutelar", sectors) == ("Ana", "conselho tutelar")
    assert split_persona("Ana Saúde", []) == ("Ana", "Saúde")
    assert split_persona("Ana Paula Souza", sectors) == ("Ana Paula Souza", "")
    assert split_persona("Ana Paula", sectors) == ("Ana Paula", "")
    assert split_persona("Ana PM", sectors) == ("Ana", "PM")


async def test_buttons_of_an_earlier_message_can_be_pressed(
    sqlite_url: str, tmp_path: Path
) -> None:
    year = ShiftedClock().now().year + 1
    text = await _play(
        sqlite_url,
        tmp_path,
        [
            f"/gerarcalendario {year} 2ª terça 14h CRAS",
            f"/gerarcalendario {year + 1} 2ª terça 14h CRAS",
            ":botao 1.1",  # Save of the first preview, not of the last one
        ],
    )
    assert "(:botao <n>, ou :botao 1.<n> depois)" in text
    assert "(:botao <n>, ou :botao 2.<n> depois)" in text
    assert f"Calendário {year} salvo" in text
    assert f"Calendário {year + 1} salvo" not in text


async def test_the_console_help_and_clock_are_in_portuguese(
    sqlite_url: str, tmp_path: Path
) -> None:
    text = await _play(sqlite_url, tmp_path, ["/proxima", ":ajuda", ":agora", ":avancar 2h"])
    assert "Comandos do console:" in text
    assert "Console commands" not in text
    weekday = "(segunda|terça|quarta|quinta|sexta|sábado|domingo)"
    assert re.search(rf"\n  {weekday}, \d\d/\d\d/\d{{4}} às? \d{{1,2}}h", text), text
    assert re.search(rf"\(agora: {weekday}, \d\d/\d\d/\d{{4}} às? \d{{1,2}}h", text), text


async def test_a_long_text_goes_on_over_several_lines() -> None:
    long = "x" * 5000
    stdin = io.StringIO(f"/ata {long}\\\n{long}\nnext\n")
    assert await read_line(stdin) == f"/ata {long}\n{long}\n"
    assert await read_line(stdin) == "next\n"
    assert await read_line(stdin) == ""
