"""Step-by-step conversations: one open question row per person holds a command's answers
so far (handlers/conversation.py); and what the bot knows to offer as choices."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, AsyncSessionTransaction

from bot.rules.retention import CONVERSATION
from bot.rules.status import QuestionStatus
from storage import repo
from storage.models import Meeting, Member, Network, Question, Sector

KIND = CONVERSATION  # the kind of its row in questions


async def start(
    session: AsyncSession, network: Network, member: Member, now: datetime, state: dict[str, Any]
) -> Question:
    """Open the member's conversation (any question still open to them is closed)."""
    return await repo.ask(
        session=session,
        network_id=network.id,
        member_id=member.id,
        kind=KIND,
        meeting_id=None,
        now=now,
        state=copy.deepcopy(state),
    )


async def get(session: AsyncSession, network: Network, conversation_id: int) -> Question | None:
    """The conversation a button names, if it is of this network."""
    found = await session.get(Question, conversation_id)
    if found is None or found.network_id != network.id or found.kind != KIND:
        return None
    return found


def save(question: Question, state: dict[str, Any], now: datetime) -> None:
    """The conversation moved on: its answers, and the time of its last step."""
    # A new object (a deep copy): a JSON column is written when its value compares unequal
    # to the one loaded, and the caller's dict may be that very object, changed in place.
    question.state = copy.deepcopy(state)
    question.asked_at = now


def close(question: Question, status: QuestionStatus = QuestionStatus.ANSWERED) -> None:
    """The conversation ended (confirmed, cancelled, expired): its typed answers are not
    kept — what was confirmed lives in the record it made, the rest was never sent."""
    question.status = status
    question.state = repo.bare_state(question.state)


def attempt(session: AsyncSession) -> AsyncSessionTransaction:
    """A savepoint around the command's own path: what a refusal half-wrote is undone, and
    the conversation stays open to be corrected."""
    return session.begin_nested()


async def end_open(session: AsyncSession, member: Member) -> None:
    """Another command was sent: the member's open conversation ends (silently)."""
    await repo.close_questions(session=session, member_id=member.id, kind=KIND)


async def sectors(session: AsyncSession, network: Network) -> Sequence[Sector]:
    return await repo.sectors(session=session, network_id=network.id)


async def places(session: AsyncSession, network: Network) -> Sequence[str]:
    return await repo.places(session=session, network_id=network.id)


async def meetings_ahead(
    session: AsyncSession, network: Network, now: datetime, limit: int = 5
) -> Sequence[Meeting]:
    """Today's meetings (even one already begun) and the next ones."""
    zone = ZoneInfo(network.timezone)
    midnight = datetime.combine(now.astimezone(zone).date(), datetime.min.time(), tzinfo=zone)
    return await repo.next_meetings(
        session=session,
        network_id=network.id,
        after=max(midnight, now - timedelta(hours=12)),
        limit=limit,
    )
