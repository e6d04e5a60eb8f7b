"""Repository functions: every query lives here; each takes the session by keyword."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any, TypeVar, cast

from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    and_,
    bindparam,
    case,
    delete,
    func,
    inspect,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.util import identity_key

from bot.rules.kinds import DIGEST
from bot.rules.names import name_key
from bot.rules.retention import CONVERSATION
from bot.rules.status import (
    REFERRAL_OPEN,
    AtaStatus,
    DraftStatus,
    MarkedBy,
    MeetingStatus,
    OutboxStatus,
    Presence,
    QuestionStatus,
    RoleStatus,
)
from storage.models import (
    ActionPlan,
    Ata,
    Attendance,
    Case,
    Choice,
    ChoiceAnswer,
    Contact,
    Delivery,
    Devolutiva,
    Draft,
    FlowDocument,
    InboxEvent,
    Meeting,
    Member,
    Network,
    PersonAlias,
    ProcessedUpdate,
    Question,
    Referral,
    ReportingConfirmation,
    ReportingDeadline,
    RoleAssignment,
    Rsvp,
    ScheduledMessage,
    Sector,
    SectorAlias,
    SentNotice,
    WorkingGroup,
)

# Seed 000 §4: the participants of the network.
DEFAULT_SECTORS = (
    "CRAS",
    "CREAS",
    "Saúde",
    "Educação",
    "CMEI",
    "Escola Municipal",
    "Colégio Estadual",
    "Conselho Tutelar",
    "Polícia Militar",
    "Polícia Civil",
    "Ministério Público",
    "Saúde Mental",
    "Vigilância Sanitária",
    "Epidemiologia",
    "Esportes",
    "Pastoral da Criança",
)
DEFAULT_REMINDER_OFFSETS = [7 * 24 * 60, 24 * 60, 120]

_T = TypeVar("_T")


# --- updates ---------------------------------------------------------------


# Built once: statements run by every update skip their construction (and the cache key
# it implies) on each call; their values are bound parameters.
_MARK_PROCESSED = {
    name: insert(cast(Table, ProcessedUpdate.__table__)).on_conflict_do_nothing()
    for name, insert in (("postgresql", postgresql_insert), ("sqlite", sqlite_insert))
}


async def mark_update_processed(
    *, session: AsyncSession, platform: str, update_id: int, now: datetime
) -> bool:
    """Record an update id; False when it was already applied (a redelivery).

    One statement (INSERT … ON CONFLICT DO NOTHING) on both databases: a concurrent
    redelivery waits on the primary key and then finds it taken. A Core insert of the
    table (no ORM object is involved), so the ORM's bulk-insert machinery stays out.
    """
    dialect = session.get_bind().dialect.name
    statement = _MARK_PROCESSED["postgresql" if dialect == "postgresql" else "sqlite"]
    values = {"platform": platform, "update_id": update_id, "processed_at": now}
    result = await session.execute(statement, values)
    return bool(result.rowcount)  # type: ignore[attr-defined]


# --- networks ----------------------------------------------------------------


_NETWORK_BY_CHAT = select(Network).where(
    Network.platform == bindparam("platform"), Network.chat_id == bindparam("chat_id")
)


async def network_by_chat(*, session: AsyncSession, platform: str, chat_id: str) -> Network | None:
    return await session.scalar(_NETWORK_BY_CHAT, {"platform": platform, "chat_id": chat_id})


# The members this session knows to have no open question (read with the network and the
# member): closing their open questions, as every command does, needs no query then.
NO_OPEN_QUESTIONS = "members_without_open_questions"

_NETWORK_AND_MEMBER = (
    select(
        Network,
        Member,
        select(Question.id)
        .where(Question.member_id == Member.id, Question.status == QuestionStatus.OPEN)
        .limit(1)
        .correlate(Member)
        .scalar_subquery(),
    )
    .outerjoin(
        Member, and_(Member.network_id == Network.id, Member.user_id == bindparam("user_id"))
    )
    .options(joinedload(Member.sector))
    .where(
        Network.platform == bindparam("platform"),
        or_(
            Network.chat_id == bindparam("chat_id"),
            Network.coordination_chat_id == bindparam("chat_id"),
        ),
    )
    # A chat linked as a network's coordination chat belongs to that network, even if
    # the bot's arrival there once made it a network of its own (issue 14).
    .order_by(case((Network.coordination_chat_id == bindparam("chat_id"), 0), else_=1))
    .limit(1)
)


async def network_and_member(
    *, session: AsyncSession, platform: str, chat_id: str, user_id: str
) -> tuple[Network | None, Member | None]:
    """The chat's network and ``user_id``'s member row in it (with the sector), in one
    query: what :func:`network_by_chat` and :func:`member` give, for every update.
    A coordination chat gives the network it coordinates (``network.chat_id`` differs)."""
    params = {"platform": platform, "chat_id": chat_id, "user_id": user_id}
    row = (await session.execute(_NETWORK_AND_MEMBER, params)).first()
    if row is None:
        return None, None
    network, member, open_question = row
    if member is not None and open_question is None:
        session.info.setdefault(NO_OPEN_QUESTIONS, set()).add(member.id)
    return network, member


async def network_by_ics_token(*, session: AsyncSession, token: str) -> Network | None:
    return await session.scalar(select(Network).where(Network.ics_token == token))


async def create_network(
    *,
    session: AsyncSession,
    platform: str,
    chat_id: str,
    title: str,
    timezone: str,
    state: str | None,
    locale: str,
    now: datetime,
) -> Network:
    """A new network with the seed's sectors (or the one a concurrent update just created)."""
    network = Network(
        platform=platform,
        chat_id=chat_id,
        title=title,
        timezone=timezone,
        state=state,
        locale=locale,
        reminder_offsets=list(DEFAULT_REMINDER_OFFSETS),
        ics_token=secrets.token_urlsafe(18),
        created_at=now,
    )
    try:
        async with session.begin_nested():
            session.add(network)
    except IntegrityError:
        # Another process registered this group a moment ago: use its network.
        found = await network_by_chat(session=session, platform=platform, chat_id=chat_id)
        if found is None:
            raise
        return found
    for name in DEFAULT_SECTORS:
        session.add(Sector(network_id=network.id, name=name, key=name_key(name)))
    await session.flush()
    return network


async def move_network(
    *, session: AsyncSession, platform: str, old_chat_id: str, new_chat_id: str
) -> Network | None:
    """Follow a group to its new chat id (Telegram group -> supergroup); a coordination
    chat that moves is followed too."""
    coordinated = await coordination_chat_taken(
        session=session, platform=platform, chat_id=old_chat_id
    )
    if coordinated is not None:
        coordinated.coordination_chat_id = new_chat_id
        await session.flush()
        return coordinated
    network = await network_by_chat(session=session, platform=platform, chat_id=old_chat_id)
    if network is None:
        return None
    already = await network_by_chat(session=session, platform=platform, chat_id=new_chat_id)
    if already is not None and already.id != network.id:
        # The new chat registered itself first (its first update raced ours): keep the
        # network with history and drop the empty newcomer.
        await session.delete(already)
        await session.flush()
    network.chat_id = new_chat_id
    await session.flush()
    return network


# --- sectors -----------------------------------------------------------------


@cache
def _sectors_query(include_removed: bool) -> Select[Sector, str | None]:
    # Each sector with each of its other names (none: one row with NULL), in one query.
    query = (
        select(Sector, SectorAlias.key)
        .outerjoin(
            SectorAlias,
            and_(SectorAlias.sector_id == Sector.id, SectorAlias.network_id == Sector.network_id),
        )
        .where(Sector.network_id == bindparam("network_id"))
    )
    if not include_removed:
        query = query.where(Sector.removed_at.is_(None))
    return query.order_by(Sector.key, SectorAlias.key)


async def sectors(
    *, session: AsyncSession, network_id: int, include_removed: bool = False
) -> Sequence[Sector]:
    """The network's sectors by name, each knowing its other names (``known_as``); a
    removed one (/setores remover) only when asked, as the records it appears in still
    name it."""
    rows = await session.execute(_sectors_query(include_removed), {"network_id": network_id})
    names: dict[Sector, list[str]] = {}
    for sector, key in rows.all():
        keys = names.setdefault(sector, [])
        if key is not None:
            keys.append(key)
    for sector, keys in names.items():
        sector.known_as(tuple(keys))
    return list(names)


async def sector_aliases(*, session: AsyncSession, network_id: int) -> Sequence[SectorAlias]:
    """The other names the network gave its sectors (abbreviations, a plan's names)."""
    result = await session.scalars(_SECTOR_ALIASES, {"network_id": network_id})
    return result.all()


_SECTOR_ALIASES = (  # built once: /setores and every sector lookup read it
    select(SectorAlias)
    .where(SectorAlias.network_id == bindparam("network_id"), SectorAlias.sector_id.is_not(None))
    .order_by(SectorAlias.key)
)


async def forget_sector_alias(*, session: AsyncSession, network_id: int, key: str) -> bool:
    """The other name ``key`` no longer means a sector; False when there was none."""
    alias = await session.scalar(
        select(SectorAlias).where(SectorAlias.network_id == network_id, SectorAlias.key == key)
    )
    if alias is None or alias.sector_id is None:
        return False
    await session.delete(alias)
    await session.flush()
    return True


async def sector_by_name(*, session: AsyncSession, network_id: int, name: str) -> Sector | None:
    return await session.scalar(
        select(Sector).where(Sector.network_id == network_id, Sector.key == name_key(name))
    )


async def add_sector(*, session: AsyncSession, network_id: int, name: str) -> Sector:
    """A new sector; one removed under that name comes back instead (its history with it)."""
    removed = await session.scalar(
        select(Sector).where(
            Sector.network_id == network_id,
            Sector.key == name_key(name),
            Sector.removed_at.is_not(None),
        )
    )
    if removed is not None:
        removed.removed_at = None
        removed.name = name
        return removed
    sector = Sector(network_id=network_id, name=name, key=name_key(name))
    session.add(sector)
    await session.flush()
    return sector


# --- members -----------------------------------------------------------------


_MEMBER = (
    select(Member)
    .options(joinedload(Member.sector))
    .where(Member.network_id == bindparam("network_id"), Member.user_id == bindparam("user_id"))
)


async def member(*, session: AsyncSession, network_id: int, user_id: str) -> Member | None:
    return await session.scalar(_MEMBER, {"network_id": network_id, "user_id": user_id})


async def member_by_id(*, session: AsyncSession, member_id: int) -> Member | None:
    return await session.scalar(
        select(Member).options(joinedload(Member.sector)).where(Member.id == member_id)
    )


async def touch_member(
    *,
    session: AsyncSession,
    network_id: int,
    user_id: str,
    name: str,
    username: str | None,
    now: datetime,
) -> Member:
    """The member row for this person, created or refreshed (names change). An empty
    ``name`` (the platform did not say it) keeps the stored one."""
    found = await member(session=session, network_id=network_id, user_id=user_id)
    return await refresh_member(
        session=session,
        found=found,
        network_id=network_id,
        user_id=user_id,
        name=name,
        username=username,
        now=now,
    )


async def refresh_member(
    *,
    session: AsyncSession,
    found: Member | None,
    network_id: int,
    user_id: str,
    name: str,
    username: str | None,
    now: datetime,
) -> Member:
    """:func:`touch_member` for a row already looked up (``found``: None when there is
    none, e.g. from :func:`network_and_member`)."""
    if found is None:
        new = Member(
            network_id=network_id,
            user_id=user_id,
            name=name or user_id.partition("@")[0],
            username=username,
            is_coordinator=False,
            created_at=now,
        )
        try:
            async with session.begin_nested():
                session.add(new)
        except IntegrityError:
            # The same person's other update (another process) created the row first.
            found = await member(session=session, network_id=network_id, user_id=user_id)
            if found is None:
                raise
        else:
            await session.refresh(new, ["sector"])
            return new
    # Assigned only when they changed: an assignment marks the row dirty even with the
    # same value, and every later query of the update would flush it first.
    if name and (found.name != name or found.username != username):
        found.name = name
        found.username = username
    return found


async def member_by_username(
    *, session: AsyncSession, network_id: int, username: str
) -> Member | None:
    return await session.scalar(
        select(Member).where(
            Member.network_id == network_id,
            func.lower(Member.username) == username.lstrip("@").lower(),
        )
    )


_MEMBERS = (
    select(Member)
    .options(joinedload(Member.sector))
    .where(Member.network_id == bindparam("network_id"))
    .order_by(Member.name)
)


async def members(*, session: AsyncSession, network_id: int) -> Sequence[Member]:
    result = await session.scalars(_MEMBERS, {"network_id": network_id})
    return result.all()


# --- meetings ----------------------------------------------------------------


async def add_meetings(*, session: AsyncSession, meetings: Iterable[Meeting]) -> list[Meeting]:
    added = list(meetings)
    session.add_all(added)
    await session.flush()
    return added


async def next_meetings(
    *, session: AsyncSession, network_id: int, after: datetime, limit: int = 1
) -> Sequence[Meeting]:
    result = await session.scalars(
        select(Meeting)
        .where(
            Meeting.network_id == network_id,
            Meeting.status == MeetingStatus.SCHEDULED,
            Meeting.starts_at >= after,
        )
        .order_by(Meeting.starts_at)
        .limit(limit)
    )
    return result.all()


async def meetings_between(
    *,
    session: AsyncSession,
    network_id: int,
    start: datetime,
    end: datetime,
    kinds: Sequence[str] | None = None,
    include_cancelled: bool = True,
) -> Sequence[Meeting]:
    query = _meetings_between_query(kinds is not None, include_cancelled)
    params: dict[str, Any] = {"network_id": network_id, "start": start, "end": end}
    if kinds is not None:
        params["kinds"] = list(kinds)
    result = await session.scalars(query, params)
    return result.all()


@cache
def _meetings_between_query(by_kind: bool, include_cancelled: bool) -> Select[Meeting]:
    query = select(Meeting).where(
        Meeting.network_id == bindparam("network_id"),
        Meeting.starts_at >= bindparam("start"),
        Meeting.starts_at < bindparam("end"),
    )
    if by_kind:
        query = query.where(Meeting.kind.in_(bindparam("kinds", expanding=True)))
    if not include_cancelled:
        query = query.where(Meeting.status == MeetingStatus.SCHEDULED)
    return query.order_by(Meeting.starts_at)


async def meeting(*, session: AsyncSession, meeting_id: int) -> Meeting | None:
    return await session.get(Meeting, meeting_id)


# --- scheduled messages (the outbox of future work) ----------------------------

# Set in ``session.info`` when a transaction schedules work: the dispatcher is woken
# after its commit, and only then.
SCHEDULED_FLAG = "redebot.scheduled"


async def schedule(
    *,
    session: AsyncSession,
    network_id: int,
    key: str,
    kind: str,
    due_at: datetime,
    meeting_id: int | None = None,
    payload: dict[str, Any] | None = None,
) -> None:
    """Insert or move the row ``key``; a row already sent is left alone."""
    session.info[SCHEDULED_FLAG] = True
    row = await session.scalar(
        select(ScheduledMessage).where(
            ScheduledMessage.network_id == network_id, ScheduledMessage.key == key
        )
    )
    if row is None:
        session.add(
            ScheduledMessage(
                network_id=network_id,
                key=key,
                kind=kind,
                due_at=due_at,
                meeting_id=meeting_id,
                payload=payload or {},
                status=OutboxStatus.PENDING,
                attempts=0,
            )
        )
    elif row.status != OutboxStatus.SENT:
        row.due_at = due_at
        row.planned_at = None  # planned anew
        row.status = OutboxStatus.PENDING
        row.payload = payload or {}
        row.claimed_by = None
        row.claimed_at = None
    await session.flush()


@dataclass(frozen=True, slots=True)
class ScheduledRow:
    """One row for :func:`schedule_many`: the arguments of :func:`schedule`, as a value."""

    network_id: int
    key: str
    kind: str
    due_at: datetime
    meeting_id: int | None = None
    payload: dict[str, Any] | None = None


# Rows per INSERT of schedule_many: 8 values a row, well under the bound parameters a
# statement may have (32,766 on SQLite >= 3.32, 32,767 on asyncpg).
UPSERT_BATCH = 500


def _batches(items: Sequence[_T], size: int) -> Iterable[Sequence[_T]]:
    return (items[i : i + size] for i in range(0, len(items), size))


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


async def schedule_many(*, session: AsyncSession, rows: Iterable[ScheduledRow]) -> None:
    """:func:`schedule` for each of ``rows``, in one statement per :data:`UPSERT_BATCH` rows.

    ``INSERT ... ON CONFLICT (network_id, key) DO UPDATE ... WHERE status <> 'sent'``:
    a new key is inserted pending; a row not yet sent (pending, cancelled, failed,
    claimed) gets the new due time and payload and becomes pending and unclaimed again,
    keeping its kind, meeting, attempts and last error, exactly as :func:`schedule` does;
    a sent row is left alone. A key given twice ends as two :func:`schedule` calls in a
    row would leave it: the first one's kind and meeting, the last one's time and payload.
    """
    merged: dict[tuple[int, str], dict[str, Any]] = {}
    for row in rows:
        values = merged.get((row.network_id, row.key))
        if values is None:
            merged[(row.network_id, row.key)] = {
                "network_id": row.network_id,
                "key": row.key,
                "kind": row.kind,
                "due_at": row.due_at,
                "meeting_id": row.meeting_id,
                "payload": row.payload or {},
                "status": OutboxStatus.PENDING,
                "attempts": 0,
            }
        else:
            values["due_at"] = row.due_at
            values["payload"] = row.payload or {}
    if not merged:
        return
    session.info[SCHEDULED_FLAG] = True
    dialect = _dialect(session)
    if dialect not in ("postgresql", "sqlite"):
        raise NotImplementedError(f"schedule_many has no upsert for {dialect}")
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    for batch in _batches(list(merged.values()), UPSERT_BATCH):
        stmt = insert(ScheduledMessage).values(list(batch))
        await session.execute(
            stmt.on_conflict_do_update(
                index_elements=[ScheduledMessage.network_id, ScheduledMessage.key],
                set_={
                    "due_at": stmt.excluded.due_at,
                    "planned_at": None,
                    "payload": stmt.excluded.payload,
                    "status": OutboxStatus.PENDING,
                    "claimed_by": None,
                    "claimed_at": None,
                },
                where=ScheduledMessage.status != OutboxStatus.SENT,
            )
        )
    # schedule() changes a row this session already holds in place; an INSERT does not
    # touch the objects of the session, so reload those (usually none) from the table.
    loaded = [
        obj.id
        for obj in session.identity_map.values()
        if isinstance(obj, ScheduledMessage) and _loaded_key(obj) in merged
    ]
    if loaded:
        await session.execute(
            select(ScheduledMessage)
            .where(ScheduledMessage.id.in_(loaded))
            .execution_options(populate_existing=True)
        )


def _loaded_key(row: ScheduledMessage) -> tuple[Any, Any]:
    """(network_id, key) of a row in the session, read without loading anything."""
    state = inspect(row).dict
    return state.get("network_id"), state.get("key")


def _key_after_prefix(prefix: str) -> str | None:
    """The least key above every key that starts with ``prefix`` (code point order)."""
    head = prefix
    while head:
        code = ord(head[-1]) + 1
        if 0xD800 <= code <= 0xDFFF:  # surrogates are no characters of a key
            code = 0xE000
        if code <= 0x10FFFF:
            return head[:-1] + chr(code)
        head = head[:-1]
    return None


def _key_starts_with(prefix: str, dialect: str) -> ColumnElement[bool]:
    """``key LIKE 'prefix%'``, with the key range it implies so an index can find it.

    SQLite's LIKE ignores case, so it never searches a (case-sensitive) index; PostgreSQL
    turns a LIKE into a range only when the pattern is known at planning time, not in a
    generic plan of a prepared statement. ``prefix <= key < successor`` always can, if
    compared byte by byte (UTF-8 keeps code point order): SQLite's BINARY collation; on
    PostgreSQL the ``~>=~``/``~<~`` operators, the order of the ``varchar_pattern_ops`` key
    of ``ix_scheduled_messages_network_status_key`` whatever the database's collation (a
    plain ``<`` under a linguistic collation would miss keys of the prefix). The LIKE
    stays, so the range only narrows what is read.
    """
    key = ScheduledMessage.key
    like = key.startswith(prefix, autoescape=True)
    end = _key_after_prefix(prefix)
    if end is None:
        return like
    if dialect == "postgresql":
        low = key.op("~>=~", is_comparison=True)(prefix)
        high = key.op("~<~", is_comparison=True)(end)
        return and_(low, high, like)
    return and_(key >= prefix, key < end, like)


@dataclass(frozen=True, slots=True)
class PrefixCancel:
    """For :func:`cancel_scheduled_many`: like the arguments of :func:`cancel_scheduled`."""

    network_id: int
    key_prefix: str
    keep: tuple[str, ...] = ()
    # Only the rows due at another time than this one (None: whenever they are due).
    unless_due_at: datetime | None = None


# Prefixes per UPDATE of cancel_scheduled_many (each a few bound values and its keep).
CANCEL_BATCH = 100


async def cancel_scheduled_many(*, session: AsyncSession, cancels: Iterable[PrefixCancel]) -> None:
    """:func:`cancel_scheduled` for each of ``cancels``, in one UPDATE per :data:`CANCEL_BATCH`.

    Each prefix cancels the pending rows of its network whose key starts with it, except
    its own ``keep``; an index (network, status, key range) finds them.
    """
    dialect = _dialect(session)
    for batch in _batches(list(cancels), CANCEL_BATCH):
        terms = []
        for cancel in batch:
            term = and_(
                ScheduledMessage.network_id == cancel.network_id,
                ScheduledMessage.status == OutboxStatus.PENDING,
                _key_starts_with(cancel.key_prefix, dialect),
            )
            if cancel.keep:
                term = and_(term, ScheduledMessage.key.not_in(cancel.keep))
            if cancel.unless_due_at is not None:
                term = and_(term, ScheduledMessage.due_at != cancel.unless_due_at)
            terms.append(term)
        await session.execute(
            update(ScheduledMessage).where(or_(*terms)).values(status=OutboxStatus.CANCELLED)
        )


async def cancel_scheduled(
    *, session: AsyncSession, network_id: int, key_prefix: str, keep: Iterable[str] = ()
) -> None:
    """Cancel the pending rows whose key starts with ``key_prefix``, except ``keep``."""
    await cancel_scheduled_many(
        session=session,
        cancels=[PrefixCancel(network_id=network_id, key_prefix=key_prefix, keep=tuple(keep))],
    )


async def pending_scheduled(
    *, session: AsyncSession, network_id: int
) -> Sequence[ScheduledMessage]:
    result = await session.scalars(
        select(ScheduledMessage)
        .where(
            ScheduledMessage.network_id == network_id,
            ScheduledMessage.status == OutboxStatus.PENDING,
        )
        .order_by(ScheduledMessage.due_at)
    )
    return result.all()


Outbox = type[ScheduledMessage] | type[Delivery]


async def claim_due(
    *,
    session: AsyncSession,
    now: datetime,
    worker: str,
    lease: timedelta,
    limit: int = 50,
    table: Outbox = ScheduledMessage,
) -> Sequence[Any]:
    """Claim up to ``limit`` due rows of ``table`` for ``worker`` (commit right after).

    Each call claims under its own token (``worker/random``), kept in ``claimed_by``:
    two claims, even by one worker, never return the same row. A row whose claim
    was not refreshed within ``lease`` (its worker died: no heartbeat) is claimable again,
    and is taken first: a backlog of free due rows larger than ``limit`` must not keep
    a dead worker's rows (claimed in due order, so the oldest) waiting beyond the lease.
    On PostgreSQL, ``FOR UPDATE SKIP LOCKED`` keeps two dispatchers off the same
    rows; SQLite serialises writers, and the conditional UPDATE below re-checks
    the claim so a row is never handed to two workers. Both queries run on the
    (status, claimed_at) and (status, due_at) indexes: flat in the number of rows.
    """
    stale = now - lease
    dead = (
        select(table.id)
        .where(table.status == OutboxStatus.PENDING, table.claimed_at < stale, table.due_at <= now)
        .order_by(table.claimed_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    ids = list((await session.scalars(dead)).all())
    if len(ids) < limit:
        free = (
            select(table.id)
            .where(
                table.status == OutboxStatus.PENDING,
                table.due_at <= now,
                table.claimed_at.is_(None),
            )
            .order_by(*_due_order(table))
            .limit(limit - len(ids))
            .with_for_update(skip_locked=True)
        )
        ids += list((await session.scalars(free)).all())
    if not ids:
        return []
    token = f"{worker}/{secrets.token_hex(6)}"
    await session.execute(
        update(table)
        .where(
            table.id.in_(ids),
            table.status == OutboxStatus.PENDING,
            or_(table.claimed_at.is_(None), table.claimed_at < stale),
        )
        .values(claimed_by=token, claimed_at=now, attempts=table.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    order = [table.seq, table.id] if table is Delivery else _due_order(table)
    result = await session.scalars(
        select(table)
        .where(table.id.in_(ids), table.claimed_by == token)
        .order_by(*order)
        .execution_options(populate_existing=True)
    )
    return result.all()


def _due_order(table: Outbox) -> list[Any]:
    """Due first; among rows due at once, the one whose event came first."""
    if table is ScheduledMessage:
        planned = func.coalesce(ScheduledMessage.planned_at, ScheduledMessage.due_at)
        return [ScheduledMessage.due_at, planned, ScheduledMessage.id]
    return [table.due_at, table.id]


async def heartbeat(*, session: AsyncSession, claims: Iterable[str], now: datetime) -> None:
    """Refresh the claims a living worker is still working on (issue 9 §5).

    Only the live claims: a batch the worker gave up on (say, a database error while
    marking it) is not kept alive, so its rows come back after the lease.
    """
    tokens = list(claims)
    if not tokens:
        return
    for table in (ScheduledMessage, Delivery):
        await session.execute(
            update(table)
            .where(table.status == OutboxStatus.PENDING, table.claimed_by.in_(tokens))
            .values(claimed_at=now)
            .execution_options(synchronize_session=False)
        )


async def finish_scheduled(
    *,
    session: AsyncSession,
    row_id: int,
    claim: str,
    now: datetime,
    error: str | None = None,
    table: Outbox = ScheduledMessage,
    status: str = OutboxStatus.SENT,
) -> bool:
    """Mark a claimed row done (``status``), or give it back with its error to retry later.

    False when the claim was lost (rescheduled meanwhile, or taken after a stale lease).
    """
    values: dict[str, Any]
    if error is None:
        values = {"status": status, "sent_at": now}
    else:
        values = {"claimed_by": None, "claimed_at": None, "last_error": error[:2000]}
    result = await session.execute(
        update(table)
        .where(table.id == row_id, table.claimed_by == claim, table.status == OutboxStatus.PENDING)
        .values(**values)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def pending_due_before(
    *, session: AsyncSession, network_id: int, kind: str, before: datetime
) -> Sequence[ScheduledMessage]:
    """The network's pending rows of ``kind`` due before ``before``, in planned order."""
    result = await session.scalars(
        select(ScheduledMessage)
        .where(
            ScheduledMessage.network_id == network_id,
            ScheduledMessage.status == OutboxStatus.PENDING,
            ScheduledMessage.kind == kind,
            ScheduledMessage.due_at < before,
        )
        .order_by(ScheduledMessage.due_at, ScheduledMessage.id)
    )
    return result.all()


async def mark_merged(*, session: AsyncSession, row_ids: Sequence[int], now: datetime) -> None:
    """These pending rows were said in another row's message."""
    if row_ids:
        await session.execute(
            update(ScheduledMessage)
            .where(
                ScheduledMessage.id.in_(list(row_ids)),
                ScheduledMessage.status == OutboxStatus.PENDING,
            )
            .values(status=OutboxStatus.MERGED, sent_at=now)
        )


async def retry_later(
    *,
    session: AsyncSession,
    row_id: int,
    claim: str,
    due_at: datetime,
    error: str | None,
    table: Outbox = ScheduledMessage,
) -> None:
    """Give a claimed row back, due again at ``due_at`` (a retry, or after quiet hours); a
    scheduled row keeps when it was first due."""
    values: dict[str, Any] = {"claimed_by": None, "claimed_at": None, "due_at": due_at}
    if table is ScheduledMessage:
        values["planned_at"] = func.coalesce(ScheduledMessage.planned_at, ScheduledMessage.due_at)
    if error is not None:
        values["last_error"] = error[:2000]
    await session.execute(
        update(table).where(table.id == row_id, table.claimed_by == claim).values(**values)
    )


async def give_up_scheduled(
    *,
    session: AsyncSession,
    row_id: int,
    claim: str,
    error: str,
    table: Outbox = ScheduledMessage,
) -> None:
    """Mark a claimed row failed for good (only while the claim is still ours)."""
    await session.execute(
        update(table)
        .where(table.id == row_id, table.claimed_by == claim, table.status == OutboxStatus.PENDING)
        .values(status=OutboxStatus.FAILED, last_error=error[:2000])
    )


async def next_due_at(
    *, session: AsyncSession, lease: timedelta, table: Outbox = ScheduledMessage
) -> datetime | None:
    """When the next row becomes claimable: its due time, or its lease's end if claimed.

    Each min() is the first entry of an index range: (status, due_at) skips the few
    rows claimed right now; (status, claimed_at) gives the oldest claim.
    """
    free = await session.scalar(
        select(table.due_at)
        .where(table.status == OutboxStatus.PENDING, table.claimed_at.is_(None))
        .order_by(table.status, table.due_at)
        .limit(1)
    )
    claimed = await session.scalar(
        select(table.claimed_at)
        .where(table.status == OutboxStatus.PENDING, table.claimed_at.is_not(None))
        .order_by(table.status, table.claimed_at)
        .limit(1)
    )
    candidates = [t for t in (free, claimed + lease if claimed else None) if t is not None]
    return min(candidates) if candidates else None


async def scheduled_by_key(
    *, session: AsyncSession, network_id: int, key: str
) -> ScheduledMessage | None:
    """The network's row ``key`` (the unique index answers it), whatever its status."""
    return await session.scalar(
        select(ScheduledMessage).where(
            ScheduledMessage.network_id == network_id, ScheduledMessage.key == key
        )
    )


async def superseded(*, session: AsyncSession, row: ScheduledMessage, now: datetime) -> bool:
    """Is a later row of the same series (key up to its last ":") also due by ``now``?

    After a gap only the closest reminder, the current chase step, one ata reminder
    is sent (issue 9 §7); the key's prefix names the series, and the unique
    (network_id, key) index keeps the search inside one network.
    """
    prefix = row.key.rpartition(":")[0] + ":"
    later = await session.scalar(
        select(ScheduledMessage.id)
        .where(
            ScheduledMessage.network_id == row.network_id,
            ScheduledMessage.key.startswith(prefix, autoescape=True),
            ScheduledMessage.kind == row.kind,
            ScheduledMessage.id != row.id,
            ScheduledMessage.status.in_((OutboxStatus.PENDING, OutboxStatus.SENT)),
            # Rows the quiet hours moved to one instant: the newer row wins the tie.
            or_(
                ScheduledMessage.due_at > row.due_at,
                and_(ScheduledMessage.due_at == row.due_at, ScheduledMessage.id > row.id),
            ),
            ScheduledMessage.due_at <= now,
        )
        .limit(1)
    )
    return later is not None


# --- deliveries (one row per message) --------------------------------------------------


async def add_deliveries(*, session: AsyncSession, rows: Sequence[Delivery]) -> None:
    session.info[SCHEDULED_FLAG] = True
    session.add_all(rows)
    await session.flush()


async def sent_to_group_since(
    *, session: AsyncSession, network_id: int, since: datetime, urgent: bool = True
) -> int:
    """Automatic messages the group received since ``since`` (the hourly cap); with
    ``urgent`` False, the urgent ones not counted (the daily budget)."""
    query = (
        select(func.count())
        .select_from(Delivery)
        .where(
            Delivery.network_id == network_id,
            Delivery.sent_at >= since,
            Delivery.target == "group",
            Delivery.status == OutboxStatus.SENT,
        )
    )
    if not urgent:
        query = query.where(Delivery.urgent.is_(False))
    return int(await session.scalar(query) or 0)


async def meeting_notices_later(
    *,
    session: AsyncSession,
    network_id: int,
    kinds: Sequence[str],
    after: datetime,
    before: datetime,
) -> int:
    """The network's pending rows of ``kinds`` due in (``after``, ``before``) about no
    meeting or a meeting after ``before``: the announcement and reminders still to come
    today that the daily budget keeps room for (a meeting of today's own messages are
    urgent, outside the budget)."""
    found = await session.scalar(
        select(func.count())
        .select_from(ScheduledMessage)
        .outerjoin(Meeting, Meeting.id == ScheduledMessage.meeting_id)
        .where(
            ScheduledMessage.network_id == network_id,
            ScheduledMessage.status == OutboxStatus.PENDING,
            ScheduledMessage.kind.in_(kinds),
            ScheduledMessage.due_at > after,
            ScheduledMessage.due_at < before,
            or_(ScheduledMessage.meeting_id.is_(None), Meeting.starts_at >= before),
        )
    )
    return int(found or 0)


async def first_sent_since(
    *, session: AsyncSession, network_id: int, since: datetime
) -> datetime | None:
    return await session.scalar(
        select(func.min(Delivery.sent_at)).where(
            Delivery.network_id == network_id,
            Delivery.sent_at >= since,
            Delivery.target == "group",
            Delivery.status == OutboxStatus.SENT,
        )
    )


async def open_digest(
    *, session: AsyncSession, network_id: int, kind: str = DIGEST
) -> Delivery | None:
    """The pending digest that collects what the hourly cap (or, ``kind`` DAY_DIGEST, the
    daily budget) held back, if any."""
    return await session.scalar(
        select(Delivery)
        .where(
            Delivery.network_id == network_id,
            Delivery.kind == kind,
            Delivery.status == OutboxStatus.PENDING,
            Delivery.claimed_at.is_(None),
        )
        .limit(1)
    )


async def held_for(*, session: AsyncSession, digest_id: int) -> Sequence[Delivery]:
    result = await session.scalars(
        select(Delivery).where(Delivery.digest_id == digest_id).order_by(Delivery.id)
    )
    return result.all()


async def set_delivery(*, session: AsyncSession, delivery_id: int, **values: Any) -> None:
    await session.execute(update(Delivery).where(Delivery.id == delivery_id).values(**values))


# --- choices typed back, notices sent once ---------------------------------------------


async def save_choice(
    *,
    session: AsyncSession,
    platform: str,
    chat_id: str,
    message_ids: Sequence[str],
    options: list[list[str]],
    now: datetime,
) -> None:
    """The options behind the messages just sent (a text and its poll: the same options)."""
    for message_id in message_ids:
        session.add(
            Choice(
                platform=platform,
                chat_id=chat_id,
                message_id=message_id,
                options=options,
                created_at=now,
            )
        )
    await session.flush()


async def newer_answer(
    *,
    session: AsyncSession,
    platform: str,
    chat_id: str,
    subject: str,
    user_id: str,
    answered_ms: int,
    now: datetime,
) -> bool:
    """Record ``user_id``'s answer about ``subject`` (what the options decide, e.g. their
    RSVP to one meeting, whichever message offered it) at ``answered_ms``; False when an
    answer of theirs made later was already applied (this one arrived out of order)."""
    key = (platform, chat_id, subject[:64], user_id)
    found = await session.get(ChoiceAnswer, key, with_for_update=True)
    if found is not None:
        if found.answered_ms > answered_ms:
            return False
        found.answered_ms = answered_ms
        return True
    try:
        async with session.begin_nested():
            session.add(
                ChoiceAnswer(
                    platform=platform,
                    chat_id=chat_id,
                    subject=subject[:64],
                    user_id=user_id,
                    answered_ms=answered_ms,
                    created_at=now,
                )
            )
    except IntegrityError:  # the same person's other answer, in another process
        return await newer_answer(
            session=session,
            platform=platform,
            chat_id=chat_id,
            subject=subject,
            user_id=user_id,
            answered_ms=answered_ms,
            now=now,
        )
    return True


async def known_messages(
    *,
    session: AsyncSession,
    platform: str,
    chat_id: str,
    message_ids: Iterable[str],
    since: datetime,
) -> set[str]:
    """Which of these message ids are the bot's own (recorded when sent) in ``chat_id``."""
    ids = list(message_ids)
    if not ids:
        return set()
    result = await session.scalars(
        select(Choice.message_id).where(
            Choice.platform == platform,
            Choice.chat_id == chat_id,
            Choice.message_id.in_(ids),
            Choice.created_at >= since,
        )
    )
    return set(result.all())


async def choice_for(
    *, session: AsyncSession, platform: str, chat_id: str, message_id: str, since: datetime
) -> Choice | None:
    return await session.scalar(
        select(Choice).where(
            Choice.platform == platform,
            Choice.chat_id == chat_id,
            Choice.message_id == message_id,
            Choice.created_at >= since,
        )
    )


async def first_notice(*, session: AsyncSession, network_id: int, key: str, now: datetime) -> bool:
    """True the first time ``key`` is noted for this network; False ever after."""
    if await session.get(SentNotice, (network_id, key)) is not None:
        return False
    session.add(SentNotice(network_id=network_id, key=key, sent_at=now))
    await session.flush()
    return True


# --- drafts --------------------------------------------------------------------


async def add_draft(
    *,
    session: AsyncSession,
    network_id: int,
    user_id: str,
    kind: str,
    payload: dict[str, Any],
    now: datetime,
) -> Draft:
    draft = Draft(
        network_id=network_id,
        user_id=user_id,
        kind=kind,
        payload=payload,
        created_at=now,
        status=DraftStatus.OPEN,
    )
    session.add(draft)
    await session.flush()
    return draft


async def draft(*, session: AsyncSession, draft_id: int) -> Draft | None:
    return await session.get(Draft, draft_id)


# --- contacts and questions -------------------------------------------------------


async def add_contact(
    *, session: AsyncSession, platform: str, user_id: str, now: datetime
) -> Contact:
    """The person's private chat with the bot, recorded the first time they write."""
    found = await session.get(Contact, (platform, user_id))
    if found is not None:
        return found
    contact = Contact(platform=platform, user_id=user_id, started_at=now)
    try:
        async with session.begin_nested():
            session.add(contact)
    except IntegrityError:  # their other message, in another lane or process
        again = await session.get(Contact, (platform, user_id))
        if again is None:
            raise
        return again
    return contact


async def canonical_user(
    *, session: AsyncSession, platform: str, user_id: str, aliases: Sequence[str]
) -> str:
    """The one id of a person who arrives under several (WhatsApp: LID and phone JID).

    With ``aliases`` (ids the platform says are this person's): they are recorded
    (race-free: one INSERT … ON CONFLICT per alias), and a member or contact stored under
    one of them becomes this id — merged into the one stored under this id, if both
    exist. Without: a known alias maps to its person.
    """
    others = [a for a in aliases if a and a != user_id]
    if not others:
        known = await session.get(PersonAlias, (platform, user_id))
        return known.user_id if known is not None else user_id
    known_rows = await session.scalars(
        select(PersonAlias).where(PersonAlias.platform == platform, PersonAlias.alias.in_(others))
    )
    if {(a.alias, a.user_id) for a in known_rows.all()} == {(a, user_id) for a in others}:
        return user_id  # known already: rows stored under an alias were moved then
    insert = postgresql_insert if _dialect(session) == "postgresql" else sqlite_insert
    for alias in others:
        statement = insert(PersonAlias).values(platform=platform, alias=alias, user_id=user_id)
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=["platform", "alias"], set_={"user_id": user_id}
            )
        )
    session.expire_all()
    await _merge_members(session, platform, user_id, others)
    await _merge_contacts(session, platform, user_id, others)
    return user_id


async def _merge_members(
    session: AsyncSession, platform: str, user_id: str, others: Sequence[str]
) -> None:
    """Members stored under an alias become ``user_id``'s; where both exist (the person
    wrote once by phone, once by LID), the alias's row is folded into the other."""
    moved = await session.scalars(
        select(Member)
        .options(joinedload(Member.sector))
        .where(
            Member.user_id.in_(others),
            Member.network_id.in_(select(Network.id).where(Network.platform == platform)),
        )
    )
    for row in moved.all():
        kept = await member(session=session, network_id=row.network_id, user_id=user_id)
        if kept is None:
            row.user_id = user_id
            continue
        if kept.sector_id is None and row.sector_id is not None:
            # The declaration and its confirmation go together (issue 13).
            kept.sector_id = row.sector_id
            kept.confirmed_at, kept.confirmed_by_id = row.confirmed_at, row.confirmed_by_id
        kept.is_coordinator = kept.is_coordinator or row.is_coordinator
        kept.is_admin = kept.is_admin or row.is_admin
        await _repoint(session, old=row.id, new=kept.id)
        await session.delete(row)
    await session.flush()


async def _repoint(session: AsyncSession, *, old: int, new: int) -> None:
    """Every row that points at member ``old`` points at ``new``; where ``new`` already
    has the same row (its RSVP to that meeting), ``old``'s copy goes."""
    for table in Member.metadata.sorted_tables:
        for column in table.columns:
            if not any(fk.column.table.name == "members" for fk in column.foreign_keys):
                continue
            try:
                async with session.begin_nested():
                    await session.execute(
                        update(table).where(column == old).values({column.name: new})
                    )
            except IntegrityError:
                await session.execute(delete(table).where(column == old))


async def _merge_contacts(
    session: AsyncSession, platform: str, user_id: str, others: Sequence[str]
) -> None:
    contacts = await session.scalars(
        select(Contact).where(Contact.platform == platform, Contact.user_id.in_(others))
    )
    found = contacts.all()
    if not found:
        return
    insert = postgresql_insert if _dialect(session) == "postgresql" else sqlite_insert
    await session.execute(
        insert(Contact)
        .values(platform=platform, user_id=user_id, started_at=min(c.started_at for c in found))
        .on_conflict_do_nothing()
    )
    await session.execute(
        delete(Contact).where(Contact.platform == platform, Contact.user_id.in_(others))
    )


async def forget_person_aliases(*, session: AsyncSession, platform: str, user_id: str) -> int:
    """Erase every other id stored for this person (LGPD erasure)."""
    result = await session.execute(
        delete(PersonAlias).where(PersonAlias.platform == platform, PersonAlias.user_id == user_id)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def person_aliases(*, session: AsyncSession, platform: str, user_id: str) -> list[str]:
    result = await session.scalars(
        select(PersonAlias.alias).where(
            PersonAlias.platform == platform, PersonAlias.user_id == user_id
        )
    )
    return sorted(result.all())


async def keep_inbox(
    *, session: AsyncSession, platform: str, payload: dict[str, Any], now: datetime
) -> int:
    row = InboxEvent(platform=platform, payload=payload, received_at=now)
    session.add(row)
    await session.flush()
    return row.id


async def drop_inbox(*, session: AsyncSession, event_id: int) -> None:
    await session.execute(delete(InboxEvent).where(InboxEvent.id == event_id))


async def inbox(
    *, session: AsyncSession, platform: str, before: datetime, limit: int = 500
) -> Sequence[InboxEvent]:
    """Events received before ``before`` and not applied yet (a process died with them)."""
    result = await session.scalars(
        select(InboxEvent)
        .where(InboxEvent.platform == platform, InboxEvent.received_at <= before)
        .order_by(InboxEvent.id)
        .limit(limit)
    )
    return result.all()


async def contact_ids(*, session: AsyncSession, platform: str, user_ids: Iterable[str]) -> set[str]:
    """Which of these people can receive a private message."""
    ids = list(user_ids)
    if not ids:
        return set()
    result = await session.scalars(
        select(Contact.user_id).where(Contact.platform == platform, Contact.user_id.in_(ids))
    )
    return set(result.all())


async def ask(
    *,
    session: AsyncSession,
    network_id: int,
    member_id: int,
    kind: str,
    meeting_id: int | None,
    now: datetime,
    state: dict[str, Any] | None = None,
) -> Question:
    """Open a question for a member, closing any earlier open one (one at a time)."""
    session.info.get(NO_OPEN_QUESTIONS, set()).discard(member_id)
    await _replace_open(session, Question.member_id == member_id)
    question = Question(
        network_id=network_id,
        member_id=member_id,
        kind=kind,
        meeting_id=meeting_id,
        asked_at=now,
        status=QuestionStatus.OPEN,
        state=state,
    )
    session.add(question)
    await session.flush()
    return question


async def close_questions(
    *, session: AsyncSession, member_id: int, kind: str, meeting_id: int | None = None
) -> None:
    """Close the member's open questions of ``kind`` (a conversation another command ends),
    only those about ``meeting_id`` when it is given."""
    if member_id in session.info.get(NO_OPEN_QUESTIONS, ()):
        return  # none open (read with the network, and none asked since)
    about = () if meeting_id is None else (Question.meeting_id == meeting_id,)
    await _replace_open(session, Question.member_id == member_id, Question.kind == kind, *about)


async def _replace_open(session: AsyncSession, *where: ColumnElement[bool]) -> None:
    """Mark open questions replaced. A conversation's typed answers go with it (LGPD:
    nothing kept that was never sent); only its flow's name stays, to answer a late press.
    One SELECT when nothing is open (the usual case), an UPDATE per row otherwise."""
    rows = await session.scalars(
        select(Question).where(Question.status == QuestionStatus.OPEN, *where)
    )
    for question in rows:
        question.status = QuestionStatus.REPLACED
        question.state = bare_state(question.state)


def bare_state(state: dict[str, Any] | None) -> dict[str, Any] | None:
    """What a conversation keeps once ended: the name of its flow, no answer."""
    return {"flow": state["flow"]} if state and "flow" in state else None


async def open_questions(
    *, session: AsyncSession, member_ids: Sequence[int], since: datetime, private: bool = False
) -> Sequence[Question]:
    """The open questions to any of these member rows asked after ``since``, newest first;
    ``private``: only those asked in the person's private chat."""
    if not member_ids:
        return ()
    query = select(Question).where(
        Question.member_id.in_(member_ids),
        Question.status == QuestionStatus.OPEN,
        Question.asked_at >= since,
    )
    if private:
        query = query.where(Question.in_private.is_(True))
    result = await session.scalars(query.order_by(Question.asked_at.desc(), Question.id.desc()))
    return result.all()


async def in_conversation(
    *, session: AsyncSession, platform: str, chat_id: str, user_ids: Sequence[str], since: datetime
) -> bool:
    """Whether one of these ids (a person's, with its aliases) has a step-by-step
    conversation open, asked after ``since``, that was begun in ``chat_id`` (a network's
    group or its coordination chat: each answers its own)."""
    ids = [u for u in user_ids if u]
    if not ids:
        return False
    known = select(PersonAlias.user_id).where(
        PersonAlias.platform == platform, PersonAlias.alias.in_(ids)
    )
    found = await session.scalar(
        select(Question.id)
        .join(Member, Member.id == Question.member_id)
        .join(Network, Network.id == Question.network_id)
        .where(
            Network.platform == platform,
            or_(Network.chat_id == chat_id, Network.coordination_chat_id == chat_id),
            or_(Member.user_id.in_(ids), Member.user_id.in_(known)),
            Question.status == QuestionStatus.OPEN,
            Question.kind == CONVERSATION,
            Question.asked_at >= since,
            Question.state["chat"].as_string() == chat_id,
        )
        .limit(1)
    )
    return found is not None


async def places(*, session: AsyncSession, network_id: int, limit: int = 6) -> Sequence[str]:
    """The places the network meets at, the most used first."""
    result = await session.scalars(
        select(Meeting.place)
        .where(Meeting.network_id == network_id, Meeting.place != "")
        .group_by(Meeting.place)
        .order_by(func.count().desc(), Meeting.place)
        .limit(limit)
    )
    return result.all()


async def members_of_user(
    *, session: AsyncSession, platform: str, user_id: str
) -> Sequence[Member]:
    """The member rows of one person across the networks of a platform (with their
    sectors), oldest network first."""
    result = await session.scalars(
        select(Member)
        .join(Network, Network.id == Member.network_id)
        .options(joinedload(Member.sector))
        .where(Network.platform == platform, Member.user_id == user_id)
        .order_by(Member.network_id)
    )
    return result.all()


# --- sectors' people ------------------------------------------------------------------


async def representatives(
    *, session: AsyncSession, network_id: int, sector_ids: Iterable[int] | None = None
) -> Sequence[Member]:
    """Members who speak for a sector: declared and confirmed by the coordination
    (optionally: of one of ``sector_ids``). They are mentioned, chased, counted."""
    return await declared(
        session=session, network_id=network_id, sector_ids=sector_ids, confirmed=True
    )


async def declared(
    *,
    session: AsyncSession,
    network_id: int,
    sector_ids: Iterable[int] | None = None,
    confirmed: bool | None = None,
) -> Sequence[Member]:
    """Members who declared a sector: all (``confirmed`` None), only those confirmed
    (True), or only those waiting for the coordination (False)."""
    query = (
        select(Member)
        .options(joinedload(Member.sector))
        .where(Member.network_id == network_id, Member.sector_id.is_not(None))
    )
    if sector_ids is not None:
        query = query.where(Member.sector_id.in_(list(sector_ids)))
    if confirmed is True:
        query = query.where(Member.confirmed_at.is_not(None))
    elif confirmed is False:
        query = query.where(Member.confirmed_at.is_(None))
    result = await session.scalars(query.order_by(Member.name, Member.id))
    return result.all()


async def coordinated_by(
    *, session: AsyncSession, platform: str, user_id: str, besides: str
) -> Sequence[Network]:
    """The networks of ``platform`` where ``user_id`` coordinates, but the one of chat
    ``besides``."""
    result = await session.scalars(
        select(Network)
        .join(Member, Member.network_id == Network.id)
        .where(
            Network.platform == platform,
            Network.chat_id != besides,
            Member.user_id == user_id,
            or_(Member.is_coordinator.is_(True), Member.is_admin.is_(True)),
        )
        .order_by(Network.id)
    )
    return result.all()


async def coordination_chat_taken(
    *, session: AsyncSession, platform: str, chat_id: str
) -> Network | None:
    """The network whose coordination chat ``chat_id`` is, if any."""
    return await session.scalar(
        select(Network).where(Network.platform == platform, Network.coordination_chat_id == chat_id)
    )


async def holds_records(*, session: AsyncSession, network: Network) -> bool:
    """Does the network hold anything more than the bot's arrival in a chat made (its seed
    sectors and members who only wrote): a meeting, referral, plan, case, flow, working
    group or reporting deadline, or a member seated in a sector?"""
    models: tuple[Any, ...] = (
        Meeting,
        Referral,
        ActionPlan,
        Case,
        FlowDocument,
        WorkingGroup,
        ReportingDeadline,
    )
    for model in models:
        found = await session.scalar(
            select(model.id).where(model.network_id == network.id).limit(1)
        )
        if found is not None:
            return True
    seated = await session.scalar(
        select(Member.id)
        .where(
            Member.network_id == network.id,
            or_(Member.sector_id.is_not(None), Member.confirmed_at.is_not(None)),
        )
        .limit(1)
    )
    return seated is not None


async def drop_network(*, session: AsyncSession, network: Network) -> None:
    await session.delete(network)
    await session.flush()


async def coordinators(*, session: AsyncSession, network_id: int) -> Sequence[Member]:
    """Named coordinators and the administrators the bot has seen."""
    result = await session.scalars(
        select(Member).where(
            Member.network_id == network_id,
            or_(Member.is_coordinator.is_(True), Member.is_admin.is_(True)),
        )
    )
    return result.all()


# --- RSVPs and attendance ------------------------------------------------------------


def _rsvp_upsert(insert: Any) -> Any:
    """INSERT the answer, or update the one given before (a changed answer drops the reason
    given for the old one), returning the row's id."""
    table = cast(Table, Rsvp.__table__)
    statement = insert(table)
    new = statement.excluded
    return statement.on_conflict_do_update(
        index_elements=[table.c.meeting_id, table.c.member_id],
        set_={
            "answer": new.answer,
            "answered_at": new.answered_at,
            "reason": case((table.c.answer == new.answer, table.c.reason), else_=None),
        },
    ).returning(table.c.id)


_SET_RSVP = {"postgresql": _rsvp_upsert(postgresql_insert), "sqlite": _rsvp_upsert(sqlite_insert)}


async def set_rsvp(
    *, session: AsyncSession, meeting_id: int, member_id: int, answer: str, now: datetime
) -> None:
    """Note ``member_id``'s answer to the meeting, in one statement (an RSVP press is the
    most frequent write)."""
    dialect = session.get_bind().dialect.name
    statement = _SET_RSVP["postgresql" if dialect == "postgresql" else "sqlite"]
    values = {"meeting_id": meeting_id, "member_id": member_id, "answer": answer}
    result = await session.execute(statement, {**values, "answered_at": now})
    rsvp_id = result.scalar_one()
    # The row was written without the ORM: an Rsvp already loaded in this session would
    # still show the old answer, so it is read again (rare: a press loads none before).
    loaded = session.sync_session.identity_map.get(identity_key(Rsvp, rsvp_id))
    if loaded is not None:
        await session.refresh(loaded)


async def rsvps(*, session: AsyncSession, meeting_id: int) -> Sequence[Rsvp]:
    result = await session.scalars(_RSVPS, {"meeting_id": meeting_id})
    return result.all()


# Joined, not "selectin": the answers, their members and sectors in one query (the live
# counts are drawn at every press).
_RSVPS = (
    select(Rsvp)
    .options(joinedload(Rsvp.member, innerjoin=True).joinedload(Member.sector))
    .where(Rsvp.meeting_id == bindparam("meeting_id"))
    .order_by(Rsvp.answered_at)
)


async def rsvp_of(*, session: AsyncSession, meeting_id: int, member_id: int) -> Rsvp | None:
    return await session.scalar(
        select(Rsvp).where(Rsvp.meeting_id == meeting_id, Rsvp.member_id == member_id)
    )


async def mark_presence(
    *,
    session: AsyncSession,
    meeting_id: int,
    member: Member,
    present: bool,
    by: str,
    now: datetime,
) -> None:
    row = await session.scalar(
        select(Attendance).where(
            Attendance.meeting_id == meeting_id, Attendance.member_id == member.id
        )
    )
    # Only a confirmed representative makes her sector present (issue 13).
    sector_id = member.confirmed_sector_id
    if row is None:
        session.add(
            Attendance(
                meeting_id=meeting_id,
                member_id=member.id,
                sector_id=sector_id,
                present=present,
                marked_by=by,
                marked_at=now,
            )
        )
    else:
        row.present, row.marked_by, row.marked_at = present, by, now
        row.sector_id = sector_id
    if present and sector_id is not None:
        # Someone of the sector is named now: the sector's unnamed mark says nothing more
        # (the presence of a representative who erased their data stays: it is theirs).
        await _drop_sector_only(session, meeting_id, sector_id, keep_erased=True)
    await session.flush()


async def presence_follows_confirmation(*, session: AsyncSession, member: Member) -> None:
    """A representative just confirmed: where her presence is on a list still open, it
    now counts for her sector."""
    sector_id = member.confirmed_sector_id
    if sector_id is None:
        return
    open_lists = select(Meeting.id).where(
        Meeting.network_id == member.network_id, Meeting.presence == Presence.OPEN
    )
    rows = await session.scalars(
        select(Attendance).where(
            Attendance.member_id == member.id,
            Attendance.meeting_id.in_(open_lists),
        )
    )
    for row in rows.all():
        row.sector_id = sector_id
        if row.present:
            await _drop_sector_only(session, row.meeting_id, sector_id, keep_erased=True)
    await session.flush()


async def mark_sector(
    *, session: AsyncSession, meeting_id: int, sector_id: int, present: bool, now: datetime
) -> None:
    """The coordination marks a whole sector present (a row naming nobody, unless one of
    its people is already present) or absent (all its rows)."""
    if not present:
        await _drop_sector_only(session, meeting_id, sector_id)
        await session.execute(
            update(Attendance)
            .where(
                Attendance.meeting_id == meeting_id,
                Attendance.sector_id == sector_id,
                Attendance.present.is_(True),
            )
            .values(present=False, marked_by=MarkedBy.COORDINATOR, marked_at=now)
            .execution_options(synchronize_session="fetch")
        )
        return
    already = await session.scalar(
        select(Attendance.id).where(
            Attendance.meeting_id == meeting_id,
            Attendance.sector_id == sector_id,
            Attendance.present.is_(True),
        )
    )
    if already is None:
        session.add(
            Attendance(
                meeting_id=meeting_id,
                member_id=None,
                sector_id=sector_id,
                present=True,
                marked_by=MarkedBy.COORDINATOR,
                marked_at=now,
            )
        )
        await session.flush()


async def _drop_sector_only(
    session: AsyncSession, meeting_id: int, sector_id: int, *, keep_erased: bool = False
) -> None:
    statement = delete(Attendance).where(
        Attendance.meeting_id == meeting_id,
        Attendance.sector_id == sector_id,
        Attendance.member_id.is_(None),
    )
    if keep_erased:
        statement = statement.where(Attendance.marked_by != MarkedBy.ERASED)
    await session.execute(statement.execution_options(synchronize_session="fetch"))


async def attendance(*, session: AsyncSession, meeting_id: int) -> Sequence[Attendance]:
    result = await session.scalars(
        select(Attendance)
        .options(
            selectinload(Attendance.member).selectinload(Member.sector),
            selectinload(Attendance.sector),
        )
        .where(Attendance.meeting_id == meeting_id)
        .order_by(Attendance.marked_at)
    )
    return result.all()


async def meetings_with_presence(
    *, session: AsyncSession, network_id: int, until: datetime, limit: int = 12
) -> Sequence[Meeting]:
    """The latest meetings whose presence list was opened, newest first."""
    result = await session.scalars(
        select(Meeting)
        .where(
            Meeting.network_id == network_id,
            Meeting.presence.is_not(None),
            Meeting.starts_at <= until,
        )
        .order_by(Meeting.starts_at.desc())
        .limit(limit)
    )
    return result.all()


# --- working groups ---------------------------------------------------------------------


async def working_groups(
    *, session: AsyncSession, network_id: int, active_only: bool = True
) -> Sequence[WorkingGroup]:
    query = _working_groups_query(active_only)
    result = await session.scalars(query, {"network_id": network_id})
    return result.all()


@cache
def _working_groups_query(active_only: bool) -> Select[WorkingGroup]:
    query = select(WorkingGroup).where(WorkingGroup.network_id == bindparam("network_id"))
    if active_only:
        query = query.where(WorkingGroup.active.is_(True))
    return query.order_by(WorkingGroup.name)


async def working_group(*, session: AsyncSession, group_id: int) -> WorkingGroup | None:
    return await session.get(WorkingGroup, group_id)


# --- roles and atas ----------------------------------------------------------------------


async def assignments(
    *, session: AsyncSession, meeting_id: int, role: str | None = None
) -> Sequence[RoleAssignment]:
    query = select(RoleAssignment).where(RoleAssignment.meeting_id == meeting_id)
    if role is not None:
        query = query.where(RoleAssignment.role == role)
    result = await session.scalars(query.order_by(RoleAssignment.id))
    return result.all()


async def role_history(
    *, session: AsyncSession, network_id: int, role: str, before: datetime
) -> Sequence[tuple[int, datetime, int]]:
    """(sector, meeting start, meeting id) of every time a sector took ``role`` (not declined)."""
    result = await session.execute(
        select(RoleAssignment.sector_id, Meeting.starts_at, Meeting.id)
        .join(Meeting, Meeting.id == RoleAssignment.meeting_id)
        .where(
            RoleAssignment.network_id == network_id,
            RoleAssignment.role == role,
            RoleAssignment.status.in_([RoleStatus.PROPOSED, RoleStatus.ACCEPTED]),
            Meeting.status == MeetingStatus.SCHEDULED,
            Meeting.starts_at < before,
        )
        .order_by(Meeting.starts_at)
    )
    return [(row[0], row[1], row[2]) for row in result.all()]


async def ata_of(*, session: AsyncSession, meeting_id: int) -> Ata | None:
    return await session.scalar(select(Ata).where(Ata.meeting_id == meeting_id))


async def atas(
    *,
    session: AsyncSession,
    network_id: int,
    statuses: Sequence[str],
    sector_id: int | None = None,
) -> Sequence[Ata]:
    """Atas in these states (oldest meeting first), optionally of one author sector."""
    query = (
        select(Ata)
        .join(Meeting, Meeting.id == Ata.meeting_id)
        .where(Ata.network_id == network_id, Ata.status.in_(list(statuses)))
    )
    if sector_id is not None:
        query = query.where(Ata.author_sector_id == sector_id)
    result = await session.scalars(query.order_by(Meeting.starts_at))
    return result.all()


async def approved_atas(
    *, session: AsyncSession, network_id: int, start: datetime, end: datetime
) -> Sequence[tuple[Ata, Meeting]]:
    result = await session.execute(
        select(Ata, Meeting)
        .join(Meeting, Meeting.id == Ata.meeting_id)
        .where(
            Ata.network_id == network_id,
            Ata.status == AtaStatus.APPROVED,
            Meeting.starts_at >= start,
            Meeting.starts_at < end,
        )
        .order_by(Meeting.starts_at)
    )
    return [(row[0], row[1]) for row in result.all()]


# --- referrals (encaminhamentos) -------------------------------------------------------


async def next_referral_code(*, session: AsyncSession, network_id: int, year: int) -> str:
    """E-2026-031: the year's next number in this network.

    The network's row is locked first (PostgreSQL), so two processes numbering at once
    wait for each other; SQLite's writers are serialised already (BEGIN IMMEDIATE).
    """
    await session.execute(select(Network.id).where(Network.id == network_id).with_for_update())
    prefix = f"E-{year}-"
    codes = await session.scalars(
        select(Referral.code).where(
            Referral.network_id == network_id, Referral.code.startswith(prefix)
        )
    )
    numbers = [int(c.removeprefix(prefix)) for c in codes.all() if c.removeprefix(prefix).isdigit()]
    return f"{prefix}{(max(numbers) + 1) if numbers else 1:03d}"


async def referral_by_code(*, session: AsyncSession, network_id: int, code: str) -> Referral | None:
    return await session.scalar(
        select(Referral)
        .options(selectinload(Referral.owed).selectinload(Devolutiva.sector))
        .where(Referral.network_id == network_id, func.upper(Referral.code) == code.upper())
    )


async def referral(*, session: AsyncSession, referral_id: int) -> Referral | None:
    return await session.scalar(
        select(Referral)
        .options(selectinload(Referral.owed).selectinload(Devolutiva.sector))
        .where(Referral.id == referral_id)
    )


async def open_referrals(
    *, session: AsyncSession, network_id: int, plan_id: int | None = None
) -> Sequence[Referral]:
    query = _open_referrals_query(plan_id is not None)
    params: dict[str, Any] = {"network_id": network_id}
    if plan_id is not None:
        params["plan_id"] = plan_id
    result = await session.scalars(query, params)
    return result.all()


@cache
def _open_referrals_query(by_plan: bool) -> Select[Referral]:
    query = (
        select(Referral)
        .options(selectinload(Referral.owed).joinedload(Devolutiva.sector))
        .where(Referral.network_id == bindparam("network_id"), Referral.status.in_(REFERRAL_OPEN))
    )
    if by_plan:
        query = query.where(Referral.plan_id == bindparam("plan_id"))
    return query.order_by(Referral.deadline, Referral.code)


async def plan_referrals(*, session: AsyncSession, plan_id: int) -> Sequence[Referral]:
    result = await session.scalars(
        select(Referral)
        .options(selectinload(Referral.owed))
        .where(Referral.plan_id == plan_id)
        .order_by(Referral.code)
    )
    return result.all()


async def action_plans(*, session: AsyncSession, network_id: int) -> Sequence[ActionPlan]:
    result = await session.scalars(
        select(ActionPlan).where(ActionPlan.network_id == network_id).order_by(ActionPlan.id)
    )
    return result.all()


async def reporting_deadlines(
    *, session: AsyncSession, network_id: int
) -> Sequence[ReportingDeadline]:
    result = await session.scalars(
        select(ReportingDeadline)
        .where(ReportingDeadline.network_id == network_id)
        .order_by(ReportingDeadline.name)
    )
    return result.all()


async def confirmations(*, session: AsyncSession, deadline_id: int, period: str) -> set[int]:
    result = await session.scalars(
        select(ReportingConfirmation.sector_id).where(
            ReportingConfirmation.deadline_id == deadline_id,
            ReportingConfirmation.period == period,
        )
    )
    return set(result.all())


async def meeting_referrals(*, session: AsyncSession, meeting_id: int) -> Sequence[Referral]:
    result = await session.scalars(
        select(Referral)
        .options(selectinload(Referral.owed).selectinload(Devolutiva.sector))
        .where(Referral.meeting_id == meeting_id)
        .order_by(Referral.code)
    )
    return result.all()
