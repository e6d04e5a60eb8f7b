"""The network's WhatsApp group, end to end: the real channel and HTTP client code, the
bot's real webhook, and a fake Evolution bridge on loopback (tests.fakes.evolution)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.clock import ManualClock
from tests.whatsapp_harness import ANA, CARLA, GROUP, WhatsApp, running_whatsapp


@pytest.fixture
async def wa(sqlite_url: str, clock: ManualClock) -> AsyncIterator[WhatsApp]:
    async with running_whatsapp(sqlite_url, clock) as harness:
        yield harness


async def test_the_bot_added_to_a_group_greets_it_once(wa: WhatsApp) -> None:
    sent = await wa.act(wa.bridge.add_bot(GROUP, CARLA))
    assert len(sent) == 1 and sent[0].number == GROUP
    print(sent[0].text)
    sent = await wa.say(ANA, "/setor Saúde")
    print([s.text for s in sent])
    assert sent
