"""Messages for the coordination (issue 14): in its coordination chat, else privately to a
few coordinators who can be reached, else in the group mentioning them."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.messages import Person, Reply
from storage import repo
from storage.models import Member, Network

# Never many private copies of one notice: WhatsApp bans numbers that send in bulk.
MAX_PRIVATE = 3


def person(member: Member) -> Person:
    return Person(user_id=member.user_id, name=member.name, username=member.username)


async def to_coordination(session: AsyncSession, network: Network, text: str) -> list[Reply]:
    """``text`` for the coordinators: in the chat linked with /coordenacao aqui; without
    one, in private to at most MAX_PRIVATE of those who wrote to the bot (the named
    coordinators first); if none can be reached, in the group mentioning them."""
    if network.coordination_chat_id:
        return [Reply(text=text, chat=network.coordination_chat_id)]
    coordinators = sorted(
        await repo.coordinators(session=session, network_id=network.id),
        key=lambda m: (not m.is_coordinator, m.id),
    )
    reachable = await repo.contact_ids(
        session=session, platform=network.platform, user_ids=[m.user_id for m in coordinators]
    )
    private = [Reply(text=text, to_user=person(m)) for m in coordinators if m.user_id in reachable]
    return private[:MAX_PRIVATE] or [
        Reply(text=text, mentions=tuple(person(m) for m in coordinators))
    ]
