"""Sliding-window limits (bot.ratelimit): on a virtual clock, then Telegram's over HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from bot.ratelimit import KeyedWindowLimiter, Limit, WindowLimiter
from tests.virtual_clock import VirtualClock


def most_in_any_window(times: Sequence[float], period: float) -> int:
    """The most events any half-open window [t, t + period) holds."""
    ordered = sorted(times)
    most, first = 0, 0
    for last, at in enumerate(ordered):
        while ordered[first] <= at - period:
            first += 1
        most = max(most, last - first + 1)
    return most


def limiter(
    clock: VirtualClock, max_events: int, period: float, margin: float = 0.0
) -> WindowLimiter:
    return WindowLimiter(max_events, period, now=clock.now, sleep=clock.sleep, margin=margin)


async def grant_times(clock: VirtualClock, window: WindowLimiter, count: int) -> list[float]:
    """Start ``count`` acquirers at once; when each got its event, in the order they started."""
    times: list[float] = [0.0] * count

    async def one(index: int) -> None:
        await window.acquire()
        times[index] = clock.now()

    async def main() -> None:
        await asyncio.gather(*(one(i) for i in range(count)))

    await clock.run(main())
    return times


# --- WindowLimiter ----------------------------------------------------------------------


async def test_no_window_holds_more_than_the_limit_and_none_is_wasted() -> None:
    clock = VirtualClock()
    times = await grant_times(clock, limiter(clock, 5, 1.0), 37)
    start = times[0]
    assert [t - start for t in times] == [float(i // 5) for i in range(37)]
    assert most_in_any_window(times, 1.0) == 5


async def test_the_margin_stretches_the_period() -> None:
    clock = VirtualClock()
    times = await grant_times(clock, limiter(clock, 3, 1.0, margin=0.05), 12)
    gaps = [times[i + 3] - times[i] for i in range(len(times) - 3)]
    assert min(gaps) == pytest.approx(1.05)
    assert most_in_any_window(times, 1.05) == 3


async def test_waiters_are_served_first_come_first_served() -> None:
    clock = VirtualClock()
    window = limiter(clock, 2, 1.0)
    served: list[int] = []

    async def one(index: int) -> None:
        await window.acquire()
        served.append(index)

    async def main() -> None:
        tasks = [asyncio.create_task(one(i)) for i in range(40)]
        await asyncio.sleep(0)
        for task in tasks[10:20]:  # leave the queue; the others keep their places
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    await clock.run(main())
    assert served == [*range(10), *range(20, 40)]
    assert clock.now() - 1000.0 == 14.0  # 30 events, 2 a second: the last at 14 s


async def test_five_hundred_waiters_sleep_once_per_window() -> None:
    clock = VirtualClock()
    window = limiter(clock, 10, 1.0)
    times = await grant_times(clock, window, 500)
    assert most_in_any_window(times, 1.0) == 10
    assert max(times) - min(times) == 49.0
    assert clock.sleeps == 49  # only the head of the queue sleeps, once per window
    assert window.waiting == 0


async def test_a_reservation_counts_from_its_grant_and_is_recorded_when_it_ends() -> None:
    clock = VirtualClock()
    window = limiter(clock, 2, 1.0)
    times: dict[str, float] = {}

    async def slow_request() -> None:
        async with window.reserve():
            times["granted"] = clock.now()
            await clock.sleep(5.0)  # the answer comes 5 s later: arrival is unknown till then
        times["answered"] = clock.now()

    async def one(name: str) -> None:
        await window.acquire()
        times[name] = clock.now()

    async def main() -> None:
        await asyncio.gather(slow_request(), *(one(name) for name in "abcdef"))

    await clock.run(main())
    # The reservation holds one of the two places throughout, so the others go one per
    # second; once it ends (at 5) it is an event at 5, and f shares no window with two.
    assert {k: t - 1000.0 for k, t in times.items()} == {
        "granted": 0.0,
        "a": 0.0,
        "b": 1.0,
        "c": 2.0,
        "d": 3.0,
        "e": 4.0,
        "answered": 5.0,
        "f": 5.0,
    }


async def test_when_every_place_is_in_flight_the_next_waits_for_an_answer() -> None:
    clock = VirtualClock()
    window = limiter(clock, 2, 1.0)
    answers = asyncio.Event()

    async def in_flight() -> None:
        async with window.reserve():
            await answers.wait()  # no timer: only the answer frees the place

    async def main() -> float:
        requests = [asyncio.create_task(in_flight()) for _ in range(2)]
        waiting = asyncio.create_task(window.acquire())
        await clock.sleep(10.0)
        assert not waiting.done() and window.in_flight == 2
        answers.set()
        await asyncio.gather(*requests, waiting)
        return clock.now()

    assert await clock.run(main()) == 1011.0  # one period after the answers at 1010
    assert clock.sleeps == 2  # the test's own sleep, then one until 1011: no polling


async def test_a_reservation_that_fails_still_counts() -> None:
    clock = VirtualClock()
    window = limiter(clock, 1, 1.0)

    async def main() -> float:
        with pytest.raises(RuntimeError):
            async with window.reserve():
                raise RuntimeError("timed out: the server may have seen it")
        await window.acquire()
        return clock.now()

    assert await clock.run(main()) == 1001.0


async def test_a_pause_holds_every_grant_and_is_never_shortened() -> None:
    clock = VirtualClock()
    window = limiter(clock, 100, 1.0)

    async def main() -> float:
        window.pause(2.5)
        window.pause(1.0)
        await window.acquire()
        return clock.now()

    assert await clock.run(main()) == 1002.5


async def test_a_cancelled_head_hands_the_turn_on() -> None:
    clock = VirtualClock()
    window = limiter(clock, 1, 10.0)

    async def main() -> float:
        await window.acquire()
        head = asyncio.create_task(window.acquire())  # sleeps until 1010
        follower = asyncio.create_task(window.acquire())
        await clock.sleep(3.0)
        head.cancel()
        await follower
        return clock.now()

    assert await clock.run(main()) == 1010.0


def test_limits_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_events"):
        WindowLimiter(0, 1.0)
    with pytest.raises(ValueError, match="period"):
        Limit(1, 0.0)
    with pytest.raises(ValueError, match="margin"):
        WindowLimiter(1, 1.0, margin=-0.1)


# --- KeyedWindowLimiter -----------------------------------------------------------------


async def test_each_key_has_its_own_window() -> None:
    clock = VirtualClock()
    keyed: KeyedWindowLimiter[str] = KeyedWindowLimiter(
        2, 1.0, now=clock.now, sleep=clock.sleep, margin=0.0
    )
    times: dict[str, list[float]] = {"a": [], "b": []}

    async def one(key: str) -> None:
        await keyed.acquire(key)
        times[key].append(clock.now())

    async def main() -> None:
        await asyncio.gather(*(one(key) for key in "abababab"))

    await clock.run(main())
    for key in "ab":
        assert [t - 1000.0 for t in times[key]] == [0.0, 0.0, 1.0, 1.0]


async def test_idle_keys_are_forgotten_and_busy_ones_kept() -> None:
    clock = VirtualClock()
    keyed: KeyedWindowLimiter[int] = KeyedWindowLimiter(
        1, 60.0, now=clock.now, sleep=clock.sleep, margin=0.0
    )

    async def main() -> None:
        for chat in range(6000):
            await keyed.acquire(chat)
        assert len(keyed) == 6000
        keyed.pause(1, 300.0)  # a chat under flood control keeps its pause
        async with keyed.reserve(2):  # and one with a request in flight its events
            await clock.sleep(61.0)
            await keyed.acquire(-1)  # the first acquire after a window span sweeps
            assert len(keyed) == 3
            assert [chat for chat in (-1, 0, 1, 2, 3, 5999) if chat in keyed] == [-1, 1, 2]

    await clock.run(main())


async def test_memory_follows_the_active_keys_in_a_long_fan_out() -> None:
    """5,570 chats at 30 per second, 20 per minute each: only recent chats are remembered."""
    clock = VirtualClock()
    keyed: KeyedWindowLimiter[int] = KeyedWindowLimiter(20, 60.0, now=clock.now, sleep=clock.sleep)
    remembered = 0

    async def main() -> None:
        nonlocal remembered
        for chat in range(5570):
            await keyed.acquire(chat)
            remembered = max(remembered, len(keyed))
            await clock.sleep(1 / 30)

    await clock.run(main())
    span = 60.0 * 1.03
    assert remembered <= 2 * span * 30 + 1
