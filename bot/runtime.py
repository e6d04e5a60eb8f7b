"""Wiring shared by the entry point, the console and the tests."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.app import Redebot
from bot.channels.base import Capabilities, Channel, InProcessChannel, Sent
from bot.clock import Clock
from bot.config import Settings
from bot.delivery import Courier
from bot.dispatcher import Dispatcher, SendMail
from bot.mail import Attachment, Mailer, SmtpMailer, build_message
from bot.messages import Incoming, MailOut, Reply
from bot.router import Router
from bot.wiring import build_router
from storage.db import make_engine, migrate, session_factory

Send = Callable[[str, Reply], Awaitable[None]]


class CallbackChannel(InProcessChannel):
    """A channel that hands every reply to a function (tests; any platform)."""

    platform = "*"

    def __init__(self, send: Send, capabilities: Capabilities | None = None) -> None:
        self._send = send
        self.capabilities = capabilities or Capabilities()

    async def deliver(self, chat_id: str, reply: Reply, origin: Incoming | None = None) -> Sent:
        await self._send(chat_id, reply)
        return Sent()


@dataclass
class Runtime:
    """The database, the assistant, its channels and its dispatcher."""

    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    router: Router
    redebot: Redebot
    clock: Clock
    courier: Courier
    dispatcher: Dispatcher | None = None

    def add_channel(self, channel: Channel) -> None:
        """Serve ``channel``'s platform: its networks' messages go out through it."""
        self.courier.add(channel)

    def start_dispatcher(self, mailer: Mailer | None = None) -> Dispatcher:
        """Create the dispatcher that sends due rows through the channels (and e-mails)."""
        self.dispatcher = Dispatcher(
            sessions=self.sessions,
            router=self.router,
            settings=self.settings,
            clock=self.clock,
            courier=self.courier,
            send_mail=self._send_mail(mailer),
        )
        self.redebot.on_scheduled = self.dispatcher.wake
        return self.dispatcher

    def attach_sender(self, send: Send, mailer: Mailer | None = None) -> Dispatcher:
        """Tests and tools: every platform's replies go to ``send(chat_id, reply)``."""
        self.courier.fallback = CallbackChannel(send)
        return self.start_dispatcher(mailer)

    def _send_mail(self, mailer: Mailer | None) -> SendMail | None:
        """E-mail through SMTP, or None when it is not configured (the e-mail step is off)."""
        mail_settings = self.settings.mail_settings()
        if mail_settings is None:
            return None
        smtp: Mailer = mailer or SmtpMailer(mail_settings)

        async def send_mail(out: MailOut) -> None:
            await smtp.send(
                build_message(
                    settings=mail_settings,
                    to=out.to,
                    subject=out.subject,
                    body=out.body,
                    now=self.clock.now(),
                    attachments=[
                        Attachment(f.filename, f.content, f.mime_type) for f in out.attachments
                    ],
                )
            )

        return send_mail

    async def close(self) -> None:
        await self.engine.dispose()


async def open_runtime(settings: Settings, clock: Clock) -> Runtime:
    """Connect, apply migrations, and build the assistant."""
    engine = make_engine(settings.database_url)
    await migrate(engine)
    sessions = session_factory(engine)
    router = build_router()
    courier = Courier(sessions=sessions, clock=clock)
    redebot = Redebot(
        settings=settings, sessions=sessions, clock=clock, router=router, courier=courier
    )
    return Runtime(settings, engine, sessions, router, redebot, clock, courier)
