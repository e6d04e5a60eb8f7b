"""Action plans (seed 002) and Planos de Providências (seed 004), tracked like referrals."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.buttons import ButtonData, Decision
from bot.errors import UserError
from bot.i18n import N_
from bot.i18n import gettext as _
from bot.messages import Attachment, Button, Reply
from bot.router import Context, Router
from bot.rules import plans as rules
from bot.rules.deadlines import PlanTask
from bot.rules.names import name_key
from bot.services import plans

IMPORT_EXAMPLE = rules.IMPORT_EXAMPLE
# Tasks shown in the preview of an import.
PREVIEW_TASKS = 8


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
    """The plan's table previewed, with buttons to save or discard it."""
    attachment = _table(ctx)
    year, name = rules.parse_caption(args)
    tasks = rules.read_table(await attachment.fetch(), attachment.filename, year)
    preview = await plans.preview(
        ctx.session,
        ctx.network,
        user_id=ctx.msg.sender.user_id,
        name=name,
        year=year,
        tasks=tasks,
        now=ctx.now,
    )
    text = _preview_text(name, year, tasks, preview.new_sectors)
    return [Reply(text=text, buttons=_decision_buttons(preview.draft_id))]


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


def _preview_text(
    name: str, year: int, tasks: Sequence[PlanTask], new_sectors: Sequence[str]
) -> str:
    actions = len({t.action for t in tasks})
    lines = [
        _("Plan {name} ({year}): {actions} actions, {tasks} tasks.").format(
            name=name, year=year, actions=actions, tasks=len(tasks)
        )
    ]
    for task in tasks[:PREVIEW_TASKS]:
        lines.append(f"• {task.period} — {task.task[:70]} ({', '.join(task.responsible)})")
    if len(tasks) > PREVIEW_TASKS:
        lines.append("…")
    if new_sectors:
        lines.append(
            _("New sectors will be added: {sectors}.").format(sectors=", ".join(new_sectors))
        )
    return "\n".join(lines)


def _decision_buttons(draft_id: int) -> tuple[tuple[Button, ...], ...]:
    return (
        (
            Button(_("✅ Save"), PlanDecision(Decision.OK, draft_id).encode()),
            Button(_("✖ Discard"), PlanDecision(Decision.NO, draft_id).encode()),
        ),
    )


@dataclass(frozen=True)
class PlanDecision(ButtonData, prefix="plan"):
    """Save or discard a previewed action plan."""

    decision: Decision
    draft_id: int


async def plan_button(ctx: Context, press: PlanDecision) -> list[Reply]:
    """The coordination saves (tasks become encaminhamentos) or discards the preview."""
    saved = await plans.decide(
        ctx.session,
        ctx.network,
        ctx.member,
        press.draft_id,
        save=press.decision is not Decision.NO,
        coordinator=ctx.is_coordinator,
        now=ctx.now,
    )
    if saved is None:
        return [Reply(text=_("Plan discarded. Nothing was changed."), edit=True)]
    text = _("Plan {name} saved: {n} tasks are now followed like encaminhamentos (/pendencias).")
    return [Reply(text=text.format(name=saved.plan.name, n=saved.tasks), edit=True)]


async def _progress(ctx: Context) -> list[Reply]:
    """Each plan's tasks: concluded, overdue, and whether the plan is concluded."""
    found = await plans.overview(ctx.session, ctx.network, ctx.now)
    if not found:
        text = _("No action plan yet. The coordination imports one with {example}")
        return [Reply(text=text.format(example=IMPORT_EXAMPLE))]
    return [Reply(text="\n".join([_("Action plans:"), *(_progress_line(p) for p in found)]))]


def _progress_line(item: plans.PlanProgress) -> str:
    state = _("✅ concluded") if item.progress.concluded else _("in progress")
    return _(
        "• {name} ({year}): {done} of {total} tasks concluded, {late} overdue — {state}"
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
