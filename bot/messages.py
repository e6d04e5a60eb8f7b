"""The small normalised messages that handlers receive and answer with.

Every channel (Telegram, console, WhatsApp bridge) converts its own updates
into ``Incoming`` and renders ``Reply`` back; handlers see nothing else.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum


class ChatKind(StrEnum):
    GROUP = "group"
    PRIVATE = "private"


class Event(StrEnum):
    """Things that happen to the group rather than messages typed in it."""

    BOT_ADDED = "bot_added"
    # The bot learnt it is in this group (it may have been for long): greeted if new.
    GROUP_SEEN = "group_seen"
    # The group's admins changed: ``mentioned`` were promoted (``text`` "promote") or
    # demoted ("demote"); their stored rights follow at once.
    ADMINS_CHANGED = "admins_changed"
    MIGRATED = "migrated"


@dataclass(frozen=True)
class Person:
    """Someone in a chat, as the platform identifies them."""

    user_id: str
    name: str
    username: str | None = None
    is_admin: bool = False
    # Other ids the platform gave for this same person (WhatsApp: the phone JID of a LID).
    aliases: tuple[str, ...] = ()
    # A person a message mentions: how the message writes them ("@5543988880002" on
    # WhatsApp, the name a Telegram text mention covers), so a command can tell which of
    # its words is that mention.
    written: str = ""


@dataclass(frozen=True)
class Attachment:
    """A file sent with a message; ``fetch`` downloads its bytes on demand."""

    filename: str
    mime_type: str | None
    fetch: Callable[[], Awaitable[bytes]]


@dataclass(frozen=True)
class Incoming:
    """One thing a person (or the platform) did in a chat."""

    platform: str
    chat_id: str
    chat_kind: ChatKind
    sender: Person
    chat_title: str = ""
    text: str = ""
    command: str | None = None
    args: str = ""
    button: str | None = None
    attachment: Attachment | None = None
    reply_to: Person | None = None
    # A plain text that answers one of the bot's messages (privacy mode lets it through).
    reply_to_bot: bool = False
    # A plain group text that quotes nothing, let through because its sender has a
    # step-by-step conversation open in that chat (WhatsApp): maybe said to the group.
    unquoted: bool = False
    # The text of the bot's message being replied to (it may name an encaminhamento).
    replied_text: str = ""
    message_id: str | None = None
    # The id of the bot's message this one answers (a quoted message), when known.
    replied_message_id: str | None = None
    # The platform's update id, when it has one: a redelivered update is applied once.
    update_id: int | None = None
    event: Event | None = None
    # False when the channel did not look up the sender's admin rights (a typed answer
    # to a message of options): the member's stored rights count instead.
    admin_checked: bool = True
    # With Event.MIGRATED: the chat id the group moved to.
    new_chat_id: str | None = None
    # People the message mentions (notified by the platform), e.g. "/coordenador + @ana".
    mentioned: tuple[Person, ...] = ()
    # A vote in a poll: ``text`` is the option chosen, ``replied_message_id`` the poll.
    vote: bool = False
    # When the person acted, by the platform's clock (ms): answers to one choice that
    # arrive out of order are applied in this order.
    acted_at_ms: int | None = None
    # The platform names one person in several ways: the core maps ids to one person.
    identities_vary: bool = False


@dataclass(frozen=True)
class Button:
    label: str
    data: str


@dataclass(frozen=True)
class OutFile:
    """A file to send. ``build`` makes its bytes later, outside any transaction (a PDF)."""

    filename: str
    content: bytes = b""
    mime_type: str = "application/octet-stream"
    build: Callable[[], bytes] | None = field(default=None, compare=False, repr=False)

    @classmethod
    def later(cls, filename: str, mime_type: str, build: Callable[[], bytes]) -> OutFile:
        """A file whose bytes are built after the update's commit, in a worker thread."""
        return cls(filename=filename, mime_type=mime_type, build=build)


@dataclass(frozen=True)
class MailOut:
    """An e-mail to institutional addresses (sent by the dispatcher, never by a handler)."""

    to: tuple[str, ...]
    subject: str
    body: str
    attachments: tuple[OutFile, ...] = ()


@dataclass(frozen=True)
class Reply:
    """One message the bot sends.

    By default it goes to the chat the update came from. ``to_user`` sends it
    privately to that person instead (if they cannot be reached, the core asks in the
    group, mentioning them); ``edit`` replaces the message whose button was pressed.
    ``mentions`` are appended so the platform notifies those people. ``notice`` is a
    short popup answer to a button press; ``error`` says it reports a mistake (a
    channel without popups then answers it as a message instead of dropping it).
    """

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    file: OutFile | None = None
    mentions: tuple[Person, ...] = ()
    to_user: Person | None = None
    edit: bool = False
    # With ``edit`` and buttons: the buttons ask something new (the next question), not the
    # same choice with new counts, so a channel that cannot edit sends it anew, choices and
    # all, instead of leaving it to the poll already shown.
    new_choice: bool = False
    notice: str | None = None
    error: bool = False
    # Automatic messages that must get through quiet hours and hourly caps (urgent).
    urgent: bool = False
    # A question answered by typing: the platform opens the reply box of the people the
    # reply mentions (Telegram's selective ForceReply; in privacy mode the bot sees only
    # replies to its messages). ``placeholder``: a hint shown in that box.
    force_reply: bool = False
    placeholder: str = ""
    # With ``edit``: it only marks the message as answered; a channel that cannot edit
    # drops it (the choice shows in the poll, and the next message follows).
    only_edit: bool = False
    # Another chat of the network's platform to send it to instead of the network's group:
    # its coordination chat (/coordenacao aqui, issue 14).
    chat: str | None = None
    # With ``to_user``: for that person's eyes only (a case's timeline). If the private
    # chat fails, the group gets only a line asking for /start, as for a file.
    confidential: bool = False
    # Said only if the update's private reply before it reached the person ("I sent it to
    # you in private"); dropped when that one had to fall back to the group.
    after_private: bool = False
