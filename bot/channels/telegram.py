"""Telegram channel (python-telegram-bot): updates -> Incoming, Reply -> Bot API calls."""

from __future__ import annotations

import logging
import time as _time
from dataclasses import replace
from functools import partial
from typing import Any

from aiohttp import web
from telegram import (
    BotCommand,
    BotCommandScopeAllChatAdministrators,
    BotCommandScopeAllGroupChats,
    BotCommandScopeDefault,
    ChatMember,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    Message,
    MessageEntity,
    ReplyParameters,
    Update,
    User,
)
from telegram.constants import ChatType, MessageLimit
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    TelegramError,
    TimedOut,
)
from telegram.ext import Application, ApplicationBuilder, ContextTypes, ExtBot, TypeHandler

from bot.app import Redebot
from bot.channels.base import (
    Capabilities,
    ChatMoved,
    Retryable,
    Sent,
    Unreachable,
    chunks,
)
from bot.channels.telegram_http import AiohttpRequest
from bot.channels.telegram_limits import RedebotRateLimiter
from bot.config import Settings
from bot.i18n import SUPPORTED_LOCALES, use_locale
from bot.i18n import gettext as _
from bot.lanes import Lanes
from bot.messages import Attachment, ChatKind, Event, Incoming, Person, Reply
from bot.router import Router

log = logging.getLogger(__name__)

PLATFORM = "telegram"
# Telegram's "GroupAnonymousBot": an administrator posting as the group.
ANONYMOUS_ADMIN_ID = 1087968824
ADMIN_CACHE_SECONDS = 600
WEBHOOK_PATH = "/telegram"


def _person(user: Any, *, is_admin: bool = False) -> Person:
    return Person(
        user_id=str(user.id), name=user.full_name, username=user.username, is_admin=is_admin
    )


def parse_command(text: str, bot_username: str) -> tuple[str, str] | None:
    """ "/setor@redebot_bot CRAS" -> ("setor", "CRAS"); None when it is for another bot."""
    if not text.startswith("/"):
        return None
    head, _sep, rest = text[1:].partition(" ")
    first_line, _nl, more = head.partition("\n")
    if more:
        rest = more + (" " + rest if rest else "")
    name, _at, target = first_line.partition("@")
    if target and target.lower() != bot_username.lower():
        return None
    return name.lower(), rest.strip()


def _text_mentions(message: Message, bot_id: int) -> tuple[Person, ...]:
    """The people a message mentions by a text mention: someone without a username,
    picked from the list as they typed "@" (the entity carries the user; "@username"
    mentions carry none and are read from the text)."""
    if message.text is not None:
        found = message.parse_entities([MessageEntity.TEXT_MENTION])
    else:
        found = message.parse_caption_entities([MessageEntity.TEXT_MENTION])
    return tuple(
        replace(_person(entity.user), written=written)
        for entity, written in found.items()
        if entity.user is not None and not entity.user.is_bot and entity.user.id != bot_id
    )


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def with_mentions(reply: Reply) -> tuple[str, list[MessageEntity]]:
    """Append the mentioned people as text mentions (they get notified, no @ needed)."""
    text = reply.text
    entities: list[MessageEntity] = []
    if not reply.mentions:
        return text, entities
    text += "\n"
    for index, person in enumerate(reply.mentions):
        if index:
            text += ", "
        entities.append(
            MessageEntity(
                type=MessageEntity.TEXT_MENTION,
                offset=_utf16_len(text),
                length=_utf16_len(person.name),
                user=User(id=int(person.user_id), first_name=person.name, is_bot=False),
            )
        )
        text += person.name
    return text, entities


def _markup(reply: Reply) -> InlineKeyboardMarkup | None:
    if not reply.buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(b.label, callback_data=b.data) for b in row]
            for row in reply.buttons
        ]
    )


def _force_reply(reply: Reply) -> ForceReply | None:
    """A question to type the answer of: the reply box opens for the people it mentions or
    answers (selective), and the reply reaches the bot in privacy mode."""
    if not reply.force_reply or reply.buttons:
        return None
    return ForceReply(selective=True, input_field_placeholder=reply.placeholder[:64] or None)


def _answering(reply: Reply, origin: Incoming | None, target: int) -> ReplyParameters | None:
    """A question quotes the message it follows from (the person's answer or command), so
    a selective ForceReply reaches that person."""
    if not reply.force_reply or origin is None or origin.button is not None:
        return None
    if not origin.message_id or origin.chat_id != str(target):
        return None
    return ReplyParameters(message_id=int(origin.message_id), allow_sending_without_reply=True)


CAPABILITIES = Capabilities(
    buttons=True,
    polls=False,
    edits=True,
    notices=True,
    private=True,
    max_text=MessageLimit.MAX_TEXT_LENGTH,
    max_caption=MessageLimit.CAPTION_LENGTH,
    max_file_bytes=50 * 1024 * 1024,
    max_button_data=64,
)


DEFAULT_FILE_URL = "https://api.telegram.org/file/bot"


class _Bot(ExtBot[int]):
    """PTB's bot, and a way to send that reads back only the id of what it sent."""

    async def post_message(self, method: str, **params: Any) -> Any:
        """Call a Bot API method that answers with a message; its JSON, as sent back.

        PTB's own ``send_message`` builds a whole ``Message`` of the answer (about 0.2 ms
        of CPU on the development machine), of which the bot reads the id only. The
        request goes PTB's way all the same: the rate limiter, the HTTP request, the errors.
        """
        return await self._post(method, {k: v for k, v in params.items() if v is not None})


class TelegramChannel:
    """Runs a PTB Application whose only handler hands every update to ``Redebot``.

    Updates go into per-chat lanes: chats are handled side by side, one chat's
    updates in order. In webhook mode the update is processed before the 200, so
    Telegram redelivers what a crash interrupted (and ``update_id`` applies it once).
    """

    platform = PLATFORM
    capabilities = CAPABILITIES

    def __init__(
        self,
        *,
        settings: Settings,
        redebot: Redebot,
        router: Router,
        lanes: Lanes | None = None,
    ) -> None:
        if not settings.telegram_bot_token:
            raise ValueError("TELEGRAM_BOT_TOKEN is not set")
        self.settings = settings
        self.redebot = redebot
        self.router = router
        self.bot = _Bot(
            settings.telegram_bot_token,
            base_url=settings.telegram_api_base_url,
            # PTB's default unless set (the files' URL of the Bot API's own server).
            base_file_url=settings.telegram_api_file_url or DEFAULT_FILE_URL,
            rate_limiter=RedebotRateLimiter(group_rate_per_minute=settings.group_rate_per_minute),
            # aiohttp under PTB instead of httpx: a third of the CPU per call (telegram_http).
            request=AiohttpRequest(),
            get_updates_request=AiohttpRequest(connection_pool_size=1),
        )
        builder: ApplicationBuilder[Any, Any, Any, Any, Any, Any] = ApplicationBuilder().bot(
            self.bot
        )
        if settings.webhook_url:
            builder = builder.updater(None)
        self.application: Application[Any, Any, Any, Any, Any, Any] = builder.build()
        self.application.add_handler(TypeHandler(Update, self._on_update))
        self.application.add_error_handler(self._on_error)
        self._admins: dict[int, tuple[float, set[int]]] = {}
        self.lanes = lanes or Lanes()
        self.receiving = False

    # --- lifecycle ---------------------------------------------------------------------

    async def connect(self) -> None:
        """Ready to send (a worker process that only delivers stops here)."""
        await self.application.initialize()

    async def start(self) -> None:
        app = self.application
        await app.initialize()
        self.receiving = True
        await self.set_command_menu()
        if self.settings.webhook_url:
            await app.bot.set_webhook(
                url=self.settings.webhook_url.rstrip("/") + WEBHOOK_PATH,
                secret_token=self.settings.webhook_secret,
                allowed_updates=Update.ALL_TYPES,
            )
            await app.start()
        else:
            await app.start()
            assert app.updater is not None
            await app.updater.start_polling(allowed_updates=Update.ALL_TYPES, timeout=30)

    async def stop(self) -> None:
        app = self.application
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        await self.lanes.drain()
        if app.running:
            await app.stop()
        await app.shutdown()

    def webhook_routes(self) -> list[web.RouteDef]:
        """Telegram's webhook, in webhook mode (long polling serves none)."""
        return [web.post(WEBHOOK_PATH, self._webhook)] if self.settings.webhook_url else []

    async def _webhook(self, request: web.Request) -> web.Response:
        """Telegram posts here; requests without our secret token are refused."""
        secret = request.headers.get("X-Telegram-Bot-Api-Secret-Token")
        if not self.settings.webhook_secret or secret != self.settings.webhook_secret:
            return web.Response(status=403, text="forbidden")
        try:
            data = await request.json()
            update = Update.de_json(data, self.application.bot)
        except (ValueError, TypeError, KeyError):
            return web.Response(status=400, text="bad update")
        # Processed before the 200: a crash in between makes Telegram send it again.
        try:
            await self.lanes.submit(_lane(update), partial(self._process, update))
        except Exception:
            log.exception("a webhook update failed")
            return web.Response(status=500, text="error")
        return web.Response(text="ok")

    async def set_command_menu(self) -> None:
        """Member commands for everyone, all commands for the groups' administrators."""
        bot = self.application.bot
        commands = sorted(self.router.commands.values(), key=lambda c: c.name)
        for locale in SUPPORTED_LOCALES:
            language = None if locale == self.settings.default_locale else locale[:2]
            with use_locale(locale):
                members = [BotCommand(c.name, _(c.summary)) for c in commands if not c.coordinator]
                everyone = [BotCommand(c.name, _(c.summary)) for c in commands]
            try:
                for scope, listed in (
                    (BotCommandScopeDefault(), members),
                    (BotCommandScopeAllGroupChats(), members),
                    (BotCommandScopeAllChatAdministrators(), everyone),
                ):
                    await bot.set_my_commands(listed, scope=scope, language_code=language)
            except TelegramError:
                log.warning("could not set the command menu (%s)", locale, exc_info=True)

    # --- incoming ----------------------------------------------------------------------

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("error while handling %r", update, exc_info=context.error)

    async def _on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Long polling: queue the update in its chat's lane and take the next one."""
        self.lanes.post(_lane(update), partial(self._process, update))

    async def _process(self, update: Update) -> None:
        try:
            incoming = await self.to_incoming(update)
            if incoming is None:
                return
            replies = await self.redebot.respond(incoming)
        except Exception:
            log.exception("failed to process update %s", update.update_id)
            replies = []
        if update.callback_query is not None:
            # Answered last: the spinner stops once the group already shows the change.
            notice = next((r.notice for r in replies if r.notice), None)
            try:
                await update.callback_query.answer(
                    text=notice, show_alert=bool(notice and len(notice) > 180)
                )
            except TelegramError:
                log.warning("could not answer a button press", exc_info=True)

    async def _is_admin(self, chat_id: int, user_id: int) -> bool:
        now = _time.monotonic()
        cached = self._admins.get(chat_id)
        if cached is None or now - cached[0] > ADMIN_CACHE_SECONDS:
            try:
                admins = await self.application.bot.get_chat_administrators(chat_id)
            except TelegramError:
                log.warning("could not list the administrators of %s", chat_id, exc_info=True)
                return False
            cached = (
                now,
                {
                    a.user.id
                    for a in admins
                    if a.status in (ChatMember.ADMINISTRATOR, ChatMember.OWNER)
                },
            )
            self._admins[chat_id] = cached
        return user_id in cached[1]

    async def to_incoming(self, update: Update) -> Incoming | None:
        """Normalise one update; None for what the bot ignores."""
        chat = update.effective_chat
        user = update.effective_user
        if chat is None:
            return None
        kind = ChatKind.PRIVATE if chat.type == ChatType.PRIVATE else ChatKind.GROUP
        title = chat.title or ""
        base: dict[str, Any] = {
            "platform": PLATFORM,
            "chat_id": str(chat.id),
            "chat_kind": kind,
            "chat_title": title,
            "update_id": update.update_id,
        }
        bot_id = self.application.bot.id
        if update.my_chat_member is not None:
            change = update.my_chat_member
            was_in = change.old_chat_member.status not in (ChatMember.LEFT, ChatMember.BANNED)
            is_in = change.new_chat_member.status not in (ChatMember.LEFT, ChatMember.BANNED)
            if kind is ChatKind.GROUP and is_in and not was_in:
                return Incoming(sender=_person(change.from_user), event=Event.BOT_ADDED, **base)
            return None
        if update.callback_query is not None:
            query = update.callback_query
            is_admin = kind is ChatKind.GROUP and await self._is_admin(chat.id, query.from_user.id)
            pressed = query.message
            return Incoming(
                sender=_person(query.from_user, is_admin=is_admin),
                button=query.data or "",
                message_id=str(pressed.message_id) if isinstance(pressed, Message) else None,
                **base,
            )
        message = update.message or update.edited_message
        if message is None or user is None:
            return None
        if message.migrate_to_chat_id is not None:
            return Incoming(
                sender=_person(user),
                event=Event.MIGRATED,
                new_chat_id=str(message.migrate_to_chat_id),
                **base,
            )
        if message.migrate_from_chat_id is not None or update.edited_message is not None:
            return None
        text = message.text or message.caption or ""
        parsed = parse_command(text, self.application.bot.username)
        replied = message.reply_to_message
        to_bot = (
            replied is not None
            and replied.from_user is not None
            and (replied.from_user.id == bot_id)
        )
        if parsed is None:
            if text and (kind is ChatKind.PRIVATE or to_bot):
                # An answer to a question the bot asked (privacy mode lets these through).
                return Incoming(
                    sender=_person(user),
                    text=text,
                    reply_to_bot=True,
                    admin_checked=False,  # rights are looked up for commands and buttons
                    replied_text=(replied.text or replied.caption or "") if replied else "",
                    replied_message_id=str(replied.message_id) if replied else None,
                    message_id=str(message.message_id),
                    **base,
                )
            return None  # ordinary talk is not the bot's business
        command, args = parsed
        is_admin = False
        if kind is ChatKind.GROUP:
            anonymous = (
                user.id == ANONYMOUS_ADMIN_ID
                and message.sender_chat is not None
                and message.sender_chat.id == chat.id
            )
            is_admin = anonymous or await self._is_admin(chat.id, user.id)
        sender = _person(user, is_admin=is_admin)
        if user.id == ANONYMOUS_ADMIN_ID:
            sender = Person(user_id=str(chat.id), name=title or "Admin", is_admin=is_admin)
        reply_to = None
        if replied is not None and replied.from_user is not None and replied.from_user.id != bot_id:
            if not replied.from_user.is_bot:
                reply_to = _person(replied.from_user)
        attachment = None
        if message.document is not None:
            document = message.document
            bot = self.application.bot

            async def fetch(file_id: str = document.file_id) -> bytes:
                telegram_file = await bot.get_file(file_id)
                return bytes(await telegram_file.download_as_bytearray())

            attachment = Attachment(
                filename=document.file_name or "arquivo",
                mime_type=document.mime_type,
                fetch=fetch,
            )
        return Incoming(
            sender=sender,
            text=text,
            command=command,
            args=args,
            attachment=attachment,
            reply_to=reply_to,
            message_id=str(message.message_id),
            mentioned=_text_mentions(message, bot_id),
            **base,
        )

    # --- outgoing ----------------------------------------------------------------------

    async def deliver(self, chat_id: str, reply: Reply, origin: Incoming | None = None) -> Sent:
        """Send one reply; Telegram's errors become the channel layer's."""
        try:
            return await self._deliver(chat_id, reply, origin)
        except ChatMigrated as migrated:
            raise ChatMoved(str(migrated.new_chat_id)) from migrated
        except Forbidden as refused:
            if reply.to_user is not None:
                raise Unreachable(reply.to_user.user_id) from refused
            raise
        except (TimedOut, NetworkError) as failure:
            if isinstance(failure, BadRequest):
                raise
            raise Retryable(str(failure)) from failure

    async def _deliver(self, chat_id: str, reply: Reply, origin: Incoming | None) -> Sent:
        bot = self.bot
        text, entities = with_mentions(reply)
        if reply.edit and origin is not None and origin.message_id and reply.to_user is None:
            try:
                await bot.post_message(
                    "editMessageText",
                    chat_id=int(chat_id),
                    message_id=int(origin.message_id),
                    text=chunks(text, CAPABILITIES.max_text)[0],
                    entities=entities or None,
                    reply_markup=_markup(reply),
                )
            except BadRequest as refused:
                # A press that changes nothing (the same answer again) edits the message
                # into what it already shows: Telegram refuses that, and it is no failure.
                if "not modified" not in str(refused).lower():
                    raise
            return Sent((origin.message_id,))
        target = int(reply.to_user.user_id if reply.to_user else chat_id)
        ids: list[str] = []
        if reply.file is not None:
            caption = text if _utf16_len(text) <= MessageLimit.CAPTION_LENGTH else None
            sent = await bot.send_document(
                chat_id=target,
                document=InputFile(reply.file.content, filename=reply.file.filename),
                caption=caption,
                caption_entities=entities or None if caption else None,
                reply_markup=_markup(reply) if caption else None,
            )
            ids.append(str(sent.message_id))
            if caption is not None or not text:
                return Sent(tuple(ids))
        # Telegram counts UTF-16 units: with emoji beyond the BMP a part may hold half as many.
        size = (
            CAPABILITIES.max_text if _utf16_len(text) == len(text) else CAPABILITIES.max_text // 2
        )
        parts = chunks(text, size)
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            message = await bot.post_message(
                "sendMessage",
                chat_id=target,
                text=part,
                entities=(entities or None) if len(parts) == 1 else None,
                reply_markup=(_markup(reply) or _force_reply(reply)) if last else None,
                reply_parameters=_answering(reply, origin, target) if index == 0 else None,
            )
            ids.append(str(message["message_id"]))
        return Sent(tuple(ids))


def _lane(update: Update) -> str:
    """Updates of one chat share a lane (their order is kept); others run beside it."""
    chat = update.effective_chat
    return str(chat.id) if chat is not None else "-"
