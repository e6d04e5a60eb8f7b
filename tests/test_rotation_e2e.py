"""Secretary and ata author by rotation, and the ata until approval, in a Telegram group."""

from __future__ import annotations

import hashlib
import io
import itertools
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from bot.clock import ManualClock
from bot.messages import Person
from bot.runtime import Runtime
from storage.models import Ata, Meeting, RoleAssignment, Sector
from tests import drive
from tests.conftest import NOW
from tests.drive import Group
from tests.office_files import docx_file, odt_file, pdf_file, scanned_pdf
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

JUSTIFICATION = "avaliar os fluxos de atendimento com todos os setores"
ATA_TEXT = (
    "Aos vinte e quatro dias de novembro, reuniram-se os setores da Rede. "
    "Foi discutido o fluxo de atendimento do CASO-2025-014."
)
MEETING_START = NOW.replace(day=24, hour=17)  # 24/11 14h in São Paulo


@pytest.fixture
async def tg(sqlite_url: str, clock: ManualClock) -> AsyncIterator[Harness]:
    async with running_bot(sqlite_url, clock) as harness:
        await harness.seat_members()
        await harness.convene(COORD, f"/convocar 24/11 14h | CRAS | fluxos | {JUSTIFICATION}")
        yield harness


async def _open_meeting(tg: Harness) -> dict[str, Any]:
    """At the meeting, the coordinator opens the presence list and everyone taps ✋; a
    quarter of an hour into the meeting the roles are named. Returns the roles message."""
    await tg.clock.set(MEETING_START - timedelta(minutes=5))
    mark = tg.api.mark()
    tg.api.group_message(GROUP, COORD, "/presenca")
    opened = await tg.api.wait_for_message(GROUP, "Lista de presença", since=mark)
    await tg.api.wait_for_message(GROUP, "às 14h15", since=mark)
    for user in (ANA, BRUNO, DORA, COORD):
        await tg.press(opened, buttons(opened)[0], user)
    await tg.clock.set(MEETING_START + timedelta(minutes=15))
    mark = tg.api.mark()
    await tg.dispatcher.run_due()
    roles = await tg.api.wait_for_message(GROUP, "Secretaria", since=mark)
    await tg.api.wait_for_message(GROUP, "Rascunho da ata", since=mark)
    return roles


async def test_roles_are_named_when_the_meeting_opens(tg: Harness) -> None:
    roles = await _open_meeting(tg)
    # Nobody has served yet: the first sectors in Portuguese order (accents and case
    # ignored: Conselho Tutelar before CRAS); the ata goes to another sector.
    assert "Secretaria: Conselho Tutelar" in roles["text"]
    assert "Ata: CRAS" in roles["text"]
    assert len(buttons(roles)) == 4
    mentioned = {e["user"]["id"] for e in roles.get("entities", []) if "user" in e}
    assert mentioned == {BRUNO.id, COORD.id}
    draft = tg.api.sent_messages(GROUP)[-1]
    assert "Rascunho da ata" in draft["text"]
    assert JUSTIFICATION in draft["text"] and "/ata" in draft["text"]
    assert "Secretaria: Conselho Tutelar" in draft["text"]


async def test_roles_go_to_the_sectors_present_not_to_those_expected(tg: Harness) -> None:
    await tg.clock.set(MEETING_START + timedelta(minutes=5))
    mark = tg.api.mark()
    await tg.dispatcher.run_due()  # the start row: no list yet, nothing is said
    tg.api.group_message(GROUP, COORD, "/presenca")
    opened = await tg.api.wait_for_message(GROUP, "Lista de presença", since=mark)
    planned = await tg.api.wait_for_message(GROUP, "Secretaria e responsável pela ata", since=mark)
    assert "14h20" in planned["text"]
    # Only Saúde and CREAS arrive; Conselho Tutelar and CRAS, first in order, do not.
    await tg.press(opened, buttons(opened)[0], ANA)
    await tg.press(opened, buttons(opened)[0], DORA)
    await tg.clock.set(MEETING_START + timedelta(minutes=19))
    await tg.dispatcher.run_due()
    said = [c.params["text"] for c in tg.api.calls_since(mark) if c.method == "sendMessage"]
    assert not any("Secretaria:" in text for text in said)
    # Opening the list again does not put the naming off.
    again = tg.api.mark()
    tg.api.group_message(GROUP, COORD, "/presenca")
    await tg.api.wait_for_message(GROUP, "Lista de presença", since=again)
    await tg.clock.set(MEETING_START + timedelta(minutes=20))
    await tg.dispatcher.run_due()
    roles = await tg.api.wait_for_message(GROUP, "Secretaria:", since=mark)
    assert "Secretaria: CREAS" in roles["text"] and "Ata: Saúde" in roles["text"]
    reopened = [c.params["text"] for c in tg.api.calls_since(again) if c.method == "sendMessage"]
    assert not any("escolhidas" in text for text in reopened)
    async with tg.runtime.sessions() as session:
        rows = (await session.scalars(select(RoleAssignment))).all()
    assert {(r.role, r.status) for r in rows} == {("secretary", "proposed"), ("author", "proposed")}


async def test_i_cant_passes_the_role_on_and_the_group_is_told(tg: Harness) -> None:
    roles = await _open_meeting(tg)
    secretary_no = buttons(roles)[1]
    mark = tg.api.mark()
    tg.api.press_button(roles, secretary_no, ANA)  # not her sector
    refused = await tg.api.wait_for_call("answerCallbackQuery", since=mark)
    assert "representante" in refused.params["text"]
    mark = tg.api.mark()
    await tg.press(roles, secretary_no, BRUNO)
    told = await tg.api.wait_for_message(GROUP, "não pode", since=mark)
    assert "Conselho Tutelar não pode" in told["text"] and "CREAS" in told["text"]
    edited = tg.api.calls_of("editMessageText")[-1]
    assert "Secretaria: CREAS" in edited.params["text"]
    current = tg.api.message(GROUP, roles["message_id"])
    assert current is not None
    accept = [d for d in buttons(current) if d.endswith(":ok")]
    await tg.press(current, accept[0], DORA)
    edited = tg.api.calls_of("editMessageText")[-1]
    assert "Secretaria: CREAS ✅" in edited.params["text"]


async def test_the_ata_author_is_reminded_in_private_and_the_group_once(tg: Harness) -> None:
    """Issue 14: the group hears of a due ata on its deadline only; the daily reminders
    after it go to the author in private; the coordination hears it is late, not the group."""
    await _open_meeting(tg)
    mark = tg.api.mark()
    tg.api.private_message(COORD, "/start")  # the ata's author (CRAS) can be written to
    await tg.api.wait_for_message(COORD.id, since=mark)
    group_before = len(tg.api.sent_messages(GROUP))
    await tg.clock.set(NOW.replace(day=30, hour=10))  # the deadline (its Sunday waited)
    await tg.dispatcher.run_due()
    first = [m for m in tg.api.sent_messages(GROUP)[group_before:] if "Lembrete" in m["text"]]
    assert len(first) == 1 and "CRAS" in first[0]["text"]
    private_before = len(tg.api.sent_messages(COORD.id))
    for day in (1, 2, 3):
        await tg.clock.set(NOW.replace(day=30, hour=10) + timedelta(days=day))
        await tg.dispatcher.run_due()
    in_group = tg.api.sent_messages(GROUP)[group_before:]
    assert len([m for m in in_group if "Lembrete" in m["text"]]) == 1
    assert not [m for m in in_group if "atrasada" in m["text"]]
    private = tg.api.sent_messages(COORD.id)[private_before:]
    assert len([m for m in private if "Lembrete" in m["text"]]) == 3
    assert [m for m in private if "3 dias" in m["text"]]  # the coordination's notice


async def test_the_coordinator_swaps_and_rodizio_explains_the_order(tg: Harness) -> None:
    await _open_meeting(tg)
    swapped = await tg.say(COORD, "/trocar ata Saúde")
    assert "Ata: Saúde ✅" in swapped["text"]
    vague = await tg.say(COORD, "/trocar Saúde")
    assert "secretaria ou ata" in vague["text"]
    listing = await tg.say(ANA, "/rodizio")
    assert "Rodízio da secretaria e da ata" in listing["text"]
    assert "Saúde — 1 vez em 2026 (secretaria 0, ata 1), a última em 24/11" in listing["text"]
    assert "CREAS — ainda não serviu" in listing["text"]


async def test_the_ata_is_chased_delivered_and_approved(tg: Harness) -> None:
    await _open_meeting(tg)
    # Past the deadline (5 days), the author is reminded; 3 days later the coordination.
    await tg.clock.set(MEETING_START + timedelta(days=5, minutes=1))
    mark = tg.api.mark()
    await tg.dispatcher.run_due()
    # That is a Sunday: the reminder waits for Monday at 7h (quiet hours).
    assert not [c for c in tg.api.calls_since(mark) if c.method == "sendMessage"]
    await tg.clock.set(NOW.replace(day=30, hour=10))
    await tg.dispatcher.run_due()
    reminder = await tg.api.wait_for_message(GROUP, "ata", since=mark)
    assert "Lembrete" in reminder["text"] and "CRAS" in reminder["text"]
    await tg.clock.set(MEETING_START + timedelta(days=8, minutes=1))
    mark = tg.api.mark()
    await tg.dispatcher.run_due()
    late = await tg.api.wait_for_message(GROUP, "atrasada", since=mark)
    assert "3 dias" in late["text"]

    nothing = await tg.say(ANA, f"/ata {ATA_TEXT}")
    assert "Não há ata esperando" in nothing["text"]
    short = await tg.say(COORD, "/ata curta")
    assert "curta" in short["text"]
    with_cpf = await tg.say(COORD, f"/ata {ATA_TEXT} CPF 529.982.247-25")
    assert "CPF" in with_cpf["text"] and "529" not in with_cpf["text"]
    received = await tg.say(COORD, f"/ata {ATA_TEXT}")
    assert "recebida" in received["text"]
    mark = tg.api.mark()
    await tg.clock.advance(timedelta(days=1))
    await tg.dispatcher.run_due()
    assert not [c for c in tg.api.calls_since(mark) if c.method == "sendMessage"]

    member = await tg.say(ANA, "/ata aprovar")
    assert "coordenação" in member["text"].lower()
    returned = await tg.say(COORD, "/ata corrigir faltou registrar os encaminhamentos")
    assert "correção" in returned["text"]
    await tg.say(COORD, f"/ata {ATA_TEXT} Encaminhamentos: nenhum.")
    # One ata waits: /ata aprovar shows it with one button (an approval is final).
    asked = await tg.say(COORD, "/ata aprovar")
    assert "aguarda aprovação" in asked["text"] and buttons(asked)
    async with tg.runtime.sessions() as session:
        assert await session.scalar(select(Ata.status)) == "delivered"
    mark = tg.api.mark()
    await tg.press(asked, buttons(asked)[0], COORD)
    approved = (await tg.api.wait_for_call("editMessageText", since=mark)).params
    digest = hashlib.sha256(f"{ATA_TEXT} Encaminhamentos: nenhum.".encode()).hexdigest()
    # Issue 14: a short verification code in the group; the full SHA-256 in the book.
    assert digest not in approved["text"]
    code = f"{digest[:5]}-{digest[5:10]}".upper()
    assert f"Código de verificação: {code}" in approved["text"] and "/atas 2026" in approved["text"]
    async with tg.runtime.sessions() as session:
        ata = await session.scalar(select(Ata))
    assert ata is not None and ata.status == "approved" and ata.sha256 == digest
    frozen = await tg.say(COORD, "/ata outro texto que tentaria mudar a ata aprovada")
    assert "Não há ata esperando" in frozen["text"]

    mark = tg.api.mark()
    tg.api.group_message(GROUP, ANA, "/atas 2026")
    call = await tg.api.wait_for_call("sendDocument", since=mark)
    name, pdf = next(iter(call.files.values()))
    assert name.endswith(".pdf")
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "reuniram-se os setores" in text
    assert digest in text.replace("\n", "").replace(" ", "")
    assert code in text


@pytest.mark.parametrize(
    ("filename", "content", "kinds"),
    [
        # In a table cell, and in the page header: every part of the file is read.
        ("ata.docx", docx_file([ATA_TEXT], table=["CPF da mãe 529.982.247-25"]), "um CPF"),
        ("ata.docx", docx_file([ATA_TEXT], header="mãe: (27) 99988-7766"), "um telefone"),
        ("ata.odt", odt_file([ATA_TEXT, "a criança Pedro Henrique Souza"]), "um nome de pessoa"),
        ("ata.odt", odt_file([ATA_TEXT], footer="RG 12.345.678"), "um RG"),
        (
            "ata.pdf",
            pdf_file([[ATA_TEXT[:70]], ["mora na Rua Sete de Setembro, 230"]]),
            "um endereço",
        ),
    ],
)
async def test_an_ata_file_is_screened_like_a_typed_ata(
    tg: Harness, filename: str, content: bytes, kinds: str
) -> None:
    await _open_meeting(tg)
    mark = tg.api.mark()
    tg.api.document_message(GROUP, COORD, filename, content, caption="/ata")
    refused = await tg.api.wait_for_message(GROUP, "Não guardei", since=mark)
    assert f"ele tem {kinds}." in refused["text"] and "CASO-2025-014" in refused["text"]
    for value in ("529", "99988", "Pedro", "12.345", "Setembro"):
        assert value not in refused["text"]
    async with tg.runtime.sessions() as session:
        ata = await session.scalar(select(Ata))
    assert ata is not None and ata.file_content is None and ata.text is None
    assert ata.status != "delivered"

    clean = docx_file([ATA_TEXT, "Encaminhamentos: CASO-2025-014 para o CREAS até 10/12."])
    mark = tg.api.mark()
    tg.api.document_message(GROUP, COORD, "ata.docx", clean, caption="/ata")
    await tg.api.wait_for_message(GROUP, "recebida", since=mark)
    async with tg.runtime.sessions() as session:
        ata = await session.scalar(select(Ata))
    assert ata is not None and ata.file_content == clean and ata.status == "delivered"


async def test_an_ata_file_whose_name_has_personal_data_is_refused(tg: Harness) -> None:
    await _open_meeting(tg)
    clean = docx_file([ATA_TEXT])
    for name, kinds in (
        ("ata_criança_Pedro_Henrique_Souza.docx", "um nome de pessoa"),
        ("ata_CPF_529.982.247-25.docx", "um CPF"),
    ):
        mark = tg.api.mark()
        tg.api.document_message(GROUP, COORD, name, clean, caption="/ata")
        refused = await tg.api.wait_for_message(GROUP, "Não guardei", since=mark)
        assert f"o nome dele tem {kinds}." in refused["text"], refused["text"]
        assert "Pedro" not in refused["text"] and "529" not in refused["text"]
        assert "Exemplo: /ata" in refused["text"]
    mark = tg.api.mark()
    tg.api.document_message(GROUP, COORD, "a" * 252 + ".docx", clean, caption="/ata")
    too_long = await tg.api.wait_for_message(GROUP, "longo demais", since=mark)
    assert "no máximo 255 caracteres" in too_long["text"]
    async with tg.runtime.sessions() as session:
        ata = await session.scalar(select(Ata))
    assert ata is not None and ata.file_name is None and ata.status != "delivered"


async def test_an_ata_file_whose_text_cannot_be_read_is_refused(tg: Harness) -> None:
    await _open_meeting(tg)
    for name, content in (("scan.pdf", scanned_pdf()), ("ata.pdf", b"%PDF-1.4 ata")):
        mark = tg.api.mark()
        tg.api.document_message(GROUP, COORD, name, content, caption="/ata")
        refused = await tg.api.wait_for_message(GROUP, "Não consegui ler", since=mark)
        assert "digitalização" in refused["text"] and "Exemplo: /ata" in refused["text"]
    async with tg.runtime.sessions() as session:
        ata = await session.scalar(select(Ata))
    assert ata is not None and ata.file_content is None and ata.status != "delivered"


async def test_the_draft_of_the_ata_filled_in_passes_the_screen(tg: Harness) -> None:
    await _open_meeting(tg)
    draft = tg.api.sent_messages(GROUP)[-1]["text"]
    assert "Rascunho da ata" in draft and "Presentes:" in draft
    assert "Discussões:" in draft
    filled = draft.replace("Discussões:", f"Discussões: {ATA_TEXT}")
    received = await tg.say(COORD, f"/ata {filled}")
    assert "recebida" in received["text"], received["text"]


async def test_an_ata_file_is_kept_and_sent_with_the_book(tg: Harness) -> None:
    await _open_meeting(tg)
    ata_pdf = pdf_file([[ATA_TEXT[:70], ATA_TEXT[70:]]])
    mark = tg.api.mark()
    tg.api.document_message(GROUP, COORD, "ata-24-11.pdf", ata_pdf, caption="/ata")
    await tg.api.wait_for_message(GROUP, "recebida", since=mark)
    asked = await tg.say(COORD, "/ata aprovar")
    await tg.press(asked, buttons(asked)[0], COORD)
    mark = tg.api.mark()
    tg.api.group_message(GROUP, COORD, "/atas")
    book = await tg.api.wait_for_call("sendDocument", since=mark)
    original = await tg.api.wait_for_call("sendDocument", since=mark)
    assert next(iter(book.files.values()))[0].endswith(".pdf")
    assert next(iter(original.files.values())) == ("ata-24-11.pdf", ata_pdf)
    wrong = await tg.say(COORD, "/ata")
    assert "Nenhuma ata pendente" in wrong["text"]


async def _open_december_meeting(tg: Harness) -> None:
    """08/12's ordinary meeting: the list opens, the coordination is present, the roles
    and the ata's draft come a quarter of an hour in."""
    await tg.clock.set(NOW.replace(day=8, month=12, hour=16, minute=55))  # 13h55 local
    mark = tg.api.mark()
    tg.api.group_message(GROUP, COORD, "/presenca")
    opened = await tg.api.wait_for_message(GROUP, "Lista de presença", since=mark)
    await tg.press(opened, buttons(opened)[0], COORD)
    await tg.clock.set(NOW.replace(day=8, month=12, hour=17, minute=15))
    mark = tg.api.mark()
    await tg.dispatcher.run_due()
    await tg.api.wait_for_message(GROUP, "Rascunho da ata", since=mark)


async def _two_atas_waiting(tg: Harness) -> None:
    """24/11's and 08/12's atas delivered, neither approved."""
    await _open_meeting(tg)
    await tg.say(COORD, f"/ata {ATA_TEXT}")
    preview = await tg.say(COORD, "/gerarcalendario 2026 2ª terça 14h CRAS")
    await tg.press(preview, buttons(preview)[0], COORD)
    await _open_december_meeting(tg)
    await tg.say(COORD, f"/ata {ATA_TEXT} Segunda reunião.")


async def test_the_coordination_picks_which_ata_it_approves(tg: Harness) -> None:
    await _two_atas_waiting(tg)

    # Two atas wait: plain /ata aprovar asks which, and approves nothing yet.
    asked = await tg.say(COORD, "/ata aprovar")
    assert "2 atas aguardam aprovação" in asked["text"]
    labels = [b["text"] for row in asked["reply_markup"]["inline_keyboard"] for b in row]
    assert labels == [
        "✅ Reunião extraordinária de terça, 24/11 às 14h",
        "✅ Reunião ordinária de terça, 08/12 às 14h",
    ]
    async with tg.runtime.sessions() as session:
        states = (await session.scalars(select(Ata.status))).all()
    assert list(states) == ["delivered", "delivered"]
    mark = tg.api.mark()
    tg.api.press_button(asked, buttons(asked)[1], ANA)  # not the coordination
    refused = await tg.api.wait_for_call("answerCallbackQuery", since=mark)
    assert "coordenação" in refused.params.get("text", "").lower()
    mark = tg.api.mark()
    await tg.press(asked, buttons(asked)[1], COORD)
    edited = await tg.api.wait_for_call("editMessageText", since=mark)
    assert "ordinária de terça, 08/12 às 14h aprovada" in edited.params["text"]
    mark = tg.api.mark()
    tg.api.press_button(asked, buttons(asked)[1], COORD)  # pressed again
    again = await tg.api.wait_for_call("answerCallbackQuery", since=mark)
    assert "não aguarda mais aprovação" in again.params.get("text", "")

    # By the meeting's day; a day without a delivered ata says which ones wait.
    wrong_day = await tg.say(COORD, "/ata aprovar 25/11")
    assert "Nenhuma ata de reunião em 25/11" in wrong_day["text"]
    assert "Aguardando: 24/11" in wrong_day["text"]
    assert "Exemplo: /ata aprovar 24/11" in wrong_day["text"]
    approved = await tg.say(COORD, "/ata aprovar 24/11")
    assert "extraordinária de terça, 24/11 às 14h aprovada" in approved["text"]
    none_left = await tg.say(COORD, "/ata aprovar")
    assert "Nenhuma ata está esperando aprovação" in none_left["text"]


async def test_a_correction_with_two_atas_waiting_names_the_day(tg: Harness) -> None:
    await _two_atas_waiting(tg)
    which = await tg.say(COORD, "/ata corrigir faltou a lista de presença")
    assert "2 atas aguardam aprovação (24/11, 08/12)" in which["text"]
    assert "Exemplo: /ata corrigir 08/12 faltou a lista de presença" in which["text"]
    returned = await tg.say(COORD, "/ata corrigir 24/11 faltou a lista de presença")
    assert "correção da ata de terça, 24/11" in returned["text"]
    async with tg.runtime.sessions() as session:
        rows = (await session.scalars(select(Ata).order_by(Ata.meeting_id))).all()
    assert [r.status for r in rows] == ["returned", "delivered"]


async def test_without_a_presence_list_the_roles_come_from_the_rsvps(tg: Harness) -> None:
    convocation = next(m for m in tg.api.sent_messages(GROUP) if "convocada" in m.get("text", ""))
    yes, no = (next(d for d in buttons(convocation) if d.split(":")[3] == a) for a in "yn")
    await tg.press(convocation, no, BRUNO)  # Conselho Tutelar will not come
    await tg.press(convocation, yes, DORA)  # CREAS will; Saúde does not answer
    # At the start, nobody has opened a presence list: the roles wait for one.
    await tg.clock.set(MEETING_START)
    mark = tg.api.mark()
    await tg.dispatcher.run_due()
    await tg.clock.set(MEETING_START + timedelta(minutes=29))
    await tg.dispatcher.run_due()
    assert not [c for c in tg.api.calls_since(mark) if c.method == "sendMessage"]
    # Half an hour in, still no list: CRAS (it convened) and CREAS (it said "vou").
    await tg.clock.set(MEETING_START + timedelta(minutes=30))
    await tg.dispatcher.run_due()
    roles = await tg.api.wait_for_message(GROUP, "Secretaria", since=mark)
    assert "Secretaria: CRAS" in roles["text"] and "Ata: CREAS" in roles["text"]
    assert "Conselho Tutelar" not in roles["text"] and "Saúde" not in roles["text"]
    # Opening the list afterwards does not name them again.
    mark = tg.api.mark()
    tg.api.group_message(GROUP, COORD, "/presenca")
    await tg.api.wait_for_message(GROUP, "Lista de presença", since=mark)
    await tg.clock.advance(timedelta(hours=1))
    await tg.dispatcher.run_due()
    later = [c for c in tg.api.calls_since(mark) if c.method == "sendMessage"]
    assert not any("Secretaria" in c.params["text"] for c in later)
    async with tg.runtime.sessions() as session:
        rows = (await session.scalars(select(RoleAssignment))).all()
    assert len(rows) == 2


async def test_a_meeting_moved_after_its_list_opened_names_its_roles_at_the_new_time(
    tg: Harness,
) -> None:
    # The list opens five minutes before; then the meeting is moved to the next day.
    await tg.clock.set(MEETING_START - timedelta(minutes=5))
    mark = tg.api.mark()
    tg.api.group_message(GROUP, COORD, "/presenca")
    await tg.api.wait_for_message(GROUP, "Lista de presença", since=mark)
    await tg.api.wait_for_message(GROUP, "às 14h15", since=mark)
    moved = await tg.say(COORD, "/remarcar 24/11 | 25/11 14h")
    assert "25/11" in moved["text"], moved["text"]
    # Not at the old time: the roles of a meeting that has not started are not named.
    mark = tg.api.mark()
    await tg.clock.set(MEETING_START + timedelta(hours=2))
    await tg.dispatcher.run_due()
    early = [c for c in tg.api.calls_since(mark) if c.method == "sendMessage"]
    assert not any("Secretaria" in c.params["text"] for c in early), early
    # At the new time they are (without a new list: from the answers, half an hour in).
    await tg.clock.set(MEETING_START + timedelta(days=1, minutes=30))
    await tg.dispatcher.run_due()
    roles = await tg.api.wait_for_message(GROUP, "Secretaria", since=mark)
    assert "25/11" in roles["text"], roles["text"]


async def test_a_meeting_moved_earlier_after_its_list_opened_names_its_roles_in_it(
    tg: Harness,
) -> None:
    await tg.clock.set(MEETING_START - timedelta(hours=3))  # 11h, for the 14h meeting
    mark = tg.api.mark()
    tg.api.group_message(GROUP, COORD, "/presenca")
    await tg.api.wait_for_message(GROUP, "Lista de presença", since=mark)
    await tg.api.wait_for_message(GROUP, "às 14h15", since=mark)
    moved = await tg.say(COORD, "/remarcar 24/11 | 24/11 12h")
    assert "12h" in moved["text"], moved["text"]
    # Half an hour into the moved meeting (not at 14h15, after it has ended).
    mark = tg.api.mark()
    await tg.clock.set(MEETING_START - timedelta(hours=2) + timedelta(minutes=30))
    await tg.dispatcher.run_due()
    roles = await tg.api.wait_for_message(GROUP, "Secretaria", since=mark)
    assert "12h" in roles["text"], roles["text"]


async def test_a_meeting_moved_a_little_later_after_its_list_opened_keeps_no_old_time(
    tg: Harness,
) -> None:
    """14h → 14h10 with the list open since 11h: 14h15 (the old roles time) falls inside
    the new meeting's first quarter hour, yet was planned for 14h; the roles wait for the
    new start (from the answers, half an hour in: 14h40)."""
    await tg.clock.set(MEETING_START - timedelta(hours=3))
    mark = tg.api.mark()
    tg.api.group_message(GROUP, COORD, "/presenca")
    await tg.api.wait_for_message(GROUP, "às 14h15", since=mark)
    moved = await tg.say(COORD, "/remarcar 24/11 | 24/11 14h10")
    assert "14h10" in moved["text"], moved["text"]
    mark = tg.api.mark()
    await tg.clock.set(MEETING_START + timedelta(minutes=20))
    await tg.dispatcher.run_due()
    early = [c for c in tg.api.calls_since(mark) if c.method == "sendMessage"]
    assert not any("Secretaria" in c.params["text"] for c in early), early
    await tg.clock.set(MEETING_START + timedelta(minutes=40))
    await tg.dispatcher.run_due()
    roles = await tg.api.wait_for_message(GROUP, "Secretaria", since=mark)
    assert "14h10" in roles["text"], roles["text"]


async def test_the_coordinator_can_name_a_role_before_the_rotation_does(tg: Harness) -> None:
    await tg.clock.set(MEETING_START + timedelta(minutes=2))
    swapped = await tg.say(COORD, "/trocar ata Saúde")
    assert "Ata: Saúde ✅" in swapped["text"]
    mark = tg.api.mark()
    await tg.clock.set(MEETING_START + timedelta(minutes=30))
    await tg.dispatcher.run_due()
    # Only the secretary is left to the rotation (CRAS convened: it is confirmed).
    roles = await tg.api.wait_for_message(GROUP, "Secretaria", since=mark)
    assert "Secretaria: CRAS" in roles["text"] and "Ata: Saúde ✅" in roles["text"]
    draft = await tg.api.wait_for_message(GROUP, "Rascunho da ata", since=mark)
    assert "Secretaria: CRAS" in draft["text"]


# --- many meetings: December, absent sectors ------------------------------------------------

# The coordination (CRAS) and nine sectors, one representative each.
SECTOR_PEOPLE = {
    "CRAS": drive.COORDINATOR,
    **{
        name: Person(user_id=str(100 + i), name=f"Rep {i}", username=f"rep{i}")
        for i, name in enumerate(
            [
                "CREAS",
                "Conselho Tutelar",
                "Saúde",
                "Educação",
                "CMEI",
                "Escola Municipal",
                "Pastoral da Criança",
                "Ministério Público",
                "Polícia Militar",
            ]
        )
    },
}
# Ministério Público and Polícia Militar never come.
AWAY = {"Ministério Público", "Polícia Militar"}
COMING = set(SECTOR_PEOPLE) - AWAY
# Tuesdays and Thursdays at 14h in São Paulo, from 24/11: December's network meets a lot.
DAYS = [(24, 11), (26, 11), (1, 12), (3, 12), (8, 12), (10, 12), (15, 12), (17, 12), (22, 12)]
ROLE_WORDS = {"secretary": "secretaria", "author": "ata"}


def _start(day: int, month: int) -> datetime:
    return datetime(2026, month, day, 17, 0, tzinfo=UTC)


@pytest.fixture
async def network(sqlite_runtime: Runtime) -> Group:
    group = Group(sqlite_runtime)
    group.attach_dispatcher()
    for sector, who in SECTOR_PEOPLE.items():
        await group.seat(who, sector)
    for day, month in DAYS:
        said = await group.convene(
            drive.COORDINATOR, f"/convocar {day}/{month} 14h | CRAS | casos | {JUSTIFICATION}"
        )
        assert "convocada" in said, said
    return group


async def _roles(group: Group, meeting_id: int) -> dict[str, str]:
    """Who holds each role at the meeting now (role -> sector name)."""
    async with group.runtime.sessions() as session:
        rows = (
            await session.scalars(
                select(RoleAssignment).where(
                    RoleAssignment.meeting_id == meeting_id,
                    RoleAssignment.status.in_(("proposed", "accepted")),
                )
            )
        ).all()
        names = {s.id: s.name for s in (await session.scalars(select(Sector))).all()}
    live: dict[str, str] = {}
    for row in sorted(rows, key=lambda r: r.id):
        live[row.role] = names[row.sector_id]
    return live


async def _meeting_id(group: Group, start: datetime) -> int:
    async with group.runtime.sessions() as session:
        found = await session.scalar(select(Meeting.id).where(Meeting.starts_at == start))
    assert found is not None
    return found


async def _play(
    group: Group, clock: ManualClock, start: datetime, present: set[str]
) -> tuple[dict[str, str], dict[str, str], str]:
    """One meeting: the list opens, ``present`` tap ✋, the roles are named a quarter of
    an hour in, the coordination gives any role held by an absent sector to its own
    (CRAS), and closes the list. (proposed roles, roles after that, the closing text)."""
    await clock.set(start - timedelta(minutes=5))
    opened = await group.say(drive.COORDINATOR, "/presenca")
    tap = next(r for r in opened if r.buttons).buttons[0][0].data
    for sector in sorted(present):
        await group.press(SECTOR_PEOPLE[sector], tap)
    await clock.set(start + timedelta(minutes=15))
    assert group.runtime.dispatcher is not None
    await group.runtime.dispatcher.run_due()
    meeting_id = await _meeting_id(group, start)
    proposed = await _roles(group, meeting_id)
    for role, sector in proposed.items():
        if sector not in present:
            await group.say(drive.COORDINATOR, f"/trocar {ROLE_WORDS[role]} CRAS")
    await clock.set(start + timedelta(hours=2))
    closing = await group.text(drive.COORDINATOR, "/presenca fechar")
    return proposed, await _roles(group, meeting_id), closing


async def test_december_roles_go_round_the_sectors_present(
    network: Group, clock: ManualClock
) -> None:
    proposed: list[dict[str, str]] = []
    roles: list[dict[str, str]] = []
    closings: list[str] = []
    for day, month in DAYS:
        named, held, closing = await _play(network, clock, _start(day, month), COMING)
        proposed.append(named)
        roles.append(held)
        closings.append(closing)
    served = [set(held.values()) for held in roles]
    # Issue 12: CRAS is not at three meetings running (nor is anyone at two, while
    # another sector present can serve).
    cras = ["CRAS" in sectors for sectors in served]
    assert not any(all(cras[i : i + 3]) for i in range(len(cras) - 2)), roles
    for before, after in itertools.pairwise(served):
        assert not before & after, roles
    # Nobody absent is named, so the coordination never has to step in; two sectors,
    # one role each.
    assert all(set(named.values()) <= COMING for named in proposed), proposed
    assert roles == proposed
    assert all(len(sectors) == 2 for sectors in served)
    # Every sector present serves once before any serves a second time.
    first_round = [sector for sectors in served[:4] for sector in sectors]
    assert sorted(first_round) == sorted(COMING)
    second_round = [sector for sectors in served[4:8] for sector in sectors]
    assert sorted(second_round) == sorted(COMING)
    # The roles take turns: the second time round, each sector has the other one.
    for sector in COMING:
        held_by = [role for held in roles[:8] for role, s in held.items() if s == sector]
        assert sorted(held_by) == ["author", "secretary"], (sector, roles)
    # In Portuguese order: CMEI, then Conselho Tutelar, CRAS, CREAS (not CRAS, CREAS first).
    assert served[0] == {"CMEI", "Conselho Tutelar"} and served[1] == {"CRAS", "CREAS"}
    # The bot warns of the same absences the rotation skips, from the third list on.
    for closing in closings[2:]:
        assert "Ministério Público, Polícia Militar" in closing and "seguidas" in closing
        assert "Ministério Público, Polícia Militar faltaram às últimas" in closing
    # /rodizio tells who is left out, and why: last, not next.
    listing = await network.text(drive.ANA, "/rodizio")
    assert "Ministério Público — ainda não serviu · fora até voltar" in listing
    assert listing.index("Ministério Público") > listing.index("Saúde")


async def test_a_sector_on_an_absence_streak_is_skipped_even_when_it_says_it_comes(
    network: Group, clock: ManualClock
) -> None:
    for day, month in DAYS[:3]:
        await _play(network, clock, _start(day, month), COMING)
    # 3/12: no presence list. Ministério Público and Saúde answer "vou" on the convocation.
    start = _start(*DAYS[3])
    meeting_id = await _meeting_id(network, start)
    for sector in ("Ministério Público", "Saúde"):
        await network.press(SECTOR_PEOPLE[sector], f"v1:rsvp:{meeting_id}:y:c")
    await clock.set(start + timedelta(minutes=30))
    assert network.runtime.dispatcher is not None
    mark = len(network.sent)
    await network.runtime.dispatcher.run_due()
    # CRAS convened it and Saúde confirmed; Ministério Público's "vou" has not brought
    # it the last three times.
    held = await _roles(network, meeting_id)
    assert set(held.values()) == {"CRAS", "Saúde"}
    roles = next(r for r in network.sent[mark:] if r.text.startswith("📝 Reunião"))
    # Saúde never served; CRAS was the secretary on 26/11: it writes the ata.
    assert "Secretaria: Saúde" in roles.text and "Ata: CRAS" in roles.text
    assert "Ministério Público" not in roles.text
    # 8/12: it comes, the streak is over, and it has never served: it goes first.
    proposed, _held, _closing = await _play(
        network, clock, _start(*DAYS[4]), COMING | {"Ministério Público"}
    )
    assert proposed["secretary"] == "Ministério Público"


async def test_a_role_nobody_can_take_names_the_command_for_that_role(tg: Harness) -> None:
    """Nobody answered and the coordination is out of the rotation: each line says how
    the coordination names that role (secretaria or ata), not one example for both."""
    await tg.say(COORD, "/rodizio sem-coordenacao sim")
    mark = tg.api.mark()
    await tg.clock.set(MEETING_START + timedelta(minutes=30))
    await tg.dispatcher.run_due()
    roles = await tg.api.wait_for_message(GROUP, "Secretaria", since=mark)
    assert (
        "Secretaria: ninguém disponível — coordenação, use /trocar secretaria" in (roles["text"])
    ), roles["text"]
    assert "Ata: ninguém disponível — coordenação, use /trocar ata" in roles["text"]
