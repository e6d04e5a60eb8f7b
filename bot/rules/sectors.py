"""Sectors by the names people type: finding one, and the changes the coordination asks."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from bot.errors import Listing, UserError
from bot.i18n import N_
from bot.i18n import gettext as _
from bot.rules import privacy
from bot.rules.names import name_key

# Not "adicionar CAPS": CAPS is the default abbreviation of Saúde Mental (refused).
ADD_EXAMPLE = "/setores adicionar CAPS AD"
CHANGE_EXAMPLE = (
    f"{ADD_EXAMPLE}  ·  /setores renomear CMEI | CMEI Centro  ·  /setores remover SEJUDH"
)
REMOVE_EXAMPLE = "/setores remover SEJUDH"
MAX_NAME = 80


class Named(Protocol):
    @property
    def key(self) -> str: ...
    @property
    def name(self) -> str: ...


S = TypeVar("S", bound=Named)


# Abbreviations people use for sectors a network has under their full names (issue 14),
# each with the names it may stand for, the first the network has winning ("SMS" is the
# Secretaria Municipal de Saúde, or the sector called Saúde). They count unless the network
# gave the abbreviation to another sector (/setores sigla).
DEFAULT_ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    "pm": ("policia militar",),
    "pc": ("policia civil",),
    "mp": ("ministerio publico",),
    "ct": ("conselho tutelar",),
    "ubs": ("unidade basica de saude",),
    "caps": ("centro de atencao psicossocial", "saude mental"),
    "sms": ("secretaria municipal de saude", "saude"),
    "semed": ("secretaria municipal de educacao", "educacao"),
    "visa": ("vigilancia sanitaria",),
}
ABBREVIATION_EXAMPLE = "/setores sigla PM Polícia Militar  ·  /setores sigla remover PM"
MAX_ABBREVIATION = 12


def abbreviations_of(sector: Named) -> tuple[str, ...]:
    """The keys of the other names the network gave ``sector`` (none for a plain name)."""
    return tuple(getattr(sector, "abbreviations", ()))


def by_abbreviation(sectors: Sequence[S], key: str) -> list[S]:
    """The sector the network calls ``key`` ("pm"), else the one a default abbreviation
    names ("pm" → Polícia Militar, when the network has it under that name)."""
    given = [s for s in sectors if key in abbreviations_of(s)]
    if given:
        return given
    for full in DEFAULT_ABBREVIATIONS.get(key, ()):
        found = [s for s in sectors if s.key == full]
        if found:
            return found
    return []


def abbreviation_of(sectors: Sequence[S], key: str) -> list[S]:
    """The sectors the abbreviation ``key`` names, written with dots or not ("c.t.")."""
    return by_abbreviation(sectors, key) or by_abbreviation(sectors, key.replace(".", ""))


def matches(sectors: Sequence[S], name: str, *, abbreviated: bool = True) -> list[S]:
    """The sectors ``name`` may mean: the one called so (accents and case ignored), else
    the one it abbreviates ("PM", "C.T.": unless not ``abbreviated``), else those whose
    name begins so ("Saúde" is Saúde even beside Saúde Mental)."""
    key = name_key(name)
    exact = [s for s in sectors if s.key == key]
    if exact or not key:
        return exact
    short = abbreviation_of(sectors, key) if abbreviated else []
    if short:
        return short
    return [s for s in sectors if s.key.startswith(key)]


def defaults_for(sectors: Sequence[S]) -> list[tuple[str, S]]:
    """The default abbreviations that name one of ``sectors`` (for the list)."""
    found = []
    for short in DEFAULT_ABBREVIATIONS:
        named = by_abbreviation([s for s in sectors if short not in abbreviations_of(s)], short)
        found += [(short.upper(), s) for s in named]
    return found


@dataclass(frozen=True)
class AddAbbreviation:
    abbreviation: str
    sector: str


@dataclass(frozen=True)
class RemoveAbbreviation:
    abbreviation: str


@dataclass(frozen=True)
class ListAbbreviations:
    pass


def parse_abbreviation(
    rest: str,
) -> AddAbbreviation | RemoveAbbreviation | ListAbbreviations:
    """After ``/setores sigla``: ``PM Polícia Militar``, ``remover PM``, or nothing."""
    words = rest.split()
    if not words:
        return ListAbbreviations()
    if name_key(words[0]) in {"remover", "excluir", "remove"}:
        if len(words) != 2:
            raise UserError(N_("Write the abbreviation to remove."), example=ABBREVIATION_EXAMPLE)
        return RemoveAbbreviation(_abbreviation(words[1]))
    if len(words) < 2:
        raise UserError(
            N_("Write the abbreviation and then the sector's name."),
            example=ABBREVIATION_EXAMPLE,
        )
    return AddAbbreviation(_abbreviation(words[0]), " ".join(words[1:]))


def _abbreviation(word: str) -> str:
    bare = word.replace(".", "")
    if not bare.isalnum() or len(bare) > MAX_ABBREVIATION:
        raise UserError(
            N_("An abbreviation is one word of letters and digits, up to 12 (like PM or CAPS)."),
            example=ABBREVIATION_EXAMPLE,
        )
    return bare.upper()


def close_hint(things: Sequence[Named], name: str) -> str:
    """ " Did you mean Saúde?" when ``name`` is a close spelling of one of ``things``."""
    close = difflib.get_close_matches(name_key(name), [t.key for t in things], n=1, cutoff=0.75)
    if not close:
        return ""
    match = next(t for t in things if t.key == close[0])
    return _(" Did you mean {name}?").format(name=match.name)


def several(found: Sequence[Named], name: str, example: str) -> UserError:
    """The question when ``name`` begins the names of several sectors."""
    return UserError(
        N_("{name} could be more than one sector: {options}. Write the whole name."),
        example=example,
        name=name,
        options=Listing(", ".join(s.name for s in found)),
    )


def lookup(sectors: Sequence[S], name: str) -> S | None:
    """The sector called ``name`` (accents and case ignored), else the only one whose name
    starts so; None when there is none (or more than one). A plan's table (its only user)
    names sectors its own way: the coordination decides each abbreviation it uses once
    (bot.rules.plans), so the default ones do not answer for it."""
    found = matches(sectors, name, abbreviated=False)
    return found[0] if len(found) == 1 else None


def find(sectors: Sequence[S], name: str, example: str) -> S:
    """The sector called ``name`` (accents and case ignored; a unique prefix or a close
    spelling is offered), or a helpful error; a prefix of several is asked about."""
    found = matches(sectors, name)
    if len(found) == 1:
        return found[0]
    if found:
        raise several(found, name, example)
    raise UserError(
        N_("There is no sector called {name} in this network.{hint} Sectors: {sectors}."),
        example=example,
        name=name,
        hint=close_hint(sectors, name),
        sectors=Listing(", ".join(s.name for s in sectors)),
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


@dataclass(frozen=True)
class RemoveSector:
    name: str


@dataclass(frozen=True)
class ListPending:
    """``/setores pendentes``: the declarations waiting for the coordination."""


def _one_name(name: str, example: str) -> None:
    """A sector's name is written in lists of sectors ("Saúde, CRAS") and after a bar:
    one with a comma or a bar could never be named again."""
    if "," in name or "|" in name or ";" in name:
        raise UserError(
            N_("One sector at a time, and a sector's name has no comma: {name}"),
            example=example,
            name=name,
        )


def parse_change(
    args: str,
) -> (
    AddSector
    | RenameSector
    | RemoveSector
    | ListPending
    | AddAbbreviation
    | RemoveAbbreviation
    | ListAbbreviations
):
    """``adicionar <nome>``, ``renomear <antigo> | <novo>``, ``remover <nome>`` or
    ``pendentes`` (after /setores); a new name is screened for personal data (it is shown
    in every list)."""
    verb, _sep, rest = args.partition(" ")
    if name_key(verb) in {"pendentes", "pendente", "pending"} and not rest.strip():
        return ListPending()
    if name_key(verb) in {"sigla", "siglas", "abreviacao", "abreviacoes"}:
        return parse_abbreviation(rest)
    if name_key(verb) in {"adicionar", "add", "novo"}:
        name = " ".join(rest.split())
        if not name or len(name) > MAX_NAME:
            raise UserError(
                N_("Give the new sector's name (up to 80 letters)."), example=CHANGE_EXAMPLE
            )
        privacy.screen(name)
        _one_name(name, ADD_EXAMPLE)
        return AddSector(name)
    if name_key(verb) in {"renomear", "rename"}:
        parts = [part.strip() for part in rest.split("|")]
        if len(parts) != 2 or not all(parts) or len(parts[1]) > MAX_NAME:
            raise UserError(N_("Write the old name, a | and the new name."), example=CHANGE_EXAMPLE)
        privacy.screen(parts[1])
        _one_name(parts[1], CHANGE_EXAMPLE)
        return RenameSector(parts[0], " ".join(parts[1].split()))
    if name_key(verb) in {"remover", "excluir", "remove"}:
        name = " ".join(rest.split())
        if not name:
            raise UserError(N_("Give the name of the sector to remove."), example=REMOVE_EXAMPLE)
        return RemoveSector(name)
    raise UserError(
        N_("I did not understand what to change in the sectors."), example=CHANGE_EXAMPLE
    )
