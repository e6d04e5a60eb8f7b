"""Extensions: a sector asks for more time on a referral (/prazo); the coordination decides."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import UserError
from bot.i18n import N_
from bot.rules import dates, privacy, trust
from bot.rules.referrals import EXTENSION_EXAMPLE
from bot.rules.status import ExtensionStatus
from bot.services.referrals import by_code, due_of, owed_by, plan_chase
from storage import referrals as store
from storage import repo
from storage.models import Devolutiva, Extension, Member, Network, Referral


@dataclass(frozen=True)
class Asked:
    """A request saved, with the coordinators who decide it."""

    request: Extension
    referral: Referral
    owed: Devolutiva
    coordinators: Sequence[Member]


async def ask(
    session: AsyncSession,
    network: Network,
    member: Member,
    *,
    now: datetime,
    code: str,
    day: str,
    reason: str,
) -> Asked:
    """The member's sector, still owing ``code``, asks for a later deadline (``day``)."""
    sector_id = trust.speaks_for(member, example="/setor Saúde")
    referral = await by_code(session, network, code, example=EXTENSION_EXAMPLE)
    owed = owed_by(referral, sector_id)
    if owed is None or owed.answered_at is not None:
        raise UserError(N_("Your sector has nothing pending on {code}."), code=referral.code)
    try:
        new = dates.parse_day(day, now=now, tz=network.timezone)
    except UserError as error:
        error.example = EXTENSION_EXAMPLE  # "01/12 já passou", with the form of /prazo
        raise
    if new <= due_of(referral, owed):
        raise UserError(
            N_("The new date must be after the current deadline."), example=EXTENSION_EXAMPLE
        )
    privacy.screen(reason)
    request = await store.add_extension(
        session=session,
        referral_id=referral.id,
        sector_id=owed.sector_id,
        requested_by_id=member.id,
        new_deadline=new,
        reason=reason,
        now=now,
    )
    coordinators = await repo.coordinators(session=session, network_id=network.id)
    return Asked(request=request, referral=referral, owed=owed, coordinators=coordinators)


@dataclass(frozen=True)
class Decided:
    """The coordination's decision; ``due`` is the sector's deadline now."""

    referral: Referral
    owed: Devolutiva
    accepted: bool
    due: date


async def decide(
    session: AsyncSession,
    network: Network,
    *,
    is_coordinator: bool,
    now: datetime,
    request_id: int,
    accept: bool,
) -> Decided:
    """Only the coordination decides, once; accepted, the sector's chase follows the new
    deadline."""
    request = await store.extension(session=session, extension_id=request_id)
    if request is None:
        raise UserError(N_("This choice is no longer valid."))
    referral = await repo.referral(session=session, referral_id=request.referral_id)
    if referral is None or referral.network_id != network.id:
        raise UserError(N_("This choice is no longer valid."))
    if not is_coordinator:
        raise UserError(N_("Only the network's coordination can decide this."))
    if request.status != ExtensionStatus.OPEN:
        raise UserError(N_("This was already decided."))
    request.decided_at = now
    owed = next(d for d in referral.owed if d.sector_id == request.sector_id)
    if accept:
        request.status = ExtensionStatus.ACCEPTED
        owed.deadline = request.new_deadline
        await plan_chase(session, network, referral, owed, now)
    else:
        request.status = ExtensionStatus.REFUSED
    return Decided(referral=referral, owed=owed, accepted=accept, due=due_of(referral, owed))
