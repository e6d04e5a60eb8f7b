"""Writes of action plans (seed 002) and the names their tables give sectors; each takes
the session by keyword, like storage.repo."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import flag_modified

from bot.rules.names import name_key
from storage.models import ActionPlan, Draft, SectorAlias


async def add_plan(*, session: AsyncSession, plan: ActionPlan) -> ActionPlan:
    session.add(plan)
    await session.flush()
    return plan


async def aliases(*, session: AsyncSession, network_id: int) -> Sequence[SectorAlias]:
    """The names the coordination decided for earlier plans of the network."""
    result = await session.scalars(
        select(SectorAlias).where(SectorAlias.network_id == network_id).order_by(SectorAlias.key)
    )
    return result.all()


async def remember(
    *, session: AsyncSession, network_id: int, name: str, sector_id: int | None, now: datetime
) -> None:
    """``name`` means the sector ``sector_id`` (None: no sector) from now on; a decision
    taken before for the same name is replaced."""
    key = name_key(name)
    alias = await session.scalar(
        select(SectorAlias).where(SectorAlias.network_id == network_id, SectorAlias.key == key)
    )
    if alias is None:
        alias = SectorAlias(network_id=network_id, key=key, created_at=now)
        session.add(alias)
    alias.name, alias.sector_id = name, sector_id
    await session.flush()


def set_payload(*, draft: Draft, payload: dict[str, Any]) -> None:
    """The draft keeps ``payload`` (a JSON column changed in place is not seen otherwise)."""
    draft.payload = payload
    flag_modified(draft, "payload")
