"""Step-by-step commands (issue 14): sent without their parts, they ask one thing at a
time, on the real PTB client against the fake Bot API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from storage.models import Meeting, Network, Referral
from tests.conftest import NOW
from tests.fakes.bot_api import FakeUser
from tests.telegram_harness import ANA, COORD, DORA, GROUP, Harness, buttons


@pytest.fixture
def tg(seated_group: Harness) -> Harness:
    return seated_group


def labels(message: dict[str, Any]) -> list[str]:
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return [b["text"] for row in rows for b in row]


def data_of(message: dict[str, Any], label: str) -> str:
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    found = [b["callback_data"] for row in rows for b in row if label in b["text"]]
    assert found, f"no button {label!r} in {labels(message)}"
    return str(found[0])


async def reply(tg: Harness, user: FakeUser, message: dict[str, Any], text: str) -> dict[str, Any]:
    """``user`` answers ``message`` (as ForceReply makes them); the bot's next message."""
    mark = tg.api.mark()
    tg.api.group_message(GROUP, user, text, reply_to=message)
    return await tg.api.wait_for_message(GROUP, since=mark)


async def press(
    tg: Harness, message: dict[str, Any], label: str, user: FakeUser
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """``user`` presses ``label``: the pressed message as it is now, and the new messages."""
    mark = tg.api.mark()
    tg.api.press_button(message, data_of(message, label), user)
    await tg.api.wait_for_call("answerCallbackQuery", since=mark)
    sent = [
        dict(c.result)
        for c in tg.api.calls_since(mark)
        if c.method == "sendMessage" and not c.failed and c.params["chat_id"] == GROUP
    ]
    current = tg.api.message(GROUP, message["message_id"])
    assert current is not None
    return current, sent


def forced(tg: Harness, message: dict[str, Any]) -> dict[str, Any]:
    """The reply_markup the bot sent ``message`` with (ForceReply is not echoed back)."""
    call = next(
        c
        for c in tg.api.calls_of("sendMessage")
        if not c.failed and c.result.get("message_id") == message["message_id"]
    )
    markup = call.params.get("reply_markup")
    return markup if isinstance(markup, dict) else {}


async def referrals(tg: Harness) -> int:
    async with tg.runtime.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Referral)) or 0)


async def test_encaminhar_step_by_step_with_buttons_and_typed_answers(tg: Harness) -> None:
    first = await tg.say(COORD, "/encaminhar")
    assert "Exemplo" not in first["text"] and "/encaminhar Saúde" in first["text"]
    assert "Quais setores" in first["text"]
    assert {"Saúde", "Conselho Tutelar", "✔ Pronto"} <= set(labels(first))
    picked, sent = await press(tg, first, "Saúde", COORD)
    assert not sent and "✅ Saúde" in labels(picked)
    picked, sent = await press(tg, picked, "Conselho Tutelar", COORD)
    _done, sent = await press(tg, picked, "Pronto", COORD)
    deadline = sent[-1]
    assert "prazo" in deadline["text"].lower() and "10 dias úteis" in labels(deadline)
    _done, sent = await press(tg, deadline, "10 dias úteis", COORD)
    description = sent[-1]
    markup = forced(tg, description)
    assert markup.get("force_reply") is True and markup.get("selective") is True
    wrong = await reply(tg, COORD, description, "CPF da mãe 529.982.247-25")
    assert "CPF" in wrong["text"] and "529" not in wrong["text"]
    assert "Descreva" in wrong["text"] and forced(tg, wrong).get("force_reply") is True
    preview = await reply(tg, COORD, wrong, "CASO-2025-014: avaliação de saúde mental")
    assert "Prévia" in preview["text"] and "Saúde, Conselho Tutelar" in preview["text"]
    assert await referrals(tg) == 0
    confirmed, sent = await press(tg, preview, "Confirmar", COORD)
    assert "E-2026-001" in sent[-1]["text"] and "07/12/2026" in sent[-1]["text"]
    assert not confirmed.get("reply_markup")
    assert await referrals(tg) == 1


async def _meeting_on_the_8th(tg: Harness) -> None:
    """An ordinary meeting on Tue 08/12 at 14h (local) at the CRAS."""
    async with tg.runtime.sessions() as session, session.begin():
        network = await session.scalar(select(Network))
        assert network is not None
        session.add(
            Meeting(
                network_id=network.id,
                starts_at=datetime(2026, 12, 8, 17, tzinfo=UTC),
                place="CRAS",
                topic="Fluxos",
                created_at=NOW,
                updated_at=NOW,
            )
        )


async def _meetings(tg: Harness) -> list[Meeting]:
    async with tg.runtime.sessions() as session:
        return list((await session.scalars(select(Meeting).order_by(Meeting.id))).all())


async def test_convocar_step_by_step_ends_in_its_own_preview(tg: Harness) -> None:
    when = await tg.say(DORA, "/convocar")
    assert "Quando será a reunião?" in when["text"] and forced(tg, when)["force_reply"]
    past = await reply(tg, DORA, when, "ontem 9h")
    assert "passaram" in past["text"] and "Quando será" in past["text"]
    place = await reply(tg, DORA, past, "amanhã 9h")
    assert "Onde será?" in place["text"] and "CRAS" in labels(place)
    _done, sent = await press(tg, place, "CRAS", DORA)
    agenda = sent[-1]
    justification = await reply(tg, DORA, agenda, "CASO-2025-014: plano de proteção")
    assert "(a justificativa)" in justification["text"]
    urgency = await reply(tg, DORA, justification, "a família precisa de uma decisão da Rede")
    assert "é urgente?" in urgency["text"]
    _done, sent = await press(tg, urgency, "Sim, é urgente", DORA)
    preview = sent[-1]
    assert "Prévia" in preview["text"] and "URGENTE" in preview["text"].upper()
    assert await _meetings(tg) == []
    mark = tg.api.mark()
    tg.api.press_button(preview, buttons(preview)[0], DORA)
    convocation = await tg.api.wait_for_message(GROUP, "🚨", since=mark)
    assert "CASO-2025-014: plano de proteção" in convocation["text"]
    [meeting] = await _meetings(tg)
    assert meeting.urgent and meeting.place == "CRAS"


async def test_cancelar_offers_the_next_meetings(tg: Harness) -> None:
    await _meeting_on_the_8th(tg)
    which = await tg.say(COORD, "/cancelar")
    assert "Qual reunião?" in which["text"]
    [label] = [x for x in labels(which) if "08/12" in x]
    _done, sent = await press(tg, which, label, COORD)
    reason = sent[-1]
    assert forced(tg, reason).get("force_reply") is True
    preview = await reply(tg, COORD, reason, "feriado municipal")
    assert "• Reunião: 08/12 14h" in preview["text"] and "feriado municipal" in preview["text"]
    _edited, sent = await press(tg, preview, "Confirmar", COORD)
    assert "foi cancelada" in sent[-1]["text"]
    [meeting] = await _meetings(tg)
    assert meeting.status == "cancelled" and meeting.cancel_reason == "feriado municipal"


async def test_remarcar_with_the_same_place(tg: Harness) -> None:
    await _meeting_on_the_8th(tg)
    which = await tg.say(COORD, "/remarcar 08/12")  # the day typed: the rest is asked
    assert "Para qual dia e horário" in which["text"]
    place = await reply(tg, COORD, which, "10/12 15h")
    assert "Mesmo local" in labels(place)
    _done, sent = await press(tg, place, "Mesmo local", COORD)
    preview = sent[-1]
    assert "• Local: —" in preview["text"]
    _edited, sent = await press(tg, preview, "Confirmar", COORD)
    assert "foi remarcada" in sent[-1]["text"]
    [meeting] = await _meetings(tg)
    assert meeting.starts_at == datetime(2026, 12, 10, 18, tzinfo=UTC) and meeting.place == "CRAS"


async def test_prazos_novo_step_by_step(tg: Harness) -> None:
    name = await tg.say(COORD, "/prazos novo")
    _done, sent = await press(tg, name, "RMA", COORD)
    recurrence = sent[-1]
    wrong = await reply(tg, COORD, recurrence, "toda semana")
    assert "mensal dia 10" in wrong["text"] and "Com que frequência" in wrong["text"]
    sectors = await reply(tg, COORD, wrong, "mensal dia 10")
    picked, _sent = await press(tg, sectors, "CRAS", COORD)
    picked, _sent = await press(tg, picked, "CREAS", COORD)
    _done, sent = await press(tg, picked, "Pronto", COORD)
    _done, sent = await press(tg, sent[-1], "Sem link", COORD)
    preview = sent[-1]
    assert "• Setores: CRAS, CREAS" in preview["text"]
    _edited, sent = await press(tg, preview, "Confirmar", COORD)
    assert "Prazo RMA salvo" in sent[-1]["text"], sent[-1]["text"]


async def test_gt_criar_step_by_step_with_a_correction(tg: Harness) -> None:
    name = await tg.say(COORD, "/gt criar")
    sectors = await reply(tg, COORD, name, "GT Saúde Mental")
    one = await reply(tg, COORD, sectors, "Saúde")
    assert "pelo menos dois setores" in one["text"]
    cadence = await reply(tg, COORD, one, "Saúde, CRAS")
    place = await reply(tg, COORD, cadence, "quinzenal sábado 14h")
    assert "dias úteis" in place["text"] and "Com que frequência" in place["text"]
    place = await reply(tg, COORD, place, "quinzenal quarta 14h")
    _done, sent = await press(tg, place, "✏️ Escrever outro", COORD)
    typed = sent[-1]
    assert forced(tg, typed).get("force_reply") is True
    preview = await reply(tg, COORD, typed, "CAPS")
    fix, _sent = await press(tg, preview, "Corrigir", COORD)
    assert "Qual parte" in fix["text"]
    again, sent = await press(tg, fix, "Local", COORD)
    asked = sent[-1] if sent else again
    preview = await reply(tg, COORD, asked, "CRAS")
    assert "• Local: CRAS" in preview["text"] and "• Nome: GT Saúde Mental" in preview["text"]
    _edited, sent = await press(tg, preview, "Confirmar", COORD)
    assert "GT Saúde Mental" in sent[-1]["text"] and "criado" in sent[-1]["text"]


async def test_only_its_person_answers_and_cancelar_drops_it(tg: Harness) -> None:
    first = await tg.say(COORD, "/encaminhar")
    mark = tg.api.mark()
    tg.api.press_button(first, data_of(first, "Saúde"), ANA)
    refused = await tg.api.wait_for_call("answerCallbackQuery", since=mark)
    assert "Só quem começou esta conversa" in refused.params["text"]
    _done, sent = await press(tg, first, "Saúde", COORD)
    assert not sent
    # Someone else's reply to the question is no answer to it: the bot says nothing.
    mark = tg.api.mark()
    tg.api.group_message(GROUP, ANA, "CRAS", reply_to=first)
    picked = tg.api.message(GROUP, first["message_id"])
    assert picked is not None
    _done, _sent = await press(tg, picked, "Pronto", COORD)  # handled after Ana's reply
    [deadline] = [dict(c.result) for c in tg.api.calls_since(mark) if c.method == "sendMessage"]
    assert "prazo" in deadline["text"]
    dropped = await reply(tg, COORD, deadline, "cancelar")
    assert "nada foi enviado nem salvo" in dropped["text"]
    assert await referrals(tg) == 0


async def test_a_conversation_expires_quietly_and_another_command_ends_it(tg: Harness) -> None:
    first = await tg.say(COORD, "/encaminhar Saúde | 10 dias úteis")
    mark = tg.api.mark()
    await tg.clock.advance(timedelta(minutes=31))
    await tg.dispatcher.run_due()
    assert not [c for c in tg.api.calls_since(mark) if c.method == "sendMessage"]
    late = await reply(tg, COORD, first, "CASO-2025-014: avaliação")
    assert "expirou" in late["text"] and "/encaminhar" in late["text"]
    assert await referrals(tg) == 0

    again = await tg.say(COORD, "/encaminhar")
    await tg.say(COORD, "/proxima")
    mark = tg.api.mark()
    tg.api.press_button(again, data_of(again, "Saúde"), COORD)
    await tg.api.wait_for_call("answerCallbackQuery", since=mark)
    assert "expirou" in str(tg.api.message(GROUP, again["message_id"]))


async def test_cancelar_under_the_preview_changes_nothing(tg: Harness) -> None:
    await _meeting_on_the_8th(tg)
    reason = await tg.say(COORD, "/cancelar 08/12")
    preview = await reply(tg, COORD, reason, "feriado municipal")
    dropped, sent = await press(tg, preview, "✖ Cancelar", COORD)
    assert not sent and "nada foi enviado nem salvo" in dropped["text"]
    assert not dropped.get("reply_markup")
    [meeting] = await _meetings(tg)
    assert meeting.status == "scheduled"
    # The one-line form still works, as before.
    done = await tg.say(COORD, "/cancelar 08/12 | feriado municipal")
    assert "foi cancelada" in done["text"]
