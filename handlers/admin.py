"""Setting up the network: greeting, help, sectors, coordinators, zone, reminders."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from bot.buttons import ButtonData, Decision
from bot.errors import UserError
from bot.i18n import N_, language_name, ngettext, use_locale
from bot.i18n import gettext as _
from bot.messages import Button, Reply
from bot.router import Context, Router
from bot.rules import network as network_rules
from bot.rules import sectors as sector_rules
from bot.services import network as network_setup
from bot.services import sectors
from handlers.common import person, signature
from storage.models import Member, Network


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
    """``/start``: the greeting."""
    return [greeting(ctx.network)]


# /ajuda's sections, by what people do; a command not listed here goes under "Other".
TOPICS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        N_("📅 Meetings"),
        (
            "proxima",
            "pauta",
            "calendario",
            "ics",
            "convocar",
            "rodizio",
            "gt",
            "remarcar",
            "cancelar",
            "gerarcalendario",
            "importar",
            "trocar",
            "lembretes",
        ),
    ),
    (N_("🙋 Presence"), ("presenca", "quorum")),
    (
        N_("📌 Encaminhamentos"),
        (
            "encaminhar",
            "devolutiva",
            "pendencias",
            "prazo",
            "concluir",
            "reabrir",
            "excluir",
            "cobranca",
        ),
    ),
    (N_("📁 Cases and flows"), ("caso", "casos", "fluxos", "fluxo")),
    (N_("⏰ Reporting deadlines"), ("prazos", "prazo_ok")),
    (N_("📝 Atas, plans and reports"), ("ata", "atas", "plano", "relatorio")),
    (
        N_("🏛 The network"),
        (
            "setor",
            "setores",
            "coordenador",
            "coordenacao",
            "email",
            "assinatura",
            "fuso",
            "estado",
            "idioma",
            "silencio",
        ),
    ),
    (N_("🔒 Your data"), ("meusdados", "apagarmeusdados")),
)
OTHER = N_("Other")
# The form of a command whose example alone does not show it (its words in the locale).
FORMS: dict[str, str] = {
    "convocar": N_("/convocar when | place | agenda | justificativa"),
    "encaminhar": N_("/encaminhar sectors | deadline | description"),
    "devolutiva": N_("/devolutiva code text (or /devolutiva alone: buttons)"),
    "prazo": N_("/prazo code new-date reason"),
    "prazo_ok": N_("/prazo_ok name (or /prazo_ok alone: buttons)"),
    "setor": N_("/setor sector (or /setor alone: buttons)"),
    "remarcar": N_("/remarcar day | new day and time | place"),
    "cancelar": N_("/cancelar day | reason"),
    "excluir": N_("/excluir code | reason"),
    "pendencias": N_("/pendencias [sector]"),
}
# Two messages at most: each part stays well under Telegram's and WhatsApp's 4096.
HELP_PART = 3500


def _help_entry(router: Router, name: str) -> str:
    command = router.commands[name]
    line = f"• /{name} — {_(command.summary)}"
    if name in FORMS:
        line += "\n   " + _(FORMS[name])
    if command.example.strip() != f"/{name}":
        line += "\n   " + _("e.g. {example}").format(example=command.example)
    return line


def _help_sections(router: Router, names: list[str]) -> list[tuple[str, list[str]]]:
    """``names`` under their topics, in the topics' order (the unlisted under Other)."""
    sections = []
    placed: set[str] = set()
    for title, members in TOPICS:
        found = [n for n in members if n in names]
        placed.update(found)
        if found:
            sections.append((_(title), found))
    rest = sorted(n for n in names if n not in placed and n not in {"start", "ajuda"})
    if rest:
        sections.append((_(OTHER), rest))
    return sections


def help_texts(router: Router, coordinator: bool) -> list[str]:
    """``/ajuda``: what the sender may use, each command with its form and an example,
    grouped by what people do; the coordination's own commands in a section of their
    own (hidden from members). One or two messages, each under the platforms' limit."""
    names = sorted(router.commands)
    everyone = [n for n in names if not router.commands[n].coordinator]
    blocks = [_("What you can ask me (the commands also work with capitals and accents):")]
    for title, found in _help_sections(router, everyone):
        blocks.append("\n".join([title, *(_help_entry(router, n) for n in found)]))
    if coordinator:
        own = [n for n in names if router.commands[n].coordinator]
        lines = [_("🔑 Coordination only:")]
        for _title, found in _help_sections(router, own):
            lines += [_help_entry(router, n) for n in found]
        blocks.append("\n".join(lines))
    aliases = sorted(router.aliases.items())
    if aliases:
        shown = ", ".join(f"/{alias} = /{command}" for alias, command in aliases)
        blocks.append(_("Also: {aliases}.").format(aliases=shown))
    parts: list[str] = []
    for block in blocks:
        if parts and len(parts[-1]) + len(block) + 2 <= HELP_PART:
            parts[-1] += "\n\n" + block
        else:
            parts.append(block)
    return parts


async def set_sector(ctx: Context) -> list[Reply]:
    """``/setor CRAS``: the member says she represents that sector; the coordination
    confirms it (its own declarations count at once)."""
    name = ctx.msg.args.strip()
    if not name:
        return await _ask_sector(ctx)
    joined = await sectors.join(
        ctx.session, ctx.network, ctx.member, name, is_coordinator=ctx.is_coordinator, now=ctx.now
    )
    return _joined_replies(ctx, joined)


@dataclass(frozen=True)
class SectorPick(ButtonData, prefix="sect"):
    """A sector under ``/setor`` alone: the presser says she represents it."""

    sector_id: int


async def sector_button(ctx: Context, press: SectorPick) -> list[Reply]:
    joined = await sectors.join(
        ctx.session,
        ctx.network,
        ctx.member,
        "",
        is_coordinator=ctx.is_coordinator,
        now=ctx.now,
        sector_id=press.sector_id,
    )
    return _joined_replies(ctx, joined)


def _joined_replies(ctx: Context, joined: sectors.Joined) -> list[Reply]:
    who, sector = ctx.member.name, joined.sector.name
    if joined.standing is sectors.Standing.CONFIRMED:
        text = _("Done, {person}: you represent {sector} in the network.")
        return [Reply(text=text.format(person=who, sector=sector))]
    if joined.standing is sectors.Standing.ALREADY:
        text = _("{person}, you already represent {sector} in the network.")
        return [Reply(text=text.format(person=who, sector=sector))]
    return [Reply(text=_waiting_text(who, sector), buttons=(_claim_buttons(joined.member),))]


def _waiting_text(who: str, sector: str) -> str:
    return _(
        "{person} says they represent {sector}. Coordination: confirm it with the buttons "
        "below (or later with /setores pendentes). Until then {person} can answer RSVPs and "
        "mark presence, but does not act for the sector (convene, devolutivas, atas, deadlines)."
    ).format(person=who, sector=sector)


class Origin(StrEnum):
    """Where a confirmation button was pressed: under the declaration, or in the list."""

    DECLARATION = "d"
    LIST = "l"


@dataclass(frozen=True)
class ClaimDecision(ButtonData, prefix="rep"):
    """The coordination confirms or refuses that a member represents a sector."""

    decision: Decision
    member_id: int
    sector_id: int
    origin: Origin


def _claim_buttons(member: Member, origin: Origin = Origin.DECLARATION) -> tuple[Button, ...]:
    assert member.sector_id is not None
    ok = ClaimDecision(Decision.OK, member.id, member.sector_id, origin).encode()
    no = ClaimDecision(Decision.NO, member.id, member.sector_id, origin).encode()
    if origin is Origin.LIST:
        sector = member.sector.name if member.sector else "?"
        label = _("✅ {name} — {sector}").format(name=member.name, sector=sector)
        return (Button(label, ok), Button(_("✖ Refuse"), no))
    return (Button(_("✅ Confirm"), ok), Button(_("✖ Refuse"), no))


async def claim_button(ctx: Context, press: ClaimDecision) -> list[Reply]:
    decided = await sectors.decide(
        ctx.session,
        ctx.network,
        ctx.member,
        is_coordinator=ctx.is_coordinator,
        now=ctx.now,
        member_id=press.member_id,
        sector_id=press.sector_id,
        confirm=press.decision is Decision.OK,
    )
    who, sector = decided.member.name, decided.sector.name
    if decided.confirmed:
        text = _("✅ {person} represents {sector}: confirmed by {coordinator}.").format(
            person=who, sector=sector, coordinator=ctx.member.name
        )
    else:
        text = _(
            "✖ The coordination did not confirm {person} as a representative of {sector}. "
            "{person}: if it was a mistake, send /setor with your sector again."
        ).format(person=who, sector=sector)
    if press.origin is Origin.LIST:
        return [_pending_reply(decided.waiting, head=text, edit=True)]
    return [Reply(text=text, edit=True, mentions=(person(decided.member),))]


MAX_LISTED = 10


def _pending_reply(waiting: Sequence[Member], *, head: str = "", edit: bool = False) -> Reply:
    """The declarations waiting, each with its buttons (the first ten)."""
    lines = [head] if head else []
    if not waiting:
        lines.append(_("No declaration is waiting for the coordination."))
        return Reply(text="\n".join(lines), edit=edit)
    lines.append(_("Declarations waiting for the coordination:"))
    lines += [f"• {m.name} — {m.sector.name if m.sector else '?'}" for m in waiting]
    if len(waiting) > MAX_LISTED:
        more = ngettext(
            "Buttons for the first {n}; send /setores pendentes again for the others.",
            "Buttons for the first {n}; send /setores pendentes again for the others.",
            MAX_LISTED,
        )
        lines.append(more.format(n=MAX_LISTED))
    buttons = tuple(_claim_buttons(m, Origin.LIST) for m in waiting[:MAX_LISTED])
    return Reply(text="\n".join(lines), buttons=buttons, edit=edit)


async def _ask_sector(ctx: Context) -> list[Reply]:
    """``/setor`` alone: the member's sector, and a button for each to choose from."""
    found = await sectors.listed(ctx.session, ctx.network)
    current = ctx.member.sector.name if ctx.member.sector else _("none yet")
    text = _(
        "{person}, which sector do you represent? Yours: {current}. Tap it below, or write "
        "/setor with its name (for example, /setor CRAS)."
    ).format(person=ctx.member.name, current=current)
    buttons = [Button(s.name, SectorPick(s.id).encode()) for s in found]
    rows = tuple(tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2))
    return [Reply(text=text, buttons=rows)]


async def list_sectors(ctx: Context) -> list[Reply]:
    """``/setores``: every sector with its representatives (or a change, see below)."""
    args = ctx.msg.args.strip()
    if args:
        return await _change_sectors(ctx, args)
    short: dict[str, list[str]] = {}
    for a in await sectors.abbreviations(ctx.session, ctx.network):
        short.setdefault(a.sector, []).append(a.abbreviation)
    lines = [_("Sectors of the network and their representatives:")]
    for item in await sectors.representation(ctx.session, ctx.network):
        known_as = f" ({', '.join(short[item.sector])})" if item.sector in short else ""
        line = f"• {item.sector}{known_as}: {', '.join(item.people) or '—'}"
        if item.waiting:
            line += " " + _("(waiting for the coordination: {people})").format(
                people=", ".join(item.waiting)
            )
        lines.append(line)
    lines.append(_("To join one: /setor <name>."))
    return [Reply(text="\n".join(lines))]


async def _change_sectors(ctx: Context, args: str) -> list[Reply]:
    """``/setores adicionar <nome>``, ``renomear <antigo> | <novo>``, ``remover <nome>``;
    ``/setores siglas`` (the list of abbreviations) is for everyone."""
    if not ctx.is_coordinator:
        try:
            wanted = sector_rules.parse_change(args)
        except UserError:
            wanted = None
        if isinstance(wanted, sector_rules.ListAbbreviations):
            return await _change_abbreviations(ctx, wanted)
        raise UserError(N_("Only the network's coordination can change the sectors."))
    change = sector_rules.parse_change(args)
    if isinstance(
        change,
        sector_rules.AddAbbreviation
        | sector_rules.RemoveAbbreviation
        | sector_rules.ListAbbreviations,
    ):
        return await _change_abbreviations(ctx, change)
    if isinstance(change, sector_rules.ListPending):
        return [_pending_reply(await sectors.pending(ctx.session, ctx.network))]
    if isinstance(change, sector_rules.AddSector):
        await sectors.add(ctx.session, ctx.network, change)
        return [Reply(text=_("Sector {name} added.").format(name=change.name))]
    if isinstance(change, sector_rules.RemoveSector):
        removed = await sectors.remove(ctx.session, ctx.network, change, ctx.now)
        text = _(
            "Sector {name} removed: it leaves the list, the meetings and the rotation; the "
            "atas, presence lists and reports it appears in keep its name. To bring it back: "
            "/setores adicionar {name}"
        ).format(name=removed.sector.name)
        if removed.members:
            people = ", ".join(m.name for m in removed.members)
            say = ngettext(
                "{people}: say your sector with /setor.",
                "{people}: say your sectors with /setor.",
                len(removed.members),
            )
            text += "\n" + say.format(people=people)
        return [Reply(text=text, mentions=tuple(person(m) for m in removed.members))]
    old = await sectors.rename(ctx.session, ctx.network, change)
    return [Reply(text=_("Sector {old} is now called {new}.").format(old=old, new=change.new))]


async def _change_abbreviations(
    ctx: Context,
    change: sector_rules.AddAbbreviation
    | sector_rules.RemoveAbbreviation
    | sector_rules.ListAbbreviations,
) -> list[Reply]:
    """``/setores sigla PM Polícia Militar``, ``sigla remover PM``, ``siglas``."""
    if isinstance(change, sector_rules.AddAbbreviation):
        sector = await sectors.add_abbreviation(ctx.session, ctx.network, change, ctx.now)
        text = _("Done: {abbreviation} now means {sector} (in /setor, /encaminhar, /presenca…).")
        return [Reply(text=text.format(abbreviation=change.abbreviation, sector=sector.name))]
    if isinstance(change, sector_rules.RemoveAbbreviation):
        removed = await sectors.remove_abbreviation(ctx.session, ctx.network, change)
        text = _("{abbreviation} no longer means {sector}.")
        return [Reply(text=text.format(abbreviation=removed.abbreviation, sector=removed.sector))]
    listed = await sectors.abbreviations(ctx.session, ctx.network)
    lines = [_("Abbreviations of the sectors:")]
    lines += [
        f"• {a.abbreviation} = {a.sector}" + (" " + _("(default)") if a.default else "")
        for a in listed
    ]
    if not listed:
        lines.append("—")
    if ctx.is_coordinator:
        example = sector_rules.ABBREVIATION_EXAMPLE
        lines.append(_("To add one: {example}").format(example=example))
    return [Reply(text="\n".join(lines))]


async def coordinators(ctx: Context) -> list[Reply]:
    """``/coordenador`` lists the coordination; ``+``/``-`` with a person changes it."""
    typed = ctx.msg.args.strip()
    if typed[:1] in {"+", "-"}:  # "+Maria Souza" as "+ Maria Souza"
        typed = f"{typed[0]} {typed[1:]}"
    args = typed.split()
    if not args:
        return await _coordination(ctx)
    add = network_rules.parse_coordinator_sign(args[0])
    if len([part for part in re.split(r"[,;]", typed[1:]) if part.strip()]) > 1:
        # "/coordenador + Maria, Pedro": each change is said back on its own.
        sign = "+" if add else "-"
        raise UserError(
            N_("One person at a time, please: one /coordenador {sign} for each."),
            sign=sign,
            example=network_rules.coordinator_by_name(sign),
        )
    target, changed = await network_setup.set_coordinator(
        ctx.session, ctx.network, _nominee(ctx, args), add=add, by=ctx.member, now=ctx.now
    )
    if add:
        text = (
            _("{name} is now part of the coordination.")
            if changed
            else _("{name} is already part of the coordination.")
        )
    else:
        text = (
            _("{name} is no longer part of the coordination.")
            if changed
            else _("{name} was not part of the coordination.")
        )
    return [Reply(text=text.format(name=target.name))]


def _nominee(ctx: Context, args: list[str]) -> network_setup.Nominee:
    """Whom the message names: its first mention, the @username typed, the replied
    person, or the name typed ("/coordenador + Maria Souza")."""
    rest = " ".join(args[1:]).strip(",;. ")  # "@ana," and "Maria Souza." as typed
    return network_setup.Nominee(
        mentioned=ctx.msg.mentioned[0] if ctx.msg.mentioned else None,
        username=rest.split()[0] if rest.startswith("@") else None,
        replied=ctx.msg.reply_to,
        # "@Maria Souza", typed (no mention), is her name when no username is "@Maria".
        name=rest.lstrip("@") or None,
    )


async def _coordination(ctx: Context) -> list[Reply]:
    """Who coordinates, and how to change it."""
    names = ", ".join(await network_setup.coordinator_names(ctx.session, ctx.network))
    who = (
        _("Coordination: the group's administrators and {names}.").format(names=names)
        if names
        else _("Coordination: the group's administrators.")
    )
    how = _(
        "To add or remove: /coordenador + @user or /coordenador - @user, or by the name "
        "(/coordenador + Maria Souza), or reply to the person's message with /coordenador +."
    )
    return [Reply(text=f"{who}\n{how}")]


async def set_timezone(ctx: Context) -> list[Reply]:
    """``/fuso``: the network's time zone, or a new one (meetings keep their local times)."""
    text = ctx.msg.args.strip()
    if not text:
        current = _("This network's time zone is {tz}. To change: /fuso America/Cuiaba")
        return [Reply(text=current.format(tz=ctx.network.timezone))]
    zone = network_rules.parse_zone(text)
    await network_setup.set_timezone(ctx.session, ctx.network, zone, ctx.now)
    done = _("Time zone changed to {tz}. The meetings keep their local times.")
    return [Reply(text=done.format(tz=zone))]


async def set_state(ctx: Context) -> list[Reply]:
    """``/estado``: the state whose holidays apply, or a new one."""
    if not ctx.msg.args.strip():
        current = ctx.network.state or _("none (national holidays only)")
        text = _("State for holidays: {state}. To change: /estado PR")
        return [Reply(text=text.format(state=current))]
    uf = network_rules.parse_state(ctx.msg.args)
    await network_setup.set_state(ctx.network, uf)
    done = _("Done: {uf}'s holidays are skipped when generating the calendar.")
    return [Reply(text=done.format(uf=uf))]


async def set_reminders(ctx: Context) -> list[Reply]:
    """``/lembretes 3d 1h``: when the group is reminded before each meeting."""
    words = ctx.msg.args.replace(",", " ").split()
    if not words:
        return _current_reminders(ctx)
    minutes = network_rules.parse_reminders(words)
    await network_setup.set_reminders(ctx.session, ctx.network, minutes, ctx.now)
    done = _("Done: I will remind the group {offsets} before each meeting.")
    return [Reply(text=done.format(offsets=network_rules.format_reminders(minutes)))]


def _current_reminders(ctx: Context) -> list[Reply]:
    current = network_rules.format_reminders(ctx.network.reminder_offsets) or "—"
    text = _("Reminders before each meeting: {offsets}. To change: {example}")
    return [Reply(text=text.format(offsets=current, example=network_rules.REMINDERS_EXAMPLE))]


async def set_language(ctx: Context) -> list[Reply]:
    """``/idioma pt_BR``: the language the bot speaks in this network."""
    locale = network_rules.parse_locale(ctx.msg.args)
    await network_setup.set_language(ctx.network, locale)
    with use_locale(locale):
        text = _("Done: the bot now speaks {language} in this network.").format(
            language=language_name(locale)
        )
    return [Reply(text=text)]


async def set_signature(ctx: Context) -> list[Reply]:
    """``/assinatura Coordenação da Rede…``: who signs the network's e-mails."""
    if not ctx.msg.args.strip():
        text = _("The network's e-mails are signed: {signature}. To change: {example}")
        return [
            Reply(
                text=text.format(
                    signature=signature(ctx.network), example=network_rules.SIGNATURE_EXAMPLE
                )
            )
        ]
    await network_setup.set_signature(ctx.network, ctx.msg.args)
    done = _("Done: the network's e-mails are now signed: {signature}.")
    return [Reply(text=done.format(signature=signature(ctx.network)))]


def register(router: Router) -> None:
    router.on_join(greeting)

    async def ajuda(ctx: Context) -> list[Reply]:
        return [Reply(text=text) for text in help_texts(router, ctx.is_coordinator)]

    router.command("start", N_("introduce the bot"), "/start")(start)
    router.command("ajuda", N_("list the commands"), "/ajuda")(ajuda)
    router.alias("comandos", "ajuda")
    router.alias("help", "ajuda")
    router.command("setor", N_("say which sector you represent"), "/setor CRAS")(set_sector)
    router.command(
        "setores", N_("sectors, their representatives and abbreviations"), "/setores siglas"
    )(list_sectors)
    router.button(ClaimDecision)(claim_button)
    router.button(SectorPick)(sector_button)
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
    router.command(
        "assinatura",
        N_("who signs the network's e-mails"),
        network_rules.SIGNATURE_EXAMPLE,
        coordinator=True,
    )(set_signature)
