"""Channel-neutral test pieces: every channel's view of what it showed, and a text-only channel.

``TextOnlyChannel`` is a platform with no buttons, no edits and no popups (as a WhatsApp
bridge): the core must adapt every reply to it. ``Shown`` is what a person sees in a
chat, whatever the platform; contract tests and conversations are written against it.
"""

from __future__ import annotations

import io
import itertools
from dataclasses import dataclass, field
from typing import Any

from bot.channels.base import Capabilities, InProcessChannel, Sent, Unreachable, chunks
from bot.messages import Incoming, Reply


@dataclass(frozen=True)
class Shown:
    """One message as a person sees it."""

    chat_id: str
    text: str
    buttons: tuple[str, ...] = ()  # the data behind the buttons shown
    file: str | None = None
    mentioned: frozenset[str] = frozenset()  # user ids notified
    message_id: str = ""


TEXT_ONLY = Capabilities(
    buttons=False, polls=False, edits=False, notices=False, private=True, max_text=1000
)


@dataclass
class TextOnlyChannel(InProcessChannel):
    """Shows plain text only; refuses private messages to people not in ``reachable``."""

    platform: str = "textonly"
    capabilities: Capabilities = TEXT_ONLY
    reachable: set[str] = field(default_factory=set)
    shown: list[Shown] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    async def deliver(self, chat_id: str, reply: Reply, origin: Incoming | None = None) -> Sent:
        target = chat_id
        if reply.to_user is not None:
            if reply.to_user.user_id not in self.reachable:
                raise Unreachable(reply.to_user.user_id)
            target = reply.to_user.user_id
        text = reply.text
        if reply.mentions:
            text += "\n" + " ".join("@" + p.name for p in reply.mentions)
        ids = []
        for part in chunks(text, self.capabilities.max_text) if text else [""]:
            message_id = f"T{next(self._ids)}"
            ids.append(message_id)
            self.shown.append(
                Shown(
                    chat_id=target,
                    text=part,
                    file=reply.file.filename if reply.file else None,
                    mentioned=frozenset(p.user_id for p in reply.mentions),
                    message_id=message_id,
                )
            )
        return Sent(tuple(ids))


def telegram_shown(messages: list[dict[str, Any]]) -> list[Shown]:
    """What the fake Bot API stored, as ``Shown``."""
    out = []
    for m in messages:
        markup = m.get("reply_markup") or {}
        data = tuple(b["callback_data"] for row in markup.get("inline_keyboard", []) for b in row)
        entities = m.get("entities", []) or m.get("caption_entities", [])
        out.append(
            Shown(
                chat_id=str(m["chat"]["id"]),
                text=m.get("text") or m.get("caption") or "",
                buttons=data,
                file=(m.get("document") or {}).get("file_name"),
                mentioned=frozenset(str(e["user"]["id"]) for e in entities if "user" in e),
                message_id=str(m["message_id"]),
            )
        )
    return out


def whatsapp_shown(sent: list[Any], chat_id: str) -> list[Shown]:
    """What the fake Evolution bridge was asked to send to ``chat_id``, as ``Shown``.

    A poll sent right after a text is that text's choices (``buttons``: the poll's options).
    """
    mine = [s for s in sent if s.number == chat_id]
    shown = []
    for index, message in enumerate(mine):
        if message.route == "sendPoll":
            continue
        after = mine[index + 1] if index + 1 < len(mine) else None
        values = tuple(after.body["values"]) if after and after.route == "sendPoll" else ()
        shown.append(
            Shown(
                chat_id=chat_id,
                text=message.text,
                buttons=values,
                file=message.body.get("fileName"),
                mentioned=frozenset(message.body.get("mentioned") or ()),
                message_id=message.id,
            )
        )
    return shown


def console_output(buffer: io.StringIO) -> str:
    return buffer.getvalue()
