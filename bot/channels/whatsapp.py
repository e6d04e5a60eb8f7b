"""WhatsApp channel over a self-hosted bridge (Evolution API 2.3.7).

In: the bridge POSTs every event to ``/whatsapp/webhook`` with our secret header. A
request without it gets 401; an event of another instance is dropped. What the bot acts
on (``whatsapp_events.parse``) is kept in the inbox table before the 200, then handled
in its chat's lane, in order, beside the other chats; the row goes once it is applied,
and what a crash left there is applied at the next start (a redelivery is applied once:
``update_id``). Everything else — the group's talk — is dropped unread.

Out: texts with mentions, a choice as its text followed at once by a poll, files as
documents; paced (one message per group every few seconds, a cap per minute overall,
a random pause) because an unofficial client that floods gets its number banned.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import timedelta
from functools import partial
from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import CHOICE_LIFETIME, Redebot
from bot.channels.base import Capabilities, Retryable, Sent, chunks, flat_buttons
from bot.channels.evolution import SECRET_HEADER, BridgeError, EvolutionApi
from bot.channels.whatsapp_events import (
    PLATFORM,
    Own,
    admin_changes,
    admins_of,
    bare,
    kept,
    mention_id,
    parse,
    participant_ids,
    user_part,
)
from bot.clock import Clock
from bot.config import Settings
from bot.lanes import Lanes
from bot.messages import ChatKind, Incoming, Reply
from bot.ratelimit import KeyedWindowLimiter, Now, Sleep, WindowLimiter
from bot.rules.retention import CONVERSATION_LIFETIME
from storage import repo

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/whatsapp/webhook"
ADMIN_CACHE_SECONDS = 600
MAX_POLL_OPTIONS = 10
MAX_POLL_NAME = 200
# An inbox row older than this, still there, was left by a process that died.
INBOX_STALE = timedelta(minutes=2)
INBOX_SWEEP_SECONDS = 60.0
# Pauses before trying a failed send again (the bridge restarting takes some seconds).
SEND_RETRIES = (2.0, 5.0, 10.0, 20.0)

CAPABILITIES = Capabilities(
    buttons=False,
    polls=True,
    edits=False,
    notices=False,
    private=True,
    private_needs_contact=True,
    max_text=4096,
    max_caption=1000,
    max_file_bytes=100 * 1024 * 1024,
    max_button_data=64,
)


@dataclass
class Pacing:
    """How fast the number may write (settable: WHATSAPP_* settings; tests move time)."""

    group_interval: float = 3.0
    per_minute: int = 20
    jitter: tuple[float, float] = (0.5, 2.0)
    now: Now = time.monotonic
    sleep: Sleep = asyncio.sleep
    rng: random.Random = field(default_factory=random.Random)

    def __post_init__(self) -> None:
        self.overall = WindowLimiter(self.per_minute, 60.0, now=self.now, sleep=self.sleep)
        self.groups: KeyedWindowLimiter[str] | None = (
            KeyedWindowLimiter(1, self.group_interval, now=self.now, sleep=self.sleep)
            if self.group_interval > 0
            else None
        )

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> Pacing:
        return cls(
            group_interval=settings.whatsapp_group_interval_seconds,
            per_minute=settings.whatsapp_per_minute,
            jitter=(settings.whatsapp_jitter_min_seconds, settings.whatsapp_jitter_max_seconds),
            **overrides,
        )

    @asynccontextmanager
    async def turn(self, chat_id: str) -> AsyncIterator[None]:
        """One message to ``chat_id`` (a text with its poll counts as one): a random
        pause, then the chat's turn, held until the sends are answered so the next one
        to this chat comes ``group_interval`` after them."""
        low, high = self.jitter
        if high > 0:
            await self.sleep(self.rng.uniform(low, high))
        if self.groups is None:
            yield
            return
        async with self.groups.reserve(chat_id):
            yield

    async def message(self) -> None:
        """Each message counts in the number's cap per minute."""
        await self.overall.acquire()


class WhatsAppChannel:
    """One paired number, its groups and the people who wrote to it privately."""

    platform = PLATFORM
    capabilities = CAPABILITIES

    def __init__(
        self,
        *,
        settings: Settings,
        redebot: Redebot,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        api: EvolutionApi | None = None,
        pacing: Pacing | None = None,
        lanes: Lanes | None = None,
    ) -> None:
        if not settings.whatsapp:
            raise ValueError("WHATSAPP_PROVIDER is not set")
        assert settings.whatsapp_api_url and settings.whatsapp_api_key
        assert settings.whatsapp_instance and settings.whatsapp_webhook_secret
        self.settings = settings
        self.redebot = redebot
        self.sessions = sessions
        self.clock = clock
        self.instance = settings.whatsapp_instance
        self.secret = settings.whatsapp_webhook_secret
        self.api = api or EvolutionApi(
            base_url=settings.whatsapp_api_url,
            api_key=settings.whatsapp_api_key,
            instance=settings.whatsapp_instance,
        )
        self.pacing = pacing or Pacing.from_settings(settings)
        self.lanes = lanes or Lanes()
        self.own = Own()
        self._groups: dict[str, tuple[float, Mapping[str, Any]]] = {}
        self._generations: dict[str, int] = {}
        self._chat_locks: dict[str, asyncio.Lock] = {}
        self._sweeper: asyncio.Task[None] | None = None
        self._pending: set[asyncio.Task[None]] = set()
        self.receiving = False
        self.registered = False

    # --- lifecycle ---------------------------------------------------------------------

    async def connect(self) -> None:
        """Ready to send: a worker needs nothing more (the bridge keeps the session)."""
        return None

    async def start(self) -> None:
        """Register the webhook (every start), then apply what a crash left in the inbox."""
        await self.register()
        self.receiving = True
        await self.replay_inbox(stale=timedelta(0))
        self._sweeper = asyncio.create_task(self._sweep_forever())

    async def register(self) -> bool:
        """Point the bridge's webhook at us, with the secret header (at every start)."""
        url = self.settings.whatsapp_webhook_url or (
            self.settings.public_base_url.rstrip("/") + WEBHOOK_PATH
        )
        try:
            await self.api.set_webhook(url=url, secret=self.secret)
        except (BridgeError, Retryable) as failure:
            # Serve anyway and try again each minute: the bridge may come up later.
            log.warning("could not register the WhatsApp webhook at the bridge: %s", failure)
            self.registered = False
        else:
            log.info("WhatsApp webhook registered at the bridge: %s", url)
            self.registered = True
        return self.registered

    async def stop(self) -> None:
        self.receiving = False
        if self._sweeper is not None:
            self._sweeper.cancel()
            await asyncio.gather(self._sweeper, return_exceptions=True)
        await self.settle()
        await self.api.close()

    async def settle(self) -> None:
        """Wait until every event received so far has been applied (tests, shutdown)."""
        await self.lanes.drain()
        while self._pending:
            await asyncio.gather(*list(self._pending), return_exceptions=True)

    def webhook_routes(self) -> list[web.RouteDef]:
        return [web.post(WEBHOOK_PATH, self._webhook)]

    # --- incoming ----------------------------------------------------------------------

    async def _webhook(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            return web.Response(status=401, text="unauthorized")
        try:
            envelope = await request.json()
        except ValueError:
            return web.Response(status=400, text="bad event")
        if not isinstance(envelope, dict) or envelope.get("instance") != self.instance:
            return web.Response(text="ignored")  # another instance's event: no effect
        stale_group = admin_changes(envelope)
        if stale_group is not None:
            self._groups.pop(stale_group, None)  # promote/demote counts at once
            self._generations[stale_group] = self._generations.get(stale_group, 0) + 1
        try:
            parsed = parse(envelope, self.own, self.api.media, unquoted=True)
        except Exception as exc:  # a shape never seen: said without its content (LGPD)
            log.warning("could not read a WhatsApp %s event (%s)", envelope.get("event"), exc)
            return web.Response(text="unreadable")  # 200: a redelivery would fail the same
        try:
            found = await self._for_the_bot(parsed)
        except Exception as exc:  # the database: said without the ids it looked up (LGPD)
            log.warning("could not check a WhatsApp event against the database (%r)", type(exc))
            return web.Response(status=503, text="retry")
        if not found:
            return web.Response(text="ok")  # group talk: dropped unread
        try:
            async with self.sessions() as session, session.begin():
                row = await repo.keep_inbox(
                    session=session,
                    platform=PLATFORM,
                    payload=kept(envelope, found),
                    now=self.clock.now(),
                )
        except Exception:
            log.exception("could not keep a WhatsApp event; the bridge will send it again")
            return web.Response(status=503, text="retry")
        futures = [self.lanes.submit(i.chat_id, partial(self._process, i)) for i in found]
        task = asyncio.create_task(self._forget_after(row, futures))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)
        return web.Response(text="ok")

    async def _forget_after(self, row: int, futures: list[asyncio.Future[Any]]) -> None:
        """The inbox row goes once every ``Incoming`` of its event was applied."""
        await asyncio.gather(*futures, return_exceptions=True)
        try:
            await self._forget(row)
        except Exception:  # it stays; the next sweep applies it (once) and drops it
            log.exception("could not drop a WhatsApp inbox row")

    async def _for_the_bot(self, found: list[Incoming]) -> list[Incoming]:
        """Drop quotes of messages that are not the bot's, and votes in others' polls,
        before anything is kept: the group's talk is never stored."""
        chosen: list[Incoming] = []
        for incoming in found:
            unsure = (
                incoming.chat_kind is ChatKind.GROUP
                and incoming.command is None
                and incoming.replied_message_id is not None
                and (incoming.vote or not incoming.reply_to_bot)
            )
            if unsure and not await self._ours(incoming.chat_id, incoming.replied_message_id):
                continue
            unquoted = (
                incoming.chat_kind is ChatKind.GROUP
                and incoming.command is None
                and incoming.event is None
                and incoming.button is None
                and not incoming.vote
                and incoming.replied_message_id is None
            )
            if unquoted:
                if not await self._in_conversation(incoming):
                    continue  # group talk
                incoming = replace(incoming, reply_to_bot=True, unquoted=True)
            if (
                incoming.reply_to is not None
                and incoming.replied_message_id is not None
                and await self._ours(incoming.chat_id, incoming.replied_message_id)
            ):
                # A command quoting the bot's own message (its LID not learnt yet).
                incoming = replace(incoming, reply_to=None)
            chosen.append(incoming)
        return chosen

    async def _in_conversation(self, incoming: Incoming) -> bool:
        """Whether the sender of this unquoted group text is answering a step-by-step
        conversation of theirs in that chat (on a phone one forgets to quote)."""
        async with self.sessions() as session:
            return await repo.in_conversation(
                session=session,
                platform=PLATFORM,
                chat_id=incoming.chat_id,
                user_ids=[incoming.sender.user_id, *incoming.sender.aliases],
                since=self.clock.now() - CONVERSATION_LIFETIME,
            )

    async def _ours(self, chat_id: str, message_id: str | None) -> bool:
        if message_id is None:
            return False
        async with self.sessions() as session:
            known = await repo.known_messages(
                session=session,
                platform=PLATFORM,
                chat_id=chat_id,
                message_ids=[message_id],
                since=self.clock.now() - CHOICE_LIFETIME,
            )
        return bool(known)

    async def _forget(self, row: int) -> None:
        async with self.sessions() as session, session.begin():
            await repo.drop_inbox(session=session, event_id=row)

    async def _process(self, incoming: Incoming) -> None:
        try:
            checked = await self._with_rights(incoming)
            await self.redebot.respond(checked)
        except Exception:
            log.exception("failed to process a WhatsApp event in %s", incoming.chat_id)

    async def replay_inbox(self, *, stale: timedelta = INBOX_STALE) -> int:
        """Apply the events a process kept but did not finish (each is applied once)."""
        async with self.sessions() as session:
            rows = await repo.inbox(
                session=session, platform=PLATFORM, before=self.clock.now() - stale
            )
            pending = [(row.id, dict(row.payload)) for row in rows]
        for row_id, envelope in pending:
            found = await self._for_the_bot(
                parse(envelope, self.own, self.api.media, unquoted=True)
            )
            futures = [self.lanes.submit(i.chat_id, partial(self._process, i)) for i in found]
            await asyncio.gather(*futures, return_exceptions=True)
            await self._forget(row_id)
        if pending:
            log.info("applied %d WhatsApp events left by a stopped process", len(pending))
        return len(pending)

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(INBOX_SWEEP_SECONDS)
            try:
                if not self.registered:
                    await self.register()
                await self.replay_inbox()
            except Exception:
                log.exception("could not sweep the WhatsApp inbox")

    async def _group(self, group_jid: str) -> Mapping[str, Any] | None:
        """The group's info (participants and admins), cached for ten minutes."""
        now = time.monotonic()
        cached = self._groups.get(group_jid)
        if cached is not None and now - cached[0] <= ADMIN_CACHE_SECONDS:
            return cached[1]
        generation = self._generations.get(group_jid, 0)
        try:
            info = await self.api.group_info(group_jid)
        except (BridgeError, Retryable) as failure:
            log.warning("could not read the group info of %s: %s", group_jid, failure)
            return None
        if self._generations.get(group_jid, 0) == generation:
            # Not if the admins changed while we asked: the answer may predate it.
            self._groups[group_jid] = (now, info)
        for entry in info.get("participants") or ():
            ids = participant_ids(entry)
            if any(i in self.own for i in ids):
                for own_id in ids:
                    self.own.learn(own_id)  # our LID in this group
        return info

    async def _with_rights(self, incoming: Incoming) -> Incoming:
        """The sender's admin rights in the group, from the bridge's group info."""
        if incoming.chat_kind is not ChatKind.GROUP or incoming.event is not None:
            return incoming
        info = await self._group(incoming.chat_id)
        if info is None:
            # Unknown rights: the member's stored ones count (as for a typed answer).
            return replace(incoming, admin_checked=False)
        admins, _everyone = admins_of(info)
        ids = {incoming.sender.user_id, *incoming.sender.aliases}
        sender = replace(incoming.sender, is_admin=bool(admins.intersection(ids)))
        return replace(incoming, sender=sender)

    # --- outgoing ----------------------------------------------------------------------

    def _lock(self, chat_id: str) -> asyncio.Lock:
        lock = self._chat_locks.get(chat_id)
        if lock is None:
            lock = self._chat_locks[chat_id] = asyncio.Lock()
        return lock

    async def deliver(self, chat_id: str, reply: Reply, origin: Incoming | None = None) -> Sent:
        """Send one reply (already adapted by the core): a file, its text, its poll.

        The messages of one reply go out in order, nothing else of this process to that
        chat between them, each paced. A call the bridge fails (5xx, refused: it may be
        restarting) is tried again with back-off; if it still fails once part of the
        reply is out, the rest is given up (logged) rather than the reply sent twice.
        """
        target = bare(reply.to_user.user_id) if reply.to_user is not None else chat_id
        async with self._lock(target):
            ids: list[str] = []
            for calls in await self._messages(target, chat_id, reply, origin):
                async with self.pacing.turn(target):
                    for call in calls:
                        try:
                            ids.append(await self._retrying(call))
                        except Retryable:
                            if not ids:
                                raise  # nothing is out: the caller may send it all again
                            log.exception("part of a reply to %s could not be sent", target)
                            return Sent(tuple(ids))
            return Sent(tuple(ids))

    async def _retrying(self, call: Callable[[], Awaitable[str]]) -> str:
        for pause in (*SEND_RETRIES, None):
            await self.pacing.message()
            try:
                return await call()
            except Retryable:
                if pause is None:
                    raise
                log.warning("the bridge failed a send; trying again in %s s", pause)
                await self.pacing.sleep(pause)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _messages(
        self, target: str, group: str, reply: Reply, origin: Incoming | None
    ) -> list[list[Callable[[], Awaitable[str]]]]:
        """The reply as the bridge's calls, one turn each: a document, each part of the
        text — the last with the poll of its choices right after it, in the same turn."""
        text = reply.text
        mentioned: list[str] = []
        if reply.mentions:
            info = await self._group(group) if group.endswith("@g.us") else None
            mentioned = list(
                dict.fromkeys(mention_id(info, p.user_id, p.aliases) for p in reply.mentions)
            )
            text += "\n" + " ".join("@" + user_part(jid) for jid in mentioned)
        # A mistake quotes what caused it; what a vote caused quotes the poll.
        quoted = _quote(origin, target) if reply.error or (origin and origin.vote) else None
        turns: list[list[Callable[[], Awaitable[str]]]] = []
        if reply.file is not None:
            file = reply.file
            caption = text if len(text) <= CAPABILITIES.max_caption else None
            turns.append(
                [
                    partial(
                        self.api.send_document,
                        target,
                        filename=file.filename,
                        mime_type=file.mime_type,
                        content=file.content,
                        caption=caption,
                        mentioned=mentioned if caption else (),
                    )
                ]
            )
            if caption is not None:
                text = ""
        parts = chunks(text, CAPABILITIES.max_text) if text.strip() else []
        for index, part in enumerate(parts):
            calls: list[Callable[[], Awaitable[str]]] = [
                partial(
                    self.api.send_text,
                    target,
                    part,
                    mentioned=[m for m in mentioned if "@" + user_part(m) in part],
                    quoted=quoted if index == 0 else None,
                )
            ]
            options = flat_buttons(reply)
            if index == len(parts) - 1 and 2 <= len(options) <= MAX_POLL_OPTIONS:
                # The poll's name is the question; labels are distinct (the core made
                # them so): a vote names one.
                name = (reply.text.strip().splitlines() or ["?"])[0][:MAX_POLL_NAME]
                calls.append(partial(self.api.send_poll, target, name, [b.label for b in options]))
            turns.append(calls)
        return turns


def _quote(origin: Incoming | None, target: str) -> dict[str, Any] | None:
    """Quote what is being answered (a vote: its poll), so the group sees what it is about."""
    if origin is None or origin.chat_id != target:
        return None
    message_id = origin.replied_message_id if origin.vote else origin.message_id
    if not message_id:
        return None
    # The bridge finds the quoted message in its own store by its id.
    return {"key": {"id": message_id, "remoteJid": target, "fromMe": origin.vote}}
