"""How a meeting is shown to the group: the announcement, reminder or convocation with
its RSVP buttons and live counts (shared by the calendar, convocation and attendance
features; it registers nothing)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.buttons import ButtonData
from bot.i18n import gettext as _
from bot.messages import Button, Reply
from bot.rules import dates
from handlers.common import expected_sectors, meeting_card
from storage import repo
from storage.models import Meeting, Member, Network, Sector


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


async def rsvp_block(session: AsyncSession, meeting: Meeting) -> str:
    """Live count per answer, with the sectors (or names) that gave it."""
    answers = await repo.rsvps(session=session, meeting_id=meeting.id)
    labels = {"yes": _("✅ Going"), "no": _("❌ Not going"), "maybe": _("🤔 Maybe")}
    lines = []
    for answer, label in labels.items():
        who = [a.member for a in answers if a.answer == answer]
        names = sorted({m.sector.name if m.sector else m.name for m in who})
        line = f"{label} ({len(who)})"
        if names:
            line += ": " + ", ".join(names)
        lines.append(line)
    return "\n".join(lines)


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


async def convocation_header(session: AsyncSession, meeting: Meeting) -> str:
    from bot.rules.convocation import BASIS_NAMES, Basis

    title = _("🚨 Extraordinary meeting convened")
    if meeting.urgent:
        title += " — " + _("URGENT")
    lines = [title]
    if meeting.justification:
        lines.append(_("Justificativa: {text}").format(text=meeting.justification))
    if meeting.convened_by_id is not None:
        member = await session.get(Member, meeting.convened_by_id)
        sector = (
            await session.get(Sector, meeting.convened_by_sector_id)
            if meeting.convened_by_sector_id
            else None
        )
        if member is not None:
            who = f"{member.name} ({sector.name})" if sector else member.name
            basis = _(BASIS_NAMES[Basis(meeting.basis)]) if meeting.basis else ""
            lines.append(_("Convened by: {who} — {basis}").format(who=who, basis=basis))
    return "\n".join(lines)


async def meeting_message(
    session: AsyncSession, network: Network, meeting: Meeting, now: datetime, style: Style
) -> Reply:
    """An announcement, reminder or convocation, with the RSVP buttons and live counts."""
    card = meeting_card(meeting, network.timezone, now)
    if style == CONVOCATION:
        head = await convocation_header(session, meeting)
        text = f"{head}\n{card}"
    elif style == REMINDER:
        text = _("⏰ Reminder\n{card}").format(card=card)
    else:
        month = dates.month_name(meeting.starts_at.astimezone(ZoneInfo(network.timezone)).month)
        text = _("📣 Meeting of {month}\n{card}").format(month=month, card=card)
    text += "\n\n" + await rsvp_block(session, meeting)
    return Reply(text=text, buttons=rsvp_buttons(meeting.id, style))


async def unanswered_people(
    session: AsyncSession, network: Network, meeting: Meeting
) -> list[Member]:
    """Representatives of expected sectors where nobody answered yet (reminders name them).
    The sector that convened the meeting has answered by convening it."""
    expected = await expected_sectors(session, network, meeting)
    answers = await repo.rsvps(session=session, meeting_id=meeting.id)
    answered = {a.member.sector_id for a in answers} | {meeting.convened_by_sector_id}
    missing = [s.id for s in expected if s.id not in answered]
    return list(
        await repo.representatives(session=session, network_id=network.id, sector_ids=missing)
    )
