"""Small presentation helpers shared by the feature modules: argument splitting, meeting
lines and cards, a member as a mention (no query: data comes from the services)."""

from __future__ import annotations

from datetime import datetime

from bot.i18n import gettext as _
from bot.notify import person as person
from bot.rules import dates
from bot.rules.names import first_upper, kind_name
from storage.models import Meeting, Network


def split_pipes(args: str) -> list[str]:
    """``a | b | c`` -> ["a", "b", "c"] (empty parts kept, so they can be reported)."""
    return [part.strip() for part in args.split("|")] if args.strip() else []


def meeting_line(meeting: Meeting, tz: str) -> str:
    """ "terça, 10/03 às 14h — CRAS — Tema" """
    parts = [dates.format_when(meeting.starts_at, tz), meeting.place]
    if meeting.topic:
        parts.append(meeting.topic)
    return " — ".join(parts)


def meeting_card(meeting: Meeting, tz: str, now: datetime) -> str:
    """The full description used by /proxima, reminders and announcements."""
    lines = [
        _("{kind}: {when}").format(
            kind=first_upper(kind_name(meeting.kind)),
            when=dates.format_when(meeting.starts_at, tz, now=now),
        ),
        _("Place: {place}").format(place=meeting.place),
    ]
    if meeting.topic:
        lines.append(_("Agenda: {topic}").format(topic=meeting.topic))
    lines.append(_("({until})").format(until=dates.format_until(meeting.starts_at, now)))
    return "\n".join(lines)


def signature(network: Network) -> str:
    """Who signs the network's e-mails (seed 001, Anexos I and II): the coordination,
    as set with /assinatura, never the bot."""
    return network.signature or _("Coordination of the Rede de Proteção Social")
