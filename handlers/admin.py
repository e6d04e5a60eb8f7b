"""Setting up the network: greeting, help, sectors, coordinators, zone, reminders."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import available_timezones

import holidays

from bot.errors import UserError
from bot.i18n import N_, SUPPORTED_LOCALES
from bot.i18n import gettext as _
from bot.messages import Reply
from bot.router import Context, Router
from bot.rules import dates
from bot.rules.names import name_key
from bot.scheduling import plan_meetings
from handlers.common import find_sector, mentioned_member, split_pipes
from storage import repo
from storage.models import Member, Network

MAX_REMINDERS = 5


def greeting(network: Network) -> Reply:
    """What the bot says when it joins a group (PRODUCT.md: what it does)."""
    return Reply(
        text=_(
            "Hello, network! I am redebot, the assistant of this Rede de Proteção Social.\n"
            "• I announce the calendar of meetings and remind everyone before each one.\n"
            "• /proxima tells when the next meeting is; /calendario shows the year.\n"
            "• Each member, please tell me your sector: /setor CRAS (list: /setores).\n"
            "• Coordination (group administrators): /gerarcalendario 2026 2ª terça 14h CRAS "
            "or send the calendar table with the caption /importar.\n"
            "Time zone: {tz}. Never write names of children or families here: use case codes "
            "(CASO-2025-014). /ajuda lists all commands."
        ).format(tz=network.timezone)
    )


async def start(ctx: Context) -> list[Reply]:
    return [greeting(ctx.network)]


def help_text(router: Router, coordinator: bool) -> str:
    lines = [_("What you can ask me:")]
    commands = sorted(router.commands.values(), key=lambda c: c.name)
    for command in commands:
        if not command.coordinator:
            lines.append(f"/{command.name} — {_(command.summary)}")
    if coordinator:
        lines.append("")
        lines.append(_("Coordination:"))
        for command in commands:
            if command.coordinator:
                lines.append(f"/{command.name} — {_(command.summary)}")
    return "\n".join(lines)


async def set_sector(ctx: Context) -> list[Reply]:
    name = ctx.msg.args.strip()
    sectors = await repo.sectors(session=ctx.session, network_id=ctx.network.id)
    if not name:
        current = ctx.member.sector.name if ctx.member.sector else _("none yet")
        raise UserError(
            N_("Tell me your sector after the command. Yours: {current}. Sectors: {sectors}."),
            example="/setor CRAS",
            current=current,
            sectors=", ".join(s.name for s in sectors),
        )
    sector = find_sector(sectors, name, "/setor CRAS")
    ctx.member.sector_id = sector.id
    ctx.member.sector = sector
    return [
        Reply(
            text=_("Done, {person}: you represent {sector} in the network.").format(
                person=ctx.member.name, sector=sector.name
            )
        )
    ]


async def list_sectors(ctx: Context) -> list[Reply]:
    args = ctx.msg.args.strip()
    if args:
        return await _change_sectors(ctx, args)
    sectors = await repo.sectors(session=ctx.session, network_id=ctx.network.id)
    people = await repo.members(session=ctx.session, network_id=ctx.network.id)
    by_sector: dict[int, list[str]] = {}
    for person in people:
        if person.sector_id is not None:
            by_sector.setdefault(person.sector_id, []).append(person.name)
    lines = [_("Sectors of the network and their representatives:")]
    for sector in sectors:
        names = ", ".join(by_sector.get(sector.id, [])) or "—"
        lines.append(f"• {sector.name}: {names}")
    lines.append(_("To join one: /setor <name>."))
    return [Reply(text="\n".join(lines))]


async def _change_sectors(ctx: Context, args: str) -> list[Reply]:
    """``/setores adicionar <nome>`` and ``/setores renomear <antigo> | <novo>``."""
    example = "/setores adicionar CAPS  ·  /setores renomear CMEI | CMEI Centro"
    if not ctx.is_coordinator:
        raise UserError(N_("Only the network's coordination can change the sectors."))
    verb, _sep, rest = args.partition(" ")
    sectors = await repo.sectors(session=ctx.session, network_id=ctx.network.id)
    if name_key(verb) in {"adicionar", "add", "novo"}:
        name = " ".join(rest.split())
        if not name or len(name) > 80:
            raise UserError(N_("Give the new sector's name (up to 80 letters)."), example=example)
        if any(s.key == name_key(name) for s in sectors):
            raise UserError(N_("The sector {name} already exists."), example=example, name=name)
        await repo.add_sector(session=ctx.session, network_id=ctx.network.id, name=name)
        return [Reply(text=_("Sector {name} added.").format(name=name))]
    if name_key(verb) in {"renomear", "rename"}:
        parts = split_pipes(rest)
        if len(parts) != 2 or not all(parts) or len(parts[1]) > 80:
            raise UserError(N_("Write the old name, a | and the new name."), example=example)
        sector = find_sector(sectors, parts[0], example)
        new_name = " ".join(parts[1].split())
        clash = [s for s in sectors if s.key == name_key(new_name) and s.id != sector.id]
        if clash:
            raise UserError(N_("The sector {name} already exists."), example=example, name=new_name)
        old = sector.name
        sector.name, sector.key = new_name, name_key(new_name)
        return [Reply(text=_("Sector {old} is now called {new}.").format(old=old, new=new_name))]
    raise UserError(N_("I did not understand what to change in the sectors."), example=example)


async def coordinators(ctx: Context) -> list[Reply]:
    args = ctx.msg.args.split()
    example = "/coordenador + @maria"
    if not args:
        people = await repo.members(session=ctx.session, network_id=ctx.network.id)
        names = ", ".join(p.name for p in people if p.is_coordinator)
        who = (
            _("Coordination: the group's administrators and {names}.").format(names=names)
            if names
            else _("Coordination: the group's administrators.")
        )
        how = _(
            "To add or remove: /coordenador + @user or /coordenador - @user "
            "(or reply to the person's message with /coordenador +)."
        )
        return [Reply(text=f"{who}\n{how}")]
    sign = args[0]
    if sign not in {"+", "-"}:
        raise UserError(N_("Use + to add or - to remove a coordinator."), example=example)
    target: Member | None
    if ctx.msg.mentioned:
        target = await mentioned_member(ctx, example)
    elif len(args) > 1:
        target = await repo.member_by_username(
            session=ctx.session, network_id=ctx.network.id, username=args[1]
        )
        if target is None:
            raise UserError(
                N_(
                    "I don't know {user} yet: ask them to send /setor in the group, or reply "
                    "to one of their messages with /coordenador {sign}."
                ),
                example=example,
                user=args[1],
                sign=sign,
            )
    elif ctx.msg.reply_to is not None:
        target = await repo.touch_member(
            session=ctx.session,
            network_id=ctx.network.id,
            user_id=ctx.msg.reply_to.user_id,
            name=ctx.msg.reply_to.name,
            username=ctx.msg.reply_to.username,
            now=ctx.now,
        )
    else:
        raise UserError(N_("Say who: @user, or reply to their message."), example=example)
    target.is_coordinator = sign == "+"
    text = (
        _("{name} is now part of the coordination.")
        if target.is_coordinator
        else _("{name} is no longer part of the coordination.")
    )
    return [Reply(text=text.format(name=target.name))]


def _brazilian_zones() -> dict[str, str]:
    """ "cuiaba" -> "America/Cuiaba": people type the city, not the IANA name."""
    zones = {}
    for name in available_timezones():
        if name.startswith("America/") and name.count("/") == 1:
            zones[name_key(name.split("/")[1].replace("_", " "))] = name
    return zones


async def set_timezone(ctx: Context) -> list[Reply]:
    text = ctx.msg.args.strip()
    if not text:
        return [
            Reply(
                text=_("This network's time zone is {tz}. To change: /fuso America/Cuiaba").format(
                    tz=ctx.network.timezone
                )
            )
        ]
    name = _brazilian_zones().get(name_key(text), text)
    dates.zone(name)
    old = ctx.network.timezone
    # Meetings keep their local wall-clock time: 14h stays 14h in the new zone.
    future = await repo.next_meetings(
        session=ctx.session, network_id=ctx.network.id, after=ctx.now, limit=1000
    )
    for meeting in future:
        local = meeting.starts_at.astimezone(dates.zone(old)).replace(tzinfo=dates.zone(name))
        meeting.starts_at = local
    ctx.network.timezone = name
    await plan_meetings(session=ctx.session, network=ctx.network, meetings=future, now=ctx.now)
    return [
        Reply(
            text=_("Time zone changed to {tz}. The meetings keep their local times.").format(
                tz=name
            )
        )
    ]


async def set_state(ctx: Context) -> list[Reply]:
    uf = ctx.msg.args.strip().upper()
    if not uf:
        current = ctx.network.state or _("none (national holidays only)")
        return [
            Reply(
                text=_("State for holidays: {state}. To change: /estado PR").format(state=current)
            )
        ]
    if uf not in holidays.country_holidays("BR").subdivisions:
        raise UserError(
            N_("{uf} is not a Brazilian state abbreviation."), example="/estado PR", uf=uf
        )
    ctx.network.state = uf
    return [
        Reply(
            text=_("Done: {uf}'s holidays are skipped when generating the calendar.").format(uf=uf)
        )
    ]


async def set_reminders(ctx: Context) -> list[Reply]:
    example = "/lembretes 3d 1h"
    words = ctx.msg.args.replace(",", " ").split()
    if not words:
        current = " ".join(
            dates.format_offset(timedelta(minutes=m))
            for m in sorted(ctx.network.reminder_offsets, reverse=True)
        )
        return [
            Reply(
                text=_("Reminders before each meeting: {offsets}. To change: {example}").format(
                    offsets=current or "—", example=example
                )
            )
        ]
    if len(words) > MAX_REMINDERS:
        raise UserError(N_("At most {n} reminders per meeting."), example=example, n=MAX_REMINDERS)
    minutes = set()
    for word in words:
        offset = dates.parse_offset(word)
        total = int(offset.total_seconds() // 60)
        if not 5 <= total <= 30 * 24 * 60:
            raise UserError(
                N_("{offset}: a reminder must be between 5 minutes and 30 days before."),
                example=example,
                offset=word,
            )
        minutes.add(total)
    ctx.network.reminder_offsets = sorted(minutes, reverse=True)
    future = await repo.next_meetings(
        session=ctx.session, network_id=ctx.network.id, after=ctx.now, limit=1000
    )
    await plan_meetings(session=ctx.session, network=ctx.network, meetings=future, now=ctx.now)
    shown = " ".join(
        dates.format_offset(timedelta(minutes=m)) for m in ctx.network.reminder_offsets
    )
    return [
        Reply(
            text=_("Done: I will remind the group {offsets} before each meeting.").format(
                offsets=shown
            )
        )
    ]


async def set_language(ctx: Context) -> list[Reply]:
    choice = ctx.msg.args.strip().replace("-", "_")
    known = {name_key(loc): loc for loc in SUPPORTED_LOCALES}
    locale = known.get(name_key(choice))
    if locale is None:
        raise UserError(
            N_("Languages available: {langs}."),
            example="/idioma pt_BR",
            langs=", ".join(SUPPORTED_LOCALES),
        )
    ctx.network.locale = locale
    return [Reply(text="✔ " + locale)]


def register(router: Router) -> None:
    router.on_join(greeting)

    async def ajuda(ctx: Context) -> list[Reply]:
        return [Reply(text=help_text(router, ctx.is_coordinator))]

    router.command("start", N_("introduce the bot"), "/start")(start)
    router.command("ajuda", N_("list the commands"), "/ajuda")(ajuda)
    router.command("setor", N_("say which sector you represent"), "/setor CRAS")(set_sector)
    router.command("setores", N_("sectors and their representatives"), "/setores")(list_sectors)
    router.command(
        "coordenador", N_("add or remove coordinators"), "/coordenador + @maria", coordinator=True
    )(coordinators)
    router.command("fuso", N_("the network's time zone"), "/fuso America/Cuiaba", coordinator=True)(
        set_timezone
    )
    router.command("estado", N_("state whose holidays apply"), "/estado PR", coordinator=True)(
        set_state
    )
    router.command(
        "lembretes", N_("when to remind before meetings"), "/lembretes 3d 1h", coordinator=True
    )(set_reminders)
    router.command("idioma", N_("language of the bot"), "/idioma pt_BR", coordinator=True)(
        set_language
    )
