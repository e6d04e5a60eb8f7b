"""A simulated year of one network (issue 14): how many automatic messages the group gets.

The network has the seed's monthly meeting (2ª terça 14h, CRAS), two confirmed
representatives who mark presence, and four encaminhamentos a month (three to Saúde,
one to Educação) that nobody answers. The dispatcher runs at every due time with the
test clock for a year; every automatic message is counted by where it went.
``REDEBOT_YEAR_REPORT=1`` prints the figures.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.clock import ManualClock
from bot.messages import Reply
from bot.rules.calendar import holidays_for
from bot.runtime import Runtime, open_runtime
from storage import repo
from storage.models import Delivery, Meeting, ScheduledMessage
from tests.conftest import make_settings
from tests.drive import ANA, BRUNO, COORDINATOR, Group

SP = ZoneInfo("America/Sao_Paulo")
START = datetime(2026, 12, 1, 9, 0, tzinfo=SP).astimezone(UTC)
END = datetime(2027, 12, 1, 0, 0, tzinfo=SP).astimezone(UTC)


@dataclass
class Year:
    group: Group
    # (local day, where): where is "group", "private" or a chat id of its own.
    sent: list[tuple[date, str, Reply]] = field(default_factory=list)
    meeting_days: set[date] = field(default_factory=set)

    def per_day(self, where: str = "group") -> Counter[date]:
        return Counter(day for day, to, _r in self.sent if to == where)


@pytest.fixture
async def year_runtime(tmp_path: Path) -> AsyncIterator[tuple[Runtime, ManualClock]]:
    clock = ManualClock(START)
    rt = await open_runtime(make_settings(f"sqlite+aiosqlite:///{tmp_path / 'y.db'}"), clock)
    yield rt, clock
    await rt.close()


async def simulate(runtime: Runtime, clock: ManualClock, setup: object = None) -> Year:
    group = Group(runtime)
    year = Year(group)
    presence: list[str] = []

    async def send(chat_id: str, reply: Reply) -> None:
        day = clock.now().astimezone(SP).date()
        where = (
            "private"
            if reply.to_user is not None
            else "group"
            if chat_id == group.chat_id
            else chat_id
        )
        year.sent.append((day, where, reply))
        for row in reply.buttons:
            for button in row:
                if button.label.endswith("Presente"):
                    presence.append(button.data)

    dispatcher = runtime.attach_sender(send)
    await group.seat(ANA, "Saúde")
    await group.seat(BRUNO, "Educação")
    for y in (2026, 2027):
        preview = await group.say(COORDINATOR, f"/gerarcalendario {y} 2ª terça 14h CRAS")
        save = preview[-1].buttons[0][0].data
        await group.press(COORDINATOR, save)
    if setup is not None:
        await setup(group)  # type: ignore[operator]
    month_done: set[tuple[int, int]] = set()
    code = 0
    while clock.now() < END:
        local = clock.now().astimezone(SP)
        if (local.year, local.month) not in month_done and local.hour >= 9 and local.day >= 2:
            month_done.add((local.year, local.month))
            for sector in ("Saúde", "Saúde", "Saúde", "Educação"):
                code += 1
                await group.say(
                    COORDINATOR, f"/encaminhar {sector} | 10 dias | CASO-{local.year}-{code:03d}: x"
                )
        await dispatcher.run_due()
        while presence:
            data = presence.pop()
            await group.press(ANA, data)
            await group.press(BRUNO, data)
        async with runtime.sessions() as session:
            dues = [
                await repo.next_due_at(session=session, lease=dispatcher.lease, table=table)
                for table in (ScheduledMessage, Delivery)
            ]
        nxt = min((d for d in dues if d is not None), default=END)
        # Never backwards; never past the next month's encaminhamentos (the 2nd at 9h).
        nxt = min(max(nxt, clock.now() + timedelta(minutes=1)), _next_month_start(month_done))
        await clock.set(nxt)
    async with runtime.sessions() as session:
        starts = await session.scalars(select(Meeting.starts_at))
        year.meeting_days = {s.astimezone(SP).date() for s in starts}
    return year


def _next_month_start(done: set[tuple[int, int]]) -> datetime:
    """When the simulation's next month begins: the 2nd at 9h (local) of the first month
    whose encaminhamentos are not made yet."""
    day = START.astimezone(SP).date().replace(day=1)
    while (day.year, day.month) in done:
        day = (day + timedelta(days=32)).replace(day=1)
    return min(datetime(day.year, day.month, 2, 9, 0, tzinfo=SP).astimezone(UTC), END)


def ordinary_days(year: Year) -> list[date]:
    """Working days of the year that hold no meeting (the meeting day is not ordinary)."""
    meeting_days = year.meeting_days
    holidays = set(holidays_for(2027, "PR")) | set(holidays_for(2026, "PR"))
    days = []
    day = START.astimezone(SP).date()
    while day < END.astimezone(SP).date():
        if day.weekday() < 6 and day not in holidays and day not in meeting_days:
            days.append(day)
        day += timedelta(days=1)
    return days


def figures(year: Year) -> dict[str, float]:
    per_day = year.per_day()
    days = ordinary_days(year)
    counts = [per_day.get(d, 0) for d in days]
    return {
        "max_ordinary": max(counts),
        "mean_ordinary": sum(counts) / len(counts),
        "days_over_one": sum(1 for c in counts if c > 1),
        "group_total": sum(per_day.values()),
        "max_any_day": max(per_day.values()),
        "private_total": sum(year.per_day("private").values()),
        "elsewhere_total": sum(1 for _d, w, _r in year.sent if w not in {"group", "private"}),
    }


def report(name: str, year: Year) -> dict[str, float]:
    found = figures(year)
    if os.environ.get("REDEBOT_YEAR_REPORT"):
        print(f"\n{name}: {found}")
        busiest = sorted(year.per_day().items(), key=lambda kv: -kv[1])[:3]
        for day, n in busiest:
            print(f"  {day} {n}:")
            for d, w, r in year.sent:
                if d == day and w == "group":
                    print("     ", r.text.splitlines()[0][:90])
    return found


@pytest.mark.timeout(900)
async def test_a_year_in_the_group_is_quiet(year_runtime: tuple[Runtime, ManualClock]) -> None:
    runtime, clock = year_runtime
    year = await simulate(runtime, clock)
    found = report("group only", year)
    # Before issue 14 this year gave up to 7 automatic group messages on an ordinary day
    # (mean 0.76, 45 days with more than one, 265 in the year; see README).
    assert found["max_ordinary"] <= 1 and found["days_over_one"] == 0
    assert found["group_total"] < 200


@pytest.mark.timeout(900)
async def test_a_year_with_a_coordination_chat(year_runtime: tuple[Runtime, ManualClock]) -> None:
    """The same year with /coordenacao aqui: quorum warnings and digests leave the group."""
    runtime, clock = year_runtime

    async def link(group: Group) -> None:
        coordination = Group(runtime, chat_id="-100300")
        linked = await coordination.text(COORDINATOR, "/coordenacao aqui")
        assert "grupo da coordenação" in linked

    year = await simulate(runtime, clock, link)
    found = report("with a coordination chat", year)
    assert found["max_ordinary"] <= 1
    elsewhere = [r.text for _d, w, r in year.sent if w == "-100300"]
    assert any("quórum" in t for t in elsewhere) and any("Resumo semanal" in t for t in elsewhere)
    assert not [r for _d, w, r in year.sent if w == "group" and "Resumo semanal" in r.text]
