"""Attendance arithmetic: per-sector presence, quorum, absence streaks (PRODUCT.md §3)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from bot.errors import UserError
from bot.i18n import N_, gettext
from bot.rules import numbers

ABSENCE_STREAK = 3


def quorum_needed(expected_sectors: int, setting: int | None) -> int:
    """The network's quorum, or half of the expected sectors (rounded up)."""
    if setting is not None:
        return max(1, min(setting, expected_sectors)) if expected_sectors else setting
    return math.ceil(expected_sectors / 2)


def sectors_present(present_sector_ids: Iterable[int | None]) -> set[int]:
    """A sector is present when any of its representatives is."""
    return {sector for sector in present_sector_ids if sector is not None}


def absence_streaks(
    history: Sequence[tuple[set[int], set[int]]], *, streak: int = ABSENCE_STREAK
) -> set[int]:
    """Sectors absent from the last ``streak`` meetings where they were expected.

    ``history`` is ordered oldest first: one (expected, present) pair per meeting
    whose presence list was closed.
    """
    counts: dict[int, int] = {}
    reported: set[int] = set()
    for expected, present in history:
        for sector in expected:
            counts[sector] = 0 if sector in present else counts.get(sector, 0) + 1
    for sector, count in counts.items():
        if count >= streak:
            reported.add(sector)
    return reported


# --- the reason after "não vou" ------------------------------------------------------

REASON_QUESTION = "rsvp_reason"
MAX_REASON = 300


def absence_reason(text: str) -> str:
    """The reason someone typed after "não vou", on one line ("" when they sent nothing);
    refused when it is longer than a short sentence."""
    reason = " ".join(text.split())
    if len(reason) > MAX_REASON:
        raise UserError(
            N_("Please keep it short: at most {n} letters."),
            example=gettext("mandatory training at the health department"),
            n=MAX_REASON,
        )
    return reason


# --- /presenca and /quorum -----------------------------------------------------------


class PresenceVerb(StrEnum):
    """What /presenca is asked to do."""

    OPEN = "open"
    MARK = "mark"
    UNMARK = "unmark"
    CLOSE = "close"
    FILES = "files"


_PRESENCE_VERBS = {
    "": PresenceVerb.OPEN,
    "abrir": PresenceVerb.OPEN,
    "+": PresenceVerb.MARK,
    "-": PresenceVerb.UNMARK,
    "fechar": PresenceVerb.CLOSE,
    "lista": PresenceVerb.FILES,
}


@dataclass(frozen=True)
class PresenceCommand:
    """/presenca's arguments: the verb, and the rest (whom to mark)."""

    verb: PresenceVerb
    rest: str


def parse_presence(args: str) -> PresenceCommand:
    """ "", "abrir", "+ @ana", "- @ana", "fechar", "lista" → what to do."""
    word, _sep, rest = args.strip().partition(" ")
    verb = _PRESENCE_VERBS.get(word.lower())
    if verb is None:
        raise UserError(N_("I did not understand what to do with the presence list."))
    return PresenceCommand(verb, rest.strip())


QUORUM_DEFAULT_WORDS = {"metade", "padrao", "padrão"}


def parse_quorum(text: str) -> int | None:
    """ "6" → 6 sectors; "metade" → None (half of the sectors); anything else is refused."""
    if text.lower() in QUORUM_DEFAULT_WORDS:
        return None
    quorum = numbers.number(text)
    if quorum is None or not 1 <= quorum <= 100:
        raise UserError(N_("Give the number of sectors needed, like 6."), example="/quorum 6")
    return quorum


# --- counting a meeting's sectors ----------------------------------------------------


@dataclass(frozen=True)
class SectorCount:
    """Expected sectors of a meeting against those present (or confirmed)."""

    counted: int
    expected: int
    missing: tuple[str, ...]


def count_sectors(expected: Sequence[tuple[int, str]], found: Iterable[int | None]) -> SectorCount:
    """How many of the ``expected`` (id, name) sectors are among ``found``, and which are not."""
    ids = sectors_present(found) & {sector_id for sector_id, _name in expected}
    return SectorCount(
        counted=len(ids),
        expected=len(expected),
        missing=tuple(name for sector_id, name in expected if sector_id not in ids),
    )


def quorum_short(count: SectorCount, setting: int | None) -> int | None:
    """The quorum the confirmed sectors fall short of, or None when it is reached (or
    no sector is expected)."""
    needed = quorum_needed(count.expected, setting)
    if not count.expected or count.counted >= needed:
        return None
    return needed


def by_sector(attendees: Iterable[tuple[str, str]]) -> list[tuple[str, list[str]]]:
    """(sector, name) pairs in marking order → the names under each sector, sectors sorted."""
    grouped: dict[str, list[str]] = {}
    for sector, name in attendees:
        grouped.setdefault(sector, []).append(name)
    return sorted(grouped.items())
