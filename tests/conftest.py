"""Shared fixtures: settings on a temp database, a movable clock, both database backends."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.clock import ManualClock
from bot.config import Settings
from bot.runtime import Runtime, open_runtime

pytest_plugins = ["tests.postgres", "tests.smtp", "tests.telegram_harness"]

# A Monday afternoon in Brasília (13:00 UTC = 10:00 in São Paulo).
NOW = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'redebot.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Run the test on SQLite and on a real PostgreSQL server."""
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
