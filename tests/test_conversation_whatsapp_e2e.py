"""Step-by-step commands on WhatsApp (issue 14): choices are polls, typed answers quote the
question (or, from who started it, need not); the real channel and webhook against the
fake Evolution bridge."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.clock import ManualClock
from storage import repo
from storage.models import Meeting, Referral
from tests.fakes.evolution import Sent
from tests.whatsapp_harness import ANA, CARLA, DORA, GROUP, WhatsApp, running_whatsapp


@pytest.fixture
async def seated(sqlite_url: str, clock: ManualClock) -> AsyncIterator[WhatsApp]:
    async with running_whatsapp(sqlite_url, clock) as wa:
        await wa.seat_members()
        yield wa


async def _count(wa: WhatsApp, model: type) -> int:
    async with wa.runtime.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


def _texts(sent: list[Sent]) -> list[Sent]:
    return [s for s in sent if s.route == "sendText"]


def _poll(sent: list[Sent]) -> Sent:
    return next(s for s in sent if s.route == "sendPoll")


async def _vote(wa: WhatsApp, who: object, poll: Sent, label: str, at_ms: int) -> list[Sent]:
    [option] = [v for v in poll.body["values"] if label in v]
    return await wa.act(wa.bridge.vote(GROUP, who, poll, [option], at_ms=at_ms))  # type: ignore[arg-type]


async def _answer(wa: WhatsApp, who: object, question: Sent, text: str) -> list[Sent]:
    return await wa.say(who, text, quoting=question)  # type: ignore[arg-type]


async def test_encaminhar_by_replies_and_a_poll(seated: WhatsApp) -> None:
    wa = seated
    [sectors] = _texts(await wa.say(CARLA, "/encaminhar"))
    assert "Quais setores" in sectors.text and "Responda a esta mensagem com" in sectors.text
    # Ana's typed choice under Carla's question is a press of it: refused.
    refused = await _answer(wa, ANA, sectors, "Saúde")
    assert refused and all("Só quem começou esta conversa" in s.text for s in refused)
    asked = await _answer(wa, CARLA, sectors, "Saúde, Conselho Tutelar")
    deadline = _poll(asked)
    assert "10 dias úteis" in deadline.body["values"]
    # Ana's vote in Carla's poll is refused, and changes nothing.
    refused = await _vote(wa, ANA, deadline, "10 dias úteis", at_ms=1)
    assert any("Só quem começou esta conversa" in s.text for s in refused)
    asked = await _vote(wa, CARLA, deadline, "10 dias úteis", at_ms=2)
    [description] = _texts(asked)
    assert "Descreva o encaminhamento" in description.text
    # Ana's free text quoting Carla's question answers nothing: the bot says nothing.
    assert await _answer(wa, ANA, description, "CASO-2025-099: outra coisa") == []
    wrong = await _answer(wa, CARLA, description, "CPF 529.982.247-25")
    [again] = _texts(wrong)
    assert "CPF" in again.text and "529" not in again.text and "Descreva" in again.text
    shown = await _answer(wa, CARLA, again, "CASO-2025-014: avaliação de saúde mental")
    preview = _poll(shown)
    assert any("Prévia" in s.text and "Saúde, Conselho Tutelar" in s.text for s in shown)
    assert await _count(wa, Referral) == 0
    done = await _vote(wa, CARLA, preview, "Confirmar", at_ms=3)
    assert any("E-2026-001" in s.text for s in done)
    assert await _count(wa, Referral) == 1


async def test_convocar_by_replies_and_polls(seated: WhatsApp) -> None:
    wa = seated
    [when] = _texts(await wa.say(DORA, "/convocar"))
    place = await _answer(wa, DORA, when, "amanhã 9h")
    poll = _poll(place)
    agenda = await _vote(wa, DORA, poll, "CRAS", at_ms=1)
    [question] = _texts(agenda)
    assert "Qual é a pauta?" in question.text
    [justification] = _texts(await _answer(wa, DORA, question, "CASO-2025-014: plano"))
    urgency = await _answer(wa, DORA, justification, "risco iminente à criança, decidir hoje")
    # "risco iminente": urgent by its justificativa, so the urgency is not asked.
    preview = _poll(urgency)
    assert any("Prévia" in s.text for s in urgency)
    assert await _count(wa, Meeting) == 0
    sent = await _vote(wa, DORA, preview, "Enviar", at_ms=2)
    assert any("🚨" in s.text and "CASO-2025-014: plano" in s.text for s in sent)
    assert await _count(wa, Meeting) == 1


async def test_an_unquoted_answer_from_who_started_counts_and_group_talk_does_not(
    seated: WhatsApp, clock: ManualClock
) -> None:
    """On a phone one forgets to quote: the starter's plain text answers the conversation;
    anyone else's plain text, and the starter's once it is over, is group talk (ignored)."""
    wa = seated
    assert await wa.say(CARLA, "bom dia, pessoal") == []  # no conversation: group talk
    assert _texts(await wa.say(CARLA, "/encaminhar"))
    assert await wa.say(ANA, "Saúde") == []  # Ana talks in the group: not an answer
    deadline = _poll(await wa.say(CARLA, "Saúde, Conselho Tutelar"))
    # At a choice, what is not one is her talk to the group: left alone, no re-ask.
    assert await wa.say(CARLA, "alguém viu o ofício?") == []
    [description] = _texts(await _vote(wa, CARLA, deadline, "10 dias úteis", at_ms=1))
    assert "Descreva o encaminhamento" in description.text
    shown = await wa.say(CARLA, "CASO-2025-014: avaliação de saúde mental")
    preview = _poll(shown)
    assert any("Prévia" in s.text and "Saúde, Conselho Tutelar" in s.text for s in shown)
    # The preview waits for its poll: what she says to the group meanwhile gets no nag.
    assert await wa.say(CARLA, "pessoal, confiram a prévia") == []
    done = await _vote(wa, CARLA, preview, "Confirmar", at_ms=2)
    assert any("E-2026-001" in s.text for s in done)
    assert await _count(wa, Referral) == 1
    assert await wa.say(CARLA, "obrigada!") == []  # the conversation is over
    # One left halfway: after its lifetime the starter's plain text is group talk again.
    _texts(await wa.say(CARLA, "/encaminhar"))
    await clock.advance(timedelta(minutes=31))
    assert await wa.say(CARLA, "Saúde") == []
    assert await _count(wa, Referral) == 1


async def test_a_conversation_is_answered_only_in_the_chat_it_began_in(seated: WhatsApp) -> None:
    """Begun in the coordination chat, the person's plain talk in the network's group is
    group talk (nothing of the draft reaches the group); in the coordination chat it
    answers. And the other way round."""
    wa = seated
    coordination = "120363049999999999@g.us"
    wa.bridge.add_group(coordination, "Coordenação", [CARLA, DORA], admins=(CARLA,))
    await wa.act(wa.bridge.add_bot(coordination, CARLA))
    await wa.act(wa.bridge.say(coordination, CARLA, "/coordenacao aqui"))
    await wa.act(wa.bridge.say(coordination, CARLA, "/encaminhar"))
    # The channel's gate: group talk is not even kept (only the coordination chat's is).
    async with wa.runtime.sessions() as session:
        carla = await repo.network_and_member(
            session=session, platform="whatsapp", chat_id=GROUP, user_id=CARLA.lid
        )
        assert carla[1] is not None
        since = wa.clock.now() - timedelta(minutes=30)
        kept = {
            chat: await repo.in_conversation(
                session=session,
                platform="whatsapp",
                chat_id=chat,
                user_ids=[CARLA.lid],
                since=since,
            )
            for chat in (GROUP, coordination)
        }
    assert kept == {GROUP: False, coordination: True}
    assert await wa.say(CARLA, "Saúde, Conselho Tutelar") == []  # in the group: talk
    asked = await wa.act(wa.bridge.say(coordination, CARLA, "Saúde, Conselho Tutelar"))
    deadline = _poll(asked)
    assert deadline.body["number"] == coordination
    # Begun in the group, the coordination chat's plain text does not answer it.
    _texts(await wa.say(CARLA, "/encaminhar"))
    assert await wa.act(wa.bridge.say(coordination, CARLA, "Saúde")) == []
    assert _poll(await wa.say(CARLA, "Saúde")).body["number"] == GROUP
