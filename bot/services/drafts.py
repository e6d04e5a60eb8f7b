"""A previewed change (a year's calendar, an action plan) waiting for the coordination."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import UserError
from bot.i18n import N_
from bot.rules.status import DraftStatus
from storage import repo
from storage.models import Draft, Network


async def undecided(
    session: AsyncSession,
    network: Network,
    draft_id: int,
    *,
    kind: str,
    coordinator: bool,
    decided: str,
) -> Draft:
    """The network's draft of ``kind``, still open, for a coordinator to decide;
    ``decided`` (a msgid) answers a second press."""
    draft = await of_kind(session, network, draft_id, kind=kind)
    if not coordinator:
        raise UserError(N_("Only the network's coordination can decide this."))
    if draft.status != DraftStatus.OPEN:
        raise UserError(decided)
    return draft


async def of_kind(session: AsyncSession, network: Network, draft_id: int, *, kind: str) -> Draft:
    """The network's draft of ``kind`` (any status); a button of another network or kind,
    or of a draft that is gone, is no longer valid."""
    draft = await repo.draft(session=session, draft_id=draft_id)
    if draft is None or draft.network_id != network.id or draft.kind != kind:
        raise UserError(N_("This choice is no longer valid."))
    return draft
