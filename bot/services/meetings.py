"""What the messages about one meeting show, read for the handlers that draw them: its
RSVPs, who convened it, who is expected and has not answered."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from storage import meetings as store
from storage import repo
from storage.models import Meeting, Member, Network, Rsvp, Sector


@dataclass(frozen=True)
class Convener:
    """Who convened a meeting: the member (None once they erased their data) and the
    sector on whose behalf."""

    member: Member | None
    sector: Sector | None


async def rsvps(session: AsyncSession, meeting: Meeting) -> Sequence[Rsvp]:
    return await repo.rsvps(session=session, meeting_id=meeting.id)


async def convener(session: AsyncSession, meeting: Meeting) -> Convener | None:
    """Who convened an extraordinary meeting (None for the others, or when neither the
    person nor the sector is known)."""
    if meeting.kind != "extraordinary":
        return None
    member = (
        await store.member(session=session, member_id=meeting.convened_by_id)
        if meeting.convened_by_id is not None
        else None
    )
    sector_id = meeting.convened_by_sector_id
    sector = await store.sector_by_id(session=session, sector_id=sector_id) if sector_id else None
    if member is None and sector is None:
        return None
    return Convener(member=member, sector=sector)


async def unanswered(session: AsyncSession, network: Network, meeting: Meeting) -> list[Member]:
    """Representatives of expected sectors where nobody answered yet (reminders name them).
    The sector that convened the meeting has answered by convening it."""
    expected = await store.expected_sectors(session=session, network=network, meeting=meeting)
    answers = await repo.rsvps(session=session, meeting_id=meeting.id)
    answered = {a.member.confirmed_sector_id for a in answers} | {meeting.convened_by_sector_id}
    missing = [s.id for s in expected if s.id not in answered]
    return list(
        await repo.representatives(session=session, network_id=network.id, sector_ids=missing)
    )
