"""The coordination corrects the presence list by sector, by name and by mention
(issue 12): "/presenca + Saúde Mental, Helena" through the router."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.clock import ManualClock
from bot.errors import UserError
from bot.messages import Person
from bot.rules import attendance as rules
from bot.rules.names import name_key
from bot.runtime import Runtime
from storage.models import Attendance, Meeting
from tests.drive import COORDINATOR, Group

JUSTIFICATION = "risco iminente à criança, a Rede precisa decidir o acolhimento"
ANA = Person(user_id="2", name="Ana Paula", username="ana")
HELENA = Person(user_id="5", name="Helena Souza")  # no username
HELENA_LIMA = Person(user_id="6", name="Helena Lima")
BRUNO = Person(user_id="3", name="Bruno", username="bruno")


@pytest.fixture
async def group(runtime: Runtime) -> Group:
    """A meeting today whose presence list is open; Saúde beside Saúde Mental."""
    group = Group(runtime)
    for who, sector in (
        (COORDINATOR, "CRAS"),
        (ANA, "Saúde"),
        (HELENA, "Saúde Mental"),
        (BRUNO, "Conselho Tutelar"),
    ):
        await group.seat(who, sector)
    convened = await group.convene(
        COORDINATOR, f"/convocar hoje 16h | CRAS | CASO-2026-001 | {JUSTIFICATION} | urgente"
    )
    assert "URGENTE" in convened
    opened = await group.text(COORDINATOR, "/presenca")
    assert "0 de 4" in opened
    return group


async def _rows(group: Group) -> list[tuple[int | None, int | None, bool]]:
    async with group.runtime.sessions() as session:
        rows = await session.scalars(select(Attendance).order_by(Attendance.id))
        return [(r.member_id, r.sector_id, r.present) for r in rows]


async def test_a_sector_of_two_words_is_marked_present(group: Group) -> None:
    said = await group.text(COORDINATOR, "/presenca + Saúde Mental")
    assert "1 de 4" in said
    assert "• Saúde Mental: marcado pela coordenação" in said
    assert "Faltam: Conselho Tutelar, CRAS, Saúde" in said  # Saúde itself is not marked
    again = await group.text(COORDINATOR, "/presenca + saude mental")  # accents, case
    assert "1 de 4" in again
    assert len(await _rows(group)) == 1  # one mark per sector


async def test_a_member_is_marked_by_her_name_and_counts_for_her_sector(group: Group) -> None:
    await group.say(COORDINATOR, "/presenca + Saúde Mental")
    said = await group.text(COORDINATOR, "/presenca + Helena")
    assert "1 de 4" in said
    # She is named now: the sector's unnamed mark gives way to her.
    assert "• Saúde Mental: Helena Souza" in said and "marcado pela" not in said
    full = await group.text(COORDINATOR, "/presenca + helena souza")
    assert "1 de 4" in full


async def test_several_items_separated_by_commas_or_spelled_in_a_row(group: Group) -> None:
    said = await group.text(COORDINATOR, "/presenca + Conselho Tutelar, Helena, @ana")
    assert "3 de 4" in said
    assert "• Conselho Tutelar: marcado pela coordenação" in said
    assert "• Saúde: Ana Paula" in said and "• Saúde Mental: Helena Souza" in said
    # Without commas, the longest names first: Saúde Mental is not Saúde + "Mental".
    await group.say(COORDINATOR, "/presenca - Conselho Tutelar, Saúde, Saúde Mental")
    spelled = await group.text(COORDINATOR, "/presenca + CRAS Saúde Mental")
    assert "2 de 4" in spelled
    assert "Faltam: Conselho Tutelar, Saúde" in spelled


async def test_a_sector_marked_absent_takes_its_people_with_it(group: Group) -> None:
    await group.say(COORDINATOR, "/presenca + Helena, Ana Paula")
    said = await group.text(COORDINATOR, "/presenca - Saúde Mental")
    assert "1 de 4" in said and "Helena" not in said and "• Saúde: Ana Paula" in said
    person = await group.text(COORDINATOR, "/presenca - Ana")
    assert "0 de 4" in person


async def test_a_prefix_of_two_sectors_is_asked_about(group: Group) -> None:
    said = await group.text(COORDINATOR, "/presenca + Sa")
    assert "Sa pode ser mais de um setor: Saúde, Saúde Mental" in said
    assert "Exemplo: /presenca +" in said
    exact = await group.text(COORDINATOR, "/presenca + saude")  # the exact name wins
    assert "• Saúde: marcado pela coordenação" in exact


async def test_a_name_of_two_members_is_asked_about(group: Group) -> None:
    await group.seat(HELENA_LIMA, "CRAS")
    said = await group.text(COORDINATOR, "/presenca + Helena")
    assert "Helena pode ser: Helena Lima (CRAS), Helena Souza (Saúde Mental)" in said
    assert await _rows(group) == []
    chosen = await group.text(COORDINATOR, "/presenca + Helena Lima")
    assert "• CRAS: Helena Lima" in chosen


async def test_an_unknown_name_is_said_whole_and_nothing_is_half_marked(group: Group) -> None:
    said = await group.text(COORDINATOR, "/presenca + CRAS, Assistência Jurídica")
    assert "Ainda não conheço Assistência Jurídica" in said
    assert "Exemplo: /presenca + Saúde Mental" in said
    assert await _rows(group) == []
    close = await group.text(COORDINATOR, "/presenca + Conselho Tutlar")
    assert "Conselho Tutlar" in close and "Você quis dizer Conselho Tutelar?" in close


async def test_a_name_without_a_sector_is_not_guessed(group: Group) -> None:
    eva = Person(user_id="9", name="Eva")
    await group.say(eva, "/proxima")  # in the group, but she never said her sector
    said = await group.text(COORDINATOR, "/presenca + Eva")
    assert "Ainda não conheço Eva" in said and "/setor" in said
    assert await _rows(group) == []


async def test_a_reply_still_marks_its_author(group: Group) -> None:
    said = await group.text(COORDINATOR, "/presenca +", reply_to=BRUNO)
    assert "• Conselho Tutelar: Bruno" in said
    nobody = await group.text(COORDINATOR, "/presenca +")
    assert "Diga quem" in nobody and "Exemplo" in nobody


async def test_a_sector_marked_unnamed_reaches_the_files_and_the_ata_draft(
    group: Group, clock: ManualClock
) -> None:
    await group.say(COORDINATOR, "/presenca + Conselho Tutelar, Helena")
    # A quarter of an hour into the meeting the roles are named and the ata opened.
    group.attach_dispatcher()
    async with group.runtime.sessions() as session:
        start = await session.scalar(select(Meeting.starts_at))
    assert start is not None and group.runtime.dispatcher is not None
    await clock.set(start + timedelta(minutes=15))
    await group.runtime.dispatcher.run_due()
    replies = await group.say(COORDINATOR, "/presenca lista")
    csv_file = next(r.file for r in replies if r.file and r.file.filename.endswith(".csv"))
    assert csv_file is not None
    rows = [line.split(";") for line in csv_file.content.decode("utf-8-sig").splitlines()]
    marked = {(r[0], r[1]): r[2] for r in rows[1:]}
    assert marked[("Conselho Tutelar", "(não identificado)")] == "Presente"
    assert marked[("Conselho Tutelar", "Bruno")] == "Ausente"  # not named: not guessed
    assert marked[("Saúde Mental", "Helena Souza")] == "Presente"
    draft = await group.text(COORDINATOR, "/ata rascunho")
    assert "Conselho Tutelar; Saúde Mental (Helena Souza)" in draft


# --- the rules alone -------------------------------------------------------------------


@dataclass(frozen=True)
class Thing:
    name: str

    @property
    def key(self) -> str:
        return name_key(self.name)


SECTORS = [Thing("Saúde"), Thing("Saúde Mental"), Thing("CRAS"), Thing("Conselho Tutelar")]


def test_mentions_are_cut_out_where_they_are_written() -> None:
    assert rules.pieces("Helena Souza, Saúde Mental", ["Helena Souza"]) == [
        rules.Piece("Helena Souza", 0),
        rules.Piece("Saúde Mental"),
    ]
    assert rules.pieces("@111 e @222", ["@111", "@222"]) == [
        rules.Piece("@111", 0),
        rules.Piece("@222", 1),
    ]
    # The same words twice are two mentions; a mention not found in the text still counts.
    assert rules.pieces("Ana; Ana", ["Ana", "Ana", "Eva"]) == [
        rules.Piece("Ana", 0),
        rules.Piece("Ana", 1),
        rules.Piece("", 2),
    ]


def test_names_are_read_longest_first_and_never_half() -> None:
    assert rules.read_names("saúde  mental", SECTORS, []) == [SECTORS[1]]
    assert rules.read_names("CRAS Saúde Mental Saúde", SECTORS, []) == [
        SECTORS[2],
        SECTORS[1],
        SECTORS[0],
    ]
    with pytest.raises(UserError) as unknown:
        rules.read_names("CRAS Bombeiros", SECTORS, [])
    assert unknown.value.params["name"] == "CRAS Bombeiros"
