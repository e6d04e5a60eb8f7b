"""Secretary and ata author by rotation, and the ata until approval, in a Telegram group."""

from __future__ import annotations

import hashlib
import io
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from bot.clock import ManualClock
from storage.models import Ata, RoleAssignment
from tests.conftest import NOW
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
        await harness.say(COORD, f"/convocar 24/11 14h | CRAS | fluxos | {JUSTIFICATION}")
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
    planned = await tg.api.wait_for_message(GROUP, "Secretaria e ata", since=mark)
    assert "14h20" in planned["text"]
    # Only Saúde and CREAS arrive; Conselho Tutelar and CRAS, first in order, do not.
    await tg.press(opened, buttons(opened)[0], ANA)
    await tg.press(opened, buttons(opened)[0], DORA)
    await tg.clock.set(MEETING_START + timedelta(minutes=19))
    await tg.dispatcher.run_due()
    said = [c.params["text"] for c in tg.api.calls_since(mark) if c.method == "sendMessage"]
    assert not any("Secretaria:" in text for text in said)
    # Opening the list again does not put the naming off.
    tg.api.group_message(GROUP, COORD, "/presenca")
    await tg.api.wait_for_message(GROUP, "Lista de presença", since=mark + len(said))
    await tg.clock.set(MEETING_START + timedelta(minutes=20))
    await tg.dispatcher.run_due()
    roles = await tg.api.wait_for_message(GROUP, "Secretaria:", since=mark)
    assert "Secretaria: CREAS" in roles["text"] and "Ata: Saúde" in roles["text"]
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
    approved = await tg.say(COORD, "/ata aprovar")
    digest = hashlib.sha256(f"{ATA_TEXT} Encaminhamentos: nenhum.".encode()).hexdigest()
    assert digest in approved["text"]
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


async def test_an_ata_file_is_kept_and_sent_with_the_book(tg: Harness) -> None:
    await _open_meeting(tg)
    mark = tg.api.mark()
    tg.api.document_message(GROUP, COORD, "ata-24-11.pdf", b"%PDF-1.4 ata", caption="/ata")
    await tg.api.wait_for_message(GROUP, "recebida", since=mark)
    await tg.say(COORD, "/ata aprovar")
    mark = tg.api.mark()
    tg.api.group_message(GROUP, COORD, "/atas")
    book = await tg.api.wait_for_call("sendDocument", since=mark)
    original = await tg.api.wait_for_call("sendDocument", since=mark)
    assert next(iter(book.files.values()))[0].endswith(".pdf")
    assert next(iter(original.files.values())) == ("ata-24-11.pdf", b"%PDF-1.4 ata")
    wrong = await tg.say(COORD, "/ata")
    assert "Nenhuma ata pendente" in wrong["text"]


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
