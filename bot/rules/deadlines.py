"""Deadlines of encaminhamentos, the escalation ladder, and action plans (seeds 002 and 004).

Pure functions only: nothing here reads the clock, the network or the database. ``today``
(a local date) and the network's time zone and state come in as arguments; every instant
returned is timezone-aware UTC.

* A prazo is a date or "N dias" / "N dias úteis" (business days skip weekends and the
  holidays of ``bot.rules.calendar.holidays_for``).
* After the prazo, the owing sectors are chased up a ladder of steps, each a network
  setting, each happening once: reminder before, group mention, private message,
  institutional e-mail, then the next meeting's agenda and the coordinator's digest.
* Action plans (seed 002: Ação, Tarefas, Período, Responsável) are read from CSV/XLSX;
  each task's deadline is the END of its period. A Plano de Providências is concluded only
  when every action is done (seed 004, art. 6 §3), so the plan's own deadline is its
  latest task's.
"""

from __future__ import annotations

import calendar as _stdcal
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from bot.errors import UserError
from bot.i18n import N_
from bot.rules import tables
from bot.rules.calendar import holidays_for, next_working_day
from bot.rules.dates import format_date, parse_day, zone
from bot.rules.dates import parse_month as _dates_parse_month

__all__ = [
    "DEADLINE_EXAMPLE",
    "MAX_DEADLINE_DAYS",
    "MAX_LADDER_DAYS",
    "PERIOD_EXAMPLE",
    "Ladder",
    "PlanTask",
    "Step",
    "add_business_days",
    "business_days_between",
    "days_overdue",
    "ladder_times",
    "parse_deadline",
    "parse_ladder",
    "parse_plan_table",
    "period_end",
    "plan_concluded",
    "plan_deadline",
    "split_responsible",
]

DEADLINE_EXAMPLE = (
    "/encaminhar Saúde, CREAS | 10 dias úteis | CASO-2025-014: avaliação e retorno à Rede"
)
PERIOD_EXAMPLE = "Maio e Junho"
MAX_DEADLINE_DAYS = 365
MAX_LADDER_DAYS = 60


def _fold(text: str) -> str:
    """Lower case, accents off, whitespace collapsed: 'Março/ 2016' -> 'marco/ 2016'."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.split())


def _is_working_day(d: date, holidays: Mapping[date, str]) -> bool:
    return d.weekday() < 5 and d not in holidays


# ---------------------------------------------------------------------------
# Business days and the prazo of an encaminhamento
# ---------------------------------------------------------------------------


def add_business_days(start: date, n: int, holidays: Mapping[date, str]) -> date:
    """The ``n``-th working day after ``start`` (``start`` itself is not counted).

    Working days are Monday to Friday that are not in ``holidays``. Friday + 1 is
    Monday; ``n == 0`` gives ``start`` unchanged; a negative ``n`` counts backwards.
    """
    step = 1 if n >= 0 else -1
    day, left = start, abs(n)
    while left:
        day += timedelta(days=step)
        if _is_working_day(day, holidays):
            left -= 1
    return day


def business_days_between(a: date, b: date, holidays: Mapping[date, str]) -> int:
    """How many working days lie after ``a`` up to and including ``b`` (negative if b < a).

    The inverse of ``add_business_days``: ``business_days_between(a, add_business_days(a,
    n, h), h) == n``.
    """
    if b < a:
        return -business_days_between(b, a, holidays)
    return sum(
        1 for k in range(1, (b - a).days + 1) if _is_working_day(a + timedelta(days=k), holidays)
    )


def _holidays_around(today: date, state: str | None) -> dict[date, str]:
    """The holidays of ``today``'s year and the next two (365 working days fit in them)."""
    merged: dict[date, str] = {}
    for year in range(today.year, today.year + 3):
        merged.update(holidays_for(year, state))
    return merged


_MSG_BAD_DEADLINE = N_(
    "I didn't understand the deadline '{text}'. Write a date or a number of days, "
    "like 10 dias úteis."
)
_MSG_DEADLINE_DAYS = N_("The deadline must be from 1 to {max} days, not {days}.")
_MSG_DEADLINE_FAR = N_("The deadline {date} is more than {max} days away.")
_MSG_PAST = N_("{when} has already passed.")

# bot.rules.dates' message for a day it cannot read, answered here as a bad prazo instead.
_DATES_BAD_DAY = "I could not understand the day {text!r}."

_DAYS_RE = re.compile(
    r"^(?:(?:prazo\s+(?:de\s+)?|em\s+|daqui\s+a\s+|dentro\s+de\s+))?"
    r"(?P<n>\d{1,5})\s*(?P<unit>dias?|d|semanas?)"
    r"(?:\s+(?P<kind>uteis|util|corridos?))?$"
)


def parse_deadline(text: str, *, today: date, tz: str, state: str | None) -> date:
    """The prazo of an encaminhamento, typed as a date or as a number of days.

    * "10 dias úteis", "1 dia útil": counting only working days after ``today``
      (weekends and the holidays of ``state`` skipped, see ``add_business_days``);
    * "5 dias", "30 dias corridos", "2 semanas": calendar days after ``today``;
    * "15/12", "15/12/2026", "sexta", "amanhã": a day, read by ``bot.rules.dates.parse_day``.

    A prazo that lands on a weekend or holiday (calendar days or a typed day) moves to
    the next working day, as administrative prazos do (Lei 9.784/1999, art. 66 §1): no
    sector owes an answer on a day without expediente.

    ``today`` is the network's local date. Raises UserError for a past day, for 0 or more
    than 365 days (or a day further than that), and for anything else.
    """
    folded = _fold(text).strip(" .;,")
    match = _DAYS_RE.match(folded)
    if match is not None:
        days = int(match["n"])
        if match["unit"].startswith("semana"):
            days *= 7
        if not 1 <= days <= MAX_DEADLINE_DAYS:
            raise UserError(
                _MSG_DEADLINE_DAYS, example=DEADLINE_EXAMPLE, max=MAX_DEADLINE_DAYS, days=days
            )
        holidays = _holidays_around(today, state)
        if (match["kind"] or "").startswith("ut"):
            return add_business_days(today, days, holidays)
        return next_working_day(today + timedelta(days=days), holidays)

    if not folded:
        raise UserError(_MSG_BAD_DEADLINE, example=DEADLINE_EXAMPLE, text=text.strip())
    noon = datetime.combine(today, time(12, 0), tzinfo=zone(tz))
    try:
        day = parse_day(text, now=noon, tz=tz, nearest=True)
    except UserError as exc:
        if exc.key == _DATES_BAD_DAY:
            raise UserError(
                _MSG_BAD_DEADLINE, example=DEADLINE_EXAMPLE, text=text.strip()
            ) from None
        raise UserError(exc.key, example=DEADLINE_EXAMPLE, **exc.params) from None
    if day < today:
        raise UserError(
            _MSG_PAST,
            example=DEADLINE_EXAMPLE,
            when=format_date(day, with_year=day.year != today.year),
        )
    if (day - today).days > MAX_DEADLINE_DAYS:
        raise UserError(
            _MSG_DEADLINE_FAR,
            example=DEADLINE_EXAMPLE,
            date=format_date(day, with_year=True),
            max=MAX_DEADLINE_DAYS,
        )
    return next_working_day(day, _holidays_around(today, state))


def days_overdue(deadline: date, today: date) -> int:
    """Days since the prazo ended (the day after it is day 1); 0 when not overdue."""
    return max(0, (today - deadline).days)


# ---------------------------------------------------------------------------
# The escalation ladder
# ---------------------------------------------------------------------------


class Step(StrEnum):
    """One rung of the chase of an overdue encaminhamento (each happens once)."""

    REMINDER = "reminder"  # the owing sectors' representatives, before the prazo
    GROUP = "group"  # a mention in the network's group
    PRIVATE = "private"  # a private message to each representative who started the bot
    EMAIL = "email"  # an e-mail to the sector's institutional address
    AGENDA = "agenda"  # listed on the next meeting's agenda and the coordinator's digest


# The words a coordinator types (commands are the same in every locale).
_STEP_WORDS: dict[Step, str] = {
    Step.REMINDER: "lembrete",
    Step.GROUP: "grupo",
    Step.PRIVATE: "privado",
    Step.EMAIL: "email",
    Step.AGENDA: "pauta",
}
_STEP_ALIASES: dict[str, Step] = {
    "lembrete": Step.REMINDER,
    "lembretes": Step.REMINDER,
    "aviso": Step.REMINDER,
    "grupo": Step.GROUP,
    "mencao": Step.GROUP,
    "privado": Step.PRIVATE,
    "particular": Step.PRIVATE,
    "pv": Step.PRIVATE,
    "email": Step.EMAIL,
    "e-mail": Step.EMAIL,
    "pauta": Step.AGENDA,
    "resumo": Step.AGENDA,
}
_STEP_ALIASES.update({step.value: step for step in Step})
_STEP_FIELDS: dict[Step, str] = {
    Step.REMINDER: "remind_before",
    Step.GROUP: "group",
    Step.PRIVATE: "private",
    Step.EMAIL: "email",
    Step.AGENDA: "agenda",
}
_MIN_DAYS = {Step.AGENDA: 1}  # the coordinator's safety net cannot be turned off
_OFF_WORDS = frozenset({"off", "nao", "desligado", "nunca"})

_MSG_LADDER_WORD = N_(
    "I didn't understand '{value}' in the escalation ladder: use lembrete, grupo, privado, "
    "email and pauta, each followed by a number of days."
)
_MSG_LADDER_EMPTY = N_(
    "Missing the days of the escalation ladder: use lembrete, grupo, privado, email and "
    "pauta, each followed by a number of days."
)
_MSG_LADDER_RANGE = N_("{step}: write a number of days from {min} to {max}, not '{value}'.")
_MSG_LADDER_NO_DAYS = N_("{step}: missing the number of days ({min} to {max}).")
_MSG_LADDER_TWICE = N_("{step} appears twice.")
_MSG_LADDER_AFTER = N_("{later} ({later_days}) must come after {earlier} ({earlier_days}).")
_MSG_LADDER_NOT_BEFORE = N_("{later} ({later_days}) cannot come before {earlier} ({earlier_days}).")


@dataclass(frozen=True)
class Ladder:
    """The network's escalation settings, in days (issue defaults).

    ``remind_before``: days before the prazo for the reminder (0 = on the day itself).
    ``group``, ``private``, ``email``: the overdue day of each step (day 1 = the day after
    the prazo); ``agenda``: from which overdue day the encaminhamento is listed on the next
    meeting's agenda and in the coordinator's weekly digest. 0 turns the group, private
    or e-mail step off; the agenda step cannot be turned off (1..60): it is the
    coordinator's safety net, so nothing overdue goes unseen. The steps that are on must
    go up: group < private < email <= agenda. Invalid values raise UserError (a ladder is
    always a coordinator's setting).
    """

    remind_before: int = 2
    group: int = 1
    private: int = 3
    email: int = 5
    agenda: int = 7

    def __post_init__(self) -> None:
        _check_ladder(self)

    def days(self, step: Step) -> int:
        """The setting of ``step`` (days before the prazo for REMINDER, overdue day else)."""
        value: int = getattr(self, _STEP_FIELDS[step])
        return value


def _range_error(step: Step, value: object) -> UserError:
    return UserError(
        _MSG_LADDER_RANGE,
        step=_STEP_WORDS[step],
        min=_MIN_DAYS.get(step, 0),
        max=MAX_LADDER_DAYS,
        value=value,
    )


def _check_ladder(ladder: Ladder) -> None:
    for step in Step:
        value = ladder.days(step)
        if not _MIN_DAYS.get(step, 0) <= value <= MAX_LADDER_DAYS:
            raise _range_error(step, value)
    previous: Step | None = None
    for step in (Step.GROUP, Step.PRIVATE, Step.EMAIL, Step.AGENDA):
        value = ladder.days(step)
        if value == 0:
            continue
        if previous is not None:
            earlier = ladder.days(previous)
            equal_ok = step is Step.AGENDA  # listing on the agenda may share a day
            if value < earlier or (value == earlier and not equal_ok):
                raise UserError(
                    _MSG_LADDER_NOT_BEFORE if equal_ok else _MSG_LADDER_AFTER,
                    later=_STEP_WORDS[step],
                    later_days=value,
                    earlier=_STEP_WORDS[previous],
                    earlier_days=earlier,
                )
        previous = step


def parse_ladder(text: str, *, base: Ladder | None = None) -> Ladder:
    """A coordinator's ladder setting: "lembrete 2 grupo 1 privado 3 email 5 pauta 7".

    Each word is followed by days (0..60, pauta 1..60; "2d", "2 dias", and "off"/"não"
    for 0 work too); steps not named keep their value in ``base`` (the defaults when
    None). Words: lembrete, grupo, privado, email (e-mail), pauta (resumo). Raises
    UserError for an unknown word, a missing or out-of-range number, a step named twice,
    or steps out of order (see ``Ladder``). No example is attached: the command that
    takes the setting supplies its own.
    """
    tokens = re.sub(r"[,;:=]", " ", _fold(text)).split()
    if not tokens:
        raise UserError(_MSG_LADDER_EMPTY)
    values: dict[str, int] = {}
    seen: set[Step] = set()
    i = 0
    while i < len(tokens):
        step = _STEP_ALIASES.get(tokens[i])
        if step is None:
            raise UserError(_MSG_LADDER_WORD, value=tokens[i])
        if step in seen:
            raise UserError(_MSG_LADDER_TWICE, step=_STEP_WORDS[step])
        seen.add(step)
        i += 1
        raw = tokens[i] if i < len(tokens) else ""
        number = re.fullmatch(r"(\d{1,3})(?:d|dias?)?", raw)
        if raw in _OFF_WORDS:
            value = 0
        elif number is not None:
            value = int(number[1])
        elif not raw or raw in _STEP_ALIASES:
            raise UserError(
                _MSG_LADDER_NO_DAYS,
                step=_STEP_WORDS[step],
                min=_MIN_DAYS.get(step, 0),
                max=MAX_LADDER_DAYS,
            )
        else:
            raise _range_error(step, raw)
        if not _MIN_DAYS.get(step, 0) <= value <= MAX_LADDER_DAYS:
            raise _range_error(step, raw)
        i += 1
        if i < len(tokens) and tokens[i] in {"d", "dia", "dias"}:
            i += 1
        values[_STEP_FIELDS[step]] = value
    start = base if base is not None else Ladder()
    merged = {name: getattr(start, name) for name in _STEP_FIELDS.values()} | values
    return Ladder(**merged)


def ladder_times(
    deadline: date, ladder: Ladder, *, tz: str, at: time = time(9, 0)
) -> list[tuple[Step, datetime]]:
    """When each step of the ladder is due, as aware UTC instants in order.

    The reminder is at ``at`` (local, in zone ``tz``) ``remind_before`` days before the
    prazo; overdue day N is ``deadline + N`` days at ``at``. Steps turned off (0) are left
    out. Days are calendar days, weekends included, as the issue states them.
    """
    tzinfo = zone(tz)

    def instant(day: date) -> datetime:
        return datetime.combine(day, at, tzinfo=tzinfo).astimezone(UTC)

    times = [(Step.REMINDER, instant(deadline - timedelta(days=ladder.remind_before)))]
    for step in (Step.GROUP, Step.PRIVATE, Step.EMAIL, Step.AGENDA):
        days = ladder.days(step)
        if days:
            times.append((step, instant(deadline + timedelta(days=days))))
    return sorted(times, key=lambda item: item[1])


# ---------------------------------------------------------------------------
# Periods of action plans (seed 002: "Maio e Junho", "A partir de agosto", ...)
# ---------------------------------------------------------------------------

_MSG_BAD_PERIOD = N_("I didn't understand the period '{text}'.")

_PT_MONTHS = (
    "janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro dezembro"
).split()

# Recurring or open-ended periods: the task runs to the end of the plan year.
_RECURRING: dict[str, str] = {
    phrase: label
    for label, phrases in {
        "mensal": ("mensalmente", "mensal", "todo mes", "todos os meses", "uma vez por mes"),
        "anual": ("anualmente", "anual", "todo ano", "todos os anos", "uma vez por ano"),
        "semanal": ("semanalmente", "semanal", "toda semana", "todas as semanas"),
        "quinzenal": ("quinzenalmente", "quinzenal"),
        "bimestral": ("bimestralmente", "bimestral"),
        "trimestral": ("trimestralmente", "trimestral"),
        "semestral": ("semestralmente", "semestral"),
        "contínuo": (
            "continuamente",
            "continuo",
            "permanente",
            "permanentemente",
            "sempre",
            "em andamento",
            "ano todo",
            "o ano todo",
            "todo o ano",
            "durante o ano",
            "durante todo o ano",
            "ao longo do ano",
        ),
    }.items()
    for phrase in phrases
}

_YEAR_SUFFIX = re.compile(r"^(?P<rest>.*?)\s*(?:/|\bde\b|\bem\b|-)?\s*(?P<year>(?:19|20)\d{2})$")
_UPDATES = re.compile(
    r"[,;.]?\s*(?:com\s+)?(?:atualizac(?:ao|oes)|revis(?:ao|oes)|renovac(?:ao|oes))\s+"
    r"(?:anua(?:l|is)|anualmente)\s*(?:em\s+|ate\s+|de\s+)?"
    r"(?P<years>(?:19|20)\d{2}(?:\s*(?:/|,|e|a|-)\s*(?:19|20)\d{2})*)$"
)
_FRACTION = re.compile(
    r"^(?P<n>\d|primeiro|segundo|terceiro|quarto)\s*[oa]?\s*"
    r"(?P<unit>semestre|trimestre|bimestre|quadrimestre)$"
)
_FRACTION_MONTHS = {"bimestre": 2, "trimestre": 3, "quadrimestre": 4, "semestre": 6}
_ORDINAL_WORDS = {"primeiro": 1, "segundo": 2, "terceiro": 3, "quarto": 4}
_NUMERIC_DATE = re.compile(r"^(?P<d>\d{1,2})\s*[/.-]\s*(?P<m>\d{1,2})(?:\s*[/.-]\s*(?P<y>\d{4}))?$")
_NUMERIC_MONTH = re.compile(r"^(?P<m>\d{1,2})\s*/\s*(?P<y>(?:19|20)\d{2})$")
_SINCE = re.compile(r"^a\s+partir\s+(?:de|do|da|dos|das)\s+(?P<rest>.+)$")
_UNTIL = re.compile(
    r"^(?:ate|no\s+maximo\s+ate|prazo\s*:?)\s+(?:o\s+fim\s+de\s+|o\s+final\s+de\s+)?(?P<rest>.+)$"
)
_END_OF_YEAR = re.compile(r"^(?:ate\s+)?(?:o\s+)?(?:fim|final)\s+do\s+ano$")
_LEAD_FILLERS = ("no mes de ", "mes de ", "durante o mes de ", "durante ", "em ", "no ", "de ")
_RANGE_SEPS = frozenset({"a", "ate", "-", "–", "—"})
_LIST_SEPS = frozenset({",", "e", "/", ";"})


class _NotPeriod(Exception):
    """The text is not a period this grammar knows."""


def _end_of_month(year: int, month: int) -> date:
    return date(year, month, _stdcal.monthrange(year, month)[1])


def _month_of(token: str) -> int | None:
    """A month name or abbreviation ('março', 'marco', 'set') -> 1..12; digits are not months."""
    if not token or token.isdigit() or len(token) < 3:
        return None
    try:
        return _dates_parse_month(token)
    except UserError:
        return None


@dataclass
class _MonthItem:
    month: int
    year: int | None


def _month_items(s: str) -> tuple[list[_MonthItem], list[str], bool]:
    """The months of 'maio e junho', 'junho / julho', 'de julho a setembro', 'abril,
    maio e julho/2016', with the separators between them and whether it is a range."""
    for filler in _LEAD_FILLERS:
        if s.startswith(filler):
            s = s[len(filler) :]
            break
    is_range = s.startswith("entre ")
    s = s.removeprefix("entre ")
    tokens = re.sub(r"\s*([/,;–—-])\s*", r" \1 ", s).split()
    items: list[_MonthItem] = []
    seps: list[str] = []
    i = 0
    while i < len(tokens):
        month = _month_of(tokens[i])
        if month is None:
            raise _NotPeriod
        i += 1
        item_year: int | None = None
        if i + 1 < len(tokens) and tokens[i] in {"/", "de", "-"} and _is_year(tokens[i + 1]):
            item_year, i = int(tokens[i + 1]), i + 2
        elif i < len(tokens) and _is_year(tokens[i]):
            item_year, i = int(tokens[i]), i + 1
        items.append(_MonthItem(month, item_year))
        if i == len(tokens):
            break
        sep = tokens[i]
        if sep not in _RANGE_SEPS | _LIST_SEPS:
            raise _NotPeriod
        if sep == "," and i + 1 < len(tokens) and tokens[i + 1] == "e":
            i += 1  # "maio, e junho"
        seps.append(sep)
        i += 1
        if i == len(tokens):
            raise _NotPeriod  # a dangling separator: "maio e"
    if not items:
        raise _NotPeriod
    return items, seps, is_range or any(sep in _RANGE_SEPS for sep in seps)


def _is_year(token: str) -> bool:
    return re.fullmatch(r"(?:19|20)\d{2}", token) is not None


def _month_expression(s: str, year: int) -> tuple[date, str]:
    """The end of the last month named and a label ('maio e junho', 'julho a setembro').

    Months are typed in order: a month before the one typed just before it is in the
    next year ("novembro a fevereiro"). A year typed after the last month is that
    month's ("abril, maio, junho e julho/2016" ends on 31/07/2016).
    """
    items, seps, is_range = _month_items(s)
    end_year = items[-1].year
    if end_year is None:
        end_year = year
        previous: int | None = None
        for item in items:
            if item.year is not None:
                end_year = item.year
            elif previous is not None and item.month < previous:
                end_year += 1
            previous = item.month
    end = _end_of_month(end_year, items[-1].month)

    names = [
        _PT_MONTHS[item.month - 1] + (f"/{item.year}" if item.year is not None else "")
        for item in items
    ]
    if is_range and len(names) == 2:
        return end, f"{names[0]} a {names[1]}"
    list_seps = [k for k, sep in enumerate(seps) if sep not in _RANGE_SEPS]
    last_list = list_seps[-1] if list_seps else -1
    label = names[0]
    for k, (sep, name) in enumerate(zip(seps, names[1:], strict=True)):
        joiner = " a " if sep in _RANGE_SEPS else (" e " if k == last_list else ", ")
        label += joiner + name
    return end, label


def _split_year(s: str, year: int) -> tuple[str, int, str]:
    """'cadastramentos/2017' -> ('cadastramentos', 2017, '/2017'); no year -> (s, year, '')."""
    match = _YEAR_SUFFIX.match(s)
    if match is None or not match["rest"]:
        return s, year, ""
    return match["rest"].rstrip(" /-"), int(match["year"]), f"/{match['year']}"


def _numeric_date(s: str, year: int) -> tuple[date, str] | None:
    """'15/12' (of ``year``) or '15/12/2026' and its label; None when not that form."""
    match = _NUMERIC_DATE.match(s)
    if match is None:
        return None
    try:
        day = date(int(match["y"]) if match["y"] else year, int(match["m"]), int(match["d"]))
    except ValueError:
        raise _NotPeriod from None
    return day, format_date(day, with_year=True if match["y"] else None)


def _since(rest: str, year: int, original: str) -> tuple[date, str]:
    """'a partir de <agosto | março/2017 | 15/08 | an event>': to 31/12 of the start's year."""
    if _is_year(rest):
        return date(int(rest), 12, 31), f"a partir de {rest}"
    if (start := _numeric_date(rest, year)) is not None:
        return date(start[0].year, 12, 31), f"a partir de {start[1]}"
    try:
        items, _seps, _is_range = _month_items(rest)
    except _NotPeriod:
        items = []
    if len(items) == 1:
        item = items[0]
        start_year = item.year if item.year is not None else year
        label = _PT_MONTHS[item.month - 1] + (f"/{item.year}" if item.year is not None else "")
        return date(start_year, 12, 31), f"a partir de {label}"
    # "A partir dos cadastramentos[/2017]": an event, not a month; runs to the year's end.
    event, event_year, _ = _split_year(rest, year)
    if items or not re.search(r"[a-z]{3}", event):
        raise _NotPeriod
    return date(event_year, 12, 31), original.lower().rstrip(" .;,")


def _simple_period(s: str, year: int, original: str) -> tuple[date, str]:
    """One period (folded ``s``), without the 'com atualizações anuais' tail."""
    if s in _RECURRING:
        return date(year, 12, 31), _RECURRING[s]
    if _is_year(s):
        return date(int(s), 12, 31), s
    if _END_OF_YEAR.match(s):
        return date(year, 12, 31), "até o fim do ano"
    rest, typed_year, year_label = _split_year(s, year)
    if year_label and rest in _RECURRING:
        return date(typed_year, 12, 31), _RECURRING[rest] + year_label
    if (match := _FRACTION.match(rest)) is not None:
        n = _ORDINAL_WORDS.get(match["n"]) or int(match["n"])
        size = _FRACTION_MONTHS[match["unit"]]
        if not 1 <= n <= 12 // size:
            raise _NotPeriod
        return _end_of_month(typed_year, n * size), f"{n}º {match['unit']}{year_label}"
    if (day := _numeric_date(s, year)) is not None:
        return day
    if (match := _NUMERIC_MONTH.match(s)) is not None:
        month = int(match["m"])
        if not 1 <= month <= 12:
            raise _NotPeriod
        return _end_of_month(int(match["y"]), month), f"{_PT_MONTHS[month - 1]}/{match['y']}"
    if (match := _SINCE.match(s)) is not None:
        return _since(match["rest"], year, original)
    if (match := _UNTIL.match(s)) is not None:
        inner = match["rest"]
        end, label = _numeric_date(inner, year) or _month_expression(inner, year)
        return end, f"até {label}"
    return _month_expression(s, year)


def period_end(text: str, *, year: int) -> tuple[date, str]:
    """The deadline (the END of the period) of an action plan's Período, and a label.

    ``year`` is the plan year, used when the text names none. Forms (seed 002 and the
    issue), case- and accent-insensitive, Word line breaks ignored:

    * a month, with or without a year: "Maio" (31/05), "Janeiro/2016", "05/2016";
    * months listed or as a range: "Maio e Junho", "Junho/ Julho", "Julho a Setembro",
      "Abril, maio, junho e julho/2016" (the end of the last month);
    * "A partir de agosto", "A partir de Março/2017": open-ended, to 31/12 of that year;
      "A partir dos cadastramentos[/2017]": an event, to 31/12 of the (plan) year;
    * recurring "Mensalmente", "Anualmente", "Semanalmente", "Permanente", ...: to 31/12
      of the plan year, labelled "mensal", "anual", "semanal", "contínuo";
    * "Até dezembro", "Até 15/12", "1º semestre", "2º semestre", "3º trimestre",
      "15/12/2026";
    * a tail "Com atualizações anuais 2018/2019" extends the end to 31/12 of its last year.

    Raises UserError naming the text when it is none of these.
    """
    original = " ".join(text.split())
    s = _fold(original).strip(" .;,")
    try:
        return _period(s, year, original)
    except _NotPeriod:
        raise UserError(_MSG_BAD_PERIOD, example=PERIOD_EXAMPLE, text=original) from None


def _period(s: str, year: int, original: str) -> tuple[date, str]:
    """``period_end`` of folded ``s``; raises _NotPeriod."""
    if not s:
        raise _NotPeriod
    tail = _UPDATES.search(s)
    if tail is None:
        return _simple_period(s, year, original)
    last = max(int(y) for y in re.findall(r"(?:19|20)\d{2}", tail["years"]))
    head = s[: tail.start()].strip(" .;,")
    tail_label = f"com atualizações anuais até {last}"
    if not head:
        return date(last, 12, 31), tail_label
    end, label = _simple_period(head, year, original[: len(head)])
    return max(end, date(last, 12, 31)), f"{label}, {tail_label}"


# ---------------------------------------------------------------------------
# Action plan tables (seed 002: Ação, Tarefas, Período, Responsável)
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanTask:
    """One task of an action plan, with the action it belongs to (seed 002).

    ``period`` is the normalized label of the Período (``period_end``), ``deadline``
    the end of that period, ``responsible`` the names of the Responsável cell.
    """

    action: str
    task: str
    period: str
    deadline: date
    responsible: list[str] = field(default_factory=list)


def plan_deadline(tasks: Iterable[PlanTask]) -> date | None:
    """The prazo of a whole plan: its latest task's deadline (seed 004, art. 6 §3)."""
    return max((task.deadline for task in tasks), default=None)


def plan_concluded(done: Iterable[bool]) -> bool:
    """A Plano de Providências is concluded only when every action is done (004, art. 6 §3).

    A plan with no actions is not concluded.
    """
    flags = list(done)
    return bool(flags) and all(flags)


# Words that qualify the all-caps word before them ("CONSELHO TUTELAR", "CAPS AD"):
_QUALIFIER_ENDINGS = ("al", "ar", "il", "ico", "ica", "icos", "icas", "ado", "ada", "ados", "adas")
_QUALIFIER_WORDS = frozenset({"ad", "ij", "i", "ii", "iii", "iv", "infantojuvenil", "mulher"})
_CONNECTORS = frozenset({"de", "da", "do", "das", "dos", "e", "em", "na", "no", "para"})


def _is_caps(word: str) -> bool:
    letters = [ch for ch in word if ch.isalpha()]
    return bool(letters) and all(ch.isupper() for ch in letters)


def _split_run(piece: str) -> list[str]:
    """Split one piece at spaces where a new name visibly starts (see split_responsible)."""
    words = piece.split()
    names: list[list[str]] = [[]]
    for word in words:
        current = names[-1]
        if current:
            before = current[-1]
            folded = _fold(word).strip(".")
            qualifier = folded in _QUALIFIER_WORDS or folded.endswith(_QUALIFIER_ENDINGS)
            new_name = (
                _is_caps(word)
                and not qualifier
                and folded not in _CONNECTORS
                and _fold(before) not in _CONNECTORS
                and (_is_caps(before) or before[:1].islower())
            )
            if new_name:
                names.append([])
        names[-1].append(word)
    return [" ".join(name) for name in names if name]


def split_responsible(text: str) -> list[str]:
    """The names in a Responsável cell, in order, each once.

    Separators: "/", ",", ";", "+", line breaks, and the word "e" standing alone
    ("Saúde e Educação"). Within what is left, a space also starts a new name before a
    word in capitals that follows another word in capitals or a lower-case word
    ("JUSTIÇA SETAS" -> JUSTIÇA, SETAS; "parceiras SEJUDH" -> ..., SEJUDH), but not after
    a Capitalized word ("Equipe SIPIA", "Conselho Tutelar" stay whole), not after a
    connector ("VARA DA INFÂNCIA") and not before a qualifier ("CONSELHO TUTELAR",
    "CAPS AD"). So "Equipe SIPIA/SEJUDH/UAGE/JUSTIÇA SETAS" gives ["Equipe SIPIA",
    "SEJUDH", "UAGE", "JUSTIÇA", "SETAS"].
    """
    pieces = re.split(r"[/,;+\n\r]+|\s+[eE]\s+", text)
    names: list[str] = []
    seen: set[str] = set()
    for piece in pieces:
        cleaned = " ".join(piece.split()).strip(" .-–—:")
        if not cleaned:
            continue
        for name in _split_run(cleaned):
            key = _fold(name)
            if key and key not in seen:
                seen.add(key)
                names.append(name)
    return names


_ACTION, _TASK, _PERIOD, _RESPONSIBLE = "action", "task", "period", "responsible"
_PLAN_FIELDS = (_ACTION, _TASK, _PERIOD, _RESPONSIBLE)
_PLAN_HEADERS = {
    "acao": _ACTION,
    "acoes": _ACTION,
    "tarefa": _TASK,
    "tarefas": _TASK,
    "atividade": _TASK,
    "atividades": _TASK,
    "periodo": _PERIOD,
    "prazo": _PERIOD,
    "responsavel": _RESPONSIBLE,
    "responsaveis": _RESPONSIBLE,
    "responsavelis": _RESPONSIBLE,  # "Responsável(is)"
}
_PLAN_COLUMNS = "Ação, Tarefas, Período, Responsável"
_PLAN_LABELS = {
    _ACTION: "Ação",
    _TASK: "Tarefas",
    _PERIOD: "Período",
    _RESPONSIBLE: "Responsável",
}
_PLAN_CELL_EXAMPLES = {
    _ACTION: "1. Articulação da rede",
    _TASK: "Elaborar Plano de capacitação",
    _PERIOD: PERIOD_EXAMPLE,
    _RESPONSIBLE: "Equipe SIPIA/SEJUDH",
}
_BOOKMARK = re.compile(r"\[bookmark:[^\]]*\]")

_MSG_BLANK = N_("Row {row} ({column}): it is blank.")
_MSG_NOT_UNDERSTOOD = N_("Row {row} ({column}): I didn't understand '{value}'.")
_MSG_NO_ACTION = N_("Row {row} ({column}): the first task has no action.")
_MSG_ACTION_NO_TASKS = N_("Row {row} ({column}): this action has no tasks.")
_MSG_NO_TASKS = N_("The table has no tasks.")
_MSG_MISSING_COLUMNS = N_(
    "The table is missing the column(s) {missing}. Expected columns: {columns}."
)
_MSG_PLAN_FORMAT = N_("I can only read action plans in .csv or .xlsx, not '{filename}'.")


def _blank(value: object) -> bool:
    return tables.blank(value, _BOOKMARK)


def _cell_text(value: object) -> str:
    """A cell as one line: Word's line breaks and bookmarks gone."""
    return tables.cell_text(value, _BOOKMARK)


def _header_key(text: str) -> str | None:
    return _PLAN_HEADERS.get(re.sub(r"[^a-z]", "", _fold(text)))


_LAYOUT = tables.Layout(key=_header_key, required=_PLAN_FIELDS, noise=_BOOKMARK)


def _missing_columns_error(rows: Sequence[tables.Row]) -> UserError:
    missing = ", ".join(_PLAN_LABELS[key] for key in tables.missing_fields(rows, _LAYOUT))
    return UserError(_MSG_MISSING_COLUMNS, missing=missing, columns=_PLAN_COLUMNS)


def _period_of_cell(value: object, year: int) -> tuple[date, str]:
    """A Período cell; a date typed in Excel ("jan/16") is a month when it is the 1st."""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        if value.day == 1:
            return _end_of_month(value.year, value.month), (
                f"{_PT_MONTHS[value.month - 1]}/{value.year}"
            )
        return value, format_date(value, with_year=True)
    return period_end(str(value), year=year)


@dataclass
class _Pending:
    """A task being read (a Word paste may continue it on the next rows)."""

    row: int
    action: str
    task: str
    period_raw: object
    responsible: str


def parse_plan_table(data: bytes, filename: str, *, year: int) -> list[PlanTask]:
    """The tasks of an action plan sent as .csv or .xlsx (seed 002), in the sheet's order.

    Columns Ação, Tarefa(s), Período and Responsável are found by name (case and accents
    ignored; title rows above the header are skipped; a repeated header starts another
    table, and title rows right above it are skipped too). A blank Ação continues the
    previous action, as in a Word table where an action spans several tasks (a row with
    only Ação filled heads the tasks below it). A row with only Período or Responsável
    filled continues the task above (a cell's second line pasted on a row of its own).
    The deadline is the end of the Período (``period_end``, with ``year`` as plan year);
    Responsável is split by ``split_responsible``.

    All or nothing: the first problem raises UserError naming the row as the sheet shows
    it and the column, e.g. "Linha 5 (Período): não entendi 'xyz'."
    """
    if tables.table_format(filename) is None:
        raise UserError(_MSG_PLAN_FORMAT, filename=filename)
    rows = tables.read_rows(data, filename, _LAYOUT, sniff="text")

    found = tables.find_header(rows, _LAYOUT)
    if found is None:
        raise _missing_columns_error(rows)
    header_index, columns, labels = found

    def fail(key: str, row: int, column: str, **params: object) -> UserError:
        return UserError(
            key,
            example=f"{labels[column]}: {_PLAN_CELL_EXAMPLES[column]}",
            row=row,
            column=labels[column],
            **params,
        )

    pending: list[_Pending] = []
    action = ""
    headings: list[int] = []  # rows of action headings not yet followed by a task

    for number, cells in rows[header_index + 1 :]:
        if tables.is_header(cells, _LAYOUT):
            # Another table of the same plan: the heading rows right above were its title.
            action, headings = "", []
            continue
        values = tables.field_cells(cells, columns)
        filled = {key for key, value in values.items() if not _blank(value)}
        if not filled:
            continue
        if filled == {_ACTION}:
            action = _cell_text(values[_ACTION])
            headings.append(number)
            continue
        if _ACTION not in filled and _TASK not in filled and pending and not headings:
            # The rest of the task above (Word puts a cell's second line on a row of its own).
            previous = pending[-1]
            if _PERIOD in filled:
                previous.period_raw = f"{_cell_text(previous.period_raw)}\n{values[_PERIOD]}"
            if _RESPONSIBLE in filled:
                previous.responsible = f"{previous.responsible}\n{values[_RESPONSIBLE]}"
            continue
        if _ACTION in filled:
            action = _cell_text(values[_ACTION])
            headings.append(number)
        elif not action:
            raise fail(_MSG_NO_ACTION, number, _ACTION)
        if len(headings) > 1:
            raise fail(_MSG_ACTION_NO_TASKS, headings[0], _ACTION)
        headings = []
        if _TASK in filled:
            task = _cell_text(values[_TASK])
        elif _ACTION in filled:
            task = action  # an action with no separate tasks is its own task
        else:
            raise fail(_MSG_BLANK, number, _TASK)
        pending.append(
            _Pending(
                row=number,
                action=action,
                task=task,
                period_raw=values[_PERIOD],
                responsible="" if _blank(values[_RESPONSIBLE]) else str(values[_RESPONSIBLE]),
            )
        )
    if headings:
        raise fail(_MSG_ACTION_NO_TASKS, headings[0], _ACTION)

    tasks: list[PlanTask] = []
    for item in pending:
        if _blank(item.period_raw):
            raise fail(_MSG_BLANK, item.row, _PERIOD)
        try:
            deadline, label = _period_of_cell(item.period_raw, year)
        except UserError:
            raise fail(
                _MSG_NOT_UNDERSTOOD, item.row, _PERIOD, value=_cell_text(item.period_raw)
            ) from None
        responsible = split_responsible(_BOOKMARK.sub("", item.responsible))
        if not responsible:
            raise fail(_MSG_BLANK, item.row, _RESPONSIBLE)
        tasks.append(
            PlanTask(
                action=item.action,
                task=item.task,
                period=label,
                deadline=deadline,
                responsible=responsible,
            )
        )
    if not tasks:
        raise UserError(_MSG_NO_TASKS)
    return tasks
