"""Sliding-window rate limits: never more than N events in any window of T seconds.

Platforms state their limits as windows ("30 messages per second", "20 per minute per
group") and count them on the arrival of each request. A leaky bucket (aiolimiter) lets a
full bucket's burst through on top of its steady rate, so a window can see almost twice
the limit; a sliding log cannot: an event is granted only when the event ``max_events``
places before it has left the window.

When does a request "happen"? The server sees it somewhere between the moment we let it
go and the moment its answer comes back; a cold connection (TCP and TLS handshakes) or a
busy event loop can put that arrival hundreds of milliseconds after the grant, more than
any margin on a one-second window. So a request is held as a *reservation*
(:meth:`WindowLimiter.reserve`): it counts from its grant, as if it were arriving at
every instant, until its answer; then it is recorded at that time, which is never before
its arrival. Whatever the latency, the server never sees more than ``max_events`` in one
window; the price is the round trip, once per window (a few milliseconds on a fast link).

The period is also stretched by a small ``margin`` (a fraction, 1% by default) for what
we cannot observe: where in its pipeline and on which clock the server counts.

Waiters are served first come, first served. Only the waiter at the head of the queue
waits on a timer (until the oldest event leaves the window, or a pause ends) or, when
every place is taken by requests in flight, for the next answer; the others wait on a
future, so hundreds of waiters cost no CPU. The clock (``now``, monotonic seconds) and
``sleep`` are injectable, so tests move time without waiting.

Nothing here knows a chat platform: Telegram uses it in ``bot.channels.telegram_limits``;
WhatsApp pacing (one message per 3 s per group, 20 per minute overall) is the same two
classes with other numbers.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Generic, TypeVar

DEFAULT_MARGIN = 0.01

Now = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]
K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class Limit:
    """At most ``max_events`` in any window of ``period_seconds``."""

    max_events: int
    period_seconds: float

    def __post_init__(self) -> None:
        if self.max_events < 1:
            raise ValueError(f"max_events must be at least 1, not {self.max_events}")
        if not self.period_seconds > 0:
            raise ValueError(f"period_seconds must be positive, not {self.period_seconds}")


class WindowLimiter:
    """A sliding-log limiter: no window of ``period_seconds`` holds more than ``max_events``.

    ``await limiter.acquire()`` returns when one more event fits, and records it at that
    instant. ``async with limiter.reserve():`` enters when one more event fits, lets the
    next waiter in at once, and records the event when the block exits (however it exits:
    a request that failed may have reached the server); until then the event counts as
    happening now. Reservations nest, to chain limits (a chat's, then the bot's).
    """

    def __init__(
        self,
        max_events: int,
        period_seconds: float,
        *,
        now: Now = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        margin: float = DEFAULT_MARGIN,
    ) -> None:
        self.limit = Limit(max_events, period_seconds)
        if not margin >= 0:
            raise ValueError(f"margin must be zero or positive, not {margin}")
        self.margin = margin
        # Two events max_events apart are recorded at least this far apart.
        self.span = period_seconds * (1 + margin)
        self._now = now
        self._sleep = sleep
        # Times of the last max_events recorded events, ascending (recorded as they end).
        self._events: deque[float] = deque(maxlen=max_events)
        self._in_flight = 0  # reservations granted, not yet recorded
        self._answered: asyncio.Future[None] | None = None  # the head waits for a record
        self._busy = False  # a task holds the turn (the head of the queue)
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._paused_until = -math.inf

    @property
    def max_events(self) -> int:
        return self.limit.max_events

    @property
    def period_seconds(self) -> float:
        return self.limit.period_seconds

    @property
    def waiting(self) -> int:
        """Tasks queued behind the one holding the turn."""
        return sum(1 for waiter in self._waiters if not waiter.done())

    @property
    def in_flight(self) -> int:
        """Reservations granted and not yet ended."""
        return self._in_flight

    async def acquire(self) -> None:
        """Wait for room in the window, first come first served, and record one event now."""
        await self._take_turn()
        try:
            await self._wait_for_room()
            self._events.append(self._now())
        finally:
            self._pass_turn()

    @asynccontextmanager
    async def reserve(self) -> AsyncIterator[None]:
        """Wait for room like :meth:`acquire`; the event is recorded when the block exits."""
        await self._take_turn()
        try:
            await self._wait_for_room()
            self._in_flight += 1
        finally:
            self._pass_turn()
        try:
            yield
        finally:
            self._in_flight -= 1
            self._events.append(self._now())
            if self._answered is not None and not self._answered.done():
                self._answered.set_result(None)

    def pause(self, seconds: float) -> None:
        """Grant nothing for ``seconds`` from now (a flood-control answer); never shortens."""
        self._paused_until = max(self._paused_until, self._now() + seconds)

    def delay(self) -> float:
        """Seconds until one more event fits (0: now; inf: when a reservation ends),
        ignoring the queue."""
        now = self._now()
        free = self.max_events - self._in_flight  # places not held by reservations
        if free <= 0:
            return math.inf
        delay = self._paused_until - now
        if len(self._events) >= free:
            # In the window, with the reservations, once the free-th latest event leaves it.
            delay = max(delay, self._events[-free] + self.span - now)
        return max(delay, 0.0)

    def idle(self) -> bool:
        """Nobody holds, waits for or has reserved a turn, no pause is in effect and the
        last event is out of the window: a fresh limiter would behave exactly the same."""
        if self._busy or self._waiters or self._in_flight:
            return False
        now = self._now()
        return self._paused_until <= now and (
            not self._events or self._events[-1] + self.span <= now
        )

    async def _wait_for_room(self) -> None:
        while (delay := self.delay()) > 0:
            if delay == math.inf:
                self._answered = asyncio.get_running_loop().create_future()
                await self._answered
            else:
                await self._sleep(delay)

    async def _take_turn(self) -> None:
        if not self._busy:
            self._busy = True
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self._pass_turn()  # the turn was handed to us as we were cancelled
            raise

    def _pass_turn(self) -> None:
        """Hand the turn to the oldest live waiter, or free it."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():  # cancelled waiters are dropped here, not searched for
                waiter.set_result(None)
                return
        self._busy = False


class KeyedWindowLimiter(Generic[K]):
    """One :class:`WindowLimiter` per key (a chat, a group), created on first use.

    Keys whose limiter is idle (see :meth:`WindowLimiter.idle`) are forgotten, at most once
    per window span, so memory follows the keys active in the last window or two, not
    every chat the bot ever wrote to.
    """

    def __init__(
        self,
        max_events: int,
        period_seconds: float,
        *,
        now: Now = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        margin: float = DEFAULT_MARGIN,
    ) -> None:
        self.limit = Limit(max_events, period_seconds)
        self._make: Callable[[], WindowLimiter] = lambda: WindowLimiter(
            max_events, period_seconds, now=now, sleep=sleep, margin=margin
        )
        self._now = now
        self._limiters: dict[K, WindowLimiter] = {}
        self._span = period_seconds * (1 + margin)
        self._next_sweep = now() + self._span

    def __len__(self) -> int:
        """How many keys are remembered."""
        return len(self._limiters)

    def __contains__(self, key: K) -> bool:
        return key in self._limiters

    async def acquire(self, key: K) -> None:
        await self._limiter(key).acquire()

    @asynccontextmanager
    async def reserve(self, key: K) -> AsyncIterator[None]:
        """:meth:`WindowLimiter.reserve` for ``key``."""
        async with self._limiter(key).reserve():
            yield

    def pause(self, key: K, seconds: float) -> None:
        self._limiter(key).pause(seconds)

    def delay(self, key: K) -> float:
        limiter = self._limiters.get(key)
        return 0.0 if limiter is None else limiter.delay()

    def forget_idle(self) -> int:
        """Drop the idle keys now; returns how many were dropped."""
        idle = [key for key, limiter in self._limiters.items() if limiter.idle()]
        for key in idle:
            del self._limiters[key]
        self._next_sweep = self._now() + self._span
        return len(idle)

    def _limiter(self, key: K) -> WindowLimiter:
        if self._now() >= self._next_sweep:
            self.forget_idle()
        limiter = self._limiters.get(key)
        if limiter is None:
            limiter = self._limiters[key] = self._make()
        return limiter
