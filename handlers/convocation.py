"""Extraordinary meetings: convened with a justification, told to the group and by e-mail."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import timedelta

from bot.errors import UserError
from bot.i18n import N_
from bot.i18n import gettext as _
from bot.messages import MailOut, OutFile, Reply
from bot.router import Context, Router, ScheduledContext
from bot.rules import calendar as calendar_rules
from bot.rules import convocation as rules
from bot.rules import dates, privacy
from bot.rules.kinds import Kind, failed
from bot.rules.names import kind_name
from bot.rules.status import MeetingStatus
from bot.scheduling import plan_meeting
from handlers.common import find_sector, person
from handlers.meeting_messages import CONVOCATION, meeting_message
from storage import repo
from storage.models import Meeting, Network, Sector

EMAIL_EXAMPLE = "/email CRAS cras@municipio.gov.br"
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
MAIL_KIND = Kind.CONVOCATION_MAIL


async def convene(ctx: Context) -> list[Reply]:
    parts, urgent_asked = rules.parse_parts(ctx.msg.args)
    when_text, place, agenda, justification = parts
    if ctx.member.sector is None:
        raise UserError(
            N_("Tell me your sector first, so the network knows who is convening."),
            example="/setor Conselho Tutelar",
        )
    for text in (place, agenda, justification):
        privacy.screen(text)
    basis = rules.convocation_basis(
        sector_name=ctx.member.sector.name,
        is_coordinator=ctx.is_coordinator,
        justification=justification,
    )
    urgent = rules.is_urgent(requested=urgent_asked, basis=basis)
    starts_at = dates.parse_when(when_text, now=ctx.now, tz=ctx.network.timezone, allow_past=True)
    rules.check_notice(starts_at=starts_at, now=ctx.now, urgent=urgent)
    meeting = Meeting(
        network_id=ctx.network.id,
        kind="extraordinary",
        starts_at=starts_at,
        duration_minutes=120,
        place=place,
        topic=agenda,
        status=MeetingStatus.SCHEDULED,
        sequence=0,
        justification=justification,
        basis=basis.value,
        urgent=urgent,
        convened_by_id=ctx.member.id,
        convened_by_sector_id=ctx.member.sector_id,
        created_at=ctx.now,
        updated_at=ctx.now,
    )
    await repo.add_meetings(session=ctx.session, meetings=[meeting])
    await plan_meeting(session=ctx.session, network=ctx.network, meeting=meeting, now=ctx.now)
    mailed = await schedule_mails(ctx, meeting, "convoke")
    message = await meeting_message(ctx.session, ctx.network, meeting, ctx.now, CONVOCATION)
    people = await repo.representatives(session=ctx.session, network_id=ctx.network.id)
    if ctx.settings.smtp_host is None:
        note = _("E-mail is not set up on this server: the convocation went only to the group.")
    elif mailed:
        note = _("📧 Convocation e-mailed to: {sectors}.").format(sectors=", ".join(mailed))
    else:
        note = _("No sector has an e-mail address yet ({example}).").format(example=EMAIL_EXAMPLE)
    return [
        Reply(
            text=f"{message.text}\n\n{note}",
            buttons=message.buttons,
            mentions=tuple(person(m) for m in people if m.id != ctx.member.id),
        )
    ]


async def schedule_mails(ctx: Context, meeting: Meeting, action: str) -> list[str]:
    """One e-mail row per sector with an address; returns the sectors' names."""
    if ctx.settings.smtp_host is None:
        return []
    sectors = [
        s for s in await repo.sectors(session=ctx.session, network_id=ctx.network.id) if s.email
    ]
    for sector in sectors:
        await repo.schedule(
            session=ctx.session,
            network_id=ctx.network.id,
            key=f"mail:{meeting.id}:{action}:{sector.id}",
            kind=MAIL_KIND,
            due_at=ctx.now,
            meeting_id=meeting.id,
            payload={"sector_id": sector.id, "action": action},
        )
    return [s.name for s in sectors]


async def announce_cancellation(ctx: Context, meeting: Meeting, reply: Reply) -> Reply:
    """Everyone convened to an extraordinary meeting hears of its cancellation."""
    if meeting.kind != "extraordinary":
        return reply
    mailed = await schedule_mails(ctx, meeting, "cancel")
    people = await repo.representatives(session=ctx.session, network_id=ctx.network.id)
    text = reply.text
    if mailed:
        text += "\n" + _("📧 The cancellation was e-mailed to: {sectors}.").format(
            sectors=", ".join(mailed)
        )
    return Reply(text=text, mentions=tuple(person(m) for m in people))


async def set_email(ctx: Context) -> list[Reply]:
    args = ctx.msg.args.split()
    sectors = await repo.sectors(session=ctx.session, network_id=ctx.network.id)
    if not args:
        lines = [_("Institutional e-mail of each sector:")]
        lines += [f"• {s.name}: {s.email or '—'}" for s in sectors]
        lines.append(_("To set one: {example}").format(example=EMAIL_EXAMPLE))
        return [Reply(text="\n".join(lines))]
    address = args[-1]
    if len(args) < 2 or not EMAIL_RE.match(address):
        raise UserError(
            N_("Write the sector and its institutional e-mail address."), example=EMAIL_EXAMPLE
        )
    sector = find_sector(sectors, " ".join(args[:-1]), EMAIL_EXAMPLE)
    sector.email = address.lower()
    return [
        Reply(
            text=_("Done: convocations for {sector} go to {email}.").format(
                sector=sector.name, email=sector.email
            )
        )
    ]


def _mail_texts(network: Network, meeting: Meeting, action: str) -> tuple[str, str]:
    when = dates.format_when(meeting.starts_at, network.timezone, with_year=True)
    name = network.title or _("Rede de Proteção Social")
    if action == "cancel":
        subject = _("Cancelled: extraordinary meeting of {when}").format(when=when)
        body = _(
            "The extraordinary meeting of the {network} of {when}, at {place}, was cancelled.\n"
            "Reason: {reason}\n\n— redebot, assistant of the {network}"
        ).format(network=name, when=when, place=meeting.place, reason=meeting.cancel_reason or "")
        return subject, body
    subject = _("Convocation: extraordinary meeting — {when}").format(when=when)
    if meeting.urgent:
        subject = _("URGENT") + " — " + subject
    body = _(
        "The {network} convenes an extraordinary meeting.\n\n"
        "When: {when}\nWhere: {place}\nAgenda: {agenda}\nJustificativa: {justification}\n\n"
        "Please confirm in the network's group. The invitation (.ics) is attached.\n\n"
        "— redebot, assistant of the {network}"
    ).format(
        network=name,
        when=when,
        place=meeting.place,
        agenda=meeting.topic,
        justification=meeting.justification or "",
    )
    return subject, body


async def render_mail(ctx: ScheduledContext) -> Sequence[MailOut]:
    action = str(ctx.row.payload.get("action", "convoke"))
    sector_id = int(ctx.row.payload.get("sector_id", 0))
    sector = await ctx.session.get(Sector, sector_id)
    meeting = (
        await repo.meeting(session=ctx.session, meeting_id=ctx.row.meeting_id)
        if ctx.row.meeting_id
        else None
    )
    if sector is None or not sector.email or meeting is None:
        return []
    if action == "convoke" and meeting.status != MeetingStatus.SCHEDULED:
        return []
    subject, body = _mail_texts(ctx.network, meeting, action)
    event = calendar_rules.IcsEvent(
        uid=f"meeting-{meeting.id}-{ctx.network.id}@redebot",
        start=meeting.starts_at,
        end=meeting.starts_at + timedelta(minutes=meeting.duration_minutes),
        summary=_("Rede de Proteção: {kind}").format(kind=kind_name(meeting.kind)),
        location=meeting.place,
        description=meeting.topic,
        cancelled=action == "cancel",
        sequence=meeting.sequence,
    )
    method = "CANCEL" if action == "cancel" else "REQUEST"
    ics = calendar_rules.build_ics(
        ctx.network.title or "Rede", [event], tz=ctx.network.timezone, stamp=ctx.now, method=method
    )
    return [
        MailOut(
            to=(sector.email,),
            subject=subject,
            body=body,
            attachments=(OutFile("convite.ics", ics, f"text/calendar; method={method}"),),
        )
    ]


async def render_mail_failure(ctx: ScheduledContext) -> Sequence[Reply]:
    sector = await ctx.session.get(Sector, int(ctx.row.payload.get("sector_id", 0)))
    if sector is None:
        return []
    coordinators = await repo.coordinators(session=ctx.session, network_id=ctx.network.id)
    after = (
        _("I gave up: please tell the sector another way.") if ctx.final else _("I will try again.")
    )
    return [
        Reply(
            text=_(
                "⚠️ Coordination: the e-mail to {sector} ({email}) did not go through: "
                "{error}. {after}"
            ).format(sector=sector.name, email=sector.email, error=ctx.error or "?", after=after),
            mentions=tuple(person(m) for m in coordinators),
        )
    ]


def register(router: Router) -> None:
    router.on_cancelled(announce_cancellation)
    router.command(
        "convocar",
        N_("convene an extraordinary meeting (with justificativa)"),
        rules.EXAMPLE,
    )(convene)
    router.command(
        "email", N_("institutional e-mail of a sector"), EMAIL_EXAMPLE, coordinator=True
    )(set_email)
    router.scheduled(MAIL_KIND, quiet=False)(render_mail)
    router.scheduled(failed(MAIL_KIND), quiet=False)(render_mail_failure)
