"""Operator calls to the WhatsApp bridge (Evolution API 2.3.7): the instance, pairing, health.

Used by ``redebot whatsapp connect`` and ``redebot whatsapp status``; plain aiohttp, the key
in the ``apikey`` header. Creating the instance needs the bridge's global key
(``AUTHENTICATION_API_KEY``); the other calls also accept the instance's own token.
Messages here are for the operator at a terminal (English), never for chat users.

What the bridge answers (read in its source, tag 2.3.7):

- ``GET /instance/connectionState/{name}`` → ``{"instance": {"instanceName", "state"}}``,
  state ``open`` | ``connecting`` | ``close``.
- ``GET /instance/fetchInstances`` → a list of rows with ``name`` (and the instance token:
  never print it).
- ``POST /instance/create`` ``{"instanceName", "integration": "WHATSAPP-BAILEYS"}`` → 201;
  a name in use → 403.
- ``GET /instance/connect/{name}[?number=…]`` → ``{"code", "base64": "data:image/png;base64,…",
  "pairingCode", "count"}`` while pairing, often still without ``code`` right after the
  socket starts (ask again); ``{"instance": {"state": "open"}}`` once paired; an internal
  failure is a 200 ``{"error": true, "message": …}``.
- An unknown instance answers 404 before the key is checked; a wrong key 401.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import quote

import aiohttp
import qrcode

from bot.channels.evolution import error_text
from bot.config import Settings

INTEGRATION = "WHATSAPP-BAILEYS"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
REQUEST_TIMEOUT = aiohttp.ClientTimeout(total=30)  # /instance/connect itself waits 2 s


class BridgeError(Exception):
    """The bridge could not be used; the message says what to check."""


class BridgeUnreachable(BridgeError):
    """No HTTP answer at WHATSAPP_API_URL."""


class BridgeUnauthorized(BridgeError):
    """The bridge refused WHATSAPP_API_KEY (401)."""


class InstanceMissing(BridgeError):
    """The bridge has no instance named WHATSAPP_INSTANCE."""


class AlreadyConnected(BridgeError):
    """The number is paired: there is no QR code to show."""


@dataclass(frozen=True)
class Pairing:
    """One QR code of the bridge: scan it with the dedicated phone (Linked devices)."""

    code: str  # the text the QR encodes: draw this
    png: bytes  # the bridge's own drawing of it
    pairing_code: str | None = None  # "link with phone number instead", when a number was given


@dataclass(frozen=True)
class _Bridge:
    url: str
    key: str
    instance: str

    @property
    def path(self) -> str:
        """The instance's name as the last segment of a URL path."""
        return quote(self.instance, safe="")


def _bridge(settings: Settings) -> _Bridge:
    url, key, instance = (
        settings.whatsapp_api_url,
        settings.whatsapp_api_key,
        settings.whatsapp_instance,
    )
    if not (url and key and instance):
        raise BridgeError("set WHATSAPP_API_URL, WHATSAPP_API_KEY and WHATSAPP_INSTANCE")
    return _Bridge(url.rstrip("/"), key, instance)


async def _call(
    bridge: _Bridge,
    method: str,
    path: str,
    *,
    body: dict[str, Any] | None = None,
    params: dict[str, str] | None = None,
) -> Any:
    """One request; the decoded JSON of a 2xx answer, else a BridgeError for the operator."""
    url = f"{bridge.url}{path}"
    try:
        async with (
            aiohttp.ClientSession(timeout=REQUEST_TIMEOUT) as session,
            session.request(
                method, url, json=body, params=params, headers={"apikey": bridge.key}
            ) as response,
        ):
            status = response.status
            text = await response.text()
    except (aiohttp.ClientError, TimeoutError) as exc:
        reason = str(exc) or type(exc).__name__
        raise BridgeUnreachable(
            f"cannot reach the WhatsApp bridge at {bridge.url} ({reason}): is it running, "
            "and is WHATSAPP_API_URL right (compose: http://evolution:8080)?"
        ) from exc
    try:
        data: Any = json.loads(text) if text else None
    except ValueError:
        data = None
    detail = (error_text(data) if data is not None else "") or text[:200].strip()
    if status == 401:
        raise BridgeUnauthorized(
            f"the WhatsApp bridge at {bridge.url} refused WHATSAPP_API_KEY (HTTP 401): set it "
            "to the bridge's AUTHENTICATION_API_KEY"
        )
    if status == 404 and path.endswith(f"/{bridge.path}") and not detail.startswith("Cannot "):
        raise InstanceMissing(
            f'the WhatsApp bridge has no instance "{bridge.instance}" (WHATSAPP_INSTANCE): '
            "`redebot whatsapp connect` creates it"
        )
    if status >= 400:
        hint = " (is WHATSAPP_API_URL an Evolution API?)" if detail.startswith("Cannot ") else ""
        raise BridgeError(
            f"the WhatsApp bridge answered HTTP {status} to {method} {path}: "
            f"{detail or 'no details'}{hint}"
        )
    if isinstance(data, Mapping) and data.get("error") is True:
        raise BridgeError(f"the WhatsApp bridge failed {method} {path}: {detail or 'no details'}")
    return data


async def connection_state(settings: Settings) -> str:
    """``open`` when the number is paired and online; ``connecting``, ``close``, … otherwise."""
    bridge = _bridge(settings)
    data = await _call(bridge, "GET", f"/instance/connectionState/{bridge.path}")
    state: object = None
    if isinstance(data, Mapping):
        instance = data.get("instance")
        state = instance.get("state") if isinstance(instance, Mapping) else data.get("state")
    # Known to the bridge's database but not loaded in its memory: no state at all.
    return str(state) if state else "unknown"


async def ensure_instance(settings: Settings) -> bool:
    """Create the instance WHATSAPP_INSTANCE (Baileys) unless it exists; True when created."""
    bridge = _bridge(settings)
    rows = await _call(bridge, "GET", "/instance/fetchInstances")
    rows = rows if isinstance(rows, list) else []
    names = {row.get("name") for row in rows if isinstance(row, Mapping)}
    if bridge.instance in names:
        return False
    body = {"instanceName": bridge.instance, "integration": INTEGRATION, "qrcode": False}
    try:
        await _call(bridge, "POST", "/instance/create", body=body)
    except BridgeError as exc:
        if "already in use" in str(exc):  # created meanwhile (403)
            return False
        raise
    return True


def _png(data_url: str) -> bytes:
    """The bytes of ``data:image/png;base64,…`` (or of bare base64)."""
    payload = data_url.split(",", 1)[1] if data_url.startswith("data:") else data_url
    try:
        png = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise BridgeError("the WhatsApp bridge sent a QR image that is not base64") from exc
    if not png.startswith(PNG_SIGNATURE):
        raise BridgeError("the WhatsApp bridge sent a QR image that is not a PNG")
    return png


def _pairing_from(data: object) -> Pairing | None:
    if not isinstance(data, Mapping):
        return None
    instance = data.get("instance")
    if isinstance(instance, Mapping) and instance.get("state") == "open":
        raise AlreadyConnected("the WhatsApp number is already paired (state open)")
    nested = data.get("qrcode")
    qr: Mapping[str, Any] = nested if isinstance(nested, Mapping) else data
    code, image = qr.get("code"), qr.get("base64")
    if not (isinstance(code, str) and code and isinstance(image, str) and image):
        return None
    pairing_code = qr.get("pairingCode")
    return Pairing(code, _png(image), pairing_code if isinstance(pairing_code, str) else None)


async def pairing(
    settings: Settings,
    *,
    number: str | None = None,
    attempts: int = 10,
    interval: float = 1.0,
) -> Pairing:
    """The bridge's current QR code, asking until it has drawn one (it starts the socket).

    ``number`` (digits, with country code) also asks WhatsApp for a pairing code.
    Raises AlreadyConnected when the number is paired already.
    """
    bridge = _bridge(settings)
    params = {"number": number} if number else None
    for attempt in range(max(attempts, 1)):
        if attempt:
            await asyncio.sleep(interval)
        data = await _call(bridge, "GET", f"/instance/connect/{bridge.path}", params=params)
        found = _pairing_from(data)
        if found is not None:
            return found
    raise BridgeError(
        "the WhatsApp bridge has not produced a QR code yet; look at its log "
        "(docker compose logs evolution) and try again"
    )


# --- the `redebot whatsapp` commands --------------------------------------------------------


def print_qr(code: str, out: TextIO) -> None:
    """Draw the QR code with block characters (light modules on dark ones on a terminal)."""
    qr = qrcode.QRCode(border=2)
    qr.add_data(code)
    qr.make(fit=True)
    qr.print_ascii(out=out, tty=out.isatty())
    out.flush()


async def _show(found: Pairing, png: Path, out: TextIO) -> None:
    await asyncio.to_thread(png.write_bytes, found.png)
    print(
        "On the dedicated phone: WhatsApp > Settings > Linked devices > Link a device, "
        "then scan this code:",
        file=out,
    )
    print_qr(found.code, out)
    print(f"The same code is in {png} (it changes every 20 s or so).", file=out)
    if found.pairing_code:
        print(f"Or choose 'Link with phone number instead' and type {found.pairing_code}", file=out)


async def run_connect(
    settings: Settings,
    *,
    png: Path,
    wait_seconds: float,
    interval: float,
    number: str | None,
    out: TextIO,
) -> int:
    """Create the instance if needed, show its QR code, and wait until the number is paired."""
    instance = settings.whatsapp_instance
    if await ensure_instance(settings):
        print(f'Created the instance "{instance}" on the bridge.', file=out)
    if await connection_state(settings) == "open":
        print("connected (the number is already paired)", file=out)
        return 0
    try:
        shown = await pairing(settings, number=number, interval=interval)
    except AlreadyConnected:
        print("connected (the number is already paired)", file=out)
        return 0
    await _show(shown, png, out)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait_seconds
    last = None
    while True:
        state = await connection_state(settings)
        if state != last:
            print(f"state: {state}", file=out, flush=True)
            last = state
        if state == "open":
            print("connected", file=out)
            return 0
        if loop.time() >= deadline:
            print(
                f"Not paired after {wait_seconds:g} s (state {state}): run "
                "`redebot whatsapp connect` again for a fresh code.",
                file=out,
            )
            return 1
        await asyncio.sleep(interval)
        if state == "connecting":  # WhatsApp renews the code while it waits: show the new one
            try:
                fresh = await pairing(settings, number=number, attempts=1)
            except (AlreadyConnected, BridgeError):
                continue
            if fresh.code != shown.code:
                shown = fresh
                await _show(shown, png, out)


async def run_status(settings: Settings, out: TextIO) -> int:
    """Print ``connected`` (exit 0) or the bridge's state (exit 1)."""
    state = await connection_state(settings)
    if state == "open":
        print("connected", file=out)
        return 0
    print(state, file=out)
    return 1
