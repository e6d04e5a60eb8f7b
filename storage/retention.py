"""Purging what the bot keeps only to work, after the times of bot.rules.retention.

Never the network's records (meetings, presences, RSVPs, atas, referrals, devolutivas...):
only the tables below, and in them only rows done with (never a pending outbox row).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, exists, func, not_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Delete

from bot.rules.retention import CONVERSATION, DEFAULT, Retention
from bot.rules.status import OutboxStatus
from storage.models import (
    Choice,
    ChoiceAnswer,
    Contact,
    Delivery,
    Draft,
    InboxEvent,
    Member,
    Network,
    PersonAlias,
    ProcessedUpdate,
    Question,
    ScheduledMessage,
    SentNotice,
)

# Said once per voter and poll ("vote-error:<poll>:<user>"): forgotten with the poll.
VOTE_ERROR_PREFIX = "vote-error:"


def _known_on(platform: Any, user_id: Any) -> Any:
    """A member of some network of ``platform`` has this user id."""
    return exists().where(
        Member.user_id == user_id, Member.network_id == Network.id, Network.platform == platform
    )


def statements(now: datetime, policy: Retention = DEFAULT) -> dict[str, Delete]:
    """One DELETE per kind of row, named as the README names them, in a safe order."""
    done = (OutboxStatus.PENDING,)
    return {
        "processed_updates": delete(ProcessedUpdate).where(
            ProcessedUpdate.processed_at < now - policy.processed_updates
        ),
        "inbox_events": delete(InboxEvent).where(
            InboxEvent.received_at < now - policy.inbox_events
        ),
        "choices": delete(Choice).where(Choice.created_at < now - policy.choices),
        "choice_answers": delete(ChoiceAnswer).where(
            ChoiceAnswer.created_at < now - policy.choices
        ),
        "vote_error_notices": delete(SentNotice).where(
            SentNotice.key.startswith(VOTE_ERROR_PREFIX, autoescape=True),
            SentNotice.sent_at < now - policy.choices,
        ),
        "questions": delete(Question).where(Question.asked_at < now - policy.questions),
        "conversations": delete(Question).where(
            Question.kind == CONVERSATION, Question.asked_at < now - policy.conversations
        ),
        "drafts": delete(Draft).where(Draft.created_at < now - policy.drafts),
        "deliveries": delete(Delivery).where(
            Delivery.status.not_in(done),
            func.coalesce(Delivery.sent_at, Delivery.due_at) < now - policy.deliveries,
        ),
        "scheduled_messages": delete(ScheduledMessage).where(
            ScheduledMessage.status.not_in(done),
            ScheduledMessage.due_at < now - policy.scheduled,
        ),
        "stray_contacts": delete(Contact).where(
            Contact.started_at < now - policy.stray_contacts,
            not_(_known_on(Contact.platform, Contact.user_id)),
        ),
        # A phone number (WhatsApp) kept for a person nobody knows any more.
        "stray_aliases": delete(PersonAlias).where(
            not_(_known_on(PersonAlias.platform, PersonAlias.user_id)),
            not_(
                exists().where(
                    and_(
                        Contact.platform == PersonAlias.platform,
                        or_(
                            Contact.user_id == PersonAlias.user_id,
                            Contact.user_id == PersonAlias.alias,
                        ),
                    )
                )
            ),
        ),
    }


async def purge(
    session: AsyncSession, *, now: datetime, policy: Retention = DEFAULT, dry_run: bool = False
) -> dict[str, int]:
    """Delete every row past its retention; how many of each kind (or would, ``dry_run``)."""
    counts: dict[str, int] = {}
    for name, statement in statements(now, policy).items():
        if dry_run:
            table = statement.table
            where = statement.whereclause
            query = select(func.count()).select_from(table)
            if where is not None:
                query = query.where(where)
            counts[name] = int(await session.scalar(query) or 0)
            continue
        result = await session.execute(statement.execution_options(synchronize_session=False))
        counts[name] = int(result.rowcount or 0)  # type: ignore[attr-defined]
    return counts
