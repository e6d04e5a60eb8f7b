"""The systems' reporting deadlines (seed 001: RMA, Censo SUAS, SISC…): saving one,
planning its announcement and pending notice, and the sectors' confirmations."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import UserError
from bot.i18n import N_
from bot.rules import sectors as sector_rules
from bot.rules import system_deadlines as rules
from bot.rules import trust
from bot.rules.names import name_key
from storage import repo
from storage import system_deadlines as store
from storage.models import Member, Network, ReportingConfirmation, ReportingDeadline, Sector


@dataclass(frozen=True)
class Saved:
    deadline: ReportingDeadline
    due: date  # its next occurrence
    sectors: tuple[str, ...]


@dataclass(frozen=True)
class Status:
    """A deadline's next occurrence and the sectors that have not confirmed it."""

    name: str
    due: date
    missing: tuple[str, ...]


@dataclass(frozen=True)
class Occurrence:
    """One occurrence of a deadline, and who is told of it (the pending notice: the
    sectors that have not confirmed, and their representatives)."""

    deadline: ReportingDeadline
    due: date
    sectors: tuple[Sector, ...]
    people: tuple[Member, ...]


async def save(
    session: AsyncSession, network: Network, spec: rules.DeadlineSpec, now: datetime
) -> Saved:
    """Add the deadline, or replace the one of that name; plan its next occurrence."""
    sectors = await repo.sectors(session=session, network_id=network.id)
    chosen = sector_rules.find_all(sectors, spec.sectors, rules.EXAMPLE)
    item = await _named(session, network, spec.name, now)
    recurrence = spec.recurrence
    item.recurrence, item.day, item.month = recurrence.kind, recurrence.day, recurrence.month
    item.sector_ids, item.link = [s.id for s in chosen], spec.link
    await store.save_deadline(session=session, deadline=item)
    due = await plan_occurrence(session, network, item, now)
    return Saved(item, due, tuple(s.name for s in chosen))


async def _named(
    session: AsyncSession, network: Network, name: str, now: datetime
) -> ReportingDeadline:
    """The stored deadline called ``name``, or a new one (not yet added)."""
    key = name_key(name)
    found = await store.deadline_by_key(session=session, network_id=network.id, key=key)
    return found or ReportingDeadline(network_id=network.id, name=name, key=key, created_at=now)


async def plan_occurrence(
    session: AsyncSession, network: Network, item: ReportingDeadline, now: datetime
) -> date:
    """Schedule the announcement (Anexo I) and the pending notice (Anexo II) of the next
    date; the date."""
    tz = ZoneInfo(network.timezone)
    due = rules.occurrences_after(item, now.astimezone(tz).date())
    prefix = f"report:{item.id}:"
    await repo.cancel_scheduled(session=session, network_id=network.id, key_prefix=prefix)
    for kind, when in rules.notices(due, tz, now):
        await repo.schedule(
            session=session,
            network_id=network.id,
            key=f"{prefix}{due.isoformat()}:{kind}",
            kind=kind,
            due_at=when,
            payload={"deadline_id": item.id, "due": due.isoformat()},
        )
    return due


async def owing(session: AsyncSession, network: Network, item: ReportingDeadline) -> list[int]:
    """The sectors that answer for ``item`` now: its sectors, less those removed since
    (/setores remover; they can never confirm it, and would hold it in a past period).
    A sector brought back owes it again."""
    live = {s.id for s in await repo.sectors(session=session, network_id=network.id)}
    return [i for i in item.sector_ids if i in live]


async def current(
    session: AsyncSession, network: Network, item: ReportingDeadline, now: datetime
) -> tuple[date, set[int]]:
    """The occurrence of ``item`` that ``/prazos`` shows and ``/prazo_ok`` confirms, and
    the sectors that have confirmed it: the one just passed while a sector still owes it
    (never one due before the deadline was created), else the next one."""
    tz = ZoneInfo(network.timezone)
    today, since = now.astimezone(tz).date(), item.created_at.astimezone(tz).date()
    sector_ids = await owing(session, network, item)
    for due in rules.open_occurrences(item, today, since):
        period = rules.period_of(item, due)
        done = await repo.confirmations(session=session, deadline_id=item.id, period=period)
        if not done.issuperset(sector_ids):
            break
    return due, done


async def overview(session: AsyncSession, network: Network, now: datetime) -> list[Status]:
    """Every deadline's current occurrence (see ``current``) with its pending sectors, by
    name."""
    items = await repo.reporting_deadlines(session=session, network_id=network.id)
    if not items:
        return []
    names = {s.id: s.name for s in await repo.sectors(session=session, network_id=network.id)}
    statuses = []
    for item in items:
        due, done = await current(session, network, item, now)
        missing = tuple(names[i] for i in item.sector_ids if i in names and i not in done)
        statuses.append(Status(item.name, due, missing))
    return statuses


async def open_for(
    session: AsyncSession, network: Network, member: Member, now: datetime
) -> list[tuple[ReportingDeadline, date]]:
    """``/prazo_ok`` alone: the deadlines the member's sector answers for and has not
    confirmed in their current period, with its date (a confirmed representative's only)."""
    sector_id = trust.speaks_for(member, example="/setor CRAS")
    found = []
    for item in await repo.reporting_deadlines(session=session, network_id=network.id):
        if sector_id not in item.sector_ids:
            continue
        due, done = await current(session, network, item, now)
        if sector_id not in done:
            found.append((item, due))
    return sorted(found, key=lambda pair: (pair[1], pair[0].key))


async def confirm(
    session: AsyncSession,
    network: Network,
    member: Member,
    name: str,
    now: datetime,
    *,
    deadline_id: int | None = None,
) -> tuple[ReportingDeadline, date]:
    """The member's sector filled the deadline called ``name`` (or ``deadline_id``, a
    button of ``/prazo_ok`` alone): the deadline and the due day confirmed (its period is
    recorded; confirming twice is harmless). Only a confirmed representative confirms for
    her sector (issue 13)."""
    sector_id = trust.speaks_for(member, example="/setor CRAS")
    if deadline_id is not None:
        item = await store.deadline(session=session, deadline_id=deadline_id)
        if item is None or item.network_id != network.id:
            raise UserError(N_("This choice is no longer valid."))
    else:
        item = await store.deadline_by_key(
            session=session, network_id=network.id, key=name_key(name)
        )
    if item is None:
        raise UserError(
            N_("There is no deadline called {name}. See /prazos."),
            example=rules.OK_EXAMPLE,
            name=name or "—",
        )
    if sector_id not in item.sector_ids:
        raise UserError(N_("Your sector is not responsible for {name}."), name=item.name)
    due, done = await current(session, network, item, now)
    if sector_id not in done:
        confirmation = ReportingConfirmation(
            deadline_id=item.id,
            period=rules.period_of(item, due),
            sector_id=sector_id,
            confirmed_at=now,
        )
        await store.add_confirmation(session=session, confirmation=confirmation)
    return item, due


async def announcement(
    session: AsyncSession, network: Network, deadline_id: int, due: date, now: datetime
) -> Occurrence | None:
    """Seed 001, Anexo I: the occurrence and every responsible sector's representatives
    (None when the deadline is gone, or when the pending notice's time has come too: after
    a gap that notice alone speaks of the occurrence)."""
    item = await store.deadline(session=session, deadline_id=deadline_id)
    if item is None or now >= rules.pending_at(due, ZoneInfo(network.timezone)):
        return None
    people = await repo.representatives(
        session=session, network_id=network.id, sector_ids=item.sector_ids
    )
    return Occurrence(item, due, (), tuple(people))


async def pending(
    session: AsyncSession, network: Network, deadline_id: int, due: date, now: datetime
) -> Occurrence | None:
    """Seed 001, Anexo II: the next occurrence is planned, and this one's sectors that
    have not confirmed are returned (None when the deadline is gone or all confirmed)."""
    item = await store.deadline(session=session, deadline_id=deadline_id)
    if item is None:
        return None
    # After a gap the row may be about a date long past: the notice speaks of the newest
    # occurrence whose notice time has come (the one sectors confirm now), and the next
    # one is planned after it.
    tz = ZoneInfo(network.timezone)
    today, since = now.astimezone(tz).date(), item.created_at.astimezone(tz).date()
    come = [d for d in rules.open_occurrences(item, today, since) if rules.pending_at(d, tz) <= now]
    due = max([due, *come])
    after = datetime.combine(due + timedelta(days=1), time(0, 0), tzinfo=tz)
    await plan_occurrence(session, network, item, max(rules.after_pending(now), after))
    if due < today - rules.CONFIRM_LATE:
        return None  # nothing left to confirm for it
    done = await repo.confirmations(
        session=session, deadline_id=item.id, period=rules.period_of(item, due)
    )
    missing = [i for i in await owing(session, network, item) if i not in done]
    if not missing:
        return None
    sectors = await repo.sectors(session=session, network_id=network.id)
    people = await repo.representatives(session=session, network_id=network.id, sector_ids=missing)
    return Occurrence(item, due, tuple(s for s in sectors if s.id in missing), tuple(people))
