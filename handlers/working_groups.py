"""Grupos de Trabalho: sectors meeting on their own cadence, reminded with their sectors named."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from bot.errors import UserError, check_length
from bot.i18n import N_
from bot.i18n import gettext as _
from bot.messages import Reply
from bot.router import Context, Router, ScheduledContext
from bot.rules import dates
from bot.rules import sectors as sector_rules
from bot.rules import working_groups as rules
from bot.rules.kinds import Kind
from bot.rules.names import name_key
from bot.services import working_groups
from handlers import conversation
from handlers.common import split_pipes
from handlers.conversation import Values
from storage.models import Meeting

CADENCE_NAMES = {
    "weekly": N_("weekly"),
    "biweekly": N_("every two weeks"),
    "monthly": N_("monthly"),
}


async def working_groups_command(ctx: Context) -> list[Reply]:
    """``/gt`` lists the groups; ``/gt criar`` and ``/gt encerrar`` (coordination)."""
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


def _when(meeting: Meeting | None, tz: str, *, with_year: bool | None = None) -> str:
    return dates.format_when(meeting.starts_at, tz, with_year=with_year) if meeting else "—"


async def _create(ctx: Context, args: str) -> list[Reply]:
    """``/gt criar name | sectors | cadence | place``: the group and its meetings; without
    them (or some), step by step."""
    parts = split_pipes(args)
    if len(parts) < 4 or (len(parts) == 4 and not all(parts)):
        return await conversation.start(ctx, GROUP_FLOW, parts)
    spec = rules.parse_group(parts)
    created = await working_groups.create(ctx.session, ctx.network, spec, ctx.now)
    text = _(
        "Working group {name} created: {sectors}; {cadence}, {place}. "
        "{n} meetings scheduled; the first: {first}."
    ).format(
        name=spec.name,
        sectors=", ".join(created.sectors),
        cadence=_(CADENCE_NAMES[created.group.cadence]),
        place=spec.place,
        n=len(created.meetings),
        first=_when(created.meetings[0] if created.meetings else None, ctx.network.timezone),
    )
    return [Reply(text=text)]


async def render_extend(ctx: ScheduledContext) -> Sequence[Reply]:
    """Keep an active working group's calendar going (writes commit with the dispatch)."""
    await working_groups.keep_going(
        ctx.session,
        ctx.network,
        int(ctx.row.payload["group_id"]),
        start=date.fromisoformat(str(ctx.row.payload["start"])),
        now=ctx.now,
    )
    return []


async def _list(ctx: Context) -> list[Reply]:
    """The active groups with their sectors, cadence, place and next meeting."""
    groups = await working_groups.overview(ctx.session, ctx.network, ctx.now)
    if not groups:
        text = _("No working groups yet. The coordination creates one with {example}")
        return [Reply(text=text.format(example=rules.EXAMPLE))]
    tz = ctx.network.timezone
    ahead = dates.local_days((g.next.starts_at for g in groups if g.next), tz)
    years = dates.spans_years(ahead, ctx.now.astimezone(ctx.tz).date())
    lines = [_("Working groups:"), *(_group_line(g, tz, with_year=years) for g in groups)]
    return [Reply(text="\n".join(lines))]


def _group_line(item: working_groups.GroupStatus, tz: str, *, with_year: bool) -> str:
    return _("• {name} ({sectors}) — {cadence}, {place}. Next: {next}").format(
        name=item.group.name,
        sectors=", ".join(item.sectors),
        cadence=_(CADENCE_NAMES[item.group.cadence]),
        place=item.group.place,
        next=_when(item.next, tz, with_year=with_year),
    )


async def _close(ctx: Context, name: str) -> list[Reply]:
    """``/gt encerrar <name>``: the group stops and its meetings ahead are cancelled."""
    group = await working_groups.close(
        ctx.session, ctx.network, name, reason=_("working group closed"), now=ctx.now
    )
    return [Reply(text=_("Working group {name} closed.").format(name=group.name))]


# --- step by step (issue 14) -------------------------------------------------------------


async def _check_name(ctx: Context, text: str, values: Values) -> str:
    check_length(text, 120, N_("the name"))
    return text


async def _check_sectors(ctx: Context, text: str, values: Values) -> str:
    found = list(
        dict.fromkeys(sector_rules.find_all(await conversation.sectors(ctx), text, rules.EXAMPLE))
    )
    if len(found) < 2:
        raise UserError(N_("A working group needs at least two sectors."), example=rules.EXAMPLE)
    return ", ".join(s.name for s in found)


async def _check_cadence(ctx: Context, text: str, values: Values) -> str:
    rules.parse_cadence(text)
    return text


async def _check_place(ctx: Context, text: str, values: Values) -> str:
    check_length(text, 255, N_("the place"))
    return text


GROUP_FLOW = conversation.Flow(
    name="gt criar",
    title=N_("👥 New working group."),
    example=rules.EXAMPLE,
    steps=(
        conversation.Step(
            key="name",
            field=N_("Name"),
            question=N_("What is the working group's name?"),
            example="GT Saúde Mental",
            check=_check_name,
        ),
        conversation.Step(
            key="sectors",
            field=N_("Sectors"),
            question=N_(
                "Which sectors take part (at least two)? Choose them and press Done, or write "
                "their names separated by commas."
            ),
            example="Saúde, CRAS, CAPS",
            check=_check_sectors,
            options=conversation.sector_options,
            multi=True,
        ),
        conversation.Step(
            key="cadence",
            field=N_("Cadence"),
            question=N_("How often does it meet: the cadence, the weekday and the time?"),
            example="quinzenal quarta 14h ou mensal 1ª quinta 10h",
            check=_check_cadence,
        ),
        conversation.Step(
            key="place",
            field=N_("Place"),
            question=N_("Where does it meet?"),
            example="CRAS",
            check=_check_place,
            options=conversation.place_options,
        ),
    ),
    line=lambda values: (
        "criar " + conversation.joined("name", "sectors", "cadence", "place")(values)
    ),
    run=working_groups_command,
)


def register(router: Router) -> None:
    conversation.declare(GROUP_FLOW)
    router.command("gt", N_("working groups (list, create, close)"), rules.EXAMPLE)(
        working_groups_command
    )
    router.scheduled(Kind.WORKING_GROUP_EXTENSION, quiet=False)(render_extend)
