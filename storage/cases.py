"""Cases (issue 15): their rows and events, and what mentions their code.

The links of a case are not rows of their own: an encaminhamento, a convocation or an ata
belongs to the case whose code its text mentions, found here by the code (scoped to the
network, then checked word by word with ``bot.rules.cases.mentions``, so CASO-2026-0140
is not CASO-2026-014). A text mentioning a code before the case was opened, or an ata
corrected later, is thus always linked right, with nothing to keep in step.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.rules.cases import CaseStatus, mentions
from storage.models import Ata, Case, CaseEvent, Devolutiva, Meeting, Network, Referral


def _has(column: Any, code: str) -> ColumnElement[bool]:
    return func.upper(column).contains(code.upper(), autoescape=True)


async def taken_codes(*, session: AsyncSession, network_id: int, year: int) -> Sequence[str]:
    """The network's case codes of ``year``, its row locked first (PostgreSQL) so two
    processes numbering at once wait for each other (SQLite's writers are serialised)."""
    await session.execute(select(Network.id).where(Network.id == network_id).with_for_update())
    codes = await session.scalars(
        select(Case.code).where(
            Case.network_id == network_id, Case.code.startswith(f"CASO-{year}-")
        )
    )
    return codes.all()


async def by_code(*, session: AsyncSession, network_id: int, code: str) -> Case | None:
    return await session.scalar(
        select(Case)
        .options(selectinload(Case.events))
        .where(Case.network_id == network_id, func.upper(Case.code) == code.upper())
    )


async def by_id(*, session: AsyncSession, case_id: int) -> Case | None:
    return await session.scalar(
        select(Case).options(selectinload(Case.events)).where(Case.id == case_id)
    )


async def open_cases(*, session: AsyncSession, network_id: int) -> Sequence[Case]:
    result = await session.scalars(
        select(Case)
        .where(Case.network_id == network_id, Case.status == CaseStatus.OPEN)
        .order_by(Case.next_review, Case.code)
    )
    return result.all()


async def all_cases(*, session: AsyncSession, network_id: int) -> Sequence[Case]:
    result = await session.scalars(
        select(Case)
        .options(selectinload(Case.events))
        .where(Case.network_id == network_id)
        .order_by(Case.code)
    )
    return result.all()


async def referrals_of(*, session: AsyncSession, network_id: int, code: str) -> list[Referral]:
    """The encaminhamentos whose description mentions ``code``, with their devolutivas."""
    rows = await session.scalars(
        select(Referral)
        .options(selectinload(Referral.owed).selectinload(Devolutiva.sector))
        .where(Referral.network_id == network_id, _has(Referral.description, code))
        .order_by(Referral.created_at, Referral.id)
    )
    return [r for r in rows.all() if mentions(r.description, code)]


async def meetings_of(*, session: AsyncSession, network_id: int, code: str) -> list[Meeting]:
    """The meetings whose pauta or justification mentions ``code``."""
    rows = await session.scalars(
        select(Meeting)
        .where(
            Meeting.network_id == network_id,
            or_(_has(Meeting.topic, code), _has(Meeting.justification, code)),
        )
        .order_by(Meeting.starts_at)
    )
    return [m for m in rows.all() if mentions(m.topic, code) or mentions(m.justification, code)]


async def atas_of(
    *, session: AsyncSession, network_id: int, code: str
) -> list[tuple[Ata, datetime]]:
    """The atas whose text mentions ``code``, with their meeting's start."""
    rows = await session.execute(
        select(Ata, Meeting.starts_at)
        .join(Meeting, Meeting.id == Ata.meeting_id)
        .where(Ata.network_id == network_id, _has(Ata.text, code))
        .order_by(Meeting.starts_at)
    )
    return [(a, at) for a, at in rows.all() if mentions(a.text, code)]


async def opened_by(*, session: AsyncSession, member_id: int) -> Sequence[Case]:
    """The cases a person opened (``/meusdados``)."""
    result = await session.scalars(
        select(Case).where(Case.opened_by_id == member_id).order_by(Case.code)
    )
    return result.all()


async def events_by(*, session: AsyncSession, member_id: int) -> list[tuple[str, str, datetime]]:
    """What a person recorded on cases (code, event kind, when), for ``/meusdados``."""
    rows = await session.execute(
        select(Case.code, CaseEvent.kind, CaseEvent.at)
        .join(Case, Case.id == CaseEvent.case_id)
        .where(CaseEvent.member_id == member_id)
        .order_by(CaseEvent.at, CaseEvent.id)
    )
    return [(code, kind, at) for code, kind, at in rows.all()]
