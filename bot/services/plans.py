"""Action plans (seed 002) and Planos de Providências (seed 004): an imported table previewed
as a draft, saved as referrals the chase follows, and each plan's progress."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import N_
from bot.rules import plans as rules
from bot.rules.deadlines import PlanTask
from bot.rules.names import name_key
from bot.rules.status import DraftStatus
from bot.services import drafts, referrals
from storage import plans as store
from storage import repo
from storage.models import ActionPlan, Draft, Member, Network, Sector

DRAFT_KIND = "plan"


@dataclass(frozen=True)
class Preview:
    draft_id: int
    new_sectors: tuple[str, ...]  # responsible names no sector has yet (added on saving)


@dataclass(frozen=True)
class Saved:
    plan: ActionPlan
    tasks: int


@dataclass(frozen=True)
class PlanProgress:
    name: str
    year: int
    progress: rules.Progress


async def preview(
    session: AsyncSession,
    network: Network,
    *,
    user_id: str,
    name: str,
    year: int,
    tasks: Sequence[PlanTask],
    now: datetime,
) -> Preview:
    """Keep the imported plan as a draft until the coordination saves or discards it."""
    known = {s.key for s in await repo.sectors(session=session, network_id=network.id)}
    new_sectors = sorted({r for t in tasks for r in t.responsible if name_key(r) not in known})
    draft = await repo.add_draft(
        session=session,
        network_id=network.id,
        user_id=user_id,
        kind=DRAFT_KIND,
        payload=rules.draft_payload(name, year, tasks),
        now=now,
    )
    return Preview(draft.id, tuple(new_sectors))


async def decide(
    session: AsyncSession,
    network: Network,
    member: Member,
    draft_id: int,
    *,
    save: bool,
    coordinator: bool,
    now: datetime,
) -> Saved | None:
    """The coordination saves the previewed plan (its tasks become referrals, new sectors
    are added) or discards it (None)."""
    draft = await _open_draft(session, network, draft_id, coordinator=coordinator)
    if not save:
        draft.status = DraftStatus.DISCARDED
        return None
    draft.status = DraftStatus.SAVED
    payload = draft.payload
    plan = await store.add_plan(
        session=session,
        plan=ActionPlan(
            network_id=network.id, name=payload["name"], year=int(payload["year"]), created_at=now
        ),
    )
    await _create_tasks(session, network, member, plan, payload["tasks"], now)
    return Saved(plan, len(payload["tasks"]))


async def _open_draft(
    session: AsyncSession, network: Network, draft_id: int, *, coordinator: bool
) -> Draft:
    """The plan's draft, still undecided, for a coordinator to decide."""
    return await drafts.undecided(
        session,
        network,
        draft_id,
        kind=DRAFT_KIND,
        coordinator=coordinator,
        decided=N_("This was already decided."),
    )


async def _create_tasks(
    session: AsyncSession,
    network: Network,
    member: Member,
    plan: ActionPlan,
    tasks: list[dict[str, Any]],
    now: datetime,
) -> None:
    """Each task becomes a referral owed by its responsible sectors."""
    sectors = {s.key: s for s in await repo.sectors(session=session, network_id=network.id)}
    for item in tasks:
        owed = [await _sector(session, network, sectors, name) for name in item["responsible"]]
        await referrals.create(
            session,
            network,
            created_by_id=member.id,
            now=now,
            sectors=owed,
            deadline=date.fromisoformat(item["deadline"]),
            description=item["task"],
            origin="plan",
            plan_id=plan.id,
            action=item["action"],
        )


async def _sector(
    session: AsyncSession, network: Network, sectors: dict[str, Sector], name: str
) -> Sector:
    """The sector called ``name``, added to the network (and to ``sectors``) if new."""
    if name_key(name) not in sectors:
        sectors[name_key(name)] = await repo.add_sector(
            session=session, network_id=network.id, name=name
        )
    return sectors[name_key(name)]


async def overview(session: AsyncSession, network: Network, now: datetime) -> list[PlanProgress]:
    """Every plan of the network with its tasks' progress."""
    today = now.astimezone(ZoneInfo(network.timezone)).date()
    found = []
    for plan in await repo.action_plans(session=session, network_id=network.id):
        tasks = await repo.plan_referrals(session=session, plan_id=plan.id)
        found.append(PlanProgress(plan.name, plan.year, rules.progress(tasks, today)))
    return found
