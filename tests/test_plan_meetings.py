"""Planning meetings in batches leaves the outbox as planning them row by row did."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, event, insert, select

from bot.runtime import Runtime
from bot.scheduling import (
    month_key,
    plan_meetings,
)
from storage import repo
from storage.models import Meeting, Network, ScheduledMessage
from tests.conftest import NOW
from tests.drive import COORDINATOR, Group
from tests.legacy_scheduling import old_cancel_scheduled, old_plan_meeting
from tests.test_schedule_many import two_networks

COLUMNS = (
    "network_id",
    "key",
    "kind",
    "due_at",
    "meeting_id",
    "payload",
    "status",
    "claimed_by",
    "claimed_at",
    "sent_at",
    "attempts",
    "last_error",
)


# --- a network with meetings of every kind and an outbox in every state ----------------------


def _meeting(network: Network, starts_at: datetime, **values: Any) -> Meeting:
    defaults: dict[str, Any] = {
        "kind": "ordinary",
        "place": "CRAS",
        "topic": "",
        "status": "scheduled",
        "sequence": 0,
        "duration_minutes": 120,
        "urgent": False,
        "created_at": NOW,
        "updated_at": NOW,
    }
    return Meeting(network_id=network.id, starts_at=starts_at, **{**defaults, **values})


async def _scenario(runtime: Runtime) -> tuple[Network, list[Meeting], list[dict[str, Any]]]:
    """The meetings to plan, and the outbox before planning them."""
    network, other = await two_networks(runtime)
    day = timedelta(days=1)
    async with runtime.sessions() as session, session.begin():
        meetings = await repo.add_meetings(
            session=session,
            meetings=[
                # enough meetings that ids 1 and 1x both exist
                *(_meeting(network, NOW + (40 + i) * day) for i in range(10)),
                _meeting(network, NOW + 30 * day),  # every reminder ahead
                _meeting(network, NOW + 31 * day),  # same month: one announcement
                _meeting(network, NOW + 3 * day),  # the 7-day reminder has passed
                _meeting(network, NOW + 1 * day),  # so has the quorum check
                _meeting(network, NOW + 20 * day, status="cancelled"),
                _meeting(network, NOW - 1 * day),  # already held
                _meeting(network, NOW + timedelta(hours=5), kind="extraordinary", urgent=True),
                _meeting(network, NOW + 10 * day, kind="working_group"),
            ],
        )
    first, ahead, _same_month, soon, sooner, cancelled, held = meetings[:1] + meetings[10:16]
    tz = ZoneInfo(network.timezone)

    def row(
        key: str, status: str = "pending", net: Network = network, **values: Any
    ) -> dict[str, Any]:
        base: dict[str, Any] = {
            "network_id": net.id,
            "key": key,
            "kind": "meeting_reminder",
            "due_at": NOW + timedelta(hours=1),
            "meeting_id": None,
            "payload": {"old": True},
            "status": status,
            "claimed_by": None,
            "claimed_at": None,
            "sent_at": None,
            "attempts": 0,
            "last_error": None,
        }
        return {**base, **values}

    a = f"meeting:{ahead.id}:"
    outbox = [
        row(f"{a}remind:10080", "sent", sent_at=NOW, attempts=1),
        row(f"{a}remind:1440", "failed", attempts=8, last_error="boom"),
        row(f"{a}remind:999"),  # an offset no longer configured
        row(f"{a}remind:120", kind="legacy", meeting_id=first.id),  # kind, meeting kept
        row(f"{a}start", claimed_by="w/1", claimed_at=NOW, attempts=2, kind="meeting_start"),
        row(f"{a}quorum", "cancelled", kind="quorum_check"),
        # Due after its meeting's start, as roles always are: no planner cancels it.
        row(f"{a}roles", due_at=ahead.starts_at + timedelta(minutes=15)),
        row(f"meeting:{soon.id}:remind:10080"),
        row(f"meeting:{sooner.id}:quorum", kind="quorum_check"),
        row(f"meeting:{cancelled.id}:remind:120"),
        row(f"meeting:{cancelled.id}:start", kind="meeting_start"),
        row(f"meeting:{cancelled.id}:quorum", "sent", sent_at=NOW),
        row(f"meeting:{first.id}0:remind:120"),  # meeting:1 is no prefix of meeting:10
        row(f"meeting:{held.id}:remind:120", claimed_by="w/2", claimed_at=NOW),
        row(f"announce:{month_key(ahead.starts_at, tz)}", "sent", kind="monthly_announcement"),
        row(f"meeting:{cancelled.id}:remind:120", net=other),  # another network's
    ]
    return network, list(meetings), outbox


async def _reset(runtime: Runtime, outbox: list[dict[str, Any]]) -> None:
    async with runtime.sessions() as session, session.begin():
        await session.execute(delete(ScheduledMessage))
        await session.execute(insert(ScheduledMessage), outbox)


async def _snapshot(runtime: Runtime) -> list[tuple[Any, ...]]:
    async with runtime.sessions() as session:
        rows = (await session.scalars(select(ScheduledMessage))).all()
    return sorted(tuple(getattr(r, c) for c in COLUMNS) for r in rows)


async def test_batched_planning_leaves_the_outbox_as_one_by_one_did(runtime: Runtime) -> None:
    network, meetings, outbox = await _scenario(runtime)

    await _reset(runtime, outbox)
    async with runtime.sessions() as session, session.begin():
        network = await session.merge(network)
        for meeting in meetings:
            await old_plan_meeting(
                session=session, network=network, meeting=await session.merge(meeting), now=NOW
            )
    expected = await _snapshot(runtime)

    await _reset(runtime, outbox)
    async with runtime.sessions() as session, session.begin():
        network = await session.merge(network)
        merged = [await session.merge(m) for m in meetings]
        await plan_meetings(session=session, network=network, meetings=merged, now=NOW)
    got = await _snapshot(runtime)

    assert got == expected
    by_key = {r[1]: dict(zip(COLUMNS, r, strict=True)) for r in got if r[0] == network.id}
    a = f"meeting:{meetings[10].id}:"
    assert by_key[f"{a}remind:10080"]["status"] == "sent"
    failed = by_key[f"{a}remind:1440"]
    assert (failed["status"], failed["attempts"], failed["last_error"]) == ("pending", 8, "boom")
    assert by_key[f"{a}remind:999"]["status"] == "cancelled"
    legacy = by_key[f"{a}remind:120"]
    assert (legacy["kind"], legacy["payload"]) == ("legacy", {"offset": 120})
    start = by_key[f"{a}start"]
    assert (start["status"], start["claimed_by"], start["due_at"]) == (
        "pending",
        None,
        meetings[10].starts_at,
    )
    assert by_key[f"{a}quorum"]["status"] == "pending"
    assert by_key[f"{a}roles"]["status"] == "pending"
    assert by_key[f"meeting:{meetings[0].id}0:remind:120"]["status"] == "pending"
    assert by_key[f"meeting:{meetings[14].id}:remind:120"]["status"] == "cancelled"


async def test_a_roles_row_due_by_the_start_goes_when_the_meeting_is_planned(
    runtime: Runtime,
) -> None:
    """The list opened, then the meeting was moved: the roles planned for the old start
    would be named before the meeting (moved later) or after it (moved earlier); planning
    it cancels them (its start row plans them again). The list's own row stays."""
    network, _other = await two_networks(runtime)
    async with runtime.sessions() as session, session.begin():
        network = await session.merge(network)
        later, earlier, kept = await repo.add_meetings(
            session=session,
            meetings=[
                _meeting(network, NOW + timedelta(days=1)),
                _meeting(network, NOW + timedelta(hours=1)),
                _meeting(network, NOW + timedelta(hours=1)),
            ],
        )
        for meeting, due in (
            (later, NOW + timedelta(minutes=15)),  # planned for a start at NOW
            (earlier, NOW + timedelta(hours=3, minutes=15)),  # for a start at NOW + 3h
            (kept, kept.starts_at + timedelta(minutes=15)),
        ):
            await repo.schedule(
                session=session,
                network_id=network.id,
                key=f"meeting:{meeting.id}:roles",
                kind="meeting_roles",
                due_at=due,
                meeting_id=meeting.id,
            )
        meetings = [later, earlier, kept]
        await plan_meetings(session=session, network=network, meetings=meetings, now=NOW)
    async with runtime.sessions() as session:
        rows = await repo.pending_scheduled(session=session, network_id=network.id)
    roles = sorted(r.key for r in rows if r.key.endswith(":roles"))
    assert roles == [f"meeting:{kept.id}:roles"]


async def test_a_calendar_is_planned_in_one_upsert_and_one_cancel(runtime: Runtime) -> None:
    network, _other = await two_networks(runtime)
    statements: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    async with runtime.sessions() as session, session.begin():
        network = await session.merge(network)
        meetings = await repo.add_meetings(
            session=session,
            meetings=[_meeting(network, NOW + timedelta(days=30 * i)) for i in range(1, 13)],
        )
        event.listen(runtime.engine.sync_engine, "before_cursor_execute", record)
        try:
            await plan_meetings(session=session, network=network, meetings=meetings, now=NOW)
        finally:
            event.remove(runtime.engine.sync_engine, "before_cursor_execute", record)
    assert [s.split()[0] for s in statements] == ["INSERT", "UPDATE"]
    async with runtime.sessions() as session:
        rows = await repo.pending_scheduled(session=session, network_id=network.id)
    # 3 reminders, start, quorum and announcement for each of the 12 months
    assert len(rows) == 12 * 6


async def test_confirming_a_calendar_writes_its_rows_in_batches(runtime: Runtime) -> None:
    group = Group(runtime)
    preview = await group.say(COORDINATOR, "/gerarcalendario 2027 2ª terça 14h CRAS")
    statements: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if "scheduled_messages" in statement:
            statements.append(statement.split()[0])

    event.listen(runtime.engine.sync_engine, "before_cursor_execute", record)
    try:
        saved = await group.press(COORDINATOR, preview[-1].buttons[0][0].data)
    finally:
        event.remove(runtime.engine.sync_engine, "before_cursor_execute", record)
    assert "12 reuniões" in (saved[0].text or "")
    assert statements == ["INSERT", "UPDATE"]


async def _outbox_rows(runtime: Runtime) -> list[dict[str, Any]]:
    async with runtime.sessions() as session:
        rows = (await session.scalars(select(ScheduledMessage))).all()
    return [{c: getattr(r, c) for c in COLUMNS} for r in rows]


@pytest.mark.parametrize(
    "command",
    ["/lembretes 3d 1h 30min", "/fuso America/Manaus", "/gt encerrar GT Infância"],
)
async def test_commands_that_replan_many_meetings_match_one_by_one(
    runtime: Runtime, command: str
) -> None:
    group = Group(runtime)
    preview = await group.say(COORDINATOR, "/gerarcalendario 2027 2ª terça 14h CRAS")
    await group.press(COORDINATOR, preview[-1].buttons[0][0].data)
    await group.say(
        COORDINATOR, "/gt criar GT Infância | Saúde, CRAS | quinzenal quarta 14h | CRAS"
    )
    before = await _outbox_rows(runtime)

    replies = await group.say(COORDINATOR, command)
    assert not any("Exemplo" in (r.text or "") for r in replies), replies
    got = await _snapshot(runtime)

    # The one-by-one path from the same outbox, over the meetings as the command left them.
    await _reset(runtime, before)
    async with runtime.sessions() as session, session.begin():
        network = await session.scalar(select(Network))
        assert network is not None
        meetings = (await session.scalars(select(Meeting).order_by(Meeting.id))).all()
        if command.startswith("/gt"):
            gt_id = next(m.working_group_id for m in meetings if m.working_group_id)
            await old_cancel_scheduled(
                session=session, network_id=network.id, key_prefix=f"gt:{gt_id}:"
            )
            meetings = [m for m in meetings if m.status == "cancelled"]
        else:
            meetings = [m for m in meetings if m.status == "scheduled" and m.starts_at >= NOW]
        assert meetings
        for meeting in meetings:
            await old_plan_meeting(session=session, network=network, meeting=meeting, now=NOW)
    assert got == await _snapshot(runtime)
    assert got != sorted(tuple(r.values()) for r in before)
