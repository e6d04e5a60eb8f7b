"""The assistant: applies one normalised message at a time, in one transaction.

It knows no feature: the router it is given (``bot.wiring.build_router``) does."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.config import Settings
from bot.delivery import Courier, with_files
from bot.errors import UserError
from bot.i18n import N_, use_locale
from bot.i18n import gettext as _
from bot.messages import ChatKind, Event, Incoming, Person, Reply
from bot.router import Context, PrivateContext, Router
from bot.rules import dates
from bot.rules.choices import match_choice, subject
from storage import repo
from storage.models import Member, Network, Question

log = logging.getLogger(__name__)

# How long the bot waits for the answer to a question it asked.
QUESTION_LIFETIME = timedelta(days=3)
# A plain private text that answers nothing is told where the bot works once a day.
HINT_EVERY = timedelta(days=1)
# How long typed answers to a message of options count (polls live for days).
CHOICE_LIFETIME = timedelta(days=30)


def _group_talk(msg: Incoming) -> bool:
    """A group message that is neither a command, a button, a vote, an event nor an
    answer to the bot (a WhatsApp bridge hands every message of the group)."""
    return (
        msg.chat_kind is ChatKind.GROUP
        and msg.command is None
        and msg.button is None
        and msg.event is None
        and not msg.vote
        and not msg.reply_to_bot
        and not msg.replied_message_id
    )


class Redebot:
    """Turns an ``Incoming`` into replies; storage is the only state it keeps."""

    def __init__(
        self,
        *,
        settings: Settings,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        router: Router,
        on_scheduled: Callable[[], None] | None = None,
        courier: Courier | None = None,
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.clock = clock
        self.router = router
        self.on_scheduled = on_scheduled or (lambda: None)
        self.courier = courier

    async def respond(self, msg: Incoming) -> list[Reply]:
        """Handle ``msg``, then send its replies through its channel (after the commit)."""
        replies = await self.handle(msg)
        if self.courier is None:
            return replies
        reached = True  # the last private reply reached the person
        for reply in replies:
            if reply.after_private and not reached:
                continue  # "I sent it in private": it was not
            try:
                sent = await self.courier.send(
                    platform=msg.platform, chat_id=msg.chat_id, reply=reply, origin=msg
                )
            except Exception:
                log.exception("could not send a reply in %s", msg.chat_id)
                sent = None
            if reply.to_user is not None:
                reached = sent is not None and not sent.in_group_instead
        return replies

    async def handle(self, msg: Incoming) -> list[Reply]:
        """Apply ``msg`` once; user errors and crashes become short replies, never exceptions.

        Nothing waits inside the transaction: a file is downloaded before it begins,
        and late files (PDFs) are built after its commit (ARCHITECTURE.md, decision 5).
        """
        locale = self.settings.default_locale
        if _group_talk(msg):
            return []  # not the bot's business: nothing is stored or logged
        msg = _without_nul(msg)
        if msg.command is not None:
            # "/Próxima", "/PROXIMA", "/reuniao": the command's own name from here on.
            command = self.router.canonical(msg.command)
            if command != msg.command:
                msg = replace(msg, command=command)
        try:
            msg = await self._prefetch(msg)
            async with self.sessions() as session, session.begin():
                now = self.clock.now()
                if msg.update_id is not None and not await repo.mark_update_processed(
                    session=session, platform=msg.platform, update_id=msg.update_id, now=now
                ):
                    log.info("update %s already applied; ignored", msg.update_id)
                    return []
                if msg.identities_vary:
                    msg = await self._one_person_one_id(session, msg)
                if msg.chat_kind is ChatKind.PRIVATE:
                    typed = await self._typed_choice(session, msg, now)
                    if typed is None:
                        return []
                    replies, locale = await self._private(session, typed, now)
                else:
                    network, created, found = await self._network(session, msg, now)
                    if network is None:
                        return []
                    locale = network.locale
                    with use_locale(locale), dates.reading(now, network.timezone):
                        typed = await self._typed_choice(session, msg, now)
                        if typed is None:
                            return []
                        msg = typed
                        replies = await self._in_group(session, msg, network, created, found, now)
            if session.info.get(repo.SCHEDULED_FLAG):
                self.on_scheduled()
            with use_locale(locale):
                return [await self._built(reply) for reply in replies]
        except UserError as error:
            with use_locale(locale):
                text = error.render()
            if msg.vote and not await self._first_vote_error(msg):
                return []  # said once to this voter about this poll: the rest is noise
            if msg.button is not None or msg.vote:
                return [Reply(text="", notice=text, error=True)]
            return [Reply(text=text)]
        except Exception:
            log.exception("failed to handle an update in %s", msg.chat_id)
            with use_locale(locale):
                return [Reply(text=_("Sorry, something went wrong on my side. Please try again."))]

    async def _built(self, reply: Reply) -> Reply:
        """A late file, built; if building fails, that reply alone becomes the apology
        (what the update saved is saved, and the other replies still go out)."""
        try:
            return await with_files(reply)
        except Exception:
            log.exception("could not build %s", reply.file.filename if reply.file else "a file")
            return Reply(text=_("Sorry, something went wrong on my side. Please try again."))

    async def _prefetch(self, msg: Incoming) -> Incoming:
        """Download a command's file before any transaction opens (only for commands that
        take one: a file sent with another command is never downloaded)."""
        attachment = msg.attachment
        command = self.router.commands.get(msg.command or "")
        if attachment is None or command is None:
            return msg
        if not command.accepts_file:
            return replace(msg, attachment=None)
        try:
            content = await attachment.fetch()
        except Exception as exc:
            # Not the file's name: it is screened for personal data only once downloaded.
            log.warning("could not download a file: %r", exc)
            raise UserError(N_("I could not download the file. Please send it again.")) from exc

        async def fetched() -> bytes:
            return content

        return replace(msg, attachment=replace(attachment, fetch=fetched))

    async def _typed_choice(
        self, session: AsyncSession, msg: Incoming, now: datetime
    ) -> Incoming | None:
        """A vote, or a reply quoting a message of options (no buttons here), presses the
        chosen option. None: nothing to do (someone else's message quoted, an empty or
        unknown vote, an answer older than one already applied)."""
        if msg.command is not None or msg.button is not None or not msg.replied_message_id:
            return msg
        choice = await repo.choice_for(
            session=session,
            platform=msg.platform,
            chat_id=msg.chat_id,
            message_id=msg.replied_message_id,
            since=now - CHOICE_LIFETIME,
        )
        if choice is None:
            # Not one of the bot's messages we know: only the channel's word counts.
            return None if msg.vote or not msg.reply_to_bot else msg
        options = [(str(label), str(value)) for label, value in choice.options]
        if msg.vote:
            data = next((value for label, value in options if label == msg.text), None)
        else:
            data = match_choice(msg.text, options) if options else None
        if data is None:
            return None if msg.vote else replace(msg, reply_to_bot=True)
        if msg.acted_at_ms is not None and not await repo.newer_answer(
            session=session,
            platform=msg.platform,
            chat_id=msg.chat_id,
            subject=subject(options),
            user_id=msg.sender.user_id,
            answered_ms=msg.acted_at_ms,
            now=now,
        ):
            log.info("an older answer to a choice in %s arrived late; ignored", msg.chat_id)
            return None
        return replace(msg, button=data, reply_to_bot=False, text="")

    async def _one_person_one_id(self, session: AsyncSession, msg: Incoming) -> Incoming:
        """The platform names people in more than one way: use one id per person."""

        async def one(person: Person) -> Person:
            user_id = await repo.canonical_user(
                session=session,
                platform=msg.platform,
                user_id=person.user_id,
                aliases=person.aliases,
            )
            return replace(person, user_id=user_id, aliases=())

        return replace(
            msg,
            sender=await one(msg.sender),
            reply_to=await one(msg.reply_to) if msg.reply_to is not None else None,
            mentioned=tuple([await one(p) for p in msg.mentioned]),
        )

    async def _first_vote_error(self, msg: Incoming) -> bool:
        """True the first time a mistake is said to this voter about this poll."""
        async with self.sessions() as session, session.begin():
            # The group's network, or the one whose coordination chat this is.
            network, _member = await repo.network_and_member(
                session=session,
                platform=msg.platform,
                chat_id=msg.chat_id,
                user_id=msg.sender.user_id,
            )
            if network is None:
                return True
            user_id = await repo.canonical_user(
                session=session,
                platform=msg.platform,
                user_id=msg.sender.user_id,
                aliases=msg.sender.aliases,
            )
            key = f"vote-error:{msg.replied_message_id}:{user_id}"[:120]
            return await repo.first_notice(
                session=session, network_id=network.id, key=key, now=self.clock.now()
            )

    async def _network(
        self, session: AsyncSession, msg: Incoming, now: datetime
    ) -> tuple[Network | None, bool, Member | None]:
        """The chat's network (created if new), whether it is new, and the sender's member
        row in it if there is one (looked up in the same query)."""
        if msg.event is Event.MIGRATED and msg.new_chat_id:
            network = await repo.move_network(
                session=session,
                platform=msg.platform,
                old_chat_id=msg.chat_id,
                new_chat_id=msg.new_chat_id,
            )
            if network is not None:
                log.info("network followed its group %s -> %s", msg.chat_id, msg.new_chat_id)
            return None, False, None
        network, member = await repo.network_and_member(
            session=session,
            platform=msg.platform,
            chat_id=msg.chat_id,
            user_id=msg.sender.user_id,
        )
        if network is not None:
            in_group = network.chat_id == msg.chat_id  # else its coordination chat
            if in_group and msg.chat_title and network.title != msg.chat_title:
                network.title = msg.chat_title
            return network, False, member
        network = await repo.create_network(
            session=session,
            platform=msg.platform,
            chat_id=msg.chat_id,
            title=msg.chat_title,
            timezone=self.settings.default_timezone,
            state=self.settings.default_state,
            locale=self.settings.default_locale,
            now=now,
        )
        log.info("new network %s for chat %s", network.id, msg.chat_id)
        return network, True, None

    async def _in_group(
        self,
        session: AsyncSession,
        msg: Incoming,
        network: Network,
        created: bool,
        found: Member | None,
        now: datetime,
    ) -> list[Reply]:
        if network.chat_id != msg.chat_id:
            return await self._in_coordination(session, msg, network, found, now)
        if msg.event is Event.BOT_ADDED:
            return self.router.greet(network)
        if msg.event is Event.GROUP_SEEN:
            return self.router.greet(network) if created else []
        if msg.event is Event.ADMINS_CHANGED:
            for person in msg.mentioned:
                found = await repo.member(
                    session=session, network_id=network.id, user_id=person.user_id
                )
                if found is not None:
                    found.is_admin = msg.text == "promote"
            return []
        member = await repo.refresh_member(
            session=session,
            found=found,
            network_id=network.id,
            user_id=msg.sender.user_id,
            name=msg.sender.name,
            username=msg.sender.username,
            now=now,
        )
        if msg.admin_checked and member.is_admin != msg.sender.is_admin:
            # The channel looked the sender's rights up (Telegram: for commands and buttons).
            member.is_admin = msg.sender.is_admin
        is_admin = msg.sender.is_admin if msg.admin_checked else member.is_admin
        ctx = self._context(session, msg, network, member, now, admin=is_admin)
        if msg.command is None and msg.button is None:
            return await self._answer(ctx, [member.id])
        replies = await self.router.dispatch(ctx)
        if created and msg.command is not None:
            replies[:0] = self.router.greet(network)
        return replies

    async def _in_coordination(
        self,
        session: AsyncSession,
        msg: Incoming,
        network: Network,
        found: Member | None,
        now: datetime,
    ) -> list[Reply]:
        """A message in the network's coordination chat (issue 14): it acts on the network,
        as its members; that chat's admins and events change nothing in the network."""
        if msg.event is not None:
            return []
        if found is None:
            if msg.command is None:
                return []
            return [
                Reply(
                    text=_(
                        "This chat is the coordination chat of {network}: only the "
                        "network's members use me here."
                    ).format(network=network.title or _("the network"))
                )
            ]
        ctx = self._context(session, msg, network, found, now, admin=found.is_admin)
        if msg.command is None and msg.button is None:
            return await self._answer(ctx, [found.id])
        return await self.router.dispatch(ctx)

    async def _answer(self, ctx: Context, member_ids: list[int]) -> list[Reply]:
        """A plain text: the answer to an open question the bot asked (the newest that takes
        it), else a reply one of the reply handlers claims."""
        questions = await repo.open_questions(
            session=ctx.session, member_ids=member_ids, since=ctx.now - QUESTION_LIFETIME
        )
        for question in questions:
            answered = await self._answer_question(ctx, question)
            if answered is not None:
                return answered
        if ctx.msg.chat_kind is ChatKind.GROUP:
            for claim in self.router.replies:
                replies = await claim(ctx)
                if replies is not None:
                    return replies
        return []

    async def _answer_question(self, ctx: Context, question: Question) -> list[Reply] | None:
        """The question's handler's answer; None when the text answers something else."""
        # A kind may carry what the question is about after a colon ("devolutiva:12").
        handler = self.router.answers.get(question.kind.partition(":")[0])
        return None if handler is None else await handler(ctx, question)

    async def _private(
        self, session: AsyncSession, msg: Incoming, now: datetime
    ) -> tuple[list[Reply], str]:
        """A private chat: /start makes the person reachable; a text may answer a question."""
        locale = self.settings.default_locale
        # Whoever writes to the bot privately may get private answers from now on.
        contact = await repo.add_contact(
            session=session, platform=msg.platform, user_id=msg.sender.user_id, now=now
        )
        own = self.router.private_commands.get(msg.command or "")
        if own is not None or msg.button is not None:
            places = await self._places(session, msg, now)
            if msg.button is not None:
                return await self._private_press(msg, places), locale
            assert own is not None
            # What is said beside the networks' own parts: in the first one's language.
            locale = places[0].network.locale if places else locale
            with use_locale(locale):
                replies = await own(
                    PrivateContext(
                        msg=msg, session=session, now=now, settings=self.settings, places=places
                    )
                )
            return replies, locale
        if msg.command is not None:
            with use_locale(locale):
                if msg.command in {"start", "ajuda", "help"}:
                    text = _(
                        "Hi! I am redebot, the assistant of your Rede de Proteção Social. "
                        "I work in the network's group: add me to it and send /ajuda there. "
                        "Here I will send you private notices when needed, and here you can "
                        "see or erase what I hold about you: /meusdados, /apagarmeusdados."
                    )
                else:
                    text = _(
                        "Please use the commands in the network's group. Here: /meusdados "
                        "and /apagarmeusdados."
                    )
            return [Reply(text=text)], locale
        # The person may have questions open in several networks: the newest whose handler
        # takes the text answers it (a group's step-by-step conversation takes none here).
        by_member = {p.member.id: p for p in await self._places(session, msg, now)}
        questions = await repo.open_questions(
            session=session,
            member_ids=list(by_member),
            since=now - QUESTION_LIFETIME,
            private=True,  # one asked in a group is answered there
        )
        for question in questions:
            ctx = by_member.get(question.member_id)
            if ctx is None:
                continue
            network = ctx.network
            with use_locale(network.locale), dates.reading(now, network.timezone):
                answered = await self._answer_question(ctx, question)
            if answered is not None:
                return answered, network.locale
        if contact.hinted_at is not None and now - contact.hinted_at < HINT_EVERY:
            return [], locale  # said today already: private chatter gets no echo
        contact.hinted_at = now
        with use_locale(locale):
            return [Reply(text=_("Please use the commands in the network's group."))], locale

    async def _places(self, session: AsyncSession, msg: Incoming, now: datetime) -> list[Context]:
        """The sender's member rows, one Context each (in the network's own terms)."""
        rows = await repo.members_of_user(
            session=session, platform=msg.platform, user_id=msg.sender.user_id
        )
        places = []
        for member in rows:
            network = await session.get(Network, member.network_id)
            if network is not None:
                places.append(self._context(session, msg, network, member, now, admin=False))
        return places

    def _context(
        self,
        session: AsyncSession,
        msg: Incoming,
        network: Network,
        member: Member,
        now: datetime,
        *,
        admin: bool,
    ) -> Context:
        """What a handler gets; ``admin``: the sender administers the chat (a coordinator
        there whatever the member row says)."""
        return Context(
            msg=msg,
            session=session,
            network=network,
            member=member,
            now=now,
            settings=self.settings,
            is_coordinator=admin or member.is_coordinator,
            hooks=self.router.hooks,
        )

    async def _private_press(self, msg: Incoming, places: list[Context]) -> list[Reply]:
        """A button pressed in the private chat: only the member it names, who must be the
        sender, in that member's network."""
        assert msg.button is not None
        member_id = self.router.private_member(msg.button)
        place = next((p for p in places if p.member.id == member_id), None)
        if member_id is None or place is None:
            # Not a button of the private chat, or its member is gone (already erased).
            raise UserError(N_("This choice is no longer valid."))
        with use_locale(place.network.locale), dates.reading(place.now, place.network.timezone):
            return await self.router.dispatch_button(place, msg.button)


def _without_nul(msg: Incoming) -> Incoming:
    """NUL bytes are never meant (PostgreSQL refuses them in text): drop them from what
    was typed before anything reads it."""
    if "\x00" not in msg.text and "\x00" not in msg.args and "\x00" not in (msg.command or ""):
        return msg
    return replace(
        msg,
        text=msg.text.replace("\x00", ""),
        args=msg.args.replace("\x00", ""),
        command=msg.command.replace("\x00", "") if msg.command else msg.command,
    )
