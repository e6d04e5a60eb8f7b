"""Grupos de Trabalho: creating one with its calendar, extending the calendar as it runs
out, listing and closing them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import UserError
from bot.i18n import N_
from bot.rules import sectors as sector_rules
from bot.rules import working_groups as rules
from bot.rules.kinds import Kind
from bot.rules.names import name_key
from bot.rules.status import MeetingStatus
from bot.scheduling import plan_meetings
from storage import repo
from storage import working_groups as store
from storage.models import Meeting, Network, WorkingGroup

CLOSE_EXAMPLE = "/gt encerrar GT Saúde Mental"
# How far ahead the list and the closing look for a group's meetings.
UPCOMING = timedelta(days=400)
KIND = "working_group"


@dataclass(frozen=True)
class Created:
    group: WorkingGroup
    sectors: tuple[str, ...]
    meetings: tuple[Meeting, ...]  # generated, earliest first


@dataclass(frozen=True)
class GroupStatus:
    group: WorkingGroup
    sectors: tuple[str, ...]
    next: Meeting | None


async def create(
    session: AsyncSession, network: Network, spec: rules.GroupSpec, now: datetime
) -> Created:
    """A new working group of two or more sectors, its meetings generated from today."""
    existing = await repo.working_groups(session=session, network_id=network.id, active_only=False)
    same = next((g for g in existing if g.key == name_key(spec.name)), None)
    if same is not None and same.active:
        raise UserError(N_("There is already a working group called {name}."), name=spec.name)
    sectors = await repo.sectors(session=session, network_id=network.id)
    chosen = list(dict.fromkeys(sector_rules.find_all(sectors, spec.sectors, rules.EXAMPLE)))
    if len(chosen) < 2:
        raise UserError(N_("A working group needs at least two sectors."), example=rules.EXAMPLE)
    cadence = rules.parse_cadence(spec.cadence)
    fields = {
        "name": spec.name,
        "sector_ids": [s.id for s in chosen],
        "cadence": cadence.kind,
        "weekday": cadence.weekday,
        "ordinal": cadence.ordinal,
        "at": cadence.at.strftime("%H:%M"),
        "place": spec.place,
        "active": True,
    }
    if same is not None:  # a closed group of that name starts again, its history kept
        for name, value in fields.items():
            setattr(same, name, value)
        group = same
    else:
        group = await store.add_working_group(
            session=session,
            group=WorkingGroup(
                network_id=network.id, key=name_key(spec.name), created_at=now, **fields
            ),
        )
    today = now.astimezone(ZoneInfo(network.timezone)).date()
    meetings = await extend(session, network, group, start=today, now=now)
    return Created(group, tuple(s.name for s in chosen), tuple(meetings))


def cadence_of(group: WorkingGroup) -> rules.Cadence:
    return rules.Cadence(
        kind=group.cadence,
        weekday=group.weekday,
        at=time.fromisoformat(group.at),
        ordinal=group.ordinal,
    )


async def extend(
    session: AsyncSession, network: Network, group: WorkingGroup, *, start: date, now: datetime
) -> list[Meeting]:
    """Generate the group's meetings for the next months, and schedule the next extension."""
    tz = ZoneInfo(network.timezone)
    planned = rules.generate(
        cadence_of(group), start=start, until=start + rules.HORIZON, state=network.state
    )
    meetings = [
        _meeting(network, group, datetime.combine(p.day, p.at, tzinfo=tz), now)
        for p in planned
        if datetime.combine(p.day, p.at, tzinfo=tz) > now
    ]
    await repo.add_meetings(session=session, meetings=meetings)
    await plan_meetings(session=session, network=network, meetings=meetings, now=now)
    next_start, due_at = rules.next_extension(start, tz)
    await repo.schedule(
        session=session,
        network_id=network.id,
        key=f"gt:{group.id}:extend:{next_start.isoformat()}",
        kind=Kind.WORKING_GROUP_EXTENSION,
        due_at=due_at,
        payload={"group_id": group.id, "start": next_start.isoformat()},
    )
    return meetings


def _meeting(network: Network, group: WorkingGroup, starts_at: datetime, now: datetime) -> Meeting:
    return Meeting(
        network_id=network.id,
        kind=KIND,
        working_group_id=group.id,
        starts_at=starts_at,
        duration_minutes=120,
        place=group.place,
        topic=group.name,
        status=MeetingStatus.SCHEDULED,
        sequence=0,
        created_at=now,
        updated_at=now,
    )


async def keep_going(
    session: AsyncSession, network: Network, group_id: int, *, start: date, now: datetime
) -> None:
    """Keep an active working group's calendar going (a closed or deleted one stops)."""
    group = await repo.working_group(session=session, group_id=group_id)
    if group is not None and group.active:
        await extend(session, network, group, start=start, now=now)


async def overview(session: AsyncSession, network: Network, now: datetime) -> list[GroupStatus]:
    """The active groups, each with its sectors' names and its next meeting."""
    groups = await repo.working_groups(session=session, network_id=network.id)
    if not groups:
        return []
    names = {
        s.id: s.name
        for s in await repo.sectors(session=session, network_id=network.id, include_removed=True)
    }
    upcoming = await _upcoming(session, network, now)
    return [
        GroupStatus(
            group,
            tuple(names[i] for i in group.sector_ids if i in names),
            next((m for m in upcoming if m.working_group_id == group.id), None),
        )
        for group in groups
    ]


async def close(
    session: AsyncSession, network: Network, name: str, *, reason: str, now: datetime
) -> WorkingGroup:
    """The group stops: its extensions are cancelled, and so are its meetings ahead (with
    ``reason``)."""
    if not name.strip():
        raise UserError(N_("Say which working group: write its name."), example=CLOSE_EXAMPLE)
    groups = await repo.working_groups(session=session, network_id=network.id)
    group = next((g for g in groups if g.key == name_key(name)), None)
    if group is None:
        raise UserError(
            N_("There is no working group called {name}. See /gt."),
            example=CLOSE_EXAMPLE,
            name=name,
        )
    group.active = False
    await repo.cancel_scheduled(
        session=session, network_id=network.id, key_prefix=f"gt:{group.id}:"
    )
    closed = [m for m in await _upcoming(session, network, now) if m.working_group_id == group.id]
    for meeting in closed:
        meeting.status = MeetingStatus.CANCELLED
        meeting.cancel_reason = reason
    await plan_meetings(session=session, network=network, meetings=closed, now=now)
    return group


async def _upcoming(session: AsyncSession, network: Network, now: datetime) -> list[Meeting]:
    """The working groups' meetings ahead (not cancelled), earliest first."""
    return list(
        await repo.meetings_between(
            session=session,
            network_id=network.id,
            start=now,
            end=now + UPCOMING,
            kinds=[KIND],
            include_cancelled=False,
        )
    )
