"""Attendance: RSVP buttons with live counts, the reason for "não vou", the presence list."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from functools import partial

from bot import documents
from bot.buttons import ButtonData
from bot.i18n import N_, ngettext
from bot.i18n import gettext as _
from bot.messages import Button, OutFile, Reply
from bot.notify import to_coordination
from bot.router import Context, Router, ScheduledContext
from bot.rules import attendance as rules
from bot.rules import dates, privacy
from bot.rules.kinds import Kind
from bot.rules.names import kind_name
from bot.rules.status import Presence
from bot.services import attendance as service
from handlers.common import person
from handlers.meeting_messages import RsvpPress, meeting_message
from storage.models import Meeting, Member, Question


@dataclass(frozen=True)
class PresencePress(ButtonData, prefix="pres"):
    """✋ under an open presence list."""

    meeting_id: int


# --- RSVP and the reason for "não vou" -----------------------------------------------


async def rsvp_button(ctx: Context, press: RsvpPress) -> list[Reply]:
    answer = press.answer.stored
    done = await service.answer_rsvp(
        ctx.session, ctx.network, ctx.member, ctx.now, meeting_id=press.meeting_id, answer=answer
    )
    edited = await meeting_message(ctx, done.meeting, press.style)
    notice = _rsvp_notice(ctx.member, answer)
    replies = [Reply(text=edited.text, buttons=edited.buttons, edit=True, notice=notice)]
    if done.reason_in_private is not None:
        asked = _ask_reason(ctx, done.meeting, done.reason_in_private)
        if done.question is not None:
            service.note_asked(done.question, asked.text)
        replies.append(asked)
    return replies


def _rsvp_notice(member: Member, answer: str) -> str:
    notices = {
        "yes": _("Noted: you are going."),
        "no": _("Noted: you are not going."),
        "maybe": _("Noted: maybe."),
    }
    notice = notices[answer]
    if member.sector_id is None:
        notice += " " + _("Tell the group your sector with /setor.")
    elif member.pending:
        notice += " " + _("It counts for your sector once the coordination confirms you.")
    return notice


def _ask_reason(ctx: Context, meeting: Meeting, in_private: bool) -> Reply:
    when = dates.format_when(meeting.starts_at, ctx.network.timezone, now=ctx.now)
    if in_private:
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


async def reason_answer(ctx: Context, question: Question) -> list[Reply] | None:
    """The reply to "why not?" — or to the meeting's own card, which people quote too; None
    for a reply quoting another of the bot's messages (an encaminhamento's: its handler
    claims it) or once the person is going after all."""
    replied = ctx.msg.replied_text
    if rules.quotes_another(replied, service.asked(question)) and not (
        await service.quotes_its_meeting(ctx.session, ctx.network, question, replied)
    ):
        return None
    reason = rules.absence_reason(ctx.msg.text)
    if not reason:
        return []
    privacy.screen(reason)
    if not await service.save_reason(ctx.session, ctx.member, question, reason):
        return None
    return [Reply(text=_("Thank you, {name}. Reason noted.").format(name=ctx.member.name))]


# --- the presence list ---------------------------------------------------------------


def presence_text(view: service.PresenceView, timezone: str) -> str:
    meeting = view.meeting
    lines = [_presence_header(meeting, timezone)]
    if meeting.presence == Presence.OPEN:
        lines.append(_("Tap Present when you arrive."))
    lines.append(
        _("Sectors present: {n} of {total}").format(
            n=view.sectors.counted, total=view.sectors.expected
        )
    )
    lines += _attendee_lines(view)
    if view.sectors.missing:
        lines.append(_("Missing: {sectors}").format(sectors=", ".join(view.sectors.missing)))
    if meeting.presence == Presence.CLOSED:
        lines.append(_("List closed."))
    return "\n".join(lines)


def _presence_header(meeting: Meeting, timezone: str) -> str:
    return _("📋 Presence list — {kind}, {when}").format(
        kind=kind_name(meeting.kind), when=dates.format_when(meeting.starts_at, timezone)
    )


def _attendee_lines(view: service.PresenceView) -> list[str]:
    named = (
        (sector or _("no sector"), name or _("marked by the coordination"))
        for sector, name in view.attendees
    )
    return [f"• {sector}: {', '.join(names)}" for sector, names in rules.by_sector(named)]


def presence_buttons(meeting_id: int) -> tuple[tuple[Button, ...], ...]:
    return ((Button(_("✋ Present"), PresencePress(meeting_id).encode()),),)


def _presence_reply(ctx: Context, view: service.PresenceView) -> Reply:
    return Reply(text=presence_text(view, ctx.network.timezone))


async def presence(ctx: Context) -> list[Reply]:
    command = rules.parse_presence(ctx.msg.args)
    return await _PRESENCE_VERBS[command.verb](ctx, command)


async def _open_presence(ctx: Context, _command: rules.PresenceCommand) -> list[Reply]:
    view = await service.open_presence(ctx.session, ctx.network, ctx.now)
    meeting = view.meeting
    buttons = presence_buttons(meeting.id) if meeting.presence == Presence.OPEN else ()
    # Seed 000 §5: the secretary and the ata's author are named as the meeting opens.
    opened = await ctx.hooks.meeting_opened(ctx, meeting) if ctx.hooks else []
    return [Reply(text=presence_text(view, ctx.network.timezone), buttons=buttons), *opened]


async def presence_button(ctx: Context, press: PresencePress) -> list[Reply]:
    view = await service.mark_self(
        ctx.session, ctx.network, ctx.member, ctx.now, meeting_id=press.meeting_id
    )
    notice = _("Presence noted. Welcome!")
    if ctx.member.sector_id is None:
        notice = _("Presence noted, but you have no sector: send /setor so your sector counts.")
    elif ctx.member.pending:
        notice = _("Presence noted; it counts for your sector once the coordination confirms you.")
    text = presence_text(view, ctx.network.timezone)
    return [Reply(text=text, buttons=presence_buttons(view.meeting.id), edit=True, notice=notice)]


async def _mark_by_coordinator(ctx: Context, command: rules.PresenceCommand) -> list[Reply]:
    who = service.Who(text=command.rest, mentioned=ctx.msg.mentioned, reply_to=ctx.msg.reply_to)
    view = await service.mark_by_coordinator(
        ctx.session,
        ctx.network,
        ctx.now,
        present=command.verb is rules.PresenceVerb.MARK,
        who=who,
    )
    return [_presence_reply(ctx, view)]


async def _close_presence(ctx: Context, _command: rules.PresenceCommand) -> list[Reply]:
    closed = await service.close_presence(ctx.session, ctx.network, ctx.now)
    replies = [_presence_reply(ctx, closed.view)]
    if closed.streak_sectors:
        replies.append(_streak_warning(closed))
    return replies


def _streak_warning(closed: service.ClosedList) -> Reply:
    return Reply(
        text=ngettext(
            "⚠️ Coordination: {sectors} missed the last {n} meetings in a row. "
            "It may be worth a call.",
            "⚠️ Coordination: {sectors} missed the last {n} meetings in a row. "
            "It may be worth a call.",
            len(closed.streak_sectors),
        ).format(sectors=", ".join(closed.streak_sectors), n=rules.ABSENCE_STREAK),
        mentions=tuple(person(m) for m in closed.coordinators),
    )


async def _presence_files(ctx: Context, _command: rules.PresenceCommand) -> list[Reply]:
    found = await service.latest_presence_files(ctx.session, ctx.network, ctx.now)
    text = _("Presence list of the {kind} of {when}.").format(
        kind=kind_name(found.meeting.kind),
        when=dates.format_when(found.meeting.starts_at, ctx.network.timezone, now=ctx.now),
    )
    # Drawing is CPU work: it runs after the commit, in a worker thread (OutFile.later).
    return [
        Reply(text=text, file=_presence_file(found.data, "pdf", "application/pdf")),
        Reply(text="", file=_presence_file(found.data, "csv", "text/csv")),
    ]


def _presence_file(data: documents.PresenceList, ext: str, mime: str) -> OutFile:
    draw = documents.presence_pdf if ext == "pdf" else documents.presence_csv
    return OutFile.later(documents.presence_filename(data, ext), mime, partial(draw, data))


_PRESENCE_VERBS: dict[
    rules.PresenceVerb, Callable[[Context, rules.PresenceCommand], Awaitable[list[Reply]]]
] = {
    rules.PresenceVerb.OPEN: _open_presence,
    rules.PresenceVerb.MARK: _mark_by_coordinator,
    rules.PresenceVerb.UNMARK: _mark_by_coordinator,
    rules.PresenceVerb.CLOSE: _close_presence,
    rules.PresenceVerb.FILES: _presence_files,
}


# --- automatic: quorum warning -----------------------------------------------------------


async def render_quorum_check(ctx: ScheduledContext) -> Sequence[Reply]:
    """Two days before: warn the coordination when confirmed sectors are below quorum."""
    warning = await service.quorum_warning(
        ctx.session,
        ctx.network,
        ctx.now,
        meeting_id=ctx.row.meeting_id,
        planned=ctx.row.planned_at or ctx.row.due_at,
    )
    if warning is None:
        return []
    # Issue 14: a warning for the coordination, not the group.
    return await to_coordination(
        ctx.session, ctx.network, _quorum_text(warning, ctx.network.timezone)
    )


def _quorum_text(warning: service.QuorumWarning, timezone: str) -> str:
    counted, total = warning.sectors.counted, warning.sectors.expected
    if counted == 0:  # "só 0 de 3 setores confirmou" reads wrong
        pattern = ngettext(
            "⚠️ Coordination: the one expected sector, {missing}, has not confirmed the "
            "{kind} of {when} yet (quorum: {needed}).",
            "⚠️ Coordination: none of the {total} expected sectors has confirmed the {kind} "
            "of {when} yet (quorum: {needed}). Not confirmed yet: {missing}.",
            total,
        )
    else:
        pattern = ngettext(
            "⚠️ Coordination: only {n} of {total} sectors confirmed the {kind} of {when} "
            "(quorum: {needed}). Not confirmed yet: {missing}.",
            "⚠️ Coordination: only {n} of {total} sectors confirmed the {kind} of {when} "
            "(quorum: {needed}). Not confirmed yet: {missing}.",
            counted,
        )
    return pattern.format(
        n=counted,
        total=total,
        kind=kind_name(warning.meeting.kind),
        when=dates.format_when(warning.meeting.starts_at, timezone),
        needed=warning.needed,
        missing=", ".join(warning.sectors.missing),
    )


async def set_quorum(ctx: Context) -> list[Reply]:
    text = ctx.msg.args.strip()
    if not text:
        current = str(ctx.network.quorum) if ctx.network.quorum else _("half of the sectors")
        return [Reply(text=_("Quorum: {q}. To change: /quorum 6").format(q=current))]
    quorum = rules.parse_quorum(text)
    await service.set_quorum(ctx.session, ctx.network, quorum)
    if quorum is None:
        return [Reply(text=_("Quorum: half of the sectors."))]
    done = ngettext("Quorum: {n} sector.", "Quorum: {n} sectors.", quorum)
    return [Reply(text=done.format(n=quorum))]


def register(router: Router) -> None:
    router.button(RsvpPress)(rsvp_button)
    router.button(PresencePress)(presence_button)
    router.answer(rules.REASON_QUESTION)(reason_answer)
    router.command(
        "presenca",
        N_("presence list: open, mark, close, export"),
        rules.PRESENCE_EXAMPLE,
        coordinator=True,
    )(presence)
    router.command("quorum", N_("sectors needed for quorum"), "/quorum 6", coordinator=True)(
        set_quorum
    )
    router.scheduled(Kind.QUORUM_CHECK)(render_quorum_check)
