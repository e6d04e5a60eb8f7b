"""Secretary and ata author by rotation (seed 000 §5): named some minutes into the
presence list (from the sectors present), or after the start from the RSVPs when no list
was opened; accepted or declined (then passed on), swapped by the coordination, and the
order explained.

The naming is a row of the outbox (``meeting:<id>:roles``, Kind.MEETING_ROLES): the
presence list plans it when it opens, the meeting's start row when no list was opened.

Naming the ata's author opens the meeting's ata: that is the atas service's
(``bot.services.atas.open_ata``), called here so the features' handlers stay apart.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import UserError
from bot.i18n import N_
from bot.rules import rotation as rules
from bot.rules import trust
from bot.rules.kinds import Kind
from bot.rules.rotation import AUTHOR, ROLES, SECRETARY
from bot.rules.status import MeetingStatus, OutboxStatus, RoleStatus
from bot.services import atas, attendance
from storage import meetings as meetings_store
from storage import repo
from storage import rotation as store
from storage.models import Meeting, Member, Network, RoleAssignment, Sector

# How far back /trocar looks for the meeting whose roles it changes.
SWAP_WINDOW = timedelta(days=60)


@dataclass(frozen=True)
class RoleLine:
    """One role in the roles message: its live assignment (None: nobody could take it)."""

    role: str
    assignment: RoleAssignment | None
    sector: str  # the assigned sector's name


@dataclass(frozen=True)
class RolesView:
    meeting: Meeting
    lines: tuple[RoleLine, ...]
    mentioned: tuple[Member, ...]  # the representatives of the sectors named


@dataclass(frozen=True)
class Opening:
    """The roles just named at a meeting, and the draft of the ata they opened."""

    roles: RolesView
    ata: atas.OpenedAta | None


@dataclass(frozen=True)
class PassedOn:
    """A declined role and where it went (``new`` None: no other sector can take it)."""

    role: str
    old: str
    new: str | None
    people: tuple[Member, ...]


@dataclass(frozen=True)
class Decided:
    accepted: bool
    roles: RolesView
    passed: PassedOn | None


@dataclass(frozen=True)
class RotationView:
    """``/rodizio``: the order (the next secretary first), and the sectors an absence
    streak keeps out until they attend."""

    standings: tuple[rules.Standing, ...]
    streak: frozenset[int]
    year: int
    has_candidates: bool


# --- choosing -------------------------------------------------------------------------------


def _roles_key(meeting: Meeting) -> str:
    # Under the meeting's prefix: cancelling or moving the meeting's rows reaches it.
    return f"meeting:{meeting.id}:roles"


def _has_roles(meeting: Meeting) -> bool:
    return meeting.kind in rules.KINDS_WITH_ROLES and meeting.status == MeetingStatus.SCHEDULED


async def _named(session: AsyncSession, meeting: Meeting) -> set[str]:
    """The roles already named at ``meeting`` (by the rotation or by /trocar)."""
    return {row.role for row in await repo.assignments(session=session, meeting_id=meeting.id)}


async def schedule_after_list(
    session: AsyncSession, network: Network, meeting: Meeting, now: datetime
) -> datetime | None:
    """The presence list just opened: the roles are named a little later, from the sectors
    marked present by then. When (None: nothing to name, or already planned so)."""
    if not _has_roles(meeting) or await _named(session, meeting) >= set(ROLES):
        return None
    key = _roles_key(meeting)
    row = await store.roles_row(session=session, network_id=network.id, key=key)
    if row is not None and (
        row.status == OutboxStatus.SENT
        or (row.status == OutboxStatus.PENDING and row.payload.get("list"))
    ):
        return None  # named already, or the list was opened before: keep its time
    due = rules.roles_due(meeting.starts_at, list_opened_at=now)
    await repo.schedule(
        session=session,
        network_id=network.id,
        key=key,
        kind=Kind.MEETING_ROLES,
        due_at=due,
        meeting_id=meeting.id,
        payload={"list": True},
    )
    return due


async def at_start(session: AsyncSession, network: Network, meeting_id: int | None) -> None:
    """The meeting's start time: without a presence list, the roles wait a while for one,
    then come from the RSVPs (``rules.roles_due``)."""
    meeting = await repo.meeting(session=session, meeting_id=meeting_id) if meeting_id else None
    if meeting is None or not _has_roles(meeting):
        return
    key = _roles_key(meeting)
    row = await store.roles_row(session=session, network_id=network.id, key=key)
    if row is not None and row.status in (OutboxStatus.PENDING, OutboxStatus.SENT):
        return  # the presence list planned them (or they were named)
    await repo.schedule(
        session=session,
        network_id=network.id,
        key=key,
        kind=Kind.MEETING_ROLES,
        due_at=rules.roles_due(meeting.starts_at, list_opened_at=None),
        meeting_id=meeting.id,
    )


async def _excluded(session: AsyncSession, network: Network) -> set[int]:
    if not network.rotation_skips_coordination:
        return set()
    return {
        m.confirmed_sector_id
        for m in await repo.coordinators(session=session, network_id=network.id)
        if m.confirmed_sector_id is not None
    }


async def _pool(session: AsyncSession, network: Network, meeting: Meeting) -> rules.Pool:
    """Who can serve now: the sectors present, else those that confirmed (PRODUCT.md §4)."""
    rows = await repo.attendance(session=session, meeting_id=meeting.id)
    present = {r.sector_id for r in rows if r.present and r.sector_id is not None}
    # Only confirmed representatives bring their sector into the pool (issue 13).
    confirmed = {
        rsvp.member.confirmed_sector_id
        for rsvp in await repo.rsvps(session=session, meeting_id=meeting.id)
        if rsvp.answer == "yes" and rsvp.member.confirmed_sector_id is not None
    }
    if meeting.convened_by_sector_id is not None:
        confirmed.add(meeting.convened_by_sector_id)
    streak = await attendance.absence_streaks(session, network, until=meeting.starts_at)
    return rules.who_can_serve(present, confirmed, streak)


async def _history(
    session: AsyncSession, network: Network, before: datetime
) -> list[rules.Service]:
    """Every service of both roles before ``before``."""
    return [
        rules.Service(sector, when, role)
        for role in ROLES
        for sector, when, _id in await repo.role_history(
            session=session, network_id=network.id, role=role, before=before
        )
    ]


async def _candidates(
    session: AsyncSession, network: Network, meeting: Meeting
) -> list[rules.Candidate]:
    expected = await meetings_store.expected_sectors(
        session=session, network=network, meeting=meeting
    )
    return [rules.Candidate(s.id, s.name) for s in expected]


async def _choose(
    session: AsyncSession,
    network: Network,
    meeting: Meeting,
    role: str,
    *,
    declined: set[int],
    avoid: set[int],
) -> int | None:
    history = await _history(session, network, meeting.starts_at)
    pool = await _pool(session, network, meeting)
    return rules.choose(
        await _candidates(session, network, meeting),
        history,
        role=role,
        since=rules.year_start(meeting.starts_at, network.timezone),
        pool=pool.sectors,
        excluded=await _excluded(session, network),
        declined=declined,
        previous=rules.previous_servers(history),
        avoid=avoid,
    )


async def assign_roles(
    session: AsyncSession, network: Network, meeting: Meeting, now: datetime
) -> Opening | None:
    """Seed 000 §5: at the start of each meeting, name the secretary and the ata's author
    (those /trocar did not name before; None when the meeting has no roles, or has them)."""
    if not _has_roles(meeting):
        return None
    named = await _named(session, meeting)
    if named >= set(ROLES):
        return None
    live = await store.live_assignments(session=session, meeting_id=meeting.id)
    chosen = {role: live[role].sector_id for role in live}
    for role in ROLES:
        if role in named:
            continue
        if network.roles_same_sector and role == AUTHOR and SECRETARY in chosen:
            sector: int | None = chosen[SECRETARY]
        else:
            avoid = set() if network.roles_same_sector else set(chosen.values())
            sector = await _choose(session, network, meeting, role, declined=set(), avoid=avoid)
        if sector is None:
            continue
        chosen[role] = sector
        await store.add_assignment(
            session=session,
            network_id=network.id,
            meeting_id=meeting.id,
            role=role,
            sector_id=sector,
            status=RoleStatus.PROPOSED,
            now=now,
        )
    opened = None
    if await repo.ata_of(session=session, meeting_id=meeting.id) is None:
        opened = await atas.open_ata(session, network, meeting, author=chosen.get(AUTHOR), now=now)
    await store.flush(session=session)
    return Opening(await roles_view(session, network, meeting), opened)


async def assign_roles_due(
    session: AsyncSession, network: Network, meeting_id: int | None, now: datetime
) -> Opening | None:
    """The roles' row is due: name them now (once)."""
    if meeting_id is None:
        return None
    meeting = await repo.meeting(session=session, meeting_id=meeting_id)
    if meeting is None:
        return None
    return await assign_roles(session, network, meeting, now)


async def roles_view(session: AsyncSession, network: Network, meeting: Meeting) -> RolesView:
    """Who holds each role now, and the representatives of those sectors."""
    current = await store.live_assignments(session=session, meeting_id=meeting.id)
    everyone = await repo.sectors(session=session, network_id=network.id, include_removed=True)
    sectors = {s.id: s for s in everyone}
    lines: list[RoleLine] = []
    mentioned: list[Member] = []
    shown: set[int] = set()
    for role in ROLES:
        row = current.get(role)
        sector = sectors.get(row.sector_id) if row else None
        lines.append(RoleLine(role, row, sector.name if sector else "?"))
        if row is not None and row.sector_id not in shown:
            shown.add(row.sector_id)
            mentioned += await repo.representatives(
                session=session, network_id=network.id, sector_ids=[row.sector_id]
            )
    return RolesView(meeting, tuple(lines), tuple(mentioned))


# --- answering and swapping -----------------------------------------------------------------


async def decide(
    session: AsyncSession,
    network: Network,
    member: Member,
    *,
    is_coordinator: bool,
    now: datetime,
    assignment_id: int,
    accept: bool,
) -> Decided:
    """A sector accepts its role, or declines it ("Não posso") and it is passed on."""
    row = await store.assignment(session=session, assignment_id=assignment_id)
    if row is None or row.network_id != network.id:
        raise UserError(N_("This choice is no longer valid."))
    if row.status != RoleStatus.PROPOSED:
        raise UserError(N_("This was already decided."))
    if member.confirmed_sector_id != row.sector_id and not is_coordinator:
        if member.sector_id == row.sector_id:
            raise trust.not_confirmed(member)
        raise UserError(N_("Only a representative of that sector can answer."))
    meeting = await repo.meeting(session=session, meeting_id=row.meeting_id)
    if meeting is None:
        raise UserError(N_("This choice is no longer valid."))
    row.decided_at = now
    row.status = RoleStatus.ACCEPTED if accept else RoleStatus.DECLINED
    passed = None if accept else await _pass_on(session, network, meeting, row, now)
    return Decided(accept, await roles_view(session, network, meeting), passed)


async def _pass_on(
    session: AsyncSession,
    network: Network,
    meeting: Meeting,
    declined: RoleAssignment,
    now: datetime,
) -> PassedOn:
    """ "Não posso": the role goes to the next sector in order."""
    role = declined.role
    refused = await store.declined_sectors(session=session, meeting_id=meeting.id, role=role)
    other = await store.live_assignments(session=session, meeting_id=meeting.id)
    holder = other.get(rules.other_role(role))
    avoid = {holder.sector_id} if holder else set()
    nxt = await _choose(session, network, meeting, role, declined=refused, avoid=avoid)
    names = {
        s.id: s.name
        for s in await repo.sectors(session=session, network_id=network.id, include_removed=True)
    }
    old = names[declined.sector_id]
    if nxt is None:
        return PassedOn(role, old, None, ())
    await _set_role(session, network, meeting, role, nxt, status=RoleStatus.PROPOSED, now=now)
    people = await repo.representatives(session=session, network_id=network.id, sector_ids=[nxt])
    return PassedOn(role, old, names[nxt], tuple(people))


async def _set_role(
    session: AsyncSession,
    network: Network,
    meeting: Meeting,
    role: str,
    sector_id: int,
    *,
    status: RoleStatus,
    now: datetime,
) -> None:
    await store.add_assignment(
        session=session,
        network_id=network.id,
        meeting_id=meeting.id,
        role=role,
        sector_id=sector_id,
        status=status,
        now=now,
    )
    if role == AUTHOR:
        await atas.set_author(session, meeting, sector_id)
    await store.flush(session=session)


async def _meeting_with_roles(session: AsyncSession, network: Network, now: datetime) -> Meeting:
    """The meeting whose roles are being handled: the latest one that has them."""
    meeting = await store.latest_meeting_with_roles(
        session=session,
        network_id=network.id,
        kinds=rules.KINDS_WITH_ROLES,
        start=now - SWAP_WINDOW,
        end=now + timedelta(days=1),
        now=now,
    )
    if meeting is None:
        raise UserError(
            N_("No meeting has a secretary or ata author yet: they are named when it starts."),
            example="/presenca",
        )
    return meeting


async def swap(
    session: AsyncSession,
    network: Network,
    now: datetime,
    *,
    role: str | None,
    pick: Callable[[Sequence[Sector]], Sector],
) -> RolesView:
    """``/trocar``: the coordination gives a role (or both) of the latest meeting to the
    sector ``pick`` chooses among the network's; it is accepted at once."""
    sector = pick(await repo.sectors(session=session, network_id=network.id))
    meeting = await _meeting_with_roles(session, network, now)
    roles = rules.swapped_roles(role, same_sector=network.roles_same_sector)
    current = await store.live_assignments(session=session, meeting_id=meeting.id)
    for each in roles:
        if each in current:
            current[each].status = RoleStatus.OVERRIDDEN
            current[each].decided_at = now
        await _set_role(
            session, network, meeting, each, sector.id, status=RoleStatus.ACCEPTED, now=now
        )
    return await roles_view(session, network, meeting)


# --- the order and the settings ---------------------------------------------------------------


async def standings(session: AsyncSession, network: Network, now: datetime) -> RotationView:
    """``/rodizio``: the rotation order over the sectors with representatives, the next
    secretary first; those an absence streak keeps out come last."""
    sectors = await repo.sectors(session=session, network_id=network.id)
    people = await repo.representatives(session=session, network_id=network.id)
    with_people = {m.sector_id for m in people}
    excluded = await _excluded(session, network)
    candidates = [rules.Candidate(s.id, s.name) for s in sectors if s.id in with_people - excluded]
    since = rules.year_start(now, network.timezone)
    ranked = rules.standings(
        candidates, await _history(session, network, now + timedelta(days=1)), since=since
    )
    streak = await attendance.absence_streaks(session, network, until=now)
    # Those a streak keeps out are not next, whatever their place: they come last.
    ranked.sort(key=lambda standing: standing.sector_id in streak)
    return RotationView(
        standings=tuple(ranked),
        streak=frozenset(streak),
        year=since.year,
        has_candidates=bool(with_people),
    )


async def change_setting(network: Network, *, is_coordinator: bool, args: Sequence[str]) -> None:
    """``/rodizio KEY VALUE``: the coordination changes how the rotation works."""
    if not is_coordinator:
        raise UserError(N_("Only the network's coordination can change the rotation."))
    setting = rules.parse_setting(args)
    setattr(network, setting.field, setting.value)
