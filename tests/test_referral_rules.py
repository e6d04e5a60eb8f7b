"""Encaminhamentos' pure rules: codes, owing sectors, statuses, who hears the chase."""

from __future__ import annotations

import pytest

from bot.errors import UserError
from bot.rules.deadlines import Ladder, Step
from bot.rules.referrals import (
    MAX_DESCRIPTION,
    Audience,
    chase_audience,
    check_description,
    check_devolutiva,
    code_in,
    is_code,
    on_agenda,
    open_status,
    sector_names,
)
from bot.rules.status import ReferralStatus


def test_a_code_is_recognised_in_any_case_but_only_whole() -> None:
    assert is_code("E-2026-001")
    assert is_code("e-2026-0142")
    assert not is_code("E-2026-01")
    assert not is_code("E-2026-001x")


def test_the_code_of_the_message_replied_to_is_found() -> None:
    assert code_in("⏳ E-2026-007 is due on sexta") == "E-2026-007"
    assert code_in("no code here") is None
    assert code_in(None) is None


def test_owing_sectors_are_split_on_commas_and_e() -> None:
    assert sector_names("Saúde, CRAS e CREAS") == ["Saúde", "CRAS", "CREAS"]
    assert sector_names(" , ") == []


def test_a_long_description_and_a_too_short_devolutiva_are_refused() -> None:
    check_description("x" * MAX_DESCRIPTION)
    with pytest.raises(UserError):
        check_description("x" * (MAX_DESCRIPTION + 1))
    check_devolutiva("feito")
    with pytest.raises(UserError):
        check_devolutiva("ok")


def test_a_referral_is_answered_once_every_sector_answered() -> None:
    assert open_status([True, True]) is ReferralStatus.ANSWERED
    assert open_status([True, False]) is ReferralStatus.OPEN


def test_the_agenda_lists_what_is_late_from_the_agenda_step_on() -> None:
    ladder = Ladder(agenda=7)
    assert not on_agenda(6, ladder)
    assert on_agenda(7, ladder)


@pytest.mark.parametrize(
    ("step", "audience"),
    [
        (Step.REMINDER, Audience.GROUP),
        (Step.GROUP, Audience.GROUP),
        (Step.PRIVATE, Audience.PRIVATE),
        (Step.EMAIL, Audience.EMAIL),
        (Step.AGENDA, Audience.NONE),
    ],
)
def test_each_step_of_the_ladder_has_its_audience(step: Step, audience: Audience) -> None:
    assert chase_audience(step, representatives=True, email=True) is audience


def test_without_representatives_only_the_email_still_reaches_the_sector() -> None:
    assert chase_audience(Step.GROUP, representatives=False, email=True) is Audience.COORDINATION
    assert chase_audience(Step.EMAIL, representatives=False, email=True) is Audience.EMAIL
    assert chase_audience(Step.EMAIL, representatives=False, email=False) is Audience.NONE
