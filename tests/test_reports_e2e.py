"""The annual report of a year built through the group's own commands, read back."""

from __future__ import annotations

import asyncio
import csv
import io
import zipfile
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
from pypdf import PdfReader
from sqlalchemy import select

from bot.__main__ import main
from bot.clock import ManualClock
from storage.models import Network
from tests.fakes.bot_api import FakeUser
from tests.telegram_harness import (
    ANA,
    BRUNO,
    COORD,
    DORA,
    GROUP,
    Harness,
    buttons,
    running_bot,
)

JANUARY = datetime(2026, 1, 5, 13, 0, tzinfo=UTC)  # Monday, 10h in São Paulo
JUSTIFICATION = "violação grave de direitos: criança em risco iminente, decidir o acolhimento"


@pytest.fixture
async def tg(sqlite_url: str) -> AsyncIterator[Harness]:
    async with running_bot(sqlite_url, ManualClock(JANUARY)) as harness:
        await harness.seat_members()
        yield harness


async def _meeting_day(tg: Harness, when: datetime, present: list[FakeUser]) -> None:
    await tg.clock.set(when)
    mark = tg.api.mark()
    tg.api.group_message(GROUP, COORD, "/presenca")
    opened = await tg.api.wait_for_message(GROUP, "Lista de presença", since=mark)
    for user in present:
        await tg.press(opened, buttons(opened)[0], user)
    # The roles, and the ata's draft, come a quarter of an hour into the meeting.
    await tg.clock.set(when + timedelta(minutes=25))
    await tg.dispatcher.run_due()
    await tg.api.wait_for_message(GROUP, "Rascunho da ata", since=mark)
    mark = tg.api.mark()
    tg.api.group_message(GROUP, COORD, "/presenca fechar")
    await tg.api.wait_for_message(GROUP, "Lista fechada", since=mark)


async def _build_year(tg: Harness) -> None:
    preview = await tg.say(COORD, "/gerarcalendario 2026 2ª terça 14h CRAS")
    await tg.press(preview, buttons(preview)[0], COORD)
    # January (13/01) and February (10/02): CREAS misses February.
    await _meeting_day(tg, datetime(2026, 1, 13, 16, 50, tzinfo=UTC), [ANA, BRUNO, DORA, COORD])
    await tg.say(COORD, "/ata Aos treze dias de janeiro reuniram-se os setores da Rede.")
    asked = await tg.say(COORD, "/ata aprovar")
    await tg.press(asked, buttons(asked)[0], COORD)
    await tg.say(
        COORD, "/encaminhar Saúde, CREAS | 10 dias úteis | CASO-2026-001: avaliação e retorno"
    )
    await tg.clock.advance(timedelta(days=3))
    await tg.say(ANA, "/devolutiva E-2026-001 avaliação feita, criança no CAPS")
    await tg.clock.set(datetime(2026, 2, 3, 13, tzinfo=UTC))
    await tg.say(DORA, "/devolutiva E-2026-001 família acompanhada pelo PAEFI")  # late
    await tg.say(COORD, "/encaminhar Conselho Tutelar | 5 dias | CASO-2026-002: visita domiciliar")
    await _meeting_day(tg, datetime(2026, 2, 10, 16, 50, tzinfo=UTC), [ANA, BRUNO, COORD])
    # March is cancelled; an extraordinary meeting is convened by the Conselho Tutelar.
    await tg.clock.set(datetime(2026, 3, 2, 13, tzinfo=UTC))
    await tg.say(COORD, "/cancelar 10/03 | reunião da conferência municipal")
    await tg.convene(BRUNO, f"/convocar 04/03 9h | CRAS | CASO-2026-003 | {JUSTIFICATION}")


async def test_the_annual_report_counts_what_the_network_did(
    tg: Harness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _build_year(tg)
    await tg.clock.set(datetime(2026, 3, 20, 13, tzinfo=UTC))
    member = await tg.say(ANA, "/relatorio")
    assert "coordenação" in member["text"].lower()
    wrong = await tg.say(COORD, "/relatorio 2026 docx")
    assert "Exemplo: /relatorio" in wrong["text"]

    mark = tg.api.mark()
    tg.api.group_message(GROUP, COORD, "/relatorio 2026")
    call = await tg.api.wait_for_call("sendDocument", since=mark)
    name, pdf = next(iter(call.files.values()))
    assert name.endswith("2026.pdf")
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    flat = " ".join(text.split())
    assert "Relatório anual das ações intersetoriais" in flat
    assert "violação grave de direitos" in flat  # the extraordinary meeting's justification
    assert "Conselho Tutelar" in flat

    mark = tg.api.mark()
    tg.api.group_message(GROUP, COORD, "/relatorio 2026 xlsx")
    call = await tg.api.wait_for_call("sendDocument", since=mark)
    book = openpyxl.load_workbook(io.BytesIO(next(iter(call.files.values()))[1]))
    rows = {
        tuple(c for c in row if c is not None)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
    }
    flat_cells = [c for row in rows for c in row]
    assert "E-2026-001" in flat_cells and "E-2026-002" in flat_cells
    # Referral rows: Saúde on time, CREAS late, Conselho Tutelar still open (overdue).
    referral_sheet = next(
        s
        for s in book.worksheets
        if any(c.value == "E-2026-002" for row in s.iter_rows() for c in row)
    )
    statuses = {
        (r[0], r[3]): r[-1] for r in referral_sheet.iter_rows(min_row=2, values_only=True) if r[0]
    }
    assert sorted(statuses.values()) == ["com atraso", "em aberto, atrasada", "no prazo"]

    mark = tg.api.mark()
    tg.api.group_message(GROUP, COORD, "/relatorio 2026 csv")
    call = await tg.api.wait_for_call("sendDocument", since=mark)
    archive = zipfile.ZipFile(io.BytesIO(next(iter(call.files.values()))[1]))
    assert len(archive.namelist()) >= 4
    for member_name in archive.namelist():
        list(csv.reader(io.StringIO(archive.read(member_name).decode("utf-8-sig")), delimiter=";"))

    month = await tg.say(COORD, "/relatorio mes")
    # 04/03 was convened and took no presence list nor ata: held by no record (issue 12).
    assert "Março" in month["text"] and "Reuniões realizadas: 0" in month["text"]
    assert "sem registro: 1" in month["text"] and "canceladas: 1" in month["text"]

    async with tg.runtime.sessions() as session:
        network = await session.scalar(select(Network))
    assert network is not None
    out = tmp_path / "relatorio.xlsx"
    monkeypatch.setenv("DATABASE_URL", tg.runtime.settings.database_url)
    monkeypatch.chdir(tmp_path)
    args = ["report", "--network", str(network.id), "--year", "2026", "--out", str(out)]
    assert await asyncio.to_thread(main, args) == 0
    assert openpyxl.load_workbook(out).sheetnames


async def test_a_year_without_records_says_so(tg: Harness) -> None:
    mark = tg.api.mark()
    tg.api.group_message(GROUP, COORD, "/relatorio 2025")
    call = await tg.api.wait_for_call("sendDocument", since=mark)
    assert "ainda não há registros" in call.params["caption"]
    pdf = next(iter(call.files.values()))[1]
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "2025" in text


PLAN_2027_CSV = (
    "Ação;Tarefas;Período;Responsável\n"
    "1. Fluxo;Revisar o fluxo de atendimento;Março;CRAS\n"
    "2. Capacitação;Capacitar as equipes;Maio;CREAS\n"
)


async def _summary(tg: Harness, year: int) -> dict[str, list[object]]:
    """The XLSX report's summary sheet: first cell → the row."""
    mark = tg.api.mark()
    tg.api.group_message(GROUP, COORD, f"/relatorio {year} xlsx")
    call = await tg.api.wait_for_call("sendDocument", since=mark)
    book = openpyxl.load_workbook(io.BytesIO(next(iter(call.files.values()))[1]))
    rows = book["Resumo"].iter_rows(values_only=True)
    return {str(row[0]): list(row[1:]) for row in rows if row and row[0] is not None}


async def test_the_report_counts_what_a_coordinator_signs(tg: Harness) -> None:
    """Issue 12: held means a presence list or an approved ata; a concluded encaminhamento
    is not open; a plan's tasks belong to its year; a deadline counts from its creation."""
    preview = await tg.say(COORD, "/gerarcalendario 2026 2ª terça 14h CRAS")
    await tg.press(preview, buttons(preview)[0], COORD)
    # January: presence list taken (held). February: nothing recorded (without record).
    await _meeting_day(tg, datetime(2026, 1, 13, 16, 50, tzinfo=UTC), [ANA, COORD])
    await tg.say(COORD, "/encaminhar Saúde | 5 dias | CASO-2026-001: avaliação")
    closed = await tg.say(COORD, "/concluir E-2026-001")
    assert "E-2026-001" in closed["text"]
    # One registered by mistake and deleted: listed for the record, counted nowhere.
    await tg.say(COORD, "/encaminhar CREAS | 5 dias | CASO-2026-002: avaliação")
    await tg.say(COORD, "/excluir E-2026-002 | registrado em duplicidade")
    # A plan for next year, imported this year.
    mark = tg.api.mark()
    tg.api.document_message(
        GROUP, COORD, "plano.csv", PLAN_2027_CSV.encode(), caption="/plano importar 2027 Fluxos"
    )
    plan_preview = await tg.api.wait_for_message(GROUP, "2 tarefas", since=mark)
    await tg.press(plan_preview, buttons(plan_preview)[0], COORD)
    # RMA followed from December on; the Censo's first deadline is next year.
    await tg.clock.set(datetime(2026, 12, 2, 13, tzinfo=UTC))
    await tg.say(COORD, "/prazos novo RMA | mensal dia 10 | CRAS, CREAS")
    await tg.say(COORD, "/prazos novo Censo SUAS | anual 30/09 | CRAS")
    await tg.clock.set(datetime(2026, 12, 20, 13, tzinfo=UTC))

    year = await _summary(tg, 2026)
    planned, held, unrecorded, cancelled = year["Reunião ordinária"][:4]
    assert (planned, held, cancelled) == (12, 1, 0)
    assert unrecorded == 11  # February to December: past, no presence list, no ata
    assert year["Encaminhamentos registrados no ano"][0] == 1  # not the plan's tasks
    assert year["Devolutivas ainda pendentes"][0] == 0
    assert year["Devolutivas não dadas (encaminhamento encerrado)"][0] == 1
    assert "Fluxos" not in year
    assert year["RMA"][:2] == [2, 0]  # one period (December) × two sectors
    assert "Censo SUAS" not in year
    mark = tg.api.mark()
    tg.api.group_message(GROUP, COORD, "/relatorio 2026 xlsx")
    call = await tg.api.wait_for_call("sendDocument", since=mark)
    book = openpyxl.load_workbook(io.BytesIO(next(iter(call.files.values()))[1]))
    cells = [str(c) for sheet in book for row in sheet.iter_rows(values_only=True) for c in row]
    assert any(c.startswith("excluído em") and "registrado em duplicidade" in c for c in cells), (
        "the deleted encaminhamento is listed with why"
    )

    await tg.clock.set(datetime(2027, 1, 20, 13, tzinfo=UTC))
    following = await _summary(tg, 2027)
    assert following["Fluxos"][:2] == [2, 0]  # the plan and its two tasks are 2027's
    assert following["Devolutivas devidas (uma por setor e encaminhamento)"][0] == 2
