"""The Evolution API bridge (2.3.7) over HTTP: the few calls a WhatsApp channel needs.

No SDK: aiohttp and the shapes in ../shared/WHATSAPP.md, checked against the bridge's
source. Every call carries the instance's ``apikey``; success is 2xx (201 for sends, with
the stored message and its ``key.id``). A 5xx, a timeout or a refused connection is a
passing failure (``Retryable``); a 4xx is a mistake that a retry will not fix
(``BridgeError`` with the bridge's own words).
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

import aiohttp

from bot.channels.base import Retryable

log = logging.getLogger(__name__)

# Events the bot needs (registration names; the payloads say "messages.upsert" etc.).
WEBHOOK_EVENTS = (
    "MESSAGES_UPSERT",
    "GROUP_PARTICIPANTS_UPDATE",
    "GROUPS_UPSERT",
    "CONNECTION_UPDATE",
)
SECRET_HEADER = "x-redebot-secret"  # noqa: S105 - the name of the header, not a secret


class BridgeError(Exception):
    """The bridge refused a call (4xx): wrong key, unknown instance, invalid body."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


def error_text(body: Any) -> str:
    """The bridge's words: ``{"status":400,"error":"…","response":{"message":[…]}}``."""
    if isinstance(body, Mapping):
        response = body.get("response")
        if isinstance(response, Mapping) and response.get("message"):
            message = response["message"]
            if isinstance(message, list):
                return "; ".join(str(m) for m in message)
            return str(message)
        for field in ("message", "error"):
            if body.get(field):
                return str(body[field])
    return str(body)[:300]


class EvolutionApi:
    """One instance (one paired number) of an Evolution API server."""

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        instance: str,
        timeout_seconds: float = 30.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.instance = instance
        self.timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                headers={"apikey": self.api_key}, timeout=self.timeout
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    def _path(self, route: str) -> str:
        return f"{self.base_url}/{route}/{quote(self.instance, safe='')}"

    async def call(
        self,
        method: str,
        route: str,
        *,
        body: Mapping[str, Any] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> Any:
        try:
            async with self._client().request(
                method, self._path(route), json=body, params=params
            ) as response:
                try:
                    data: Any = await response.json(content_type=None)
                except ValueError:
                    data = await response.text()
                if response.status >= 500:
                    raise Retryable(f"bridge {route}: {response.status} {error_text(data)}")
                if response.status >= 400:
                    raise BridgeError(response.status, error_text(data))
                return data
        except (aiohttp.ClientError, TimeoutError) as failure:
            raise Retryable(f"bridge {route}: {failure!r}") from failure

    # --- sending ------------------------------------------------------------------------

    @staticmethod
    def _sent_id(data: Any) -> str:
        key = data.get("key") if isinstance(data, Mapping) else None
        if not isinstance(key, Mapping) or not key.get("id"):
            raise Retryable(f"the bridge answered a send without a message key: {data!r:.200}")
        return str(key["id"])

    async def send_text(
        self,
        number: str,
        text: str,
        *,
        mentioned: Sequence[str] = (),
        quoted: Mapping[str, Any] | None = None,
    ) -> str:
        body: dict[str, Any] = {"number": number, "text": text}
        if mentioned:
            body["mentioned"] = list(mentioned)
        if quoted is not None:
            body["quoted"] = dict(quoted)
        return self._sent_id(await self.call("POST", "message/sendText", body=body))

    async def send_poll(
        self,
        number: str,
        name: str,
        values: Sequence[str],
        *,
        quoted: Mapping[str, Any] | None = None,
    ) -> str:
        body: dict[str, Any] = {
            "number": number,
            "name": name,
            "selectableCount": 1,
            "values": list(values),
        }
        if quoted is not None:
            body["quoted"] = dict(quoted)
        return self._sent_id(await self.call("POST", "message/sendPoll", body=body))

    async def send_document(
        self,
        number: str,
        *,
        filename: str,
        mime_type: str,
        content: bytes,
        caption: str | None = None,
        mentioned: Sequence[str] = (),
    ) -> str:
        body: dict[str, Any] = {
            "number": number,
            "mediatype": "document",
            "mimetype": mime_type,
            "fileName": filename,
            "media": base64.b64encode(content).decode(),
        }
        if caption:
            body["caption"] = caption
        if mentioned:
            body["mentioned"] = list(mentioned)
        return self._sent_id(await self.call("POST", "message/sendMedia", body=body))

    # --- reading ------------------------------------------------------------------------

    async def media(self, message: Mapping[str, Any]) -> bytes:
        """The bytes of a received document: the message exactly as the webhook gave it."""
        data = await self.call(
            "POST",
            "chat/getBase64FromMediaMessage",
            body={"message": {"key": message.get("key"), "message": message.get("message")}},
        )
        encoded = data.get("base64") if isinstance(data, Mapping) else None
        if not isinstance(encoded, str):
            raise BridgeError(200, "the bridge returned no base64 for the document")
        return base64.b64decode(encoded.split(",", 1)[-1])

    async def group_info(self, group_jid: str) -> Mapping[str, Any]:
        data = await self.call("GET", "group/findGroupInfos", params={"groupJid": group_jid})
        if not isinstance(data, Mapping):
            raise BridgeError(200, f"unexpected group info: {data!r:.200}")
        return data

    async def set_webhook(self, *, url: str, secret: str) -> None:
        """Register the bot's webhook (at every start: the bridge keeps the last one)."""
        await self.call(
            "POST",
            "webhook/set",
            body={
                "webhook": {
                    "enabled": True,
                    "url": url,
                    "headers": {SECRET_HEADER: secret},
                    "byEvents": False,
                    "base64": False,
                    "events": list(WEBHOOK_EVENTS),
                }
            },
        )
