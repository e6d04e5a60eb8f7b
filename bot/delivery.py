"""The way out: a reply, fitted to its channel, delivered, and what that implies.

``Courier`` is the one place that sends. It adapts a reply to the channel's
capabilities, builds late files (PDFs) outside any transaction, falls back to the
group when a private recipient cannot be reached (naming that recipient), follows a
chat that moved, and keeps the choice map of options shown as text. The payload
functions turn a ``Reply``/``MailOut`` into JSON for a delivery row and back.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.base import Capabilities, Channel, ChatMoved, Sent, Unreachable, adapt
from bot.clock import Clock
from bot.i18n import gettext as _
from bot.messages import Button, ChatKind, Incoming, MailOut, OutFile, Person, Reply
from storage import repo

log = logging.getLogger(__name__)


# --- payloads of delivery rows ----------------------------------------------------------


def _file_payload(file: OutFile) -> dict[str, Any]:
    return {
        "filename": file.filename,
        "mime_type": file.mime_type,
        "content": base64.b64encode(built(file).content).decode(),
    }


def _file_from(data: Mapping[str, Any]) -> OutFile:
    return OutFile(
        filename=str(data["filename"]),
        content=base64.b64decode(data["content"]),
        mime_type=str(data["mime_type"]),
    )


def _person_payload(person: Person) -> dict[str, Any]:
    return {"user_id": person.user_id, "name": person.name, "username": person.username}


def _person_from(data: Mapping[str, Any]) -> Person:
    return Person(user_id=str(data["user_id"]), name=str(data["name"]), username=data["username"])


def to_payload(out: Reply | MailOut) -> dict[str, Any]:
    """A JSON-able form of one message (files inline, base64)."""
    if isinstance(out, MailOut):
        return {
            "mail": {
                "to": list(out.to),
                "subject": out.subject,
                "body": out.body,
                "attachments": [_file_payload(f) for f in out.attachments],
            }
        }
    return {
        "text": out.text,
        "buttons": [[[b.label, b.data] for b in row] for row in out.buttons],
        "file": _file_payload(out.file) if out.file else None,
        "mentions": [_person_payload(p) for p in out.mentions],
        "to_user": _person_payload(out.to_user) if out.to_user else None,
        "urgent": out.urgent,
        "chat": out.chat,
        "confidential": out.confidential,
    }


def from_payload(data: Mapping[str, Any]) -> Reply | MailOut:
    mail = data.get("mail")
    if mail is not None:
        return MailOut(
            to=tuple(mail["to"]),
            subject=str(mail["subject"]),
            body=str(mail["body"]),
            attachments=tuple(_file_from(f) for f in mail["attachments"]),
        )
    return Reply(
        text=str(data["text"]),
        buttons=tuple(
            tuple(Button(label, value) for label, value in row) for row in data["buttons"]
        ),
        file=_file_from(data["file"]) if data.get("file") else None,
        mentions=tuple(_person_from(p) for p in data["mentions"]),
        to_user=_person_from(data["to_user"]) if data.get("to_user") else None,
        urgent=bool(data.get("urgent")),
        chat=data.get("chat"),
        confidential=bool(data.get("confidential")),
    )


def built(file: OutFile) -> OutFile:
    """The file with its bytes (building a late file here: call it off the event loop)."""
    if file.build is None:
        return file
    return OutFile(filename=file.filename, content=file.build(), mime_type=file.mime_type)


async def with_files(reply: Reply) -> Reply:
    """Build a late file in a worker thread (the context, hence the locale, goes along)."""
    if reply.file is None or reply.file.build is None:
        return reply
    return replace(reply, file=await asyncio.to_thread(built, reply.file))


# --- the courier ------------------------------------------------------------------------


class NoChannel(LookupError):
    """No channel serves this platform in this process."""


class Courier:
    """Sends replies through the channel of their platform (ARCHITECTURE.md, decision 4)."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        channels: Mapping[str, Channel] | None = None,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.channels: dict[str, Channel] = dict(channels or {})
        # A channel for any platform without its own (tests, the console).
        self.fallback: Channel | None = None

    def add(self, channel: Channel) -> None:
        self.channels[channel.platform] = channel

    def channel(self, platform: str) -> Channel:
        channel = self.channels.get(platform, self.fallback)
        if channel is None:
            raise NoChannel(f"no channel for platform {platform!r}")
        return channel

    def capabilities(self, platform: str) -> Capabilities:
        return self.channel(platform).capabilities

    async def send(
        self,
        *,
        platform: str,
        chat_id: str,
        reply: Reply,
        origin: Incoming | None = None,
    ) -> Sent:
        """Deliver one reply; an unreachable private recipient is asked in the group."""
        channel = self.channel(platform)
        # In a private chat the asker is the only one there: an error needs no tag.
        asker = origin.sender if origin and origin.chat_kind is not ChatKind.PRIVATE else None
        fitted = adapt(reply, channel.capabilities, asker=asker)
        if fitted is None:
            return Sent()
        fitted = await with_files(fitted)
        try:
            if fitted.to_user is not None and channel.capabilities.private_needs_contact:
                await self._check_contact(platform, fitted.to_user)
            sent = await self._deliver(channel, chat_id, fitted, origin)
            shown, shown_in = fitted, fitted.to_user.user_id if fitted.to_user else chat_id
        except Unreachable:
            if fitted.to_user is None:
                raise
            # The person blocked the bot (or never wrote to it): ask in the group, naming them.
            # A file (their data, a draft) or a confidential text (a case's timeline) never
            # goes to the group: only a line saying so.
            log.info("private message not possible; asking in the group %s", chat_id)
            who = fitted.to_user
            group = (
                Reply(
                    text=_(
                        "{name}, I could not write to you in private: open a chat with me, "
                        "send /start, then ask again here."
                    ).format(name=who.name),
                    mentions=(who,),
                )
                if fitted.file is not None or fitted.confidential
                else replace(fitted, to_user=None, mentions=(*fitted.mentions, who))
            )
            sent = await self._deliver(channel, chat_id, group, origin)
            sent = replace(sent, in_group_instead=True)
            shown, shown_in = group, chat_id
        # In a private chat everything the person writes is to the bot: a message without
        # options there needs no record (it would only keep their phone number on WhatsApp).
        private = shown_in != chat_id or (
            origin is not None and origin.chat_kind is ChatKind.PRIVATE
        )
        if not channel.capabilities.buttons and sent.message_ids and (shown.buttons or not private):
            # Without buttons a reply that quotes the bot is how people answer: keep the
            # ids of what was sent (and its options, if any), never its text.
            try:
                await self._remember_choice(platform, shown_in, shown, sent)
            except Exception:  # the message is out: never make the caller send it again
                log.exception("could not keep the options of a message in %s", chat_id)
        return sent

    async def _deliver(
        self, channel: Channel, chat_id: str, reply: Reply, origin: Incoming | None
    ) -> Sent:
        try:
            return await channel.deliver(chat_id, reply, origin)
        except ChatMoved as moved:
            async with self.sessions() as session, session.begin():
                await repo.move_network(
                    session=session,
                    platform=channel.platform,
                    old_chat_id=chat_id,
                    new_chat_id=moved.new_chat_id,
                )
            log.info("network followed its group %s -> %s", chat_id, moved.new_chat_id)
            return await channel.deliver(moved.new_chat_id, reply, origin)

    async def _check_contact(self, platform: str, person: Person) -> None:
        """Raise ``Unreachable`` unless ``person`` wrote to the bot privately before."""
        async with self.sessions() as session:
            known = await repo.contact_ids(
                session=session, platform=platform, user_ids=[person.user_id]
            )
        if not known:
            raise Unreachable(person.user_id)

    async def _remember_choice(self, platform: str, chat_id: str, reply: Reply, sent: Sent) -> None:
        options = [[b.label, b.data] for row in reply.buttons for b in row]
        async with self.sessions() as session, session.begin():
            await repo.save_choice(
                session=session,
                platform=platform,
                chat_id=chat_id,
                message_ids=sent.message_ids,
                options=options,
                now=self.clock.now(),
            )
