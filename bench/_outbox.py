"""Shared by bench_idle.py and bench_soak.py: the machine, a throw-away PostgreSQL, networks."""

from __future__ import annotations

import os
import platform
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.models import Network


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine(extra: str = "") -> str:
    parts = [
        f"{os.cpu_count()} cores",
        cpu_model(),
        f"{platform.system()} {platform.machine()}",
        f"Python {platform.python_version()}",
        f"SQLite {sqlite3.sqlite_version}",
    ]
    if extra:
        parts.append(extra)
    return "machine: " + ", ".join(parts)


def rss_mb() -> float:
    """This process's resident set size now, in MiB (Linux; peak RSS elsewhere)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@contextmanager
def postgres_server() -> Iterator[object]:
    """A throw-away PostgreSQL cluster on 127.0.0.1 (tests/postgres.py), removed at the end."""
    from tests.postgres import PostgresServer, find_pg_binaries

    bins = find_pg_binaries()
    if bins is None:
        raise SystemExit(
            "--postgres: no initdb/pg_ctl on PATH nor in /usr/lib/postgresql/*/bin "
            "(./scripts/test.sh installs them, or: apt-get install postgresql)"
        )
    server = PostgresServer(bins)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def postgres_database(server: object, name: str) -> str:
    """A fresh database ``name`` on ``server``; its SQLAlchemy URL."""
    from tests.postgres import PostgresServer

    assert isinstance(server, PostgresServer)
    server.drop_database(name)
    server.execute(f'CREATE DATABASE "{name}"')
    return server.url(name)


def drop_postgres_database(server: object, name: str) -> None:
    from tests.postgres import PostgresServer

    assert isinstance(server, PostgresServer)
    server.drop_database(name)


async def add_networks(engine: AsyncEngine, count: int, now: datetime) -> list[int]:
    """``count`` networks (one Core executemany); their ids."""
    async with engine.begin() as conn:
        await conn.execute(
            insert(Network),
            [
                {
                    "platform": "bench",
                    "chat_id": str(-1000000 - i),
                    "title": f"Rede {i}",
                    "timezone": "America/Sao_Paulo",
                    "state": "PR",
                    "locale": "pt_BR",
                    "reminder_offsets": [],
                    "ics_token": f"bench-{i}",
                    "created_at": now,
                }
                for i in range(count)
            ],
        )
        ids = (await conn.scalars(select(Network.id).where(Network.platform == "bench"))).all()
        total = await conn.scalar(select(func.count()).select_from(Network))
    assert total is not None and len(ids) == count
    return sorted(ids)


async def server_version(server: object) -> str:
    import asyncpg

    port = getattr(server, "port")  # noqa: B009 - a PostgresServer
    conn = await asyncpg.connect(host="127.0.0.1", port=port, user="postgres", database="postgres")
    try:
        return str(await conn.fetchval("SHOW server_version"))
    finally:
        await conn.close()
