"""The fair rotation of the meetings' secretary and ata author over sectors (seed 000 §5).

Seed 000 §5 ("Responsabilidades"):

- "Secretaria das reuniões: designada a cada encontro (revezamento)";
- "Elaboração das atas: responsável definido no início de cada reunião".

PRODUCT.md §4 turns this into a fair rotation: who served least, then longest ago,
goes next; absent sectors are skipped and keep their place; declines re-assign.

This module is pure: plain data in, plain data out. It reads no database and no
clock; the caller passes one role's history and this meeting's facts, and calls
``choose`` once per role (passing the first role's pick as ``avoid`` to the second).

Fairness: in a role chosen without ``avoid``, the sectors available at every meeting
(present, not excluded, never declined) never differ by more than one service. One of
them is passed over for a sector with more services only when it served the previous
meeting; it was then the only one of them at its count, so the others are now level
with it. Absences, declines and ``avoid`` can open wider gaps for the sectors involved;
"fewest first" closes them as soon as those sectors are available again.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.errors import UserError
from bot.i18n import N_
from bot.i18n import gettext as _
from bot.rules import numbers
from bot.rules.names import name_key

__all__ = [
    "AUTHOR",
    "KINDS_WITH_ROLES",
    "ROLES",
    "SECRETARY",
    "SWAP_EXAMPLE",
    "Service",
    "Setting",
    "Standing",
    "choose",
    "other_role",
    "parse_setting",
    "parse_swap",
    "role_name",
    "standings",
    "swapped_roles",
    "who_is_there",
]

SECRETARY, AUTHOR = "secretary", "author"
ROLES = (SECRETARY, AUTHOR)
ROLE_NAMES = {SECRETARY: N_("secretary"), AUTHOR: N_("ata")}
# Meetings whose roles rotate (working groups keep their own notes).
KINDS_WITH_ROLES = ("ordinary", "extraordinary")
SWAP_EXAMPLE = "/trocar ata CREAS"
SETTING_EXAMPLE = "/rodizio mesmo-setor sim  ·  /rodizio sem-coordenacao sim  ·  /rodizio prazo 5"
_YES = {"sim": True, "nao": False, "yes": True, "no": False}

# Sorts before any real instant; only used for sectors that never served.
_NEVER = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Service:
    """One time a sector served a role (seed 000 §5: secretary, or ata author).

    ``served_at`` is the meeting's start, an aware datetime. Only services that were
    accepted (the sector served) belong in a history: a decline is not a service.
    """

    sector_id: int
    served_at: datetime


@dataclass(frozen=True)
class Standing:
    """Where a sector stands in one role's rotation (seed 000 §5 "revezamento")."""

    sector_id: int
    count: int  # times served in this role
    last_served: datetime | None  # None: never


def standings(candidates: Sequence[int], history: Sequence[Service]) -> list[Standing]:
    """Candidates in rotation order (seed 000 §5: the secretary is chosen "em revezamento").

    Fewest services first, then the one that served longest ago (never served before
    any that served), then the candidates' given order (ties are broken
    deterministically by their position in ``candidates``).

    Services of sectors that are not candidates are ignored; a candidate listed twice
    keeps its first position. The order of ``history`` does not matter.
    """
    order: dict[int, int] = {}
    for sector in candidates:
        order.setdefault(sector, len(order))
    counts = dict.fromkeys(order, 0)
    last: dict[int, datetime] = {}
    for service in history:
        if service.served_at.tzinfo is None or service.served_at.utcoffset() is None:
            raise ValueError(f"naive served_at for sector {service.sector_id}")
        if service.sector_id not in order:
            continue
        counts[service.sector_id] += 1
        previous = last.get(service.sector_id)
        if previous is None or service.served_at > previous:
            last[service.sector_id] = service.served_at
    ranked = [Standing(sector, counts[sector], last.get(sector)) for sector in order]
    ranked.sort(
        key=lambda s: (
            s.count,
            s.last_served if s.last_served is not None else _NEVER,
            order[s.sector_id],
        )
    )
    return ranked


def choose(
    candidates: Sequence[int],
    history: Sequence[Service],
    *,
    present: Collection[int] | None = None,
    excluded: Collection[int] = (),
    declined: Collection[int] = (),
    last: int | None = None,
    avoid: Collection[int] = (),
) -> int | None:
    """The sector that serves one role at this meeting (seed 000 §5), or None.

    Seed 000 §5: "Secretaria das reuniões: designada a cada encontro (revezamento)";
    "Elaboração das atas: responsável definido no início de cada reunião".

    ``candidates`` are the sectors taking part, in a stable order (e.g. by name);
    ``history`` is this role's past services. Walking ``standings`` order:

    - ``excluded`` sectors (e.g. the coordination's) and ``declined`` ones (they said
      "não posso" for this meeting) are skipped;
    - when ``present`` is given, absent sectors are skipped. They keep their place:
      their count does not grow, so they come first the next time they are present;
    - ``last`` (who served this role at the previous meeting) does not serve twice
      in a row while any other sector can, even one in ``avoid``;
    - a sector not in ``avoid`` (e.g. the one already chosen for the other role) is
      preferred; one in ``avoid`` is taken only when nobody else can serve.

    None when nobody can serve (e.g. everyone declined or was absent).
    """
    able = [
        s.sector_id
        for s in standings(candidates, history)
        if s.sector_id not in excluded
        and s.sector_id not in declined
        and (present is None or s.sector_id in present)
    ]
    if not able:
        return None
    # Serving twice in a row weighs more than doubling up with ``avoid``; ``min`` keeps
    # the first of equals, so within a preference the rotation order decides.
    return min(able, key=lambda sector: (sector == last, sector in avoid))


def role_name(role: str) -> str:
    """The role as the group reads it ("secretaria", "ata")."""
    return _(ROLE_NAMES[role])


def other_role(role: str) -> str:
    return AUTHOR if role == SECRETARY else SECRETARY


def who_is_there(
    present: Collection[int] | None, answers: Iterable[tuple[int, str]]
) -> tuple[set[int] | None, set[int]]:
    """(present, away) for the rotation, from the presence list and the RSVPs.

    ``present``: the sectors of those marked present (None: nobody is marked); ``answers``:
    (sector, RSVP answer) of the representatives who answered the convocation.

    With a presence list, the sectors on it are present. Before anyone taps, nobody is
    known to be present, but a sector whose every answering representative said "não
    vou" is away: it is skipped and keeps its place, as with "Não posso".
    """
    if present is not None:
        return set(present), set()
    given: dict[int, set[str]] = {}
    for sector, answer in answers:
        given.setdefault(sector, set()).add(answer)
    return None, {sector for sector, said in given.items() if said == {"no"}}


def parse_swap(args: str) -> tuple[str | None, str]:
    """``/trocar [secretaria|ata] SECTOR``: (the role or None, the sector's name)."""
    words = args.split()
    role: str | None = None
    if words and name_key(words[0]) in {"secretaria", "secretario", "secretaria(o)"}:
        role, words = SECRETARY, words[1:]
    elif words and name_key(words[0]) in {"ata", "autor", "redacao"}:
        role, words = AUTHOR, words[1:]
    if not words:
        raise UserError(N_("Say the role and the sector."), example=SWAP_EXAMPLE)
    return role, " ".join(words)


def swapped_roles(role: str | None, *, same_sector: bool) -> tuple[str, ...]:
    """The roles a swap changes: the one named, or both when one sector holds both."""
    if role:
        return (role,)
    if same_sector:
        return ROLES
    raise UserError(N_("Which role: secretaria or ata?"), example=SWAP_EXAMPLE)


@dataclass(frozen=True)
class Setting:
    """One rotation setting of the network (``/rodizio KEY VALUE``)."""

    field: str  # the Network attribute
    value: bool | int


def parse_setting(args: Sequence[str]) -> Setting:
    """``/rodizio mesmo-setor sim``, ``sem-coordenacao sim`` or ``prazo 5`` (1 to 60 days)."""
    if len(args) != 2:
        raise UserError(N_("I did not understand the rotation setting."), example=SETTING_EXAMPLE)
    key, value = name_key(args[0]), name_key(args[1])
    if key == "prazo":
        days = numbers.number(value)
        if days is None or not 1 <= days <= 60:
            raise UserError(
                N_("The deadline is a number of days, from 1 to 60."), example=SETTING_EXAMPLE
            )
        return Setting("ata_deadline_days", days)
    if key in {"mesmo-setor", "mesmo"} and value in _YES:
        return Setting("roles_same_sector", _YES[value])
    if key in {"sem-coordenacao", "excluir-coordenacao"} and value in _YES:
        return Setting("rotation_skips_coordination", _YES[value])
    raise UserError(N_("I did not understand the rotation setting."), example=SETTING_EXAMPLE)
