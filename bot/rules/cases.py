"""Complex cases followed by code only (issue 15; seed 000 §6 "Acompanhamento sistemático
de casos complexos"): the code, the risk, the reasons for closing, what a line of
``/caso`` says, and when a case is due, overdue or idle. Pure: "now" and "today" are given.

A case is never named: CASO-2026-014 is all the group, the database and the reports know.
Everything that mentions the code (an encaminhamento, a convocation's pauta or
justification, an ata) is part of the case's timeline by that mention alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from bot.errors import UserError
from bot.i18n import N_, Np_
from bot.rules.names import name_key

# Command examples (commands are the same in every locale, so they are not translated).
NEW_EXAMPLE = "/caso novo CREAS | Saúde, Educação, Conselho Tutelar | alto | 15/01"
NEW_WITH_CODE_EXAMPLE = "/caso novo CASO-2026-014 | CREAS | Saúde, Conselho Tutelar | médio | 15/01"
SHOW_EXAMPLE = "/caso CASO-2026-014"
REVIEW_EXAMPLE = "/caso revisar CASO-2026-014 próxima revisão 15/02"
RISK_EXAMPLE = "/caso risco CASO-2026-014 alto"
CLOSE_EXAMPLE = "/caso encerrar CASO-2026-014 | objetivos alcançados"
CLOSE_OTHER_EXAMPLE = "/caso encerrar CASO-2026-014 | outro: acompanhamento pela rede estadual"
REOPEN_EXAMPLE = "/caso reabrir CASO-2026-014"
CONFIG_EXAMPLE = "/caso config inatividade 30"
LIST_EXAMPLE = "/casos"

CODE_RE = re.compile(r"\bCASO-(\d{4})-(\d{3,})\b", re.IGNORECASE)
MAX_NUMBER_DIGITS = 6
MAX_NOTE = 150
DEFAULT_INTERVAL = timedelta(days=30)  # the next review when none is given
MAX_AHEAD = timedelta(days=366)  # a review further away is a typo
GRACE = timedelta(days=7)  # a review not recorded this long after its day is overdue
NOTICE_AT = time(9, 0)  # reminders and notices go at 9h, local time
MIN_IDLE_DAYS, MAX_IDLE_DAYS = 7, 365

# The sectors that can be a case's reference: the CRAS (PAIF) and the CREAS (PAEFI),
# where seed 003 refers the families ("referenciamento das famílias no CRAS/PAIF").
_REFERENCE = re.compile(r"\b(cras|creas|paif|paefi)\b")


class Risk(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


RISK_WORDS = {"baixo": Risk.LOW, "medio": Risk.MEDIUM, "alto": Risk.HIGH}
RISK_NAMES = {
    Risk.LOW: N_("low risk"),
    Risk.MEDIUM: N_("medium risk"),
    Risk.HIGH: N_("high risk"),
}


class CaseStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class CloseReason(StrEnum):
    GOALS = "goals"
    MOVED = "moved"
    TRANSFERRED = "transferred"
    OTHER = "other"


CLOSE_WORDS = {
    "objetivos alcancados": CloseReason.GOALS,
    "objetivos": CloseReason.GOALS,
    "mudanca de municipio": CloseReason.MOVED,
    "mudanca": CloseReason.MOVED,
    "transferido": CloseReason.TRANSFERRED,
    "transferencia": CloseReason.TRANSFERRED,
    "outro": CloseReason.OTHER,
}
CLOSE_NAMES = {
    CloseReason.GOALS: N_("goals achieved"),
    CloseReason.MOVED: N_("moved to another municipality"),
    CloseReason.TRANSFERRED: N_("transferred"),
    CloseReason.OTHER: N_("other"),
}


class EventKind(StrEnum):
    OPENED = "opened"
    REVIEWED = "reviewed"
    RISK = "risk"
    CLOSED = "closed"
    REOPENED = "reopened"


class Sub(StrEnum):
    SHOW = "show"
    NEW = "new"
    REVIEW = "review"
    RISK = "risk"
    CLOSE = "close"
    REOPEN = "reopen"
    CONFIG = "config"


SUB_WORDS = {
    "novo": Sub.NEW,
    "abrir": Sub.NEW,
    "revisar": Sub.REVIEW,
    "revisao": Sub.REVIEW,
    "risco": Sub.RISK,
    "encerrar": Sub.CLOSE,
    "reabrir": Sub.REOPEN,
    "config": Sub.CONFIG,
}


# --- codes ---------------------------------------------------------------------------------


def normal_code(text: str) -> str | None:
    """ "caso-2026-14" is not a code, "caso-2026-014" is CASO-2026-014; None if not one."""
    match = CODE_RE.fullmatch(text.strip())
    if match is None or len(match.group(2)) > MAX_NUMBER_DIGITS:
        return None
    return f"CASO-{match.group(1)}-{match.group(2)}"


def codes_in(*texts: str | None) -> list[str]:
    """Every case code mentioned in ``texts``, once each, upper case, in order."""
    found: dict[str, None] = {}
    for text in texts:
        for match in CODE_RE.finditer(text or ""):
            if len(match.group(2)) <= MAX_NUMBER_DIGITS:
                found[f"CASO-{match.group(1)}-{match.group(2)}"] = None
    return list(found)


def mentions(text: str | None, code: str) -> bool:
    """Whether ``text`` mentions the case ``code`` (CASO-2026-014 is not CASO-2026-0140)."""
    return code.upper() in codes_in(text)


def next_code(year: int, taken: Iterable[str]) -> str:
    """The year's next free number: CASO-2026-001, then one past the highest."""
    prefix = f"CASO-{year}-"
    numbers = [int(c[len(prefix) :]) for c in taken if c.upper().startswith(prefix)]
    return f"{prefix}{(max(numbers) + 1) if numbers else 1:03d}"


def code_arg(text: str, example: str) -> tuple[str, str]:
    """``CASO-2026-014 rest``: the code (normalised) and what follows it."""
    head, _sep, rest = text.strip().partition(" ")
    code = normal_code(head.rstrip("|"))
    if code is None:
        raise UserError(N_("Start with the case's code, like CASO-2026-014."), example=example)
    return code, rest.strip().lstrip("|").strip()


# --- the command line --------------------------------------------------------------------


def parse_command(args: str) -> tuple[Sub, str]:
    """``/caso <sub> ...`` or ``/caso CASO-...``: which subcommand, and its arguments."""
    head, _sep, rest = args.strip().partition(" ")
    if not head:
        raise UserError(
            N_("Say which case, or what to do: novo, revisar, risco, encerrar, reabrir."),
            example=SHOW_EXAMPLE,
        )
    if normal_code(head) is not None:
        if rest.strip():
            raise UserError(N_("After the code, nothing more."), example=SHOW_EXAMPLE)
        return Sub.SHOW, head
    sub = SUB_WORDS.get(name_key(head))
    if sub is None:
        raise UserError(
            N_("I don't know /caso {word}. Use novo, revisar, risco, encerrar or reabrir."),
            example=NEW_EXAMPLE,
            word=head,
        )
    return sub, rest.strip()


@dataclass(frozen=True)
class NewCase:
    """``/caso novo``'s fields as typed (sectors and the date are resolved by the service).

    One function per field below, so a step-by-step conversation can ask them one at a time.
    """

    code: str | None
    reference: str
    involved: tuple[str, ...]
    risk: Risk
    review: str


def parse_new(args: str) -> NewCase:
    """``[CASO-2026-014 |] reference | involved sectors | risk | next review``."""
    parts = [p.strip() for p in args.split("|")] if args.strip() else []
    code: str | None = None
    if parts:
        head, _sep, rest = parts[0].partition(" ")
        if normal_code(head) is not None:
            code = normal_code(head)
            parts = [rest.strip(), *parts[1:]] if rest.strip() else parts[1:]
        elif CODE_RE.match(parts[0]) or name_key(parts[0]).startswith("caso-"):
            raise UserError(
                N_("A case's code is like CASO-2026-014."), example=NEW_WITH_CODE_EXAMPLE
            )
    if len(parts) != 4 or not all(parts):
        raise UserError(
            N_(
                "Write the reference sector, the sectors involved, the risk (baixo, médio, alto) "
                "and the next review, separated by |."
            ),
            example=NEW_EXAMPLE,
        )
    reference, involved, risk, review = parts
    return NewCase(code, reference, parse_sector_names(involved), parse_risk(risk), review)


def parse_sector_names(text: str) -> tuple[str, ...]:
    """ "Saúde, Educação e Conselho Tutelar" -> the three names."""
    names = tuple(p.strip() for p in re.split(r",| e ", text) if p.strip())
    if not names:
        raise UserError(N_("Say which sectors are involved in the case."), example=NEW_EXAMPLE)
    return names


def parse_risk(text: str, example: str = NEW_EXAMPLE) -> Risk:
    risk = RISK_WORDS.get(name_key(text))
    if risk is None:
        raise UserError(
            N_("The risk is baixo, médio or alto (you wrote {text})."), example=example, text=text
        )
    return risk


def check_review(day: date, today: date, example: str = NEW_EXAMPLE) -> date:
    """The next review is a day ahead, within a year."""
    if day <= today:
        raise UserError(N_("The next review must be after today."), example=example)
    if day - today > MAX_AHEAD:
        raise UserError(N_("The next review must be within a year."), example=example)
    return day


def review_text(rest: str) -> str:
    """``próxima revisão 15/02`` (or just ``15/02``): the date part; "" when none."""
    folded = name_key(rest)
    for lead in ("proxima revisao", "proxima", "revisao", "em", "para"):
        if folded.startswith(lead):
            rest = rest[len(lead) :].strip(" :")
            folded = name_key(rest)
    return rest.strip()


def parse_close(text: str) -> tuple[CloseReason, str | None]:
    """``objetivos alcançados`` / ``mudança de município`` / ``transferido`` / ``outro: why``."""
    folded = name_key(text)
    for words, reason in CLOSE_WORDS.items():
        if folded == words or (reason is CloseReason.OTHER and folded.startswith(words)):
            break
    else:
        raise UserError(
            N_(
                "Say why the case is closed: objetivos alcançados, mudança de município, "
                "transferido, or outro: <a short reason>."
            ),
            example=CLOSE_EXAMPLE,
        )
    if reason is not CloseReason.OTHER:
        return reason, None
    note = text.strip()[len("outro") :].strip(" :-—")
    if len(note) < 3:
        raise UserError(
            N_("After outro, say the reason in a few words."), example=CLOSE_OTHER_EXAMPLE
        )
    if len(note) > MAX_NOTE:
        raise UserError(
            Np_(
                "Please keep it short: at most {n} character.",
                "Please keep it short: at most {n} characters.",
            ),
            example=CLOSE_OTHER_EXAMPLE,
            n=MAX_NOTE,
        )
    return reason, note


def parse_config(args: str) -> int:
    """``inatividade 30``: days without activity that flag a high-risk case."""
    word, _sep, number = args.strip().partition(" ")
    if (
        name_key(word) != "inatividade"
        or not number.strip().isascii()
        or not number.strip().isdigit()
    ):
        raise UserError(N_("Say inatividade and a number of days."), example=CONFIG_EXAMPLE)
    days = int(number.strip())
    if not MIN_IDLE_DAYS <= days <= MAX_IDLE_DAYS:
        raise UserError(
            N_("The period without activity is from {low} to {high} days."),
            example=CONFIG_EXAMPLE,
            low=MIN_IDLE_DAYS,
            high=MAX_IDLE_DAYS,
        )
    return days


# --- who and when ----------------------------------------------------------------------------


def is_reference(sector_key: str) -> bool:
    """A CRAS or CREAS (by its name: "CRAS Centro", "CREAS Regional") can be a case's reference."""
    return _REFERENCE.search(sector_key) is not None


def at_notice_time(day: date, tz: object) -> datetime:
    return datetime.combine(day, NOTICE_AT, tzinfo=tz)  # type: ignore[arg-type]


def overdue_day(review: date) -> date:
    return review + GRACE


def is_late(review_day: date, due: date) -> bool:
    """A review recorded after its day is late (the annual report counts them)."""
    return review_day > due


def is_idle(last_activity: datetime, now: datetime, days: int) -> bool:
    return now - last_activity >= timedelta(days=days)
