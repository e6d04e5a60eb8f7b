"""Step-by-step commands (issue 14): sent without their parts, they ask one thing at a
time, on the real PTB client against the fake Bot API."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from storage.models import Referral
from tests.fakes.bot_api import FakeUser
from tests.telegram_harness import COORD, GROUP, Harness


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
