"""A member's rights over what the bot holds about them: export and erasure (LGPD art. 18)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import UserError
from bot.i18n import N_
from storage import personal_data, repo
from storage.models import Member, Network


async def export(session: AsyncSession, network: Network, member: Member) -> dict[str, Any]:
    """Everything stored about ``member`` in ``network``; refused when the bot cannot
    send it to them in private."""
    data = await personal_data.export(session, network, member)
    reachable = await repo.contact_ids(
        session=session, platform=network.platform, user_ids=[member.user_id]
    )
    if member.user_id not in reachable:
        raise UserError(
            N_(
                "I send your data only in private: open a chat with me, send /start, "
                "then ask again here."
            ),
            example="/meusdados",
        )
    return data


async def answer_erasure(
    session: AsyncSession, network: Network, member: Member, *, asked_by_id: int, erase: bool
) -> bool:
    """Erase (or keep) what the bot holds about ``member``, who must be the one who asked.
    Whether anything was erased."""
    if asked_by_id != member.id:
        raise UserError(N_("Only the person who asked can answer this."))
    if not erase:
        return False
    await personal_data.erase(session, network, member)
    return True
