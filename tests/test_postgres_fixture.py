"""The PostgreSQL fixtures give a real server, and a fresh database per test."""

from __future__ import annotations

import asyncpg
import pytest

from tests.postgres import asyncpg_dsn


async def test_session_database_is_a_real_postgres(postgres_url: str) -> None:
    conn = await asyncpg.connect(asyncpg_dsn(postgres_url))
    try:
        version: str = await conn.fetchval("select version()")
        database: str = await conn.fetchval("select current_database()")
    finally:
        await conn.close()
    assert version.startswith("PostgreSQL ")
    assert database == "redebot_test"


# Twice: the second run would fail on CREATE TABLE if the database were not fresh.
@pytest.mark.parametrize("run", [1, 2])
async def test_fresh_database_roundtrip(postgres_db_url: str, run: int) -> None:
    conn = await asyncpg.connect(asyncpg_dsn(postgres_db_url))
    try:
        assert (await conn.fetchval("select version()")).startswith("PostgreSQL ")
        tables = await conn.fetchval(
            "select count(*) from information_schema.tables where table_schema = 'public'"
        )
        assert tables == 0
        await conn.execute("create table note (id serial primary key, body text not null)")
        await conn.executemany("insert into note (body) values ($1)", [("olá",), (f"run {run}",)])
        rows = await conn.fetch("select body from note order by id")
    finally:
        await conn.close()
    assert [row["body"] for row in rows] == ["olá", f"run {run}"]
