"""Concurrent across chats, in order within a chat (ARCHITECTURE.md, decision 6)."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger(__name__)

Job = Callable[[], Awaitable[Any]]


def _retrieve(future: asyncio.Future[Any]) -> None:
    """Log a job's exception when nobody awaits its future (long polling)."""
    if not future.cancelled() and future.exception() is not None:
        log.error("a queued job failed", exc_info=future.exception())


class Lanes:
    """One queue per key (a chat); keys run side by side, at most ``limit`` jobs at once.

    A lane's worker task exists only while its queue has work, so thousands of quiet
    chats cost nothing. A job's exception is its future's, never the lane's.
    """

    def __init__(self, limit: int = 64) -> None:
        self._queues: dict[str, deque[tuple[Job, asyncio.Future[Any]]]] = {}
        self._workers: set[asyncio.Task[None]] = set()
        self._slots = asyncio.Semaphore(limit)
        self.done = 0  # jobs finished so far (tests and benchmarks wait on it)

    def submit(self, key: str, job: Job) -> asyncio.Future[Any]:
        """Queue ``job`` behind the earlier jobs of ``key``; the future holds its result."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        queue = self._queues.get(key)
        if queue is None:
            queue = self._queues[key] = deque()
            worker = asyncio.create_task(self._run(key, queue))
            self._workers.add(worker)
            worker.add_done_callback(self._workers.discard)
        queue.append((job, future))
        future.add_done_callback(_retrieve)
        return future

    def post(self, key: str, job: Job) -> None:
        """Queue ``job`` without waiting for it (its failure is logged)."""
        _queued = self.submit(key, job)

    async def _run(self, key: str, queue: deque[tuple[Job, asyncio.Future[Any]]]) -> None:
        try:
            while queue:
                job, future = queue[0]
                async with self._slots:
                    try:
                        result = await job()
                    except asyncio.CancelledError:
                        future.cancel()
                        raise
                    except Exception as exc:
                        if not future.cancelled():
                            future.set_exception(exc)
                    else:
                        if not future.cancelled():
                            future.set_result(result)
                queue.popleft()
                self.done += 1
        finally:
            if self._queues.get(key) is queue:
                del self._queues[key]
            for _job, future in queue:
                future.cancel()

    @property
    def busy(self) -> int:
        """How many chats have work queued or running."""
        return len(self._queues)

    async def drain(self) -> None:
        """Wait until every queued job has finished."""
        while self._workers:
            await asyncio.gather(*list(self._workers), return_exceptions=True)

    async def close(self) -> None:
        for worker in list(self._workers):
            worker.cancel()
        await asyncio.gather(*list(self._workers), return_exceptions=True)
