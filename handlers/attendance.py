"""Attendance: RSVP buttons with live counts, the reason for "não vou", the presence list."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy.ext.asyncio import AsyncSession

from bot import documents
from bot.buttons import ButtonData
from bot.errors import UserError
from bot.i18n import N_
from bot.i18n import gettext as _
from bot.messages import Button, OutFile, Reply
from bot.router import Context, Router, ScheduledContext
from bot.rules import attendance as rules
from bot.rules import dates, privacy
from bot.rules.kinds import Kind
from bot.rules.names import kind_name
from bot.rules.status import MeetingStatus, Presence, QuestionStatus
from handlers.common import (
    expected_sectors,
    meetings_on,
    mentioned_member,
    person,
)
from handlers.meeting_messages import RsvpPress, meeting_message
from storage import repo
from storage.models import Meeting, Member, Network, Question

REASON_QUESTION = "rsvp_reason"
MAX_REASON = 300
PRESENCE_EXAMPLE = "/presenca  ·  /presenca + @ana  ·  /presenca fechar  ·  /presenca lista"


@dataclass(frozen=True)
class PresencePress(ButtonData, prefix="pres"):
    """✋ under an open presence list."""

    meeting_id: int


async def _meeting_for_button(ctx: Context, meeting_id: int) -> Meeting:
    meeting = await repo.meeting(session=ctx.session, meeting_id=meeting_id)
    if meeting is None or meeting.network_id != ctx.network.id:
        raise UserError(N_("This choice is no longer valid."))
    if meeting.status == MeetingStatus.CANCELLED:
        raise UserError(N_("This meeting was cancelled."))
    return meeting


async def rsvp_button(ctx: Context, press: RsvpPress) -> list[Reply]:
    meeting = await _meeting_for_button(ctx, press.meeting_id)
    if meeting.starts_at + timedelta(minutes=meeting.duration_minutes) < ctx.now:
        raise UserError(N_("This meeting has already happened."))
    answer = press.answer.stored
    await repo.set_rsvp(
        session=ctx.session,
        meeting_id=meeting.id,
        member_id=ctx.member.id,
        answer=answer,
        now=ctx.now,
    )
    notices = {
        "yes": _("Noted: you are going."),
        "no": _("Noted: you are not going."),
        "maybe": _("Noted: maybe."),
    }
    notice = notices[answer]
    if ctx.member.sector_id is None:
        notice += " " + _("Tell the group your sector with /setor.")
    edited = await meeting_message(ctx.session, ctx.network, meeting, ctx.now, press.style)
    replies = [Reply(text=edited.text, buttons=edited.buttons, edit=True, notice=notice)]
    if answer == "no":
        replies.append(await _ask_reason(ctx, meeting))
    return replies


async def _ask_reason(ctx: Context, meeting: Meeting) -> Reply:
    await repo.ask(
        session=ctx.session,
        network_id=ctx.network.id,
        member_id=ctx.member.id,
        kind=REASON_QUESTION,
        meeting_id=meeting.id,
        now=ctx.now,
    )
    when = dates.format_when(meeting.starts_at, ctx.network.timezone)
    reachable = await repo.contact_ids(
        session=ctx.session, platform=ctx.network.platform, user_ids=[ctx.member.user_id]
    )
    if ctx.member.user_id in reachable:
        return Reply(
            text=_(
                "You won't come to the meeting of {when}. In a few words, why? Answer here."
            ).format(when=when),
            to_user=person(ctx.member),
        )
    return Reply(
        text=_(
            "{name}, in a few words, why can't you come on {when}? Reply to this message."
        ).format(name=ctx.member.name, when=when),
        mentions=(person(ctx.member),),
    )


async def reason_answer(ctx: Context, question: Question) -> list[Reply]:
    text = " ".join(ctx.msg.text.split())
    if not text:
        return []
    if len(text) > MAX_REASON:
        raise UserError(
            N_("Please keep it short: at most {n} letters."),
            example=_("mandatory training at the health department"),
            n=MAX_REASON,
        )
    privacy.screen(text)
    question.status = QuestionStatus.ANSWERED
    if question.meeting_id is None:
        return []
    rsvp = await repo.rsvp_of(
        session=ctx.session, meeting_id=question.meeting_id, member_id=ctx.member.id
    )
    if rsvp is None or rsvp.answer != "no":
        return []
    rsvp.reason = text
    return [Reply(text=_("Thank you, {name}. Reason noted.").format(name=ctx.member.name))]


# --- the presence list ---------------------------------------------------------------


async def _today_meeting(ctx: Context) -> Meeting:
    found = await meetings_on(ctx, ctx.now.astimezone(ctx.tz).date())
    if not found:
        raise UserError(
            N_("There is no meeting today. The presence list opens on the meeting's day."),
            example="/presenca",
        )
    return min(found, key=lambda m: abs((m.starts_at - ctx.now).total_seconds()))


async def presence_text(session: AsyncSession, network: Network, meeting: Meeting) -> str:
    rows = [r for r in await repo.attendance(session=session, meeting_id=meeting.id) if r.present]
    expected = await expected_sectors(session, network, meeting)
    present_ids = rules.sectors_present(r.sector_id for r in rows)
    by_sector: dict[str, list[str]] = {}
    for row in rows:
        sector = row.member.sector.name if row.member.sector else _("no sector")
        by_sector.setdefault(sector, []).append(row.member.name)
    header = _("📋 Presence list — {kind}, {when}").format(
        kind=kind_name(meeting.kind), when=dates.format_when(meeting.starts_at, network.timezone)
    )
    lines = [header]
    if meeting.presence == Presence.OPEN:
        lines.append(_("Tap Present when you arrive."))
    lines.append(
        _("Sectors present: {n} of {total}").format(
            n=len(present_ids & {s.id for s in expected}), total=len(expected)
        )
    )
    for sector, names in sorted(by_sector.items()):
        lines.append(f"• {sector}: {', '.join(names)}")
    missing = [s.name for s in expected if s.id not in present_ids]
    if missing:
        lines.append(_("Missing: {sectors}").format(sectors=", ".join(missing)))
    if meeting.presence == Presence.CLOSED:
        lines.append(_("List closed."))
    return "\n".join(lines)


def presence_buttons(meeting_id: int) -> tuple[tuple[Button, ...], ...]:
    return ((Button(_("✋ Present"), PresencePress(meeting_id).encode()),),)


async def presence(ctx: Context) -> list[Reply]:
    verb, _sep, rest = ctx.msg.args.strip().partition(" ")
    verb = verb.lower()
    if verb in {"", "abrir"}:
        return await _open_presence(ctx)
    if verb in {"+", "-"}:
        return await _mark_by_coordinator(ctx, verb == "+", rest.strip())
    if verb == "fechar":
        return await _close_presence(ctx)
    if verb == "lista":
        return await _presence_files(ctx)
    raise UserError(N_("I did not understand what to do with the presence list."))


async def _open_presence(ctx: Context) -> list[Reply]:
    meeting = await _today_meeting(ctx)
    if meeting.presence != Presence.CLOSED:
        meeting.presence = Presence.OPEN
    text = await presence_text(ctx.session, ctx.network, meeting)
    buttons = presence_buttons(meeting.id) if meeting.presence == Presence.OPEN else ()
    # Seed 000 §5: the secretary and the ata's author are named as the meeting opens.
    opened = await ctx.hooks.meeting_opened(ctx, meeting) if ctx.hooks else []
    return [Reply(text=text, buttons=buttons), *opened]


async def presence_button(ctx: Context, press: PresencePress) -> list[Reply]:
    meeting = await _meeting_for_button(ctx, press.meeting_id)
    if meeting.presence != Presence.OPEN:
        raise UserError(N_("The presence list is closed."))
    await repo.mark_presence(
        session=ctx.session,
        meeting_id=meeting.id,
        member=ctx.member,
        present=True,
        by="self",
        now=ctx.now,
    )
    notice = _("Presence noted. Welcome!")
    if ctx.member.sector_id is None:
        notice = _("Presence noted, but you have no sector: send /setor so your sector counts.")
    text = await presence_text(ctx.session, ctx.network, meeting)
    return [Reply(text=text, buttons=presence_buttons(meeting.id), edit=True, notice=notice)]


async def _target(ctx: Context, text: str) -> Member:
    if ctx.msg.mentioned:
        return await mentioned_member(ctx, "/presenca + @ana")
    if text:
        target = await repo.member_by_username(
            session=ctx.session, network_id=ctx.network.id, username=text.split()[0]
        )
        if target is None:
            raise UserError(
                N_("I don't know {user} yet: reply to one of their messages instead."),
                example="/presenca + @ana",
                user=text.split()[0],
            )
        return target
    if ctx.msg.reply_to is not None:
        return await repo.touch_member(
            session=ctx.session,
            network_id=ctx.network.id,
            user_id=ctx.msg.reply_to.user_id,
            name=ctx.msg.reply_to.name,
            username=ctx.msg.reply_to.username,
            now=ctx.now,
        )
    raise UserError(N_("Say who: @user, or reply to their message."), example="/presenca + @ana")


async def _mark_by_coordinator(ctx: Context, present: bool, who: str) -> list[Reply]:
    meeting = await _today_meeting(ctx)
    if meeting.presence is None:
        raise UserError(N_("Open the presence list first with /presenca."), example="/presenca")
    target = await _target(ctx, who)
    await repo.mark_presence(
        session=ctx.session,
        meeting_id=meeting.id,
        member=target,
        present=present,
        by="coordinator",
        now=ctx.now,
    )
    return [Reply(text=await presence_text(ctx.session, ctx.network, meeting))]


async def _close_presence(ctx: Context) -> list[Reply]:
    meeting = await _today_meeting(ctx)
    if meeting.presence is None:
        raise UserError(N_("Open the presence list first with /presenca."), example="/presenca")
    meeting.presence = Presence.CLOSED
    replies = [Reply(text=await presence_text(ctx.session, ctx.network, meeting))]
    streaks = await _absence_streaks(ctx, meeting)
    if streaks:
        coordinators = await repo.coordinators(session=ctx.session, network_id=ctx.network.id)
        replies.append(
            Reply(
                text=_(
                    "⚠️ Coordination: {sectors} missed the last {n} meetings in a row. "
                    "It may be worth a call."
                ).format(sectors=", ".join(streaks), n=rules.ABSENCE_STREAK),
                mentions=tuple(person(m) for m in coordinators),
            )
        )
    return replies


async def _absence_streaks(ctx: Context, meeting: Meeting) -> list[str]:
    closed = [
        m
        for m in await repo.meetings_with_presence(
            session=ctx.session, network_id=ctx.network.id, until=meeting.starts_at
        )
        if m.presence == Presence.CLOSED
    ]
    history: list[tuple[set[int], set[int]]] = []
    for past in reversed(closed):
        expected = {s.id for s in await expected_sectors(ctx.session, ctx.network, past)}
        rows = await repo.attendance(session=ctx.session, meeting_id=past.id)
        present = rules.sectors_present(r.sector_id for r in rows if r.present)
        history.append((expected, present))
    ids = rules.absence_streaks(history)
    sectors = await repo.sectors(session=ctx.session, network_id=ctx.network.id)
    return [s.name for s in sectors if s.id in ids]


async def _presence_files(ctx: Context) -> list[Reply]:
    found = await repo.meetings_with_presence(
        session=ctx.session, network_id=ctx.network.id, until=ctx.now + timedelta(days=1), limit=1
    )
    if not found:
        raise UserError(N_("No meeting has a presence list yet."), example="/presenca")
    data = await presence_data(ctx.session, ctx.network, found[0], ctx.now)
    return [
        Reply(
            text=_("Presence list of the {kind} of {when}.").format(
                kind=kind_name(found[0].kind),
                when=dates.format_when(found[0].starts_at, ctx.network.timezone),
            ),
            file=OutFile.later(
                documents.presence_filename(data, "pdf"),
                "application/pdf",
                partial(documents.presence_pdf, data),
            ),
        ),
        Reply(
            text="",
            file=OutFile.later(
                documents.presence_filename(data, "csv"),
                "text/csv",
                partial(documents.presence_csv, data),
            ),
        ),
    ]


async def presence_data(
    session: AsyncSession, network: Network, meeting: Meeting, now: datetime
) -> documents.PresenceList:
    expected = await expected_sectors(session, network, meeting)
    rows = await repo.attendance(session=session, meeting_id=meeting.id)
    answers = {a.member_id: a for a in await repo.rsvps(session=session, meeting_id=meeting.id)}
    present_members = {r.member_id for r in rows if r.present}
    people: dict[int, Member] = {r.member_id: r.member for r in rows}
    expected_ids = {s.id for s in expected}
    for member in await repo.representatives(
        session=session, network_id=network.id, sector_ids=expected_ids
    ):
        people.setdefault(member.id, member)
    attendees = sorted(
        (
            documents.Attendee(
                name=m.name,
                sector=m.sector.name if m.sector else "—",
                present=m.id in present_members,
                rsvp=answers[m.id].answer if m.id in answers else None,
                absence_reason=answers[m.id].reason if m.id in answers else None,
            )
            for m in people.values()
        ),
        key=lambda a: (a.sector, a.name),
    )
    present_ids = rules.sectors_present(r.sector_id for r in rows if r.present)
    convened_by = None
    if meeting.kind == "extraordinary" and meeting.convened_by_id is not None:
        convener = await session.get(Member, meeting.convened_by_id)
        convened_by = convener.name if convener is not None else None
    return documents.PresenceList(
        network_name=network.title or _("Rede de Proteção Social"),
        meeting_kind=kind_name(meeting.kind)[:1].upper() + kind_name(meeting.kind)[1:],
        starts_at=meeting.starts_at,
        timezone=network.timezone,
        place=meeting.place,
        topic=meeting.topic,
        justification=meeting.justification,
        convened_by=convened_by,
        sectors_present=[s.name for s in expected if s.id in present_ids],
        sectors_absent=[s.name for s in expected if s.id not in present_ids],
        attendees=attendees,
        generated_at=now,
    )


# --- automatic: quorum warning -----------------------------------------------------------


async def render_quorum_check(ctx: ScheduledContext) -> Sequence[Reply]:
    """Two days before: warn the coordination when confirmed sectors are below quorum."""
    if ctx.row.meeting_id is None:
        return []
    meeting = await repo.meeting(session=ctx.session, meeting_id=ctx.row.meeting_id)
    if meeting is None or meeting.status != MeetingStatus.SCHEDULED or meeting.starts_at <= ctx.now:
        return []
    expected = await expected_sectors(ctx.session, ctx.network, meeting)
    answers = await repo.rsvps(session=ctx.session, meeting_id=meeting.id)
    confirmed = {a.member.sector_id for a in answers if a.answer == "yes"}
    confirmed &= {s.id for s in expected}
    needed = rules.quorum_needed(len(expected), ctx.network.quorum)
    if not expected or len(confirmed) >= needed:
        return []
    missing = [s.name for s in expected if s.id not in confirmed]
    coordinators = await repo.coordinators(session=ctx.session, network_id=ctx.network.id)
    return [
        Reply(
            text=_(
                "⚠️ Coordination: only {n} of {total} sectors confirmed the {kind} of {when} "
                "(quorum: {needed}). Not confirmed yet: {missing}."
            ).format(
                n=len(confirmed),
                total=len(expected),
                kind=kind_name(meeting.kind),
                when=dates.format_when(meeting.starts_at, ctx.network.timezone),
                needed=needed,
                missing=", ".join(missing),
            ),
            mentions=tuple(person(m) for m in coordinators),
        )
    ]


async def set_quorum(ctx: Context) -> list[Reply]:
    text = ctx.msg.args.strip()
    if not text:
        current = str(ctx.network.quorum) if ctx.network.quorum else _("half of the sectors")
        return [Reply(text=_("Quorum: {q}. To change: /quorum 6").format(q=current))]
    if text.lower() in {"metade", "padrao", "padrão"}:
        ctx.network.quorum = None
        return [Reply(text=_("Quorum: half of the sectors."))]
    if not text.isdigit() or not 1 <= int(text) <= 100:
        raise UserError(N_("Give the number of sectors needed, like 6."), example="/quorum 6")
    ctx.network.quorum = int(text)
    return [Reply(text=_("Quorum: {q} sectors.").format(q=text))]


def register(router: Router) -> None:
    router.button(RsvpPress)(rsvp_button)
    router.button(PresencePress)(presence_button)
    router.answer(REASON_QUESTION)(reason_answer)
    router.command(
        "presenca",
        N_("presence list: open, mark, close, export"),
        PRESENCE_EXAMPLE,
        coordinator=True,
    )(presence)
    router.command("quorum", N_("sectors needed for quorum"), "/quorum 6", coordinator=True)(
        set_quorum
    )
    router.scheduled(Kind.QUORUM_CHECK)(render_quorum_check)
