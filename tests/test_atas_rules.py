"""The pure rules of the ata's life and of the roles' commands (seed 000 §5-6)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.errors import UserError
from bot.i18n import use_locale
from bot.rules import atas
from bot.rules.atas import AtaAction, AtaDraft, DraftReferral
from bot.rules.kinds import Kind
from bot.rules.rotation import (
    AUTHOR,
    SECRETARY,
    parse_setting,
    parse_swap,
    swapped_roles,
)

MEETING = datetime(2026, 11, 24, 17, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Pending:
    author_sector_id: int | None


@pytest.mark.parametrize(
    ("args", "has_file", "action", "note"),
    [
        ("aprovar", False, AtaAction.APPROVE, ""),
        ("Aprovar", False, AtaAction.APPROVE, ""),
        ("corrigir  faltou a lista ", False, AtaAction.RETURN, "faltou a lista"),
        ("corrigir", False, AtaAction.RETURN, ""),
        ("rascunho", False, AtaAction.DRAFT, ""),
        ("", False, AtaAction.STATUS, ""),
        ("", True, AtaAction.DELIVER, ""),
        ("aprovar a ata de ontem", False, AtaAction.DELIVER, ""),
        ("aprovar 08/12", False, AtaAction.APPROVE, ""),
        ("aprovar dia 8/12/2026", False, AtaAction.APPROVE, ""),
        ("corrigir 08/12 faltou a lista", False, AtaAction.RETURN, "faltou a lista"),
        ("rascunho do texto", False, AtaAction.DELIVER, ""),
    ],
)
def test_the_ata_command_says_what_it_asks_for(
    args: str, has_file: bool, action: AtaAction, note: str
) -> None:
    command = atas.parse_command(args, has_file=has_file)
    assert command.action is action and command.note == note
    # The meeting's day, when given, says which ata is meant.
    typed = args.split(" ", 1)[1] if " " in args else ""
    expected_day = typed.split(" faltou")[0] if any(c.isdigit() for c in typed) else ""
    assert command.day == (expected_day if action is not AtaAction.DELIVER else "")


def test_a_member_delivers_the_newest_ata_of_their_sector() -> None:
    pending = [Pending(3), Pending(3)]
    assert atas.delivery_target(pending, 3, is_coordinator=False) is pending[-1]


def test_the_coordination_delivers_its_own_sectors_ata_first() -> None:
    own, other = Pending(1), Pending(2)
    assert atas.delivery_target([own, other], 1, is_coordinator=True) is own
    assert atas.delivery_target([own, other], 9, is_coordinator=True) is other


def test_nothing_to_deliver_is_refused() -> None:
    with pytest.raises(UserError, match="no ata waiting"):
        atas.delivery_target([], 3, is_coordinator=False)


def test_a_short_ata_or_a_wrong_file_is_refused() -> None:
    with pytest.raises(UserError, match="too short"):
        atas.check_text("curta")
    with pytest.raises(UserError, match="PDF, DOCX or ODT"):
        atas.check_file_name("ata.exe")
    atas.check_file_name("ATA.PDF")
    with pytest.raises(UserError, match="too large"):
        atas.check_file_size(b"x" * (atas.MAX_ATA_FILE + 1))
    assert atas.is_text_file("ata.TXT") and not atas.is_text_file("ata.odt")


def test_a_correction_must_say_what_to_correct() -> None:
    with pytest.raises(UserError, match="corrected"):
        atas.check_correction("")
    atas.check_correction("faltou a lista de encaminhamentos")


def test_the_reminders_run_daily_from_the_deadline_and_lateness_comes_three_days_on() -> None:
    due = atas.reminders(7, MEETING)
    reminders = [d for d in due if d.kind is Kind.ATA_REMINDER]
    assert len(reminders) == atas.DAILY_REMINDERS
    assert [d.due_at for d in reminders[:2]] == [MEETING, MEETING + timedelta(days=1)]
    assert all(d.key.startswith(atas.scheduled_prefix(7)) for d in due)
    late = [d for d in due if d.kind is Kind.ATA_LATE]
    assert [(d.key, d.due_at) for d in late] == [("ata:7:late", MEETING + timedelta(days=3))]


def test_the_book_year_is_four_digits_or_this_year() -> None:
    assert atas.parse_year("", 2026) == 2026
    assert atas.parse_year("2025", 2026) == 2025
    with pytest.raises(UserError, match="year"):
        atas.parse_year("25", 2026)


def test_only_the_coordination_approves() -> None:
    with pytest.raises(UserError, match="coordination"):
        atas.require_coordinator(False, "ata aprovar")
    atas.require_coordinator(True, "ata aprovar")


def test_the_draft_lists_the_meeting_the_people_the_roles_and_the_referrals() -> None:
    draft = AtaDraft(
        kind="extraordinary",
        starts_at=MEETING,
        timezone="America/Sao_Paulo",
        place="CRAS",
        justification="avaliar os fluxos",
        topic=None,
        present=(("CRAS", ("Ana", "Bia")),),
        absent=("CREAS",),
        roles=((SECRETARY, "CRAS"), (AUTHOR, "Saúde")),
        referrals=(DraftReferral("ENC-1", ("CREAS",), date(2026, 12, 1), "visitar"),),
    )
    with use_locale("en"):
        text = atas.draft_text(draft)
    assert "Place: CRAS" in text and "avaliar os fluxos" in text
    assert "CRAS (Ana, Bia)" in text and "Absent: CREAS" in text
    assert "Saúde" in text and "• ENC-1 — CREAS — " in text and ": visitar" in text


def test_a_swap_names_the_role_and_the_sector() -> None:
    assert parse_swap("ata Conselho Tutelar") == (AUTHOR, "Conselho Tutelar")
    assert parse_swap("Secretária CRAS") == (SECRETARY, "CRAS")
    assert parse_swap("CRAS") == (None, "CRAS")
    with pytest.raises(UserError, match="role and the sector"):
        parse_swap("ata")
    assert swapped_roles(None, same_sector=True) == (SECRETARY, AUTHOR)
    with pytest.raises(UserError, match="Which role"):
        swapped_roles(None, same_sector=False)


def test_the_rotation_settings_are_parsed() -> None:
    assert parse_setting(["prazo", "5"]).value == 5
    assert parse_setting(["mesmo-setor", "sim"]).field == "roles_same_sector"
    assert parse_setting(["sem-coordenacao", "não"]).value is False
    for wrong in (["prazo", "61"], ["prazo"], ["mesmo", "talvez"]):
        with pytest.raises(UserError):
            parse_setting(wrong)
