"""The channel layer: what every chat platform implements, and what it can do.

A channel turns its platform's events into ``Incoming`` (handing them to the core
through ``on_incoming``) and delivers ``Reply`` to a chat. It states its
``Capabilities``; the core adapts each reply to them (``adapt``), so a handler never
asks which platform it runs on (ARCHITECTURE.md, decision 4).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Protocol, runtime_checkable

from aiohttp import web

from bot.i18n import gettext as _
from bot.messages import Button, Incoming, Person, Reply


@dataclass(frozen=True)
class Capabilities:
    """What a platform can show; the core degrades a reply to fit."""

    buttons: bool = True  # inline buttons under a message
    polls: bool = False  # native polls (WhatsApp): choices become a poll after the text
    edits: bool = True  # a sent message can be changed in place
    notices: bool = True  # a short popup answers a button press
    private: bool = True  # the bot can write to a person privately (when they wrote first)
    # Write privately only to people who wrote to the bot first (the core checks its
    # contacts; on WhatsApp an unsolicited private message risks the number).
    private_needs_contact: bool = False
    max_text: int = 4096  # characters in one message
    max_caption: int = 1024  # characters in a file's caption
    max_file_bytes: int = 50 * 1024 * 1024
    max_button_data: int = 64  # bytes of a button's payload

    def mention(self, person: Person) -> str:
        """How a mention of ``person`` is written in the text (the channel notifies them)."""
        return person.name


@dataclass(frozen=True)
class Sent:
    """What a channel reports after delivering: the platform's id of each message."""

    message_ids: tuple[str, ...] = ()
    # A private message the person could not receive, shown in the group instead (or only
    # a line there asking for /start: bot.delivery.Courier).
    in_group_instead: bool = False


class Unreachable(Exception):
    """The person cannot be written to privately (blocked the bot, never wrote to it)."""


class ChatMoved(Exception):
    """The chat has a new id (Telegram group → supergroup); deliver there instead."""

    def __init__(self, new_chat_id: str) -> None:
        super().__init__(new_chat_id)
        self.new_chat_id = new_chat_id


class Retryable(Exception):
    """A send failed for a reason that may pass (platform down, timeout); try again later."""


OnIncoming = Callable[[Incoming], Awaitable[list[Reply]]]


@runtime_checkable
class Channel(Protocol):
    """One chat platform. Several run in one process; each network belongs to one."""

    platform: str
    capabilities: Capabilities

    async def connect(self) -> None:
        """Be ready to send (all a worker-only process needs)."""

    async def start(self) -> None:
        """Connect and begin receiving updates."""

    async def stop(self) -> None: ...

    def webhook_routes(self) -> list[web.RouteDef]:
        """Routes this channel serves on the bot's HTTP server (its webhook), if any."""
        ...

    async def deliver(self, chat_id: str, reply: Reply, origin: Incoming | None = None) -> Sent:
        """Send one reply (already adapted) to ``chat_id``, or privately to ``reply.to_user``.

        ``origin`` is the update being answered, if any: an edit replaces the message
        whose button was pressed.

        Raises ``Unreachable`` when a private recipient cannot be written to,
        ``ChatMoved`` when the chat has a new id, ``Retryable`` for passing failures.
        """
        ...


class InProcessChannel:
    """Lifecycle of a channel with nothing to connect to (the console, tests)."""

    async def connect(self) -> None:
        return None

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    def webhook_routes(self) -> list[web.RouteDef]:
        return []


_SPACES = re.compile(r"\s+")


def choice_hint(buttons: tuple[Button, ...], *, polls: bool) -> str:
    """The line that tells how to answer a choice on a platform without buttons."""
    if len(buttons) == 1:
        return _("Reply to this message with *{word}*.").format(word=answer_word(buttons[0]))
    numbers = ", ".join(str(i) for i in range(1, len(buttons)))
    if polls:
        return _("Vote in the poll or reply to this message with {numbers} or {last}.").format(
            numbers=numbers, last=len(buttons)
        )
    return _("Reply to this message with {numbers} or {last}.").format(
        numbers=numbers, last=len(buttons)
    )


def answer_word(button: Button) -> str:
    """The plain word a person types for a one-option choice ("✋ Presente" → "presente")."""
    words = [w for w in _SPACES.split(button.label) if any(c.isalnum() for c in w)]
    return " ".join(words).lower() or button.label


def flat_buttons(reply: Reply) -> tuple[Button, ...]:
    return tuple(button for row in reply.buttons for button in row)


def distinct_labels(rows: tuple[tuple[Button, ...], ...]) -> tuple[tuple[Button, ...], ...]:
    """Options told apart by their label (a poll's must differ): a repeat gets a number."""
    seen: dict[str, int] = {}
    out = []
    for row in rows:
        fixed = []
        for button in row:
            count = seen.get(button.label, 0) + 1
            seen[button.label] = count
            label = button.label if count == 1 else f"{button.label} ({count})"
            fixed.append(replace(button, label=label))
        out.append(tuple(fixed))
    return tuple(out)


def adapt(reply: Reply, caps: Capabilities, *, asker: Person | None = None) -> Reply | None:
    """Fit ``reply`` to a channel; None when there is nothing left to show.

    - buttons without button support: numbered choices in the text (the core keeps a
      choice map so a typed "2" or the option's words press the button);
    - an edit without edit support: a new message (choices already shown stay live: an
      edit of their counts is left to the poll, unless it asks a ``new_choice``);
    - a notice without popups: an error notice becomes a short message to the asker,
      a success notice is dropped (the group already sees the change).
    """
    if reply.notice and not caps.notices:
        if reply.error and not reply.text:
            mentions = (asker,) if asker is not None else ()
            return Reply(text=reply.notice, mentions=mentions, to_user=reply.to_user, error=True)
        reply = replace(reply, notice=None)
    if reply.edit and not caps.edits:
        if reply.only_edit:
            return None
        if reply.buttons and caps.polls and not reply.new_choice:
            return None  # the poll itself shows the live counts
        reply = replace(reply, edit=False)
    if reply.buttons and not caps.buttons:
        reply = replace(reply, buttons=distinct_labels(reply.buttons))
        options = flat_buttons(reply)
        listing = "\n".join(f"{i}. {b.label}" for i, b in enumerate(options, 1))
        hint = choice_hint(options, polls=caps.polls and 2 <= len(options) <= 10)
        body = reply.text + ("\n\n" if reply.text else "")
        text = body + (hint if len(options) == 1 else f"{listing}\n{hint}")
        reply = replace(reply, text=text)
    if not reply.text and reply.file is None:
        return None
    return reply


def chunks(text: str, size: int) -> list[str]:
    """Split a long text at line breaks so each part fits in one message."""
    if len(text) <= size:
        return [text]
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > size:
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:size])
            line = line[size:]
        if len(current) + len(line) + 1 > size:
            parts.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    if current:
        parts.append(current)
    return parts
