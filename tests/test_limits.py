"""What PostgreSQL refuses and SQLite silently keeps is answered the same on both: a
text longer than its column, a NUL byte, an error that would repeat a whole argument."""

from __future__ import annotations

from sqlalchemy import func, select, update

from bot.runtime import Runtime
from storage.models import ReportingDeadline, Sector, WorkingGroup
from tests.drive import ANA, COORDINATOR, Group


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


async def test_a_long_text_stored_before_the_checks_does_not_block_its_row(
    sqlite_runtime: Runtime,
) -> None:
    """SQLite kept any length before these checks: such a row can still be changed."""
    group = Group(sqlite_runtime)
    for who, sector in ((COORDINATOR, "CRAS"), (ANA, "Saúde")):
        await group.say(who, f"/setor {sector}")
    created = await group.text(
        COORDINATOR, "/gt criar GT Infância | Saúde, CRAS | quinzenal quarta 14h | CRAS"
    )
    assert "GT Infância" in created
    async with sqlite_runtime.sessions() as session, session.begin():
        await session.execute(update(WorkingGroup).values(place="L" * 300))  # as stored before
    closed = await group.text(COORDINATOR, "/gt encerrar GT Infância")
    assert "longo demais" not in closed and "encerrado" in closed.lower()
