"""Extraordinary meetings: a convocation previewed, then sent (or cancelled) by its author,
the e-mails to the sectors, the sectors' addresses."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import UserError
from bot.i18n import N_
from bot.rules import convocation as rules
from bot.rules import dates, trust
from bot.rules import sectors as sector_rules
from bot.rules.calendar import holidays_for
from bot.rules.convocation import Basis, Caveats, Convocation
from bot.rules.kinds import Kind
from bot.rules.status import DraftStatus, MeetingStatus
from bot.scheduling import plan_meeting
from bot.services import drafts
from storage import meetings as meeting_store
from storage import repo
from storage.models import Draft, Meeting, Member, Network, ScheduledMessage, Sector

MAIL_KIND = Kind.CONVOCATION_MAIL
CONVOKE = "convoke"
CANCEL = "cancel"
DRAFT_KIND = "convocation"
# A preview not sent within this time is closed: what it checked may no longer hold.
DRAFT_LIFETIME = timedelta(hours=2)
GONE = N_("Who wrote this convocation is no longer in the network.")
NO_LONGER = N_(
    "who wrote this convocation no longer speaks for the sector it was written for "
    "(a new sector waits for the coordination's confirmation)."
)


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
        duration_minutes=int(rules.DURATION.total_seconds() // 60),
        place=asked.place,
        topic=asked.agenda,
        status=MeetingStatus.SCHEDULED,
        sequence=0,
        justification=asked.justification,
        basis=asked.basis.value,
        urgent=asked.urgent,
        convened_by_id=member.id,
        convened_by_sector_id=member.confirmed_sector_id,
        created_at=now,
        updated_at=now,
    )


@dataclass(frozen=True)
class Preview:
    """A convocation shown to its author before anything goes to the group."""

    draft_id: int
    meeting: Meeting  # not saved: the meeting as the convocation will show it
    people: Sequence[Member]  # who will be mentioned (everyone with a sector but the author)
    silent: list[str]  # sectors nobody in the group represents: not mentioned
    mailed: list[str]  # sectors that will get the e-mail (none when e-mail is off)
    caveats: Caveats
    expires_at: datetime


class Outcome(StrEnum):
    SENT = "sent"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    REFUSED = "refused"  # no longer possible (too late now, or convened meanwhile)
    CHANGED = "changed"  # another meeting was set at that time since: a new preview


@dataclass(frozen=True)
class Decided:
    """What pressing Enviar / Cancelar under a preview did."""

    outcome: Outcome
    notified: Notified | None = None
    preview: Preview | None = None
    error: UserError | None = None


def _busy(meeting: Meeting) -> rules.Busy:
    cancelled = meeting.status != MeetingStatus.SCHEDULED
    return rules.Busy(
        kind=meeting.kind,
        starts_at=meeting.starts_at,
        minutes=meeting.duration_minutes,
        place=meeting.place,
        topic=meeting.topic,
        cancel_reason=(meeting.cancel_reason or "") if cancelled else None,
    )


async def _others(session: AsyncSession, network: Network, starts_at: datetime) -> list[rules.Busy]:
    """The network's meetings (cancelled ones too) from the day before that local day to
    the day after: what can overlap it or tell of that day."""
    tz = dates.zone(network.timezone)
    day = starts_at.astimezone(tz).date()
    start = datetime.combine(day - timedelta(days=1), time(0), tzinfo=tz)
    found = await repo.meetings_between(
        session=session, network_id=network.id, start=start, end=start + timedelta(days=3)
    )
    return [_busy(m) for m in found]


async def _caveats(session: AsyncSession, network: Network, asked: Convocation) -> Caveats:
    others = await _others(session, network, asked.starts_at)
    rules.check_duplicate(asked.starts_at, others, network.timezone)
    year = asked.starts_at.astimezone(dates.zone(network.timezone)).year
    return rules.caveats(
        asked.starts_at, others, tz=network.timezone, holidays=holidays_for(year, network.state)
    )


def _seen(caveats: Caveats) -> list[str]:
    """The clashes a preview showed, so a press can tell whether one appeared since."""
    return sorted(f"{c.kind}@{c.starts_at.isoformat()}" for c in caveats.clashes)


def _payload(member: Member, asked: Convocation, caveats: Caveats) -> dict[str, Any]:
    return {
        "member_id": member.id,
        # The sector on whose authority it is convened: still the author's at Enviar?
        "sector_id": member.confirmed_sector_id,
        "starts_at": asked.starts_at.isoformat(),
        "place": asked.place,
        "agenda": asked.agenda,
        "justification": asked.justification,
        "basis": asked.basis.value,
        "urgent": asked.urgent,
        "seen": _seen(caveats),
    }


def _asked(payload: dict[str, Any]) -> Convocation:
    return Convocation(
        starts_at=datetime.fromisoformat(payload["starts_at"]),
        place=str(payload["place"]),
        agenda=str(payload["agenda"]),
        justification=str(payload["justification"]),
        basis=Basis(payload["basis"]),
        urgent=bool(payload["urgent"]),
    )


async def _draft(
    session: AsyncSession,
    network: Network,
    member: Member,
    now: datetime,
    asked: Convocation,
    caveats: Caveats,
    *,
    mail: bool,
) -> Preview:
    draft = await repo.add_draft(
        session=session,
        network_id=network.id,
        user_id=member.user_id,
        kind=DRAFT_KIND,
        payload=_payload(member, asked, caveats),
        now=now,
    )
    people = await repo.representatives(session=session, network_id=network.id)
    represented = {m.sector_id for m in people} | {member.sector_id}
    sectors = await repo.sectors(session=session, network_id=network.id)
    mailed = [s.name for s in sectors if s.email] if mail else []
    return Preview(
        draft_id=draft.id,
        meeting=_meeting_of(network, member, now, asked),
        people=[m for m in people if m.id != member.id],
        silent=sorted((s.name for s in sectors if s.id not in represented), key=str.casefold),
        mailed=sorted(mailed, key=str.casefold),
        caveats=caveats,
        expires_at=now + DRAFT_LIFETIME,
    )


async def preview(
    session: AsyncSession,
    network: Network,
    member: Member,
    now: datetime,
    asked: Convocation,
    *,
    mail: bool,
) -> Preview:
    """Keep the checked convocation as a draft for its author to send or cancel, with what
    the author should know first; a meeting already convened at that time is refused."""
    caveats = await _caveats(session, network, asked)
    return await _draft(session, network, member, now, asked, caveats, mail=mail)


async def _author(session: AsyncSession, draft: Draft) -> Member | None:
    return await meeting_store.member(session=session, member_id=int(draft.payload["member_id"]))


async def _open(
    session: AsyncSession, network: Network, presser: Member, draft_id: int, *, coordinator: bool
) -> Draft:
    """The preview, still undecided, for its author or the coordination to decide."""
    draft = await drafts.of_kind(session, network, draft_id, kind=DRAFT_KIND)
    author = await _author(session, draft)
    if not coordinator and author is None:
        raise UserError(GONE)
    if not coordinator and author is not None and author.id != presser.id:
        only = N_(
            "Only {name}, who wrote this convocation, or the coordination can send or cancel it."
        )
        raise UserError(only, name=author.name)
    if draft.status == DraftStatus.SAVED:
        raise UserError(N_("This convocation was already sent."))
    if draft.status != DraftStatus.OPEN:
        raise UserError(
            N_("This preview is closed: nothing was sent from it. To convene, send /convocar.")
        )
    return draft


async def decide(
    session: AsyncSession,
    network: Network,
    presser: Member,
    now: datetime,
    draft_id: int,
    *,
    send: bool,
    coordinator: bool,
    mail: bool,
) -> Decided:
    """Send (Enviar) or cancel a previewed convocation. Before sending, what the preview
    checked is checked again: too late now, or the same meeting convened meanwhile, refuses
    it; a new meeting at an overlapping time gives a new preview instead."""
    draft = await _open(session, network, presser, draft_id, coordinator=coordinator)
    draft.status = DraftStatus.DISCARDED
    if not send:
        return Decided(Outcome.CANCELLED)
    if now - draft.created_at > DRAFT_LIFETIME:
        return Decided(Outcome.EXPIRED)
    author = await _author(session, draft)
    asked = _asked(draft.payload)
    if author is None:
        return Decided(Outcome.REFUSED, error=UserError(GONE))
    if author.confirmed_sector_id is None or author.confirmed_sector_id != draft.payload.get(
        "sector_id", author.confirmed_sector_id
    ):
        return Decided(Outcome.REFUSED, error=UserError(NO_LONGER))
    try:
        rules.check_notice(starts_at=asked.starts_at, now=now, urgent=asked.urgent)
        caveats = await _caveats(session, network, asked)
    except UserError as error:
        return Decided(Outcome.REFUSED, error=error)
    if set(_seen(caveats)) - set(draft.payload.get("seen", [])):
        fresh = await _draft(session, network, author, now, asked, caveats, mail=mail)
        return Decided(Outcome.CHANGED, preview=fresh)
    draft.status = DraftStatus.SAVED
    notified = await convene(session, network, author, now, asked, mail=mail)
    return Decided(Outcome.SENT, notified=notified)


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


EMAIL_DRAFT = "sector_email"


@dataclass(frozen=True)
class EmailSet:
    """A sector's address set, or (``draft_id``) one at a personal mail provider waiting
    for the coordination's explicit confirmation."""

    sector: Sector
    address: str
    draft_id: int | None = None


async def set_email(
    session: AsyncSession, network: Network, member: Member, now: datetime, name: str, address: str
) -> EmailSet:
    """Convocations for the sector called ``name`` go to ``address`` from now on; an
    address at a personal mail provider (gmail.com...) is only kept as a draft: it is a
    person's box, and it becomes the sector's only when the coordination confirms it."""
    found = sector_rules.find(await sectors(session, network), name, rules.EMAIL_EXAMPLE)
    if not trust.is_personal_mail(address):
        found.email = address
        return EmailSet(found, address)
    draft = await repo.add_draft(
        session=session,
        network_id=network.id,
        user_id=member.user_id,
        kind=EMAIL_DRAFT,
        payload={"sector_id": found.id, "address": address, "previous": found.email},
        now=now,
    )
    return EmailSet(found, address, draft.id)


async def decide_email(
    session: AsyncSession, network: Network, draft_id: int, *, use: bool, coordinator: bool
) -> EmailSet | None:
    """The coordination keeps (``use``) the personal address it was warned about, or not
    (None). A press after the sector's address changed otherwise does nothing."""
    draft = await drafts.undecided(
        session,
        network,
        draft_id,
        kind=EMAIL_DRAFT,
        coordinator=coordinator,
        decided=N_("This address was already decided."),
    )
    sector = await meeting_store.sector(session=session, sector_id=int(draft.payload["sector_id"]))
    address, previous = str(draft.payload["address"]), draft.payload.get("previous")
    # Decided: the address is not kept in the draft any more (it is a person's).
    draft.payload = {"sector_id": draft.payload["sector_id"]}
    draft.status = DraftStatus.SAVED if use else DraftStatus.DISCARDED
    if not use:
        return None
    if sector is None or sector.network_id != network.id or sector.removed_at is not None:
        raise UserError(N_("This choice is no longer valid."))
    if sector.email != previous:
        raise UserError(
            N_("{sector}'s address changed since: nothing was done."), sector=sector.name
        )
    sector.email = address
    return EmailSet(sector, address)


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
