"""Wiring shared by the entry point, the console and the tests."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.app import Redebot, build_router
from bot.clock import Clock
from bot.config import Settings
from bot.dispatcher import Dispatcher, Send
from bot.mail import Attachment, Mailer, MailError, NullMailer, SmtpMailer, build_message
from bot.messages import MailOut
from bot.router import Router
from storage.db import make_engine, migrate, session_factory


@dataclass
class Runtime:
    """The database, the assistant and its dispatcher, ready to be given a channel."""

    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    router: Router
    redebot: Redebot
    clock: Clock
    dispatcher: Dispatcher | None = None

    def attach_sender(self, send: Send, mailer: Mailer | None = None) -> Dispatcher:
        """Create the dispatcher that sends due rows through ``send`` (and e-mails)."""
        mail_settings = self.settings.mail_settings()
        if mailer is None:
            mailer = SmtpMailer(mail_settings) if mail_settings else NullMailer()

        async def send_mail(out: MailOut) -> None:
            if mail_settings is None:
                raise MailError("SMTP is not configured (SMTP_HOST)")
            await mailer.send(
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

        self.dispatcher = Dispatcher(
            sessions=self.sessions,
            router=self.router,
            settings=self.settings,
            clock=self.clock,
            send=send,
            send_mail=send_mail,
        )
        self.redebot.on_scheduled = self.dispatcher.wake
        return self.dispatcher

    async def close(self) -> None:
        await self.engine.dispose()


async def open_runtime(settings: Settings, clock: Clock) -> Runtime:
    """Connect, apply migrations, and build the assistant."""
    engine = make_engine(settings.database_url)
    await migrate(engine)
    sessions = session_factory(engine)
    router = build_router()
    redebot = Redebot(settings=settings, sessions=sessions, clock=clock, router=router)
    return Runtime(settings, engine, sessions, router, redebot, clock)
