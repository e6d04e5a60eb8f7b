"""The calendar of ordinary meetings: generate, import, change, ask, export, remind."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.buttons import ButtonData, Decision
from bot.errors import UserError, check_length
from bot.i18n import N_, ngettext
from bot.i18n import gettext as _
from bot.messages import Button, OutFile, Reply
from bot.router import AgendaSection, Context, Router, ScheduledContext
from bot.rules import calendar as rules
from bot.rules import dates, privacy
from bot.rules.kinds import Kind
from bot.rules.names import kind_name, name_key
from bot.rules.status import MeetingStatus
from bot.services import calendar as calendar_service
from bot.services.calendar import (
    Cancelled,
    Change,
    Changed,
    Choose,
    Moved,
    NoneAt,
    Restored,
    SavedYear,
    YearDraft,
)
from handlers import conversation
from handlers.common import meeting_card, meeting_line, person, split_pipes
from handlers.conversation import Option, Values
from handlers.meeting_messages import ANNOUNCEMENT, REMINDER, meeting_message, unanswered_people
from storage.models import Meeting

GENERATE_EXAMPLE = rules.RULE_EXAMPLE
IMPORT_EXAMPLE = rules.IMPORT_EXAMPLE
MOVE_EXAMPLE = rules.MOVE_EXAMPLE
CANCEL_EXAMPLE = rules.CANCEL_EXAMPLE


def _this_year(ctx: Context) -> int:
    return ctx.now.astimezone(ctx.tz).year


# --- building the year's calendar ---------------------------------------------------


@dataclass(frozen=True)
class CalendarDecision(ButtonData, prefix="cal"):
    """Save or discard a previewed year calendar."""

    decision: Decision
    draft_id: int


def _planned_line(p: rules.PlannedMeeting, tz: str) -> str:
    """ "• terça, 10/03 às 14h — CRAS — Tema (moved from 03/03: Carnaval)" """
    when = dates.format_when(datetime.combine(p.day, p.at, tzinfo=ZoneInfo(tz)), tz)
    line = f"• {when} — {p.place}" + (f" — {p.topic}" if p.topic else "")
    if p.shifted_from:
        line += " " + _("(moved from {day}: {holiday})").format(
            day=dates.format_date(p.shifted_from), holiday=p.shift_reason
        )
    return line


def _skipped_line(n: int) -> str:
    return ngettext(
        "{n} meeting already past was left out.", "{n} meetings already past were left out.", n
    ).format(n=n)


def _replaced_line(n: int, year: int) -> str:
    return ngettext(
        "This replaces the {n} ordinary meeting of {year} already scheduled.",
        "This replaces the {n} ordinary meetings of {year} already scheduled.",
        n,
    ).format(n=n, year=year)


def _preview_text(draft: YearDraft, tz: str) -> str:
    lines = [_("Calendar {year} — check before saving:").format(year=draft.year)]
    with dates.under_year(draft.year):  # the heading says the year
        lines += [_planned_line(p, tz) for p in draft.meetings]
    if draft.skipped:
        lines.append(_skipped_line(draft.skipped))
    if draft.replaced:
        lines.append(_replaced_line(draft.replaced, draft.year))
    return "\n".join(lines)


def _decision_buttons(draft_id: int) -> tuple[tuple[Button, ...], ...]:
    save = CalendarDecision(Decision.OK, draft_id).encode()
    discard = CalendarDecision(Decision.NO, draft_id).encode()
    return ((Button(_("✅ Save"), save), Button(_("✖ Discard"), discard)),)


async def _preview(
    ctx: Context, year: int, planned: Sequence[rules.PlannedMeeting], rule_text: str | None
) -> list[Reply]:
    """Show the calendar and keep it as a draft until the coordinator confirms it."""
    draft = await calendar_service.draft_year(
        ctx.session,
        ctx.network,
        user_id=ctx.msg.sender.user_id,
        now=ctx.now,
        year=year,
        planned=planned,
        rule_text=rule_text,
    )
    text = _preview_text(draft, ctx.network.timezone)
    return [Reply(text=text, buttons=_decision_buttons(draft.draft_id))]


async def generate(ctx: Context) -> list[Reply]:
    year_text, _sep, rule_text = ctx.msg.args.strip().partition(" ")
    year = rules.parse_year(year_text, this_year=_this_year(ctx), example=GENERATE_EXAMPLE)
    planned = rules.generate_year(rules.parse_rule(rule_text), year, state=ctx.network.state)
    return await _preview(ctx, year, planned, rule_text.strip())


async def import_table(ctx: Context) -> list[Reply]:
    attachment = ctx.msg.attachment
    if attachment is None:
        raise UserError(
            N_("Send the table (.csv or .xlsx) as a file with the caption /importar."),
            example=IMPORT_EXAMPLE,
        )
    year, rule_text = rules.parse_import_args(
        ctx.msg.args, this_year=_this_year(ctx), default_rule=ctx.network.meeting_rule
    )
    rule = rules.parse_table_rule(rule_text) if rule_text else None
    data = await attachment.fetch()
    planned = rules.parse_table(
        data, attachment.filename, year=year, rule=rule, state=ctx.network.state
    )
    rules.screen_planned(planned)
    # Only a whole rule becomes the network's (the one /importar uses next time).
    return await _preview(ctx, year, planned, rule_text if rule and rule.complete else None)


def _saved_text(saved: SavedYear, tz: str) -> str:
    n = len(saved.meetings)
    return ngettext(
        "Calendar {year} saved: {n} ordinary meeting. The next one: {when}. "
        "I will remind the group before each meeting.",
        "Calendar {year} saved: {n} ordinary meetings. The next one: {when}. "
        "I will remind the group before each meeting.",
        n,
    ).format(year=saved.year, n=n, when=dates.format_when(saved.meetings[0].starts_at, tz))


async def calendar_button(ctx: Context, press: CalendarDecision) -> list[Reply]:
    saved = await calendar_service.decide_year(
        ctx.session,
        ctx.network,
        now=ctx.now,
        draft_id=press.draft_id,
        save=press.decision is Decision.OK,
        is_coordinator=ctx.is_coordinator,
    )
    if saved is None:
        return [Reply(text=_("Calendar discarded. Nothing was changed."), edit=True)]
    return [Reply(text=_saved_text(saved, ctx.network.timezone), edit=True)]


# --- changing one meeting -------------------------------------------------------------


@dataclass(frozen=True)
class MeetingPick(ButtonData, prefix="calpick"):
    """One of the meetings a /cancelar, /remarcar or /cancelar desfazer named when several
    fit (meeting 0: none of them)."""

    draft_id: int
    meeting_id: int


@dataclass(frozen=True)
class UndoCancel(ButtonData, prefix="calundo"):
    """↩ Undo under a cancellation: the meeting, as it was when cancelled (its sequence)."""

    meeting_id: int
    sequence: int


# A button's label stays short on a phone (and well within a WhatsApp poll's option).
LABEL_MAX = 64
# What a choice's button calls each kind of meeting (a working group by its name).
SHORT_KINDS = {
    "ordinary": N_("Ordinary meeting"),
    "extraordinary": N_("Extraordinary meeting"),
    "working_group": N_("Working group"),
}
UNDO_AT_EXAMPLE = f"{rules.UNDO_EXAMPLE} 14h"
AT_EXAMPLES = {
    Change.CANCEL: rules.CANCEL_AT_EXAMPLE,
    Change.MOVE: rules.MOVE_AT_EXAMPLE,
    Change.UNDO: UNDO_AT_EXAMPLE,
}


def _label(
    meeting: Meeting, tz: str, *, with_day: bool = False, starts_at: datetime | None = None
) -> str:
    """ "14h — Reunião ordinária: Tema" (with the day when the choices span several;
    ``starts_at``: where the meeting was before a move)."""
    start = starts_at or meeting.starts_at
    local = start.astimezone(ZoneInfo(tz))
    when = dates.format_when(start, tz) if with_day else dates.format_time(local.time())
    label = f"{when} — {_(SHORT_KINDS.get(meeting.kind, SHORT_KINDS['ordinary']))}"
    if meeting.topic:
        label += f": {' '.join(meeting.topic.split())}"
    return label if len(label) <= LABEL_MAX else label[: LABEL_MAX - 1] + "…"


def _moved_text(moved: Moved, tz: str) -> str:
    meeting = moved.meeting
    old = _("{when}, {place}").format(
        when=dates.format_when(moved.old_starts_at, tz), place=moved.old_place
    )
    new = _("{when}, {place}").format(
        when=dates.format_when(meeting.starts_at, tz), place=meeting.place
    )
    return _("📅 The {kind} was moved:\nfrom {old}\nto {new}").format(
        kind=kind_name(meeting.kind), old=old, new=new
    )


def _cancelled_text(meeting: Meeting, tz: str) -> str:
    return _("❌ The {kind} of {when} ({place}) was cancelled.\nReason: {reason}").format(
        kind=kind_name(meeting.kind),
        when=dates.format_when(meeting.starts_at, tz),
        place=meeting.place,
        reason=meeting.cancel_reason,
    )


def _undo_button(meeting: Meeting) -> tuple[tuple[Button, ...], ...]:
    return ((Button(_("↩ Undo"), UndoCancel(meeting.id, meeting.sequence).encode()),),)


async def _cancelled(ctx: Context, meeting: Meeting) -> Reply:
    """The cancellation told to the group (and, by the features, to whom it concerns), with
    the coordination's button to undo it."""
    reply = Reply(text=_cancelled_text(meeting, ctx.network.timezone))
    if ctx.hooks:
        reply = await ctx.hooks.meeting_cancelled(ctx, meeting, reply)
    return replace(reply, buttons=_undo_button(meeting))


async def _restored(ctx: Context, meeting: Meeting) -> Reply:
    card = meeting_card(meeting, ctx.network.timezone, ctx.now)
    text = _("✅ The cancellation was undone: the meeting is back on.\n{card}").format(card=card)
    reply = Reply(text=text)
    return await ctx.hooks.meeting_restored(ctx, meeting, reply) if ctx.hooks else reply


def _question(choose: Choose, tz: str) -> str:
    day = dates.format_date(choose.meetings[0].starts_at.astimezone(ZoneInfo(tz)).date())
    if choose.change is Change.CANCEL:
        return "\n".join(
            [
                _("There is more than one meeting on {day}. Which one do you cancel?").format(
                    day=day
                ),
                _("Reason: {reason}").format(reason=choose.reason),
            ]
        )
    if choose.change is Change.MOVE:
        assert choose.starts_at is not None
        to = dates.format_when(choose.starts_at, tz)
        if choose.place:
            to = _("{when}, {place}").format(when=to, place=choose.place)
        return _("There is more than one meeting on {day}. Which one moves to {to}?").format(
            day=day, to=to
        )
    return _("Which cancellation do you undo?")


def _choice(choose: Choose, tz: str) -> Reply:
    """The question, one button per meeting and one to leave them all as they are."""
    days = {m.starts_at.astimezone(ZoneInfo(tz)).date() for m in choose.meetings}
    with_day = choose.change is Change.UNDO or len(days) > 1
    rows = [
        (Button(_label(m, tz, with_day=with_day), MeetingPick(choose.draft_id, m.id).encode()),)
        for m in choose.meetings
    ]
    rows.append((Button(_("✖ None of them"), MeetingPick(choose.draft_id, 0).encode()),))
    return Reply(text=_question(choose, tz), buttons=tuple(rows))


def _none_at(missing: NoneAt, change: Change, tz: str) -> Reply:
    """No meeting at the time typed: say which meetings the day has."""
    lines = [
        _("There is no meeting at {time} on {day}. The meetings of that day:").format(
            time=dates.format_time(missing.at), day=dates.format_date(missing.day)
        )
    ]
    for m in missing.meetings:
        line = "• " + _label(m, tz)
        if m.status == MeetingStatus.CANCELLED:
            line += " " + _("(cancelled)")
        lines.append(line)
    lines.append(_("Example: {example}").format(example=AT_EXAMPLES[change]))
    return Reply(text="\n".join(lines))


async def _answer(ctx: Context, change: Change, result: Changed | Choose | NoneAt) -> list[Reply]:
    tz = ctx.network.timezone
    if isinstance(result, Choose):
        return [_choice(result, tz)]
    if isinstance(result, NoneAt):
        return [_none_at(result, change, tz)]
    return [await _outcome(ctx, result)]


async def _outcome(ctx: Context, result: Changed) -> Reply:
    if isinstance(result, Cancelled):
        return await _cancelled(ctx, result.meeting)
    if isinstance(result, Restored):
        return await _restored(ctx, result.meeting)
    return Reply(text=_moved_text(result, ctx.network.timezone))


def _ref(ctx: Context, text: str, change: Change) -> rules.MeetingRef:
    return rules.parse_ref(text, now=ctx.now, tz=ctx.network.timezone, example=AT_EXAMPLES[change])


async def move(ctx: Context) -> list[Reply]:
    parts = split_pipes(ctx.msg.args)
    if len(parts) < 2 or (len(parts) in (2, 3) and not all(parts[:2])):
        return await conversation.start(ctx, MOVE_FLOW, parts)
    day_text, when_text, place = rules.parse_move(parts)
    result = await calendar_service.move(
        ctx.session,
        ctx.network,
        now=ctx.now,
        user_id=ctx.msg.sender.user_id,
        ref=_ref(ctx, day_text, Change.MOVE),
        when_text=when_text,
        place=place,
    )
    return await _answer(ctx, Change.MOVE, result)


async def cancel(ctx: Context) -> list[Reply]:
    undo_text = rules.undo_args(ctx.msg.args)
    if undo_text is not None:
        return await _undo(ctx, undo_text)
    parts = split_pipes(ctx.msg.args)
    if len(parts) < 2 or (len(parts) == 2 and not all(parts)):
        return await conversation.start(ctx, CANCEL_FLOW, parts)
    day_text, reason = rules.parse_cancel(parts)
    result = await calendar_service.cancel(
        ctx.session,
        ctx.network,
        now=ctx.now,
        user_id=ctx.msg.sender.user_id,
        ref=_ref(ctx, day_text, Change.CANCEL),
        reason=reason,
    )
    return await _answer(ctx, Change.CANCEL, result)


async def _undo(ctx: Context, day_text: str) -> list[Reply]:
    """``/cancelar desfazer [day [time]]``: the latest cancellation ahead, or that day's."""
    result = await calendar_service.undo(
        ctx.session,
        ctx.network,
        now=ctx.now,
        user_id=ctx.msg.sender.user_id,
        ref=_ref(ctx, day_text, Change.UNDO) if day_text else None,
    )
    return await _answer(ctx, Change.UNDO, result)


def _picked_text(result: Changed, tz: str) -> str:
    """What the question becomes once answered."""
    if isinstance(result, Moved):
        was = _label(result.meeting, tz, starts_at=result.old_starts_at)
        return _("✔ Moved: {meeting}").format(meeting=was)
    if isinstance(result, Cancelled):
        return _("✔ Cancelled: {meeting}").format(meeting=_label(result.meeting, tz))
    return _("✔ Back on: {meeting}").format(meeting=_label(result.meeting, tz, with_day=True))


async def pick_button(ctx: Context, press: MeetingPick) -> list[Reply]:
    result = await calendar_service.pick(
        ctx.session,
        ctx.network,
        now=ctx.now,
        draft_id=press.draft_id,
        meeting_id=press.meeting_id,
        is_coordinator=ctx.is_coordinator,
    )
    if result is None:
        return [Reply(text=_("Nothing was changed."), edit=True)]
    edited = Reply(text=_picked_text(result, ctx.network.timezone), edit=True)
    return [edited, await _outcome(ctx, result)]


async def undo_button(ctx: Context, press: UndoCancel) -> list[Reply]:
    restored = await calendar_service.undo_cancellation(
        ctx.session,
        ctx.network,
        now=ctx.now,
        meeting_id=press.meeting_id,
        sequence=press.sequence,
        is_coordinator=ctx.is_coordinator,
    )
    meeting = restored.meeting
    note = _("↩ Cancellation undone: {meeting}").format(
        meeting=_label(meeting, ctx.network.timezone, with_day=True)
    )
    return [Reply(text=note, edit=True), await _restored(ctx, meeting)]


# --- asking ------------------------------------------------------------------------------


async def next_meeting(ctx: Context) -> list[Reply]:
    """``/proxima``: every meeting of the network's next slot, and the next meeting of each
    working group of the member's sector, named as such."""
    found = await calendar_service.upcoming(
        ctx.session, ctx.network, sector_id=ctx.member.sector_id, now=ctx.now
    )
    tz = ctx.network.timezone
    sections: list[tuple[datetime, str]] = []
    if found.meetings:
        header = ngettext(
            "📌 Next meeting", "📌 Next meetings, at the same time", len(found.meetings)
        )
        cards = "\n\n".join(meeting_card(m, tz, ctx.now) for m in found.meetings)
        sections.append((found.meetings[0].starts_at, f"{header}\n{cards}"))
    for group, meeting in found.groups:
        header = _("👥 Next meeting of the working group {group} (your sector takes part)").format(
            group=group.name
        )
        sections.append((meeting.starts_at, f"{header}\n{meeting_card(meeting, tz, ctx.now)}"))
    if not sections:
        return [
            Reply(
                text=_(
                    "No meeting is scheduled. "
                    "The coordination can build the calendar with {example}"
                ).format(example=GENERATE_EXAMPLE)
            )
        ]
    return [Reply(text="\n\n".join(text for _when, text in sorted(sections, key=lambda s: s[0])))]


async def next_agenda(ctx: Context, sections: Sequence[AgendaSection]) -> list[Reply]:
    """``/pauta``: the next meeting and what the features put on its agenda (atas to
    approve, overdue devolutivas), as the monthly announcement carries them."""
    replies = await next_meeting(ctx)
    lines = [line for section in sections for line in await section(ctx)]
    if not lines:
        lines = [_("Nothing else on the agenda yet (atas to approve, overdue devolutivas).")]
    first = replies[0]
    return [Reply(text=first.text + "\n\n" + "\n".join(lines)), *replies[1:]]


def _year_line(meeting: Meeting, tz: str, now: datetime) -> str:
    """ "✔ terça, 10/03 às 14h — CRAS" with the kind when not ordinary, and why cancelled."""
    line = meeting_line(meeting, tz)
    if meeting.kind != "ordinary":
        line += f" ({kind_name(meeting.kind)})"
    if meeting.status == MeetingStatus.CANCELLED:
        reason = _("cancelled: {reason}").format(reason=meeting.cancel_reason or "")
        return f"❌ {line} — {reason}"
    return f"{'✔' if meeting.starts_at < now else '•'} {line}"


def _year_text(year: int, meetings: Sequence[Meeting], tz: str, now: datetime) -> str:
    lines = [_("Meetings of {year}:").format(year=year)]
    with dates.under_year(year):  # the heading says the year
        lines += [_year_line(m, tz, now) for m in meetings]
    lines.append(_("✔ held  • upcoming  ❌ cancelled"))
    return "\n".join(lines)


def _remains(meetings: Sequence[Meeting], now: datetime) -> bool:
    """Whether a meeting of the list is still to come (a cancelled one is not)."""
    return any(m.starts_at >= now and m.status != MeetingStatus.CANCELLED for m in meetings)


async def year_calendar(ctx: Context) -> list[Reply]:
    """``/calendario 2027``: that year. Without a year, the year members need: this one
    while a meeting of it is to come, else next year's once it has meetings (saved in
    December, the next calendar is what is left); the other year is named below."""
    text = ctx.msg.args.strip()
    this_year = _this_year(ctx)
    tz = ctx.network.timezone
    if text:
        year = rules.parse_year(text, this_year=this_year, example=rules.YEAR_EXAMPLE)
        meetings = await calendar_service.year_meetings(ctx.session, ctx.network, year)
        return [_year_reply(year, meetings, tz, ctx.now)]
    current = await calendar_service.year_meetings(ctx.session, ctx.network, this_year)
    next_year = this_year + 1
    following = await calendar_service.year_meetings(ctx.session, ctx.network, next_year)
    if following and not _remains(current, ctx.now):
        shown = _year_text(next_year, following, tz, ctx.now)
        if current:
            shown += "\n" + _("The meetings of {year}: /calendario {year}").format(year=this_year)
        return [Reply(text=shown)]
    reply = _year_reply(this_year, current, tz, ctx.now)
    if following and current:
        hint = _("The calendar of {year} is ready too: /calendario {year}").format(year=next_year)
        reply = Reply(text=f"{reply.text}\n{hint}")
    return [reply]


def _year_reply(year: int, meetings: Sequence[Meeting], tz: str, now: datetime) -> Reply:
    if not meetings:
        no_meetings = _("No meetings in {year}. The coordination can create them with {example}")
        return Reply(text=no_meetings.format(year=year, example=GENERATE_EXAMPLE))
    return Reply(text=_year_text(year, meetings, tz, now))


def ics_url(public_base_url: str, token: str) -> str:
    return f"{public_base_url.rstrip('/')}/ics/{token}.ics"


async def send_ics(ctx: Context) -> list[Reply]:
    content = await calendar_service.network_ics(ctx.session, ctx.network, ctx.now)
    url = ics_url(ctx.settings.public_base_url, ctx.network.ics_token)
    return [
        Reply(
            text=_(
                "The network's calendar. To keep it always up to date, subscribe in Google "
                "Calendar or Outlook (add calendar → from URL):\n{url}"
            ).format(url=url),
            file=OutFile("rede-calendario.ics", content, "text/calendar"),
        )
    ]


# --- automatic messages ------------------------------------------------------------------


async def render_reminder(ctx: ScheduledContext) -> list[Reply]:
    meeting = await calendar_service.reminder_due(ctx.session, ctx.network, ctx.row, ctx.now)
    if meeting is None:
        return []
    message = await meeting_message(ctx, meeting, REMINDER)
    # Issue 3: name the sectors that have not answered, and nag nobody else.
    silent = await unanswered_people(ctx, meeting)
    text = message.text + ("\n\n" + _("Not answered yet:") if silent else "")
    return [Reply(text=text, buttons=message.buttons, mentions=tuple(person(m) for m in silent))]


async def _agenda_lines(ctx: ScheduledContext) -> list[str]:
    """What the features put on the next meeting's agenda (atas to approve, overdue
    devolutivas), in their order."""
    return [line for section in ctx.agenda for line in await section(ctx)]


async def render_announcement(ctx: ScheduledContext) -> list[Reply]:
    month = str(ctx.row.payload["month"])
    meetings = await calendar_service.month_meetings(ctx.session, ctx.network, month, ctx.now)
    replies = []
    for meeting in meetings:
        message = await meeting_message(ctx, meeting, ANNOUNCEMENT)
        # Come late, on the meeting's day (after a gap it stands for that day's reminder):
        # it goes like the day's messages, never held in a digest without its buttons.
        replies.append(replace(message, urgent=True) if _today(meeting, ctx) else message)
    agenda = await _agenda_lines(ctx)
    if replies and agenda:
        first = replies[0]
        replies[0] = replace(first, text=first.text + "\n\n" + "\n".join(agenda))
    return replies


def _today(meeting: Meeting, ctx: ScheduledContext) -> bool:
    tz = ZoneInfo(ctx.network.timezone)
    return meeting.starts_at.astimezone(tz).date() == ctx.now.astimezone(tz).date()


# --- step by step (issue 14) -------------------------------------------------------------


def _day_checker(change: Change) -> conversation.Check:
    async def check(ctx: Context, text: str, values: Values) -> str:
        _ref(ctx, text, change)
        return text

    return check


async def _check_reason(ctx: Context, text: str, values: Values) -> str:
    rules.parse_cancel(["-", text])
    return text


async def _check_new_when(ctx: Context, text: str, values: Values) -> str:
    try:
        dates.parse_time_of_day(text)
    except UserError:
        dates.parse_when(text, now=ctx.now, tz=ctx.network.timezone)
    return text


async def _check_place(ctx: Context, text: str, values: Values) -> str:
    if name_key(text) in {"mesmo local", "mesmo", "manter", "nao", ""}:
        return ""
    privacy.screen(text)
    check_length(text, 255, N_("the place"))
    return text


async def _same_place_options(ctx: Context, values: Values) -> list[Option]:
    return [Option(_("Same place"), ""), *await conversation.place_options(ctx, values)]


_WHICH = N_("Which meeting? Choose it, or write its day (and time, if that day has several).")

CANCEL_FLOW = conversation.Flow(
    name="cancelar",
    title=N_("❌ Cancel a meeting."),
    example=rules.CANCEL_EXAMPLE,
    steps=(
        conversation.Step(
            key="day",
            field=N_("Meeting"),
            question=_WHICH,
            example="10/03 ou 10/03 14h",
            check=_day_checker(Change.CANCEL),
            options=conversation.meeting_options,
        ),
        conversation.Step(
            key="reason",
            field=N_("Reason"),
            question=N_("Why is it cancelled? The group will read the reason."),
            example="feriado municipal",
            check=_check_reason,
        ),
    ),
    line=conversation.joined("day", "reason"),
    run=cancel,
)

MOVE_FLOW = conversation.Flow(
    name="remarcar",
    title=N_("📅 Move a meeting."),
    example=rules.MOVE_EXAMPLE,
    steps=(
        conversation.Step(
            key="day",
            field=N_("Meeting"),
            question=_WHICH,
            example="10/03 ou 10/03 14h",
            check=_day_checker(Change.MOVE),
            options=conversation.meeting_options,
        ),
        conversation.Step(
            key="when",
            field=N_("New date and time"),
            question=N_("To which day and time does it move? (only a time keeps the day)"),
            example="12/03 15h ou 16h",
            check=_check_new_when,
        ),
        conversation.Step(
            key="place",
            field=N_("Place"),
            question=N_("Where will it be?"),
            example="CREAS",
            check=_check_place,
            options=_same_place_options,
            optional=True,
        ),
    ),
    line=conversation.joined("day", "when", "place"),
    run=move,
)


def register(router: Router) -> None:
    conversation.declare(CANCEL_FLOW)
    conversation.declare(MOVE_FLOW)
    router.feed(calendar_service.network_ics)
    router.command(
        "gerarcalendario",
        N_("build the year's calendar from a rule"),
        GENERATE_EXAMPLE,
        coordinator=True,
    )(generate)
    router.command(
        "importar",
        N_("import the calendar table (file with this caption)"),
        IMPORT_EXAMPLE,
        coordinator=True,
        accepts_file=True,
    )(import_table)
    router.command("remarcar", N_("move a meeting"), MOVE_EXAMPLE, coordinator=True)(move)
    router.command(
        "cancelar",
        N_("cancel a meeting, with the reason (/cancelar desfazer brings it back)"),
        CANCEL_EXAMPLE,
        coordinator=True,
    )(cancel)
    router.command("proxima", N_("the next meeting"), "/proxima")(next_meeting)
    router.alias("reuniao", "proxima")
    router.alias("proximareuniao", "proxima")
    router.alias("reunioes", "calendario")

    async def agenda(ctx: Context) -> list[Reply]:
        return await next_agenda(ctx, router.agenda_sections)

    router.command("pauta", N_("the next meeting and what is on its agenda"), "/pauta")(agenda)
    router.command("calendario", N_("the meetings of the year"), rules.YEAR_EXAMPLE)(year_calendar)
    router.command("ics", N_("the calendar file and subscription link"), "/ics")(send_ics)
    router.button(CalendarDecision)(calendar_button)
    router.button(MeetingPick)(pick_button)
    router.button(UndoCancel)(undo_button)
    router.scheduled(Kind.MEETING_REMINDER, collapse=True)(render_reminder)
    router.scheduled(Kind.MONTHLY_ANNOUNCEMENT)(render_announcement)
