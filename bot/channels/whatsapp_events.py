"""What an Evolution API webhook event means, as ``Incoming`` (pure functions, no I/O).

The bridge hands the bot *every* message of its groups. Only what the bot acts on
becomes an ``Incoming``: a command, a reply quoting a message, a poll vote, a document
with a command caption, the bot added to a group. Anything else is dropped here, and
its text is never stored or logged (LGPD; ../shared/WHATSAPP.md "Webhook in").
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from bot.messages import Attachment, ChatKind, Event, Incoming, Person

PLATFORM = "whatsapp"
GROUP_SUFFIX = "@g.us"
LID_SUFFIX = "@lid"
PHONE_SUFFIXES = ("@s.whatsapp.net", "@c.us")
ADMIN_ROLES = frozenset({"admin", "superadmin"})
WRAPPERS = (
    "ephemeralMessage",
    "viewOnceMessage",
    "viewOnceMessageV2",
    "viewOnceMessageV2Extension",
)

Fetch = Callable[[Mapping[str, Any]], Awaitable[bytes]]


def as_int(value: Any) -> int | None:
    """A 64-bit field as the bridge may send it: a number, a string or ``{low, high}``."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return None
    if isinstance(value, Mapping) and "low" in value:
        low, high = as_int(value.get("low")), as_int(value.get("high")) or 0
        if low is None:
            return None
        return ((high & 0xFFFFFFFF) << 32) | (low & 0xFFFFFFFF)
    return None


def update_id(instance: str, key: str) -> int:
    """A 63-bit id for ``mark_update_processed``: a redelivered event is applied once."""
    digest = hashlib.sha256(f"{instance}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") & ((1 << 63) - 1)


def bare(jid: str) -> str:
    """The JID without its device part: ``5511…:12@s.whatsapp.net`` → ``5511…@s.whatsapp.net``."""
    user, at, server = jid.partition("@")
    return f"{user.partition(':')[0]}{at}{server}"


def user_part(jid: str) -> str:
    return jid.partition("@")[0].partition(":")[0]


def is_person(jid: str) -> bool:
    return jid.endswith(LID_SUFFIX) or jid.endswith(PHONE_SUFFIXES)


def person(ids: Sequence[str | None], name: str | None = None) -> Person:
    """One person from the ids the bridge gives (participant, participantAlt…).

    ``name``: the person's ``pushName``; "" when the event does not say it (the stored
    name is kept), None to use the number.

    The ``@lid`` form is the person's id when any is known (groups address people by it);
    the phone JID is kept as an alias, so one person is one member whichever arrives.
    """
    known = [bare(i) for i in ids if isinstance(i, str) and is_person(i)]
    unique = list(dict.fromkeys(known))
    if not unique:
        raise ValueError("no person id")
    lids = [i for i in unique if i.endswith(LID_SUFFIX)]
    main = lids[0] if lids else unique[0]
    return Person(
        user_id=main,
        name=user_part(main) if name is None else name.strip(),
        aliases=tuple(i for i in unique if i != main),
    )


def participant_ids(entry: Any) -> list[str]:
    """A group participant as an object ``{id, phoneNumber?, lid?}`` or (older) a string."""
    if isinstance(entry, str):
        return [bare(entry)]
    if isinstance(entry, Mapping):
        return [bare(str(entry[k])) for k in ("id", "phoneNumber", "lid") if entry.get(k)]
    return []


def parse_command(text: str) -> tuple[str, str] | None:
    """ "/setor CRAS" → ("setor", "CRAS")."""
    if not text.startswith("/") or len(text) < 2:
        return None
    head, _sep, rest = text[1:].partition(" ")
    first, _nl, more = head.partition("\n")
    if more:
        rest = more + (" " + rest if rest else "")
    name = first.partition("@")[0].lower()
    if not name:
        return None
    return name, rest.strip()


@dataclass
class Own:
    """The bot's own ids: the envelope's ``sender`` and the LIDs learnt since."""

    ids: set[str] = field(default_factory=set)

    def __contains__(self, jid: object) -> bool:
        return isinstance(jid, str) and bare(jid) in self.ids

    def learn(self, jid: str | None) -> None:
        if jid and is_person(jid):
            self.ids.add(bare(jid))


def _inner(message: Mapping[str, Any], kind: str) -> Mapping[str, Any]:
    value = message.get(kind)
    return value if isinstance(value, Mapping) else {}


def _context(data: Mapping[str, Any], message: Mapping[str, Any]) -> Mapping[str, Any]:
    """``contextInfo``: on the envelope's data (Evolution 2.3) or inside the message."""
    found = data.get("contextInfo")
    if isinstance(found, Mapping):
        return found
    for value in message.values():
        if isinstance(value, Mapping) and isinstance(value.get("contextInfo"), Mapping):
            context: Mapping[str, Any] = value["contextInfo"]
            return context
    return {}


def _quoted_text(quoted: Any) -> str:
    if not isinstance(quoted, Mapping):
        return ""
    if isinstance(quoted.get("conversation"), str):
        return str(quoted["conversation"])
    for kind in ("extendedTextMessage", "documentMessage"):
        inner = _inner(quoted, kind)
        for key in ("text", "caption"):
            if isinstance(inner.get(key), str):
                return str(inner[key])
    for kind in ("pollCreationMessage", "pollCreationMessageV2", "pollCreationMessageV3"):
        inner = _inner(quoted, kind)
        if isinstance(inner.get("name"), str):
            return str(inner["name"])
    return ""


def _document(message: Mapping[str, Any]) -> Mapping[str, Any] | None:
    direct = message.get("documentMessage")
    if isinstance(direct, Mapping):
        return direct
    wrapped = _inner(_inner(message, "documentWithCaptionMessage"), "message")
    inner = wrapped.get("documentMessage")
    return inner if isinstance(inner, Mapping) else None


def _text(message: Mapping[str, Any]) -> str:
    if isinstance(message.get("conversation"), str):
        return str(message["conversation"])
    text = _inner(message, "extendedTextMessage").get("text")
    return text if isinstance(text, str) else ""


def parse(
    envelope: Mapping[str, Any], own: Own, fetch: Fetch, *, unquoted: bool = False
) -> list[Incoming]:
    """The ``Incoming`` an event means (often none). ``own`` learns the bot's ids.
    ``unquoted``: a plain group text that quotes nothing is kept too, as a candidate
    answer (the channel keeps it only for a person in a conversation there)."""
    event = str(envelope.get("event", "")).lower().replace("_", ".").replace("-", ".")
    instance = str(envelope.get("instance", ""))
    own.learn(envelope.get("sender") if isinstance(envelope.get("sender"), str) else None)
    data = envelope.get("data")
    if event == "messages.upsert" and isinstance(data, Mapping):
        found = _message(instance, data, own, fetch, unquoted)
        return [found] if found is not None else []
    if event == "group.participants.update" and isinstance(data, Mapping):
        return _participants(instance, envelope, data, own)
    if event == "groups.upsert":
        groups = data if isinstance(data, list) else [data]
        return [g for g in (_group_seen(instance, envelope, d) for d in groups) if g is not None]
    return []


def _unwrap(message: Any) -> Any:
    """Disappearing and view-once messages carry the message inside."""
    for _depth in range(3):
        if not isinstance(message, Mapping):
            return message
        for wrapper in WRAPPERS:
            inner = _inner(message, wrapper).get("message")
            if isinstance(inner, Mapping):
                message = inner
                break
        else:
            return message
    return message


def _message(
    instance: str, data: Mapping[str, Any], own: Own, fetch: Fetch, unquoted: bool
) -> Incoming | None:
    key = data.get("key")
    message = _unwrap(data.get("message"))
    if not isinstance(key, Mapping) or not isinstance(message, Mapping):
        return None
    base = _base(instance, data, key, own)
    if base is None:
        return None
    poll = message.get("pollUpdateMessage")
    if isinstance(poll, Mapping):
        return _vote(base, poll)
    document = _document(message)
    text = str(document.get("caption") or "") if document is not None else _text(message)
    context = _context(data, message)
    parsed = parse_command(text.strip())
    if parsed is None:
        stamp = as_int(data.get("messageTimestamp"))
        return _answer(base, text.strip(), context, own, stamp, unquoted)
    attachment = None
    if document is not None:
        attachment = _attachment(document, {"key": dict(key), "message": dict(message)}, fetch)
    return _command(base, text, parsed, context, own, attachment)


def _base(
    instance: str, data: Mapping[str, Any], key: Mapping[str, Any], own: Own
) -> dict[str, Any] | None:
    """What every ``Incoming`` of this message shares: chat, sender, ids. None when the
    message is not for the bot (its own echo, a broadcast, no sender)."""
    chat = str(key.get("remoteJid") or "")
    if key.get("fromMe"):
        # Our own message echoed back: in @lid groups its participant is our LID.
        if chat.endswith(GROUP_SUFFIX):
            own.learn(key.get("participant"))
        return None
    if chat.endswith(GROUP_SUFFIX):
        kind = ChatKind.GROUP
        ids = [key.get("participant"), key.get("participantAlt")]
    elif is_person(chat):
        kind = ChatKind.PRIVATE
        ids = [chat, key.get("remoteJidAlt"), key.get("senderPn"), key.get("senderLid")]
    else:
        return None  # status broadcasts, newsletters
    message_id = str(key.get("id") or "")
    try:
        push = data.get("pushName")
        sender = person(ids, push if isinstance(push, str) and push.strip() else None)
    except ValueError:
        return None
    if not message_id:
        return None
    return {
        "platform": PLATFORM,
        "chat_id": bare(chat),
        "chat_kind": kind,
        "sender": sender,
        "message_id": message_id,
        "update_id": update_id(instance, message_id),
        "identities_vary": True,
    }


def _answer(
    base: dict[str, Any],
    text: str,
    context: Mapping[str, Any],
    own: Own,
    stamp: int | None,
    unquoted: bool,
) -> Incoming | None:
    """A plain text: in private, said to the bot; in a group, a reply quoting a message
    (the core checks that the message is the bot's) or, unquoted, a candidate answer the
    channel keeps only when its sender is in a step-by-step conversation in that chat
    (everything else is group talk: not the bot's business)."""
    quoted_id = context.get("stanzaId")
    private = base["chat_kind"] is ChatKind.PRIVATE
    if not text or (not private and not quoted_id and not unquoted):
        return None  # group talk: not the bot's business
    return Incoming(
        text=text,
        reply_to_bot=private or context.get("participant") in own,
        replied_text=_quoted_text(context.get("quotedMessage")),
        replied_message_id=str(quoted_id) if quoted_id else None,
        # Seconds only: the end of that second, so a vote earlier in it does not win.
        acted_at_ms=stamp * 1000 + 999 if stamp is not None else None,
        **base,
    )


def _command(
    base: dict[str, Any],
    text: str,
    parsed: tuple[str, str],
    context: Mapping[str, Any],
    own: Own,
    attachment: Attachment | None,
) -> Incoming:
    """A command, with the person it answers (a quoted message) and the people it names."""
    quoted_id = context.get("stanzaId")
    author = context.get("participant")
    reply_to = None
    if quoted_id and isinstance(author, str) and is_person(author) and author not in own:
        reply_to = person([author], "")  # the name is not in the quote: keep the stored one
    mentioned = tuple(
        replace(person([jid], ""), written="@" + user_part(jid))
        for jid in context.get("mentionedJid") or ()
        if isinstance(jid, str) and is_person(jid) and jid not in own
    )
    command, args = parsed
    return Incoming(
        text=text,
        command=command,
        args=args,
        attachment=attachment,
        reply_to=reply_to,
        replied_message_id=str(quoted_id) if quoted_id else None,
        mentioned=mentioned,
        **base,
    )


def _attachment(document: Mapping[str, Any], raw: Mapping[str, Any], fetch: Fetch) -> Attachment:
    """A received document: downloaded from the bridge only if its command takes a file."""

    async def download() -> bytes:
        return await fetch(raw)

    return Attachment(
        filename=str(document.get("fileName") or document.get("title") or "arquivo"),
        mime_type=str(document["mimetype"]) if document.get("mimetype") else None,
        fetch=download,
    )


def _vote(base: dict[str, Any], poll: Mapping[str, Any]) -> Incoming | None:
    """A vote names the voter's whole current choice; ``[]`` (retracted, or a vote the
    bridge could not decrypt) changes nothing. In a group or in the private chat (where
    the bot asks, for instance, whether to erase someone's data)."""
    creation = poll.get("pollCreationMessageKey")
    vote = poll.get("vote")
    if not isinstance(creation, Mapping) or not creation.get("id") or not isinstance(vote, Mapping):
        return None
    selected = [o for o in vote.get("selectedOptions") or () if isinstance(o, str) and o]
    if not selected:
        return None
    return Incoming(
        text=selected[0],
        vote=True,
        replied_message_id=str(creation["id"]),
        acted_at_ms=as_int(poll.get("senderTimestampMs")),
        **base,
    )


def _event_id(instance: str, envelope: Mapping[str, Any], data: Any) -> int:
    body = json.dumps(data, sort_keys=True, default=str)
    return update_id(instance, f"{envelope.get('event')}:{envelope.get('date_time')}:{body}")


def _participants(
    instance: str, envelope: Mapping[str, Any], data: Mapping[str, Any], own: Own
) -> list[Incoming]:
    group = str(data.get("id") or "")
    action = data.get("action")
    if group.endswith(GROUP_SUFFIX) and action in {"promote", "demote"}:
        return _admins_changed(instance, envelope, data, str(action))
    if not group.endswith(GROUP_SUFFIX) or action != "add":
        return []
    added = [i for entry in data.get("participants") or () for i in participant_ids(entry)]
    if not any(i in own for i in added):
        return []
    author = data.get("author")
    try:
        sender = person([author] if isinstance(author, str) else [])
    except ValueError:
        sender = Person(user_id=group, name="WhatsApp")
    return [
        Incoming(
            platform=PLATFORM,
            chat_id=bare(group),
            chat_kind=ChatKind.GROUP,
            sender=sender,
            # With groups.upsert also coming: greeted once, when the network is new.
            event=Event.GROUP_SEEN,
            update_id=_event_id(instance, envelope, data),
        )
    ]


def _admins_changed(
    instance: str, envelope: Mapping[str, Any], data: Mapping[str, Any], action: str
) -> list[Incoming]:
    people = []
    for entry in data.get("participants") or ():
        ids = [i for i in participant_ids(entry) if is_person(i)]
        if ids:
            people.append(person(ids, ""))
    if not people:
        return []
    return [
        Incoming(
            platform=PLATFORM,
            chat_id=bare(str(data["id"])),
            chat_kind=ChatKind.GROUP,
            sender=Person(user_id=bare(str(data["id"])), name="WhatsApp"),
            event=Event.ADMINS_CHANGED,
            text=action,
            mentioned=tuple(people),
            update_id=_event_id(instance, envelope, data),
            identities_vary=True,
        )
    ]


def _group_seen(instance: str, envelope: Mapping[str, Any], data: Any) -> Incoming | None:
    if not isinstance(data, Mapping):
        return None
    group = str(data.get("id") or "")
    if not group.endswith(GROUP_SUFFIX):
        return None
    return Incoming(
        platform=PLATFORM,
        chat_id=bare(group),
        chat_kind=ChatKind.GROUP,
        chat_title=str(data.get("subject") or ""),
        sender=Person(user_id=bare(group), name="WhatsApp"),
        event=Event.GROUP_SEEN,
        update_id=_event_id(instance, envelope, data),
    )


def admin_changes(envelope: Mapping[str, Any]) -> str | None:
    """The group whose participants or admins changed (its cached rights are stale)."""
    event = str(envelope.get("event", "")).lower().replace("_", ".").replace("-", ".")
    data = envelope.get("data")
    if event == "group.participants.update" and isinstance(data, Mapping):
        return bare(str(data.get("id") or "")) or None
    return None


def admins_of(info: Mapping[str, Any]) -> tuple[set[str], set[str]]:
    """(ids of the group's admins, ids of every participant), every form of each id."""
    admins: set[str] = set()
    everyone: set[str] = set()
    for entry in info.get("participants") or ():
        ids = participant_ids(entry)
        everyone.update(ids)
        if isinstance(entry, Mapping) and entry.get("admin") in ADMIN_ROLES:
            admins.update(ids)
    return admins, everyone


def mention_id(info: Mapping[str, Any] | None, user_id: str, aliases: Sequence[str] = ()) -> str:
    """The id to mention a person by: the one the group's participant list uses."""
    wanted = {bare(user_id), *(bare(a) for a in aliases)}
    for entry in (info or {}).get("participants") or ():
        ids = participant_ids(entry)
        if wanted.intersection(ids):
            return ids[0]
    return user_id


def kept(envelope: Mapping[str, Any], found: Sequence[Incoming]) -> dict[str, Any]:
    """What the inbox keeps of an event the bot acts on: enough to apply it again,
    nothing of anyone else's words (a command's quoted message), no bridge key, no
    thumbnails."""
    replies_to_bot = any(i.command is None and i.reply_to_bot for i in found)
    trimmed = _without(envelope, replies_to_bot)
    assert isinstance(trimmed, dict)
    trimmed.pop("apikey", None)
    data = trimmed.get("data")
    if isinstance(data, dict):
        data.pop("pollUpdates", None)
    return trimmed


def _without(value: Any, keep_quote: bool) -> Any:
    if isinstance(value, Mapping):
        out = {}
        for name, item in value.items():
            if name in DROPPED or (name == "quotedMessage" and not keep_quote):
                continue
            out[name] = _without(item, keep_quote)
        return out
    if isinstance(value, list):
        return [_without(item, keep_quote) for item in value]
    return value


# Binary previews the bot never uses; they can be large.
DROPPED = frozenset({"jpegThumbnail", "thumbnail", "pngThumbnail", "thumbnailDirectPath"})
