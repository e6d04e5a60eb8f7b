"""A member's own data (LGPD art. 18): /meusdados summarises it in Portuguese with a JSON
file of Portuguese keys; /apagarmeusdados erases the person and keeps the network's
records, which from then on say "representante do setor X" in every view and file."""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import timedelta
from typing import Any

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import func, select

from bot.clock import ManualClock
from bot.messages import ChatKind, Incoming, Person, Reply
from bot.runtime import Runtime
from storage.models import (
    Ata,
    Attendance,
    ChoiceAnswer,
    Contact,
    Delivery,
    Devolutiva,
    Draft,
    Meeting,
    Member,
    Referral,
    Rsvp,
)
from tests.conftest import NOW
from tests.drive import COORDINATOR, Group
from tests.telegram_harness import ANA as TG_ANA
from tests.telegram_harness import GROUP, Harness, buttons

ANA = Person(user_id="2", name="Ana Beatriz", username="ana_saude")
BRUNO = Person(user_id="3", name="Bruno", username="bruno_ct")
JUSTIFICATION = "risco iminente à criança, a Rede precisa decidir o acolhimento"
TOMORROW_9H = NOW.replace(day=24, hour=12)  # 24/11 9h in São Paulo
ATA_TEXT = "Aos vinte e quatro dias de novembro reuniram-se os setores. Tratou-se do CASO-2026-001."
NAME = re.compile(r"\bAna\b|Beatriz|ana_saude")


def _text(replies: list[Reply]) -> str:
    return "\n".join(r.text or r.notice or "" for r in replies)


def _button(replies: list[Reply], label: str) -> str:
    for reply in replies:
        for row in reply.buttons:
            for button in row:
                if label in button.label:
                    return button.data
    raise AssertionError(f"no button {label!r} in {_text(replies)!r}")


async def _private(group: Group, person: Person, text: str) -> list[Reply]:
    head, _sep, args = text[1:].partition(" ")
    return await group.runtime.redebot.handle(
        Incoming(
            platform=group.platform,
            chat_id=person.user_id,
            chat_kind=ChatKind.PRIVATE,
            sender=person,
            text=text,
            command=head,
            args=args,
        )
    )


def _files(replies: list[Reply]) -> dict[str, bytes]:
    return {r.file.filename: r.file.content for r in replies if r.file is not None}


def _pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


async def _count(runtime: Runtime, model: Any, *where: Any) -> int:
    async with runtime.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)))


async def _report_csv(group: Group) -> dict[str, str]:
    """The annual report's CSV files, by name."""
    (archive,) = _files(await group.say(COORDINATOR, "/relatorio 2026 csv")).values()
    with zipfile.ZipFile(io.BytesIO(archive)) as zipped:
        return {n: zipped.read(n).decode("utf-8-sig") for n in zipped.namelist()}


@pytest.fixture
async def group(runtime: Runtime, clock: ManualClock) -> Group:
    """Ana (Saúde) has done a bit of everything: convened two meetings, answered, marked
    her presence, registered an encaminhamento, delivered its devolutiva and the ata."""
    group = Group(runtime)
    group.attach_dispatcher()
    for who, sector in ((COORDINATOR, "CRAS"), (ANA, "Saúde"), (BRUNO, "Conselho Tutelar")):
        await group.seat(who, sector)
    await _private(group, ANA, "/start")
    preview = await group.say(ANA, f"/convocar 24/11 9h | CRAS | CASO-2026-001 | {JUSTIFICATION}")
    convocation = await group.press(ANA, _button(preview, "Enviar"))
    assert "convocada" in _text(convocation).lower(), _text(convocation)
    await group.press(ANA, _button(convocation, "Vou"))
    await group.press(BRUNO, _button(convocation, "Vou"))
    later = await group.say(ANA, f"/convocar 30/11 9h | CREAS | CASO-2026-002 | {JUSTIFICATION}")
    convened = await group.press(ANA, _button(later, "Enviar"))
    await group.press(ANA, _button(convened, "Talvez"))
    await clock.set(TOMORROW_9H - timedelta(minutes=5))
    opened = await group.say(COORDINATOR, "/presenca")
    for who in (ANA, BRUNO):
        await group.press(who, _button(opened, "Presente"))
    said = await group.text(ANA, "/encaminhar Saúde | 10 dias | CASO-2026-001: avaliação")
    assert "E-2026-001" in said, said
    # A quarter of an hour in, the roles are named; the coordination gives the ata to Saúde.
    await clock.set(TOMORROW_9H + timedelta(minutes=15))
    assert runtime.dispatcher is not None
    await runtime.dispatcher.run_due()
    said = await group.text(COORDINATOR, "/trocar ata Saúde")
    assert "Saúde" in said, said
    said = await group.text(ANA, "/devolutiva E-2026-001 avaliação feita, criança no CAPS")
    assert "registrada" in said, said
    await clock.set(TOMORROW_9H + timedelta(hours=2))
    await group.say(COORDINATOR, "/presenca fechar")
    delivered = await group.text(ANA, f"/ata {ATA_TEXT}")
    assert "recebida" in delivered.lower() or "entregue" in delivered.lower(), delivered
    return group


async def test_my_data_comes_privately_as_a_summary_and_a_json_of_portuguese_keys(
    group: Group,
) -> None:
    replies = await group.say(ANA, "/meusdados")
    private = [r for r in replies if r.to_user is not None]
    assert {r.to_user.user_id for r in private if r.to_user} == {ANA.user_id}
    public = _text([r for r in replies if r.to_user is None])
    assert "no privado" in public and "{" not in public
    # The summary travels with the file: were the private chat to fail, neither would
    # reach the group (delivery.Courier shows only a line asking for /start).
    (summary,) = [r.text for r in private if r.file is not None]
    for line in (
        "Nome: Ana Beatriz",
        "Usuário: @ana_saude",
        "Setor: Saúde",
        "Conversa privada comigo desde 23/11/2026",
        "2 respostas a reuniões (1 vou, 0 não vou, 1 talvez; 0 com motivo)",
        "1 presença em reunião",
        "1 devolutiva entregue: E-2026-001",
        "1 ata entregue (reunião de 24/11/2026)",
        "1 encaminhamento registrado: E-2026-001",
        "2 reuniões convocadas (24/11/2026, 30/11/2026)",
        "“representante do setor Saúde”",
        "30 dias",
        "/apagarmeusdados",
    ):
        assert line in summary, (line, summary)
    assert len(summary) < 4096
    (content,) = _files(private).values()
    data = json.loads(content)
    assert data["voce"]["nome"] == "Ana Beatriz" and data["voce"]["setor"] == "Saúde"
    assert data["presencas"] == [
        {
            "reuniao": "2026-11-24T09:00-03:00",
            "presente": True,
            "marcada_por": "você",
            "setor": "Saúde",
        }
    ]
    assert [a["resposta"] for a in data["respostas_as_reunioes"]] == ["vou", "talvez"]
    assert data["devolutivas_entregues"][0]["texto"] == "avaliação feita, criança no CAPS"
    assert data["atas_entregues"][0]["situacao"] == "entregue"
    assert data["prazos_de_guarda"]["mensagens_enviadas_pelo_bot_dias"] == 30

    def keys(value: Any) -> set[str]:
        if isinstance(value, dict):
            return set(value) | {k for v in value.values() for k in keys(v)}
        if isinstance(value, list):
            return {k for v in value for k in keys(v)}
        return set()

    english = {"name", "sector", "network", "meeting", "answer", "presence", "since", "code"}
    assert not keys(data) & english


async def test_erasing_keeps_the_records_naming_the_sector_in_every_view(group: Group) -> None:
    runtime = group.runtime
    # The coordination approves the ata Ana delivered: it goes into the year's book.
    asked = await group.say(COORDINATOR, "/ata aprovar")
    await group.press(COORDINATOR, _button(asked, "Aprovar"))
    before = await _count(runtime, Attendance)
    report_before = await _report_csv(group)
    ask = await group.say(ANA, "/apagarmeusdados")
    asked = _text(ask)
    assert "Ana Beatriz" in asked and "“representante do setor Saúde”" in asked
    refused = await group.press(BRUNO, _button(ask, "Apagar"))
    assert "Só quem pediu" in _text(refused)
    assert await _count(runtime, Member, Member.user_id == ANA.user_id) == 1
    done = await group.press(ANA, _button(ask, "Apagar"))
    assert "agora dizem “representante do setor Saúde”" in _text(done), _text(done)

    # The person is gone: member, answers, private chat, previews, poll answers.
    assert await _count(runtime, Member, Member.user_id == ANA.user_id) == 0
    assert await _count(runtime, Rsvp) == 1  # Bruno's
    assert await _count(runtime, Contact, Contact.user_id == ANA.user_id) == 0
    assert await _count(runtime, Draft, Draft.user_id == ANA.user_id) == 0
    assert await _count(runtime, ChoiceAnswer, ChoiceAnswer.user_id == ANA.user_id) == 0
    # The network's records stay, naming nobody.
    assert await _count(runtime, Attendance) == before
    async with runtime.sessions() as session:
        payloads = (await session.scalars(select(Delivery.payload))).all()
        people = [p for d in payloads for p in [*(d.get("mentions") or ()), d.get("to_user")]]
        assert ANA.user_id not in {str(p["user_id"]) for p in people if p}
        erased = await session.scalar(select(Attendance).where(Attendance.marked_by == "erased"))
        assert erased is not None and erased.member_id is None and erased.present
        devolutiva = await session.scalar(select(Devolutiva))
        assert devolutiva is not None and devolutiva.answered_by_id is None
        assert devolutiva.text == "avaliação feita, criança no CAPS"
        referral = await session.scalar(select(Referral))
        assert referral is not None and referral.created_by_id is None
        ata = await session.scalar(select(Ata))
        assert ata is not None and ata.status == "approved" and ata.delivered_by_id is None
        meetings = (await session.scalars(select(Meeting).order_by(Meeting.starts_at))).all()
        assert [m.convened_by_id for m in meetings] == [None, None]
        assert all(m.convened_by_sector_id is not None for m in meetings)

    # Every later view names the sector, never her.
    listing = await group.say(COORDINATOR, "/presenca lista")
    files = _files(listing)
    (csv_name,) = [n for n in files if n.endswith(".csv")]
    (pdf_name,) = [n for n in files if n.endswith(".pdf")]
    csv_text = files[csv_name].decode("utf-8-sig")
    assert "Saúde;representante do setor Saúde;Presente" in csv_text, csv_text
    pdf = _pdf_text(files[pdf_name])
    assert "representante do setor Saúde" in pdf
    for shown in (csv_text, pdf, _text(listing)):
        assert not NAME.search(shown), shown
    # The year's figures are the same: Saúde was present, though nobody represents it now.
    report = await _report_csv(group)
    assert report == report_before
    assert "Saúde;1;1;100%" in report["presenca.csv"], report["presenca.csv"]
    assert not NAME.search("\n".join(report.values()))
    xlsx = _files(await group.say(COORDINATOR, "/relatorio 2026 xlsx"))
    (book,) = xlsx.values()
    cells = [
        str(c)
        for sheet in load_workbook(io.BytesIO(book)).worksheets
        for row in sheet.iter_rows(values_only=True)
        for c in row
        if c is not None
    ]
    assert "representante do setor Saúde" in cells and not NAME.search(" ".join(cells))
    pdf_report = _files(await group.say(COORDINATOR, "/relatorio 2026"))
    pdf_text = _pdf_text(next(iter(pdf_report.values())))
    assert "representante do setor Saúde" in pdf_text and not NAME.search(pdf_text)
    atas_book = _files(await group.say(COORDINATOR, "/atas 2026"))
    assert not NAME.search(_pdf_text(next(iter(atas_book.values()))))


async def test_the_ata_draft_names_the_sector_of_whoever_erased_their_data(
    runtime: Runtime, clock: ManualClock
) -> None:
    from bot.services import atas
    from storage import repo

    group = Group(runtime)
    for who, sector in ((COORDINATOR, "CRAS"), (ANA, "Saúde")):
        await group.seat(who, sector)
    await group.convene(COORDINATOR, f"/convocar 24/11 9h | CRAS | CASO-2026-001 | {JUSTIFICATION}")
    await clock.set(TOMORROW_9H - timedelta(minutes=5))
    opened = await group.say(COORDINATOR, "/presenca")
    await group.press(ANA, _button(opened, "Presente"))
    ask = await group.say(ANA, "/apagarmeusdados")
    await group.press(ANA, _button(ask, "Apagar"))
    # Someone else of Saúde marked later: her presence stays beside theirs.
    helena = Person(user_id="7", name="Helena")
    await group.seat(helena, "Saúde")
    await group.press(helena, _button(opened, "Presente"))
    assert await _count(runtime, Attendance, Attendance.marked_by == "erased") == 1
    shown = await group.text(COORDINATOR, "/presenca")
    assert "representante do setor Saúde" in shown and "Helena" in shown
    async with runtime.sessions() as session:
        network = await repo.network_by_chat(
            session=session, platform="test", chat_id=group.chat_id
        )
        meeting = await session.scalar(select(Meeting))
        assert network is not None and meeting is not None
        draft = await atas.draft(session, network, meeting)
    present = {sector: set(people) for sector, people in draft.present}
    assert present["Saúde"] == {"representante do setor Saúde", "Helena"}
    assert not any(NAME.search(p) for people in present.values() for p in people)


async def test_keeping_my_data_changes_nothing(group: Group) -> None:
    ask = await group.say(ANA, "/apagarmeusdados")
    kept = await group.press(ANA, _button(ask, "Manter"))
    assert "Nada foi apagado" in _text(kept)
    assert await _count(group.runtime, Member, Member.user_id == ANA.user_id) == 1
    assert await _count(group.runtime, Rsvp) == 3


# --- in the private chat: for someone who left the group, or who would rather not ask there


async def _private_press(group: Group, person: Person, data: str) -> list[Reply]:
    return await group.runtime.redebot.handle(
        Incoming(
            platform=group.platform,
            chat_id=person.user_id,
            chat_kind=ChatKind.PRIVATE,
            sender=person,
            button=data,
            message_id="77",
        )
    )


async def test_my_data_in_private_needs_no_group(group: Group) -> None:
    # Ana left the group: she still asks in the private chat, and gets all of it there.
    (reply,) = await _private(group, ANA, "/meusdados")
    assert reply.to_user is None and reply.file is not None
    for line in ("Nome: Ana Beatriz", "Setor: Saúde", "1 devolutiva entregue: E-2026-001"):
        assert line in reply.text, (line, reply.text)
    assert "Também em" not in reply.text  # every network is listed right here
    (data,) = json.loads(reply.file.content)["redes"]
    assert data["voce"]["nome"] == "Ana Beatriz" and data["rede"] == "Rede Teste"


async def test_erasing_in_private_asks_per_network_and_erases_only_the_one_chosen(
    group: Group,
) -> None:
    runtime = group.runtime
    other = Group(runtime, chat_id="-100300")
    await other.seat(COORDINATOR, "CRAS")
    await other.seat(ANA, "Educação")
    (both,) = await _private(group, ANA, "/meusdados")
    assert both.file is not None
    exported = json.loads(both.file.content)
    assert [n["voce"]["setor"] for n in exported["redes"]] == ["Saúde", "Educação"]
    assert "Setor: Saúde" in both.text and "Setor: Educação" in both.text

    asks = await _private(group, ANA, "/apagarmeusdados")
    assert len(asks) == 2 and all(r.buttons and r.to_user is None for r in asks)
    # Both networks are called "Rede Teste": the sector she speaks for tells them apart.
    assert [r.text.split("\n")[0] for r in asks] == [
        "📋 Rede Teste (você: Saúde)",
        "📋 Rede Teste (você: Educação)",
    ]
    assert "“representante do setor Educação”" in asks[1].text
    # Bruno cannot press Ana's buttons, even in his own private chat.
    refused = await _private_press(group, BRUNO, _button([asks[1]], "Apagar"))
    assert "não vale mais" in _text(refused), _text(refused)
    assert await _count(runtime, Member, Member.user_id == ANA.user_id) == 2

    done = await _private_press(group, ANA, _button([asks[1]], "Apagar"))
    assert done[0].edit and done[0].text.startswith("📋 Rede Teste (você: Educação)")
    assert "no grupo dessa Rede" in done[0].text
    assert "agora dizem “representante do setor Educação”" in _text(done), _text(done)
    members = await _count(runtime, Member, Member.user_id == ANA.user_id)
    assert members == 1  # her membership in the first network stays
    assert "Ana Beatriz" not in await other.text(COORDINATOR, "/setores")
    assert "Ana Beatriz" in await group.text(COORDINATOR, "/setores")
    # Her private chat stays too: another network still knows her.
    assert await _count(runtime, Contact, Contact.user_id == ANA.user_id) == 1
    again = await _private_press(group, ANA, _button([asks[1]], "Apagar"))
    assert "não vale mais" in _text(again), _text(again)

    kept = await _private_press(group, ANA, _button([asks[0]], "Manter"))
    assert "Nada foi apagado" in _text(kept)
    last = await _private_press(group, ANA, _button([asks[0]], "Apagar"))
    assert "agora dizem “representante do setor Saúde”" in _text(last), _text(last)
    assert await _count(runtime, Member, Member.user_id == ANA.user_id) == 0
    assert await _count(runtime, Contact, Contact.user_id == ANA.user_id) == 0


async def test_a_stranger_in_private_is_told_nothing_is_held(group: Group) -> None:
    stranger = Person(user_id="99", name="Alguém")
    for command in ("/meusdados", "/apagarmeusdados"):
        (said,) = await _private(group, stranger, command)
        assert "Não guardo nada sobre você" in said.text and "30 dias" in said.text
        assert not said.buttons and said.file is None
    # The other commands still point to the group, and say what works here.
    (hint,) = await _private(group, stranger, "/proxima")
    assert "grupo da Rede" in hint.text and "/meusdados" in hint.text
    (start,) = await _private(group, stranger, "/start")
    assert "/apagarmeusdados" in start.text


async def test_a_group_button_pressed_in_private_changes_nothing(group: Group) -> None:
    ask = await group.say(COORDINATOR, "/gerarcalendario 2027 2ª terça 14h CRAS")
    (confirm,) = [b.data for r in ask for row in r.buttons for b in row if ":ok:" in b.data]
    said = await _private_press(group, COORDINATOR, confirm)
    assert "não vale mais" in _text(said), _text(said)
    async with group.runtime.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Meeting)) == 2


async def test_over_telegram_the_private_chat_shows_and_erases(seated_group: Harness) -> None:
    """The real client and the fake Bot API: the file and the question come in the private
    chat, the press there edits that message, and the member row is gone."""
    tg = seated_group
    mark = tg.api.mark()
    tg.api.private_message(TG_ANA, "/meusdados")
    sent = await tg.api.wait_for_message(TG_ANA.id, since=mark)
    assert sent["document"]["file_name"] == "meus-dados.json"
    assert "Setor: Saúde" in sent.get("caption", "") + sent.get("text", "")
    mark = tg.api.mark()
    tg.api.private_message(TG_ANA, "/apagarmeusdados")
    ask = await tg.api.wait_for_message(TG_ANA.id, "apagar o que guardo", since=mark)
    assert ask["text"].startswith("📋 Rede Teste") and ask["chat"]["type"] == "private"
    erase = next(b for b in buttons(ask) if b.startswith("v1:erase:") and b.endswith(":ok"))
    mark = tg.api.mark()
    tg.api.press_button(ask, erase, TG_ANA)
    edit = await tg.api.wait_for_call("editMessageText", since=mark)
    assert edit.params["chat_id"] == TG_ANA.id and "apaguei" in edit.params["text"]
    await tg.api.wait_for_call("answerCallbackQuery", since=mark)
    async with tg.runtime.sessions() as session:
        left = await session.scalar(
            select(func.count()).select_from(Member).where(Member.user_id == str(TG_ANA.id))
        )
    assert left == 0
    # Nothing about it reached the group.
    assert not [c for c in tg.api.calls_since(mark) if c.params.get("chat_id") == GROUP]


async def test_in_private_the_network_s_language_is_spoken(group: Group) -> None:
    said = await group.text(COORDINATOR, "/idioma es")
    assert "es" in said.lower(), said
    (reply,) = await _private(group, ANA, "/meusdados")
    assert "Todo en detalle (JSON)" in reply.text and "Tudo em detalhe" not in reply.text


async def test_over_telegram_a_blocked_private_chat_is_not_said_to_have_worked(
    seated_group: Harness,
) -> None:
    """Ana wrote to the bot once, then blocked it: /meusdados in the group gets the line
    asking her for /start, and no "I sent your data in private"."""
    tg = seated_group
    tg.api.private_message(TG_ANA, "/start")
    await tg.api.wait_for_message(TG_ANA.id)
    mark = tg.api.mark()
    tg.api.fail_next("sendDocument", 403, chat_id=TG_ANA.id)
    tg.api.group_message(GROUP, TG_ANA, "/meusdados")
    await tg.api.wait_for_message(GROUP, contains="mande /start", since=mark)
    await tg.say(TG_ANA, "/proxima")  # the update's replies are all out by this answer
    public = [
        c.params.get("text") or c.params.get("caption") or ""
        for c in tg.api.calls_since(mark)
        if c.params.get("chat_id") == GROUP
    ]
    assert not any("mandei os seus dados" in text for text in public), public
    assert not any(
        c.method == "sendDocument"
        for c in tg.api.calls_since(mark)
        if c.params.get("chat_id") == GROUP
    )
