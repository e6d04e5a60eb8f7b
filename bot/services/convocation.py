"""Extraordinary meetings: convening one, the e-mails to the sectors, the sectors' addresses."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.rules.convocation import Convocation
from bot.rules.kinds import Kind
from bot.rules.status import MeetingStatus
from bot.scheduling import plan_meeting
from storage import meetings as meeting_store
from storage import repo
from storage.models import Meeting, Member, Network, ScheduledMessage, Sector

MAIL_KIND = Kind.CONVOCATION_MAIL
CONVOKE = "convoke"
CANCEL = "cancel"


@dataclass(frozen=True)
class Notified:
    """A meeting the network was told of: the sectors e-mailed and the people to mention."""

    meeting: Meeting
    mailed: list[str]
    people: Sequence[Member]


@dataclass(frozen=True)
class MailTarget:
    """One convocation (or cancellation) e-mail still to send."""

    sector: Sector
    meeting: Meeting
    action: str


@dataclass(frozen=True)
class MailFailure:
    """A sector's e-mail that did not go through, and the coordination to tell."""

    sector: Sector
    coordinators: Sequence[Member]


async def schedule_mails(
    session: AsyncSession, network: Network, meeting: Meeting, action: str, now: datetime
) -> list[str]:
    """One e-mail row per sector with an address; returns the sectors' names. A meeting
    changed since it was convened (cancelled, its cancellation undone, cancelled again)
    gets rows of its own for each change: a row already sent is never sent again."""
    sectors = await meeting_store.sectors_with_email(session=session, network_id=network.id)
    change = f":{meeting.sequence}" if meeting.sequence else ""
    for sector in sectors:
        await repo.schedule(
            session=session,
            network_id=network.id,
            key=f"mail:{meeting.id}:{action}:{sector.id}{change}",
            kind=MAIL_KIND,
            due_at=now,
            meeting_id=meeting.id,
            payload={"sector_id": sector.id, "action": action},
        )
    return [s.name for s in sectors]


def _meeting_of(network: Network, member: Member, now: datetime, asked: Convocation) -> Meeting:
    return Meeting(
        network_id=network.id,
        kind="extraordinary",
        starts_at=asked.starts_at,
        duration_minutes=120,
        place=asked.place,
        topic=asked.agenda,
        status=MeetingStatus.SCHEDULED,
        sequence=0,
        justification=asked.justification,
        basis=asked.basis.value,
        urgent=asked.urgent,
        convened_by_id=member.id,
        convened_by_sector_id=member.sector_id,
        created_at=now,
        updated_at=now,
    )


async def convene(
    session: AsyncSession,
    network: Network,
    member: Member,
    now: datetime,
    asked: Convocation,
    *,
    mail: bool,
) -> Notified:
    """Save the extraordinary meeting, plan its reminders and (``mail``: when e-mail is
    set up) e-mail the sectors; everyone but the one convening is mentioned."""
    meeting = _meeting_of(network, member, now, asked)
    await repo.add_meetings(session=session, meetings=[meeting])
    await plan_meeting(session=session, network=network, meeting=meeting, now=now)
    mailed = await schedule_mails(session, network, meeting, CONVOKE, now) if mail else []
    people = await repo.representatives(session=session, network_id=network.id)
    return Notified(meeting, mailed, [m for m in people if m.id != member.id])


async def cancellation_notice(
    session: AsyncSession, network: Network, meeting: Meeting, now: datetime, *, mail: bool
) -> Notified | None:
    """Everyone convened to an extraordinary meeting hears of its cancellation (None:
    an ordinary meeting, nothing to add)."""
    if meeting.kind != "extraordinary":
        return None
    mailed = await schedule_mails(session, network, meeting, CANCEL, now) if mail else []
    people = await repo.representatives(session=session, network_id=network.id)
    return Notified(meeting, mailed, people)


async def restoration_notice(
    session: AsyncSession, network: Network, meeting: Meeting, now: datetime, *, mail: bool
) -> Notified | None:
    """Everyone convened to an extraordinary meeting hears its cancellation was undone;
    the sectors get the convocation (and its invitation) again, since the cancellation's
    withdrew it from their calendars (None: an ordinary meeting, nothing to add)."""
    if meeting.kind != "extraordinary":
        return None
    mailed = await schedule_mails(session, network, meeting, CONVOKE, now) if mail else []
    people = await repo.representatives(session=session, network_id=network.id)
    return Notified(meeting, mailed, people)


async def sectors(session: AsyncSession, network: Network) -> Sequence[Sector]:
    return await repo.sectors(session=session, network_id=network.id)


def set_email(sector: Sector, address: str) -> Sector:
    """Convocations for ``sector`` go to ``address`` from now on."""
    sector.email = address
    return sector


async def mail_target(session: AsyncSession, row: ScheduledMessage) -> MailTarget | None:
    """What a mail row sends, unless the sector lost its address, the meeting is gone, a
    convocation's meeting is no longer scheduled or a cancellation's is back on."""
    action = str(row.payload.get("action", CONVOKE))
    sector_id = int(row.payload.get("sector_id", 0))
    sector = await meeting_store.sector(session=session, sector_id=sector_id)
    meeting = (
        await repo.meeting(session=session, meeting_id=row.meeting_id) if row.meeting_id else None
    )
    if sector is None or not sector.email or meeting is None:
        return None
    if action == CONVOKE and meeting.status != MeetingStatus.SCHEDULED:
        return None
    if action == CANCEL and meeting.status == MeetingStatus.SCHEDULED:
        return None  # the cancellation was undone before its e-mail went out
    return MailTarget(sector, meeting, action)


async def mail_failure(
    session: AsyncSession, network: Network, row: ScheduledMessage
) -> MailFailure | None:
    """The sector whose e-mail failed and the coordination to tell (None: sector gone)."""
    sector = await meeting_store.sector(
        session=session, sector_id=int(row.payload.get("sector_id", 0))
    )
    if sector is None:
        return None
    coordinators = await repo.coordinators(session=session, network_id=network.id)
    return MailFailure(sector, coordinators)
