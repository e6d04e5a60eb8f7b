"""No personal identifiers stored, echoed or logged (issue 13), through the router: every
free text headed for the database or the group is screened with the one screen, a
refusal changes nothing, an error never says a CPF back, and a crash logs none."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import DataError

import bot.services.referrals
from bot import logs
from bot.runtime import Runtime
from storage.models import Draft, Meeting, ReportingDeadline, Sector, WorkingGroup
from tests.drive import ANA, COORDINATOR, Group, file_attachment

CPF = "529.982.247-25"


@pytest.fixture
async def group(sqlite_runtime: Runtime) -> Group:
    chat = Group(sqlite_runtime)
    await chat.say(COORDINATOR, "/setor CRAS")  # the bot meets the group
    await chat.seat(ANA, "Saúde")
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


# --- the log ----------------------------------------------------------------------------------


@pytest.fixture
def redacting_log() -> Iterator[None]:
    """The log as ``redebot`` configures it at start-up (bot/logs.py), for this test only."""
    previous = logging.getLogRecordFactory()
    logs.install_redaction()
    yield
    logging.setLogRecordFactory(previous)


async def test_an_update_that_crashes_logs_no_personal_data(
    group: Group,
    redacting_log: None,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def too_long(*args: Any, text: str, **kwargs: Any) -> None:
        # What PostgreSQL answers for a value longer than its column, with the SQL
        # parameters in the exception's message, as SQLAlchemy writes it.
        raise DataError(
            "UPDATE devolutivas SET text=$1", {"text": text}, Exception("value too long")
        )

    monkeypatch.setattr(bot.services.referrals, "record_devolutiva", too_long)
    caplog.set_level(logging.DEBUG)
    typed = f"/devolutiva E-2026-001 mãe CPF {CPF}, tel (27) 99988-7766, a criança Pedro Souza"
    answer = await group.text(ANA, typed)
    assert "Desculpe" in answer
    assert "DataError" in caplog.text and "value too long" in caplog.text  # the traceback
    for value in (CPF, "52998224725", "99988-7766", "Pedro Souza"):
        assert value not in caplog.text, value
    assert "[CPF removido]" in caplog.text and "[nome removido]" in caplog.text


def _check_place(place: str) -> None:
    raise ValueError(f"bad place: {place}")


def _keep_place(place: str) -> None:
    try:
        _check_place(place)
    except ValueError as error:
        raise RuntimeError("could not keep 41 99999-8888") from error


def test_every_record_is_redacted_message_arguments_exception_chain_and_stack(
    redacting_log: None, caplog: pytest.LogCaptureFixture
) -> None:
    log = logging.getLogger("redebot.test")
    log.warning("error while handling %r", {"text": f"CPF {CPF}"}, stack_info=True)
    try:
        _keep_place(f"Rua das Flores, 123 ({CPF})")
    except RuntimeError:
        log.exception("failed for %s", "a mãe: Maria")
    assert CPF not in caplog.text and "99999-8888" not in caplog.text
    assert "Flores" not in caplog.text and "Maria" not in caplog.text
    assert "ValueError" in caplog.text and "RuntimeError" in caplog.text
    assert all(record.exc_info is None and record.args is None for record in caplog.records)


def test_the_start_up_configuration_installs_the_redaction(
    redacting_log: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.conftest import make_settings

    logging.setLogRecordFactory(logging.LogRecord)
    monkeypatch.setattr(logging, "basicConfig", lambda **kwargs: None)
    logs.configure(make_settings("sqlite+aiosqlite://"))
    record = logging.getLogger("x").makeRecord("x", logging.ERROR, "f", 1, f"CPF {CPF}", (), None)
    assert CPF not in record.getMessage() and "CPF" in record.getMessage()
