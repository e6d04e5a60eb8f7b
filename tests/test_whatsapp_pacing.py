"""WhatsApp pacing on a virtual clock: one message per group every 3 s, 20 a minute
overall, a random pause before each — without waiting for any of it."""

from __future__ import annotations

import asyncio
import itertools
import random

from bot.channels.whatsapp import Pacing
from tests.virtual_clock import VirtualClock


async def _send_all(
    pacing: Pacing, chats: list[str], clock: VirtualClock
) -> list[tuple[float, str]]:
    sent: list[tuple[float, str]] = []

    async def one(chat: str) -> None:
        async with pacing.turn(chat):
            await pacing.message()
            sent.append((clock.now(), chat))

    await asyncio.gather(*(one(chat) for chat in chats))
    return sent


async def test_groups_get_one_message_every_3_s_and_the_number_20_a_minute() -> None:
    clock = VirtualClock()
    pauses: list[float] = []

    async def sleep(seconds: float) -> None:
        pauses.append(seconds)
        await clock.sleep(seconds)

    pacing = Pacing(now=clock.now, sleep=sleep, rng=random.Random(7))
    chats = [f"g{i % 5}@g.us" for i in range(60)]  # 12 messages to each of 5 groups
    sent = await clock.run(_send_all(pacing, chats, clock))
    assert len(sent) == 60
    for chat in set(chats):
        times = [t for t, c in sent if c == chat]
        assert min(b - a for a, b in itertools.pairwise(times)) >= 3.0
    times = sorted(t for t, _c in sent)
    # Any 21 messages in a row span more than a minute.
    assert all(later - first > 60.0 for first, later in zip(times, times[20:], strict=False))
    # The whole run is close to the cap, not far slower: 60 messages in a bit over 2 min.
    assert times[-1] - times[0] < 3 * 60
    jitter = pauses[: len(chats)]  # every turn starts with its random pause
    assert all(0.5 <= p <= 2.0 for p in jitter)
    assert len(set(round(p, 3) for p in jitter)) > 10


async def test_settings_change_the_pace() -> None:
    clock = VirtualClock()
    pacing = Pacing(
        group_interval=10.0, per_minute=6, jitter=(0.0, 0.0), now=clock.now, sleep=clock.sleep
    )
    sent = await clock.run(_send_all(pacing, ["a@g.us"] * 4 + ["b@g.us"] * 4, clock))
    for chat in ("a@g.us", "b@g.us"):
        times = [t for t, c in sent if c == chat]
        assert min(b - a for a, b in itertools.pairwise(times)) >= 10.0
    times = sorted(t for t, _c in sent)
    assert all(later - first > 60.0 for first, later in zip(times, times[6:], strict=False))
