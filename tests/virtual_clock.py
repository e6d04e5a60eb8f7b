"""Virtual monotonic time for rate-limit tests: hours of windows in milliseconds."""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class VirtualClock:
    """``now()`` and ``sleep()`` for code under test; time moves only when every task waits.

    ``await clock.run(main())`` runs ``main`` and, whenever no task can make progress, moves
    the time to the earliest sleeper's deadline and wakes the sleepers due then. So a
    sleeper wakes exactly at its deadline, never early and never late, and the test never
    waits on the machine. Only for code that waits on nothing but this clock and futures:
    a task blocked on real I/O would look idle.
    """

    def __init__(self, start: float = 1000.0) -> None:
        self.t = start
        self.sleeps = 0  # how many times code slept (a busy loop shows up here)
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def now(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.sleeps += 1
        waker: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.t + max(seconds, 0.0), next(self._order), waker))
        await waker

    async def run(self, main: Coroutine[Any, Any, T]) -> T:
        task = asyncio.ensure_future(main)
        while True:
            await self._settle()
            if task.done():
                return task.result()
            if not self._sleepers:
                task.cancel()
                raise AssertionError("deadlock: every task waits and nobody sleeps")
            self.t = max(self.t, self._sleepers[0][0])
            while self._sleepers and self._sleepers[0][0] <= self.t:
                waker = heapq.heappop(self._sleepers)[2]
                if not waker.done():
                    waker.set_result(None)

    @staticmethod
    async def _settle() -> None:
        """Return once no other callback is ready to run (every task is waiting)."""
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(0)
            # CPython's ready queue: empty while we run means nobody else can progress.
            if not loop._ready:  # type: ignore[attr-defined]
                return
