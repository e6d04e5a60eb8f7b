"""Messages for the coordination: privately to those who can be reached, else in the group."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.messages import Person, Reply
from storage import repo
from storage.models import Member, Network


def person(member: Member) -> Person:
    return Person(user_id=member.user_id, name=member.name, username=member.username)


async def to_coordination(session: AsyncSession, network: Network, text: str) -> list[Reply]:
    """``text`` for the coordinators: in private when they wrote to the bot, else a mention."""
    coordinators = await repo.coordinators(session=session, network_id=network.id)
    reachable = await repo.contact_ids(
        session=session, platform=network.platform, user_ids=[m.user_id for m in coordinators]
    )
    private = [Reply(text=text, to_user=person(m)) for m in coordinators if m.user_id in reachable]
    return private or [Reply(text=text, mentions=tuple(person(m) for m in coordinators))]
