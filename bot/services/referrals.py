"""Encaminhamentos: creating one (from a command or a plan's task) and planning its chase
(seed 002: deadlines, the chase ladder, the weekly digest)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.rules import deadlines
from bot.rules.kinds import Kind
from bot.rules.status import ReferralStatus
from storage import repo
from storage.models import Devolutiva, Network, Referral, Sector

DIGEST_AT = time(9, 0)


def ladder_of(network: Network) -> deadlines.Ladder:
    return deadlines.Ladder(**network.ladder) if network.ladder else deadlines.Ladder()


def due_of(referral: Referral, owed: Devolutiva) -> date:
    return owed.deadline or referral.deadline


async def create(
    session: AsyncSession,
    network: Network,
    *,
    created_by_id: int,
    now: datetime,
    sectors: Sequence[Sector],
    deadline: date,
    description: str,
    origin: str,
    meeting_id: int | None = None,
    plan_id: int | None = None,
    action: str | None = None,
) -> Referral:
    """Save a referral owed by ``sectors`` (its code numbered race-free) and plan its
    chase and the coordination's digest."""
    year = now.astimezone(ZoneInfo(network.timezone)).year
    referral = Referral(
        network_id=network.id,
        code=await repo.next_referral_code(session=session, network_id=network.id, year=year),
        description=description,
        deadline=deadline,
        origin=origin,
        meeting_id=meeting_id,
        plan_id=plan_id,
        action=action,
        status=ReferralStatus.OPEN,
        created_by_id=created_by_id,
        created_at=now,
        owed=[Devolutiva(sector_id=s.id) for s in sectors],
    )
    session.add(referral)
    await session.flush()
    for owed in referral.owed:
        await plan_chase(session, network, referral, owed, now)
    await plan_digest(session, network, now)
    return referral


async def plan_chase(
    session: AsyncSession, network: Network, referral: Referral, owed: Devolutiva, now: datetime
) -> None:
    """One row per ladder step still ahead for this sector; each step is sent once."""
    prefix = f"ref:{referral.id}:{owed.sector_id}:"
    if owed.answered_at is not None or referral.status == ReferralStatus.CONCLUDED:
        await repo.cancel_scheduled(session=session, network_id=network.id, key_prefix=prefix)
        return
    keys = []
    for step, due in deadlines.ladder_times(
        due_of(referral, owed), ladder_of(network), tz=network.timezone
    ):
        if step is deadlines.Step.AGENDA or due <= now:
            continue
        key = f"{prefix}{step.value}"
        keys.append(key)
        await repo.schedule(
            session=session,
            network_id=network.id,
            key=key,
            kind=Kind.REFERRAL_CHASE_MAIL if step is deadlines.Step.EMAIL else Kind.REFERRAL_CHASE,
            due_at=due,
            payload={"referral_id": referral.id, "sector_id": owed.sector_id, "step": step.value},
        )
    await repo.cancel_scheduled(
        session=session, network_id=network.id, key_prefix=prefix, keep=keys
    )


async def plan_digest(session: AsyncSession, network: Network, now: datetime) -> None:
    """The weekly digest to the coordination, every Monday at 9h (one row ahead)."""
    tz = ZoneInfo(network.timezone)
    today = now.astimezone(tz).date()
    monday = today + timedelta(days=(7 - today.weekday()) % 7 or 7)
    await repo.schedule(
        session=session,
        network_id=network.id,
        key=f"digest:{monday.isoformat()}",
        kind=Kind.REFERRAL_DIGEST,
        due_at=datetime.combine(monday, DIGEST_AT, tzinfo=tz),
    )
