"""Action plans (seed 002) and Planos de Providências (seed 004), tracked like referrals."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from bot.buttons import ButtonData, Decision
from bot.errors import UserError
from bot.i18n import N_, ngettext
from bot.i18n import gettext as _
from bot.messages import Attachment, Button, Reply
from bot.router import Context, Router
from bot.rules import dates
from bot.rules import plans as rules
from bot.rules.names import name_key
from bot.rules.status import ResponsibleStatus
from bot.services import plans

IMPORT_EXAMPLE = rules.IMPORT_EXAMPLE
# What the preview of an import shows at most: tasks, moved deadlines, names.
PREVIEW_TASKS = 8
PREVIEW_MOVES = 8
PREVIEW_NAMES = 10
DECIDED_NOW = (ResponsibleStatus.CHOSEN, ResponsibleStatus.NEW, ResponsibleStatus.IGNORED)
ASKED = (ResponsibleStatus.ASK, *DECIDED_NOW)  # the names the network did not know


async def plan(ctx: Context) -> list[Reply]:
    """``/plano`` shows progress; ``/plano importar`` (with the table) previews a plan."""
    verb, _sep, rest = ctx.msg.args.strip().partition(" ")
    if name_key(verb) == "importar":
        if not ctx.is_coordinator:
            raise UserError(
                N_("Only the network's coordination can use /{name}."), name="plano importar"
            )
        return await _import(ctx, rest.strip())
    if verb:
        raise UserError(
            N_("Use /plano to see progress, or /plano importar with the table."),
            example=IMPORT_EXAMPLE,
        )
    return await _progress(ctx)


async def _import(ctx: Context, args: str) -> list[Reply]:
    """The plan's table previewed (its deadlines moved off weekends and holidays); then one
    question for each Responsável the network has no sector for, in a message of its own
    that follows the answers; then the buttons to save or discard it."""
    attachment = _table(ctx)
    year, name = rules.parse_caption(args)
    tasks = rules.read_table(await attachment.fetch(), attachment.filename, year)
    draft = await plans.preview(
        ctx.session,
        ctx.network,
        user_id=ctx.msg.sender.user_id,
        name=name,
        year=year,
        tasks=tasks,
        now=ctx.now,
    )
    preview = _preview_lines(draft)
    if draft.pending is None:
        text = "\n".join([*preview, *_left_out_lines(draft)])
        return [Reply(text=text, buttons=_save_buttons(draft))]
    return [Reply(text="\n".join(preview)), _next(draft, edit=False)]


def _table(ctx: Context) -> Attachment:
    """The plan's table sent with the command."""
    if ctx.msg.attachment is None:
        raise UserError(
            N_(
                "Send the plan's table (.csv or .xlsx: Ação, Tarefa, Período, Responsável) "
                "as a file with this caption."
            ),
            example=IMPORT_EXAMPLE,
        )
    return ctx.msg.attachment


def _preview_lines(draft: plans.PlanDraft) -> list[str]:
    actions = len({t.action for t in draft.tasks})
    lines = [
        _("Plan {name} ({year}): {actions}, {tasks}.").format(
            name=draft.name,
            year=draft.year,
            actions=ngettext("{n} action", "{n} actions", actions).format(n=actions),
            tasks=ngettext("{n} task", "{n} tasks", len(draft.tasks)).format(n=len(draft.tasks)),
        )
    ]
    for task in draft.tasks[:PREVIEW_TASKS]:
        who = _cut(", ".join(task.responsible), 60)
        lines.append(f"• {task.period} — {task.task[:70]} ({who})")
    if len(draft.tasks) > PREVIEW_TASKS:
        lines.append("…")
    lines += _moved_lines(draft.moved)
    known = [o for o in map(_outcome, draft.names) if o is not None]
    if known:
        lines.append(_("Responsible: {names}.").format(names=_joined(known)))
    asked = [n.name for n in draft.names if n.status in ASKED]
    if asked:
        lines.append(
            _(
                "The network has no sector called {names}. The plan stays a draft until the "
                "coordination decides each one."
            ).format(names=_listed(asked))
        )
    return lines


def _cut(text: str, most: int) -> str:
    return text if len(text) <= most else text[: most - 1] + "…"


def _moved_lines(moved: Sequence[rules.Moved]) -> list[str]:
    """ "• 31/07/2027 (sábado) → 02/08/2027 (3 tarefas)" for each day without expediente."""
    if not moved:
        return []
    lines = [_("Deadlines on a weekend or holiday, moved to the next working day:")]
    for item in moved[:PREVIEW_MOVES]:
        why = item.holiday or dates.weekday_name(item.original)
        count = ngettext("{n} task", "{n} tasks", item.tasks).format(n=item.tasks)
        lines.append(
            f"• {dates.format_date(item.original, with_year=True)} ({why}) → "
            f"{dates.format_date(item.deadline, with_year=True)} ({count})"
        )
    if len(moved) > PREVIEW_MOVES:
        lines.append("…")
    return lines


def _listed(names: Sequence[str]) -> str:
    shown = [_cut(n, 60) for n in names[:PREVIEW_NAMES]]
    return ", ".join(shown) + (", …" if len(names) > PREVIEW_NAMES else "")


def _joined(outcomes: Sequence[str]) -> str:
    shown = [_cut(o, 120) for o in outcomes[:PREVIEW_NAMES]]
    return "; ".join(shown) + ("; …" if len(outcomes) > PREVIEW_NAMES else "")


def _outcome(item: plans.NameView) -> str | None:
    """How the network knew a name: "Escola → Escola Municipal", or as decided for an
    earlier plan; None for a sector's own name and for the names asked now."""
    if item.status is ResponsibleStatus.SECTOR:
        if item.sector is None or name_key(item.sector) == name_key(item.name):
            return None
        return f"{item.name} → {item.sector}"
    if item.status is ResponsibleStatus.ALIAS:
        return _("{name} → {sector} (decided before)").format(name=item.name, sector=item.sector)
    if item.status is ResponsibleStatus.SKIP:
        return _("{name}: no sector (decided before)").format(name=item.name)
    return None


def _decision(item: plans.NameView) -> str:
    """What the coordination answered for a name asked now."""
    if item.status is ResponsibleStatus.NEW:
        return _("{name} → new sector").format(name=item.name)
    if item.status is ResponsibleStatus.IGNORED:
        return _("{name}: no sector").format(name=item.name)
    return f"{item.name} → {item.sector}"


def _left_out_lines(draft: plans.PlanDraft) -> list[str]:
    if not draft.left_out:
        return []
    return [
        ngettext(
            "{n} task has no sector of the network and will be left out.",
            "{n} tasks have no sector of the network and will be left out.",
            draft.left_out,
        ).format(n=draft.left_out)
    ]


def _next(draft: plans.PlanDraft, *, edit: bool) -> Reply:
    """The message of the questions: the answers so far and the next question, or, once
    every name is decided, the offer to save the plan."""
    decided = [_decision(n) for n in draft.names if n.status in DECIDED_NOW]
    lines = [_("Decided: {names}.").format(names=_joined(decided))] if decided else []
    index = draft.pending
    if index is None:
        lines += _left_out_lines(draft)
        ready = _("Every responsible is decided. Save the plan {name}?")
        lines.append(ready.format(name=draft.name))
        buttons = _save_buttons(draft)
        return Reply(text="\n".join(lines), buttons=buttons, edit=edit, new_choice=edit)
    item = draft.names[index]
    total = sum(1 for n in draft.names if n.status in ASKED)
    lines.append(
        _("❓ Which sector of the network is {name}? ({number} of {total})").format(
            name=item.name, number=len(decided) + 1, total=total
        )
    )
    lines.append(
        _(
            "“Ignore”: it is no sector of the network; its tasks stay with the other "
            "responsible sectors."
        )
    )
    return Reply(
        text="\n".join(lines), buttons=_name_buttons(draft, index), edit=edit, new_choice=edit
    )


def _save_buttons(draft: plans.PlanDraft) -> tuple[tuple[Button, ...], ...]:
    return (
        (
            Button(_("✅ Save"), PlanDecision(Decision.OK, draft.draft_id).encode()),
            Button(_("✖ Discard"), PlanDecision(Decision.NO, draft.draft_id).encode()),
        ),
    )


def _name_buttons(draft: plans.PlanDraft, index: int) -> tuple[tuple[Button, ...], ...]:
    """A plausible sector per row, then a new sector and none, then discarding the plan."""
    item = draft.names[index]

    def press(answer: Answer, sector_id: int = 0) -> str:
        return PlanSector(draft.draft_id, index, answer, sector_id).encode()

    rows = [(Button(name, press(Answer.SECTOR, sector_id)),) for sector_id, name in item.options]
    other = [Button(_("Ignore"), press(Answer.IGNORE))]
    if item.can_be_new:
        other.insert(0, Button(_("➕ New sector"), press(Answer.NEW)))
    return (*rows, tuple(other), (Button(_("✖ Discard"), press(Answer.DISCARD)),))


@dataclass(frozen=True)
class PlanDecision(ButtonData, prefix="plan"):
    """Save or discard a previewed action plan."""

    decision: Decision
    draft_id: int


class Answer(StrEnum):
    """A button under the question about a Responsável."""

    SECTOR = "s"  # that existing sector (``sector_id``)
    NEW = "n"  # a new sector of that name
    IGNORE = "i"  # no sector of the network
    DISCARD = "x"  # the whole plan discarded


CHOICES = {
    Answer.SECTOR: rules.Choice.SECTOR,
    Answer.NEW: rules.Choice.NEW,
    Answer.IGNORE: rules.Choice.IGNORE,
}


@dataclass(frozen=True)
class PlanSector(ButtonData, prefix="plansec"):
    """The answer about the plan's Responsável number ``index`` (``sector_id`` with
    Answer.SECTOR, 0 otherwise)."""

    draft_id: int
    index: int
    answer: Answer
    sector_id: int


async def sector_button(ctx: Context, press: PlanSector) -> list[Reply]:
    """The coordination says which sector a Responsável is; the message asks the next one,
    or offers to save once every name is decided."""
    if press.answer is Answer.DISCARD:
        return await _decided(ctx, press.draft_id, save=False)
    draft = await plans.choose(
        ctx.session,
        ctx.network,
        press.draft_id,
        index=press.index,
        choice=CHOICES[press.answer],
        sector_id=press.sector_id,
        coordinator=ctx.is_coordinator,
    )
    return [_next(draft, edit=True)]


async def plan_button(ctx: Context, press: PlanDecision) -> list[Reply]:
    """The coordination saves (tasks become encaminhamentos) or discards the preview."""
    return await _decided(ctx, press.draft_id, save=press.decision is not Decision.NO)


async def _decided(ctx: Context, draft_id: int, *, save: bool) -> list[Reply]:
    saved = await plans.decide(
        ctx.session,
        ctx.network,
        ctx.member,
        draft_id,
        save=save,
        coordinator=ctx.is_coordinator,
        now=ctx.now,
    )
    if saved is None:
        return [Reply(text=_("Plan discarded. Nothing was changed."), edit=True)]
    text = ngettext(
        "Plan {name} saved: {n} task is now followed like an encaminhamento (/pendencias).",
        "Plan {name} saved: {n} tasks are now followed like encaminhamentos (/pendencias).",
        saved.tasks,
    )
    lines = [text.format(name=saved.plan.name, n=saved.tasks)]
    if saved.new_sectors:
        lines.append(
            _("New sectors: {sectors}. Their representatives join with /setor {example}.").format(
                sectors=_listed(saved.new_sectors), example=saved.new_sectors[0]
            )
        )
    if saved.left_out:
        lines.append(
            ngettext(
                "{n} task had no sector of the network and was left out.",
                "{n} tasks had no sector of the network and were left out.",
                saved.left_out,
            ).format(n=saved.left_out)
        )
    return [Reply(text="\n".join(lines), edit=True)]


async def _progress(ctx: Context) -> list[Reply]:
    """Each plan's tasks: concluded, overdue, and whether the plan is concluded."""
    found = await plans.overview(ctx.session, ctx.network, ctx.now)
    if not found:
        text = _("No action plan yet. The coordination imports one with {example}")
        return [Reply(text=text.format(example=IMPORT_EXAMPLE))]
    return [Reply(text="\n".join([_("Action plans:"), *(_progress_line(p) for p in found)]))]


def _progress_line(item: plans.PlanProgress) -> str:
    state = _("✅ concluded") if item.progress.concluded else _("in progress")
    return ngettext(
        "• {name} ({year}): {done} of {total} task concluded, {late} overdue — {state}",
        "• {name} ({year}): {done} of {total} tasks concluded, {late} overdue — {state}",
        item.progress.total,
    ).format(
        name=item.name,
        year=item.year,
        done=item.progress.done,
        total=item.progress.total,
        late=item.progress.late,
        state=state,
    )


def register(router: Router) -> None:
    router.command(
        "plano", N_("action plans: progress, or import a table"), IMPORT_EXAMPLE, accepts_file=True
    )(plan)
    router.button(PlanDecision)(plan_button)
    router.button(PlanSector)(sector_button)
