"""The member a command names: by a platform mention or by replying to their message."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import UserError
from bot.i18n import N_
from bot.messages import Person
from storage import repo
from storage.models import Member, Network


async def mentioned(session: AsyncSession, network: Network, who: Person, example: str) -> Member:
    """A mentioned person (a platform mention), who must have written in the group before."""
    found = await repo.member(session=session, network_id=network.id, user_id=who.user_id)
    if found is None:
        raise UserError(
            N_("I don't know {user} yet: ask them to send /setor in the group first."),
            example=example,
            user="@" + who.user_id.split("@")[0],
        )
    return found


async def replied(session: AsyncSession, network: Network, who: Person, now: datetime) -> Member:
    """The author of the message a command replies to (a member from now on)."""
    return await repo.touch_member(
        session=session,
        network_id=network.id,
        user_id=who.user_id,
        name=who.name,
        username=who.username,
        now=now,
    )
