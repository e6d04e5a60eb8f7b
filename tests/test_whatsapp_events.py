"""The bridge's events as Incoming: pure parsing, no I/O (shapes from WHATSAPP.md and the
bridge's source at 2.3.7)."""

from __future__ import annotations

from typing import Any

import pytest

from bot.channels.whatsapp_events import Own, as_int, parse, person, update_id
from bot.messages import ChatKind, Event

GROUP = "120363041234567890@g.us"
OWN_PN = "5543999990000@s.whatsapp.net"


async def _no_fetch(_raw: Any) -> bytes:  # pragma: no cover - never called while parsing
    raise AssertionError("parsing downloads nothing")


def _envelope(data: Any, event: str = "messages.upsert") -> dict[str, Any]:
    return {"event": event, "instance": "redebot", "data": data, "sender": OWN_PN}


def _message(message: dict[str, Any], **key: Any) -> dict[str, Any]:
    return {
        "key": {
            "remoteJid": GROUP,
            "fromMe": False,
            "id": "3EB0AA11",
            "participant": "219876543210987@lid",
            **key,
        },
        "pushName": "Ana",
        "message": message,
        "messageType": "conversation",
        "messageTimestamp": 1767000100,
    }


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1767000123456, 1767000123456),
        ("1767000123456", 1767000123456),
        (
            {"low": 1767000123456 & 0xFFFFFFFF, "high": 1767000123456 >> 32, "unsigned": True},
            1767000123456,
        ),
        (1767000123456.0, 1767000123456),
        ("x", None),
        (None, None),
        (True, None),
    ],
)
def test_64_bit_fields_in_every_form(value: Any, expected: int | None) -> None:
    assert as_int(value) == expected


def test_update_ids_fit_63_bits_and_are_stable() -> None:
    first = update_id("redebot", "3EB0AA11")
    assert first == update_id("redebot", "3EB0AA11") and 0 <= first < 2**63
    assert first != update_id("other", "3EB0AA11")


def test_the_lid_is_the_person_and_the_phone_an_alias() -> None:
    one = person(["5511987654321@s.whatsapp.net", "219876543210987@lid"], "Ana")
    assert one.user_id == "219876543210987@lid"
    assert one.aliases == ("5511987654321@s.whatsapp.net",)
    device = person(["5511987654321:12@s.whatsapp.net"])
    assert device.user_id == "5511987654321@s.whatsapp.net" and device.name == "5511987654321"


def test_a_command_in_a_group() -> None:
    (incoming,) = parse(
        _envelope(
            _message(
                {"conversation": "/setor Saúde"}, participantAlt="5511987654321@s.whatsapp.net"
            )
        ),
        Own(),
        _no_fetch,
    )
    assert (incoming.command, incoming.args, incoming.chat_kind) == (
        "setor",
        "Saúde",
        ChatKind.GROUP,
    )
    assert incoming.sender.user_id == "219876543210987@lid"
    assert incoming.sender.aliases == ("5511987654321@s.whatsapp.net",)
    assert incoming.identities_vary


def test_a_captioned_document_keeps_its_quote_inside_the_document() -> None:
    data = _message(
        {
            "documentMessage": {
                "fileName": "cal.csv",
                "mimetype": "text/csv",
                "caption": "/importar 2027",
                "contextInfo": {
                    "stanzaId": "3EB0Q",
                    "participant": "219876543210111@lid",
                    "mentionedJid": ["219876543210222@lid"],
                },
            }
        },
    )
    data["messageType"] = "documentMessage"
    (incoming,) = parse(_envelope(data), Own(), _no_fetch)
    assert incoming.command == "importar" and incoming.attachment is not None
    assert incoming.attachment.filename == "cal.csv"
    assert incoming.reply_to is not None and incoming.reply_to.user_id == "219876543210111@lid"
    assert [p.user_id for p in incoming.mentioned] == ["219876543210222@lid"]


def test_group_talk_and_own_echoes_are_nothing() -> None:
    own = Own()
    assert parse(_envelope(_message({"conversation": "bom dia, gente"})), own, _no_fetch) == []
    echo = _message(
        {"conversation": "Reunião amanhã"}, fromMe=True, participant="88880000000001@lid"
    )
    assert parse(_envelope(echo), own, _no_fetch) == []
    assert "88880000000001@lid" in own  # the echo taught the bot its own LID
    status = _message({"conversation": "/proxima"})
    status["key"]["remoteJid"] = "status@broadcast"
    assert parse(_envelope(status), own, _no_fetch) == []


def test_unquoted_group_text_is_a_candidate_only_when_asked_for() -> None:
    """The channel asks for unquoted texts (a person in a conversation forgets to quote);
    they come as texts not said to the bot, and echoes stay nothing."""
    own = Own()
    talk = _envelope(_message({"conversation": "Saúde"}))
    (candidate,) = parse(talk, own, _no_fetch, unquoted=True)
    assert candidate.text == "Saúde" and candidate.command is None
    assert candidate.replied_message_id is None and not candidate.reply_to_bot
    echo = _message({"conversation": "Reunião amanhã"}, fromMe=True)
    assert parse(_envelope(echo), own, _no_fetch, unquoted=True) == []
    assert parse(_envelope(_message({"conversation": "  "})), own, _no_fetch, unquoted=True) == []


def test_a_private_text_is_said_to_the_bot() -> None:
    data = {
        "key": {
            "remoteJid": "5511987654321@s.whatsapp.net",
            "remoteJidAlt": "219876543210987@lid",
            "fromMe": False,
            "id": "3EB0P1",
        },
        "pushName": "Ana",
        "message": {"conversation": "audiência no fórum"},
        "messageType": "conversation",
        "messageTimestamp": 1767000100,
    }
    (incoming,) = parse(_envelope(data), Own(), _no_fetch)
    assert incoming.chat_kind is ChatKind.PRIVATE and incoming.reply_to_bot
    assert incoming.chat_id == "5511987654321@s.whatsapp.net"
    assert incoming.sender.user_id == "219876543210987@lid"


def test_the_bot_added_by_its_lid_with_its_phone_number() -> None:
    data = {
        "id": GROUP,
        "author": "219876543210987@lid",
        "action": "add",
        "participants": [{"id": "88880000000001@lid", "phoneNumber": OWN_PN, "admin": None}],
    }
    (incoming,) = parse(_envelope(data, "group-participants.update"), Own(), _no_fetch)
    assert incoming.event is Event.GROUP_SEEN and incoming.chat_id == GROUP
    someone = {**data, "participants": ["5511000000000@s.whatsapp.net"]}
    assert parse(_envelope(someone, "group-participants.update"), Own(), _no_fetch) == []


def test_a_vote_by_name_and_an_empty_one() -> None:
    vote = _message(
        {
            "pollUpdateMessage": {
                "pollCreationMessageKey": {"id": "3EB0POLL", "fromMe": True},
                "vote": {"selectedOptions": ["❌ Não vou"]},
                "senderTimestampMs": {"low": 5, "high": 0, "unsigned": True},
            }
        }
    )
    (incoming,) = parse(_envelope(vote), Own(), _no_fetch)
    assert incoming.vote and incoming.text == "❌ Não vou"
    assert incoming.replied_message_id == "3EB0POLL" and incoming.acted_at_ms == 5
    vote["message"]["pollUpdateMessage"]["vote"]["selectedOptions"] = []
    assert parse(_envelope(vote), Own(), _no_fetch) == []
    # Not decrypted at all (the poll was not in the bridge's store): no selectedOptions.
    del vote["message"]["pollUpdateMessage"]["vote"]["selectedOptions"]
    assert parse(_envelope(vote), Own(), _no_fetch) == []


def test_the_inbox_keeps_no_one_else_s_words_no_key_no_thumbnails() -> None:
    from bot.channels.whatsapp_events import kept

    command = _message({"conversation": "/coordenador +"})
    command["contextInfo"] = {
        "stanzaId": "3EB0Q",
        "participant": "219876543210111@lid",
        "quotedMessage": {"conversation": "a Maria, CPF 123.456.789-09", "jpegThumbnail": "AAAA"},
    }
    envelope = {**_envelope(command), "apikey": "instance-token"}
    found = parse(envelope, Own(), _no_fetch)
    stored = kept(envelope, found)
    assert "123.456.789" not in str(stored) and "instance-token" not in str(stored)
    # What is kept still means the same thing.
    (again,) = parse(stored, Own(), _no_fetch)
    (first,) = found
    assert (again.command, again.args, again.reply_to, again.update_id) == (
        first.command,
        first.args,
        first.reply_to,
        first.update_id,
    )
    # A reply to the bot keeps the bot's own words it quotes (they may name a code).
    answer = _message({"conversation": "audiência no fórum"})
    answer["contextInfo"] = {
        "stanzaId": "FAKE9",
        "participant": OWN_PN,
        "quotedMessage": {"conversation": "Por que não vem? Responda a esta mensagem."},
    }
    envelope = _envelope(answer)
    stored = kept(envelope, parse(envelope, Own(), _no_fetch))
    assert "Por que não vem?" in str(stored)


def test_admin_changes_name_the_people() -> None:
    data = {
        "id": GROUP,
        "author": "219876543210987@lid",
        "action": "demote",
        "participants": [
            {
                "id": "219876543210111@lid",
                "phoneNumber": "5511911112222@s.whatsapp.net",
                "admin": None,
            }
        ],
    }
    (incoming,) = parse(_envelope(data, "group-participants.update"), Own(), _no_fetch)
    assert incoming.event is Event.ADMINS_CHANGED and incoming.text == "demote"
    assert [p.user_id for p in incoming.mentioned] == ["219876543210111@lid"]
    assert incoming.mentioned[0].aliases == ("5511911112222@s.whatsapp.net",)


def test_a_disappearing_message_is_unwrapped() -> None:
    data = _message({"ephemeralMessage": {"message": {"conversation": "/proxima"}}})
    (incoming,) = parse(_envelope(data), Own(), _no_fetch)
    assert incoming.command == "proxima"
