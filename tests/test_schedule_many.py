"""Many scheduled rows in few statements: repo.schedule_many and repo.cancel_scheduled_many."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, insert, select, text

from bot.clock import ManualClock
from bot.runtime import Runtime, open_runtime
from storage import repo
from storage.models import Network, ScheduledMessage
from tests.conftest import NOW, make_settings
from tests.postgres import PostgresServer, _quote_ident


async def two_networks(runtime: Runtime) -> tuple[Network, Network]:
    async with runtime.sessions() as session, session.begin():
        made = []
        for chat in ("-1", "-2"):
            made.append(
                await repo.create_network(
                    session=session,
                    platform="test",
                    chat_id=chat,
                    title="Rede",
                    timezone="America/Sao_Paulo",
                    state="PR",
                    locale="pt_BR",
                    now=NOW,
                )
            )
        return made[0], made[1]


async def test_schedule_many_is_schedule_for_each_row(runtime: Runtime) -> None:
    network, _other = await two_networks(runtime)
    first, later = NOW + timedelta(hours=1), NOW + timedelta(hours=2)
    async with runtime.sessions() as session, session.begin():
        await repo.schedule_many(
            session=session,
            rows=[
                repo.ScheduledRow(network.id, "k", "one", first, payload={"n": 1}),
                repo.ScheduledRow(network.id, "other", "x", first),
                repo.ScheduledRow(network.id, "k", "two", later, payload={"n": 2}),
            ],
        )
    async with runtime.sessions() as session:
        rows = {r.key: r for r in (await session.scalars(select(ScheduledMessage))).all()}
    # As two schedule() calls: the first's kind, the last's time and payload.
    assert (rows["k"].kind, rows["k"].due_at, rows["k"].payload) == ("one", later, {"n": 2})
    assert (rows["other"].payload, rows["other"].status, rows["other"].attempts) == (
        {},
        "pending",
        0,
    )
    assert rows["k"].due_at.tzinfo is not None


async def test_schedule_many_refreshes_rows_the_session_holds(runtime: Runtime) -> None:
    network, _other = await two_networks(runtime)
    async with runtime.sessions() as session, session.begin():
        await repo.schedule(session=session, network_id=network.id, key="k", kind="t", due_at=NOW)
    async with runtime.sessions() as session, session.begin():
        held = await session.scalar(select(ScheduledMessage))
        assert held is not None
        await repo.schedule_many(
            session=session,
            rows=[
                repo.ScheduledRow(network.id, "k", "t", NOW + timedelta(days=1), payload={"a": 1})
            ],
        )
        assert (held.due_at, held.payload) == (NOW + timedelta(days=1), {"a": 1})


async def test_many_rows_go_in_batches(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    network, _other = await two_networks(runtime)
    monkeypatch.setattr(repo, "UPSERT_BATCH", 7)
    monkeypatch.setattr(repo, "CANCEL_BATCH", 3)
    statements: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if not statement.startswith("BEGIN"):  # SQLite's BEGIN IMMEDIATE (storage.db)
            statements.append(statement.split()[0])

    event.listen(runtime.engine.sync_engine, "before_cursor_execute", record)
    try:
        async with runtime.sessions() as session, session.begin():
            await repo.schedule_many(
                session=session,
                rows=[repo.ScheduledRow(network.id, f"p{i % 10}:{i}", "t", NOW) for i in range(50)],
            )
            await repo.cancel_scheduled_many(
                session=session,
                cancels=[
                    repo.PrefixCancel(network.id, f"p{i}:", keep=(f"p{i}:{i}",)) for i in range(10)
                ],
            )
    finally:
        event.remove(runtime.engine.sync_engine, "before_cursor_execute", record)
    assert statements == ["INSERT"] * 8 + ["UPDATE"] * 4
    async with runtime.sessions() as session:
        pending = {
            r.key for r in await repo.pending_scheduled(session=session, network_id=network.id)
        }
    assert pending == {f"p{i}:{i}" for i in range(10)}


async def test_a_prefix_is_matched_exactly(runtime: Runtime) -> None:
    """Wildcards and case in keys, characters past ASCII, and the greatest code point."""
    network, other = await two_networks(runtime)
    keys = [
        "a_b:1",
        "axb:1",
        "a%b:1",
        "a%bc",
        "A_B:1",
        "a_b",
        "a_b;",
        "ação:1",
        "ação;",
        "açãp",
        "z\U0010ffff:1",
        "z\U0010ffff",
        "{",
    ]
    async with runtime.sessions() as session, session.begin():
        await repo.schedule_many(
            session=session,
            rows=[repo.ScheduledRow(n.id, k, "t", NOW) for n in (network, other) for k in keys],
        )
        await repo.cancel_scheduled(session=session, network_id=network.id, key_prefix="a_b:")
        await repo.cancel_scheduled(session=session, network_id=network.id, key_prefix="a%b")
        await repo.cancel_scheduled(session=session, network_id=network.id, key_prefix="ação:")
        await repo.cancel_scheduled(
            session=session, network_id=network.id, key_prefix="z\U0010ffff"
        )
    async with runtime.sessions() as session:
        left = {r.key for r in await repo.pending_scheduled(session=session, network_id=network.id)}
        others = await repo.pending_scheduled(session=session, network_id=other.id)
    assert left == {"axb:1", "A_B:1", "a_b", "a_b;", "ação;", "açãp", "{"}
    assert len(others) == len(keys)


async def _cancel_statement(runtime: Runtime, network: Network) -> tuple[str, Any]:
    """The UPDATE cancel_scheduled sends, and its parameters, as the driver got them."""
    seen: list[tuple[str, Any]] = []

    def record(_conn: object, _cursor: object, statement: str, parameters: Any, *_: object) -> None:
        if statement.startswith("UPDATE"):
            seen.append((statement, parameters))

    event.listen(runtime.engine.sync_engine, "before_cursor_execute", record)
    try:
        async with runtime.sessions() as session, session.begin():
            await repo.cancel_scheduled(
                session=session,
                network_id=network.id,
                key_prefix="meeting:7:remind:",
                keep=["meeting:7:remind:120"],
            )
    finally:
        event.remove(runtime.engine.sync_engine, "before_cursor_execute", record)
    (found,) = seen
    return found


async def _populate(runtime: Runtime, networks: int = 200, rows: int = 72) -> Network:
    """Many networks, each with a year's pending rows; the last of them is returned."""
    async with runtime.sessions() as session, session.begin():
        made = [
            Network(
                platform="fill",
                chat_id=str(i),
                title="Rede",
                timezone="America/Sao_Paulo",
                locale="pt_BR",
                reminder_offsets=[120],
                ics_token=f"fill-{i}",
                created_at=NOW,
            )
            for i in range(networks)
        ]
        session.add_all(made)
        await session.flush()
        await session.execute(
            insert(ScheduledMessage),
            [
                {
                    "network_id": n.id,
                    "key": f"meeting:{n.id * 100 + i // 6}:remind:{i}",
                    "kind": "meeting_reminder",
                    "due_at": NOW + timedelta(hours=i),
                    "payload": {},
                    "status": "pending",
                    "attempts": 0,
                }
                for n in made
                for i in range(rows)
            ],
        )
        if session.get_bind().dialect.name == "postgresql":
            await session.execute(text("ANALYZE scheduled_messages"))
        return made[-1]


async def test_the_prefix_cancel_uses_the_index(runtime: Runtime) -> None:
    network = await _populate(runtime)
    statement, parameters = await _cancel_statement(runtime, network)
    async with runtime.engine.connect() as conn:
        explain = "EXPLAIN QUERY PLAN" if conn.dialect.name == "sqlite" else "EXPLAIN"
        result = await conn.exec_driver_sql(f"{explain} {statement}", parameters)
        plan = " ".join(str(r[-1]) for r in result)
    assert "ix_scheduled_messages_network_status_key" in plan, plan
    if conn.dialect.name == "sqlite":
        assert "network_id=? AND status=? AND key>? AND key<?" in plan, plan
    else:  # the key range bounds the scan
        assert "~>=~" in plan and "~<~" in plan, plan


@pytest.fixture
async def icu_runtime(
    postgres_server: PostgresServer, clock: ManualClock
) -> AsyncIterator[Runtime]:
    """A database whose collation sorts ';' before ':' (ICU), unlike byte order."""
    name = f"icu_{os.getpid()}"
    try:
        postgres_server.execute(
            f"CREATE DATABASE {_quote_ident(name)} TEMPLATE template0 ENCODING 'UTF8'"
            " LOCALE 'C' LOCALE_PROVIDER icu ICU_LOCALE 'en-US'"
        )
    except Exception as exc:  # an old server, or one built without ICU
        pytest.skip(f"no ICU collation on this server: {exc}")
    runtime = await open_runtime(make_settings(postgres_server.url(name)), clock)
    try:
        yield runtime
    finally:
        await runtime.close()
        postgres_server.drop_database(name)


async def test_a_prefix_is_found_under_a_linguistic_collation(icu_runtime: Runtime) -> None:
    network, _other = await two_networks(icu_runtime)
    async with icu_runtime.sessions() as session, session.begin():
        await repo.schedule_many(
            session=session,
            rows=[
                repo.ScheduledRow(network.id, k, "t", NOW)
                for k in ("meeting:7:remind:10080", "meeting:7:remind:120", "meeting:7:start")
            ],
        )
    await _cancel_statement(icu_runtime, network)
    async with icu_runtime.sessions() as session:
        status = {r.key: r.status for r in (await session.scalars(select(ScheduledMessage))).all()}
    assert status == {
        "meeting:7:remind:10080": "cancelled",
        "meeting:7:remind:120": "pending",
        "meeting:7:start": "pending",
    }
