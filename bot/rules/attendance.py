"""Attendance arithmetic: per-sector presence, quorum, absence streaks (PRODUCT.md §3)."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TypeVar

from bot.errors import UserError
from bot.i18n import N_, Np_, gettext
from bot.rules import dates, numbers
from bot.rules import sectors as sector_rules
from bot.rules.names import name_key
from bot.rules.sectors import Named

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
# How much of the question's text is kept to recognise a reply quoting it.
ASKED = 24
MAX_REASON = 300


def absence_reason(text: str) -> str:
    """The reason someone typed after "não vou", on one line ("" when they sent nothing);
    refused when it is longer than a short sentence."""
    reason = " ".join(text.split())
    if len(reason) > MAX_REASON:
        raise UserError(
            Np_(
                "Please keep it short: at most {n} character.",
                "Please keep it short: at most {n} characters.",
            ),
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


PRESENCE_EXAMPLE = (
    "/presenca  ·  /presenca + Saúde Mental, @ana  ·  /presenca fechar  ·  /presenca lista"
)
MARK_EXAMPLE = "/presenca + Saúde Mental, Helena, @ana"


def parse_presence(args: str) -> PresenceCommand:
    """ "", "abrir", "+ @ana", "- Saúde Mental", "fechar", "lista" → what to do."""
    text = args.strip()
    if text[:1] in {"+", "-"}:
        word, rest = text[:1], text[1:]
    else:
        word, _sep, rest = text.partition(" ")
    verb = _PRESENCE_VERBS.get(word.lower())
    if verb is None:
        raise UserError(
            N_("I did not understand what to do with the presence list."),
            example=PRESENCE_EXAMPLE,
        )
    return PresenceCommand(verb, rest.strip())


# --- whom "/presenca + …" names ---------------------------------------------------------


# Sectors and people, each by the name people type (Named: its ``key`` and ``name``).
S = TypeVar("S", bound=Named)
P = TypeVar("P", bound=Named)

_SEPARATORS = re.compile(r"[,;\n]")
# A lone "e" between two mentions ("@ana e @bruno") names nobody.
_JOINERS = {"e", "and", "y", "&"}


@dataclass(frozen=True)
class Piece:
    """One item of "/presenca + …": a person the platform says the message mentions
    (``mention``: their index among the mentions), or a text to read (a sector, a name,
    an @username)."""

    text: str
    mention: int | None = None


def pieces(text: str, written: Sequence[str]) -> list[Piece]:
    """Cut "Helena, Saúde Mental" into its items, in the order written: each mention
    where its text (``written``, one per mention) stands, the rest split at commas. A
    mention whose text is not found still counts (the platform says it is there)."""
    spans: list[tuple[int, int, int]] = []
    unplaced: list[int] = []
    for index, form in enumerate(written):
        start = _free_place(text, form, spans) if form else -1
        if start < 0:
            unplaced.append(index)
        else:
            spans.append((start, start + len(form), index))
    found: list[Piece] = []
    cursor = 0
    for start, end, index in sorted(spans):
        found += _text_pieces(text[cursor:start])
        found.append(Piece(text[start:end], index))
        cursor = end
    found += _text_pieces(text[cursor:])
    return found + [Piece("", index) for index in unplaced]


def _free_place(text: str, form: str, taken: Sequence[tuple[int, int, int]]) -> int:
    """Where ``form`` first stands in ``text`` outside the ``taken`` spans (-1: nowhere)."""
    start = text.find(form)
    while start >= 0 and any(a < start + len(form) and start < b for a, b, _i in taken):
        start = text.find(form, start + 1)
    return start


def _text_pieces(text: str) -> list[Piece]:
    items = (" ".join(part.split()) for part in _SEPARATORS.split(text))
    return [Piece(item) for item in items if item and name_key(item) not in _JOINERS]


def read_names(text: str, sectors: Sequence[S], people: Sequence[P]) -> list[S | P]:
    """What one typed item names: a sector ("saude mental" → Saúde Mental; the exact name
    wins over a longer one it begins), a person by her name ("Helena" → Helena Souza),
    or several written without commas ("CRAS CREAS Saúde Mental", longest names first).
    Several things one item may mean are asked about; an unknown name is said whole."""
    found = _called(text, sectors, people)
    if len(found) == 1:
        return found
    if found:
        if all(thing in sectors for thing in found):
            raise sector_rules.several(found, text, MARK_EXAMPLE)
        raise UserError(
            N_("{name} could be: {options}. Write the whole name, or mention the person."),
            example=MARK_EXAMPLE,
            name=text,
            options=", ".join(thing.name for thing in found),
        )
    longest = max((len(t.key.split()) for t in (*sectors, *people)), default=0)
    split = _longest_first(name_key(text).split(), sectors, people, longest)
    if split is not None and len(split) > 1:
        return split
    raise UserError(
        N_(
            "I don't know {name} yet: it is not a sector of this network nor anyone who "
            "told their sector with /setor.{hint} The sectors and their people: /setores"
        ),
        example=MARK_EXAMPLE,
        name=text,
        hint=sector_rules.close_hint([*sectors, *people], text),
    )


def _called(text: str, sectors: Sequence[S], people: Sequence[P]) -> list[S | P]:
    """Exactly so named (a sector before a person), else whatever the name begins."""
    key = name_key(text)
    if not key:
        return []
    exact = _exactly(key, sectors, people)
    if exact:
        return exact
    begun: list[S | P] = [*sector_rules.matches(sectors, text)]
    return begun + [p for p in people if (" " + p.key).find(" " + key) >= 0]


def _exactly(key: str, sectors: Sequence[S], people: Sequence[P]) -> list[S | P]:
    """What is called ``key`` exactly: a sector, else people."""
    found: list[S | P] = [s for s in sectors if s.key == key]
    return found or [p for p in people if p.key == key]


def _longest_first(
    words: Sequence[str], sectors: Sequence[S], people: Sequence[P], longest: int
) -> list[S | P] | None:
    """Words → the exact names they spell, the longest name first at each step; None
    when some words spell nothing (or a name of two people)."""
    found: list[S | P] = []
    at = 0
    while at < len(words):
        for size in range(min(longest, len(words) - at), 0, -1):
            key = " ".join(words[at : at + size])
            exact = _exactly(key, sectors, people)
            if len(exact) == 1:
                found.append(exact[0])
                at += size
                break
        else:
            return None
    return found


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


def names_the_meeting(text: str, local_start: datetime) -> bool:
    """Whether ``text`` (a quoted message of the bot) names this meeting: its day
    ("08/12") and its hour ("14h") as the cards write them."""
    day = dates.format_date(local_start.date(), with_year=False)
    return day in text and dates.format_time(local_start.time()) in text


def quotes_another(replied: str, asked: str) -> bool:
    """Whether a reply quotes a message other than the question whose start is ``asked``
    (a reply quoting nothing, or a question kept without its text, answers it)."""
    replied = replied.strip()
    if not replied or not asked:
        return False
    return not (replied.startswith(asked) or asked.startswith(replied))
