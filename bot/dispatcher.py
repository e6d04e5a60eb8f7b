"""Sends the scheduled rows that are due, then sleeps until the next one (decision 2)."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.config import Settings
from bot.i18n import use_locale
from bot.messages import MailOut, Reply
from bot.router import Router, ScheduledContext
from storage import repo
from storage.models import Network, ScheduledMessage

log = logging.getLogger(__name__)

Send = Callable[[Network, Reply], Awaitable[None]]
SendMail = Callable[[MailOut], Awaitable[None]]

MAX_ATTEMPTS = 8
# Telegram redelivers an update for at most a day; older update ids are forgotten.
UPDATE_MEMORY = timedelta(days=2)


def retry_delay(attempts: int) -> timedelta:
    """Back off 1, 2, 4... minutes, at most an hour, between failed sends."""
    return timedelta(minutes=min(60, 2 ** max(0, attempts - 1)))


class Dispatcher:
    """Claims due rows in a transaction, renders them now, sends, and marks them sent.

    A crash between sending and marking sends that row once more after its
    lease ends (at most one duplicate); two dispatchers never claim one row.
    """

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        router: Router,
        settings: Settings,
        clock: Clock,
        send: Send,
        send_mail: SendMail | None = None,
        worker: str | None = None,
        lease: timedelta = timedelta(minutes=5),
        max_idle: timedelta = timedelta(minutes=10),
        concurrency: int = 16,
    ) -> None:
        self.sessions = sessions
        self.router = router
        self.settings = settings
        self.clock = clock
        self.send = send
        self.send_mail = send_mail
        self.worker = worker or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.lease = lease
        self.max_idle = max_idle
        self._wake = asyncio.Event()
        self._limit = asyncio.Semaphore(concurrency)

    def wake(self) -> None:
        """Something new was scheduled: look again now instead of at the old due time."""
        self._wake.set()

    async def run_due(self) -> int:
        """Send everything due now; return how many rows were handled."""
        handled = 0
        while True:
            now = self.clock.now()
            async with self.sessions() as session, session.begin():
                rows = list(
                    await repo.claim_due(
                        session=session, now=now, worker=self.worker, lease=self.lease
                    )
                )
            if not rows:
                return handled
            await asyncio.gather(*(self._deliver(row) for row in rows))
            handled += len(rows)

    async def _deliver(self, row: ScheduledMessage) -> None:
        async with self._limit:
            now = self.clock.now()
            try:
                async with self.sessions() as session:
                    network = await session.get(Network, row.network_id)
                    renderer = self.router.renderers.get(row.kind)
                    if network is None or renderer is None:
                        raise LookupError(f"no network or renderer for {row.kind}")  # noqa: TRY301
                    with use_locale(network.locale):
                        replies = await renderer(
                            ScheduledContext(
                                session=session,
                                network=network,
                                row=row,
                                now=now,
                                settings=self.settings,
                            )
                        )
                    for out in replies:
                        await self._send(network, out)
                    # What a renderer wrote (e.g. the roles it named) lands with the send.
                    await session.commit()
            except Exception as exc:
                log.exception("scheduled message %s (%s) failed", row.id, row.key)
                await self._failed(row, exc, now)
                return
            async with self.sessions() as session, session.begin():
                await repo.finish_scheduled(
                    session=session, row_id=row.id, claim=str(row.claimed_by), now=now
                )

    async def _send(self, network: Network, out: Reply | MailOut) -> None:
        if isinstance(out, MailOut):
            if self.send_mail is None:
                raise RuntimeError("no mailer configured")
            await self.send_mail(out)
        else:
            await self.send(network, out)

    async def _failed(self, row: ScheduledMessage, exc: Exception, now: datetime) -> None:
        """Retry with back-off; tell the group through a ``<kind>:failed`` renderer, if any."""
        give_up = row.attempts >= MAX_ATTEMPTS
        await self._report_failure(row, exc, now, final=give_up)
        async with self.sessions() as session, session.begin():
            if give_up:
                await repo.give_up_scheduled(session=session, row_id=row.id, error=repr(exc))
            else:
                await repo.retry_later(
                    session=session,
                    row_id=row.id,
                    claim=str(row.claimed_by),
                    due_at=now + retry_delay(row.attempts),
                    error=repr(exc),
                )

    async def _report_failure(
        self, row: ScheduledMessage, exc: Exception, now: datetime, *, final: bool
    ) -> None:
        renderer = self.router.renderers.get(f"{row.kind}:failed")
        if renderer is None or not (row.attempts == 1 or final):
            return
        try:
            async with self.sessions() as session:
                network = await session.get(Network, row.network_id)
                if network is None:
                    return
                with use_locale(network.locale):
                    notices = await renderer(
                        ScheduledContext(
                            session=session,
                            network=network,
                            row=row,
                            now=now,
                            settings=self.settings,
                            error=str(exc),
                            final=final,
                        )
                    )
                for notice in notices:
                    await self._send(network, notice)
        except Exception:
            log.exception("could not report the failure of %s", row.key)

    async def next_wake(self) -> datetime:
        now = self.clock.now()
        async with self.sessions() as session:
            due = await repo.next_due_at(session=session, lease=self.lease)
        idle_until = now + self.max_idle
        if due is None:
            return idle_until
        return min(max(due, now), idle_until)

    async def run_forever(self) -> None:
        """The loop: send what is due, sleep until the next due time or a wake-up."""
        while True:
            try:
                await self.run_due()
                async with self.sessions() as session, session.begin():
                    await repo.forget_old_updates(
                        session=session, before=self.clock.now() - UPDATE_MEMORY
                    )
                until = await self.next_wake()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("dispatcher round failed; retrying in a minute")
                until = self.clock.now() + timedelta(minutes=1)
            self._wake.clear()
            if until > self.clock.now():
                await self.clock.sleep_until(until, self._wake)
