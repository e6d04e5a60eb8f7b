"""Whole conversations written once, played on every channel (issue 9 §1).

The same script runs on Telegram (the real client against the fake Bot API), on
WhatsApp (the real channel and webhook against the fake Evolution bridge: choices are
polls, voted on), and on a text-only platform (no buttons, edits or popups: choices are
answered by replying "2" or the option's words to the bot's message).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

import pytest
from sqlalchemy import select

from bot.clock import ManualClock
from bot.messages import ChatKind, Incoming, Person
from bot.runtime import Runtime, open_runtime
from storage.models import Meeting, Rsvp
from tests.channels import Shown, TextOnlyChannel, telegram_shown, whatsapp_shown
from tests.conftest import NOW, make_settings
from tests.fakes.bot_api import FakeUser
from tests.telegram_harness import ANA, COORD, GROUP, Harness, running_bot
from tests.whatsapp_harness import ANA as WA_ANA
from tests.whatsapp_harness import CARLA as WA_CARLA
from tests.whatsapp_harness import GROUP as WA_GROUP
from tests.whatsapp_harness import WhatsApp, running_whatsapp


class Driver(Protocol):
    runtime: Runtime
    clock: ManualClock

    async def say(self, who: str, text: str) -> list[Shown]: ...
    async def choose(self, who: str, message: Shown, index: int) -> list[Shown]: ...
    async def reply(self, who: str, message: Shown, text: str) -> list[Shown]: ...
    def seen(self) -> list[Shown]: ...


@dataclass
class TelegramDriver:
    tg: Harness
    users: dict[str, FakeUser] = field(default_factory=lambda: {"coord": COORD, "ana": ANA})

    @property
    def runtime(self) -> Runtime:
        return self.tg.runtime

    @property
    def clock(self) -> ManualClock:
        return self.tg.clock

    def seen(self) -> list[Shown]:
        return telegram_shown(self.tg.api.sent_messages(GROUP))

    async def _after(self, act: Any) -> list[Shown]:
        before = {s.message_id for s in self.seen()}
        lanes = self.tg.channel.lanes
        target = lanes.done + 1
        act()
        for _ in range(500):  # the update is fetched by long polling, then handled
            if lanes.done >= target and lanes.busy == 0:
                break
            await asyncio.sleep(0.01)
        return [s for s in self.seen() if s.message_id not in before]

    async def say(self, who: str, text: str) -> list[Shown]:
        return await self._after(lambda: self.tg.api.group_message(GROUP, self.users[who], text))

    async def choose(self, who: str, message: Shown, index: int) -> list[Shown]:
        stored = self.tg.api.message(GROUP, int(message.message_id))
        assert stored is not None
        return await self._after(
            lambda: self.tg.api.press_button(stored, message.buttons[index], self.users[who])
        )

    async def reply(self, who: str, message: Shown, text: str) -> list[Shown]:
        stored = self.tg.api.message(GROUP, int(message.message_id))
        return await self._after(
            lambda: self.tg.api.group_message(GROUP, self.users[who], text, reply_to=stored)
        )


@dataclass
class TextDriver:
    runtime: Runtime
    clock: ManualClock
    channel: TextOnlyChannel
    people: dict[str, Person] = field(
        default_factory=lambda: {
            "coord": Person(str(COORD.id), "Carla Lima", is_admin=True),
            "ana": Person(str(ANA.id), "Ana"),
        }
    )

    def seen(self) -> list[Shown]:
        return [s for s in self.channel.shown if s.chat_id == str(GROUP)]

    async def _send(self, who: str, *, checked: bool = True, **fields: Any) -> list[Shown]:
        """``checked``: the platform looked up the sender's admin rights (commands only)."""
        count = len(self.channel.shown)
        sender = self.people[who]
        await self.runtime.redebot.respond(
            Incoming(
                platform=self.channel.platform,
                chat_id=str(GROUP),
                chat_kind=ChatKind.GROUP,
                chat_title="Rede Teste",
                sender=sender if checked else replace(sender, is_admin=False),
                admin_checked=checked,
                **fields,
            )
        )
        return self.channel.shown[count:]

    async def say(self, who: str, text: str) -> list[Shown]:
        head, _sep, args = text[1:].partition(" ")
        return await self._send(who, text=text, command=head, args=args.strip())

    async def choose(self, who: str, message: Shown, index: int) -> list[Shown]:
        return await self.reply(who, message, str(index + 1))

    async def reply(self, who: str, message: Shown, text: str) -> list[Shown]:
        return await self._send(
            who,
            checked=False,
            text=text,
            reply_to_bot=True,
            replied_text=message.text,
            replied_message_id=message.message_id,
        )


@dataclass
class WhatsAppDriver:
    """Choices are polls: ``choose`` votes; a reply quotes the bot's text."""

    wa: WhatsApp
    people: dict[str, Any] = field(default_factory=lambda: {"coord": WA_CARLA, "ana": WA_ANA})
    votes: int = 0

    @property
    def runtime(self) -> Runtime:
        return self.wa.runtime

    @property
    def clock(self) -> ManualClock:
        return self.wa.clock

    def seen(self) -> list[Shown]:
        return whatsapp_shown(self.wa.bridge.sent, WA_GROUP)

    async def _after(self, event: Any) -> list[Shown]:
        before = {s.message_id for s in self.seen()}
        await self.wa.act(event)
        return [s for s in self.seen() if s.message_id not in before]

    async def say(self, who: str, text: str) -> list[Shown]:
        return await self._after(self.wa.bridge.say(WA_GROUP, self.people[who], text))

    async def choose(self, who: str, message: Shown, index: int) -> list[Shown]:
        sent = self.wa.bridge.sent
        at = next(i for i, s in enumerate(sent) if s.id == message.message_id)
        poll = sent[at + 1]
        if poll.route != "sendPoll":  # one option, or more than a poll holds: typed
            return await self.reply(who, message, str(index + 1))
        self.votes += 1
        return await self._after(
            self.wa.bridge.vote(
                WA_GROUP,
                self.people[who],
                poll,
                [poll.body["values"][index]],
                at_ms=1_767_000_000_000 + self.votes,
            )
        )

    async def reply(self, who: str, message: Shown, text: str) -> list[Shown]:
        quoted = next(s for s in self.wa.bridge.sent if s.id == message.message_id)
        return await self._after(
            self.wa.bridge.say(WA_GROUP, self.people[who], text, quoting=quoted)
        )


@pytest.fixture(params=["telegram", "whatsapp", "textonly"])
async def chat(
    request: pytest.FixtureRequest, sqlite_url: str, clock: ManualClock
) -> AsyncIterator[Driver]:
    if request.param == "telegram":
        async with running_bot(sqlite_url, clock) as tg:
            await tg.add_to_group()
            yield TelegramDriver(tg)
        return
    if request.param == "whatsapp":
        async with running_whatsapp(sqlite_url, clock) as wa:
            await wa.act(wa.bridge.add_bot(WA_GROUP, WA_CARLA))
            yield WhatsAppDriver(wa)
        return
    runtime = await open_runtime(make_settings(sqlite_url), clock)
    channel = TextOnlyChannel()
    runtime.add_channel(channel)
    runtime.start_dispatcher()
    try:
        yield TextDriver(runtime, clock, channel)
    finally:
        await runtime.close()


def _choice(shown: list[Shown], words: str) -> Shown:
    return next(s for s in reversed(shown) if words in s.text)


async def test_the_year_is_built_and_a_member_says_she_will_not_come(chat: Driver) -> None:
    preview = await chat.say("coord", "/gerarcalendario 2027 2ª terça 14h CRAS")
    card = _choice(preview, "Calendário 2027")
    saved = await chat.choose("coord", card, 0)
    assert any("salvo" in s.text for s in saved) or any("salvo" in s.text for s in chat.seen())
    await chat.say("ana", "/setor Saúde")
    # The January announcement (moved past the New Year holiday by the quiet hours).
    await chat.clock.set(datetime(2027, 1, 4, 10, 0, tzinfo=NOW.tzinfo))
    assert chat.runtime.dispatcher is not None
    await chat.runtime.dispatcher.run_due()
    await asyncio.sleep(0)
    announcement = _choice(chat.seen(), "janeiro")
    asked = await chat.choose("ana", announcement, 1)  # ❌ Não vou
    question = _choice(asked or chat.seen(), "por que")
    await chat.reply("ana", question, "audiência no fórum")
    async with chat.runtime.sessions() as session:
        answers = (await session.scalars(select(Rsvp))).all()
    assert [(a.answer, a.reason) for a in answers] == [("no", "audiência no fórum")]


async def test_a_wrong_command_is_answered_with_an_example_everywhere(chat: Driver) -> None:
    answer = await chat.say("ana", "/convocar amanhã")
    assert any("Exemplo" in s.text for s in answer)


async def test_the_coordination_picks_the_meeting_to_cancel_and_undoes_it(chat: Driver) -> None:
    preview = await chat.say("coord", "/gerarcalendario 2026 2ª terça 14h CRAS")
    await chat.choose("coord", _choice(preview, "Calendário 2026"), 0)
    await chat.say("coord", "/gt criar GT Infância | Saúde, CRAS | mensal 2ª terça 10h | CREAS")
    asked = await chat.say("coord", "/cancelar 08/12 | feriado municipal")
    question = _choice(asked, "Qual delas cancelar?")
    cancelled = await chat.choose("coord", question, 1)  # 14h — Reunião ordinária
    notice = _choice(cancelled or chat.seen(), "foi cancelada")
    assert "reunião ordinária de terça, 08/12 às 14h" in notice.text

    async def statuses() -> list[tuple[str, str]]:
        async with chat.runtime.sessions() as session:
            rows = await session.scalars(
                select(Meeting).where(Meeting.starts_at < NOW + timedelta(days=16))
            )
            return sorted((m.kind, m.status) for m in rows.all())

    assert await statuses() == [("ordinary", "cancelled"), ("working_group", "scheduled")]
    # ↩ Desfazer: a button, or (one option, no buttons) the word typed in reply.
    if notice.buttons:
        back = await chat.choose("coord", notice, 0)
    else:
        assert "*desfazer*" in notice.text
        back = await chat.reply("coord", notice, "desfazer")
    assert any("a reunião está mantida" in s.text for s in back or chat.seen())
    assert await statuses() == [("ordinary", "scheduled"), ("working_group", "scheduled")]
