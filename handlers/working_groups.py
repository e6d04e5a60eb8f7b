"""Grupos de Trabalho: sectors meeting on their own cadence, reminded with their sectors named."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import UserError
from bot.i18n import N_
from bot.i18n import gettext as _
from bot.messages import Reply
from bot.router import Context, Router, ScheduledContext
from bot.rules import dates, privacy
from bot.rules import working_groups as rules
from bot.rules.kinds import Kind
from bot.rules.names import name_key
from bot.rules.status import MeetingStatus
from bot.scheduling import plan_meetings
from handlers.common import find_sector, split_pipes
from storage import repo
from storage.models import Meeting, Network, WorkingGroup

CLOSE_EXAMPLE = "/gt encerrar GT Saúde Mental"
CADENCE_NAMES = {
    "weekly": N_("weekly"),
    "biweekly": N_("every two weeks"),
    "monthly": N_("monthly"),
}


async def working_groups(ctx: Context) -> list[Reply]:
    verb, _sep, rest = ctx.msg.args.strip().partition(" ")
    if not verb:
        return await _list(ctx)
    if not ctx.is_coordinator:
        raise UserError(N_("Only the network's coordination can use /{name}."), name="gt")
    if name_key(verb) == "criar":
        return await _create(ctx, rest)
    if name_key(verb) == "encerrar":
        return await _close(ctx, rest.strip())
    raise UserError(N_("Use /gt to list, /gt criar or /gt encerrar."), example=rules.EXAMPLE)


async def _create(ctx: Context, args: str) -> list[Reply]:
    parts = split_pipes(args)
    if len(parts) != 4 or not all(parts):
        raise UserError(
            N_("Write the four parts separated by |: name | sectors | cadence | place."),
            example=rules.EXAMPLE,
        )
    name, sector_text, cadence_text, place = parts
    privacy.screen(name)
    existing = await repo.working_groups(session=ctx.session, network_id=ctx.network.id)
    if any(g.key == name_key(name) for g in existing):
        raise UserError(N_("There is already a working group called {name}."), name=name)
    sectors = await repo.sectors(session=ctx.session, network_id=ctx.network.id)
    chosen = []
    for piece in sector_text.split(","):
        if piece.strip():
            sector = find_sector(sectors, piece.strip(), rules.EXAMPLE)
            if sector not in chosen:
                chosen.append(sector)
    if len(chosen) < 2:
        raise UserError(N_("A working group needs at least two sectors."), example=rules.EXAMPLE)
    cadence = rules.parse_cadence(cadence_text)
    group = WorkingGroup(
        network_id=ctx.network.id,
        name=name,
        key=name_key(name),
        sector_ids=[s.id for s in chosen],
        cadence=cadence.kind,
        weekday=cadence.weekday,
        ordinal=cadence.ordinal,
        at=cadence.at.strftime("%H:%M"),
        place=place,
        active=True,
        created_at=ctx.now,
    )
    ctx.session.add(group)
    await ctx.session.flush()
    today = ctx.now.astimezone(ctx.tz).date()
    meetings = await extend(ctx.session, ctx.network, group, start=today, now=ctx.now)
    first = dates.format_when(meetings[0].starts_at, ctx.network.timezone) if meetings else "—"
    return [
        Reply(
            text=_(
                "Working group {name} created: {sectors}; {cadence}, {place}. "
                "{n} meetings scheduled; the first: {first}."
            ).format(
                name=name,
                sectors=", ".join(s.name for s in chosen),
                cadence=_(CADENCE_NAMES[cadence.kind]),
                place=place,
                n=len(meetings),
                first=first,
            )
        )
    ]


def _cadence(group: WorkingGroup) -> rules.Cadence:
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
        _cadence(group), start=start, until=start + rules.HORIZON, state=network.state
    )
    meetings = [
        Meeting(
            network_id=network.id,
            kind="working_group",
            working_group_id=group.id,
            starts_at=datetime.combine(p.day, p.at, tzinfo=tz),
            duration_minutes=120,
            place=group.place,
            topic=group.name,
            status=MeetingStatus.SCHEDULED,
            sequence=0,
            created_at=now,
            updated_at=now,
        )
        for p in planned
        if datetime.combine(p.day, p.at, tzinfo=tz) > now
    ]
    await repo.add_meetings(session=session, meetings=meetings)
    await plan_meetings(session=session, network=network, meetings=meetings, now=now)
    next_start = start + rules.HORIZON + timedelta(days=1)
    # A month before the generated meetings run out, generate the following months.
    await repo.schedule(
        session=session,
        network_id=network.id,
        key=f"gt:{group.id}:extend:{next_start.isoformat()}",
        kind=Kind.WORKING_GROUP_EXTENSION,
        due_at=datetime.combine(next_start - timedelta(days=30), time(6), tzinfo=tz),
        payload={"group_id": group.id, "start": next_start.isoformat()},
    )
    return meetings


async def render_extend(ctx: ScheduledContext) -> Sequence[Reply]:
    """Keep an active working group's calendar going (writes commit with the dispatch)."""
    group = await repo.working_group(session=ctx.session, group_id=int(ctx.row.payload["group_id"]))
    if group is not None and group.active:
        start = date.fromisoformat(str(ctx.row.payload["start"]))
        await extend(ctx.session, ctx.network, group, start=start, now=ctx.now)
    return []


async def _list(ctx: Context) -> list[Reply]:
    groups = await repo.working_groups(session=ctx.session, network_id=ctx.network.id)
    if not groups:
        return [
            Reply(
                text=_("No working groups yet. The coordination creates one with {example}").format(
                    example=rules.EXAMPLE
                )
            )
        ]
    sectors = {
        s.id: s.name for s in await repo.sectors(session=ctx.session, network_id=ctx.network.id)
    }
    lines = [_("Working groups:")]
    for group in groups:
        upcoming = await repo.meetings_between(
            session=ctx.session,
            network_id=ctx.network.id,
            start=ctx.now,
            end=ctx.now + timedelta(days=400),
            kinds=["working_group"],
            include_cancelled=False,
        )
        mine = [m for m in upcoming if m.working_group_id == group.id]
        nxt = dates.format_when(mine[0].starts_at, ctx.network.timezone) if mine else "—"
        lines.append(
            _("• {name} ({sectors}) — {cadence}, {place}. Next: {next}").format(
                name=group.name,
                sectors=", ".join(sectors[i] for i in group.sector_ids if i in sectors),
                cadence=_(CADENCE_NAMES[group.cadence]),
                place=group.place,
                next=nxt,
            )
        )
    return [Reply(text="\n".join(lines))]


async def _close(ctx: Context, name: str) -> list[Reply]:
    groups = await repo.working_groups(session=ctx.session, network_id=ctx.network.id)
    group = next((g for g in groups if g.key == name_key(name)), None)
    if group is None:
        raise UserError(
            N_("There is no working group called {name}. See /gt."),
            example=CLOSE_EXAMPLE,
            name=name,
        )
    group.active = False
    await repo.cancel_scheduled(
        session=ctx.session, network_id=ctx.network.id, key_prefix=f"gt:{group.id}:"
    )
    upcoming = await repo.meetings_between(
        session=ctx.session,
        network_id=ctx.network.id,
        start=ctx.now,
        end=ctx.now + timedelta(days=400),
        kinds=["working_group"],
        include_cancelled=False,
    )
    closed = [m for m in upcoming if m.working_group_id == group.id]
    for meeting in closed:
        meeting.status = MeetingStatus.CANCELLED
        meeting.cancel_reason = _("working group closed")
    await plan_meetings(session=ctx.session, network=ctx.network, meetings=closed, now=ctx.now)
    return [Reply(text=_("Working group {name} closed.").format(name=group.name))]


def register(router: Router) -> None:
    router.command("gt", N_("working groups (list, create, close)"), rules.EXAMPLE)(working_groups)
    router.scheduled(Kind.WORKING_GROUP_EXTENSION, quiet=False)(render_extend)
