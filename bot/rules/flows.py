"""The network's flow and protocol documents, with versions (seed 000 §6: "Fluxos de
atendimento atualizados"; issue 15).

Pure: plain data in, plain data out. A document (fluxo de atendimento, de comunicação, a
protocolo) has versions 1, 2, 3…; a new version is "em revisão" until the coordination
approves it at a meeting, then it is the current one and the one before stays in the
history. The current version is due for review a number of months (the network's
setting, 12 by default) after the day of the meeting that approved it.
"""

from __future__ import annotations

import calendar
import hashlib
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.errors import UserError, check_length
from bot.i18n import N_
from bot.rules import file_text, numbers, privacy
from bot.rules.names import name_key

FLOW_EXAMPLE = "/fluxo Fluxo de atendimento"
UPLOAD_EXAMPLE = "/fluxo Fluxo de atendimento | CREAS (na legenda do arquivo)"
APPROVE_EXAMPLE = "/fluxo aprovar Fluxo de atendimento"
HISTORY_EXAMPLE = "/fluxo Fluxo de atendimento historico"
SETTING_EXAMPLE = "/fluxos revisao 12"
FLOW_FILES = (".pdf", ".docx", ".odt")
MAX_FLOW_FILE = 10 * 1024 * 1024
MAX_NAME = 120
MIN_FLOW_TEXT = 20
DEFAULT_REVIEW_MONTHS = 12
MAX_REVIEW_MONTHS = 60
# The yearly review's reminder goes out at this local hour of its day.
REMINDER_HOUR = 9
# Words of a meeting's topic that make it a meeting about the flows (seed 000 §1:
# "Alinhamento dos fluxos de atendimento", "Revisão de fluxos e protocolos").
FLOW_WORDS = ("fluxo", "protocolo")


class FlowAction(StrEnum):
    """What ``/fluxo ...`` asks for."""

    SEND = "send"  # a file with the caption /fluxo NAME [| SECTOR]
    CURRENT = "current"  # /fluxo NAME: the current version's file
    HISTORY = "history"  # /fluxo NAME historico
    APPROVE = "approve"  # /fluxo aprovar NAME


@dataclass(frozen=True)
class FlowCommand:
    action: FlowAction
    name: str
    sector: str = ""  # the responsible sector named after "|" (SEND only)


_HISTORY_WORDS = frozenset({"historico", "versoes"})


def parse_command(args: str, *, has_file: bool) -> FlowCommand:
    """``/fluxo NAME`` (with a file: a new version, ``| SECTOR`` optional; without: the
    current file), ``/fluxo NAME historico`` or ``/fluxo aprovar NAME``."""
    text = " ".join(args.split())
    if not text:
        raise UserError(
            N_("Say which document: its name after /fluxo. /fluxos lists them."),
            example=UPLOAD_EXAMPLE if has_file else FLOW_EXAMPLE,
        )
    first, _sep, rest = text.partition(" ")
    if name_key(first) == "aprovar":
        if has_file:
            raise UserError(
                N_("A version is approved without a file, at a meeting."),
                example=APPROVE_EXAMPLE,
            )
        return FlowCommand(FlowAction.APPROVE, _checked_name(rest, APPROVE_EXAMPLE))
    if has_file:
        name, _bar, sector = text.partition("|")
        return FlowCommand(FlowAction.SEND, _checked_name(name, UPLOAD_EXAMPLE), sector.strip())
    if "|" in text:
        raise UserError(
            N_("Send the document's file with this caption to send a new version."),
            example=UPLOAD_EXAMPLE,
        )
    head, _sp, last = text.rpartition(" ")
    if head and name_key(last) in _HISTORY_WORDS:
        return FlowCommand(FlowAction.HISTORY, _checked_name(head, HISTORY_EXAMPLE))
    return FlowCommand(FlowAction.CURRENT, _checked_name(text, FLOW_EXAMPLE))


def _checked_name(name: str, example: str) -> str:
    name = name.strip()
    if not name_key(name):
        raise UserError(N_("Say which document: its name after /fluxo."), example=example)
    check_length(name, MAX_NAME, N_("the document's name"))
    privacy.screen(name)
    return name


def check_file_name(name: str) -> None:
    """A flow document's file: of a kind whose text can be read, and a name that fits its
    column and holds no family's data (it is shown in the history and sent back)."""
    if not name.lower().endswith(FLOW_FILES):
        raise UserError(
            N_("Send the flow document as a PDF with text, a DOCX or an ODT file."),
            example=UPLOAD_EXAMPLE,
        )
    check_length(name, privacy.MAX_FILE_NAME, N_("the file's name"))
    try:
        privacy.screen_file_name(name)
    except privacy.PersonalDataError as error:  # said of the file's name
        raise UserError(
            N_(
                "I did not keep this file: its name has {kinds}. Anyone in the group sees "
                "the names of flow documents: rename the file (use case codes, e.g. "
                "CASO-2025-014) and send it again."
            ),
            example=UPLOAD_EXAMPLE,
            kinds=error.params["kinds"],
        ) from None


def check_file_size(content: bytes) -> None:
    if len(content) > MAX_FLOW_FILE:
        raise UserError(N_("The file is too large (10 MB at most)."), example=UPLOAD_EXAMPLE)


def check_file_text(name: str, content: bytes) -> None:
    """A flow document's text could be read, and holds no family's data. Anyone in the
    group can ask for the file, so what cannot be read (a scan, an image, a protected
    PDF) cannot be checked and is refused. (Slow on a long file: run it in a thread.)"""
    text = file_text.text_of(name, content)
    if text is None or len(text.strip()) < MIN_FLOW_TEXT:
        raise UserError(
            N_(
                "I could not read the text of this file, so I cannot check it for personal "
                "data (is it a scan, an image, or protected by a password?). Anyone in the "
                "group can ask for this file: export it from the text editor as PDF, DOCX "
                "or ODT and send it again."
            ),
            example=UPLOAD_EXAMPLE,
        )
    try:
        privacy.screen(text)
    except privacy.PersonalDataError as error:  # said of the file, with this command's form
        raise UserError(
            N_(
                "I did not keep this file: it has {kinds}. Anyone in the group can ask for a "
                "flow document: take out the data of the people served (use case codes, e.g. "
                "CASO-2025-014) and send it again."
            ),
            example=UPLOAD_EXAMPLE,
            kinds=error.params["kinds"],
        ) from None


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def speaks_of_flows(topic: str) -> bool:
    """A meeting whose topic names the flows or protocols reviews them (seed 000 §1)."""
    key = name_key(topic)
    return any(word in key for word in FLOW_WORDS)


def add_months(day: date, months: int) -> date:
    """``day`` ``months`` later; the 31st becomes the month's last day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def review_due(approved_day: date, months: int) -> date:
    """The day the current version is due for review: ``months`` after its approval."""
    return add_months(approved_day, months)


def reminder_at(due: date, tz: str) -> datetime:
    """The review reminder's instant: its day, at REMINDER_HOUR local."""
    return datetime.combine(due, time(REMINDER_HOUR), tzinfo=ZoneInfo(tz))


def is_due(due: date, by: date) -> bool:
    """Due for review on or before ``by`` (a meeting's day)."""
    return due <= by


def reminder_prefix(document_id: int) -> str:
    return f"flow_review:{document_id}:"


def reminder_key(document_id: int, version_id: int) -> str:
    """One reminder per approved version: approving the next one plans a new row."""
    return f"{reminder_prefix(document_id)}{version_id}"


def parse_setting(args: str) -> int | None:
    """``/fluxos revisao 12``: the review period in months (1 to 60); None: no setting
    asked (``/fluxos`` alone lists the documents)."""
    words = args.split()
    if not words:
        return None
    if name_key(words[0]) not in {"revisao", "revisar"} or len(words) != 2:
        raise UserError(
            N_(
                "I did not understand. /fluxos lists the documents; the coordination sets the "
                "review period in months."
            ),
            example=SETTING_EXAMPLE,
        )
    months = numbers.number(words[1])
    if months is None or not 1 <= months <= MAX_REVIEW_MONTHS:
        raise UserError(
            N_("The review period is a number of months, from 1 to 60."), example=SETTING_EXAMPLE
        )
    return months
