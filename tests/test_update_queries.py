"""The queries every update runs, written for few statements, on SQLite and PostgreSQL:
the network with the sender's member row in one query, an RSVP as one upsert, the
update's dedup."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.runtime import Runtime
from storage import repo
from storage.models import Meeting, ProcessedUpdate, Question, Rsvp

NOW = datetime(2026, 11, 23, 13, tzinfo=UTC)


async def _network(runtime: Runtime) -> tuple[int, int, int]:
    """A network with one member and one meeting: their ids."""
    async with runtime.sessions() as session, session.begin():
        network = await repo.create_network(
            session=session,
            platform="telegram",
            chat_id="-100",
            title="Rede",
            timezone="America/Sao_Paulo",
            state="PR",
            locale="pt_BR",
            now=NOW,
        )
        member = await repo.touch_member(
            session=session, network_id=network.id, user_id="7", name="Ana", username=None, now=NOW
        )
        meeting = Meeting(
            network_id=network.id,
            starts_at=NOW + timedelta(days=3),
            place="CRAS",
            created_at=NOW,
            updated_at=NOW,
        )
        session.add(meeting)
        await session.flush()
        return network.id, member.id, meeting.id


async def _converse(
    session: AsyncSession, network_id: int, member_id: int, chat: str | None = None
) -> Question:
    """A step-by-step conversation opened for the member (begun in ``chat``)."""
    state = {"flow": "encaminhar", "values": {}, "chat": chat} if chat else None
    return await repo.ask(
        session=session,
        network_id=network_id,
        member_id=member_id,
        kind="conversation",
        meeting_id=None,
        now=NOW,
        state=state,
    )


async def test_the_network_and_the_member_in_one_query(runtime: Runtime) -> None:
    network_id, member_id, _meeting_id = await _network(runtime)
    async with runtime.sessions() as session:
        network, member = await repo.network_and_member(
            session=session, platform="telegram", chat_id="-100", user_id="7"
        )
        assert network is not None and network.id == network_id
        assert member is not None and member.id == member_id and member.sector is None
        network, nobody = await repo.network_and_member(
            session=session, platform="telegram", chat_id="-100", user_id="8"
        )
        assert network is not None and nobody is None
        assert await repo.network_and_member(
            session=session, platform="whatsapp", chat_id="-100", user_id="7"
        ) == (None, None)


async def test_a_command_closes_open_questions_without_a_query_when_none_is_open(
    runtime: Runtime,
) -> None:
    """The network's query says whether the member has a question open: closing them (as
    every command does) runs no statement when none is; one asked since is still closed."""
    from sqlalchemy import event

    network_id, member_id, _meeting_id = await _network(runtime)
    seen: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        seen.append(statement)

    async def ask(session: AsyncSession) -> Question:
        return await _converse(session, network_id, member_id)

    event.listen(runtime.engine.sync_engine, "before_cursor_execute", record)
    try:
        async with runtime.sessions() as session, session.begin():
            _network_row, member = await repo.network_and_member(
                session=session, platform="telegram", chat_id="-100", user_id="7"
            )
            assert member is not None
            seen.clear()
            await repo.close_questions(session=session, member_id=member_id, kind="conversation")
            assert seen == []
            asked = await ask(session)
            await repo.close_questions(session=session, member_id=member_id, kind="conversation")
            await session.flush()
            assert asked.status == "replaced"
        async with runtime.sessions() as session, session.begin():
            await ask(session)
        async with runtime.sessions() as session, session.begin():
            await repo.network_and_member(
                session=session, platform="telegram", chat_id="-100", user_id="7"
            )
            await repo.close_questions(session=session, member_id=member_id, kind="conversation")
        async with runtime.sessions() as session:
            statuses = (await session.scalars(select(Question.status))).all()
        assert sorted(statuses) == ["replaced", "replaced"]
    finally:
        event.remove(runtime.engine.sync_engine, "before_cursor_execute", record)


async def test_an_rsvp_is_one_upsert_and_a_changed_answer_drops_the_reason(
    runtime: Runtime,
) -> None:
    _network_id, member_id, meeting_id = await _network(runtime)

    async def press(answer: str, at: datetime) -> None:
        async with runtime.sessions() as session, session.begin():
            await repo.set_rsvp(
                session=session, meeting_id=meeting_id, member_id=member_id, answer=answer, now=at
            )

    async def stored() -> tuple[str, str | None, datetime]:
        async with runtime.sessions() as session:
            rows = (await session.scalars(select(Rsvp))).all()
        assert len(rows) == 1
        return rows[0].answer, rows[0].reason, rows[0].answered_at

    await press("no", NOW)
    async with runtime.sessions() as session, session.begin():
        rsvp = await repo.rsvp_of(session=session, meeting_id=meeting_id, member_id=member_id)
        assert rsvp is not None
        rsvp.reason = "audiência"
    later = NOW + timedelta(minutes=5)
    await press("no", later)
    assert await stored() == ("no", "audiência", later)
    await press("yes", later + timedelta(minutes=1))
    assert await stored() == ("yes", None, later + timedelta(minutes=1))


async def test_an_rsvp_already_loaded_in_the_session_shows_the_new_answer(
    runtime: Runtime,
) -> None:
    _network_id, member_id, meeting_id = await _network(runtime)
    async with runtime.sessions() as session, session.begin():
        await repo.set_rsvp(
            session=session, meeting_id=meeting_id, member_id=member_id, answer="yes", now=NOW
        )
        loaded = await repo.rsvp_of(session=session, meeting_id=meeting_id, member_id=member_id)
        assert loaded is not None and loaded.answer == "yes"
        await repo.set_rsvp(
            session=session, meeting_id=meeting_id, member_id=member_id, answer="maybe", now=NOW
        )
        assert loaded.answer == "maybe"
        tally = await repo.rsvps(session=session, meeting_id=meeting_id)
        assert [(r.answer, r.member.name) for r in tally] == [("maybe", "Ana")]


async def test_an_update_is_applied_once(runtime: Runtime) -> None:
    async with runtime.sessions() as session, session.begin():
        assert await repo.mark_update_processed(
            session=session, platform="telegram", update_id=1, now=NOW
        )
        assert not await repo.mark_update_processed(
            session=session, platform="telegram", update_id=1, now=NOW
        )
        assert await repo.mark_update_processed(
            session=session, platform="whatsapp", update_id=1, now=NOW
        )
    async with runtime.sessions() as session:
        rows = (await session.scalars(select(ProcessedUpdate))).all()
    assert sorted((r.platform, r.update_id, r.processed_at) for r in rows) == [
        ("telegram", 1, NOW),
        ("whatsapp", 1, NOW),
    ]


async def test_a_conversation_is_found_by_the_chat_it_began_in(runtime: Runtime) -> None:
    """``in_conversation`` (the WhatsApp channel's gate for unquoted texts) reads the chat
    from the conversation's state, on both databases; aliases count; expired ones do not."""
    from storage.models import PersonAlias

    network_id, member_id, _meeting_id = await _network(runtime)
    async with runtime.sessions() as session, session.begin():
        await _converse(session, network_id, member_id, chat="-100")
        session.add(PersonAlias(platform="telegram", alias="7-old", user_id="7"))

    async def found(chat_id: str, user_id: str, since: datetime) -> bool:
        async with runtime.sessions() as session:
            return await repo.in_conversation(
                session=session,
                platform="telegram",
                chat_id=chat_id,
                user_ids=[user_id],
                since=since,
            )

    an_hour_ago = NOW - timedelta(hours=1)
    assert await found("-100", "7", an_hour_ago)
    assert await found("-100", "7-old", an_hour_ago)  # the person under another id
    assert not await found("-999", "7", an_hour_ago)  # another chat
    assert not await found("-100", "8", an_hour_ago)  # another person
    assert not await found("-100", "7", NOW + timedelta(minutes=1))  # asked before: over
