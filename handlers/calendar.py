"""The calendar of ordinary meetings: generate, import, change, ask, export, remind."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.buttons import ButtonData, Decision
from bot.errors import UserError
from bot.i18n import N_, ngettext
from bot.i18n import gettext as _
from bot.messages import Button, OutFile, Reply
from bot.router import Context, Router, ScheduledContext
from bot.rules import calendar as rules
from bot.rules import dates, privacy
from bot.rules.kinds import Kind
from bot.rules.names import kind_name
from bot.rules.status import DraftStatus, MeetingStatus
from bot.scheduling import (
    URGENT_REMINDER_MINUTES,
    plan_meeting,
    reminder_superseded,
)
from bot.services import calendar as calendar_service
from handlers.common import meeting_card, meeting_line, meetings_on, person, split_pipes
from handlers.meeting_messages import ANNOUNCEMENT, REMINDER, meeting_message, unanswered_people
from storage import repo
from storage.models import Meeting, Network

GENERATE_EXAMPLE = "/gerarcalendario 2026 2ª terça 14h CRAS"
IMPORT_EXAMPLE = "/importar 2026 2ª terça 14h CRAS"
MOVE_EXAMPLE = "/remarcar 10/03 | 12/03 15h | CREAS"
CANCEL_EXAMPLE = "/cancelar 10/03 | feriado municipal"
DRAFT_KIND = "calendar"


# --- building the year's calendar ---------------------------------------------------


def _year(text: str, now: datetime, tz: ZoneInfo, example: str) -> int:
    this_year = now.astimezone(tz).year
    if not text.isdigit() or len(text) != 4:
        raise UserError(N_("Start with the year, e.g. {year}."), example=example, year=this_year)
    year = int(text)
    if not this_year - 1 <= year <= this_year + 2:
        raise UserError(
            N_("The year must be between {first} and {last}."),
            example=example,
            first=this_year - 1,
            last=this_year + 2,
        )
    return year


def _planned_to_payload(planned: list[rules.PlannedMeeting]) -> list[dict[str, Any]]:
    return [
        {
            "day": p.day.isoformat(),
            "at": p.at.strftime("%H:%M"),
            "place": p.place,
            "topic": p.topic,
            "shifted_from": p.shifted_from.isoformat() if p.shifted_from else None,
            "shift_reason": p.shift_reason,
        }
        for p in planned
    ]


async def _preview(
    ctx: Context, year: int, planned: list[rules.PlannedMeeting], rule_text: str | None
) -> list[Reply]:
    """Show the calendar and keep it as a draft until the coordinator confirms it."""
    tz = ctx.tz
    future = [p for p in planned if datetime.combine(p.day, p.at, tzinfo=tz) > ctx.now]
    if not future:
        raise UserError(N_("All the meetings of {year} are already in the past."), year=year)
    existing = await _future_ordinary(ctx, year)
    draft = await repo.add_draft(
        session=ctx.session,
        network_id=ctx.network.id,
        user_id=ctx.msg.sender.user_id,
        kind=DRAFT_KIND,
        payload={"year": year, "rule": rule_text, "meetings": _planned_to_payload(future)},
        now=ctx.now,
    )
    lines = [_("Calendar {year} — check before saving:").format(year=year)]
    for p in future:
        when = dates.format_when(datetime.combine(p.day, p.at, tzinfo=tz), ctx.network.timezone)
        line = f"• {when} — {p.place}"
        if p.topic:
            line += f" — {p.topic}"
        if p.shifted_from:
            line += " " + _("(moved from {day}: {holiday})").format(
                day=dates.format_date(p.shifted_from), holiday=p.shift_reason
            )
        lines.append(line)
    skipped = len(planned) - len(future)
    if skipped:
        lines.append(
            ngettext(
                "{n} meeting already past was left out.",
                "{n} meetings already past were left out.",
                skipped,
            ).format(n=skipped)
        )
    if existing:
        lines.append(
            ngettext(
                "This replaces the {n} ordinary meeting of {year} already scheduled.",
                "This replaces the {n} ordinary meetings of {year} already scheduled.",
                len(existing),
            ).format(n=len(existing), year=year)
        )
    buttons = (
        (
            Button(_("✅ Save"), CalendarDecision(Decision.OK, draft.id).encode()),
            Button(_("✖ Discard"), CalendarDecision(Decision.NO, draft.id).encode()),
        ),
    )
    return [Reply(text="\n".join(lines), buttons=buttons)]


async def _future_ordinary(ctx: Context, year: int) -> list[Meeting]:
    start = max(ctx.now, datetime(year, 1, 1, tzinfo=ctx.tz))
    end = datetime(year + 1, 1, 1, tzinfo=ctx.tz)
    return list(
        await repo.meetings_between(
            session=ctx.session,
            network_id=ctx.network.id,
            start=start,
            end=end,
            kinds=["ordinary"],
            include_cancelled=False,
        )
    )


async def generate(ctx: Context) -> list[Reply]:
    year_text, _sep, rule_text = ctx.msg.args.strip().partition(" ")
    year = _year(year_text, ctx.now, ctx.tz, GENERATE_EXAMPLE)
    rule = rules.parse_rule(rule_text)
    planned = rules.generate_year(rule, year, state=ctx.network.state)
    return await _preview(ctx, year, planned, rule_text.strip())


async def import_table(ctx: Context) -> list[Reply]:
    attachment = ctx.msg.attachment
    if attachment is None:
        raise UserError(
            N_("Send the table (.csv or .xlsx) as a file with the caption /importar."),
            example=IMPORT_EXAMPLE,
        )
    args = ctx.msg.args.split(maxsplit=1)
    year = ctx.now.astimezone(ctx.tz).year
    rule_text = ctx.network.meeting_rule
    if args and args[0].isdigit():
        year = _year(args[0], ctx.now, ctx.tz, IMPORT_EXAMPLE)
        args = args[1:]
    if args:
        rule_text = args[0]
    rule = rules.parse_rule(rule_text) if rule_text else None
    data = await attachment.fetch()
    planned = rules.parse_table(
        data, attachment.filename, year=year, rule=rule, state=ctx.network.state
    )
    for item in planned:
        privacy.screen(f"{item.place} {item.topic}")
    return await _preview(ctx, year, planned, rule_text)


@dataclass(frozen=True)
class CalendarDecision(ButtonData, prefix="cal"):
    """Save or discard a previewed year calendar."""

    decision: Decision
    draft_id: int


async def calendar_button(ctx: Context, press: CalendarDecision) -> list[Reply]:
    draft = await repo.draft(session=ctx.session, draft_id=press.draft_id)
    if draft is None or draft.network_id != ctx.network.id or draft.kind != DRAFT_KIND:
        raise UserError(N_("This choice is no longer valid."))
    if not ctx.is_coordinator:
        raise UserError(N_("Only the network's coordination can decide this."))
    if draft.status != DraftStatus.OPEN:
        raise UserError(N_("This calendar was already decided."))
    if press.decision is Decision.NO:
        draft.status = DraftStatus.DISCARDED
        return [Reply(text=_("Calendar discarded. Nothing was changed."), edit=True)]
    draft.status = DraftStatus.SAVED
    year = int(draft.payload["year"])
    meetings = await calendar_service.save_year(ctx.session, ctx.network, draft.payload, ctx.now)
    first = meetings[0]
    return [
        Reply(
            text=ngettext(
                "Calendar {year} saved: {n} ordinary meeting. The next one: {when}. "
                "I will remind the group before each meeting.",
                "Calendar {year} saved: {n} ordinary meetings. The next one: {when}. "
                "I will remind the group before each meeting.",
                len(meetings),
            ).format(
                year=year,
                n=len(meetings),
                when=dates.format_when(first.starts_at, ctx.network.timezone),
            ),
            edit=True,
        )
    ]


# --- changing one meeting -------------------------------------------------------------


async def _meeting_on(ctx: Context, day_text: str, example: str) -> Meeting:
    day = dates.parse_day(day_text, now=ctx.now, tz=ctx.network.timezone)
    found = await meetings_on(ctx, day)
    if not found:
        raise UserError(
            N_("There is no meeting scheduled on {day}. See /calendario."),
            example=example,
            day=dates.format_date(day, with_year=True),
        )
    return found[0]


async def move(ctx: Context) -> list[Reply]:
    parts = split_pipes(ctx.msg.args)
    if len(parts) not in (2, 3) or not parts[0] or not parts[1]:
        raise UserError(
            N_("Write the meeting's day, a |, and the new date and time (and a new place)."),
            example=MOVE_EXAMPLE,
        )
    meeting = await _meeting_on(ctx, parts[0], MOVE_EXAMPLE)
    if meeting.starts_at <= ctx.now:
        raise UserError(N_("This meeting has already happened."), example=MOVE_EXAMPLE)
    tzname = ctx.network.timezone
    try:
        new_time = dates.parse_time_of_day(parts[1])
    except UserError:
        starts_at = dates.parse_when(parts[1], now=ctx.now, tz=tzname)
    else:
        local_day = meeting.starts_at.astimezone(ctx.tz).date()
        starts_at = datetime.combine(local_day, new_time, tzinfo=ctx.tz)
        if starts_at <= ctx.now:
            raise UserError(N_("That time has already passed."), example=MOVE_EXAMPLE)
    place = parts[2] if len(parts) == 3 and parts[2] else meeting.place
    privacy.screen(place)
    old = _("{when}, {place}").format(
        when=dates.format_when(meeting.starts_at, tzname), place=meeting.place
    )
    meeting.starts_at = starts_at.astimezone(ZoneInfo("UTC"))
    meeting.place = place
    meeting.sequence += 1
    meeting.updated_at = ctx.now
    await plan_meeting(session=ctx.session, network=ctx.network, meeting=meeting, now=ctx.now)
    new = _("{when}, {place}").format(
        when=dates.format_when(meeting.starts_at, tzname), place=place
    )
    return [
        Reply(
            text=_("📅 The {kind} was moved:\nfrom {old}\nto {new}").format(
                kind=kind_name(meeting.kind), old=old, new=new
            )
        )
    ]


async def cancel(ctx: Context) -> list[Reply]:
    parts = split_pipes(ctx.msg.args)
    if len(parts) != 2 or not parts[0]:
        raise UserError(
            N_("Write the meeting's day, a |, and the reason for cancelling."),
            example=CANCEL_EXAMPLE,
        )
    if not parts[1]:
        raise UserError(N_("A cancellation needs a reason."), example=CANCEL_EXAMPLE)
    meeting = await _meeting_on(ctx, parts[0], CANCEL_EXAMPLE)
    privacy.screen(parts[1])
    meeting.status = MeetingStatus.CANCELLED
    meeting.cancel_reason = parts[1]
    meeting.sequence += 1
    meeting.updated_at = ctx.now
    await plan_meeting(session=ctx.session, network=ctx.network, meeting=meeting, now=ctx.now)
    reply = Reply(
        text=_("❌ The {kind} of {when} ({place}) was cancelled.\nReason: {reason}").format(
            kind=kind_name(meeting.kind),
            when=dates.format_when(meeting.starts_at, ctx.network.timezone),
            place=meeting.place,
            reason=parts[1],
        )
    )
    return [await ctx.hooks.meeting_cancelled(ctx, meeting, reply) if ctx.hooks else reply]


# --- asking ------------------------------------------------------------------------------


async def next_meeting(ctx: Context) -> list[Reply]:
    found = await repo.next_meetings(session=ctx.session, network_id=ctx.network.id, after=ctx.now)
    if not found:
        return [
            Reply(
                text=_(
                    "No meeting is scheduled. "
                    "The coordination can build the calendar with {example}"
                ).format(example=GENERATE_EXAMPLE)
            )
        ]
    card = meeting_card(found[0], ctx.network.timezone, ctx.now)
    return [Reply(text=_("📌 Next meeting\n{card}").format(card=card))]


async def year_calendar(ctx: Context) -> list[Reply]:
    text = ctx.msg.args.strip()
    year = (
        _year(text, ctx.now, ctx.tz, "/calendario 2026")
        if text
        else ctx.now.astimezone(ctx.tz).year
    )
    start = datetime(year, 1, 1, tzinfo=ctx.tz)
    meetings = await repo.meetings_between(
        session=ctx.session,
        network_id=ctx.network.id,
        start=start,
        end=datetime(year + 1, 1, 1, tzinfo=ctx.tz),
    )
    if not meetings:
        return [
            Reply(
                text=_(
                    "No meetings in {year}. The coordination can create them with {example}"
                ).format(year=year, example=GENERATE_EXAMPLE)
            )
        ]
    lines = [_("Meetings of {year}:").format(year=year)]
    for meeting in meetings:
        line = meeting_line(meeting, ctx.network.timezone)
        if meeting.kind != "ordinary":
            line += f" ({kind_name(meeting.kind)})"
        if meeting.status == MeetingStatus.CANCELLED:
            mark = "❌"
            line += " — " + _("cancelled: {reason}").format(reason=meeting.cancel_reason or "")
        elif meeting.starts_at < ctx.now:
            mark = "✔"
        else:
            mark = "•"
        lines.append(f"{mark} {line}")
    lines.append(_("✔ held  • upcoming  ❌ cancelled"))
    return [Reply(text="\n".join(lines))]


def ics_url(public_base_url: str, token: str) -> str:
    return f"{public_base_url.rstrip('/')}/ics/{token}.ics"


async def network_ics(session: AsyncSession, network: Network, now: datetime) -> bytes:
    """The network's calendar as ICS: a year back and everything ahead."""
    meetings = await repo.meetings_between(
        session=session,
        network_id=network.id,
        start=now - timedelta(days=366),
        end=now + timedelta(days=3 * 366),
    )
    events = [
        rules.IcsEvent(
            uid=f"meeting-{m.id}-{network.id}@redebot",
            start=m.starts_at,
            end=m.starts_at + timedelta(minutes=m.duration_minutes),
            summary=_("Rede de Proteção: {kind}").format(kind=kind_name(m.kind)),
            location=m.place,
            description=m.topic,
            cancelled=m.status == MeetingStatus.CANCELLED,
            sequence=m.sequence,
        )
        for m in meetings
    ]
    name = network.title or _("Rede de Proteção Social")
    return rules.build_ics(name, events, tz=network.timezone, stamp=now)


async def send_ics(ctx: Context) -> list[Reply]:
    content = await network_ics(ctx.session, ctx.network, ctx.now)
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
    if ctx.row.meeting_id is None:
        return []
    meeting = await repo.meeting(session=ctx.session, meeting_id=ctx.row.meeting_id)
    if meeting is None or meeting.status != MeetingStatus.SCHEDULED or meeting.starts_at <= ctx.now:
        return []
    offset = int(ctx.row.payload.get("offset", 0))
    offsets = [
        *ctx.network.reminder_offsets,
        *([URGENT_REMINDER_MINUTES] if meeting.urgent else []),
    ]
    if reminder_superseded(meeting.starts_at, offset, offsets, ctx.now):
        return []
    message = await meeting_message(ctx.session, ctx.network, meeting, ctx.now, REMINDER)
    # Issue 3: name the sectors that have not answered, and nag nobody else.
    silent = await unanswered_people(ctx.session, ctx.network, meeting)
    text = message.text
    if silent:
        text += "\n\n" + _("Not answered yet:")
    return [Reply(text=text, buttons=message.buttons, mentions=tuple(person(m) for m in silent))]


async def render_announcement(ctx: ScheduledContext) -> list[Reply]:
    tz = ZoneInfo(ctx.network.timezone)
    year, month = (int(x) for x in str(ctx.row.payload["month"]).split("-"))
    start = datetime(year, month, 1, tzinfo=tz)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=tz)
    meetings = [
        m
        for m in await repo.meetings_between(
            session=ctx.session,
            network_id=ctx.network.id,
            start=start,
            end=end,
            include_cancelled=False,
        )
        if m.starts_at > ctx.now
    ]
    replies = [
        await meeting_message(ctx.session, ctx.network, m, ctx.now, ANNOUNCEMENT)
        for m in meetings
        if m.kind == "ordinary"
    ]
    # What the features put on the next meeting's agenda (atas to approve, overdue
    # devolutivas), in their order.
    agenda = [
        line for section in ctx.agenda for line in await section(ctx.session, ctx.network, ctx.now)
    ]
    if replies and agenda:
        first = replies[0]
        replies[0] = Reply(text=first.text + "\n\n" + "\n".join(agenda), buttons=first.buttons)
    return replies


def register(router: Router) -> None:
    router.feed(network_ics)
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
        "cancelar", N_("cancel a meeting, with the reason"), CANCEL_EXAMPLE, coordinator=True
    )(cancel)
    router.command("proxima", N_("the next meeting"), "/proxima")(next_meeting)
    router.command("calendario", N_("the meetings of the year"), "/calendario 2026")(year_calendar)
    router.command("ics", N_("the calendar file and subscription link"), "/ics")(send_ics)
    router.button(CalendarDecision)(calendar_button)
    router.scheduled(Kind.MEETING_REMINDER, collapse=True)(render_reminder)
    router.scheduled(Kind.MONTHLY_ANNOUNCEMENT)(render_announcement)
