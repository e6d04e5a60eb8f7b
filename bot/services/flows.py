"""The network's flows and protocols (seed 000 §6, issue 15): a new version sent as a file,
em revisão until the coordination approves it at a meeting, the history, the current file,
the yearly review on the pauta and in a reminder."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import UserError
from bot.i18n import N_
from bot.messages import Attachment
from bot.rules import flows as rules
from bot.rules import sectors as sector_rules
from bot.rules import trust
from bot.rules.kinds import Kind
from bot.rules.names import name_key
from bot.rules.sectors import close_hint
from storage import flows as store
from storage import meetings as meetings_store
from storage import repo
from storage.models import FlowDocument, FlowVersion, Meeting, Member, Network


@dataclass(frozen=True)
class Version:
    """One version with the meeting that approved it (None: em revisão)."""

    row: FlowVersion
    meeting: Meeting | None


@dataclass(frozen=True)
class Document:
    """A flow document as ``/fluxos`` shows it."""

    row: FlowDocument
    sector: str | None  # the responsible sector's name
    versions: tuple[Version, ...]  # oldest first
    review_months: int

    @property
    def current(self) -> Version | None:
        """The newest approved version."""
        approved = [v for v in self.versions if v.row.approved_at is not None]
        return approved[-1] if approved else None

    @property
    def in_review(self) -> Version | None:
        """The version waiting for approval (newer than the current one), if any."""
        last = self.versions[-1] if self.versions else None
        return last if last is not None and last.row.approved_at is None else None

    def review_due(self, tz: str) -> date | None:
        current = self.current
        if current is None or current.row.approved_at is None:
            return None
        return rules.review_due(_approval_day(current, tz), self.review_months)


def _approval_day(version: Version, tz: str) -> date:
    """The day of the meeting that approved it (else of the approval itself)."""
    assert version.row.approved_at is not None
    instant = version.meeting.starts_at if version.meeting else version.row.approved_at
    return instant.astimezone(ZoneInfo(tz)).date()


def approval_day(version: Version, tz: str) -> date:
    return _approval_day(version, tz)


async def _documents(
    session: AsyncSession, network: Network, rows: Sequence[FlowDocument]
) -> list[Document]:
    versions = await store.versions(session=session, document_ids=[d.id for d in rows])
    meetings = await store.meetings(
        session=session, meeting_ids=[v.meeting_id for v in versions if v.meeting_id]
    )
    sectors = await store.sectors(session=session, network_id=network.id)
    found = []
    for row in rows:
        own = tuple(
            Version(v, meetings.get(v.meeting_id or 0)) for v in versions if v.document_id == row.id
        )
        sector = sectors.get(row.sector_id or 0)
        found.append(
            Document(row, sector.name if sector else None, own, network.flow_review_months)
        )
    return found


async def all_documents(session: AsyncSession, network: Network) -> list[Document]:
    """``/fluxos``: every document of the network, by name."""
    rows = await store.documents(session=session, network_id=network.id)
    return await _documents(session, network, rows)


async def _named(session: AsyncSession, network: Network, name: str, example: str) -> Document:
    """The document called ``name`` (accents and case ignored), or a helpful error."""
    row = await store.document(session=session, network_id=network.id, key=name_key(name))
    if row is None:
        rows = await store.documents(session=session, network_id=network.id)
        if not rows:
            raise UserError(
                N_(
                    "The network has no flow documents yet. The coordination sends the first "
                    "one as a file with the caption /fluxo and its name."
                ),
                example=rules.UPLOAD_EXAMPLE,
            )
        raise UserError(
            N_("There is no document called {name}.{hint} Documents: {names}."),
            example=example,
            name=name,
            hint=close_hint(rows, name),
            names=", ".join(r.name for r in rows),
        )
    return (await _documents(session, network, [row]))[0]


async def document(session: AsyncSession, network: Network, name: str) -> Document:
    """``/fluxo NAME`` and ``/fluxo NAME historico``: one document with its versions."""
    found = await _named(session, network, name, rules.FLOW_EXAMPLE)
    if not found.versions:  # pragma: no cover - a document is created with its first version
        raise UserError(N_("This document has no version yet."), example=rules.UPLOAD_EXAMPLE)
    return found


@dataclass(frozen=True)
class Sent:
    """A version received: the document, its number, and whether the document is new."""

    document: Document
    version: FlowVersion
    created: bool
    replaced: bool  # it took the place of a version that was waiting for approval


async def send_version(
    session: AsyncSession,
    network: Network,
    member: Member,
    *,
    is_coordinator: bool,
    now: datetime,
    command: rules.FlowCommand,
    attachment: Attachment,
) -> Sent:
    """A new version, em revisão until approved at a meeting. The first version of a
    document (and a change of its responsible sector) is the coordination's; a new one
    also its responsible sector's confirmed representatives'. Its text is read and
    screened for personal data (downloaded before the transaction: bot.app)."""
    row = await store.document(session=session, network_id=network.id, key=name_key(command.name))
    sector_id = await _responsible(session, network, command.sector, is_coordinator=is_coordinator)
    if row is None and not is_coordinator:
        raise UserError(
            N_(
                "Only the network's coordination creates a flow document. Ask it, or send a "
                "new version of one of /fluxos."
            ),
            example=rules.UPLOAD_EXAMPLE,
        )
    if row is not None and not is_coordinator:
        speaks = trust.speaks_for(member, example="/setor CREAS")
        if row.sector_id is None or speaks != row.sector_id:
            raise UserError(
                N_(
                    "Only the coordination or the sector responsible for {name} sends its new "
                    "versions."
                ),
                example=rules.UPLOAD_EXAMPLE,
                name=row.name,
            )
    content = await _checked_file(attachment)
    created = row is None
    if row is None:
        row = await store.add_document(
            session=session,
            network_id=network.id,
            name=command.name,
            key=name_key(command.name),
            sector_id=sector_id,
            created_by_id=member.id,
            now=now,
        )
    elif command.sector:
        row.sector_id = sector_id
    current = (await _documents(session, network, [row]))[0]
    waiting = current.in_review
    version = (
        waiting.row
        if waiting is not None
        else FlowVersion(
            document_id=row.id,
            number=await store.last_number(session=session, document_id=row.id) + 1,
        )
    )
    version.file_name = attachment.filename
    version.file_mime = attachment.mime_type or "application/octet-stream"
    version.file_content = content
    version.sha256 = rules.sha256(content)
    version.sent_by_id = member.id
    version.sent_at = now
    if waiting is None:
        await store.add_version(session=session, version=version)
    document = (await _documents(session, network, [row]))[0]
    return Sent(document, version, created, waiting is not None)


async def _responsible(
    session: AsyncSession, network: Network, name: str, *, is_coordinator: bool
) -> int | None:
    """The sector named after "|" (the coordination's choice only), or None."""
    if not name:
        return None
    if not is_coordinator:
        raise UserError(
            N_("Only the network's coordination sets the sector responsible for a document."),
            example=rules.UPLOAD_EXAMPLE,
        )
    sectors = await repo.sectors(session=session, network_id=network.id)
    return sector_rules.find(sectors, name, rules.UPLOAD_EXAMPLE).id


async def _checked_file(attachment: Attachment) -> bytes:
    """The file's bytes (already downloaded: bot.app prefetches them), once its kind, size
    and text are checked (the text in a thread: a long PDF takes a while)."""
    rules.check_file_name(attachment.filename)
    content = await attachment.fetch()
    rules.check_file_size(content)
    await asyncio.to_thread(rules.check_file_text, attachment.filename, content)
    return content


async def _approving_meeting(session: AsyncSession, network: Network, now: datetime) -> Meeting:
    """The meeting open now, or the last one held today (a flow is approved at a meeting)."""
    tz = ZoneInfo(network.timezone)
    today = await meetings_store.meetings_on(
        session=session, network_id=network.id, day=now.astimezone(tz).date(), tz=network.timezone
    )
    started = [m for m in today if m.starts_at <= now]
    if not started:
        raise UserError(
            N_(
                "A flow document is approved at a meeting: use this during the meeting or "
                "after it, on its day."
            ),
            example=rules.APPROVE_EXAMPLE,
        )
    return max(started, key=lambda m: m.starts_at)


@dataclass(frozen=True)
class Approved:
    document: Document
    version: FlowVersion
    meeting: Meeting
    replaced: FlowVersion | None  # the version it replaces, now in the history
    review_due: date


async def approve(
    session: AsyncSession,
    network: Network,
    member: Member,
    *,
    is_coordinator: bool,
    now: datetime,
    name: str,
) -> Approved:
    """The coordination approves the version em revisão at today's meeting; it replaces
    the current one, and its yearly review is planned (a reminder row, once)."""
    if not is_coordinator:
        raise UserError(
            N_("Only the network's coordination approves a flow document, at a meeting."),
            example=rules.APPROVE_EXAMPLE,
        )
    found = await _named(session, network, name, rules.APPROVE_EXAMPLE)
    waiting = found.in_review
    if waiting is None:
        raise UserError(
            N_(
                "No version of {name} is waiting for approval. Send the new version as a file "
                "with the caption /fluxo {name}."
            ),
            example=rules.APPROVE_EXAMPLE,
            name=found.row.name,
        )
    meeting = await _approving_meeting(session, network, now)
    previous = found.current
    waiting.row.approved_at = now
    waiting.row.approved_by_id = member.id
    waiting.row.meeting_id = meeting.id
    document = (await _documents(session, network, [found.row]))[0]
    due = document.review_due(network.timezone)
    assert due is not None
    await _plan_review(session, network, document, waiting.row, due)
    return Approved(document, waiting.row, meeting, previous.row if previous else None, due)


async def _plan_review(
    session: AsyncSession, network: Network, document: Document, version: FlowVersion, due: date
) -> None:
    """The reminder of the current version's review replaces the one of the version before."""
    await repo.cancel_scheduled(
        session=session, network_id=network.id, key_prefix=rules.reminder_prefix(document.row.id)
    )
    await repo.schedule(
        session=session,
        network_id=network.id,
        key=rules.reminder_key(document.row.id, version.id),
        kind=Kind.FLOW_REVIEW,
        due_at=rules.reminder_at(due, network.timezone),
        payload={"document_id": document.row.id, "version_id": version.id},
    )


async def set_review_months(session: AsyncSession, network: Network, months: int) -> list[Document]:
    """The review period changes: every current version's reminder moves with it."""
    network.flow_review_months = months
    found = await all_documents(session, network)
    for item in found:
        due = item.review_due(network.timezone)
        if item.current is not None and due is not None:
            await _plan_review(session, network, item, item.current.row, due)
    return found


@dataclass(frozen=True)
class Review:
    """A review reminder that is still due: the document and whom to mention."""

    document: Document
    due: date
    people: Sequence[Member]


async def review_reminder(
    session: AsyncSession, network: Network, document_id: int, version_id: int
) -> Review | None:
    """None when the version reminded of is no longer the current one."""
    row = await store.document_by_id(session=session, document_id=document_id)
    if row is None or row.network_id != network.id:
        return None
    found = (await _documents(session, network, [row]))[0]
    current = found.current
    due = found.review_due(network.timezone)
    if current is None or current.row.id != version_id or due is None:
        return None
    people = list(await repo.coordinators(session=session, network_id=network.id))
    if row.sector_id is not None:
        people += [
            m
            for m in await repo.representatives(
                session=session, network_id=network.id, sector_ids=[row.sector_id]
            )
            if m not in people
        ]
    return Review(found, due, people)


@dataclass(frozen=True)
class Pauta:
    """What the next meeting's pauta lists about the flows."""

    due: Sequence[Document]  # due for review by the meeting (a flows meeting only)
    in_review: Sequence[Document]  # versions waiting for approval


async def pauta(session: AsyncSession, network: Network, now: datetime) -> Pauta:
    """The versions em revisão go on the next ordinary meeting's pauta (they are approved
    at a meeting); a meeting whose topic is the flows (seed 000 §1) also lists the
    documents due for review by its day."""
    found = await all_documents(session, network)
    if not found:
        return Pauta((), ())
    meeting = await store.next_meeting(session=session, network_id=network.id, since=now)
    waiting = [d for d in found if d.in_review is not None]
    if meeting is None or not rules.speaks_of_flows(meeting.topic):
        return Pauta((), waiting)
    day = meeting.starts_at.astimezone(ZoneInfo(network.timezone)).date()
    due = [
        d
        for d in found
        if d.in_review is None
        and (when := d.review_due(network.timezone)) is not None
        and rules.is_due(when, day)
    ]
    return Pauta(due, waiting)
