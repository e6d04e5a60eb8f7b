"""Writes of action plans (seed 002); each takes the session by keyword, like storage.repo."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ActionPlan


async def add_plan(*, session: AsyncSession, plan: ActionPlan) -> ActionPlan:
    session.add(plan)
    await session.flush()
    return plan
