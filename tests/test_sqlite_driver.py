"""storage/sqlite_driver.py: aiosqlite with one thread hand-off per statement, and the
same results SQLAlchemy gets through aiosqlite's own cursors."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import repo
from storage.db import make_engine, migrate, session_factory
from storage.sqlite_driver import Connection

METADATA = MetaData()
ITEMS = Table(
    "items",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("name", String(20), unique=True),
)


@pytest.fixture
async def engine(sqlite_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(sqlite_url)
    async with engine.begin() as conn:
        await conn.run_sync(METADATA.create_all)
    yield engine
    await engine.dispose()


def count_handoffs(monkeypatch: pytest.MonkeyPatch) -> Callable[[], int]:
    """How many calls the event loop has handed to aiosqlite's threads since now."""
    calls: list[object] = []
    original = Connection._execute

    async def counted(self: Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(fn)
        return await original(self, fn, *args, **kwargs)

    monkeypatch.setattr(Connection, "_execute", counted)
    return lambda: len(calls)


async def test_rows_counts_and_ids_come_back_as_sqlite_gives_them(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        first = await conn.execute(insert(ITEMS).values(name="a"))
        assert first.inserted_primary_key == (1,)
        many = await conn.execute(insert(ITEMS), [{"name": n} for n in "bcde"])
        assert many.rowcount == 4
        returned = await conn.execute(insert(ITEMS).values(name="f").returning(ITEMS.c.id))
        assert returned.scalar_one() == 6
        changed = await conn.execute(text("UPDATE items SET name = name || '!' WHERE id > 3"))
        assert changed.rowcount == 3
        rows = (await conn.execute(select(ITEMS).order_by(ITEMS.c.id))).all()
        assert [tuple(r) for r in rows] == [
            (1, "a"),
            (2, "b"),
            (3, "c"),
            (4, "d!"),
            (5, "e!"),
            (6, "f!"),
        ]
        assert (await conn.execute(select(ITEMS).where(ITEMS.c.id > 99))).first() is None
        streamed = await conn.stream(select(ITEMS.c.name).order_by(ITEMS.c.id))
        assert [name async for (name,) in streamed] == ["a", "b", "c", "d!", "e!", "f!"]


async def test_errors_are_the_drivers_and_the_transaction_rolls_back(engine: AsyncEngine) -> None:
    with pytest.raises(IntegrityError):
        async with engine.begin() as conn:
            await conn.execute(insert(ITEMS).values(name="x"))
            await conn.execute(insert(ITEMS).values(name="x"))
    with pytest.raises(OperationalError):
        async with engine.begin() as conn:
            await conn.execute(text("SELECT * FROM no_such_table"))
    async with engine.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(ITEMS)) == 0


async def test_a_statement_is_one_thread_handoff(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # aiosqlite's own cursors make four (open, execute, fetch, close), the BEGIN is a
    # statement of its own and the pool rolls back a connection it gets back: a BEGIN,
    # two statements and the commit made 12 before this driver; here 3, the BEGIN going
    # with the first statement.
    async with engine.connect() as conn:
        await conn.execute(insert(ITEMS).values(name="warm"))
        await conn.commit()
    handoffs = count_handoffs(monkeypatch)
    async with engine.begin() as conn:
        await conn.execute(insert(ITEMS).values(name="y"))
        assert await conn.scalar(select(func.count()).select_from(ITEMS)) == 2
    assert handoffs() == 3


async def test_a_transaction_holds_the_write_lock_from_its_first_statement(
    engine: AsyncEngine, sqlite_url: str
) -> None:
    # BEGIN IMMEDIATE (storage.db) goes with the first statement: after a mere read the
    # transaction already holds SQLite's write lock, so two updates that read, then
    # write, queue on the busy timeout instead of one failing at once.
    path = sqlite_url.removeprefix("sqlite+aiosqlite:///")
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        async with engine.begin() as conn:
            assert await conn.scalar(select(func.count()).select_from(ITEMS)) == 0
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        other.execute("BEGIN IMMEDIATE")  # free again after the commit
        other.execute("ROLLBACK")

        async def read_then_write(name: str) -> None:
            async with engine.begin() as conn:
                await conn.scalar(select(func.count()).select_from(ITEMS))
                await asyncio.sleep(0.01)  # the other transaction tries to begin meanwhile
                await conn.execute(insert(ITEMS).values(name=name))

        await asyncio.gather(read_then_write("p"), read_then_write("q"))
        async with engine.connect() as conn:
            assert await conn.scalar(select(func.count()).select_from(ITEMS)) == 2
    finally:
        other.close()


async def test_the_bots_queries_run_on_it(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    try:
        await migrate(engine)
        now = datetime(2026, 11, 23, 13, tzinfo=UTC)
        sessions = session_factory(engine)
        async with sessions() as session, session.begin():
            raw = await session.connection()
            assert isinstance((await raw.get_raw_connection()).driver_connection, Connection)
            network = await repo.create_network(
                session=session,
                platform="telegram",
                chat_id="-1",
                title="Rede",
                timezone="America/Sao_Paulo",
                state="PR",
                locale="pt_BR",
                now=now,
            )
            assert await repo.mark_update_processed(
                session=session, platform="telegram", update_id=7, now=now
            )
            assert not await repo.mark_update_processed(
                session=session, platform="telegram", update_id=7, now=now
            )
        async with sessions() as session:
            found = await repo.network_by_chat(session=session, platform="telegram", chat_id="-1")
            assert found is not None and found.id == network.id
            assert len(await repo.sectors(session=session, network_id=network.id)) == len(
                repo.DEFAULT_SECTORS
            )
    finally:
        await engine.dispose()
