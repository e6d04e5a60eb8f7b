"""The bot's Bot API requests over aiohttp (bot/channels/telegram_http.py), through the
real python-telegram-bot client, against the fake Bot API and loopback servers."""

from __future__ import annotations

import asyncio
import contextlib
import traceback
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, MessageEntity, User
from telegram.error import BadRequest, NetworkError, TimedOut

from bot.channels.telegram_http import STALE_RETRIES, AiohttpRequest
from tests.fakes.bot_api import FakeBotApi, FakeUser
from tests.net import free_port

GROUP = -1001


def _bot(base_url: str, base_file_url: str, **timeouts: float) -> Bot:
    return Bot(
        FakeBotApi.token,
        base_url=base_url,
        base_file_url=base_file_url,
        request=AiohttpRequest(**timeouts),  # type: ignore[arg-type]
        get_updates_request=AiohttpRequest(connection_pool_size=1),
    )


async def _serve(handler: Any) -> tuple[web.AppRunner, int]:
    """``handler`` answers every path on a loopback port: the runner and the port."""
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, runner.addresses[0][1]


def _forward_proxy(seen: list[str]) -> Any:
    """A forward proxy that answers getMe itself, noting the absolute URL it was given."""

    async def proxy(request: web.Request) -> web.Response:
        seen.append(str(request.url))
        me = {"id": 1, "is_bot": True, "first_name": "redebot", "username": "redebot"}
        return web.json_response({"ok": True, "result": me})

    return proxy


PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY")
UNRESOLVABLE = "http://api.telegram.invalid"  # only a proxy can answer for it


async def _get_me(raises: type[Exception] | None = None, match: str | None = None) -> str | None:
    """getMe through a new bot on UNRESOLVABLE: its username, or None once it raised
    ``raises`` (with ``match`` in its message, if given)."""
    bot = _bot(f"{UNRESOLVABLE}/bot", f"{UNRESOLVABLE}/file/bot")
    await bot.request.initialize()
    try:
        if raises is None:
            return (await bot.get_me()).username
        with pytest.raises(raises, match=match):
            await bot.get_me()
        return None
    finally:
        await bot.request.shutdown()


@pytest.fixture
def no_proxy_set(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    return monkeypatch


@pytest.fixture
async def server() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as fake:
        yield fake


@pytest.fixture
async def bot(server: FakeBotApi) -> AsyncIterator[Bot]:
    async with _bot(server.base_url, server.base_file_url) as real_bot:
        yield real_bot


async def test_messages_with_accents_buttons_and_entities_arrive_as_sent(
    server: FakeBotApi, bot: Bot
) -> None:
    text = "Reunião ordinária — terça, 12/01 às 14h 🗓️ & <CRAS> Ana"
    buttons = InlineKeyboardMarkup([[InlineKeyboardButton("✅ Vou", callback_data="v1:r:1")]])
    mention = MessageEntity(MessageEntity.TEXT_MENTION, 53, 3, user=User(7, "Ana", False))
    message = await bot.send_message(GROUP, text, reply_markup=buttons, entities=[mention])
    assert message.text == text
    call = server.calls_of("sendMessage")[-1]
    assert call.params["text"] == text and int(call.params["chat_id"]) == GROUP
    assert call.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "v1:r:1"
    assert call.params["entities"][0]["user"]["id"] == 7


async def test_a_file_with_an_accented_name_is_uploaded_and_downloaded_intact(
    server: FakeBotApi, bot: Bot
) -> None:
    content = b"%PDF-1.4 relat\xc3\xb3rio\n" + bytes(range(256))
    message = await bot.send_document(
        GROUP,
        InputFile(content, filename="Relatório de março.pdf"),
        caption="Relatório anual — 2027",
    )
    assert message.document is not None
    assert message.document.file_name == "Relatório de março.pdf"
    assert message.caption == "Relatório anual — 2027"
    call = server.calls_of("sendDocument")[-1]
    assert call.files["document"] == ("Relatório de março.pdf", content)
    again = await (await bot.get_file(message.document.file_id)).download_as_bytearray()
    assert bytes(again) == content


async def test_updates_are_long_polled(server: FakeBotApi, bot: Bot) -> None:
    server.group_message(GROUP, FakeUser(7, "Ana"), "/proxima")
    updates = await bot.get_updates(timeout=5)
    assert [u.message.text for u in updates if u.message] == ["/proxima"]


async def test_the_api_s_refusals_become_ptb_s_errors(bot: Bot) -> None:
    with pytest.raises(BadRequest):
        await bot.get_file("no-such-file")


async def test_a_silent_server_is_a_timeout() -> None:
    answered = asyncio.Event()

    async def silent(request: web.Request) -> web.Response:
        await answered.wait()  # never, until the test ends
        return web.Response(text="{}")

    runner, port = await _serve(silent)
    try:
        bot = _bot(f"http://127.0.0.1:{port}/bot", f"http://127.0.0.1:{port}/file/bot")
        request = bot.request
        await request.initialize()
        try:
            with pytest.raises(TimedOut):
                await bot.send_message(GROUP, "olá", read_timeout=0.2)
        finally:
            await request.shutdown()
    finally:
        answered.set()
        await runner.cleanup()


async def test_no_server_is_a_network_error_not_a_timeout() -> None:
    port = await free_port()  # nothing listens there
    bot = _bot(f"http://127.0.0.1:{port}/bot", f"http://127.0.0.1:{port}/file/bot")
    await bot.request.initialize()
    try:
        with pytest.raises(NetworkError) as raised:
            await bot.send_message(GROUP, "olá")
        assert not isinstance(raised.value, TimedOut)
        assert "aiohttp." in str(raised.value)
    finally:
        await bot.request.shutdown()


async def test_a_request_is_refused_before_initialize_and_works_after_a_restart(
    server: FakeBotApi,
) -> None:
    request = AiohttpRequest()
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request(f"{server.base_url}{server.token}/getMe", "POST")
    await request.initialize()
    status, _body = await request.do_request(f"{server.base_url}{server.token}/getMe", "POST")
    assert status == 200
    await request.shutdown()
    await request.shutdown()  # twice is harmless
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request(f"{server.base_url}{server.token}/getMe", "POST")
    await request.initialize()
    status, _body = await request.do_request(f"{server.base_url}{server.token}/getMe", "POST")
    assert status == 200
    await request.shutdown()


async def test_the_environment_s_proxy_is_used_and_no_proxy_is_honoured(
    no_proxy_set: pytest.MonkeyPatch,
) -> None:
    seen: list[str] = []
    runner, port = await _serve(_forward_proxy(seen))
    no_proxy_set.setenv("HTTP_PROXY", f"http://127.0.0.1:{port}")
    try:
        assert await _get_me() == "redebot"
        assert seen and seen[0].startswith(f"{UNRESOLVABLE}/bot")
        no_proxy_set.setenv("NO_PROXY", "api.telegram.invalid")
        await _get_me(raises=NetworkError)
        assert len(seen) == 1  # the second bot went straight to the (unknown) host
    finally:
        await runner.cleanup()


SECRET = "123456:SECRET-token"


async def test_a_transport_error_never_carries_the_token() -> None:
    """aiohttp quotes the URL (``/bot<token>/…``) in its errors: the error PTB raises, its
    message and its traceback (logged, and kept as a delivery's last error) do not."""

    async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"NOT HTTP AT ALL\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(garbage, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    request = AiohttpRequest()
    await request.initialize()
    try:
        with pytest.raises(NetworkError) as raised:
            await request.post(f"http://127.0.0.1:{port}/bot{SECRET}/sendMessage")
        told = "".join(traceback.format_exception(raised.value))
        assert "aiohttp." in told and "bot<token>" in told
        assert SECRET not in told and "SECRET-token" not in told
    finally:
        await request.shutdown()
        server.close()
        await server.wait_closed()


async def test_a_redirect_is_not_followed() -> None:
    """A POST answered 301 is not re-sent as an empty GET (it would become 'message text
    is empty', a permanent refusal): it is a NetworkError, which the bot retries."""
    seen: list[str] = []

    async def moved(request: web.Request) -> web.Response:
        seen.append(request.method)
        raise web.HTTPMovedPermanently(location="/elsewhere")

    runner, port = await _serve(moved)
    bot = _bot(f"http://127.0.0.1:{port}/bot", f"http://127.0.0.1:{port}/file/bot")
    await bot.request.initialize()
    try:
        with pytest.raises(NetworkError) as raised:
            await bot.send_message(GROUP, "olá")
        assert not isinstance(raised.value, BadRequest)
        assert seen == ["POST"]
    finally:
        await bot.request.shutdown()
        await runner.cleanup()


async def test_a_slow_download_that_keeps_arriving_is_not_cut() -> None:
    """Each read is timed, not the whole answer (as with httpx): a file that arrives a
    little at a time, over longer than all the timeouts together, is downloaded."""
    chunks = 25

    async def trickle(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        for index in range(chunks):
            await response.write(bytes([index]) * 100)
            await asyncio.sleep(0.1)
        await response.write_eof()
        return response

    runner, port = await _serve(trickle)
    request = AiohttpRequest(read_timeout=0.3, write_timeout=0.3, connect_timeout=0.3)
    await request.initialize()
    try:
        # 2.5 s of arriving, against 0.3 s between reads and 0.9 + 1 s of timeouts in all.
        content = await request.retrieve(f"http://127.0.0.1:{port}/file/bot{SECRET}/a.pdf")
        assert content == b"".join(bytes([i]) * 100 for i in range(chunks))
    finally:
        await request.shutdown()
        await runner.cleanup()


def test_a_request_outlives_the_event_loop_it_was_opened_on() -> None:
    """A session dies with its loop (a test's, a restart's): the next loop gets a new one."""

    async def get_me(request: AiohttpRequest, close: bool) -> int:
        async with FakeBotApi() as server:
            await request.initialize()
            status, _body = await request.do_request(
                f"{server.base_url}{server.token}/getMe", "POST"
            )
            if close:
                await request.shutdown()
            return status

    request = AiohttpRequest()
    assert asyncio.run(get_me(request, close=False)) == 200  # its loop ends unclosed
    assert asyncio.run(get_me(request, close=True)) == 200


async def test_all_proxy_is_used_and_a_socks_proxy_is_refused_clearly(
    no_proxy_set: pytest.MonkeyPatch,
) -> None:
    seen: list[str] = []
    runner, port = await _serve(_forward_proxy(seen))
    no_proxy_set.setenv("ALL_PROXY", f"http://127.0.0.1:{port}")
    try:
        assert await _get_me() == "redebot"
        assert len(seen) == 1
        no_proxy_set.setenv("ALL_PROXY", "socks5://127.0.0.1:1080")
        await _get_me(raises=NetworkError, match="http:// proxy only")
        assert len(seen) == 1
    finally:
        await runner.cleanup()


class _KeepAliveServer:
    """A loopback HTTP/1.1 server that keeps connections alive and answers getMe, except
    that it closes a connection, unanswered, on the request number ``drop_at`` of that
    connection (as a server does with a kept-alive connection it has timed out)."""

    ME = b'{"ok":true,"result":{"id":1,"is_bot":true,"first_name":"redebot","username":"redebot"}}'

    def __init__(self, drop_at: int, hold: int = 1) -> None:
        self.drop_at = drop_at
        # The first answers wait until this many connections are open (a pool to reuse).
        self.hold = hold
        self.held = asyncio.Event()
        self.connections = 0
        self.requests = 0
        self.server: asyncio.Server | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return int(self.server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        if self.connections >= self.hold:
            self.held.set()
        served = 0
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    (
                        int(line.split(b":", 1)[1])
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length:")
                    ),
                    0,
                )
                await reader.readexactly(length)
                self.requests += 1
                served += 1
                if served == self.drop_at:
                    return  # closed without an answer
                await self.held.wait()
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    + b"Content-Length: %d\r\n\r\n" % len(self.ME)
                    + self.ME
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@contextlib.asynccontextmanager
async def _keep_alive(drop_at: int, hold: int = 1) -> AsyncIterator[tuple[_KeepAliveServer, Bot]]:
    """A _KeepAliveServer and a bot whose requests go to it."""
    server = _KeepAliveServer(drop_at, hold)
    port = await server.start()
    bot = _bot(f"http://127.0.0.1:{port}/bot", f"http://127.0.0.1:{port}/file/bot")
    await bot.request.initialize()
    try:
        yield server, bot
    finally:
        await bot.request.shutdown()
        await server.stop()


async def test_a_call_on_a_kept_alive_connection_the_server_closed_goes_again() -> None:
    # Every Bot API call is a POST, which aiohttp never sends again on its own: without
    # this, the reply to a command would be lost whenever Telegram had just closed an idle
    # kept-alive connection.
    async with _keep_alive(drop_at=2) as (server, bot):
        assert (await bot.get_me()).username == "redebot"  # opens connection 1
        # Connection 1 is reused, and closed unanswered: the call goes again on connection 2.
        assert (await bot.get_me()).username == "redebot"
        assert (server.connections, server.requests) == (2, 3)


async def test_a_call_on_a_new_connection_that_the_server_drops_is_not_sent_again() -> None:
    # On a connection opened for it the call may have reached the server, which may have
    # acted on it: PTB's NetworkError, and the caller decides (the outbox retries).
    async with _keep_alive(drop_at=1) as (server, bot):
        with pytest.raises(NetworkError, match="ServerDisconnected"):
            await bot.get_me()
        assert (server.connections, server.requests) == (1, 1)


async def test_a_server_that_closes_every_kept_alive_connection_is_not_looped_on() -> None:
    # A server that drops the second request of every connection: four connections in the
    # pool, all stale for the next call. Each call goes out at most 1 + STALE_RETRIES
    # times, and a failed connection leaves the pool, so calls are answered again soon.
    async with _keep_alive(drop_at=2, hold=4) as (server, bot):
        names = await asyncio.gather(*(bot.get_me() for _ in range(4)))
        assert [n.username for n in names] == ["redebot"] * 4
        assert server.connections == 4
        outcomes = []
        for _ in range(4):
            before = server.requests
            try:
                outcomes.append((await bot.get_me()).username)
            except NetworkError:
                outcomes.append("failed")
            assert server.requests - before <= 1 + STALE_RETRIES
        assert outcomes[0] == "failed"  # three stale connections in a row
        assert outcomes[1:] == ["redebot"] * 3  # the fourth stale one, then a fresh one
