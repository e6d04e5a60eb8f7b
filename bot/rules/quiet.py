"""Quiet hours: when the bot sends no automatic message to a network (issue 9 §7).

By default nothing automatic goes out from 20h to 7h, on Sundays or on holidays
(national and the network's state); urgent convocations are exempt. Each network
sets its own window with /silencio.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.errors import UserError
from bot.i18n import N_
from bot.rules.names import name_key

COORDINATION_EXAMPLE = "/coordenacao aqui"
HERE = {"aqui"}
LEAVE = {"sair", "desligar", "desvincular"}

DEFAULT_START = 20 * 60
DEFAULT_END = 7 * 60
SUNDAY = 6


@dataclass(frozen=True)
class QuietHours:
    """A network's quiet window, in local minutes of the day (start == end: none)."""

    start: int = DEFAULT_START
    end: int = DEFAULT_END
    sundays: bool = True
    holidays: bool = True

    @property
    def has_window(self) -> bool:
        return self.start != self.end

    def _in_window(self, minute: int) -> bool:
        if not self.has_window:
            return False
        if self.start < self.end:
            return self.start <= minute < self.end
        return minute >= self.start or minute < self.end


def _minute(at: datetime) -> int:
    return at.hour * 60 + at.minute


def quiet_until(
    now: datetime,
    quiet: QuietHours,
    tz: ZoneInfo,
    holidays: Callable[[int], Mapping[date, str]],
) -> datetime | None:
    """The instant automatic messages may go out again, or None if ``now`` is not quiet.

    Walks forward minute-exactly: out of the night window, then past a Sunday or a
    holiday (whole local days), then out of the window again (a holiday ends at
    midnight, inside the night), until a sendable instant is found.
    """
    local = now.astimezone(tz)
    moved = False
    for _ in range(60):  # a bound: at most a few weeks of consecutive holidays
        day_off = (quiet.sundays and local.weekday() == SUNDAY) or (
            quiet.holidays and local.date() in holidays(local.year)
        )
        if day_off:
            local = datetime.combine(local.date() + timedelta(days=1), time(0, 0), tzinfo=tz)
            moved = True
            continue
        if quiet._in_window(_minute(local)):
            end = datetime.combine(local.date(), time(quiet.end // 60, quiet.end % 60), tzinfo=tz)
            if end <= local:
                end += timedelta(days=1)
            local = end
            moved = True
            continue
        break
    return local.astimezone(now.tzinfo) if moved else None


# Issue 14: what the daily budget held back goes out the next day at this local hour.
DAY_DIGEST_AT = time(9, 0)


def day_start(now: datetime, tz: ZoneInfo) -> datetime:
    """Local midnight of ``now``'s day (where the daily budget starts), in ``now``'s zone."""
    local = now.astimezone(tz)
    return datetime.combine(local.date(), time(0, 0), tzinfo=tz).astimezone(now.tzinfo)


def next_day_digest(
    now: datetime,
    quiet: QuietHours,
    tz: ZoneInfo,
    holidays: Callable[[int], Mapping[date, str]],
) -> datetime:
    """When the next day's digest goes out: 9h of the next day, or the first instant after
    it that is not quiet (a Sunday, a holiday)."""
    local = now.astimezone(tz)
    at = datetime.combine(local.date() + timedelta(days=1), DAY_DIGEST_AT, tzinfo=tz)
    at = at.astimezone(now.tzinfo)
    return quiet_until(at, quiet, tz, holidays) or at


def parse_window(text: str) -> tuple[int, int] | None:
    """ "20h 7h", "20h-7h", "21:30 6h" → (start, end) minutes; None if not understood."""
    found = re.findall(r"(\d{1,2})(?:h|:)(\d{2})?|(\d{1,2})\b", text.lower())
    values: list[int] = []
    for hours, minutes, bare in found:
        h = int(hours or bare)
        m = int(minutes or 0)
        if h > 24 or m > 59 or (h == 24 and m):
            return None
        values.append((h % 24) * 60 + m)
    if len(values) != 2:
        return None
    return values[0], values[1]


def format_minute(minute: int) -> str:
    hours, minutes = divmod(minute, 60)
    return f"{hours}h" if not minutes else f"{hours}h{minutes:02d}"


# --- /silencio --------------------------------------------------------------------------

MAX_CAP = 20
YES = {"sim", "s", "on", "ligado"}
NO = {"nao", "n", "off", "desligado"}
SUNDAY_WORDS = {"domingos", "domingo"}
HOLIDAY_WORDS = {"feriados", "feriado"}
CAP_WORDS = {"limite", "maximo"}
DAY_WORDS = {"dia", "diario", "diaria"}


@dataclass(frozen=True)
class QuietChange:
    """One change to a network's quiet settings asked with /silencio (None: unchanged)."""

    window: tuple[int, int] | None = None
    sundays: bool | None = None
    holidays: bool | None = None
    hourly_cap: int | None = None
    daily_cap: int | None = None


# "/silencio desligado": no night window, Sundays and holidays like any day.
OFF = QuietChange(window=(0, 0), sundays=False, holidays=False)


def parse_change(words: Sequence[str]) -> QuietChange:
    """ "20h 7h", "desligado", "domingos não", "feriados sim", "limite 4", "por dia 2"
    → the change."""
    if len(words) == 3 and name_key(words[0]) == "por":
        words = words[1:]
    head = name_key(words[0])
    if head in NO and len(words) == 1:
        return OFF
    if len(words) == 2 and head in SUNDAY_WORDS:
        return QuietChange(sundays=_flag(words[1]))
    if len(words) == 2 and head in HOLIDAY_WORDS:
        return QuietChange(holidays=_flag(words[1]))
    if len(words) == 2 and head in CAP_WORDS:
        return QuietChange(hourly_cap=_cap(words[1]))
    if len(words) == 2 and head in DAY_WORDS:
        return QuietChange(daily_cap=_daily_cap(words[1]))
    window = parse_window(" ".join(words))
    if window is None:
        raise UserError(
            N_(
                "I didn't understand the quiet hours. Give the start and the end, "
                "or: desligado, domingos sim/não, feriados sim/não, limite <n>, por dia <n>."
            ),
            example="/silencio 20h 7h",
        )
    return QuietChange(window=window)


def _flag(word: str) -> bool:
    key = name_key(word)
    if key in YES:
        return True
    if key in NO:
        return False
    raise UserError(N_("Answer with sim or não."), example="/silencio domingos não")


def _cap(word: str) -> int:
    if not (word.isascii() and word.isdigit()) or not 1 <= int(word) <= MAX_CAP:
        raise UserError(
            N_("The hourly limit is a number from 1 to {max}."),
            example="/silencio limite 4",
            max=MAX_CAP,
        )
    return int(word)


def _daily_cap(word: str) -> int:
    if not (word.isascii() and word.isdigit()) or not 1 <= int(word) <= MAX_CAP:
        raise UserError(
            N_("The daily limit is a number from 1 to {max}."),
            example="/silencio por dia 2",
            max=MAX_CAP,
        )
    return int(word)
