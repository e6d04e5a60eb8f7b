"""kill -9 soak: the real dispatcher in a child process, killed at random moments until done.

    .venv/bin/python bench/bench_soak.py [--rows 200] [--kills 5] [--postgres [--no-sqlite]]
        [--networks 4] [--spread 0] [--lease 6] [--heartbeat 2] [--send-ms 5,20]
        [--seed S] [--logs DIR]

A database (an SQLite file in a temporary directory; with ``--postgres`` also a database
on a throw-away PostgreSQL server on 127.0.0.1, started from tests/postgres.py) gets
``--rows`` reminders spread over ``--networks`` networks, falling due one after the other
over ``--spread`` seconds (default 0: all due at once, a backlog). A child OS process
(``python bench/bench_soak.py --child ...``) runs the real dispatcher: ``open_runtime`` +
``attach_sender``, with a renderer registered for the bench kind that returns one Reply
with a unique text per row, and a send function that writes "start <id>" to the child's
log, waits 5-20 ms (the platform), then appends the message, "done <id> <chat> <text>",
each line flushed and fsynced. The dispatcher is built with a shorter lease and heartbeat
(``--lease 6 --heartbeat 2``: the production 30 s / 10 s in the same 3:1 ratio; pass
``--lease 30 --heartbeat 10`` for the real values) so a kill costs seconds, not half a
minute.

The parent kills the child with SIGKILL ``--kills`` times, each at a random moment of its
work (after its k-th send started, k random, plus a random 0-250 ms, so it falls in a
send, a mark, a claim or a render), starting a new child after each kill, until every
row is rendered and
every delivery marked sent; then the last child is stopped. At each kill it reads the
child's log and the database: the sends in flight (started, not done), the sends done
but not yet marked sent, the rows claimed by the dead worker, and when their lease lets
them be claimed again. At the end:

- messages lost (no "done" line; must be 0);
- duplicates (extra "done" lines) and the most copies of one message. A send in flight
  at a kill never wrote its message, so it is sent again, not duplicated; a send done but
  not yet marked (the at-least-once window from the platform's answer to the mark's
  commit) is sent again once. Duplicates are checked against those two (at risk), and
  the per-message copies printed when one has more than two;
- rendered once: one delivery per scheduled row;
- the time from a kill to its dead rows being claimable (claim time + lease), and how
  long they then waited, with a child up, to be sent again (lease + heartbeat is the
  bound of the two together); and the wall-clock time until they were sent again.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import create_async_engine

from bench._outbox import (
    add_networks,
    drop_postgres_database,
    machine,
    postgres_database,
    postgres_server,
    server_version,
)
from bot.clock import SystemClock
from bot.config import Settings
from bot.dispatcher import Dispatcher
from bot.messages import Reply
from bot.router import KindOptions, ScheduledContext
from bot.runtime import open_runtime
from storage.models import Delivery, ScheduledMessage

KIND = "soak"
READY_TIMEOUT = 60.0  # a child's start-up (imports, migrations)
CHILD_LIFETIME = 600.0  # a child exits by itself after this, killed or not
POLL = 0.005
SCRIPT = str(Path(__file__).resolve())


def settings_for(url: str) -> Settings:
    return Settings(_env_file=None, database_url=url, log_level="WARNING")  # type: ignore[call-arg]


# --- the child: the real dispatcher --------------------------------------------------------


async def child(config: dict[str, Any]) -> None:
    log = Path(config["log"]).open("a", encoding="utf-8")  # noqa: ASYNC230 - a bench log

    def line(entry: str) -> None:
        log.write(f"{time.time():.6f} {entry}\n")
        log.flush()
        os.fsync(log.fileno())

    rng = random.Random(config["seed"])
    low, high = config["send_s"]
    clock = SystemClock()
    runtime = await open_runtime(settings_for(config["url"]), clock)

    async def render(ctx: ScheduledContext) -> list[Reply]:
        return [Reply(text=f"soak-{ctx.row.payload['i']}", urgent=True)]

    async def send(chat_id: str, reply: Reply) -> None:
        number = reply.text.removeprefix("soak-")
        line(f"start {number}")
        await asyncio.sleep(rng.uniform(low, high))  # the platform
        line(f"done {number} {chat_id} {reply.text}")

    runtime.router.renderers[KIND] = render
    runtime.router.kind_options[KIND] = KindOptions(quiet=False)
    runtime.attach_sender(send)
    # The same wiring as Runtime.start_dispatcher, with the bench's lease and heartbeat.
    dispatcher = Dispatcher(
        sessions=runtime.sessions,
        router=runtime.router,
        settings=runtime.settings,
        clock=clock,
        courier=runtime.courier,
        lease=timedelta(seconds=config["lease"]),
        heartbeat=timedelta(seconds=config["heartbeat"]),
    )
    runtime.dispatcher = dispatcher
    runtime.redebot.on_scheduled = dispatcher.wake
    line(f"ready {dispatcher.worker}")
    try:
        await asyncio.wait_for(dispatcher.run_forever(), timeout=CHILD_LIFETIME)
    except TimeoutError:
        line("lifetime over")
    finally:
        await runtime.close()


# --- the parent ----------------------------------------------------------------------------


@dataclass
class Entry:
    at: float
    what: str
    number: int


@dataclass
class ChildLog:
    worker: str | None = None
    ready_at: float | None = None
    entries: list[Entry] = field(default_factory=list)

    @classmethod
    def read(cls, path: Path) -> ChildLog:
        result = cls()
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return result
        for raw in text.splitlines(keepends=True):
            if not raw.endswith("\n"):
                continue  # a line being written right now
            stamp, _sep, rest = raw.strip().partition(" ")
            what, _sep, tail = rest.partition(" ")
            if what == "ready":
                result.worker, result.ready_at = tail, float(stamp)
            elif what in ("start", "done"):
                result.entries.append(Entry(float(stamp), what, int(tail.split()[0])))
        return result

    def numbers(self, what: str) -> list[int]:
        return [e.number for e in self.entries if e.what == what]


@dataclass
class Kill:
    generation: int
    at: float  # time.time() of the SIGKILL
    after_ready: float
    trigger: str
    started: int
    done: int
    in_flight: list[int]  # started, not done
    at_risk: list[int]  # started, delivery not marked sent (in flight or done unmarked)
    dead_scheduled: dict[int, float]  # message -> claimed_at of rows the dead child held
    dead_deliveries: dict[int, float]
    claimable: float | None = None  # seconds from the kill until the last is claimable
    resent: float | None = None  # seconds from the kill until the last is sent again
    # Longest time one of them was claimable, with a child up, before it was sent again.
    waited: float | None = None

    def dead(self) -> dict[int, float]:
        return {**self.dead_scheduled, **self.dead_deliveries}


@dataclass
class Outcome:
    backend: str
    rows: int
    seconds: float
    kills: list[Kill]
    copies: Counter[int]
    deliveries_per_row: Counter[int]
    unsent_scheduled: int
    unsent_deliveries: int
    generations: int


async def prepare(url: str, rows: int, networks: int, spread: float) -> None:
    """``rows`` reminders, due one after the other from now to ``spread`` seconds on."""
    now = datetime.now(UTC)
    runtime = await open_runtime(settings_for(url), SystemClock())
    try:
        ids = await add_networks(runtime.engine, networks, now)
        async with runtime.engine.begin() as conn:
            await conn.execute(
                insert(ScheduledMessage),
                [
                    {
                        "network_id": ids[i % networks],
                        "key": f"soak:{i}",
                        "kind": KIND,
                        "due_at": now + timedelta(seconds=spread * i / rows),
                        "payload": {"i": i},
                        "status": "pending",
                        "attempts": 0,
                    }
                    for i in range(rows)
                ],
            )
    finally:
        await runtime.close()


async def snapshot(url: str) -> tuple[list[Any], list[Any]]:
    """(scheduled rows, deliveries) of the bench kind: number, status, claim, claim time.

    A plain engine: no BEGIN IMMEDIATE, so on SQLite (WAL) this read takes no lock
    the child would wait for.
    """
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            scheduled = (
                await conn.execute(
                    select(
                        ScheduledMessage.payload,
                        ScheduledMessage.status,
                        ScheduledMessage.claimed_by,
                        ScheduledMessage.claimed_at,
                        ScheduledMessage.id,
                    ).where(ScheduledMessage.kind == KIND)
                )
            ).all()
            deliveries = (
                await conn.execute(
                    select(
                        Delivery.payload,
                        Delivery.status,
                        Delivery.claimed_by,
                        Delivery.claimed_at,
                        Delivery.scheduled_id,
                    ).where(Delivery.kind == KIND)
                )
            ).all()
            await conn.rollback()
    finally:
        await engine.dispose()
    return list(scheduled), list(deliveries)


async def finished(url: str) -> bool:
    """Every row rendered and every delivery marked sent."""
    scheduled, deliveries = await snapshot(url)
    return all(row.status == "sent" for row in [*scheduled, *deliveries])


def delivery_number(payload: dict[str, Any]) -> int:
    return int(str(payload["text"]).removeprefix("soak-"))


async def wait_for(predicate: Any, seconds: float, url: str | None = None) -> bool:
    """Poll ``predicate`` until it holds (or, with ``url``, all is sent) or ``seconds`` passed.

    True when ``predicate`` held; the database is read every 0.2 s, the logs every 5 ms.
    """
    deadline = time.monotonic() + seconds
    checked = 0.0
    while time.monotonic() < deadline:
        if predicate():
            return True
        if url is not None and time.monotonic() - checked > 0.2:
            checked = time.monotonic()
            if await finished(url):
                return False
        await asyncio.sleep(POLL)
    return bool(predicate())


async def soak(backend: str, url: str, args: argparse.Namespace, tmp: Path) -> Outcome:
    rng = random.Random(args.seed)
    await prepare(url, args.rows, args.networks, args.spread)
    low, high = (float(v) / 1000 for v in args.send_ms.split(","))
    logs: list[Path] = []
    kills: list[Kill] = []
    lives: list[tuple[float, float]] = []  # (ready, killed or stopped) of each child
    started_at = time.monotonic()
    deadline = started_at + args.timeout
    generation = 0
    while time.monotonic() < deadline and generation < args.kills + 20:
        generation += 1
        log_path = tmp / f"{backend}-child-{generation}.log"
        logs.append(log_path)
        config = {
            "url": url,
            "log": str(log_path),
            "seed": rng.randrange(2**32),
            "send_s": [low, high],
            "lease": args.lease,
            "heartbeat": args.heartbeat,
        }
        errors = (tmp / f"{backend}-child-{generation}.err").open("w")
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            SCRIPT,
            "--child",
            json.dumps(config),
            stdin=subprocess.DEVNULL,
            stdout=errors,
            stderr=errors,
        )
        errors.close()
        try:
            ready = await wait_for(lambda p=log_path: ChildLog.read(p).ready_at, READY_TIMEOUT)
            if not ready:
                raise RuntimeError(f"child {generation} did not start: see {errors.name}")
            kill = None
            if len(kills) < args.kills:
                kill = await kill_at_random(
                    proc, url, log_path, logs, generation, rng, args, args.kills - len(kills)
                )
            if kill is None:
                # No more kills (or nothing left to kill it for): let it finish, then stop it.
                await wait_for(lambda: False, max(0, deadline - time.monotonic()), url)
                if not await finished(url):
                    raise RuntimeError("the soak did not finish in time")
                lives.append((float(ChildLog.read(log_path).ready_at or 0), time.time()))
                break
            await record(kill, url, log_path)
            kills.append(kill)
            lives.append((kill.at - kill.after_ready, kill.at))
        finally:
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    await asyncio.wait_for(proc.wait(), timeout=10)
                except TimeoutError:
                    proc.kill()
                    await proc.wait()
    seconds = time.monotonic() - started_at
    scheduled, deliveries = await snapshot(url)
    copies: Counter[int] = Counter()
    starts: dict[int, list[float]] = {}
    for path in logs:
        log = ChildLog.read(path)
        copies.update(log.numbers("done"))
        for entry in log.entries:
            if entry.what == "start":
                starts.setdefault(entry.number, []).append(entry.at)
    for kill in kills:
        come_back(kill, starts, lives, args.lease)
    per_row = Counter(d.scheduled_id for d in deliveries)
    return Outcome(
        backend=backend,
        rows=args.rows,
        seconds=seconds,
        kills=kills,
        copies=copies,
        deliveries_per_row=Counter(per_row.values()),
        unsent_scheduled=sum(1 for row in scheduled if row.status != "sent"),
        unsent_deliveries=sum(1 for row in deliveries if row.status != "sent"),
        generations=generation,
    )


def come_back(
    kill: Kill, starts: dict[int, list[float]], lives: list[tuple[float, float]], lease: float
) -> None:
    """When the dead child's rows became claimable, were sent again, and the wait between.

    The wait counts only the time some child was up: a lease that ends while no child
    runs (the next one was killed too, or is starting) is not the dispatcher's delay.
    """
    dead = kill.dead()
    if not dead:
        return
    claimable, resent, waited = [], [], []
    for number, claimed_at in dead.items():
        free_at = claimed_at + lease
        again = min((t for t in starts.get(number, []) if t > kill.at), default=None)
        claimable.append(free_at - kill.at)
        if again is None:
            return  # never sent again: counted as lost
        resent.append(again - kill.at)
        waited.append(sum(max(0.0, min(end, again) - max(begin, free_at)) for begin, end in lives))
    kill.claimable, kill.resent, kill.waited = max(claimable), max(resent), max(waited)


async def kill_at_random(
    proc: asyncio.subprocess.Process,
    url: str,
    log_path: Path,
    logs: list[Path],
    generation: int,
    rng: random.Random,
    args: argparse.Namespace,
    kills_left: int,
) -> Kill | None:
    """SIGKILL after the child's k-th send started (k random) and a random 0-250 ms more.

    None when everything was sent before the kill came.
    """
    sent = set()
    for path in logs:
        sent.update(ChildLog.read(path).numbers("done"))
    remaining = args.rows - len(sent)
    k = rng.randint(1, max(1, 2 * remaining // (kills_left + 1)))
    jitter = rng.uniform(0, 0.25)
    trigger = f"send #{k} +{jitter * 1000:.0f} ms"
    # Dead rows come back after the lease: wait that long (and more) for the k-th start.
    patience = 3 * args.lease + 30
    reached = await wait_for(
        lambda: len(ChildLog.read(log_path).numbers("start")) >= k or proc.returncode is not None,
        patience,
        url,
    )
    if proc.returncode is not None:
        raise RuntimeError(f"child {generation} exited by itself ({proc.returncode})")
    if not reached:
        if await finished(url):
            return None
        trigger = f"no send #{k} in {patience:g} s"
    await asyncio.sleep(jitter)
    proc.kill()  # SIGKILL, this child only
    at = time.time()
    await proc.wait()
    log = ChildLog.read(log_path)
    assert log.ready_at is not None
    started, done = log.numbers("start"), log.numbers("done")
    return Kill(
        generation=generation,
        at=at,
        after_ready=at - log.ready_at,
        trigger=trigger,
        started=len(started),
        done=len(done),
        in_flight=sorted(Counter(started) - Counter(done)),
        at_risk=[],
        dead_scheduled={},
        dead_deliveries={},
    )


async def record(kill: Kill, url: str, log_path: Path) -> None:
    """What the dead child left: its claims (and their lease), its unmarked sends."""
    log = ChildLog.read(log_path)
    worker = f"{log.worker}/"
    scheduled, deliveries = await snapshot(url)
    for row in scheduled:
        if row.status == "pending" and row.claimed_by and row.claimed_by.startswith(worker):
            kill.dead_scheduled[int(row.payload["i"])] = row.claimed_at.timestamp()
    marked = set()
    for row in deliveries:
        number = delivery_number(row.payload)
        if row.status == "sent":
            marked.add(number)
        elif row.claimed_by and row.claimed_by.startswith(worker):
            kill.dead_deliveries[number] = row.claimed_at.timestamp()
    kill.at_risk = sorted(set(log.numbers("start")) - marked)


# --- the report ----------------------------------------------------------------------------


def report(outcome: Outcome, args: argparse.Namespace) -> None:
    print(
        f"\n{outcome.backend}: {outcome.rows} reminders over {args.networks} networks, due over"
        f" {args.spread:g} s; lease {args.lease:g} s, heartbeat {args.heartbeat:g} s (shortened"
        f" for the bench); sends {args.send_ms} ms; seed {args.seed}; {len(outcome.kills)} kills,"
        f" {outcome.generations} child processes, {outcome.seconds:.1f} s"
    )
    header = (
        f"{'kill':>4} {'after ready s':>13} {'moment':<20} {'started':>7} {'done':>5} "
        f"{'in flight':>9} {'done unmarked':>13} {'dead claims':>11} {'claimable s':>11} "
        f"{'resent s':>8} {'waited s':>8}"
    )
    print(header)
    print("-" * len(header))

    def seconds(value: float | None) -> str:
        return "-" if value is None else f"{value:.1f}"

    for number, kill in enumerate(outcome.kills, 1):
        unmarked = len(kill.at_risk) - len(kill.in_flight)
        dead = f"{len(kill.dead_scheduled)}+{len(kill.dead_deliveries)}"
        print(
            f"{number:>4} {kill.after_ready:>13.2f} {kill.trigger:<20} {kill.started:>7} "
            f"{kill.done:>5} {len(kill.in_flight):>9} {unmarked:>13} {dead:>11} "
            f"{seconds(kill.claimable):>11} {seconds(kill.resent):>8} {seconds(kill.waited):>8}"
        )
    print(
        "in flight: started, not done; done unmarked: done, its delivery not yet marked sent;\n"
        "dead claims: scheduled rows + deliveries the killed child held; claimable / resent:\n"
        "seconds from the kill until the last of them was claimable again (claim time + lease)\n"
        "/ sent again; waited: the longest any of them was claimable, with a child up, and not\n"
        "yet sent again"
    )
    lost = outcome.rows - len(outcome.copies)
    duplicates = sum(c - 1 for c in outcome.copies.values())
    most = max(outcome.copies.values(), default=0)
    in_flight = sum(len(k.in_flight) for k in outcome.kills)
    at_risk = sum(len(k.at_risk) for k in outcome.kills)
    risked: Counter[int] = Counter(n for k in outcome.kills for n in k.at_risk)
    unexplained = sum(max(0, c - 1 - risked[n]) for n, c in outcome.copies.items())
    print(f"messages lost:      {lost} of {outcome.rows} (target 0)")
    print(
        f"duplicates:         {duplicates}; sends in flight at the kills {in_flight}, done but"
        f" unmarked {at_risk - in_flight} (at risk, the two together: {at_risk}); duplicates"
        f" not explained by an at-risk send: {unexplained}"
    )
    print(f"most copies of one: {most} (target <= 2)")
    for n, c in sorted(outcome.copies.items()):
        if c > 2:
            risks = [
                f"kill {k}: {'in flight' if n in kill.in_flight else 'done unmarked'}"
                for k, kill in enumerate(outcome.kills, 1)
                if n in kill.at_risk
            ]
            print(f"  message {n}: {c} copies; at risk at {', '.join(risks) or 'no kill'}")
    print(
        f"rendered once:      deliveries per scheduled row {dict(outcome.deliveries_per_row)}; "
        f"unsent at the end: {outcome.unsent_scheduled} scheduled, "
        f"{outcome.unsent_deliveries} deliveries"
    )
    back = [k for k in outcome.kills if k.claimable is not None and k.waited is not None]
    if back:
        claimable = max(k.claimable or 0.0 for k in back)
        waited = max(k.waited or 0.0 for k in back)
        resent = max(k.resent or 0.0 for k in back)
        bound = args.lease + args.heartbeat
        print(
            f"dead rows back:     claimable <= {claimable:.1f} s after a kill (lease {args.lease:g}"
            f" s), then sent again after <= {waited:.1f} s with a child up: claimable + waited"
            f" <= {claimable + waited:.1f} s (bound lease + heartbeat = {bound:g} s:"
            f" {'ok' if claimable + waited <= bound else 'EXCEEDED'}); wall clock, start-ups"
            f" and later kills included, <= {resent:.1f} s"
        )


async def run(args: argparse.Namespace) -> None:
    outcomes = []
    extra = ""
    with tempfile.TemporaryDirectory(prefix="redebot-soak-") as name:
        tmp = Path(args.logs or name)
        os.makedirs(tmp, exist_ok=True)
        if not args.no_sqlite:
            url = f"sqlite+aiosqlite:///{tmp}/soak.db"
            outcomes.append(await soak("sqlite", url, args, tmp))
        if args.postgres:
            with postgres_server() as server:
                extra = f"PostgreSQL {await server_version(server)}"
                url = postgres_database(server, "bench_soak")
                try:
                    outcomes.append(await soak("postgresql", url, args, tmp))
                finally:
                    drop_postgres_database(server, "bench_soak")
    print()
    print(machine(extra))
    for outcome in outcomes:
        report(outcome, args)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=200)
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--networks", type=int, default=4)
    parser.add_argument(
        "--spread",
        type=float,
        default=0.0,
        help="seconds over which the rows fall due (0: all now)",
    )
    parser.add_argument("--lease", type=float, default=6.0)
    parser.add_argument("--heartbeat", type=float, default=2.0)
    parser.add_argument("--send-ms", default="5,20", help="min,max of one send")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--timeout", type=float, default=170.0, help="per backend, seconds")
    parser.add_argument("--postgres", action="store_true", help="also on a PostgreSQL server")
    parser.add_argument("--no-sqlite", action="store_true", help="only PostgreSQL")
    parser.add_argument(
        "--logs", help="keep the child logs (and the SQLite file) in this directory"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    if args.child:
        asyncio.run(child(json.loads(args.child)))
        return
    if args.seed is None:
        args.seed = random.randrange(10**6)
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
