"""How a meeting is shown to the group: the announcement, reminder or convocation with
its RSVP buttons and live counts (shared by the calendar, convocation and attendance
features; it registers nothing)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.buttons import ButtonData
from bot.i18n import gettext as _
from bot.messages import Button, Reply
from bot.router import Scope
from bot.rules import dates
from bot.rules.convocation import BASIS_NAMES, Basis
from bot.rules.names import representative
from bot.services import meetings
from handlers.common import meeting_card
from storage.models import Meeting, Member


class Style(StrEnum):
    """Which message carries the buttons, so a press re-renders the same message."""

    ANNOUNCEMENT = "a"
    REMINDER = "r"
    CONVOCATION = "c"


ANNOUNCEMENT, REMINDER, CONVOCATION = Style.ANNOUNCEMENT, Style.REMINDER, Style.CONVOCATION


class RsvpAnswer(StrEnum):
    YES = "y"
    NO = "n"
    MAYBE = "m"

    @property
    def stored(self) -> str:
        """The answer as the rsvps table keeps it."""
        return {"y": "yes", "n": "no", "m": "maybe"}[self.value]


@dataclass(frozen=True)
class RsvpPress(ButtonData, prefix="rsvp"):
    """✅ / ❌ / 🤔 under a meeting's announcement, reminder or convocation."""

    meeting_id: int
    answer: RsvpAnswer
    style: Style


async def rsvp_block(scope: Scope, meeting: Meeting) -> str:
    """Live count per answer, with the sectors (or names) that gave it."""
    answers = await meetings.rsvps(scope.session, meeting)
    labels = {"yes": _("✅ Going"), "no": _("❌ Not going"), "maybe": _("🤔 Maybe")}
    return "\n".join(
        _rsvp_line(label, [a.member for a in answers if a.answer == answer])
        for answer, label in labels.items()
    )


def _rsvp_line(label: str, who: list[Member]) -> str:
    names = sorted({m.sector.name if m.sector else m.name for m in who})
    line = f"{label} ({len(who)})"
    return f"{line}: {', '.join(names)}" if names else line


def rsvp_buttons(meeting_id: int, style: Style) -> tuple[tuple[Button, ...], ...]:
    labels = {
        RsvpAnswer.YES: _("✅ I'm going"),
        RsvpAnswer.NO: _("❌ I'm not going"),
        RsvpAnswer.MAYBE: _("🤔 Maybe"),
    }
    return (
        tuple(
            Button(label, RsvpPress(meeting_id, answer, style).encode())
            for answer, label in labels.items()
        ),
    )


async def convocation_header(scope: Scope, meeting: Meeting) -> str:
    title = _("🚨 Extraordinary meeting convened")
    if meeting.urgent:
        title += " — " + _("URGENT")
    lines = [title]
    if meeting.justification:
        lines.append(_("Justificativa: {text}").format(text=meeting.justification))
    convener = await meetings.convener(scope.session, meeting)
    if convener is not None:
        lines.append(_convened_by(convener, meeting))
    return "\n".join(lines)


def _convened_by(convener: meetings.Convener, meeting: Meeting) -> str:
    sector = convener.sector.name if convener.sector else None
    if convener.member is None:  # the person erased their data: the sector alone
        who = representative(sector)
    else:
        name = convener.member.name
        who = f"{name} ({sector})" if sector else name
    basis = _(BASIS_NAMES[Basis(meeting.basis)]) if meeting.basis else ""
    return _("Convened by: {who} — {basis}").format(who=who, basis=basis)


async def meeting_message(scope: Scope, meeting: Meeting, style: Style) -> Reply:
    """An announcement, reminder or convocation, with the RSVP buttons and live counts."""
    tz = scope.network.timezone
    card = meeting_card(meeting, tz, scope.now)
    if style == CONVOCATION:
        text = f"{await convocation_header(scope, meeting)}\n{card}"
    elif style == REMINDER:
        text = _("⏰ Reminder\n{card}").format(card=card)
    else:
        month = dates.month_name(meeting.starts_at.astimezone(ZoneInfo(tz)).month)
        text = _("📣 Meeting of {month}\n{card}").format(month=month, card=card)
    text += "\n\n" + await rsvp_block(scope, meeting)
    return Reply(text=text, buttons=rsvp_buttons(meeting.id, style))


async def unanswered_people(scope: Scope, meeting: Meeting) -> list[Member]:
    """Representatives of expected sectors where nobody answered yet (reminders name them)."""
    return await meetings.unanswered(scope.session, scope.network, meeting)
