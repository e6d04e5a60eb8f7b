"""Alembic environment: uses the connection redebot hands over, or DATABASE_URL."""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy import Connection

from storage.db import lock_for_migration, make_engine, sqlite_pragma
from storage.models import Base

target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_from_url(url: str) -> None:
    # Same care as storage.db.migrate: the bot's own engine (on SQLite its driver and
    # BEGIN IMMEDIATE, which the migration lock is), table rebuilds that must not cascade
    # deletes (the PRAGMA before the transaction: inside one it does nothing), and the
    # migration lock, so that a starting redebot does not migrate at the same time.
    engine = make_engine(url)
    async with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            await sqlite_pragma(conn, "PRAGMA foreign_keys=OFF")
        await lock_for_migration(conn)
        await conn.run_sync(_run)
        await conn.commit()
    await engine.dispose()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    asyncio.run(_run_from_url(os.environ.get("DATABASE_URL", "sqlite+aiosqlite:///redebot.db")))
