"""A quiet group (issue 14): one automatic message a day, the announcement as the first
reminder, one chase message per sector per round. Through the router and the dispatcher,
with the test clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.clock import ManualClock
from bot.messages import Button, Reply
from bot.runtime import Runtime, open_runtime
from storage import repo
from storage.models import Delivery, Network, ScheduledMessage
from tests.conftest import NOW, make_settings
from tests.drive import ANA, COORDINATOR, Group

SP = ZoneInfo("America/Sao_Paulo")


def _local(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SP).astimezone(UTC)


@pytest.fixture
async def quiet(tmp_path: Path) -> AsyncIterator[tuple[Runtime, ManualClock]]:
    clock = ManualClock(NOW)
    rt = await open_runtime(make_settings(f"sqlite+aiosqlite:///{tmp_path / 'q.db'}"), clock)
    yield rt, clock
    await rt.close()


async def _group(runtime: Runtime) -> tuple[Group, list[tuple[datetime, str, Reply]]]:
    group = Group(runtime)
    await group.say(COORDINATOR, "/setores")
    sink: list[tuple[datetime, str, Reply]] = []

    async def send(chat_id: str, reply: Reply) -> None:
        sink.append((runtime.clock.now(), chat_id, reply))

    runtime.attach_sender(send)
    return group, sink


def _in_group(sink: list[tuple[datetime, str, Reply]], group: Group) -> list[Reply]:
    return [r for _at, chat, r in sink if chat == group.chat_id and r.to_user is None]


async def _run_until(runtime: Runtime, clock: ManualClock, until: datetime) -> None:
    """Run the dispatcher at every hour up to ``until``."""
    assert runtime.dispatcher is not None
    while clock.now() < until:
        await clock.set(min(until, clock.now() + timedelta(hours=1)))
        await runtime.dispatcher.run_due()


async def test_the_monthly_announcement_is_the_meetings_first_reminder(
    quiet: tuple[Runtime, ManualClock],
) -> None:
    runtime, clock = quiet
    group, sink = await _group(runtime)
    preview = await group.say(COORDINATOR, "/gerarcalendario 2026 2ª terça 14h CRAS")
    await group.press(COORDINATOR, preview[-1].buttons[0][0].data)
    # 08/12 14h: the announcement on 01/12 at 8h; the 7-day reminder would be 01/12 14h.
    await _run_until(runtime, clock, _local(12, 2, 12))
    december_first = [r for at, chat, r in sink if at.astimezone(SP).day == 1]
    assert len(december_first) == 1
    (announcement,) = december_first
    assert "08/12" in announcement.text and announcement.buttons  # the RSVP buttons
    assert "Lembrete" not in announcement.text
    # The day before, the reminder still comes.
    await _run_until(runtime, clock, _local(12, 7, 15))
    assert any("Lembrete" in r.text for at, _c, r in sink if at.astimezone(SP).day == 7)


async def _schedule(runtime: Runtime, kind: str, due: datetime, n: int, **extra: object) -> None:
    async with runtime.sessions() as session, session.begin():
        network = await session.scalar(select(Network))
        assert network is not None
        for i in range(n):
            await repo.schedule(
                session=session,
                network_id=network.id,
                key=f"{kind}:{i}",
                kind=kind,
                due_at=due + timedelta(minutes=i),
                payload={"i": i},
                **extra,  # type: ignore[arg-type]
            )


async def test_one_automatic_message_a_day_the_rest_merged_the_next_morning(
    quiet: tuple[Runtime, ManualClock],
) -> None:
    runtime, clock = quiet
    group, sink = await _group(runtime)

    async def notice(ctx: object) -> list[Reply]:
        i = ctx.row.payload["i"]  # type: ignore[attr-defined]
        if i == 1:  # a bare title takes its next line along in the digest
            return [Reply(text="⏰ Lembrete\naviso 1 de 25/11\nlinha dois")]
        buttons = ((Button("Vou", "x"),),) if i == 2 else ()
        return [
            Reply(text=f"aviso {i}\nlinha dois", mentions=(ANA,) if i == 2 else (), buttons=buttons)
        ]

    async def alarm(ctx: object) -> list[Reply]:
        return [Reply(text="cancelamento", urgent=True)]

    runtime.router.renderers["aviso"] = notice
    runtime.router.renderers["alarm"] = alarm
    tuesday = _local(11, 24, 10)
    await _schedule(runtime, "aviso", tuesday, 3)
    await _schedule(runtime, "alarm", tuesday + timedelta(hours=2), 1)
    await _run_until(runtime, clock, _local(11, 24, 19))
    assert [r.text.splitlines()[0] for r in _in_group(sink, group)] == ["aviso 0", "cancelamento"]
    async with runtime.sessions() as session:
        held = (await session.scalars(select(Delivery).where(Delivery.status == "held"))).all()
        digest = await session.scalar(select(Delivery).where(Delivery.kind == "digest_day"))
    assert len(held) == 2 and digest is not None
    assert digest.due_at == _local(11, 25, 9)  # the next day, in the planned order
    await _run_until(runtime, clock, _local(11, 25, 12))
    day_two = [r for at, chat, r in sink if at.astimezone(SP).day == 25]
    assert len(day_two) == 1
    text = day_two[0].text
    assert "2 avisos do bot guardados de ontem" in text
    # Each held message whole, in order (it is the day's only message).
    assert "⏰ Lembrete\naviso 1 de 25/11\nlinha dois\n\naviso 2\nlinha dois" in text
    assert [p.user_id for p in day_two[0].mentions] == [ANA.user_id]
    # A merged message has no buttons: it says where to answer what had some.
    assert not day_two[0].buttons and "/proxima" in text


async def test_a_long_day_merges_whole_messages_then_first_lines(
    quiet: tuple[Runtime, ManualClock],
) -> None:
    """Held messages longer than one message allows: the first whole, the others by their
    first line, and where the details are."""
    runtime, clock = quiet
    _group_chat, sink = await _group(runtime)

    async def long_notice(ctx: object) -> list[Reply]:
        i = ctx.row.payload["i"]  # type: ignore[attr-defined]
        return [Reply(text=f"aviso longo {i}\n" + "detalhe " * 300)]

    runtime.router.renderers["aviso"] = long_notice
    await _schedule(runtime, "aviso", _local(11, 24, 10), 4)
    await _run_until(runtime, clock, _local(11, 25, 12))
    (merged,) = [r for at, chat, r in sink if at.astimezone(SP).day == 25]
    text = merged.text
    assert "3 avisos do bot guardados de ontem" in text and len(text) <= 4096
    assert text.count("detalhe") > 300  # aviso 1, whole
    assert "• aviso longo 2" in text and "• aviso longo 3" in text
    assert "/pendencias" in text


async def test_a_meetings_own_messages_of_the_day_always_go(
    quiet: tuple[Runtime, ManualClock],
) -> None:
    runtime, clock = quiet
    group, sink = await _group(runtime)
    preview = await group.say(COORDINATOR, "/gerarcalendario 2026 2ª terça 14h CRAS")
    await group.press(COORDINATOR, preview[-1].buttons[0][0].data)

    async def notice(ctx: object) -> list[Reply]:
        return [Reply(text="aviso comum")]

    runtime.router.renderers["aviso"] = notice
    # On the meeting's day (08/12) an ordinary notice takes the day's budget at 7h; a
    # second one waits for the next day...
    await _schedule(runtime, "aviso", _local(12, 8, 7), 2)
    await _run_until(runtime, clock, _local(12, 8, 13))
    texts = [r.text for at, _c, r in sink if at.astimezone(SP).day == 8]
    assert texts.count("aviso comum") == 1
    # ...and the 2-hour reminder (12h) still goes: its meeting is today.
    assert any("Lembrete" in t for t in texts)


async def test_a_sectors_chases_of_a_round_come_in_one_message(
    quiet: tuple[Runtime, ManualClock],
) -> None:
    runtime, clock = quiet
    group, sink = await _group(runtime)
    await group.seat(ANA, "Saúde")
    for code in ("001", "002", "003"):
        await group.say(COORDINATOR, f"/encaminhar Saúde | 5 dias | CASO-2026-{code}: visita")
    await group.say(COORDINATOR, "/silencio por dia 20")  # only the chases are counted here
    await _run_until(runtime, clock, NOW + timedelta(days=12))
    chases = [r for r in _in_group(sink, group) if "E-2026-00" in r.text]
    chases = [r for r in chases if "Resumo semanal" not in r.text]
    async with runtime.sessions() as session:
        rows = (
            await session.scalars(
                select(ScheduledMessage).where(ScheduledMessage.kind == "referral_chase")
            )
        ).all()
    rounds = {r.key.rsplit(":", 1)[1] for r in rows}
    # One message per round of the ladder, not one per encaminhamento.
    assert len(chases) == len(rounds)
    assert all(
        all(f"E-2026-00{n}" in r.text for n in (1, 2, 3)) and "Saúde: 3 devolutivas" in r.text
        for r in chases
    )
    assert all([p.user_id for p in r.mentions] == [ANA.user_id] for r in chases)
    assert sorted({r.status for r in rows}) == ["merged", "sent"]
