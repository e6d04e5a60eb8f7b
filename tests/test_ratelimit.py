"""Sliding-window limits (bot.ratelimit): on a virtual clock, then Telegram's over HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest
from telegram.error import RetryAfter
from telegram.ext import ExtBot

from bot.channels.telegram_limits import RETRY_GRACE_SECONDS, RedebotRateLimiter, sends_message
from bot.ratelimit import KeyedWindowLimiter, Limit, WindowLimiter
from tests.fakes.bot_api import FakeBotApi, StrictLimits
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


# --- RedebotRateLimiter: Telegram's limits, driven directly on the virtual clock --------

Data = dict[str, object]


class FakeRequests:
    """Stands in for PTB's HTTP call: logs (endpoint, chat, time); raises queued floods."""

    def __init__(self, clock: VirtualClock) -> None:
        self.clock = clock
        self.log: list[tuple[str, object, float]] = []
        self.floods: dict[object, list[RetryAfter]] = {}

    async def post(self, endpoint: str, data: Data) -> dict[str, object]:
        chat = data.get("chat_id")
        self.log.append((endpoint, chat, self.clock.now() - 1000.0))
        if self.floods.get(chat):
            raise self.floods[chat].pop(0)
        return {"ok": True}

    def times(self, chat: object = None, endpoint: str = "sendMessage") -> list[float]:
        return [t for e, c, t in self.log if e == endpoint and (chat is None or c == chat)]


async def request(
    limiter: RedebotRateLimiter,
    requests: FakeRequests,
    endpoint: str = "sendMessage",
    rate_limit_args: int | None = None,
    **data: object,
) -> object:
    return await limiter.process_request(
        requests.post, (endpoint, data), {}, endpoint, data, rate_limit_args
    )


def telegram_limiter(clock: VirtualClock, **overrides: Any) -> RedebotRateLimiter:
    return RedebotRateLimiter(now=clock.now, sleep=clock.sleep, margin=0.0, **overrides)


async def test_group_and_overall_windows_hold_together() -> None:
    clock = VirtualClock()
    requests = FakeRequests(clock)
    limiter = telegram_limiter(clock, overall=Limit(5, 1.0), group=Limit(2, 10.0))
    groups = [-100 - g for g in range(10)]

    async def main() -> None:
        await asyncio.gather(
            *(request(limiter, requests, chat_id=g, text="x") for g in groups for _ in range(3))
        )

    await clock.run(main())
    assert len(requests.times()) == 30
    assert most_in_any_window(requests.times(), 1.0) == 5
    for group in groups:
        assert most_in_any_window(requests.times(group), 10.0) == 2
    assert max(requests.times()) == 13.0  # the third messages wait for their group's window


async def test_the_group_budget_is_the_minute_setting_by_default() -> None:
    limiter = RedebotRateLimiter(group_rate_per_minute=7)
    assert limiter.groups.limit == Limit(7, 60.0)
    assert limiter.overall.limit == Limit(30, 1.0) and limiter.max_retries == 5


async def test_private_chats_get_one_message_per_second_and_usernames_count_as_groups() -> None:
    clock = VirtualClock()
    requests = FakeRequests(clock)
    limiter = telegram_limiter(clock, group=Limit(2, 60.0))

    async def main() -> None:
        await asyncio.gather(
            *(request(limiter, requests, chat_id=111, text="x") for _ in range(3)),
            *(request(limiter, requests, chat_id="@canal", text="x") for _ in range(3)),
        )

    await clock.run(main())
    assert requests.times(111) == [0.0, 1.0, 2.0]
    assert requests.times("@canal") == [0.0, 0.0, 60.0]


async def test_calls_that_send_no_message_skip_every_queue() -> None:
    clock = VirtualClock()
    requests = FakeRequests(clock)
    limiter = telegram_limiter(clock, overall=Limit(5, 1.0))
    others: dict[str, Data] = {
        "getMe": {},
        "answerCallbackQuery": {"callback_query_id": "1"},
        "getChatAdministrators": {"chat_id": -100},
        "sendChatAction": {"chat_id": -100, "action": "typing"},
        "setMyCommands": {"commands": []},
        "getFile": {"file_id": "f"},
    }

    async def main() -> None:
        announcement = [
            asyncio.create_task(request(limiter, requests, chat_id=-100 - g, text="x"))
            for g in range(50)
        ]
        await asyncio.sleep(0)
        for endpoint, data in others.items():
            await limiter.process_request(requests.post, (endpoint, data), {}, endpoint, data, None)
        await asyncio.gather(*announcement)

    await clock.run(main())
    assert max(requests.times()) == 9.0  # 50 messages, 5 a second
    assert {e: t for e, _c, t in requests.log if e in others} == dict.fromkeys(others, 0.0)
    assert all(sends_message(e) for e in ("sendMessage", "sendDocument", "editMessageText"))
    assert all(sends_message(e) for e in ("copyMessage", "forwardMessage", "stopPoll"))
    assert not any(sends_message(e) for e in others)


@pytest.mark.parametrize("retry_after", [3, timedelta(seconds=3)], ids=["int", "timedelta"])
async def test_a_flood_in_one_chat_pauses_only_that_chat(retry_after: int | timedelta) -> None:
    clock = VirtualClock()
    requests = FakeRequests(clock)
    requests.floods[-1] = [RetryAfter(retry_after)]
    limiter = telegram_limiter(clock)

    async def main() -> None:
        await asyncio.gather(
            request(limiter, requests, chat_id=-1, text="refused once"),
            *(request(limiter, requests, chat_id=-2, text="flows") for _ in range(3)),
        )

    await clock.run(main())
    assert requests.times(-1) == [0.0, pytest.approx(3.0 + RETRY_GRACE_SECONDS)]
    assert requests.times(-2) == [0.0, 0.0, 0.0]


async def test_floods_in_two_chats_pause_the_whole_bot() -> None:
    clock = VirtualClock()
    requests = FakeRequests(clock)
    requests.floods = {-1: [RetryAfter(2)], -2: [RetryAfter(2)]}
    limiter = telegram_limiter(clock)

    async def main() -> None:
        refused = [
            asyncio.create_task(request(limiter, requests, chat_id=chat, text="x"))
            for chat in (-1, -2)
        ]
        await asyncio.sleep(0)  # both refused: Telegram is flooding the bot, not a chat
        await request(limiter, requests, chat_id=-3, text="waits too")
        await asyncio.gather(*refused)

    await clock.run(main())
    after = pytest.approx(2.0 + RETRY_GRACE_SECONDS)
    assert requests.times() == [0.0, 0.0, after, after, after]
    assert requests.times(-3) == [after]


async def test_a_flood_keeps_being_retried_until_max_retries() -> None:
    clock = VirtualClock()
    requests = FakeRequests(clock)
    limiter = telegram_limiter(clock, max_retries=2)

    async def main() -> None:
        requests.floods[-1] = [RetryAfter(1) for _ in range(3)]
        with pytest.raises(RetryAfter):
            await request(limiter, requests, chat_id=-1, text="x")
        requests.floods[-2] = [RetryAfter(1)]
        with pytest.raises(RetryAfter):  # rate_limit_args: this call's own max_retries
            await request(limiter, requests, rate_limit_args=0, chat_id=-2, text="x")
        requests.floods[None] = [RetryAfter(1)]
        await request(limiter, requests, "getMe")  # not a message: only this call waits

    await clock.run(main())
    assert len(requests.times(-1)) == 3 and len(requests.times(-2)) == 1
    assert requests.times(endpoint="getMe")[1] - requests.times(endpoint="getMe")[0] == (
        pytest.approx(1.0 + RETRY_GRACE_SECONDS)
    )


# --- end to end: the real PTB client against the fake server's strict flood control -----


async def test_a_fan_out_fills_a_window_to_its_limit_without_a_single_429() -> None:
    """Telegram's windows scaled down: 10 per 0.5 s for the bot, 3 per 0.5 s per group.

    One busy group gets 6 messages (its window binds), 44 groups one each. Each window
    costs one round trip (see bot.ratelimit), tens of milliseconds on a loaded machine,
    so a window much shorter than 0.5 s would measure the machine more than the limiter.
    """
    limits = StrictLimits(per_bot=10, per_bot_seconds=0.5, per_group=3, per_group_seconds=0.5)
    limiter = RedebotRateLimiter(overall=Limit(10, 0.5), group=Limit(3, 0.5))
    chats = [-1] * 6 + [-1000 - group for group in range(44)]
    async with (
        FakeBotApi(limits=limits) as server,
        ExtBot(server.token, base_url=server.base_url, rate_limiter=limiter) as bot,
    ):

        async def sender() -> None:  # 16 of them, as the dispatcher's concurrent sends
            while chats:
                await bot.send_message(chats.pop(0), "Reunião da rede na terça, 14h")

        await asyncio.gather(*(sender() for _ in range(16)))
    assert server.flood_refusals == 0
    assert len(server.send_times) == 50
    # A window is filled to its limit, never past it. How close the fan-out comes to the
    # allowed rate is a speed: bench/bench_fanout.py measures it (on a loaded machine a
    # rate asserted here measured the machine, not the limiter).
    assert server.most_sends_in(0.5) == 10


async def test_a_forced_429_is_waited_out_and_delivered_once_while_others_flow() -> None:
    async with (
        FakeBotApi(limits=StrictLimits()) as server,
        ExtBot(server.token, base_url=server.base_url, rate_limiter=RedebotRateLimiter()) as bot,
    ):
        server.fail_next("sendMessage", 429, retry_after=1, chat_id=-1)
        await asyncio.gather(
            bot.send_message(-1, "convocação"),
            *(bot.send_message(-2, f"lembrete {n}") for n in range(3)),
        )
        delivered = [m["text"] for m in server.sent_messages(-1)]
    assert delivered == ["convocação"]
    order = [(c.params["chat_id"], c.error_code) for c in server.calls_of("sendMessage")]
    assert order == [(-1, 429), (-2, None), (-2, None), (-2, None), (-1, None)]
    assert server.flood_refusals == 0  # the forced 429 came from fail_next, not the windows
