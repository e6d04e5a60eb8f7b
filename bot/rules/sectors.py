"""Sectors by the names people type: finding one, and the changes the coordination asks."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from bot.errors import UserError
from bot.i18n import N_
from bot.i18n import gettext as _
from bot.rules.names import name_key

CHANGE_EXAMPLE = "/setores adicionar CAPS  ·  /setores renomear CMEI | CMEI Centro"
MAX_NAME = 80


class Named(Protocol):
    @property
    def key(self) -> str: ...
    @property
    def name(self) -> str: ...


S = TypeVar("S", bound=Named)


def lookup(sectors: Sequence[S], name: str) -> S | None:
    """The sector called ``name`` (accents and case ignored), else the only one whose name
    starts so; None when there is none (or more than one)."""
    key = name_key(name)
    for sector in sectors:
        if sector.key == key:
            return sector
    starts = [s for s in sectors if s.key.startswith(key)] if key else []
    return starts[0] if len(starts) == 1 else None


def find(sectors: Sequence[S], name: str, example: str) -> S:
    """The sector called ``name`` (``lookup``; a close spelling is offered), or a helpful
    error."""
    found = lookup(sectors, name)
    if found is not None:
        return found
    key = name_key(name)
    close = difflib.get_close_matches(key, [s.key for s in sectors], n=1, cutoff=0.75)
    hint = ""
    if close:
        match = next(s for s in sectors if s.key == close[0])
        hint = _(" Did you mean {name}?").format(name=match.name)
    raise UserError(
        N_("There is no sector called {name} in this network.{hint} Sectors: {sectors}."),
        example=example,
        name=name,
        hint=hint,
        sectors=", ".join(s.name for s in sectors),
    )


# Words that say nothing about which sector a name means.
_FILLERS = frozenset(
    {"a", "o", "as", "os", "de", "da", "do", "das", "dos", "e", "em", "na", "no", "para"}
)
PLAUSIBLE_CUTOFF = 0.72


def _initials(key: str) -> str:
    return "".join(word[0] for word in key.split() if word not in _FILLERS)


def _likeness(key: str, sector_key: str) -> float:
    """How much the name ``key`` looks like ``sector_key`` (0 when not at all): a close
    spelling, the sector's initials ("C.T." for "conselho tutelar"), or a word in common
    ("secretaria de saude" and "saude")."""
    spelling = difflib.SequenceMatcher(None, key, sector_key).ratio()
    score = spelling if spelling >= PLAUSIBLE_CUTOFF else 0.0
    bare = "".join(ch for ch in key if ch.isalnum())  # "C.T." → "ct"
    if len(bare) >= 2 and " " in sector_key and bare == _initials(sector_key):
        score = max(score, 0.9)
    words = {w for w in key.split() if w not in _FILLERS and len(w) >= 3}
    shared = words & {w for w in sector_key.split() if w not in _FILLERS}
    if shared:
        score = max(score, 0.5 + 0.1 * len(shared))
    return score


def plausible(sectors: Sequence[S], name: str, most: int = 3) -> list[S]:
    """Up to ``most`` sectors that ``name`` (which ``lookup`` did not find) may mean, the
    likeliest first: for a person to choose among, never chosen on their own."""
    key = name_key(name)
    scored = [(_likeness(key, s.key), s) for s in sectors]
    ranked = sorted((pair for pair in scored if pair[0] > 0), key=lambda p: (-p[0], p[1].key))
    return [sector for _score, sector in ranked[:most]]


def find_all(sectors: Sequence[S], text: str, example: str) -> list[S]:
    """ "CRAS, CREAS" → those sectors, in the order written (empty pieces skipped)."""
    return [find(sectors, piece.strip(), example) for piece in text.split(",") if piece.strip()]


@dataclass(frozen=True)
class AddSector:
    name: str


@dataclass(frozen=True)
class RenameSector:
    old: str
    new: str


def parse_change(args: str) -> AddSector | RenameSector:
    """``adicionar <nome>`` or ``renomear <antigo> | <novo>`` (after /setores)."""
    verb, _sep, rest = args.partition(" ")
    if name_key(verb) in {"adicionar", "add", "novo"}:
        name = " ".join(rest.split())
        if not name or len(name) > MAX_NAME:
            raise UserError(
                N_("Give the new sector's name (up to 80 letters)."), example=CHANGE_EXAMPLE
            )
        return AddSector(name)
    if name_key(verb) in {"renomear", "rename"}:
        parts = [part.strip() for part in rest.split("|")]
        if len(parts) != 2 or not all(parts) or len(parts[1]) > MAX_NAME:
            raise UserError(N_("Write the old name, a | and the new name."), example=CHANGE_EXAMPLE)
        return RenameSector(parts[0], " ".join(parts[1].split()))
    raise UserError(
        N_("I did not understand what to change in the sectors."), example=CHANGE_EXAMPLE
    )
