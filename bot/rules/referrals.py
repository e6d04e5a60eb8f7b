"""Encaminhamentos (seed 000 §5-6, seed 002): their codes, statuses, who hears the chase.

The deadlines themselves (prazos, business days, the ladder) are in ``bot.rules.deadlines``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date
from enum import StrEnum

from bot.errors import UserError
from bot.i18n import N_, Np_
from bot.rules import dates
from bot.rules.deadlines import Ladder, Step
from bot.rules.status import ReferralStatus

# Command examples (commands are the same in every locale, so they are not translated).
EXAMPLE = (
    "/encaminhar Saúde, Conselho Tutelar | 10 dias úteis | "
    "CASO-2025-014: avaliação de saúde mental da criança e retorno à Rede"
)
DEVOLUTIVA_EXAMPLE = (
    "/devolutiva E-2026-001 avaliação feita em 12/03; criança em acompanhamento no CAPS"
)
EXTENSION_EXAMPLE = "/prazo E-2026-001 20/12 aguardando a vaga no CAPS"
CONCLUDE_EXAMPLE = "/concluir E-2026-001"
REOPEN_EXAMPLE = "/reabrir E-2026-001"
DELETE_EXAMPLE = "/excluir E-2026-001 | registrado em duplicidade"
MAX_DELETE_REASON = 300
# "ok", "x": not a reason for the record.
MIN_DELETE_REASON = 3
PENDING_EXAMPLE = "/pendencias Saúde"
LADDER_EXAMPLE = "/cobranca lembrete 2 grupo 1 privado 3 email 5 pauta 7"

CODE_RE = re.compile(r"\bE-\d{4}-\d{3,}\b", re.IGNORECASE)
MAX_DESCRIPTION = 500
MIN_DEVOLUTIVA = 5  # letters: "ok" is not a devolutiva


def is_code(text: str) -> bool:
    """``E-2026-001`` (any case): the whole of ``text`` is an encaminhamento's code."""
    return CODE_RE.fullmatch(text) is not None


def code_in(text: str | None) -> str | None:
    """The first encaminhamento code in ``text`` (the bot's message someone replied to)."""
    match = CODE_RE.search(text or "")
    return match.group(0) if match else None


def sector_names(text: str) -> list[str]:
    """ "Saúde, CRAS e CREAS" -> ["Saúde", "CRAS", "CREAS"] (the sectors that owe)."""
    return [piece.strip() for piece in re.split(r",| e ", text) if piece.strip()]


def check_description(description: str) -> None:
    """An encaminhamento is told in a few lines (the case itself is in the sectors' files)."""
    if len(description) > MAX_DESCRIPTION:
        raise UserError(
            Np_(
                "Please keep it short: at most {n} character.",
                "Please keep it short: at most {n} characters.",
            ),
            example=EXAMPLE,
            n=MAX_DESCRIPTION,
        )


def parse_delete(parts: Sequence[str]) -> tuple[str, str]:
    """``code | reason``: an encaminhamento is deleted only with the reason, for the record."""
    if len(parts) != 2 or not is_code(parts[0]):
        raise UserError(N_("Write the code, a |, and why it is deleted."), example=DELETE_EXAMPLE)
    if len(parts[1]) < MIN_DELETE_REASON:
        raise UserError(
            N_("Say in a few words why {code} is deleted: it stays in the record."),
            example=DELETE_EXAMPLE,
            code=parts[0].upper(),
        )
    if len(parts[1]) > MAX_DELETE_REASON:
        raise UserError(
            Np_(
                "Please keep it short: at most {n} character.",
                "Please keep it short: at most {n} characters.",
            ),
            example=DELETE_EXAMPLE,
            n=MAX_DELETE_REASON,
        )
    return parts[0], parts[1]


def check_devolutiva(text: str) -> None:
    if len(text) < MIN_DEVOLUTIVA:
        raise UserError(N_("Write the devolutiva after the code."), example=DEVOLUTIVA_EXAMPLE)


def open_status(answered: Iterable[bool]) -> ReferralStatus:
    """A referral not concluded: answered once every owing sector answered, else open."""
    return ReferralStatus.ANSWERED if all(answered) else ReferralStatus.OPEN


def on_agenda(late: int, ladder: Ladder) -> bool:
    """Seed 002: late from the ladder's agenda step on, it goes on the agenda and the digest."""
    return late >= ladder.agenda


class Audience(StrEnum):
    """Who hears one step of the chase of a sector's devolutiva."""

    NONE = "none"  # nothing to say
    COORDINATION = "coordination"  # nobody of the sector in the group: the coordination, once
    GROUP = "group"  # the group, mentioning the sector's representatives
    PRIVATE = "private"  # each representative who can be reached in private
    EMAIL = "email"  # the sector's institutional address


def chase_audience(step: Step, *, representatives: bool, email: bool) -> Audience:
    """Seed 002 (the chase ladder): who hears ``step``; without representatives only the
    e-mail step can still reach the sector."""
    if not representatives and step is not Step.EMAIL:
        return Audience.COORDINATION
    if step in (Step.REMINDER, Step.GROUP):
        return Audience.GROUP
    if step is Step.PRIVATE:
        return Audience.PRIVATE
    if step is Step.EMAIL and email:
        return Audience.EMAIL
    return Audience.NONE


def deadline_text(day: date) -> str:
    """ "sexta, 20/12/2026": a deadline as the messages show it."""
    return f"{dates.weekday_name(day)}, {dates.format_date(day, with_year=True)}"
