"""A member's rights over what the bot holds about them: access and erasure (LGPD art. 18)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import UserError
from bot.i18n import N_
from bot.rules.personal_data import MyData
from storage import personal_data, repo
from storage.models import Member, Network


async def export(session: AsyncSession, network: Network, member: Member) -> MyData:
    """Everything stored about ``member`` in ``network``; refused when the bot cannot
    send it to them in private."""
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
    return await personal_data.gather(session, network, member)


async def answer_erasure(
    session: AsyncSession, network: Network, member: Member, *, asked_by_id: int, erase: bool
) -> str | None:
    """Erase (or keep) what the bot holds about ``member``, who must be the one who asked.
    None when nothing was erased; else the sector the network's records now name
    ("" when the member had none)."""
    if asked_by_id != member.id:
        raise UserError(N_("Only the person who asked can answer this."))
    if not erase:
        return None
    sector = member.sector.name if member.sector else ""
    await personal_data.erase(session, network, member)
    return sector
