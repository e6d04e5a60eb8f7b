"""Who may convene an extraordinary meeting, and when it may be held (seed 000 §3)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from bot.errors import UserError, check_length
from bot.i18n import N_, Np_
from bot.rules import dates, privacy, trust
from bot.rules.names import name_key

EXAMPLE = (
    "/convocar amanhã 9h | CRAS | CASO-2025-014: plano de proteção | "
    "risco iminente à criança, precisamos decidir hoje"
)
MIN_NOTICE = timedelta(hours=24)
# Words that, in a justification, mean the situation of seed 000 §3's last item.
EMERGENCY_WORDS = (
    "violacao grave",
    "violacao de direitos",
    "risco iminente",
    "calamidade",
)
COUNCIL = "conselho tutelar"
EMAIL_EXAMPLE = "/email CRAS cras@municipio.gov.br"
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
MIN_JUSTIFICATION = 15


class Basis(StrEnum):
    """The item of seed 000 §3 under which a meeting was convened."""

    COUNCIL = "conselho_tutelar"  # "Por demanda do Conselho Tutelar (casos graves ou urgentes)"
    SECRETARIA = "secretaria"  # "Pela Secretaria de Assistência Social" (the coordination)
    MEMBER = "orgao_integrante"  # "Por qualquer órgão integrante, mediante justificativa"
    EMERGENCY = "emergencia"  # "violação grave de direitos, risco iminente ou calamidade"


BASIS_NAMES = {
    Basis.COUNCIL: N_("at the request of the Conselho Tutelar"),
    Basis.SECRETARIA: N_("by the Secretaria de Assistência Social"),
    Basis.MEMBER: N_("by a member body, with justification"),
    Basis.EMERGENCY: N_("grave rights violation, imminent risk or public calamity"),
}


@dataclass(frozen=True)
class Convocation:
    """A checked request for an extraordinary meeting."""

    starts_at: datetime
    place: str
    agenda: str
    justification: str
    basis: Basis
    urgent: bool


# What a convocation's text may hold: it is read on phones, and must fit one message.
MAX_AGENDA, MAX_JUSTIFICATION = 500, 1000


def convocation_basis(
    *, sector_name: str | None, is_coordinator: bool, justification: str
) -> Basis:
    """Seed 000 §3: on what ground this person convenes; a justification is always needed.

    The Conselho Tutelar and the coordination (the Secretaria de Assistência Social)
    convene in their own right; any other member sector "mediante justificativa";
    an emergency named in the justification is recorded as such.
    """
    if len(justification.strip()) < MIN_JUSTIFICATION:
        raise UserError(
            Np_(
                "An extraordinary meeting needs a justificativa (at least {n} character): "
                "say why the network must meet outside the calendar.",
                "An extraordinary meeting needs a justificativa (at least {n} characters): "
                "say why the network must meet outside the calendar.",
            ),
            example=EXAMPLE,
            n=MIN_JUSTIFICATION,
        )
    if sector_name is None:
        raise UserError(
            N_("Tell me your sector first, so the network knows who is convening."),
            example="/setor Conselho Tutelar",
        )
    key = name_key(justification)
    if any(word in key for word in EMERGENCY_WORDS):
        return Basis.EMERGENCY
    if name_key(sector_name) == COUNCIL:
        return Basis.COUNCIL
    if is_coordinator:
        return Basis.SECRETARIA
    return Basis.MEMBER


def is_urgent(*, requested: bool, basis: Basis) -> bool:
    """Urgent when asked ("urgente"), or convened by the Conselho Tutelar or in an emergency."""
    return requested or basis in (Basis.COUNCIL, Basis.EMERGENCY)


def check_notice(*, starts_at: datetime, now: datetime, urgent: bool) -> None:
    """A past date is refused; a non-urgent meeting needs 24 hours' notice."""
    if starts_at <= now:
        raise UserError(N_("That date and time have already passed."), example=EXAMPLE)
    if not urgent and starts_at - now < MIN_NOTICE:
        raise UserError(
            N_(
                "Without urgency, an extraordinary meeting needs at least 24 hours' notice. "
                "If it is urgent, write urgente at the end."
            ),
            example=EXAMPLE + " | urgente",
        )


def parse_parts(args: str) -> tuple[list[str], bool]:
    """Split ``quando | local | pauta | justificativa [| urgente]``; tell what is missing."""
    parts = [part.strip() for part in args.split("|")]
    urgent = False
    if parts and name_key(parts[-1]) in {"urgente", "urgencia"}:
        urgent = True
        parts = parts[:-1]
    if len(parts) < 4 or not all(parts[:4]):
        if len(parts) >= 3 and all(parts[:3]):
            raise UserError(
                N_(
                    "An extraordinary meeting needs a justificativa: add a | and say why "
                    "the network must meet outside the calendar."
                ),
                example=EXAMPLE,
            )
        raise UserError(
            N_("Write the four parts separated by |: when | place | agenda | justificativa."),
            example=EXAMPLE,
        )
    if len(parts) > 4:
        parts = [*parts[:3], " | ".join(parts[3:])]
    return parts, urgent


def check_convocation(
    parts: list[str],
    urgent_asked: bool,
    *,
    member: trust.Declared,
    is_coordinator: bool,
    now: datetime,
    tz: str,
) -> Convocation:
    """The checked request of ``/convocar`` (its parts from :func:`parse_parts`), seed 000 §3:
    who convenes and on what basis, no personal data, and enough notice. One convenes on
    the authority of a sector the coordination confirmed (issue 13): a declaration alone
    gives no Conselho Tutelar's right."""
    when_text, place, agenda, justification = parts
    trust.speaks_for(
        member,
        example="/setor Conselho Tutelar",
        missing=N_("Tell me your sector first, so the network knows who is convening."),
    )
    sector_name = member.sector.name if member.sector is not None else None
    for text in (place, agenda, justification):
        privacy.screen(text)
    check_length(place, 255, N_("the place"))
    check_length(agenda, MAX_AGENDA, N_("the agenda"))
    check_length(justification, MAX_JUSTIFICATION, N_("the justification"))
    basis = convocation_basis(
        sector_name=sector_name, is_coordinator=is_coordinator, justification=justification
    )
    urgent = is_urgent(requested=urgent_asked, basis=basis)
    starts_at = dates.parse_when(when_text, now=now, tz=tz, allow_past=True)
    check_notice(starts_at=starts_at, now=now, urgent=urgent)
    return Convocation(starts_at, place, agenda, justification, basis, urgent)


def parse_email(args: list[str]) -> tuple[str, str]:
    """``/email <sector> <address>``: the sector's name and the address, lower case."""
    address = args[-1] if args else ""
    if len(args) < 2 or not EMAIL_RE.match(address):
        raise UserError(
            N_("Write the sector and its institutional e-mail address."), example=EMAIL_EXAMPLE
        )
    return " ".join(args[:-1]), address.lower()


# --- what a convocation's preview warns of ------------------------------------------

DURATION = timedelta(minutes=120)  # how long an extraordinary meeting is held to last
# A start outside these local hours is likely a typo ("3h" for "13h"): the preview says so.
EARLIEST, LATEST = time(7, 0), time(20, 0)


@dataclass(frozen=True)
class Busy:
    """Another meeting of the network, as the preview's checks see it."""

    kind: str  # "ordinary" | "extraordinary" | "working_group"
    starts_at: datetime
    minutes: int
    place: str
    topic: str = ""  # a working group's meetings carry its name
    cancel_reason: str | None = None  # set: it was cancelled


@dataclass(frozen=True)
class Caveats:
    """What the convener should know before the convocation goes out."""

    clashes: tuple[Busy, ...] = ()  # scheduled meetings at an overlapping time
    cancelled: tuple[Busy, ...] = ()  # meetings of that day that were cancelled (and why)
    weekend: bool = False
    holiday: str | None = None  # its name, as holidays.Brazil gives it
    odd_hour: bool = False

    def __bool__(self) -> bool:
        return bool(self.clashes or self.cancelled or self.weekend or self.holiday or self.odd_hour)


def overlaps(starts_at: datetime, minutes: int, other: Busy) -> bool:
    """Two meetings overlap when each starts before the other ends."""
    ends_at = starts_at + timedelta(minutes=minutes)
    return other.starts_at < ends_at and starts_at < other.starts_at + timedelta(
        minutes=other.minutes
    )


def duplicate_of(starts_at: datetime, others: Sequence[Busy]) -> Busy | None:
    """A scheduled extraordinary meeting at the same day and time: convening it again would
    mention everyone a second time, so it is refused, not warned."""
    return next(
        (
            o
            for o in others
            if o.kind == "extraordinary" and o.cancel_reason is None and o.starts_at == starts_at
        ),
        None,
    )


def check_duplicate(starts_at: datetime, others: Sequence[Busy], tz: str) -> None:
    """Refuse convening a meeting the network was already convened to."""
    found = duplicate_of(starts_at, others)
    if found is None:
        return
    raise UserError(
        N_(
            "An extraordinary meeting is already convened for {when} ({place}: {topic}). "
            "I did not convene it again, so nobody is mentioned twice. If it is another "
            "matter, bring it to that meeting or choose another time."
        ),
        example=EXAMPLE,
        when=dates.format_when(found.starts_at, tz),
        place=found.place,
        topic=found.topic,
    )


def caveats(
    starts_at: datetime,
    others: Sequence[Busy],
    *,
    tz: str,
    holidays: Mapping[date, str],
    minutes: int = int(DURATION.total_seconds() // 60),
) -> Caveats:
    """The warnings of a convocation's preview: another meeting at an overlapping time,
    a meeting of that day that was cancelled (a municipal holiday the library does not
    know is often told that way), a weekend, a holiday, an hour outside the working day."""
    local = starts_at.astimezone(dates.zone(tz))
    day = local.date()
    scheduled = [o for o in others if o.cancel_reason is None]
    clashes = tuple(o for o in scheduled if overlaps(starts_at, minutes, o))
    cancelled = tuple(
        o
        for o in others
        if o.cancel_reason is not None and o.starts_at.astimezone(dates.zone(tz)).date() == day
    )
    return Caveats(
        clashes=clashes,
        cancelled=cancelled,
        weekend=day.weekday() >= 5,
        holiday=holidays.get(day),
        odd_hour=not EARLIEST <= local.time() <= LATEST,
    )
