"""The calendar of ordinary meetings: the monthly rule, holidays, table import and ICS.

Pure functions only: nothing here reads the clock, the network or the database.
Everything (year, state, time zone, DTSTAMP) comes in as an argument.

The seed's table (Mês, Data, Horário, Local, Observações) usually has the Data
column blank: the date then comes from the network's rule ("2ª terça 14h CRAS"),
moved to the next working day when it falls on a holiday.
"""

from __future__ import annotations

import calendar as _stdcal
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any, Protocol, TypeVar
from zoneinfo import ZoneInfo

from holidays.countries.brazil import Brazil
from icalendar import Calendar, Event, Timezone, vDDDTypes

from bot.errors import UserError, check_length
from bot.i18n import N_, current_locale, gettext, translations
from bot.rules import dates, numbers, privacy, tables
from bot.rules.dates import WEEKDAY_NUMBERS
from bot.rules.names import kind_name, name_key

__all__ = [
    "OBSERVED_OPTIONAL_HOLIDAYS",
    "IcsEvent",
    "MeetingRule",
    "PlannedMeeting",
    "build_ics",
    "generate_year",
    "holidays_for",
    "next_working_day",
    "nth_weekday",
    "parse_rule",
    "parse_table",
]

RULE_EXAMPLE = "/gerarcalendario 2026 2ª terça 14h CRAS"
IMPORT_EXAMPLE = "/importar 2026 2ª terça 14h CRAS"
MOVE_EXAMPLE = "/remarcar 10/03 | 12/03 15h | CREAS"
CANCEL_EXAMPLE = "/cancelar 10/03 | feriado municipal"
# The forms that name one of the day's meetings by its time, and undo a cancellation.
CANCEL_AT_EXAMPLE = "/cancelar 10/03 14h | feriado municipal"
MOVE_AT_EXAMPLE = "/remarcar 10/03 14h | 12/03 15h"
UNDO_EXAMPLE = "/cancelar desfazer 10/03"
UNDO_WORD = "desfazer"
# A cancellation's reason is told to the group with the meeting: one short paragraph.
MAX_REASON = 500
YEAR_EXAMPLE = "/calendario 2026"
STATE_EXAMPLE = "/estado PR"

LAST = -1

# holidays.Brazil files these under "optional" (pontos facultativos). Municipal services
# close on Carnaval and Corpus Christi almost everywhere, and nobody holds a network meeting
# on Christmas or New Year's Eve; Ash Wednesday (afternoon is a working day) and Dia do
# Servidor Público (often moved by decree) stay working days.
OBSERVED_OPTIONAL_HOLIDAYS = frozenset(
    {"Carnaval", "Corpus Christi", "Véspera de Natal", "Véspera de Ano-Novo"}
)


def pgettext(context: str, message: str) -> str:
    """Translate ``message`` in ``context`` (babel extracts ``pgettext`` by default)."""
    return translations(current_locale()).pgettext(context, message)


# ---------------------------------------------------------------------------
# Small private parsers
# ---------------------------------------------------------------------------


def _fold(text: str) -> str:
    """Lower case, accents off, whitespace collapsed: 'Março ' -> 'marco', '2ª' -> '2a'."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.lower().split())


_MONTHS: dict[str, int] = {}
_MONTH_NAMES = (
    "janeiro fevereiro marco abril maio junho julho agosto setembro outubro novembro dezembro"
).split()
for _number, _name in enumerate(_MONTH_NAMES, start=1):
    _MONTHS[_name] = _number
    _MONTHS[_name[:3]] = _number
_MONTHS["sept"] = 9
_MONTHS["set"] = 9


def _parse_month(value: object) -> int | None:
    """'Janeiro', 'março', 'Marco', 'jan', 'fev.', '3', 3 -> month number; None if not a month."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return int(value) if float(value).is_integer() and 1 <= value <= 12 else None
    if isinstance(value, datetime | date):
        return value.month
    text = _fold(str(value)).rstrip(".")
    text = re.sub(r"\s*(?:de\s+|/\s*)?\d{4}$", "", text).rstrip(".").strip()
    if (number := numbers.number(text)) is not None:
        return number if 1 <= number <= 12 else None
    return _MONTHS.get(text)


_TIME_RE = re.compile(
    r"^(?:as\s+|a\s+)?(\d{1,2})\s*"
    r"(?:(?:h|hs|hr|hrs|horas?)\s*(\d{2})?\s*(?:m|min)?"
    r"|[:.](\d{2})(?::(\d{2}))?\s*(?:h|hs|hrs)?"
    r")?$"
)

_RANGE_RE = re.compile(r"(?<=\S)\s*(?:-|–|—|\s(?:as|ate|a)\s)\s*\d.*$")


def _parse_time(value: object) -> time | None:
    """'14h', '9h', '14h30', '14:30', '14:00:00', time, Excel day fraction -> time; else None.

    A range ("14h às 16h") gives its start.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, datetime):
        return value.time().replace(second=0, microsecond=0)
    if isinstance(value, time):
        return value.replace(second=0, microsecond=0, tzinfo=None)
    if isinstance(value, int | float):
        if 0 <= value < 1:  # Excel stores a time of day as a fraction of a day
            minutes = round(float(value) * 24 * 60)
            if minutes >= 24 * 60:
                return None
            return time(minutes // 60, minutes % 60)
        if float(value).is_integer() and 1 <= value <= 23:  # a bare hour typed as a number
            return time(int(value))
        return None
    text = _fold(str(value))
    text = _RANGE_RE.sub("", text)  # "14h às 16h", "14:00-16:00": the meeting starts at 14h
    match = _TIME_RE.match(text)
    if match is None:
        return None
    hour = int(match.group(1))
    minute = int(match.group(2) or match.group(3) or 0)
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def _format_time(at: time) -> str:
    if at.minute == 0:
        return pgettext("time of day, whole hour", "{hour}:00").format(hour=at.hour)
    return pgettext("time of day", "{hour}:{minute}").format(
        hour=at.hour, minute=f"{at.minute:02d}"
    )


# ---------------------------------------------------------------------------
# The rule: "2ª terça 14h CRAS"
# ---------------------------------------------------------------------------

_ORDINAL_WORDS = {
    "primeira": 1,
    "primeiro": 1,
    "segunda": 2,
    "segundo": 2,
    "terceira": 3,
    "terceiro": 3,
    "quarta": 4,
    "quarto": 4,
    "quinta": 5,
    "quinto": 5,
    "ultima": LAST,
    "ultimo": LAST,
}
_ORDINAL_RE = re.compile(r"^(\d+)\.?(?:a|o|°)?\.?$")

_LEAD_FILLERS = {"toda", "todo", "todas", "todos", "na", "no", "a", "reuniao", "reunioes"}
_TIME_FILLERS = {"do", "de", "da", "cada", "mes", "todo", "toda", "as", "a", "partir", "das"}
_TIME_FILLERS |= {"pelas", "pela", "sempre", ","}
_PLACE_FILLERS = {"no", "na", "nos", "nas", "em", "local", "local:", "-", "–", "—", ",", ":"}
_PUNCT = ",;.:"


def _ordinal_label(ordinal: int) -> str:
    """'2ª' / 'última' in pt_BR (feminine: it qualifies a weekday)."""
    labels = {
        1: pgettext("meeting rule", "1st"),
        2: pgettext("meeting rule", "2nd"),
        3: pgettext("meeting rule", "3rd"),
        4: pgettext("meeting rule", "4th"),
        5: pgettext("meeting rule", "5th"),
        LAST: pgettext("meeting rule", "last"),
    }
    return labels[ordinal]


def _weekday_label(weekday: int) -> str:
    """'terça' in pt_BR: the short name a coordinator writes."""
    labels = (
        pgettext("meeting rule", "Monday"),
        pgettext("meeting rule", "Tuesday"),
        pgettext("meeting rule", "Wednesday"),
        pgettext("meeting rule", "Thursday"),
        pgettext("meeting rule", "Friday"),
        pgettext("meeting rule", "Saturday"),
        pgettext("meeting rule", "Sunday"),
    )
    return labels[weekday]


_FEMININE_WORDS = frozenset(
    (
        "academia apae associacao biblioteca camara capela casa clinica coordenadoria creche "
        "defensoria delegacia diretoria escola faculdade fundacao igreja paroquia pastoral "
        "policlinica praca prefeitura promotoria quadra sala secretaria sede ubs unidade "
        "universidade upa vara"
    ).split()
)
_FEMININE_ENDINGS = ("cao", "dade", "ria", "ura")
# Places known to take "no": any other place is named without an article ("local: …").
_MASCULINE_WORDS = frozenset(
    (
        "ambulatorio auditorio caps centro clube conselho cras creas espaco forum gabinete "
        "ginasio hospital nucleo paco plenario posto predio salao"
    ).split()
)


def _place_is_feminine(place: str) -> bool:
    """Whether Portuguese says 'na' (Câmara, Secretaria) rather than 'no' (CRAS) before it."""
    words = _fold(place).split()
    if not words:
        return False
    first = words[0].strip(_PUNCT)
    return first in _FEMININE_WORDS or (len(first) > 4 and first.endswith(_FEMININE_ENDINGS))


def _place_is_masculine(place: str) -> bool:
    """Whether the place's first word is one known to take 'no' (CRAS, Centro, Conselho)."""
    words = _fold(place).split()
    return bool(words) and words[0].strip(_PUNCT) in _MASCULINE_WORDS


@dataclass(frozen=True)
class MeetingRule:
    """The ordinary meeting: the n-th (or last) weekday of every month, at a time and place."""

    ordinal: int  # 1..5, or -1 for "última"
    weekday: int  # 0=Monday
    at: time
    place: str

    def describe(self) -> str:
        """'2ª terça do mês, às 14h, no CRAS' in the current locale."""
        if _place_is_feminine(self.place):
            at_place = pgettext("before a feminine place", "at {place}")
        elif _place_is_masculine(self.place):
            at_place = pgettext("before a masculine place", "at {place}")
        else:
            at_place = pgettext("before a place of unknown gender", "at {place}")
        return gettext("{ordinal} {weekday} of the month, at {time}, {at_place}").format(
            ordinal=_ordinal_label(self.ordinal),
            weekday=_weekday_label(self.weekday),
            time=_format_time(self.at),
            at_place=at_place.format(place=self.place),
        )


def _ordinal_of(token: str) -> int | None:
    folded = _fold(token).strip(_PUNCT)
    if folded in _ORDINAL_WORDS:
        return _ORDINAL_WORDS[folded]
    match = _ORDINAL_RE.match(folded)
    if match is None:
        return None
    number = int(match.group(1))
    return number if 1 <= number <= 5 else 0  # 0: a number, but not a valid week


def _weekday_of(token: str) -> int | None:
    folded = _fold(token).strip(_PUNCT)
    for suffix in ("-feira", "feira"):
        if folded.endswith(suffix) and folded != suffix:
            folded = folded[: -len(suffix)].rstrip("-")
            break
    return WEEKDAY_NUMBERS.get(folded)


def _looks_like_time(token: str) -> bool:
    return bool(token) and _fold(token)[:1].isdigit()


def parse_rule(text: str) -> MeetingRule:
    """Parse '2ª terça 14h CRAS', 'segunda terça do mês às 14h no CRAS', 'última sexta 9h ...'.

    Raises UserError naming the missing or wrong part (week of the month, weekday,
    time or place).
    """
    read = _read_rule(text, example=RULE_EXAMPLE, partial=False)
    assert read.at is not None and read.place is not None
    return MeetingRule(ordinal=read.ordinal, weekday=read.weekday, at=read.at, place=read.place)


@dataclass(frozen=True)
class TableRule:
    """The rule typed after /importar: it fills a table's blank cells, so its time and
    place may be left out when every row gives them ("/importar 2026 2ª terça")."""

    ordinal: int
    weekday: int
    at: time | None
    place: str | None

    @property
    def complete(self) -> bool:
        return self.at is not None and self.place is not None


def parse_table_rule(text: str) -> TableRule:
    """The rule of ``/importar``: week and weekday needed, time and place optional."""
    return _read_rule(text, example=IMPORT_EXAMPLE, partial=True)


def _read_rule(text: str, *, example: str, partial: bool) -> TableRule:
    tokens = text.split()
    i = 0
    while i < len(tokens) - 1 and _fold(tokens[i]) in _LEAD_FILLERS:
        i += 1
    if i >= len(tokens):
        raise UserError(
            N_("Missing the week of the month: write 1ª to 5ª, or última."), example=example
        )

    first, second = tokens[i], tokens[i + 1] if i + 1 < len(tokens) else ""
    ordinal = _ordinal_of(first)
    weekday = _weekday_of(second) if second else None
    if weekday is None and _weekday_of(first) is not None:
        # "terça 14h CRAS" (or "segunda 14h CRAS"): a weekday with no week of the month.
        raise UserError(
            N_("Missing the week of the month: write 1ª to 5ª, or última."), example=example
        )
    if not ordinal:  # None (not an ordinal) or 0 (a number outside 1..5)
        raise UserError(
            N_("I didn't understand the week of the month '{value}': write 1ª to 5ª, or última."),
            example=example,
            value=first,
        )
    if weekday is None:
        if not second or _looks_like_time(second):
            raise UserError(N_("Missing the weekday: write segunda to sexta."), example=example)
        raise UserError(
            N_("I didn't understand the weekday '{value}': write segunda to sexta."),
            example=example,
            value=second,
        )
    if weekday >= 5:
        raise UserError(
            N_("Ordinary meetings are from segunda to sexta, not '{value}'."),
            example=example,
            value=second,
        )
    i += 2
    if i < len(tokens) and _fold(tokens[i]) in {"feira", "-feira"}:
        i += 1

    while i < len(tokens) and _fold(tokens[i]).strip(".") in _TIME_FILLERS:
        i += 1
    if partial and (i >= len(tokens) or not _looks_like_time(tokens[i])):
        return TableRule(ordinal, weekday, None, _rule_place(tokens, i) or None)
    if i >= len(tokens) or not _looks_like_time(tokens[i]):
        raise UserError(N_("Missing the time: write it like 14h or 14h30."), example=example)
    time_text = tokens[i].rstrip(_PUNCT)
    i += 1
    if i < len(tokens) and _fold(tokens[i]).strip(_PUNCT) in {"h", "hs", "hrs", "hora", "horas"}:
        time_text += "h"
        i += 1
    at = _parse_time(time_text)
    if at is None:
        raise UserError(
            N_("I didn't understand the time '{value}': write it like 14h or 14h30."),
            example=example,
            value=time_text,
        )
    place = _rule_place(tokens, i)
    if not place and not partial:
        raise UserError(N_("Missing the place, like CRAS."), example=example)
    privacy.screen(place)
    return TableRule(ordinal, weekday, at, place or None)


def _rule_place(tokens: Sequence[str], i: int) -> str:
    """The place that ends a rule, after its fillers ("no", "do mês")."""
    while i < len(tokens):
        folded = _fold(tokens[i])
        if folded in _PLACE_FILLERS:
            i += 1
        elif folded in {"do", "de"} and _fold(" ".join(tokens[i + 1 : i + 2])) in {"mes", "cada"}:
            i += 2
            if i < len(tokens) and _fold(tokens[i]) == "mes":
                i += 1
        else:
            break
    return " ".join(tokens[i:]).strip(_PUNCT + " ")


# ---------------------------------------------------------------------------
# Dates and holidays
# ---------------------------------------------------------------------------


def nth_weekday(year: int, month: int, weekday: int, ordinal: int) -> date:
    """The ``ordinal``-th ``weekday`` (0=Monday) of the month; ordinal -1 is the last one.

    A 5th weekday that the month does not have falls back to the month's last such
    weekday (a "5ª sexta" rule still meets every month), so this never returns None.
    """
    if not (ordinal == LAST or 1 <= ordinal <= 5):
        raise ValueError(f"ordinal must be 1..5 or -1, not {ordinal}")
    if not 0 <= weekday <= 6:
        raise ValueError(f"weekday must be 0..6, not {weekday}")
    days_in_month = _stdcal.monthrange(year, month)[1]
    first = date(year, month, 1)
    first_match = first + timedelta(days=(weekday - first.weekday()) % 7)
    last_match = first_match + timedelta(days=7 * ((days_in_month - first_match.day) // 7))
    if ordinal == LAST:
        return last_match
    candidate = first_match + timedelta(days=7 * (ordinal - 1))
    return candidate if candidate <= last_match else last_match


def holidays_for(year: int, state: str | None) -> dict[date, str]:
    """National holidays, the state's (UF) holidays, and the observed pontos facultativos.

    Names are in Portuguese, as holidays.Brazil gives them. An unknown UF raises UserError.
    """
    subdiv: str | None = None
    if state is not None and state.strip():
        subdiv = state.strip().upper()
        if len(subdiv) != 2 or subdiv not in Brazil.subdivisions:
            raise UserError(
                N_("I don't know the state '{state}'. Use its two-letter abbreviation (UF)."),
                example=STATE_EXAMPLE,
                state=state.strip(),
            )
    public = Brazil(years=year, subdiv=subdiv, language="pt_BR")
    optional = Brazil(years=year, language="pt_BR", categories=("optional",))
    result: dict[date, str] = {day: str(name) for day, name in public.items()}
    for day, name in optional.items():
        if day not in result and str(name) in OBSERVED_OPTIONAL_HOLIDAYS:
            result[day] = str(name)
    return dict(sorted(result.items()))


def _is_working_day(d: date, holidays: Mapping[date, str]) -> bool:
    return d.weekday() < 5 and d not in holidays


def next_working_day(d: date, holidays: Mapping[date, str]) -> date:
    """``d`` itself if it is a working day, else the first working day after it."""
    while not _is_working_day(d, holidays):
        d += timedelta(days=1)
    return d


def _meeting_day(
    year: int, month: int, rule: MeetingRule | TableRule, holidays: Mapping[date, str]
) -> tuple[date, date | None, str]:
    """(day, shifted_from, shift_reason) of the rule's meeting in that month.

    A holiday moves the meeting to the next working day; if that would leave the month
    (a "última sexta" on 31/12), it moves back to the previous working day instead.
    """
    planned = nth_weekday(year, month, rule.weekday, rule.ordinal)
    if _is_working_day(planned, holidays):
        return planned, None, ""
    reason = holidays.get(planned, "")
    day = next_working_day(planned, holidays)
    if day.month != month:
        day = planned
        while not _is_working_day(day, holidays):
            day -= timedelta(days=1)
    return day, planned, reason


@dataclass(frozen=True)
class PlannedMeeting:
    """One ordinary meeting of the year's calendar."""

    day: date
    at: time
    place: str
    topic: str = ""
    shifted_from: date | None = None
    shift_reason: str = ""  # the holiday's name, when the rule's date was moved


def generate_year(
    rule: MeetingRule,
    year: int,
    *,
    state: str | None,
    topics: Mapping[int, str] | None = None,
) -> list[PlannedMeeting]:
    """One meeting per month of ``year`` by ``rule``, moved off holidays; topics by month."""
    holidays = holidays_for(year, state)
    topics = topics or {}
    meetings = []
    for month in range(1, 13):
        day, shifted_from, reason = _meeting_day(year, month, rule, holidays)
        meetings.append(
            PlannedMeeting(
                day=day,
                at=rule.at,
                place=rule.place,
                topic=topics.get(month, ""),
                shifted_from=shifted_from,
                shift_reason=reason,
            )
        )
    return meetings


# ---------------------------------------------------------------------------
# Table import (CSV or XLSX, like the seed's "Calendário Mensal das Reuniões")
# ---------------------------------------------------------------------------

_MONTH, _DATE, _TIME, _PLACE, _TOPIC = "month", "date", "time", "place", "topic"
# A right value for each column, shown with a row's error (cell values are Portuguese).
_CELL_EXAMPLES = {
    _MONTH: "Março",
    _DATE: "10/03",
    _TIME: "14h",
    _PLACE: "CRAS",
    _TOPIC: "Planejamento anual da Rede",
}
_HEADER_ALIASES = {
    "mes": _MONTH,
    "data": _DATE,
    "dia": _DATE,
    "horario": _TIME,
    "hora": _TIME,
    "horarios": _TIME,
    "local": _PLACE,
    "lugar": _PLACE,
    "observacoes": _TOPIC,
    "observacao": _TOPIC,
    "obs": _TOPIC,
    "pauta": _TOPIC,
    "tema": _TOPIC,
    "assunto": _TOPIC,
}
_REQUIRED = (_MONTH, _DATE, _TIME, _PLACE)
_EXPECTED_COLUMNS = "Mês, Data, Horário, Local, Observações"
_MISSING_LABELS = {_MONTH: "Mês", _DATE: "Data", _TIME: "Horário", _PLACE: "Local"}
_IMPORT_FILE_EXAMPLE = "/importar 2026"


def _header_key(text: str) -> str | None:
    return _HEADER_ALIASES.get(_fold(text).strip(_PUNCT + " "))


_LAYOUT = tables.Layout(key=_header_key, required=_REQUIRED)


def _missing_header_error(rows: Sequence[tables.Row]) -> UserError:
    missing = ", ".join(_MISSING_LABELS[key] for key in tables.missing_fields(rows, _LAYOUT))
    return UserError(
        N_("The table is missing the column(s) {missing}. Expected columns: {columns}."),
        example=_IMPORT_FILE_EXAMPLE,
        missing=missing,
        columns=_EXPECTED_COLUMNS,
    )


_NO_RULE = N_("Row {row} ({column}): it is blank and there is no rule to fill it in.")
_RULE_SILENT = N_(
    "Row {row} ({column}): it is blank, and the rule after /importar does not say it."
)
_NOT_UNDERSTOOD = N_("Row {row} ({column}): I didn't understand '{value}'.")

_DATE_RE = re.compile(r"^(\d{1,2})(?:\s*[/.-]\s*(\d{1,2})(?:\s*[/.-]\s*(\d{2}|\d{4}))?)?$")
_ISO_DATE_RE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ t]\d{1,2}:\d{2}(?::\d{2})?)?$")
_WORDY_DATE_RE = re.compile(
    r"^(\d{1,2})\s*(?:de\s+|/\s*|-\s*)?([a-z]+)\.?(?:\s*(?:de\s+|/\s*)(\d{4}))?$"
)


def _strip_weekday_words(text: str) -> str:
    """'terça-feira, 14/01' or '14/01 (terça)' -> '14/01' (text already folded)."""
    text = re.sub(r"\(.*?\)", " ", text)
    words = [w for w in re.split(r"[\s,]+", text) if w and _weekday_of(w) is None]
    return " ".join(words)


def _parse_date_cell(value: object, month: int | None, year: int) -> tuple[int, int, int | None]:
    """(day, month, year or None) of a Data cell; raises ValueError if it is not a date."""
    if isinstance(value, datetime | date):
        return value.day, value.month, value.year
    if isinstance(value, int | float) and not isinstance(value, bool):
        if float(value).is_integer() and 1 <= value <= 31 and month is not None:
            return int(value), month, None
        raise ValueError(value)
    text = _strip_weekday_words(_fold(str(value)))
    if (match := _ISO_DATE_RE.match(text)) is not None:
        return int(match.group(3)), int(match.group(2)), int(match.group(1))
    if (match := _DATE_RE.match(text)) is not None:
        day_text, month_text, year_text = match.groups()
        if month_text is None:
            if month is None:
                raise ValueError(value)
            return int(day_text), month, None
        explicit_year = None
        if year_text is not None:
            explicit_year = int(year_text) + (2000 if len(year_text) == 2 else 0)
        return int(day_text), int(month_text), explicit_year
    if (match := _WORDY_DATE_RE.match(text)) is not None:
        named_month = _parse_month(match.group(2))
        if named_month is None:
            raise ValueError(value)
        return int(match.group(1)), named_month, int(match.group(3)) if match.group(3) else None
    raise ValueError(value)


@dataclass
class _Parsed:
    row: int
    month: int
    month_text: str
    explicit_date: bool
    meeting: PlannedMeeting


def _topic_text(value: object) -> str:
    if tables.blank(value):
        return ""
    lines = (" ".join(line.split()) for line in str(value).splitlines())
    return " ".join(line for line in lines if line)


def _parse_row(
    number: int,
    cells: Mapping[str, object],
    labels: Mapping[str, str],
    *,
    year: int,
    rule: MeetingRule | TableRule | None,
    holidays: Mapping[date, str],
) -> _Parsed:
    def fail(field: str, key: str, **params: object) -> UserError:
        example = (
            IMPORT_EXAMPLE
            if key in (_NO_RULE, _RULE_SILENT)
            else f"{labels[field]}: {_CELL_EXAMPLES[field]}"
        )
        return UserError(key, example=example, row=number, column=labels[field], **params)

    raw_month, raw_date = cells.get(_MONTH), cells.get(_DATE)
    month: int | None = None
    month_text = ""
    if not tables.blank(raw_month):
        month_text = tables.cell_text(raw_month)
        month = _parse_month(raw_month)
        if month is None:
            raise fail(_MONTH, _NOT_UNDERSTOOD, value=month_text)
    elif tables.blank(raw_date):
        raise fail(_MONTH, N_("Row {row} ({column}): the month is missing."))

    shifted_from: date | None = None
    shift_reason = ""
    if tables.blank(raw_date):
        if rule is None:
            raise fail(_DATE, _NO_RULE)
        assert month is not None  # a blank month with a blank date was refused above
        day, shifted_from, shift_reason = _meeting_day(year, month, rule, holidays)
        explicit = False
    else:
        if isinstance(raw_date, date):
            date_text = raw_date.strftime("%d/%m/%Y")
        else:
            date_text = tables.cell_text(raw_date)
        try:
            d, m, y = _parse_date_cell(raw_date, month, year)
            day = date(y if y is not None else year, m, d)
        except ValueError:
            raise fail(_DATE, _NOT_UNDERSTOOD, value=date_text) from None
        if day.year != year:
            raise fail(
                _DATE,
                N_("Row {row} ({column}): {value} is not in {year}."),
                value=date_text,
                year=year,
            )
        if month is not None and day.month != month:
            raise fail(
                _DATE,
                N_("Row {row} ({column}): {value} is not in {month}."),
                value=date_text,
                month=month_text,
            )
        month = day.month
        month_text = month_text or str(month)
        explicit = True

    raw_time = cells.get(_TIME)
    if tables.blank(raw_time):
        if rule is None:
            raise fail(_TIME, _NO_RULE)
        if rule.at is None:
            raise fail(_TIME, _RULE_SILENT)
        at = rule.at
    else:
        parsed_time = _parse_time(raw_time)
        if parsed_time is None:
            raise fail(_TIME, _NOT_UNDERSTOOD, value=tables.cell_text(raw_time))
        at = parsed_time

    raw_place = cells.get(_PLACE)
    if tables.blank(raw_place):
        if rule is None:
            raise fail(_PLACE, _NO_RULE)
        if rule.place is None:
            raise fail(_PLACE, _RULE_SILENT)
        place = rule.place
    else:
        place = tables.cell_text(raw_place)

    meeting = PlannedMeeting(
        day=day,
        at=at,
        place=place,
        topic=_topic_text(cells.get(_TOPIC)),
        shifted_from=shifted_from,
        shift_reason=shift_reason,
    )
    return _Parsed(number, month, month_text, explicit, meeting)


def _check_same_month(parsed: Sequence[_Parsed], labels: Mapping[str, str]) -> None:
    by_month: dict[int, _Parsed] = {}
    by_slot: dict[tuple[date, time], _Parsed] = {}
    for item in parsed:
        earlier = by_month.get(item.month)
        if earlier is not None and not (earlier.explicit_date and item.explicit_date):
            raise UserError(
                N_(
                    "Row {row} ({column}): {month} already has a meeting in row {other}. "
                    "For two meetings in the same month, fill in the date of both."
                ),
                row=item.row,
                column=labels[_DATE],
                month=item.month_text,
                other=earlier.row,
            )
        by_month.setdefault(item.month, item)
        slot = (item.meeting.day, item.meeting.at)
        if slot in by_slot:
            raise UserError(
                N_("Row {row} ({column}): same date and time as row {other}."),
                row=item.row,
                column=labels[_DATE],
                other=by_slot[slot].row,
            )
        by_slot[slot] = item


def parse_table(
    data: bytes,
    filename: str,
    *,
    year: int,
    rule: MeetingRule | TableRule | None,
    state: str | None,
) -> list[PlannedMeeting]:
    """The meetings of a calendar table sent as .csv or .xlsx, sorted by date.

    Blank Data, Horário or Local come from ``rule`` (the date moved off holidays of
    ``state``). All or nothing: the first problem raises UserError naming the row as
    the spreadsheet shows it (header = row 1) and the column.
    """
    if tables.table_format(filename) is None:
        raise UserError(
            N_(
                "I can only read .csv or .xlsx tables, not '{filename}'. "
                "Send the file with the caption /importar."
            ),
            example=_IMPORT_FILE_EXAMPLE,
            filename=filename,
        )
    rows = tables.read_rows(
        data, filename, _LAYOUT, sniff="first_line", example=_IMPORT_FILE_EXAMPLE
    )

    found = tables.find_header(rows, _LAYOUT)
    if found is None:
        raise _missing_header_error(rows)
    header_index, columns, labels = found
    holidays = holidays_for(year, state)

    parsed: list[_Parsed] = []
    for number, row in rows[header_index + 1 :]:
        cells = tables.field_cells(row, columns)
        filled = {key for key, value in cells.items() if not tables.blank(value)}
        if not filled:
            continue
        if filled == {_TOPIC} and parsed:
            # A cell's second paragraph pasted from Word lands on a row of its own.
            previous = parsed[-1]
            topic = " ".join(filter(None, (previous.meeting.topic, _topic_text(cells[_TOPIC]))))
            previous.meeting = PlannedMeeting(
                day=previous.meeting.day,
                at=previous.meeting.at,
                place=previous.meeting.place,
                topic=topic,
                shifted_from=previous.meeting.shifted_from,
                shift_reason=previous.meeting.shift_reason,
            )
            continue
        parsed.append(_parse_row(number, cells, labels, year=year, rule=rule, holidays=holidays))

    if not parsed:
        raise UserError(N_("The table has no meetings."), example=_IMPORT_FILE_EXAMPLE)
    _check_same_month(parsed, labels)
    return sorted((item.meeting for item in parsed), key=lambda m: (m.day, m.at))


# ---------------------------------------------------------------------------
# ICS
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class IcsEvent:
    """One VEVENT; ``start`` and ``end`` are aware datetimes."""

    uid: str
    start: datetime
    end: datetime
    summary: str
    location: str
    description: str = ""
    cancelled: bool = False
    sequence: int = 0


def build_ics(
    calendar_name: str,
    events: Iterable[IcsEvent],
    *,
    tz: str,
    stamp: datetime,
    method: str | None = None,
) -> bytes:
    """An iCalendar file of ``events`` in the network's time zone ``tz`` (with its VTIMEZONE).

    ``stamp`` (aware) is every event's DTSTAMP: the caller decides it (e.g. the time the
    calendar last changed), so the same input always gives the same bytes.

    icalendar is slow (a year of meetings takes tens of milliseconds, and describing a
    zone's transitions from 1970 to 2038 as many again), and the same calendar is asked
    for again and again with only the stamp moved. So the file is built once per input
    (name, events, zone, method) with a stand-in stamp, and each call puts its own stamp
    in its place: the bytes are exactly those a fresh build would give. The cache is
    keyed on the whole input, so a changed meeting is a new key: nothing stale can come
    out of it.
    """
    if stamp.tzinfo is None:
        raise ValueError("stamp must be an aware datetime")
    items = tuple(events)
    for item in items:
        if item.start.tzinfo is None or item.end.tzinfo is None:
            raise ValueError(f"event {item.uid} has a naive start or end")
    template, stamps = _ics_template(calendar_name, items, tz, method)
    if not stamps:
        return template
    result = template.replace(_stamp_line(_STAND_IN_STAMP), _stamp_line(stamp))
    return result


# The DTSTAMP a cached calendar is built with (see build_ics); no meeting is ever stamped
# 1900, and a property line can only start after CRLF (text values escape line breaks).
_STAND_IN_STAMP = datetime(1900, 1, 1, tzinfo=UTC)
ICS_CACHE_SIZE = 256  # calendars kept (a year of meetings is about 10 KB)


def _stamp_line(stamp: datetime) -> bytes:
    value: bytes = vDDDTypes(stamp.astimezone(UTC)).to_ical()
    return b"\r\nDTSTAMP:" + value + b"\r\n"


@lru_cache(maxsize=ICS_CACHE_SIZE)
def _ics_template(
    calendar_name: str, events: tuple[IcsEvent, ...], tz: str, method: str | None
) -> tuple[bytes, int]:
    """The file stamped with ``_STAND_IN_STAMP``, and how many DTSTAMP lines it has."""
    zone = ZoneInfo(tz)
    cal = Calendar()
    cal.add("prodid", "-//redebot//pt_BR")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if method:
        cal.add("method", method.upper())
    cal.add("x-wr-calname", calendar_name)
    cal.add("x-wr-timezone", tz)
    for item in events:
        event = Event()
        event.add("uid", item.uid)
        event.add("dtstamp", _STAND_IN_STAMP)
        event.add("dtstart", item.start.astimezone(zone))
        event.add("dtend", item.end.astimezone(zone))
        event.add("summary", item.summary)
        if item.location:
            event.add("location", item.location)
        if item.description:
            event.add("description", item.description)
        event.add("sequence", item.sequence)
        event.add("status", "CANCELLED" if item.cancelled else "CONFIRMED")
        cal.add_component(event)
    # Calendar.add_missing_timezones, with each zone described once per process.
    for index, tzid in enumerate(sorted(cal.get_missing_tzids())):
        timezone = _vtimezone(tzid)
        if timezone is not None:
            cal.subcomponents.insert(index, timezone)
    if not cal.timezones:  # no events: still describe the zone X-WR-TIMEZONE names
        cal.add_component(_vtimezone(tz) or Timezone.from_tzid(tz))
    data: bytes = cal.to_ical()
    stamps = data.count(_stamp_line(_STAND_IN_STAMP))
    if stamps != len(events):  # pragma: no cover - a change in icalendar's output
        raise RuntimeError(f"{stamps} DTSTAMP lines for {len(events)} events")
    return data, stamps


@lru_cache(maxsize=64)
def _vtimezone(tzid: str) -> Timezone | None:
    """The VTIMEZONE of ``tzid`` (1970-2038, icalendar's default span); None if unknown.
    Shared by the calendars built here, which only read it."""
    try:
        return Timezone.from_tzid(tzid)
    except ValueError:
        return None


def parse_weekday(token: str) -> int | None:
    """ "quarta", "quarta-feira", "qua" -> 2 (Monday is 0); None when it is not a weekday."""
    return _weekday_of(token)


def parse_ordinal(token: str) -> int | None:
    """ "2ª", "segunda", "última" -> 2, 2, -1; None when it is not an ordinal."""
    return _ordinal_of(token)


def meeting_event(
    *,
    uid: str,
    kind: str,
    start: datetime,
    minutes: int,
    place: str,
    topic: str,
    cancelled: bool,
    sequence: int,
) -> IcsEvent:
    """A meeting as a VEVENT: "Rede de Proteção: reunião ordinária" at its place."""
    return IcsEvent(
        uid=uid,
        start=start,
        end=start + timedelta(minutes=minutes),
        summary=gettext("Rede de Proteção: {kind}").format(kind=kind_name(kind)),
        location=place,
        description=topic,
        cancelled=cancelled,
        sequence=sequence,
    )


def calendar_name(title: str | None) -> str:
    """The network's name on its calendar, "Rede de Proteção Social" when it has none."""
    return title or gettext("Rede de Proteção Social")


# ---------------------------------------------------------------------------
# The commands' arguments
# ---------------------------------------------------------------------------


def parse_year(text: str, *, this_year: int, example: str) -> int:
    """A four-digit year from last year to two years ahead."""
    typed = numbers.number(text)
    if typed is None or len(text) != 4:
        raise UserError(N_("Start with the year, e.g. {year}."), example=example, year=this_year)
    year = typed
    if not this_year - 1 <= year <= this_year + 2:
        raise UserError(
            N_("The year must be between {first} and {last}."),
            example=example,
            first=this_year - 1,
            last=this_year + 2,
        )
    return year


def parse_import_args(
    text: str, *, this_year: int, default_rule: str | None
) -> tuple[int, str | None]:
    """``/importar [year] [rule]``: the year (this one by default) and the rule text
    (the network's by default)."""
    args = text.split(maxsplit=1)
    year = this_year
    if args and numbers.is_number(args[0]):
        year = parse_year(args[0], this_year=this_year, example=IMPORT_EXAMPLE)
        args = args[1:]
    return year, args[0] if args else default_rule


def screen_planned(planned: Iterable[PlannedMeeting]) -> None:
    """Refuse an imported table whose places or topics hold personal data."""
    for item in planned:
        privacy.screen(item.place)
        privacy.screen(item.topic)


def parse_move(parts: Sequence[str]) -> tuple[str, str, str]:
    """``day | new date and time [| new place]`` (the place "" when unchanged)."""
    if len(parts) not in (2, 3) or not parts[0] or not parts[1]:
        raise UserError(
            N_("Write the meeting's day, a |, and the new date and time (and a new place)."),
            example=MOVE_EXAMPLE,
        )
    return parts[0], parts[1], parts[2] if len(parts) == 3 else ""


def parse_cancel(parts: Sequence[str]) -> tuple[str, str]:
    """``day [time] | reason``: a cancellation always says why."""
    if len(parts) != 2 or not parts[0]:
        raise UserError(
            N_(
                "Write the meeting's day (and its time, if there are several that day), a |, "
                "and the reason for cancelling."
            ),
            example=CANCEL_EXAMPLE,
        )
    if not parts[1]:
        raise UserError(N_("A cancellation needs a reason."), example=CANCEL_EXAMPLE)
    check_length(parts[1], MAX_REASON, N_("the reason"))
    return parts[0], parts[1]


def undo_args(text: str) -> str | None:
    """``desfazer [day [time]]``: what follows the word (None: not an undo)."""
    stripped = text.strip()
    first = re.split(r"[\s|]", stripped, maxsplit=1)[0]
    if name_key(first) != UNDO_WORD:
        return None
    rest = stripped[len(first) :]
    if "|" in rest:
        raise UserError(
            N_(
                "Undoing a cancellation needs no reason: write only the meeting's day "
                "(or nothing, for the latest cancellation)."
            ),
            example=UNDO_EXAMPLE,
        )
    return rest.strip()


@dataclass(frozen=True)
class MeetingRef:
    """Which meeting a change names: a local day and, when typed, its time."""

    day: date
    at: time | None


def parse_ref(text: str, *, now: datetime, tz: str, example: str) -> MeetingRef:
    """``03/12`` or ``03/12 10h``: the day of the meeting and maybe its time. A time that
    does not exist ("25h") is answered with ``example`` (the command's form with a time)."""
    try:
        day, at = dates.parse_day_time(text, now=now, tz=tz)
    except UserError as error:
        if error.example == dates.TIME_EXAMPLE:
            error.example = example
        raise
    return MeetingRef(day, at)


class Starts(Protocol):
    @property
    def starts_at(self) -> datetime: ...


S = TypeVar("S", bound=Starts)


def at_time(meetings: Sequence[S], at: time | None, tz: str) -> list[S]:
    """The ``meetings`` of a day that start at ``at`` in the zone ``tz`` (all of them
    when no time was typed)."""
    if at is None:
        return list(meetings)
    zone = ZoneInfo(tz)
    return [m for m in meetings if m.starts_at.astimezone(zone).time() == at]


def new_start(text: str, current: datetime, *, now: datetime, tz: str) -> datetime:
    """Where /remarcar moves a meeting: a bare time keeps its day, else a new day and time."""
    try:
        new_time = dates.parse_time_of_day(text)
    except UserError:
        return dates.parse_when(text, now=now, tz=tz)
    zone = ZoneInfo(tz)
    starts_at = datetime.combine(current.astimezone(zone).date(), new_time, tzinfo=zone)
    if starts_at <= now:
        raise UserError(N_("That time has already passed."), example=MOVE_EXAMPLE)
    return starts_at


# ---------------------------------------------------------------------------
# The year's draft
# ---------------------------------------------------------------------------


def future_meetings(
    planned: Sequence[PlannedMeeting], *, now: datetime, tz: str
) -> list[PlannedMeeting]:
    """The planned meetings still ahead of ``now`` (a calendar made mid-year)."""
    zone = ZoneInfo(tz)
    return [p for p in planned if datetime.combine(p.day, p.at, tzinfo=zone) > now]


def planned_payload(planned: Iterable[PlannedMeeting]) -> list[dict[str, Any]]:
    """The planned meetings as a draft's JSON payload."""
    return [
        {
            "day": p.day.isoformat(),
            "at": p.at.strftime("%H:%M"),
            "place": p.place,
            "topic": p.topic,
            "shifted_from": p.shifted_from.isoformat() if p.shifted_from else None,
            "shift_reason": p.shift_reason,
        }
        for p in planned
    ]


def month_bounds(month: str, tz: str) -> tuple[datetime, datetime]:
    """The first instants of the month "2026-03" and of the next one, in the zone ``tz``."""
    zone = ZoneInfo(tz)
    year, number = (int(x) for x in month.split("-"))
    start = datetime(year, number, 1, tzinfo=zone)
    return start, datetime(year + (number == 12), number % 12 + 1, 1, tzinfo=zone)
