"""What the bot keeps only to work goes after its retention (bot.rules.retention), hourly in
the dispatcher and on demand with `redebot purge`; the network's records never go."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.__main__ import run_purge
from bot.clock import ManualClock
from bot.messages import ChatKind, Incoming, Person, Reply
from bot.rules.status import OutboxStatus
from bot.runtime import Runtime
from storage import repo
from storage.models import (
    Ata,
    Attendance,
    Choice,
    ChoiceAnswer,
    Contact,
    Delivery,
    Devolutiva,
    Draft,
    InboxEvent,
    Meeting,
    Member,
    ProcessedUpdate,
    Question,
    Referral,
    Rsvp,
    ScheduledMessage,
)
from tests.conftest import NOW, make_settings
from tests.drive import ANA, BRUNO, COORDINATOR, Group

JUSTIFICATION = "risco iminente à criança, a Rede precisa decidir o acolhimento"
MEETING = NOW.replace(day=24, hour=12)  # 24/11 9h in São Paulo
RECORDS = (Meeting, Rsvp, Attendance, Referral, Devolutiva, Ata)
WORK = (
    ProcessedUpdate,
    InboxEvent,
    Choice,
    ChoiceAnswer,
    Question,
    Draft,
    Delivery,
    ScheduledMessage,
    Contact,
)


def _button(replies: list[Reply], label: str) -> str:
    return next(b.data for r in replies for row in r.buttons for b in row if label in b.label)


async def _counts(runtime: Runtime, models: tuple[Any, ...]) -> dict[str, int]:
    async with runtime.sessions() as session:
        return {
            m.__tablename__: int(await session.scalar(select(func.count()).select_from(m)) or 0)
            for m in models
        }


async def _work_rows(group: Group, clock: ManualClock, update_id: int) -> None:
    """The rows the bot keeps to work, at ``clock``'s now: an applied update, an inbox
    event, a poll and an answer to it, a preview waiting, a question, a stranger's chat."""
    runtime = group.runtime
    await runtime.redebot.handle(
        Incoming(
            platform=group.platform,
            chat_id=group.chat_id,
            chat_kind=ChatKind.GROUP,
            chat_title="Rede Teste",
            sender=ANA,
            text="/proxima",
            command="proxima",
            update_id=update_id,
        )
    )
    async with runtime.sessions() as session, session.begin():
        now = clock.now()
        await repo.keep_inbox(session=session, platform="test", payload={"n": update_id}, now=now)
        await repo.save_choice(
            session=session,
            platform="test",
            chat_id=group.chat_id,
            message_ids=[f"m{update_id}"],
            options=[["1", "x"]],
            now=now,
        )
        await repo.newer_answer(
            session=session,
            platform="test",
            chat_id=group.chat_id,
            subject=f"s{update_id}",
            user_id=ANA.user_id,
            answered_ms=1,
            now=now,
        )
    await group.say(COORDINATOR, f"/convocar 20/03/2027 9h | CRAS | pauta | {JUSTIFICATION}")
    stranger = Person(user_id=f"99{update_id}", name="Alguém")
    await runtime.redebot.handle(
        Incoming(
            platform=group.platform,
            chat_id=stranger.user_id,
            chat_kind=ChatKind.PRIVATE,
            sender=stranger,
            text="/start",
            command="start",
        )
    )


@pytest.fixture
async def group(runtime: Runtime, clock: ManualClock) -> Group:
    """A month of a network's life on 23-24/11: a convocation with its reminders and
    e-mails, RSVPs (one "não vou" asks why), presences, an encaminhamento answered, an ata
    approved; and the rows the bot keeps to work."""
    group = Group(runtime)
    group.attach_dispatcher()
    for who, sector in ((COORDINATOR, "CRAS"), (ANA, "Saúde"), (BRUNO, "Conselho Tutelar")):
        await group.seat(who, sector)
    preview = await group.say(COORDINATOR, f"/convocar 24/11 9h | CRAS | casos | {JUSTIFICATION}")
    convocation = await group.press(COORDINATOR, _button(preview, "Enviar"))
    await group.press(ANA, _button(convocation, "Vou"))
    await group.press(BRUNO, _button(convocation, "Não vou"))
    await _work_rows(group, clock, 1)
    await clock.set(MEETING - timedelta(minutes=5))
    assert runtime.dispatcher is not None
    await runtime.dispatcher.run_due()
    opened = await group.say(COORDINATOR, "/presenca")
    for who in (ANA, COORDINATOR):
        await group.press(who, _button(opened, "Presente"))
    await group.say(COORDINATOR, "/encaminhar Saúde | 10 dias | CASO-2026-001: avaliação")
    await clock.set(MEETING + timedelta(minutes=15))
    await runtime.dispatcher.run_due()
    await group.say(COORDINATOR, "/trocar ata Saúde")
    await group.say(ANA, "/devolutiva E-2026-001 avaliação feita")
    await group.say(COORDINATOR, "/presenca fechar")
    await group.say(ANA, "/ata Aos vinte e quatro dias de novembro reuniram-se os setores.")
    asked = await group.say(COORDINATOR, "/ata aprovar")
    await group.press(COORDINATOR, asked[0].buttons[0][0].data)
    return group


async def test_rows_past_their_retention_go_and_the_networks_records_stay(
    group: Group, clock: ManualClock
) -> None:
    runtime = group.runtime
    assert runtime.dispatcher is not None
    records = await _counts(runtime, RECORDS)
    assert all(records.values()), records
    first = await _counts(runtime, WORK)
    assert all(first.values()), first
    async with runtime.sessions() as session:
        sent_then = set(
            (await session.scalars(select(Delivery.id).where(Delivery.status == "sent"))).all()
        )
    assert sent_then

    # Five weeks on, the network works again; the purge runs (hourly in the dispatcher).
    await clock.set(NOW + timedelta(days=35))
    await _work_rows(group, clock, 2)
    await runtime.dispatcher.run_due()
    purged = await runtime.dispatcher.purge()
    assert purged["processed_updates"] == 1 and purged["inbox_events"] == 1
    assert purged["choices"] == 1 and purged["choice_answers"] == 1
    assert purged["drafts"] >= 1 and purged["questions"] == 1
    assert purged["stray_contacts"] == 1 and purged["deliveries"] >= len(sent_then)
    assert purged["scheduled_messages"] == 0  # done rows stay 90 days
    now = await _counts(runtime, WORK)
    for table in ("processed_updates", "inbox_events", "choices", "choice_answers"):
        assert now[table] == 1, (table, now)  # the new one
    async with runtime.sessions() as session:
        kept = set((await session.scalars(select(Delivery.id))).all())
        drafts = (await session.scalars(select(Draft.created_at))).all()
        contacts = (await session.scalars(select(Contact.user_id))).all()
        members = (await session.scalars(select(Member.user_id))).all()
    assert not kept & sent_then
    assert drafts and all(d >= NOW + timedelta(days=35) for d in drafts)
    assert contacts == ["992"]  # the stranger of today; last month's went
    assert set(members) == {COORDINATOR.user_id, ANA.user_id, BRUNO.user_id}
    assert await _counts(runtime, RECORDS) == records

    # A hundred days on: the outbox rows done with long ago go too; pending ones never.
    await clock.set(NOW + timedelta(days=100))
    async with runtime.sessions() as session:
        pending = int(
            await session.scalar(
                select(func.count())
                .select_from(ScheduledMessage)
                .where(ScheduledMessage.status == OutboxStatus.PENDING)
            )
            or 0
        )
        done_old = int(
            await session.scalar(
                select(func.count())
                .select_from(ScheduledMessage)
                .where(
                    ScheduledMessage.status != OutboxStatus.PENDING,
                    ScheduledMessage.due_at < NOW + timedelta(days=10),
                )
            )
            or 0
        )
    assert pending and done_old
    purged = await runtime.dispatcher.purge()
    assert purged["scheduled_messages"] == done_old
    async with runtime.sessions() as session:
        left = (await session.scalars(select(ScheduledMessage.status))).all()
    assert left.count(OutboxStatus.PENDING) == pending
    assert await _counts(runtime, RECORDS) == records


async def test_redebot_purge_counts_first_then_deletes(
    group: Group, clock: ManualClock, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    later = ManualClock(NOW + timedelta(days=35))
    settings = make_settings(database_url)
    before = await _counts(group.runtime, WORK)
    assert await run_purge(settings, dry_run=True, clock=later) == 0
    counted = dict(
        (name, int(n))
        for name, _sep, n in (
            line.partition(": would delete ") for line in capsys.readouterr().out.splitlines()
        )
    )
    assert counted["processed_updates"] == 1 and counted["deliveries"] >= 1
    assert await _counts(group.runtime, WORK) == before
    assert await run_purge(settings, dry_run=False, clock=later) == 0
    out = capsys.readouterr().out
    assert "processed_updates: deleted 1" in out
    assert f"deliveries: deleted {counted['deliveries']}" in out
    after = await _counts(group.runtime, WORK)
    assert after["processed_updates"] == 0 and after["deliveries"] < before["deliveries"]
    assert all((await _counts(group.runtime, RECORDS)).values())
