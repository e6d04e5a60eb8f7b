"""The idle dispatcher with many pending future rows: flat in their number, and asleep.

    .venv/bin/python bench/bench_idle.py [--sizes 10000,100000,1000000] [--postgres]
        [--networks 1000] [--rounds 50] [--samples 20] [--idle 5]

For each size N, a fresh database (an SQLite file in a temporary directory; with
``--postgres`` also a database on a throw-away PostgreSQL server on 127.0.0.1, started
by the bench from tests/postgres.py) gets N pending scheduled rows, all in the future
(due from one day to one year ahead, in an order unrelated to their ids), spread over
``--networks`` networks, inserted with one INSERT ... SELECT (a recursive CTE on SQLite,
generate_series on PostgreSQL). Then, once with the current index layout ("new":
ix_scheduled_due (status, due_at) and ix_scheduled_claims (status, claimed_at)) and once
with the layout before migration 0005 ("old": ix_scheduled_messages_status (status) and
ix_scheduled_messages_due_at (due_at), recreated in the bench database):

- round: one dispatcher round when nothing is due, ``run_due()`` + ``next_wake()``
  (median and p95 over ``--rounds`` rounds, at most 30 s);
- beat: one heartbeat, ``beat()`` (every 10 s while the loop runs), median of 10;
- wake->send: ``run_forever()`` runs on the real SystemClock; a row due now is scheduled,
  committed, and ``dispatcher.wake()`` called: the time until the send callback is
  called with its message (time.perf_counter, median of ``--samples``; the samples are
  more than the loop's 1 s minimum gap between rounds apart, so each finds it asleep);
- idle: over ``--idle`` seconds of idleness with ``run_forever()``, dispatcher rounds
  per second (``dispatcher.rounds``) and SQL statements per second (heartbeats included);
- RSS of this process after the measurements.

The EXPLAIN QUERY PLAN (SQLite) / EXPLAIN (PostgreSQL) of the statements that
``repo.claim_due``, ``repo.next_due_at`` and ``repo.heartbeat`` really execute (captured
from the engine) is printed for the largest size, for both layouts.

SQLite runs without ANALYZE (redebot never runs it); on PostgreSQL the table is
ANALYZEd after the bulk insert and after each index change, as autovacuum would soon do.
Targets: round time flat within 2x from the smallest to the largest size; idle
wake-ups <= 1/s.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bench._outbox import (
    add_networks,
    drop_postgres_database,
    machine,
    postgres_database,
    postgres_server,
    rss_mb,
    server_version,
)
from bot.clock import SystemClock
from bot.config import Settings
from bot.dispatcher import Dispatcher
from bot.messages import Reply
from bot.router import KindOptions, ScheduledContext
from bot.runtime import Runtime, open_runtime
from storage import repo

KIND = "bench"
YEAR = 365 * 24 * 3600
# A prime: (i * STRIDE) % n permutes 0..n-1 (for n not a multiple of it), so due order
# and insertion (id) order are unrelated, as for rows scheduled over months.
STRIDE = 7919
ROUND_BUDGET = 30.0  # seconds at most for the round samples of one database and layout
SEND_TIMEOUT = 30.0

NEW_INDEXES = ("ix_scheduled_due", "ix_scheduled_claims")
OLD_INDEXES = (
    "CREATE INDEX ix_scheduled_messages_status ON scheduled_messages (status)",
    "CREATE INDEX ix_scheduled_messages_due_at ON scheduled_messages (due_at)",
)

SQLITE_FILL = """
WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i < :last)
INSERT INTO scheduled_messages (network_id, key, kind, due_at, payload, status, attempts)
SELECT :first + (i % :networks), 'bench:' || i, :kind,
       strftime('%Y-%m-%d %H:%M:%S', :start + ((i * :stride) % :n) * :span / :n, 'unixepoch')
         || '.000000',
       '{}', 'pending', 0
FROM seq
"""

POSTGRES_FILL = """
INSERT INTO scheduled_messages (network_id, key, kind, due_at, payload, status, attempts)
SELECT :first + (i % :networks), 'bench:' || i, :kind,
       to_timestamp(CAST(:start AS bigint)
                    + ((i::bigint * :stride) % :n) * CAST(:span AS bigint) / :n),
       '{}'::json, 'pending', 0
FROM generate_series(0, :last) AS i
"""


@dataclass
class Result:
    backend: str
    size: int
    layout: str
    build_s: float
    round_ms: float
    round_p95_ms: float
    rounds_measured: int
    beat_ms: float
    wake_ms: float
    wake_max_ms: float
    idle_rounds_per_s: float
    idle_statements_per_s: float
    rss_mib: float


def settings_for(url: str) -> Settings:
    return Settings(_env_file=None, database_url=url, log_level="WARNING")  # type: ignore[call-arg]


def ms(seconds: float) -> float:
    return seconds * 1000


# --- the database ----------------------------------------------------------------------


async def build(url: str, size: int, networks: int) -> float:
    """Schema (migrations), networks and ``size`` future rows; seconds it took."""
    t0 = time.perf_counter()
    runtime = await open_runtime(settings_for(url), SystemClock())
    try:
        engine = runtime.engine
        ids = await add_networks(engine, networks, datetime.now(UTC))
        assert ids == list(range(ids[0], ids[0] + networks)), "network ids not contiguous"
        start = int((datetime.now(UTC) + timedelta(days=1)).timestamp())
        sql = SQLITE_FILL if engine.dialect.name == "sqlite" else POSTGRES_FILL
        async with engine.begin() as conn:
            if engine.dialect.name == "sqlite":
                # Room for the indexes being filled in random order (this connection only).
                await conn.exec_driver_sql("PRAGMA cache_size = -262144")
            await conn.execute(
                text(sql),
                {
                    "first": ids[0],
                    "networks": networks,
                    "kind": KIND,
                    "start": start,
                    "stride": STRIDE,
                    "n": size,
                    "span": YEAR,
                    "last": size - 1,
                },
            )
        await analyze(engine)
    finally:
        await runtime.close()
    return time.perf_counter() - t0


async def analyze(engine: AsyncEngine) -> None:
    if engine.dialect.name == "postgresql":
        async with engine.connect() as conn:
            await conn.execute(text("ANALYZE scheduled_messages"))
            await conn.commit()


async def use_old_indexes(url: str) -> None:
    """The index layout of before migration 0005, in this database only."""
    runtime = await open_runtime(settings_for(url), SystemClock())
    try:
        async with runtime.engine.begin() as conn:
            for name in NEW_INDEXES:
                await conn.exec_driver_sql(f"DROP INDEX {name}")
            for statement in OLD_INDEXES:
                await conn.exec_driver_sql(statement)
        await analyze(runtime.engine)
    finally:
        await runtime.close()


# --- the plans -------------------------------------------------------------------------


def label(phase: str, statement: str) -> str:
    if phase == "heartbeat":
        return "heartbeat"
    if phase == "claim_due":
        return "claim_due: free rows" if "IS NULL" in statement else "claim_due: stale claims"
    return "next_due_at: free rows" if "IS NULL" in statement else "next_due_at: oldest claim"


async def plans(runtime: Runtime, dispatcher: Dispatcher) -> list[tuple[str, list[str]]]:
    """The plans of the scheduled_messages statements the repo functions execute."""
    engine = runtime.engine
    captured: list[tuple[str, str, Any]] = []
    phase = ""

    def capture(_c: object, _cur: object, statement: str, params: Any, *_rest: object) -> None:
        head = statement.lstrip().split(None, 1)[0].upper()
        if "scheduled_messages" in statement and head in ("SELECT", "UPDATE"):
            captured.append((label(phase, statement), statement, params))

    event.listen(engine.sync_engine, "before_cursor_execute", capture)
    try:
        now = datetime.now(UTC)
        phase = "claim_due"
        async with runtime.sessions() as session, session.begin():
            await repo.claim_due(
                session=session, now=now, worker="explain", lease=dispatcher.lease, limit=64
            )
        phase = "next_due_at"
        async with runtime.sessions() as session:
            await repo.next_due_at(session=session, lease=dispatcher.lease)
        phase = "heartbeat"
        async with runtime.sessions() as session, session.begin():
            await repo.heartbeat(session=session, claims=["explain/0"], now=now)
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", capture)
    sqlite = engine.dialect.name == "sqlite"
    out = []
    async with engine.connect() as conn:
        for name, statement, params in captured:
            prefix = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN "
            rows = (await conn.exec_driver_sql(prefix + statement, params)).all()
            lines = [str(row[3]) for row in rows] if sqlite else [str(row[0]) for row in rows]
            out.append((name, lines))
        await conn.rollback()
    return out


# --- the measurements ------------------------------------------------------------------


async def measure(
    backend: str, url: str, size: int, layout: str, build_s: float, args: argparse.Namespace
) -> tuple[Result, list[tuple[str, list[str]]]]:
    clock = SystemClock()
    runtime = await open_runtime(settings_for(url), clock)
    sent_at: dict[str, float] = {}
    arrived = asyncio.Event()

    async def render(ctx: ScheduledContext) -> list[Reply]:
        return [Reply(text=f"bench {ctx.row.key}", urgent=True)]

    async def send(chat_id: str, reply: Reply) -> None:
        sent_at[reply.text] = time.perf_counter()
        arrived.set()

    runtime.router.renderers[KIND] = render
    runtime.router.kind_options[KIND] = KindOptions(quiet=False)
    dispatcher = runtime.attach_sender(send)
    statements = 0

    def count(*_args: object) -> None:
        nonlocal statements
        statements += 1

    event.listen(runtime.engine.sync_engine, "before_cursor_execute", count)
    loop: asyncio.Task[None] | None = None
    try:
        explained = await plans(runtime, dispatcher)

        # (a) one round with nothing due.
        for _ in range(3):
            assert await dispatcher.run_due() == 0
            await dispatcher.next_wake()
        rounds: list[float] = []
        deadline = time.perf_counter() + ROUND_BUDGET
        while len(rounds) < args.rounds and time.perf_counter() < deadline:
            t0 = time.perf_counter()
            handled = await dispatcher.run_due()
            wake = await dispatcher.next_wake()
            rounds.append(time.perf_counter() - t0)
            assert handled == 0 and wake > clock.now(), "something was due"
        beats: list[float] = []
        for _ in range(10):
            t0 = time.perf_counter()
            await dispatcher.beat()
            beats.append(time.perf_counter() - t0)
        round_median = statistics.median(rounds)

        # (c) the idle loop.
        loop = asyncio.create_task(dispatcher.run_forever())
        for _ in range(6000):  # its first round: at most a minute
            if dispatcher.rounds >= 1:
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(max(1.5, 3 * round_median))
        rounds_before, statements_before = dispatcher.rounds, statements
        t0 = time.perf_counter()
        await asyncio.sleep(args.idle)
        idle_s = time.perf_counter() - t0
        idle_rounds = (dispatcher.rounds - rounds_before) / idle_s
        idle_statements = (statements - statements_before) / idle_s

        # (b) wake-up to send of a row just scheduled due now.
        network = await first_network(runtime)
        latencies: list[float] = []
        for k in range(args.samples):
            key = f"now:{layout}:{k}"
            async with runtime.sessions() as session, session.begin():
                await repo.schedule(
                    session=session, network_id=network, key=key, kind=KIND, due_at=clock.now()
                )
            arrived.clear()
            t0 = time.perf_counter()
            dispatcher.wake()
            await asyncio.wait_for(arrived.wait(), timeout=SEND_TIMEOUT)
            latencies.append(sent_at[f"bench {key}"] - t0)
            # Let the round end and the loop's minimum gap pass: the next wake finds it asleep.
            gap = dispatcher.min_round_gap.total_seconds() + 0.1
            resume = max(t0 + gap, time.perf_counter() + 2 * round_median + 0.05)
            await asyncio.sleep(max(0.0, resume - time.perf_counter()))
        rss = rss_mb()
    finally:
        if loop is not None:
            loop.cancel()
            try:
                await loop
            except asyncio.CancelledError:
                pass
        await runtime.close()
    rounds.sort()
    result = Result(
        backend=backend,
        size=size,
        layout=layout,
        build_s=build_s,
        round_ms=ms(round_median),
        round_p95_ms=ms(rounds[min(len(rounds) - 1, int(len(rounds) * 0.95))]),
        rounds_measured=len(rounds),
        beat_ms=ms(statistics.median(beats)),
        wake_ms=ms(statistics.median(latencies)),
        wake_max_ms=ms(max(latencies)),
        idle_rounds_per_s=idle_rounds,
        idle_statements_per_s=idle_statements,
        rss_mib=rss,
    )
    return result, explained


async def first_network(runtime: Runtime) -> int:
    async with runtime.engine.connect() as conn:
        value = await conn.scalar(text("SELECT min(id) FROM networks"))
    assert value is not None
    return int(value)


# --- the run ---------------------------------------------------------------------------


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


async def one_database(
    backend: str, url: str, size: int, args: argparse.Namespace, show_plans: bool
) -> list[Result]:
    build_s = await build(url, size, args.networks)
    progress(f"{backend} {size:,}: built in {build_s:.1f} s")
    results = []
    for layout in ("new", "old"):
        if layout == "old":
            t0 = time.perf_counter()
            await use_old_indexes(url)
            progress(f"{backend} {size:,}: old indexes in {time.perf_counter() - t0:.1f} s")
        result, explained = await measure(backend, url, size, layout, build_s, args)
        progress(
            f"{backend} {size:,} {layout}: round {result.round_ms:.2f} ms, "
            f"wake->send {result.wake_ms:.1f} ms"
        )
        results.append(result)
        if show_plans:
            print(f"\n{backend}, {size:,} rows, {layout} indexes:")
            for label, lines in explained:
                print(f"  {label}:")
                for line in lines:
                    print(f"      {line}")
    return results


def table(results: list[Result]) -> None:
    header = (
        f"{'backend':<10} {'rows':>9} {'layout':<6} {'round ms':>9} {'p95 ms':>8} "
        f"{'n':>3} {'beat ms':>8} {'wake->send ms':>13} {'max ms':>7} "
        f"{'idle rounds/s':>13} {'idle stmts/s':>12} {'RSS MiB':>8}"
    )
    print()
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r.backend:<10} {r.size:>9,} {r.layout:<6} {r.round_ms:>9.2f} "
            f"{r.round_p95_ms:>8.2f} {r.rounds_measured:>3} {r.beat_ms:>8.2f} "
            f"{r.wake_ms:>13.1f} {r.wake_max_ms:>7.1f} {r.idle_rounds_per_s:>13.2f} "
            f"{r.idle_statements_per_s:>12.2f} {r.rss_mib:>8.0f}"
        )
    print()
    for backend in dict.fromkeys(r.backend for r in results):
        for layout in ("new", "old"):
            rows = sorted(
                (r for r in results if r.backend == backend and r.layout == layout),
                key=lambda r: r.size,
            )
            if len(rows) < 2:
                continue
            small, large = rows[0], rows[-1]
            ratio = large.round_ms / small.round_ms
            idle = max(r.idle_rounds_per_s for r in rows)
            verdict = "flat" if ratio <= 2 else "NOT flat"
            print(
                f"{backend}, {layout} indexes: round {small.size:,} -> {large.size:,} rows "
                f"x{ratio:.1f} ({verdict}, target <= 2x); idle wake-ups at most {idle:.2f}/s "
                f"({'ok' if idle <= 1 else 'too many'}, target <= 1/s)"
            )


async def run(args: argparse.Namespace) -> None:
    sizes = sorted(int(s) for s in args.sizes.split(","))
    results: list[Result] = []
    extra = ""
    with tempfile.TemporaryDirectory(prefix="redebot-idle-") as tmp:
        for size in sizes:
            url = f"sqlite+aiosqlite:///{tmp}/idle-{size}.db"
            results += await one_database("sqlite", url, size, args, size == sizes[-1])
            os.unlink(os.path.join(tmp, f"idle-{size}.db"))
    if args.postgres:
        with postgres_server() as server:
            version = await server_version(server)
            extra = f"PostgreSQL {version}"
            for size in sizes:
                name = f"bench_idle_{size}"
                url = postgres_database(server, name)
                try:
                    results += await one_database("postgresql", url, size, args, size == sizes[-1])
                finally:
                    drop_postgres_database(server, name)
    print()
    print(machine(extra))
    print(
        f"{args.networks:,} networks; rows due 1 day to 1 year ahead; "
        f"round = run_due() + next_wake(), nothing due"
    )
    table(results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--networks", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--idle", type=float, default=5.0)
    parser.add_argument("--postgres", action="store_true", help="also on a PostgreSQL server")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
