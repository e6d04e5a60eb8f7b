"""What the bot holds about one person in one network, and its erasure (LGPD art. 18)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import repo
from storage.models import Attendance, Contact, Devolutiva, Meeting, Member, Network, Referral, Rsvp


async def export(session: AsyncSession, network: Network, member: Member) -> dict[str, Any]:
    """Everything stored about ``member`` in ``network``, as plain JSON-able data."""
    rsvps = await session.execute(
        select(Rsvp, Meeting)
        .join(Meeting, Meeting.id == Rsvp.meeting_id)
        .where(Rsvp.member_id == member.id)
    )
    presence = await session.execute(
        select(Attendance, Meeting)
        .join(Meeting, Meeting.id == Attendance.meeting_id)
        .where(Attendance.member_id == member.id)
    )
    answers = await session.execute(
        select(Devolutiva, Referral)
        .join(Referral, Referral.id == Devolutiva.referral_id)
        .where(Devolutiva.answered_by_id == member.id)
    )
    contact = await session.get(Contact, (network.platform, member.user_id))
    return {
        "network": network.title,
        "name": member.name,
        "username": member.username,
        "sector": member.sector.name if member.sector else None,
        "coordinator": member.is_coordinator,
        "since": member.created_at.isoformat(),
        "private_chat_started": contact.started_at.isoformat() if contact else None,
        "user_id": member.user_id,
        "other_ids": await repo.person_aliases(
            session=session, platform=network.platform, user_id=member.user_id
        ),
        "rsvps": [
            {"meeting": m.starts_at.isoformat(), "answer": r.answer, "reason": r.reason}
            for r, m in rsvps.all()
        ],
        "presence": [
            {"meeting": m.starts_at.isoformat(), "present": a.present, "marked_by": a.marked_by}
            for a, m in presence.all()
        ],
        "devolutivas": [
            {"code": r.code, "answered_at": d.answered_at.isoformat() if d.answered_at else None}
            for d, r in answers.all()
        ],
    }


async def erase(session: AsyncSession, network: Network, member: Member) -> None:
    """The member row (and what hangs on it) goes; the private chat and the person's
    other ids go with their last network on this platform."""
    await session.delete(member)
    await session.flush()
    others = await repo.members_of_user(
        session=session, platform=network.platform, user_id=member.user_id
    )
    if others:
        return
    await session.execute(
        delete(Contact).where(
            Contact.platform == network.platform, Contact.user_id == member.user_id
        )
    )
    await repo.forget_person_aliases(
        session=session, platform=network.platform, user_id=member.user_id
    )
