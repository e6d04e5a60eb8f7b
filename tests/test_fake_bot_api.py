"""The fake Bot API server, driven by the real python-telegram-bot client over HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    Update,
)
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    EndPointNotFound,
    InvalidToken,
    RetryAfter,
)
from telegram.ext import (
    AIORateLimiter,
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from tests.fakes.bot_api import ANONYMOUS_ADMIN, FakeBotApi, FakeUser, StrictLimits

# PTB's own AIORateLimiter and RetryAfter read the deprecated int ``retry_after``.
pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")

GROUP = -1001
ANA = FakeUser(111, "Ana", "Souza", username="ana_s", language_code="pt-br")
BRUNO = FakeUser(222, "Bruno")


@pytest.fixture
async def server() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as fake:
        yield fake


@pytest.fixture
async def bot(server: FakeBotApi) -> AsyncIterator[Bot]:
    async with Bot(
        server.token, base_url=server.base_url, base_file_url=server.base_file_url
    ) as real_bot:
        yield real_bot


App = Application[Any, Any, Any, Any, Any, Any]


def build_app(server: FakeBotApi, *, rate_limiter: AIORateLimiter | None = None) -> App:
    builder = (
        Application.builder()
        .token(server.token)
        .base_url(server.base_url)
        .base_file_url(server.base_file_url)
    )
    if rate_limiter is not None:
        return builder.rate_limiter(rate_limiter).build()
    return builder.build()


@asynccontextmanager
async def polling(app: App) -> AsyncIterator[App]:
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0, timeout=1)
    try:
        yield app
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()


async def test_get_me_and_unknown_method(server: FakeBotApi, bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.username, me.is_bot) == (123456, "redebot_test_bot", True)
    # PTB turns a 404 into InvalidToken (EndPointNotFound for do_api_request)
    with pytest.raises(InvalidToken, match=r"(?i)method not found"):
        await bot.send_dice(GROUP)
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("notAMethod", api_kwargs={"chat_id": GROUP})
    assert server.unknown_methods == ["sendDice", "notAMethod"]
    assert server.calls_of("sendDice")[0].failed


async def test_send_message_with_keyboard_then_edit(server: FakeBotApi, bot: Bot) -> None:
    server.group_message(GROUP, ANA, "oi")
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("Sim", callback_data="yes"),
                InlineKeyboardButton("Não", callback_data="no"),
            ]
        ]
    )
    sent = await bot.send_message(
        GROUP,
        "Confirma <b>agenda</b>?",
        parse_mode="HTML",
        reply_markup=keyboard,
        reply_to_message_id=1,
    )
    assert sent.message_id == 2  # ids count per chat, the user's message was 1
    assert sent.text == "Confirma agenda?"
    (bold,) = sent.entities
    assert (bold.type, bold.offset, bold.length) == ("bold", 9, 6)
    assert sent.reply_to_message is not None and sent.reply_to_message.text == "oi"
    assert sent.reply_markup == keyboard
    assert sent.from_user is not None and sent.from_user.id == 123456

    edited = await bot.edit_message_text("Confirmado", chat_id=GROUP, message_id=sent.message_id)
    assert isinstance(edited, type(sent)) and edited.text == "Confirmado"
    assert edited.reply_markup is None and edited.edit_date is not None
    assert server.last_text(GROUP) == "Confirmado"
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text("Confirmado", chat_id=GROUP, message_id=sent.message_id)

    call = await server.wait_for_call("sendMessage")
    assert call.params["reply_markup"]["inline_keyboard"][0][1]["callback_data"] == "no"
    assert call.params["chat_id"] == GROUP and call.params["parse_mode"] == "HTML"


async def test_html_is_parsed_and_rejected_like_telegram(server: FakeBotApi, bot: Bot) -> None:
    server.group_message(GROUP, ANA, "oi")
    sent = await bot.send_message(
        GROUP, 'Olá <a href="tg://user?id=111">Ana</a> &amp; 😀 <i>x</i>', parse_mode="HTML"
    )
    mention, italic = sent.entities
    assert mention.type == "text_mention" and mention.user is not None
    assert mention.user.username == "ana_s"
    assert italic.offset == 13  # the emoji counts as two UTF-16 units
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.send_message(GROUP, "a <br> b", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(GROUP, "x" * 4097)
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        await bot.send_message(
            GROUP,
            "x",
            reply_markup=InlineKeyboardMarkup(
                [[InlineKeyboardButton("b", callback_data="d" * 65)]]
            ),
        )


async def test_send_document_upload_is_recorded(server: FakeBotApi, bot: Bot) -> None:
    message = await bot.send_document(
        GROUP, InputFile(b"%PDF-1.4 fake", filename="ata.pdf"), caption="Ata da reunião"
    )
    assert message.document is not None and message.document.file_name == "ata.pdf"
    assert message.caption == "Ata da reunião"
    call = server.calls_of("sendDocument")[0]
    assert call.files["document"] == ("ata.pdf", b"%PDF-1.4 fake")
    assert call.params["caption"] == "Ata da reunião"
    assert server.sent_messages(GROUP)[0]["document"]["mime_type"] == "application/pdf"
    # what the bot uploaded can be downloaded again, as with the real API
    again = await (await bot.get_file(message.document.file_id)).download_as_bytearray()
    assert bytes(again) == b"%PDF-1.4 fake"


async def test_user_document_download(server: FakeBotApi, bot: Bot) -> None:
    update = server.document_message(GROUP, ANA, "lista.csv", b"nome;idade\n", caption="/importar")
    document = update["message"]["document"]
    assert update["message"]["caption_entities"][0]["type"] == "bot_command"
    file = await bot.get_file(document["file_id"])
    assert file.file_path is not None and file.file_path.startswith(server.base_file_url)
    assert bytes(await file.download_as_bytearray()) == b"nome;idade\n"
    with pytest.raises(BadRequest, match=r"(?i)invalid file_id"):
        await bot.get_file("nope")


async def test_application_polling_command_in_group(server: FakeBotApi) -> None:
    app = build_app(server)
    seen: list[str] = []

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None and update.effective_user is not None
        seen.append(update.effective_user.first_name)
        await update.effective_message.reply_text(f"Olá, {update.effective_user.first_name}!")

    app.add_handler(CommandHandler("start", start))
    async with polling(app):
        server.group_message(GROUP, ANA, "/start@redebot_test_bot")
        reply = await server.wait_for_message(GROUP, contains="Olá")
        assert reply["text"] == "Olá, Ana!"
        assert reply["reply_to_message"]["text"] == "/start@redebot_test_bot"
        server.group_message(GROUP, BRUNO, "/start")
        assert (await server.wait_for_message(GROUP))["text"] == "Olá, Bruno!"
    assert seen == ["Ana", "Bruno"]
    assert server.calls_of("deleteWebhook")  # PTB's polling bootstrap
    offsets = [c.params.get("offset") for c in server.calls_of("getUpdates")]
    assert 3 in offsets  # both updates were confirmed


async def test_callback_query_reaches_handler(server: FakeBotApi) -> None:
    app = build_app(server)

    async def menu(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text(
            "Escolha",
            reply_markup=InlineKeyboardMarkup(
                [[InlineKeyboardButton("Agenda", callback_data="agenda")]]
            ),
        )

    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None and query.from_user.id == BRUNO.id
        await query.answer("ok")
        await query.edit_message_text(f"Você escolheu {query.data}")

    app.add_handler(CommandHandler("menu", menu))
    app.add_handler(CallbackQueryHandler(pressed))
    async with polling(app):
        server.group_message(GROUP, ANA, "/menu")
        menu_message = await server.wait_for_message(GROUP, contains="Escolha")
        with pytest.raises(ValueError, match=r"(?i)no button"):
            server.press_button(menu_message, "typo", BRUNO)
        server.press_button(menu_message, "agenda", BRUNO)
        answer = await server.wait_for_call("answerCallbackQuery")
        assert answer.params["text"] == "ok" and not answer.failed
        edit = await server.wait_for_call("editMessageText")
        assert edit.result["text"] == "Você escolheu agenda"
    assert server.last_text(GROUP) == "Você escolheu agenda"


async def test_rate_limit_retried_by_aio_rate_limiter(server: FakeBotApi) -> None:
    app = build_app(server, rate_limiter=AIORateLimiter(max_retries=2))
    await app.initialize()
    try:
        server.fail_next("sendMessage", retry_after=1)
        message = await app.bot.send_message(GROUP, "depois do limite")
        assert message.text == "depois do limite"
    finally:
        await app.shutdown()
    first, second = server.calls_of("sendMessage")
    assert first.failed and first.error_code == 429 and not second.failed


async def test_strict_limits_refuse_messages_like_telegram() -> None:
    from aiohttp import ClientSession

    limits = StrictLimits(per_bot=4, per_bot_seconds=30.0, per_group=2, per_group_seconds=30.0)
    async with (
        FakeBotApi(limits=limits) as server,
        Bot(server.token, base_url=server.base_url) as bot,
    ):
        for _ in range(5):  # not messages: never counted
            await bot.get_me()
            await bot.send_chat_action(GROUP, "typing")
        first = await bot.send_message(GROUP, "um")
        await bot.edit_message_text("um!", chat_id=GROUP, message_id=first.message_id)
        with pytest.raises(RetryAfter):  # a third message in the group's window
            await bot.send_message(GROUP, "três")
        await bot.send_message(ANA.id, "private chats have no group window")
        await bot.send_message(-2002, "another group")
        async with (
            ClientSession() as session,
            session.post(
                f"{server.base_url}{server.token}/sendMessage",
                json={"chat_id": -3003, "text": "the bot's window is full"},
            ) as response,
        ):
            assert response.status == 429
            assert await response.json() == {
                "ok": False,
                "error_code": 429,
                "description": "Too Many Requests: retry after 30",
                "parameters": {"retry_after": 30},
            }
    assert server.flood_refusals == 2
    assert [c.error_code for c in server.calls if c.failed] == [429, 429]
    assert len(server.send_times) == 4 and server.most_sends_in(30.0) == 4
    assert server.most_sends_in(30.0, with_refused=True) == 6
    assert "três" not in [m.get("text") for m in server.sent_messages(GROUP)]


async def test_send_log_measures_windows_and_rate(server: FakeBotApi, bot: Bot) -> None:
    assert server.limits is None and server.send_rate(1.0) == 0.0
    for _ in range(3):
        await bot.send_message(GROUP, "sem limite")  # default mode: logged, never refused
    assert len(server.send_times) == 3 and server.flood_refusals == 0
    server.send_times = [0.0, 0.0, 1.0, 1.0, 2.0, 2.0]  # 2 per second, every window full
    assert server.most_sends_in(1.0) == 2 and server.most_sends_in(1.5) == 4
    assert server.send_rate(1.0) == 2.0


async def test_fail_next_generic_and_per_chat(server: FakeBotApi, bot: Bot) -> None:
    server.fail_next("sendMessage", 403, chat_id=ANA.id)
    server.fail_next("sendChatAction", 429, retry_after=3)
    with pytest.raises(RetryAfter):
        await bot.send_chat_action(GROUP, "typing")
    assert (await bot.send_message(GROUP, "grupo ok")).chat.id == GROUP  # others unaffected
    with pytest.raises(Exception, match=r"(?i)blocked"):
        await bot.send_message(ANA.id, "privado")
    assert (await bot.send_message(ANA.id, "privado")).text == "privado"  # failed only once


async def test_migration_raises_chat_migrated(server: FakeBotApi, bot: Bot) -> None:
    old_update, new_update = server.migrate_group(-55, -1005555)
    assert old_update["message"]["migrate_to_chat_id"] == -1005555
    assert new_update["message"]["chat"]["type"] == "supergroup"
    with pytest.raises(ChatMigrated) as info:
        await bot.send_message(-55, "oi")
    assert info.value.new_chat_id == -1005555
    assert (await bot.send_message(-1005555, "oi")).chat.id == -1005555


async def test_migration_updates_reach_application(server: FakeBotApi) -> None:
    app = build_app(server)

    async def on_migrate(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None
        if message.migrate_to_chat_id:
            await context.bot.send_message(
                message.migrate_to_chat_id, f"Mudamos de {message.chat.id}"
            )

    app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, on_migrate))
    async with polling(app):
        server.migrate_group(-55, -1005555)
        assert (await server.wait_for_message(-1005555))["text"] == "Mudamos de -55"


async def test_json_and_query_string_requests(server: FakeBotApi) -> None:
    from aiohttp import ClientSession

    url = f"{server.base_url}{server.token}"
    async with ClientSession() as session:
        keyboard = {"inline_keyboard": [[{"text": "a", "callback_data": "a"}]]}
        payload = {"chat_id": "-1001", "text": "json", "reply_markup": keyboard}
        async with session.post(f"{url}/sendMessage", json=payload) as response:
            body = await response.json()
        async with session.get(f"{url}/getMe") as response:
            assert (await response.json())["result"]["username"] == "redebot_test_bot"
        async with session.get(f"{server.base_url}wrong:token/getMe") as response:
            assert response.status == 401
    assert body["ok"] and body["result"]["chat"]["id"] == GROUP
    assert body["result"]["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "a"
    assert server.last_text(GROUP) == "json"


async def test_bot_added_admins_and_chat_info(server: FakeBotApi, bot: Bot) -> None:
    member_update, message_update = server.bot_added_to_group(GROUP, ANA, title="Rede Sul")
    assert member_update["my_chat_member"]["new_chat_member"]["status"] == "member"
    assert message_update["message"]["new_chat_members"][0]["id"] == 123456
    server.set_admins(GROUP, [BRUNO], creator=ANA)
    admins = await bot.get_chat_administrators(GROUP)
    assert [(a.user.id, a.status) for a in admins] == [
        (ANA.id, "creator"),
        (BRUNO.id, "administrator"),
    ]
    assert (await bot.get_chat_member(GROUP, BRUNO.id)).status == "administrator"
    assert (await bot.get_chat_member(GROUP, 999)).status == "member"
    chat = await bot.get_chat(GROUP)
    assert (chat.title, chat.type) == ("Rede Sul", "group")
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.get_chat(-777)


async def test_anonymous_admin_message(server: FakeBotApi) -> None:
    update = server.group_message(-100200, ANONYMOUS_ADMIN, "/pauta", chat_type="supergroup")
    parsed = Update.de_json(update, None)
    message, user = parsed.effective_message, parsed.effective_user
    assert message is not None and message.sender_chat is not None
    assert message.sender_chat.id == -100200
    assert user is not None and user.username == "GroupAnonymousBot"


async def test_commands_per_scope_and_language(server: FakeBotApi, bot: Bot) -> None:
    from telegram import BotCommand, BotCommandScopeAllGroupChats

    await bot.set_my_commands([BotCommand("agenda", "Ver agenda")])
    await bot.set_my_commands(
        [BotCommand("pauta", "Pauta")], scope=BotCommandScopeAllGroupChats(), language_code="pt"
    )
    assert [c.command for c in await bot.get_my_commands()] == ["agenda"]
    group_pt = await bot.get_my_commands(scope=BotCommandScopeAllGroupChats(), language_code="pt")
    assert [c.command for c in group_pt] == ["pauta"]
    assert server.commands({"type": "all_group_chats"}, "pt")[0]["description"] == "Pauta"
    await bot.delete_my_commands()
    assert await bot.get_my_commands() == ()
    with pytest.raises(BadRequest, match=r"(?i)bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Agenda", "maiúscula")])
    assert await bot.set_chat_menu_button()
    assert await bot.send_chat_action(GROUP, "upload_document")


async def test_delete_and_webhook_info(server: FakeBotApi, bot: Bot) -> None:
    sent = await bot.send_message(GROUP, "apagar")
    assert await bot.delete_message(GROUP, sent.message_id)
    assert server.sent_messages(GROUP) == []
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await bot.delete_message(GROUP, sent.message_id)
    server.group_message(GROUP, ANA, "pendente")
    assert (await bot.get_webhook_info()).pending_update_count == 1
    assert await bot.set_webhook("https://example.invalid/hook", secret_token="s3")
    assert (await bot.get_webhook_info()).url == "https://example.invalid/hook"
    with pytest.raises(Conflict):
        await bot.get_updates()
    assert await bot.delete_webhook(drop_pending_updates=True)
    assert await bot.get_updates(timeout=0) == ()


async def test_long_poll_waits_and_confirms(server: FakeBotApi, bot: Bot) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await bot.get_updates(timeout=1) == ()
    assert loop.time() - started >= 0.9

    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.05)  # let the request reach the server before there is anything
    update = server.private_message(ANA, "oi")
    started = loop.time()
    (got,) = await poll  # answered now, not at the 5 s timeout
    assert loop.time() - started < 4 and got.update_id == update["update_id"]
    assert got.effective_chat is not None and got.effective_chat.type == "private"
    assert len(await bot.get_updates(timeout=0)) == 1  # not confirmed yet
    assert await bot.get_updates(offset=got.update_id + 1, timeout=0) == ()


async def test_webhook_helper_posts_with_secret(server: FakeBotApi) -> None:
    from aiohttp import web

    received: list[tuple[str | None, dict[str, object]]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append(
            (request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json())
        )
        return web.Response()

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
        update = server.group_message(GROUP, ANA, "/start")
        assert await server.post_update_to(url, update, "s3cret") == 200
    finally:
        await runner.cleanup()
    assert received == [("s3cret", update)]


async def test_wait_for_call_times_out_with_recent_calls(server: FakeBotApi, bot: Bot) -> None:
    await bot.send_message(GROUP, "uma")
    assert (await server.wait_for_message(GROUP, "uma"))["text"] == "uma"
    mark = server.mark()
    await bot.send_message(GROUP, "duas")
    assert [c.params["text"] for c in server.calls_since(mark)] == ["duas"]
    await server.wait_for_message(GROUP)
    with pytest.raises(AssertionError, match=r"(?s)no message to -1001.*sendMessage"):
        await server.wait_for_message(GROUP, timeout=0.1)  # both were already returned
