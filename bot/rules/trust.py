"""Who speaks for a sector (issue 13): a declaration (/setor) is only a claim until the
coordination confirms it, and a sector's address must be the sector's, not a person's.

A member whose declaration waits can chat, answer RSVPs and tap ✋ Presente, but does not
act for the sector: no convocation on its authority (the Conselho Tutelar's same-day
right included), no devolutiva, ata, extension or reporting confirmation in its name, no
place in the rotation, and a presence that does not make the sector present. The
coordination's own declarations count at once (group administrators are trusted).
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from bot.errors import UserError
from bot.i18n import N_
from bot.rules.privacy import GENERIC_PROVIDERS

JOIN_EXAMPLE = "/setor CRAS"
PENDING_EXAMPLE = "/setores pendentes"


class _Named(Protocol):
    @property
    def name(self) -> str: ...


class Declared(Protocol):
    """A member as far as trust goes: the sector declared and whether it was confirmed."""

    @property
    def sector_id(self) -> int | None: ...
    @property
    def confirmed_at(self) -> datetime | None: ...
    @property
    def sector(self) -> _Named | None: ...


NO_SECTOR = N_("Tell me your sector first with /setor.")
NOT_CONFIRMED = N_(
    "The coordination has not confirmed you as a representative of {sector} yet: until then "
    "you can answer RSVPs and mark your presence, but not act for the sector. "
    "Coordination: /setores pendentes"
)


def not_confirmed(member: Declared) -> UserError:
    """The answer to someone acting for a sector the coordination has not confirmed."""
    name = member.sector.name if member.sector is not None else "—"
    return UserError(NOT_CONFIRMED, example=PENDING_EXAMPLE, sector=name)


def speaks_for(member: Declared, *, example: str = JOIN_EXAMPLE, missing: str = NO_SECTOR) -> int:
    """The id of the sector ``member`` acts for; refused (``missing``, a msgid) without a
    sector, and while the coordination has not confirmed the one declared."""
    if member.sector_id is None:
        raise UserError(missing, example=example)
    if member.confirmed_at is None:
        raise not_confirmed(member)
    return member.sector_id


# --- institutional addresses --------------------------------------------------------------

# Mail providers where anyone opens a personal box: an address there is a person's, not a
# sector's, unless the coordination says otherwise (small municipalities do use them).
PERSONAL_MAIL_DOMAINS = GENERIC_PROVIDERS


def is_personal_mail(address: str) -> bool:
    """Whether ``address`` is at a provider of personal mailboxes (subdomains included)."""
    domain = address.strip().lower().rpartition("@")[2].rstrip(".")
    return any(domain == d or domain.endswith("." + d) for d in PERSONAL_MAIL_DOMAINS)
