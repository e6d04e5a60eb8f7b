"""Several processes starting at once on an empty database all migrate it, once."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import alembic_config, make_engine, migrate
from storage.models import Base
from tests.postgres import PostgresServer, _quote_ident

ROUNDS = 5
STARTERS = 4

HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()
TABLES = set(Base.metadata.tables)


@pytest.fixture
def empty_postgres(postgres_server: PostgresServer) -> Iterator[Callable[[], str]]:
    """Make as many fresh, empty databases as the test wants; all dropped afterwards."""
    made: list[str] = []

    def make() -> str:
        name = f"migrate_{os.getpid()}_{len(made)}"
        postgres_server.execute(f"CREATE DATABASE {_quote_ident(name)}")
        made.append(name)
        return postgres_server.url(name)

    try:
        yield make
    finally:
        for name in made:
            postgres_server.drop_database(name)


async def _schema(url: str) -> tuple[list[str], set[str]]:
    """The revisions recorded in alembic_version, and the tables of the database."""
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            revisions = list(
                (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalars()
            )
            tables = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
    finally:
        await engine.dispose()
    return revisions, tables


async def _assert_at_head(url: str) -> None:
    revisions, tables = await _schema(url)
    assert revisions == [HEAD]
    assert tables >= TABLES


async def _start_together(url: str) -> None:
    """What STARTERS processes do at start-up: each its own engine, all at once."""
    engines: list[AsyncEngine] = [make_engine(url) for _ in range(STARTERS)]
    try:
        results = await asyncio.gather(*(migrate(e) for e in engines), return_exceptions=True)
    finally:
        for engine in engines:
            await engine.dispose()
    assert [r for r in results if isinstance(r, BaseException)] == []
    await _assert_at_head(url)


def _run_migrate_processes(url: str, cwd: Path, count: int = 2) -> None:
    """``python -m bot migrate`` in ``count`` OS processes started together."""
    env = {**os.environ, "DATABASE_URL": url}
    env.pop("TELEGRAM_BOT_TOKEN", None)
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "bot", "migrate"],
            cwd=cwd,  # no .env of the developer's is read
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(count)
    ]
    outputs = [proc.communicate(timeout=90)[0] for proc in procs]
    for proc, output in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, output
        assert "database is up to date" in output


async def test_starts_together_on_an_empty_postgres_all_succeed(
    empty_postgres: Callable[[], str],
) -> None:
    for _ in range(ROUNDS):
        await _start_together(empty_postgres())


async def test_a_migrated_postgres_is_left_alone_by_later_starts(
    empty_postgres: Callable[[], str],
) -> None:
    url = empty_postgres()
    await _start_together(url)
    await _start_together(url)


async def test_migrate_processes_started_together_on_postgres_exit_0(
    empty_postgres: Callable[[], str], tmp_path: Path
) -> None:
    # One round of three processes: the race itself is tried ROUNDS times in process above
    # (starting an interpreter costs seconds; the lock is the same).
    url = empty_postgres()
    await asyncio.to_thread(_run_migrate_processes, url, tmp_path, 3)
    await _assert_at_head(url)


async def test_starts_together_on_an_empty_sqlite_all_succeed(tmp_path: Path) -> None:
    for i in range(ROUNDS):
        await _start_together(f"sqlite+aiosqlite:///{tmp_path / f'round{i}.db'}")


async def test_migrate_processes_started_together_on_sqlite_exit_0(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'proc.db'}"
    await asyncio.to_thread(_run_migrate_processes, url, tmp_path, 3)
    await _assert_at_head(url)


def test_alembic_by_hand_migrates_with_the_bots_engine(tmp_path: Path) -> None:
    # An operator's Alembic run (no connection handed over: DATABASE_URL) goes through
    # the bot's engine: on SQLite its driver, WAL and BEGIN IMMEDIATE (the migration lock).
    url = f"sqlite+aiosqlite:///{tmp_path / 'by_hand.db'}"
    script = (
        "from alembic import command\n"
        "from storage.db import alembic_config\n"
        "command.upgrade(alembic_config(), 'head')\n"
        "command.downgrade(alembic_config(), '-1')\n"
        "command.upgrade(alembic_config(), 'head')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        env={**os.environ, "DATABASE_URL": url},
        cwd=Path(__file__).resolve().parent.parent,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    asyncio.run(_assert_at_head(url))
    with sqlite3.connect(tmp_path / "by_hand.db") as check:
        assert check.execute("PRAGMA journal_mode").fetchone() == ("wal",)
