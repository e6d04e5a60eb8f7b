"""How the cost of confirming a year's calendar grows with the networks already present.

    .venv/bin/python bench/bench_setup.py [--networks 1000] [--samples 20]

A coordinator types ``/gerarcalendario 2027 2ª terça 14h CRAS`` and presses ✅ Save
(through Redebot.handle, as a chat would): 12 ordinary meetings, each with reminders
7d, 1d and 2h before, a start row, a quorum check and its month's announcement, 72
scheduled rows. The press is timed and its SQL statements counted (a
``before_cursor_execute`` listener) when 10, 100 and 1,000 networks, each with its
own confirmed calendar, are already present.

Three SQLite databases (files in a temporary directory) side by side in one run:

* before: the schema at head without migration 0006's index (dropped: the current code
  no longer runs on the whole schema of 0005) and the planning of main before batching,
  kept below as the baseline: ``repo.schedule`` row by row and the ``cancel_scheduled``
  of that time (a LIKE over the pending rows);
* row by row, 0006: the same baseline on the schema at head (what the index alone does);
* after: the schema at head and ``bot.scheduling.plan_meetings`` (one upsert and one
  cancel for the calendar).

The networks already present are filled alike in the three databases, by the batched
path (it writes the same rows as the baseline, see tests/test_plan_meetings.py), so the
run takes minutes; only the sampled confirmations use each variant's own path. A sample
network is deleted after its confirmation, so every sample sees exactly N networks.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy
from sqlalchemy import Connection, delete, event, func, select
from sqlalchemy.ext.asyncio import AsyncSession

import bot.services.calendar
from bench.bench_dispatch import incoming
from bot.clock import ManualClock
from bot.config import Settings
from bot.messages import Reply
from bot.runtime import Runtime, open_runtime
from bot.scheduling import (
    plan_meetings,
)
from storage.models import Meeting, Network, ScheduledMessage
from tests.legacy_scheduling import old_plan_meetings

NOW = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)
CALENDAR = "/gerarcalendario 2027 2ª terça 14h CRAS"
CHECKPOINTS = (10, 100, 1000)


class Planner(Protocol):
    def __call__(
        self, *, session: AsyncSession, network: Network, meetings: Iterable[Meeting], now: datetime
    ) -> Awaitable[None]: ...


# --- the baseline: planning as it was before batching (tests/legacy_scheduling.py) --------


# --- running it -------------------------------------------------------------------------


@dataclass
class Sample:
    seconds: float
    statements: int
    outbox: int  # statements on scheduled_messages
    inserts: int  # of them INSERTs
    updates: int  # of them UPDATEs (cancels)


@dataclass
class Variant:
    name: str
    schema: str
    planner: Planner
    runtime: Runtime | None = None
    recording: bool = False
    seen: list[tuple[str, Any]] = field(default_factory=list)
    samples: dict[int, list[Sample]] = field(default_factory=dict)
    last_cancel: tuple[str, Any] | None = None

    def record(
        self, _c: Connection, _cur: object, statement: str, params: Any, *_rest: object
    ) -> None:
        if self.recording:
            self.seen.append((statement, params))


async def confirm(variant: Variant, chat: int, planner: Planner) -> Sample:
    """Generate chat's calendar, then time the ✅ Save press with ``planner`` planning it."""
    assert variant.runtime is not None
    handle = variant.runtime.redebot.handle
    preview: list[Reply] = await handle(incoming(chat, CALENDAR))
    data = preview[-1].buttons[0][0].data
    # Saving the year (bot.services.calendar) looks plan_meetings up when it runs.
    calendar_module = vars(bot.services.calendar)
    calendar_module["plan_meetings"] = planner
    variant.seen.clear()
    variant.recording = True
    try:
        t0 = time.perf_counter()
        saved = await handle(incoming(chat, "", button=data))
        seconds = time.perf_counter() - t0
    finally:
        variant.recording = False
        calendar_module["plan_meetings"] = plan_meetings
    text = saved[0].text or ""
    assert "12 reuniões" in text, text
    outbox = [(s, p) for s, p in variant.seen if "scheduled_messages" in s]
    cancels = [(s, p) for s, p in outbox if s.startswith("UPDATE")]
    if cancels:
        variant.last_cancel = cancels[-1]
    return Sample(
        seconds=seconds,
        statements=len(variant.seen),
        outbox=len(outbox),
        inserts=sum(s.startswith("INSERT") for s, _p in outbox),
        updates=len(cancels),
    )


async def forget(variant: Variant, chat: int) -> None:
    """Delete a sample network (its meetings and rows go with it)."""
    assert variant.runtime is not None
    async with variant.runtime.sessions() as session, session.begin():
        await session.execute(
            delete(Network).where(Network.platform == "bench", Network.chat_id == str(-chat))
        )


# What migration 0006 added (storage/migrations/versions/0006_…): the outbox's index by
# network, status and key.
INDEX_0006 = "ix_scheduled_messages_network_status_key"


async def without_0006_index(runtime: Runtime) -> None:
    async with runtime.engine.begin() as conn:
        await conn.exec_driver_sql(f"DROP INDEX {INDEX_0006}")


async def plan_of(variant: Variant) -> list[str]:
    """EXPLAIN QUERY PLAN of the last cancel a sample sent, with its parameters."""
    assert variant.runtime is not None and variant.last_cancel is not None
    statement, params = variant.last_cancel
    async with variant.runtime.engine.connect() as conn:
        result = await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", params)
        return [str(row[-1]) for row in result]


async def rows_of(variant: Variant, chat: int) -> list[tuple[Any, ...]]:
    """What a confirmation wrote for chat's network (meeting ids aside)."""
    assert variant.runtime is not None
    async with variant.runtime.sessions() as session:
        rows = await session.execute(
            select(
                ScheduledMessage.kind,
                ScheduledMessage.due_at,
                ScheduledMessage.status,
                ScheduledMessage.payload,
            )
            .join(Network, Network.id == ScheduledMessage.network_id)
            .where(Network.platform == "bench", Network.chat_id == str(-chat))
        )
        return sorted((tuple(row) for row in rows), key=repr)


async def outbox_counts(variant: Variant) -> dict[str, int]:
    assert variant.runtime is not None
    async with variant.runtime.sessions() as session:
        rows = await session.execute(
            select(ScheduledMessage.status, func.count()).group_by(ScheduledMessage.status)
        )
        return {status: count for status, count in rows}


def cpu_name() -> str:
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return platform.processor() or "cpu"
    names = [line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")]
    return names[0] if names else platform.processor() or "cpu"


def ms(samples: list[Sample]) -> str:
    """Median (and fastest) time of the samples: the fastest is the least disturbed by
    whatever else the machine runs meanwhile."""
    seconds = [s.seconds for s in samples]
    return f"{statistics.median(seconds) * 1000:6.1f} ms ({min(seconds) * 1000:5.1f})"


async def run(networks: int, samples: int, tmp: str) -> None:
    clock = ManualClock(NOW)
    variants = [
        Variant("before (row by row, no 0006 index)", "no-0006", old_plan_meetings),
        Variant("row by row, 0006", "head", old_plan_meetings),
        Variant("after (batched, 0006)", "head", plan_meetings),
    ]
    for i, variant in enumerate(variants):
        url = f"sqlite+aiosqlite:///{tmp}/setup{i}.db"
        settings = Settings(_env_file=None, database_url=url)  # type: ignore[call-arg]
        variant.runtime = await open_runtime(settings, clock)
        if variant.schema == "no-0006":
            await without_0006_index(variant.runtime)
        event.listen(variant.runtime.engine.sync_engine, "before_cursor_execute", variant.record)

    checkpoints = [c for c in CHECKPOINTS if c <= networks] or [networks]
    present = 0
    chat = 0
    fill = 0.0
    for checkpoint in checkpoints:
        t0 = time.perf_counter()
        while present < checkpoint:
            chat += 1
            for variant in variants:
                await confirm(variant, chat, plan_meetings)
            present += 1
        fill += time.perf_counter() - t0
        for _ in range(samples):
            chat += 1
            written = []
            for variant in variants:
                variant.samples.setdefault(checkpoint, []).append(
                    await confirm(variant, chat, variant.planner)
                )
                written.append(await rows_of(variant, chat))
                await forget(variant, chat)
            assert all(w == written[0] for w in written), "the variants wrote different rows"
        print(f"... {present} networks present, sampled", file=sys.stderr, flush=True)

    counts = [await outbox_counts(v) for v in variants]
    assert all(c == counts[0] for c in counts), counts
    plans = [await plan_of(v) for v in variants]
    for variant in variants:
        assert variant.runtime is not None
        await variant.runtime.close()

    print(
        f"machine: {os.cpu_count()} cores, {platform.machine()}, {cpu_name()}; "
        f"{platform.system()} {platform.release()}; python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}, SQLAlchemy {sqlalchemy.__version__}"
    )
    print(
        f"time to confirm a year's calendar ({CALENDAR} + ✅) per network: median "
        f"(fastest) of {samples}; filling {present} networks x 3 databases took {fill:.0f} s"
    )
    print()
    print(f"{'networks present':>16}  " + "  ".join(f"{v.name:>26}" for v in variants))
    for checkpoint in checkpoints:
        cells = [ms(v.samples[checkpoint]).rjust(26) for v in variants]
        print(f"{checkpoint:>16}  " + "  ".join(cells))
    print()
    print("SQL statements per confirmation (the press: update id, network, member, draft,")
    print("meetings, plan), and those on scheduled_messages (INSERT / UPDATE / other):")
    for variant in variants:
        last = variant.samples[checkpoints[-1]][-1]
        other = last.outbox - last.inserts - last.updates
        print(
            f"  {variant.name:>26}: {last.statements:4d} statements; scheduled_messages: "
            f"{last.outbox:3d} ({last.inserts} INSERT, {last.updates} UPDATE, {other} SELECT)"
        )
    print()
    print(f"outbox at the end, each database: {counts[0]}")
    print()
    for variant, plan in zip(variants, plans, strict=True):
        print(f"EXPLAIN QUERY PLAN of a cancel, {variant.name}:")
        searches = plan[2::2]
        if plan[0] == "MULTI-INDEX OR" and len(set(searches)) == 1:  # one per prefix, alike
            plan = [plan[0], f"INDEX 1..{len(searches)}: {searches[0]}"]
        for line in plan:
            print(f"    {line}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--networks", type=int, default=1000)
    parser.add_argument("--samples", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(run(args.networks, args.samples, tmp))


if __name__ == "__main__":
    main()
