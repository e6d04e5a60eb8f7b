"""Phone-first (issue 14): choice buttons where the options are known, commands as phones
type them, the network's sector abbreviations, and /ajuda by what people do.

Played through the router (tests/drive.py) on SQLite and PostgreSQL, as the group types.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.messages import Person, Reply
from bot.runtime import Runtime
from storage.models import Devolutiva, Referral
from tests.drive import ANA, BRUNO, COORDINATOR, Group


def _texts(replies: list[Reply]) -> str:
    return "\n".join(r.text or r.notice or "" for r in replies)


def _buttons(replies: list[Reply]) -> list[tuple[str, str]]:
    return [(b.label, b.data) for r in replies for row in r.buttons for b in row]


@pytest.fixture
async def group(runtime: Runtime) -> Group:
    """The coordination (CRAS), Ana (Saúde) and Bruno (Conselho Tutelar), confirmed."""
    group = Group(runtime)
    await group.say(COORDINATOR, "/setor CRAS")
    await group.seat(ANA, "Saúde")
    await group.seat(BRUNO, "Conselho Tutelar")
    return group


async def test_devolutiva_alone_offers_the_sectors_codes_and_the_reply_is_the_text(
    group: Group,
) -> None:
    await group.say(COORDINATOR, "/encaminhar Saúde | 10 dias | CASO-2026-001: avaliação")
    await group.say(COORDINATOR, "/encaminhar Conselho Tutelar | 5 dias | CASO-2026-002: visita")
    await group.say(
        COORDINATOR, "/encaminhar Saúde, Conselho Tutelar | 3 dias | CASO-2026-003: rede"
    )
    listed = await group.say(ANA, "/devolutiva")
    said = _texts(listed)
    assert "Devolutivas que Saúde deve:" in said
    assert "E-2026-003" in said and "E-2026-001" in said and "E-2026-002" not in said
    options = _buttons(listed)
    assert [label for label, _data in options] == ["📝 E-2026-003", "📝 E-2026-001"]
    asked = await group.press(ANA, options[1][1])
    question = _texts(asked)
    assert (
        "Ana, escreva a devolutiva de Saúde sobre E-2026-001 respondendo a esta mensagem."
        in question
    )
    # A reply quoting the bot's message about another code is that code's devolutiva.
    other = await group.answer(ANA, "rede acionada", replied_text="⏳ E-2026-003 vence amanhã")
    assert "Devolutiva do setor Saúde sobre E-2026-003 registrada" in _texts(other)
    # A plain reply (the console, a phone that does not quote) answers the question.
    done = _texts(await group.answer(ANA, "avaliação feita; segue no CAPS"))
    assert "✅ Devolutiva do setor Saúde sobre E-2026-001 registrada" in done
    async with group.runtime.sessions() as session:
        owed = await session.scalar(
            select(Devolutiva).join(Referral).where(Referral.code == "E-2026-001")
        )
    assert owed is not None and owed.text == "avaliação feita; segue no CAPS"
    # The same code's button again: the sector already answered it.
    again = await group.press(ANA, options[1][1])
    assert "Saúde já mandou a devolutiva sobre E-2026-001." in _texts(again)
    # Bruno's sector does not owe E-2026-001: his press is refused, nothing asked.
    refused = await group.press(BRUNO, options[1][1])
    assert "E-2026-001 não está aguardando a devolutiva do seu setor." in _texts(refused)
    # Bruno's own list, and a quoted reply to the question his press opens.
    listed = _buttons(await group.say(BRUNO, "/devolutiva"))
    (code,) = [data for label, data in listed if label == "📝 E-2026-003"]
    question = _texts(await group.press(BRUNO, code))
    quoted = await group.answer(BRUNO, "visita feita", replied_text=question)
    assert "Devolutiva do setor Conselho Tutelar sobre E-2026-003 registrada" in _texts(quoted)


async def test_the_last_devolutiva_offers_the_coordination_a_conclude_button(
    group: Group,
) -> None:
    await group.say(COORDINATOR, "/encaminhar Saúde | 10 dias | CASO-2026-001: avaliação")
    answered = await group.say(ANA, "/devolutiva E-2026-001 avaliação feita")
    assert "Coordenação: /concluir E-2026-001" in _texts(answered)
    ((label, data),) = _buttons(answered)
    assert label == "☑️ Concluir E-2026-001"
    refused = await group.press(ANA, data)
    assert "Só a coordenação da Rede pode usar /concluir." in _texts(refused)
    done = await group.press(COORDINATOR, data)
    assert "☑️ Encaminhamento E-2026-001 concluído." in _texts(done)
    async with group.runtime.sessions() as session:
        referral = await session.scalar(select(Referral))
    assert referral is not None and referral.status == "concluded"


async def test_setor_alone_offers_the_sectors_as_buttons(group: Group) -> None:
    newcomer = Person(user_id="9", name="Zé", username="ze")
    asked = await group.say(newcomer, "/setor")
    assert "Zé, qual setor você representa? Seu setor agora: nenhum." in _texts(asked)
    options = dict(_buttons(asked))
    assert {"CRAS", "Polícia Militar", "Saúde"} <= set(options)
    declared = await group.press(newcomer, options["Polícia Militar"])
    assert "Zé diz que representa Polícia Militar." in _texts(declared)
    assert any(r.buttons for r in declared)  # the coordination's ✅ / ✖, as when typed


async def test_prazo_ok_alone_offers_the_sectors_open_deadlines(group: Group) -> None:
    await group.say(COORDINATOR, "/prazos novo RMA | mensal dia 10 | Saúde, CRAS")
    await group.say(COORDINATOR, "/prazos novo SISC | mensal dia 20 | Saúde")
    await group.say(COORDINATOR, "/prazos novo Censo | anual 10/12 | CRAS")
    listed = await group.say(ANA, "/prazo_ok")
    assert "Prazos que Saúde ainda não confirmou:" in _texts(listed)
    assert "• RMA — 10/12/2026" in _texts(listed)
    options = dict(_buttons(listed))
    assert set(options) == {"✅ RMA", "✅ SISC"}
    done = await group.press(ANA, options["✅ RMA"])
    # The day it listed, not the period it records ("2026-11").
    assert "✅ Saúde confirmou RMA, prazo de 10/12/2026. Obrigado!" in _texts(done)
    assert set(dict(_buttons(await group.say(ANA, "/prazo_ok")))) == {"✅ SISC"}
    refused = await group.press(BRUNO, options["✅ SISC"])
    assert "O seu setor não é responsável por SISC." in _texts(refused)
    await group.press(ANA, options["✅ SISC"])
    assert "Saúde não tem nenhum prazo para confirmar agora." in await group.text(ANA, "/prazo_ok")


@pytest.mark.parametrize("typed", ["/próxima", "/Proxima", "/PROXIMA", "/PRÓXIMA", "/reuniao"])
async def test_commands_as_phones_type_them(group: Group, typed: str) -> None:
    assert await group.text(ANA, typed) == await group.text(ANA, "/proxima")
    assert "Não conheço" not in await group.text(ANA, typed)


async def test_a_near_miss_is_answered_with_the_nearest_commands(group: Group) -> None:
    said = await group.text(ANA, "/proxma")
    assert "Não conheço o comando /proxma. Você quis dizer /proxima?" in said
    assert "Você quis dizer /devolutiva?" in await group.text(ANA, "/devolutva E-2026-001")
    # A member is not pointed to the coordination's commands.
    assert "/quorum" not in await group.text(ANA, "/quorun")
    assert "/quorum" in await group.text(COORDINATOR, "/quorun")
    assert "Você quis dizer" not in await group.text(ANA, "/xyzzy")


async def test_pauta_shows_the_next_meeting_and_its_agenda(group: Group) -> None:
    said = await group.text(ANA, "/pauta")
    assert said.startswith(await group.text(ANA, "/proxima"))
    assert said.endswith(
        "Por enquanto nada mais na pauta (atas para aprovar, devolutivas atrasadas)."
    )


async def test_abbreviations_name_sectors_and_the_coordination_sets_them(group: Group) -> None:
    listed = await group.text(COORDINATOR, "/setores siglas")
    assert "• PM = Polícia Militar (padrão)" in listed
    assert "• CT = Conselho Tutelar (padrão)" in listed
    newcomer = Person(user_id="9", name="Zé", username="ze")
    assert "Zé diz que representa Polícia Militar." in await group.text(newcomer, "/setor PM")
    made = await group.text(COORDINATOR, "/encaminhar CT, MP | 5 dias | CASO-2026-004: visita")
    assert "Conselho Tutelar, Ministério Público" in made
    assert "• SEMED = Educação (padrão)" in listed  # the network's Educação
    # The network's own abbreviation wins over the default one, and leaves it again.
    assert "Pronto: SEMED agora quer dizer Escola Municipal" in await group.text(
        COORDINATOR, "/setores sigla SEMED Escola Municipal"
    )
    listed = await group.text(COORDINATOR, "/setores siglas")
    assert "• SEMED = Escola Municipal\n" in listed and "SEMED = Educação" not in listed
    made = await group.text(COORDINATOR, "/encaminhar semed | 5 dias | CASO-2026-005: vaga")
    assert "Setores: Escola Municipal" in made
    assert "SEMED não quer mais dizer Escola Municipal." in await group.text(
        COORDINATOR, "/setores sigla remover SEMED"
    )
    made = await group.text(COORDINATOR, "/encaminhar SEMED | 5 dias | CASO-2026-006: vaga")
    assert "Setores: Educação" in made
    assert "Não há setor chamado SEJ" in await group.text(
        COORDINATOR, "/encaminhar SEJ | 5 dias | CASO-2026-007: vaga"
    )
    refused = await group.text(COORDINATOR, "/setores sigla remover PM")
    assert "PM quer dizer Polícia Militar por padrão." in refused
    assert "Só a coordenação" in await group.text(ANA, "/setores sigla SEMED Educação")
    assert "CRAS já é o nome de um setor." in await group.text(
        COORDINATOR, "/setores sigla CRAS Saúde"
    )


async def test_every_member_sees_the_abbreviations(group: Group) -> None:
    """Members read the abbreviations (in /setores and /setores siglas); only the
    coordination changes them, and only it is told how."""
    listed = await group.text(ANA, "/setores siglas")
    assert "• PM = Polícia Militar (padrão)" in listed and "Para incluir" not in listed
    assert "Para incluir" in await group.text(COORDINATOR, "/setores siglas")
    sectors = await group.text(ANA, "/setores")
    assert "• Polícia Militar (PM): —" in sectors and "• Saúde (SMS): Ana" in sectors
    assert "• CRAS: " in sectors  # a sector without an abbreviation: just its name
    for change in ("/setores sigla PM Saúde", "/setores sigla remover PM", "/setores sigla x y z"):
        assert "Só a coordenação" in await group.text(ANA, change)


async def test_ajuda_groups_the_commands_and_hides_the_coordinations(group: Group) -> None:
    member = await group.say(ANA, "/ajuda")
    text = _texts(member)
    assert "📅 Reuniões" in text and "📌 Encaminhamentos" in text
    assert "• /encaminhar — " in text and "/encaminhar setores | prazo | descrição" in text
    assert "Por exemplo: /prazo_ok RMA" in text
    assert "/quorum" not in text and "Só da coordenação" not in text
    coordination = await group.say(COORDINATOR, "/ajuda")
    assert "🔑 Só da coordenação:" in _texts(coordination)
    assert "/quorum" in _texts(coordination)
    assert all(len(r.text) <= 4096 for r in [*member, *coordination])
