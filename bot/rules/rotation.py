"""The fair rotation of the meetings' secretary and ata author over sectors (seed 000 §5).

Seed 000 §5 ("Responsabilidades"):

- "Secretaria das reuniões: designada a cada encontro (revezamento)";
- "Elaboração das atas: responsável definido no início de cada reunião".

PRODUCT.md §4 turns this into a fair rotation: who served least, then longest ago,
goes next; absent sectors are skipped and keep their place; declines re-assign.

This module is pure: plain data in, plain data out. It reads no database and no
clock; the caller passes the history of both roles and this meeting's facts, and calls
``choose`` once per role (passing the first role's pick as ``avoid`` to the second).

Who can serve (``who_can_serve``): the sectors marked present on the presence list; with
nobody marked, the sectors that confirmed ("vou"), less those on an absence streak (the
rule /presenca fechar warns about). Roles are therefore named some minutes into the
presence list, or half an hour after the start when no list was opened (``roles_due``).

The order (``standings``): a service is a service in either role, so a sector that took
the ata last time has served. Fewest services in the year first (a sector that never
served goes before any that did), then fewer services in this role (so the two roles
take turns), then the one that served longest ago (in any year: the cycle goes on across
New Year instead of starting again from A), then the names in Portuguese order (accents
and case ignored: "Ação Social" before "Acolhimento", "Conselho Tutelar" before "CRAS").

Fairness: the sectors available at every meeting (able to serve, never declined) stay
within one service of each other over the year, whatever the others do; a sector that
served at the previous meeting does not serve again while another can; one sector holds
both roles only when nobody else can.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.errors import UserError
from bot.i18n import N_
from bot.i18n import gettext as _
from bot.rules import numbers
from bot.rules.names import collation_key, name_key

__all__ = [
    "AUTHOR",
    "KINDS_WITH_ROLES",
    "ROLES",
    "ROLES_AFTER_LIST",
    "ROLES_WITHOUT_LIST",
    "SECRETARY",
    "SWAP_EXAMPLE",
    "SWAP_EXAMPLES",
    "Candidate",
    "Pool",
    "PoolSource",
    "Service",
    "Setting",
    "Standing",
    "choose",
    "other_role",
    "parse_setting",
    "parse_swap",
    "previous_servers",
    "role_name",
    "roles_due",
    "standings",
    "swapped_roles",
    "who_can_serve",
    "year_start",
]

SECRETARY, AUTHOR = "secretary", "author"
ROLES = (SECRETARY, AUTHOR)
ROLE_NAMES = {SECRETARY: N_("secretary"), AUTHOR: N_("ata")}
# Meetings whose roles rotate (working groups keep their own notes).
KINDS_WITH_ROLES = ("ordinary", "extraordinary")
SWAP_EXAMPLE = "/trocar ata CREAS"
# The command that names each role (the words /trocar reads: parse_swap).
SWAP_EXAMPLES = {SECRETARY: "/trocar secretaria CREAS", AUTHOR: SWAP_EXAMPLE}
SETTING_EXAMPLE = "/rodizio mesmo-setor sim  ·  /rodizio sem-coordenacao sim  ·  /rodizio prazo 5"
_YES = {"sim": True, "nao": False, "yes": True, "no": False}

# Roles are named this long after the presence list opens (time to tap ✋), and not
# before this long after the start: a list opened early waits for those arriving.
ROLES_AFTER_LIST = timedelta(minutes=15)
# Without a presence list, they are named this long after the start, from the RSVPs.
ROLES_WITHOUT_LIST = timedelta(minutes=30)

# Sorts before any real instant; only used for sectors that never served.
_NEVER = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Candidate:
    """A sector that takes part in the rotation, with the name its order is read by."""

    sector_id: int
    name: str


@dataclass(frozen=True)
class Service:
    """One time a sector served a role (seed 000 §5: secretary, or ata author).

    ``served_at`` is the meeting's start, an aware datetime. Only services that were
    accepted or are still proposed belong in a history: a decline is not a service.
    """

    sector_id: int
    served_at: datetime
    role: str = SECRETARY


@dataclass(frozen=True)
class Standing:
    """Where a sector stands in the rotation (seed 000 §5 "revezamento")."""

    sector_id: int
    name: str
    secretary: int  # times it was secretary this year
    author: int  # times it wrote the ata this year
    last_served: datetime | None  # in either role, in any year; None: never

    @property
    def count(self) -> int:
        """Services this year, in either role."""
        return self.secretary + self.author

    def in_role(self, role: str) -> int:
        return self.secretary if role == SECRETARY else self.author


def year_start(starts_at: datetime, timezone: str) -> datetime:
    """1 January, 0h, in the network's zone, of the year the meeting is in."""
    tz = ZoneInfo(timezone)
    return datetime(starts_at.astimezone(tz).year, 1, 1, tzinfo=tz)


def standings(
    candidates: Sequence[Candidate],
    history: Iterable[Service],
    *,
    role: str = SECRETARY,
    since: datetime | None = None,
) -> list[Standing]:
    """Candidates in rotation order for ``role`` (seed 000 §5: "em revezamento").

    Fewest services in either role since ``since`` (the year's start; None: all of them),
    then fewer services in ``role`` since then, then the one that served longest ago in
    either role (never served first; services before ``since`` count here), then the
    name in Portuguese order. Services of sectors that are not candidates are ignored; a sector
    listed twice keeps its first entry. The order of ``history`` and of ``candidates``
    does not matter.
    """
    names: dict[int, str] = {}
    for candidate in candidates:
        names.setdefault(candidate.sector_id, candidate.name)
    counts = {sector: [0, 0] for sector in names}
    last: dict[int, datetime] = {}
    for service in history:
        if service.served_at.tzinfo is None or service.served_at.utcoffset() is None:
            raise ValueError(f"naive served_at for sector {service.sector_id}")
        if service.sector_id not in names:
            continue
        if since is None or service.served_at >= since:
            counts[service.sector_id][0 if service.role == SECRETARY else 1] += 1
        previous = last.get(service.sector_id)
        if previous is None or service.served_at > previous:
            last[service.sector_id] = service.served_at
    ranked = [
        Standing(sector, name, counts[sector][0], counts[sector][1], last.get(sector))
        for sector, name in names.items()
    ]
    ranked.sort(
        key=lambda s: (
            s.count,
            s.in_role(role),
            s.last_served if s.last_served is not None else _NEVER,
            collation_key(s.name),
            s.sector_id,
        )
    )
    return ranked


def previous_servers(history: Iterable[Service]) -> set[int]:
    """The sectors that served (either role) at the latest meeting of ``history``."""
    services = list(history)
    if not services:
        return set()
    latest = max(s.served_at for s in services)
    return {s.sector_id for s in services if s.served_at == latest}


def choose(
    candidates: Sequence[Candidate],
    history: Iterable[Service],
    *,
    role: str = SECRETARY,
    since: datetime | None = None,
    pool: Collection[int] | None = None,
    excluded: Collection[int] = (),
    declined: Collection[int] = (),
    previous: Collection[int] = (),
    avoid: Collection[int] = (),
) -> int | None:
    """The sector that serves ``role`` at this meeting (seed 000 §5), or None.

    Seed 000 §5: "Secretaria das reuniões: designada a cada encontro (revezamento)";
    "Elaboração das atas: responsável definido no início de cada reunião".

    ``candidates`` are the sectors taking part; ``history`` the past services of both
    roles. Walking ``standings`` order:

    - ``excluded`` sectors (e.g. the coordination's) and ``declined`` ones (they said
      "não posso" for this meeting) are skipped;
    - when ``pool`` is given (``who_can_serve``), the sectors outside it are skipped.
      They keep their place: their count does not grow, so they come first the next
      time they can serve;
    - a sector not in ``avoid`` (e.g. the one already chosen for the other role) is
      preferred; one in ``avoid`` is taken only when nobody else can serve;
    - then the ``previous`` meeting's servers do not serve twice in a row while another
      sector can. (One sector holding both roles weighs more than a sector serving two
      meetings running: both pile work on one sector, the first twice at once.)

    None when nobody can serve (e.g. everyone declined or was absent).
    """
    able = [
        s.sector_id
        for s in standings(candidates, history, role=role, since=since)
        if s.sector_id not in excluded
        and s.sector_id not in declined
        and (pool is None or s.sector_id in pool)
    ]
    if not able:
        return None
    # ``min`` keeps the first of equals: within a preference the rotation order decides.
    return min(able, key=lambda sector: (sector in avoid, sector in previous))


class PoolSource(StrEnum):
    """Where the sectors that can serve were read from."""

    PRESENT = "present"  # the presence list
    CONFIRMED = "confirmed"  # nobody marked present: the RSVPs ("vou")


@dataclass(frozen=True)
class Pool:
    sectors: frozenset[int]
    source: PoolSource


def who_can_serve(
    present: Collection[int], confirmed: Collection[int], streak: Collection[int]
) -> Pool:
    """The sectors the roles are chosen from (PRODUCT.md §4: absent sectors are skipped).

    ``present``: the sectors of those marked present at this meeting; ``confirmed``: the
    sectors where a representative answered "vou" (or that convened the meeting);
    ``streak``: the sectors absent from the last closed presence lists
    (``attendance.absence_streaks``, the rule /presenca fechar warns about).

    With anyone marked present, the sectors present (being there ends a streak). With
    nobody marked, the confirmed sectors, less those on a streak: their "vou" has not
    brought them the last times.
    """
    if present:
        return Pool(frozenset(present), PoolSource.PRESENT)
    return Pool(frozenset(confirmed) - frozenset(streak), PoolSource.CONFIRMED)


def roles_due(starts_at: datetime, *, list_opened_at: datetime | None) -> datetime:
    """When the roles are named: ``ROLES_AFTER_LIST`` into the presence list (and not
    before as long after the start), else ``ROLES_WITHOUT_LIST`` after the start."""
    if list_opened_at is None:
        return starts_at + ROLES_WITHOUT_LIST
    return max(list_opened_at, starts_at) + ROLES_AFTER_LIST


def role_name(role: str) -> str:
    """The role as the group reads it ("secretaria", "ata")."""
    return _(ROLE_NAMES[role])


def other_role(role: str) -> str:
    return AUTHOR if role == SECRETARY else SECRETARY


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
