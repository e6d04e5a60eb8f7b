"""Encaminhamentos and devolutivas: deadlines, chasing overdue sectors, the weekly digest."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from bot.buttons import ButtonData
from bot.errors import UserError
from bot.i18n import N_, ngettext
from bot.i18n import gettext as _
from bot.messages import Button, MailOut, Reply
from bot.notify import to_coordination
from bot.router import Context, Router, ScheduledContext, Scope
from bot.rules import dates, deadlines
from bot.rules import referrals as rules
from bot.rules.kinds import Kind
from bot.rules.referrals import Audience, deadline_text
from bot.rules.sectors import find as find_sector
from bot.services import referrals as service
from bot.services.referrals import Chase, Overdue, Pending
from handlers import conversation
from handlers.common import person, signature, split_pipes
from handlers.conversation import Option, Values
from storage.models import Network, Question, Sector

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
    """``/encaminhar setores | prazo | descrição``; without them (or some), step by step."""
    parts = split_pipes(ctx.msg.args)
    if len(parts) < 3 or (len(parts) == 3 and not all(parts)):
        await service.may_refer(
            ctx.session, ctx.network, ctx.member, is_coordinator=ctx.is_coordinator, now=ctx.now
        )
        return await conversation.start(ctx, REFER_FLOW, parts)
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


@dataclass(frozen=True)
class DevolutivaPick(ButtonData, prefix="dvpick"):
    """A code under ``/devolutiva`` alone: the presser's next reply is its devolutiva."""

    referral_id: int


@dataclass(frozen=True)
class ConcludePress(ButtonData, prefix="dvdone"):
    """Every sector answered: the coordination concludes the encaminhamento."""

    referral_id: int


MAX_CODES = 10  # buttons under /devolutiva alone (WhatsApp polls hold up to 12 options)


async def devolutiva(ctx: Context) -> list[Reply]:
    """``/devolutiva E-2026-001 texto``; ``/devolutiva`` alone offers the codes the sender's
    sector owes, each a button."""
    code, _sep, text = ctx.msg.args.strip().partition(" ")
    if not code:
        return await _owed_choices(ctx)
    if not rules.is_code(code):
        raise UserError(
            N_("Start with the encaminhamento's code."), example=rules.DEVOLUTIVA_EXAMPLE
        )
    return await record_devolutiva(ctx, code, text.strip())


async def _owed_choices(ctx: Context) -> list[Reply]:
    owing = await service.owed_by_member(ctx.session, ctx.network, ctx.member)
    sector = ctx.member.sector.name if ctx.member.sector else "?"
    if not owing:
        text = _("{sector} owes no devolutiva right now. 🎉").format(sector=sector)
        return [Reply(text=text)]
    years = dates.spans_years((o.due for o in owing), ctx.now.astimezone(ctx.tz).date())
    lines = [_("Devolutivas {sector} owes:").format(sector=sector)]
    for item in owing:
        due = dates.format_date(item.due, with_year=years)
        lines.append(f"• {item.referral.code} ({due}): {_short(item.referral.description)}")
    lines.append(_("Tap the code to send its devolutiva."))
    if len(owing) > MAX_CODES:
        more = _("For the others, write /devolutiva with the code and the text.")
        lines.append(more)
    buttons = tuple(
        (Button(f"📝 {o.referral.code}", DevolutivaPick(o.referral.id).encode()),)
        for o in owing[:MAX_CODES]
    )
    return [Reply(text="\n".join(lines), buttons=buttons)]


async def pick_button(ctx: Context, press: DevolutivaPick) -> list[Reply]:
    """The code chosen: the bot asks for the text (the reply to this message is it)."""
    asked = await service.ask_devolutiva(
        ctx.session, ctx.network, ctx.member, now=ctx.now, referral_id=press.referral_id
    )
    text = _(
        "{person}, write the devolutiva of {sector} on {code} in reply to this message.\n"
        "{code}: {description}"
    ).format(
        person=ctx.member.name,
        sector=asked.owed.sector.name,
        code=asked.referral.code,
        description=_short(asked.referral.description),
    )
    return [Reply(text=text, mentions=(person(ctx.member),))]


async def devolutiva_answer(ctx: Context, question: Question) -> list[Reply]:
    """The reply after a code's button: that code's devolutiva."""
    text = " ".join(ctx.msg.text.split())
    if not text:
        return []
    recorded = await service.answer_devolutiva(
        ctx.session,
        ctx.network,
        ctx.member,
        question,
        now=ctx.now,
        text=text,
        replied_code=rules.code_in(ctx.msg.replied_text),
    )
    return [_recorded_reply(recorded)]


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
    return [_recorded_reply(recorded)]


def _recorded_reply(recorded: service.Recorded) -> Reply:
    """Thanks; once every sector answered, the coordination's button to conclude."""
    referral = recorded.referral
    lines = [
        _("✅ Devolutiva of {sector} on {code} recorded. Thank you!").format(
            sector=recorded.owed.sector.name, code=referral.code
        )
    ]
    if not recorded.all_answered:
        return Reply(text="\n".join(lines))
    lines.append(
        _("All sectors have answered. Coordination: /concluir {code}").format(code=referral.code)
    )
    label = _("☑️ Conclude {code}").format(code=referral.code)
    button = Button(label, ConcludePress(referral.id).encode())
    return Reply(text="\n".join(lines), buttons=((button,),))


async def conclude_button(ctx: Context, press: ConcludePress) -> list[Reply]:
    if not ctx.is_coordinator:
        raise UserError(N_("Only the network's coordination can use /{name}."), name="concluir")
    done = await service.conclude(
        ctx.session, ctx.network, now=ctx.now, referral_id=press.referral_id
    )
    return [Reply(text=_concluded_text(done))]


async def conclude(ctx: Context) -> list[Reply]:
    done = await service.conclude(ctx.session, ctx.network, now=ctx.now, code=ctx.msg.args.strip())
    return [Reply(text=_concluded_text(done))]


def _concluded_text(done: service.Concluded) -> str:
    text = _("☑️ Encaminhamento {code} concluded.").format(code=done.referral.code)
    if done.unanswered:
        missing = ", ".join(s.name for s in done.unanswered)
        text += " " + _("(without devolutiva from: {sectors})").format(sectors=missing)
    return text


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
    before = (
        _("on the deadline's day")
        if ladder.remind_before == 0
        else _("{days} before the deadline").format(
            days=dates.format_duration(timedelta(days=ladder.remind_before))
        )
    )
    # 0 turns a step off (bot.rules.deadlines.Ladder): said so, not "on day 0".
    steps = [
        _("group on day {n}").format(n=ladder.group) if ladder.group else _("no group message"),
        _("private on day {n}").format(n=ladder.private)
        if ladder.private
        else _("no private message"),
        _("e-mail on day {n}").format(n=ladder.email) if ladder.email else _("no e-mail"),
    ]
    text = _(
        "Chasing of devolutivas: reminder {before}; overdue: {steps}, "
        "meeting agenda and weekly digest from day {agenda}."
    ).format(before=before, steps=", ".join(steps), agenda=ladder.agenda)
    return [Reply(text=text)]


# --- step by step (issue 14) -------------------------------------------------------------


async def _check_sectors(ctx: Context, text: str, values: Values) -> str:
    sectors = await conversation.sectors(ctx)
    chosen: list[str] = []
    for name in rules.sector_names(text):
        found = _find_for_refer(sectors, name).name
        if found not in chosen:
            chosen.append(found)
    if not chosen:
        raise UserError(N_("Say which sectors owe the devolutiva."), example=rules.EXAMPLE)
    return ", ".join(chosen)


async def _check_deadline(ctx: Context, text: str, values: Values) -> str:
    deadlines.parse_deadline(
        text,
        today=ctx.now.astimezone(ctx.tz).date(),
        tz=ctx.network.timezone,
        state=ctx.network.state,
    )
    return text


async def _deadline_options(ctx: Context, values: Values) -> list[Option]:
    options = [
        Option(_("5 working days"), "5 dias úteis"),
        Option(_("10 working days"), "10 dias úteis"),
    ]
    ahead = await conversation.meeting_options(ctx, values)
    if ahead:
        day = ahead[0].value.split()[0]
        options.append(Option(_("By the next meeting ({day})").format(day=day), day))
    options.append(Option(_("30 days"), "30 dias"))
    return options


async def _check_description(ctx: Context, text: str, values: Values) -> str:
    rules.check_description(text)
    return text


REFER_FLOW = conversation.Flow(
    name="encaminhar",
    title=N_("📌 New encaminhamento."),
    example=rules.EXAMPLE,
    steps=(
        conversation.Step(
            key="sectors",
            field=N_("Sectors"),
            question=N_(
                "Which sectors owe the devolutiva? Choose one or more and press Done, or "
                "write their names separated by commas."
            ),
            example="Saúde, Conselho Tutelar",
            check=_check_sectors,
            options=conversation.sector_options,
            multi=True,
        ),
        conversation.Step(
            key="deadline",
            field=N_("Deadline"),
            question=N_("What is the deadline for the devolutivas?"),
            example="10 dias úteis ou 15/12",
            check=_check_deadline,
            options=_deadline_options,
        ),
        conversation.Step(
            key="description",
            field=N_("Description"),
            question=N_(
                "Describe the encaminhamento in a few words. Name the case only by its code, "
                "never by a person's name."
            ),
            example="CASO-2025-014: avaliação de saúde mental da criança",
            check=_check_description,
        ),
    ),
    line=conversation.joined("sectors", "deadline", "description"),
    run=refer,
)


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
    return ngettext(
        "⚠️ {code} is {late} day overdue: {sector} has not sent its devolutiva.\n{description}",
        "⚠️ {code} is {late} days overdue: {sector} has not sent its devolutiva.\n{description}",
        chase.late,
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
    subject = ngettext(
        "Pending devolutiva: {code} ({late} day overdue)",
        "Pending devolutiva: {code} ({late} days overdue)",
        chase.late,
    ).format(code=referral.code, late=chase.late)
    body = _(
        "Dear representatives of the sector {sector},\n\n"
        "We have identified that the devolutiva of your sector on encaminhamento {code} "
        "of the {network} is pending, and we ask you to send it so that the network can "
        "follow the case.\n\n"
        "Encaminhamento: {description}\nDeadline: {deadline}\n\n"
        "The devolutiva is sent in the network's group: /devolutiva {code} <text>.\n\n"
        "We remain available for clarifications.\n\n"
        "Regards,\n{signature}"
    ).format(
        signature=signature(network),
        sector=sector.name,
        code=referral.code,
        network=name,
        description=referral.description,
        deadline=deadline_text(chase.due),
    )
    return MailOut(to=(sector.email or "",), subject=subject, body=body)


def _overdue_lines(rows: Sequence[Overdue]) -> list[str]:
    return [
        ngettext(
            "• {code} — {sector}, {late} day overdue",
            "• {code} — {sector}, {late} days overdue",
            row.late,
        ).format(code=row.referral.code, sector=row.sector.name, late=row.late)
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
    conversation.declare(REFER_FLOW)
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
    router.button(DevolutivaPick)(pick_button)
    router.button(ConcludePress)(conclude_button)
    router.answer(service.DEVOLUTIVA_QUESTION)(devolutiva_answer)
    router.replies.append(reply_with_devolutiva)
    router.agenda(order=20)(overdue_agenda)
    router.scheduled(CHASE, collapse=True)(render_chase)
    router.scheduled(CHASE_MAIL, quiet=False)(render_chase)
    router.scheduled(DIGEST)(render_digest)
