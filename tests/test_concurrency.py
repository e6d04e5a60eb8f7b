"""Updates of different chats run side by side; one chat's stay in order (issue 9 §4)."""

from __future__ import annotations

import asyncio
import threading

from sqlalchemy import func, select

from bot.lanes import Lanes
from bot.messages import OutFile, Person, Reply
from bot.router import Context
from bot.runtime import Runtime
from storage.models import Member, Network, Referral
from tests.drive import COORDINATOR, Group
from tests.telegram_harness import ANA, BRUNO, COORD, GROUP, Harness

APOLOGY = "Desculpe"


async def test_a_lane_keeps_order_within_a_key_and_runs_keys_side_by_side() -> None:
    lanes = Lanes(limit=8)
    seen: list[str] = []
    gate = asyncio.Event()

    async def job(name: str, wait: bool = False) -> str:
        if wait:
            await gate.wait()
        seen.append(name)
        return name

    a1 = lanes.submit("A", lambda: job("a1", wait=True))
    a2 = lanes.submit("A", lambda: job("a2"))
    b1 = lanes.submit("B", lambda: job("b1"))
    assert await b1 == "b1"  # B is not held behind A's slow job
    assert seen == ["b1"]
    gate.set()
    assert [await a1, await a2] == ["a1", "a2"]
    assert seen == ["b1", "a1", "a2"]
    await lanes.drain()
    assert lanes.busy == 0


async def test_a_failing_job_does_not_stop_its_lane() -> None:
    lanes = Lanes()

    async def boom() -> None:
        raise RuntimeError("one update crashed")

    async def fine() -> str:
        return "next"

    failed = lanes.submit("A", boom)
    after = lanes.submit("A", fine)
    assert await after == "next"
    assert isinstance(failed.exception(), RuntimeError)


async def test_concurrent_updates_of_many_chats_make_no_errors(runtime: Runtime) -> None:
    """Fifty updates at once in five groups, on SQLite and PostgreSQL: all applied."""
    groups = [Group(runtime, chat_id=f"-100{i}") for i in range(5)]
    people = [Person(user_id=str(100 + i), name=f"Pessoa {i}") for i in range(10)]
    replies = await asyncio.gather(
        *(g.say(p, "/setor CRAS") for g in groups for p in people),
        *(g.say(COORDINATOR, "/proxima") for g in groups),
    )
    texts = [r.text for batch in replies for r in batch]
    assert not [t for t in texts if APOLOGY in t]
    async with runtime.sessions() as session:
        networks = await session.scalar(select(func.count()).select_from(Network))
        members = await session.scalar(select(func.count()).select_from(Member))
    assert networks == 5
    assert members == 5 * (len(people) + 1)


async def test_the_same_new_person_twice_at_once_is_one_member(runtime: Runtime) -> None:
    group = Group(runtime, chat_id="-100900")
    newcomer = Person(user_id="777", name="Nova")
    replies = await asyncio.gather(*(group.say(newcomer, "/setores") for _ in range(6)))
    assert not [r.text for batch in replies for r in batch if APOLOGY in r.text]
    async with runtime.sessions() as session:
        count = await session.scalar(
            select(func.count()).select_from(Member).where(Member.user_id == "777")
        )
    assert count == 1


async def test_referral_codes_stay_unique_when_recorded_at_once(runtime: Runtime) -> None:
    group = Group(runtime)
    await group.say(COORDINATOR, "/setores")
    replies = await asyncio.gather(
        *(
            group.say(COORDINATOR, f"/encaminhar Saúde | 10 dias | CASO-2026-001: avaliação {i}")
            for i in range(8)
        )
    )
    assert not [r.text for batch in replies for r in batch if APOLOGY in r.text]
    async with runtime.sessions() as session:
        codes = (await session.scalars(select(Referral.code))).all()
    assert len(codes) == 8 and len(set(codes)) == 8


async def test_a_busy_group_does_not_hold_up_another(seated_group: Harness) -> None:
    """Through the real client: group A's command is stuck; group B is answered meanwhile."""
    tg = seated_group
    release = threading.Event()
    started = threading.Event()

    def build_pdf() -> bytes:  # a big report: built after the commit, in a worker thread
        started.set()
        release.wait(timeout=20)
        return b"%PDF-1.4"

    async def slow(ctx: Context) -> list[Reply]:
        return [
            Reply(
                text="lento: pronto",
                file=OutFile.later("relatorio.pdf", "application/pdf", build_pdf),
            )
        ]

    tg.runtime.router.command("lento", "slow", "/lento")(slow)
    other = GROUP - 1
    tg.api.set_admins(other, [COORD])
    mark = tg.api.mark()
    tg.api.group_message(GROUP, ANA, "/lento")
    try:
        assert await asyncio.to_thread(started.wait, 5)
        for _ in range(3):
            tg.api.group_message(GROUP, BRUNO, "/proxima")  # queued behind /lento, in order
        tg.api.group_message(other, COORD, "/proxima")
        answer = await tg.api.wait_for_message(other, "reunião", since=mark)
        assert answer["chat"]["id"] == other
        sent = tg.api.sent_messages(GROUP)
        assert not [m for m in sent if "lento" in (m.get("text") or m.get("caption") or "")]
    finally:
        release.set()
    await tg.api.wait_for_message(GROUP, "lento: pronto", since=mark)
    for _ in range(3):
        await tg.api.wait_for_message(GROUP, "reunião", since=mark)
    in_a = [
        c.params.get("text") or c.params.get("caption")
        for c in tg.api.calls_since(mark)
        if c.method in ("sendMessage", "sendDocument") and c.params["chat_id"] == GROUP
    ]
    assert len(in_a) == 4 and "lento" in in_a[0]  # A's own order is kept
