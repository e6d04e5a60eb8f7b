"""Encaminhamentos and devolutivas: deadlines, chasing overdue sectors, extensions."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.buttons import ButtonData, Decision
from bot.errors import UserError
from bot.i18n import N_, ngettext
from bot.i18n import gettext as _
from bot.messages import Button, MailOut, Reply
from bot.notify import to_coordination
from bot.router import Context, Router, ScheduledContext
from bot.rules import dates, deadlines, privacy
from bot.rules.kinds import Kind
from bot.rules.status import ExtensionStatus, Presence, ReferralStatus
from bot.services import referrals as service
from bot.services.referrals import due_of, ladder_of, plan_chase, plan_digest
from handlers.common import find_sector, meetings_on, person, split_pipes
from storage import repo
from storage.models import Devolutiva, Extension, Meeting, Network, Referral, Sector

EXAMPLE = (
    "/encaminhar Saúde, Conselho Tutelar | 10 dias úteis | "
    "CASO-2025-014: avaliação de saúde mental da criança e retorno à Rede"
)
DEVOLUTIVA_EXAMPLE = (
    "/devolutiva E-2026-001 avaliação feita em 12/03; criança em acompanhamento no CAPS"
)
EXTENSION_EXAMPLE = "/prazo E-2026-001 20/12 aguardando a vaga no CAPS"
CODE_RE = re.compile(r"\bE-\d{4}-\d{3,}\b", re.IGNORECASE)
CHASE = Kind.REFERRAL_CHASE
# The e-mail step is its own kind: it goes to the sector's address, not to the chat, so a
# due e-mail never supersedes (issue 9 §7) the chat steps of the same referral and sector.
CHASE_MAIL = Kind.REFERRAL_CHASE_MAIL
DIGEST = Kind.REFERRAL_DIGEST
MAX_DESCRIPTION = 500


async def create_referral(
    ctx: Context,
    *,
    sectors: Sequence[Sector],
    deadline: date,
    description: str,
    origin: str,
) -> Referral:
    """Save a referral owed by ``sectors``, recorded at today's meeting if one is open."""
    meeting = await _open_meeting(ctx) if origin == "meeting" else None
    return await service.create(
        ctx.session,
        ctx.network,
        created_by_id=ctx.member.id,
        now=ctx.now,
        sectors=sectors,
        deadline=deadline,
        description=description,
        origin=origin,
        meeting_id=meeting.id if meeting else None,
    )


async def _open_meeting(ctx: Context) -> Meeting | None:
    """The meeting whose presence list is open today (encaminhamentos recorded there)."""
    for meeting in await meetings_on(ctx, ctx.now.astimezone(ctx.tz).date()):
        if meeting.presence == Presence.OPEN:
            return meeting
    return None


# --- commands -----------------------------------------------------------------------------


async def refer(ctx: Context) -> list[Reply]:
    parts = split_pipes(ctx.msg.args)
    if len(parts) != 3 or not all(parts):
        raise UserError(
            N_("Write the sectors, the deadline and the description, separated by |."),
            example=EXAMPLE,
        )
    sector_text, deadline_text, description = parts
    meeting = await _open_meeting(ctx)
    if not ctx.is_coordinator and meeting is None:
        raise UserError(
            N_("Only the coordination can refer outside a meeting (with the presence list open)."),
            example=EXAMPLE,
        )
    if len(description) > MAX_DESCRIPTION:
        raise UserError(
            N_("Please keep it short: at most {n} letters."), example=EXAMPLE, n=MAX_DESCRIPTION
        )
    privacy.screen(description)
    all_sectors = await repo.sectors(session=ctx.session, network_id=ctx.network.id)
    chosen: list[Sector] = []
    for piece in re.split(r",| e ", sector_text):
        if piece.strip():
            sector = find_sector(all_sectors, piece.strip(), EXAMPLE)
            if sector not in chosen:
                chosen.append(sector)
    if not chosen:
        raise UserError(N_("Say which sectors owe the devolutiva."), example=EXAMPLE)
    deadline = deadlines.parse_deadline(
        deadline_text,
        today=ctx.now.astimezone(ctx.tz).date(),
        tz=ctx.network.timezone,
        state=ctx.network.state,
    )
    referral = await create_referral(
        ctx,
        sectors=chosen,
        deadline=deadline,
        description=description,
        origin="meeting" if meeting else "adhoc",
    )
    people = await repo.representatives(
        session=ctx.session, network_id=ctx.network.id, sector_ids=[s.id for s in chosen]
    )
    return [
        Reply(
            text=_(
                "📌 Encaminhamento {code}: {description}\n"
                "Sectors: {sectors}\nDeadline: {deadline}\n"
                "Each sector sends its devolutiva with /devolutiva {code} <text>."
            ).format(
                code=referral.code,
                description=description,
                sectors=", ".join(s.name for s in chosen),
                deadline=_deadline_text(deadline),
            ),
            mentions=tuple(person(m) for m in people),
        )
    ]


def _deadline_text(day: date) -> str:
    return f"{dates.weekday_name(day)}, {dates.format_date(day, with_year=True)}"


async def devolutiva(ctx: Context) -> list[Reply]:
    code, _sep, text = ctx.msg.args.strip().partition(" ")
    if not CODE_RE.fullmatch(code or ""):
        raise UserError(N_("Start with the encaminhamento's code."), example=DEVOLUTIVA_EXAMPLE)
    return await record_devolutiva(ctx, code, text.strip())


async def record_devolutiva(ctx: Context, code: str, text: str) -> list[Reply]:
    referral = await _referral(ctx, code, DEVOLUTIVA_EXAMPLE)
    if len(text) < 5:
        raise UserError(N_("Write the devolutiva after the code."), example=DEVOLUTIVA_EXAMPLE)
    privacy.screen(text)
    owed = next((d for d in referral.owed if d.sector_id == ctx.member.sector_id), None)
    if owed is None:
        raise UserError(
            N_("{code} is not owed by your sector ({owers})."),
            example=DEVOLUTIVA_EXAMPLE,
            code=referral.code,
            owers=", ".join(d.sector.name for d in referral.owed),
        )
    if referral.status == ReferralStatus.CONCLUDED:
        raise UserError(N_("{code} is already concluded."), code=referral.code)
    owed.text, owed.answered_at, owed.answered_by_id = text, ctx.now, ctx.member.id
    await plan_chase(ctx.session, ctx.network, referral, owed, ctx.now)
    lines = [
        _("✅ Devolutiva of {sector} on {code} recorded. Thank you!").format(
            sector=owed.sector.name, code=referral.code
        )
    ]
    if all(d.answered_at is not None for d in referral.owed):
        referral.status = ReferralStatus.ANSWERED
        lines.append(
            _("All sectors have answered. Coordination: /concluir {code}").format(
                code=referral.code
            )
        )
    return [Reply(text="\n".join(lines))]


async def reply_with_devolutiva(ctx: Context) -> list[Reply] | None:
    """A reply to the bot's message about an encaminhamento is that sector's devolutiva."""
    match = CODE_RE.search(ctx.msg.replied_text or "")
    if match is None or ctx.member.sector_id is None:
        return None
    return await record_devolutiva(ctx, match.group(0), " ".join(ctx.msg.text.split()))


async def _referral(ctx: Context, code: str, example: str) -> Referral:
    referral = await repo.referral_by_code(
        session=ctx.session, network_id=ctx.network.id, code=code
    )
    if referral is None:
        raise UserError(
            N_("There is no encaminhamento {code}. See /pendencias."), example=example, code=code
        )
    return referral


async def conclude(ctx: Context) -> list[Reply]:
    referral = await _referral(ctx, ctx.msg.args.strip(), "/concluir E-2026-001")
    if referral.status == ReferralStatus.CONCLUDED:
        raise UserError(N_("{code} is already concluded."), code=referral.code)
    referral.status = ReferralStatus.CONCLUDED
    referral.concluded_at = ctx.now
    for owed in referral.owed:
        await plan_chase(ctx.session, ctx.network, referral, owed, ctx.now)
    missing = [d.sector.name for d in referral.owed if d.answered_at is None]
    text = _("☑️ Encaminhamento {code} concluded.").format(code=referral.code)
    if missing:
        text += " " + _("(without devolutiva from: {sectors})").format(sectors=", ".join(missing))
    return [Reply(text=text)]


async def reopen(ctx: Context) -> list[Reply]:
    referral = await _referral(ctx, ctx.msg.args.strip(), "/reabrir E-2026-001")
    if referral.status != ReferralStatus.CONCLUDED:
        raise UserError(N_("{code} is not concluded."), code=referral.code)
    referral.status = (
        ReferralStatus.OPEN
        if any(d.answered_at is None for d in referral.owed)
        else ReferralStatus.ANSWERED
    )
    referral.concluded_at = None
    for owed in referral.owed:
        await plan_chase(ctx.session, ctx.network, referral, owed, ctx.now)
    return [Reply(text=_("Encaminhamento {code} reopened.").format(code=referral.code))]


async def pending(ctx: Context) -> list[Reply]:
    name = ctx.msg.args.strip()
    sectors = await repo.sectors(session=ctx.session, network_id=ctx.network.id)
    only = find_sector(sectors, name, "/pendencias Saúde") if name else None
    today = ctx.now.astimezone(ctx.tz).date()
    rows: list[tuple[int, date, str, Referral]] = []
    for referral in await repo.open_referrals(session=ctx.session, network_id=ctx.network.id):
        for owed in referral.owed:
            if owed.answered_at is None and (only is None or owed.sector_id == only.id):
                due = due_of(referral, owed)
                rows.append((deadlines.days_overdue(due, today), due, owed.sector.name, referral))
    if not rows:
        return [Reply(text=_("No pending devolutivas. 🎉"))]
    rows.sort(key=lambda r: (-r[0], r[1], r[2]))
    lines = [_("Pending devolutivas (overdue first):")]
    for late, due, sector, referral in rows:
        when = (
            ngettext("{n} day overdue", "{n} days overdue", late).format(n=late)
            if late
            else _("due {day}").format(day=dates.format_date(due))
        )
        lines.append(f"• {sector} — {referral.code} ({when}): {_short(referral.description)}")
    return [Reply(text="\n".join(lines))]


def _short(text: str, size: int = 80) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"


async def ask_extension(ctx: Context) -> list[Reply]:
    words = ctx.msg.args.split()
    if len(words) < 3:
        raise UserError(
            N_("Write the code, the new date and the reason."), example=EXTENSION_EXAMPLE
        )
    referral = await _referral(ctx, words[0], EXTENSION_EXAMPLE)
    owed = next((d for d in referral.owed if d.sector_id == ctx.member.sector_id), None)
    if owed is None or owed.answered_at is not None:
        raise UserError(N_("Your sector has nothing pending on {code}."), code=referral.code)
    new = dates.parse_day(words[1], now=ctx.now, tz=ctx.network.timezone)
    if new <= due_of(referral, owed):
        raise UserError(
            N_("The new date must be after the current deadline."), example=EXTENSION_EXAMPLE
        )
    reason = " ".join(words[2:])
    privacy.screen(reason)
    request = Extension(
        referral_id=referral.id,
        sector_id=owed.sector_id,
        requested_by_id=ctx.member.id,
        new_deadline=new,
        reason=reason,
        status=ExtensionStatus.OPEN,
        created_at=ctx.now,
    )
    ctx.session.add(request)
    await ctx.session.flush()
    coordinators = await repo.coordinators(session=ctx.session, network_id=ctx.network.id)
    return [
        Reply(
            text=_(
                "⏳ {sector} asks for more time on {code}: until {day}.\nReason: {reason}\n"
                "Coordination, do you accept?"
            ).format(
                sector=owed.sector.name, code=referral.code, day=_deadline_text(new), reason=reason
            ),
            buttons=(
                (
                    Button(_("✅ Accept"), ExtensionDecision(request.id, Decision.OK).encode()),
                    Button(_("✖ Refuse"), ExtensionDecision(request.id, Decision.NO).encode()),
                ),
            ),
            mentions=tuple(person(m) for m in coordinators),
        )
    ]


@dataclass(frozen=True)
class ExtensionDecision(ButtonData, prefix="ext"):
    """The coordination accepts or refuses a deadline extension."""

    request_id: int
    decision: Decision


async def extension_button(ctx: Context, press: ExtensionDecision) -> list[Reply]:
    request = await ctx.session.get(Extension, press.request_id)
    if request is None:
        raise UserError(N_("This choice is no longer valid."))
    referral = await repo.referral(session=ctx.session, referral_id=request.referral_id)
    if referral is None or referral.network_id != ctx.network.id:
        raise UserError(N_("This choice is no longer valid."))
    if not ctx.is_coordinator:
        raise UserError(N_("Only the network's coordination can decide this."))
    if request.status != ExtensionStatus.OPEN:
        raise UserError(N_("This was already decided."))
    request.decided_at = ctx.now
    owed = next(d for d in referral.owed if d.sector_id == request.sector_id)
    if press.decision is Decision.OK:
        request.status = ExtensionStatus.ACCEPTED
        owed.deadline = request.new_deadline
        await plan_chase(ctx.session, ctx.network, referral, owed, ctx.now)
        text = _("✅ New deadline for {sector} on {code}: {day}.")
    else:
        request.status = ExtensionStatus.REFUSED
        text = _("✖ The deadline of {sector} on {code} stays {day}.")
    day = _deadline_text(due_of(referral, owed))
    return [
        Reply(text=text.format(sector=owed.sector.name, code=referral.code, day=day), edit=True)
    ]


# --- automatic ----------------------------------------------------------------------------


async def render_chase(ctx: ScheduledContext) -> Sequence[Reply | MailOut]:
    referral = await repo.referral(
        session=ctx.session, referral_id=int(ctx.row.payload["referral_id"])
    )
    if referral is None or referral.status == ReferralStatus.CONCLUDED:
        return []
    owed = next(
        (d for d in referral.owed if d.sector_id == int(ctx.row.payload["sector_id"])), None
    )
    if owed is None or owed.answered_at is not None:
        return []
    step = deadlines.Step(str(ctx.row.payload["step"]))
    due = due_of(referral, owed)
    people = await repo.representatives(
        session=ctx.session, network_id=ctx.network.id, sector_ids=[owed.sector_id]
    )
    today = ctx.now.astimezone(ZoneInfo(ctx.network.timezone)).date()
    late = deadlines.days_overdue(due, today)
    if not people and step is not deadlines.Step.EMAIL:
        return await _nobody_to_chase(ctx, referral, owed, due)
    how = _("Reply to this message with the devolutiva, or send /devolutiva {code} <text>.").format(
        code=referral.code
    )
    if step is deadlines.Step.REMINDER:
        text = _("⏳ {code} is due on {day} ({sector}): {description}").format(
            code=referral.code,
            day=_deadline_text(due),
            sector=owed.sector.name,
            description=_short(referral.description),
        )
        return [Reply(text=f"{text}\n{how}", mentions=tuple(person(m) for m in people))]
    overdue = _(
        "⚠️ {code} is {late} days overdue: {sector} has not sent its devolutiva.\n{description}"
    ).format(
        code=referral.code,
        late=late,
        sector=owed.sector.name,
        description=_short(referral.description),
    )
    if step is deadlines.Step.GROUP:
        return [Reply(text=f"{overdue}\n{how}", mentions=tuple(person(m) for m in people))]
    if step is deadlines.Step.PRIVATE:
        reachable = await repo.contact_ids(
            session=ctx.session, platform=ctx.network.platform, user_ids=[m.user_id for m in people]
        )
        private = [
            Reply(text=f"{overdue}\n{how}", to_user=person(m))
            for m in people
            if m.user_id in reachable
        ]
        # Nobody reachable in private: the group hears it, naming the representatives.
        return private or [
            Reply(text=f"{overdue}\n{how}", mentions=tuple(person(m) for m in people))
        ]
    if step is deadlines.Step.EMAIL and owed.sector.email:
        return [_overdue_mail(ctx.network, referral, owed, late)]
    return []


async def _nobody_to_chase(
    ctx: ScheduledContext, referral: Referral, owed: Devolutiva, due: date
) -> list[Reply]:
    """A sector with nobody in the group: the coordination hears it once, not the group."""
    if not await repo.first_notice(
        session=ctx.session,
        network_id=ctx.network.id,
        key=f"norep:{referral.id}:{owed.sector_id}",
        now=ctx.now,
    ):
        return []
    text = _(
        "⚠️ {code} ({day}) awaits the devolutiva of {sector}, which has no representative "
        "in the group: nobody there can be reminded. Ask the sector to join the group and "
        "send /setor, or conclude it with /concluir {code} once it is settled."
    ).format(code=referral.code, day=_deadline_text(due), sector=owed.sector.name)
    return await to_coordination(ctx.session, ctx.network, text)


def _overdue_mail(network: Network, referral: Referral, owed: Devolutiva, late: int) -> MailOut:
    """Seed 001, Anexo II, adapted: the pending notice to the sector's institutional address."""
    name = network.title or _("Rede de Proteção Social")
    subject = _("Pending devolutiva: {code} ({late} days overdue)").format(
        code=referral.code, late=late
    )
    body = _(
        "Dear team of {sector},\n\n"
        "We have identified that the devolutiva of your sector on encaminhamento {code} "
        "of the {network} is pending, and we ask you to send it so that the network can "
        "follow the case.\n\n"
        "Encaminhamento: {description}\nDeadline: {deadline}\n\n"
        "Send it in the network's group: /devolutiva {code} <text>.\n\n"
        "We remain available for clarifications.\n\n— redebot, assistant of the {network}"
    ).format(
        sector=owed.sector.name,
        code=referral.code,
        network=name,
        description=referral.description,
        deadline=_deadline_text(due_of(referral, owed)),
    )
    return MailOut(to=(owed.sector.email or "",), subject=subject, body=body)


async def _overdue_agenda(session: AsyncSession, network: Network, now: datetime) -> list[str]:
    """Issue 5: sectors late beyond the agenda step go on the next meeting's agenda."""
    overdue = await overdue_lines(session, network, now)
    return [_("📌 On the agenda — overdue devolutivas:"), *overdue] if overdue else []


async def overdue_lines(session: AsyncSession, network: Network, now: datetime) -> list[str]:
    """Sectors late beyond the agenda step: for the next meeting's agenda and the digest."""
    ladder = ladder_of(network)
    today = now.astimezone(ZoneInfo(network.timezone)).date()
    lines = []
    for referral in await repo.open_referrals(session=session, network_id=network.id):
        for owed in referral.owed:
            late = deadlines.days_overdue(due_of(referral, owed), today)
            if owed.answered_at is None and late >= ladder.agenda:
                lines.append(
                    _("• {code} — {sector}, {late} days overdue").format(
                        code=referral.code, sector=owed.sector.name, late=late
                    )
                )
    return lines


async def render_digest(ctx: ScheduledContext) -> Sequence[Reply]:
    await plan_digest(ctx.session, ctx.network, ctx.now)  # the next Monday's
    lines = await overdue_lines(ctx.session, ctx.network, ctx.now)
    if not lines:
        return []
    text = (
        _("📋 Weekly digest for the coordination — overdue devolutivas:") + "\n" + "\n".join(lines)
    )
    return await to_coordination(ctx.session, ctx.network, text)


def register(router: Router) -> None:
    router.command("encaminhar", N_("record an encaminhamento with a deadline"), EXAMPLE)(refer)
    router.command("devolutiva", N_("send your sector's devolutiva"), DEVOLUTIVA_EXAMPLE)(
        devolutiva
    )
    router.command(
        "concluir", N_("conclude an encaminhamento"), "/concluir E-2026-001", coordinator=True
    )(conclude)
    router.command(
        "reabrir", N_("reopen an encaminhamento"), "/reabrir E-2026-001", coordinator=True
    )(reopen)
    router.command("pendencias", N_("pending devolutivas, overdue first"), "/pendencias Saúde")(
        pending
    )
    router.command("prazo", N_("ask for more time on an encaminhamento"), EXTENSION_EXAMPLE)(
        ask_extension
    )
    router.button(ExtensionDecision)(extension_button)
    router.command(
        "cobranca",
        N_("when overdue devolutivas are chased"),
        "/cobranca lembrete 2 grupo 1 privado 3 email 5 pauta 7",
        coordinator=True,
    )(set_ladder)
    router.replies.append(reply_with_devolutiva)
    router.agenda(order=20)(_overdue_agenda)
    router.scheduled(CHASE, collapse=True)(render_chase)
    router.scheduled(CHASE_MAIL, quiet=False)(render_chase)
    router.scheduled(DIGEST)(render_digest)


async def set_ladder(ctx: Context) -> list[Reply]:
    """``/cobranca lembrete 2 grupo 1 privado 3 email 5 pauta 7``: the chase ladder's days."""
    text = ctx.msg.args.strip()
    ladder = ladder_of(ctx.network)
    if text:
        ladder = deadlines.parse_ladder(text, base=ladder)
        ctx.network.ladder = {
            "remind_before": ladder.remind_before,
            "group": ladder.group,
            "private": ladder.private,
            "email": ladder.email,
            "agenda": ladder.agenda,
        }
        for referral in await repo.open_referrals(session=ctx.session, network_id=ctx.network.id):
            for owed in referral.owed:
                await plan_chase(ctx.session, ctx.network, referral, owed, ctx.now)
    return [
        Reply(
            text=_(
                "Chasing of devolutivas: reminder {remind} days before the deadline; overdue: "
                "group on day {group}, private on day {private}, e-mail on day {email}, "
                "meeting agenda and weekly digest from day {agenda}."
            ).format(
                remind=ladder.remind_before,
                group=ladder.group,
                private=ladder.private,
                email=ladder.email,
                agenda=ladder.agenda,
            )
        )
    ]
