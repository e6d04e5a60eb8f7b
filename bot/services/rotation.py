"""Secretary and ata author by rotation (seed 000 §5): named when a meeting opens,
accepted or declined (then passed on), swapped by the coordination, and the order explained.

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
from bot.rules.rotation import AUTHOR, ROLES, SECRETARY
from bot.rules.status import MeetingStatus, RoleStatus
from bot.services import atas
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
class RoleOrder:
    role: str
    standings: tuple[rules.Standing, ...]


@dataclass(frozen=True)
class RotationView:
    """``/rodizio``: each role's order, with the sectors' names."""

    names: dict[int, str]
    orders: tuple[RoleOrder, ...]
    has_candidates: bool


# --- choosing -------------------------------------------------------------------------------


async def _excluded(session: AsyncSession, network: Network) -> set[int]:
    if not network.rotation_skips_coordination:
        return set()
    return {
        m.sector_id
        for m in await repo.coordinators(session=session, network_id=network.id)
        if m.sector_id is not None
    }


async def _who_is_there(
    session: AsyncSession, meeting: Meeting
) -> tuple[set[int] | None, set[int]]:
    rows = [r for r in await repo.attendance(session=session, meeting_id=meeting.id) if r.present]
    present = {r.sector_id for r in rows if r.sector_id is not None} if rows else None
    answers = [
        (rsvp.member.sector_id, rsvp.answer)
        for rsvp in await repo.rsvps(session=session, meeting_id=meeting.id)
        if rsvp.member.sector_id is not None
    ]
    return rules.who_is_there(present, answers)


async def _choose(
    session: AsyncSession,
    network: Network,
    meeting: Meeting,
    role: str,
    *,
    declined: set[int],
    avoid: set[int],
) -> int | None:
    expected = await meetings_store.expected_sectors(
        session=session, network=network, meeting=meeting
    )
    history = await repo.role_history(
        session=session, network_id=network.id, role=role, before=meeting.starts_at
    )
    present, away = await _who_is_there(session, meeting)
    return rules.choose(
        [s.id for s in expected],
        [rules.Service(sector, when) for sector, when, _id in history],
        present=present,
        excluded=await _excluded(session, network),
        declined=declined | away,
        last=history[-1][0] if history else None,
        avoid=avoid,
    )


async def assign_roles(
    session: AsyncSession, network: Network, meeting: Meeting, now: datetime
) -> Opening | None:
    """Seed 000 §5: at the start of each meeting, name the secretary and the ata's author
    (once; None when the meeting has no roles or already has them)."""
    if meeting.kind not in rules.KINDS_WITH_ROLES or meeting.status != MeetingStatus.SCHEDULED:
        return None
    if await repo.assignments(session=session, meeting_id=meeting.id):
        return None
    secretary = await _choose(session, network, meeting, SECRETARY, declined=set(), avoid=set())
    author = secretary
    if not network.roles_same_sector:
        avoid = {secretary} if secretary else set()
        author = await _choose(session, network, meeting, AUTHOR, declined=set(), avoid=avoid)
    for role, sector in ((SECRETARY, secretary), (AUTHOR, author)):
        if sector is not None:
            await store.add_assignment(
                session=session,
                network_id=network.id,
                meeting_id=meeting.id,
                role=role,
                sector_id=sector,
                status=RoleStatus.PROPOSED,
                now=now,
            )
    opened = await atas.open_ata(session, network, meeting, author=author, now=now)
    return Opening(await roles_view(session, network, meeting), opened)


async def assign_roles_at_start(
    session: AsyncSession, network: Network, meeting_id: int | None, now: datetime
) -> Opening | None:
    """At the meeting's start time, name the roles if the presence list did not already."""
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
    if member.sector_id != row.sector_id and not is_coordinator:
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
        session=session, network_id=network.id, start=now - SWAP_WINDOW, end=now + timedelta(days=1)
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
    """``/rodizio``: each role's rotation order over the sectors with representatives."""
    sectors = await repo.sectors(session=session, network_id=network.id)
    people = await repo.representatives(session=session, network_id=network.id)
    with_people = {m.sector_id for m in people}
    candidates = [s.id for s in sectors if s.id in with_people]
    excluded = await _excluded(session, network)
    orders = []
    for role in ROLES:
        history = await repo.role_history(
            session=session, network_id=network.id, role=role, before=now + timedelta(days=1)
        )
        ranked = rules.standings(
            [c for c in candidates if c not in excluded],
            [rules.Service(s, when) for s, when, _id in history],
        )
        orders.append(RoleOrder(role, tuple(ranked)))
    return RotationView({s.id: s.name for s in sectors}, tuple(orders), bool(candidates))


async def change_setting(network: Network, *, is_coordinator: bool, args: Sequence[str]) -> None:
    """``/rodizio KEY VALUE``: the coordination changes how the rotation works."""
    if not is_coordinator:
        raise UserError(N_("Only the network's coordination can change the rotation."))
    setting = rules.parse_setting(args)
    setattr(network, setting.field, setting.value)
