"""The coordination's own chat (issue 14): /coordenacao aqui, through the fake Bot API."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storage.models import (
    Case,
    FlowDocument,
    Member,
    Network,
    ReportingDeadline,
    Sector,
    WorkingGroup,
)
from tests.conftest import NOW
from tests.fakes.bot_api import FakeUser
from tests.telegram_harness import ANA, BRUNO, COORD, GROUP, Harness

COORD_CHAT = -2002
JUSTIFICATION = "risco iminente à criança, a Rede precisa decidir o acolhimento"


@pytest.fixture
def tg(seated_group: Harness) -> Harness:
    return seated_group


async def _in_coordination_chat(tg: Harness, user: FakeUser, text: str, expect: str = "") -> str:
    mark = tg.api.mark()
    tg.api.group_message(COORD_CHAT, user, text, chat_title="Coordenação da Rede")
    return str((await tg.api.wait_for_message(COORD_CHAT, expect, since=mark))["text"])


async def _networks(tg: Harness) -> list[Network]:
    async with tg.runtime.sessions() as session:
        return list((await session.scalars(select(Network).order_by(Network.id))).all())


async def _quorum_warning(tg: Harness) -> None:
    """Convened by the coordination (CRAS: coming), and nobody else confirms: 1 of 4."""
    await tg.convene(COORD, f"/convocar 30/11 14h | CRAS | avaliação dos fluxos | {JUSTIFICATION}")
    await tg.clock.set(NOW.replace(day=28, hour=17, minute=1))
    await tg.dispatcher.run_due()


async def test_the_coordination_chat_gets_the_quorum_warning_and_is_no_network(
    tg: Harness,
) -> None:
    mark = tg.api.mark()
    tg.api.set_admins(COORD_CHAT, [], creator=COORD)
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
    tg.api.set_admins(COORD_CHAT, [], creator=COORD)  # ANA is no administrator there
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


OTHER_GROUP = -3003  # the group of another network


async def _other_network(tg: Harness, record: str) -> None:
    """A second network, the group OTHER_GROUP, where COORD is an administrator and which
    holds one ``record`` that is no meeting, referral or plan."""
    tg.api.set_admins(OTHER_GROUP, [], creator=COORD)
    await _in_chat(tg, OTHER_GROUP, BRUNO, "/setores", "Setores")  # the bot meets the group
    async with tg.runtime.sessions() as session, session.begin():
        network = await session.scalar(select(Network).where(Network.chat_id == str(OTHER_GROUP)))
        assert network is not None
        sector = (
            await session.scalars(select(Sector).where(Sector.network_id == network.id))
        ).first()
        assert sector is not None
        made = {
            "case": lambda: Case(
                network_id=network.id,
                code="CASO-2026-001",
                sector_ids=[sector.id],
                risk="high",
                next_review=NOW.date(),
                status="open",
                opened_at=NOW,
            ),
            "flow": lambda: FlowDocument(
                network_id=network.id, name="Fluxo", key="fluxo", created_at=NOW
            ),
            "working group": lambda: WorkingGroup(
                network_id=network.id,
                name="GT",
                key="gt",
                sector_ids=[sector.id],
                cadence="weekly",
                weekday=1,
                at="14:00",
                place="CRAS",
                created_at=NOW,
            ),
            "deadline": lambda: ReportingDeadline(
                network_id=network.id,
                name="RMA",
                key="rma",
                recurrence="monthly",
                day=10,
                sector_ids=[sector.id],
                created_at=NOW,
            ),
        }
        if record == "seated member":
            member = await session.scalar(
                select(Member).where(
                    Member.network_id == network.id, Member.user_id == str(BRUNO.id)
                )
            )
            assert member is not None
            member.sector_id, member.confirmed_at = sector.id, NOW
        else:
            session.add(made[record]())


async def _in_chat(tg: Harness, chat_id: int, user: FakeUser, text: str, expect: str = "") -> str:
    mark = tg.api.mark()
    tg.api.group_message(chat_id, user, text, chat_title="Outra Rede")
    return str((await tg.api.wait_for_message(chat_id, expect, since=mark))["text"])


@pytest.mark.parametrize("record", ["case", "flow", "working group", "deadline", "seated member"])
async def test_a_network_with_records_of_its_own_is_never_dropped(tg: Harness, record: str) -> None:
    await _other_network(tg, record)
    refused = await _in_chat(tg, OTHER_GROUP, COORD, "/coordenacao aqui")
    assert "registros próprios" in refused
    chats = [(n.chat_id, n.coordination_chat_id) for n in await _networks(tg)]
    assert chats == [(str(GROUP), None), (str(OTHER_GROUP), None)]


async def test_only_a_coordinator_of_the_chat_being_linked_links_it(tg: Harness) -> None:
    # COORD coordinates the network of GROUP and writes in another network's group, where
    # she is no administrator nor coordinator: that network is not hers to drop.
    await _in_chat(tg, OTHER_GROUP, BRUNO, "/setores", "Setores")
    refused = await _in_chat(tg, OTHER_GROUP, COORD, "/coordenacao aqui")
    assert "coordenador deste grupo" in refused and "Exemplo: /coordenacao aqui" in refused
    chats = [(n.chat_id, n.coordination_chat_id) for n in await _networks(tg)]
    assert chats == [(str(GROUP), None), (str(OTHER_GROUP), None)]


async def test_linking_a_linked_chat_again_says_it_is_linked_already(tg: Harness) -> None:
    tg.api.set_admins(COORD_CHAT, [], creator=COORD)
    await _in_coordination_chat(tg, COORD, "/coordenacao aqui", "agora")
    again = await _in_coordination_chat(tg, COORD, "/coordenacao aqui Outra")
    assert "já é o grupo da coordenação da Rede Teste" in again and "/coordenacao sair" in again
    (network,) = await _networks(tg)
    assert network.coordination_chat_id == str(COORD_CHAT)
