"""Who speaks for a sector (issue 13): a declaration waits for the coordination, and
until it is confirmed the member acts for nobody; a sector's address is the sector's.

Played through the router on SQLite and on PostgreSQL, as the group would type it.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.clock import ManualClock
from bot.messages import Person, Reply
from bot.runtime import Runtime
from storage.models import (
    Devolutiva,
    Draft,
    Meeting,
    Member,
    ReportingConfirmation,
    RoleAssignment,
    Sector,
)
from tests.drive import ANA, BRUNO, COORDINATOR, Group
from tests.fakes.bot_api import FakeUser
from tests.telegram_harness import COORD, Harness
from tests.telegram_harness import DORA as TG_DORA

JUSTIFICATION = "risco iminente à criança, precisamos decidir hoje"
NEWCOMER = Person(user_id="66", name="Zé", username="ze")
NOT_CONFIRMED = "A coordenação ainda não confirmou você como representante de {sector}"


def _texts(replies: list[Reply]) -> str:
    return "\n".join(r.text or r.notice or "" for r in replies)


def _claim(replies: list[Reply]) -> tuple[str, str]:
    """The ✅ and ✖ payloads under a declaration."""
    (reply,) = [r for r in replies if r.buttons]
    ok, no = reply.buttons[0]
    assert (ok.label, no.label) == ("✅ Confirmar", "✖ Recusar")
    return ok.data, no.data


async def _count(group: Group, model: type) -> int:
    async with group.runtime.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def _member(group: Group, person: Person) -> Member:
    async with group.runtime.sessions() as session:
        found = await session.scalar(select(Member).where(Member.user_id == person.user_id))
    assert found is not None
    return found


@pytest.fixture
async def group(runtime: Runtime) -> Group:
    """The coordination (CRAS) and Bruno (Conselho Tutelar, confirmed)."""
    group = Group(runtime)
    said = await group.text(COORDINATOR, "/setor CRAS")
    assert "Pronto, Carla: você representa CRAS na Rede." in said  # counts at once
    await group.seat(BRUNO, "Conselho Tutelar")
    return group


async def test_a_first_timer_declaring_a_sector_acts_for_none_until_confirmed(
    group: Group,
) -> None:
    """The probe of issue 13: a person writing for the first time declared the Conselho
    Tutelar and at once convened a same-day URGENTE meeting on its authority, then
    delivered Saúde's devolutiva and confirmed CRAS's RMA."""
    await group.say(COORDINATOR, "/encaminhar Saúde | 10 dias | CASO-2026-001: avaliação")
    await group.say(COORDINATOR, "/prazos novo RMA | mensal dia 10 | CRAS, CREAS")
    declared = await group.say(NEWCOMER, "/setor Conselho Tutelar")
    said = _texts(declared)
    assert "Zé diz que representa Conselho Tutelar. Coordenação: confirme pelos botões" in said
    assert "não age pelo setor" in said
    _claim(declared)

    convened = await group.text(
        NEWCOMER, "/convocar hoje 16h | CRAS | CASO-2026-001 | caso grave trazido ao Conselho hoje"
    )
    assert NOT_CONFIRMED.format(sector="Conselho Tutelar") in convened
    assert (await _count(group, Draft), await _count(group, Meeting)) == (0, 0)

    await group.say(NEWCOMER, "/setor Saúde")
    answered = await group.text(NEWCOMER, "/devolutiva E-2026-001 avaliação feita com a família")
    assert NOT_CONFIRMED.format(sector="Saúde") in answered
    async with group.runtime.sessions() as session:
        owed = await session.scalar(select(Devolutiva))
    assert owed is not None and owed.answered_at is None

    await group.say(NEWCOMER, "/setor CRAS")
    confirmed = await group.text(NEWCOMER, "/prazo_ok RMA")
    assert NOT_CONFIRMED.format(sector="CRAS") in confirmed
    assert await _count(group, ReportingConfirmation) == 0
    asked = await group.text(NEWCOMER, "/prazo E-2026-001 20/12 aguardando vaga no CAPS")
    assert NOT_CONFIRMED.format(sector="CRAS") in asked

    # Confirmed by the coordination, the same person speaks for CRAS.
    declared = await group.say(NEWCOMER, "/setor CRAS")  # the same declaration, asked again
    ok, _no = _claim(declared)
    await group.press(COORDINATOR, ok)
    await group.say(NEWCOMER, "/prazo_ok RMA")
    assert await _count(group, ReportingConfirmation) == 1
    # And the Conselho Tutelar, confirmed, convenes the same day in its own right.
    convened = await group.convene(
        BRUNO, "/convocar hoje 16h | CRAS | CASO-2026-001 | caso grave trazido ao Conselho hoje"
    )
    assert "URGENTE" in convened and "por demanda do Conselho Tutelar" in convened


async def test_a_declaration_is_decided_by_the_coordination_once(group: Group) -> None:
    ok, no = _claim(await group.say(ANA, "/setor Saúde"))
    # Ana cannot confirm herself, nor can another member.
    for who in (ANA, BRUNO):
        refused = _texts(await group.press(who, ok))
        assert "Só a coordenação da Rede pode confirmar quem representa um setor." in refused
    assert (await _member(group, ANA)).confirmed_at is None
    confirmed = await group.press(COORDINATOR, ok)
    assert "✅ Ana representa Saúde: confirmado por Carla." in _texts(confirmed)
    assert confirmed[0].edit and confirmed[0].mentions[0].user_id == ANA.user_id
    member = await _member(group, ANA)
    coordinator = await _member(group, COORDINATOR)
    assert member.confirmed_at is not None and member.confirmed_by_id == coordinator.id
    # A stale press (the other button, or the same one again) changes nothing.
    assert "A representação de Ana em Saúde já foi confirmada." in _texts(
        await group.press(COORDINATOR, no)
    )
    assert (await _member(group, ANA)).sector_id is not None
    listing = await group.text(BRUNO, "/setores")
    assert "• Saúde (SMS): Ana" in listing and "aguardando" not in listing


async def test_a_refused_or_changed_declaration_leaves_old_buttons_stale(group: Group) -> None:
    ok, no = _claim(await group.say(ANA, "/setor Saúde"))
    refused = _texts(await group.press(COORDINATOR, no))
    assert "✖ A coordenação não confirmou Ana como representante de Saúde." in refused
    assert (await _member(group, ANA)).sector_id is None
    stale = _texts(await group.press(COORDINATOR, ok))
    assert "A declaração de Ana mudou desde então: nada foi feito." in stale
    assert (await _member(group, ANA)).confirmed_at is None
    # Declared Saúde, then CREAS: the Saúde button no longer confirms anything.
    saude, _n = _claim(await group.say(ANA, "/setor Saúde"))
    creas, _n = _claim(await group.say(ANA, "/setor CREAS"))
    assert "mudou desde então" in _texts(await group.press(COORDINATOR, saude))
    assert (await _member(group, ANA)).confirmed_at is None
    assert "✅ Ana representa CREAS" in _texts(await group.press(COORDINATOR, creas))


async def test_a_change_of_sector_needs_confirmation_again(group: Group) -> None:
    await group.say(COORDINATOR, "/encaminhar Saúde, CREAS | 10 dias | CASO-2026-001: visita")
    await group.seat(ANA, "Saúde")
    moved = await group.say(ANA, "/setor CREAS")
    assert "Ana diz que representa CREAS" in _texts(moved)
    member = await _member(group, ANA)
    assert member.confirmed_at is None and member.confirmed_by_id is None
    for sector in ("CREAS", "Saúde"):
        said = await group.text(ANA, "/devolutiva E-2026-001 visita feita pela equipe")
        assert NOT_CONFIRMED.format(sector="CREAS") in said, sector
    listing = await group.text(BRUNO, "/setores")
    assert "• CREAS: — (aguardando a coordenação: Ana)" in listing
    assert "• Saúde (SMS): —" in listing
    # Back to the sector she was confirmed for: it waits again too (it was a change).
    assert "Ana diz que representa Saúde" in await group.text(ANA, "/setor Saúde")


async def test_the_pending_list_confirms_and_refuses_in_place(group: Group) -> None:
    assert "Nenhuma declaração aguarda a coordenação." in await group.text(
        COORDINATOR, "/setores pendentes"
    )
    await group.say(ANA, "/setor Saúde")
    await group.say(NEWCOMER, "/setor Conselho Tutelar")
    member_asks = await group.text(ANA, "/setores pendentes")
    assert "Só a coordenação da Rede pode mudar os setores." in member_asks
    (listing,) = await group.say(COORDINATOR, "/setores pendentes")
    assert "• Ana — Saúde" in listing.text and "• Zé — Conselho Tutelar" in listing.text
    labels = [[b.label for b in row] for row in listing.buttons]
    assert labels == [["✅ Ana — Saúde", "✖ Recusar"], ["✅ Zé — Conselho Tutelar", "✖ Recusar"]]
    (after,) = await group.press(COORDINATOR, listing.buttons[1][1].data)
    assert after.edit and "✖ A coordenação não confirmou Zé" in after.text
    assert "• Ana — Saúde" in after.text and "Zé —" not in after.text.split("\n", 1)[1]
    assert [[b.label for b in row] for row in after.buttons] == [["✅ Ana — Saúde", "✖ Recusar"]]
    (last,) = await group.press(COORDINATOR, after.buttons[0][0].data)
    assert "✅ Ana representa Saúde" in last.text
    assert "Nenhuma declaração aguarda a coordenação." in last.text and not last.buttons


async def test_a_new_coordinator_and_an_administrator_are_trusted(group: Group) -> None:
    await group.say(ANA, "/setor Saúde")
    added = await group.text(COORDINATOR, "/coordenador + @ana")
    assert "Ana agora faz parte da coordenação." in added
    member = await _member(group, ANA)
    assert member.confirmed_at is not None
    admin = Person(user_id="70", name="Dora", username="dora", is_admin=True)
    said = await group.text(admin, "/setor CREAS")
    assert "Pronto, Dora: você representa CREAS na Rede." in said


async def test_an_unconfirmed_presence_does_not_make_the_sector_present(
    group: Group, clock: ManualClock
) -> None:
    group.attach_dispatcher()
    await group.say(ANA, "/setor Saúde")
    await group.convene(
        COORDINATOR, f"/convocar hoje 16h | CRAS | CASO-2026-001 | {JUSTIFICATION} | urgente"
    )
    opened = await group.say(COORDINATOR, "/presenca")
    tap = next(r for r in opened if r.buttons).buttons[0][0].data
    assert "Setores presentes: 0 de 2" in _texts(opened)  # CRAS and Conselho Tutelar
    (marked,) = await group.press(ANA, tap)
    assert marked.notice == (
        "Presença registrada; conta para o seu setor quando a coordenação confirmar você."
    )
    assert "Setores presentes: 0 de 2" in marked.text and "• nenhum: Ana" in marked.text
    # The rotation's pool: Ana's presence brings no sector; CRAS, present, takes both.
    await group.press(COORDINATOR, tap)
    async with group.runtime.sessions() as session:
        start = await session.scalar(select(Meeting.starts_at))
    assert start is not None and group.runtime.dispatcher is not None
    await clock.set(start + timedelta(minutes=15))
    await group.runtime.dispatcher.run_due()
    async with group.runtime.sessions() as session:
        held = set(
            (
                await session.scalars(
                    select(Sector.name).join(RoleAssignment, RoleAssignment.sector_id == Sector.id)
                )
            ).all()
        )
    assert held == {"CRAS"}
    # Confirmed while the list is open, her presence counts for Saúde from then on.
    ok, _no = _claim(await group.say(ANA, "/setor Saúde"))
    await group.press(COORDINATOR, ok)
    listing = await group.text(COORDINATOR, "/presenca + CRAS")
    assert "• Saúde: Ana" in listing and "Setores presentes: 2 de 3" in listing


async def test_the_ata_draft_is_for_the_coordination_and_the_meetings_sectors(
    group: Group, clock: ManualClock
) -> None:
    group.attach_dispatcher()
    await group.convene(
        COORDINATOR, f"/convocar hoje 16h | CRAS | CASO-2026-001 | {JUSTIFICATION} | urgente"
    )
    opened = await group.say(COORDINATOR, "/presenca")
    tap = next(r for r in opened if r.buttons).buttons[0][0].data
    await group.press(BRUNO, tap)
    async with group.runtime.sessions() as session:
        start = await session.scalar(select(Meeting.starts_at))
    assert start is not None and group.runtime.dispatcher is not None
    await clock.set(start + timedelta(minutes=15))
    await group.runtime.dispatcher.run_due()
    await group.say(ANA, "/proxima")  # in the group, no sector
    pending = Person(user_id="71", name="Eva", username="eva")
    await group.say(pending, "/setor Saúde")
    first_time = Person(user_id="72", name="Ivo", username="ivo")
    for who, refusal in (
        (first_time, "Primeiro diga o seu setor com /setor."),
        (ANA, "Primeiro diga o seu setor com /setor."),
        (pending, NOT_CONFIRMED.format(sector="Saúde")),
    ):
        said = await group.text(who, "/ata rascunho")
        assert refusal in said, who
        assert JUSTIFICATION not in said and "CRAS" not in said.split("\n")[0]
    for who in (COORDINATOR, BRUNO):
        draft = await group.text(who, "/ata rascunho")
        assert JUSTIFICATION in draft and "Bruno" in draft, who


async def test_a_personal_address_needs_the_coordinations_explicit_confirmation(
    group: Group,
) -> None:
    (question,) = await group.say(COORDINATOR, "/email CREAS joana.x@gmail.com")
    assert "joana.x@gmail.com é de um provedor de e-mail pessoal" in question.text
    assert [b.label for b in question.buttons[0]] == ["✔ Usar este endereço", "✖ Cancelar"]
    use, cancel = (b.data for b in question.buttons[0])
    assert "• CREAS: —" in await group.text(COORDINATOR, "/email")  # nothing kept yet
    refused = _texts(await group.press(BRUNO, use))
    assert "Só a coordenação da Rede pode decidir isso." in refused
    (done,) = await group.press(COORDINATOR, use)
    assert done.edit and "Pronto: as convocações de CREAS vão para joana.x@gmail.com" in done.text
    assert "• CREAS: joana.x@gmail.com" in await group.text(COORDINATOR, "/email")
    assert "Este endereço já foi decidido." in _texts(await group.press(COORDINATOR, cancel))
    async with group.runtime.sessions() as session:
        draft = await session.scalar(select(Draft).where(Draft.kind == "sector_email"))
    assert draft is not None and "address" not in draft.payload  # not kept once decided
    # Cancelled: the address stays as it was; an institutional one is set at once.
    (question,) = await group.say(COORDINATOR, "/email Saúde ana.saude@hotmail.com")
    (cancelled,) = await group.press(COORDINATOR, question.buttons[0][1].data)
    assert "Cancelado: o endereço do setor não mudou." in cancelled.text
    assert "• Saúde: —" in await group.text(COORDINATOR, "/email")
    said = await group.text(COORDINATOR, "/email Saúde saude@palmital.pr.gov.br")
    assert "Pronto: as convocações de Saúde vão para saude@palmital.pr.gov.br." in said
    # A press after the address changed otherwise does nothing.
    (question,) = await group.say(COORDINATOR, "/email Saúde saude.palmital@yahoo.com.br")
    await group.say(COORDINATOR, "/email Saúde ubs@palmital.pr.gov.br")
    stale = _texts(await group.press(COORDINATOR, question.buttons[0][0].data))
    assert "O endereço de Saúde mudou desde então: nada foi feito." in stale
    assert "• Saúde: ubs@palmital.pr.gov.br" in await group.text(COORDINATOR, "/email")


async def test_the_migration_keeps_running_networks_representatives(
    empty_database_url: str,
) -> None:
    """0013: members who had declared a sector are confirmed by the migration (a
    running network is not locked out); the others have nothing to confirm."""
    from alembic import command
    from sqlalchemy import Connection, text

    from storage.db import alembic_config, make_engine, migrate
    from tests.conftest import NOW

    engine = make_engine(empty_database_url)

    def to(revision: str, down: bool = False) -> object:
        def run(connection: Connection) -> None:
            cfg = alembic_config()
            cfg.attributes["connection"] = connection
            (command.downgrade if down else command.upgrade)(cfg, revision)

        return run

    at = NOW.replace(tzinfo=None)
    async with engine.begin() as conn:
        await conn.run_sync(to("0012"))  # type: ignore[arg-type]
        await conn.execute(
            text(
                "INSERT INTO networks (platform, chat_id, title, timezone, locale,"
                " reminder_offsets, ics_token, created_at) VALUES ('t', '1', 'R',"
                " 'America/Sao_Paulo', 'pt_BR', '[120]', 'tok', :now)"
            ),
            {"now": at},
        )
        await conn.execute(
            text("INSERT INTO sectors (network_id, name, key) VALUES (1, 'CRAS', 'cras')")
        )
        for user, sector in (("ana", 1), ("zé", None)):
            await conn.execute(
                text(
                    "INSERT INTO members (network_id, user_id, name, sector_id, is_coordinator,"
                    " is_admin, created_at) VALUES (1, :user, :user, :sector, false, false, :now)"
                ),
                {"user": user, "sector": sector, "now": at},
            )
    await migrate(engine)
    async with engine.begin() as conn:
        rows = await conn.execute(
            text("SELECT user_id, confirmed_at, confirmed_by_id FROM members ORDER BY user_id")
        )
        found = {user: (confirmed is not None, by) for user, confirmed, by in rows.all()}
    assert found == {"ana": (True, None), "zé": (False, None)}
    async with engine.begin() as conn:
        await conn.run_sync(to("0012", down=True))  # type: ignore[arg-type]
        columns = await conn.execute(text("SELECT * FROM members"))
        assert "confirmed_at" not in columns.keys()
    await engine.dispose()


async def test_a_reply_with_a_devolutiva_waits_for_the_confirmation(seated_group: Harness) -> None:
    """On Telegram: a reply to the bot's message about an encaminhamento is the sector's
    devolutiva only from a confirmed representative."""
    tg = seated_group
    eva = FakeUser(20, "Eva", username="eva_creas")
    created = await tg.say(COORD, "/encaminhar CREAS | 10 dias | CASO-2026-001: visita")
    await tg.say(eva, "/setor CREAS")
    refused = await tg.say(eva, "visita feita, família acompanhada pela equipe", reply_to=created)
    assert NOT_CONFIRMED.format(sector="CREAS") in refused["text"]
    async with tg.runtime.sessions() as session:
        owed = await session.scalar(select(Devolutiva))
    assert owed is not None and owed.answered_at is None
    answered = await tg.say(
        TG_DORA, "visita feita, família acompanhada pela equipe", reply_to=created
    )
    assert "✅ Devolutiva do setor CREAS sobre E-2026-001 registrada" in answered["text"]


async def test_a_preview_is_not_sent_once_its_author_no_longer_speaks_for_the_sector(
    group: Group,
) -> None:
    council = "/convocar hoje 16h | CRAS | CASO-2026-001 | caso grave trazido ao Conselho hoje"
    preview = [r for r in await group.say(BRUNO, council) if r.buttons]
    assert preview and "por demanda do Conselho Tutelar" in preview[0].text
    await group.say(BRUNO, "/setor CREAS")  # a new sector, waiting
    (refused,) = await group.press(BRUNO, preview[0].buttons[0][0].data)
    assert "Não enviada: quem escreveu esta convocação não fala mais pelo setor" in refused.text
    assert await _count(group, Meeting) == 0


async def test_two_people_of_one_name_are_told_apart_by_the_whole_name(group: Group) -> None:
    souza = Person(user_id="71", name="Maria Souza", username=None)
    lima = Person(user_id="72", name="Maria Lima", username=None)
    await group.say(souza, "/setor CRAS")
    await group.say(lima, "/setor CREAS")
    both = await group.text(COORDINATOR, "/coordenador + maria")
    assert "Mais de uma pessoa se chama maria: Maria Lima (CREAS), Maria Souza (CRAS)." in both
    assert (await _member(group, souza)).is_coordinator is False
    added = await group.text(COORDINATOR, "/coordenador + Maria Souza")
    assert "Maria Souza agora faz parte da coordenação." in added
    assert (await _member(group, souza)).is_coordinator and not (
        await _member(group, lima)
    ).is_coordinator


async def test_the_name_typed_says_who_even_in_a_reply(group: Group) -> None:
    """Ana asks, in the group, for Maria to join; the coordinator answers her message
    with /coordenador + Maria Souza: Maria joins, not Ana."""
    souza = Person(user_id="71", name="Maria Souza", username="msouza")
    await group.say(souza, "/setor CRAS")
    await group.say(ANA, "/setor Saúde")
    added = await group.text(COORDINATOR, "/coordenador + Maria Souza", reply_to=ANA)
    assert "Maria Souza agora faz parte da coordenação." in added
    assert (await _member(group, souza)).is_coordinator
    assert not (await _member(group, ANA)).is_coordinator
    # A username typed without its @, and an @username with words after it.
    assert "Maria Souza não faz mais" in await group.text(COORDINATOR, "/coordenador - msouza")
    again = await group.text(COORDINATOR, "/coordenador +@msouza obrigada")
    assert "Maria Souza agora faz parte da coordenação." in again
    # "@Maria Souza" typed (no mention): no username "@Maria", so her name.
    removed = await group.text(COORDINATOR, "/coordenador - @Maria Souza")
    assert "Maria Souza não faz mais parte da coordenação." in removed
    unknown = await group.text(COORDINATOR, "/coordenador + @joana")
    assert "Ainda não conheço @joana" in unknown


async def test_the_coordination_is_told_what_is_true_about_a_change(group: Group) -> None:
    await group.say(ANA, "/setor Saúde")
    assert "Ana não fazia parte da coordenação." in await group.text(
        COORDINATOR, "/coordenador - Ana"
    )
    assert "Ana agora faz parte" in await group.text(COORDINATOR, "/coordenador + Ana")
    assert "Ana já faz parte da coordenação." in await group.text(COORDINATOR, "/coordenador + Ana")
    assert "Ana não faz mais parte" in await group.text(COORDINATOR, "/coordenador - Ana")
    # An administrator of the group is of the coordination by that: not removed here.
    refused = await group.text(COORDINATOR, "/coordenador - Carla")
    assert "Carla administra o grupo" in refused
    assert "Exemplo" not in refused  # the form was right: no example of another
    assert "Carla já faz parte da coordenação." in await group.text(
        COORDINATOR, "/coordenador + Carla"
    )
    listed = await group.text(COORDINATOR, "/coordenador + Ana, Carla")
    assert "Uma pessoa de cada vez" in listed and "Exemplo: /coordenador + Maria Souza" in listed
    assert "Uma pessoa de cada vez" in await group.text(COORDINATOR, "/coordenador -Ana;Carla")
    # A comma or full stop at the end is how the sentence ended, not a second person.
    assert "Ana agora faz parte" in await group.text(COORDINATOR, "/coordenador + Ana.")
    assert "Ana não faz mais parte" in await group.text(COORDINATOR, "/coordenador - Ana,")
    both = await group.text(COORDINATOR, "/coordenador - Joana")
    assert "Exemplo: /coordenador - Maria Souza" in both
