"""Phone-first (issue 14) through the real clients: python-telegram-bot against the fake
Bot API (an accented command, a code's button and the reply that follows), and the
WhatsApp channel against the fake Evolution bridge (the same choice as a poll)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from bot.clock import ManualClock
from storage.models import Devolutiva, Referral
from tests.telegram_harness import ANA, COORD, GROUP, Harness, buttons
from tests.whatsapp_harness import ANA as WA_ANA
from tests.whatsapp_harness import CARLA, WhatsApp, running_whatsapp
from tests.whatsapp_harness import GROUP as WA_GROUP

DESCRIPTION = "CASO-2026-001: avaliação de saúde mental e retorno à Rede"


async def test_telegram_an_accented_or_capitalised_command_is_the_command(
    seated_group: Harness,
) -> None:
    tg = seated_group
    expected = (await tg.say(ANA, "/proxima"))["text"]
    # The client marks only "/pr" of "/próxima" as a bot_command (a-z0-9_): the bot
    # reads the text.
    for typed in ("/próxima", "/Próxima", "/PROXIMA", "/reuniao"):
        assert (await tg.say(ANA, typed))["text"] == expected
    near = await tg.say(ANA, "/proxma")
    assert "Você quis dizer /proxima?" in near["text"]


async def test_telegram_a_code_s_button_asks_for_the_devolutiva_and_the_reply_is_it(
    seated_group: Harness,
) -> None:
    tg = seated_group
    await tg.say(COORD, f"/encaminhar Saúde | 10 dias | {DESCRIPTION}")
    listed = await tg.say(ANA, "/devolutiva")
    assert "Devolutivas que Saúde deve:" in listed["text"]
    (data,) = buttons(listed)
    mark = tg.api.mark()
    tg.api.press_button(listed, data, ANA)
    question = await tg.api.wait_for_message(GROUP, "escreva a devolutiva", since=mark)
    assert "E-2026-001" in question["text"]
    recorded = await tg.say(ANA, "avaliação feita; segue no CAPS", reply_to=question)
    assert "Devolutiva do setor Saúde sobre E-2026-001 registrada" in recorded["text"]
    # Every sector answered: the coordination's hint is a button.
    (conclude,) = buttons(recorded)
    mark = tg.api.mark()
    tg.api.press_button(recorded, conclude, COORD)
    closed = await tg.api.wait_for_message(GROUP, "concluído", since=mark)
    assert "E-2026-001" in closed["text"]
    async with tg.runtime.sessions() as session:
        referral = await session.scalar(select(Referral))
        owed = await session.scalar(select(Devolutiva))
    assert referral is not None and referral.status == "concluded"
    assert owed is not None and owed.text == "avaliação feita; segue no CAPS"


@pytest.fixture
async def wa(sqlite_url: str, clock: ManualClock) -> AsyncIterator[WhatsApp]:
    async with running_whatsapp(sqlite_url, clock) as harness:
        await harness.seat_members()
        yield harness


async def test_whatsapp_the_codes_are_a_poll_and_the_quoted_reply_is_the_devolutiva(
    wa: WhatsApp,
) -> None:
    await wa.say(CARLA, f"/encaminhar Saúde | 10 dias | {DESCRIPTION}")
    await wa.say(CARLA, "/encaminhar Saúde | 5 dias | CASO-2026-002: visita domiciliar")
    listed = await wa.say(WA_ANA, "/devolutiva")
    poll = next(s for s in listed if s.route == "sendPoll")
    assert poll.body["values"] == ["📝 E-2026-002", "📝 E-2026-001"]
    asked = await wa.act(wa.bridge.vote(WA_GROUP, WA_ANA, poll, ["📝 E-2026-001"], at_ms=1))
    question = next(s for s in asked if "escreva a devolutiva" in s.text)
    said = await wa.say(WA_ANA, "avaliação feita", quoting=question)
    assert any("Devolutiva do setor Saúde sobre E-2026-001 registrada" in s.text for s in said)
    async with wa.runtime.sessions() as session:
        owed = await session.scalar(
            select(Devolutiva).join(Referral).where(Referral.code == "E-2026-001")
        )
    assert owed is not None and owed.text == "avaliação feita"
