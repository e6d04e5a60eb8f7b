"""The network's sectors: who represents which, and the coordination adding or renaming one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import UserError
from bot.i18n import N_
from bot.rules import sectors as rules
from bot.rules.names import name_key
from storage import repo
from storage.models import Member, Network, Sector

JOIN_EXAMPLE = "/setor CRAS"


@dataclass(frozen=True)
class Representation:
    """A sector and the names of the members who represent it."""

    sector: str
    people: tuple[str, ...]


async def names(session: AsyncSession, network: Network) -> list[str]:
    """The sectors' names, in order."""
    return [s.name for s in await repo.sectors(session=session, network_id=network.id)]


async def join(session: AsyncSession, network: Network, member: Member, name: str) -> Sector:
    """``member`` represents the sector called ``name`` from now on."""
    sectors = await repo.sectors(session=session, network_id=network.id)
    sector = rules.find(sectors, name, JOIN_EXAMPLE)
    if member.sector_id != sector.id:  # the same sector again leaves the row clean
        member.sector_id = sector.id
        member.sector = sector
    return sector


async def representation(session: AsyncSession, network: Network) -> list[Representation]:
    """Every sector with its representatives (by name)."""
    sectors = await repo.sectors(session=session, network_id=network.id)
    people = await repo.members(session=session, network_id=network.id)
    by_sector: dict[int, list[str]] = {}
    for person in people:
        if person.sector_id is not None:
            by_sector.setdefault(person.sector_id, []).append(person.name)
    return [Representation(s.name, tuple(by_sector.get(s.id, []))) for s in sectors]


async def add(session: AsyncSession, network: Network, change: rules.AddSector) -> Sector:
    """A new sector (refused when one of that name exists)."""
    sectors = await repo.sectors(session=session, network_id=network.id)
    if any(s.key == name_key(change.name) for s in sectors):
        raise UserError(
            N_("The sector {name} already exists."),
            example=rules.CHANGE_EXAMPLE,
            name=change.name,
        )
    return await repo.add_sector(session=session, network_id=network.id, name=change.name)


async def rename(session: AsyncSession, network: Network, change: rules.RenameSector) -> str:
    """The sector gets its new name (refused when another has it); its old name."""
    sectors = await repo.sectors(session=session, network_id=network.id)
    sector = rules.find(sectors, change.old, rules.CHANGE_EXAMPLE)
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
    sector = rules.find(sectors, change.name, rules.REMOVE_EXAMPLE)
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
    sector.removed_at = now
    return Removed(sector, members)
