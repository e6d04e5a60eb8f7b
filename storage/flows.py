"""Queries and writes of the network's flow and protocol documents and their versions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.rules.status import MeetingStatus
from storage.models import FlowDocument, FlowVersion, Meeting, Member, Sector


async def documents(*, session: AsyncSession, network_id: int) -> Sequence[FlowDocument]:
    found = await session.scalars(
        select(FlowDocument).where(FlowDocument.network_id == network_id).order_by(FlowDocument.key)
    )
    return found.all()


async def document(*, session: AsyncSession, network_id: int, key: str) -> FlowDocument | None:
    return await session.scalar(
        select(FlowDocument).where(FlowDocument.network_id == network_id, FlowDocument.key == key)
    )


async def document_by_id(*, session: AsyncSession, document_id: int) -> FlowDocument | None:
    return await session.get(FlowDocument, document_id)


async def add_document(
    *,
    session: AsyncSession,
    network_id: int,
    name: str,
    key: str,
    sector_id: int | None,
    created_by_id: int,
    now: datetime,
) -> FlowDocument:
    row = FlowDocument(
        network_id=network_id,
        name=name,
        key=key,
        sector_id=sector_id,
        created_by_id=created_by_id,
        created_at=now,
    )
    session.add(row)
    await session.flush()
    return row


async def versions(*, session: AsyncSession, document_ids: Sequence[int]) -> Sequence[FlowVersion]:
    """The versions of these documents, oldest first."""
    if not document_ids:
        return []
    found = await session.scalars(
        select(FlowVersion)
        .where(FlowVersion.document_id.in_(list(document_ids)))
        .order_by(FlowVersion.document_id, FlowVersion.number)
    )
    return found.all()


async def last_number(*, session: AsyncSession, document_id: int) -> int:
    top = await session.scalar(
        select(func.max(FlowVersion.number)).where(FlowVersion.document_id == document_id)
    )
    return int(top or 0)


async def add_version(*, session: AsyncSession, version: FlowVersion) -> FlowVersion:
    session.add(version)
    await session.flush()
    return version


async def version(*, session: AsyncSession, version_id: int) -> FlowVersion | None:
    return await session.get(FlowVersion, version_id)


async def meetings(*, session: AsyncSession, meeting_ids: Sequence[int]) -> dict[int, Meeting]:
    if not meeting_ids:
        return {}
    found = await session.scalars(select(Meeting).where(Meeting.id.in_(list(meeting_ids))))
    return {m.id: m for m in found.all()}


async def sectors(*, session: AsyncSession, network_id: int) -> dict[int, Sector]:
    found = await session.scalars(select(Sector).where(Sector.network_id == network_id))
    return {s.id: s for s in found.all()}


async def next_meeting(
    *, session: AsyncSession, network_id: int, since: datetime
) -> Meeting | None:
    """The first scheduled ordinary meeting starting at or after ``since``: the one whose
    pauta the monthly announcement shows."""
    return await session.scalar(
        select(Meeting)
        .where(
            Meeting.network_id == network_id,
            Meeting.status == MeetingStatus.SCHEDULED,
            Meeting.kind == "ordinary",
            Meeting.starts_at >= since,
        )
        .order_by(Meeting.starts_at)
        .limit(1)
    )


async def member_versions(
    *, session: AsyncSession, member_id: int
) -> Sequence[tuple[FlowVersion, str]]:
    """The versions ``member_id`` sent or approved, with their document's name."""
    rows = await session.execute(
        select(FlowVersion, FlowDocument.name)
        .join(FlowDocument, FlowDocument.id == FlowVersion.document_id)
        .where((FlowVersion.sent_by_id == member_id) | (FlowVersion.approved_by_id == member_id))
        .order_by(FlowVersion.sent_at)
    )
    return [(v, name) for v, name in rows.all()]


async def member(*, session: AsyncSession, member_id: int) -> Member | None:
    return await session.get(Member, member_id)


async def approved_between(
    *, session: AsyncSession, network_id: int, start: datetime, end: datetime
) -> list[tuple[FlowVersion, FlowDocument, Meeting | None]]:
    """The versions approved in [start, end), with their document and meeting."""
    rows = await session.execute(
        select(FlowVersion, FlowDocument, Meeting)
        .join(FlowDocument, FlowDocument.id == FlowVersion.document_id)
        .outerjoin(Meeting, Meeting.id == FlowVersion.meeting_id)
        .where(
            FlowDocument.network_id == network_id,
            FlowVersion.approved_at >= start,
            FlowVersion.approved_at < end,
        )
        .order_by(FlowVersion.approved_at)
    )
    return [(v, d, m) for v, d, m in rows.all()]
