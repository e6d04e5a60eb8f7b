"""The fake Telegram Bot API (tests/fakes/bot_api.py) in its own process, for the benches.

    .venv/bin/python bench/fake_telegram.py

Prints one JSON line, {"api": port, "control": port}, then serves on 127.0.0.1 until
POST /shutdown, its parent's death, or a one-hour safety limit. The bot under test talks
to the Bot API port; the bench drives the server through the control port:

    POST /inject    {"updates": [spec, ...]}       queue updates (messages, presses...)
    POST /admins    {"chat": id, "users": [user]}  who getChatAdministrators reports
    POST /wait      {"since", "count", "methods", "chat", "timeout", "details"}
                    until ``count`` calls of ``methods`` (to ``chat``) arrived after index
                    ``since``; answers their arrival times (time.monotonic, a clock that
                    every process of the machine shares) and, with details, their results
    GET  /stats     the server's own CPU time and number of calls
    POST /shutdown

Running it apart keeps the server's CPU out of the bot's measurement.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiohttp import web

from tests.fakes.bot_api import FakeBotApi, FakeUser

HOST = "127.0.0.1"
MAX_LIFETIME = 3600.0
MAX_WAIT = 600.0


class TimedFakeBotApi(FakeBotApi):
    """FakeBotApi that also notes when each call arrived."""

    def __init__(self) -> None:
        super().__init__()
        self.times: list[float] = []
        self.changed = asyncio.Event()

    async def _handle(self, request: web.Request) -> web.Response:
        response = await super()._handle(request)
        # The parent appended this call and returned without awaiting in between.
        now = time.monotonic()
        while len(self.times) < len(self.calls):
            self.times.append(now)
        changed, self.changed = self.changed, asyncio.Event()
        changed.set()
        return response


def _user(spec: dict[str, Any]) -> FakeUser:
    return FakeUser(
        int(spec["id"]),
        str(spec["first_name"]),
        spec.get("last_name"),
        username=spec.get("username"),
    )


def _call_chat(call: Any) -> int | None:
    chat = call.params.get("chat_id")
    if chat is None and isinstance(call.result, dict):
        chat = (call.result.get("chat") or {}).get("id")
    try:
        return int(chat)
    except (TypeError, ValueError):
        return None


class Control:
    def __init__(self, api: TimedFakeBotApi, stop: asyncio.Event) -> None:
        self.api = api
        self.stop = stop

    def routes(self) -> list[web.RouteDef]:
        return [
            web.post("/inject", self.inject),
            web.post("/admins", self.admins),
            web.post("/wait", self.wait),
            web.get("/stats", self.stats),
            web.post("/shutdown", self.shutdown),
        ]

    async def inject(self, request: web.Request) -> web.Response:
        body = await request.json()
        api = self.api
        mark = len(api.calls)
        ids = []
        for spec in body["updates"]:
            kind = spec["type"]
            if kind == "message":
                update = api.group_message(int(spec["chat"]), _user(spec["user"]), spec["text"])
            elif kind == "press":
                message = api.message(int(spec["chat"]), int(spec["message_id"]))
                if message is None:
                    raise web.HTTPBadRequest(text=f"no message {spec}")
                update = api.press_button(message, spec["data"], _user(spec["user"]))
            elif kind == "added":
                update, _ = api.bot_added_to_group(
                    int(spec["chat"]), _user(spec["user"]), title=spec.get("title", "Rede")
                )
            else:
                raise web.HTTPBadRequest(text=f"unknown update type {kind!r}")
            ids.append(update["update_id"])
        return web.json_response({"ids": ids, "mark": mark, "t": time.monotonic()})

    async def admins(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.api.set_admins(int(body["chat"]), [_user(u) for u in body["users"]])
        return web.json_response({"ok": True})

    async def wait(self, request: web.Request) -> web.Response:
        body = await request.json()
        api = self.api
        since, count = int(body.get("since", 0)), int(body["count"])
        methods = {m.lower() for m in body["methods"]}
        chat = body.get("chat")
        timeout = min(float(body.get("timeout", 30.0)), MAX_WAIT)
        details = bool(body.get("details", False))
        deadline = time.monotonic() + timeout
        matched: list[int] = []
        scanned = since
        while True:
            changed = api.changed
            while scanned < len(api.calls) and len(matched) < count:
                call = api.calls[scanned]
                if call.method.lower() in methods and (chat is None or _call_chat(call) == chat):
                    matched.append(scanned)
                scanned += 1
            remaining = deadline - time.monotonic()
            if len(matched) >= count or remaining <= 0:
                break
            try:
                await asyncio.wait_for(changed.wait(), remaining)
            except TimeoutError:
                pass
        calls = []
        for index in matched:
            call = api.calls[index]
            item: dict[str, Any] = {
                "i": index,
                "method": call.method,
                "chat": _call_chat(call),
                "t": api.times[index],
                "failed": call.failed,
            }
            if details:
                item["result"] = call.result if isinstance(call.result, dict) else None
                item["error"] = call.error
            calls.append(item)
        failed = sum(1 for c in api.calls[since:scanned] if c.failed)
        return web.json_response(
            {
                "ok": len(matched) >= count,
                "count": len(matched),
                "calls": calls,
                "failed_since": failed,
                "end": len(api.calls),
            }
        )

    async def stats(self, request: web.Request) -> web.Response:
        return web.json_response(
            {"cpu": time.process_time(), "calls": len(self.api.calls), "pid": os.getpid()}
        )

    async def shutdown(self, request: web.Request) -> web.Response:
        self.stop.set()
        return web.json_response({"ok": True})


async def serve() -> None:
    stop = asyncio.Event()
    parent = os.getppid()
    async with TimedFakeBotApi() as api:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.add_routes(Control(api, stop).routes())
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        await web.TCPSite(runner, HOST, 0).start()
        control_port = int(runner.addresses[0][1])
        api_port = int(api.base_url.rsplit(":", 1)[1].split("/", 1)[0])
        print(json.dumps({"api": api_port, "control": control_port}), flush=True)
        started = time.monotonic()
        try:
            while not stop.is_set():
                if os.getppid() != parent or time.monotonic() - started > MAX_LIFETIME:
                    break
                try:
                    await asyncio.wait_for(stop.wait(), 1.0)
                except TimeoutError:
                    pass
        finally:
            await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(serve())
