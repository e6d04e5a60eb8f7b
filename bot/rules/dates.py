"""Dates and times as Brazilian social workers type and read them.

Everything here is pure: the current instant is always the ``now`` parameter
(timezone-aware), the network time zone is an IANA name, and every instant
returned is timezone-aware UTC. Typed text is Brazilian Portuguese ("amanhã 9h",
"sexta às 14h30", "15/03 10h", "dia 5 às 8h30"); it is read case- and
accent-insensitively by small regular expressions, with dateparser only as a
last resort for the day part (a bare dateparser call misreads "9h" and
weekdays). Output follows the current locale of ``bot.i18n``.

Rules for days typed without a year (see ``parse_when``/``parse_day``):

* a bare weekday ("sexta", "próxima sexta", "sexta que vem") is the next such
  weekday strictly after today; "hoje" is today; "sexta passada"/"última sexta"
  is the last one strictly before today;
* "dia 5" is the next day 5 of a month, today included;
* "15/03" and "15 de março" are their nearest occurrence, today included (a tie
  goes ahead): "10/01" typed in December is next January, but "01/12" typed on
  02/12 is yesterday, refused as past ("01/12 já passou"), never next year's 01/12
  (a typo must not become a one-year prazo); a day passed more than
  ``RECENT_PAST`` (90 days) ago is next year's ("15/06" typed in December);
* with ``allow_past=True``/``nearest=True`` such a past day is accepted, for the
  caller to use ("10/11 14h" typed on 23/11 records this year's 10/11) or refuse.
"""

from __future__ import annotations

import calendar
import contextlib
import contextvars
import functools
import re
import unicodedata
import zoneinfo
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date as _babel_format_date
from babel.dates import get_month_names

from bot.errors import UserError
from bot.i18n import N_, current_locale, gettext, ngettext
from bot.rules import numbers

__all__ = [
    "WEEKDAY_NUMBERS",
    "format_date",
    "format_duration",
    "format_time",
    "format_until",
    "format_when",
    "join_words",
    "month_name",
    "parse_day",
    "parse_day_time",
    "parse_month",
    "parse_offset",
    "parse_time_of_day",
    "parse_when",
    "weekday_name",
    "zone",
]

WHEN_EXAMPLE = "amanhã 14h · sexta 9h30 · 15/03 10h · dia 5 às 8h"
DAY_EXAMPLE = "14/04 · amanhã · sexta · dia 5"
TIME_EXAMPLE = "14h30"
OFFSET_EXAMPLE = "/lembretes 3d 1h"
ZONE_EXAMPLE = "/fuso America/Cuiaba"


# --------------------------------------------------------------------- zones


@functools.cache
def _zone_names() -> dict[str, str]:
    return {name.lower(): name for name in zoneinfo.available_timezones()}


def zone(name: str) -> ZoneInfo:
    """The IANA zone ``name`` (case-insensitive); UserError when unknown."""
    cleaned = name.strip()
    canonical = _zone_names().get(cleaned.lower()) if cleaned else None
    if canonical is not None:
        try:
            return ZoneInfo(canonical)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
            pass
    raise UserError(N_("Unknown time zone {name}."), example=ZONE_EXAMPLE, name=name)


# ------------------------------------------------------------ normalisation


def _fold(text: str) -> str:
    """Lower-case, accents removed, "-feira" dropped, whitespace collapsed."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    s = "".join(c for c in decomposed if not unicodedata.combining(c))
    s = re.sub(r"[-\s]+feira\b", "", s)
    s = re.sub(r"[,;!?]", " ", s)
    s = re.sub(r"(?<=[a-z])\.(?=\s|$)", " ", s)  # "dez." "seg."
    s = re.sub(r"\b(\d{1,2})o\b", r"\1", s)  # "1º de maio" (º folds to o)
    return " ".join(s.split())


# Folded weekday names and abbreviations -> 0 (Monday) to 6; bot.rules.calendar reads its
# meeting rules ("2ª terça") with them too.
WEEKDAY_NUMBERS: Mapping[str, int] = {
    "segunda": 0,
    "seg": 0,
    "terca": 1,
    "ter": 1,
    "quarta": 2,
    "qua": 2,
    "quinta": 3,
    "qui": 3,
    "sexta": 4,
    "sex": 4,
    "sabado": 5,
    "sab": 5,
    "domingo": 6,
    "dom": 6,
}


@functools.cache
def _month_words() -> dict[str, int]:
    """Folded month names and abbreviations in pt_BR, es and en."""
    words: dict[str, int] = {}
    for loc in ("en", "es", "pt_BR"):  # pt last: it wins any clash
        for width in ("wide", "abbreviated"):
            for context in ("format", "stand-alone"):
                names = get_month_names(width, context=context, locale=loc)
                for number, word in names.items():
                    words[_fold(word).rstrip(".")] = number
    return words


# ---------------------------------------------------------------- messages

_MSG_UNPARSEABLE = N_("I could not understand the date {text!r}. Type the day and the time.")
_MSG_NO_TIME = N_("What time on {date}? Type the day and the time together.")
_MSG_PAST = N_("{when} has already passed.")
_MSG_NO_DATE = N_("There is no date {date}.")
_MSG_SHORT_MONTH = N_("There is no {date}: {month} has only {days} days.")
_MSG_NO_TIME_OF_DAY = N_("There is no time {time}.")
_MSG_BAD_TIME = N_("I could not understand the time {text!r}.")
_MSG_WEEKDAY_MISMATCH = N_("{date} is a {weekday}, not a {typed}.")
_MSG_BAD_DAY = N_("I could not understand the day {text!r}.")
_MSG_BAD_OFFSET = N_(
    "I could not understand the reminder time {text!r}. Use d for days, h for hours, "
    "min for minutes."
)
_MSG_BAD_MONTH = N_("Unknown month {text!r}.")


# ------------------------------------------------------------- time of day

_PERIOD = r"(?:\s+(?:da|de|a)\s+(?P<period>manha|tarde|noite|madrugada))?"
_TIME_PATTERNS = (
    # 14h, 9h, 14h30, 14 horas, 14h30min, 8h05, 9h da manhã
    re.compile(
        r"(?<![\w/:.])(?P<h>\d{1,2})\s*(?:horas|hora|hrs|hr|hs|h)"
        r"(?:\s*(?P<m>\d{2})(?:\s*(?:minutos|min|m))?)?(?![\w/:])" + _PERIOD
    ),
    # 14:30, 14:30h
    re.compile(
        r"(?<![\w/:.])(?P<h>\d{1,2}):(?P<m>\d{2})(?:\s*(?:horas|hrs|hr|hs|h))?(?![\w/:])" + _PERIOD
    ),
    # meio-dia, meia-noite
    re.compile(r"\b(?P<word>meio\s?-?\s?dia|meia\s?-?\s?noite)\b"),
    # às 9, 2 da tarde (a bare number is a time only then)
    re.compile(r"(?:\bas\s+|(?<![\w/:.]))(?P<h>\d{1,2})(?![\w/:])" + _PERIOD),
)


def _time_from_match(match: re.Match[str]) -> time:
    groups = match.groupdict()
    word = groups.get("word")
    if word:
        return time(12, 0) if word.startswith("meio") else time(0, 0)
    hour = int(match["h"])
    minute = int(groups.get("m") or 0)
    period = groups.get("period")
    if period in ("tarde", "noite") and 1 <= hour < 12:
        hour += 12
    elif period == "noite" and hour == 12:
        hour = 0
    if hour > 23 or minute > 59:
        raise UserError(_MSG_NO_TIME_OF_DAY, example=TIME_EXAMPLE, time=match.group(0).strip())
    return time(hour, minute)


_LOOSE_PERIOD = re.compile(r"(?:\b(?:de|da|a|pela)\s+|\b)(?P<period>manha|tarde|noite)\b")


def _time_matches(s: str) -> list[re.Match[str]]:
    last = len(_TIME_PATTERNS) - 1
    for index, pattern in enumerate(_TIME_PATTERNS):
        matches = [
            m
            for m in pattern.finditer(s)
            if index != last or m.group(0).startswith("as") or m["period"]
        ]
        if matches:
            return matches
    return []


def _extract_time(s: str) -> tuple[time | None, str]:
    """The time of day found in folded text ``s`` and the text without it."""
    matches = _time_matches(s)
    if not matches:
        period = _LOOSE_PERIOD.search(s)  # "hoje à noite": a day still without a time
        return None, _cut(s, period) if period else s
    if len(matches) > 1:
        raise _Unrecognized
    rest = _cut(s, matches[0])
    if _time_matches(rest):
        raise _Unrecognized
    found = _time_from_match(matches[0])
    period = _LOOSE_PERIOD.search(rest)  # "amanhã à noite às 8h"
    if period:
        rest = _cut(rest, period)
        if period["period"] in ("tarde", "noite") and 1 <= found.hour < 12:
            found = found.replace(hour=found.hour + 12)
    return found, rest


def parse_time_of_day(text: str) -> time:
    """A time of day: "14h", "9h", "14h30", "14:30", "14 horas", "8h05", "meio-dia"."""
    s = _fold(text)
    try:
        found, rest = _extract_time(s)
    except _Unrecognized:
        found, rest = None, s
    if found is None and re.fullmatch(r"(?:as\s+)?\d{1,2}", s):
        hour = int(s.split()[-1])
        if hour <= 23:
            return time(hour, 0)
    if found is None or _leftover_words(rest) - {"as", "a", "ao", "de", "da", "do"}:
        raise UserError(_MSG_BAD_TIME, example=TIME_EXAMPLE, text=text)
    return found


# --------------------------------------------------------------------- days


class _Unrecognized(Exception):
    """Words left that the day grammar does not know."""


class _Conflicting(_Unrecognized):
    """Two different days named in the same text."""


@dataclass
class _DayParts:
    relative: int | None = None  # days from today
    weekday: int | None = None
    weekday_past: bool = False
    day: int | None = None
    month: int | None = None
    year: int | None = None
    label: str = ""  # the date as typed, for messages


_FILLER = frozenset("a as ao o os no na nos nas em para pra pro de do da dia e cedo mesmo".split())
_RELATIVE_WORDS = (
    (re.compile(r"\bdepois\s+de\s+amanha\b"), 2),
    (re.compile(r"\banteontem\b"), -2),
    (re.compile(r"\bamanha\b"), 1),
    (re.compile(r"\bontem\b"), -1),
    (re.compile(r"\bhoje\b"), 0),
)
_IN_DAYS = re.compile(
    r"\b(?:daqui\s+a|daqui|em|dentro\s+de)\s+(?P<n>\d{1,3}|uma?|dois|duas|tres)\s+"
    r"(?P<unit>dias?|semanas?)\b"
)
_NUMERIC_DATE = re.compile(
    r"(?<![\w/:.])(?P<d>\d{1,2})[/.-](?P<m>\d{1,2})(?:[/.-](?P<y>\d{4}|\d{2}))?(?![\w/:])"
)
_TEXT_DATE = re.compile(
    r"(?<![\w/:.])(?P<d>\d{1,2}|primeiro)\s+(?:de\s+)?(?P<mon>[a-z]{3,})"
    r"(?:\s+(?:de\s+)?(?P<y>\d{4}))?\b"
)
_DAY_OF_MONTH = re.compile(r"\bdia\s+(?P<d>\d{1,2})(?![\w/:])")
_WEEKDAY = re.compile(
    r"\b(?:(?P<pre>proxim[oa]|nest[ea]|ness[ea]|est[ea]|ess[ea]|ultim[oa])\s+)?"
    r"(?P<wd>" + "|".join(sorted(WEEKDAY_NUMBERS, key=len, reverse=True)) + r")"
    r"(?:\s+(?P<post>que\s+vem|proxim[oa]|passad[oa]))?\b"
)
_PT_WEEKDAYS = ("segunda", "terça", "quarta", "quinta", "sexta", "sábado", "domingo")
_SMALL_NUMBERS = {"um": 1, "uma": 1, "dois": 2, "duas": 2, "tres": 3}


def _leftover_words(s: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", s))


def _cut(s: str, match: re.Match[str]) -> str:
    return s[: match.start()] + " " + s[match.end() :]


def _year(text: str) -> int:
    return 2000 + int(text) if len(text) == 2 else int(text)


def _day_parts(s: str) -> _DayParts | None:
    """The day words in folded text ``s`` (None when there are none)."""
    parts = _DayParts()
    found = 0

    match = _IN_DAYS.search(s)
    if match:
        n = _SMALL_NUMBERS.get(match["n"]) or int(match["n"])
        parts.relative = n * (7 if match["unit"].startswith("semana") else 1)
        s, found = _cut(s, match), found + 1
    for pattern, offset in _RELATIVE_WORDS:
        match = pattern.search(s)
        if match:
            parts.relative = offset
            s, found = _cut(s, match), found + 1
    match = _NUMERIC_DATE.search(s)
    if match:
        parts.day, parts.month = int(match["d"]), int(match["m"])
        parts.year = _year(match["y"]) if match["y"] else None
        parts.label = match.group(0)
        s, found = _cut(s, match), found + 1
    for match in _TEXT_DATE.finditer(s):
        month = _month_words().get(match["mon"])
        if month is None:
            continue
        parts.day = 1 if match["d"] == "primeiro" else int(match["d"])
        parts.month = month
        parts.year = int(match["y"]) if match["y"] else None
        parts.label = f"{parts.day:02d}/{month:02d}" + (f"/{parts.year}" if parts.year else "")
        s, found = _cut(s, match), found + 1
        break
    match = _DAY_OF_MONTH.search(s)
    if match and parts.day is None:
        parts.day = int(match["d"])
        parts.label = f"dia {parts.day}"
        s, found = _cut(s, match), found + 1
    match = _WEEKDAY.search(s)
    if match:
        parts.weekday = WEEKDAY_NUMBERS[match["wd"]]
        parts.weekday_past = (match["post"] or "").startswith("passad") or (
            match["pre"] or ""
        ).startswith("ultim")
        s = _cut(s, match)

    if _leftover_words(s) - _FILLER:
        raise _Unrecognized
    if found > 1:  # "hoje amanhã", "amanhã 15/03": no guessing which one
        raise _Conflicting
    dated = parts.day is not None or parts.relative is not None
    if not dated and parts.weekday is None:
        return None
    return parts


def _check_day(day: int, month: int, year: int | None, label: str, today: date) -> None:
    if not (1 <= month <= 12 and 1 <= day <= 31):
        raise UserError(_MSG_NO_DATE, example="15/03 14h", date=label)
    if year is None:
        if day == 29 and month == 2:
            return  # a yearless 29/02 is the next leap year's (resolved below)
        # The month's next occurrence: "31/02" typed in 2026 means February 2027.
        year = today.year if month >= today.month else today.year + 1
    longest = calendar.monthrange(year, month)[1]
    if day > longest:
        raise UserError(
            _MSG_SHORT_MONTH, example="15/03 14h", date=label, month=month_name(month), days=longest
        )


def _valid(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


# A day and month typed without a year, passed at most this long ago, is that past day
# (refused, or used where the past is wanted); passed longer ago, next year's.
RECENT_PAST = timedelta(days=90)


def _pick(candidates: list[date], today: date, *, nearest: bool) -> date:
    if nearest:
        return min(candidates, key=lambda d: (abs((d - today).days), d < today))
    return min(d for d in candidates if d >= today)


def _resolve(parts: _DayParts, today: date, *, nearest: bool, refuse_past: bool = False) -> date:
    """The calendar day that ``parts`` names, seen from ``today``. A day and month
    without a year is always its nearest occurrence; with ``refuse_past`` that
    occurrence is refused when it has passed."""
    if parts.relative is not None:
        resolved = today + timedelta(days=parts.relative)
    elif parts.day is not None and parts.month is not None:
        _check_day(parts.day, parts.month, parts.year, parts.label, today)
        if parts.year is not None:
            resolved = date(parts.year, parts.month, parts.day)
        else:
            years = range(today.year - 1, today.year + 9)  # 29/02 may be years away
            candidates = [d for y in years if (d := _valid(y, parts.month, parts.day))]
            # Never the next occurrence when the day has just passed: "01/12" typed on
            # 02/12 is a slip (or a late prazo), not a day a year away. Passed longer ago
            # than RECENT_PAST, it is next year's ("15/06" typed in December: a review
            # planned half a year ahead).
            resolved = _pick(candidates, today, nearest=True)
            if not nearest and resolved < today and today - resolved > RECENT_PAST:
                resolved = _pick(candidates, today, nearest=False)
            if refuse_past and resolved < today:
                raise UserError(
                    _MSG_PAST,
                    example=DAY_EXAMPLE,
                    when=format_date(resolved, with_year=resolved.year != today.year),
                )
    elif parts.day is not None:
        if not 1 <= parts.day <= 31:
            raise UserError(_MSG_NO_DATE, example="dia 5 14h", date=parts.label)
        first = today.replace(day=1)
        months = [_add_months(first, k) for k in range(-1, 13)]
        candidates = [d for m in months if (d := _valid(m.year, m.month, parts.day))]
        resolved = _pick(candidates, today, nearest=nearest)
    else:
        assert parts.weekday is not None
        if parts.weekday_past:
            resolved = today - timedelta(days=(today.weekday() - parts.weekday - 1) % 7 + 1)
        else:
            resolved = today + timedelta(days=(parts.weekday - today.weekday() - 1) % 7 + 1)
        return resolved
    if parts.weekday is not None and resolved.weekday() != parts.weekday:
        raise UserError(
            _MSG_WEEKDAY_MISMATCH,
            example=f"{_PT_WEEKDAYS[resolved.weekday()]} {format_date(resolved)} 14h",
            date=format_date(resolved, with_year=resolved.year != today.year),
            weekday=weekday_name(resolved),
            typed=weekday_name(today + timedelta(days=(parts.weekday - today.weekday()) % 7)),
        )
    return resolved


def _add_months(first: date, k: int) -> date:
    index = first.year * 12 + first.month - 1 + k
    return date(index // 12, index % 12 + 1, 1)


def _dateparser_day(s: str, local_now: datetime, tz: str) -> date | None:
    """Last resort for day words the grammar above does not know.

    Only answers that dateparser itself rates as a single day count: "dezembro"
    or "próxima semana" would otherwise become an invented day of that period.
    """
    from dateparser.date import DateDataParser  # slow import, rarely needed

    settings = {
        "DATE_ORDER": "DMY",
        "PREFER_DATES_FROM": "future",
        "RELATIVE_BASE": local_now.replace(tzinfo=None),
        "TIMEZONE": tz,
        "RETURN_AS_TIMEZONE_AWARE": True,
    }
    try:
        data = DateDataParser(languages=["pt"], settings=settings).get_date_data(s)
    except Exception:  # dateparser raises assorted errors on odd input
        return None
    parsed = data.date_obj
    if not isinstance(parsed, datetime) or data.period != "day":
        return None
    return parsed.astimezone(zone(tz)).date()


def _read_day(
    s: str, local_now: datetime, tz: str, *, nearest: bool, refuse_past: bool = False
) -> date | None:
    try:
        parts = _day_parts(s)
    except _Conflicting:
        raise
    except _Unrecognized:
        # dateparser only gets words; with digits around it guesses too freely.
        found = None if re.search(r"\d", s) else _dateparser_day(s, local_now, tz)
        if found is None:
            raise
        return found
    if parts is None:
        return None
    return _resolve(parts, local_now.date(), nearest=nearest, refuse_past=refuse_past)


# ------------------------------------------------------------------ parsing

_IN_TIME = re.compile(r"^(?:daqui\s+a|daqui|em|dentro\s+de)\s+(?P<offset>\d.*)$")
_DAY_UNITS = re.compile(r"\d\s*(?:d|dias?|w|sem|semanas?)\b")


def _require_aware(*instants: datetime) -> None:
    if any(i.tzinfo is None or i.utcoffset() is None for i in instants):
        raise ValueError("naive datetime: pass timezone-aware instants")


def parse_when(text: str, *, now: datetime, tz: str, allow_past: bool = False) -> datetime:
    """A day and time typed in pt_BR, read in the zone ``tz``, as an aware UTC instant."""
    _require_aware(now)
    tzinfo = zone(tz)
    local_now = now.astimezone(tzinfo)
    s = _fold(text)
    unparseable = UserError(_MSG_UNPARSEABLE, example=WHEN_EXAMPLE, text=text)
    if not s:
        raise unparseable

    relative = _IN_TIME.match(s)
    if relative and not _DAY_UNITS.search(relative["offset"]):  # "daqui a 2 horas"
        try:
            offset = parse_offset(relative["offset"])
        except UserError:
            pass
        else:
            return (now + offset).astimezone(UTC).replace(second=0, microsecond=0)

    try:
        at, rest = _extract_time(s)
        day = _read_day(rest, local_now, tz, nearest=allow_past)
    except _Unrecognized:
        raise unparseable from None
    if day is None:
        if at is None:
            raise unparseable
        day = local_now.date()
    if at is None:
        raise UserError(_MSG_NO_TIME, example="15/03 14h", date=_day_label(day, local_now.date()))

    instant = datetime.combine(day, at, tzinfo=tzinfo).astimezone(UTC)
    if instant < now and not allow_past:
        raise UserError(
            _MSG_PAST,
            example=None,
            when=format_when(instant, tz, with_year=day.year != local_now.year),
        )
    return instant


def parse_day(text: str, *, now: datetime, tz: str, nearest: bool = False) -> date:
    """A day without time ("14/04", "amanhã", "sexta", "dia 5") in the zone ``tz``
    (a time typed along is ignored; :func:`parse_day_time` reads it).

    A date typed without its year is its closest occurrence: "10/01" typed in December
    is next January, and "01/12" typed on 08/12 is last week, refused as past ("01/12
    já passou") rather than read as a day a year away; with ``nearest`` it is returned,
    for the caller to use or refuse."""
    return parse_day_time(text, now=now, tz=tz, nearest=nearest)[0]


def parse_day_time(
    text: str, *, now: datetime, tz: str, nearest: bool = False
) -> tuple[date, time | None]:
    """A day with or without a time ("03/12", "03/12 10h", "sexta às 14h30") in the zone
    ``tz``: the day, and the time of day typed (None when none was). A time that does not
    exist ("25h") is refused with :data:`TIME_EXAMPLE`; a yearless date just passed, as
    in :func:`parse_day`."""
    _require_aware(now)
    local_now = now.astimezone(zone(tz))
    bad = UserError(_MSG_BAD_DAY, example=DAY_EXAMPLE, text=text)
    s = _fold(text)
    try:
        at, rest = _extract_time(s)
    except _Unrecognized:
        at, rest = None, s
    try:
        day = _read_day(rest, local_now, tz, nearest=nearest, refuse_past=not nearest)
    except _Unrecognized:
        raise bad from None
    if day is None:
        raise bad
    return day, at


# ------------------------------------------------------------------ offsets

_OFFSET_UNITS = {
    "d": "d",
    "dia": "d",
    "dias": "d",
    "sem": "w",
    "semana": "w",
    "semanas": "w",
    "w": "w",
    "h": "h",
    "hs": "h",
    "hr": "h",
    "hrs": "h",
    "hora": "h",
    "horas": "h",
    "m": "m",
    "min": "m",
    "mins": "m",
    "minuto": "m",
    "minutos": "m",
}
_OFFSET_PART = re.compile(r"(\d{1,4})\s*([a-z]+)?")


def parse_offset(text: str) -> timedelta:
    """Reminder offsets: "7d", "2h", "30min", "1h30", "3 dias", "2 horas", "1d12h"."""
    s = _fold(text).replace(" e ", " ")
    bad = UserError(_MSG_BAD_OFFSET, example=OFFSET_EXAMPLE, text=text)
    pos, total = 0, timedelta()
    seen: list[str] = []
    s = s.strip()
    if not s:
        raise bad
    while pos < len(s):
        match = _OFFSET_PART.match(s, pos)
        if not match:
            raise bad
        amount, word = int(match[1]), match[2]
        unit = _OFFSET_UNITS.get(word or "")
        if word is None and seen and seen[-1] == "h" and len(match[1]) == 2:
            unit = "m"  # the "30" of "1h30"
        if unit is None or unit in seen:
            raise bad
        seen.append(unit)
        total += {
            "w": timedelta(weeks=amount),
            "d": timedelta(days=amount),
            "h": timedelta(hours=amount),
            "m": timedelta(minutes=amount),
        }[unit]
        pos = match.end()
        while pos < len(s) and s[pos] == " ":
            pos += 1
    return total


def format_duration(td: timedelta) -> str:
    """A duration in words: "7 dias", "1 dia e 2 horas", "1 hora e 30 minutos"."""
    if td < timedelta(0):
        raise ValueError("negative duration")
    minutes = int(td.total_seconds()) // 60
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = []
    if days:
        parts.append(ngettext("{n} day", "{n} days", days).format(n=days))
    if hours:
        parts.append(ngettext("{n} hour", "{n} hours", hours).format(n=hours))
    if minutes or not parts:
        parts.append(ngettext("{n} minute", "{n} minutes", minutes).format(n=minutes))
    return join_words(parts)


def join_words(items: Sequence[str]) -> str:
    """ "a", "a e b", "a, b e c" (the last two joined by the locale's "and")."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return gettext("{items} and {last}").format(items=", ".join(items[:-1]), last=items[-1])


# --------------------------------------------------------------- formatting


def _babel_locale() -> str:
    return current_locale()


def weekday_name(d: date) -> str:
    """The weekday of ``d`` in the current locale, pt_BR without "-feira": "terça"."""
    return _weekday_names(_babel_locale())[d.weekday()]


def month_name(month: int) -> str:
    """The month name in the current locale: "janeiro", "January", "enero"."""
    return _month_names(_babel_locale())[month - 1]


# Babel parses the locale and the pattern at every call (a year's calendar names dozens
# of days): the seven weekdays and twelve months of a locale are looked up once.
_A_MONDAY = date(2024, 1, 1)


@functools.cache
def _weekday_names(locale: str) -> tuple[str, ...]:
    return tuple(
        str(_babel_format_date(_A_MONDAY + timedelta(days=k), "EEEE", locale=locale)).removesuffix(
            "-feira"
        )
        for k in range(7)
    )


@functools.cache
def _month_names(locale: str) -> tuple[str, ...]:
    names = get_month_names("wide", context="format", locale=locale)
    return tuple(str(names[month]) for month in range(1, 13))


def parse_month(text: str) -> int:
    """A month typed as a name or abbreviation ("março", "marco", "jan") or number."""
    s = _fold(text).rstrip(".")
    if (number := numbers.number(s)) is not None and 1 <= number <= 12:
        return number
    words = _month_words()
    if s in words:
        return words[s]
    if len(s) >= 3:
        matches = {n for w, n in words.items() if w.startswith(s)}
        if len(matches) == 1:
            return matches.pop()
    raise UserError(_MSG_BAD_MONTH, example="março", text=text)


# The reader's year: a day or an instant of another year shows its year
# ("14/01/2027") in every message rendered inside ``reading``. Set once per update and
# per scheduled row, from the clock and the network's zone (see ``reading``).
_reading_year: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "reading_year", default=None
)


@contextlib.contextmanager
def reading(now: datetime, tz: str) -> Iterator[None]:
    """Render everything inside the block for a reader whose "now" is ``now`` in the
    zone ``tz``: days not in that year show their year."""
    _require_aware(now)
    with under_year(now.astimezone(zone(tz)).year):
        yield


@contextlib.contextmanager
def under_year(year: int) -> Iterator[None]:
    """Render a list headed by its year ("Reuniões de 2027:"): its days do not repeat it."""
    token = _reading_year.set(year)
    try:
        yield
    finally:
        _reading_year.reset(token)


def format_date(d: date, *, with_year: bool | None = None) -> str:
    """The day as "14/10", or "14/10/2026" with the year. Without ``with_year`` the year
    is shown when the day is not in the reader's year (see ``reading``)."""
    if with_year is None:
        year = _reading_year.get()
        with_year = year is not None and d.year != year
    return f"{d.day:02d}/{d.month:02d}" + (f"/{d.year}" if with_year else "")


def spans_years(days: Iterable[date], today: date) -> bool:
    """Whether a list of these days shows their years: one of them is not in ``today``'s
    year (a list from December into January, or last year's ata still pending)."""
    return any(d.year != today.year for d in days)


def local_days(instants: Iterable[datetime], tz: str) -> list[date]:
    """The local days of ``instants`` in the zone ``tz``."""
    return [i.astimezone(zone(tz)).date() for i in instants]


def format_time(t: time) -> str:
    """The time as "14h" / "14h30" in pt_BR ("14:00" / "14:30" in en and es)."""
    if t.minute:
        return gettext("{hour}:{minute:02d}").format(hour=t.hour, minute=t.minute)
    return gettext("{hour}:00").format(hour=t.hour)


def format_when(
    instant: datetime, tz: str, *, with_year: bool | None = None, now: datetime | None = None
) -> str:
    """The instant seen in the zone ``tz``: "terça, 14/10 às 14h"; with the year
    ("terça, 14/10/2027 às 14h") when asked, or when it is not the year of ``now`` (by
    default, the reader's year: see ``reading``)."""
    _require_aware(instant)
    local = instant.astimezone(zone(tz))
    if with_year is None and now is not None:
        with_year = now.astimezone(zone(tz)).year != local.year
    # The plural form follows the hour: pt_BR says "à 1h" but "às 14h".
    pattern = ngettext("{weekday}, {date} at {time}", "{weekday}, {date} at {time}", local.hour)
    return pattern.format(
        weekday=weekday_name(local.date()),
        date=format_date(local.date(), with_year=with_year),
        time=format_time(local.time()),
    )


def _day_label(day: date, today: date) -> str:
    return f"{weekday_name(day)}, {format_date(day, with_year=day.year != today.year)}"


def format_until(instant: datetime, now: datetime, *, tz: str | None = None) -> str:
    """How long until ``instant``: "agora", "em 15 minutos", "em 2 horas", "hoje",
    "amanhã", "em 3 dias", or "já passou".

    Calendar days ("hoje", "amanhã") are counted in the zone ``tz``, or in the
    zone of ``now`` when no ``tz`` is given.
    """
    _require_aware(instant, now)
    seconds = (instant - now).total_seconds()
    if seconds <= -60:
        return gettext("already passed")
    if seconds < 60:
        return gettext("due now")
    minutes = round(seconds / 60)
    if minutes < 60:
        return ngettext("in {n} minute", "in {n} minutes", minutes).format(n=minutes)
    hours = round(seconds / 3600)
    if hours < 6:
        return ngettext("in {n} hour", "in {n} hours", hours).format(n=hours)
    tzinfo = zone(tz) if tz is not None else now.tzinfo
    days = (instant.astimezone(tzinfo).date() - now.astimezone(tzinfo).date()).days
    if days <= 0:
        return gettext("due today")
    if days == 1:
        return gettext("due tomorrow")
    return ngettext("in {n} day", "in {n} days", days).format(n=days)
