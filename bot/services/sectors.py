"""The network's sectors: who represents which, and the coordination adding or renaming one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import UserError
from bot.i18n import N_
from bot.rules import sectors as rules
from bot.rules.names import name_key
from storage import plans as plans_store
from storage import repo
from storage.models import Member, Network, Sector

JOIN_EXAMPLE = "/setor CRAS"


@dataclass(frozen=True)
class Representation:
    """A sector, the members who represent it, and those whose declaration waits."""

    sector: str
    people: tuple[str, ...]
    waiting: tuple[str, ...] = ()


async def listed(session: AsyncSession, network: Network) -> Sequence[Sector]:
    """The sectors, in order (for a choice among them)."""
    return await repo.sectors(session=session, network_id=network.id)


class Standing(StrEnum):
    """What a declaration (/setor) left: the person speaks for the sector, or waits."""

    CONFIRMED = "confirmed"  # the coordination declared itself: it counts at once
    ALREADY = "already"  # the same sector, confirmed before: nothing changed
    WAITING = "waiting"  # for the coordination's confirmation


@dataclass(frozen=True)
class Joined:
    member: Member
    sector: Sector
    standing: Standing


async def join(
    session: AsyncSession,
    network: Network,
    member: Member,
    name: str,
    *,
    is_coordinator: bool,
    now: datetime,
    sector_id: int | None = None,
) -> Joined:
    """``member`` declares the sector called ``name`` (or ``sector_id``, a button of
    ``/setor`` alone) (issue 13). The coordination's declaration counts at once; anyone
    else's waits for the coordination to confirm it, a change of sector too (the
    confirmation was for the other one)."""
    sectors = await repo.sectors(session=session, network_id=network.id)
    if sector_id is not None:
        chosen = next((s for s in sectors if s.id == sector_id), None)
        if chosen is None:
            raise UserError(N_("This choice is no longer valid."))
        sector = chosen
    else:
        sector = rules.find(sectors, name, JOIN_EXAMPLE)
    if member.sector_id == sector.id and member.confirmed_at is not None:
        return Joined(member, sector, Standing.ALREADY)
    if member.sector_id != sector.id:
        member.sector_id, member.sector = sector.id, sector
        member.confirmed_at, member.confirmed_by_id = None, None
    if not is_coordinator:
        return Joined(member, sector, Standing.WAITING)
    member.confirmed_at, member.confirmed_by_id = now, member.id
    await repo.presence_follows_confirmation(session=session, member=member)
    return Joined(member, sector, Standing.CONFIRMED)


@dataclass(frozen=True)
class Decided:
    """The coordination's answer to a declaration: ``member`` speaks for ``sector`` now
    (``confirmed``), or her declaration was refused and she has no sector."""

    member: Member
    sector: Sector
    confirmed: bool
    waiting: Sequence[Member]  # the declarations still waiting, for the list


async def decide(
    session: AsyncSession,
    network: Network,
    presser: Member,
    *,
    is_coordinator: bool,
    now: datetime,
    member_id: int,
    sector_id: int,
    confirm: bool,
) -> Decided:
    """Confirm or refuse that member ``member_id`` represents sector ``sector_id``: the
    coordination's only. A press on a declaration decided before, or changed since (another
    sector, or none), does nothing."""
    if not is_coordinator:
        raise UserError(N_("Only the network's coordination can confirm who represents a sector."))
    target = await repo.member_by_id(session=session, member_id=member_id)
    if target is None or target.network_id != network.id:
        raise UserError(N_("This choice is no longer valid."))
    if target.sector_id != sector_id or target.sector is None:
        raise UserError(
            N_("{name}'s declaration changed since: nothing was done. See /setores pendentes."),
            name=target.name,
        )
    if target.confirmed_at is not None:
        raise UserError(
            N_("{name} was already confirmed for {sector}."),
            name=target.name,
            sector=target.sector.name,
        )
    sector = target.sector
    if confirm:
        target.confirmed_at, target.confirmed_by_id = now, presser.id
        await repo.presence_follows_confirmation(session=session, member=target)
    else:
        target.sector_id, target.sector = None, None
    await session.flush()
    return Decided(target, sector, confirm, await pending(session, network))


async def pending(session: AsyncSession, network: Network) -> Sequence[Member]:
    """The declarations waiting for the coordination, by name."""
    return await repo.declared(session=session, network_id=network.id, confirmed=False)


async def representation(session: AsyncSession, network: Network) -> list[Representation]:
    """Every sector with its representatives (by name), and the declarations waiting."""
    sectors = await repo.sectors(session=session, network_id=network.id)
    people = await repo.members(session=session, network_id=network.id)
    by_sector: dict[int, list[str]] = {}
    waiting: dict[int, list[str]] = {}
    for person in people:
        if person.sector_id is not None:
            into = by_sector if person.confirmed_at is not None else waiting
            into.setdefault(person.sector_id, []).append(person.name)
    return [
        Representation(s.name, tuple(by_sector.get(s.id, [])), tuple(waiting.get(s.id, [])))
        for s in sectors
    ]


async def add(session: AsyncSession, network: Network, change: rules.AddSector) -> Sector:
    """A new sector (refused when one of that name exists)."""
    sectors = await repo.sectors(session=session, network_id=network.id)
    if any(s.key == name_key(change.name) for s in sectors):
        raise UserError(
            N_("The sector {name} already exists."),
            example=rules.CHANGE_EXAMPLE,
            name=change.name,
        )
    _not_an_abbreviation(sectors, change.name)
    return await repo.add_sector(session=session, network_id=network.id, name=change.name)


def _not_an_abbreviation(
    sectors: Sequence[Sector], name: str, *, own: Sector | None = None
) -> None:
    """Refuse ``name`` for a sector when it is another sector's abbreviation ("CAPS",
    "C.T."): ``/setor CAPS`` finds that one, and would then mean two sectors."""
    named = [s for s in rules.abbreviation_of(sectors, name_key(name)) if s is not own]
    if named:
        # "/setores adicionar CAPS" beside Saúde Mental (CAPS): /setor CAPS already finds
        # that one; a second sector would make the abbreviation mean two things.
        raise UserError(
            N_(
                "{name} is already the abbreviation of {sector}: /setor {name} finds it. For "
                "a new sector, give it a name of its own; to call that one {name}: "
                "/setores renomear {sector} | {name}"
            ),
            example=rules.ADD_EXAMPLE,
            name=name,
            sector=named[0].name,
        )


def _exactly(sectors: Sequence[Sector], typed: str, example: str) -> Sector:
    """The sector ``typed`` names by its whole name or an abbreviation, for a change that
    cannot be undone by mistake (remove, rename): a beginning ("Epidem") is not enough."""
    sector = rules.find(sectors, typed, example.replace("{name}", typed))
    key = name_key(typed)
    if key == sector.key or sector in rules.abbreviation_of(sectors, key):
        return sector
    raise UserError(
        N_("Write the sector's whole name: {name}."),
        example=example.replace("{name}", sector.name),
        name=sector.name,
    )


async def rename(session: AsyncSession, network: Network, change: rules.RenameSector) -> str:
    """The sector gets its new name (refused when another has it); its old name."""
    sectors = await repo.sectors(session=session, network_id=network.id)
    sector = _exactly(sectors, change.old, "/setores renomear {name} | " + change.new)
    _not_an_abbreviation(sectors, change.new, own=sector)
    if any(s.key == name_key(change.new) and s.id != sector.id for s in sectors):
        raise UserError(
            N_("The sector {name} already exists."),
            example=rules.CHANGE_EXAMPLE,
            name=change.new,
        )
    removed = await repo.sectors(session=session, network_id=network.id, include_removed=True)
    if any(s.key == name_key(change.new) and s.removed_at is not None for s in removed):
        raise UserError(
            N_("A removed sector is called {name}: bring it back with /setores adicionar {name}."),
            example=rules.CHANGE_EXAMPLE,
            name=change.new,
        )
    old = sector.name
    sector.name, sector.key = change.new, name_key(change.new)
    return old


@dataclass(frozen=True)
class Removed:
    """A sector removed, and the members who represented it (now without a sector)."""

    sector: Sector
    members: Sequence[Member]


async def remove(
    session: AsyncSession, network: Network, change: rules.RemoveSector, now: datetime
) -> Removed:
    """The sector leaves the network's lists, meetings, rotation, working groups and new
    encaminhamentos; the records it appears in keep its name. Refused while it still owes
    a devolutiva (those are concluded, deleted or answered first)."""
    sectors = await repo.sectors(session=session, network_id=network.id)
    sector = _exactly(sectors, change.name, "/setores remover {name}")
    owing = sorted(
        {
            r.code
            for r in await repo.open_referrals(session=session, network_id=network.id)
            for d in r.owed
            if d.sector_id == sector.id and d.answered_at is None
        }
    )
    if owing:
        raise UserError(
            N_(
                "{name} still owes devolutivas on {codes}: conclude them (/concluir) or wait "
                "for the answers before removing it."
            ),
            example=f"/concluir {owing[0]}",
            name=sector.name,
            codes=", ".join(owing),
        )
    for group in await repo.working_groups(session=session, network_id=network.id):
        if sector.id in group.sector_ids:
            group.sector_ids = [i for i in group.sector_ids if i != sector.id]
    members = [
        m
        for m in await repo.members(session=session, network_id=network.id)
        if m.sector_id == sector.id
    ]
    for member in members:
        member.sector_id = None
        member.confirmed_at, member.confirmed_by_id = None, None
    sector.removed_at = now
    return Removed(sector, members)


@dataclass(frozen=True)
class Abbreviation:
    """Another name of a sector: the network's own, or a default one (PM, CT…)."""

    abbreviation: str
    sector: str
    default: bool


async def abbreviations(session: AsyncSession, network: Network) -> list[Abbreviation]:
    """The network's abbreviations and the default ones that name its sectors, by name."""
    sectors = await repo.sectors(session=session, network_id=network.id)
    names = {s.id: s.name for s in sectors}
    own = [
        Abbreviation(a.name, names[a.sector_id], default=False)
        for a in await repo.sector_aliases(session=session, network_id=network.id)
        if a.sector_id in names
    ]
    taken = {name_key(a.abbreviation) for a in own}
    defaults = [
        Abbreviation(short, sector.name, default=True)
        for short, sector in rules.defaults_for(sectors)
        if name_key(short) not in taken
    ]
    return sorted([*own, *defaults], key=lambda a: name_key(a.abbreviation))


async def add_abbreviation(
    session: AsyncSession, network: Network, change: rules.AddAbbreviation, now: datetime
) -> Sector:
    """``change.abbreviation`` names ``change.sector`` from now on (replacing what it
    named before); refused when it is a sector's own name."""
    sectors = await repo.sectors(session=session, network_id=network.id)
    if any(s.key == name_key(change.abbreviation) for s in sectors):
        raise UserError(
            N_("{name} is already the name of a sector."),
            example=rules.ABBREVIATION_EXAMPLE,
            name=change.abbreviation,
        )
    sector = rules.find(sectors, change.sector, rules.ABBREVIATION_EXAMPLE)
    await plans_store.remember(
        session=session,
        network_id=network.id,
        name=change.abbreviation,
        sector_id=sector.id,
        now=now,
    )
    return sector


async def remove_abbreviation(
    session: AsyncSession, network: Network, change: rules.RemoveAbbreviation
) -> Abbreviation:
    """The network's abbreviation is forgotten (a default one cannot be: it is given to
    another sector instead)."""
    key = name_key(change.abbreviation)
    listed = {name_key(a.abbreviation): a for a in await abbreviations(session, network)}
    found = listed.get(key)
    if found is None:
        raise UserError(
            N_("{name} is not an abbreviation of this network. See /setores siglas."),
            example=rules.ABBREVIATION_EXAMPLE,
            name=change.abbreviation,
        )
    if found.default:
        raise UserError(
            N_(
                "{name} stands for {sector} by default. To have it name another sector: "
                "/setores sigla {name} <sector>."
            ),
            name=found.abbreviation,
            sector=found.sector,
        )
    await repo.forget_sector_alias(session=session, network_id=network.id, key=key)
    return found
