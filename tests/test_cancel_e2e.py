"""Issue 12, "the right meeting, the right day": /cancelar and /remarcar name one meeting of a
day by its time or ask which with buttons, a cancellation can be undone (by its button or
/cancelar desfazer) with the reminders still ahead, and a move that changes nothing is
refused. Played through the router on SQLite and PostgreSQL; the extraordinary meeting's
e-mails through the real Telegram client and a loopback SMTP server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
from sqlalchemy import select

from bot.clock import ManualClock
from bot.messages import Reply
from bot.runtime import Runtime
from storage.models import Meeting, ScheduledMessage
from tests.drive import ANA, COORDINATOR, Group
from tests.smtp import SmtpServer
from tests.telegram_harness import COORD, DORA, GROUP, Harness
from tests.telegram_harness import buttons as tg_buttons

SP = ZoneInfo("America/Sao_Paulo")
# NOW (tests.conftest) is Monday 23/11/2026; 08/12/2026 is the 2nd Tuesday of December.
ORDINARY = datetime(2026, 12, 8, 14, 0, tzinfo=SP).astimezone(UTC)
GT = datetime(2026, 12, 8, 10, 0, tzinfo=SP).astimezone(UTC)


def _text(replies: list[Reply]) -> str:
    return "\n".join(r.text or r.notice or "" for r in replies)


def _buttons(replies: list[Reply]) -> list[tuple[str, str]]:
    return [(b.label, b.data) for r in replies for row in r.buttons for b in row]


async def _network_with_two_meetings_on_the_8th(runtime: Runtime) -> Group:
    """The ordinary meeting of 08/12 at 14h (CRAS) and a working group's at 10h (CREAS)."""
    group = Group(runtime)
    preview = await group.say(COORDINATOR, "/gerarcalendario 2026 2ª terça 14h CRAS")
    ((_label, save), _discard) = _buttons(preview)
    assert "Calendário 2026 salvo" in _text(await group.press(COORDINATOR, save))
    created = await group.text(
        COORDINATOR, "/gt criar GT Infância | Saúde, CRAS | mensal 2ª terça 10h | CREAS"
    )
    assert "GT Infância" in created
    assert [(m.starts_at, m.kind) for m in await _meetings_on_the_8th(runtime)] == [
        (GT, "working_group"),
        (ORDINARY, "ordinary"),
    ]
    return group


async def _meetings_on_the_8th(runtime: Runtime) -> list[Meeting]:
    async with runtime.sessions() as session:
        found = await session.scalars(
            select(Meeting)
            .where(Meeting.starts_at >= GT - timedelta(hours=1), Meeting.starts_at <= ORDINARY)
            .order_by(Meeting.starts_at)
        )
        return list(found.all())


async def _statuses(runtime: Runtime) -> dict[str, str]:
    return {m.kind: m.status for m in await _meetings_on_the_8th(runtime)}


async def _rows(runtime: Runtime, meeting_id: int) -> dict[str, tuple[str, datetime]]:
    async with runtime.sessions() as session:
        rows = await session.scalars(
            select(ScheduledMessage).where(ScheduledMessage.meeting_id == meeting_id)
        )
        return {r.key.split(":", 2)[2]: (r.status, r.due_at) for r in rows.all()}


# --- which meeting ------------------------------------------------------------------------


async def test_the_hour_typed_names_the_meeting_to_cancel(runtime: Runtime) -> None:
    group = await _network_with_two_meetings_on_the_8th(runtime)
    replies = await group.say(COORDINATOR, "/cancelar 08/12 14h | conferência municipal")
    text = _text(replies)
    assert "reunião ordinária de terça, 08/12 às 14h (CRAS) foi cancelada" in text
    assert "Motivo: conferência municipal" in text
    assert [label for label, _data in _buttons(replies)] == ["↩ Desfazer"]
    assert await _statuses(runtime) == {"working_group": "scheduled", "ordinary": "cancelled"}

    gt = await group.text(COORDINATOR, "/cancelar 08/12 às 10h | sem pauta")
    assert "reunião de Grupo de Trabalho de terça, 08/12 às 10h (CREAS) foi cancelada" in gt
    assert await _statuses(runtime) == {"working_group": "cancelled", "ordinary": "cancelled"}


async def test_two_meetings_the_same_day_are_asked_about(runtime: Runtime) -> None:
    group = await _network_with_two_meetings_on_the_8th(runtime)
    question = await group.say(COORDINATOR, "/cancelar 08/12 | feriado municipal")
    text = _text(question)
    assert "Há mais de uma reunião em 08/12. Qual delas cancelar?" in text
    assert "Motivo: feriado municipal" in text
    labels = [label for label, _data in _buttons(question)]
    assert labels == [
        "10h — Grupo de Trabalho: GT Infância",
        "14h — Reunião ordinária",
        "✖ Nenhuma",
    ]
    # Nothing is cancelled before the coordination chooses.
    assert await _statuses(runtime) == {"working_group": "scheduled", "ordinary": "scheduled"}
    (_gt, gt_data), (_ordinary, ordinary_data), _none = _buttons(question)

    refused = await group.press(ANA, ordinary_data)
    assert refused[0].error and "coordenação" in (refused[0].notice or "")
    assert await _statuses(runtime) == {"working_group": "scheduled", "ordinary": "scheduled"}

    chosen = await group.press(COORDINATOR, ordinary_data)
    assert chosen[0].edit and chosen[0].text == "✔ Cancelada: 14h — Reunião ordinária"
    assert "reunião ordinária de terça, 08/12 às 14h (CRAS) foi cancelada" in chosen[1].text
    assert "Motivo: feriado municipal" in chosen[1].text
    assert [label for label, _data in _buttons(chosen[1:])] == ["↩ Desfazer"]
    assert await _statuses(runtime) == {"working_group": "scheduled", "ordinary": "cancelled"}

    # A stale press (the other meeting, or the same one again) changes nothing.
    again = await group.press(COORDINATOR, gt_data)
    assert again[0].error and "já foi feita" in (again[0].notice or "")
    assert await _statuses(runtime) == {"working_group": "scheduled", "ordinary": "cancelled"}


async def test_an_hour_that_fits_two_meetings_asks_which(runtime: Runtime) -> None:
    group = await _network_with_two_meetings_on_the_8th(runtime)
    await group.say(COORDINATOR, "/setor CRAS")
    convened = await group.convene(
        COORDINATOR, "/convocar 08/12 14h | CREAS | CASO-2026-003 | risco iminente à criança"
    )
    assert "Reunião extraordinária" in convened
    question = await group.say(COORDINATOR, "/cancelar 08/12 14h | feriado municipal")
    assert [label for label, _data in _buttons(question)] == [
        "14h — Reunião ordinária",
        "14h — Reunião extraordinária: CASO-2026-003",
        "✖ Nenhuma",
    ]
    _ordinary, (_label, extraordinary), _none = _buttons(question)
    chosen = await group.press(COORDINATOR, extraordinary)
    assert "reunião extraordinária de terça, 08/12 às 14h (CREAS) foi cancelada" in chosen[1].text
    async with runtime.sessions() as session:
        kinds = await session.scalars(
            select(Meeting.kind).where(Meeting.status == "cancelled", Meeting.starts_at == ORDINARY)
        )
        assert list(kinds.all()) == ["extraordinary"]


async def test_none_of_them_leaves_the_day_as_it_was(runtime: Runtime) -> None:
    group = await _network_with_two_meetings_on_the_8th(runtime)
    question = await group.say(COORDINATOR, "/cancelar 08/12 | feriado municipal")
    *_meetings, (_label, none) = _buttons(question)
    kept = await group.press(COORDINATOR, none)
    assert kept[0].edit and kept[0].text == "Nada foi alterado."
    assert await _statuses(runtime) == {"working_group": "scheduled", "ordinary": "scheduled"}


async def test_an_hour_that_fits_no_meeting_lists_the_day(runtime: Runtime) -> None:
    group = await _network_with_two_meetings_on_the_8th(runtime)
    text = await group.text(COORDINATOR, "/cancelar 08/12 9h | feriado municipal")
    assert text.splitlines() == [
        "Não há reunião às 9h em 08/12. As reuniões desse dia:",
        "• 10h — Grupo de Trabalho: GT Infância",
        "• 14h — Reunião ordinária",
        "Exemplo: /cancelar 10/03 14h | feriado municipal",
    ]
    await group.text(COORDINATOR, "/cancelar 08/12 10h | sem pauta")
    listed = await group.text(COORDINATOR, "/remarcar 08/12 15h | 16h")
    assert "• 10h — Grupo de Trabalho: GT Infância (cancelada)" in listed
    assert "Exemplo: /remarcar 10/03 14h | 12/03 15h" in listed
    assert await _statuses(runtime) == {"working_group": "cancelled", "ordinary": "scheduled"}


async def test_every_wrong_form_of_cancelar_and_remarcar_gets_an_example(runtime: Runtime) -> None:
    group = await _network_with_two_meetings_on_the_8th(runtime)
    answers = {
        "/cancelar 08/12 25h | x": "25h",
        "/cancelar 31/02 | feriado": "31/02",
        "/cancelar semana que vem | feriado": "não entendi",
        "/cancelar 08/12 | " + "x" * 600: "no máximo 500",
        "/cancelar 09/12 | feriado": "Não há reunião marcada em 09/12/2026",
        "/cancelar desfazer | engano": "não precisa de motivo",
        "/cancelar desfazer 08/12 25h": "25h",
        "/cancelar desfazer": "Não há reunião futura cancelada",
        "/cancelar desfazer 08/12": "não está cancelada",
        "/cancelar desfazer 09/12": "Não há reunião cancelada em 09/12/2026",
        "/remarcar 08/12 25h | 15h": "25h",
        "/remarcar 08/12 14h | 25h": "25h",
        "/remarcar 08/12 14h | ontem 15h": "já passou",
    }
    for command, expected in answers.items():
        text = await group.text(COORDINATOR, command)
        assert expected.lower() in text.lower(), (command, text)
        assert "Exemplo: " in text, (command, text)
    # An incomplete form asks for what is missing, step by step (issue 14).
    asked = {
        "/cancelar 08/12 |": "Por que ela será cancelada?",
        "/cancelar 08/12": "Por que ela será cancelada?",
        "/cancelar | feriado": "Qual reunião?",
        "/remarcar 08/12 14h": "Para qual dia e horário",
    }
    for command, expected in asked.items():
        text = await group.text(COORDINATOR, command)
        assert expected in text and "por exemplo: /" in text, (command, text)
    assert "coordenação" in (await group.text(ANA, "/cancelar desfazer")).lower()
    assert await _statuses(runtime) == {"working_group": "scheduled", "ordinary": "scheduled"}


async def test_a_meeting_already_held_is_not_cancelled(
    runtime: Runtime, clock: ManualClock
) -> None:
    group = await _network_with_two_meetings_on_the_8th(runtime)
    await clock.set(GT + timedelta(hours=1))  # 11h on the 8th: the GT has met
    held = await group.text(COORDINATOR, "/cancelar 08/12 10h | engano")
    assert "já aconteceu" in held and "Exemplo: /cancelar" in held
    # Without a time, the day's meeting still ahead is the one meant.
    text = await group.text(COORDINATOR, "/cancelar hoje | sem quórum")
    assert "reunião ordinária de terça, 08/12 às 14h (CRAS) foi cancelada" in text
    assert await _statuses(runtime) == {"working_group": "scheduled", "ordinary": "cancelled"}


# --- undoing a cancellation ---------------------------------------------------------------


async def test_undo_brings_the_meeting_and_its_reminders_still_ahead_back(
    runtime: Runtime, clock: ManualClock
) -> None:
    group = await _network_with_two_meetings_on_the_8th(runtime)
    group.attach_dispatcher()
    ordinary = (await _meetings_on_the_8th(runtime))[1]
    before = await _rows(runtime, ordinary.id)
    # Issue 14: no 7-day reminder (01/12 14h): the month's announcement of 01/12 8h is it.
    assert {key for key, (status, _due) in before.items() if status == "pending"} == {
        "remind:1440",
        "remind:120",
        "quorum",
        "start",
    }
    cancelled = await group.say(COORDINATOR, "/cancelar 08/12 14h | conferência municipal")
    ((_label, undo),) = _buttons(cancelled)
    assert {status for status, _due in (await _rows(runtime, ordinary.id)).values()} == {
        "cancelled"
    }

    # Two days later the 7-day reminder's time (01/12 14h) has passed; only the working
    # group's meeting was reminded.
    await clock.set(datetime(2026, 12, 3, 9, 0, tzinfo=SP))
    assert runtime.dispatcher is not None
    await runtime.dispatcher.run_due()
    assert group.sent and not [r for r in group.sent if "ordinária" in r.text]
    group.sent.clear()

    refused = await group.press(ANA, undo)
    assert refused[0].error and "coordenação" in (refused[0].notice or "")
    assert await _statuses(runtime) == {"working_group": "scheduled", "ordinary": "cancelled"}

    replies = await group.press(COORDINATOR, undo)
    assert replies[0].edit
    assert replies[0].text == "↩ Cancelamento desfeito: terça, 08/12 às 14h — Reunião ordinária"
    assert "O cancelamento foi desfeito: a reunião está mantida." in replies[1].text
    assert "Reunião ordinária: terça, 08/12 às 14h" in replies[1].text
    assert "Local: CRAS" in replies[1].text
    assert await _statuses(runtime) == {"working_group": "scheduled", "ordinary": "scheduled"}
    after = await _rows(runtime, ordinary.id)
    assert {key for key, (status, _due) in after.items() if status == "pending"} == {
        "remind:1440",
        "remind:120",
        "quorum",
        "start",
    }
    assert "remind:10080" not in after
    assert after["remind:1440"][1] == ORDINARY - timedelta(days=1)

    # No late reminder bursts out now; the next one comes on its day.
    await runtime.dispatcher.run_due()
    assert group.sent == []
    # Issue 14: on 07/12 the working group's reminder (10h) takes the daily budget; the
    # ordinary meeting's would come merged on 08/12. This test is about the undo.
    await group.text(COORDINATOR, "/silencio por dia 5")
    await clock.set(ORDINARY - timedelta(days=1))
    await runtime.dispatcher.run_due()
    reminders = [r.text for r in group.sent if "Reunião ordinária" in r.text]
    assert len(reminders) == 1 and "Lembrete" in reminders[0]
    assert "terça, 08/12 às 14h" in reminders[0]

    # The meeting is on: the /calendario shows it, and the old button is refused politely.
    year = await group.text(ANA, "/calendario")
    assert "• terça, 08/12 às 14h — CRAS" in year and "conferência municipal" not in year
    stale = await group.press(COORDINATOR, undo)
    assert stale[0].error and "já foi retomada" in (stale[0].notice or "")


async def test_an_old_undo_button_does_not_reverse_a_newer_cancellation(
    runtime: Runtime,
) -> None:
    group = await _network_with_two_meetings_on_the_8th(runtime)
    first = await group.say(COORDINATOR, "/cancelar 08/12 14h | conferência municipal")
    ((_label, old_undo),) = _buttons(first)
    await group.press(COORDINATOR, old_undo)
    await group.say(COORDINATOR, "/cancelar 08/12 14h | sem quórum")
    stale = await group.press(COORDINATOR, old_undo)
    assert stale[0].error and "cancelada de novo" in (stale[0].notice or "")
    assert await _statuses(runtime) == {"working_group": "scheduled", "ordinary": "cancelled"}


async def test_cancelar_desfazer_restores_the_latest_or_asks_which(
    runtime: Runtime, clock: ManualClock
) -> None:
    group = await _network_with_two_meetings_on_the_8th(runtime)
    await group.say(COORDINATOR, "/cancelar 08/12 14h | conferência municipal")
    back = await group.text(COORDINATOR, "/cancelar desfazer")
    assert "O cancelamento foi desfeito" in back and "terça, 08/12 às 14h" in back
    assert await _statuses(runtime) == {"working_group": "scheduled", "ordinary": "scheduled"}

    await group.say(COORDINATOR, "/cancelar 08/12 14h | conferência municipal")
    await clock.advance(timedelta(minutes=5))
    await group.say(COORDINATOR, "/cancelar 08/12 10h | sem pauta")
    question = await group.say(COORDINATOR, "/cancelar desfazer")
    assert "Qual cancelamento desfazer?" in _text(question)
    # The latest cancellation first, each with its day.
    assert [label for label, _data in _buttons(question)] == [
        "terça, 08/12 às 10h — Grupo de Trabalho: GT Infância",
        "terça, 08/12 às 14h — Reunião ordinária",
        "✖ Nenhuma",
    ]
    (_gt, gt_data), _ordinary, _none = _buttons(question)
    chosen = await group.press(COORDINATOR, gt_data)
    assert chosen[0].text == "✔ Retomada: terça, 08/12 às 10h — Grupo de Trabalho: GT Infância"
    assert "a reunião está mantida" in chosen[1].text
    assert await _statuses(runtime) == {"working_group": "scheduled", "ordinary": "cancelled"}

    # Named by its day and time; once its time has passed, it stays cancelled.
    await clock.set(ORDINARY + timedelta(minutes=1))
    late = await group.text(COORDINATOR, "/cancelar desfazer 08/12 14h")
    assert "não pode mais ser desfeito" in late and "Exemplo: /cancelar desfazer" in late
    assert await _statuses(runtime) == {"working_group": "scheduled", "ordinary": "cancelled"}


async def test_a_closed_working_groups_meetings_stay_cancelled(runtime: Runtime) -> None:
    group = await _network_with_two_meetings_on_the_8th(runtime)
    await group.text(COORDINATOR, "/gt encerrar GT Infância")
    assert await _statuses(runtime) == {"working_group": "cancelled", "ordinary": "scheduled"}
    named = await group.text(COORDINATOR, "/cancelar desfazer 08/12 10h")
    assert "foi encerrado" in named
    latest = await group.text(COORDINATOR, "/cancelar desfazer")
    assert "Não há reunião futura cancelada" in latest
    assert await _statuses(runtime) == {"working_group": "cancelled", "ordinary": "scheduled"}


# --- moving ------------------------------------------------------------------------------


async def test_a_move_that_changes_nothing_is_refused(runtime: Runtime) -> None:
    group = await _network_with_two_meetings_on_the_8th(runtime)
    ordinary = (await _meetings_on_the_8th(runtime))[1]
    for command in (
        "/remarcar 08/12 14h | 14h",
        "/remarcar 08/12 14h | 08/12 14h | CRAS",
        "/remarcar 08/12 14h | 08/12 às 14h | cras",
    ):
        text = await group.text(COORDINATOR, command)
        assert "não há o que mudar" in text, (command, text)
        assert "Exemplo: /remarcar" in text
    (_gt, now_ordinary) = await _meetings_on_the_8th(runtime)
    assert (now_ordinary.starts_at, now_ordinary.sequence) == (ORDINARY, ordinary.sequence)
    # Another place at the same time is a change.
    moved = await group.text(COORDINATOR, "/remarcar 08/12 14h | 14h | CREAS")
    assert "para terça, 08/12 às 14h, CREAS" in moved


async def test_remarcar_asks_which_of_the_days_meetings_moves(runtime: Runtime) -> None:
    group = await _network_with_two_meetings_on_the_8th(runtime)
    question = await group.say(COORDINATOR, "/remarcar 08/12 | 09/12 15h | CREAS")
    assert "Qual delas passa para quarta, 09/12 às 15h, CREAS?" in _text(question)
    _gt, (_label, ordinary), _none = _buttons(question)
    chosen = await group.press(COORDINATOR, ordinary)
    assert chosen[0].text == "✔ Remarcada: 14h — Reunião ordinária"
    assert "de terça, 08/12 às 14h, CRAS" in chosen[1].text
    assert "para quarta, 09/12 às 15h, CREAS" in chosen[1].text
    (gt,) = await _meetings_on_the_8th(runtime)
    assert gt.kind == "working_group" and gt.starts_at == GT


# --- an extraordinary meeting: the convened hear it is back on ------------------------------

JUSTIFICATION = "risco iminente à criança, a Rede precisa decidir o acolhimento"


async def test_an_extraordinary_meeting_brought_back_is_mailed_again(
    seated_group: Harness, smtp_server: SmtpServer
) -> None:
    tg = seated_group
    await tg.say(COORD, "/email CREAS creas@palmital.pr.gov.br")
    await tg.convene(DORA, f"/convocar 27/11 14h | CREAS | CASO-2025-020 | {JUSTIFICATION}")
    await tg.dispatcher.run_due()
    await smtp_server.wait_for(1)
    cancelled = await tg.say(COORD, "/cancelar 27/11 | o caso foi resolvido com a família")
    assert "cancelada" in cancelled["text"] and "e-mail para: CREAS" in cancelled["text"]
    (undo,) = tg_buttons(cancelled)
    await tg.dispatcher.run_due()
    await smtp_server.wait_for(2)

    mark = tg.api.mark()
    tg.api.press_button(cancelled, undo, COORD)
    back = await tg.api.wait_for_message(GROUP, "desfeito", since=mark)
    assert "reenviada por e-mail para: CREAS" in back["text"]
    mentioned = {e["user"]["id"] for e in back.get("entities", []) if "user" in e}
    assert DORA.id in mentioned
    edited = await tg.api.wait_for_call("editMessageText", since=mark)
    assert edited.params["text"].startswith("↩ Cancelamento desfeito")
    await tg.dispatcher.run_due()
    mails = await smtp_server.wait_for(3)
    again = mails[2].message
    assert "Convocação" in str(again["Subject"])
    invite = next(p for p in again.iter_attachments() if p.get_content_type() == "text/calendar")
    assert invite.get_param("method") == "REQUEST"
    event = icalendar.Calendar.from_ical(invite.get_content()).walk("VEVENT")[0]
    assert int(event["SEQUENCE"]) == 2

    # Cancelled once more, the sectors hear it once more.
    await tg.say(COORD, "/cancelar 27/11 | a família mudou de município")
    await tg.dispatcher.run_due()
    mails = await smtp_server.wait_for(4)
    assert "Cancelada" in str(mails[3].message["Subject"])
