"""Action plans (seed 002) and Planos de Providências (seed 004): an imported table previewed
as a draft (deadlines off weekends and holidays, each unknown Responsável decided by the
coordination), saved as referrals the chase follows, and each plan's progress."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import UserError
from bot.i18n import N_
from bot.rules import plans as rules
from bot.rules.deadlines import PlanTask
from bot.rules.names import name_key
from bot.rules.status import DraftStatus, MeetingStatus, ResponsibleStatus
from bot.services import drafts, referrals
from storage import plans as store
from storage import repo
from storage.models import ActionPlan, Draft, Member, Network, Sector

DRAFT_KIND = "plan"


@dataclass(frozen=True)
class NameView:
    """A Responsável of the draft as the coordination sees it."""

    name: str
    status: ResponsibleStatus
    sector: str | None  # the sector's name, when it is one of the network's
    options: tuple[tuple[int, str], ...]  # (id, name) of the sectors offered, while asked
    can_be_new: bool


@dataclass(frozen=True)
class PlanDraft:
    """The imported plan waiting for the coordination: its tasks (deadlines moved off days
    without expediente), the moves, and each Responsável's sector or question."""

    draft_id: int
    name: str
    year: int
    tasks: tuple[PlanTask, ...]
    moved: tuple[rules.Moved, ...]
    names: tuple[NameView, ...]
    left_out: int  # tasks with no sector of the network (known once every name is decided)

    @property
    def pending(self) -> int | None:
        """The index of the name to ask next (None: every name is decided)."""
        return next((i for i, n in enumerate(self.names) if n.status is ASK), None)


ASK = ResponsibleStatus.ASK


@dataclass(frozen=True)
class Saved:
    plan: ActionPlan
    tasks: int
    new_sectors: tuple[str, ...]
    left_out: int


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
) -> PlanDraft:
    """Keep the imported plan as a draft until the coordination decides every unknown
    Responsável and saves it (or discards it)."""
    off = rules.days_off(
        rules.deadline_years(tasks),
        network.state,
        await _municipal_holidays(session, network, rules.deadline_years(tasks)),
    )
    moved_tasks, moved = rules.working_deadlines(tasks, off)
    sectors = await repo.sectors(session=session, network_id=network.id)
    names = rules.resolve(
        rules.responsible_names(moved_tasks),
        sectors,
        await store.aliases(session=session, network_id=network.id),
    )
    draft = await repo.add_draft(
        session=session,
        network_id=network.id,
        user_id=user_id,
        kind=DRAFT_KIND,
        payload=rules.draft_payload(name, year, moved_tasks, moved, names),
        now=now,
    )
    return _view(draft, sectors)


async def _municipal_holidays(
    session: AsyncSession, network: Network, years: set[int]
) -> dict[date, str]:
    """The days of ``years`` (and the next) whose meeting the network cancelled for a
    holiday: the municipal holidays it told the bot of."""
    tz = ZoneInfo(network.timezone)
    start = datetime(min(years), 1, 1, tzinfo=tz)
    end = datetime(max(years) + 2, 1, 1, tzinfo=tz)
    meetings = await repo.meetings_between(
        session=session, network_id=network.id, start=start, end=end
    )
    return rules.municipal_holidays(
        (m.starts_at.astimezone(tz).date(), m.cancel_reason or "")
        for m in meetings
        if m.status == MeetingStatus.CANCELLED
    )


async def choose(
    session: AsyncSession,
    network: Network,
    draft_id: int,
    *,
    index: int,
    choice: rules.Choice,
    sector_id: int,
    coordinator: bool,
) -> PlanDraft:
    """The coordination's answer for one unknown Responsável, kept in the draft (nothing
    else changes until the plan is saved)."""
    draft = await _open_draft(session, network, draft_id, coordinator=coordinator)
    sectors = await repo.sectors(session=session, network_id=network.id)
    names = rules.decide(_names(draft), index, choice, sector_id, sectors={s.id for s in sectors})
    payload = dict(draft.payload)
    payload["names"] = [rules.names_item(n) for n in names]
    store.set_payload(draft=draft, payload=payload)
    return _view(draft, sectors)


def _names(draft: Draft) -> list[rules.Responsible]:
    """The draft's names (a draft of an older release, which kept none, is refused)."""
    if "names" not in draft.payload:
        raise UserError(N_("This choice is no longer valid."), example=rules.IMPORT_EXAMPLE)
    return rules.payload_names(draft.payload)


def _view(draft: Draft, sectors: Sequence[Sector]) -> PlanDraft:
    by_id = {s.id: s.name for s in sectors}
    names = rules.payload_names(draft.payload)
    tasks = rules.payload_tasks(draft.payload)
    decided = rules.next_pending(names) is None
    return PlanDraft(
        draft_id=draft.id,
        name=draft.payload["name"],
        year=int(draft.payload["year"]),
        tasks=tuple(tasks),
        moved=tuple(rules.payload_moved(draft.payload)),
        names=tuple(
            NameView(
                name=n.name,
                status=n.status,
                sector=by_id.get(n.sector_id) if n.sector_id is not None else None,
                options=tuple((i, by_id[i]) for i in n.options if i in by_id),
                can_be_new=rules.can_be_sector(n.name),
            )
            for n in names
        ),
        left_out=rules.left_out(tasks, names) if decided else 0,
    )


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
    """The coordination saves the previewed plan once every Responsável is decided (its
    tasks become referrals, the new sectors are added, the decisions are remembered for
    the network's next plans) or discards it (None)."""
    draft = await _open_draft(session, network, draft_id, coordinator=coordinator)
    if not save:
        draft.status = DraftStatus.DISCARDED
        return None
    names = _names(draft)
    waiting = rules.next_pending(names)
    if waiting is not None:
        raise UserError(
            N_("First decide which sector {name} is (the question above)."),
            name=names[waiting].name,
        )
    payload = draft.payload
    if rules.left_out(rules.payload_tasks(payload), names) == len(payload["tasks"]):
        raise UserError(
            N_("No task of this plan has a sector of the network: there is nothing to save."),
            example=rules.IMPORT_EXAMPLE,
        )
    draft.status = DraftStatus.SAVED
    owed, new_sectors = await _sectors_of(session, network, names, now)
    tasks = [
        (task, sectors) for task in rules.payload_tasks(payload) if (sectors := _owing(task, owed))
    ]
    plan = await store.add_plan(
        session=session,
        plan=ActionPlan(
            network_id=network.id, name=payload["name"], year=int(payload["year"]), created_at=now
        ),
    )
    for task, sectors in tasks:
        await referrals.create(
            session,
            network,
            created_by_id=member.id,
            now=now,
            sectors=sectors,
            deadline=task.deadline,
            description=task.task,
            origin="plan",
            plan_id=plan.id,
            action=task.action,
        )
    total = len(payload["tasks"])
    return Saved(plan, len(tasks), tuple(new_sectors), total - len(tasks))


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


async def _sectors_of(
    session: AsyncSession, network: Network, names: Sequence[rules.Responsible], now: datetime
) -> tuple[dict[str, Sector | None], list[str]]:
    """Each name's sector (by name key; None: no sector), the new sectors added and the
    decisions of this plan remembered; also the names of the sectors added."""
    sectors = {s.id: s for s in await repo.sectors(session=session, network_id=network.id)}
    by_key = {s.key: s for s in sectors.values()}
    owed: dict[str, Sector | None] = {}
    added: list[str] = []
    for item in names:
        sector: Sector | None = None
        if item.status is ResponsibleStatus.NEW:
            sector = by_key.get(name_key(item.name))
            if sector is None:
                sector = await repo.add_sector(
                    session=session, network_id=network.id, name=item.name
                )
                by_key[sector.key] = sector
                added.append(sector.name)
        elif item.status not in rules.NO_SECTOR:
            sector = sectors.get(item.sector_id) if item.sector_id is not None else None
            if sector is None:  # the sector is gone since the preview
                raise UserError(N_("This choice is no longer valid."), example=rules.IMPORT_EXAMPLE)
        if item.status in (ResponsibleStatus.CHOSEN, ResponsibleStatus.IGNORED):
            await store.remember(
                session=session,
                network_id=network.id,
                name=item.name,
                sector_id=sector.id if sector is not None else None,
                now=now,
            )
        owed[name_key(item.name)] = sector
    return owed, added


def _owing(task: PlanTask, owed: dict[str, Sector | None]) -> list[Sector]:
    """The sectors that owe ``task`` (each once: two names may be one sector)."""
    found: dict[int, Sector] = {}
    for name in task.responsible:
        sector = owed.get(name_key(name))
        if sector is not None:
            found.setdefault(sector.id, sector)
    return list(found.values())


async def overview(session: AsyncSession, network: Network, now: datetime) -> list[PlanProgress]:
    """Every plan of the network with its tasks' progress."""
    today = now.astimezone(ZoneInfo(network.timezone)).date()
    found = []
    for plan in await repo.action_plans(session=session, network_id=network.id):
        tasks = await repo.plan_referrals(session=session, plan_id=plan.id)
        found.append(PlanProgress(plan.name, plan.year, rules.progress(tasks, today)))
    return found
