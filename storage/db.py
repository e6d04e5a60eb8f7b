"""Engine, sessions and migrations (Alembic, applied on start)."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, event, func, make_url, select
from sqlalchemy.engine.interfaces import DBAPIConnection, DBAPICursor
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.ext.asyncio import AsyncSession as AsyncSession
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.util import await_only

from storage import limits as _limits  # noqa: F401  (registers the check before each flush)
from storage import sqlite_driver

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


# How long an SQLite connection waits for another's write lock before it gives up.
SQLITE_BUSY_TIMEOUT = 30.0


def _sqlite_wal(cursor: DBAPICursor) -> None:
    """Put the file in WAL mode (it stays so), retrying while another connection switches.

    Processes opening a new file together each hold a read lock and want the write lock
    to switch it; SQLite answers one of them "database is locked" at once rather than
    through the busy timeout (waiting could deadlock). Once the file is in WAL mode this
    is a no-op, so only the first start of a new database can wait here, briefly; the
    pause is awaited (the connection is made inside SQLAlchemy's greenlet), so the event
    loop goes on meanwhile.
    """
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
        await_only(asyncio.sleep(0.01))


def make_engine(url: str) -> AsyncEngine:
    """An async engine; SQLite gets foreign keys on and a busy timeout for several writers."""
    if url.startswith("sqlite"):
        # hide_parameters: an error's log line never carries what people wrote.
        # async_creator_fn: SQLite's own connections, used on the event loop's thread (no
        # hand-off to a thread per statement); timeout: how long a transaction waits for
        # the write lock, awaited (storage/sqlite_driver.py).
        # pool_use_lifo: the connection used last is used next. SQLite drops a
        # connection's page cache when another connection has written since its last
        # transaction; taking the pool's connections in turn made every transaction
        # re-read its pages (the first statement of an update took three times longer).
        # ("mode=memory" is in the URL's query, not its database part.)
        memory = sqlite_driver.in_memory(make_url(url).database) or "mode=memory" in url
        engine = create_async_engine(
            url,
            connect_args={
                "timeout": SQLITE_BUSY_TIMEOUT,
                "async_creator_fn": sqlite_driver.connect,
            },
            hide_parameters=True,
            # A private in-memory database gets SQLAlchemy's StaticPool (one connection),
            # which takes no LIFO option.
            **({} if memory else {"pool_use_lifo": True}),
        )

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
            # The driver's own BEGIN is deferred: two concurrent transactions that read,
            # then write, make one fail at once (SQLITE_BUSY, the busy timeout is not
            # applied to a lock upgrade). We begin ourselves, IMMEDIATE (below).
            if dbapi_conn.isolation_level is not None:  # storage/sqlite_driver.py opens so
                dbapi_conn.isolation_level = None
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            _sqlite_wal(cursor)
            # With WAL, NORMAL cannot corrupt the database; a power cut may lose the
            # last commits, which the dispatcher's "at most one duplicate" already covers.
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _begin_immediate(conn: Connection) -> None:
            # Writers queue for the lock instead of failing (updates run concurrently); the
            # driver awaits it without blocking the event loop (storage/sqlite_driver.py).
            driver = conn.connection.driver_connection
            if isinstance(driver, sqlite_driver.Connection):
                try:
                    await_only(driver.begin_immediate())
                except sqlite3.Error as error:  # as SQLAlchemy gives a statement's error
                    raise DBAPIError.instance(
                        "BEGIN IMMEDIATE", None, error, sqlite3.Error, hide_parameters=True
                    ) from error
            else:
                conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_async_engine(url, pool_pre_ping=True, hide_parameters=True)


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


# The key of the PostgreSQL advisory lock held while migrating: any fixed 64-bit number
# that nothing else on the same database locks; this one is the bytes of "redebot".
MIGRATION_LOCK_KEY = int.from_bytes(b"redebot", "big")


def _upgrade(connection: Connection) -> None:
    cfg = alembic_config()
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, "head")


async def lock_for_migration(conn: AsyncConnection) -> None:
    """Begin ``conn``'s transaction holding the database's migration lock (till it ends).

    Processes that start together would otherwise all find the database empty and all
    create the same tables; with the lock, the first migrates and the others wait, then
    find the schema at head and do nothing. The lock is a transaction's own, so it ends
    with the commit or rollback of the migration, even if the process dies.

    * PostgreSQL: ``pg_advisory_xact_lock`` with a fixed key. READ COMMITTED gives each
      later statement a new snapshot, so a waiter sees the migration that ran before it.
    * SQLite: the transaction begins ``IMMEDIATE`` (``make_engine``'s "begin" listener),
      SQLite's write lock on the whole file (under WAL, readers still read; EXCLUSIVE adds
      nothing there). Waiters wait through the busy timeout set in ``make_engine``. The
      driver begins no transaction before DDL by itself, so this also makes a migration
      all or nothing instead of one autocommit per statement. A lock file would need a
      path next to the database and would not cover ``:memory:`` or a file reached from
      two machines; the database's own lock covers all of it.

    Take it before Alembic runs: Alembic keeps its running context in module globals, so
    two upgrades must not even interleave in one process (one waits here, outside them).
    Alembic finds the transaction begun and leaves committing it to the caller.
    """
    if conn.dialect.name == "postgresql":
        await conn.execute(select(func.pg_advisory_xact_lock(MIGRATION_LOCK_KEY)))
    elif conn.dialect.name == "sqlite":
        await conn.exec_driver_sql("SELECT 1")  # emits BEGIN IMMEDIATE: the write lock


async def migrate(engine: AsyncEngine) -> None:
    """Bring the schema to the newest revision (idempotent; safe for processes starting
    together, see :func:`lock_for_migration`).

    On SQLite, Alembic's batch mode rebuilds a table to alter it (copy, drop, rename);
    with foreign keys on, dropping the old table would cascade and delete the rows
    that point at it, so the migration runs with them off (PRAGMA is a no-op inside a
    transaction, hence before it begins).
    """
    async with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            await sqlite_pragma(conn, "PRAGMA foreign_keys=OFF")
        try:
            await lock_for_migration(conn)
            await conn.run_sync(_upgrade)
            await conn.commit()
        finally:
            if sqlite:
                await conn.rollback()  # nothing, or what a failed migration left open
                await sqlite_pragma(conn, "PRAGMA foreign_keys=ON")


async def sqlite_pragma(conn: AsyncConnection, pragma: str) -> None:
    """Run a PRAGMA outside any transaction (our "begin" listener would open one)."""
    raw = await conn.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None
    await driver.execute(pragma)
