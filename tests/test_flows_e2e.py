"""The network's flows and protocols with versions (issue 15; seed 000 §6 "Fluxos de
atendimento atualizados"): sent as a file, em revisão, approved at a meeting, the history,
the current file, the pauta of a meeting about the flows and the yearly review."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import openpyxl
import pytest
from pypdf import PdfReader
from sqlalchemy import select

from bot.clock import ManualClock
from bot.messages import ChatKind, Incoming, Reply
from bot.runtime import Runtime
from storage.models import FlowVersion, ScheduledMessage
from tests.conftest import NOW
from tests.drive import ANA, BRUNO, COORDINATOR, Group, file_attachment
from tests.fakes.evolution import INSTANCE
from tests.office_files import docx_file, pdf_file, scanned_pdf
from tests.telegram_harness import ANA as TG_ANA
from tests.telegram_harness import COORD, Harness, running_bot
from tests.telegram_harness import GROUP as TG_GROUP
from tests.whatsapp_harness import ANA as WA_ANA
from tests.whatsapp_harness import CARLA, running_whatsapp
from tests.whatsapp_harness import GROUP as WA_GROUP

FLOW_TEXT = [
    "Fluxo de atendimento da Rede de Protecao Social",
    "1. A escola identifica a situacao e comunica o Conselho Tutelar.",
    "2. O CREAS faz a referencia do caso e convoca a rede.",
]
NEW_TEXT = [*FLOW_TEXT, "3. A saude mental participa do estudo de caso."]
SEED_2027 = (
    "Mês;Data;Horário;Local;Observações\n"
    "Janeiro;;14h;CRAS;Planejamento anual da Rede\n"
    "Fevereiro;;14h;CRAS;Alinhamento dos fluxos de atendimento\n"
    "Março;;14h;CRAS;Caso complexos /demanda saúde\n"
)


@pytest.fixture
async def group(runtime: Runtime) -> AsyncIterator[Group]:
    group = Group(runtime)
    group.attach_dispatcher()
    for who, sector in ((COORDINATOR, "CRAS"), (ANA, "CREAS"), (BRUNO, "Saúde")):
        await group.seat(who, sector)
    yield group


def _pdf(lines: list[str]) -> object:
    return file_attachment("fluxo-atendimento.pdf", pdf_file([lines]))


async def _send(group: Group, who: object, caption: str, lines: list[str] = FLOW_TEXT) -> str:
    replies = await group.say(who, caption, attachment=_pdf(lines))  # type: ignore[arg-type]
    return "\n".join(r.text for r in replies)


async def _meeting_now(group: Group, clock: ManualClock) -> None:
    """An extraordinary meeting tomorrow at 9h, and the clock at its middle."""
    await group.convene(
        COORDINATOR, "/convocar amanhã 9h | CRAS | pauta | risco iminente à criança"
    )
    await clock.set(datetime(2026, 11, 24, 12, 30, tzinfo=NOW.tzinfo))  # 9h30 in Brasília


async def _versions(runtime: Runtime) -> list[FlowVersion]:
    async with runtime.sessions() as session:
        return list((await session.scalars(select(FlowVersion).order_by(FlowVersion.id))).all())


async def test_a_version_is_under_review_until_approved_at_a_meeting(
    group: Group, runtime: Runtime, clock: ManualClock
) -> None:
    said = await _send(group, COORDINATOR, "/fluxo Fluxo de atendimento | CREAS")
    assert "Fluxo de atendimento criado: versão 1 recebida, em revisão" in said
    assert "Setor responsável: CREAS." in said
    listed = await group.text(ANA, "/fluxos")
    assert "• Fluxo de atendimento (CREAS)" in listed
    assert "Versão 1 em revisão desde 23/11/2026, aguardando aprovação." in listed
    # Not outside a meeting, and only by the coordination.
    refused = await group.text(COORDINATOR, "/fluxo aprovar fluxo de ATENDIMENTO")
    assert "é aprovado em uma reunião" in refused and "Exemplo: /fluxo aprovar" in refused
    await _meeting_now(group, clock)
    by_member = await group.text(ANA, "/fluxo aprovar Fluxo de atendimento")
    assert "Só a coordenação da Rede aprova um documento de fluxo" in by_member
    assert all(v.approved_at is None for v in await _versions(runtime))

    approved = await group.text(COORDINATOR, "/fluxo aprovar fluxo de atendimento")
    assert "✅ Fluxo de atendimento: versão 1 aprovada na reunião extraordinária de 24/11/2026" in (
        approved
    )
    assert "Próxima revisão: 24/11/2027." in approved
    (version,) = await _versions(runtime)
    assert version.approved_at is not None and version.meeting_id is not None
    listed = await group.text(BRUNO, "/fluxos")
    assert "Versão 1, aprovada na reunião extraordinária de 24/11/2026; revisão em 24/11/2027." in (
        listed
    )


async def test_a_new_version_replaces_the_old_one_which_stays_in_the_history(
    group: Group, runtime: Runtime, clock: ManualClock
) -> None:
    await _send(group, COORDINATOR, "/fluxo Fluxo de atendimento | CREAS")
    await _meeting_now(group, clock)
    await group.text(COORDINATOR, "/fluxo aprovar Fluxo de atendimento")
    # The responsible sector's representative sends version 2; another sector may not.
    other = await _send(group, BRUNO, "/fluxo Fluxo de atendimento", NEW_TEXT)
    assert "Só a coordenação ou o setor responsável por Fluxo de atendimento" in other
    said = await _send(group, ANA, "/fluxo fluxo de atendimento", NEW_TEXT)
    assert "Versão 2 de Fluxo de atendimento recebida, em revisão" in said
    # Until approved, the current file is still version 1.
    current = await group.say(BRUNO, "/fluxo Fluxo de atendimento")
    assert "versão 1" in current[0].text and current[0].file is not None
    first_text = PdfReader(io.BytesIO(current[0].file.content)).pages[0].extract_text()
    assert "saude mental" not in first_text

    approved = await group.text(COORDINATOR, "/fluxo aprovar Fluxo de atendimento")
    assert "versão 2 aprovada" in approved
    assert "Substitui a versão 1, que fica no histórico." in approved
    current = await group.say(BRUNO, "/fluxo Fluxo de Atendimento")
    assert current[0].file is not None and current[0].file.filename == "fluxo-atendimento.pdf"
    assert "saude mental" in PdfReader(io.BytesIO(current[0].file.content)).pages[0].extract_text()
    history = await group.text(BRUNO, "/fluxo Fluxo de atendimento historico")
    assert "Fluxo de atendimento: 2 versões" in history
    assert "• v2 (fluxo-atendimento.pdf, enviada em 24/11/2026): aprovada na reunião" in history
    assert "— atual" in history and "— substituída" in history
    assert history.index("v2") < history.index("v1")


async def test_wrong_forms_are_refused_with_an_example(group: Group) -> None:
    unknown = await group.text(ANA, "/fluxo Fluxo de atendimento")
    assert "ainda não tem documentos de fluxo" in unknown
    by_member = await _send(group, ANA, "/fluxo Protocolo de escuta")
    assert "Só a coordenação da Rede cria um documento de fluxo" in by_member
    assert (await group.text(ANA, "/fluxo")).startswith("Diga qual documento")
    await _send(group, COORDINATOR, "/fluxo Fluxo de atendimento")
    typo = await group.text(ANA, "/fluxo Fluxo de atendimeto")
    assert "Não há documento chamado Fluxo de atendimeto." in typo
    assert "Você quis dizer Fluxo de atendimento?" in typo
    image = await group.text(
        COORDINATOR, "/fluxo Fluxo de atendimento", attachment=file_attachment("f.png", b"x")
    )
    assert "PDF com texto, DOCX ou ODT" in image
    scan = await group.text(
        COORDINATOR,
        "/fluxo Fluxo de atendimento",
        attachment=file_attachment("f.pdf", scanned_pdf()),
    )
    assert "Não consegui ler o texto deste arquivo" in scan
    # A DOCX is read too; sent while version 1 waits, it takes its place.
    docx = await group.text(
        COORDINATOR,
        "/fluxo Fluxo de atendimento",
        attachment=file_attachment("fluxo.docx", docx_file(NEW_TEXT)),
    )
    assert "A versão 1 de Fluxo de atendimento foi substituída por este arquivo" in docx
    with_file = await _send(group, COORDINATOR, "/fluxo aprovar Fluxo de atendimento")
    assert "sem arquivo, em reunião" in with_file
    no_file = await group.text(COORDINATOR, "/fluxo Fluxo de atendimento | CREAS")
    assert "mande o arquivo do documento com esta legenda" in no_file
    setting = await group.text(COORDINATOR, "/fluxos revisao 0")
    assert "de 1 a 60" in setting and "Exemplo: /fluxos revisao 12" in setting


async def test_a_document_with_a_cpf_is_refused_and_nothing_is_saved(
    group: Group, runtime: Runtime
) -> None:
    with_cpf = [*FLOW_TEXT, "Familia acompanhada: CPF 529.982.247-25"]
    said = await _send(group, COORDINATOR, "/fluxo Fluxo de atendimento", with_cpf)
    assert "Não guardei este arquivo: ele tem um CPF." in said
    assert "529.982.247-25" not in said and "Exemplo: /fluxo" in said
    assert await _versions(runtime) == []
    assert "ainda não tem documentos de fluxo" in await group.text(ANA, "/fluxos")


@pytest.mark.parametrize(
    ("filename", "said"),
    [
        ("PIA_criança_João_Pedro_Souza.pdf", "o nome dele tem um nome de pessoa."),
        ("PIA 529.982.247-25.pdf", "o nome dele tem um CPF."),
        ("f" * 252 + ".pdf", "no máximo 255 caracteres (você enviou 256)"),
    ],
)
async def test_a_file_whose_name_has_personal_data_or_is_too_long_is_refused(
    group: Group, runtime: Runtime, filename: str, said: str
) -> None:
    attachment = file_attachment(filename, pdf_file([FLOW_TEXT]))
    replies = await group.say(COORDINATOR, "/fluxo Fluxo de atendimento", attachment=attachment)
    text = "\n".join(r.text for r in replies)
    assert said in text and "Exemplo: /fluxo" in text
    assert "João" not in text and "529" not in text
    assert await _versions(runtime) == []
    assert "ainda não tem documentos de fluxo" in await group.text(ANA, "/fluxos")


async def test_the_yearly_review_is_reminded_once_and_moves_with_a_new_version(
    group: Group, runtime: Runtime, clock: ManualClock
) -> None:
    await _send(group, COORDINATOR, "/fluxo Fluxo de atendimento | CREAS")
    await _meeting_now(group, clock)
    await group.text(COORDINATOR, "/fluxo aprovar Fluxo de atendimento")
    async with runtime.sessions() as session:
        rows = (
            await session.scalars(
                select(ScheduledMessage).where(ScheduledMessage.kind == "flow_review")
            )
        ).all()
    assert [r.due_at for r in rows] == [datetime(2027, 11, 24, 12, 0, tzinfo=NOW.tzinfo)]
    dispatcher = runtime.dispatcher
    assert dispatcher is not None
    for _day in range(15):  # the meeting's own messages (the ata's reminders) go out first
        await clock.advance(timedelta(days=1))
        await dispatcher.run_due()
    await clock.set(datetime(2027, 11, 24, 11, 59, tzinfo=NOW.tzinfo))
    await dispatcher.run_due()
    assert not [r for r in group.sent if "Revisão anual" in r.text]
    await clock.set(datetime(2027, 11, 24, 12, 1, tzinfo=NOW.tzinfo))
    await dispatcher.run_due()
    reminders = [r for r in group.sent if "Revisão anual" in r.text]
    assert len(reminders) == 1
    assert "Fluxo de atendimento (versão 1, aprovada na reunião extraordinária de 24/11/2026)" in (
        reminders[0].text
    )
    # The coordination and the responsible sector (CREAS: Ana) are mentioned; not Saúde.
    mentioned = {p.user_id for p in reminders[0].mentions}
    assert {COORDINATOR.user_id, ANA.user_id} <= mentioned and BRUNO.user_id not in mentioned
    await clock.advance(timedelta(days=3))
    await dispatcher.run_due()
    assert len([r for r in group.sent if "Revisão anual" in r.text]) == 1  # once


async def test_a_new_approval_and_the_review_setting_move_the_reminder(
    group: Group, runtime: Runtime, clock: ManualClock
) -> None:
    await _send(group, COORDINATOR, "/fluxo Fluxo de atendimento | CREAS")
    await _meeting_now(group, clock)
    await group.text(COORDINATOR, "/fluxo aprovar Fluxo de atendimento")
    await _send(group, ANA, "/fluxo Fluxo de atendimento", NEW_TEXT)
    await group.text(COORDINATOR, "/fluxo aprovar Fluxo de atendimento")
    setting = await group.text(COORDINATOR, "/fluxos revisao 6")
    assert "6 meses depois da aprovação" in setting
    await clock.set(datetime(2027, 5, 25, 13, 0, tzinfo=NOW.tzinfo))
    listed = await group.text(BRUNO, "/fluxos")
    assert "Versão 2, aprovada na reunião extraordinária de 24/11/2026; revisão vencida desde " in (
        listed
    )
    assert "24/05/2027" in listed
    assert "Só a coordenação" in await group.text(ANA, "/fluxos revisao 3")
    async with runtime.sessions() as session:
        rows = (
            await session.scalars(
                select(ScheduledMessage).where(
                    ScheduledMessage.kind == "flow_review", ScheduledMessage.status == "pending"
                )
            )
        ).all()
    versions = await _versions(runtime)
    assert [(r.due_at, r.payload["version_id"]) for r in rows] == [
        (datetime(2027, 5, 24, 12, 0, tzinfo=NOW.tzinfo), versions[1].id)
    ]


async def test_a_meeting_about_the_flows_lists_the_documents_due_on_its_pauta(
    group: Group, runtime: Runtime, clock: ManualClock
) -> None:
    preview = await group.say(
        COORDINATOR,
        "/importar 2027 2ª terça 14h CRAS",
        attachment=file_attachment("calendario.csv", SEED_2027.encode()),
    )
    await group.press(COORDINATOR, next(r for r in preview if r.buttons).buttons[0][0].data)
    await _send(group, COORDINATOR, "/fluxo Fluxo de atendimento | CREAS")
    await _meeting_now(group, clock)
    await group.text(COORDINATOR, "/fluxo aprovar Fluxo de atendimento")
    await group.text(COORDINATOR, "/fluxos revisao 2")  # due 24/01/2027
    await _send(group, COORDINATOR, "/fluxo Protocolo de escuta")  # waits for approval
    dispatcher = runtime.dispatcher
    assert dispatcher is not None

    def announcement(topic: str) -> Reply:
        found = [r for r in group.sent if topic in r.text]
        assert found, [r.text[:60] for r in group.sent[-12:]]
        return found[0]

    await clock.set(datetime(2027, 1, 4, 13, 0, tzinfo=NOW.tzinfo))
    await dispatcher.run_due()
    january = announcement("Planejamento anual da Rede").text
    assert "Documentos de fluxo para aprovar (/fluxo aprovar):" in january
    assert "• Protocolo de escuta: versão 1 em revisão" in january
    assert "revisão vencida" not in january and "para revisão" not in january
    await clock.set(datetime(2027, 2, 1, 13, 0, tzinfo=NOW.tzinfo))
    await dispatcher.run_due()
    february = announcement("Alinhamento dos fluxos de atendimento").text
    assert "Na pauta — documentos de fluxo para revisão:" in february
    assert "• Fluxo de atendimento (versão 1, revisão em 24/01/2027)" in february
    assert "• Protocolo de escuta: versão 1 em revisão" in february


async def test_the_annual_report_lists_the_flows_approved_in_the_year(
    group: Group, clock: ManualClock
) -> None:
    await _send(group, COORDINATOR, "/fluxo Fluxo de atendimento | CREAS")
    await _send(group, COORDINATOR, "/fluxo Protocolo de escuta")  # never approved
    await _meeting_now(group, clock)
    await group.text(COORDINATOR, "/fluxo aprovar Fluxo de atendimento")
    pdf = (await group.say(COORDINATOR, "/relatorio 2026"))[0].file
    assert pdf is not None
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    flat = " ".join(text.split())
    assert "Fluxos e protocolos" in flat
    assert "Fluxo de atendimento" in flat and "CREAS" in flat
    assert "Reunião extraordinária de 24/11/2026" in flat
    assert "Protocolo de escuta" not in flat
    xlsx = (await group.say(COORDINATOR, "/relatorio 2026 xlsx"))[0].file
    assert xlsx is not None
    book = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    sheet = book["Fluxos"]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0][:4] == ["Documento", "Versão", "Setor responsável", "Aprovada na reunião"]
    assert rows[1][:3] == ["Fluxo de atendimento", 1, "CREAS"]
    assert rows[1][3] == datetime(2026, 11, 24, 9, 0)
    assert len(rows) == 2


async def test_my_data_shows_the_versions_i_sent_and_erasure_keeps_them(
    group: Group, runtime: Runtime, clock: ManualClock
) -> None:
    await _send(group, COORDINATOR, "/fluxo Fluxo de atendimento | CREAS")
    await _meeting_now(group, clock)
    await group.text(COORDINATOR, "/fluxo aprovar Fluxo de atendimento")
    await _send(group, ANA, "/fluxo Fluxo de atendimento", NEW_TEXT)
    await group.runtime.redebot.handle(
        Incoming(
            platform=group.platform,
            chat_id=ANA.user_id,
            chat_kind=ChatKind.PRIVATE,
            sender=ANA,
            text="/start",
            command="start",
        )
    )
    private = [r for r in await group.say(ANA, "/meusdados") if r.to_user is not None]
    (summary,) = [r for r in private if r.file is not None]
    assert "1 versão de documento de fluxo enviada ou aprovada: Fluxo de atendimento v2" in (
        summary.text
    )
    assert summary.file is not None
    mine = json.loads(summary.file.content)["versoes_de_fluxos"]
    assert mine == [
        {
            "documento": "Fluxo de atendimento",
            "versao": 2,
            "enviada_por_voce": True,
            "aprovada_por_voce": False,
            "enviada_em": "2026-11-24T09:30-03:00",
        }
    ]
    ask = await group.say(ANA, "/apagarmeusdados")
    erase = next(b.data for r in ask for row in r.buttons for b in row if "Apagar" in b.label)
    await group.press(ANA, erase)
    versions = await _versions(runtime)
    assert [v.number for v in versions] == [1, 2]  # the network's record stays
    assert versions[1].sent_by_id is None and versions[0].sent_by_id is not None
    assert "Fluxo de atendimento: 2 versões" in await group.text(
        BRUNO, "/fluxo Fluxo de atendimento historico"
    )


# --- the platforms: a file with its caption --------------------------------------------------


@pytest.fixture
async def tg(sqlite_url: str, clock: ManualClock) -> AsyncIterator[Harness]:
    async with running_bot(sqlite_url, clock) as harness:
        await harness.seat_members()
        yield harness


@pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")
async def test_a_version_arrives_as_a_telegram_document_with_its_caption(tg: Harness) -> None:
    content = pdf_file([FLOW_TEXT])
    mark = tg.api.mark()
    tg.api.document_message(
        TG_GROUP, COORD, "fluxo.pdf", content, caption="/fluxo Fluxo de atendimento | CREAS"
    )
    answer = await tg.api.wait_for_message(TG_GROUP, since=mark)
    assert "Fluxo de atendimento criado: versão 1 recebida, em revisão." in answer["text"]
    listed = await tg.say(TG_ANA, "/fluxos")
    assert "Versão 1 em revisão desde" in listed["text"]
    mark = tg.api.mark()
    tg.api.group_message(TG_GROUP, TG_ANA, "/fluxo fluxo de atendimento")
    call = await tg.api.wait_for_call("sendDocument", since=mark)
    assert next(iter(call.files.values())) == ("fluxo.pdf", content)


async def test_a_version_arrives_as_a_whatsapp_document_with_its_caption(
    sqlite_url: str, clock: ManualClock
) -> None:
    content = pdf_file([FLOW_TEXT])
    async with running_whatsapp(sqlite_url, clock) as wa:
        await wa.seat_members()
        sent = await wa.act(
            wa.bridge.upload(
                WA_GROUP,
                CARLA,
                "fluxo.pdf",
                content,
                "/fluxo Fluxo de comunicação | CREAS",
                "application/pdf",
            )
        )
        assert any("Fluxo de comunicação criado: versão 1" in s.text for s in sent)
        assert ("POST", f"/chat/getBase64FromMediaMessage/{INSTANCE}") in wa.bridge.calls
        # A representative's file to a document of another sector is refused.
        refused = await wa.act(
            wa.bridge.upload(
                WA_GROUP, WA_ANA, "f.pdf", content, "/fluxo fluxo de comunicacao", "application/pdf"
            )
        )
        assert any("Só a coordenação ou o setor responsável" in s.text for s in refused)
        got = await wa.say(WA_ANA, "/fluxo fluxo de comunicacao")
        document = next(s for s in got if s.route == "sendMedia")
        assert document.body["fileName"] == "fluxo.pdf"
        assert base64.b64decode(document.body["media"]) == content
