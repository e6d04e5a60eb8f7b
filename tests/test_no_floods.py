"""A quiet group after any gap: series collapse, quiet hours, an hourly cap (issue 9 §7, §10)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.messages import Reply
from bot.rules import quiet
from bot.rules.calendar import holidays_for
from bot.runtime import Runtime
from storage import repo
from storage.models import Delivery, Network, ScheduledMessage
from tests.conftest import NOW
from tests.drive import ANA, BRUNO, COORDINATOR, Group

SP = ZoneInfo("America/Sao_Paulo")


def _local(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SP).astimezone(UTC)


def _holidays(year: int) -> dict[object, str]:
    return dict(holidays_for(year, "PR"))


# --- the rule --------------------------------------------------------------------------


def test_quiet_hours_end_at_seven_on_the_next_working_day() -> None:
    hours = quiet.QuietHours()
    # Tuesday 22h -> Wednesday 7h.
    assert quiet.quiet_until(_local(2026, 12, 1, 22), hours, SP, _holidays) == _local(
        2026, 12, 2, 7
    )
    # Saturday 21h -> Sunday is quiet all day -> Monday 7h.
    assert quiet.quiet_until(_local(2026, 12, 5, 21), hours, SP, _holidays) == _local(
        2026, 12, 7, 7
    )
    # Christmas Eve and Christmas are holidays: Wednesday 23/12 at 20h -> Saturday 26/12 7h.
    assert quiet.quiet_until(_local(2026, 12, 23, 20), hours, SP, _holidays) == _local(
        2026, 12, 26, 7
    )
    # Daytime on a weekday is not quiet.
    assert quiet.quiet_until(_local(2026, 12, 1, 10), hours, SP, _holidays) is None


def test_a_network_without_quiet_hours_is_never_quiet() -> None:
    off = quiet.QuietHours(start=0, end=0, sundays=False, holidays=False)
    assert quiet.quiet_until(_local(2026, 12, 6, 3), off, SP, _holidays) is None


def test_quiet_windows_are_read_as_people_write_them() -> None:
    assert quiet.parse_window("21h 6h") == (21 * 60, 6 * 60)
    assert quiet.parse_window("21h30-6h") == (21 * 60 + 30, 6 * 60)
    assert quiet.parse_window("22:00 07:00") == (22 * 60, 7 * 60)
    assert quiet.parse_window("amanhã") is None
    assert quiet.parse_window("25h 7h") is None


# --- through the dispatcher ------------------------------------------------------------


async def _group_with_sink(runtime: Runtime) -> tuple[Group, list[tuple[str, Reply]]]:
    group = Group(runtime)
    await group.say(COORDINATOR, "/setores")
    sink: list[tuple[str, Reply]] = []

    async def send(chat_id: str, reply: Reply) -> None:
        sink.append((chat_id, reply))

    runtime.attach_sender(send)
    return group, sink


async def _network(runtime: Runtime) -> Network:
    async with runtime.sessions() as session:
        network = await session.scalar(select(Network))
        assert network is not None
        return network


async def _schedule_tests(runtime: Runtime, due: datetime, n: int, kind: str = "test") -> None:
    network = await _network(runtime)
    async with runtime.sessions() as session, session.begin():
        for i in range(n):
            await repo.schedule(
                session=session,
                network_id=network.id,
                key=f"{kind}:{i}",
                kind=kind,
                due_at=due,
                payload={"i": i},
            )

    async def render(ctx: object) -> list[Reply]:
        return [Reply(text=f"aviso {ctx.row.payload['i']}\nlinha dois")]  # type: ignore[attr-defined]

    runtime.router.renderers[kind] = render


async def test_an_automatic_message_in_quiet_hours_waits_for_the_morning(
    runtime: Runtime, clock: object
) -> None:
    _group, sink = await _group_with_sink(runtime)
    night = _local(2026, 11, 24, 22)  # Tuesday 22h
    await _schedule_tests(runtime, night, 1)
    await clock.set(night)  # type: ignore[attr-defined]
    assert runtime.dispatcher is not None
    await runtime.dispatcher.run_due()
    assert sink == []
    async with runtime.sessions() as session:
        row = await session.scalar(select(ScheduledMessage).where(ScheduledMessage.kind == "test"))
    assert row is not None and row.status == "pending" and row.due_at == _local(2026, 11, 25, 7)
    await clock.set(_local(2026, 11, 25, 7))  # type: ignore[attr-defined]
    await runtime.dispatcher.run_due()
    assert [r.text.splitlines()[0] for _chat, r in sink] == ["aviso 0"]


async def test_the_coordination_can_turn_quiet_hours_off(runtime: Runtime, clock: object) -> None:
    group, sink = await _group_with_sink(runtime)
    shown = await group.text(COORDINATOR, "/silencio")
    assert "das 20h às 7h" in shown and "domingos e feriados" in shown
    assert "desligado" in await group.text(COORDINATOR, "/silencio 25h")
    assert "coordenação" in (await group.text(ANA, "/silencio desligado")).lower()
    await group.text(COORDINATOR, "/silencio desligado")
    night = _local(2026, 11, 29, 23)  # Sunday 23h
    await _schedule_tests(runtime, night, 1)
    await clock.set(night)  # type: ignore[attr-defined]
    assert runtime.dispatcher is not None
    await runtime.dispatcher.run_due()
    assert len(sink) == 1


async def test_past_the_hourly_cap_the_rest_comes_in_one_digest(
    runtime: Runtime, clock: object
) -> None:
    group, sink = await _group_with_sink(runtime)
    await group.text(COORDINATOR, "/silencio limite 3")
    # Issue 14: the daily budget (1 by default) would hold the second; this is the hour's.
    await group.text(COORDINATOR, "/silencio por dia 20")
    await _schedule_tests(runtime, NOW, 5)
    assert runtime.dispatcher is not None
    await runtime.dispatcher.run_due()
    assert [r.text.splitlines()[0] for _c, r in sink] == ["aviso 0", "aviso 1", "aviso 2"]
    await clock.set(NOW + timedelta(minutes=59))  # type: ignore[attr-defined]
    await runtime.dispatcher.run_due()
    assert len(sink) == 3
    await clock.set(NOW + timedelta(hours=1))  # type: ignore[attr-defined]
    await runtime.dispatcher.run_due()
    digest = sink[3][1].text
    assert len(sink) == 4
    assert "Mais 2 avisos do bot nesta hora" in digest
    assert "• aviso 3" in digest and "• aviso 4" in digest and "linha dois" not in digest
    async with runtime.sessions() as session:
        held = (await session.scalars(select(Delivery).where(Delivery.status == "held"))).all()
    assert len(held) == 2


async def test_after_a_long_gap_a_referral_is_chased_once_with_its_current_state(
    runtime: Runtime, clock: object
) -> None:
    group, sink = await _group_with_sink(runtime)
    await group.seat(ANA, "Saúde")
    await group.say(COORDINATOR, "/encaminhar Saúde | 2 dias | CASO-2026-001: avaliação")
    # The bot was down for a month: every step of the ladder is due at once.
    await clock.set(NOW + timedelta(days=30, hours=2))  # type: ignore[attr-defined]
    assert runtime.dispatcher is not None
    await runtime.dispatcher.run_due()
    chases = [r for _c, r in sink if "E-2026-001" in r.text and r.to_user is None]
    chases = [r for r in chases if "Resumo semanal" not in r.text]  # the coordination's digest
    assert len(chases) == 1
    (chase,) = chases
    assert "atrasad" in chase.text and "vence" not in chase.text  # the current state only
    assert [p.user_id for p in chase.mentions] == [ANA.user_id]


async def test_a_sector_nobody_represents_is_reported_to_the_coordination_once(
    runtime: Runtime, clock: object
) -> None:
    group, sink = await _group_with_sink(runtime)
    await group.say(COORDINATOR, "/encaminhar Polícia Militar | 2 dias | CASO-2026-002: visita")
    assert runtime.dispatcher is not None
    for day in (1, 3, 5, 8, 12, 20):
        await clock.set(NOW + timedelta(days=day, hours=1))  # type: ignore[attr-defined]
        await runtime.dispatcher.run_due()
    notices = [r for _c, r in sink if "E-2026-001" in r.text]
    assert len(notices) == 1
    assert "Polícia Militar" in notices[0].text and "representante" in notices[0].text
    assert notices[0].mentions and notices[0].mentions[0].user_id == COORDINATOR.user_id


async def test_without_smtp_the_email_step_is_skipped_and_the_coordination_told_once(
    runtime: Runtime, clock: object
) -> None:
    group, sink = await _group_with_sink(runtime)
    await group.seat(ANA, "Saúde")
    await group.say(COORDINATOR, "/email Saúde saude@palmital.pr.gov.br")
    for code in ("001", "002"):
        await group.say(COORDINATOR, f"/encaminhar Saúde | 2 dias | CASO-2026-{code}: visita")
    assert runtime.dispatcher is not None
    for day in range(1, 25):
        await clock.set(NOW + timedelta(days=day, hours=1))  # type: ignore[attr-defined]
        await runtime.dispatcher.run_due()
    off = [r for _c, r in sink if "e-mail está desligado" in r.text]
    assert len(off) == 1 and "SMTP_HOST" in off[0].text
    async with runtime.sessions() as session:
        skipped = (
            await session.scalars(select(Delivery).where(Delivery.status == "skipped"))
        ).all()
        failed = (await session.scalars(select(Delivery).where(Delivery.status == "failed"))).all()
    assert len(skipped) == 2 and failed == []


async def test_after_a_quiet_gap_the_events_go_out_in_the_order_they_happened(
    runtime: Runtime, clock: object
) -> None:
    """Issue 12: Saturday's warning must not come before Friday's. Saturday's row was
    planned first; both fall in quiet hours and wait for Monday 7h together."""
    group, sink = await _group_with_sink(runtime)
    # Issue 14: with the daily budget (1) the second would come on Tuesday, merged; this
    # test is about their order.
    await group.text(COORDINATOR, "/silencio por dia 5")
    network = await _network(runtime)
    async with runtime.sessions() as session, session.begin():
        for key, due in (("sat", _local(2026, 11, 28, 21)), ("fri", _local(2026, 11, 27, 21))):
            await repo.schedule(
                session=session,
                network_id=network.id,
                key=f"event:{key}",
                kind="event",
                due_at=due,
                payload={"day": key},
            )

    async def render(ctx: object) -> list[Reply]:
        return [Reply(text=f"aviso de {ctx.row.payload['day']}")]  # type: ignore[attr-defined]

    runtime.router.renderers["event"] = render
    assert runtime.dispatcher is not None
    await clock.set(_local(2026, 11, 29, 10))  # type: ignore[attr-defined]  # a quiet Sunday
    await runtime.dispatcher.run_due()
    assert sink == []
    await clock.set(_local(2026, 11, 30, 7))  # type: ignore[attr-defined]
    await runtime.dispatcher.run_due()
    assert [r.text for _chat, r in sink] == ["aviso de fri", "aviso de sat"]
    async with runtime.sessions() as session:
        rows = (await session.scalars(select(ScheduledMessage).order_by(ScheduledMessage.id))).all()
    assert [r.planned_at for r in rows if r.kind == "event"] == [
        _local(2026, 11, 28, 21),
        _local(2026, 11, 27, 21),
    ]


# --- one message per meeting after a gap -----------------------------------------------

MEETING_CARD = "terça, 08/12 às 14h"  # the ordinary meeting of December 2026 (2ª terça)


async def _calendar_2026(group: Group) -> None:
    preview = await group.say(COORDINATOR, "/gerarcalendario 2026 2ª terça 14h CRAS")
    save = next(r for r in preview if r.buttons).buttons[0][0].data
    assert any("salvo" in r.text for r in await group.press(COORDINATOR, save))


def _about_the_meeting(sink: list[tuple[str, Reply]]) -> list[str]:
    return [r.text for _chat, r in sink if MEETING_CARD in r.text]


async def test_after_a_gap_the_announcement_and_the_reminder_of_a_meeting_are_one_message(
    runtime: Runtime, clock: object
) -> None:
    group, sink = await _group_with_sink(runtime)
    await _calendar_2026(group)
    # Down from before the 1st (the month's announcement) until the meeting's morning:
    # the announcement and the day-before reminder are both due.
    await clock.set(_local(2026, 12, 8, 9))  # type: ignore[attr-defined]
    assert runtime.dispatcher is not None
    await runtime.dispatcher.run_due()
    (said,) = _about_the_meeting(sink)
    assert said.startswith("📣 Reunião de dezembro") and "(em 5 horas)" in said
    # The 2h reminder, on time, still goes.
    await clock.set(_local(2026, 12, 8, 12))  # type: ignore[attr-defined]
    await runtime.dispatcher.run_due()
    assert [t.splitlines()[0] for t in _about_the_meeting(sink)] == [
        "📣 Reunião de dezembro",
        "⏰ Lembrete",
    ]


async def test_on_time_the_announcement_and_the_day_before_reminder_both_go(
    runtime: Runtime, clock: object
) -> None:
    group, sink = await _group_with_sink(runtime)
    await _calendar_2026(group)
    assert runtime.dispatcher is not None
    for when in (_local(2026, 12, 1, 8), _local(2026, 12, 7, 14)):
        await clock.set(when)  # type: ignore[attr-defined]
        await runtime.dispatcher.run_due()
    assert [t.splitlines()[0] for t in _about_the_meeting(sink)] == [
        "📣 Reunião de dezembro",
        "⏰ Lembrete",
    ]


async def test_a_quorum_check_come_too_late_is_not_sent(runtime: Runtime, clock: object) -> None:
    group, sink = await _group_with_sink(runtime)
    await group.text(COORDINATOR, "/silencio por dia 5")  # as in the test below
    await group.seat(ANA, "Saúde")
    await _calendar_2026(group)
    assert runtime.dispatcher is not None
    await clock.set(_local(2026, 12, 8, 13, 30))  # type: ignore[attr-defined]
    await runtime.dispatcher.run_due()
    assert _about_the_meeting(sink)  # the meeting is still said, once
    assert not [t for _c, r in sink if "quórum" in (t := r.text)]
    async with runtime.sessions() as session:
        check = await session.scalar(
            select(ScheduledMessage).where(ScheduledMessage.kind == "quorum_check")
        )
    assert check is not None and check.status == "sent"  # done, with nothing to say


async def test_a_quorum_check_on_time_warns_the_coordination(
    runtime: Runtime, clock: object
) -> None:
    group, sink = await _group_with_sink(runtime)
    await group.text(COORDINATOR, "/silencio por dia 5")  # the announcement goes the same day
    await group.seat(ANA, "Saúde")
    await _calendar_2026(group)
    assert runtime.dispatcher is not None
    # Due Sunday the 6th at 14h, two days before; Sundays are quiet: Monday at 7h.
    await clock.set(_local(2026, 12, 7, 7))  # type: ignore[attr-defined]
    await runtime.dispatcher.run_due()
    (warning,) = [t for _c, r in sink if "quórum" in (t := r.text)]
    assert warning.startswith("⚠️ Coordenação: o único setor esperado, Saúde, ainda não confirmou")


async def test_the_day_before_reminder_keeps_the_days_one_message(
    runtime: Runtime, clock: object
) -> None:
    """Monday the 7th: another automatic message (a quorum warning, a chase) comes due in
    the morning; the day's one message (issue 14) is the reminder's, at 14h, saying
    "amanhã" with its buttons: the other waits for Tuesday's merged message."""
    group, sink = await _group_with_sink(runtime)
    await _calendar_2026(group)
    assert runtime.dispatcher is not None
    await clock.set(_local(2026, 12, 1, 8))  # type: ignore[attr-defined]
    await runtime.dispatcher.run_due()  # the month's announcement
    await _schedule_tests(runtime, _local(2026, 12, 7, 10), 1)
    await clock.set(_local(2026, 12, 7, 10))  # type: ignore[attr-defined]
    await runtime.dispatcher.run_due()
    assert not [r for _c, r in sink if r.text.startswith("aviso")]
    await clock.set(_local(2026, 12, 7, 14))  # type: ignore[attr-defined]
    await runtime.dispatcher.run_due()
    reminder = sink[-1][1]
    assert reminder.text.startswith("⏰ Lembrete") and "(amanhã)" in reminder.text
    assert reminder.buttons
    await clock.set(_local(2026, 12, 8, 9))  # type: ignore[attr-defined]
    await runtime.dispatcher.run_due()
    digest = sink[-1][1].text
    assert "guardado de ontem" in digest and "aviso 0" in digest


async def test_a_quorum_check_quiet_hours_push_to_the_meetings_morning_still_goes(
    runtime: Runtime, clock: object
) -> None:
    """Due Monday 8/2/2027 at 14h, two days before the meeting moved to Wednesday 10/2 at
    14h by Carnival; Monday and Tuesday are holidays and the quiet hours end at 9h: the
    check runs on the meeting's morning, 5 hours before, on time (the bot was up)."""
    group, sink = await _group_with_sink(runtime)
    await group.text(COORDINATOR, "/silencio 20h 9h")
    await group.text(COORDINATOR, "/silencio por dia 5")
    await group.seat(ANA, "Saúde")
    await group.seat(BRUNO, "CREAS")
    preview = await group.say(COORDINATOR, "/gerarcalendario 2027 2ª terça 14h CRAS")
    assert any("quarta, 10/02 às 14h" in r.text for r in preview)
    await group.press(COORDINATOR, next(r for r in preview if r.buttons).buttons[0][0].data)
    assert runtime.dispatcher is not None
    await clock.set(_local(2027, 2, 8, 14))  # type: ignore[attr-defined]
    await runtime.dispatcher.run_due()
    assert not [t for _c, r in sink if "quórum" in (t := r.text)]  # a holiday: it waits
    await clock.set(_local(2027, 2, 10, 9))  # type: ignore[attr-defined]
    await runtime.dispatcher.run_due()
    print([t for _c, r in sink if "quórum" in (t := r.text)])
    (warning,) = [t for _c, r in sink if "quórum" in (t := r.text)]
    assert "quarta, 10/02 às 14h" in warning
    assert "nenhum dos 2 setores esperados confirmou" in warning and "CREAS, Saúde" in warning


async def test_on_the_meetings_day_a_late_announcement_is_not_held_by_the_hourly_cap(
    runtime: Runtime, clock: object
) -> None:
    """It stands for the day's reminder (which it replaces after a gap): like the day's
    messages, it goes whole, with its buttons, whatever else came due at once."""
    group, sink = await _group_with_sink(runtime)
    await group.text(COORDINATOR, "/silencio por dia 5")
    await _calendar_2026(group)
    await _schedule_tests(runtime, _local(2026, 11, 30, 10), 4)
    await clock.set(_local(2026, 12, 8, 9))  # type: ignore[attr-defined]
    assert runtime.dispatcher is not None
    await runtime.dispatcher.run_due()
    (said,) = [r for _c, r in sink if MEETING_CARD in r.text]
    assert said.text.startswith("📣 Reunião de dezembro") and said.buttons


async def test_after_a_gap_a_sectors_round_lists_each_encaminhamento_once(
    runtime: Runtime, clock: object
) -> None:
    group, sink = await _group_with_sink(runtime)
    await group.text(COORDINATOR, "/silencio por dia 5")
    await group.seat(ANA, "Saúde")
    await group.say(COORDINATOR, "/encaminhar Saúde | 2 dias | CASO-2026-001: avaliação")
    await group.say(COORDINATOR, "/encaminhar CREAS, Saúde | 5 dias | CASO-2026-002: visita")
    # Down for ten days: several steps of each are due at once.
    await clock.set(NOW + timedelta(days=10))  # type: ignore[attr-defined]
    assert runtime.dispatcher is not None
    await runtime.dispatcher.run_due()
    rounds = [r.text for _c, r in sink if r.text.startswith("📋 Saúde")]
    assert len(rounds) == 1, rounds
    (said,) = rounds
    assert said.startswith("📋 Saúde: 2 devolutivas a enviar.")
    lines = [line.split()[1] for line in said.splitlines() if line.startswith(("⚠️", "⏳"))]
    assert lines == ["E-2026-001", "E-2026-002"], said


async def test_after_a_gap_a_reporting_deadline_speaks_of_its_current_date_once(
    runtime: Runtime, clock: object
) -> None:
    group, sink = await _group_with_sink(runtime)
    await group.text(COORDINATOR, "/silencio por dia 5")
    await group.seat(ANA, "Saúde")
    assert "10/12/2026" in await group.text(COORDINATOR, "/prazos novo RMA | mensal dia 10 | Saúde")
    # Down from before December's notices until the day after January's date.
    await clock.set(_local(2027, 1, 11, 10))  # type: ignore[attr-defined]
    assert runtime.dispatcher is not None
    await runtime.dispatcher.run_due()
    (said,) = [r.text for _c, r in sink if "RMA" in r.text]
    assert "pendente" in said and "10/01/2027" in said and "10/12/2026" not in said
    async with runtime.sessions() as session:
        planned = (
            await session.scalars(
                select(ScheduledMessage).where(
                    ScheduledMessage.key.startswith("report:"),
                    ScheduledMessage.status == "pending",
                )
            )
        ).all()
    assert {row.payload["due"] for row in planned} == {"2027-02-10"}
    # On time again: February's announcement, then its pending notice.
    await clock.set(_local(2027, 2, 3, 9))  # type: ignore[attr-defined]
    await runtime.dispatcher.run_due()
    assert "📅" in sink[-1][1].text and "10/02/2027" in sink[-1][1].text


async def test_a_saturdays_held_notice_says_since_saturday_on_monday(
    runtime: Runtime, clock: object
) -> None:
    _group, sink = await _group_with_sink(runtime)
    await _schedule_tests(runtime, _local(2026, 12, 5, 10), 2)  # a Saturday
    await clock.set(_local(2026, 12, 5, 10))  # type: ignore[attr-defined]
    assert runtime.dispatcher is not None
    await runtime.dispatcher.run_due()
    assert [r.text.splitlines()[0] for _c, r in sink] == ["aviso 0"]  # the day's one
    for day, hour in ((6, 9), (7, 7)):  # Sunday is quiet: Monday at 7h
        await clock.set(_local(2026, 12, day, hour))  # type: ignore[attr-defined]
        await runtime.dispatcher.run_due()
    assert len(sink) == 2
    digest = sink[-1][1].text
    assert digest.startswith("🗂 1 aviso do bot guardado desde sábado (uma mensagem por dia):")
    assert "aviso 1" in digest
