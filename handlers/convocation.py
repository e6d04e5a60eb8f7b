"""Extraordinary meetings: convened with a justification, told to the group and by e-mail."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.buttons import ButtonData, Decision
from bot.errors import UserError, check_length
from bot.i18n import N_, ngettext
from bot.i18n import gettext as _
from bot.messages import Button, MailOut, OutFile, Reply
from bot.notify import to_coordination
from bot.router import Context, Router, ScheduledContext
from bot.rules import calendar as calendar_rules
from bot.rules import convocation as rules
from bot.rules import dates, privacy, trust
from bot.rules.kinds import failed
from bot.rules.names import kind_name, name_key
from bot.services import convocation as convocation_service
from bot.services.convocation import CANCEL, MAIL_KIND, MailTarget, Notified, Outcome, Preview
from handlers import conversation
from handlers.common import person, signature
from handlers.conversation import Option, Values
from handlers.meeting_messages import CONVOCATION, meeting_message
from storage.models import Meeting, Member, Network, Sector

EMAIL_EXAMPLE = rules.EMAIL_EXAMPLE


def _mail_on(ctx: Context) -> bool:
    return ctx.settings.smtp_host is not None


def _mail_note(ctx: Context, mailed: list[str]) -> str:
    """Where the convocation went besides the group."""
    if ctx.settings.smtp_host is None:
        return _("E-mail is not set up on this server: the convocation went only to the group.")
    if mailed:
        return _("📧 Convocation e-mailed to: {sectors}.").format(sectors=", ".join(mailed))
    return _("No sector has an e-mail address yet ({example}).").format(example=EMAIL_EXAMPLE)


@dataclass(frozen=True)
class ConvocationDecision(ButtonData, prefix="conv"):
    """Send or cancel a previewed convocation."""

    decision: Decision
    draft_id: int


def _decision_buttons(draft_id: int) -> tuple[tuple[Button, ...], ...]:
    send = ConvocationDecision(Decision.OK, draft_id).encode()
    cancel = ConvocationDecision(Decision.NO, draft_id).encode()
    return ((Button(_("📣 Send"), send), Button(_("✖ Cancel"), cancel)),)


async def convene(ctx: Context) -> list[Reply]:
    """Check the convocation and show it to its author: nothing goes to the group (and no
    meeting is saved) until Enviar is pressed. Without its parts (or with some of them), it
    asks them one at a time."""
    given = [part.strip() for part in ctx.msg.args.split("|")] if ctx.msg.args.strip() else []
    urgent_given = bool(given) and name_key(given[-1]) in URGENT_WORDS
    if urgent_given:
        given = given[:-1]
    if len(given) < 4 or (len(given) == 4 and not all(given)):
        trust.speaks_for(
            ctx.member,
            example="/setor Conselho Tutelar",
            missing=N_("Tell me your sector first, so the network knows who is convening."),
        )
        return await conversation.start(
            ctx, CONVENE_FLOW, [*given, *([""] * (4 - len(given)))] + (["urgente"] * urgent_given)
        )
    parts, urgent_asked = rules.parse_parts(ctx.msg.args)
    asked = rules.check_convocation(
        parts,
        urgent_asked,
        member=ctx.member,
        is_coordinator=ctx.is_coordinator,
        now=ctx.now,
        tz=ctx.network.timezone,
    )
    preview = await convocation_service.preview(
        ctx.session, ctx.network, ctx.member, ctx.now, asked, mail=_mail_on(ctx)
    )
    return [await _preview_reply(ctx, preview)]


def _busy_line(busy: rules.Busy, tz: str) -> str:
    what = busy.topic if busy.kind == "working_group" and busy.topic else kind_name(busy.kind)
    return _("{what} — {when}, {place}").format(
        what=what, when=dates.format_when(busy.starts_at, tz), place=busy.place
    )


def _caveat_lines(caveats: rules.Caveats, starts_at: datetime, tz: str) -> list[str]:
    weekday = dates.weekday_name(starts_at.astimezone(ZoneInfo(tz)).date())
    lines = []
    for busy in caveats.clashes:
        if busy.kind == "extraordinary":
            text = _(
                "⚠️ An extraordinary meeting is already convened at an overlapping time: {line}. "
                "If it is the same one, do not send: everyone would be mentioned again."
            )
        else:
            text = _("⚠️ At an overlapping time the network already has: {line}.")
        lines.append(text.format(line=_busy_line(busy, tz)))
    for busy in caveats.cancelled:
        lines.append(
            _("⚠️ On that day the {kind} was cancelled ({reason}).").format(
                kind=kind_name(busy.kind), reason=busy.cancel_reason or "—"
            )
        )
    if caveats.holiday:
        lines.append(_("⚠️ That day is a holiday: {name}.").format(name=caveats.holiday))
    if caveats.weekend:
        lines.append(_("⚠️ That day is a weekend ({weekday}).").format(weekday=weekday))
    if caveats.odd_hour:
        lines.append(_("⚠️ That hour is outside the working day: is the time right?"))
    return lines


def _people_line(people: Sequence[Member]) -> str:
    if not people:
        return _("Nobody else in the group has told their sector yet: nobody will be mentioned.")
    by_sector: dict[str, list[str]] = {}
    for member in people:
        sector = member.sector.name if member.sector else "—"
        by_sector.setdefault(sector, []).append(member.name)
    listed = "; ".join(
        f"{sector}: {', '.join(names)}"
        for sector, names in sorted(by_sector.items(), key=lambda item: item[0].casefold())
    )
    return ngettext(
        "It will mention {n} person in the group — {people}.",
        "It will mention {n} people in the group — {people}.",
        len(people),
    ).format(n=len(people), people=listed)


def _preview_text(ctx: Context, preview: Preview, message: str) -> str:
    tz = ctx.network.timezone
    lines = [_("📝 Preview — nothing was sent to the group yet. It will receive this:"), ""]
    lines += [message, "", _people_line(preview.people)]
    if preview.silent:
        lines.append(
            _("Sectors with nobody in the group (not mentioned): {sectors}.").format(
                sectors=", ".join(preview.silent)
            )
        )
    warnings = _caveat_lines(preview.caveats, preview.meeting.starts_at, tz)
    if warnings:
        lines += ["", *warnings]
    expires = dates.format_time(preview.expires_at.astimezone(ctx.tz).time())
    lines += [
        "",
        _(
            "Check it and press Send to convene the network; only you or the coordination "
            "can. This preview is valid until {time}."
        ).format(time=expires),
    ]
    return "\n".join(lines)


async def _preview_reply(ctx: Context, preview: Preview) -> Reply:
    message = await meeting_message(ctx, preview.meeting, CONVOCATION)
    text = f"{message.text}\n\n{_mail_note(ctx, preview.mailed)}"
    return Reply(
        text=_preview_text(ctx, preview, text), buttons=_decision_buttons(preview.draft_id)
    )


async def convocation_button(ctx: Context, press: ConvocationDecision) -> list[Reply]:
    """Enviar: the convocation goes to the group, mentioning everyone; Cancelar: nothing."""
    decided = await convocation_service.decide(
        ctx.session,
        ctx.network,
        ctx.member,
        ctx.now,
        press.draft_id,
        send=press.decision is Decision.OK,
        coordinator=ctx.is_coordinator,
        mail=_mail_on(ctx),
    )
    if decided.outcome is Outcome.SENT and decided.notified is not None:
        sent = _("✅ Convocation sent to the group.")
        return [
            Reply(text=sent, edit=True, notice=sent),
            await _convocation_reply(ctx, decided.notified),
        ]
    if decided.outcome is Outcome.CHANGED and decided.preview is not None:
        fresh = await _preview_reply(ctx, decided.preview)
        changed = _(
            "Not sent: another meeting was set at that time since the preview. Check again:"
        )
        return [Reply(text=f"{changed}\n\n{fresh.text}", buttons=fresh.buttons, edit=True)]
    if decided.outcome is Outcome.REFUSED and decided.error is not None:
        text = _("Not sent: {reason}").format(reason=decided.error.render())
    elif decided.outcome is Outcome.EXPIRED:
        text = _("⌛ This preview expired before being sent: nothing went to the group.")
        text += " " + _("To convene, send /convocar again.")
    else:
        text = _("Convocation cancelled: nothing went to the group.")
    return [Reply(text=text, edit=True)]


async def _convocation_reply(ctx: Context, done: Notified) -> Reply:
    message = await meeting_message(ctx, done.meeting, CONVOCATION)
    return Reply(
        text=f"{message.text}\n\n{_mail_note(ctx, done.mailed)}",
        buttons=message.buttons,
        mentions=tuple(person(m) for m in done.people),
    )


async def announce_cancellation(ctx: Context, meeting: Meeting, reply: Reply) -> Reply:
    """Everyone convened to an extraordinary meeting hears of its cancellation."""
    notice = await convocation_service.cancellation_notice(
        ctx.session, ctx.network, meeting, ctx.now, mail=_mail_on(ctx)
    )
    if notice is None:
        return reply
    text = reply.text
    if notice.mailed:
        text += "\n" + _("📧 The cancellation was e-mailed to: {sectors}.").format(
            sectors=", ".join(notice.mailed)
        )
    return Reply(text=text, mentions=tuple(person(m) for m in notice.people))


async def announce_restoration(ctx: Context, meeting: Meeting, reply: Reply) -> Reply:
    """Everyone convened to an extraordinary meeting hears it is back on."""
    notice = await convocation_service.restoration_notice(
        ctx.session, ctx.network, meeting, ctx.now, mail=_mail_on(ctx)
    )
    if notice is None:
        return reply
    text = reply.text
    if notice.mailed:
        text += "\n" + _("📧 The convocation was e-mailed again to: {sectors}.").format(
            sectors=", ".join(notice.mailed)
        )
    return Reply(text=text, mentions=tuple(person(m) for m in notice.people))


def _email_list(sectors: Sequence[Sector]) -> str:
    lines = [_("Institutional e-mail of each sector:")]
    lines += [f"• {s.name}: {s.email or '—'}" for s in sectors]
    lines.append(_("To set one: {example}").format(example=EMAIL_EXAMPLE))
    return "\n".join(lines)


async def set_email(ctx: Context) -> list[Reply]:
    args = ctx.msg.args.split()
    if not args:
        sectors = await convocation_service.sectors(ctx.session, ctx.network)
        return [Reply(text=_email_list(sectors))]
    name, address = rules.parse_email(args)
    done = await convocation_service.set_email(
        ctx.session, ctx.network, ctx.member, ctx.now, name, address
    )
    if done.draft_id is not None:
        return [_personal_address_question(done.sector.name, address, done.draft_id)]
    text = _("Done: convocations for {sector} go to {email}.")
    return [Reply(text=text.format(sector=done.sector.name, email=done.address))]


@dataclass(frozen=True)
class EmailDecision(ButtonData, prefix="email"):
    """The coordination keeps a sector's address at a personal mail provider, or not."""

    decision: Decision
    draft_id: int


def _personal_address_question(sector: str, address: str, draft_id: int) -> Reply:
    text = _(
        "⚠️ {email} is at a personal mail provider: it is a person's box, not {sector}'s. "
        "Convocations carry the agenda and the justification of the network's cases, and "
        "would stay there when that person leaves. Prefer the sector's institutional address "
        "(@municipio.gov.br). Keep {email} as {sector}'s address anyway?"
    ).format(email=address, sector=sector)
    use = EmailDecision(Decision.OK, draft_id).encode()
    cancel = EmailDecision(Decision.NO, draft_id).encode()
    return Reply(
        text=text, buttons=((Button(_("✔ Use this address"), use), Button(_("✖ Cancel"), cancel)),)
    )


async def email_button(ctx: Context, press: EmailDecision) -> list[Reply]:
    done = await convocation_service.decide_email(
        ctx.session,
        ctx.network,
        press.draft_id,
        use=press.decision is Decision.OK,
        coordinator=ctx.is_coordinator,
    )
    if done is None:
        return [Reply(text=_("Cancelled: the sector's address was not changed."), edit=True)]
    text = _("Done: convocations for {sector} go to {email} (confirmed by {name}).")
    return [
        Reply(
            text=text.format(sector=done.sector.name, email=done.address, name=ctx.member.name),
            edit=True,
        )
    ]


def _network_name(network: Network) -> str:
    return network.title or _("Rede de Proteção Social")


def _cancel_mail(network: Network, meeting: Meeting, when: str) -> tuple[str, str]:
    subject = _("Cancelled: extraordinary meeting of {when}").format(when=when)
    body = _(
        "Dear all,\n\n"
        "We inform you that the extraordinary meeting of the {network} set for {when} "
        "(place: {place}) was cancelled.\n\n"
        "Reason: {reason}\n\n"
        "Regards,\n{signature}"
    ).format(
        signature=signature(network),
        network=_network_name(network),
        when=when,
        place=meeting.place,
        reason=meeting.cancel_reason or "",
    )
    return subject, body


def _convoke_subject(meeting: Meeting, when: str) -> str:
    subject = _("Convocation: extraordinary meeting — {when}").format(when=when)
    return _("URGENT") + " — " + subject if meeting.urgent else subject


def _convoke_body(network: Network, meeting: Meeting, when: str) -> str:
    return _(
        "Dear all,\n\n"
        "The {network} convenes an extraordinary meeting.\n\n"
        "When: {when}\nPlace: {place}\nAgenda: {agenda}\nJustificativa: {justification}\n\n"
        "We ask you to confirm your presence in the network's group. "
        "The invitation (.ics) is attached.\n\n"
        "Regards,\n{signature}"
    ).format(
        signature=signature(network),
        network=_network_name(network),
        when=when,
        place=meeting.place,
        agenda=meeting.topic,
        justification=meeting.justification or "",
    )


def _mail_texts(network: Network, meeting: Meeting, action: str) -> tuple[str, str]:
    when = dates.format_when(meeting.starts_at, network.timezone, with_year=True)
    if action == CANCEL:
        return _cancel_mail(network, meeting, when)
    return _convoke_subject(meeting, when), _convoke_body(network, meeting, when)


def _invitation(ctx: ScheduledContext, target: MailTarget) -> OutFile:
    """The meeting as an .ics invitation (REQUEST), or its withdrawal (CANCEL)."""
    meeting, cancelled = target.meeting, target.action == CANCEL
    event = calendar_rules.meeting_event(
        uid=f"meeting-{meeting.id}-{ctx.network.id}@redebot",
        kind=meeting.kind,
        start=meeting.starts_at,
        minutes=meeting.duration_minutes,
        place=meeting.place,
        topic=meeting.topic,
        cancelled=cancelled,
        sequence=meeting.sequence,
    )
    method = "CANCEL" if cancelled else "REQUEST"
    name, tz = ctx.network.title or "Rede", ctx.network.timezone
    ics = calendar_rules.build_ics(name, [event], tz=tz, stamp=ctx.now, method=method)
    return OutFile("convite.ics", ics, f"text/calendar; method={method}")


async def render_mail(ctx: ScheduledContext) -> Sequence[MailOut]:
    target = await convocation_service.mail_target(ctx.session, ctx.row)
    if target is None:
        return []
    subject, body = _mail_texts(ctx.network, target.meeting, target.action)
    to = (target.sector.email or "",)
    return [MailOut(to=to, subject=subject, body=body, attachments=(_invitation(ctx, target),))]


async def render_mail_failure(ctx: ScheduledContext) -> Sequence[Reply]:
    failure = await convocation_service.mail_failure(ctx.session, ctx.network, ctx.row)
    if failure is None:
        return []
    after = (
        _("I gave up: please tell the sector another way.") if ctx.final else _("I will try again.")
    )
    sector = failure.sector
    text = _(
        "⚠️ Coordination: the e-mail to {sector} ({email}) did not go through: {error}. {after}"
    ).format(sector=sector.name, email=sector.email, error=ctx.error or "?", after=after)
    return await to_coordination(ctx.session, ctx.network, text)


# --- step by step (issue 14) -------------------------------------------------------------

URGENT_WORDS = frozenset({"urgente", "urgencia"})


async def _check_when(ctx: Context, text: str, values: Values) -> str:
    starts_at = dates.parse_when(text, now=ctx.now, tz=ctx.network.timezone, allow_past=True)
    if starts_at <= ctx.now:
        raise UserError(N_("That date and time have already passed."), example=rules.EXAMPLE)
    return text


def _checker(most: int, field: str) -> conversation.Check:
    async def check(ctx: Context, text: str, values: Values) -> str:
        privacy.screen(text)
        check_length(text, most, field)
        return text

    return check


async def _check_justification(ctx: Context, text: str, values: Values) -> str:
    await _checker(rules.MAX_JUSTIFICATION, N_("the justification"))(ctx, text, values)
    rules.convocation_basis(
        sector_name=ctx.member.sector.name if ctx.member.sector else "—",
        is_coordinator=ctx.is_coordinator,
        justification=text,
    )
    return text


async def _check_urgent(ctx: Context, text: str, values: Values) -> str:
    key = name_key(text)
    if key in URGENT_WORDS or key in {"sim", "s"}:
        return "urgente"
    if key in {"nao", "n", ""}:
        return ""
    raise UserError(N_("Answer sim or não."))


async def _notice_is_enough(ctx: Context, values: Values) -> bool:
    """The urgency is asked only when the meeting is less than 24 hours ahead and the
    justification does not make it urgent already."""
    try:
        starts_at = dates.parse_when(
            values.get("when", ""), now=ctx.now, tz=ctx.network.timezone, allow_past=True
        )
        basis = rules.convocation_basis(
            sector_name=ctx.member.sector.name if ctx.member.sector else "—",
            is_coordinator=ctx.is_coordinator,
            justification=values.get("justification", ""),
        )
    except UserError:
        return True  # the one-line form's check says what is wrong
    return starts_at - ctx.now >= rules.MIN_NOTICE or rules.is_urgent(requested=False, basis=basis)


async def _urgent_options(ctx: Context, values: Values) -> list[Option]:
    return [Option(_("🚨 Yes, it is urgent"), "urgente"), Option(_("No"), "")]


def _convene_line(values: Values) -> str:
    line = conversation.joined("when", "place", "agenda", "justification")(values)
    return line + (" | urgente" if values.get("urgent") else "")


CONVENE_FLOW = conversation.Flow(
    name="convocar",
    title=N_("🚨 New extraordinary meeting."),
    example=rules.EXAMPLE,
    steps=(
        conversation.Step(
            key="when",
            field=N_("When"),
            question=N_("When will the meeting be? Write the day and the time."),
            example="amanhã 9h ou 15/03 14h",
            check=_check_when,
        ),
        conversation.Step(
            key="place",
            field=N_("Place"),
            question=N_("Where will it be?"),
            example="CRAS",
            check=_checker(255, N_("the place")),
            options=conversation.place_options,
        ),
        conversation.Step(
            key="agenda",
            field=N_("Agenda"),
            question=N_("What is the agenda? Name a case only by its code."),
            example="CASO-2025-014: plano de proteção",
            check=_checker(rules.MAX_AGENDA, N_("the agenda")),
        ),
        conversation.Step(
            key="justification",
            field=N_("Justificativa"),
            question=N_("Why must the network meet outside the calendar? (the justificativa)"),
            example="risco iminente à criança, precisamos decidir hoje",
            check=_check_justification,
        ),
        conversation.Step(
            key="urgent",
            field=N_("Urgency"),
            question=N_(
                "It is less than 24 hours away: is it urgent? Without urgency, an "
                "extraordinary meeting needs 24 hours' notice."
            ),
            example="sim",
            check=_check_urgent,
            options=_urgent_options,
            skip=_notice_is_enough,
            optional=True,
        ),
    ),
    line=_convene_line,
    run=convene,
    preview=False,
)


def register(router: Router) -> None:
    conversation.declare(CONVENE_FLOW)
    router.on_cancelled(announce_cancellation)
    router.on_restored(announce_restoration)
    router.command(
        "convocar",
        N_("convene an extraordinary meeting (with justificativa)"),
        rules.EXAMPLE,
    )(convene)
    router.button(ConvocationDecision)(convocation_button)
    router.command(
        "email", N_("institutional e-mail of a sector"), EMAIL_EXAMPLE, coordinator=True
    )(set_email)
    router.button(EmailDecision)(email_button)
    router.scheduled(MAIL_KIND, quiet=False)(render_mail)
    router.scheduled(failed(MAIL_KIND), quiet=False)(render_mail_failure)
