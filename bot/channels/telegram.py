"""Telegram channel (python-telegram-bot): updates -> Incoming, Reply -> Bot API calls."""

from __future__ import annotations

import logging
import time as _time
from collections.abc import Callable, Coroutine
from typing import Any

from aiohttp import web
from telegram import (
    BotCommand,
    BotCommandScopeAllChatAdministrators,
    BotCommandScopeAllGroupChats,
    BotCommandScopeDefault,
    ChatMember,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    Message,
    MessageEntity,
    Update,
    User,
)
from telegram.constants import ChatType, MessageLimit
from telegram.error import ChatMigrated, Forbidden, TelegramError
from telegram.ext import Application, ApplicationBuilder, ContextTypes, TypeHandler

from bot.app import Redebot
from bot.channels.telegram_limits import RedebotRateLimiter
from bot.config import Settings
from bot.i18n import SUPPORTED_LOCALES, use_locale
from bot.i18n import gettext as _
from bot.messages import Attachment, ChatKind, Event, Incoming, Person, Reply
from bot.router import Router
from storage.models import Network

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


def _chunks(text: str, size: int = MessageLimit.MAX_TEXT_LENGTH) -> list[str]:
    """Split a long text at line breaks so each part fits in one message."""
    if len(text) <= size:
        return [text]
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > size:
            parts.append(line[:size])
            line = line[size:]
        if len(current) + len(line) + 1 > size:
            parts.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    if current:
        parts.append(current)
    return parts


class TelegramChannel:
    """Runs a PTB Application whose only handler hands every update to ``Redebot``."""

    def __init__(
        self,
        *,
        settings: Settings,
        redebot: Redebot,
        router: Router,
        on_migrated: Callable[[str, str], Coroutine[Any, Any, None]] | None = None,
    ) -> None:
        if not settings.telegram_bot_token:
            raise ValueError("TELEGRAM_BOT_TOKEN is not set")
        self.settings = settings
        self.redebot = redebot
        self.router = router
        builder: ApplicationBuilder[Any, Any, Any, Any, Any, Any] = (
            ApplicationBuilder()
            .token(settings.telegram_bot_token)
            .base_url(settings.telegram_api_base_url)
            .rate_limiter(RedebotRateLimiter(group_rate_per_minute=settings.group_rate_per_minute))
        )
        if settings.telegram_api_file_url:
            builder = builder.base_file_url(settings.telegram_api_file_url)
        if settings.webhook_url:
            builder = builder.updater(None)
        self.application: Application[Any, Any, Any, Any, Any, Any] = builder.build()
        self.application.add_handler(TypeHandler(Update, self._on_update))
        self.application.add_error_handler(self._on_error)
        self._admins: dict[int, tuple[float, set[int]]] = {}

    # --- lifecycle ---------------------------------------------------------------------

    async def start(self) -> None:
        app = self.application
        await app.initialize()
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
        if app.running:
            await app.stop()
        await app.shutdown()

    def webhook_routes(self) -> list[web.RouteDef]:
        return [web.post(WEBHOOK_PATH, self._webhook)]

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
        await self.application.update_queue.put(update)
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
        incoming = await self.to_incoming(update)
        if incoming is None:
            return
        replies = await self.redebot.handle(incoming)
        message = update.callback_query.message if update.callback_query else None
        for reply in replies:
            if not reply.text and reply.file is None:
                continue
            try:
                if reply.edit and isinstance(message, Message):
                    await self._edit(message, reply)
                else:
                    await self.send_to(incoming.chat_id, reply)
            except ChatMigrated as migrated:
                new_id = str(migrated.new_chat_id)
                await self.redebot.follow_migration(PLATFORM, incoming.chat_id, new_id)
                await self.send_to(new_id, reply)
            except Forbidden:
                if reply.to_user is None or incoming.chat_kind is ChatKind.PRIVATE:
                    log.warning("not allowed to write to %s", incoming.chat_id)
                    continue
                # The person blocked the bot in private: ask in the group instead.
                await self._send_quietly(
                    incoming.chat_id,
                    Reply(text=reply.text, mentions=(incoming.sender,), buttons=reply.buttons),
                )
            except TelegramError:
                log.exception("could not send a reply to %s", incoming.chat_id)
        if update.callback_query is not None:
            # Answered last: the spinner stops once the group already shows the change.
            notice = next((r.notice for r in replies if r.notice), None)
            try:
                await update.callback_query.answer(
                    text=notice, show_alert=bool(notice and len(notice) > 180)
                )
            except TelegramError:
                log.warning("could not answer a button press", exc_info=True)

    async def _send_quietly(self, chat_id: str, reply: Reply) -> None:
        try:
            await self.send_to(chat_id, reply)
        except TelegramError:
            log.exception("could not send a reply to %s", chat_id)

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
            return Incoming(
                sender=_person(query.from_user, is_admin=is_admin), button=query.data or "", **base
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
                    replied_text=(replied.text or replied.caption or "") if replied else "",
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
            **base,
        )

    # --- outgoing ----------------------------------------------------------------------

    async def _edit(self, message: Message, reply: Reply) -> None:
        text, entities = with_mentions(reply)
        await self.application.bot.edit_message_text(
            chat_id=message.chat_id,
            message_id=message.message_id,
            text=_chunks(text)[0],
            entities=entities or None,
            reply_markup=_markup(reply),
        )

    async def send_to(self, chat_id: str, reply: Reply) -> None:
        """Send ``reply`` to ``chat_id`` (or privately to ``reply.to_user``)."""
        bot = self.application.bot
        target: int | str = int(reply.to_user or chat_id)
        text, entities = with_mentions(reply)
        if reply.file is not None:
            caption = text if _utf16_len(text) <= MessageLimit.CAPTION_LENGTH else None
            await bot.send_document(
                chat_id=target,
                document=InputFile(reply.file.content, filename=reply.file.filename),
                caption=caption,
                caption_entities=entities or None if caption else None,
                reply_markup=_markup(reply) if caption else None,
            )
            if caption is not None or not text:
                return
        parts = _chunks(text)
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            await bot.send_message(
                chat_id=target,
                text=part,
                entities=(entities or None) if len(parts) == 1 else None,
                reply_markup=_markup(reply) if last else None,
            )

    async def send(self, network: Network, reply: Reply) -> None:
        """The dispatcher's way out; follows a group that became a supergroup."""
        try:
            await self.send_to(network.chat_id, reply)
        except ChatMigrated as migrated:
            new_id = str(migrated.new_chat_id)
            await self.redebot.follow_migration(PLATFORM, network.chat_id, new_id)
            await self.send_to(new_id, reply)
