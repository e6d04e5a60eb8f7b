"""Attendance arithmetic: per-sector presence, quorum, absence streaks (PRODUCT.md §3)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

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
