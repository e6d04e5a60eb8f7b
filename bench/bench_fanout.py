"""One announcement to many groups through the real PTB client, against Telegram's limits.

    .venv/bin/python bench/bench_fanout.py [--groups 5570] [--senders 16] [--only new|old]

The fake Bot API server (tests/fakes/bot_api.py) runs in its own process in strict mode:
it refuses with a 429, as Telegram does, any message that would put more than 30 in any
1-second window for the bot, or more than 20 in any 60-second window for one group, counted
on arrival. Each limiter then sends one message to each of N groups through a real
``telegram.ext.ExtBot`` from ``--senders`` concurrent tasks (the dispatcher's concurrency
is 16), on a fresh server:

- old: PTB's AIORateLimiter as redebot configured it (30/1 s, 20/60 s, 5 retries): a
  leaky bucket, so a full bucket's burst goes out on top of the steady rate;
- new: redebot's RedebotRateLimiter (bot/channels/telegram_limits.py), sliding windows.

For each: messages delivered and lost (still refused after the retries), seconds from the
first send to the last answer, the achieved rate as a share of 30/s (as the server saw it:
messages / (first to last arrival + 1 s), so a sender that fills every window scores 100%),
the 429s the server answered, and the most messages that reached the server (refused ones
included) and that it let through in any 1-second window. At 30/s, 5,570 groups take
about three minutes per limiter.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import multiprocessing
import os
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from telegram.error import TelegramError
from telegram.ext import AIORateLimiter, BaseRateLimiter, ExtBot

from bot.channels.telegram_limits import RedebotRateLimiter
from tests.fakes.bot_api import FakeBotApi, StrictLimits

PER_SECOND = 30
TEXT = "📅 Reunião ordinária da rede: terça, 14h, no CRAS. Pauta no grupo."


@dataclass(frozen=True)
class ServerStats:
    accepted: int
    refusals: int
    most_let_through_in_one_second: int
    most_arrived_in_one_second: int  # refused ones included
    rate: float  # messages per second, first arrival to one window after the last


def serve(connection: Connection) -> None:
    """The server process: start, send its URL, and on any message answer its stats."""
    asyncio.run(_serve(connection))


async def _serve(connection: Connection) -> None:
    async with FakeBotApi(limits=StrictLimits()) as server:
        connection.send(server.base_url)
        await asyncio.get_running_loop().run_in_executor(None, connection.recv)
        connection.send(
            ServerStats(
                len(server.send_times),
                server.flood_refusals,
                server.most_sends_in(1.0),
                server.most_sends_in(1.0, with_refused=True),
                server.send_rate(1.0),
            )
        )


async def fan_out(
    base_url: str, limiter: BaseRateLimiter[int], groups: int, senders: int
) -> tuple[int, int, float]:
    """Send TEXT to ``groups`` supergroups; returns (delivered, lost, seconds)."""
    chats = iter(range(-1001000000001, -1001000000001 - groups, -1))
    delivered = lost = 0
    async with ExtBot(FakeBotApi.token, base_url=base_url, rate_limiter=limiter) as bot:

        async def sender() -> None:
            nonlocal delivered, lost
            for chat in chats:
                try:
                    await bot.send_message(chat, TEXT)
                    delivered += 1
                except TelegramError:
                    lost += 1

        start = time.perf_counter()
        await asyncio.gather(*(sender() for _ in range(senders)))
        seconds = time.perf_counter() - start
    return delivered, lost, seconds


def run(
    name: str, make_limiter: Callable[[], BaseRateLimiter[int]], groups: int, senders: int
) -> str:
    """One fan-out on a fresh server process; one line of the table."""
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    server = context.Process(target=serve, args=(theirs,), daemon=True)
    server.start()
    try:
        base_url = ours.recv()
        limiter = make_limiter()
        delivered, lost, seconds = asyncio.run(fan_out(base_url, limiter, groups, senders))
        ours.send("stats")
        stats: ServerStats = ours.recv()
    finally:
        server.join(timeout=10)
        if server.is_alive():
            server.terminate()
    assert stats.accepted == delivered, (stats, delivered)
    rate = stats.rate / PER_SECOND * 100
    return (
        f"{name:<28} {delivered:>9} {lost:>5} {seconds:>8.1f} {rate:>10.1f}% "
        f"{stats.refusals:>6} {stats.most_arrived_in_one_second:>12} "
        f"{stats.most_let_through_in_one_second:>12}"
    )


def old_limiter() -> AIORateLimiter:
    """redebot's limiter before bot/channels/telegram_limits.py, for group chats."""
    return AIORateLimiter(
        overall_max_rate=PER_SECOND,
        overall_time_period=1,
        group_max_rate=20,
        group_time_period=60,
        max_retries=5,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--groups", type=int, default=5570)
    parser.add_argument("--senders", type=int, default=16)
    parser.add_argument("--only", choices=("new", "old"), default=None)
    args = parser.parse_args()
    # AIORateLimiter logs a traceback for each message it gives up on; "lost" counts them.
    logging.getLogger("telegram.ext.AIORateLimiter").setLevel(logging.CRITICAL)
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}, load average {load}"
    )
    print(
        f"fan-out: one message to each of {args.groups} groups, {args.senders} concurrent "
        f"senders; server: at most {PER_SECOND} per 1 s per bot, 20 per 60 s per group"
    )
    print(
        f"{'limiter':<28} {'delivered':>9} {'lost':>5} {'seconds':>8} {'% of 30/s':>11} "
        f"{'429s':>6} {'max/1s seen':>12} {'max/1s let':>12}"
    )
    if args.only != "new":
        print(run("AIORateLimiter (old)", old_limiter, args.groups, args.senders), flush=True)
    if args.only != "old":
        print(run("RedebotRateLimiter (new)", RedebotRateLimiter, args.groups, args.senders))


if __name__ == "__main__":
    main()
