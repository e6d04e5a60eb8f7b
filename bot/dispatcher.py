"""The outbox worker: renders due rows into deliveries, sends each delivery on its own.

Two steps, each with its own rows (ARCHITECTURE.md, decisions 2 and 5):

1. A due scheduled row is claimed and rendered once. The renderer's writes, the
   delivery rows it produced and the row's "sent" mark commit in one transaction,
   so a crash re-runs a renderer only if nothing of it was committed.
2. A due delivery is claimed, sent with no transaction open, then marked. A failed
   send is retried on its own; the others are not repeated.

Claims are kept alive by a heartbeat; a dead process's rows come back after
``lease`` (30 s). A kill -9 therefore repeats only the sends that were in flight.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Awaitable, Callable, Iterator, Sequence
from datetime import datetime, timedelta
from itertools import groupby
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.config import Settings
from bot.delivery import Courier, from_payload, to_payload
from bot.i18n import gettext as _
from bot.i18n import ngettext, use_locale
from bot.messages import MailOut, Person, Reply
from bot.notify import to_coordination
from bot.router import Router, ScheduledContext
from bot.rules import dates
from bot.rules import quiet as quiet_rules
from bot.rules.calendar import holidays_for
from bot.rules.kinds import DAY_DIGEST, DIGEST, Kind
from bot.rules.status import OutboxStatus
from storage import repo, retention
from storage.models import Delivery, Meeting, Network, ScheduledMessage

log = logging.getLogger(__name__)

SendMail = Callable[[MailOut], Awaitable[None]]

MAX_ATTEMPTS = 8
# What the bot keeps only to work goes after bot.rules.retention's times, checked hourly.
FORGET_EVERY = timedelta(hours=1)
NOTICE = "notice"
CAP_WINDOW = timedelta(hours=1)


def retry_delay(attempts: int) -> timedelta:
    """Back off 1, 2, 4... minutes, at most an hour, between failed sends."""
    return timedelta(minutes=min(60, 2 ** max(0, attempts - 1)))


def _headline(text: str) -> str:
    """A message's first line for a digest; a bare title ("⏰ Lembrete": short, no date nor
    number) takes the line after it along, so the digest still says what it is about."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return ""
    head = lines[0]
    if len(head) <= 24 and not any(c.isdigit() for c in head) and len(lines) > 1:
        head = f"{head} {lines[1]}"
    return head[:160]


# Yesterday's held messages are said whole in the day's one message while they fit in
# this many characters (one Telegram message, with room for the mentions); the rest by
# their first line.
MERGED_BUDGET = 3500


def _merged(head: str, texts: Sequence[str], *, buttons_left: bool = False) -> str:
    """The day's one message: each held message whole (without its buttons), in order;
    once the budget is spent, the others by their first line. Where the details are is
    said when some are cut or had buttons (a merged message has none)."""
    tail = _("Send /proxima or /pendencias for the details.")
    parts: list[str] = [head]
    used = len(head) + len(tail) + 2
    short: list[str] = []
    for text in texts:
        body = text.strip()
        if not short and used + len(body) + 2 <= MERGED_BUDGET:
            parts.append(body)
            used += len(body) + 2
        else:
            short.append(f"• {_headline(text)}")
    if short:
        parts.append("\n".join(short))
    if short or buttons_left:
        parts.append(tail)
    return "\n\n".join(parts)


# A meeting's announcement and reminders: the day's one message is kept for them.
MEETING_NOTICES = (Kind.MONTHLY_ANNOUNCEMENT, Kind.MEETING_REMINDER)


class ClaimLost(Exception):
    """Another worker took the row (a stale lease), or it was rescheduled meanwhile."""


def _target(out: Reply | MailOut) -> str:
    if isinstance(out, MailOut):
        return "mail"
    if out.chat is not None:
        return "coord"
    return "private" if out.to_user is not None else "group"


def _deliveries(
    network: Network,
    outs: Sequence[Reply | MailOut],
    *,
    kind: str,
    now: datetime,
    row: ScheduledMessage | None = None,
    urgent: bool = False,
) -> list[Delivery]:
    """One delivery row per message, due now, in the order the renderer gave them."""
    return [
        Delivery(
            network_id=network.id,
            scheduled_id=row.id if row is not None else None,
            kind=kind,
            seq=index,
            target=_target(out),
            urgent=urgent or (isinstance(out, Reply) and out.urgent),
            payload=to_payload(out),
            status=OutboxStatus.PENDING,
            due_at=now,
            attempts=0,
        )
        for index, out in enumerate(outs)
    ]


def _held_since(network: Network, first: datetime, now: datetime, n: int) -> str:
    """The day message's heading: held since yesterday, or since the day named (a
    Saturday's notices go out on Monday: Sunday is quiet)."""
    tz = ZoneInfo(network.timezone)
    held_on, today = first.astimezone(tz).date(), now.astimezone(tz).date()
    if held_on >= today - timedelta(days=1):
        return ngettext(
            "🗂 {n} notice from the bot held back yesterday (one message a day):",
            "🗂 {n} notices from the bot held back yesterday (one message a day):",
            n,
        ).format(n=n)
    return ngettext(
        "🗂 {n} notice from the bot held back since {day} (one message a day):",
        "🗂 {n} notices from the bot held back since {day} (one message a day):",
        n,
    ).format(n=n, day=dates.weekday_name(held_on))


class Dispatcher:
    """Claims due rows, renders them into deliveries, sends those, and sleeps until the next."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        router: Router,
        settings: Settings,
        clock: Clock,
        courier: Courier,
        send_mail: SendMail | None = None,
        worker: str | None = None,
        lease: timedelta = timedelta(seconds=30),
        heartbeat: timedelta = timedelta(seconds=10),
        max_idle: timedelta = timedelta(minutes=10),
        min_round_gap: timedelta = timedelta(seconds=1),
        concurrency: int = 32,
        batch: int = 64,
    ) -> None:
        self.sessions = sessions
        self.router = router
        self.settings = settings
        self.clock = clock
        self.courier = courier
        self.send_mail = send_mail
        self.worker = worker or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.lease = lease
        self.heartbeat_every = heartbeat
        self.max_idle = max_idle
        self.min_round_gap = min_round_gap
        self.batch = batch
        self._wake = asyncio.Event()
        self._limit = asyncio.Semaphore(concurrency)
        self._claims: set[str] = set()  # claim tokens of the batches being worked on
        self.rounds = 0

    def wake(self) -> None:
        """Something new was scheduled: look again now instead of at the old due time."""
        self._wake.set()

    # --- one round ---------------------------------------------------------------------

    async def run_due(self) -> int:
        """Render and send everything due now; return how many scheduled rows were handled."""
        handled = 0
        while True:
            rendered = await self._render_due()
            sent = await self._send_due()
            handled += rendered
            if not rendered and not sent:
                return handled

    async def _render_due(self) -> int:
        now = self.clock.now()
        async with self.sessions() as session, session.begin():
            rows: Sequence[ScheduledMessage] = await repo.claim_due(
                session=session, now=now, worker=self.worker, lease=self.lease, limit=self.batch
            )
        with self._live(rows):
            for row in rows:
                await self._render(row)
        return len(rows)

    @contextlib.contextmanager
    def _live(self, rows: Sequence[ScheduledMessage | Delivery]) -> Iterator[None]:
        """The heartbeat keeps these claims alive while the batch is being worked on."""
        tokens = {str(r.claimed_by) for r in rows}
        self._claims |= tokens
        try:
            yield
        finally:
            self._claims -= tokens

    async def _render(self, row: ScheduledMessage) -> None:
        now = self.clock.now()
        claim = str(row.claimed_by)
        try:
            async with self.sessions() as session, session.begin():
                await self._render_in(session, row, claim, now)
        except ClaimLost:
            log.info("scheduled row %s was taken or moved meanwhile", row.key)
        except Exception as exc:
            log.exception("rendering %s (%s) failed", row.id, row.key)
            async with self.sessions() as session, session.begin():
                if row.attempts >= MAX_ATTEMPTS:
                    await repo.give_up_scheduled(
                        session=session, row_id=row.id, claim=claim, error=repr(exc)
                    )
                else:
                    await repo.retry_later(
                        session=session,
                        row_id=row.id,
                        claim=claim,
                        due_at=now + retry_delay(row.attempts),
                        error=repr(exc),
                    )

    async def _render_in(
        self, session: AsyncSession, row: ScheduledMessage, claim: str, now: datetime
    ) -> None:
        network = await session.get(Network, row.network_id)
        renderer = self.router.renderers.get(row.kind)
        if network is None or renderer is None:
            raise LookupError(f"no network or renderer for {row.kind}")
        options = self.router.options(row.kind)
        if options.collapse and await repo.superseded(session=session, row=row, now=now):
            # After a gap only the newest of a series is said (issue 9 §7).
            if not await repo.finish_scheduled(
                session=session, row_id=row.id, claim=claim, now=now, status=OutboxStatus.SUPERSEDED
            ):
                raise ClaimLost
            return
        if options.quiet and not await self._urgent(session, row):
            until = self._quiet_until(network, now)
            if until is not None:
                await repo.retry_later(
                    session=session, row_id=row.id, claim=claim, due_at=until, error=None
                )
                return
        # The "sent" mark comes first and guards the claim; it commits with the renderer's
        # writes and deliveries, or not at all. (A renderer may cancel its own series.)
        if not await repo.finish_scheduled(session=session, row_id=row.id, claim=claim, now=now):
            raise ClaimLost
        with use_locale(network.locale), dates.reading(now, network.timezone):
            outs = await renderer(
                ScheduledContext(
                    session=session,
                    network=network,
                    row=row,
                    now=now,
                    settings=self.settings,
                    agenda=self.router.agenda_sections,
                )
            )
        urgent = await self._urgent(session, row) or await self._meeting_today(
            session, network, row, now
        )
        await repo.add_deliveries(
            session=session,
            rows=_deliveries(network, outs, kind=row.kind, now=now, row=row, urgent=urgent),
        )

    async def _urgent(self, session: AsyncSession, row: ScheduledMessage) -> bool:
        if row.meeting_id is None:
            return False
        meeting = await session.get(Meeting, row.meeting_id)
        return meeting is not None and meeting.urgent

    async def _meeting_today(
        self, session: AsyncSession, network: Network, row: ScheduledMessage, now: datetime
    ) -> bool:
        """Is the row about a meeting held today (local)? Then its messages always go:
        the daily budget never holds them (issue 14)."""
        if row.meeting_id is None:
            return False
        meeting = await session.get(Meeting, row.meeting_id)
        tz = ZoneInfo(network.timezone)
        return meeting is not None and (
            meeting.starts_at.astimezone(tz).date() == now.astimezone(tz).date()
        )

    def _hours(self, network: Network) -> quiet_rules.QuietHours:
        return quiet_rules.QuietHours(
            start=network.quiet_start,
            end=network.quiet_end,
            sundays=network.quiet_sundays,
            holidays=network.quiet_holidays,
        )

    def _quiet_until(self, network: Network, now: datetime) -> datetime | None:
        hours = quiet_rules.QuietHours(
            start=network.quiet_start,
            end=network.quiet_end,
            sundays=network.quiet_sundays,
            holidays=network.quiet_holidays,
        )
        return quiet_rules.quiet_until(
            now, hours, ZoneInfo(network.timezone), lambda year: holidays_for(year, network.state)
        )

    # --- deliveries --------------------------------------------------------------------

    async def _send_due(self) -> int:
        now = self.clock.now()
        async with self.sessions() as session, session.begin():
            rows: Sequence[Delivery] = await repo.claim_due(
                session=session,
                now=now,
                worker=self.worker,
                lease=self.lease,
                limit=self.batch,
                table=Delivery,
            )
        if not rows:
            return 0
        # One network's messages in order (as rendered: in the order of their events);
        # networks side by side.
        ordered = sorted(rows, key=lambda d: (d.network_id, d.due_at, d.id))
        with self._live(rows):
            await asyncio.gather(
                *(
                    self._send_network(list(group))
                    for _network, group in groupby(ordered, key=lambda d: d.network_id)
                )
            )
        return len(rows)

    async def _send_network(self, rows: list[Delivery]) -> None:
        async with self._limit:
            async with self.sessions() as session:
                network = await session.get(Network, rows[0].network_id)
            for row in rows:
                if network is None:
                    await self._finish(row, status=OutboxStatus.DROPPED)
                    continue
                with use_locale(network.locale), dates.reading(self.clock.now(), network.timezone):
                    await self._send_one(network, row)

    async def _send_one(self, network: Network, row: Delivery) -> None:
        now = self.clock.now()
        claim = str(row.claimed_by)
        try:
            if row.kind in (DIGEST, DAY_DIGEST):
                out: Reply | MailOut = await self._digest(row, network)
            else:
                out = from_payload(row.payload)
                if await self._held_by_cap(network, row, now):
                    return
            if isinstance(out, MailOut):
                if self.send_mail is None:
                    await self._mail_off(network, row, now)
                    return
                await self.send_mail(out)
            elif out.text or out.file is not None:
                await self.courier.send(
                    platform=network.platform, chat_id=out.chat or network.chat_id, reply=out
                )
        except Exception as exc:
            log.warning("delivery %s (%s) failed: %r", row.id, row.kind, exc)
            await self._delivery_failed(network, row, exc, now)
            return
        async with self.sessions() as session, session.begin():
            await repo.finish_scheduled(
                session=session, row_id=row.id, claim=claim, now=self.clock.now(), table=Delivery
            )

    async def _finish(self, row: Delivery, *, status: str) -> None:
        async with self.sessions() as session, session.begin():
            await repo.finish_scheduled(
                session=session,
                row_id=row.id,
                claim=str(row.claimed_by),
                now=self.clock.now(),
                table=Delivery,
                status=status,
            )

    async def _held_by_cap(self, network: Network, row: Delivery, now: datetime) -> bool:
        """Past the hourly cap, an automatic group message waits in one digest (issue 9 §7);
        past the daily budget, in the next day's one message (issue 14)."""
        if row.target != "group" or row.urgent or row.kind == NOTICE:
            return False
        async with self.sessions() as session, session.begin():
            tz = ZoneInfo(network.timezone)
            today = await repo.sent_to_group_since(
                session=session,
                network_id=network.id,
                since=quiet_rules.day_start(now, tz),
                urgent=False,
            )
            # The month's announcement is the meeting's first reminder, with its pauta and
            # RSVP buttons: it never waits for tomorrow's merged message (which has no
            # buttons). A reminder still to come today keeps the day's message for itself:
            # a chase or a quorum warning in the morning waits for tomorrow's, not the
            # reminder, whose "amanhã" would be false by then.
            kept = (
                0
                if row.kind in MEETING_NOTICES
                else await repo.meeting_notices_later(
                    session=session,
                    network_id=network.id,
                    kinds=MEETING_NOTICES,
                    after=now,
                    before=quiet_rules.day_start(now + timedelta(days=1), tz),
                )
            )
            if today + kept >= network.daily_cap and row.kind != Kind.MONTHLY_ANNOUNCEMENT:
                await self._hold_for_tomorrow(session, network, row, now)
                return True
            since = now - CAP_WINDOW
            count = await repo.sent_to_group_since(
                session=session, network_id=network.id, since=since
            )
            if count < network.hourly_cap:
                return False
            digest = await repo.open_digest(session=session, network_id=network.id)
            if digest is None:
                first = await repo.first_sent_since(
                    session=session, network_id=network.id, since=since
                )
                digest = Delivery(
                    network_id=network.id,
                    kind=DIGEST,
                    seq=0,
                    target="group",
                    urgent=False,
                    payload={},
                    status=OutboxStatus.PENDING,
                    due_at=(first or now) + CAP_WINDOW,
                    attempts=0,
                )
                await repo.add_deliveries(session=session, rows=[digest])
            await repo.set_delivery(
                session=session, delivery_id=row.id, status=OutboxStatus.HELD, digest_id=digest.id
            )
        return True

    async def _hold_for_tomorrow(
        self, session: AsyncSession, network: Network, row: Delivery, now: datetime
    ) -> None:
        """Hold ``row`` in the next day's digest (one pending DAY_DIGEST row per network)."""
        digest = await repo.open_digest(session=session, network_id=network.id, kind=DAY_DIGEST)
        if digest is None:
            due = quiet_rules.next_day_digest(
                now,
                self._hours(network),
                ZoneInfo(network.timezone),
                lambda year: holidays_for(year, network.state),
            )
            digest = Delivery(
                network_id=network.id,
                kind=DAY_DIGEST,
                seq=0,
                target="group",
                urgent=False,
                payload={},
                status=OutboxStatus.PENDING,
                due_at=due,
                attempts=0,
            )
            await repo.add_deliveries(session=session, rows=[digest])
        await repo.set_delivery(
            session=session, delivery_id=row.id, status=OutboxStatus.HELD, digest_id=digest.id
        )

    async def _still_current(self, session: AsyncSession, held: Delivery, now: datetime) -> bool:
        """A held message about a meeting that has begun meanwhile is not said any more."""
        if held.scheduled_id is None:
            return True
        scheduled = await session.get(ScheduledMessage, held.scheduled_id)
        if scheduled is None or scheduled.meeting_id is None:
            return True
        meeting = await session.get(Meeting, scheduled.meeting_id)
        return meeting is None or meeting.starts_at > now

    async def _digest(self, row: Delivery, network: Network) -> Reply:
        """What the cap held back, as one message with their mentions: this hour's by their
        first lines, yesterday's whole (``_merged``)."""
        now = self.clock.now()
        async with self.sessions() as session:
            held = [
                h
                for h in await repo.held_for(session=session, digest_id=row.id)
                if row.kind == DIGEST or await self._still_current(session, h, now)
            ]
        replies = [r for r in (from_payload(h.payload) for h in held) if isinstance(r, Reply)]
        if not replies:
            return Reply(text="")  # all of it is past: nothing to say
        if row.kind == DAY_DIGEST:
            head = _held_since(network, min(h.due_at for h in held), now, len(replies))
        else:
            head = ngettext(
                "🗂 {n} more notice from the bot this hour:",
                "🗂 {n} more notices from the bot this hour:",
                len(replies),
            ).format(n=len(replies))
        mentions: dict[str, Person] = {}
        for reply in replies:
            mentions.update({p.user_id: p for p in reply.mentions})
        if row.kind == DAY_DIGEST:
            text = _merged(
                head,
                [r.text for r in replies],
                buttons_left=any(r.buttons for r in replies),
            )
        else:
            lines = [head]
            lines += [f"• {_headline(reply.text)}" for reply in replies]
            lines.append(_("Send /proxima or /pendencias for the details."))
            text = "\n".join(lines)
        return Reply(text=text, mentions=tuple(mentions.values()))

    async def _mail_off(self, network: Network, row: Delivery, now: datetime) -> None:
        """No SMTP: skip the e-mail and tell the coordination once how to turn it on."""
        async with self.sessions() as session, session.begin():
            await repo.finish_scheduled(
                session=session,
                row_id=row.id,
                claim=str(row.claimed_by),
                now=now,
                table=Delivery,
                status=OutboxStatus.SKIPPED,
            )
            if await repo.first_notice(
                session=session, network_id=network.id, key="mail_off", now=now
            ):
                text = _(
                    "📧 E-mail is off in this bot, so institutional e-mails (convocations, "
                    "pending devolutivas) are not being sent. The operator turns it on by "
                    "setting SMTP_HOST and SMTP_FROM (see the README)."
                )
                await self._notify(session, network, text, now)

    async def _notify(
        self, session: AsyncSession, network: Network, text: str, now: datetime
    ) -> None:
        replies = await to_coordination(session, network, text)
        await repo.add_deliveries(
            session=session, rows=_deliveries(network, replies, kind=NOTICE, now=now)
        )

    async def _delivery_failed(
        self, network: Network, row: Delivery, exc: Exception, now: datetime
    ) -> None:
        """Retry this one message later; tell the coordination through ``<kind>:failed``."""
        give_up = row.attempts >= MAX_ATTEMPTS
        async with self.sessions() as session, session.begin():
            if give_up:
                await repo.give_up_scheduled(
                    session=session,
                    row_id=row.id,
                    claim=str(row.claimed_by),
                    error=repr(exc),
                    table=Delivery,
                )
            else:
                await repo.retry_later(
                    session=session,
                    row_id=row.id,
                    claim=str(row.claimed_by),
                    due_at=now + retry_delay(row.attempts),
                    error=repr(exc),
                    table=Delivery,
                )
            renderer = self.router.renderers.get(f"{row.kind}:failed")
            scheduled = (
                await session.get(ScheduledMessage, row.scheduled_id) if row.scheduled_id else None
            )
            if renderer is None or scheduled is None or not (row.attempts == 1 or give_up):
                return
            notices = await renderer(
                ScheduledContext(
                    session=session,
                    network=network,
                    row=scheduled,
                    now=now,
                    settings=self.settings,
                    error=str(exc),
                    final=give_up,
                )
            )
            await repo.add_deliveries(
                session=session,
                rows=_deliveries(network, notices, kind=NOTICE, now=now, row=scheduled),
            )

    # --- the loop ----------------------------------------------------------------------

    async def purge(self) -> dict[str, int]:
        """Delete what is past its retention (never the network's records); the counts."""
        async with self.sessions() as session, session.begin():
            counts = await retention.purge(session, now=self.clock.now())
        if any(counts.values()):
            log.info(
                "purged past retention: %s",
                ", ".join(f"{name} {n}" for name, n in counts.items() if n),
            )
        return counts

    async def next_wake(self) -> datetime:
        now = self.clock.now()
        async with self.sessions() as session:
            dues = [
                await repo.next_due_at(session=session, lease=self.lease, table=table)
                for table in (ScheduledMessage, Delivery)
            ]
        idle_until = now + self.max_idle
        due = min((d for d in dues if d is not None), default=None)
        if due is None:
            return idle_until
        return min(max(due, now), idle_until)

    async def beat(self) -> None:
        """Refresh this worker's claims (what a kill -9 stops, so others take them over)."""
        async with self.sessions() as session, session.begin():
            await repo.heartbeat(session=session, claims=set(self._claims), now=self.clock.now())

    async def _heartbeat_forever(self) -> None:
        never = asyncio.Event()
        while True:
            await self.clock.sleep_until(self.clock.now() + self.heartbeat_every, never)
            try:
                await self.beat()
            except Exception:
                log.exception("heartbeat failed")

    async def run_forever(self) -> None:
        """The loop: send what is due, sleep until the next due time or a wake-up.

        The wake-up flag is cleared before a round, so one set during the round starts
        the next at once; rounds are at least ``min_round_gap`` apart.
        """
        beating = asyncio.create_task(self._heartbeat_forever())
        never = asyncio.Event()
        forgot: datetime | None = None
        try:
            while True:
                self._wake.clear()
                started = self.clock.now()
                self.rounds += 1
                try:
                    await self.run_due()
                    if forgot is None or started - forgot >= FORGET_EVERY:
                        await self.purge()
                        forgot = started
                    until = await self.next_wake()
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("dispatcher round failed; retrying in a minute")
                    until = self.clock.now() + timedelta(minutes=1)
                await self.clock.sleep_until(started + self.min_round_gap, never)
                if until > self.clock.now():
                    await self.clock.sleep_until(until, self._wake)
        finally:
            beating.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beating
