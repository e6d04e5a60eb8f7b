"""The bot's own HTTP server (aiohttp): ICS subscriptions, the webhook, health."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.i18n import use_locale
from bot.router import Router
from storage import repo

ICS_PATH = "/ics/{token}.ics"
WEBHOOK_MAX_BYTES = 32 * 1024 * 1024


def make_http_app(
    *,
    sessions: async_sessionmaker[AsyncSession],
    now: Callable[[], datetime],
    router: Router,
    extra_routes: list[web.RouteDef] | None = None,
) -> web.Application:
    """Routes: ``/healthz``, ``/ics/<token>.ics`` and whatever a channel adds (webhook)."""

    async def healthz(_request: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def ics(request: web.Request) -> web.Response:
        token = request.match_info["token"]
        async with sessions() as session:
            network = await repo.network_by_ics_token(session=session, token=token)
            if network is None:
                raise web.HTTPNotFound(text="unknown calendar")
            if router.calendar_feed is None:
                raise web.HTTPNotFound(text="no calendars here")
            with use_locale(network.locale):
                body = await router.calendar_feed(session, network, now())
        return web.Response(
            body=body,
            content_type="text/calendar",
            charset="utf-8",
            headers={"Cache-Control": "max-age=900"},
        )

    # Webhook events carry binary fields as JSON objects: allow more than aiohttp's 1 MiB.
    app = web.Application(client_max_size=WEBHOOK_MAX_BYTES)
    app.add_routes([web.get("/healthz", healthz), web.get(ICS_PATH, ics), *(extra_routes or [])])
    return app


async def start_http(app: web.Application, host: str, port: int) -> web.AppRunner:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner
