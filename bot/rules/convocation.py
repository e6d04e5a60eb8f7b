"""Who may convene an extraordinary meeting, and when it may be held (seed 000 §3)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.errors import UserError, check_length
from bot.i18n import N_
from bot.rules import dates, privacy
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
            N_(
                "An extraordinary meeting needs a justificativa (at least {n} letters): "
                "say why the network must meet outside the calendar."
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
    sector_name: str | None,
    is_coordinator: bool,
    now: datetime,
    tz: str,
) -> Convocation:
    """The checked request of ``/convocar`` (its parts from :func:`parse_parts`), seed 000 §3:
    who convenes and on what basis, no personal data, and enough notice."""
    when_text, place, agenda, justification = parts
    if sector_name is None:
        raise UserError(
            N_("Tell me your sector first, so the network knows who is convening."),
            example="/setor Conselho Tutelar",
        )
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
