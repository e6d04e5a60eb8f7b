"""What one Telegram update costs redebot, next to a bare PTB echo bot; and head-of-line.

    .venv/bin/python bench/bench_updates.py [--updates 600] [--groups 8]

Everything runs on this machine over loopback (127.0.0.1), in separate processes: the
fake Bot API server (tests/fakes/bot_api.py, driven through bench/fake_telegram.py) and
each bot under test, so the server's CPU and the other bot's heap stay out of a bot's
figures. Each bot long-polls the fake server with the real python-telegram-bot client.

1. Update handling. The same number of updates, in ``--groups`` groups, is injected at once;
   the clock runs until the fake server has received one reply per update. The echo bot
   runs before and after redebot (the baseline is their mean; both are shown), and once
   more paced by redebot's own rate limiter (30 messages/s, like for like with redebot).
   - echo: a bare PTB Application with one MessageHandler replying with the same text;
   - redebot: the real TelegramChannel + Redebot + the dispatcher loop, as ``redebot serve``
     wires them, on a SQLite file in a temporary directory. Each group is set up first
     (bot added, four sectors declared, the 2027 calendar generated and confirmed, the
     January announcement with its RSVP buttons sent); then a command mix (/proxima,
     /calendario, /setores, /setor X, /pendencias, /ajuda, /ics, RSVP presses).
   Figures per update: process CPU (time.process_time: every thread of the bot's process),
   how much of it ran on the event loop's thread (SQLite runs there too:
   storage/sqlite_driver.py), SQL statements (SQLAlchemy before_cursor_execute, and
   SQLite's BEGIN IMMEDIATE, sent by the driver itself; split between the update's
   handler and the dispatcher round it wakes), commits, context switches.
   Then the floor: the same batches with every reply recorded once and replayed (the same
   messages, edits, files and notices, with no database and no handler behind them), with
   the 30 messages/s limit and without it; and redebot itself without it.
2. Head-of-line: 40 commands in group A, then one /proxima in group B at once; how long
   B waits for its answer and how long A's burst takes. Once with Telegram's group limit
   relaxed (CPU only), once with the production limit (20 messages/min per group).
3. The machine and the configuration.

With REDEBOT_BENCH_PROFILE=<file>, part 1's main batch is profiled (cProfile, the event
loop's thread) into <file>; read it with ``python -m pstats <file>``.

The bench stops by itself: every wait has a timeout, and the helper processes are ended.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import logging
import multiprocessing
import os
import platform
import resource
import select
import sqlite3
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.request
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp

HOST = "127.0.0.1"
TOKEN = "123456:TEST"  # tests.fakes.bot_api.FakeBotApi.token
SETUP_NOW = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)  # a Monday, 10h in São Paulo
BENCH_NOW = datetime(2027, 1, 4, 11, 0, tzinfo=UTC)  # Monday 8h: January's announcement is due
# (1 January itself is a holiday: the quiet hours hold the announcement until the 4th)
FIRST_CHAT = -1_000_100
RELAXED_RATE = 100_000  # messages per minute per group: Telegram's 20/min out of the way
PRODUCTION_RATE = 20  # Settings.group_rate_per_minute's default
BURST = 40
REPLIES = ("sendMessage", "sendDocument", "answerCallbackQuery")
MESSAGES = ("sendMessage", "sendDocument")
CRASH_TEXT = "algo deu errado"  # pt_BR of "Sorry, something went wrong on my side."


def _user(uid: int, first: str, last: str | None, username: str) -> dict[str, Any]:
    return {"id": uid, "first_name": first, "last_name": last, "username": username}


COORD = _user(10, "Carla", "Lima", "carla_cras")
MEMBERS = (
    (COORD, "CRAS"),
    (_user(11, "Ana", None, "ana_saude"), "Saúde"),
    (_user(12, "Bruno", None, "bruno_ct"), "Conselho Tutelar"),
    (_user(13, "Dora", None, "dora_creas"), "CREAS"),
)
# One cycle of the command mix; "rsvp" is a press on the group's January announcement.
MIX = (
    "/proxima",
    "/calendario",
    "rsvp",
    "/setores",
    "/proxima",
    "/setor",
    "/pendencias",
    "rsvp",
    "/ajuda",
    "/proxima",
    "/ics",
)


# The messages a member's /ajuda is sent as; every other update of the mix gets one.
HELP_REPLIES = 2


def replies_of(updates: list[dict[str, Any]]) -> int:
    """How many messages ``updates`` are answered with (one each, but /ajuda's)."""
    return sum(int(u.get("replies", 1)) for u in updates)


class BenchError(RuntimeError):
    pass


# --- the fake Bot API server (its own process) ----------------------------------------------


class FakeServer:
    """bench/fake_telegram.py in a subprocess, on loopback ports it picks itself."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(ROOT / "bench" / "fake_telegram.py")],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], 30.0)
        line = self.proc.stdout.readline() if ready else ""
        if not line:
            self.stop()
            raise BenchError("the fake Bot API server did not start within 30 s")
        self.ports: dict[str, int] = json.loads(line)

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                port = self.ports["control"]
                request = urllib.request.Request(f"http://{HOST}:{port}/shutdown", method="POST")
                urllib.request.urlopen(request, timeout=5).read()
                self.proc.wait(timeout=10)
            except Exception:
                self.proc.kill()
                self.proc.wait(timeout=10)

    def __enter__(self) -> FakeServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


class Control:
    """The bot process's line to the fake server's control port (a few requests a phase)."""

    def __init__(self, port: int) -> None:
        self.base = f"http://{HOST}:{port}"
        self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=660))

    async def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        async with self.session.post(self.base + path, json=body) as response:
            if response.status != 200:
                raise BenchError(f"{path}: {response.status} {await response.text()}")
            result: dict[str, Any] = await response.json()
            return result

    async def inject(self, updates: list[dict[str, Any]]) -> dict[str, Any]:
        return await self._post("/inject", {"updates": updates})

    async def admins(self, chat: int, users: list[dict[str, Any]]) -> None:
        await self._post("/admins", {"chat": chat, "users": users})

    async def wait(
        self,
        since: int,
        count: int,
        methods: tuple[str, ...] = REPLIES,
        *,
        within: float,
        chat: int | None = None,
        details: bool = False,
        what: str = "replies",
        require: bool = True,
    ) -> dict[str, Any]:
        body = {
            "since": since,
            "count": count,
            "methods": list(methods),
            "chat": chat,
            "timeout": within,
            "details": details,
        }
        result = await self._post("/wait", body)
        if require and not result["ok"]:
            raise BenchError(f"{what}: {result['count']} of {count} within {within:.0f} s")
        return result

    async def stats(self) -> dict[str, Any]:
        async with self.session.get(self.base + "/stats") as response:
            result: dict[str, Any] = await response.json()
            return result

    async def close(self) -> None:
        await self.session.close()


def message(chat: int, user: dict[str, Any], text: str) -> dict[str, Any]:
    return {"type": "message", "chat": chat, "user": user, "text": text}


def buttons_of(result: dict[str, Any] | None) -> list[str]:
    rows = ((result or {}).get("reply_markup") or {}).get("inline_keyboard") or []
    return [str(b.get("callback_data")) for row in rows for b in row]


def text_of(result: dict[str, Any] | None) -> str:
    return str((result or {}).get("text") or (result or {}).get("caption") or "")


# --- the workload -----------------------------------------------------------------------------


class Mix:
    """Updates for the groups: who says what, and RSVP presses that always change the tally."""

    def __init__(
        self, chats: list[int], announcements: dict[int, tuple[int, dict[str, str]]] | None
    ) -> None:
        self.chats = chats
        self.announcements = announcements  # None: the echo bot, which gets texts only
        self.turn = dict.fromkeys(chats, 0)
        self.answer: dict[tuple[int, int], str] = {}

    def spec(self, chat: int, kind: str) -> dict[str, Any]:
        turn = self.turn[chat]
        self.turn[chat] += 1
        user, sector = MEMBERS[turn % len(MEMBERS)]
        if kind == "rsvp":
            if self.announcements is None:
                return message(chat, user, "vou")
            # Alternate yes/maybe per person: each press edits the announcement's tally.
            answer = "m" if self.answer.get((chat, user["id"])) == "y" else "y"
            self.answer[chat, user["id"]] = answer
            message_id, data = self.announcements[chat]
            return {
                "type": "press",
                "chat": chat,
                "message_id": message_id,
                "data": data[answer],
                "user": user,
            }
        if kind == "/ajuda" and self.announcements is not None:
            # A member's /ajuda is two messages (its forms and examples pass one Telegram
            # message); the coordination's, with its own commands, more: a member asks.
            return {**message(chat, MEMBERS[1][0], kind), "replies": HELP_REPLIES}
        return message(chat, user, f"/setor {sector}" if kind == "/setor" else kind)

    def batch(self, count: int) -> list[dict[str, Any]]:
        groups = len(self.chats)
        return [
            self.spec(self.chats[k % groups], MIX[(k // groups) % len(MIX)]) for k in range(count)
        ]

    def only(self, kind: str, rounds: int) -> list[dict[str, Any]]:
        return [self.spec(chat, kind) for _ in range(rounds) for chat in self.chats]


# --- measuring inside a bot process -----------------------------------------------------------


class Probe:
    """SQL statements and commits of the bot process."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.dispatcher_task: asyncio.Task[Any] | None = None
        self.captured: list[tuple[str, str]] | None = None

    def _where(self) -> str:
        try:
            task = asyncio.current_task()
        except RuntimeError:
            task = None
        return "dispatcher" if task is not None and task is self.dispatcher_task else "handler"

    def attach(self, engine: Any) -> None:
        from sqlalchemy import event

        def on_execute(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            if statement.startswith("BEGIN"):
                return  # counted by on_begin
            where = self._where()
            self.counts[f"sql_{where}"] += 1
            if self.captured is not None:
                self.captured.append((where, " ".join(statement.split())))

        def on_begin(conn: Any) -> None:
            # SQLite's BEGIN IMMEDIATE (storage.db) counts as a statement; the driver sends
            # it itself, so before_cursor_execute does not see it (storage/sqlite_driver.py).
            where = self._where()
            self.counts[f"sql_{where}"] += 1
            if self.captured is not None:
                self.captured.append((where, "BEGIN IMMEDIATE"))

        def on_commit(conn: Any) -> None:
            self.counts[f"commit_{self._where()}"] += 1

        def on_rollback(conn: Any) -> None:
            self.counts[f"rollback_{self._where()}"] += 1

        event.listen(engine.sync_engine, "before_cursor_execute", on_execute)
        if engine.dialect.name == "sqlite":
            event.listen(engine.sync_engine, "begin", on_begin)
        event.listen(engine.sync_engine, "commit", on_commit)
        event.listen(engine.sync_engine, "rollback", on_rollback)


async def measure(
    control: Control, updates: list[dict[str, Any]], probe: Probe | None, *, within: float
) -> dict[str, Any]:
    """Inject ``updates`` at once; wait for one reply each; the bot process's costs."""
    settle = 0.3  # the trailing dispatcher round of the last update belongs to it
    server0 = await control.stats()
    before = dict(probe.counts) if probe else {}
    ru0 = resource.getrusage(resource.RUSAGE_SELF)
    cpu0, loop0 = time.process_time(), time.thread_time()
    injected = await control.inject(updates)
    expected = replies_of(updates)
    result = await control.wait(
        injected["mark"], expected, within=within, what=f"{expected} replies"
    )
    await asyncio.sleep(settle)
    cpu1, loop1 = time.process_time(), time.thread_time()
    ru1 = resource.getrusage(resource.RUSAGE_SELF)
    server1 = await control.stats()
    n = len(updates)
    times = [c["t"] for c in result["calls"]]
    wall = max(times) - injected["t"]
    after = dict(probe.counts) if probe else {}

    def delta(key: str) -> float:
        return (after.get(key, 0) - before.get(key, 0)) / n

    return {
        "n": n,
        "cpu_ms": (cpu1 - cpu0) * 1000 / n,
        "loop_ms": (loop1 - loop0) * 1000 / n,
        "wall_s": wall,
        "rate": n / wall if wall > 0 else float("inf"),
        "ctx_switches": (ru1.ru_nvcsw + ru1.ru_nivcsw - ru0.ru_nvcsw - ru0.ru_nivcsw) / n,
        "server_cpu_ms": (server1["cpu"] - server0["cpu"]) * 1000 / n,
        "failed_calls": result["failed_since"],
        "sql_handler": delta("sql_handler"),
        "sql_dispatcher": delta("sql_dispatcher"),
        "commits": delta("commit_handler") + delta("commit_dispatcher"),
        "commits_dispatcher": delta("commit_dispatcher"),
        "rollbacks": delta("rollback_handler") + delta("rollback_dispatcher"),
    }


async def warm_up(control: Control, updates: list[dict[str, Any]], *, within: float) -> None:
    """Run ``updates`` once; check each got exactly one reply and none was a crash notice."""
    expected = replies_of(updates)
    injected = await control.inject(updates)
    result = await control.wait(
        injected["mark"], expected, within=within, details=True, what="warm-up replies"
    )
    crashes = [c for c in result["calls"] if CRASH_TEXT in text_of(c.get("result")).lower()]
    if crashes:
        raise BenchError(f"a warm-up update was answered with a crash notice: {crashes[0]}")
    await asyncio.sleep(0.5)
    tail = await control.wait(
        injected["mark"],
        expected + 1,
        within=0.1,
        require=False,
        details=True,
        what="extra replies",
    )
    if tail["count"] != expected or tail["failed_since"]:
        seen = sorted(text_of(c.get("result"))[:60] for c in tail.get("calls", []))
        raise BenchError(
            f"warm-up: {len(updates)} updates ({expected} replies expected) got "
            f"{tail['count']} replies and "
            f"{tail['failed_since']} failed Bot API calls; the reply count would be off: "
            f"{chr(10).join(seen)}"
        )


def chats_for(groups: int) -> list[int]:
    return [FIRST_CHAT - g for g in range(groups)]


def wait_budget(updates: int) -> float:
    """Seconds a batch may take before the bench gives up: generous, but bounded."""
    return 60.0 + 0.25 * updates


# --- the echo bot -----------------------------------------------------------------------------


async def run_echo(
    ports: dict[str, int], updates: int, groups: int, paced: bool = False, aiohttp: bool = False
) -> dict[str, Any]:
    """The bare echo bot; ``paced``: its replies pass redebot's own limiter (30 messages/s,
    the group limit relaxed as in part 1), so both bots send at the same rate; ``aiohttp``:
    its Bot API calls go through redebot's request (bot/channels/telegram_http.py), not
    PTB's own httpx one."""
    from telegram import Update
    from telegram.ext import Application, ContextTypes, MessageHandler, filters

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.message is not None and update.message.text:
            await update.message.reply_text(update.message.text)

    builder = (
        Application.builder()
        .token(TOKEN)
        .base_url(f"http://{HOST}:{ports['api']}/bot")
        .base_file_url(f"http://{HOST}:{ports['api']}/file/bot")
    )
    if paced:
        from bot.channels.telegram_limits import RedebotRateLimiter

        builder = builder.rate_limiter(RedebotRateLimiter(group_rate_per_minute=RELAXED_RATE))
    if aiohttp:
        from bot.channels.telegram_http import AiohttpRequest

        builder = builder.request(AiohttpRequest()).get_updates_request(
            AiohttpRequest(connection_pool_size=1)
        )
    app = builder.build()
    app.add_handler(MessageHandler(filters.TEXT, echo))
    control = Control(ports["control"])
    try:
        await app.initialize()
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(timeout=30)
        mix = Mix(chats_for(groups), None)
        await warm_up(control, mix.batch(len(MIX) * groups), within=wait_budget(0))
        return await measure(control, mix.batch(updates), None, within=wait_budget(updates))
    finally:
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()
        await control.close()


# --- redebot ----------------------------------------------------------------------------------


class Serving:
    """TelegramChannel (long polling) and the dispatcher loop, as ``redebot serve`` runs them."""

    def __init__(self, runtime: Any, settings: Any, probe: Probe) -> None:
        from bot.channels.telegram import TelegramChannel

        self.channel = TelegramChannel(
            settings=settings, redebot=runtime.redebot, router=runtime.router
        )
        runtime.add_channel(self.channel)
        self.dispatcher = runtime.start_dispatcher()
        # The bench's clock is a ManualClock that never moves: no minimum gap between
        # rounds, so every wake-up an update causes costs a whole round, as in production.
        self.dispatcher.min_round_gap = timedelta(0)
        self.probe = probe
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.channel.start()
        self.task = asyncio.create_task(self.dispatcher.run_forever())
        self.probe.dispatcher_task = self.task

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            try:
                await self.task
            except asyncio.CancelledError:
                pass
        await self.channel.stop()


async def set_up_groups(
    control: Control, clock: Any, chats: list[int]
) -> dict[int, tuple[int, dict[str, str]]]:
    """Each group: bot added, sectors declared, 2027 generated and confirmed, January
    announced. Returns each group's announcement: message id and RSVP button data."""
    n = len(chats)
    budget = wait_budget(8 * n)
    for chat in chats:
        await control.admins(chat, [COORD])
    added = [
        {"type": "added", "chat": c, "user": COORD, "title": f"Rede {i + 1}"}
        for i, c in enumerate(chats)
    ]
    injected = await control.inject(added)
    await control.wait(injected["mark"], n, MESSAGES, within=budget, what="greetings")
    sectors = [message(c, user, f"/setor {sector}") for c in chats for user, sector in MEMBERS]
    injected = await control.inject(sectors)
    await control.wait(injected["mark"], len(sectors), MESSAGES, within=budget, what="/setor")
    generate = [message(c, COORD, "/gerarcalendario 2027 2ª terça 14h CRAS") for c in chats]
    injected = await control.inject(generate)
    previews = await control.wait(
        injected["mark"], n, MESSAGES, within=budget, details=True, what="previews"
    )
    presses = []
    for call in previews["calls"]:
        ok = [d for d in buttons_of(call["result"]) if d.startswith("v1:cal:ok:")]
        if not ok:
            raise BenchError(f"no calendar preview: {text_of(call['result'])[:300]!r}")
        presses.append(
            {
                "type": "press",
                "chat": call["chat"],
                "message_id": call["result"]["message_id"],
                "data": ok[0],
                "user": COORD,
            }
        )
    injected = await control.inject(presses)
    await control.wait(
        injected["mark"], n, ("answerCallbackQuery",), within=budget, what="confirmations"
    )
    mark = (await control.stats())["calls"]
    await clock.set(BENCH_NOW)  # wakes the dispatcher: January's announcements are due
    sent = await control.wait(
        mark, n, ("sendMessage",), within=budget, details=True, what="announcements"
    )
    announcements: dict[int, tuple[int, dict[str, str]]] = {}
    for call in sent["calls"]:
        data = {d.split(":")[3]: d for d in buttons_of(call["result"]) if d.startswith("v1:rsvp:")}
        if {"y", "m"} <= set(data):
            announcements[call["chat"]] = (call["result"]["message_id"], data)
    if set(announcements) != set(chats):
        raise BenchError(f"announcements with RSVP buttons in {sorted(announcements)} only")
    return announcements


async def head_of_line(
    control: Control, a: int, b: int, command: str, *, within: float
) -> dict[str, Any]:
    """BURST x ``command`` in group A, then /proxima in B, injected at once."""
    burst = [message(a, COORD, command) for _ in range(BURST)]
    injected = await control.inject([*burst, message(b, MEMBERS[1][0], "/proxima")])
    result = await control.wait(
        injected["mark"],
        BURST + 1,
        MESSAGES,
        within=within,
        details=True,
        what=f"head-of-line replies ({command} in A, /proxima in B)",
    )
    t0 = injected["t"]
    a_calls = [c for c in result["calls"] if c["chat"] == a]
    b_calls = [c for c in result["calls"] if c["chat"] == b]
    if len(a_calls) != BURST or len(b_calls) != 1:
        raise BenchError(f"head-of-line: {len(a_calls)} replies in A, {len(b_calls)} in B")
    crashed = [c for c in result["calls"] if CRASH_TEXT in text_of(c["result"]).lower()]
    if crashed:
        raise BenchError(f"head-of-line: a crash notice: {crashed[0]}")
    b_at = b_calls[0]["t"]
    return {
        "command": command,
        "b_latency": b_at - t0,
        "b_after": sum(1 for c in a_calls if c["t"] <= b_at),
        "a_first": a_calls[0]["t"] - t0,
        "a_done": a_calls[-1]["t"] - t0,
    }


class Canned:
    """Redebot.handle with its replies recorded, then replayed: the same replies go out
    (texts, buttons, edits, files, notices) with no database and no handler behind them.
    What redebot then costs per update is its floor on this transport: PTB, the
    channel, the courier and the rate limiter."""

    def __init__(self, redebot: Any) -> None:
        self.redebot = redebot
        self.real = redebot.handle
        self.replies: dict[tuple[Any, ...], Any] = {}
        self.replaying = False
        self.misses = 0
        self.flips: dict[str, bool] = {}
        redebot.handle = self.handle

    @staticmethod
    def key(msg: Any) -> tuple[Any, ...]:
        return (msg.chat_id, msg.sender.user_id, msg.command, msg.args, msg.button)

    async def handle(self, msg: Any) -> Any:
        key = self.key(msg)
        if self.replaying and key in self.replies:
            # An edit must change the message, as each press does in the real run (the
            # fake server refuses an edit that changes nothing, as Telegram does).
            flip = self.flips[msg.chat_id] = not self.flips.get(msg.chat_id, False)
            mark = "\u2060" if flip else ""
            return [replace(r, text=r.text + mark) if r.edit else r for r in self.replies[key]]
        self.misses += self.replaying
        replies = await self.real(msg)
        self.replies[key] = replies
        return replies

    def restore(self) -> None:
        self.redebot.handle = self.real


def lift_overall_limit(channel: Any) -> Callable[[], None]:
    """Lift the bot-wide 30 messages/s budget of ``channel``'s limiter; returns the undo."""
    from bot.ratelimit import WindowLimiter

    limiter = channel.application.bot.rate_limiter
    kept = limiter.overall
    limiter.overall = WindowLimiter(10**9, 1.0)

    def undo() -> None:
        limiter.overall = kept

    return undo


async def run_redebot(ports: dict[str, int], updates: int, groups: int) -> dict[str, Any]:
    from bot.clock import ManualClock
    from bot.config import Settings
    from bot.runtime import open_runtime

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    control = Control(ports["control"])
    probe = Probe()
    chats = chats_for(groups)
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="redebot-bench-") as tmp:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            database_url=f"sqlite+aiosqlite:///{tmp}/bench.db",
            telegram_bot_token=TOKEN,
            telegram_api_base_url=f"http://{HOST}:{ports['api']}/bot",
            telegram_api_file_url=f"http://{HOST}:{ports['api']}/file/bot",
            group_rate_per_minute=RELAXED_RATE,
            webhook_url=None,
            webhook_secret=None,
            public_base_url="http://127.0.0.1:8080",
            default_timezone="America/Sao_Paulo",
            default_state="PR",
            default_locale="pt_BR",
        )
        clock = ManualClock(SETUP_NOW)
        runtime = await open_runtime(settings, clock)
        probe.attach(runtime.engine)
        serving = Serving(runtime, settings, probe)
        try:
            await serving.start()
            started = time.perf_counter()
            announcements = await set_up_groups(control, clock, chats)
            out["setup_s"] = time.perf_counter() - started
            mix = Mix(chats, announcements)
            await warm_up(control, mix.batch(len(MIX) * groups), within=wait_budget(100))
            profile_to = os.environ.get("REDEBOT_BENCH_PROFILE")
            profiler = cProfile.Profile() if profile_to else None
            if profiler is not None:
                profiler.enable()  # the event loop's thread only (cProfile's reach)
            out["main"] = await measure(
                control, mix.batch(updates), probe, within=wait_budget(updates)
            )
            if profiler is not None and profile_to:
                profiler.disable()
                profiler.dump_stats(profile_to)
            # The floor: the same kind of batch with every reply precomputed, with the
            # 30 messages/s limit and without it (the replies then come back at once).
            canned = Canned(runtime.redebot)
            try:
                recording = mix.batch(updates)
                await measure(control, recording, probe, within=wait_budget(updates))
                canned.replaying = True
                out["canned"] = await measure(
                    control, mix.batch(updates), probe, within=wait_budget(updates)
                )
                undo = lift_overall_limit(serving.channel)
                try:
                    out["canned_unlimited"] = await measure(
                        control, mix.batch(updates), probe, within=wait_budget(updates)
                    )
                    canned.replaying = False
                    out["unlimited"] = await measure(
                        control, mix.batch(updates), probe, within=wait_budget(updates)
                    )
                finally:
                    undo()
                out["canned_misses"] = canned.misses
            finally:
                canned.restore()
            rounds = max(1, round(40 / groups))
            out["kinds"] = {}
            for kind in dict.fromkeys(MIX):
                batch = mix.only(kind, rounds)
                out["kinds"][kind] = await measure(
                    control, batch, probe, within=wait_budget(len(batch))
                )
            probe.captured = []
            await measure(control, [message(chats[0], MEMBERS[1][0], "/proxima")], probe, within=30)
            out["proxima_sql"], probe.captured = probe.captured, None
            a, b = chats[0], chats[-1]  # main() asks for two groups at least
            out["hol"] = [
                await head_of_line(control, a, b, "/calendario", within=120),
                await head_of_line(control, a, b, "/relatorio", within=120),
            ]
            await serving.stop()
            production = settings.model_copy(update={"group_rate_per_minute": PRODUCTION_RATE})
            serving = Serving(runtime, production, probe)
            await serving.start()
            # 20 replies fit the limiter's bucket; the other 20 leave one every 3 s.
            out["hol_production"] = await head_of_line(control, a, b, "/relatorio", within=200)
        finally:
            await serving.stop()
            await runtime.close()
            await control.close()
    return out


# --- processes, machine, report ---------------------------------------------------------------

ROLES: dict[str, Callable[..., Awaitable[dict[str, Any]]]] = {
    "echo": run_echo,
    "redebot": run_redebot,
}


def _child_main(role: str, args: tuple[Any, ...], conn: Any) -> None:
    try:
        conn.send(("ok", asyncio.run(ROLES[role](*args))))
    except BaseException:
        conn.send(("error", traceback.format_exc()))
    finally:
        conn.close()


def run_child(role: str, args: tuple[Any, ...], within: float) -> dict[str, Any]:
    """``role`` in a fresh process (spawned: no inherited heap, threads or loop)."""
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    proc = context.Process(target=_child_main, args=(role, args, sender), daemon=True)
    proc.start()
    sender.close()
    try:
        if not receiver.poll(within):
            raise BenchError(f"the {role} process did not finish within {within:.0f} s")
        try:
            status, payload = receiver.recv()
        except EOFError:
            raise BenchError(f"the {role} process died (exit code {proc.exitcode})") from None
        if status != "ok":
            raise BenchError(f"the {role} process failed:\n{payload}")
        return dict(payload)
    finally:
        proc.join(10)
        if proc.is_alive():
            proc.kill()
            proc.join(5)


def machine() -> list[str]:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        model = platform.processor() or model
    cores = os.cpu_count() or 0
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores
    from importlib.metadata import version

    libs = ", ".join(
        f"{name} {version(name)}"
        for name in ("python-telegram-bot", "SQLAlchemy", "aiosqlite", "aiohttp")
    )
    return [
        f"machine: {cores} logical cores ({usable} usable), {model}, "
        f"{platform.system()} {platform.release()} {platform.machine()}",
        f"python {platform.python_version()} ({platform.python_implementation()}), "
        f"{libs}, SQLite {sqlite3.sqlite_version}",
    ]


def _ms(value: float) -> str:
    value = max(value, 0.0)  # two clocks subtracted: tiny negatives are noise
    return f"{value:.2f} ms" if value < 10 else f"{value:.1f} ms"


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min)"


def mean_of(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The runs' figures averaged (numbers), with each run's CPU per update kept."""
    mean: dict[str, Any] = {}
    for key, value in runs[0].items():
        if isinstance(value, int | float) and not isinstance(value, bool):
            mean[key] = sum(run[key] for run in runs) / len(runs)
        else:
            mean[key] = value
    mean["cpu_runs"] = [run["cpu_ms"] for run in runs]
    return mean


def report(
    updates: int,
    groups: int,
    echo: dict[str, Any],
    red: dict[str, Any],
    paced_echo: dict[str, Any],
    aiohttp_echo: dict[str, Any],
) -> None:
    main = red["main"]
    print(
        f"\n1. Update handling: {updates} updates in {groups} groups, injected at once, "
        "until the fake server has one reply per update"
    )
    rows = [
        ("", "echo bot", "redebot", "redebot/echo"),
        (
            "CPU per update",
            _ms(echo["cpu_ms"]),
            _ms(main["cpu_ms"]),
            f"{main['cpu_ms'] / echo['cpu_ms']:.1f}x  (target <= 2x)",
        ),
        ("  on the event-loop thread", _ms(echo["loop_ms"]), _ms(main["loop_ms"]), ""),
        (
            "  on other threads",
            _ms(echo["cpu_ms"] - echo["loop_ms"]),
            _ms(main["cpu_ms"] - main["loop_ms"]),
            "",
        ),
        (
            "updates/s, end to end",
            f"{echo['rate']:.0f}",
            f"{main['rate']:.0f}",
            f"{main['rate'] / echo['rate']:.2f}x  (redebot's replies pass its 30 msg/s limiter)",
        ),
        (
            "updates/s if CPU-bound (1/CPU)",
            f"{1000 / echo['cpu_ms']:.0f}",
            f"{1000 / main['cpu_ms']:.0f}",
            "",
        ),
        ("wall time", f"{echo['wall_s']:.2f} s", f"{main['wall_s']:.2f} s", ""),
        (
            "SQL statements per update",
            "0",
            f"{main['sql_handler'] + main['sql_dispatcher']:.1f}",
            f"handler {main['sql_handler']:.1f} + dispatcher round {main['sql_dispatcher']:.1f}",
        ),
        (
            "commits per update",
            "0",
            f"{main['commits']:.2f}",
            f"dispatcher {main['commits_dispatcher']:.2f}, rollbacks {main['rollbacks']:.2f}",
        ),
        (
            "context switches per update",
            f"{echo['ctx_switches']:.1f}",
            f"{main['ctx_switches']:.1f}",
            "",
        ),
        (
            "fake server CPU per update",
            _ms(echo["server_cpu_ms"]),
            _ms(main["server_cpu_ms"]),
            "(its own process, not counted above)",
        ),
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    for row in rows:
        print(
            "  " + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)) + "  " + row[3]
        )
    runs = echo.get("cpu_runs", [echo["cpu_ms"]])
    print(
        "  the echo bot's CPU per update, run before and after redebot: "
        f"{' and '.join(_ms(r) for r in runs)} (its figures above are their mean)"
    )
    print(
        "  the echo bot paced by redebot's own limiter (30 messages/s, as redebot above): "
        f"{_ms(paced_echo['cpu_ms'])} per update, {paced_echo['rate']:.0f} updates/s; "
        f"redebot/paced echo {main['cpu_ms'] / paced_echo['cpu_ms']:.1f}x"
    )
    print(
        "  the echo bot on redebot's HTTP request (aiohttp under PTB, not PTB's httpx): "
        f"{_ms(aiohttp_echo['cpu_ms'])} per update; "
        f"redebot/that echo {main['cpu_ms'] / aiohttp_echo['cpu_ms']:.1f}x"
    )
    print(
        f"  redebot setup ({groups} groups: added, 4 sectors, 2027 generated, confirmed, "
        f"announced): {red['setup_s']:.1f} s"
    )

    canned, lifted, unlimited = red["canned"], red["canned_unlimited"], red["unlimited"]
    handlers = main["cpu_ms"] - canned["cpu_ms"]
    print(
        "\n  The floor: redebot with every reply precomputed (the same messages, edits, files "
        "and notices; no database, no handler)"
    )
    for label, m in (
        ("replies precomputed", canned),
        ("  and the 30 msg/s limit lifted", lifted),
        ("redebot, the 30 msg/s limit lifted", unlimited),
    ):
        print(
            f"    {label:<36} {_ms(m['cpu_ms']):>8}  {m['cpu_ms'] / echo['cpu_ms']:.1f}x echo  "
            f"({m['failed_calls']} failed Bot API calls)"
        )
    print(
        f"    handlers + database (redebot - precomputed): {_ms(handlers)} per update; "
        f"{red['canned_misses']} replies not precomputed"
    )

    print("\n  redebot per command (each alone, once per group per round):")
    print(
        f"    {'command':<12} {'CPU/update':>10} {'x echo':>7} {'SQL':>5} {'(handler':>9} "
        f"{'+ disp.)':>8} {'commits':>8}"
    )
    for kind, m in red["kinds"].items():
        print(
            f"    {kind:<12} {_ms(m['cpu_ms']):>10} {m['cpu_ms'] / echo['cpu_ms']:>6.1f}x "
            f"{m['sql_handler'] + m['sql_dispatcher']:>5.1f} {m['sql_handler']:>9.1f} "
            f"{m['sql_dispatcher']:>8.1f} {m['commits']:>8.2f}"
        )

    print("\n  SQL of one /proxima update (handler, then the dispatcher round it wakes):")
    for index, (where, sql) in enumerate(red["proxima_sql"], 1):
        print(f"    {index:>2}. [{where}] {sql if len(sql) <= 150 else sql[:147] + '...'}")

    print(
        f"\n2. Head-of-line: {BURST} commands in group A, then /proxima in group B, at once "
        "(target: B answered within 1 s)"
    )
    cases = [(h, f"group limit relaxed ({RELAXED_RATE}/min)") for h in red["hol"]]
    cases.append((red["hol_production"], f"production group limit ({PRODUCTION_RATE}/min)"))
    for hol, limit in cases:
        verdict = "ok" if hol["b_latency"] <= 1.0 else "over target"
        print(
            f"  {BURST} x {hol['command']:<11} {limit:<32} B answered after "
            f"{hol['b_latency']:6.2f} s ({verdict}; behind {hol['b_after']} of A's replies), "
            f"A's burst done in {hol['a_done']:6.2f} s"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--updates", type=int, default=600, help="updates per bot (default 600)")
    parser.add_argument("--groups", type=int, default=8, help="groups (default 8, at least 2)")
    args = parser.parse_args()
    if args.updates < 1 or args.groups < 2:
        parser.error("--updates must be >= 1 and --groups >= 2")
    for line in machine():
        print(line)
    print(f"before the run: {load()}")
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    if os.getloadavg()[0] > 0.5 * (usable or 1):
        print("warning: the machine is busy; CPU times come out inflated and noisier")
    # Loopback only: no HTTP(S)_PROXY from the environment between the bots and the server.
    for name in ("NO_PROXY", "no_proxy"):
        os.environ[name] = ",".join(filter(None, [os.environ.get(name), HOST, "localhost"]))
    print(
        f"config: {args.updates} updates per bot in {args.groups} groups; mix per cycle: "
        f"{', '.join(MIX)}; fake Bot API (tests/fakes/bot_api.py) in its own process on "
        f"{HOST}; each bot in a fresh process, long polling (timeout 30 s)"
    )
    print(
        "  redebot: TelegramChannel + dispatcher loop, SQLite file (WAL) in a temp dir, "
        f"ManualClock at {BENCH_NOW:%Y-%m-%d %H:%M} UTC, 4 members per group; "
        f"part 1 with the group limit relaxed to {RELAXED_RATE}/min (the 30 msg/s overall "
        "limit stays); echo: bare Application, no rate limiter, PTB's own httpx request (and "
        "once paced as redebot, once on redebot's aiohttp request)"
    )
    print("  echo gets the same texts; an RSVP press is a text message 'vou' for it")
    started = time.perf_counter()
    # The echo bot runs before and after redebot: its few seconds are sensitive to the
    # machine's state (between runs its CPU per update has moved from 2.2 to 4.0 ms), so
    # the baseline is the mean of both, and both are shown.
    echoes = []
    with FakeServer() as server:
        echoes.append(
            run_child("echo", (server.ports, args.updates, args.groups), 60 + args.updates)
        )
    with FakeServer() as server:
        red = run_child("redebot", (server.ports, args.updates, args.groups), 600 + args.updates)
    with FakeServer() as server:
        echoes.append(
            run_child("echo", (server.ports, args.updates, args.groups), 60 + args.updates)
        )
    # Like for like: the echo bot paced as redebot is (its 30 messages/s). On this
    # machine a process that sends at a steady 30/s, idle in between, spends more CPU per
    # message than one that sends in a burst.
    with FakeServer() as server:
        paced = run_child(
            "echo", (server.ports, args.updates, args.groups, True), 60 + args.updates
        )
    # And on the HTTP request redebot sends through (aiohttp, not PTB's httpx).
    with FakeServer() as server:
        on_aiohttp = run_child(
            "echo", (server.ports, args.updates, args.groups, False, True), 60 + args.updates
        )
    report(args.updates, args.groups, mean_of(echoes), red, paced, on_aiohttp)
    print(
        f"\n(bench ran {time.perf_counter() - started:.0f} s; {load()}; CPU times grow when "
        "other processes share the cores: compare figures from one run)"
    )


if __name__ == "__main__":
    try:
        main()
    except BenchError as error:
        print(f"bench failed: {error}", file=sys.stderr)
        sys.exit(1)
