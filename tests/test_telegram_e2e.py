"""Whole conversations in a Telegram group: real PTB client, fake Bot API on loopback."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
import icalendar
import openpyxl
import pytest
from sqlalchemy import select

from bot.clock import ManualClock
from storage.models import Meeting, Network, ScheduledMessage
from tests.conftest import NOW
from tests.fakes.bot_api import ANONYMOUS_ADMIN, FakeUser
from tests.telegram_harness import (
    ANA,
    BRUNO,
    COORD,
    GROUP,
    MEMBERS,
    Harness,
    buttons,
    running_bot,
)

pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")

SEED_TOPICS = [
    ("Janeiro", "Planejamento anual da Rede"),
    ("Fevereiro", "Alinhamento dos fluxos de atendimento"),
    ("Março", "Caso complexos /demanda saúde"),
    ("Abril", "Atualização do Fluxo de comunicação"),
    ("Maio", "Avaliação do primeiro quadrimestre"),
    ("Junho", "Articulação Rede e Conselho Tutelar"),
    ("Julho", "Recesso escolar / monitoramento de vulnerabilidades"),
    ("Agosto", "Casos de violência\ne medidas de proteção"),
    ("Setembro", "Revisão de fluxos e protocolos"),
    ("Outubro", "Ações integradas para campanhas preventivas"),
    ("Novembro", "Avaliação anual parcial"),
    ("Dezembro", "Encerramento, relatório anual e planejamento."),
]


@pytest.fixture
async def tg(sqlite_url: str, clock: ManualClock) -> AsyncIterator[Harness]:
    async with running_bot(sqlite_url, clock) as harness:
        await harness.add_to_group()
        yield harness


async def _generate_2027(tg: Harness) -> None:
    preview = await tg.say(COORD, "/gerarcalendario 2027 2ª terça 14h CRAS")
    mark = tg.api.mark()
    await tg.press(preview, "v1:cal:ok:1", COORD)
    await tg.api.wait_for_call("editMessageText", since=mark)


async def test_added_to_a_group_it_registers_the_network_and_greets(
    sqlite_url: str, clock: ManualClock
) -> None:
    async with running_bot(sqlite_url, clock) as tg:
        mark = tg.api.mark()
        tg.api.bot_added_to_group(GROUP, COORD, title="Rede de Proteção de Palmital")
        greeting = await tg.api.wait_for_message(GROUP, since=mark)
        assert "redebot" in greeting["text"]
        assert "/setor CRAS" in greeting["text"]
        assert "America/Sao_Paulo" in greeting["text"]
        async with tg.runtime.sessions() as session:
            network = await session.scalar(select(Network))
        assert network is not None
        assert (network.chat_id, network.title) == (str(GROUP), "Rede de Proteção de Palmital")


async def test_a_member_declares_a_sector_and_appears_in_the_list(tg: Harness) -> None:
    answer = await tg.say(ANA, "/setor saude")
    assert "Saúde" in answer["text"] and "Ana" in answer["text"]
    listing = await tg.say(BRUNO, "/setores")
    assert "• Saúde (SMS): — (aguardando a coordenação: Ana)" in listing["text"]
    # Only the coordination confirms (issue 13): Ana's own press is refused.
    mark = tg.api.mark()
    tg.api.press_button(answer, buttons(answer)[0], ANA)
    call = await tg.api.wait_for_call("answerCallbackQuery", since=mark)
    assert "Só a coordenação" in call.params["text"]
    await tg.press(answer, buttons(answer)[0], COORD)
    confirmed = tg.api.calls_of("editMessageText")[-1].params["text"]
    assert "✅ Ana representa Saúde: confirmado por Carla Lima." in confirmed
    listing = await tg.say(BRUNO, "/setores")
    assert "• Saúde (SMS): Ana" in listing["text"] and "aguardando" not in listing["text"]


async def test_an_unknown_sector_is_answered_with_the_right_form(tg: Harness) -> None:
    answer = await tg.say(ANA, "/setor Bombeiros")
    assert "Bombeiros" in answer["text"]
    assert "Exemplo: /setor CRAS" in answer["text"]


async def test_a_member_cannot_use_a_coordinator_command(tg: Harness) -> None:
    await tg.say(ANA, "/setor CRAS")
    answer = await tg.say(ANA, "/gerarcalendario 2027 2ª terça 14h CRAS")
    assert "coordenação" in answer["text"].lower()
    assert not tg.api.calls_of("editMessageText")


async def test_an_anonymous_administrator_counts_as_coordinator(tg: Harness) -> None:
    answer = await tg.say(ANONYMOUS_ADMIN, "/lembretes 3d 1h")
    assert answer["text"] == "Pronto: vou lembrar o grupo 3 dias e 1 hora antes de cada reunião."


async def test_the_language_is_confirmed_in_words_in_the_new_language(tg: Harness) -> None:
    spanish = await tg.say(COORD, "/idioma es")
    assert spanish["text"] == "Listo: en esta Red, el bot ahora habla español."
    back = await tg.say(COORD, "/idioma pt-br")
    assert back["text"] == "Pronto: nesta Rede, o bot agora fala português (Brasil)."


async def test_the_coordinator_generates_the_year_and_confirms_it(tg: Harness) -> None:
    preview = await tg.say(COORD, "/gerarcalendario 2027 2ª terça 14h CRAS")
    text = preview["text"]
    assert "terça, 12/01 às 14h — CRAS" in text
    # 12/10/2027 is Nossa Senhora Aparecida: the meeting moves to the next working day.
    assert "quarta, 13/10 às 14h" in text and "Aparecida" in text
    buttons = [
        b["callback_data"] for row in preview["reply_markup"]["inline_keyboard"] for b in row
    ]
    assert buttons == ["v1:cal:ok:1", "v1:cal:no:1"]
    async with tg.runtime.sessions() as session:
        assert (await session.scalars(select(Meeting))).all() == []  # nothing before confirming

    # A member pressing the button is refused with a notice; nothing is saved.
    mark = tg.api.mark()
    tg.api.press_button(preview, "v1:cal:ok:1", ANA)
    refused = await tg.api.wait_for_call("answerCallbackQuery", since=mark)
    assert "coordenação" in refused.params["text"].lower()

    mark = tg.api.mark()
    await tg.press(preview, "v1:cal:ok:1", COORD)
    edited = await tg.api.wait_for_call("editMessageText", since=mark)
    assert "12 reuniões" in edited.params["text"]
    async with tg.runtime.sessions() as session:
        meetings = (await session.scalars(select(Meeting))).all()
        rows = (await session.scalars(select(ScheduledMessage))).all()
    assert len(meetings) == 12
    assert {r.kind for r in rows} == {
        "meeting_reminder",
        "monthly_announcement",
        "quorum_check",
        "meeting_start",
    }

    nxt = await tg.say(ANA, "/proxima")
    assert "terça, 12/01/2027 às 14h" in nxt["text"] and "CRAS" in nxt["text"]
    assert "em 50 dias" in nxt["text"]

    # Pressing again does not save twice.
    mark = tg.api.mark()
    tg.api.press_button(preview, "v1:cal:ok:1", COORD)
    again = await tg.api.wait_for_call("answerCallbackQuery", since=mark)
    assert "já" in again.params["text"]


async def test_the_calendar_is_imported_from_the_seed_table(tg: Harness) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Mês", "Data", "Horário", "Local", "Observações"])
    for month, topic in SEED_TOPICS:
        sheet.append([month, None, "14h", "CRAS", topic])
    buffer = io.BytesIO()
    book.save(buffer)
    mark = tg.api.mark()
    tg.api.document_message(
        GROUP,
        COORD,
        "calendario.xlsx",
        buffer.getvalue(),
        caption="/importar 2027 2ª terça 14h CRAS",
    )
    preview = await tg.api.wait_for_message(GROUP, since=mark)
    assert "Planejamento anual da Rede" in preview["text"]
    assert "Casos de violência e medidas de proteção" in preview["text"]
    await tg.press(
        preview, preview["reply_markup"]["inline_keyboard"][0][0]["callback_data"], COORD
    )
    cal = await tg.say(ANA, "/calendario 2027")
    assert "terça, 09/03 às 14h — CRAS — Caso complexos /demanda saúde" in cal["text"]


async def test_a_malformed_table_row_is_named_and_nothing_is_saved(tg: Harness) -> None:
    csv = (
        "Mês;Data;Horário;Local;Observações\n"
        "Janeiro;;14h;CRAS;Planejamento\n"
        "Fevereiro;;25h;CRAS;x\n"
    )
    mark = tg.api.mark()
    tg.api.document_message(
        GROUP, COORD, "cal.csv", csv.encode(), caption="/importar 2027 2ª terça 14h CRAS"
    )
    answer = await tg.api.wait_for_message(GROUP, since=mark)
    assert "Linha 3 (Horário)" in answer["text"] and "25h" in answer["text"]
    assert "Exemplo: Horário: 14h" in answer["text"]
    async with tg.runtime.sessions() as session:
        assert (await session.scalars(select(Meeting))).all() == []


async def test_a_table_with_every_time_and_place_needs_only_week_and_weekday(
    tg: Harness,
) -> None:
    csv = "Mês;Data;Horário;Local\nJaneiro;;14h;CRAS\nFevereiro;;9h;CREAS\n"
    mark = tg.api.mark()
    tg.api.document_message(
        GROUP, COORD, "cal.csv", csv.encode(), caption="/importar 2027 2ª terça"
    )
    preview = await tg.api.wait_for_message(GROUP, since=mark)
    assert "Faltou o horário" not in preview["text"]
    assert "12/01" in preview["text"] and "10/02" in preview["text"]
    await tg.press(
        preview, preview["reply_markup"]["inline_keyboard"][0][0]["callback_data"], COORD
    )
    cal = await tg.say(ANA, "/calendario 2027")
    assert "quarta, 10/02 às 9h — CREAS" in cal["text"]  # Carnaval moved it
    async with tg.runtime.sessions() as session:
        network = await session.scalar(select(Network))
    assert network is not None and network.meeting_rule is None  # half a rule is not kept

    # A blank time the short rule cannot fill names the row, with the whole form.
    blank = "Mês;Data;Horário;Local\nMarço;;;CRAS\n"
    mark = tg.api.mark()
    tg.api.document_message(
        GROUP, COORD, "cal.csv", blank.encode(), caption="/importar 2027 2ª terça"
    )
    answer = await tg.api.wait_for_message(GROUP, since=mark)
    assert "Linha 2 (Horário)" in answer["text"] and "não diz" in answer["text"]
    assert "Exemplo: /importar 2026 2ª terça 14h CRAS" in answer["text"]
    mark = tg.api.mark()
    tg.api.document_message(GROUP, COORD, "cal.csv", csv.encode(), caption="/importar 2027 2ª")
    weekday = await tg.api.wait_for_message(GROUP, since=mark)
    assert "dia da semana" in weekday["text"]
    assert "Exemplo: /importar 2026 2ª terça 14h CRAS" in weekday["text"]


async def test_next_shows_every_meeting_of_the_slot_and_a_gt_to_its_sectors(
    tg: Harness,
) -> None:
    for user, sector in MEMBERS:
        await tg.say(user, f"/setor {sector}")
    await _generate_2027(tg)
    async with tg.runtime.sessions() as session, session.begin():
        first = await session.scalar(select(Meeting).order_by(Meeting.starts_at))
        assert first is not None
        session.add(
            Meeting(
                network_id=first.network_id,
                kind="extraordinary",
                starts_at=first.starts_at,
                duration_minutes=60,
                place="CREAS",
                topic="Fluxo de acolhimento",
                status="scheduled",
                sequence=0,
                created_at=NOW,
                updated_at=NOW,
            )
        )
    created = await tg.say(
        COORD, "/gt criar GT Infância | Saúde, CREAS | semanal quarta 9h | CREAS"
    )
    assert "GT Infância" in created["text"]

    in_group = (await tg.say(ANA, "/proxima"))["text"]  # Ana: Saúde, in the GT
    gt, _, network = in_group.partition("📌")
    assert gt.startswith("👥 Próxima reunião de grupo de trabalho: GT Infância") and "25/11" in gt
    assert network.startswith(" Próximas reuniões, no mesmo horário")
    assert "Reunião ordinária: terça, 12/01/2027 às 14h\nLocal: CRAS" in network
    assert "Reunião extraordinária: terça, 12/01/2027 às 14h\nLocal: CREAS" in network
    assert "Fluxo de acolhimento" in network

    outside = (await tg.say(BRUNO, "/proxima"))["text"]  # Conselho Tutelar: not in the GT
    assert "GT Infância" not in outside and "👥" not in outside
    assert outside.startswith("📌 Próximas reuniões") and "extraordinária" in outside


async def test_moving_and_cancelling_a_meeting_tell_the_group(tg: Harness) -> None:
    await _generate_2027(tg)
    moved = await tg.say(COORD, "/remarcar 12/01/2027 | 14/01/2027 15h | CREAS")
    assert "terça, 12/01/2027 às 14h, CRAS" in moved["text"]
    assert "quinta, 14/01/2027 às 15h, CREAS" in moved["text"]
    cancelled = await tg.say(COORD, "/cancelar 10/02/2027 | Carnaval no município")
    assert "Carnaval no município" in cancelled["text"]
    no_reason = await tg.say(COORD, "/cancelar 09/03/2027 |")
    assert "motivo" in no_reason["text"].lower()
    nothing = await tg.say(COORD, "/cancelar 10/03/2027 | x")
    assert "10/03/2027" in nothing["text"]
    cal = await tg.say(ANA, "/calendario 2027")
    assert "❌" in cal["text"] and "Carnaval no município" in cal["text"]
    assert "quinta, 14/01 às 15h — CREAS" in cal["text"]


async def test_reminders_reach_the_group_as_time_moves(tg: Harness) -> None:
    await _generate_2027(tg)
    await tg.say(COORD, "/lembretes 1d 2h")
    first = NOW.replace(year=2027, month=1, day=12, hour=17)  # 14h in São Paulo
    await tg.clock.set(NOW.replace(year=2027, month=1, day=1, hour=11))  # 8h local
    mark = tg.api.mark()
    # 1 January is a holiday: the announcement waits for the end of the quiet time.
    assert await tg.dispatcher.run_due() == 1
    assert tg.api.calls_since(mark) == []
    await tg.clock.set(NOW.replace(year=2027, month=1, day=2, hour=10))  # Saturday, 7h local
    assert await tg.dispatcher.run_due() == 1
    announcement = await tg.api.wait_for_message(GROUP, since=mark)
    assert "janeiro" in announcement["text"] and "terça, 12/01 às 14h" in announcement["text"]
    await tg.clock.set(first - timedelta(days=1))
    mark = tg.api.mark()
    # The 1-day reminder, and the quorum check (silent: no sector has representatives).
    assert await tg.dispatcher.run_due() == 2
    reminder = await tg.api.wait_for_message(GROUP, "Lembrete", since=mark)
    assert "amanhã" in reminder["text"]
    sent = [c for c in tg.api.calls_since(mark) if c.method == "sendMessage"]
    assert len(sent) == 1
    await tg.clock.set(first - timedelta(hours=2))
    mark = tg.api.mark()
    assert await tg.dispatcher.run_due() == 1
    reminder = await tg.api.wait_for_message(GROUP, "Lembrete", since=mark)
    assert "em 2 horas" in reminder["text"]
    # Nothing is sent twice.
    assert await tg.dispatcher.run_due() == 0


async def test_a_cancelled_meeting_is_not_reminded(tg: Harness) -> None:
    await _generate_2027(tg)
    await tg.say(COORD, "/cancelar 12/01/2027 | sem quórum")
    await tg.clock.set(NOW.replace(year=2027, month=1, day=11, hour=17))
    mark = tg.api.mark()
    await tg.dispatcher.run_due()
    texts = [c.params.get("text", "") for c in tg.api.calls_since(mark)]
    assert not any("12/01" in t for t in texts)


async def test_ics_file_and_subscription_url(tg: Harness) -> None:
    await _generate_2027(tg)
    mark = tg.api.mark()
    tg.api.group_message(GROUP, ANA, "/ics")
    call = await tg.api.wait_for_call("sendDocument", since=mark)
    filename, content = next(iter(call.files.values()))
    assert filename.endswith(".ics")
    events = icalendar.Calendar.from_ical(content).walk("VEVENT")
    assert len(events) == 12
    url = call.params["caption"].split()[-1]
    async with tg.runtime.sessions() as session:
        network = await session.scalar(select(Network))
    assert network is not None and url.endswith(f"/ics/{network.ics_token}.ics")
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{tg.http_url}/ics/{network.ics_token}.ics") as response:
            assert response.status == 200
            assert response.content_type == "text/calendar"
            served = icalendar.Calendar.from_ical(await response.read())
        async with http.get(f"{tg.http_url}/ics/not-a-token.ics") as response:
            assert response.status == 404
    assert len(served.walk("VEVENT")) == 12


async def test_ics_follows_a_cancelled_meeting_at_once(tg: Harness) -> None:
    # The file is cached per input (bot.rules.calendar.build_ics): the next /ics and the
    # subscription must both show the change, never the file asked for before it.
    await _generate_2027(tg)

    async def ics_events() -> dict[str, str]:
        mark = tg.api.mark()
        tg.api.group_message(GROUP, ANA, "/ics")
        call = await tg.api.wait_for_call("sendDocument", since=mark)
        _name, content = next(iter(call.files.values()))
        events = icalendar.Calendar.from_ical(content).walk("VEVENT")
        return {e.decoded("DTSTART").strftime("%d/%m"): str(e["STATUS"]) for e in events}

    assert (await ics_events())["12/01"] == "CONFIRMED"
    await tg.say(COORD, "/cancelar 12/01/2027 | sem quórum")
    after = await ics_events()
    assert after["12/01"] == "CANCELLED"
    assert list(after.values()).count("CONFIRMED") == 11
    async with tg.runtime.sessions() as session:
        network = await session.scalar(select(Network))
    assert network is not None
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{tg.http_url}/ics/{network.ics_token}.ics") as response:
            served = icalendar.Calendar.from_ical(await response.read())
    statuses = [str(e["STATUS"]) for e in served.walk("VEVENT")]
    assert statuses.count("CANCELLED") == 1


async def test_the_network_follows_its_group_to_a_supergroup(tg: Harness) -> None:
    await tg.seat(ANA, "CRAS")
    await _generate_2027(tg)
    new_id = -1009999
    mark = tg.api.mark()
    tg.api.migrate_group(GROUP, new_id)
    tg.api.group_message(new_id, ANA, "/setores", chat_type="supergroup")
    listing = await tg.api.wait_for_message(new_id, since=mark)
    assert "• CRAS: Ana" in listing["text"]
    async with tg.runtime.sessions() as session:
        networks = (await session.scalars(select(Network))).all()
    assert [n.chat_id for n in networks] == [str(new_id)]


async def test_a_reminder_to_a_migrated_group_follows_it(tg: Harness) -> None:
    await _generate_2027(tg)
    # The bot missed the migration update; Telegram answers with ChatMigrated.
    tg.api.migrate_group(GROUP, -1005555)
    async with tg.runtime.sessions() as session, session.begin():
        network = await session.scalar(select(Network))
        assert network is not None
        network.chat_id = str(GROUP)
    await tg.clock.set(NOW.replace(year=2027, month=1, day=11, hour=17))
    mark = tg.api.mark()
    await tg.dispatcher.run_due()
    # Issue 14: after the gap the daily budget lets one message through (the month's
    # announcement, due first); what matters here is the chat it reaches.
    await tg.api.wait_for_message(-1005555, since=mark)
    async with tg.runtime.sessions() as session:
        network = await session.scalar(select(Network))
    assert network is not None and network.chat_id == "-1005555"


async def test_the_command_menu_is_set_per_scope(tg: Harness) -> None:
    members = [c["command"] for c in tg.api.commands({"type": "all_group_chats"})]
    admins = [c["command"] for c in tg.api.commands({"type": "all_chat_administrators"})]
    assert "proxima" in members and "gerarcalendario" not in members
    assert "gerarcalendario" in admins and "proxima" in admins


async def test_a_failing_menu_does_not_stop_the_bot(sqlite_url: str, clock: ManualClock) -> None:
    from tests.fakes.bot_api import FakeBotApi  # noqa: F401 - documents the server in use

    async with running_bot(sqlite_url, clock) as tg:
        await tg.add_to_group()
        tg.api.fail_next("setMyCommands", 400, description="Bad Request: boom", times=20)
        await tg.channel.set_command_menu()
        answer = await tg.say(ANA, "/proxima")
        assert "Não há reunião" in answer["text"]


async def test_a_crash_in_one_update_does_not_stop_the_others(tg: Harness) -> None:
    async def explode(ctx: object) -> list[object]:
        raise RuntimeError("boom")

    tg.runtime.router.command("explodir", "x", "/explodir")(explode)  # type: ignore[arg-type]
    sorry = await tg.say(ANA, "/explodir")
    assert "Desculpe" in sorry["text"]
    after = await tg.say(ANA, "/setor CRAS")
    assert "CRAS" in after["text"]


async def test_flood_control_is_waited_out_and_nothing_is_lost(tg: Harness) -> None:
    await tg.say(ANA, "/setor CRAS")
    tg.api.fail_next("sendMessage", 429, retry_after=1)
    answer = await tg.say(ANA, "/proxima")
    assert "Não há reunião" in answer["text"]
    assert any(c.failed for c in tg.api.calls_of("sendMessage"))


async def test_unknown_command_and_old_button_get_clear_answers(tg: Harness) -> None:
    answer = await tg.say(ANA, "/voar")
    assert "/ajuda" in answer["text"]
    listing = await tg.say(ANA, "/setores")
    mark = tg.api.mark()
    tg.api.press_button(listing, "v0:old:stuff", ANA)
    call = await tg.api.wait_for_call("answerCallbackQuery", since=mark)
    assert "não vale mais" in call.params["text"]


async def test_webhook_refuses_strangers_and_applies_a_redelivery_once(
    sqlite_url: str, clock: ManualClock
) -> None:
    async with running_bot(sqlite_url, clock, webhook=True) as tg:
        assert tg.api.webhook is not None
        assert tg.api.webhook["secret_token"] == "s3cr3t-token-for-tests"
        url = tg.api.webhook["url"]
        update = tg.api.group_message(GROUP, ANA, "/setor CRAS")
        assert await tg.api.post_update_to(url, update, None) == 403
        assert await tg.api.post_update_to(url, update, "wrong") == 403
        mark = tg.api.mark()
        assert await tg.api.deliver_to_webhook(update) == 200
        # Processed before the 200: the answer is already out (a crash would lose nothing).
        assert any(
            c.method == "sendMessage" and "CRAS" in c.params["text"]
            for c in tg.api.calls_since(mark)
        )
        assert await tg.api.deliver_to_webhook(update) == 200
        await tg.api.wait_for_message(GROUP, "CRAS", since=mark)
        marker = tg.api.group_message(GROUP, ANA, "/setores")
        assert await tg.api.deliver_to_webhook(marker) == 200
        await tg.api.wait_for_message(GROUP, "Setores", since=mark)
        confirmations = [
            c
            for c in tg.api.calls_since(mark)
            if c.method == "sendMessage" and "Ana diz que representa CRAS" in c.params["text"]
        ]
        assert len(confirmations) == 1


async def test_a_text_mention_marks_that_person_and_names_mark_sectors(tg: Harness) -> None:
    """Someone without a username is mentioned by picking her after "@": the client
    sends a text mention carrying her, which tells her from a namesake (issue 12)."""
    helena = FakeUser(14, "Helena", "Souza")  # no username
    namesake = FakeUser(15, "Helena", "Lima")
    for user, sector in ((COORD, "CRAS"), (ANA, "Saúde"), (helena, "Saúde Mental")):
        await tg.seat(user, sector)
    await tg.seat(namesake, "CREAS")
    convened = await tg.convene(
        COORD, "/convocar hoje 16h | CRAS | CASO-2026-001 | risco iminente à criança | urgente"
    )
    assert "URGENTE" in convened["text"]
    mark = tg.api.mark()
    tg.api.group_message(GROUP, COORD, "/presenca")
    await tg.api.wait_for_message(GROUP, "Lista de presença", since=mark)
    await tg.api.wait_for_message(GROUP, "definidos às", since=mark)  # the roles, later

    typed = await tg.say(COORD, "/presenca + Helena")
    assert "Helena pode ser: Helena Lima (CREAS), Helena Souza (Saúde Mental)" in typed["text"]
    marked = await tg.say(COORD, "/presenca + Helena, Saúde", text_mentions=[("Helena", helena)])
    assert "2 de 4" in marked["text"]
    assert "• Saúde Mental: Helena Souza" in marked["text"]
    assert "• Saúde: marcado pela coordenação" in marked["text"]
    stranger = FakeUser(16, "Eva", "Nunes")
    unknown = await tg.say(COORD, "/presenca + Eva Nunes", text_mentions=[("Eva Nunes", stranger)])
    assert "Ainda não conheço Eva Nunes" in unknown["text"] and "/setor" in unknown["text"]
