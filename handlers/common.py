"""Small helpers shared by the feature modules: argument splitting and meeting lines."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import UserError
from bot.i18n import N_
from bot.i18n import gettext as _
from bot.notify import person as person
from bot.router import Context
from bot.rules import dates
from bot.rules.names import first_upper, kind_name, name_key
from storage import repo
from storage.models import Meeting, Member, Network, Sector


def split_pipes(args: str) -> list[str]:
    """``a | b | c`` -> ["a", "b", "c"] (empty parts kept, so they can be reported)."""
    return [part.strip() for part in args.split("|")] if args.strip() else []


def meeting_line(meeting: Meeting, tz: str) -> str:
    """ "terça, 10/03 às 14h — CRAS — Tema" """
    parts = [dates.format_when(meeting.starts_at, tz), meeting.place]
    if meeting.topic:
        parts.append(meeting.topic)
    return " — ".join(parts)


def meeting_card(meeting: Meeting, tz: str, now: datetime) -> str:
    """The full description used by /proxima, reminders and announcements."""
    lines = [
        _("{kind}: {when}").format(
            kind=first_upper(kind_name(meeting.kind)),
            when=dates.format_when(meeting.starts_at, tz),
        ),
        _("Place: {place}").format(place=meeting.place),
    ]
    if meeting.topic:
        label = _("Agenda: {topic}") if meeting.kind == "extraordinary" else _("Topic: {topic}")
        lines.append(label.format(topic=meeting.topic))
    lines.append(_("({until})").format(until=dates.format_until(meeting.starts_at, now)))
    return "\n".join(lines)


def find_sector(sectors: Sequence[Sector], name: str, example: str) -> Sector:
    """The sector called ``name`` (accents and case ignored), or a helpful error."""
    key = name_key(name)
    for sector in sectors:
        if sector.key == key:
            return sector
    starts = [s for s in sectors if s.key.startswith(key)] if key else []
    if len(starts) == 1:
        return starts[0]
    close = difflib.get_close_matches(key, [s.key for s in sectors], n=1, cutoff=0.75)
    hint = ""
    if close:
        match = next(s for s in sectors if s.key == close[0])
        hint = _(" Did you mean {name}?").format(name=match.name)
    raise UserError(
        N_("There is no sector called {name} in this network.{hint} Sectors: {sectors}."),
        example=example,
        name=name,
        hint=hint,
        sectors=", ".join(s.name for s in sectors),
    )


async def expected_sectors(
    session: AsyncSession, network: Network, meeting: Meeting
) -> list[Sector]:
    """Who is expected: a working group's sectors, else every sector with representatives."""
    sectors = await repo.sectors(session=session, network_id=network.id)
    if meeting.working_group_id is not None:
        group = await repo.working_group(session=session, group_id=meeting.working_group_id)
        wanted = set(group.sector_ids) if group else set()
        return [s for s in sectors if s.id in wanted]
    people = await repo.representatives(session=session, network_id=network.id)
    with_people = {m.sector_id for m in people}
    return [s for s in sectors if s.id in with_people]


async def meetings_on(ctx: Context, day: date) -> list[Meeting]:
    """The scheduled meetings on a local day of the network, earliest first."""
    start = datetime.combine(day, time(0), tzinfo=ctx.tz)
    return list(
        await repo.meetings_between(
            session=ctx.session,
            network_id=ctx.network.id,
            start=start,
            end=start + timedelta(days=1),
            include_cancelled=False,
        )
    )


async def mentioned_member(ctx: Context, example: str) -> Member:
    """The first person the message mentions (a platform mention, e.g. WhatsApp's @),
    who must have written in the group before."""
    who = ctx.msg.mentioned[0]
    found = await repo.member(session=ctx.session, network_id=ctx.network.id, user_id=who.user_id)
    if found is None:
        raise UserError(
            N_("I don't know {user} yet: ask them to send /setor in the group first."),
            example=example,
            user="@" + who.user_id.split("@")[0],
        )
    return found
