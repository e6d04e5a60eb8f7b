"""What the bot holds about one person in one network, and its erasure (LGPD art. 18)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.rules import personal_data as rules
from bot.rules.status import MarkedBy, OutboxStatus
from storage import cases as cases_store
from storage import flows as flows_store
from storage import repo
from storage.models import (
    Ata,
    Attendance,
    Choice,
    ChoiceAnswer,
    Contact,
    Delivery,
    Devolutiva,
    Draft,
    Extension,
    Meeting,
    Member,
    Network,
    PersonAlias,
    Referral,
    Rsvp,
    SentNotice,
)
from storage.retention import VOTE_ERROR_PREFIX


async def gather(session: AsyncSession, network: Network, member: Member) -> rules.MyData:
    """Everything stored about ``member`` in ``network``, and their platform-wide rows."""
    names = {
        s.id: s.name
        for s in await repo.sectors(session=session, network_id=network.id, include_removed=True)
    }
    contact = await session.get(Contact, (network.platform, member.user_id))
    others = await repo.members_of_user(
        session=session, platform=network.platform, user_id=member.user_id
    )
    other_networks = [await session.get(Network, m.network_id) for m in others]
    return rules.MyData(
        network=network.title,
        timezone=network.timezone,
        platform=network.platform,
        user_id=member.user_id,
        name=member.name,
        username=member.username,
        sector=member.sector.name if member.sector else None,
        coordinator=member.is_coordinator,
        admin=member.is_admin,
        since=member.created_at,
        private_chat_since=contact.started_at if contact else None,
        other_ids=tuple(
            await repo.person_aliases(
                session=session, platform=network.platform, user_id=member.user_id
            )
        ),
        other_networks=tuple(
            n.title for n in other_networks if n is not None and n.id != network.id
        ),
        answers=await _answers(session, member),
        presences=await _presences(session, member, names),
        devolutivas=await _devolutivas(session, member, names),
        atas=await _atas(session, member),
        referrals=await _referrals(session, member),
        deleted_referrals=await _deleted(session, member),
        extensions=await _extensions(session, member, names),
        convened=await _convened(session, member),
        cases=await _cases(session, member),
        flows=await _flows(session, member),
    )


async def _flows(session: AsyncSession, member: Member) -> tuple[rules.FlowVersionTouched, ...]:
    """The flow versions they sent or approved (the rows keep the version, not the person,
    once they erase their data: the foreign keys are SET NULL)."""
    rows = await flows_store.member_versions(session=session, member_id=member.id)
    return tuple(
        rules.FlowVersionTouched(
            name, v.number, v.sent_by_id == member.id, v.approved_by_id == member.id, v.sent_at
        )
        for v, name in rows
    )


async def _answers(session: AsyncSession, member: Member) -> tuple[rules.Answer, ...]:
    rows = await session.execute(
        select(Rsvp, Meeting.starts_at)
        .join(Meeting, Meeting.id == Rsvp.meeting_id)
        .where(Rsvp.member_id == member.id)
        .order_by(Meeting.starts_at)
    )
    return tuple(rules.Answer(at, r.answer, r.reason, r.answered_at) for r, at in rows.all())


async def _presences(
    session: AsyncSession, member: Member, names: Mapping[int, str]
) -> tuple[rules.Presence, ...]:
    rows = await session.execute(
        select(Attendance, Meeting.starts_at)
        .join(Meeting, Meeting.id == Attendance.meeting_id)
        .where(Attendance.member_id == member.id)
        .order_by(Meeting.starts_at)
    )
    return tuple(
        rules.Presence(at, a.present, a.marked_by, names.get(a.sector_id or 0))
        for a, at in rows.all()
    )


async def _devolutivas(
    session: AsyncSession, member: Member, names: Mapping[int, str]
) -> tuple[rules.DevolutivaGiven, ...]:
    rows = await session.execute(
        select(Devolutiva, Referral.code)
        .join(Referral, Referral.id == Devolutiva.referral_id)
        .where(Devolutiva.answered_by_id == member.id)
        .order_by(Devolutiva.answered_at)
    )
    return tuple(
        rules.DevolutivaGiven(code, names.get(d.sector_id, "?"), d.answered_at, d.text)
        for d, code in rows.all()
    )


async def _atas(session: AsyncSession, member: Member) -> tuple[rules.AtaDelivered, ...]:
    rows = await session.execute(
        select(Ata, Meeting.starts_at)
        .join(Meeting, Meeting.id == Ata.meeting_id)
        .where(Ata.delivered_by_id == member.id)
        .order_by(Meeting.starts_at)
    )
    return tuple(
        rules.AtaDelivered(at, a.status, a.delivered_at, a.file_name) for a, at in rows.all()
    )


async def _referrals(session: AsyncSession, member: Member) -> tuple[rules.ReferralMade, ...]:
    rows = await session.scalars(
        select(Referral).where(Referral.created_by_id == member.id).order_by(Referral.code)
    )
    return tuple(
        rules.ReferralMade(r.code, r.created_at, r.description, r.status) for r in rows.all()
    )


async def _deleted(session: AsyncSession, member: Member) -> tuple[rules.ReferralDeleted, ...]:
    rows = await session.scalars(
        select(Referral).where(Referral.deleted_by_id == member.id).order_by(Referral.code)
    )
    return tuple(rules.ReferralDeleted(r.code, r.deleted_at, r.deleted_reason) for r in rows.all())


async def _extensions(
    session: AsyncSession, member: Member, names: Mapping[int, str]
) -> tuple[rules.ExtensionAsked, ...]:
    rows = await session.execute(
        select(Extension, Referral.code)
        .join(Referral, Referral.id == Extension.referral_id)
        .where(Extension.requested_by_id == member.id)
        .order_by(Extension.created_at)
    )
    return tuple(
        rules.ExtensionAsked(
            code, names.get(e.sector_id, "?"), e.new_deadline, e.reason, e.status, e.created_at
        )
        for e, code in rows.all()
    )


async def _convened(session: AsyncSession, member: Member) -> tuple[rules.MeetingConvened, ...]:
    rows = await session.scalars(
        select(Meeting).where(Meeting.convened_by_id == member.id).order_by(Meeting.starts_at)
    )
    return tuple(
        rules.MeetingConvened(m.starts_at, m.justification, m.urgent, m.status) for m in rows.all()
    )


async def _cases(session: AsyncSession, member: Member) -> tuple[rules.CaseAction, ...]:
    """A case names nobody; what the person did on it (their id in cases.opened_by_id and
    case_events.member_id, SET NULL on erasure) is theirs."""
    return tuple(
        rules.CaseAction(code, kind, at)
        for code, kind, at in await cases_store.events_by(session=session, member_id=member.id)
    )


# --- erasure -------------------------------------------------------------------------------


async def erase(session: AsyncSession, network: Network, member: Member) -> None:
    """The person's data in ``network`` goes; the network's records stay, naming the sector.

    - Presences: a present mark with a sector stays, naming nobody (``MarkedBy.ERASED``:
      "representante do setor X"), unless the sector already has such a mark at that
      meeting (it stays counted); any other mark goes.
    - Devolutivas, atas, encaminhamentos, requests for more time, convocations, cases and
      their timelines stay with their sector; the link to the person goes (the foreign
      keys are SET NULL: cases.opened_by_id, case_events.member_id...).
    - The member row goes, and with it RSVPs (and their reasons) and questions; the
      person's previews, answers to polls, notices about their votes, and the bot's
      messages that name them (those pending to them privately too).
    - The private chat and the other ids go with their last network on this platform.

    Two erasures of one person at once (one in the private chat, one in a group: other
    lanes) take turns: each would see the other's member row, not yet gone, and both
    would leave the private chat behind. SQLite's write lock already serialises them;
    PostgreSQL gets a lock on the person for the transaction.
    """
    if session.get_bind().dialect.name == "postgresql":
        person = f"erase:{network.platform}:{member.user_id}"
        await session.execute(select(func.pg_advisory_xact_lock(func.hashtext(person))))
    await _keep_presences(session, member)
    await session.execute(
        delete(Draft).where(Draft.network_id == network.id, Draft.user_id == member.user_id)
    )
    # Their answers in the network's chats and in their private chat with the bot (whose
    # id on WhatsApp is their phone JID, one of their other ids).
    own_ids = (
        await session.scalars(
            select(PersonAlias.alias).where(
                PersonAlias.platform == network.platform, PersonAlias.user_id == member.user_id
            )
        )
    ).all()
    chats = {network.chat_id, member.user_id, *own_ids}
    if network.coordination_chat_id:
        chats.add(network.coordination_chat_id)
    await session.execute(
        delete(ChoiceAnswer).where(
            ChoiceAnswer.platform == network.platform,
            ChoiceAnswer.chat_id.in_(sorted(chats)),
            ChoiceAnswer.user_id == member.user_id,
        )
    )
    await session.execute(
        delete(SentNotice).where(
            SentNotice.network_id == network.id,
            SentNotice.key.startswith(VOTE_ERROR_PREFIX, autoescape=True),
            SentNotice.key.endswith(f":{member.user_id}", autoescape=True),
        )
    )
    await _forget_in_outbox(session, network, member.user_id)
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
    # The options the bot sent in the private chat (keyed by its id: the phone on WhatsApp).
    await session.execute(
        delete(Choice).where(
            Choice.platform == network.platform,
            Choice.chat_id.in_(sorted({member.user_id, *own_ids})),
        )
    )
    await repo.forget_person_aliases(
        session=session, platform=network.platform, user_id=member.user_id
    )


async def _keep_presences(session: AsyncSession, member: Member) -> None:
    rows = await session.scalars(select(Attendance).where(Attendance.member_id == member.id))
    for row in rows.all():
        if not row.present or row.sector_id is None:
            await session.delete(row)
            continue
        unnamed = await session.scalar(
            select(Attendance.id).where(
                Attendance.meeting_id == row.meeting_id,
                Attendance.sector_id == row.sector_id,
                Attendance.member_id.is_(None),
                Attendance.present.is_(True),
            )
        )
        if unnamed is not None:
            await session.delete(row)
            continue
        row.member_id = None
        row.marked_by = MarkedBy.ERASED
        await session.flush()


def _names(payload: Mapping[str, Any], user_id: str) -> tuple[bool, bool]:
    """(to them privately, mentioning them) for a delivery's payload."""
    to_user = payload.get("to_user") or {}
    private = str(to_user.get("user_id", "")) == user_id
    mentioned = any(str(p.get("user_id", "")) == user_id for p in payload.get("mentions") or ())
    return private, mentioned


async def _forget_in_outbox(session: AsyncSession, network: Network, user_id: str) -> None:
    """The bot's messages that name the person: sent ones go (their copy is history); a
    pending one to them privately goes, a pending one to the group mentions them no more."""
    rows = await session.scalars(
        select(Delivery).where(Delivery.network_id == network.id, Delivery.target != "mail")
    )
    for row in rows.all():
        private, mentioned = _names(row.payload, user_id)
        if not (private or mentioned):
            continue
        if row.status != OutboxStatus.PENDING or private:
            await session.delete(row)
            continue
        row.payload = {
            **row.payload,
            "mentions": [
                p for p in row.payload.get("mentions") or () if str(p.get("user_id")) != user_id
            ],
        }
    await session.flush()
