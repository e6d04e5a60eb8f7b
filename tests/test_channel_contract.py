"""Default tests every channel passes (the Zulip habit): the same replies, each platform.

Each channel is driven through the core's ``Courier`` (which adapts a reply to the
channel's capabilities) and read back as a person would see it (``Shown``).
"""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.channels.base import Channel, Unreachable
from bot.channels.console import ConsoleChannel, ShiftedClock
from bot.clock import ManualClock
from bot.delivery import Courier
from bot.messages import Button, ChatKind, Incoming, OutFile, Person, Reply
from bot.runtime import Runtime, open_runtime
from storage.models import Choice
from tests.channels import Shown, TextOnlyChannel, telegram_shown, whatsapp_shown
from tests.conftest import make_settings
from tests.fakes.bot_api import FakeBotApi
from tests.telegram_harness import ANA, GROUP, running_bot
from tests.whatsapp_harness import GROUP as WA_GROUP
from tests.whatsapp_harness import running_whatsapp

ANA_PERSON = Person(user_id=str(ANA.id), name="Ana", username="ana_saude")


@dataclass
class Subject:
    channel: Channel
    chat_id: str
    courier: Courier
    runtime: Runtime
    seen: Callable[[], list[Shown]]
    api: FakeBotApi | None = None


def _console_seen(out: io.StringIO, chat_id: str) -> list[Shown]:
    shown: list[Shown] = []
    for block in re.split(r"^\[[^\]]+\] redebot:\n", out.getvalue(), flags=re.M)[1:]:
        lines = [line[2:] for line in block.splitlines()]
        buttons = tuple(re.findall(r"\[\d+\] ([^\[]+?)(?=\s{2}|\s+\(:botao)", block))
        files = re.findall(r"\[arquivo\] .*/([^/\n]+)$", block, flags=re.M)
        text = "\n".join(x for x in lines if not x.startswith(("[arquivo]", "[1]")))
        mentioned = frozenset(re.findall(r"@(\w+)", text))
        shown.append(Shown(chat_id, text, buttons, files[0] if files else None, mentioned))
    return shown


@pytest.fixture(params=["telegram", "whatsapp", "console", "textonly"])
async def subject(
    request: pytest.FixtureRequest, sqlite_url: str, clock: ManualClock, tmp_path: Path
) -> AsyncIterator[Subject]:
    if request.param == "telegram":
        async with running_bot(sqlite_url, clock) as tg:
            yield Subject(
                tg.channel,
                str(GROUP),
                tg.runtime.courier,
                tg.runtime,
                lambda: telegram_shown(tg.api.sent_messages()),
                tg.api,
            )
        return
    if request.param == "whatsapp":
        async with running_whatsapp(sqlite_url, clock) as wa:
            yield Subject(
                wa.channel,
                WA_GROUP,
                wa.runtime.courier,
                wa.runtime,
                lambda: whatsapp_shown(wa.bridge.sent, WA_GROUP),
            )
        return
    runtime = await open_runtime(make_settings(sqlite_url), clock)
    try:
        if request.param == "console":
            out = io.StringIO()
            console = ConsoleChannel(
                runtime=runtime, clock=ShiftedClock(), out=out, files_dir=tmp_path / "files"
            )
            runtime.add_channel(console)
            yield Subject(
                console,
                "console-group",
                runtime.courier,
                runtime,
                lambda: _console_seen(out, "console-group"),
            )
        else:
            text = TextOnlyChannel()
            runtime.add_channel(text)
            yield Subject(text, "-100", runtime.courier, runtime, lambda: list(text.shown))
    finally:
        await runtime.close()


async def _send(subject: Subject, reply: Reply) -> None:
    await subject.courier.send(
        platform=subject.channel.platform, chat_id=subject.chat_id, reply=reply
    )


async def test_a_text_arrives_whole(subject: Subject) -> None:
    await _send(subject, Reply(text="Reunião terça, 14/10 às 14h — CRAS"))
    assert any("Reunião terça, 14/10 às 14h — CRAS" in s.text for s in subject.seen())


async def test_a_long_text_is_split_within_the_limit_and_nothing_is_lost(subject: Subject) -> None:
    lines = [f"• linha {i:04d} do calendário do ano" for i in range(400)]
    await _send(subject, Reply(text="\n".join(lines)))
    seen = subject.seen()
    limit = subject.channel.capabilities.max_text
    assert all(len(s.text) <= limit for s in seen)
    joined = "\n".join(s.text for s in seen)
    assert all(line in joined for line in lines)


async def test_choices_are_buttons_or_numbered_options(subject: Subject) -> None:
    choices = (Button("✅ Vou", "v1:rsvp:y:1"), Button("❌ Não vou", "v1:rsvp:n:1"))
    await _send(subject, Reply(text="Você vai?", buttons=(choices,)))
    (shown,) = subject.seen()
    if subject.channel.capabilities.buttons:
        assert len(shown.buttons) == 2
    elif subject.channel.capabilities.polls:  # the text, then its poll at once
        assert "1. ✅ Vou" in shown.text and "2. ❌ Não vou" in shown.text
        assert "vote na enquete ou responda a esta mensagem com 1 ou 2" in shown.text.lower()
        assert shown.buttons == ("✅ Vou", "❌ Não vou")
    else:
        assert "1. ✅ Vou" in shown.text and "2. ❌ Não vou" in shown.text
        assert "responda a esta mensagem com 1 ou 2" in shown.text.lower()


async def test_a_mention_notifies_the_person(subject: Subject) -> None:
    await _send(subject, Reply(text="Falta a devolutiva:", mentions=(ANA_PERSON,)))
    (shown,) = subject.seen()
    assert ANA_PERSON.user_id in shown.mentioned or "Ana" in shown.mentioned


async def test_a_file_arrives_with_its_name_even_when_built_late(subject: Subject) -> None:
    late = OutFile.later("presenca.csv", "text/csv", lambda: b"Setor;Presente\nCRAS;sim\n")
    await _send(subject, Reply(text="Lista de presença", file=late))
    assert any(s.file == "presenca.csv" for s in subject.seen())


async def test_an_edit_where_edits_do_not_exist_becomes_a_new_message(subject: Subject) -> None:
    await _send(subject, Reply(text="Calendário: confira"))
    origin = Incoming(
        platform=subject.channel.platform,
        chat_id=subject.chat_id,
        chat_kind=ChatKind.GROUP,
        sender=ANA_PERSON,
        button="v1:cal:ok:1",
        message_id=subject.seen()[0].message_id or None,
    )
    await subject.courier.send(
        platform=subject.channel.platform,
        chat_id=subject.chat_id,
        reply=Reply(text="Calendário salvo", edit=True),
        origin=origin,
    )
    assert any("Calendário salvo" in s.text for s in subject.seen())


async def test_an_edit_that_asks_a_new_choice_shows_it_everywhere(subject: Subject) -> None:
    """The next question of a plan import: edited in place where edits exist, a new
    message with its choices (a poll on WhatsApp) elsewhere; never left unsaid."""
    first = (Button("➕ Novo setor", "v1:plansec:1:0:n:0"), Button("Ignorar", "v1:plansec:1:0:i:0"))
    await _send(subject, Reply(text="Qual setor da Rede é SEJUDH?", buttons=(first,)))
    origin = Incoming(
        platform=subject.channel.platform,
        chat_id=subject.chat_id,
        chat_kind=ChatKind.GROUP,
        sender=ANA_PERSON,
        button=first[1].data,
        message_id=subject.seen()[0].message_id or None,
    )
    second = (
        Button("➕ Novo setor", "v1:plansec:1:1:n:0"),
        Button("Ignorar", "v1:plansec:1:1:i:0"),
    )
    await subject.courier.send(
        platform=subject.channel.platform,
        chat_id=subject.chat_id,
        reply=Reply(
            text="Qual setor da Rede é UAGE?", buttons=(second,), edit=True, new_choice=True
        ),
        origin=origin,
    )
    seen = subject.seen()
    shown = [s for s in seen if "UAGE" in s.text]
    assert shown, seen
    caps = subject.channel.capabilities
    if caps.buttons or caps.polls:
        assert len(shown[-1].buttons) == 2
    else:
        assert "1. ➕ Novo setor" in shown[-1].text and "2. Ignorar" in shown[-1].text
    if subject.api is not None:  # Telegram edits in place: the first question is gone
        assert not any("SEJUDH" in s.text for s in seen)


async def test_a_private_message_nobody_can_receive_goes_to_the_group_naming_them(
    subject: Subject,
) -> None:
    if isinstance(subject.channel, ConsoleChannel):
        pytest.skip("the console shows private messages inline: nobody is unreachable")
    blocked = Person(user_id="999999", name="Helena")
    if subject.api is not None:
        subject.api.fail_next("sendMessage", 403, chat_id=999999)
    try:
        await _send(subject, Reply(text="Sua ata está atrasada.", to_user=blocked))
    except Unreachable:  # pragma: no cover - the courier must not let it through
        pytest.fail("the courier let an unreachable recipient through")
    seen = subject.seen()
    assert any("Sua ata está atrasada." in s.text and s.chat_id == subject.chat_id for s in seen)
    assert any("999999" in s.mentioned or "Helena" in s.text for s in seen)
    if not subject.channel.capabilities.buttons:
        # Shown in the group, it is the group's: a quote of it is known to be the bot's.
        async with subject.runtime.sessions() as session:
            chats = (await session.scalars(select(Choice.chat_id))).all()
        assert subject.chat_id in chats, chats


async def test_a_confidential_message_nobody_can_receive_never_goes_to_the_group(
    subject: Subject,
) -> None:
    if isinstance(subject.channel, ConsoleChannel):
        pytest.skip("the console shows private messages inline: nobody is unreachable")
    blocked = Person(user_id="999999", name="Helena")
    if subject.api is not None:
        subject.api.fail_next("sendMessage", 403, chat_id=999999)
    timeline = "CASO-2026-001 — linha do tempo: aberto, risco alto"
    await _send(subject, Reply(text=timeline, to_user=blocked, confidential=True))
    group = [s for s in subject.seen() if s.chat_id == subject.chat_id]
    assert group and not any("risco alto" in s.text for s in group), group
    assert any("/start" in s.text for s in group)
