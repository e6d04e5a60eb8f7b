"""The network's WhatsApp group, end to end: the real channel and HTTP client code, the
bot's real webhook, and a fake Evolution bridge on loopback (tests.fakes.evolution)."""

from __future__ import annotations

import itertools
import json
import logging
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from bot.channels.whatsapp import WEBHOOK_PATH
from bot.clock import ManualClock
from storage import repo
from storage.models import Choice, ChoiceAnswer, Contact, InboxEvent, Meeting, Member, Network, Rsvp
from tests.conftest import NOW
from tests.fakes.evolution import INSTANCE, OWN_PN, Phone, Sent
from tests.whatsapp_harness import (
    ANA,
    BRUNO,
    CARLA,
    DORA,
    GROUP,
    SECRET,
    WhatsApp,
    running_whatsapp,
)

FIXTURES = Path(__file__).parent / "fixtures" / "whatsapp"


@pytest.fixture
async def wa(database_url: str, clock: ManualClock) -> AsyncIterator[WhatsApp]:
    """On SQLite and on a real PostgreSQL server."""
    async with running_whatsapp(database_url, clock) as harness:
        yield harness


@pytest.fixture
async def seated(wa: WhatsApp) -> WhatsApp:
    await wa.seat_members()
    return wa


async def _count(wa: WhatsApp, model: type) -> int:
    async with wa.runtime.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def _generate_2027(wa: WhatsApp) -> None:
    preview = await wa.say(CARLA, "/gerarcalendario 2027 2ª terça 14h CRAS")
    poll = next(s for s in preview if s.route == "sendPoll")
    await wa.act(wa.bridge.vote(GROUP, CARLA, poll, [poll.body["values"][0]], at_ms=1))


async def _announcement(wa: WhatsApp) -> tuple[Sent, Sent]:
    """January's meeting announced to the group: its text and its RSVP poll."""
    await _generate_2027(wa)
    mark = wa.bridge.mark()
    await wa.clock.set(datetime(2027, 1, 4, 10, 0, tzinfo=NOW.tzinfo))
    assert wa.runtime.dispatcher is not None
    await wa.runtime.dispatcher.run_due()
    sent = wa.bridge.since(mark, GROUP)
    at = next(i for i, s in enumerate(sent) if "janeiro" in s.text.lower())
    text_message, poll = sent[at], sent[at + 1]
    assert poll.route == "sendPoll"
    return text_message, poll


async def _convene(wa: WhatsApp, who: Phone, text: str) -> list[Sent]:
    """``who`` types ``/convocar …`` and votes Enviar in the preview's poll; what was sent."""
    preview = await wa.say(who, text)
    poll = next(s for s in preview if s.route == "sendPoll")
    assert not any(s.body.get("mentioned") for s in preview)  # a preview mentions nobody
    return await wa.act(wa.bridge.vote(GROUP, who, poll, ["📣 Enviar"], at_ms=1_767_000_000_000))


async def _answers(wa: WhatsApp) -> list[tuple[str, str | None]]:
    async with wa.runtime.sessions() as session:
        return [(r.answer, r.reason) for r in (await session.scalars(select(Rsvp))).all()]


# --- joining and registration ---


async def test_the_bot_registers_its_webhook_with_the_secret_header(wa: WhatsApp) -> None:
    hook = wa.bridge.webhook
    assert hook is not None
    assert hook["url"] == f"{wa.http_url}{WEBHOOK_PATH}"
    assert hook["headers"] == {"x-redebot-secret": SECRET}
    assert hook["enabled"] is True and hook["byEvents"] is False and hook["base64"] is False
    assert set(hook["events"]) == {
        "MESSAGES_UPSERT",
        "GROUP_PARTICIPANTS_UPDATE",
        "GROUPS_UPSERT",
        "CONNECTION_UPDATE",
    }


async def test_the_bridge_may_reach_the_bot_on_a_private_address(
    sqlite_url: str, clock: ManualClock
) -> None:
    async with running_whatsapp(sqlite_url, clock, internal_url=True) as wa:
        assert wa.bridge.webhook is not None
        assert wa.bridge.webhook["url"] == f"{wa.http_url}{WEBHOOK_PATH}"
        sent = await wa.act(wa.bridge.add_bot(GROUP, CARLA))
        assert "Olá, Rede!" in sent[0].text
        # The calendar links still use the public address.
        ics = await wa.say(CARLA, "/ics")
        assert any("https://rede.example.org/ics/" in s.text for s in ics)


async def test_the_bot_added_to_a_group_greets_it_once(wa: WhatsApp) -> None:
    sent = await wa.act(wa.bridge.add_bot(GROUP, CARLA))
    assert [s.number for s in sent] == [GROUP]
    assert "Olá, Rede!" in sent[0].text
    # The bridge also says the group exists (groups.upsert): no second greeting.
    upsert = wa.bridge.envelope(
        "groups.upsert", [{"id": GROUP, "subject": "Rede de Proteção de Palmital"}]
    )
    assert await wa.act(wa.bridge.post(upsert)) == []
    async with wa.runtime.sessions() as session:
        network = await repo.network_by_chat(session=session, platform="whatsapp", chat_id=GROUP)
    assert network is not None and network.title == "Rede de Proteção de Palmital"


async def test_every_member_command_answers_in_the_group(seated: WhatsApp) -> None:
    answer = await seated.say(ANA, "/proxima")
    assert len(answer) == 1 and answer[0].number == GROUP
    wrong = await seated.say(ANA, "/convocar amanhã")  # incomplete: asked step by step
    assert "Quando será a reunião?" in wrong[0].text and "por exemplo: /convocar" in wrong[0].text
    wrong = await seated.say(ANA, "/convocar ontem 9h | CRAS | pauta | risco iminente à criança")
    assert "Exemplo" in wrong[0].text and wrong[0].number == GROUP


# --- webhook security and delivery ---


async def test_a_request_without_the_secret_gets_401_and_changes_nothing(wa: WhatsApp) -> None:
    event = wa.bridge.envelope(
        "messages.upsert", wa.bridge.message_data(GROUP, ANA, {"conversation": "/setor Saúde"})
    )
    assert await wa.bridge.post(event, headers={}) == 401
    assert await wa.bridge.post(event, headers={"x-redebot-secret": SECRET[:-1] + "0"}) == 401
    await wa.channel.settle()
    assert wa.bridge.sent == []
    assert await _count(wa, Network) == 0 and await _count(wa, InboxEvent) == 0


async def test_an_event_of_another_instance_has_no_effect(wa: WhatsApp) -> None:
    event = wa.bridge.envelope(
        "messages.upsert", wa.bridge.message_data(GROUP, ANA, {"conversation": "/setor Saúde"})
    )
    event["instance"] = "someone-else"
    assert await wa.act(wa.bridge.post(event)) == []
    assert await _count(wa, Network) == 0


async def test_a_redelivered_event_is_applied_once(seated: WhatsApp) -> None:
    key = seated.bridge.new_id()
    first = await seated.say(DORA, "/proxima", key_id=key)
    again = await seated.say(DORA, "/proxima", key_id=key)
    assert len(first) == 1 and again == []
    assert await _count(seated, InboxEvent) == 0


async def test_an_event_left_by_a_dead_process_is_applied_at_the_next_start(
    sqlite_url: str, clock: ManualClock
) -> None:
    async with running_whatsapp(sqlite_url, clock) as first:
        await first.act(first.bridge.add_bot(GROUP, CARLA))
        event = first.bridge.envelope(
            "messages.upsert",
            first.bridge.message_data(GROUP, ANA, {"conversation": "/setor Saúde"}),
        )
    # The 200 was given (the event is in the inbox) and the process died before applying it.
    async with first.runtime.sessions() as session, session.begin():
        await repo.keep_inbox(session=session, platform="whatsapp", payload=event, now=clock.now())
    async with running_whatsapp(sqlite_url, clock) as second:
        await second.channel.settle()
        assert any("Ana" in s.text and "Saúde" in s.text for s in second.bridge.sent)
        assert await _count(second, InboxEvent) == 0
        # The bridge redelivers it too: still applied once.
        assert await second.act(second.bridge.post(event)) == []


# --- privacy: group talk is neither stored nor logged ---


async def test_group_talk_is_neither_stored_nor_logged(
    seated: WhatsApp, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    talk = "A Maria Souza, 8 anos, CPF 123.456.789-09, mora na rua das Flores 12"
    assert await seated.say(BRUNO, talk) == []
    other = seated.bridge.message_data(GROUP, ANA, {"conversation": "Oi, tudo bem?"})
    # Quoting a person's message (not the bot's) is talk as well.
    quoted = seated.bridge.message_data(
        GROUP,
        DORA,
        {"conversation": f"Sobre isso: {talk}"},
        context={
            "stanzaId": other["key"]["id"],
            "participant": ANA.lid,
            "quotedMessage": {"conversation": "Oi, tudo bem?"},
        },
    )
    assert (
        await seated.act(seated.bridge.post(seated.bridge.envelope("messages.upsert", quoted)))
        == []
    )
    assert "Maria" not in caplog.text and "123.456.789" not in caplog.text
    async with seated.runtime.sessions() as session:
        listing = (
            "SELECT name FROM sqlite_master WHERE type='table'"
            if session.get_bind().dialect.name == "sqlite"
            else "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
        )
        tables = (await session.execute(text(listing))).scalars().all()
        assert "members" in tables

        for table in tables:
            rows = (await session.execute(text(f'SELECT * FROM "{table}"'))).all()
            dump = json.dumps([list(map(str, r)) for r in rows], ensure_ascii=False)
            assert "Maria" not in dump and "123.456.789" not in dump, table


# --- identities ---


async def test_one_person_is_one_member_whichever_id_arrives(wa: WhatsApp) -> None:
    await wa.act(wa.bridge.add_bot(GROUP, CARLA))
    # First seen by phone only (an older client: no participantAlt, phone addressing).
    await wa.act(
        wa.bridge.post(
            wa.bridge.envelope(
                "messages.upsert",
                {
                    **wa.bridge.message_data(
                        GROUP, ANA, {"conversation": "/setor Saúde"}, alt=False
                    ),
                    "key": {
                        "remoteJid": GROUP,
                        "fromMe": False,
                        "id": wa.bridge.new_id(),
                        "participant": ANA.pn,
                    },
                },
            )
        )
    )
    # Then by LID with the phone as participantAlt, then by LID alone.
    await wa.say(ANA, "/proxima")
    await wa.say(ANA, "/proxima", alt=False)
    async with wa.runtime.sessions() as session:
        members = (await session.scalars(select(Member).where(Member.name == "Ana"))).all()
        assert [(m.user_id, m.sector_id is not None) for m in members] == [(ANA.lid, True)]
    # Privately, by phone JID without the LID: the same person (a contact under one id).
    private = wa.bridge.message_data(ANA.pn, ANA, {"conversation": "/start"}, alt=False)
    sent = await wa.act(wa.bridge.post(wa.bridge.envelope("messages.upsert", private)))
    assert sent and sent[0].number == ANA.pn
    async with wa.runtime.sessions() as session:
        contacts = (await session.scalars(select(Contact))).all()
    assert [c.user_id for c in contacts] == [ANA.lid]


async def test_mentions_carry_the_group_s_ids_and_at_digits(seated: WhatsApp) -> None:
    sent = await _convene(
        seated,
        CARLA,
        "/convocar 20/01/2027 10h | CREAS | CASO-2027-001: plano | risco iminente, decidir já",
    )
    convocation = next(s for s in sent if s.route == "sendText" and s.body.get("mentioned"))
    mentioned = convocation.body["mentioned"]
    assert set(mentioned) == {ANA.lid, BRUNO.lid, DORA.lid}
    for phone in (ANA, BRUNO, DORA):
        assert "@" + phone.lid.partition("@")[0] in convocation.text


async def test_in_a_phone_addressed_group_mentions_use_phone_ids(
    sqlite_url: str, clock: ManualClock
) -> None:
    async with running_whatsapp(sqlite_url, clock, lid_addressed=False) as wa:
        await wa.seat_members()
        sent = await _convene(
            wa,
            CARLA,
            "/convocar 20/01/2027 10h | CREAS | CASO-2027-001: plano | risco iminente, decidir já",
        )
        convocation = next(s for s in sent if s.body.get("mentioned"))
        assert set(convocation.body["mentioned"]) == {ANA.pn, BRUNO.pn, DORA.pn}
        assert "@" + ANA.digits in convocation.text


async def test_a_mention_names_the_new_coordinator(seated: WhatsApp) -> None:
    sent = await seated.say(CARLA, f"/coordenador + @{ANA.lid.partition('@')[0]}", mentions=(ANA,))
    assert "Ana" in sent[0].text and "coordenação" in sent[0].text
    async with seated.runtime.sessions() as session:
        ana = await session.scalar(select(Member).where(Member.user_id == ANA.lid))
    assert ana is not None and ana.is_coordinator


async def test_the_coordination_names_a_new_coordinator_by_her_name(seated: WhatsApp) -> None:
    # No @username on WhatsApp: "/coordenador + Ana", as the coordinator knows her.
    sent = await seated.say(CARLA, "/coordenador + ana")
    assert "Ana agora faz parte da coordenação" in sent[0].text
    async with seated.runtime.sessions() as session:
        ana = await session.scalar(select(Member).where(Member.user_id == ANA.lid))
    assert ana is not None and ana.is_coordinator
    removed = await seated.say(CARLA, "/coordenador - Ana")
    assert "Ana não faz mais parte da coordenação" in removed[0].text
    unknown = await seated.say(CARLA, "/coordenador + Joana Prado")
    assert "Ainda não conheço Joana Prado" in unknown[0].text
    assert "Exemplo: /coordenador + Maria Souza" in unknown[0].text


# --- admins ---


async def test_admin_commands_follow_the_group_s_admins_at_once(seated: WhatsApp) -> None:
    refused = await seated.say(ANA, "/gerarcalendario 2027 2ª terça 14h CRAS")
    assert "coordena" in refused[0].text.lower()
    await seated.act(seated.bridge.promote(GROUP, ANA))
    allowed = await seated.say(ANA, "/gerarcalendario 2027 2ª terça 14h CRAS")
    assert any(s.route == "sendPoll" for s in allowed)
    await seated.act(seated.bridge.promote(GROUP, ANA, admin=False))
    again = await seated.say(ANA, "/gerarcalendario 2027 2ª terça 14h CRAS")
    assert "coordena" in again[0].text.lower()


# --- choices: polls and typed answers ---


async def test_rsvp_by_vote_then_by_typed_number_the_later_wins(seated: WhatsApp) -> None:
    text_message, poll = await _announcement(seated)
    assert poll.body["values"] == ["✅ Vou", "❌ Não vou", "🤔 Talvez"]
    assert poll.body["selectableCount"] == 1
    assert poll.body["name"] == text_message.text.splitlines()[0]
    silent = await seated.act(
        seated.bridge.vote(GROUP, ANA, poll, ["✅ Vou"], at_ms=1_767_000_100_000)
    )
    assert silent == []  # the poll shows the count
    assert await _answers(seated) == [("yes", None)]
    # Typed later, quoting the text: "3" (Talvez).
    await seated.say(ANA, "3", quoting=text_message, stamp=1_767_000_200)
    assert await _answers(seated) == [("maybe", None)]


async def test_out_of_order_and_empty_votes(seated: WhatsApp) -> None:
    _text, poll = await _announcement(seated)
    await seated.act(seated.bridge.vote(GROUP, BRUNO, poll, ["🤔 Talvez"], at_ms="1767000300000"))
    # An older vote arrives late (the bridge does not keep order): ignored.
    older = {
        "low": 1_767_000_000_000 & 0xFFFFFFFF,
        "high": 1_767_000_000_000 >> 32,
        "unsigned": True,
    }
    await seated.act(seated.bridge.vote(GROUP, BRUNO, poll, ["✅ Vou"], at_ms=older))
    assert await _answers(seated) == [("maybe", None)]
    # Retracted or undecryptable: changes nothing, says nothing.
    assert (
        await seated.act(seated.bridge.vote(GROUP, BRUNO, poll, [], at_ms=1_767_000_400_000)) == []
    )
    assert await _answers(seated) == [("maybe", None)]


async def test_not_going_asks_for_the_reason_as_a_message_to_reply_to(seated: WhatsApp) -> None:
    _text, poll = await _announcement(seated)
    asked = await seated.act(
        seated.bridge.vote(GROUP, DORA, poll, ["❌ Não vou"], at_ms=1_767_000_100_000)
    )
    question = next(s for s in asked if "por que" in s.text.lower())
    await seated.say(DORA, "audiência no fórum", quoting=question)
    assert await _answers(seated) == [("no", "audiência no fórum")]


async def test_a_typed_answer_by_words_and_yes(seated: WhatsApp) -> None:
    preview = await seated.say(CARLA, "/gerarcalendario 2027 2ª terça 14h CRAS")
    card = next(s for s in preview if s.route == "sendText")
    saved = await seated.say(CARLA, "sim", quoting=card)
    assert any("salvo" in s.text.lower() for s in saved)
    async with seated.runtime.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Meeting)) == 12


async def test_a_wrong_vote_is_answered_once_quoting_the_poll(seated: WhatsApp) -> None:
    preview = await seated.say(CARLA, "/gerarcalendario 2027 2ª terça 14h CRAS")
    poll = next(s for s in preview if s.route == "sendPoll")
    # Ana is no coordinator: her vote is refused, once, mentioning her.
    first = await seated.act(
        seated.bridge.vote(GROUP, ANA, poll, [poll.body["values"][0]], at_ms=5)
    )
    second = await seated.act(
        seated.bridge.vote(GROUP, ANA, poll, [poll.body["values"][1]], at_ms=6)
    )
    assert len(first) == 1 and second == []
    assert first[0].body["mentioned"] == [ANA.lid]
    assert first[0].body["quoted"]["key"]["id"] == poll.id
    async with seated.runtime.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Meeting)) == 0


async def test_a_one_option_choice_is_a_typed_word(seated: WhatsApp) -> None:
    await _generate_2027(seated)
    await seated.clock.set(datetime(2027, 1, 12, 14, 5, tzinfo=NOW.tzinfo))
    sent = await seated.say(CARLA, "/presenca")
    at = next(i for i, s in enumerate(sent) if "*presente*" in s.text)
    listing = sent[at]
    # One option: no poll (a poll needs two), the word to type instead.
    assert at + 1 == len(sent) or sent[at + 1].route != "sendPoll"
    await seated.say(ANA, "presente", quoting=listing)
    async with seated.runtime.sessions() as session:
        meeting = (await session.scalars(select(Meeting).order_by(Meeting.starts_at))).first()
        assert meeting is not None
        present = await repo.attendance(session=session, meeting_id=meeting.id)
    assert any(a.member.name == "Ana" for a in present)


async def test_presence_marks_a_mentioned_member_and_a_sector(seated: WhatsApp) -> None:
    """ "/presenca + @<Ana>, Conselho Tutelar": the mention is read from mentionedJid, the
    sector from the words after the comma (issue 12)."""
    await _generate_2027(seated)
    await seated.clock.set(datetime(2027, 1, 12, 14, 5, tzinfo=NOW.tzinfo))
    await seated.say(CARLA, "/presenca")
    at_ana = "@" + ANA.lid.partition("@")[0]
    sent = await seated.say(CARLA, f"/presenca + {at_ana}, Conselho Tutelar", mentions=(ANA,))
    listing = next(s for s in sent if "Lista de presença" in s.text)
    assert "2 de 4" in listing.text
    assert "• Saúde: Ana" in listing.text
    assert "• Conselho Tutelar: marcado pela coordenação" in listing.text
    sent = await seated.say(CARLA, f"/presenca - {at_ana}", mentions=(ANA,))
    listing = next(s for s in sent if "Lista de presença" in s.text)
    assert "1 de 4" in listing.text and "Ana" not in listing.text


async def test_presence_reads_a_mention_by_phone_in_a_phone_addressed_group(
    sqlite_url: str, clock: ManualClock
) -> None:
    """The text says "@<phone digits>", mentionedJid the phone JID; the member is kept
    under her LID: the mention is still the one written."""
    async with running_whatsapp(sqlite_url, clock, lid_addressed=False) as wa:
        await wa.seat_members()
        await _generate_2027(wa)
        await wa.clock.set(datetime(2027, 1, 12, 14, 5, tzinfo=NOW.tzinfo))
        await wa.say(CARLA, "/presenca")
        sent = await wa.say(CARLA, f"/presenca + @{DORA.digits}, Saúde", mentions=(DORA,))
        listing = next(s for s in sent if "Lista de presença" in s.text)
        assert "• CREAS: Dora" in listing.text and "• Saúde: marcado pela coordenação" in (
            listing.text
        )


# --- files ---


async def test_importar_gets_the_document_s_bytes_from_the_bridge(seated: WhatsApp) -> None:
    csv = (
        "Mês;Data;Horário;Local;Observações\n"
        "Janeiro;;14h;CRAS;Planejamento anual da Rede\n"
        "Fevereiro;;14h;CRAS;Fluxos de atendimento\n"
    )
    sent = await seated.act(
        seated.bridge.upload(
            GROUP,
            CARLA,
            "calendario.csv",
            csv.encode(),
            "/importar 2027 2ª terça 14h CRAS",
            "text/csv",
        )
    )
    assert any("Planejamento anual da Rede" in s.text for s in sent)
    assert ("POST", f"/chat/getBase64FromMediaMessage/{INSTANCE}") in seated.bridge.calls


async def test_an_action_plan_is_imported_from_a_captioned_table(seated: WhatsApp) -> None:
    from tests.test_referrals_e2e import SEED_002_CSV

    preview = await seated.act(
        seated.bridge.upload(
            GROUP,
            CARLA,
            "plano.csv",
            SEED_002_CSV.encode(),
            "/plano importar 2027 Fortalecimento do SIPIA",
            "text/csv",
        )
    )
    assert any("3 tarefas" in s.text for s in preview)
    poll = next(s for s in preview if s.route == "sendPoll")
    # Each unknown Responsável is asked in its own poll: a new sector, none, a new sector.
    for at_ms, label in enumerate(("Novo setor", "Ignorar", "Novo setor"), start=9):
        option = next(v for v in poll.body["values"] if label in v)
        sent = await seated.act(seated.bridge.vote(GROUP, CARLA, poll, [option], at_ms=at_ms))
        poll = next(s for s in sent if s.route == "sendPoll")
    assert any("Salvar" in v for v in poll.body["values"])
    saved = await seated.act(
        seated.bridge.vote(GROUP, CARLA, poll, [poll.body["values"][0]], at_ms=20)
    )
    assert saved and saved[0].body["quoted"]["key"]["id"] == poll.id  # answers the poll
    progress = await seated.say(ANA, "/plano")
    assert "Fortalecimento do SIPIA (2027): 0 de 3 tarefas concluídas" in progress[0].text


async def test_a_document_without_a_command_is_not_downloaded(seated: WhatsApp) -> None:
    sent = await seated.act(
        seated.bridge.upload(GROUP, ANA, "foto.pdf", b"%PDF-1.4", "olhem isso", "application/pdf")
    )
    assert sent == []
    assert ("POST", f"/chat/getBase64FromMediaMessage/{INSTANCE}") not in seated.bridge.calls


async def test_the_report_arrives_as_a_document(seated: WhatsApp) -> None:
    await _generate_2027(seated)
    sent = await seated.say(CARLA, "/relatorio 2027")
    document = next(s for s in sent if s.route == "sendMedia")
    assert document.body["mediatype"] == "document"
    assert document.body["fileName"].endswith(".pdf")
    assert document.body["mimetype"] == "application/pdf"


# --- private messages ---


async def test_nobody_gets_an_unsolicited_private_message(seated: WhatsApp) -> None:
    sent = await seated.say(ANA, "/meusdados")
    assert all(s.number == GROUP and s.route == "sendText" for s in sent)
    assert any("/start" in s.text for s in sent)
    # After Ana writes to the bot privately, her data goes to her privately.
    private = seated.bridge.message_data(ANA.pn, ANA, {"conversation": "oi"})
    await seated.act(seated.bridge.post(seated.bridge.envelope("messages.upsert", private)))
    again = await seated.say(ANA, "/meusdados")
    assert any(s.number == ANA.lid and s.route == "sendMedia" for s in again)


# --- text and pacing ---


async def test_replies_are_paced_per_group_and_overall(seated: WhatsApp) -> None:
    for _ in range(6):
        await seated.say(BRUNO, "/proxima")
    times = [s.at for s in seated.bridge.sent if s.number == GROUP and s.route != "sendPoll"]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert gaps and min(gaps) >= 3.0
    everything = sorted(s.at for s in seated.bridge.sent)
    assert all(sum(1 for t in everything if start <= t < start + 60) <= 20 for start in everything)


async def test_a_choice_is_its_text_then_its_poll_with_nothing_between(seated: WhatsApp) -> None:
    preview = await seated.say(CARLA, "/gerarcalendario 2027 2ª terça 14h CRAS")
    routes = [s.route for s in preview]
    assert routes[-2:] == ["sendText", "sendPoll"]
    assert preview[-1].at == preview[-2].at  # at once, in the same turn


async def test_a_bridge_that_fails_a_send_loses_no_scheduled_message(seated: WhatsApp) -> None:
    await _generate_2027(seated)
    seated.bridge.fail_sends = 5  # longer than the channel's own retries
    await seated.clock.set(datetime(2027, 1, 4, 10, 0, tzinfo=NOW.tzinfo))
    assert seated.runtime.dispatcher is not None
    await seated.runtime.dispatcher.run_due()
    assert not any("janeiro" in s.text.lower() for s in seated.bridge.sent[-3:])
    await seated.clock.advance(timedelta(minutes=10))
    await seated.runtime.dispatcher.run_due()
    assert (
        sum("janeiro" in s.text.lower() and s.route == "sendText" for s in seated.bridge.sent) == 1
    )


# --- fixtures as the spec shows them ---


@pytest.mark.parametrize(
    ("name", "acts"),
    [
        ("command.json", True),
        ("reply_to_bot.json", False),  # quotes an id the bot never sent: talk
        ("captioned_csv.json", True),
        ("vote.json", False),  # a poll the bot never sent: nothing
        ("empty_vote.json", False),
        ("lid_with_alt.json", True),
        ("lid_without_alt.json", True),
        ("from_me.json", False),
        ("bot_added.json", True),
        ("promote.json", False),
        ("talk.json", False),
    ],
)
async def test_spec_shaped_fixtures(wa: WhatsApp, name: str, acts: bool) -> None:
    envelope = json.loads((FIXTURES / name).read_text())
    envelope["instance"] = INSTANCE
    envelope["sender"] = OWN_PN
    wa.bridge.media[envelope["data"].get("key", {}).get("id", "")] = (
        "Mês;Data;Horário;Local;Observações\nJaneiro;;14h;CRAS;Planejamento\n".encode()
    )
    sent = await wa.act(wa.bridge.post(envelope))
    assert bool(sent) is acts, [s.text for s in sent]


async def test_a_brief_bridge_failure_loses_no_reply(seated: WhatsApp) -> None:
    seated.bridge.fail_sends = 2
    answer = await seated.say(DORA, "/proxima")
    assert len(answer) == 1 and answer[0].route == "sendText"
    assert 2.0 in seated.pace.pauses and 5.0 in seated.pace.pauses  # back-off, moved in time


async def test_a_poll_that_fails_after_its_text_does_not_repeat_the_text(seated: WhatsApp) -> None:
    seated.bridge.fail_routes["sendPoll"] = 1
    preview = await seated.say(CARLA, "/gerarcalendario 2027 2ª terça 14h CRAS")
    assert [s.route for s in preview][-2:] == ["sendText", "sendPoll"]
    assert sum("Calendário 2027" in s.text for s in preview if s.route == "sendText") == 1
    # Given up for good: the text alone is out, and a typed answer still works.
    seated.bridge.fail_routes["sendPoll"] = 10
    again = await seated.say(CARLA, "/gerarcalendario 2027 2ª terça 14h CRAS")
    card = next(s for s in again if s.route == "sendText" and "Calendário 2027" in s.text)
    assert not any(s.route == "sendPoll" for s in again)
    seated.bridge.fail_routes.clear()
    saved = await seated.say(CARLA, "1", quoting=card)
    assert any("salvo" in s.text.lower() for s in saved)


async def test_a_demoted_admin_loses_the_coordination_even_when_the_bridge_fails(
    seated: WhatsApp,
) -> None:
    await seated.act(seated.bridge.promote(GROUP, CARLA, admin=False))
    seated.bridge.fail_group_info = True
    refused = await seated.say(CARLA, "/gerarcalendario 2027 2ª terça 14h CRAS")
    assert "coordena" in refused[0].text.lower()
    async with seated.runtime.sessions() as session:
        carla = await session.scalar(select(Member).where(Member.user_id == CARLA.lid))
    assert carla is not None and not carla.is_admin


async def test_a_reply_target_keeps_their_name(seated: WhatsApp) -> None:
    hers = seated.bridge.message_data(GROUP, ANA, {"conversation": "eu posso ajudar"})
    command = seated.bridge.message_data(
        GROUP,
        CARLA,
        {"conversation": "/coordenador +"},
        context={
            "stanzaId": hers["key"]["id"],
            "participant": ANA.lid,
            "quotedMessage": {"conversation": "eu posso ajudar, CPF 123.456.789-09"},
        },
    )
    envelope = seated.bridge.envelope("messages.upsert", command)
    sent = await seated.act(seated.bridge.post(envelope))
    assert sent[0].text.startswith("Ana ")
    async with seated.runtime.sessions() as session:
        ana = await session.scalar(select(Member).where(Member.user_id == ANA.lid))
    assert ana is not None and ana.name == "Ana" and ana.is_coordinator


async def test_one_person_written_by_phone_then_by_lid_is_merged_into_one(wa: WhatsApp) -> None:
    await wa.act(wa.bridge.add_bot(GROUP, CARLA))
    by_phone = wa.bridge.message_data(GROUP, ANA, {"conversation": "/setor Saúde"}, alt=False)
    by_phone["key"]["participant"] = ANA.pn
    declared = await wa.act(wa.bridge.post(wa.bridge.envelope("messages.upsert", by_phone)))
    # The coordination confirms the declaration (issue 13): the confirmation goes with it.
    poll = next(s for s in declared if s.route == "sendPoll")
    await wa.act(wa.bridge.vote(GROUP, CARLA, poll, [poll.body["values"][0]], at_ms=1))
    await wa.say(ANA, "/proxima", alt=False)  # by LID alone: a second member, for now
    await wa.say(ANA, "/proxima")  # LID and phone together: the two are one
    async with wa.runtime.sessions() as session:
        rows = (await session.scalars(select(Member).where(Member.name == "Ana"))).all()
    assert [(m.user_id, m.sector_id is not None, m.confirmed_at is not None) for m in rows] == [
        (ANA.lid, True, True)
    ]


async def test_a_late_vote_on_the_announcement_loses_to_a_newer_one_on_a_reminder(
    seated: WhatsApp,
) -> None:
    from storage.models import Choice

    _text, poll = await _announcement(seated)
    await seated.act(seated.bridge.vote(GROUP, ANA, poll, ["✅ Vou"], at_ms=2_000))
    # The same question asked again by another message (a reminder's poll, here the same
    # options sent once more): its newer vote wins over the older one arriving late.
    async with seated.runtime.sessions() as session:
        choice = await session.scalar(select(Choice).where(Choice.message_id == poll.id))
        assert choice is not None
        options = [tuple(o) for o in choice.options]
    from bot.messages import Button, Reply

    reply = Reply(
        text="Lembrete: reunião 12/01", buttons=(tuple(Button(a, b) for a, b in options),)
    )
    sent = await seated.runtime.courier.send(platform="whatsapp", chat_id=GROUP, reply=reply)
    reminder = next(s for s in seated.bridge.sent if s.id == sent.message_ids[-1])
    await seated.act(seated.bridge.vote(GROUP, ANA, reminder, ["❌ Não vou"], at_ms=3_000))
    await seated.act(seated.bridge.vote(GROUP, ANA, poll, ["🤔 Talvez"], at_ms=2_500))
    assert [a for a, _r in await _answers(seated)] == ["no"]


async def test_erasing_my_data_erases_my_other_ids(seated: WhatsApp) -> None:
    from storage.models import PersonAlias

    assert await _count(seated, PersonAlias) >= 1
    ask = await seated.say(BRUNO, "/apagarmeusdados")
    card = next(s for s in ask if s.route == "sendText" and s.body.get("text"))
    poll = ask[ask.index(card) + 1]
    await seated.act(seated.bridge.vote(GROUP, BRUNO, poll, [poll.body["values"][0]], at_ms=7))
    async with seated.runtime.sessions() as session:
        left = (await session.scalars(select(PersonAlias.user_id))).all()
    assert BRUNO.lid not in left and ANA.lid in left


async def test_the_same_person_arriving_twice_at_once_is_one_person(wa: WhatsApp) -> None:
    """Two first events of one person in two lanes (group and private): race-free."""
    import asyncio

    await wa.act(wa.bridge.add_bot(GROUP, CARLA))
    group = wa.bridge.envelope(
        "messages.upsert", wa.bridge.message_data(GROUP, DORA, {"conversation": "/proxima"})
    )
    private = wa.bridge.envelope(
        "messages.upsert", wa.bridge.message_data(DORA.pn, DORA, {"conversation": "/start"})
    )
    mark = wa.bridge.mark()
    statuses = await asyncio.gather(wa.bridge.post(group), wa.bridge.post(private))
    await wa.channel.settle()
    assert statuses == [200, 200]
    sent = wa.bridge.since(mark)
    assert len(sent) == 2 and not any("Desculpe" in s.text for s in sent)


async def test_private_chatter_gets_the_hint_once_a_day(seated: WhatsApp) -> None:
    """A stranger writing many private messages must not make the number write in bulk."""
    stranger = Phone("219876543219999@lid", "5511900009999@s.whatsapp.net", "Alguém")

    async def private(words: str) -> list[Sent]:
        data = seated.bridge.message_data(stranger.pn, stranger, {"conversation": words})
        return await seated.act(seated.bridge.post(seated.bridge.envelope("messages.upsert", data)))

    first = await private("oi, boa tarde")
    assert len(first) == 1 and "grupo" in first[0].text
    for words in ("tem alguém aí?", "???", "olá"):
        assert await private(words) == []
    await seated.clock.advance(timedelta(days=1, minutes=1))
    assert len(await private("bom dia")) == 1
    assert len(await private("/ajuda")) == 1  # a command is always answered


@pytest.mark.parametrize(
    "data",
    [
        "not an object",
        {"key": ["3EB0"], "message": {"conversation": "/proxima"}},
        {"key": {"remoteJid": GROUP, "id": "X1", "participant": 12}, "message": "oi"},
        {"id": GROUP, "action": "add", "participants": [{"id": None}, 7, "x"]},
        {"id": GROUP, "action": "promote", "participants": [{"id": None}, 7, "x"]},
    ],
)
async def test_an_event_of_an_unknown_shape_is_answered_and_changes_nothing(
    wa: WhatsApp, data: object
) -> None:
    # (As groups.upsert, a mapping with a group's id is that group's metadata: not junk.)
    for event in ("messages.upsert", "group-participants.update"):
        assert await wa.act(wa.bridge.post(wa.bridge.envelope(event, data))) == []
    assert await _count(wa, Network) == 0 and await _count(wa, InboxEvent) == 0


async def test_in_private_a_member_sees_and_erases_their_data(seated: WhatsApp) -> None:
    """/meusdados and /apagarmeusdados work in the private chat too (someone who left the
    group still reaches their data); the choice is a poll there, voted there."""
    members = await _count(seated, Member)
    shown = await seated.act(seated.bridge.say(BRUNO.pn, BRUNO, "/meusdados"))
    assert [s.route for s in shown] == ["sendMedia"] and shown[0].number != GROUP
    sent = await seated.act(seated.bridge.say(BRUNO.pn, BRUNO, "/apagarmeusdados"))
    card = next(s for s in sent if s.route == "sendText" and "apagar o que guardo" in s.text)
    poll = sent[sent.index(card) + 1]
    assert poll.route == "sendPoll" and poll.number == card.number != GROUP
    done = await seated.act(
        seated.bridge.vote(poll.number, BRUNO, poll, [poll.body["values"][0]], at_ms=9)
    )
    assert any("apaguei" in s.text for s in done), [s.text for s in done]
    assert all(s.number != GROUP for s in [*shown, *sent, *done])
    assert await _count(seated, Member) == members - 1
    # Nothing ties his phone to his id any more: not even his vote in the private chat.
    async with seated.runtime.sessions() as session:
        answers = (await session.scalars(select(ChoiceAnswer.user_id))).all()
        # Nor the bot's messages there: the erase card's options went with him, and the
        # closing "apaguei" (no options) was never recorded.
        chats = (await session.scalars(select(Choice.chat_id))).all()
    assert BRUNO.lid not in answers and BRUNO.pn not in answers
    assert not {BRUNO.lid, BRUNO.pn} & set(chats), chats


async def test_in_private_a_second_vote_after_erasure_is_answered_plainly(
    seated: WhatsApp,
) -> None:
    """Bruno, in two networks, erases one in private and votes again in its poll: he is
    told, in the private chat, without being tagged (it is his own chat with the bot);
    his other network's poll still works."""
    second = "120363048888888888@g.us"
    seated.bridge.add_group(second, "Rede Vizinha", [CARLA, BRUNO], admins=(CARLA,))
    await seated.act(seated.bridge.add_bot(second, CARLA))
    asked = await seated.act(seated.bridge.say(second, BRUNO, "/setor Saúde"))
    confirm = next(s for s in asked if s.route == "sendPoll")
    await seated.act(
        seated.bridge.vote(second, CARLA, confirm, [confirm.body["values"][0]], at_ms=1)
    )
    sent = await seated.act(seated.bridge.say(BRUNO.pn, BRUNO, "/apagarmeusdados"))
    polls = [s for s in sent if s.route == "sendPoll"]
    assert len(polls) == 2 and all(p.number == BRUNO.pn for p in polls)
    first = polls[0]
    done = await seated.act(
        seated.bridge.vote(BRUNO.pn, BRUNO, first, [first.body["values"][0]], at_ms=9)
    )
    assert any("apaguei" in s.text for s in done), [s.text for s in done]
    again = await seated.act(
        seated.bridge.vote(BRUNO.pn, BRUNO, first, [first.body["values"][0]], at_ms=10)
    )
    assert again and all(s.number == BRUNO.pn for s in again), again
    for s in again:
        assert not s.body.get("mentioned"), s.body
        assert "@" not in s.text, s.text
    other = polls[1]
    kept = await seated.act(
        seated.bridge.vote(BRUNO.pn, BRUNO, other, [other.body["values"][-1]], at_ms=11)
    )
    assert any("Nada foi apagado" in s.text for s in kept), [s.text for s in kept]
    assert all(s.number == BRUNO.pn for s in kept)
    async with seated.runtime.sessions() as session:
        networks = (
            await session.scalars(
                select(Network.chat_id)
                .join(Member, Member.network_id == Network.id)
                .where(Member.user_id.in_([BRUNO.lid, BRUNO.pn]))
            )
        ).all()
    assert len(networks) == 1, networks  # one network erased, the other kept


async def test_my_data_asked_in_the_group_before_any_private_chat(seated: WhatsApp) -> None:
    """Dora never wrote to the bot: WhatsApp forbids writing to her first, so the group is
    asked to have her send /start, and is not told her data went in private."""
    said = await seated.say(DORA, "/meusdados")
    assert said and all(s.number == GROUP for s in said), said
    texts = [s.text for s in said]
    assert any("/start" in t for t in texts), texts
    assert not any("mandei os seus dados" in t for t in texts), texts
    assert all(s.route == "sendText" for s in said)  # no file in the group
