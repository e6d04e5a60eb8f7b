"""The ata (minutes) of a meeting from its draft to its approval (seed 000 §6).

Pure: plain data in, plain data out. The ata is opened when the roles are named
(pending, its author is the ata's role), delivered by its author's sector as text or
file, approved by the coordination (its SHA-256 fixed) or returned for correction
(pending again, with new reminders). While it is pending, its author is reminded from
the deadline on, daily, and the coordination hears when it is late.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Protocol, TypeVar

from bot.errors import UserError, check_length
from bot.i18n import N_
from bot.i18n import gettext as _
from bot.rules import dates, file_text, numbers, privacy
from bot.rules.cases import codes_in
from bot.rules.kinds import Kind
from bot.rules.names import first_upper, kind_name, name_key
from bot.rules.rotation import role_name

ATA_EXAMPLE = "/ata Aos 14 dias de outubro, reuniram-se..."
ATA_FILES = (".pdf", ".docx", ".odt", ".txt")
MAX_ATA_FILE = 10 * 1024 * 1024
MIN_ATA_TEXT = 20
DAILY_REMINDERS = 10
LATE_NOTICE_DAYS = 3
# After a correction is asked, the author is reminded from two days later on.
CORRECTION_DAYS = 2


class AtaAction(StrEnum):
    """What ``/ata ...`` asks for."""

    APPROVE = "approve"  # /ata aprovar
    RETURN = "return"  # /ata corrigir NOTE
    DRAFT = "draft"  # /ata rascunho
    STATUS = "status"  # /ata
    DELIVER = "deliver"  # /ata TEXT, or a file with the caption /ata


@dataclass(frozen=True)
class AtaCommand:
    action: AtaAction
    note: str = ""  # what must be corrected (RETURN)
    day: str = ""  # the meeting's day, as typed (APPROVE, RETURN), to say which ata


# "08/12", "8/12/2026", "dia 08/12": the day of the meeting whose ata is meant.
_MEETING_DAY = re.compile(r"^(?:dia\s+)?\d{1,2}/\d{1,2}(?:/\d{2}(?:\d{2})?)?$", re.IGNORECASE)


def parse_command(args: str, *, has_file: bool) -> AtaCommand:
    """``/ata`` followed by ``aprovar [DAY]``, ``corrigir [DAY] NOTE``, ``rascunho``, nothing
    or the ata. An ata's text that happens to begin with "aprovar" is delivered."""
    verb, _sep, rest = args.strip().partition(" ")
    rest = rest.strip()
    if name_key(verb) == "aprovar" and (not rest or _MEETING_DAY.match(rest)):
        return AtaCommand(AtaAction.APPROVE, day=rest)
    if name_key(verb) == "corrigir":
        first, _sep, note = rest.partition(" ")
        if _MEETING_DAY.match(first):
            return AtaCommand(AtaAction.RETURN, note.strip(), day=first)
        return AtaCommand(AtaAction.RETURN, rest)
    if name_key(verb) == "rascunho" and not rest:
        return AtaCommand(AtaAction.DRAFT)
    if not has_file and not args.strip():
        return AtaCommand(AtaAction.STATUS)
    return AtaCommand(AtaAction.DELIVER)


def require_coordinator(is_coordinator: bool, command: str) -> None:
    """Approving and returning an ata are the coordination's."""
    if not is_coordinator:
        raise UserError(N_("Only the network's coordination can use /{name}."), name=command)


class Authored(Protocol):
    @property
    def author_sector_id(self) -> int | None: ...


A = TypeVar("A", bound=Authored)


def delivery_target(pending: Sequence[A], sector_id: int | None, *, is_coordinator: bool) -> A:
    """Which of the pending atas (oldest meeting first) a delivery is for: the newest one;
    for the coordination, the newest one its own sector writes, if any."""
    if not pending:
        raise UserError(N_("There is no ata waiting for your sector."), example=ATA_EXAMPLE)
    if not is_coordinator:
        return pending[-1]
    return next((a for a in reversed(pending) if a.author_sector_id == sector_id), pending[-1])


def check_file_name(name: str) -> None:
    """An ata's file: of a kind whose text can be read, and a name that fits its column
    and holds no family's data (it is sent back as the file's name)."""
    if not name.lower().endswith(ATA_FILES):
        raise UserError(N_("Send the ata as PDF, DOCX or ODT (or as text)."), example=ATA_EXAMPLE)
    check_length(name, privacy.MAX_FILE_NAME, N_("the file's name"))
    try:
        privacy.screen_file_name(name)
    except privacy.PersonalDataError as error:  # said of the file's name
        raise UserError(
            N_(
                "I did not keep this file: its name has {kinds}. Rename the file (use case "
                "codes, e.g. CASO-2025-014) and send it again."
            ),
            example=ATA_EXAMPLE,
            kinds=error.params["kinds"],
        ) from None


def check_file_size(content: bytes) -> None:
    if len(content) > MAX_ATA_FILE:
        raise UserError(N_("The file is too large (10 MB at most)."), example=ATA_EXAMPLE)


def is_text_file(name: str) -> bool:
    """A .txt ata is kept as its text; other files are kept as they came."""
    return name.lower().endswith(".txt")


def check_text(text: str) -> None:
    """A typed ata: long enough, and without personal identifiers."""
    if len(text) < MIN_ATA_TEXT:
        raise UserError(N_("The ata seems too short."), example=ATA_EXAMPLE)
    privacy.screen(text)


def check_file_text(name: str, content: bytes) -> None:
    """An ata sent as a PDF, DOCX or ODT file: its text could be read (so it can be
    checked), and it holds no personal identifiers. A scan without text, or a protected
    file, is refused. (Slow on a long file: the service runs it in a thread.)"""
    text = file_text.text_of(name, content)
    if text is None or len(text.strip()) < MIN_ATA_TEXT:
        raise UserError(
            N_(
                "I could not read the text of this file, so I cannot check it for personal "
                "data (is it a scan, or protected by a password?). Send a PDF with text, a "
                "DOCX or an ODT, or type the ata after /ata."
            ),
            example=ATA_EXAMPLE,
        )
    privacy.screen(text)


def check_correction(note: str) -> None:
    """What the coordination asks to correct: said, and without personal identifiers."""
    if not note:
        raise UserError(
            N_("Say what must be corrected."),
            example="/ata corrigir faltou a lista de encaminhamentos",
        )
    privacy.screen(note)


def sha256(content: bytes) -> str:
    """The approved ata's fingerprint, printed in the atas book."""
    return hashlib.sha256(content).hexdigest()


# Issue 14: messages show a short code; the atas book prints it beside the full SHA-256.
CODE_LENGTH = 10


def verification_code(sha256_hex: str) -> str:
    """The first CODE_LENGTH hex digits of the SHA-256, in two groups: "3F2A9-C1B07"."""
    head = sha256_hex[:CODE_LENGTH].upper()
    half = len(head) // 2
    return f"{head[:half]}-{head[half:]}"


def parse_year(text: str, default: int) -> int:
    """``/atas [YEAR]``: four digits, or this year."""
    if not text:
        return default
    year = numbers.year(text)
    if year is None:
        raise UserError(N_("Give the year, like {year}."), example="/atas 2026", year=default)
    return year


@dataclass(frozen=True)
class Due:
    """One scheduled message of a pending ata."""

    key: str
    kind: Kind
    due_at: datetime


def reminders(ata_id: int, first: datetime) -> list[Due]:
    """Reminders at the deadline and daily after it; the coordination hears when it is late."""
    due = [
        Due(f"ata:{ata_id}:remind:{day}", Kind.ATA_REMINDER, first + timedelta(days=day))
        for day in range(DAILY_REMINDERS)
    ]
    late = Due(f"ata:{ata_id}:late", Kind.ATA_LATE, first + timedelta(days=LATE_NOTICE_DAYS))
    return [*due, late]


def scheduled_prefix(ata_id: int) -> str:
    """The keys of every scheduled message of one ata (cancelled once it is delivered)."""
    return f"ata:{ata_id}:"


# --- the draft ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DraftReferral:
    code: str
    sectors: tuple[str, ...]
    deadline: date
    description: str


@dataclass(frozen=True)
class AtaDraft:
    """What the ata's skeleton shows: the meeting, who came, the roles, the encaminhamentos."""

    kind: str
    starts_at: datetime
    timezone: str
    place: str
    justification: str | None
    topic: str | None
    present: tuple[tuple[str, tuple[str, ...]], ...]  # (sector, its people), by sector
    absent: tuple[str, ...]
    roles: tuple[tuple[str, str], ...]  # (role, sector)
    referrals: tuple[DraftReferral, ...]


def draft_text(draft: AtaDraft) -> str:
    """The skeleton the author fills in (sent when the roles are named, and by /ata rascunho)."""
    lines = [*_draft_header(draft), *_draft_people(draft)]
    lines += [
        _("{role}: {sector}").format(role=first_upper(role_name(role)), sector=sector)
        for role, sector in draft.roles
    ]
    lines += ["", _("Discussions:"), "", _("Encaminhamentos (sector, deadline):")]
    lines += [_referral_line(referral) for referral in draft.referrals]
    discussed = discussed_cases(draft)
    if discussed:
        lines += ["", _("Cases discussed: {codes}").format(codes=", ".join(discussed))]
    lines += [
        "",
        _("Deliver it with /ata followed by the text, or send the file with the caption /ata."),
        _("/ata rascunho sends this draft again, with the encaminhamentos recorded so far."),
    ]
    return "\n".join(lines)


def discussed_cases(draft: AtaDraft) -> list[str]:
    """The case codes on the meeting's pauta or justification and in its encaminhamentos."""
    return codes_in(draft.topic, draft.justification, *(r.description for r in draft.referrals))


def _draft_header(draft: AtaDraft) -> list[str]:
    lines = [
        _("Draft of the ata — {kind} of {when}").format(
            kind=kind_name(draft.kind),
            when=dates.format_when(draft.starts_at, draft.timezone, with_year=True),
        ),
        _("Place: {place}").format(place=draft.place),
    ]
    if draft.justification:
        lines.append(_("Justificativa: {text}").format(text=draft.justification))
    lines.append(_("Agenda: {topic}").format(topic=draft.topic or "—"))
    return lines


def _draft_people(draft: AtaDraft) -> list[str]:
    present = "; ".join(
        f"{sector} ({', '.join(names)})" if names else sector for sector, names in draft.present
    )
    lines = [_("Present: {who}").format(who=present or _("(the presence list is empty)"))]
    if draft.absent:
        lines.append(_("Absent: {sectors}").format(sectors=", ".join(draft.absent)))
    return lines


def _referral_line(referral: DraftReferral) -> str:
    return (
        f"• {referral.code} — {', '.join(referral.sectors)} — "
        f"{dates.format_date(referral.deadline, with_year=True)}: {referral.description}"
    )
