"""A person's plain reply to the bot goes to what it answers: an open question only when the
reply is to that question (or quotes nothing), else the handler of the message it quotes.

Played through the router (tests/drive.py), as the group types.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.clock import ManualClock
from bot.messages import ChatKind, Incoming, Person, Reply
from bot.rules.status import QuestionStatus
from bot.runtime import Runtime
from handlers.meeting_messages import CONVOCATION, RsvpAnswer, RsvpPress
from storage.models import Devolutiva, Meeting, Question, Referral, Rsvp
from tests.drive import ANA, BRUNO, COORDINATOR, Group


def _texts(replies: list[Reply]) -> str:
    return "\n".join(r.text or r.notice or "" for r in replies)


@pytest.fixture
async def group(runtime: Runtime) -> Group:
    """The coordination (CRAS), Ana (Saúde) and Bruno (Conselho Tutelar), confirmed."""
    group = Group(runtime)
    await group.say(COORDINATOR, "/setor CRAS")
    await group.seat(ANA, "Saúde")
    await group.seat(BRUNO, "Conselho Tutelar")
    return group


async def _devolutiva(runtime: Runtime, code: str) -> str | None:
    async with runtime.sessions() as session:
        owed = await session.scalar(select(Devolutiva).join(Referral).where(Referral.code == code))
    assert owed is not None
    return owed.text


async def _private(runtime: Runtime, person: Person, text: str) -> list[Reply]:
    """``person`` writes ``text`` in their private chat with the bot."""
    return await runtime.redebot.handle(
        Incoming(
            platform="test",
            chat_id=person.user_id,
            chat_kind=ChatKind.PRIVATE,
            sender=person,
            text=text,
            command="start" if text == "/start" else None,
        )
    )


async def _questions(runtime: Runtime) -> list[tuple[str, str]]:
    async with runtime.sessions() as session:
        rows = (await session.scalars(select(Question).order_by(Question.id))).all()
    return [(q.kind, q.status) for q in rows]


async def test_an_expired_conversation_lets_a_reply_to_an_encaminhamento_through(
    group: Group, clock: ManualClock
) -> None:
    sent = await group.say(
        COORDINATOR, "/encaminhar CRAS, Saúde | 10 dias | CASO-2026-001: avaliação"
    )
    announced = next(r.text for r in sent if "E-2026-001" in r.text)
    # A /encaminhar left half-done, and an hour later a reply to the first one.
    await group.say(COORDINATOR, "/encaminhar Saúde | 10 dias")
    await clock.advance(timedelta(hours=1))
    done = _texts(await group.answer(COORDINATOR, "família acompanhada", replied_text=announced))
    assert "expirou" not in done
    assert "Devolutiva do setor CRAS sobre E-2026-001 registrada" in done
    assert await _devolutiva(group.runtime, "E-2026-001") == "família acompanhada"
    assert ("conversation", QuestionStatus.EXPIRED) in await _questions(group.runtime)
    # A reply quoting nothing, to an expired conversation, is still told it expired.
    await group.say(COORDINATOR, "/encaminhar Saúde | 10 dias")
    await clock.advance(timedelta(hours=1))
    late = _texts(await group.answer(COORDINATOR, "CASO-2026-002: visita"))
    assert "expirou" in late and "/encaminhar" in late


async def _convocation(group: Group) -> int:
    await group.convene(
        COORDINATOR, "/convocar 27/11 14h | CREAS | CASO-2026-020 | risco iminente à criança"
    )
    async with group.runtime.sessions() as session:
        meeting = await session.scalar(select(Meeting))
    assert meeting is not None
    return meeting.id


async def _rsvp(group: Group, person: Person, meeting_id: int, answer: RsvpAnswer) -> str:
    return _texts(await group.press(person, RsvpPress(meeting_id, answer, CONVOCATION).encode()))


async def _reason(runtime: Runtime) -> tuple[str, str | None]:
    async with runtime.sessions() as session:
        rsvp = await session.scalar(select(Rsvp))
    assert rsvp is not None
    return rsvp.answer, rsvp.reason


async def test_the_reason_question_lets_a_devolutiva_reply_through(group: Group) -> None:
    sent = await group.say(COORDINATOR, "/encaminhar Saúde | 10 dias | CASO-2026-001: avaliação")
    announced = next(r.text for r in sent if "E-2026-001" in r.text)
    meeting_id = await _convocation(group)
    asked = await _rsvp(group, ANA, meeting_id, RsvpAnswer.NO)
    assert "por que" in asked
    question = next(line for line in asked.splitlines() if "por que" in line)
    done = _texts(await group.answer(ANA, "avaliação feita", replied_text=announced))
    assert "Devolutiva do setor Saúde sobre E-2026-001 registrada" in done
    assert await _devolutiva(group.runtime, "E-2026-001") == "avaliação feita"
    assert await _reason(group.runtime) == ("no", None)
    # The question is still open: the reply to it is the reason.
    thanks = _texts(await group.answer(ANA, "audiência no fórum", replied_text=question))
    assert "Motivo anotado" in thanks
    assert await _reason(group.runtime) == ("no", "audiência no fórum")


async def test_a_reply_to_the_meetings_own_card_is_the_reason_too(group: Group) -> None:
    """People quote the convocation rather than the "why not?" question: its day and hour
    name the meeting asked about, so the text is the reason; another card is not."""
    sent = await group.say(COORDINATOR, "/encaminhar Saúde | 10 dias | CASO-2026-001: avaliação")
    announced = next(r.text for r in sent if "E-2026-001" in r.text)
    card = await group.convene(
        COORDINATOR, "/convocar 27/11 14h | CREAS | CASO-2026-020 | risco iminente à criança"
    )
    async with group.runtime.sessions() as session:
        meeting = await session.scalar(select(Meeting))
    assert meeting is not None and "27/11" in card
    await _rsvp(group, ANA, meeting.id, RsvpAnswer.NO)
    other = _texts(await group.answer(ANA, "avaliação feita", replied_text=announced))
    assert "Devolutiva do setor Saúde" in other  # the encaminhamento's reply stays its own
    assert await _reason(group.runtime) == ("no", None)
    thanks = _texts(await group.answer(ANA, "audiência no fórum", replied_text=card))
    assert "Motivo anotado" in thanks
    assert await _reason(group.runtime) == ("no", "audiência no fórum")


async def test_going_after_all_closes_the_reason_question(group: Group) -> None:
    sent = await group.say(COORDINATOR, "/encaminhar Saúde | 10 dias | CASO-2026-001: avaliação")
    announced = next(r.text for r in sent if "E-2026-001" in r.text)
    meeting_id = await _convocation(group)
    await _rsvp(group, ANA, meeting_id, RsvpAnswer.NO)
    await _rsvp(group, ANA, meeting_id, RsvpAnswer.YES)
    done = _texts(await group.answer(ANA, "avaliação feita", replied_text=announced))
    assert "Devolutiva do setor Saúde sobre E-2026-001 registrada" in done
    assert ("rsvp_reason", QuestionStatus.OPEN) not in await _questions(group.runtime)
    assert await _devolutiva(group.runtime, "E-2026-001") == "avaliação feita"
    assert await _reason(group.runtime) == ("yes", None)


async def test_a_private_answer_goes_to_the_network_that_asked(
    runtime: Runtime, clock: ManualClock
) -> None:
    first, second = Group(runtime, chat_id="-100201"), Group(runtime, chat_id="-100202")
    for group in (first, second):
        await group.say(COORDINATOR, "/setor CRAS")
        await group.seat(ANA, "Saúde")

    async def private(text: str) -> list[Reply]:
        return await _private(runtime, COORDINATOR, text)

    await private("/start")
    meeting_id = await _convocation(first)
    asked = await _rsvp(first, COORDINATOR, meeting_id, RsvpAnswer.NO)
    assert "Responda aqui" in asked
    # Later, in the other network, Carla leaves a step-by-step command half-done.
    await clock.advance(timedelta(minutes=5))
    started = _texts(await second.say(COORDINATOR, "/encaminhar Saúde | 10 dias"))
    assert "Responda a esta mensagem" in started
    thanks = _texts(await private("audiência no fórum"))
    assert "Motivo anotado" in thanks
    assert await _reason(runtime) == ("no", "audiência no fórum")


async def test_a_private_text_never_answers_a_question_asked_in_the_group(
    group: Group, runtime: Runtime
) -> None:
    """Ana presses a code's button in the group (the bot asks there for the devolutiva);
    what she later writes to the bot in private is not that devolutiva: it is answered in
    the group, by replying to the question."""

    async def private(text: str) -> list[Reply]:
        return await _private(runtime, ANA, text)

    await private("/start")
    await group.say(COORDINATOR, "/encaminhar Saúde | 10 dias | CASO-2026-001: avaliação")
    listed = await group.say(ANA, "/devolutiva")
    (pick,) = [b.data for r in listed for row in r.buttons for b in row]
    asked = _texts(await group.press(ANA, pick))
    assert "escreva a devolutiva" in asked
    said = _texts(await private("oi, tudo bem?"))
    assert "Devolutiva" not in said and "registrada" not in said, said
    assert await _devolutiva(runtime, "E-2026-001") is None
    assert ("devolutiva:1", QuestionStatus.OPEN) in await _questions(runtime)
    recorded = _texts(await group.answer(ANA, "avaliação feita", replied_text=asked))
    assert "registrada" in recorded
    assert await _devolutiva(runtime, "E-2026-001") == "avaliação feita"
