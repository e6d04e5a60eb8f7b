"""Action plans (seed 002) and Planos de Providências (seed 004), tracked like referrals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.buttons import ButtonData, Decision
from bot.errors import UserError
from bot.i18n import N_
from bot.i18n import gettext as _
from bot.messages import Button, Reply
from bot.router import Context, Router
from bot.rules import deadlines, privacy
from bot.rules.names import name_key
from bot.rules.status import DraftStatus, ReferralStatus
from bot.services import referrals
from storage import repo
from storage.models import ActionPlan

IMPORT_EXAMPLE = "/plano importar 2026 Fortalecimento do SIPIA"
DRAFT_KIND = "plan"


async def plan(ctx: Context) -> list[Reply]:
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
    attachment = ctx.msg.attachment
    if attachment is None:
        raise UserError(
            N_(
                "Send the plan's table (.csv or .xlsx: Ação, Tarefa, Período, Responsável) "
                "as a file with this caption."
            ),
            example=IMPORT_EXAMPLE,
        )
    year_text, _sep, name = args.partition(" ")
    if not (year_text.isdigit() and len(year_text) == 4) or not name.strip():
        raise UserError(N_("Give the plan's year and name in the caption."), example=IMPORT_EXAMPLE)
    privacy.screen(name)
    tasks = deadlines.parse_plan_table(
        await attachment.fetch(), attachment.filename, year=int(year_text)
    )
    sectors = {s.key: s for s in await repo.sectors(session=ctx.session, network_id=ctx.network.id)}
    new_sectors = sorted({r for t in tasks for r in t.responsible if name_key(r) not in sectors})
    payload: dict[str, Any] = {
        "name": name.strip(),
        "year": int(year_text),
        "tasks": [
            {
                "action": t.action,
                "task": t.task,
                "period": t.period,
                "deadline": t.deadline.isoformat(),
                "responsible": t.responsible,
            }
            for t in tasks
        ],
    }
    for text in (t.task for t in tasks):
        privacy.screen(text)
    draft = await repo.add_draft(
        session=ctx.session,
        network_id=ctx.network.id,
        user_id=ctx.msg.sender.user_id,
        kind=DRAFT_KIND,
        payload=payload,
        now=ctx.now,
    )
    actions = len({t.action for t in tasks})
    lines = [
        _("Plan {name} ({year}): {actions} actions, {tasks} tasks.").format(
            name=name.strip(), year=year_text, actions=actions, tasks=len(tasks)
        )
    ]
    for task in tasks[:8]:
        lines.append(f"• {task.period} — {task.task[:70]} ({', '.join(task.responsible)})")
    if len(tasks) > 8:
        lines.append("…")
    if new_sectors:
        lines.append(
            _("New sectors will be added: {sectors}.").format(sectors=", ".join(new_sectors))
        )
    buttons = (
        (
            Button(_("✅ Save"), PlanDecision(Decision.OK, draft.id).encode()),
            Button(_("✖ Discard"), PlanDecision(Decision.NO, draft.id).encode()),
        ),
    )
    return [Reply(text="\n".join(lines), buttons=buttons)]


@dataclass(frozen=True)
class PlanDecision(ButtonData, prefix="plan"):
    """Save or discard a previewed action plan."""

    decision: Decision
    draft_id: int


async def plan_button(ctx: Context, press: PlanDecision) -> list[Reply]:
    draft = await repo.draft(session=ctx.session, draft_id=press.draft_id)
    if draft is None or draft.network_id != ctx.network.id or draft.kind != DRAFT_KIND:
        raise UserError(N_("This choice is no longer valid."))
    if not ctx.is_coordinator:
        raise UserError(N_("Only the network's coordination can decide this."))
    if draft.status != DraftStatus.OPEN:
        raise UserError(N_("This was already decided."))
    if press.decision is Decision.NO:
        draft.status = DraftStatus.DISCARDED
        return [Reply(text=_("Plan discarded. Nothing was changed."), edit=True)]
    draft.status = DraftStatus.SAVED
    payload = draft.payload
    action_plan = ActionPlan(
        network_id=ctx.network.id,
        name=payload["name"],
        year=int(payload["year"]),
        created_at=ctx.now,
    )
    ctx.session.add(action_plan)
    await ctx.session.flush()
    sectors = {s.key: s for s in await repo.sectors(session=ctx.session, network_id=ctx.network.id)}
    for item in payload["tasks"]:
        owed = []
        for name in item["responsible"]:
            if name_key(name) not in sectors:
                sectors[name_key(name)] = await repo.add_sector(
                    session=ctx.session, network_id=ctx.network.id, name=name
                )
            owed.append(sectors[name_key(name)])
        await referrals.create(
            ctx.session,
            ctx.network,
            created_by_id=ctx.member.id,
            now=ctx.now,
            sectors=owed,
            deadline=date.fromisoformat(item["deadline"]),
            description=item["task"],
            origin="plan",
            plan_id=action_plan.id,
            action=item["action"],
        )
    return [
        Reply(
            text=_(
                "Plan {name} saved: {n} tasks are now followed like encaminhamentos (/pendencias)."
            ).format(name=action_plan.name, n=len(payload["tasks"])),
            edit=True,
        )
    ]


async def _progress(ctx: Context) -> list[Reply]:
    plans = await repo.action_plans(session=ctx.session, network_id=ctx.network.id)
    if not plans:
        return [
            Reply(
                text=_("No action plan yet. The coordination imports one with {example}").format(
                    example=IMPORT_EXAMPLE
                )
            )
        ]
    today = ctx.now.astimezone(ctx.tz).date()
    lines = [_("Action plans:")]
    for item in plans:
        tasks = await repo.plan_referrals(session=ctx.session, plan_id=item.id)
        done = sum(1 for t in tasks if t.status == ReferralStatus.CONCLUDED)
        late = sum(1 for t in tasks if t.status != ReferralStatus.CONCLUDED and t.deadline < today)
        # Seed 004, art. 6 §3: a plan is concluded only when every action is.
        state = _("✅ concluded") if tasks and done == len(tasks) else _("in progress")
        lines.append(
            _(
                "• {name} ({year}): {done} of {total} tasks concluded, {late} overdue — {state}"
            ).format(
                name=item.name, year=item.year, done=done, total=len(tasks), late=late, state=state
            )
        )
    return [Reply(text="\n".join(lines))]


def register(router: Router) -> None:
    router.command(
        "plano", N_("action plans: progress, or import a table"), IMPORT_EXAMPLE, accepts_file=True
    )(plan)
    router.button(PlanDecision)(plan_button)
