"""The ata's life (seed 000 §6): opened with the roles, drafted, chased, delivered as text
or file, returned for correction or approved, and bound in the year's book."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import UserError
from bot.i18n import N_, Np_
from bot.messages import Attachment
from bot.rules import atas as rules
from bot.rules import dates, privacy, trust
from bot.rules.names import representative
from bot.rules.rotation import ROLES, SECRETARY
from bot.rules.status import ATA_IN_PROGRESS, AtaStatus, MarkedBy
from storage import atas as store
from storage import meetings as meetings_store
from storage import repo
from storage import rotation as roles_store
from storage.models import Ata, Meeting, Member, Network, Sector


@dataclass(frozen=True)
class Audience:
    """Whom to tell: privately those who can be reached, else everyone in the group."""

    private: tuple[Member, ...]
    everyone: tuple[Member, ...]


@dataclass(frozen=True)
class OpenedAta:
    """A new ata's draft, for its author's sector."""

    draft: rules.AtaDraft
    authors: Audience


@dataclass(frozen=True)
class AtaOf:
    ata: Ata
    meeting: Meeting


@dataclass(frozen=True)
class AtaState:
    """One ata in progress, for ``/ata``."""

    meeting: Meeting
    author: str  # the author sector's name, or "—"
    status: AtaStatus


@dataclass(frozen=True)
class Returned:
    meeting: Meeting
    authors: Sequence[Member]


@dataclass(frozen=True)
class BookItem:
    """An approved ata with the names its book page shows."""

    ata: Ata
    meeting: Meeting
    author: str
    secretary: str | None


@dataclass(frozen=True)
class Chase:
    """A pending ata that is due: its meeting, its author's sector and whom to tell."""

    meeting: Meeting
    sector: Sector
    people: Audience


async def audience(session: AsyncSession, network: Network, people: Sequence[Member]) -> Audience:
    reachable = await repo.contact_ids(
        session=session, platform=network.platform, user_ids=[m.user_id for m in people]
    )
    return Audience(tuple(m for m in people if m.user_id in reachable), tuple(people))


async def _authors(session: AsyncSession, network: Network, sector_id: int) -> Audience:
    people = await repo.representatives(
        session=session, network_id=network.id, sector_ids=[sector_id]
    )
    return await audience(session, network, people)


# --- opening and drafting -------------------------------------------------------------------


async def open_ata(
    session: AsyncSession, network: Network, meeting: Meeting, *, author: int | None, now: datetime
) -> OpenedAta | None:
    """The meeting's ata, pending with its reminders planned; its draft for the author's
    sector (None: nobody could take the ata)."""
    ata = await store.add_ata(
        session=session, network_id=network.id, meeting_id=meeting.id, author=author, now=now
    )
    await schedule_reminders(session, network, meeting, ata, start=None)
    if author is None:
        return None
    return OpenedAta(
        await draft(session, network, meeting), await _authors(session, network, author)
    )


async def schedule_reminders(
    session: AsyncSession, network: Network, meeting: Meeting, ata: Ata, *, start: datetime | None
) -> None:
    """Reminders from the deadline (or ``start``) on; the coordination hears when it is late."""
    first = start or meeting.starts_at + timedelta(days=network.ata_deadline_days)
    for due in rules.reminders(ata.id, first):
        await repo.schedule(
            session=session,
            network_id=network.id,
            key=due.key,
            kind=due.kind,
            due_at=due.due_at,
            meeting_id=meeting.id,
            payload={"ata_id": ata.id},
        )


async def set_author(session: AsyncSession, meeting: Meeting, sector_id: int) -> None:
    """The ata's role changed hands: an ata not yet delivered follows it."""
    ata = await repo.ata_of(session=session, meeting_id=meeting.id)
    if ata is not None and ata.status in ATA_IN_PROGRESS:
        ata.author_sector_id = sector_id


async def draft(session: AsyncSession, network: Network, meeting: Meeting) -> rules.AtaDraft:
    """The skeleton as it stands now (the encaminhamentos of the meeting included)."""
    rows = [r for r in await repo.attendance(session=session, meeting_id=meeting.id) if r.present]
    expected = await meetings_store.expected_sectors(
        session=session, network=network, meeting=meeting
    )
    by_sector: dict[str, list[str]] = {}
    for row in rows:
        if row.member is None:  # a sector marked present without naming anyone
            people = by_sector.setdefault(row.sector.name if row.sector else "—", [])
            if row.marked_by == MarkedBy.ERASED:  # someone who erased their data
                people.append(representative(row.sector.name if row.sector else None))
            continue
        sector = row.member.confirmed_sector.name if row.member.confirmed_sector else "—"
        by_sector.setdefault(sector, []).append(row.member.name)
    current = await roles_store.live_assignments(session=session, meeting_id=meeting.id)
    names = {
        s.id: s.name
        for s in await repo.sectors(session=session, network_id=network.id, include_removed=True)
    }
    referrals = await repo.meeting_referrals(session=session, meeting_id=meeting.id)
    return rules.AtaDraft(
        kind=meeting.kind,
        starts_at=meeting.starts_at,
        timezone=network.timezone,
        place=meeting.place,
        justification=meeting.justification,
        topic=meeting.topic,
        present=tuple((s, tuple(people)) for s, people in sorted(by_sector.items())),
        absent=tuple(s.name for s in expected if s.name not in by_sector),
        roles=tuple((r, names.get(current[r].sector_id, "?")) for r in ROLES if r in current),
        referrals=tuple(
            rules.DraftReferral(
                r.code, tuple(d.sector.name for d in r.owed), r.deadline, r.description
            )
            for r in referrals
        ),
    )


async def _in_progress(
    session: AsyncSession, network: Network, sector_id: int | None, *, is_coordinator: bool
) -> Sequence[Ata]:
    """The atas still to deliver: the sector's, or all for the coordination."""
    if sector_id is None and not is_coordinator:
        return []
    return await repo.atas(
        session=session,
        network_id=network.id,
        statuses=list(ATA_IN_PROGRESS),
        sector_id=None if is_coordinator else sector_id,
    )


async def current_draft(
    session: AsyncSession, network: Network, member: Member, *, is_coordinator: bool
) -> rules.AtaDraft:
    """``/ata rascunho``: the draft of the newest ata in progress, for the coordination and
    the confirmed representatives of the meeting's sectors only (it names who was there,
    the justification and the encaminhamentos): the ata the member's sector writes first."""
    sector_id = None if is_coordinator else trust.speaks_for(member, example="/setor CREAS")
    newest = list(reversed(await _in_progress(session, network, None, is_coordinator=True)))
    if not is_coordinator:
        newest.sort(key=lambda a: a.author_sector_id != sector_id)
    for ata in newest:
        meeting = await repo.meeting(session=session, meeting_id=ata.meeting_id)
        assert meeting is not None
        if is_coordinator or await _of_meeting(session, network, meeting, ata, sector_id):
            return await draft(session, network, meeting)
    raise UserError(N_("There is no ata waiting for your sector."), example="/ata")


async def _of_meeting(
    session: AsyncSession, network: Network, meeting: Meeting, ata: Ata, sector_id: int | None
) -> bool:
    """Whether ``sector_id`` is one of the meeting's sectors: expected there, present, or
    the ata's author."""
    if sector_id is None:
        return False
    if sector_id == ata.author_sector_id:
        return True
    expected = await meetings_store.expected_sectors(
        session=session, network=network, meeting=meeting
    )
    present = await repo.attendance(session=session, meeting_id=meeting.id)
    return sector_id in {s.id for s in expected} | {r.sector_id for r in present if r.present}


# --- delivery and approval ------------------------------------------------------------------


async def deliver(
    session: AsyncSession,
    network: Network,
    member: Member,
    *,
    is_coordinator: bool,
    now: datetime,
    text: str,
    attachment: Attachment | None,
) -> Meeting:
    """The author's sector delivers the ata (typed, or a file); its reminders stop.
    The meeting whose ata it is."""
    sector_id = (
        member.confirmed_sector_id
        if is_coordinator
        else trust.speaks_for(member, example="/setor CREAS")
    )
    pending = await _in_progress(session, network, sector_id, is_coordinator=is_coordinator)
    target = rules.delivery_target(pending, sector_id, is_coordinator=is_coordinator)
    if attachment is not None:
        await _keep_file(target, attachment)
    else:
        rules.check_text(text.strip())
        target.text, target.file_name, target.file_content = text.strip(), None, None
    target.status = AtaStatus.DELIVERED
    target.delivered_at = now
    target.delivered_by_id = member.id
    await repo.cancel_scheduled(
        session=session, network_id=network.id, key_prefix=rules.scheduled_prefix(target.id)
    )
    meeting = await repo.meeting(session=session, meeting_id=target.meeting_id)
    assert meeting is not None
    return meeting


async def _keep_file(target: Ata, attachment: Attachment) -> None:
    """A .txt file is kept as the ata's text; PDF, DOCX and ODT as they came, once their
    text is read and screened (in a thread: a long PDF takes a while)."""
    name = attachment.filename
    rules.check_file_name(name)
    content = await attachment.fetch()
    rules.check_file_size(content)
    if rules.is_text_file(name):
        text = content.decode("utf-8", errors="replace")
        privacy.screen(text)
        target.text, target.file_name, target.file_content = text, None, None
        return
    await asyncio.to_thread(rules.check_file_text, name, content)
    target.text = None
    target.file_name = name
    target.file_mime = attachment.mime_type or "application/octet-stream"
    target.file_content = content


async def in_progress(session: AsyncSession, network: Network) -> list[AtaState]:
    """``/ata``: the atas not yet approved (oldest meeting first) and where each stands."""
    open_atas = await repo.atas(
        session=session, network_id=network.id, statuses=[*ATA_IN_PROGRESS, AtaStatus.DELIVERED]
    )
    if not open_atas:
        return []
    names = {
        s.id: s.name
        for s in await repo.sectors(session=session, network_id=network.id, include_removed=True)
    }
    states = []
    for item in open_atas:
        meeting = await repo.meeting(session=session, meeting_id=item.meeting_id)
        assert meeting is not None
        author = names.get(item.author_sector_id or 0, "—")
        states.append(AtaState(meeting, author, AtaStatus(item.status)))
    return states


async def _delivered(session: AsyncSession, network: Network) -> list[AtaOf]:
    """The atas waiting for approval, oldest meeting first."""
    delivered = await repo.atas(
        session=session, network_id=network.id, statuses=[AtaStatus.DELIVERED]
    )
    found = []
    for row in delivered:
        meeting = await repo.meeting(session=session, meeting_id=row.meeting_id)
        assert meeting is not None
        found.append(AtaOf(row, meeting))
    return found


def _local_day(meeting: Meeting, network: Network) -> date:
    return meeting.starts_at.astimezone(ZoneInfo(network.timezone)).date()


async def _meant(
    session: AsyncSession, network: Network, *, day: str, now: datetime, verb: str
) -> list[AtaOf]:
    """The delivered atas ``day`` may mean: those of that day's meetings, or every one when
    no day is given. Raises when none is waiting (on that day)."""
    delivered = await _delivered(session, network)
    if not delivered:
        raise UserError(N_("No ata is waiting for approval."), example="/ata")
    if not day:
        return delivered
    try:
        wanted = dates.parse_day(day, now=now, tz=network.timezone, nearest=True)
    except UserError as exc:  # "31/02": the date's own message, with this command's example
        raise UserError(exc.key, example=f"/ata {verb} 08/12", **exc.params) from None
    meant = [a for a in delivered if _local_day(a.meeting, network) == wanted]
    if not meant:
        raise UserError(
            N_("No ata of a meeting on {day} is waiting for approval. Waiting: {waiting}."),
            example=f"/ata {verb} {dates.format_date(_local_day(delivered[-1].meeting, network))}",
            day=dates.format_date(wanted, with_year=wanted.year != now.year),
            waiting=", ".join(dates.format_date(_local_day(a.meeting, network)) for a in delivered),
        )
    return meant


@dataclass(frozen=True)
class Approval:
    """An ata approved, or the atas the coordination must choose from (nothing approved)."""

    approved: AtaOf | None
    choices: Sequence[AtaOf] = ()


async def approve(
    session: AsyncSession,
    network: Network,
    *,
    is_coordinator: bool,
    now: datetime,
    day: str = "",
    ata_id: int | None = None,
) -> Approval:
    """The coordination approves a delivered ata, its SHA-256 fixed: the one chosen
    (``ata_id``, a button) or the one of ``day``'s meeting. Without either, nothing is
    approved: the atas waiting come back as choices (one button even when one waits: an
    approval is final, so it is pressed, not implied)."""
    rules.require_coordinator(is_coordinator, "ata aprovar")
    if ata_id is not None:
        found = next((a for a in await _delivered(session, network) if a.ata.id == ata_id), None)
        if found is None:
            raise UserError(N_("This ata is no longer waiting for approval. See /ata."))
    else:
        meant = await _meant(session, network, day=day, now=now, verb="aprovar")
        if len(meant) > 1 or not day:
            return Approval(None, meant)
        found = meant[0]
    target = found.ata
    content = (
        target.file_content if target.file_content is not None else (target.text or "").encode()
    )
    target.sha256 = rules.sha256(content)
    target.status = AtaStatus.APPROVED
    target.approved_at = now
    return Approval(found)


async def return_for_correction(
    session: AsyncSession,
    network: Network,
    *,
    is_coordinator: bool,
    now: datetime,
    note: str,
    day: str = "",
) -> Returned:
    """The coordination sends a delivered ata back (the only one waiting, or the one of
    ``day``'s meeting); its author is chased again."""
    rules.require_coordinator(is_coordinator, "ata corrigir")
    rules.check_correction(note)
    meant = await _meant(session, network, day=day, now=now, verb="corrigir")
    if len(meant) > 1:
        raise UserError(
            Np_(
                "{n} ata is waiting for approval ({waiting}): say which one, with its day.",
                "{n} atas are waiting for approval ({waiting}): say which one, with its day.",
            ),
            example=f"/ata corrigir {dates.format_date(_local_day(meant[-1].meeting, network))} "
            f"{note}",
            n=len(meant),
            waiting=", ".join(dates.format_date(_local_day(a.meeting, network)) for a in meant),
        )
    found = meant[0]
    found.ata.status = AtaStatus.RETURNED
    found.ata.correction = note
    start = now + timedelta(days=rules.CORRECTION_DAYS)
    await schedule_reminders(session, network, found.meeting, found.ata, start=start)
    authors = await repo.representatives(
        session=session, network_id=network.id, sector_ids=[found.ata.author_sector_id or 0]
    )
    return Returned(found.meeting, authors)


async def book(session: AsyncSession, network: Network, year: int) -> list[BookItem]:
    """The atas approved for the meetings of ``year`` (local), in order."""
    tz = ZoneInfo(network.timezone)
    rows = await repo.approved_atas(
        session=session,
        network_id=network.id,
        start=datetime(year, 1, 1, tzinfo=tz),
        end=datetime(year + 1, 1, 1, tzinfo=tz),
    )
    names = {
        s.id: s.name
        for s in await repo.sectors(session=session, network_id=network.id, include_removed=True)
    }
    items = []
    for item, meeting in rows:
        current = await roles_store.live_assignments(session=session, meeting_id=meeting.id)
        secretary = current.get(SECRETARY)
        author = names.get(item.author_sector_id or 0, "—")
        items.append(
            BookItem(item, meeting, author, names.get(secretary.sector_id) if secretary else None)
        )
    return items


async def awaiting_approval(session: AsyncSession, network: Network) -> list[Meeting]:
    """The meetings whose ata is delivered: it is approved at the next ordinary meeting."""
    delivered = await repo.atas(
        session=session, network_id=network.id, statuses=[AtaStatus.DELIVERED]
    )
    meetings = [await repo.meeting(session=session, meeting_id=a.meeting_id) for a in delivered]
    return [m for m in meetings if m is not None]


# --- chasing --------------------------------------------------------------------------------


async def _due(session: AsyncSession, ata_id: int) -> tuple[Meeting, Sector] | None:
    """The meeting and author sector of an ata still pending (None: nothing to chase)."""
    ata = await store.ata(session=session, ata_id=ata_id)
    if ata is None or ata.status not in ATA_IN_PROGRESS or ata.author_sector_id is None:
        return None
    meeting = await repo.meeting(session=session, meeting_id=ata.meeting_id)
    sector = await store.sector(session=session, sector_id=ata.author_sector_id)
    if meeting is None or sector is None:
        return None
    return meeting, sector


async def reminder(session: AsyncSession, network: Network, ata_id: int) -> Chase | None:
    """A pending ata's reminder goes to its author's sector."""
    found = await _due(session, ata_id)
    if found is None:
        return None
    meeting, sector = found
    return Chase(meeting, sector, await _authors(session, network, sector.id))


async def lateness(session: AsyncSession, network: Network, ata_id: int) -> Chase | None:
    """A late ata is told to the coordination (in the group, mentioned)."""
    found = await _due(session, ata_id)
    if found is None:
        return None
    coordinators = await repo.coordinators(session=session, network_id=network.id)
    return Chase(found[0], found[1], Audience((), tuple(coordinators)))
