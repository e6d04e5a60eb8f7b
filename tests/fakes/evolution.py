"""A fake Evolution API 2.3.7 bridge on loopback, answering as the real one does.

Real HTTP both ways: the bot's ``EvolutionApi`` calls it (``apikey`` checked, bodies
validated as the bridge's schemas do, 201 with the message key), and it POSTs webhook
events to whatever URL and headers the bot registered with ``/webhook/set`` — as the
bridge does. Shapes: ../shared/WHATSAPP.md and the bridge's source at tag 2.3.7.

Helpers build the events a person's phone would cause: ``say`` (a text, a reply, a
command), ``vote`` (a poll vote, already decrypted as the bridge does), ``upload`` (a
document with a caption), ``add_bot``, ``promote``/``demote``.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiohttp
from aiohttp import web

API_KEY = "fake-evolution-key-0123456789"
INSTANCE = "redebot"
OWN_PN = "5543999990000@s.whatsapp.net"
OWN_LID = "88880000000001@lid"


@dataclass(frozen=True)
class Phone:
    """A WhatsApp user: their LID, their phone JID and the name their phone shows."""

    lid: str
    pn: str
    name: str

    @property
    def digits(self) -> str:
        return self.pn.partition("@")[0]


@dataclass
class Sent:
    route: str
    body: dict[str, Any]
    id: str
    at: float

    @property
    def number(self) -> str:
        return str(self.body["number"])

    @property
    def text(self) -> str:
        return str(self.body.get("text") or self.body.get("caption") or self.body.get("name") or "")


def _error(status: int, name: str, message: Any) -> web.Response:
    return web.json_response(
        {"status": status, "error": name, "response": {"message": message}}, status=status
    )


def _bad(*messages: str) -> web.Response:
    return _error(400, "Bad Request", list(messages))


def _is_base64(media: object) -> bool:
    """Raw base64 (a ``data:`` URL is not: the bridge refuses it)."""
    if not isinstance(media, str) or media.startswith("data:"):
        return False
    try:
        base64.b64decode(media, validate=True)
    except ValueError:
        return False
    return True


@dataclass
class Group:
    jid: str
    subject: str
    # Participants as findGroupInfos lists them: {id, phoneNumber?|lid?, admin}.
    participants: list[dict[str, Any]] = field(default_factory=list)
    lid_addressed: bool = True


class FakeEvolution:
    """``async with FakeEvolution() as bridge:`` — ``bridge.url`` is its base URL."""

    def __init__(self, *, now: Callable[[], float] | None = None) -> None:
        self.now = now or (lambda: 0.0)
        self.sent: list[Sent] = []
        self.calls: list[tuple[str, str]] = []
        self.groups: dict[str, Group] = {}
        self.media: dict[str, bytes] = {}
        self.webhook: dict[str, Any] | None = None
        self.state = "open"
        self.fail_sends = 0  # the next n sends answer 500
        self.fail_routes: dict[str, int] = {}  # the next n sends of a route answer 500
        self.fail_group_info = False  # findGroupInfos answers 500
        self._ids = itertools.count(1)
        self._stamp = itertools.count(1_767_000_000)
        self.delivered: list[tuple[int, dict[str, Any]]] = []  # (status, envelope)
        self._runner: web.AppRunner | None = None
        self._client: aiohttp.ClientSession | None = None
        self.url = ""

    async def __aenter__(self) -> FakeEvolution:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.add_routes(
            [
                web.post("/message/sendText/{instance}", self._send_text),
                web.post("/message/sendPoll/{instance}", self._send_poll),
                web.post("/message/sendMedia/{instance}", self._send_media),
                web.post("/chat/getBase64FromMediaMessage/{instance}", self._base64),
                web.get("/group/findGroupInfos/{instance}", self._group_info),
                web.get("/instance/connectionState/{instance}", self._state),
                web.post("/webhook/set/{instance}", self._set_webhook),
            ]
        )
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        self._client = aiohttp.ClientSession()
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._client is not None:
            await self._client.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # --- the bridge's side ----------------------------------------------------------------

    def _guard(self, request: web.Request) -> web.Response | None:
        self.calls.append((request.method, request.path))
        if request.match_info["instance"] != INSTANCE:
            return _error(
                404,
                "Not Found",
                [f'The "{request.match_info["instance"]}" instance does not exist'],
            )
        if request.headers.get("apikey") != API_KEY:
            return _error(401, "Unauthorized", "Unauthorized")
        return None

    def _stored(self, route: str, body: dict[str, Any], kind: str) -> web.Response:
        if self.fail_sends > 0 or self.fail_routes.get(route, 0) > 0:
            if self.fail_routes.get(route, 0) > 0:
                self.fail_routes[route] -= 1
            else:
                self.fail_sends -= 1
            return _error(500, "Internal Server Error", ["the bridge is restarting"])
        message_id = f"FAKE{next(self._ids)}"
        self.sent.append(Sent(route, body, message_id, self.now()))
        return web.json_response(
            {
                "key": {"remoteJid": body["number"], "fromMe": True, "id": message_id},
                "pushName": "Você",
                "status": "PENDING",
                "message": {kind: body.get("text") or body.get("name") or ""},
                "messageType": kind,
                "messageTimestamp": next(self._stamp),
                "source": "unknown",
            },
            status=201,
        )

    @staticmethod
    def _common(body: Any) -> list[str]:
        errors = []
        if not isinstance(body, dict):
            return ['instance requires property "number"']
        if not isinstance(body.get("number"), str) or not body["number"]:
            errors.append('instance requires property "number"')
        mentioned = body.get("mentioned")
        if mentioned is not None:
            if not isinstance(mentioned, list) or not mentioned:
                errors.append("mentioned must be a non-empty array")
            elif len(set(mentioned)) != len(mentioned):
                errors.append("mentioned must have unique items")
            elif not all(isinstance(m, str) and re.match(r"^\d+", m) for m in mentioned):
                errors.append('mentioned items must match pattern "^\\d+"')
        quoted = body.get("quoted")
        if quoted is not None and not (
            isinstance(quoted, dict)
            and isinstance(quoted.get("key"), dict)
            and quoted["key"].get("id")
        ):
            errors.append('quoted.key requires property "id"')
        return errors

    async def _send_text(self, request: web.Request) -> web.Response:
        if (refused := self._guard(request)) is not None:
            return refused
        body = await request.json()
        errors = self._common(body)
        if not isinstance(body.get("text"), str) or not body["text"].strip():
            errors.append("Text is required")
        if errors:
            return _bad(*errors)
        return self._stored("sendText", body, "conversation")

    async def _send_poll(self, request: web.Request) -> web.Response:
        if (refused := self._guard(request)) is not None:
            return refused
        body = await request.json()
        errors = self._common(body)
        values = body.get("values")
        if not isinstance(body.get("name"), str) or not body["name"]:
            errors.append('instance requires property "name"')
        count = body.get("selectableCount")
        if not isinstance(count, int) or not 0 <= count <= 10:
            errors.append("selectableCount must be an integer from 0 to 10")
        if (
            not isinstance(values, list)
            or not 2 <= len(values) <= 10
            or len(set(values)) != len(values)
            or not all(isinstance(v, str) and v for v in values)
        ):
            errors.append("values must hold 2 to 10 unique strings")
        if errors:
            return _bad(*errors)
        return self._stored("sendPoll", body, "pollCreationMessageV3")

    async def _send_media(self, request: web.Request) -> web.Response:
        if (refused := self._guard(request)) is not None:
            return refused
        body = await request.json()
        errors = self._common(body)
        if body.get("mediatype") not in {"image", "document", "video", "audio"}:
            errors.append("mediatype must be image, document, video or audio")
        media = body.get("media")
        if not _is_base64(media):
            errors.append("Owned media must be a url or base64")
        if body.get("mediatype") == "document" and not body.get("fileName"):
            errors.append("For base64 the file name must be informed.")
        if errors:
            return _bad(*errors)
        return self._stored("sendMedia", body, "documentMessage")

    async def _base64(self, request: web.Request) -> web.Response:
        if (refused := self._guard(request)) is not None:
            return refused
        body = await request.json()
        key = ((body.get("message") or {}).get("key") or {}).get("id")
        if key not in self.media or "documentMessage" not in (body["message"].get("message") or {}):
            return _bad("The message is not of the media type")
        return web.json_response(
            {"mediaType": "documentMessage", "base64": base64.b64encode(self.media[key]).decode()},
            status=201,
        )

    async def _group_info(self, request: web.Request) -> web.Response:
        if (refused := self._guard(request)) is not None:
            return refused
        if self.fail_group_info:
            return _error(500, "Internal Server Error", ["Connection Closed"])
        group = self.groups.get(request.query.get("groupJid", ""))
        if group is None:
            return _error(404, "Not Found", ["Error fetching group", "item-not-found"])
        return web.json_response(
            {
                "id": group.jid,
                "subject": group.subject,
                "size": len(group.participants),
                "participants": group.participants,
            }
        )

    async def _state(self, request: web.Request) -> web.Response:
        if (refused := self._guard(request)) is not None:
            return refused
        return web.json_response({"instance": {"instanceName": INSTANCE, "state": self.state}})

    async def _set_webhook(self, request: web.Request) -> web.Response:
        if (refused := self._guard(request)) is not None:
            return refused
        body = await request.json()
        hook = body.get("webhook") if isinstance(body, dict) else None
        if not isinstance(hook, dict) or not hook.get("url") or "enabled" not in hook:
            return _bad('instance requires property "webhook"')
        if hook.get("enabled") and "events" not in hook:
            return _error(500, "Internal Server Error", ["Cannot read properties of undefined"])
        self.webhook = hook
        return web.json_response({"id": "wh1", **hook}, status=201)

    # --- a group and its people -------------------------------------------------------------

    def add_group(
        self,
        jid: str,
        subject: str,
        people: list[Phone],
        *,
        admins: tuple[Phone, ...] = (),
        lid_addressed: bool = True,
    ) -> Group:
        group = Group(jid, subject, lid_addressed=lid_addressed)
        for phone in [*people, Phone(OWN_LID, OWN_PN, "redebot")]:
            group.participants.append(self._participant(group, phone, phone in admins))
        self.groups[jid] = group
        return group

    @staticmethod
    def _participant(group: Group, phone: Phone, admin: bool) -> dict[str, Any]:
        role = "admin" if admin else None
        if group.lid_addressed:
            return {"id": phone.lid, "phoneNumber": phone.pn, "admin": role}
        return {"id": phone.pn, "lid": phone.lid, "admin": role}

    def set_admin(self, group_jid: str, phone: Phone, admin: bool) -> None:
        group = self.groups[group_jid]
        for entry in group.participants:
            if phone.lid in (entry.get("id"), entry.get("lid")):
                entry["admin"] = "admin" if admin else None

    def jid_in(self, group_jid: str, phone: Phone) -> str:
        """How ``group_jid`` addresses ``phone`` (its LID in @lid groups)."""
        group = self.groups.get(group_jid)
        return phone.pn if group is not None and not group.lid_addressed else phone.lid

    # --- events, posted to the bot as the bridge does -----------------------------------------

    def envelope(self, event: str, data: Any) -> dict[str, Any]:
        return {
            "event": event,
            "instance": INSTANCE,
            "data": data,
            "destination": (self.webhook or {}).get("url"),
            "date_time": datetime.now(UTC).isoformat(),
            "sender": OWN_PN,
            "server_url": self.url,
            "apikey": None,
        }

    async def post(self, envelope: dict[str, Any], *, headers: dict[str, str] | None = None) -> int:
        """POST one event to the registered webhook; the HTTP status the bot answered."""
        assert self.webhook is not None, "the bot has not registered its webhook"
        assert self._client is not None
        sent_headers = dict(self.webhook.get("headers") or {}) if headers is None else headers
        async with self._client.post(
            self.webhook["url"], json=envelope, headers=sent_headers
        ) as response:
            await response.read()
            self.delivered.append((response.status, envelope))
            return response.status

    def message_data(
        self,
        chat: str,
        who: Phone,
        message: dict[str, Any],
        *,
        message_type: str = "conversation",
        context: dict[str, Any] | None = None,
        alt: bool = True,
        key_id: str | None = None,
        stamp: int | None = None,
    ) -> dict[str, Any]:
        key: dict[str, Any] = {"remoteJid": chat, "fromMe": False, "id": key_id or self.new_id()}
        if chat.endswith("@g.us"):
            group = self.groups.get(chat)
            lid = group is None or group.lid_addressed
            key["participant"] = who.lid if lid else who.pn
            if alt:
                key["participantAlt"] = who.pn if lid else who.lid
            key["addressingMode"] = "lid" if lid else "pn"
        else:
            key["remoteJid"] = who.pn
            if alt:
                key["remoteJidAlt"] = who.lid
        data: dict[str, Any] = {
            "key": key,
            "pushName": who.name,
            "status": "DELIVERY_ACK",
            "message": message,
            "messageType": message_type,
            "messageTimestamp": stamp if stamp is not None else next(self._stamp),
            "instanceId": "inst-1",
            "source": "android",
        }
        if context is not None:
            data["contextInfo"] = context
        return data

    def new_id(self) -> str:
        return f"3EB0{next(self._ids):08X}"

    def quote(self, sent: Sent) -> dict[str, Any]:
        """``contextInfo`` of a reply that quotes the bot's message ``sent``."""
        group = self.groups.get(sent.number)
        own = OWN_LID if group is not None and group.lid_addressed else OWN_PN
        return {
            "stanzaId": sent.id,
            "participant": own,
            "quotedMessage": {"conversation": sent.text},
            "mentionedJid": [],
        }

    async def say(
        self,
        chat: str,
        who: Phone,
        text: str,
        *,
        quoting: Sent | None = None,
        mentions: tuple[Phone, ...] = (),
        alt: bool = True,
        key_id: str | None = None,
        stamp: int | None = None,
    ) -> int:
        context = self.quote(quoting) if quoting is not None else None
        if mentions:
            context = dict(context or {"mentionedJid": []})
            context["mentionedJid"] = [self.jid_in(chat, m) for m in mentions]
        data = self.message_data(
            chat, who, {"conversation": text}, context=context, alt=alt, key_id=key_id, stamp=stamp
        )
        return await self.post(self.envelope("messages.upsert", data))

    async def vote(
        self,
        chat: str,
        who: Phone,
        poll: Sent,
        options: list[str],
        *,
        at_ms: int | dict[str, Any] | str,
        key_id: str | None = None,
    ) -> int:
        """A decrypted vote (selectedOptions by name), as the bridge hands it."""
        assert poll.route == "sendPoll", "a vote goes to a poll"
        data = self.message_data(
            chat,
            who,
            {
                "pollUpdateMessage": {
                    "pollCreationMessageKey": {"remoteJid": chat, "fromMe": True, "id": poll.id},
                    "vote": {"encPayload": {"0": 1}, "encIv": {"0": 2}, "selectedOptions": options},
                    "senderTimestampMs": at_ms,
                }
            },
            message_type="pollUpdateMessage",
            key_id=key_id,
        )
        data["pollUpdates"] = [
            {"name": name, "voters": [self.jid_in(chat, who)] if name in options else []}
            for name in poll.body["values"]
        ]
        return await self.post(self.envelope("messages.upsert", data))

    async def upload(
        self, chat: str, who: Phone, filename: str, content: bytes, caption: str, mime: str
    ) -> int:
        key_id = self.new_id()
        self.media[key_id] = content
        data = self.message_data(
            chat,
            who,
            {
                "documentMessage": {
                    "fileName": filename,
                    "mimetype": mime,
                    "caption": caption,
                    "fileLength": {"low": len(content), "high": 0, "unsigned": True},
                    "mediaKey": {"0": 1, "1": 2},
                }
            },
            message_type="documentMessage",
            key_id=key_id,
        )
        return await self.post(self.envelope("messages.upsert", data))

    async def add_bot(self, group_jid: str, by: Phone) -> int:
        group = self.groups[group_jid]
        own = OWN_LID if group.lid_addressed else OWN_PN
        data = {
            "id": group_jid,
            "author": self.jid_in(group_jid, by),
            "participants": [
                {"id": own, "phoneNumber": OWN_PN, "admin": None}
                if group.lid_addressed
                else {"id": OWN_PN, "lid": OWN_LID, "admin": None}
            ],
            "action": "add",
        }
        return await self.post(self.envelope("group-participants.update", data))

    async def promote(self, group_jid: str, phone: Phone, *, admin: bool = True) -> int:
        self.set_admin(group_jid, phone, admin)
        data = {
            "id": group_jid,
            "author": OWN_PN,
            "participants": [
                {"id": self.jid_in(group_jid, phone), "admin": "admin" if admin else None}
            ],
            "action": "promote" if admin else "demote",
        }
        return await self.post(self.envelope("group-participants.update", data))

    # --- reading what the bot sent --------------------------------------------------------------

    def mark(self) -> int:
        return len(self.sent)

    def since(self, mark: int, chat: str | None = None) -> list[Sent]:
        return [s for s in self.sent[mark:] if chat is None or s.number == chat]

    async def settle(self, seconds: float = 0.0) -> None:
        await asyncio.sleep(seconds)
