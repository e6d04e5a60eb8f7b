"""The pure rules of cases (issue 15): codes, the one-line /caso novo, reasons, who is a
reference sector."""

from __future__ import annotations

import pytest

from bot.errors import UserError
from bot.rules import cases as rules
from bot.rules.cases import CloseReason, Risk


def test_codes_are_found_whole_and_numbered_per_year() -> None:
    text = "CASO-2026-014: plano; ver caso-2026-0140 e CASO-2026-014 de novo; CASO-26-1 não"
    assert rules.codes_in(text, None, "CASO-2025-003") == [
        "CASO-2026-014",
        "CASO-2026-0140",
        "CASO-2025-003",
    ]
    assert rules.mentions(text, "caso-2026-014") and not rules.mentions(
        "CASO-2026-0141", "CASO-2026-014"
    )
    assert rules.next_code(2026, []) == "CASO-2026-001"
    assert (
        rules.next_code(2026, ["CASO-2026-009", "CASO-2025-120", "CASO-2026-002"])
        == "CASO-2026-010"
    )


def test_the_one_line_form_gives_fields_a_conversation_can_ask_one_by_one() -> None:
    line = rules.parse_new("CREAS | Saúde, Educação e Conselho Tutelar | Médio | 15/01")
    assert line == rules.NewCase(
        None, "CREAS", ("Saúde", "Educação", "Conselho Tutelar"), Risk.MEDIUM, "15/01"
    )
    coded = rules.parse_new("caso-2026-014 CREAS | Saúde | alto | 15/01")
    assert (coded.code, coded.reference) == ("CASO-2026-014", "CREAS")
    assert rules.parse_new("CASO-2026-014 | CREAS | Saúde | baixo | 15/01").risk is Risk.LOW
    for wrong in ("", "CREAS | Saúde | alto", "CASO-26-1 | CREAS | Saúde | alto | 15/01"):
        with pytest.raises(UserError):
            rules.parse_new(wrong)


def test_closing_reasons_come_from_the_short_list() -> None:
    assert rules.parse_close("Objetivos alcançados") == (CloseReason.GOALS, None)
    assert rules.parse_close("mudança de município") == (CloseReason.MOVED, None)
    assert rules.parse_close("outro: acompanhamento estadual") == (
        CloseReason.OTHER,
        "acompanhamento estadual",
    )
    for wrong in ("porque sim", "outro", "outro: " + "x" * 200):
        with pytest.raises(UserError):
            rules.parse_close(wrong)


def test_the_cras_and_the_creas_are_reference_sectors() -> None:
    assert rules.is_reference("cras centro") and rules.is_reference("creas regional")
    assert not rules.is_reference("saude") and not rules.is_reference("crase")
