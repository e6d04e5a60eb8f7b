"""The network's settings as people type them: zone, holidays' state, reminders, language,
and who joins or leaves the coordination."""

from __future__ import annotations

import functools
from datetime import timedelta
from zoneinfo import available_timezones

import holidays

from bot.errors import UserError
from bot.i18n import N_, SUPPORTED_LOCALES
from bot.rules import dates
from bot.rules.names import name_key

COORDINATOR_EXAMPLE = "/coordenador + @maria"


def coordinator_by_name(sign: str) -> str:
    """The example of naming a person to add (``+``) or remove (``-``) by her name."""
    return f"/coordenador {sign} Maria Souza"


REMINDERS_EXAMPLE = "/lembretes 3d 1h"
MAX_REMINDERS = 5
# A reminder goes between 5 minutes and 30 days before the meeting.
REMINDER_MINUTES = range(5, 30 * 24 * 60 + 1)


@functools.cache
def _brazilian_zones() -> dict[str, str]:
    """ "cuiaba" -> "America/Cuiaba": people type the city, not the IANA name."""
    zones = {}
    for name in available_timezones():
        if name.startswith("America/") and name.count("/") == 1:
            zones[name_key(name.split("/")[1].replace("_", " "))] = name
    return zones


def parse_zone(text: str) -> str:
    """A city ("Cuiabá") or an IANA name ("America/Cuiaba"); UserError when unknown."""
    name = _brazilian_zones().get(name_key(text), text)
    dates.zone(name)
    return name


@functools.cache
def _brazilian_states() -> dict[str, str]:
    """ "parana", "pr" -> "PR": a state by its name or its abbreviation."""
    brazil = holidays.country_holidays("BR")
    states = {name_key(uf): uf for uf in brazil.subdivisions}
    states.update({name_key(name): uf for name, uf in brazil.subdivisions_aliases.items()})
    return states


SIGNATURE_EXAMPLE = "/assinatura Coordenação da Rede de Proteção Social de Sorriso"


def parse_signature(text: str) -> str:
    """Who signs the e-mails: one line, as the coordination writes it."""
    signature = " ".join(text.split())
    if not signature:
        raise UserError(
            N_("Write after the command who signs the network's e-mails."),
            example=SIGNATURE_EXAMPLE,
        )
    return signature


def parse_state(text: str) -> str:
    """A Brazilian state, by name or abbreviation ("Paraná", "pr" → "PR"), whose holidays
    apply."""
    uf = _brazilian_states().get(name_key(text))
    if uf is None:
        raise UserError(
            N_("{state} is not a Brazilian state."), example="/estado Paraná", state=text.strip()
        )
    return uf


def parse_reminders(words: list[str]) -> list[int]:
    """ "3d", "1h" → the offsets in minutes, largest first (each one once)."""
    if len(words) > MAX_REMINDERS:
        raise UserError(
            N_("At most {n} reminders per meeting."), example=REMINDERS_EXAMPLE, n=MAX_REMINDERS
        )
    minutes = set()
    for word in words:
        total = int(dates.parse_offset(word).total_seconds() // 60)
        if total not in REMINDER_MINUTES:
            raise UserError(
                N_("{offset}: a reminder must be between 5 minutes and 30 days before."),
                example=REMINDERS_EXAMPLE,
                offset=word,
            )
        minutes.add(total)
    return sorted(minutes, reverse=True)


def format_reminders(minutes: list[int]) -> str:
    """[4320, 60] → "3 dias e 1 hora" (largest first, in words)."""
    return dates.join_words(
        [dates.format_duration(timedelta(minutes=m)) for m in sorted(minutes, reverse=True)]
    )


def parse_locale(text: str) -> str:
    """ "pt-br" → "pt_BR": one of the languages the bot speaks."""
    known = {name_key(loc): loc for loc in SUPPORTED_LOCALES}
    locale = known.get(name_key(text.strip().replace("-", "_")))
    if locale is None:
        raise UserError(
            N_("Languages available: {langs}."),
            example="/idioma pt_BR",
            langs=", ".join(SUPPORTED_LOCALES),
        )
    return locale


def parse_coordinator_sign(sign: str) -> bool:
    """ "+" adds a coordinator, "-" removes one."""
    if sign not in {"+", "-"}:
        raise UserError(
            N_("Use + to add or - to remove a coordinator."), example=COORDINATOR_EXAMPLE
        )
    return sign == "+"
