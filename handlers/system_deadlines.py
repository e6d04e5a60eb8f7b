"""Reporting deadlines of the information systems (RMA, Censo SUAS, SISC...), seed 001."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from bot.buttons import ButtonData
from bot.errors import UserError, check_length
from bot.i18n import N_
from bot.i18n import gettext as _
from bot.messages import Button, MailOut, Reply
from bot.router import Context, Router, ScheduledContext
from bot.rules import dates
from bot.rules import sectors as sector_rules
from bot.rules import system_deadlines as rules
from bot.rules.kinds import Kind
from bot.rules.names import name_key
from bot.services import system_deadlines
from handlers import conversation
from handlers.common import person, signature, split_pipes
from handlers.conversation import Option, Values
from storage.models import ReportingDeadline

EXAMPLE = rules.EXAMPLE
OK_EXAMPLE = rules.OK_EXAMPLE


async def deadlines_command(ctx: Context) -> list[Reply]:
    """``/prazos`` lists the deadlines; ``/prazos novo …`` adds one (coordination)."""
    verb, _sep, rest = ctx.msg.args.strip().partition(" ")
    if name_key(verb) == "novo":
        if not ctx.is_coordinator:
            raise UserError(
                N_("Only the network's coordination can use /{name}."), name="prazos novo"
            )
        return await _create(ctx, rest)
    if verb:
        raise UserError(N_("Use /prazos to list, or /prazos novo to add one."), example=EXAMPLE)
    return await _list(ctx)


async def _create(ctx: Context, args: str) -> list[Reply]:
    """``/prazos novo RMA | mensal dia 10 | CRAS, CREAS [| link]``; without them (or some),
    step by step."""
    parts = split_pipes(args)
    if len(parts) < 3 or (len(parts) == 3 and not all(parts)):
        return await conversation.start(ctx, DEADLINE_FLOW, parts)
    spec = rules.parse_deadline(parts)
    saved = await system_deadlines.save(ctx.session, ctx.network, spec, ctx.now)
    text = _(
        "Deadline {name} saved: next on {day}, for {sectors}. I will announce it and chase "
        "the sectors that have not confirmed with /prazo_ok {name}."
    ).format(name=spec.name, day=_day(saved.due), sectors=", ".join(saved.sectors))
    return [Reply(text=text)]


async def _list(ctx: Context) -> list[Reply]:
    """Each deadline's next date and the sectors that have not confirmed it."""
    statuses = await system_deadlines.overview(ctx.session, ctx.network, ctx.now)
    if not statuses:
        text = _("No reporting deadlines yet. The coordination adds one with {example}")
        return [Reply(text=text.format(example=EXAMPLE))]
    lines = [_("Reporting deadlines:")]
    for status in statuses:
        lines.append(
            _("• {name}: {day} — pending: {missing}").format(
                name=status.name,
                day=_day(status.due),
                missing=", ".join(status.missing) or _("nobody"),
            )
        )
    return [Reply(text="\n".join(lines))]


async def confirm(ctx: Context) -> list[Reply]:
    """``/prazo_ok RMA``: the member's sector filled the deadline's current period;
    ``/prazo_ok`` alone offers the deadlines still open for her sector, each a button."""
    name = ctx.msg.args.strip()
    if not name:
        return await _open_choices(ctx)
    item, due = await system_deadlines.confirm(ctx.session, ctx.network, ctx.member, name, ctx.now)
    return [_confirmed(ctx, item, due)]


@dataclass(frozen=True)
class DeadlinePick(ButtonData, prefix="rptok"):
    """A deadline under ``/prazo_ok`` alone: the presser's sector filled it."""

    deadline_id: int


async def _open_choices(ctx: Context) -> list[Reply]:
    found = await system_deadlines.open_for(ctx.session, ctx.network, ctx.member, ctx.now)
    sector = ctx.member.sector.name if ctx.member.sector else "?"
    if not found:
        text = _("{sector} has no reporting deadline left to confirm. 🎉 See /prazos.")
        return [Reply(text=text.format(sector=sector))]
    lines = [_("Deadlines {sector} has not confirmed yet:").format(sector=sector)]
    lines += [f"• {item.name} — {_day(due)}" for item, due in found]
    lines.append(_("Tap the one your sector has filled in."))
    buttons = tuple(
        (Button(f"✅ {item.name}", DeadlinePick(item.id).encode()),) for item, _due in found[:10]
    )
    return [Reply(text="\n".join(lines), buttons=buttons)]


async def deadline_button(ctx: Context, press: DeadlinePick) -> list[Reply]:
    item, due = await system_deadlines.confirm(
        ctx.session, ctx.network, ctx.member, "", ctx.now, deadline_id=press.deadline_id
    )
    return [_confirmed(ctx, item, due)]


def _confirmed(ctx: Context, item: ReportingDeadline, due: date) -> Reply:
    """The day confirmed, as /prazo_ok alone lists it (the occurrence it records)."""
    sector = ctx.member.sector.name if ctx.member.sector else "?"
    text = _("✅ {sector} confirmed {name}, due {day}. Thank you!")
    return Reply(text=text.format(sector=sector, name=item.name, day=_day(due)))


def _payload(ctx: ScheduledContext) -> tuple[int, date]:
    """The deadline and the due date a scheduled row is about."""
    return int(ctx.row.payload["deadline_id"]), date.fromisoformat(str(ctx.row.payload["due"]))


def _day(due: date) -> str:
    return dates.format_date(due, with_year=True)


def _access(item: ReportingDeadline) -> str:
    """The deadline's link on a line of its own, when it has one."""
    return ("\n" + _("Access: {link}").format(link=item.link)) if item.link else ""


async def render_announcement(ctx: ScheduledContext) -> Sequence[Reply]:
    """Seed 001, Anexo I: the deadline is announced to the group."""
    found = await system_deadlines.announcement(ctx.session, ctx.network, *_payload(ctx), ctx.now)
    if found is None:
        return []
    text = _(
        "📅 The deadline to fill in {name} ends on {day}.{link}\n"
        "Remember: not filling it in may lead to administrative sanctions, such as blocked funds. "
        "Do not leave it to the last minute. When done, send /prazo_ok {name}."
    ).format(name=found.deadline.name, day=_day(found.due), link=_access(found.deadline))
    return [Reply(text=text, mentions=tuple(person(m) for m in found.people))]


async def render_pending(ctx: ScheduledContext) -> Sequence[Reply | MailOut]:
    """Seed 001, Anexo II: sectors that have not confirmed get the pending notice."""
    found = await system_deadlines.pending(ctx.session, ctx.network, *_payload(ctx), ctx.now)
    if found is None:
        return []
    text = _(
        "⚠️ {name} is still pending for {sectors} (deadline {day}). Please fill it in to keep the "
        "data of the SUAS qualified, and confirm with /prazo_ok {name}."
    ).format(
        name=found.deadline.name,
        sectors=", ".join(s.name for s in found.sectors),
        day=_day(found.due),
    )
    outs: list[Reply | MailOut] = [
        Reply(text=text, mentions=tuple(person(m) for m in found.people))
    ]
    if ctx.settings.smtp_host:
        outs += [_pending_mail(ctx, found, s.name, s.email) for s in found.sectors if s.email]
    return outs


def _pending_mail(
    ctx: ScheduledContext, found: system_deadlines.Occurrence, sector: str, email: str
) -> MailOut:
    """The pending notice by e-mail to one sector (seed 001, Anexo II)."""
    item = found.deadline
    body = _(
        "Dear representatives of the sector {sector},\n\n"
        "We have identified that the filling in of the system {name} is pending and ask "
        "you to complete it by {day}, so that the data that support the Sistema Único de "
        "Assistência Social (SUAS) stay qualified.{link}\n\n"
        "ATTENTION!\n\n"
        "As is known, not filling it in leads to administrative sanctions that may block "
        "funds. Keep an eye on the dates and do not leave it to the last minute.\n\n"
        "We remain available for clarifications and guidance.\n\n"
        "Regards,\n{signature}"
    ).format(
        signature=signature(ctx.network),
        sector=sector,
        name=item.name,
        day=_day(found.due),
        link=_access(item),
    )
    subject = _("Pending: {name} (deadline {day})").format(name=item.name, day=_day(found.due))
    return MailOut(to=(email,), subject=subject, body=body)


# --- step by step (issue 14) -------------------------------------------------------------


async def _check_name(ctx: Context, text: str, values: Values) -> str:
    check_length(text, 60, N_("the name"))
    return text


async def _name_options(ctx: Context, values: Values) -> list[Option]:
    return [Option(name, name) for name in ("RMA", "Censo SUAS", "SISC", "Plano de Ação")]


async def _check_recurrence(ctx: Context, text: str, values: Values) -> str:
    rules.parse_recurrence(text)
    return text


async def _recurrence_options(ctx: Context, values: Values) -> list[Option]:
    return [
        Option(_("Monthly, on the 10th"), "mensal dia 10"),
        Option(_("Quarterly, on the 15th"), "trimestral dia 15"),
        Option(_("Yearly, on 30/06"), "anual 30/06"),
    ]


async def _check_sectors(ctx: Context, text: str, values: Values) -> str:
    found = sector_rules.find_all(await conversation.sectors(ctx), text, EXAMPLE)
    if not found:
        raise UserError(N_("Write: name | recurrence | sectors [| link]."), example=EXAMPLE)
    return ", ".join(dict.fromkeys(s.name for s in found))


async def _check_link(ctx: Context, text: str, values: Values) -> str:
    return "" if name_key(text) in {"sem link", "nao", "nenhum", ""} else text


async def _link_options(ctx: Context, values: Values) -> list[Option]:
    return [Option(_("No link"), "")]


DEADLINE_FLOW = conversation.Flow(
    name="prazos novo",
    title=N_("📅 New reporting deadline."),
    example=EXAMPLE,
    steps=(
        conversation.Step(
            key="name",
            field=N_("Name"),
            question=N_("Which system or report is it?"),
            example="RMA",
            check=_check_name,
            options=_name_options,
        ),
        conversation.Step(
            key="recurrence",
            field=N_("Recurrence"),
            question=N_("How often is it due, and on which day?"),
            example="mensal dia 10, trimestral dia 15 ou anual 30/06",
            check=_check_recurrence,
            options=_recurrence_options,
        ),
        conversation.Step(
            key="sectors",
            field=N_("Sectors"),
            question=N_(
                "Which sectors fill it in? Choose one or more and press Done, or write their "
                "names separated by commas."
            ),
            example="CRAS, CREAS",
            check=_check_sectors,
            options=conversation.sector_options,
            multi=True,
        ),
        conversation.Step(
            key="link",
            field=N_("Link"),
            question=N_("Where is it filled in? Write the link, or choose No link."),
            example="https://aplicacoes.mds.gov.br/sagirmps/rma",
            check=_check_link,
            options=_link_options,
            optional=True,
        ),
    ),
    line=lambda values: (
        "novo " + conversation.joined("name", "recurrence", "sectors", "link")(values)
    ),
    run=deadlines_command,
)


def register(router: Router) -> None:
    conversation.declare(DEADLINE_FLOW)
    router.command("prazos", N_("reporting deadlines (RMA, Censo SUAS...)"), EXAMPLE)(
        deadlines_command
    )
    router.command("prazo_ok", N_("confirm your sector filled a reporting deadline"), OK_EXAMPLE)(
        confirm
    )
    router.button(DeadlinePick)(deadline_button)
    router.scheduled(Kind.REPORT_ANNOUNCE)(render_announcement)
    router.scheduled(Kind.REPORT_PENDING)(render_pending)
