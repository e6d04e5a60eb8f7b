"""The `redebot` command: serve Telegram, or try the bot in the console; the operator's
tools (migrate, report, purge, whatsapp)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from datetime import timedelta
from pathlib import Path

from pydantic import ValidationError

from bot import logs
from bot.channels.base import Channel
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.http import make_http_app, start_http
from bot.runtime import Runtime, open_runtime

log = logging.getLogger("redebot")

WORKER_IDLE = timedelta(seconds=5)

USAGE_WITHOUT_TELEGRAM = """redebot needs a Telegram bot token or a WhatsApp bridge to serve groups.

Telegram:
  1. Talk to @BotFather on Telegram, create a bot, copy its token.
  2. export TELEGRAM_BOT_TOKEN=123456:ABC...   (or put it in a .env file)
  3. redebot

WhatsApp (a dedicated number, through Evolution API 2.3.7; README, "WhatsApp"):
  WHATSAPP_PROVIDER=evolution WHATSAPP_API_URL=... WHATSAPP_API_KEY=...
  WHATSAPP_INSTANCE=... WHATSAPP_WEBHOOK_SECRET=...   then: redebot whatsapp connect; redebot

To try the bot right now without a token or network:  redebot console
Settings (DATABASE_URL, DEFAULT_TIMEZONE, WEBHOOK_URL...) are listed in deploy/.env.example."""

USAGE_WITHOUT_WHATSAPP = """redebot whatsapp needs the WhatsApp bridge (Evolution API) settings:

  WHATSAPP_PROVIDER=evolution
  WHATSAPP_API_URL=http://evolution:8080      the bridge (compose profile "whatsapp")
  WHATSAPP_API_KEY=...                        the bridge's AUTHENTICATION_API_KEY
  WHATSAPP_INSTANCE=redebot                   the instance (paired number) of this bot
  WHATSAPP_WEBHOOK_SECRET=...                 openssl rand -hex 32

then:  redebot whatsapp connect   (pair the dedicated number: scan the QR code)
       redebot whatsapp status    (exit 0 when connected)
README.md, section "WhatsApp", says why the number must be a dedicated one."""


def _channels(settings: Settings, runtime: Runtime) -> list[Channel]:
    """The channels these settings configure (each network belongs to one of them)."""
    channels: list[Channel] = []
    if settings.telegram_bot_token:
        from bot.channels.telegram import TelegramChannel

        channels.append(
            TelegramChannel(settings=settings, redebot=runtime.redebot, router=runtime.router)
        )
    if settings.whatsapp:
        from bot.channels.whatsapp import WhatsAppChannel

        channels.append(
            WhatsAppChannel(
                settings=settings,
                redebot=runtime.redebot,
                sessions=runtime.sessions,
                clock=runtime.clock,
            )
        )
    return channels


async def serve(
    settings: Settings,
    stop: asyncio.Event | None = None,
    *,
    receive: bool = True,
    dispatch: bool = True,
) -> None:
    """Receive updates (long polling or webhook) and/or run the dispatcher, until a signal.

    ``redebot serve`` does both (``--no-worker``: only receive, several such processes
    behind one proxy); ``redebot worker`` only dispatches. Any number of each may
    share one PostgreSQL: claims keep them off each other's rows.
    """
    clock = SystemClock()
    runtime = await open_runtime(settings, clock)
    channels = _channels(settings, runtime)
    for channel in channels:
        runtime.add_channel(channel)
    # Every process serves /healthz and the calendars; only receivers serve webhooks.
    routes = [r for c in channels if receive for r in c.webhook_routes()]
    http = make_http_app(
        sessions=runtime.sessions, now=clock.now, router=runtime.router, extra_routes=routes
    )
    runner = await start_http(http, settings.http_host, settings.http_port)
    for channel in channels:
        await (channel.start() if receive else channel.connect())
    task = None
    if dispatch:
        dispatcher = runtime.start_dispatcher()
        if not receive:
            # A worker hears no local wake-ups: what another process scheduled for now
            # is found by looking every few seconds (one indexed query).
            dispatcher.max_idle = WORKER_IDLE
        task = asyncio.create_task(dispatcher.run_forever())
    log.info(
        "redebot is serving %s (%s%s); HTTP on port %s",
        ", ".join(c.platform for c in channels),
        _receiving(settings) if receive else "no updates",
        ", dispatcher" if dispatch else "",
        settings.http_port,
    )
    if stop is None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for channel in channels:
            await channel.stop()
        await runner.cleanup()
        await runtime.close()


def _receiving(settings: Settings) -> str:
    ways = []
    if settings.telegram_bot_token:
        ways.append("Telegram " + ("webhook" if settings.webhook_url else "long polling"))
    if settings.whatsapp:
        ways.append("WhatsApp webhook")
    return ", ".join(ways)


async def serve_telegram(settings: Settings, stop: asyncio.Event | None = None) -> None:
    await serve(settings, stop)


async def run_console(settings: Settings) -> None:
    from bot.channels.console import ShiftedClock
    from bot.channels.console import run_console as console_loop

    clock = ShiftedClock()
    runtime = await open_runtime(settings, clock)
    try:
        await console_loop(runtime, clock)
    finally:
        await runtime.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="redebot", description=__doc__)
    sub = parser.add_subparsers(dest="command")
    serve_cmd = sub.add_parser("serve", help="serve the chat platforms (the default)")
    serve_cmd.add_argument(
        "--no-worker", action="store_true", help="only receive updates; a worker dispatches"
    )
    sub.add_parser("worker", help="only run the dispatcher (reminders, chases, announcements)")
    sub.add_parser("console", help="try the bot in this terminal, offline")
    sub.add_parser("migrate", help="apply database migrations and exit")
    rep = sub.add_parser("report", help="write a network's annual report (PDF, XLSX or CSV zip)")
    rep.add_argument("--network", type=int, required=True, help="network id (see the log)")
    rep.add_argument("--year", type=int, required=True)
    rep.add_argument("--out", required=True, help="report.pdf, report.xlsx or report.zip")
    purge_cmd = sub.add_parser(
        "purge", help="delete now what is past its retention (it also runs hourly); README"
    )
    purge_cmd.add_argument(
        "--dry-run", action="store_true", help="only count what would be deleted"
    )
    wa = sub.add_parser("whatsapp", help="pair and check the WhatsApp number (Evolution API)")
    wa_sub = wa.add_subparsers(dest="whatsapp_command")
    connect = wa_sub.add_parser("connect", help="create the instance, show its QR code, wait")
    connect.add_argument(
        "--png", type=Path, default=Path("whatsapp-qr.png"), help="also write the QR code here"
    )
    connect.add_argument(
        "--timeout", type=float, default=120.0, help="seconds to wait for the scan (120)"
    )
    connect.add_argument(
        "--interval", type=float, default=2.0, help="seconds between state checks (2)"
    )
    connect.add_argument(
        "--number", help="the number's digits with country code: also ask for a pairing code"
    )
    wa_sub.add_parser("status", help="print the connection state; exit 0 when connected")
    args = parser.parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as exc:
        print(f"redebot: invalid settings:\n{exc}", file=sys.stderr)
        return 2
    logs.configure(settings, quiet=args.command == "console")
    if args.command == "console":
        asyncio.run(run_console(settings))
        return 0
    if args.command == "migrate":
        asyncio.run(_migrate(settings))
        return 0
    if args.command == "report":
        return asyncio.run(write_report(settings, args.network, args.year, Path(args.out)))
    if args.command == "purge":
        return asyncio.run(run_purge(settings, dry_run=args.dry_run))
    if args.command == "whatsapp":
        return run_whatsapp(settings, args)
    if not settings.telegram_bot_token and not settings.whatsapp:
        print(USAGE_WITHOUT_TELEGRAM, file=sys.stderr)
        return 2
    if args.command == "worker":
        asyncio.run(serve(settings, receive=False))
        return 0
    asyncio.run(serve(settings, dispatch=not getattr(args, "no_worker", False)))
    return 0


async def write_report(settings: Settings, network_id: int, year: int, out: Path) -> int:
    """``redebot report``: the same report as /relatorio, written to a file."""
    from bot import reports
    from bot.i18n import use_locale
    from bot.services.reports import collect
    from storage.models import Network

    renderers = {
        ".pdf": reports.report_pdf,
        ".xlsx": reports.report_xlsx,
        ".zip": reports.report_csv,
    }
    render = renderers.get(out.suffix.lower())
    if render is None:
        print("redebot: --out must end in .pdf, .xlsx or .zip", file=sys.stderr)
        return 2
    clock = SystemClock()
    runtime = await open_runtime(settings, clock)
    try:
        async with runtime.sessions() as session:
            network = await session.get(Network, network_id)
            if network is None:
                print(f"redebot: there is no network {network_id}", file=sys.stderr)
                return 2
            with use_locale(network.locale):
                data = await collect(session, network, year, clock.now())
                content = render(data)
    finally:
        await runtime.close()
    await asyncio.to_thread(out.write_bytes, content)
    print(f"{out}: {len(content)} bytes")
    return 0


async def run_purge(settings: Settings, *, dry_run: bool, clock: Clock | None = None) -> int:
    """``redebot purge``: what the dispatcher deletes every hour, now, with the counts."""
    from storage import retention

    clock = clock or SystemClock()
    runtime = await open_runtime(settings, clock)
    try:
        async with runtime.sessions() as session, session.begin():
            counts = await retention.purge(session, now=clock.now(), dry_run=dry_run)
    finally:
        await runtime.close()
    verb = "would delete" if dry_run else "deleted"
    for name, n in counts.items():
        print(f"{name}: {verb} {n}")
    return 0


def run_whatsapp(settings: Settings, args: argparse.Namespace) -> int:
    """``redebot whatsapp connect|status``: talk to the bridge as its operator."""
    from bot import whatsapp_admin

    if not settings.whatsapp or args.whatsapp_command is None:
        print(USAGE_WITHOUT_WHATSAPP, file=sys.stderr)
        return 2
    try:
        if args.whatsapp_command == "connect":
            return asyncio.run(
                whatsapp_admin.run_connect(
                    settings,
                    png=args.png,
                    wait_seconds=args.timeout,
                    interval=args.interval,
                    number=args.number,
                    out=sys.stdout,
                )
            )
        return asyncio.run(whatsapp_admin.run_status(settings, sys.stdout))
    except whatsapp_admin.BridgeError as exc:
        print(f"redebot: {exc}", file=sys.stderr)
        return 1


async def _migrate(settings: Settings) -> None:
    runtime = await open_runtime(settings, SystemClock())
    await runtime.close()
    print("database is up to date")


if __name__ == "__main__":
    sys.exit(main())
