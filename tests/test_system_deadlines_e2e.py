"""The systems' reporting deadlines (seed 001) as the group types them: /prazo_ok confirms
the occurrence /prazos shows as pending, and a yearly day its month lacks is refused.

Played through the router (tests/drive.py) on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.clock import ManualClock
from bot.messages import Reply
from bot.runtime import Runtime
from tests.drive import ANA, COORDINATOR, Group

# Wednesday 2 December 2026, 9:00 in São Paulo.
DECEMBER_2 = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def _texts(replies: list[Reply]) -> str:
    return "\n".join(r.text or r.notice or "" for r in replies)


@pytest.fixture
async def group(runtime: Runtime) -> Group:
    """The coordination (CRAS) and Ana (Saúde), confirmed."""
    group = Group(runtime)
    await group.say(COORDINATOR, "/setor CRAS")
    await group.seat(ANA, "Saúde")
    return group


@pytest.mark.parametrize(
    ("recurrence", "due"), [("mensal dia 31", "31/12/2026"), ("mensal dia 1", "01/01/2027")]
)
async def test_prazo_ok_confirms_the_date_prazos_shows_never_one_before_the_deadline(
    group: Group, clock: ManualClock, recurrence: str, due: str
) -> None:
    """Created on 2/12, X's first date is the next one: 30/11 (dia 31) or 1/12 (dia 1),
    due before X existed, is nobody's to confirm, even within the late days."""
    await clock.set(DECEMBER_2)
    created = await group.text(COORDINATOR, f"/prazos novo X | {recurrence} | Saúde")
    assert f"o próximo é {due}" in created
    assert f"• X: {due} — pendente: Saúde" in await group.text(ANA, "/prazos")
    listed = await group.say(ANA, "/prazo_ok")
    assert f"• X — {due}" in _texts(listed)
    (pick,) = [b.data for r in listed for row in r.buttons for b in row]
    assert f"✅ Saúde confirmou X, prazo de {due}." in _texts(await group.press(ANA, pick))
    assert f"• X: {due} — pendente: ninguém" in await group.text(ANA, "/prazos")
    again = await group.text(ANA, "/prazo_ok X")
    assert f"prazo de {due}" in again
    assert "Saúde não tem nenhum prazo para confirmar agora." in await group.text(ANA, "/prazo_ok")


async def test_the_date_just_passed_stays_pending_until_every_sector_confirms_it(
    group: Group, clock: ManualClock
) -> None:
    """Within the late days, /prazos shows the date just passed while a sector owes it,
    and /prazo_ok confirms that one; once all have, both move to the next date."""
    await group.say(COORDINATOR, "/prazos novo RMA | mensal dia 10 | Saúde, CRAS")
    await clock.set(datetime(2026, 12, 15, 12, 0, tzinfo=UTC))
    assert "• RMA: 10/12/2026 — pendente: Saúde, CRAS" in await group.text(ANA, "/prazos")
    assert "prazo de 10/12/2026" in await group.text(ANA, "/prazo_ok RMA")
    assert "• RMA: 10/12/2026 — pendente: CRAS" in await group.text(ANA, "/prazos")
    assert "Saúde não tem nenhum prazo" in await group.text(ANA, "/prazo_ok")
    assert "prazo de 10/12/2026" in await group.text(COORDINATOR, "/prazo_ok RMA")
    assert "• RMA: 10/01/2027 — pendente: Saúde, CRAS" in await group.text(ANA, "/prazos")
    assert "• RMA — 10/01/2027" in await group.text(ANA, "/prazo_ok")


async def test_a_removed_sector_no_longer_owes_a_deadline(group: Group, clock: ManualClock) -> None:
    """/setores remover Educação: it can never confirm again, so it neither shows as
    pending nor holds the deadline in the date just passed."""
    await group.say(COORDINATOR, "/prazos novo RMA | mensal dia 10 | Saúde, Educação")
    await clock.set(datetime(2026, 12, 15, 12, 0, tzinfo=UTC))
    assert "prazo de 10/12/2026" in await group.text(ANA, "/prazo_ok RMA")
    assert "• RMA: 10/12/2026 — pendente: Educação" in await group.text(ANA, "/prazos")
    assert "Setor Educação removido" in await group.text(COORDINATOR, "/setores remover Educação")
    assert "• RMA: 10/01/2027 — pendente: Saúde\n" in await group.text(ANA, "/prazos") + "\n"
    assert "• RMA — 10/01/2027" in await group.text(ANA, "/prazo_ok")


@pytest.mark.parametrize(
    ("typed", "said", "example"),
    [
        ("anual 31/02", "31/02 não existe.", "anual 28/02"),
        ("anual 30/02", "30/02 não existe.", "anual 28/02"),
        ("anual 31/04", "31/04 não existe: abril só tem 30 dias.", "anual 30/04"),
        ("anual 32/01", "32/01 não existe: janeiro só tem 31 dias.", "anual 31/01"),
        ("anual 31/13", "31/13 não existe.", "anual 30/06"),
        ("anual 0/05", "00/05 não existe.", "anual 30/06"),
        ("mensal dia 32", "O dia precisa ser entre 1 e 31.", "mensal dia 10"),
    ],
)
async def test_a_day_that_does_not_exist_is_refused_with_the_right_form(
    group: Group, typed: str, said: str, example: str
) -> None:
    refused = await group.text(COORDINATOR, f"/prazos novo Censo SUAS | {typed} | CRAS")
    assert said in refused and "Exemplo: /prazos novo " in refused and example in refused
    assert "salvo" not in refused
    assert "Ainda não há prazos" in await group.text(COORDINATOR, "/prazos")


async def test_a_yearly_29_02_and_a_monthly_31_are_kept(group: Group) -> None:
    """Months without the day use their last one (a leap day: 28/02 in other years)."""
    assert "o próximo é 28/02/2027" in await group.text(
        COORDINATOR, "/prazos novo Censo SUAS | anual 29/02 | CRAS"
    )
    assert "o próximo é 30/11/2026" in await group.text(
        COORDINATOR, "/prazos novo RMA | mensal dia 31 | CRAS"
    )
