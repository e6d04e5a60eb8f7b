"""Choices on platforms without buttons: how they are shown and answered (issue 9 §1)."""

from __future__ import annotations

from bot.channels.base import Capabilities, adapt
from bot.i18n import use_locale
from bot.messages import Button, Person, Reply
from bot.rules.choices import match_choice

RSVP = (("✅ Vou", "v1:rsvp:1:y"), ("❌ Não vou", "v1:rsvp:1:n"), ("🤔 Talvez", "v1:rsvp:1:m"))
CONFIRM = (("✅ Salvar", "v1:cal:ok:1"), ("✖ Descartar", "v1:cal:no:1"))
TEXT_ONLY = Capabilities(buttons=False, edits=False, notices=False)


def test_a_typed_answer_picks_the_option_by_number_or_words() -> None:
    assert match_choice("2", RSVP) == "v1:rsvp:1:n"
    assert match_choice(" 2. ", RSVP) == "v1:rsvp:1:n"
    assert match_choice("Não vou!", RSVP) == "v1:rsvp:1:n"
    assert match_choice("nao vou", RSVP) == "v1:rsvp:1:n"
    assert match_choice("TALVEZ", RSVP) == "v1:rsvp:1:m"
    assert match_choice("4", RSVP) is None
    assert match_choice("²", RSVP) == "v1:rsvp:1:n"  # a phone keyboard's ², read as 2 (NFKD)
    assert match_choice("٣", RSVP) is None  # other scripts' digits are not options
    assert match_choice("não vou poder, tenho audiência", RSVP) is None  # a reason, not a vote


def test_yes_and_no_answer_a_two_option_choice_only() -> None:
    assert match_choice("sim", CONFIRM) == "v1:cal:ok:1"
    assert match_choice("ok", CONFIRM) == "v1:cal:ok:1"
    assert match_choice("não", CONFIRM) == "v1:cal:no:1"
    assert match_choice("sim", RSVP) is None


def test_buttons_become_numbered_options_with_a_hint() -> None:
    reply = Reply(text="Você vai?", buttons=(tuple(Button(a, b) for a, b in RSVP),))
    with use_locale("pt_BR"):
        fitted = adapt(reply, TEXT_ONLY)
    assert fitted is not None
    assert "1. ✅ Vou\n2. ❌ Não vou\n3. 🤔 Talvez" in fitted.text
    assert "Responda a esta mensagem com 1, 2 ou 3." in fitted.text
    assert fitted.buttons == reply.buttons  # kept for the choice map


def test_a_single_button_asks_for_the_word() -> None:
    reply = Reply(text="Lista de presença aberta.", buttons=((Button("✋ Presente", "v1:p:1"),),))
    with use_locale("pt_BR"):
        fitted = adapt(reply, TEXT_ONLY)
    assert fitted is not None and "Responda a esta mensagem com *presente*." in fitted.text


def test_without_popups_an_error_is_said_and_a_success_dropped() -> None:
    ana = Person("11", "Ana")
    error = adapt(
        Reply(text="", notice="Esta reunião já aconteceu.", error=True), TEXT_ONLY, asker=ana
    )
    assert error is not None and error.text == "Esta reunião já aconteceu."
    assert error.mentions == (ana,)
    assert adapt(Reply(text="", notice="Anotado: você vai."), TEXT_ONLY) is None


def test_an_edit_becomes_a_new_message_and_a_poll_keeps_its_own_counts() -> None:
    edited = Reply(text="Calendário salvo", edit=True)
    fitted = adapt(edited, TEXT_ONLY)
    assert fitted is not None and not fitted.edit
    polls = Capabilities(buttons=False, polls=True, edits=False, notices=False)
    card = Reply(text="Reunião", buttons=(tuple(Button(a, b) for a, b in RSVP),), edit=True)
    assert adapt(card, polls) is None
