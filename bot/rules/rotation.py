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

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

__all__ = ["Service", "Standing", "choose", "standings"]

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
