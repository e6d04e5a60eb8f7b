"""The coordination's own chat (issue 14): /coordenacao aqui, through the fake Bot API."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storage.models import Network
from tests.conftest import NOW
from tests.fakes.bot_api import FakeUser
from tests.telegram_harness import ANA, COORD, GROUP, Harness, buttons

COORD_CHAT = -2002
JUSTIFICATION = "risco iminente à criança, a Rede precisa decidir o acolhimento"


@pytest.fixture
def tg(seated_group: Harness) -> Harness:
    return seated_group


async def _in_coordination_chat(tg: Harness, user: FakeUser, text: str) -> str:
    mark = tg.api.mark()
    tg.api.group_message(COORD_CHAT, user, text, chat_title="Coordenação da Rede")
    return str((await tg.api.wait_for_message(COORD_CHAT, since=mark))["text"])


async def _networks(tg: Harness) -> list[Network]:
    async with tg.runtime.sessions() as session:
        return list((await session.scalars(select(Network).order_by(Network.id))).all())


async def _quorum_warning(tg: Harness) -> None:
    convocation = await tg.convene(
        COORD, f"/convocar 30/11 14h | CRAS | avaliação dos fluxos | {JUSTIFICATION}"
    )
    await tg.press(convocation, buttons(convocation)[0], ANA)
    await tg.clock.set(NOW.replace(day=28, hour=17, minute=1))
    await tg.dispatcher.run_due()


async def test_the_coordination_chat_gets_the_quorum_warning_and_is_no_network(
    tg: Harness,
) -> None:
    mark = tg.api.mark()
    tg.api.bot_added_to_group(COORD_CHAT, COORD, title="Coordenação da Rede")
    await tg.api.wait_for_message(COORD_CHAT, since=mark)  # the greeting of a new chat
    linked = await _in_coordination_chat(tg, COORD, "/coordenacao aqui")
    assert "coordenação" in linked.lower() and "Rede Teste" in linked
    (network,) = await _networks(tg)  # the chat did not stay a network of its own
    assert network.chat_id == str(GROUP) and network.coordination_chat_id == str(COORD_CHAT)
    assert network.title == "Rede Teste"  # the coordination chat's title renames nothing
    assert "próprio grupo" in (await tg.say(COORD, "/coordenacao"))["text"]
    shown = await _in_coordination_chat(tg, COORD, "/coordenacao")
    assert "Rede Teste" in shown and "/coordenacao sair" in shown
    # The network's commands work there, on the network.
    assert "Saúde" in await _in_coordination_chat(tg, COORD, "/setores")

    mark = tg.api.mark()
    await _quorum_warning(tg)
    warning = await tg.api.wait_for_message(COORD_CHAT, "quórum", since=mark)
    assert "1 de 4 setores" in warning["text"]
    assert not [m for m in tg.api.sent_messages(GROUP) if "confirmaram" in m.get("text", "")]

    assert "não tem mais" in await _in_coordination_chat(tg, COORD, "/coordenacao sair")
    (network,) = await _networks(tg)
    assert network.coordination_chat_id is None


async def test_only_a_coordinator_links_a_coordination_chat(tg: Harness) -> None:
    refused = await _in_coordination_chat(tg, ANA, "/coordenacao aqui")
    assert "coordenador" in refused and "Exemplo: /coordenacao aqui" in refused
    # Nothing half-saved: not even a network for that chat.
    assert [n.coordination_chat_id for n in await _networks(tg)] == [None]
    # A member of the network cannot unlink it either.
    await _in_coordination_chat(tg, COORD, "/coordenacao aqui")
    assert "coordenação" in (await tg.say(ANA, "/coordenacao sair"))["text"].lower()
    assert (await _networks(tg))[0].coordination_chat_id == str(COORD_CHAT)


async def test_without_a_coordination_chat_warnings_go_privately_to_a_coordinator(
    tg: Harness,
) -> None:
    mark = tg.api.mark()
    tg.api.private_message(COORD, "/start")
    await tg.api.wait_for_message(COORD.id, since=mark)
    mark = tg.api.mark()
    await _quorum_warning(tg)
    warning = await tg.api.wait_for_message(COORD.id, "quórum", since=mark)
    assert "1 de 4 setores" in warning["text"]


async def test_a_networks_own_group_is_never_its_coordination_chat(tg: Harness) -> None:
    await tg.say(COORD, "/encaminhar Saúde | 5 dias | CASO-2026-001: visita")
    refused = (await tg.say(COORD, "/coordenacao aqui"))["text"]
    assert "registros próprios" in refused and "Exemplo: /coordenacao aqui" in refused
    (network,) = await _networks(tg)
    assert network.coordination_chat_id is None
