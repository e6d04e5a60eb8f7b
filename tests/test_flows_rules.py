"""The pure rules of the flow documents (issue 15): /fluxo's forms, review dates, which
meetings are about the flows (seed 000 §1's topics)."""

from __future__ import annotations

from datetime import date

import pytest

from bot.errors import UserError
from bot.rules import flows as rules
from bot.rules.flows import FlowAction, FlowCommand


@pytest.mark.parametrize(
    ("args", "has_file", "expected"),
    [
        ("Fluxo de atendimento", False, FlowCommand(FlowAction.CURRENT, "Fluxo de atendimento")),
        (
            "Fluxo de atendimento historico",
            False,
            FlowCommand(FlowAction.HISTORY, "Fluxo de atendimento"),
        ),
        (
            "Fluxo  de atendimento   Histórico",
            False,
            FlowCommand(FlowAction.HISTORY, "Fluxo de atendimento"),
        ),
        (
            "aprovar Fluxo de comunicação",
            False,
            FlowCommand(FlowAction.APPROVE, "Fluxo de comunicação"),
        ),
        ("Protocolo | CREAS", True, FlowCommand(FlowAction.SEND, "Protocolo", "CREAS")),
        ("Protocolo", True, FlowCommand(FlowAction.SEND, "Protocolo")),
    ],
)
def test_the_forms_of_fluxo(args: str, has_file: bool, expected: FlowCommand) -> None:
    assert rules.parse_command(args, has_file=has_file) == expected


@pytest.mark.parametrize(
    ("args", "has_file"),
    [("", False), ("", True), ("aprovar", False), ("aprovar X", True), ("X | CREAS", False)],
)
def test_wrong_forms_of_fluxo_are_refused_with_an_example(args: str, has_file: bool) -> None:
    with pytest.raises(UserError) as raised:
        rules.parse_command(args, has_file=has_file)
    assert raised.value.example and raised.value.example.startswith("/fluxo")


def test_a_review_falls_months_after_the_approval_on_a_day_that_exists() -> None:
    assert rules.review_due(date(2026, 2, 10), 12) == date(2027, 2, 10)
    assert rules.review_due(date(2026, 8, 31), 6) == date(2027, 2, 28)
    assert rules.review_due(date(2027, 11, 30), 3) == date(2028, 2, 29)


@pytest.mark.parametrize(
    ("topic", "about_flows"),
    [
        ("Alinhamento dos fluxos de atendimento", True),
        ("Atualização do Fluxo de comunicação", True),
        ("Revisão de fluxos e protocolos", True),
        ("Planejamento anual da Rede", False),
        ("Casos de violência e medidas de proteção", False),
    ],
)
def test_the_seed_s_flow_topics_are_meetings_about_the_flows(topic: str, about_flows: bool) -> None:
    assert rules.speaks_of_flows(topic) is about_flows


def test_the_review_setting_is_months_from_1_to_60() -> None:
    assert rules.parse_setting("") is None
    assert rules.parse_setting("revisão 24") == 24
    for wrong in ("revisao 0", "revisao 61", "revisao ²", "prazo 12", "revisao"):
        with pytest.raises(UserError):
            rules.parse_setting(wrong)
