"""storage/sqlite_driver.py: SQLite on the event loop's thread, the results SQLAlchemy got
through aiosqlite's cursors, and a write lock that is awaited without blocking the loop."""

from __future__ import annotations

import asyncio
import gc
import sqlite3
import threading
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import repo, sqlite_driver
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
async def engine(sqlite_url: str, request: pytest.FixtureRequest) -> AsyncIterator[AsyncEngine]:
    if "short_busy_timeout" in request.fixturenames:
        request.getfixturevalue("short_busy_timeout")  # set before the engine is made
    engine = make_engine(sqlite_url)
    async with engine.begin() as conn:
        await conn.run_sync(METADATA.create_all)
    yield engine
    await engine.dispose()


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


async def test_statements_run_on_the_event_loops_thread(engine: AsyncEngine) -> None:
    # No thread to hand each statement to (aiosqlite's cost ten times the statement's).
    threads = threading.active_count()
    async with engine.begin() as conn:
        raw = await conn.get_raw_connection()
        driver = raw.driver_connection
        assert isinstance(driver, Connection)
        await driver.create_function("thread_id", 0, threading.get_ident)
        assert await conn.scalar(text("SELECT thread_id()")) == threading.get_ident()
        await conn.execute(insert(ITEMS).values(name="here"))
    assert threading.active_count() == threads


async def test_a_transaction_holds_the_write_lock_from_its_first_statement(
    engine: AsyncEngine, other: sqlite3.Connection
) -> None:
    # BEGIN IMMEDIATE (storage.db) as the transaction's first statement: after a mere
    # read it already holds SQLite's write lock, so two updates that read, then write,
    # queue for the lock instead of one failing at once.
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


@pytest.fixture
def other(sqlite_url: str) -> Iterator[sqlite3.Connection]:
    """Another process's connection to the same file (no busy timeout, no implicit BEGIN)."""
    path = sqlite_url.removeprefix("sqlite+aiosqlite:///")
    connection = sqlite3.connect(path, timeout=0, isolation_level=None)
    yield connection
    connection.close()


@pytest.fixture
def short_busy_timeout(monkeypatch: pytest.MonkeyPatch) -> float:
    """Engines made from now on give up on the write lock after this long (seconds)."""
    monkeypatch.setattr("storage.db.SQLITE_BUSY_TIMEOUT", 0.3)
    return 0.3


async def ticks_while(work: Any) -> tuple[Any, int]:
    """Run ``work`` (an awaitable) and count how often the loop ran something else."""
    ticks = 0
    done = False

    async def ticker() -> None:
        nonlocal ticks
        while not done:
            await asyncio.sleep(0.005)
            ticks += 1

    task = asyncio.create_task(ticker())
    try:
        result = await work
    finally:
        done = True
        await task
    return result, ticks


async def test_another_process_lock_is_awaited_without_blocking_the_loop(
    engine: AsyncEngine, other: sqlite3.Connection
) -> None:
    other.execute("BEGIN IMMEDIATE")  # another process writes for a while

    async def write() -> int | None:
        async with engine.begin() as conn:
            await conn.execute(insert(ITEMS).values(name="after"))
            return await conn.scalar(select(func.count()).select_from(ITEMS))

    async def release_later() -> None:
        await asyncio.sleep(0.15)
        other.execute("INSERT INTO items (name) VALUES ('first')")
        other.execute("COMMIT")

    releasing = asyncio.create_task(release_later())
    count, ticks = await ticks_while(write())
    await releasing
    assert count == 2  # it waited for the other writer, then saw its row
    assert ticks >= 10  # the loop kept running meanwhile (0.15 s at 5 ms a tick)


async def test_a_lock_held_too_long_is_the_drivers_error_and_nothing_stays_stuck(
    engine: AsyncEngine, other: sqlite3.Connection, short_busy_timeout: float
) -> None:
    other.execute("BEGIN IMMEDIATE")
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(OperationalError, match="locked"):
        async with engine.begin() as conn:
            await conn.execute(insert(ITEMS).values(name="never"))
    assert loop.time() - started >= short_busy_timeout * 0.9
    other.execute("ROLLBACK")
    async with engine.begin() as conn:  # the process's own queue was let go
        await conn.execute(insert(ITEMS).values(name="now"))
    async with engine.connect() as conn:
        assert await conn.scalar(select(ITEMS.c.name)) == "now"


async def test_writers_of_one_process_take_turns_in_order(engine: AsyncEngine) -> None:
    # The second transaction waits for the first, which awaits something else while it
    # holds the lock (it should not, but then only the other writers wait, not the loop).
    order: list[str] = []

    async def writer(name: str, hold: float) -> None:
        async with engine.begin() as conn:
            order.append(f"{name} began")
            await conn.execute(insert(ITEMS).values(name=name))
            await asyncio.sleep(hold)
            order.append(f"{name} ends")

    _, ticks = await ticks_while(asyncio.gather(writer("a", 0.1), writer("b", 0), writer("c", 0)))
    assert order == ["a began", "a ends", "b began", "b ends", "c began", "c ends"]
    assert ticks >= 5


async def test_a_writer_cancelled_while_waiting_takes_no_turn(
    engine: AsyncEngine, short_busy_timeout: float
) -> None:
    holding = asyncio.Event()
    release = asyncio.Event()

    async def holder() -> None:
        async with engine.begin() as conn:
            await conn.execute(insert(ITEMS).values(name="held"))
            holding.set()
            await release.wait()

    async def waiter() -> None:
        async with engine.begin() as conn:
            await conn.execute(insert(ITEMS).values(name="cancelled"))

    held = asyncio.create_task(holder())
    await holding.wait()
    waiting = asyncio.create_task(waiter())
    await asyncio.sleep(0.02)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    release.set()
    await held
    async with engine.begin() as conn:  # within the short timeout: nobody holds it
        await conn.execute(insert(ITEMS).values(name="next"))
    async with engine.connect() as conn:
        names = (await conn.scalars(select(ITEMS.c.name).order_by(ITEMS.c.id))).all()
    assert names == ["held", "next"]


async def test_a_failed_transaction_lets_the_next_one_go(
    engine: AsyncEngine, short_busy_timeout: float
) -> None:
    for _ in range(3):
        with pytest.raises(OperationalError):
            async with engine.begin() as conn:
                await conn.execute(text("SELECT * FROM no_such_table"))
    async with engine.begin() as conn:
        await conn.execute(insert(ITEMS).values(name="fine"))


async def test_a_writer_arriving_as_the_gate_is_handed_on_still_gives_up_in_time(
    engine: AsyncEngine, short_busy_timeout: float
) -> None:
    # a lets go in the very loop iteration c arrives; b, queued before c, then holds the
    # lock longer than the busy timeout: c gives up after its timeout, not after b.
    go = asyncio.Event()
    b_holds = asyncio.Event()
    loop = asyncio.get_running_loop()
    waited: list[float] = []

    async def a() -> None:
        async with engine.begin() as conn:
            await conn.execute(insert(ITEMS).values(name="a"))
            await go.wait()

    async def b() -> None:
        await asyncio.sleep(0.02)
        async with engine.begin() as conn:
            await conn.execute(insert(ITEMS).values(name="b"))
            b_holds.set()
            await asyncio.sleep(short_busy_timeout * 3)

    async def c() -> None:
        await go.wait()
        started = loop.time()
        with pytest.raises(OperationalError, match="locked"):
            async with engine.begin() as conn:
                await conn.execute(insert(ITEMS).values(name="c"))
        waited.append(loop.time() - started)

    async def opener() -> None:
        await asyncio.sleep(0.1)
        go.set()

    await asyncio.gather(a(), b(), c(), opener())
    assert b_holds.is_set()
    # c gave up after its own timeout (had it waited for b, it would have written, not raised)
    assert waited[0] >= short_busy_timeout * 0.9


async def test_a_connection_collected_unclosed_frees_the_lock_and_the_gate(
    sqlite_url: str,
) -> None:
    # SQLAlchemy drops a connection it cannot return to the pool; its transaction must
    # not keep SQLite's lock, nor this process's gate, for ever.
    path = sqlite_url.removeprefix("sqlite+aiosqlite:///")
    first = await sqlite_driver.connect(path, timeout=0.3)
    await first.begin_immediate()
    cursor = await first.execute("CREATE TABLE kept (id INTEGER PRIMARY KEY)")
    del first, cursor  # nothing refers to the connection any more
    gc.collect()
    await asyncio.sleep(0)  # the finalizer hands the gate on through the loop
    second = await sqlite_driver.connect(path, timeout=0.3)
    try:
        await second.begin_immediate()  # at once: nobody holds either lock
        _ = await second.execute("CREATE TABLE other (id INTEGER PRIMARY KEY)")
        await second.commit()
        names = await (await second.execute("SELECT name FROM sqlite_master")).fetchall()
        found = {n for (n,) in names}
        assert "other" in found and "kept" not in found  # the dropped one rolled back
    finally:
        await second.close()


async def test_a_new_file_waits_for_wal_mode_without_blocking_the_loop(tmp_path: Any) -> None:
    # Another process reads a new file still in rollback-journal mode: the switch to WAL
    # is refused ("locked") until it is done, and the loop runs on meanwhile.
    path = tmp_path / "new.db"
    other = sqlite3.connect(path, isolation_level=None)
    engine = make_engine(f"sqlite+aiosqlite:///{path}")
    try:
        other.execute("CREATE TABLE t (x INTEGER)")
        other.execute("BEGIN")
        other.execute("SELECT * FROM t").fetchall()  # a read lock held

        async def release_later() -> None:
            await asyncio.sleep(0.1)
            other.execute("COMMIT")

        async def journal_mode() -> Any:
            async with engine.connect() as conn:
                return await conn.scalar(text("PRAGMA journal_mode"))

        releasing = asyncio.create_task(release_later())
        mode, ticks = await ticks_while(journal_mode())
        await releasing
        assert mode == "wal"
        assert ticks >= 5
    finally:
        other.close()
        await engine.dispose()


@pytest.mark.filterwarnings("ignore:The garbage collector is trying to clean up")
async def test_a_connection_collected_in_another_thread_hands_the_gate_on_in_the_loop(
    engine: AsyncEngine,
) -> None:
    # A transaction's connection dropped in a reference cycle; the cycle is collected in
    # a worker thread (any thread can run the collector, e.g. one of asyncio.to_thread).
    # SQLAlchemy then terminates the connection there: the gate must be handed on in the
    # loop's own thread, and the loop woken, while that thread goes on with its work.
    loop = asyncio.get_running_loop()
    loop.set_debug(True)  # a call from the wrong thread raises instead of going unseen
    gc.disable()
    try:
        conn = await engine.connect()
        transaction = await conn.begin()
        await conn.execute(insert(ITEMS).values(name="dropped"))
        cycle: list[Any] = [conn, transaction]
        cycle.append(cycle)
        del conn, transaction, cycle
        written = threading.Event()

        async def writer() -> None:
            async with engine.begin() as other:
                await other.execute(insert(ITEMS).values(name="next"))
            written.set()

        writing = asyncio.create_task(writer())
        await asyncio.sleep(0.05)  # the writer waits at the gate

        def collect_then_work() -> bool:
            gc.collect()
            # Still "working": the writer must get through meanwhile, not after.
            return written.wait(5)

        worker = asyncio.create_task(asyncio.to_thread(collect_then_work))
        await asyncio.wait_for(writing, 10)
        assert await worker  # the writer went through while the thread was still busy
    finally:
        gc.enable()
        loop.set_debug(False)
    async with engine.connect() as check:
        names = (await check.scalars(select(ITEMS.c.name))).all()
    assert names == ["next"]


@pytest.mark.parametrize(
    "url",
    [
        "sqlite+aiosqlite://",
        "sqlite+aiosqlite:///:memory:",
        "sqlite+aiosqlite:///file:shared?mode=memory&cache=shared&uri=true",
    ],
    ids=["empty", "memory", "uri"],
)
async def test_an_in_memory_database_opens(url: str) -> None:
    # Its pool is SQLAlchemy's StaticPool, which takes none of a file's pool options.
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            assert await conn.scalar(text("SELECT 1")) == 1
    finally:
        await engine.dispose()
