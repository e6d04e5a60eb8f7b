"""A running redebot on the real python-telegram-bot client, against the fake Bot API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import web

from bot.channels.telegram import TelegramChannel
from bot.clock import ManualClock
from bot.dispatcher import Dispatcher
from bot.http import make_http_app, start_http
from bot.runtime import Runtime, open_runtime
from tests.conftest import make_settings
from tests.fakes.bot_api import FakeBotApi, FakeUser
from tests.net import free_port

GROUP = -1001
COORD = FakeUser(10, "Carla", "Lima", username="carla_cras")
ANA = FakeUser(11, "Ana", username="ana_saude")
BRUNO = FakeUser(12, "Bruno", username="bruno_ct")
DORA = FakeUser(13, "Dora", username="dora_creas")
# The network most conversations start from: four members and their sectors.
MEMBERS = ((ANA, "Saúde"), (BRUNO, "Conselho Tutelar"), (DORA, "CREAS"), (COORD, "CRAS"))


def buttons(message: dict[str, Any]) -> list[str]:
    """The callback data of a bot message's inline buttons, in order."""
    return [b["callback_data"] for row in message["reply_markup"]["inline_keyboard"] for b in row]


def smtp_settings(server: Any) -> dict[str, object]:
    """Settings that send the bot's e-mail to a loopback SMTP server (tests.smtp)."""
    return {
        "smtp_host": server.host,
        "smtp_port": server.port,
        "smtp_security": "none",
        "smtp_from": "Rede de Proteção <rede@palmital.pr.gov.br>",
    }


@dataclass
class Harness:
    api: FakeBotApi
    runtime: Runtime
    channel: TelegramChannel
    dispatcher: Dispatcher
    clock: ManualClock
    http_url: str

    async def say(self, user: FakeUser, text: str, **kwargs: Any) -> dict[str, Any]:
        """``user`` types ``text`` in the group; returns the bot's next message there."""
        mark = self.api.mark()
        self.api.group_message(GROUP, user, text, **kwargs)
        return await self.api.wait_for_message(GROUP, since=mark)

    async def add_to_group(self) -> dict[str, Any]:
        """The coordinator adds the bot to the group; returns the greeting."""
        mark = self.api.mark()
        self.api.bot_added_to_group(GROUP, COORD)
        return await self.api.wait_for_message(GROUP, since=mark)

    async def seat_members(self) -> None:
        """Add the bot to the group and have MEMBERS declare their sectors (confirmed by
        the coordination)."""
        await self.add_to_group()
        for user, sector in MEMBERS:
            await self.seat(user, sector)

    async def seat(self, user: FakeUser, sector: str) -> dict[str, Any]:
        """``user`` sends ``/setor <sector>`` and the coordination confirms it as it would:
        by pressing ✅ under the declaration (its own declarations count at once)."""
        answer = await self.say(user, f"/setor {sector}")
        if answer.get("reply_markup"):
            await self.press(answer, buttons(answer)[0], COORD)
        return answer

    async def convene(self, user: FakeUser, text: str) -> dict[str, Any]:
        """``user`` types ``/convocar …`` and presses Enviar under the preview; returns the
        convocation the group receives."""
        preview = await self.say(user, text)
        mark = self.api.mark()
        self.api.press_button(preview, buttons(preview)[0], user)
        convocation = await self.api.wait_for_message(GROUP, "🚨", since=mark)
        await self.api.wait_for_call("answerCallbackQuery", since=mark)
        return convocation

    async def press(self, message: dict[str, Any], data: str, user: FakeUser) -> None:
        mark = self.api.mark()
        self.api.press_button(message, data, user)
        await self.api.wait_for_call("answerCallbackQuery", since=mark)


@pytest.fixture
async def seated_group(
    sqlite_url: str, clock: ManualClock, smtp_server: Any
) -> AsyncIterator[Harness]:
    """A running bot whose group has MEMBERS seated and e-mail going to a loopback SMTP."""
    async with running_bot(sqlite_url, clock, **smtp_settings(smtp_server)) as harness:
        await harness.seat_members()
        yield harness


@asynccontextmanager
async def running_bot(
    database_url: str, clock: ManualClock, *, webhook: bool = False, **settings_overrides: object
) -> AsyncIterator[Harness]:
    async with FakeBotApi() as api:
        api.set_admins(GROUP, [COORD])
        overrides: dict[str, object] = {
            # Conversations in tests outpace Telegram's 20/min per group; the limiter
            # stays in the path, with a ceiling the tests do not reach.
            "group_rate_per_minute": 6000,
            "telegram_bot_token": api.token,
            "telegram_api_base_url": api.base_url,
            "telegram_api_file_url": api.base_file_url,
        }
        runner: web.AppRunner | None = None
        port = 0
        if webhook:
            # Bind first so the webhook URL given to Telegram names the real port.
            port = await free_port()
            overrides |= {
                "webhook_url": f"http://127.0.0.1:{port}",
                "webhook_secret": "s3cr3t-token-for-tests",
            }
        settings = make_settings(database_url, **overrides, **settings_overrides)
        runtime = await open_runtime(settings, clock)
        channel = TelegramChannel(settings=settings, redebot=runtime.redebot, router=runtime.router)
        runtime.add_channel(channel)
        dispatcher = runtime.start_dispatcher()
        http = make_http_app(
            sessions=runtime.sessions,
            now=clock.now,
            router=runtime.router,
            extra_routes=channel.webhook_routes() if webhook else None,
        )
        runner = await start_http(http, "127.0.0.1", port)
        http_port = int(runner.addresses[0][1])
        await channel.start()
        try:
            yield Harness(api, runtime, channel, dispatcher, clock, f"http://127.0.0.1:{http_port}")
        finally:
            await channel.stop()
            await runner.cleanup()
            await runtime.close()
