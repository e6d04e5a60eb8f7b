"""A running redebot on its WhatsApp channel, against the fake Evolution bridge (loopback).

The bot's HTTP server serves the webhook; the fake bridge posts events to the URL and
headers the bot registered at start, and answers the bot's calls. Pacing stays in the
path on a jumping clock: each pause moves time instead of waiting, and the bridge
records every send at that time, so the spacing of messages is checked without sleeping.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from bot.channels.whatsapp import Pacing, WhatsAppChannel
from bot.clock import ManualClock
from bot.dispatcher import Dispatcher
from bot.http import make_http_app, start_http
from bot.runtime import Runtime, open_runtime
from tests.conftest import make_settings
from tests.fakes.evolution import API_KEY, INSTANCE, FakeEvolution, Phone, Sent
from tests.net import free_port

GROUP = "120363041234567890@g.us"
CARLA = Phone("219876543210001@lid", "5543988880001@s.whatsapp.net", "Carla")
ANA = Phone("219876543210002@lid", "5543988880002@s.whatsapp.net", "Ana")
BRUNO = Phone("219876543210003@lid", "5543988880003@s.whatsapp.net", "Bruno")
DORA = Phone("219876543210004@lid", "5543988880004@s.whatsapp.net", "Dora")
MEMBERS = ((ANA, "Saúde"), (BRUNO, "Conselho Tutelar"), (DORA, "CREAS"), (CARLA, "CRAS"))
SECRET = "9f2c4e6a8b0d1f3e5a7c9e1b3d5f7a9c"


class JumpClock:
    """Monotonic time that jumps forward by each pause instead of waiting."""

    def __init__(self) -> None:
        self.t = 1000.0
        self.pauses: list[float] = []

    def now(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.pauses.append(seconds)
        self.t += max(seconds, 0.0)
        await asyncio.sleep(0)


@dataclass
class WhatsApp:
    bridge: FakeEvolution
    runtime: Runtime
    channel: WhatsAppChannel
    dispatcher: Dispatcher
    clock: ManualClock
    pace: JumpClock
    http_url: str

    async def act(self, event: Awaitable[int]) -> list[Sent]:
        """Post one event, wait until the bot has done what it implies; what it sent."""
        mark = self.bridge.mark()
        status = await event
        assert status == 200, status
        await self.channel.settle()
        return self.bridge.since(mark)

    async def say(self, who: Phone, text: str, **kwargs: Any) -> list[Sent]:
        return await self.act(self.bridge.say(GROUP, who, text, **kwargs))

    async def seat_members(self) -> None:
        await self.act(self.bridge.add_bot(GROUP, CARLA))
        for phone, sector in MEMBERS:
            await self.seat(phone, sector)

    async def seat(self, phone: Phone, sector: str) -> list[Sent]:
        """``phone`` sends ``/setor <sector>``; the coordination (Carla, a group admin)
        confirms it as it would: by voting ✅ in the poll under the declaration."""
        sent = await self.say(phone, f"/setor {sector}")
        poll = next((s for s in sent if s.route == "sendPoll"), None)
        if poll is not None:
            await self.act(self.bridge.vote(GROUP, CARLA, poll, [poll.body["values"][0]], at_ms=1))
        return sent


def whatsapp_settings(bridge: FakeEvolution, port: int, **overrides: object) -> dict[str, object]:
    return {
        "whatsapp_provider": "evolution",
        "whatsapp_api_url": bridge.url,
        "whatsapp_api_key": API_KEY,
        "whatsapp_instance": INSTANCE,
        "whatsapp_webhook_secret": SECRET,
        "public_base_url": f"http://127.0.0.1:{port}",
        **overrides,
    }


@asynccontextmanager
async def running_whatsapp(
    database_url: str,
    clock: ManualClock,
    *,
    lid_addressed: bool = True,
    internal_url: bool = False,
    **overrides: object,
) -> AsyncIterator[WhatsApp]:
    """``internal_url``: the bridge reaches the bot at WHATSAPP_WEBHOOK_URL, not through
    PUBLIC_BASE_URL (which then names a public address nobody here can reach)."""
    pace = JumpClock()
    async with FakeEvolution(now=pace.now) as bridge:
        bridge.add_group(
            GROUP,
            "Rede de Proteção de Palmital",
            [phone for phone, _sector in MEMBERS],
            admins=(CARLA,),
            lid_addressed=lid_addressed,
        )
        port = await free_port()
        if internal_url:
            overrides = {
                "public_base_url": "https://rede.example.org",
                "whatsapp_webhook_url": f"http://127.0.0.1:{port}/whatsapp/webhook",
                **overrides,
            }
        settings = make_settings(database_url, **(whatsapp_settings(bridge, port) | overrides))
        runtime = await open_runtime(settings, clock)
        channel = WhatsAppChannel(
            settings=settings,
            redebot=runtime.redebot,
            sessions=runtime.sessions,
            clock=clock,
            pacing=Pacing.from_settings(settings, now=pace.now, sleep=pace.sleep),
        )
        runtime.add_channel(channel)
        dispatcher = runtime.start_dispatcher()
        http = make_http_app(
            sessions=runtime.sessions,
            now=clock.now,
            router=runtime.router,
            extra_routes=channel.webhook_routes(),
        )
        runner = await start_http(http, "127.0.0.1", port)
        await channel.start()
        try:
            yield WhatsApp(
                bridge, runtime, channel, dispatcher, clock, pace, f"http://127.0.0.1:{port}"
            )
        finally:
            await channel.stop()
            await runner.cleanup()
            await runtime.close()
