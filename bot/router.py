"""Commands, buttons and scheduled-message renderers, registered by feature modules."""

from __future__ import annotations

import contextlib
import difflib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.buttons import ButtonData, StaleButton, decode, prefix_of
from bot.config import Settings
from bot.errors import UserError
from bot.i18n import N_, use_locale
from bot.messages import Incoming, MailOut, Reply
from bot.rules import dates
from bot.rules.choices import normalise
from bot.rules.kinds import Kind, failed
from storage.models import Meeting, Member, Network, Question, ScheduledMessage

log = logging.getLogger(__name__)


@dataclass
class Context:
    """What a handler gets: the message, who sent it, the network, the session and now."""

    msg: Incoming
    session: AsyncSession
    network: Network
    member: Member
    now: datetime
    settings: Settings
    is_coordinator: bool
    # What other features do when this one changes something (Router.on_cancelled…).
    hooks: Hooks | None = None

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.network.timezone)


Handler = Callable[[Context], Awaitable[list[Reply]]]


@dataclass
class PrivateContext:
    """A command in a private chat with the bot: the person and, for each network where
    they are a member, the Context a group command of theirs would get there."""

    msg: Incoming
    session: AsyncSession
    now: datetime
    settings: Settings
    places: list[Context]

    async def each(self, handler: Handler) -> list[Reply]:
        """``handler`` once per network, each in its network's language and time zone."""
        replies: list[Reply] = []
        for place in self.places:
            with use_locale(place.network.locale), dates.reading(self.now, place.network.timezone):
                replies += await handler(place)
        return replies


PrivateHandler = Callable[[PrivateContext], Awaitable[list[Reply]]]
# Handles a person's reply to a question the bot asked them (see storage.models.Question);
# None: the text answers something else (the other reply handlers may claim it).
AnswerHandler = Callable[[Context, Question], Awaitable[list[Reply] | None]]
# Runs before every command (a conversation left open ends when its person sends another).
CommandHook = Callable[[Context], Awaitable[None]]
ReplyHandler = Callable[[Context], Awaitable[list[Reply] | None]]
# A button's handler gets its payload already parsed into the type it registered.
B = TypeVar("B", bound=ButtonData)
ButtonHandler = Callable[[Context, B], Awaitable[list[Reply]]]
Greeting = Callable[[Network], Reply]
# A feature's part when a meeting is cancelled (convocation: e-mail and mention the convened),
# or its cancellation undone (the same people hear it is back on).
CancelHook = Callable[[Context, Meeting, Reply], Awaitable[Reply]]
RestoreHook = CancelHook


class Scope(Protocol):
    """What a hook or an agenda section gets: the session, network and now of the update
    (Context) or of the scheduled row (ScheduledContext) it runs in. Handlers pass it on
    to services; they never query through it."""

    @property
    def session(self) -> AsyncSession: ...
    @property
    def network(self) -> Network: ...
    @property
    def now(self) -> datetime: ...


# A feature's messages when a meeting opens (rotation: the secretary and the ata's author).
OpenHook = Callable[[Scope, Meeting], Awaitable[list[Reply]]]


@dataclass
class Hooks:
    """What features subscribe to, so the one that acts needs not import them."""

    cancelled: list[CancelHook] = field(default_factory=list)
    restored: list[RestoreHook] = field(default_factory=list)
    opened: list[OpenHook] = field(default_factory=list)

    async def meeting_opened(self, ctx: Context, meeting: Meeting) -> list[Reply]:
        replies: list[Reply] = []
        for hook in self.opened:
            replies += await hook(ctx, meeting)
        return replies

    async def meeting_cancelled(self, ctx: Context, meeting: Meeting, reply: Reply) -> Reply:
        for hook in self.cancelled:
            reply = await hook(ctx, meeting, reply)
        return reply

    async def meeting_restored(self, ctx: Context, meeting: Meeting, reply: Reply) -> Reply:
        for hook in self.restored:
            reply = await hook(ctx, meeting, reply)
        return reply


CalendarFeed = Callable[[AsyncSession, Network, datetime], Awaitable[bytes]]


# Lines a feature adds to the next meeting's agenda in the monthly announcement
# (atas awaiting approval, overdue devolutivas): the announcement knows no feature.
AgendaSection = Callable[[Scope], Awaitable[list[str]]]


@dataclass(frozen=True)
class ScheduledContext:
    session: AsyncSession
    network: Network
    row: ScheduledMessage
    now: datetime
    settings: Settings
    # The agenda sections features contribute, in their order (Router.agenda).
    agenda: tuple[AgendaSection, ...] = ()
    # For a "<kind>:failed" renderer: what went wrong, and whether the bot gave up.
    error: str | None = None
    final: bool = False


# Returns the messages to send; an empty list means "nothing to say any more".
Renderer = Callable[[ScheduledContext], Awaitable[Sequence[Reply | MailOut]]]


@dataclass(frozen=True)
class KindOptions:
    """How the dispatcher treats a scheduled kind (issue 9 §7).

    ``collapse``: rows of one series (the key up to its last ":") supersede each
    other; after a gap only the newest due one is rendered. ``quiet``: the row waits
    for the end of the network's quiet hours (unless its meeting is urgent).
    """

    collapse: bool = False
    quiet: bool = True


@dataclass(frozen=True)
class Command:
    name: str
    handler: Handler
    summary: str  # msgid shown by /ajuda
    example: str
    coordinator: bool = False
    accepts_file: bool = False


class Router:
    """One place that knows every command, button prefix and scheduled kind."""

    def __init__(self) -> None:
        self.commands: dict[str, Command] = {}
        # Other names people type for a command (/reuniao for /proxima): name -> command.
        self.aliases: dict[str, str] = {}
        self.buttons: dict[str, tuple[type[ButtonData], ButtonHandler[Any]]] = {}
        # Commands that also work in a private chat with the bot (/meusdados), and the
        # button prefixes pressable there (their payload names the member who may press).
        self.private_commands: dict[str, PrivateHandler] = {}
        self.private_buttons: set[str] = set()
        self.renderers: dict[str, Renderer] = {}
        self.kind_options: dict[str, KindOptions] = {}
        self.answers: dict[str, AnswerHandler] = {}
        # Plain replies to the bot that answer no question: each may claim it (None: not mine).
        self.replies: list[ReplyHandler] = []
        # What the bot says when it joins a group (registered by the admin feature).
        self.greeting: Greeting | None = None
        # The network's calendar as ICS, for the subscription link (the calendar feature).
        self.calendar_feed: CalendarFeed | None = None
        self._agenda: list[tuple[int, AgendaSection]] = []
        self.hooks = Hooks()
        self.command_hooks: list[CommandHook] = []

    def command(
        self,
        name: str,
        summary: str,
        example: str,
        *,
        coordinator: bool = False,
        accepts_file: bool = False,
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            if name in self.commands or name in self.aliases:
                raise ValueError(f"command /{name} registered twice")
            self.commands[name] = Command(
                name, handler, summary, example, coordinator, accepts_file
            )
            return handler

        return register

    def alias(self, name: str, command: str) -> None:
        """``/name`` does what ``/command`` does (a short Portuguese word people type)."""
        if name in self.commands or name in self.aliases:
            raise ValueError(f"command /{name} registered twice")
        self.aliases[name] = command

    def canonical(self, typed: str) -> str:
        """The command's registered name for what a phone sent: "/Próxima", "/PROXIMA",
        "/proxima!" and "/reuniao" are all /proxima. An unknown name comes back lower-case
        and accent-free (the error names it so, and suggests the nearest)."""
        if typed in self.commands:
            return typed  # as registered already (most commands): nothing to normalise
        name = normalise(typed).replace(" ", "_")
        return self.aliases.get(name, name)

    def nearest(self, name: str, *, coordinator: bool) -> list[str]:
        """Up to two commands spelt like ``name`` (or like one of their aliases), that the
        sender may use."""
        allowed = {n for n, c in self.commands.items() if coordinator or not c.coordinator}
        usable = [n for n in [*self.commands, *self.aliases] if self.aliases.get(n, n) in allowed]
        close = difflib.get_close_matches(name, usable, n=4, cutoff=0.6)
        return list(dict.fromkeys(self.aliases.get(n, n) for n in close))[:2]

    def button(
        self, kind: type[B], *, private: bool = False
    ) -> Callable[[ButtonHandler[B]], ButtonHandler[B]]:
        """Register the handler of one button type (its payload is parsed before the call).

        ``private``: also pressable in a private chat with the bot; the payload's
        ``member_id`` says in which network (only that member's own press counts)."""

        def register(handler: ButtonHandler[B]) -> ButtonHandler[B]:
            if kind.prefix in self.buttons:
                raise ValueError(f"button prefix {kind.prefix} registered twice")
            fields = dict(kind.field_types())  # an unsupported type fails at start
            if private:
                if fields.get("member_id") is not int:
                    raise ValueError(f"private button {kind.prefix} has no member_id: int")
                self.private_buttons.add(kind.prefix)
            self.buttons[kind.prefix] = (kind, handler)
            return handler

        return register

    def private(self, name: str) -> Callable[[PrivateHandler], PrivateHandler]:
        """What ``/name`` (a registered command) does in a private chat with the bot;
        elsewhere in private the bot points to the network's group."""

        def register(handler: PrivateHandler) -> PrivateHandler:
            if name in self.private_commands:
                raise ValueError(f"private /{name} registered twice")
            self.private_commands[name] = handler
            return handler

        return register

    def private_member(self, data: str) -> int | None:
        """The member a button pressed in a private chat names, if its type may be
        pressed there (None: not a private button, or a stale one)."""
        prefix = prefix_of(data) or ""
        entry = self.buttons.get(prefix)
        if entry is None or prefix not in self.private_buttons:
            return None
        try:
            parsed = decode(data, entry[0])
        except StaleButton:
            return None
        member_id = getattr(parsed, "member_id", None)
        return member_id if isinstance(member_id, int) else None

    def scheduled(
        self, kind: str, *, collapse: bool = False, quiet: bool = True
    ) -> Callable[[Renderer], Renderer]:
        def register(renderer: Renderer) -> Renderer:
            if kind in self.renderers:
                raise ValueError(f"scheduled kind {kind} registered twice")
            self.renderers[kind] = renderer
            self.kind_options[kind] = KindOptions(collapse=collapse, quiet=quiet)
            return renderer

        return register

    def answer(self, kind: str) -> Callable[[AnswerHandler], AnswerHandler]:
        def register(handler: AnswerHandler) -> AnswerHandler:
            if kind in self.answers:
                raise ValueError(f"answer to {kind} registered twice")
            self.answers[kind] = handler
            return handler

        return register

    def check(self) -> None:
        """At start-up: every scheduled kind has its renderer, nothing renders a kind
        nobody declared (a typo would leave rows that are never sent), and every alias
        leads to a registered command (else it would answer "unknown command")."""
        dangling = sorted(
            f"/{a} -> /{c}" for a, c in self.aliases.items() if c not in self.commands
        )
        if dangling:
            raise ValueError(f"aliases of unregistered commands: {', '.join(dangling)}")
        strays = sorted(f"/{n}" for n in self.private_commands if n not in self.commands)
        if strays:
            raise ValueError(f"private forms of unregistered commands: {', '.join(strays)}")
        missing = [kind.value for kind in Kind if kind not in self.renderers]
        if missing:
            raise ValueError(f"scheduled kinds without a renderer: {', '.join(missing)}")
        declared = {k.value for k in Kind} | {failed(k) for k in Kind}
        unknown = sorted(set(self.renderers) - declared)
        if unknown:
            raise ValueError(f"renderers of undeclared kinds: {', '.join(unknown)}")

    def on_join(self, greeting: Greeting) -> Greeting:
        if self.greeting is not None:
            raise ValueError("a greeting is registered twice")
        self.greeting = greeting
        return greeting

    def feed(self, calendar_feed: CalendarFeed) -> CalendarFeed:
        if self.calendar_feed is not None:
            raise ValueError("a calendar feed is registered twice")
        self.calendar_feed = calendar_feed
        return calendar_feed

    def agenda(self, order: int) -> Callable[[AgendaSection], AgendaSection]:
        """Contribute lines to the next meeting's agenda (lower ``order`` first)."""

        def register(section: AgendaSection) -> AgendaSection:
            if any(o == order for o, _s in self._agenda):
                raise ValueError(f"agenda order {order} registered twice")
            self._agenda.append((order, section))
            self._agenda.sort(key=lambda item: item[0])
            return section

        return register

    @property
    def agenda_sections(self) -> tuple[AgendaSection, ...]:
        return tuple(section for _order, section in self._agenda)

    def on_cancelled(self, hook: CancelHook) -> CancelHook:
        """Called when a meeting is cancelled; it may add to the reply."""
        self.hooks.cancelled.append(hook)
        return hook

    def on_restored(self, hook: RestoreHook) -> RestoreHook:
        """Called when a meeting's cancellation is undone; it may add to the reply."""
        self.hooks.restored.append(hook)
        return hook

    def on_opened(self, hook: OpenHook) -> OpenHook:
        """Called when a meeting opens (its presence list); its replies follow the list."""
        self.hooks.opened.append(hook)
        return hook

    def before_command(self, hook: CommandHook) -> CommandHook:
        """Called before each command is handled (after its rights are checked)."""
        self.command_hooks.append(hook)
        return hook

    def greet(self, network: Network) -> list[Reply]:
        return [self.greeting(network)] if self.greeting is not None else []

    def options(self, kind: str) -> KindOptions:
        return self.kind_options.get(kind, KindOptions())

    async def dispatch(self, ctx: Context) -> list[Reply]:
        msg = ctx.msg
        if msg.button is not None:
            return await self.dispatch_button(ctx, msg.button)
        if msg.command is None:
            return []
        command = self.commands.get(self.canonical(msg.command))
        if command is None:
            near = self.nearest(self.canonical(msg.command), coordinator=ctx.is_coordinator)
            if near:
                raise UserError(
                    N_(
                        "I don't know the command /{name}. Did you mean {options}? "
                        "Send /ajuda to see the commands."
                    ),
                    name=msg.command,
                    options=" ".join(f"/{n}" for n in near),
                )
            raise UserError(
                N_("I don't know the command /{name}. Send /ajuda to see the commands."),
                name=msg.command,
            )
        if command.coordinator and not ctx.is_coordinator:
            raise UserError(
                N_("Only the network's coordination can use /{name}."), name=command.name
            )
        for hook in self.command_hooks:
            await hook(ctx)
        try:
            replies = await command.handler(ctx)
            # Flush here, so a row refused at flush (a text longer than its column,
            # storage/limits.py) is answered with this command's example.
            await ctx.session.flush()
        except UserError as error:
            # Every wrong form is answered with an example of the right one.
            if error.example is None:
                error.example = command.example
            raise
        return replies

    async def dispatch_button(self, ctx: Context, data: str) -> list[Reply]:
        entry = self.buttons.get(prefix_of(data) or "")
        parsed: ButtonData | None = None
        if entry is not None:
            with contextlib.suppress(StaleButton):
                parsed = decode(data, entry[0])
        if entry is None or parsed is None:
            # An older release's button, or a forged one: one message, nothing changed.
            log.info("button refused (known prefix: %s)", entry is not None)
            raise UserError(N_("This choice is no longer valid."))
        return await entry[1](ctx, parsed)
