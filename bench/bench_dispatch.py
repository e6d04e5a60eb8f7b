"""How fast redebot answers commands and sends a monthly announcement to many groups.

    .venv/bin/python bench/bench_dispatch.py [--networks 2000] [--database-url URL]

Measures, on a fresh database:
1. command handling: /proxima through Redebot.handle (one transaction each);
2. dispatch: the monthly announcement of N networks, claimed, rendered and
   handed to a sender that only counts (the platform's own rate limit, 30 msg/s on
   Telegram, is what bounds a real send; this measures redebot's own cost).
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.clock import ManualClock
from bot.config import Settings
from bot.messages import ChatKind, Incoming, Person, Reply
from bot.runtime import open_runtime
from storage.models import Network

NOW = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)
COORD = Person(user_id="1", name="Coordenação", is_admin=True)


def incoming(chat: int, text: str, button: str | None = None) -> Incoming:
    head, _sep, args = text[1:].partition(" ")
    return Incoming(
        platform="bench",
        chat_id=str(-chat),
        chat_kind=ChatKind.GROUP,
        sender=COORD,
        command=None if button else head,
        args=args,
        button=button,
    )


async def run(networks: int, database_url: str) -> None:
    clock = ManualClock(NOW)
    settings = Settings(_env_file=None, database_url=database_url)  # type: ignore[call-arg]
    runtime = await open_runtime(settings, clock)
    handle = runtime.redebot.handle

    start = time.perf_counter()
    for chat in range(1, networks + 1):
        replies = await handle(incoming(chat, "/gerarcalendario 2027 2ª terça 14h CRAS"))
        data = replies[-1].buttons[0][0].data
        await handle(incoming(chat, "", button=data))
    setup = time.perf_counter() - start

    samples = []
    for chat in range(1, min(networks, 500) + 1):
        t0 = time.perf_counter()
        await handle(incoming(chat, "/proxima"))
        samples.append(time.perf_counter() - t0)

    sent = 0

    async def count(network: Network, reply: Reply) -> None:
        nonlocal sent
        sent += 1

    dispatcher = runtime.attach_sender(count)
    # Monday 4 Jan, 8h in São Paulo (1 Jan is a holiday: quiet hours hold the announcement).
    await clock.set(datetime(2027, 1, 4, 11, 0, tzinfo=UTC))
    t0 = time.perf_counter()
    rows = await dispatcher.run_due()
    dispatch = time.perf_counter() - t0
    assert sent == networks, (sent, networks)
    await runtime.close()

    samples.sort()
    print(
        f"machine: {platform.machine()}, {platform.processor() or 'cpu'}, "
        f"python {platform.python_version()}, {database_url.split(':')[0]}"
    )
    print(f"setup: {networks} networks x 12 meetings generated and confirmed in {setup:.1f} s")
    print(
        f"/proxima: median {statistics.median(samples) * 1000:.1f} ms, "
        f"p95 {samples[int(len(samples) * 0.95)] * 1000:.1f} ms over {len(samples)} calls"
    )
    print(f"dispatch: {rows} announcements in {dispatch:.2f} s ({rows / dispatch:.0f} rows/s)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--networks", type=int, default=2000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite+aiosqlite:///{tmp}/bench.db"
        asyncio.run(run(args.networks, url))


if __name__ == "__main__":
    main()
