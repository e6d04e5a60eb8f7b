"""Shared fixtures: settings on a temp database, a movable clock, both database backends."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.clock import ManualClock
from bot.config import Settings
from bot.runtime import Runtime, open_runtime
from storage.db import make_engine, migrate

pytest_plugins = ["tests.postgres", "tests.smtp", "tests.telegram_harness"]

# A Monday afternoon in Brasília (13:00 UTC = 10:00 in São Paulo).
NOW = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to the newest revision once per session, by the migrations
    start-up runs; tests get copies of it (start-up then finds nothing to do)."""
    path = tmp_path_factory.mktemp("migrated") / "redebot.db"

    async def run() -> None:
        engine = make_engine(f"sqlite+aiosqlite:///{path}")
        try:
            await migrate(engine)
        finally:
            await engine.dispose()  # the last connection folds the WAL into the file

    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, run()).result()
    return path


def _sqlite_copy(template: Path, tmp_path: Path) -> str:
    target = tmp_path / "redebot.db"
    shutil.copyfile(template, target)
    return f"sqlite+aiosqlite:///{target}"


@pytest.fixture
def sqlite_url(tmp_path: Path, migrated_sqlite: Path) -> str:
    """A fresh SQLite database for this test, already migrated."""
    return _sqlite_copy(migrated_sqlite, tmp_path)


@pytest.fixture
def empty_sqlite_url(tmp_path: Path) -> str:
    """A SQLite database that does not exist yet (for the migrations' own tests)."""
    return f"sqlite+aiosqlite:///{tmp_path / 'redebot.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Run the test on SQLite and on a real PostgreSQL server (a fresh database, already
    migrated: a copy of one migrated once per session)."""
    if request.param == "sqlite":
        return _sqlite_copy(request.getfixturevalue("migrated_sqlite"), tmp_path)
    url: str = request.getfixturevalue("postgres_migrated_url")
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database on SQLite and on PostgreSQL (for the migrations' own tests)."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'redebot.db'}"
    url: str = request.getfixturevalue("postgres_db_url")
    return url


def make_settings(database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": database_url,
        "telegram_bot_token": None,
        "default_timezone": "America/Sao_Paulo",
        "default_state": "PR",
        "public_base_url": "http://127.0.0.1:8080",
        "webhook_url": None,
        "webhook_secret": None,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
async def runtime(database_url: str, clock: ManualClock) -> AsyncIterator[Runtime]:
    rt = await open_runtime(make_settings(database_url), clock)
    yield rt
    await rt.close()


@pytest.fixture
async def sqlite_runtime(sqlite_url: str, clock: ManualClock) -> AsyncIterator[Runtime]:
    rt = await open_runtime(make_settings(sqlite_url), clock)
    yield rt
    await rt.close()
