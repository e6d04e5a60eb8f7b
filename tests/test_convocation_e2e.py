"""/convocar in a Telegram group (issue 12): a preview its author sends or cancels, the
warnings it carries (clash, weekend, holiday, odd hour), and what it refuses (a date past,
the same meeting convened twice). Now is Monday 23/11/2026, 10h in São Paulo."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from storage.models import Meeting, Member, ScheduledMessage
from tests.telegram_harness import ANA, BRUNO, COORD, DORA, GROUP, Harness, buttons

JUSTIFICATION = "risco iminente à criança, a Rede precisa decidir o acolhimento"


@pytest.fixture
def tg(seated_group: Harness) -> Harness:
    return seated_group


async def _meetings(tg: Harness) -> list[Meeting]:
    async with tg.runtime.sessions() as session:
        query = select(Meeting).where(Meeting.kind == "extraordinary").order_by(Meeting.id)
        return list((await session.scalars(query)).all())


def _mentioned(message: dict[str, Any]) -> set[int]:
    return {e["user"]["id"] for e in message.get("entities", []) if "user" in e}


def _labels(message: dict[str, Any]) -> list[str]:
    return [b["text"] for row in message["reply_markup"]["inline_keyboard"] for b in row]


async def _press(tg: Harness, message: dict[str, Any], index: int, user: Any) -> str:
    """``user`` presses a button under ``message``; the popup's text (empty: none)."""
    mark = tg.api.mark()
    tg.api.press_button(message, buttons(message)[index], user)
    answered = await tg.api.wait_for_call("answerCallbackQuery", since=mark)
    return str(answered.params.get("text") or "")


def _sent_since(tg: Harness, mark: int) -> list[str]:
    """Texts of the new messages the bot sent to the group since ``mark``."""
    return [
        str(c.params.get("text", ""))
        for c in tg.api.calls_since(mark)
        if c.method.lower() == "sendmessage" and str(c.params.get("chat_id")) == str(GROUP)
    ]


def _edits_since(tg: Harness, mark: int) -> list[str]:
    return [
        str(c.params.get("text", ""))
        for c in tg.api.calls_since(mark)
        if c.method.lower() == "editmessagetext"
    ]


# --- the preview, and who sends it ------------------------------------------------------


async def test_nothing_reaches_the_group_until_the_author_presses_send(tg: Harness) -> None:
    await tg.say(COORD, "/email CREAS creas@palmital.pr.gov.br")
    preview = await tg.say(
        DORA, f"/convocar 27/11 14h | CREAS | CASO-2025-020: rede de apoio | {JUSTIFICATION}"
    )
    text = preview["text"]
    assert text.startswith("📝 Prévia — nada foi enviado ao grupo ainda")
    # Exactly the convocation the group will get, and to whom.
    assert "🚨 Reunião extraordinária convocada" in text and JUSTIFICATION in text
    assert "Convocada por: Dora (CREAS)" in text and "sexta, 27/11 às 14h" in text
    assert "e-mail para: CREAS" in text
    assert "Vai mencionar 3 pessoas no grupo — " in text
    assert "Conselho Tutelar: Bruno" in text and "Saúde: Ana" in text and "CRAS: Carla" in text
    assert "Setores sem ninguém no grupo (não serão mencionados): CMEI" in text
    assert "⚠️" not in text  # a Friday afternoon with nothing else on
    assert _labels(preview) == ["📣 Enviar", "✖ Cancelar"]
    assert _mentioned(preview) == set()
    assert await _meetings(tg) == []
    async with tg.runtime.sessions() as session:
        assert (await session.scalars(select(ScheduledMessage.key))).all() == []

    # Someone else may not send it; nothing changes.
    mark = tg.api.mark()
    refused = await _press(tg, preview, 0, ANA)
    assert "Só Dora" in refused and "coordenação" in refused
    assert _sent_since(tg, mark) == [] and await _meetings(tg) == []

    mark = tg.api.mark()
    assert await _press(tg, preview, 0, DORA) == "✅ Convocação enviada ao grupo."
    assert _edits_since(tg, mark) == ["✅ Convocação enviada ao grupo."]
    convocation = await tg.api.wait_for_message(GROUP, "🚨", since=mark)
    shown = text.split("\n\n", 1)[1].split("\n\nVai mencionar")[0]
    assert convocation["text"] == f"{shown}\nAna, Bruno, Carla Lima"  # + the mentions
    assert _mentioned(convocation) == {ANA.id, BRUNO.id, COORD.id}
    assert [b.split(":")[3] for b in buttons(convocation)] == ["y", "n", "m"]
    (meeting,) = await _meetings(tg)
    assert meeting.topic == "CASO-2025-020: rede de apoio"

    # A second press (a double tap, an old copy of the preview) sends nothing again.
    mark = tg.api.mark()
    assert "já foi enviada" in await _press(tg, preview, 0, DORA)
    assert _sent_since(tg, mark) == [] and len(await _meetings(tg)) == 1


async def test_a_cancelled_preview_sends_nothing_and_stays_cancelled(tg: Harness) -> None:
    preview = await tg.say(BRUNO, f"/convocar 27/11 14h | CRAS | CASO-2025-020 | {JUSTIFICATION}")
    mark = tg.api.mark()
    await _press(tg, preview, 1, BRUNO)
    assert _edits_since(tg, mark) == ["Convocação cancelada: nada foi ao grupo."]
    late = await _press(tg, preview, 0, BRUNO)
    assert "encerrada" in late and "/convocar" in late
    assert _sent_since(tg, mark) == [] and await _meetings(tg) == []


async def test_the_coordination_may_send_a_member_s_preview(tg: Harness) -> None:
    preview = await tg.say(DORA, f"/convocar 27/11 14h | CREAS | CASO-2025-020 | {JUSTIFICATION}")
    mark = tg.api.mark()
    await _press(tg, preview, 0, COORD)
    convocation = await tg.api.wait_for_message(GROUP, "🚨", since=mark)
    assert "Convocada por: Dora (CREAS)" in convocation["text"]
    (meeting,) = await _meetings(tg)
    async with tg.runtime.sessions() as session:
        dora = await session.scalar(select(Member).where(Member.name == "Dora"))
    assert dora is not None and meeting.convened_by_id == dora.id


async def test_a_preview_left_unsent_expires(tg: Harness) -> None:
    preview = await tg.say(DORA, f"/convocar 27/11 14h | CREAS | CASO-2025-020 | {JUSTIFICATION}")
    assert "Esta prévia vale até 12h" in preview["text"]
    await tg.clock.advance(timedelta(hours=2, minutes=1))
    mark = tg.api.mark()
    await _press(tg, preview, 0, DORA)
    (edited,) = _edits_since(tg, mark)
    assert "expirou" in edited and "/convocar de novo" in edited
    assert _sent_since(tg, mark) == [] and await _meetings(tg) == []


async def test_too_little_notice_by_the_time_of_sending_is_refused(tg: Harness) -> None:
    # Tuesday 10h30: 24 hours and a half ahead when previewed, not when sent an hour later.
    preview = await tg.say(
        DORA, "/convocar 24/11 10h30 | CREAS | CASO-2025-020 | reavaliar o caso com a Rede"
    )
    assert "URGENTE" not in preview["text"]
    await tg.clock.advance(timedelta(hours=1))
    mark = tg.api.mark()
    await _press(tg, preview, 0, DORA)
    (edited,) = _edits_since(tg, mark)
    assert edited.startswith("Não enviada:") and "24 horas" in edited and "Exemplo:" in edited
    assert _sent_since(tg, mark) == [] and await _meetings(tg) == []


# --- the same meeting twice -------------------------------------------------------------


async def test_the_same_meeting_is_not_convened_twice(tg: Harness) -> None:
    await tg.convene(DORA, f"/convocar 27/11 14h | CREAS | CASO-2025-020 | {JUSTIFICATION}")
    again = await tg.say(COORD, f"/convocar 27/11 14h | CRAS | outro assunto | {JUSTIFICATION}")
    assert "Já há uma reunião extraordinária convocada para sexta, 27/11 às 14h" in again["text"]
    assert "ninguém ser mencionado duas vezes" in again["text"]
    assert "Exemplo: /convocar" in again["text"] and "reply_markup" not in again
    assert len(await _meetings(tg)) == 1


async def test_two_previews_of_one_meeting_send_it_once(tg: Harness) -> None:
    text = f"/convocar 30/11 9h | CRAS | CASO-2025-021 | {JUSTIFICATION}"
    first, second = await tg.say(COORD, text), await tg.say(COORD, text)
    mark = tg.api.mark()
    await _press(tg, first, 0, COORD)
    await tg.api.wait_for_message(GROUP, "🚨", since=mark)
    mark = tg.api.mark()
    await _press(tg, second, 0, COORD)
    (edited,) = _edits_since(tg, mark)
    assert edited.startswith("Não enviada: Já há uma reunião extraordinária convocada")
    assert _sent_since(tg, mark) == [] and len(await _meetings(tg)) == 1


async def test_a_meeting_set_at_that_time_after_the_preview_gives_a_new_preview(
    tg: Harness,
) -> None:
    preview = await tg.say(DORA, f"/convocar 27/11 14h | CREAS | CASO-2025-020 | {JUSTIFICATION}")
    assert "⚠️" not in preview["text"]
    await tg.convene(BRUNO, f"/convocar 27/11 15h | CRAS | CASO-2025-022 | {JUSTIFICATION}")
    mark = tg.api.mark()
    await _press(tg, preview, 0, DORA)
    (edited,) = _edits_since(tg, mark)
    assert edited.startswith("Não enviada: desde a prévia, outra reunião foi marcada")
    assert "se sobrepõe: reunião extraordinária — sexta, 27/11 às 15h, CRAS" in edited
    assert _sent_since(tg, mark) == [] and len(await _meetings(tg)) == 1
    # The renewed preview is sent knowingly.
    renewed = tg.api.message(GROUP, preview["message_id"])
    assert renewed is not None
    mark = tg.api.mark()
    await _press(tg, renewed, 0, DORA)
    await tg.api.wait_for_message(GROUP, "🚨", since=mark)
    assert len(await _meetings(tg)) == 2


# --- warnings ---------------------------------------------------------------------------


async def _warnings(tg: Harness, when: str, user: Any = DORA) -> list[str]:
    preview = await tg.say(user, f"/convocar {when} | CREAS | CASO-2025-020 | {JUSTIFICATION}")
    assert _labels(preview) == ["📣 Enviar", "✖ Cancelar"], preview["text"]
    return [line for line in preview["text"].splitlines() if line.startswith("⚠️")]


async def test_weekends_holidays_and_odd_hours_are_warned(tg: Harness) -> None:
    assert await _warnings(tg, "28/11 10h") == ["⚠️ Esse dia cai no fim de semana (sábado)."]
    assert await _warnings(tg, "29/11 10h") == ["⚠️ Esse dia cai no fim de semana (domingo)."]
    assert await _warnings(tg, "25/12 10h") == ["⚠️ Esse dia é feriado: Natal."]
    assert await _warnings(tg, "30/11 3h") == [
        "⚠️ Esse horário está fora do expediente: a hora está certa?"
    ]
    # A state's holiday follows the network's state.
    await tg.say(COORD, "/estado SP")
    assert await _warnings(tg, "09/07/2027 10h") == [
        "⚠️ Esse dia é feriado: Revolução Constitucionalista."
    ]
    assert await _meetings(tg) == []  # previews only


async def test_a_clash_with_the_ordinary_meeting_a_gt_or_another_convocation_is_warned(
    tg: Harness,
) -> None:
    calendar = await tg.say(COORD, "/gerarcalendario 2026 2ª terça 14h CRAS")
    await tg.press(calendar, buttons(calendar)[0], COORD)
    await tg.say(
        COORD, "/gt criar GT Infância | Saúde, Conselho Tutelar | quinzenal quarta 14h | CRAS"
    )
    await tg.convene(BRUNO, f"/convocar 27/11 14h | CRAS | CASO-2025-022 | {JUSTIFICATION}")

    assert await _warnings(tg, "08/12 15h") == [
        "⚠️ No mesmo horário a Rede já tem: reunião ordinária — terça, 08/12 às 14h, CRAS."
    ]
    assert await _warnings(tg, "25/11 13h") == [
        "⚠️ No mesmo horário a Rede já tem: GT Infância — quarta, 25/11 às 14h, CRAS."
    ]
    (overlap,) = await _warnings(tg, "27/11 15h30")
    assert "reunião extraordinária convocada em horário que se sobrepõe" in overlap
    assert "sexta, 27/11 às 14h, CRAS" in overlap and "mencionados de novo" in overlap
    assert await _warnings(tg, "08/12 16h") == []  # the ordinary meeting ends at 16h
    # A day whose ordinary meeting was cancelled (a municipal holiday, say) is told so.
    await tg.say(COORD, "/cancelar 08/12 | feriado municipal")
    assert await _warnings(tg, "08/12 9h") == [
        "⚠️ Nesse dia a reunião ordinária foi cancelada (feriado municipal)."
    ]


# --- wrong forms, still answered with an example -----------------------------------------


async def test_a_past_time_is_refused_outright(tg: Harness) -> None:
    past = await tg.say(COORD, f"/convocar hoje 9h | CRAS | CASO-2025-020 | {JUSTIFICATION}")
    assert "passaram" in past["text"] and "Exemplo: /convocar" in past["text"]
    assert "reply_markup" not in past and await _meetings(tg) == []


async def test_too_long_agenda_or_justification_is_refused(tg: Harness) -> None:
    agenda = await tg.say(COORD, f"/convocar 27/11 14h | CRAS | {'p' * 501} | {JUSTIFICATION}")
    assert "no máximo 500 caracteres (você enviou 501)" in agenda["text"]
    assert "Exemplo: /convocar" in agenda["text"]
    long = "risco iminente " + "j" * 1000
    why = await tg.say(COORD, f"/convocar 27/11 14h | CRAS | pauta | {long}")
    assert "no máximo 1000 caracteres" in why["text"] and "Exemplo: /convocar" in why["text"]
    assert await _meetings(tg) == []


async def test_february_30th_is_answered_for_the_february_it_means(tg: Harness) -> None:
    answer = await tg.say(COORD, f"/convocar 31/02 10h | CRAS | pauta | {JUSTIFICATION}")
    assert "fevereiro só tem 28 dias" in answer["text"] and "Exemplo" in answer["text"]
    await tg.clock.set(datetime(2027, 12, 1, 13, tzinfo=UTC))  # next February is 2028's
    leap = await tg.say(COORD, f"/convocar 30/02 10h | CRAS | pauta | {JUSTIFICATION}")
    assert "fevereiro só tem 29 dias" in leap["text"]
