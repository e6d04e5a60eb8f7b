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

CHANGE_EXAMPLE = (
    "/setores adicionar CAPS  ·  /setores renomear CMEI | CMEI Centro  ·  /setores remover SEJUDH"
)
REMOVE_EXAMPLE = "/setores remover SEJUDH"
MAX_NAME = 80


class Named(Protocol):
    @property
    def key(self) -> str: ...
    @property
    def name(self) -> str: ...


S = TypeVar("S", bound=Named)


def find(sectors: Sequence[S], name: str, example: str) -> S:
    """The sector called ``name`` (accents and case ignored; a unique prefix or a close
    spelling is offered), or a helpful error."""
    key = name_key(name)
    for sector in sectors:
        if sector.key == key:
            return sector
    starts = [s for s in sectors if s.key.startswith(key)] if key else []
    if len(starts) == 1:
        return starts[0]
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


def parse_change(args: str) -> AddSector | RenameSector | RemoveSector:
    """``adicionar <nome>``, ``renomear <antigo> | <novo>`` or ``remover <nome>`` (after
    /setores)."""
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
    if name_key(verb) in {"remover", "excluir", "remove"}:
        name = " ".join(rest.split())
        if not name:
            raise UserError(N_("Give the name of the sector to remove."), example=REMOVE_EXAMPLE)
        return RemoveSector(name)
    raise UserError(
        N_("I did not understand what to change in the sectors."), example=CHANGE_EXAMPLE
    )
