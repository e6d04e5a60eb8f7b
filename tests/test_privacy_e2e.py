"""No personal identifiers stored, echoed or logged (issue 13), through the router: every
free text headed for the database or the group is screened with the one screen, a
refusal changes nothing, an error never says a CPF back, and a crash logs none."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from bot.runtime import Runtime
from storage.models import Draft, Meeting, ReportingDeadline, Sector, WorkingGroup
from tests.drive import ANA, COORDINATOR, Group, file_attachment

CPF = "529.982.247-25"


@pytest.fixture
async def group(sqlite_runtime: Runtime) -> Group:
    chat = Group(sqlite_runtime)
    await chat.say(COORDINATOR, "/setor CRAS")  # the bot meets the group
    await chat.say(ANA, "/setor Saúde")
    return chat


async def _count(group: Group, model: Any) -> int:
    async with group.runtime.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def _sector_names(group: Group) -> list[str]:
    async with group.runtime.sessions() as session:
        return sorted((await session.scalars(select(Sector.name))).all())


def _refused(answer: str, kinds: str, *values: str) -> None:
    assert answer.startswith(f"Não guardei esse texto: ele tem {kinds}."), answer
    assert "CASO-2025-014" in answer
    for value in values:
        assert value not in answer, value


async def test_a_sector_s_new_name_is_screened(group: Group) -> None:
    before = await _sector_names(group)
    added = await group.text(COORDINATOR, f"/setores adicionar CPF {CPF}")
    _refused(added, "um CPF", "529", "982")
    renamed = await group.text(COORDINATOR, "/setores renomear CMEI | Rua das Flores, 123")
    _refused(renamed, "um endereço", "Flores, 123.")
    child = await group.text(COORDINATOR, "/setores adicionar a criança Pedro Henrique Souza")
    _refused(child, "um nome de pessoa", "Pedro", "Souza")
    assert await _sector_names(group) == before
    ok = await group.text(COORDINATOR, "/setores adicionar Saúde Mental")
    assert "Saúde Mental" in ok and "Não guardei" not in ok


async def test_a_working_group_s_place_is_screened(group: Group) -> None:
    answer = await group.text(
        COORDINATOR,
        "/gt criar GT Infância | Saúde, CRAS | quinzenal quarta 14h | Rua Sete de Setembro, 230",
    )
    _refused(answer, "um endereço", "Setembro")
    assert await _count(group, WorkingGroup) == 0
    ok = await group.text(
        COORDINATOR,
        "/gt criar GT Infância | Saúde, CRAS | quinzenal quarta 14h | Sala da Secretaria de Saúde",
    )
    assert "Não guardei" not in ok and await _count(group, WorkingGroup) == 1


async def test_a_reporting_deadline_s_link_is_screened(group: Group) -> None:
    answer = await group.text(
        COORDINATOR,
        f"/prazos novo RMA | mensal dia 10 | CRAS | https://sistema.exemplo/consulta?cpf={CPF}",
    )
    _refused(answer, "um CPF", "529")
    assert await _count(group, ReportingDeadline) == 0
    ok = await group.text(
        COORDINATOR,
        "/prazos novo RMA | mensal dia 10 | CRAS | https://aplicacoes.mds.gov.br/sagi/rma",
    )
    assert "Não guardei" not in ok and await _count(group, ReportingDeadline) == 1


async def test_a_plan_s_action_cell_is_screened(group: Group) -> None:
    table = (
        "Ação;Tarefas;Período;Responsável\n"
        "1. Acompanhar a criança Pedro Henrique Souza;Visita domiciliar;Dezembro;CRAS\n"
    )
    (answer,) = await group.say(
        COORDINATOR,
        "/plano importar 2026 Acompanhamento",
        attachment=file_attachment("plano.csv", table.encode()),
    )
    _refused(answer.text, "um nome de pessoa", "Pedro", "Souza")
    assert await _count(group, Draft) == 0


async def test_the_place_of_a_generated_calendar_is_screened(group: Group) -> None:
    answer = await group.text(COORDINATOR, "/gerarcalendario 2027 2ª terça 14h Rua das Flores, 12")
    _refused(answer, "um endereço", "Flores, 12 ")
    assert await _count(group, Draft) == 0 and await _count(group, Meeting) == 0
    ok = await group.text(COORDINATOR, "/gerarcalendario 2027 2ª terça 14h CRAS Centro")
    assert "Não guardei" not in ok and await _count(group, Draft) == 1


async def test_an_office_s_landline_is_not_refused_and_a_mobile_is(group: Group) -> None:
    office = await group.say(
        ANA,
        "/convocar 10/12 14h | CRAS Centro, telefone (27) 3636-6850 | CASO-2026-014 | "
        "risco iminente à criança",
    )
    assert any(reply.buttons for reply in office), office  # the preview, to send
    mobile = await group.text(
        ANA,
        "/convocar 10/12 14h | CRAS Centro | CASO-2026-014 | ligar para a mãe (27) 99988-7766",
    )
    _refused(mobile, "um telefone", "99988")


@pytest.mark.parametrize(
    ("command", "gone"),
    [
        (f"/setor {CPF}", "529"),
        ("/setor Maria 12/03/2015", "Maria"),
        (f"/pendencias {CPF}", "529"),
        (f"/prazo_ok CPF {CPF}", "529"),
        ("/trocar ata a criança Pedro Henrique Souza", "Pedro"),
    ],
)
async def test_an_error_never_says_personal_data_back(
    group: Group, command: str, gone: str
) -> None:
    answer = await group.text(COORDINATOR, command)
    assert answer and gone not in answer, answer
    assert "removido]" in answer or "Não guardei" in answer, answer
