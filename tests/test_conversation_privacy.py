"""A conversation's typed answers are not kept once it ends (LGPD): confirmed, they live in
the record they made; cancelled or replaced, they were never sent. An abandoned one goes
with the purge a day later. On SQLite and PostgreSQL, through the router."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.clock import ManualClock
from bot.messages import Reply
from bot.rules.retention import CONVERSATION
from bot.runtime import Runtime
from storage.models import Question
from storage.retention import purge
from tests.drive import COORDINATOR, Group


def _texts(replies: list[Reply]) -> str:
    return "\n".join(r.text or r.notice or "" for r in replies)


@pytest.fixture
async def group(runtime: Runtime) -> Group:
    group = Group(runtime)
    await group.say(COORDINATOR, "/setor CRAS")
    return group


async def _states(runtime: Runtime) -> list[object]:
    async with runtime.sessions() as session:
        rows = await session.scalars(select(Question).where(Question.kind == CONVERSATION))
        return [q.state for q in rows]


async def _typed_so_far(group: Group) -> None:
    """/encaminhar alone; the sectors and the deadline typed: two answers kept meanwhile."""
    await group.say(COORDINATOR, "/encaminhar")
    await group.answer(COORDINATOR, "Saúde")
    await group.answer(COORDINATOR, "10 dias")


async def test_answers_typed_so_far_are_emptied_when_it_is_cancelled(
    group: Group, runtime: Runtime
) -> None:
    await _typed_so_far(group)
    [kept] = await _states(runtime)
    assert kept and "Saúde" in str(kept)
    dropped = await group.answer(COORDINATOR, "cancelar")
    assert "nada foi enviado nem salvo" in _texts(dropped)
    assert await _states(runtime) == [{"flow": "encaminhar"}]


async def test_another_command_empties_them_too(group: Group, runtime: Runtime) -> None:
    await _typed_so_far(group)
    await group.say(COORDINATOR, "/proxima")
    assert await _states(runtime) == [{"flow": "encaminhar"}]


async def test_an_abandoned_conversation_goes_a_day_later(
    group: Group, runtime: Runtime, clock: ManualClock
) -> None:
    await _typed_so_far(group)
    async with runtime.sessions() as session, session.begin():
        assert (await purge(session, now=clock.now()))["conversations"] == 0
    async with runtime.sessions() as session, session.begin():
        counts = await purge(session, now=clock.now() + timedelta(days=1, minutes=1))
    assert counts["conversations"] == 1
    assert await _states(runtime) == []
