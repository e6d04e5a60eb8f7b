"""Encaminhamentos and devolutivas: deadlines, chasing overdue sectors, the weekly digest."""

from __future__ import annotations

from collections.abc import Sequence

from bot.errors import UserError
from bot.i18n import N_, ngettext
from bot.i18n import gettext as _
from bot.messages import MailOut, Reply
from bot.notify import to_coordination
from bot.router import Context, Router, ScheduledContext, Scope
from bot.rules import dates, deadlines
from bot.rules import referrals as rules
from bot.rules.kinds import Kind
from bot.rules.referrals import Audience, deadline_text
from bot.rules.sectors import find as find_sector
from bot.services import referrals as service
from bot.services.referrals import Chase, Overdue, Pending
from handlers.common import person, split_pipes
from storage.models import Network, Sector

CHASE = Kind.REFERRAL_CHASE
# The e-mail step is its own kind: it goes to the sector's address, not to the chat, so a
# due e-mail never supersedes (issue 9 §7) the chat steps of the same referral and sector.
CHASE_MAIL = Kind.REFERRAL_CHASE_MAIL
DIGEST = Kind.REFERRAL_DIGEST


def _find_for_refer(sectors: Sequence[Sector], name: str) -> Sector:
    return find_sector(sectors, name, rules.EXAMPLE)


def _find_for_pending(sectors: Sequence[Sector], name: str) -> Sector:
    return find_sector(sectors, name, rules.PENDING_EXAMPLE)


def _short(text: str, size: int = 80) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"


# --- commands -----------------------------------------------------------------------------


async def refer(ctx: Context) -> list[Reply]:
    """``/encaminhar setores | prazo | descrição``."""
    parts = split_pipes(ctx.msg.args)
    if len(parts) != 3 or not all(parts):
        raise UserError(
            N_("Write the sectors, the deadline and the description, separated by |."),
            example=rules.EXAMPLE,
        )
    sectors, deadline, description = parts
    referred = await service.refer(
        ctx.session,
        ctx.network,
        ctx.member,
        is_coordinator=ctx.is_coordinator,
        now=ctx.now,
        sectors=sectors,
        deadline=deadline,
        description=description,
        find=_find_for_refer,
    )
    return [_referred_reply(referred)]


def _referred_reply(referred: service.Referred) -> Reply:
    referral = referred.referral
    return Reply(
        text=_(
            "📌 Encaminhamento {code}: {description}\n"
            "Sectors: {sectors}\nDeadline: {deadline}\n"
            "Each sector sends its devolutiva with /devolutiva {code} <text>."
        ).format(
            code=referral.code,
            description=referral.description,
            sectors=", ".join(s.name for s in referred.sectors),
            deadline=deadline_text(referral.deadline),
        ),
        mentions=tuple(person(m) for m in referred.representatives),
    )


async def devolutiva(ctx: Context) -> list[Reply]:
    code, _sep, text = ctx.msg.args.strip().partition(" ")
    if not rules.is_code(code):
        raise UserError(
            N_("Start with the encaminhamento's code."), example=rules.DEVOLUTIVA_EXAMPLE
        )
    return await record_devolutiva(ctx, code, text.strip())


async def reply_with_devolutiva(ctx: Context) -> list[Reply] | None:
    """A reply to the bot's message about an encaminhamento is that sector's devolutiva."""
    code = rules.code_in(ctx.msg.replied_text)
    if code is None or ctx.member.sector_id is None:
        return None
    return await record_devolutiva(ctx, code, " ".join(ctx.msg.text.split()))


async def record_devolutiva(ctx: Context, code: str, text: str) -> list[Reply]:
    recorded = await service.record_devolutiva(
        ctx.session, ctx.network, ctx.member, now=ctx.now, code=code, text=text
    )
    referral = recorded.referral
    lines = [
        _("✅ Devolutiva of {sector} on {code} recorded. Thank you!").format(
            sector=recorded.owed.sector.name, code=referral.code
        )
    ]
    if recorded.all_answered:
        lines.append(
            _("All sectors have answered. Coordination: /concluir {code}").format(
                code=referral.code
            )
        )
    return [Reply(text="\n".join(lines))]


async def conclude(ctx: Context) -> list[Reply]:
    done = await service.conclude(ctx.session, ctx.network, now=ctx.now, code=ctx.msg.args.strip())
    text = _("☑️ Encaminhamento {code} concluded.").format(code=done.referral.code)
    if done.unanswered:
        missing = ", ".join(s.name for s in done.unanswered)
        text += " " + _("(without devolutiva from: {sectors})").format(sectors=missing)
    return [Reply(text=text)]


async def delete(ctx: Context) -> list[Reply]:
    """``/excluir E-2026-001 | motivo``: registered by mistake; the group is told."""
    code, reason = rules.parse_delete(split_pipes(ctx.msg.args))
    referral = await service.delete(
        ctx.session, ctx.network, ctx.member, now=ctx.now, code=code, reason=reason
    )
    text = _(
        "🗑 Encaminhamento {code} deleted by {who} (coordination): {reason}\n"
        "No sector owes a devolutiva on it any more; it stays in the history, counted in no "
        "figure."
    ).format(code=referral.code, who=ctx.member.name, reason=reason)
    return [Reply(text=text)]


async def reopen(ctx: Context) -> list[Reply]:
    referral = await service.reopen(
        ctx.session, ctx.network, now=ctx.now, code=ctx.msg.args.strip()
    )
    return [Reply(text=_("Encaminhamento {code} reopened.").format(code=referral.code))]


async def pending(ctx: Context) -> list[Reply]:
    rows = await service.pending(
        ctx.session, ctx.network, now=ctx.now, sector=ctx.msg.args.strip(), find=_find_for_pending
    )
    if not rows:
        return [Reply(text=_("No pending devolutivas. 🎉"))]
    years = dates.spans_years((r.due for r in rows), ctx.now.astimezone(ctx.tz).date())
    lines = [_("Pending devolutivas (overdue first):")]
    lines += [_pending_line(row, with_year=years) for row in rows]
    return [Reply(text="\n".join(lines))]


def _pending_line(row: Pending, *, with_year: bool) -> str:
    when = (
        ngettext("{n} day overdue", "{n} days overdue", row.late).format(n=row.late)
        if row.late
        else _("due {day}").format(day=dates.format_date(row.due, with_year=with_year))
    )
    referral = row.referral
    return f"• {row.sector.name} — {referral.code} ({when}): {_short(referral.description)}"


async def set_ladder(ctx: Context) -> list[Reply]:
    """``/cobranca lembrete 2 grupo 1 privado 3 email 5 pauta 7``: the chase ladder's days."""
    ladder = await service.set_ladder(
        ctx.session, ctx.network, now=ctx.now, text=ctx.msg.args.strip()
    )
    text = _(
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
    return [Reply(text=text)]


# --- automatic ----------------------------------------------------------------------------


async def render_chase(ctx: ScheduledContext) -> Sequence[Reply | MailOut]:
    payload = ctx.row.payload
    chase = await service.chase(
        ctx.session,
        ctx.network,
        now=ctx.now,
        referral_id=int(payload["referral_id"]),
        sector_id=int(payload["sector_id"]),
        step=deadlines.Step(str(payload["step"])),
    )
    if chase is None:
        return []
    if chase.audience is Audience.COORDINATION:
        return await to_coordination(ctx.session, ctx.network, _nobody_to_chase(chase))
    if chase.audience is Audience.EMAIL:
        return [_overdue_mail(ctx.network, chase)]
    chases = await service.sector_round(
        ctx.session, ctx.network, chase, row_id=ctx.row.id, now=ctx.now
    )
    return _chase_messages(chases)


def _chase_messages(chases: Sequence[Chase]) -> list[Reply | MailOut]:
    """The round's message of one sector, to whom seed 002's ladder says (see
    ``rules.chase_audience``): one encaminhamento as before, several listed in one."""
    chase = chases[0]
    if len(chases) == 1:
        text = f"{_chase_text(chase)}\n{_how_to_answer(chase)}"
    else:
        head = ngettext(
            "📋 {sector}: {n} devolutiva to send.",
            "📋 {sector}: {n} devolutivas to send.",
            len(chases),
        ).format(sector=chase.owed.sector.name, n=len(chases))
        lines = [head, *(_chase_text(c) for c in chases)]
        lines.append(
            _(
                "Reply with /devolutiva <code> <text> for each (e.g. /devolutiva {code} ...)."
            ).format(code=chase.referral.code)
        )
        text = "\n".join(lines)
    if chase.audience is Audience.PRIVATE:
        return [Reply(text=text, to_user=person(m)) for m in chase.people]
    if chase.audience is Audience.GROUP:
        return [Reply(text=text, mentions=tuple(person(m) for m in chase.people))]
    return []


def _how_to_answer(chase: Chase) -> str:
    return _(
        "Reply to this message with the devolutiva, or send /devolutiva {code} <text>."
    ).format(code=chase.referral.code)


def _chase_text(chase: Chase) -> str:
    """The reminder before the deadline, or the overdue notice after it."""
    if chase.step is deadlines.Step.REMINDER:
        return _("⏳ {code} is due on {day} ({sector}): {description}").format(
            code=chase.referral.code,
            day=deadline_text(chase.due),
            sector=chase.owed.sector.name,
            description=_short(chase.referral.description),
        )
    return _(
        "⚠️ {code} is {late} days overdue: {sector} has not sent its devolutiva.\n{description}"
    ).format(
        code=chase.referral.code,
        late=chase.late,
        sector=chase.owed.sector.name,
        description=_short(chase.referral.description),
    )


def _nobody_to_chase(chase: Chase) -> str:
    """A sector with nobody in the group: the coordination hears it once, not the group."""
    return _(
        "⚠️ {code} ({day}) awaits the devolutiva of {sector}, which has no representative "
        "in the group: nobody there can be reminded. Ask the sector to join the group and "
        "send /setor, or conclude it with /concluir {code} once it is settled."
    ).format(code=chase.referral.code, day=deadline_text(chase.due), sector=chase.owed.sector.name)


def _overdue_mail(network: Network, chase: Chase) -> MailOut:
    """Seed 001, Anexo II, adapted: the pending notice to the sector's institutional address."""
    name = network.title or _("Rede de Proteção Social")
    referral, sector = chase.referral, chase.owed.sector
    subject = _("Pending devolutiva: {code} ({late} days overdue)").format(
        code=referral.code, late=chase.late
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
        sector=sector.name,
        code=referral.code,
        network=name,
        description=referral.description,
        deadline=deadline_text(chase.due),
    )
    return MailOut(to=(sector.email or "",), subject=subject, body=body)


def _overdue_lines(rows: Sequence[Overdue]) -> list[str]:
    return [
        _("• {code} — {sector}, {late} days overdue").format(
            code=row.referral.code, sector=row.sector.name, late=row.late
        )
        for row in rows
    ]


async def overdue_agenda(scope: Scope) -> list[str]:
    """Issue 5: sectors late beyond the agenda step go on the next meeting's agenda."""
    lines = _overdue_lines(await service.overdue(scope.session, scope.network, scope.now))
    return [_("📌 On the agenda — overdue devolutivas:"), *lines] if lines else []


async def render_digest(ctx: ScheduledContext) -> Sequence[Reply]:
    lines = _overdue_lines(await service.weekly_digest(ctx.session, ctx.network, ctx.now))
    if not lines:
        return []
    text = (
        _("📋 Weekly digest for the coordination — overdue devolutivas:") + "\n" + "\n".join(lines)
    )
    return await to_coordination(ctx.session, ctx.network, text)


def register(router: Router) -> None:
    router.command("encaminhar", N_("record an encaminhamento with a deadline"), rules.EXAMPLE)(
        refer
    )
    router.command("devolutiva", N_("send your sector's devolutiva"), rules.DEVOLUTIVA_EXAMPLE)(
        devolutiva
    )
    router.command(
        "concluir", N_("conclude an encaminhamento"), rules.CONCLUDE_EXAMPLE, coordinator=True
    )(conclude)
    router.command(
        "reabrir", N_("reopen an encaminhamento"), rules.REOPEN_EXAMPLE, coordinator=True
    )(reopen)
    router.command(
        "excluir",
        N_("delete an encaminhamento registered by mistake"),
        rules.DELETE_EXAMPLE,
        coordinator=True,
    )(delete)
    router.command("pendencias", N_("pending devolutivas, overdue first"), rules.PENDING_EXAMPLE)(
        pending
    )
    router.command(
        "cobranca",
        N_("when overdue devolutivas are chased"),
        rules.LADDER_EXAMPLE,
        coordinator=True,
    )(set_ladder)
    router.replies.append(reply_with_devolutiva)
    router.agenda(order=20)(overdue_agenda)
    router.scheduled(CHASE, collapse=True)(render_chase)
    router.scheduled(CHASE_MAIL, quiet=False)(render_chase)
    router.scheduled(DIGEST)(render_digest)
