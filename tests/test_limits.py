"""What PostgreSQL refuses and SQLite silently keeps is answered the same on both: a
text longer than its column, a NUL byte, an error that would repeat a whole argument."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.runtime import Runtime
from storage.models import ReportingDeadline, Sector
from tests.drive import COORDINATOR, Group


async def test_a_text_longer_than_its_column_is_refused_and_nothing_is_saved(
    runtime: Runtime,
) -> None:
    group = Group(runtime)
    await group.say(COORDINATOR, "/setor CRAS")
    name = "P" * 90
    said = await group.text(COORDINATOR, f"/prazos novo {name} | mensal dia 10 | CRAS")
    assert "O nome do prazo está longo demais: no máximo 80 caracteres (você enviou 90)" in said
    assert "Exemplo: /prazos novo" in said
    link = "https://" + "l" * 260
    said = await group.text(COORDINATOR, f"/prazos novo RMA | mensal dia 10 | CRAS | {link}")
    assert "O link está longo demais: no máximo 255 caracteres" in said
    async with runtime.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(ReportingDeadline)) == 0
    # The right form still works afterwards.
    said = await group.text(COORDINATOR, "/prazos novo RMA | mensal dia 10 | CRAS")
    assert "RMA" in said and "longo" not in said


async def test_nul_bytes_are_dropped_before_anything_reads_them(runtime: Runtime) -> None:
    group = Group(runtime)
    said = await group.text(COORDINATOR, "/setor Saú\x00de")
    assert "Saúde" in said
    async with runtime.sessions() as session:
        names = list(await session.scalars(select(Sector.name)))
    assert "Saúde" in names and not any("\x00" in n for n in names)


async def test_an_error_never_repeats_a_whole_long_argument(runtime: Runtime) -> None:
    group = Group(runtime)
    await group.say(COORDINATOR, "/setor CRAS")
    said = await group.text(COORDINATOR, "/pendencias " + "Setor Inexistente " * 250)
    assert "Não há setor" in said
    assert len(said) < 800
