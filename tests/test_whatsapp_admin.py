"""`redebot whatsapp connect|status` against a fake Evolution API bridge on loopback.

The fake answers like Evolution API 2.3.7 (see bot/whatsapp_admin.py): an unknown instance
is a 404 before the key is checked, a wrong key a 401, ``/instance/connect`` has no QR code
on its first call, ``connectionState`` nests the state under ``instance``.
"""

from __future__ import annotations

import asyncio
import base64
import socket
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from bot.__main__ import main
from bot.config import Settings
from bot.whatsapp_admin import (
    AlreadyConnected,
    BridgeUnauthorized,
    InstanceMissing,
    connection_state,
    ensure_instance,
    pairing,
)

KEY = "global-key-0123456789abcdef"
INSTANCE = "redebot"
QR_TEXT = "2@Xy9Vb1c2d3e4f5g6h7i8j9k0,VzHkQ9cYw1Q=,hSm3P1pQ5fA=,Gq3kz0Y="


def tiny_png() -> bytes:
    """A valid 1x1 PNG (what qrcode.toDataURL gives, in small)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff"))
        + chunk(b"IEND", b"")
    )


class FakeEvolution:
    """The few routes of the bridge an operator needs, with Evolution's answers."""

    def __init__(self, *, open_after: int = 2) -> None:
        self.instances: dict[str, str] = {}  # name -> state
        self.created: list[dict[str, Any]] = []
        self.connect_calls: list[dict[str, str]] = []
        self.open_after = open_after  # connectionState polls, once connecting, before "open"
        self.polls = 0
        self.codes = [QR_TEXT]
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def __aenter__(self) -> FakeEvolution:
        app = web.Application()
        app.add_routes(
            [
                web.get("/instance/fetchInstances", self.fetch_instances),
                web.post("/instance/create", self.create),
                web.get("/instance/connect/{name}", self.connect),
                web.get("/instance/connectionState/{name}", self.connection_state),
            ]
        )
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *_exc: object) -> None:
        assert self._runner is not None
        await self._runner.cleanup()

    @staticmethod
    def error(status: int, error: str, message: object) -> web.Response:
        body = {"status": status, "error": error, "response": {"message": message}}
        return web.json_response(body, status=status)

    def guard(self, request: web.Request) -> web.Response | None:
        name = request.match_info.get("name")
        if name is not None and name not in self.instances:  # instanceExistsGuard comes first
            return self.error(404, "Not Found", [f'The "{name}" instance does not exist'])
        if request.headers.get("apikey") != KEY:
            return self.error(401, "Unauthorized", "Unauthorized")
        return None

    async def fetch_instances(self, request: web.Request) -> web.Response:
        if refused := self.guard(request):
            return refused
        rows = [
            {"name": name, "connectionStatus": state, "ownerJid": None, "token": "SECRET-TOKEN"}
            for name, state in self.instances.items()
        ]
        return web.json_response(rows)

    async def create(self, request: web.Request) -> web.Response:
        if refused := self.guard(request):
            return refused
        body = await request.json()
        self.created.append(body)
        if body.get("integration") != "WHATSAPP-BAILEYS":
            return self.error(400, "Bad Request", ["Invalid integration"])
        name = body["instanceName"]
        if name in self.instances:
            return self.error(403, "Forbidden", [f'This name "{name}" is already in use.'])
        self.instances[name] = "close"
        instance = {"instanceName": name, "integration": body["integration"], "status": "close"}
        return web.json_response({"instance": instance, "hash": "SECRET-TOKEN"}, status=201)

    async def connect(self, request: web.Request) -> web.Response:
        if refused := self.guard(request):
            return refused
        name = request.match_info["name"]
        self.connect_calls.append(dict(request.query))
        state = self.instances[name]
        if state == "open":
            return web.json_response({"instance": {"instanceName": name, "state": "open"}})
        if state == "close":  # the socket starts; Baileys has not drawn a QR code yet
            self.instances[name] = "connecting"
            return web.json_response({"count": 0})
        code = self.codes[min(len(self.connect_calls) - 2, len(self.codes) - 1)]
        image = "data:image/png;base64," + base64.b64encode(tiny_png()).decode()
        pairing_code = "WZYEH1YY" if "number" in request.query else None
        return web.json_response(
            {"pairingCode": pairing_code, "code": code, "base64": image, "count": 1}
        )

    async def connection_state(self, request: web.Request) -> web.Response:
        if refused := self.guard(request):
            return refused
        name = request.match_info["name"]
        if self.instances[name] == "connecting":
            self.polls += 1
            if self.open_after and self.polls >= self.open_after:
                self.instances[name] = "open"
        state = self.instances[name]
        return web.json_response({"instance": {"instanceName": name, "state": state}})


@pytest.fixture
def wa_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """WhatsApp settings in the environment (no .env file); the bridge URL is set per test."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WHATSAPP_PROVIDER", "evolution")
    monkeypatch.setenv("WHATSAPP_API_KEY", KEY)
    monkeypatch.setenv("WHATSAPP_INSTANCE", INSTANCE)
    monkeypatch.setenv("WHATSAPP_WEBHOOK_SECRET", "f" * 64)
    return tmp_path


def settings_for(url: str, key: str = KEY) -> Settings:
    return Settings(
        whatsapp_provider="evolution",
        whatsapp_api_url=url,
        whatsapp_api_key=key,
        whatsapp_instance=INSTANCE,
        whatsapp_webhook_secret="f" * 64,
    )


async def redebot(*argv: str) -> int:
    """``main()`` runs asyncio.run: call it from a thread, the fake bridge stays on this loop."""
    return await asyncio.to_thread(main, list(argv))


async def test_connect_creates_the_instance_prints_the_qr_and_waits_for_open(
    wa_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async with FakeEvolution(open_after=3) as bridge:
        monkeypatch.setenv("WHATSAPP_API_URL", bridge.url)
        png = wa_env / "qr.png"
        code = await redebot("whatsapp", "connect", "--png", str(png), "--interval", "0")
    out = capsys.readouterr().out
    assert code == 0
    assert bridge.created == [
        {"instanceName": INSTANCE, "integration": "WHATSAPP-BAILEYS", "qrcode": False}
    ]
    assert f'Created the instance "{INSTANCE}"' in out
    assert "Linked devices" in out
    assert any(block in out for block in "█▀▄")  # the QR code, drawn in the terminal
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert "state: connecting" in out and out.rstrip().endswith("connected")
    assert "SECRET-TOKEN" not in out  # the instance token is never shown


async def test_connect_with_an_existing_instance_creates_nothing(
    wa_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async with FakeEvolution() as bridge:
        bridge.instances[INSTANCE] = "close"
        monkeypatch.setenv("WHATSAPP_API_URL", bridge.url)
        code = await redebot("whatsapp", "connect", "--interval", "0")
    assert code == 0
    assert bridge.created == []
    assert (wa_env / "whatsapp-qr.png").read_bytes().startswith(b"\x89PNG")  # the default path
    assert "Created" not in capsys.readouterr().out


async def test_connect_shows_the_renewed_code(
    wa_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async with FakeEvolution(open_after=4) as bridge:
        bridge.codes = [QR_TEXT, QR_TEXT, QR_TEXT.replace("Xy9", "Zz1")]
        monkeypatch.setenv("WHATSAPP_API_URL", bridge.url)
        code = await redebot("whatsapp", "connect", "--interval", "0")
    assert code == 0
    assert capsys.readouterr().out.count("Linked devices") == 2


async def test_connect_gives_up_after_the_timeout(
    wa_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async with FakeEvolution(open_after=0) as bridge:  # nobody scans
        monkeypatch.setenv("WHATSAPP_API_URL", bridge.url)
        code = await redebot("whatsapp", "connect", "--interval", "0.01", "--timeout", "0.05")
    assert code == 1
    assert "Not paired after 0.05 s (state connecting)" in capsys.readouterr().out


async def test_connect_when_already_paired(
    wa_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async with FakeEvolution() as bridge:
        bridge.instances[INSTANCE] = "open"
        monkeypatch.setenv("WHATSAPP_API_URL", bridge.url)
        code = await redebot("whatsapp", "connect")
    assert code == 0
    assert "already paired" in capsys.readouterr().out
    assert bridge.connect_calls == []
    assert not (wa_env / "whatsapp-qr.png").exists()


@pytest.mark.parametrize(("state", "exit_code"), [("open", 0), ("close", 1), ("connecting", 1)])
async def test_status(
    wa_env: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    state: str,
    exit_code: int,
) -> None:
    async with FakeEvolution(open_after=0) as bridge:
        bridge.instances[INSTANCE] = state
        monkeypatch.setenv("WHATSAPP_API_URL", bridge.url)
        code = await redebot("whatsapp", "status")
    assert code == exit_code
    assert capsys.readouterr().out.strip() == ("connected" if state == "open" else state)


@pytest.mark.parametrize("command", ["connect", "status"])
async def test_a_wrong_key_is_a_clear_error(
    wa_env: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: str,
) -> None:
    async with FakeEvolution() as bridge:
        bridge.instances[INSTANCE] = "open"
        monkeypatch.setenv("WHATSAPP_API_URL", bridge.url)
        monkeypatch.setenv("WHATSAPP_API_KEY", "not-the-key")
        code = await redebot("whatsapp", command)
    assert code == 1
    err = capsys.readouterr().err
    assert "refused WHATSAPP_API_KEY (HTTP 401)" in err
    assert "AUTHENTICATION_API_KEY" in err
    assert "not-the-key" not in err


async def test_status_of_an_unknown_instance(
    wa_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async with FakeEvolution() as bridge:
        monkeypatch.setenv("WHATSAPP_API_URL", bridge.url)
        code = await redebot("whatsapp", "status")
    assert code == 1
    err = capsys.readouterr().err
    assert f'no instance "{INSTANCE}"' in err and "redebot whatsapp connect" in err


async def test_an_unreachable_bridge_is_a_clear_error(
    wa_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("WHATSAPP_API_URL", f"http://127.0.0.1:{port}")
    code = await redebot("whatsapp", "status")
    assert code == 1
    assert "cannot reach the WhatsApp bridge" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["whatsapp", "status"], ["whatsapp", "connect"], ["whatsapp"]])
def test_without_whatsapp_settings_it_says_what_to_set(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    argv: list[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("WHATSAPP_PROVIDER", "WHATSAPP_API_URL", "WHATSAPP_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "WHATSAPP_PROVIDER=evolution" in err and "redebot whatsapp connect" in err


async def test_the_client_functions() -> None:
    async with FakeEvolution(open_after=0) as bridge:
        settings = settings_for(bridge.url)
        with pytest.raises(InstanceMissing):
            await connection_state(settings)
        assert await ensure_instance(settings) is True
        assert await ensure_instance(settings) is False
        assert await connection_state(settings) == "close"
        found = await pairing(settings, number="5511987654321", interval=0)
        assert found.code == QR_TEXT
        assert found.png == tiny_png()
        assert found.pairing_code == "WZYEH1YY"
        assert bridge.connect_calls[-1] == {"number": "5511987654321"}
        assert await connection_state(settings) == "connecting"
        bridge.instances[INSTANCE] = "open"
        with pytest.raises(AlreadyConnected):
            await pairing(settings, interval=0)
        with pytest.raises(BridgeUnauthorized):
            await ensure_instance(settings_for(bridge.url, key="wrong"))
