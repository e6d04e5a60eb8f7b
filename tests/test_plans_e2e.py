"""Importing an action plan (issue 12): each Responsável becomes a sector of the network
(found, remembered, or asked once), deadlines leave weekends and holidays, and nothing is
saved until every name is decided. Real CSV and XLSX files, through the router."""

from __future__ import annotations

import io
from datetime import date, datetime
from typing import Any

import openpyxl
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from bot.buttons import Decision
from bot.messages import Reply
from bot.runtime import Runtime
from handlers.plans import Answer, PlanDecision, PlanSector
from storage.models import ActionPlan, Devolutiva, Draft, Referral, Sector, SectorAlias
from tests.drive import ANA, COORDINATOR, Group, file_attachment
from tests.telegram_harness import ANA as TG_ANA
from tests.telegram_harness import COORD, GROUP, Harness

# Seed 002 as a coordinator pastes it from Word into a sheet, for a plan of this year
# (today is Monday 23/11/2026): a Saturday (28/11), Christmas (25/12, a Friday), a
# Responsável cell broken over lines, and names no sector of the network has.
SEED_LIKE_CSV = (
    "2026- PLANO DE AÇÃO\n"
    "Organização e Fortalecimento do SIPIA\n"
    "Ação;Tarefas;Período;Responsável\n"
    "1. Conclusão implantação do Módulo SINASE;"
    "Visitas às unidades de alimentação do SIPIA;Até 28/11;Equipe SIPIA/SEJUDH\n"
    ";Levantamento e elaboração de diagnóstico do uso do SIPIA;Até 15/12;"
    '"Equipe SIPIA/\nSEJUDH/UAGE/JUSTIÇA\nSETAS"\n'
    "2. Articulação da SEJUDH com a SETAS/Justiça/CT;"
    "Reunir com os representantes da Justiça/CIJ e SIPIA/C.T;25/12;SEJUDH/JUSTIÇA\n"
    ";Encaminhar instrumental de levantamento para CREAS e CRAS;Até 10/12;CREAS/C.T\n"
)


def _buttons(message: dict[str, Any]) -> dict[str, str]:
    """A Telegram message's buttons: label → callback data."""
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return {b["text"]: b["callback_data"] for row in rows for b in row}


async def _choose(tg: Harness, message: dict[str, Any], label: str) -> dict[str, Any]:
    """The coordinator presses ``label`` under ``message``; the message as edited."""
    mark = tg.api.mark()
    tg.api.press_button(message, _buttons(message)[label], COORD)
    await tg.api.wait_for_call("answerCallbackQuery", since=mark)  # after the edit
    assert tg.api.calls_of("editMessageText")[-1].params["message_id"] == message["message_id"]
    edited = tg.api.message(GROUP, message["message_id"])
    assert edited is not None
    return edited


async def _notice(tg: Harness, message: dict[str, Any], data: str, user: Any) -> str:
    """``user`` presses ``data`` under (a copy of) ``message``; the popup's text."""
    mark = tg.api.mark()
    tg.api.press_button(message, data, user)
    answer = await tg.api.wait_for_call("answerCallbackQuery", since=mark)
    return str(answer.params.get("text", ""))


async def _import(tg: Harness, content: bytes, caption: str) -> list[dict[str, Any]]:
    """The coordinator sends the table; the bot's messages (the preview, the question)."""
    mark = tg.api.mark()
    tg.api.document_message(GROUP, COORD, "plano.csv", content, caption=caption)
    first = await tg.api.wait_for_message(GROUP, since=mark)
    if "reply_markup" in first:
        return [first]
    return [first, await tg.api.wait_for_message(GROUP, since=mark + 1)]


async def _count(runtime: Runtime, model: type) -> int:
    async with runtime.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_a_seed_like_plan_asks_each_unknown_name_once_and_moves_its_deadlines(
    seated_group: Harness,
) -> None:
    tg = seated_group
    sectors_before = await _count(tg.runtime, Sector)
    preview, question = await _import(tg, SEED_LIKE_CSV.encode(), "/plano importar 2026 SIPIA")
    text = preview["text"]
    assert "2 ações, 4 tarefas" in text
    # The deadlines that fell on a Saturday and on Christmas, and where they went.
    assert "28/11/2026 (sábado) → 30/11/2026 (1 tarefa)" in text
    assert "25/12/2026 (Natal) → 28/12/2026 (1 tarefa)" in text
    assert "15/12/2026" not in text and "10/12/2026" not in text  # working days: kept
    # Every unknown name listed once; CREAS is the network's own and is not asked.
    assert "não tem setor chamado Equipe SIPIA, SEJUDH, UAGE, JUSTIÇA, SETAS, C.T." in text
    assert "reply_markup" not in preview  # nothing to save yet
    assert "Qual setor da Rede é Equipe SIPIA? (1 de 6)" in question["text"]
    assert set(_buttons(question)) == {"➕ Novo setor", "Ignorar", "✖ Descartar"}  # no Save

    # A member cannot decide; the coordination can.
    refused = await _notice(tg, question, _buttons(question)["Ignorar"], TG_ANA)
    assert "coordenação" in refused
    first = dict(question)  # the message as it was, buttons and all
    after = await _choose(tg, question, "➕ Novo setor")
    assert "Decididos: Equipe SIPIA → novo setor." in after["text"]
    assert "Qual setor da Rede é SEJUDH? (2 de 6)" in after["text"]
    # A second tap on the first question (a slow phone) is refused; nothing moves.
    stale = await _notice(tg, first, _buttons(first)["Ignorar"], COORD)
    assert "já foi decidido" in stale
    assert tg.api.message(GROUP, question["message_id"]) == after

    for label in ("Ignorar", "Ignorar", "Ignorar", "Ignorar"):  # SEJUDH UAGE JUSTIÇA SETAS
        after = await _choose(tg, after, label)
    # C.T: the Conselho Tutelar is offered by its initials.
    assert "Qual setor da Rede é C.T? (6 de 6)" in after["text"]
    assert next(iter(_buttons(after))) == "Conselho Tutelar"
    assert await _count(tg.runtime, SectorAlias) == 0  # nothing applied half-way
    assert await _count(tg.runtime, Referral) == 0
    done = await _choose(tg, after, "Conselho Tutelar")
    assert "C.T → Conselho Tutelar" in done["text"]
    assert "1 tarefa não tem setor da Rede e ficará de fora." in done["text"]  # SEJUDH/JUSTIÇA
    assert "Salvar o plano SIPIA?" in done["text"]
    assert set(_buttons(done)) == {"✅ Salvar", "✖ Descartar"}

    mark = tg.api.mark()
    tg.api.press_button(done, _buttons(done)["✅ Salvar"], COORD)
    await tg.api.wait_for_call("answerCallbackQuery", since=mark)
    saved = tg.api.calls_of("editMessageText")[-1]
    assert "3 tarefas agora são acompanhadas" in saved.params["text"]
    assert (
        "Novos setores: Equipe SIPIA. Quem os representa manda /setor Equipe SIPIA."
        in (saved.params["text"])
    )
    assert "1 tarefa não tinha setor da Rede e ficou de fora." in saved.params["text"]

    async with tg.runtime.sessions() as session:
        tasks = (
            await session.scalars(
                select(Referral)
                .options(selectinload(Referral.owed).selectinload(Devolutiva.sector))
                .order_by(Referral.id)
            )
        ).all()
        names = set((await session.scalars(select(Sector.name))).all())
    owed = {t.description[:20].strip(): sorted(d.sector.name for d in t.owed) for t in tasks}
    assert [t.deadline for t in tasks] == [
        date(2026, 11, 30),
        date(2026, 12, 15),
        date(2026, 12, 10),
    ]
    assert owed == {
        "Visitas às unidades": ["Equipe SIPIA"],
        "Levantamento e elabo": ["Equipe SIPIA"],
        "Encaminhar instrumen": ["CREAS", "Conselho Tutelar"],
    }
    assert await _count(tg.runtime, Sector) == sectors_before + 1
    assert not names & {"SEJUDH", "UAGE", "JUSTIÇA", "SETAS", "C.T"}
    pending = await tg.say(TG_ANA, "/pendencias Equipe SIPIA")
    assert "Visitas às unidades" in pending["text"]

    # The next plan of the network: the decisions are remembered, nothing is asked.
    (again,) = await _import(tg, SEED_LIKE_CSV.encode(), "/plano importar 2027 SIPIA revisado")
    assert "Qual setor" not in again["text"]
    assert "SEJUDH: sem setor (decisão anterior)" in again["text"]
    assert "C.T → Conselho Tutelar (decisão anterior)" in again["text"]
    assert "Equipe SIPIA" not in again["text"].split("Responsáveis:")[-1]  # its own sector now
    assert set(_buttons(again)) == {"✅ Salvar", "✖ Descartar"}


def _xlsx(rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# The same plan as a spreadsheet for 2027: July ends on a Saturday, Christmas is a
# Saturday too (typed as an Excel date), and the plan's Período cells are months.
SEED_LIKE_XLSX = _xlsx(
    [
        ["2027 - PLANO DE AÇÃO"],
        ["Ação", "Tarefas", "Período", "Responsável"],
        ["1. Diagnóstico", "Levantamento do uso do SIPIA", "Maio e Junho", "Equipe SIPIA/SEJUDH"],
        [None, "Elaborar Plano de capacitação", "Julho", "Equipe SIPIA/\nJUSTIÇA SETAS"],
        ["2. Relatório", "Apresentar o relatório", datetime(2027, 12, 25), "Saúde/JUSTIÇA"],
    ]
)


def _labels(reply: Reply) -> dict[str, str]:
    return {b.label: b.data for row in reply.buttons for b in row}


async def test_an_xlsx_plan_is_saved_only_when_every_name_is_decided(runtime: Runtime) -> None:
    group = Group(runtime)
    await group.say(COORDINATOR, "/setor CRAS")
    preview, question = await group.say(
        COORDINATOR,
        "/plano importar 2027 Fortalecimento do SIPIA",
        attachment=file_attachment("plano.xlsx", SEED_LIKE_XLSX),
    )
    assert not preview.buttons
    assert "31/07/2027 (sábado) → 02/08/2027 (1 tarefa)" in preview.text
    assert "25/12/2027 (Natal) → 27/12/2027 (1 tarefa)" in preview.text
    assert "30/06/2027" not in preview.text  # a Wednesday
    async with runtime.sessions() as session:
        draft_id = int(await session.scalar(select(func.max(Draft.id))) or 0)

    # Saving before the names are decided (an old or forged button) is refused.
    (early,) = await group.press(COORDINATOR, PlanDecision(Decision.OK, draft_id).encode())
    assert early.notice and "Primeiro decida qual setor é Equipe SIPIA" in early.notice
    # A member's answer, a sector that was not offered, a name out of range: refused.
    ignore = PlanSector(draft_id, 0, Answer.IGNORE, 0).encode()
    (member,) = await group.press(ANA, ignore)
    assert member.notice and "coordenação" in member.notice
    async with runtime.sessions() as session:
        health = await session.scalar(select(Sector.id).where(Sector.key == "saude"))
    assert health is not None
    (forged,) = await group.press(
        COORDINATOR, PlanSector(draft_id, 0, Answer.SECTOR, health).encode()
    )
    assert forged.notice and "não vale mais" in forged.notice
    (far,) = await group.press(COORDINATOR, PlanSector(draft_id, 9, Answer.NEW, 0).encode())
    assert far.notice and "não vale mais" in far.notice

    replies = [question]
    for _ in range(4):  # Equipe SIPIA, SEJUDH, JUSTIÇA, SETAS: none is a sector
        assert "Qual setor da Rede é" in replies[-1].text
        replies = await group.press(COORDINATOR, _labels(replies[-1])["Ignorar"])
        assert replies[-1].edit
    (ready,) = replies
    assert ready.new_choice  # a channel that cannot edit sends it anew
    assert "2 tarefas não têm setor da Rede e ficarão de fora." in ready.text
    (again,) = await group.press(COORDINATOR, ignore)  # the first name, once more
    assert again.notice and "já foi decidido" in again.notice
    (saved,) = await group.press(COORDINATOR, _labels(ready)["✅ Salvar"])
    assert "1 tarefa agora é acompanhada como encaminhamento" in saved.text
    async with runtime.sessions() as session:
        (task,) = (await session.scalars(select(Referral))).all()
        remembered = {a.name: a.sector_id for a in (await session.scalars(select(SectorAlias)))}
    assert task.deadline == date(2027, 12, 27) and task.description == "Apresentar o relatório"
    assert remembered == {"Equipe SIPIA": None, "SEJUDH": None, "JUSTIÇA": None, "SETAS": None}
    (late,) = await group.press(COORDINATOR, _labels(ready)["✅ Salvar"])
    assert late.notice and "já foi decidido" in late.notice


async def test_a_discarded_plan_remembers_nothing(runtime: Runtime) -> None:
    group = Group(runtime)
    await group.say(COORDINATOR, "/setor CRAS")  # the bot meets the group
    _preview, question = await group.say(
        COORDINATOR,
        "/plano importar 2027 SIPIA",
        attachment=file_attachment("plano.xlsx", SEED_LIKE_XLSX),
    )
    (decided,) = await group.press(COORDINATOR, _labels(question)["➕ Novo setor"])
    (gone,) = await group.press(COORDINATOR, _labels(decided)["✖ Descartar"])
    assert "descartado" in gone.text
    for model in (SectorAlias, Referral, ActionPlan):
        assert await _count(runtime, model) == 0
    async with runtime.sessions() as session:
        assert await session.scalar(select(Sector).where(Sector.key == "equipe sipia")) is None
    (stale,) = await group.press(COORDINATOR, _labels(decided)["Ignorar"])
    assert stale.notice and "já foi decidido" in stale.notice


async def test_a_deadline_on_a_municipal_holiday_the_network_cancelled_for_moves(
    runtime: Runtime,
) -> None:
    group = Group(runtime)
    await group.say(COORDINATOR, "/setor CRAS")  # the bot meets the group
    for reply in await group.say(COORDINATOR, "/gerarcalendario 2026 2ª terça 14h CRAS"):
        await group.press(COORDINATOR, reply.buttons[0][0].data)
    await group.say(COORDINATOR, "/cancelar 08/12 | Feriado municipal: aniversário da cidade")
    plan = (
        "Ação;Tarefas;Período;Responsável\n"
        "1. Fluxo;Revisar o fluxo de atendimento;Até 08/12;CRAS\n"
        "2. Rede;Apresentar o fluxo;Até 09/12;Saúde\n"
    )
    (preview,) = await group.say(
        COORDINATOR,
        "/plano importar 2026 Fluxos",
        attachment=file_attachment("plano.csv", plan.encode()),
    )
    assert (
        "08/12/2026 (Feriado municipal: aniversário da cidade) → 09/12/2026 (1 tarefa)"
        in preview.text
    )
    assert set(_labels(preview)) == {"✅ Salvar", "✖ Descartar"}  # both names are sectors
    await group.press(COORDINATOR, _labels(preview)["✅ Salvar"])
    async with runtime.sessions() as session:
        deadlines = set((await session.scalars(select(Referral.deadline))).all())
    assert deadlines == {date(2026, 12, 9)}


@pytest.mark.parametrize(
    ("caption", "filename", "content", "expected"),
    [
        ("/plano importar 2027 SIPIA", None, b"", "Mande a tabela do plano"),
        ("/plano importar SIPIA", "plano.csv", SEED_LIKE_CSV.encode(), "ano e o nome"),
        ("/plano importar 2027 SIPIA", "plano.pdf", b"%PDF-1.4", ".csv ou .xlsx"),
        (
            "/plano importar 2027 SIPIA",
            "plano.csv",
            "Ação;Tarefas;Responsável\n1. A;B;CRAS\n".encode(),
            "Período",
        ),
        (
            "/plano importar 2027 SIPIA",
            "plano.csv",
            "Ação;Tarefas;Período;Responsável\n1. A;B;quando der;CRAS\n".encode(),
            "quando der",
        ),
        (
            "/plano importar 2027 SIPIA",
            "plano.csv",
            "Ação;Tarefas;Período;Responsável\n1. A;B;Maio;CRAS 529.982.247-25\n".encode(),
            "CPF",
        ),
        ("/plano exportar", None, b"", "/plano importar"),
    ],
)
async def test_every_wrong_import_is_answered_with_an_example(
    sqlite_runtime: Runtime, caption: str, filename: str | None, content: bytes, expected: str
) -> None:
    group = Group(sqlite_runtime)
    await group.say(COORDINATOR, "/setor CRAS")  # the bot meets the group
    attachment = file_attachment(filename, content) if filename else None
    (answer,) = await group.say(COORDINATOR, caption, attachment=attachment)
    assert expected in answer.text and "529" not in answer.text
    assert "Exemplo:" in answer.text
    assert await _count(sqlite_runtime, Draft) == 0


async def test_a_plan_whose_every_name_is_ignored_cannot_be_saved(
    sqlite_runtime: Runtime,
) -> None:
    group = Group(sqlite_runtime)
    await group.say(COORDINATOR, "/setor CRAS")  # the bot meets the group
    plan = "Ação;Tarefas;Período;Responsável\n1. A;Tarefa;Maio;SEJUDH\n"
    _preview, question = await group.say(
        COORDINATOR,
        "/plano importar 2027 SIPIA",
        attachment=file_attachment("plano.csv", plan.encode()),
    )
    (ready,) = await group.press(COORDINATOR, _labels(question)["Ignorar"])
    (refused,) = await group.press(COORDINATOR, _labels(ready)["✅ Salvar"])
    assert refused.notice and "não há o que salvar" in refused.notice
    assert await _count(sqlite_runtime, SectorAlias) == 0
    assert await _count(sqlite_runtime, ActionPlan) == 0
