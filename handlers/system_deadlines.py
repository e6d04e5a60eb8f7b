"""Reporting deadlines of the information systems (RMA, Censo SUAS, SISC...), seed 001."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import UserError
from bot.i18n import N_
from bot.i18n import gettext as _
from bot.messages import MailOut, Reply
from bot.router import Context, Router, ScheduledContext
from bot.rules import dates, privacy
from bot.rules.kinds import Kind
from bot.rules.names import name_key
from bot.rules.system_deadlines import occurrences_after, period_of
from handlers.common import find_sector, person, split_pipes
from storage import repo
from storage.models import Network, ReportingConfirmation, ReportingDeadline

EXAMPLE = (
    "/prazos novo RMA | mensal dia 10 | CRAS, CREAS | https://aplicacoes.mds.gov.br/sagirmps/rma"
)
OK_EXAMPLE = "/prazo_ok RMA"
RECURRENCES = {"mensal": "monthly", "trimestral": "quarterly", "anual": "yearly"}
ANNOUNCE_BEFORE = timedelta(days=7)  # Anexo I
PENDING_BEFORE = timedelta(days=2)  # Anexo II
AT = time(9, 0)


def _parse_recurrence(text: str) -> tuple[str, int, int | None]:
    words = name_key(text).replace("dia", " ").split()
    if len(words) < 2 or words[0] not in RECURRENCES:
        raise UserError(
            N_("Say the recurrence and the day: mensal dia 10, trimestral dia 15 or anual 30/06."),
            example=EXAMPLE,
        )
    recurrence = RECURRENCES[words[0]]
    if recurrence == "yearly":
        day_text, _sep, month_text = words[1].partition("/")
        if not (day_text.isdigit() and month_text.isdigit() and 1 <= int(month_text) <= 12):
            raise UserError(
                N_("For a yearly deadline write the day and month, like anual 30/06."),
                example=EXAMPLE,
            )
        day, month = int(day_text), int(month_text)
    else:
        if not words[1].isdigit():
            raise UserError(
                N_(
                    "Say the recurrence and the day: "
                    "mensal dia 10, trimestral dia 15 or anual 30/06."
                ),
                example=EXAMPLE,
            )
        day, month = int(words[1]), None
    if not 1 <= day <= 31:
        raise UserError(N_("The day must be between 1 and 31."), example=EXAMPLE)
    return recurrence, day, month


async def deadlines_command(ctx: Context) -> list[Reply]:
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
    parts = split_pipes(args)
    if len(parts) not in (3, 4) or not all(parts[:3]):
        raise UserError(N_("Write: name | recurrence | sectors [| link]."), example=EXAMPLE)
    name, recurrence_text, sector_text = parts[:3]
    link = parts[3] if len(parts) == 4 and parts[3] else None
    privacy.screen(name)
    recurrence, day, month = _parse_recurrence(recurrence_text)
    sectors = await repo.sectors(session=ctx.session, network_id=ctx.network.id)
    chosen = []
    for piece in sector_text.split(","):
        if piece.strip():
            chosen.append(find_sector(sectors, piece.strip(), EXAMPLE))
    existing = await repo.reporting_deadlines(session=ctx.session, network_id=ctx.network.id)
    item = next((d for d in existing if d.key == name_key(name)), None)
    if item is None:
        item = ReportingDeadline(
            network_id=ctx.network.id, name=name, key=name_key(name), created_at=ctx.now
        )
        ctx.session.add(item)
    item.recurrence, item.day, item.month = recurrence, day, month
    item.sector_ids, item.link = [s.id for s in chosen], link
    await ctx.session.flush()
    due = await plan_occurrence(ctx.session, ctx.network, item, ctx.now)
    return [
        Reply(
            text=_(
                "Deadline {name} saved: next on {day}, for {sectors}. I will announce it and chase "
                "the sectors that have not confirmed with /prazo_ok {name}."
            ).format(
                name=name,
                day=dates.format_date(due, with_year=True),
                sectors=", ".join(s.name for s in chosen),
            )
        )
    ]


async def plan_occurrence(
    session: AsyncSession, network: Network, item: ReportingDeadline, now: datetime
) -> date:
    """Schedule the announcement (Anexo I) and the pending notice (Anexo II) of the next date."""
    tz = ZoneInfo(network.timezone)
    today = now.astimezone(tz).date()
    due = occurrences_after(item, today)
    at_due = datetime.combine(due, AT, tzinfo=tz)
    prefix = f"report:{item.id}:"
    await repo.cancel_scheduled(session=session, network_id=network.id, key_prefix=prefix)
    for kind, when in (
        (Kind.REPORT_ANNOUNCE, at_due - ANNOUNCE_BEFORE),
        (Kind.REPORT_PENDING, at_due - PENDING_BEFORE),
    ):
        await repo.schedule(
            session=session,
            network_id=network.id,
            key=f"{prefix}{due.isoformat()}:{kind}",
            kind=kind,
            due_at=max(when, now),
            payload={"deadline_id": item.id, "due": due.isoformat()},
        )
    return due


async def _list(ctx: Context) -> list[Reply]:
    items = await repo.reporting_deadlines(session=ctx.session, network_id=ctx.network.id)
    if not items:
        return [
            Reply(
                text=_(
                    "No reporting deadlines yet. The coordination adds one with {example}"
                ).format(example=EXAMPLE)
            )
        ]
    sectors = {
        s.id: s.name for s in await repo.sectors(session=ctx.session, network_id=ctx.network.id)
    }
    today = ctx.now.astimezone(ctx.tz).date()
    lines = [_("Reporting deadlines:")]
    for item in items:
        due = occurrences_after(item, today)
        done = await repo.confirmations(
            session=ctx.session, deadline_id=item.id, period=period_of(item, due)
        )
        missing = [sectors[i] for i in item.sector_ids if i in sectors and i not in done]
        lines.append(
            _("• {name}: {day} — pending: {missing}").format(
                name=item.name,
                day=dates.format_date(due, with_year=True),
                missing=", ".join(missing) or _("nobody"),
            )
        )
    return [Reply(text="\n".join(lines))]


async def confirm(ctx: Context) -> list[Reply]:
    name = ctx.msg.args.strip()
    items = await repo.reporting_deadlines(session=ctx.session, network_id=ctx.network.id)
    item = next((d for d in items if d.key == name_key(name)), None)
    if item is None:
        raise UserError(
            N_("There is no deadline called {name}. See /prazos."),
            example=OK_EXAMPLE,
            name=name or "—",
        )
    if ctx.member.sector_id not in item.sector_ids:
        raise UserError(N_("Your sector is not responsible for {name}."), name=item.name)
    today = ctx.now.astimezone(ctx.tz).date()
    # The occurrence just passed (up to 10 days late) or the next one.
    due = occurrences_after(item, today - timedelta(days=10))
    period = period_of(item, due)
    done = await repo.confirmations(session=ctx.session, deadline_id=item.id, period=period)
    if ctx.member.sector_id not in done:
        ctx.session.add(
            ReportingConfirmation(
                deadline_id=item.id,
                period=period,
                sector_id=ctx.member.sector_id,
                confirmed_at=ctx.now,
            )
        )
    sector = ctx.member.sector.name if ctx.member.sector else "?"
    return [
        Reply(
            text=_("✅ {sector} confirmed {name} ({period}). Thank you!").format(
                sector=sector, name=item.name, period=period
            )
        )
    ]


async def _context(ctx: ScheduledContext) -> tuple[ReportingDeadline, date] | None:
    item = await ctx.session.get(ReportingDeadline, int(ctx.row.payload["deadline_id"]))
    if item is None:
        return None
    return item, date.fromisoformat(str(ctx.row.payload["due"]))


async def render_announcement(ctx: ScheduledContext) -> Sequence[Reply]:
    """Seed 001, Anexo I: the deadline is announced to the group."""
    found = await _context(ctx)
    if found is None:
        return []
    item, due = found
    people = await repo.representatives(
        session=ctx.session, network_id=ctx.network.id, sector_ids=item.sector_ids
    )
    text = _(
        "📅 The deadline to fill in {name} ends on {day}.{link}\n"
        "Remember: not filling it in may lead to administrative sanctions, such as blocked funds. "
        "Do not leave it to the last minute. When done, send /prazo_ok {name}."
    ).format(
        name=item.name,
        day=dates.format_date(due, with_year=True),
        link=("\n" + _("Access: {link}").format(link=item.link)) if item.link else "",
    )
    return [Reply(text=text, mentions=tuple(person(m) for m in people))]


async def render_pending(ctx: ScheduledContext) -> Sequence[Reply | MailOut]:
    """Seed 001, Anexo II: sectors that have not confirmed get the pending notice."""
    found = await _context(ctx)
    if found is None:
        return []
    item, due = found
    await plan_occurrence(
        ctx.session, ctx.network, item, ctx.now + PENDING_BEFORE + timedelta(days=1)
    )
    done = await repo.confirmations(
        session=ctx.session, deadline_id=item.id, period=period_of(item, due)
    )
    missing = [i for i in item.sector_ids if i not in done]
    if not missing:
        return []
    sectors = [
        s
        for s in await repo.sectors(session=ctx.session, network_id=ctx.network.id)
        if s.id in missing
    ]
    people = await repo.representatives(
        session=ctx.session, network_id=ctx.network.id, sector_ids=missing
    )
    text = _(
        "⚠️ {name} is still pending for {sectors} (deadline {day}). Please fill it in to keep the "
        "data of the SUAS qualified, and confirm with /prazo_ok {name}."
    ).format(
        name=item.name,
        sectors=", ".join(s.name for s in sectors),
        day=dates.format_date(due, with_year=True),
    )
    outs: list[Reply | MailOut] = [Reply(text=text, mentions=tuple(person(m) for m in people))]
    for sector in sectors:
        if sector.email and ctx.settings.smtp_host:
            outs.append(
                MailOut(
                    to=(sector.email,),
                    subject=_("Pending: {name} (deadline {day})").format(
                        name=item.name, day=dates.format_date(due, with_year=True)
                    ),
                    body=_(
                        "Dear team of {sector},\n\nWe have identified that {name} is pending "
                        "and ask you to fill it in by {day}, so that the data of the SUAS stay "
                        "qualified.{link}\n\n"
                        "Not filling it in may lead to administrative sanctions. "
                        "We remain available for clarifications.\n\n"
                        "— redebot, assistant of the {network}"
                    ).format(
                        sector=sector.name,
                        name=item.name,
                        day=dates.format_date(due, with_year=True),
                        link=("\n" + _("Access: {link}").format(link=item.link))
                        if item.link
                        else "",
                        network=ctx.network.title or _("Rede de Proteção Social"),
                    ),
                )
            )
    return outs


def register(router: Router) -> None:
    router.command("prazos", N_("reporting deadlines (RMA, Censo SUAS...)"), EXAMPLE)(
        deadlines_command
    )
    router.command("prazo_ok", N_("confirm your sector filled a reporting deadline"), OK_EXAMPLE)(
        confirm
    )
    router.scheduled(Kind.REPORT_ANNOUNCE)(render_announcement)
    router.scheduled(Kind.REPORT_PENDING)(render_pending)
