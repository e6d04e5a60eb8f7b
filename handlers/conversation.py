"""Step-by-step commands (issue 14, "Phone-first"): sent without its parts (or with some),
a command asks one thing at a time, offers what the bot knows as choices, and shows a
preview before anything reaches the group.

A feature declares a :class:`Flow`: its steps (what to ask, the choices, how an answer is
checked — with the one-line form's own rules and messages) and how the answers become the
one-line form's text (``line``), which its command handler then runs unchanged. The
conversation is one open question row (``bot.services.conversations``): only the person
who started it answers it or presses its buttons; it expires quietly after
``CONVERSATION_LIFETIME`` (bot.rules.retention, which the WhatsApp channel reads too);
another command by that person ends it; nothing is saved until the end.

Shared by the features like handlers/common.py: it knows no feature.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from bot.buttons import ButtonData
from bot.errors import UserError
from bot.i18n import N_
from bot.i18n import gettext as _
from bot.messages import Button, ChatKind, Reply
from bot.router import Context, Router
from bot.rules import dates, privacy
from bot.rules.names import kind_name, name_key
from bot.rules.retention import CONVERSATION_LIFETIME
from bot.rules.status import QuestionStatus
from bot.services import conversations as service
from handlers.common import person
from storage.models import Question, Sector

CANCEL_WORDS = frozenset({"cancelar", "cancela", "cancele", "sair", "parar"})
CONFIRM, FIX = "ok", "fix"
# The choices of the preview's buttons.
SEND, CORRECT, DROP = 1, 2, 3
TYPE = 0  # "type another": the question again, as a reply to type
MAX_LABEL = 40
# How much of a question's text tells a reply to it from a reply to another message.
ASKED = 24


@dataclass(frozen=True)
class Option:
    """A choice offered for a step: its label, and the text it stands for."""

    label: str
    value: str


Values = dict[str, str]
Check = Callable[[Context, str, Values], Awaitable[str]]
Options = Callable[[Context, Values], Awaitable[Sequence[Option]]]
Skip = Callable[[Context, Values], Awaitable[bool]]


@dataclass(frozen=True)
class Step:
    """One thing asked. ``check`` returns the answer as the one-line form writes it, or
    raises the one-line form's UserError. ``multi``: several choices, then "Done"."""

    key: str
    field: str  # msgid: the field's name in the preview and in Corrigir
    question: str  # msgid
    example: str  # what one would type (Portuguese, like the commands' examples)
    check: Check
    options: Options | None = None
    multi: bool = False
    skip: Skip | None = None
    # A step that may be left empty (an option whose value is "").
    optional: bool = False


@dataclass(frozen=True)
class Flow:
    """A command played step by step. ``line`` turns the answers into the one-line form's
    arguments; ``run`` is the command's own path with those arguments. ``preview``: show
    the answers with Confirmar / Corrigir / Cancelar first (False when ``run`` shows its
    own preview, as /convocar does)."""

    name: str  # as typed after the slash: "encaminhar", "prazos novo"
    title: str  # msgid: the opening line
    example: str  # the one-line form, for those who want it next time
    steps: tuple[Step, ...]
    # The arguments as typed after the command ("novo RMA | …" for /prazos novo).
    line: Callable[[Values], str]
    run: Callable[[Context], Awaitable[list[Reply]]]
    preview: bool = True

    def step(self, key: str) -> Step | None:
        return next((s for s in self.steps if s.key == key), None)


@dataclass(frozen=True)
class ConversationPress(ButtonData, prefix="ask"):
    """A press in a conversation: its row, the step it answers, and which choice."""

    conversation_id: int
    step: str
    choice: int


FLOWS: dict[str, Flow] = {}


def declare(flow: Flow) -> Flow:
    """A feature's flow (declared again by a new router, the same one)."""
    FLOWS[flow.name] = flow
    return flow


def joined(*keys: str) -> Callable[[Values], str]:
    """The answers of ``keys`` as ``a | b | c`` (the one-line form's separator)."""

    def line(values: Values) -> str:
        return " | ".join(values.get(key, "") for key in keys)

    return line


async def start(ctx: Context, flow: Flow, given: Sequence[str] = ()) -> list[Reply]:
    """Open the conversation: the parts already typed are kept, checked; a wrong one is
    asked again (the first such error is said with the first question)."""
    values: Values = {}
    error: UserError | None = None
    for step, text in zip(flow.steps, given, strict=False):
        if not text.strip():
            continue
        try:
            values[step.key] = await _checked(ctx, step, text, values)
        except UserError as wrong:
            error = error or wrong
    # The chat it runs in: a conversation begun in the coordination chat is answered there.
    state: dict[str, Any] = {"flow": flow.name, "values": values, "chat": ctx.msg.chat_id}
    question = await service.start(ctx.session, ctx.network, ctx.member, ctx.now, state)
    opener = _(
        "{title} I will ask one thing at a time. To stop, answer cancelar. "
        "(Next time you can send it in one line, e.g. {example})"
    ).format(title=_(flow.title), example=flow.example)
    return await _next(ctx, question, flow, state, intro=opener, error=error)


def _prompt(ctx: Context, question: Question, flow: Flow, step: Step, state: dict[str, Any]) -> str:
    lines = [_(step.question)]
    picked = state.get("picked") or []
    if step.multi and picked:
        lines.append(_("Chosen so far: {chosen}.").format(chosen=", ".join(picked)))
    lines.append(_("For example: {example}").format(example=step.example))
    return "\n".join(lines)


async def _next(
    ctx: Context,
    question: Question,
    flow: Flow,
    state: dict[str, Any],
    *,
    intro: str = "",
    error: UserError | None = None,
    edit: bool = False,
    typed: bool = False,
) -> list[Reply]:
    """Ask the first step not answered yet, or show the preview (or run the command)."""
    values: Values = state["values"]
    for step in flow.steps:
        if step.key in values:
            continue
        if step.skip is not None and await step.skip(ctx, values):
            continue
        return await _ask(
            ctx, question, flow, step, state, intro=intro, error=error, edit=edit, typed=typed
        )
    if not flow.preview:
        return await _finish(ctx, question, flow, state, edit=edit)
    state["step"] = CONFIRM
    state.pop("options", None)
    state.pop("picked", None)
    service.save(question, state, ctx.now)
    lines = [_error_line(error)] if error is not None else []
    lines += [_("📝 Preview — nothing was sent or saved yet:"), *_summary(flow, values)]
    lines.append(_("Confirm to send it to the group, or correct a part."))
    buttons = (
        (
            Button(_("✅ Confirm"), _press(question, CONFIRM, SEND)),
            Button(_("✏️ Correct"), _press(question, CONFIRM, CORRECT)),
            Button(_("✖ Cancel"), _press(question, CONFIRM, DROP)),
        ),
    )
    return [
        Reply(
            text="\n".join(lines),
            buttons=buttons,
            edit=edit,
            new_choice=edit,
            mentions=() if edit else (person(ctx.member),),
        )
    ]


def _summary(flow: Flow, values: Values) -> list[str]:
    return [
        _("• {field}: {value}").format(field=_(s.field), value=values[s.key] or "—")
        for s in flow.steps
        if s.key in values
    ]


def _error_line(error: UserError) -> str:
    example, error.example = error.example, None
    text = "⚠️ " + error.render()
    error.example = example
    return text


def _press(question: Question, step: str, choice: int) -> str:
    return ConversationPress(question.id, step, choice).encode()


async def _ask(
    ctx: Context,
    question: Question,
    flow: Flow,
    step: Step,
    state: dict[str, Any],
    *,
    intro: str = "",
    error: UserError | None = None,
    edit: bool = False,
    typed: bool = False,
) -> list[Reply]:
    """One question: with its choices as buttons (and "type another"), or as a reply to
    type (``typed``, or when there is nothing to choose from)."""
    if state.get("step") != step.key:
        state["picked"] = []
    state["step"] = step.key
    options = list(await step.options(ctx, state["values"])) if step.options and not typed else []
    state["options"] = [[o.label, o.value] for o in options]
    lines = [intro] if intro else []
    if error is not None:
        lines.append(_error_line(error))
    lines.append(_prompt(ctx, question, flow, step, state))
    text = "\n\n".join(line for line in lines if line)
    state["asked"] = text[:ASKED]
    service.save(question, state, ctx.now)
    if not options:
        text += "\n" + _("Reply to this message with your answer.")
        return [
            Reply(
                text=text,
                mentions=(person(ctx.member),),
                force_reply=True,
                placeholder=step.example[:64],
            )
        ]
    return [
        Reply(
            text=text,
            buttons=_choice_buttons(question, step, options, state.get("picked") or []),
            mentions=() if edit else (person(ctx.member),),
            edit=edit,
            new_choice=edit,
        )
    ]


def _choice_buttons(
    question: Question, step: Step, options: Sequence[Option], picked: Sequence[str]
) -> tuple[tuple[Button, ...], ...]:
    labels = [
        ("✅ " if step.multi and o.value in picked else "") + _short(o.label) for o in options
    ]
    row: list[Button] = []
    rows: list[tuple[Button, ...]] = []
    for index, label in enumerate(labels, 1):
        row.append(Button(label, _press(question, step.key, index)))
        if len(row) == 2 or len(label) > 20:
            rows.append(tuple(row))
            row = []
    if row:
        rows.append(tuple(row))
    last = [Button(_("✏️ Type another"), _press(question, step.key, TYPE))]
    if step.multi:
        last.insert(0, Button(_("✔ Done"), _press(question, step.key, len(options) + 1)))
    rows.append(tuple(last))
    return tuple(rows)


def _short(label: str) -> str:
    label = " ".join(label.split())
    return label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1] + "…"


async def _checked(ctx: Context, step: Step, text: str, values: Values) -> str:
    """The answer as the one-line form writes it (screened: it is kept until the end)."""
    text = " ".join(text.split())
    if "|" in text:
        raise UserError(N_("Write it without the | character."))
    if not text and not step.optional:
        raise UserError(N_("The answer is empty: write it, please."))
    privacy.screen(text)
    return await step.check(ctx, text, values)


def _expired(question: Question, ctx: Context) -> bool:
    expired = ctx.now - question.asked_at > CONVERSATION_LIFETIME
    return question.status != QuestionStatus.OPEN or expired


def _expired_text(flow_name: str) -> str:
    return _("⌛ This conversation has expired: send /{command} again.").format(command=flow_name)


def _is_ours(question: Question, ctx: Context) -> bool:
    """A reply to another of the bot's messages (an encaminhamento's) is not an answer."""
    replied = ctx.msg.replied_text.strip()
    asked = str((question.state or {}).get("asked", ""))
    return not replied or not asked or replied.startswith(asked) or asked.startswith(replied)


async def answer(ctx: Context, question: Question) -> list[Reply] | None:
    """A typed answer to the person's open conversation."""
    state = dict(question.state or {})
    flow = FLOWS.get(str(state.get("flow")))
    if flow is None or ctx.msg.chat_kind is not ChatKind.GROUP:
        return None
    if state.get("chat", ctx.msg.chat_id) != ctx.msg.chat_id:
        return None  # begun in the network's other chat (group or coordination chat)
    if not _is_ours(question, ctx):
        if ctx.now - question.asked_at > CONVERSATION_LIFETIME:
            service.close(question, QuestionStatus.EXPIRED)
        return None  # a reply to another of the bot's messages: its handler claims it
    if ctx.now - question.asked_at > CONVERSATION_LIFETIME:
        service.close(question, QuestionStatus.EXPIRED)
        return [Reply(text=_expired_text(flow.name))]
    text = ctx.msg.text
    if name_key(text) in CANCEL_WORDS:
        service.close(question, QuestionStatus.REPLACED)
        return [Reply(text=_("Cancelled: nothing was sent or saved."))]
    # Unquoted (WhatsApp: one forgets to quote): the person may be talking to the group
    # meanwhile, so where the question is a choice, what is not one of them is left alone.
    unquoted = ctx.msg.unquoted
    step = flow.step(str(state.get("step")))
    if step is None:  # the preview is shown: its buttons decide
        if unquoted:
            return []
        return [Reply(text=_("Use the buttons under the preview: Confirm, Correct or Cancel."))]
    options = [Option(str(label), str(value)) for label, value in state.get("options") or []]
    values: Values = dict(state["values"])
    try:
        values[step.key] = await _checked(ctx, step, _typed_value(text, options), values)
    except UserError as error:
        if unquoted and options:
            return []
        return await _ask(ctx, question, flow, step, state, error=error, typed=not options)
    state["values"] = values
    return await _next(ctx, question, flow, state)


def _typed_value(text: str, options: Sequence[Option]) -> str:
    """A typed option's label (or its number) stands for its value."""
    key = name_key(text)
    for index, option in enumerate(options, 1):
        if key in (name_key(option.label), str(index)):
            return option.value
    return text


async def press(ctx: Context, data: ConversationPress) -> list[Reply]:
    question = await service.get(ctx.session, ctx.network, data.conversation_id)
    if question is None:
        raise UserError(N_("This choice is no longer valid."))
    state = dict(question.state or {})
    flow = FLOWS.get(str(state.get("flow")))
    if flow is None:
        raise UserError(N_("This choice is no longer valid."))
    if question.member_id != ctx.member.id:
        raise UserError(N_("Only the person who started this conversation can answer it."))
    if _expired(question, ctx):
        if question.status == QuestionStatus.OPEN:
            service.close(question, QuestionStatus.EXPIRED)
        return [Reply(text=_expired_text(flow.name), edit=True)]
    if data.step != state.get("step"):
        raise UserError(N_("This question was already answered."))
    if data.step == CONFIRM:
        return await _decide(ctx, question, flow, state, data.choice)
    if data.step == FIX:
        return await _redo(ctx, question, flow, state, data.choice)
    step = flow.step(data.step)
    if step is None:
        raise UserError(N_("This choice is no longer valid."))
    options = [Option(str(label), str(value)) for label, value in state.get("options") or []]
    if data.choice == TYPE:
        return [
            Reply(
                text=_("✏️ {field}: type your answer.").format(field=_(step.field)),
                edit=True,
                only_edit=True,
            ),
            *await _ask(ctx, question, flow, step, state, typed=True),
        ]
    if step.multi and data.choice == len(options) + 1:
        picked = list(state.get("picked") or [])
        if not picked:
            raise UserError(N_("Choose at least one, or type your answer."))
        return await _chosen(ctx, question, flow, step, state, ", ".join(picked))
    if not 1 <= data.choice <= len(options):
        raise UserError(N_("This choice is no longer valid."))
    option = options[data.choice - 1]
    if step.multi:
        picked = list(state.get("picked") or [])
        if option.value in picked:
            picked.remove(option.value)
        else:
            picked.append(option.value)
        state["picked"] = picked
        service.save(question, state, ctx.now)
        # A new choice where messages cannot change (a new poll shows what was chosen).
        return [
            Reply(
                text=_prompt(ctx, question, flow, step, state),
                buttons=_choice_buttons(question, step, options, picked),
                edit=True,
                new_choice=True,
            )
        ]
    return await _chosen(ctx, question, flow, step, state, option.value)


async def _chosen(
    ctx: Context, question: Question, flow: Flow, step: Step, state: dict[str, Any], value: str
) -> list[Reply]:
    """A choice made with a button: checked like a typed answer; the question's message
    keeps the answer, the next question follows."""
    values: Values = dict(state["values"])
    try:
        values[step.key] = await _checked(ctx, step, value, values)
    except UserError as error:
        return await _ask(ctx, question, flow, step, state, error=error, edit=True)
    state["values"] = values
    done = Reply(
        text=_("✔ {field}: {value}").format(field=_(step.field), value=values[step.key] or "—"),
        edit=True,
        only_edit=True,
    )
    return [done, *await _next(ctx, question, flow, state)]


async def _decide(
    ctx: Context, question: Question, flow: Flow, state: dict[str, Any], choice: int
) -> list[Reply]:
    if choice == DROP:
        service.close(question, QuestionStatus.REPLACED)
        return [Reply(text=_("Cancelled: nothing was sent or saved."), edit=True)]
    if choice == CORRECT:
        return _fix_menu(question, flow, state, ctx)
    if choice != SEND:
        raise UserError(N_("This choice is no longer valid."))
    return await _finish(ctx, question, flow, state, edit=True)


def _fix_menu(
    question: Question,
    flow: Flow,
    state: dict[str, Any],
    ctx: Context,
    *,
    error: str = "",
    edit: bool = True,
) -> list[Reply]:
    state["step"] = FIX
    service.save(question, state, ctx.now)
    values: Values = state["values"]
    rows = [
        (Button(_(s.field), _press(question, FIX, index)),)
        for index, s in enumerate(flow.steps, 1)
        if s.key in values
    ]
    rows.append((Button(_("✖ Cancel"), _press(question, FIX, 0)),))
    lines = [error] if error else []
    lines += [_("Which part do you correct?"), *_summary(flow, values)]
    return [
        Reply(
            text="\n".join(lines),
            buttons=tuple(rows),
            edit=edit,
            new_choice=edit,
            mentions=() if edit else (person(ctx.member),),
        )
    ]


async def _redo(
    ctx: Context, question: Question, flow: Flow, state: dict[str, Any], choice: int
) -> list[Reply]:
    if choice == 0:
        service.close(question, QuestionStatus.REPLACED)
        return [Reply(text=_("Cancelled: nothing was sent or saved."), edit=True)]
    keys = [s.key for s in flow.steps if s.key in state["values"]]
    if not 1 <= choice <= len(flow.steps) or flow.steps[choice - 1].key not in keys:
        raise UserError(N_("This choice is no longer valid."))
    step = flow.steps[choice - 1]
    values = dict(state["values"])
    values.pop(step.key)
    state["values"] = values
    return await _next(ctx, question, flow, state, edit=True)


async def _finish(
    ctx: Context, question: Question, flow: Flow, state: dict[str, Any], *, edit: bool
) -> list[Reply]:
    """The answers, as the one-line form, through the command's own path. A refusal there
    (the same message as the one-line form's) offers to correct a part."""
    line = flow.line(state["values"])
    command = flow.name.split()[0]
    run_ctx = replace(ctx, msg=replace(ctx.msg, args=line, text=f"/{command} {line}"))
    try:
        async with service.attempt(ctx.session):  # a refusal leaves nothing half-saved
            replies = await flow.run(run_ctx)
    except UserError as error:
        return _fix_menu(question, flow, state, ctx, error=_error_line(error), edit=edit)
    service.close(question)
    if edit:
        sent = Reply(text=_("✔ Confirmed."), edit=True, only_edit=True)
        return [sent, *replies]
    return replies


async def end_open(ctx: Context) -> None:
    """Another command: the person's open conversation ends without a word."""
    await service.end_open(ctx.session, ctx.member)


def register(router: Router) -> None:
    router.answer(service.KIND)(answer)
    router.button(ConversationPress)(press)
    router.before_command(end_open)


# --- what the bot knows, offered as choices ------------------------------------------


async def sectors(ctx: Context) -> Sequence[Sector]:
    return await service.sectors(ctx.session, ctx.network)


async def sector_options(ctx: Context, values: Values) -> Sequence[Option]:
    """The network's sectors."""
    return [Option(s.name, s.name) for s in await service.sectors(ctx.session, ctx.network)]


async def place_options(ctx: Context, values: Values) -> Sequence[Option]:
    """Where the network meets (from its meetings), else its sectors' names."""
    places = list(await service.places(ctx.session, ctx.network))
    if not places:
        places = [s.name for s in await service.sectors(ctx.session, ctx.network)][:6]
    return [Option(p, p) for p in places]


async def meeting_options(ctx: Context, values: Values) -> Sequence[Option]:
    """Today's meetings and the next ones, each as the day and time the one-line form
    takes ("10/03 14h")."""
    tz = ctx.tz
    found = await service.meetings_ahead(ctx.session, ctx.network, ctx.now)
    options = []
    for meeting in found:
        local = meeting.starts_at.astimezone(tz)
        at = f"{local.hour}h" + (f"{local.minute:02d}" if local.minute else "")
        what = meeting.topic if meeting.kind == "working_group" and meeting.topic else None
        label = dates.format_when(meeting.starts_at, ctx.network.timezone)
        label += " — " + (what or kind_name(meeting.kind))
        options.append(Option(label, f"{dates.format_date(local.date())} {at}"))
    return options
