"""Numbers as people type them, read in one place.

``str.isdigit()`` is true for "²", "٣" or "１２", which ``int()`` then refuses or reads
as another number; a fuzz found a dozen commands crashing that way (issue 12). Only
ASCII digits are numbers here, and a year is one a network can have records in.
"""

from __future__ import annotations

import re

_DIGITS = re.compile(r"[0-9]{1,9}")
FIRST_YEAR, LAST_YEAR = 2000, 2100


def number(text: str) -> int | None:
    """``text`` as a non-negative integer of up to nine ASCII digits, else None."""
    text = text.strip()
    return int(text) if _DIGITS.fullmatch(text) else None


def year(text: str) -> int | None:
    """A four-digit year between 2000 and 2100, else None."""
    value = number(text)
    if value is None or len(text.strip()) != 4 or not FIRST_YEAR <= value <= LAST_YEAR:
        return None
    return value


def is_number(text: str) -> bool:
    return number(text) is not None
