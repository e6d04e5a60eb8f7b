"""Encaminhamentos, devolutivas, the chase ladder, plans, reporting deadlines, LGPD rights."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from bot.rules import referrals as rules
from storage.models import Contact, Devolutiva, Member, Referral, Sector
from tests.conftest import NOW
from tests.smtp import SmtpServer
from tests.telegram_harness import (
    ANA,
    BRUNO,
    COORD,
    DORA,
    GROUP,
    Harness,
    buttons,
)

DESCRIPTION = "CASO-2025-014: avaliação de saúde mental da criança e retorno à Rede"


@pytest.fixture
def tg(seated_group: Harness) -> Harness:
    return seated_group


async def _sent_texts(tg: Harness, mark: int, chat: int = GROUP) -> list[str]:
    return [
        c.params["text"]
        for c in tg.api.calls_since(mark)
        if c.method == "sendMessage" and c.params["chat_id"] == chat and not c.failed
    ]


async def test_a_referral_gets_a_code_and_each_sector_owes_a_devolutiva(tg: Harness) -> None:
    created = await tg.say(
        COORD, f"/encaminhar Saúde, Conselho Tutelar | 10 dias úteis | {DESCRIPTION}"
    )
    assert "E-2026-001" in created["text"] and DESCRIPTION in created["text"]
    assert "07/12/2026" in created["text"]  # 10 business days from Mon 23/11
    mentioned = {e["user"]["id"] for e in created.get("entities", []) if "user" in e}
    assert mentioned == {ANA.id, BRUNO.id}
    member = await tg.say(ANA, f"/encaminhar CREAS | 5 dias | {DESCRIPTION}")
    assert "coordenação" in member["text"].lower()
    # Incomplete: the rest is asked step by step (issue 14), the one-line form shown.
    no_parts = await tg.say(COORD, "/encaminhar Saúde | 5 dias")
    assert "Descreva o encaminhamento" in no_parts["text"]
    assert f"por exemplo: {rules.EXAMPLE}" in no_parts["text"]
    personal = await tg.say(COORD, "/encaminhar Saúde | 5 dias | CPF da mãe 529.982.247-25")
    assert "CPF" in personal["text"] and "529" not in personal["text"]
    bad_date = await tg.say(COORD, f"/encaminhar Saúde | ontem | {DESCRIPTION}")
    assert "Exemplo" in bad_date["text"]
    # Typed on 23/11, "20/11" is last Friday, not 20/11 of next year.
    past = await tg.say(COORD, f"/encaminhar Saúde | 20/11 | {DESCRIPTION}")
    assert "20/11 já passou" in past["text"] and "Exemplo: /encaminhar" in past["text"]

    wrong = await tg.say(DORA, "/devolutiva E-2026-001 avaliação feita, tudo certo")
    assert "Saúde, Conselho Tutelar" in wrong["text"]
    first = await tg.say(ANA, "/devolutiva E-2026-001 avaliação feita; criança no CAPS")
    assert "Saúde" in first["text"] and "registrada" in first["text"]
    done = await tg.say(BRUNO, "/devolutiva e-2026-001 família acompanhada pelo conselho")
    assert "/concluir E-2026-001" in done["text"]
    closed = await tg.say(COORD, "/concluir E-2026-001")
    assert "concluído" in closed["text"]
    async with tg.runtime.sessions() as session:
        referral = await session.scalar(select(Referral).options(selectinload(Referral.owed)))
    assert referral is not None and referral.status == "concluded"
    assert referral.owed[0].text == "avaliação feita; criança no CAPS"


async def test_overdue_sectors_are_chased_step_by_step_until_they_answer(
    tg: Harness, smtp_server: SmtpServer
) -> None:
    await tg.say(COORD, "/email Saúde saude@palmital.pr.gov.br")
    # Issue 14: two sectors reminded the same day are two messages; the daily budget (1)
    # would hold the second for the next day. This test is about the ladder's steps.
    await tg.say(COORD, "/silencio por dia 5")
    tg.api.private_message(ANA, "/start")
    await tg.api.wait_for_message(ANA.id)
    await tg.say(COORD, f"/encaminhar Saúde, CREAS | 27/11 | {DESCRIPTION}")
    local_9h = NOW.replace(hour=12)  # 9h in São Paulo
    # Two days before: both sectors reminded.
    await tg.clock.set(local_9h.replace(day=25))
    mark = tg.api.mark()
    await tg.dispatcher.run_due()
    texts = await _sent_texts(tg, mark)
    assert len(texts) == 2 and all("E-2026-001" in t and "27/11" in t for t in texts)
    # CREAS answers by replying to the bot's reminder.
    reminder = next(
        m
        for m in tg.api.sent_messages(GROUP)
        if "CREAS" in m.get("text", "") and "E-2026-001" in m["text"]
    )
    answered = await tg.say(DORA, "caso discutido com a equipe, sem novidades", reply_to=reminder)
    assert "CREAS" in answered["text"] and "registrada" in answered["text"]
    # Day 1 overdue: group mention of Saúde only.
    await tg.clock.set(local_9h.replace(day=28))
    mark = tg.api.mark()
    await tg.dispatcher.run_due()
    (group,) = await _sent_texts(tg, mark)
    assert "atrasado" in group and "Saúde" in group and "CREAS" not in group
    assert "está atrasado há 1 dia:" in group  # not "há 1 dias"
    # Day 3: private message to the representative who started the bot.
    await tg.clock.set(local_9h.replace(day=30))
    mark = tg.api.mark()
    await tg.dispatcher.run_due()
    assert await _sent_texts(tg, mark, chat=ANA.id)
    # Day 5: e-mail to the sector's institutional address (seed 001 Anexo II model).
    await tg.clock.set(local_9h.replace(month=12, day=2))
    await tg.dispatcher.run_due()
    (mail,) = await smtp_server.wait_for(1)
    assert mail.rcpt_tos == ("saude@palmital.pr.gov.br",)
    assert "E-2026-001" in str(mail.message["Subject"])
    assert "(5 dias de atraso)" in str(mail.message["Subject"])
    mail_body = mail.message.get_body(preferencelist=("plain",))
    assert mail_body is not None
    mail_text = mail_body.get_content().replace("\r\n", "\n")
    assert mail_text.startswith("Prezados(as) representantes do setor Saúde,")
    assert mail_text.rstrip().endswith("Atenciosamente,\nCoordenação da Rede de Proteção Social")
    assert "redebot" not in mail_text
    # Each step once: nothing more on the same day.
    mark = tg.api.mark()
    assert await tg.dispatcher.run_due() == 0
    pending = await tg.say(COORD, "/pendencias")
    assert "Saúde — E-2026-001 (5 dias de atraso)" in pending["text"]
    # The devolutiva arrives: the chase stops.
    await tg.say(ANA, "/devolutiva E-2026-001 avaliação concluída")
    await tg.clock.advance(timedelta(days=30))
    mark = tg.api.mark()
    await tg.dispatcher.run_due()
    assert not any("E-2026-001" in t for t in await _sent_texts(tg, mark))


async def test_a_sector_asks_for_more_time_and_the_coordination_decides(tg: Harness) -> None:
    await tg.say(COORD, f"/encaminhar Saúde | 27/11 | {DESCRIPTION}")
    early = await tg.say(ANA, "/prazo E-2026-001 26/11 motivo qualquer")
    assert "depois do prazo" in early["text"]
    asked = await tg.say(ANA, "/prazo E-2026-001 04/12 aguardando a vaga no CAPS")
    assert "04/12/2026" in asked["text"]
    accept, _refuse = buttons(asked)
    mark = tg.api.mark()
    tg.api.press_button(asked, accept, ANA)
    refused = await tg.api.wait_for_call("answerCallbackQuery", since=mark)
    assert "coordenação" in refused.params["text"].lower()
    await tg.press(asked, accept, COORD)
    edited = tg.api.calls_of("editMessageText")[-1]
    assert "04/12/2026" in edited.params["text"]
    # The old deadline passes quietly; the new one is chased.
    await tg.clock.set(NOW.replace(day=28, hour=12))
    mark = tg.api.mark()
    await tg.dispatcher.run_due()
    assert not any("atrasado" in t for t in await _sent_texts(tg, mark))
    await tg.clock.set(NOW.replace(month=12, day=5, hour=12))
    mark = tg.api.mark()
    await tg.dispatcher.run_due()
    assert any("atrasado" in t for t in await _sent_texts(tg, mark))


async def test_a_new_prazo_just_passed_is_refused_not_moved_a_year(tg: Harness) -> None:
    await tg.say(COORD, f"/encaminhar Saúde | 10 dias | {DESCRIPTION}")
    await tg.clock.set(NOW.replace(month=12, day=2, hour=7, minute=30))  # 04h30 local
    # "01/12" typed on 02/12 is yesterday, refused as /encaminhar refuses it: never a
    # proposal of 01/12/2027 that one press on Aceitar would save.
    typo = await tg.say(ANA, "/prazo E-2026-001 01/12 aguardando a vaga no CAPS")
    assert "01/12 já passou" in typo["text"] and "Exemplo: /prazo" in typo["text"]
    assert "2027" not in typo["text"] and "reply_markup" not in typo
    # A day far behind still means next year's.
    asked = await tg.say(ANA, "/prazo E-2026-001 10/01 aguardando a vaga no CAPS")
    assert "10/01/2027" in asked["text"] and buttons(asked)


SEED_002_CSV = (
    "2015- PLANO DE AÇÃO\n"
    "Ação;Tarefas;Período;Responsável\n"
    "1. Conclusão implantação do Módulo SINASE;"
    "Visitas às unidades de alimentação do SIPIA;Maio;Equipe SIPIA/SEJUDH\n"
    ";Levantamento e elaboração de diagnóstico do uso do SIPIA;Maio e Junho;Equipe SIPIA/SEJUDH\n"
    "2. Constituição da Equipe de Trabalho do SIPIA/MT;"
    "Encaminhar para publicação ato normativo;Julho;SETAS\n"
)


async def test_an_action_plan_is_imported_and_tracked(tg: Harness) -> None:
    mark = tg.api.mark()
    tg.api.document_message(
        GROUP,
        COORD,
        "plano.csv",
        SEED_002_CSV.encode(),
        caption="/plano importar 2027 Fortalecimento do SIPIA",
    )
    preview = await tg.api.wait_for_message(GROUP, since=mark)
    assert "3 tarefas" in preview["text"] and "não tem setor chamado" in preview["text"]
    assert "31/07/2027 (sábado) → 02/08/2027" in preview["text"]
    question = await tg.api.wait_for_message(GROUP, "Qual setor", since=mark)
    # Equipe SIPIA and SETAS become sectors; SEJUDH is none of the network's.
    for choice in (0, 1, 0):  # ➕ Novo setor, Ignorar, ➕ Novo setor
        await tg.press(question, buttons(question)[choice], COORD)
        question = tg.api.message(GROUP, question["message_id"]) or question
    await tg.press(question, buttons(question)[0], COORD)  # ✅ Salvar
    progress = await tg.say(ANA, "/plano")
    assert "Fortalecimento do SIPIA (2027): 0 de 3 tarefas concluídas" in progress["text"]
    pending = await tg.say(ANA, "/pendencias SETAS")
    assert "Encaminhar para publicação" in pending["text"]
    async with tg.runtime.sessions() as session:
        tasks = (await session.scalars(select(Referral).order_by(Referral.code))).all()
    assert [t.deadline.isoformat() for t in tasks] == ["2027-05-31", "2027-06-30", "2027-08-02"]
    for task in tasks:
        await tg.say(COORD, f"/concluir {task.code}")
    done = await tg.say(ANA, "/plano")
    assert "3 de 3" in done["text"] and "concluído" in done["text"]


async def test_reporting_deadlines_are_announced_and_pending_sectors_chased(
    tg: Harness, smtp_server: SmtpServer
) -> None:
    await tg.say(COORD, "/email CREAS creas@palmital.pr.gov.br")
    created = await tg.say(
        COORD, "/prazos novo RMA | mensal dia 10 | CRAS, CREAS | https://aplicacoes.mds.gov.br/rma"
    )
    assert "10/12/2026" in created["text"]
    bad = await tg.say(COORD, "/prazos novo SISC | toda hora | CRAS")
    assert "mensal dia 10" in bad["text"]
    await tg.clock.set(NOW.replace(day=3, month=12, hour=12))
    mark = tg.api.mark()
    await tg.dispatcher.run_due()
    (announce,) = await _sent_texts(tg, mark)
    assert "RMA" in announce and "10/12/2026" in announce and "sanções" in announce
    assert "O prazo para preenchimento do sistema RMA encerra-se no dia 10/12/2026." in announce
    ok = await tg.say(COORD, "/prazo_ok RMA")
    assert "CRAS" in ok["text"] and "prazo de 10/12/2026" in ok["text"]
    not_mine = await tg.say(ANA, "/prazo_ok RMA")
    assert "não é responsável" in not_mine["text"]
    await tg.clock.set(NOW.replace(day=8, month=12, hour=12))
    mark = tg.api.mark()
    await tg.dispatcher.run_due()
    (pending,) = await _sent_texts(tg, mark)
    assert "CREAS" in pending and "CRAS," not in pending
    (mail,) = await smtp_server.wait_for(1)
    assert mail.rcpt_tos == ("creas@palmital.pr.gov.br",)
    mail_body = mail.message.get_body(preferencelist=("plain",))
    assert mail_body is not None
    mail_text = mail_body.get_content().replace("\r\n", "\n")
    assert mail_text.startswith(
        "Prezados(as) representantes do setor CREAS,\n\n"
        "Identificamos que há pendências no preenchimento do sistema RMA"
    )
    assert "até o dia 10/12/2026" in mail_text and "ATENÇÃO!" in mail_text
    assert mail_text.rstrip().endswith("Atenciosamente,\nCoordenação da Rede de Proteção Social")
    listing = await tg.say(ANA, "/prazos")
    assert "RMA" in listing["text"]


async def test_a_member_sees_and_erases_their_data(tg: Harness) -> None:
    refused = await tg.say(ANA, "/meusdados")
    assert "/start" in refused["text"]
    tg.api.private_message(ANA, "/start")
    await tg.api.wait_for_message(ANA.id)
    mark = tg.api.mark()
    tg.api.group_message(GROUP, ANA, "/meusdados")
    export = await tg.api.wait_for_call("sendDocument", since=mark)
    assert export.params["chat_id"] == ANA.id
    await tg.api.wait_for_message(GROUP, "no privado", since=mark)
    data = json.loads(next(iter(export.files.values()))[1])
    assert data["voce"]["nome"] == "Ana" and data["voce"]["setor"] == "Saúde"
    ask = await tg.say(ANA, "/apagarmeusdados")
    erase, _keep = buttons(ask)
    mark = tg.api.mark()
    tg.api.press_button(ask, erase, BRUNO)
    other = await tg.api.wait_for_call("answerCallbackQuery", since=mark)
    assert "Só quem pediu" in other.params["text"]
    await tg.press(ask, erase, ANA)
    async with tg.runtime.sessions() as session:
        names = set((await session.scalars(select(Member.name))).all())
        contacts = set((await session.scalars(select(Contact.user_id))).all())
    assert "Ana" not in names and "Bruno" in names
    assert str(ANA.id) not in contacts  # her only network: the private chat goes too


async def test_overdue_devolutivas_reach_the_digest_and_the_next_agenda(tg: Harness) -> None:
    bad = await tg.say(COORD, "/cobranca grupo 5 privado 3")
    assert "Exemplo: /cobranca" in bad["text"]
    too_early = await tg.say(COORD, "/cobranca pauta 3")
    assert "pauta (3) não pode vir antes de email (5)" in too_early["text"]
    ladder = await tg.say(COORD, "/cobranca grupo 1 privado 2 email 3 pauta 3")
    assert "resumo semanal a partir do dia 3" in ladder["text"]
    preview = await tg.say(COORD, "/gerarcalendario 2026 2ª terça 14h CRAS")
    await tg.press(preview, buttons(preview)[0], COORD)
    await tg.say(COORD, f"/encaminhar Saúde | 27/11 | {DESCRIPTION}")
    # Issue 14: the digest is the coordination's: privately to a coordinator who wrote to
    # the bot (in the group it would wait for the next day: the day's chase came first).
    tg.api.private_message(COORD, "/start")
    await tg.api.wait_for_message(COORD.id)
    # Monday 30/11, 9h: the weekly digest to the coordination (3 days overdue).
    await tg.clock.set(NOW.replace(day=30, hour=12, minute=1))
    mark = tg.api.mark()
    await tg.dispatcher.run_due()
    digest = await tg.api.wait_for_message(COORD.id, "Resumo semanal", since=mark)
    assert "E-2026-001 — Saúde, 3 dias de atraso" in digest["text"]
    # 1 December, 8h: December's meeting is announced with the overdue item on its agenda.
    await tg.clock.set(NOW.replace(month=12, day=1, hour=11, minute=1))
    mark = tg.api.mark()
    await tg.dispatcher.run_due()
    announcement = await tg.api.wait_for_message(GROUP, "Reunião de dezembro", since=mark)
    assert "Na pauta" in announcement["text"] and "E-2026-001" in announcement["text"]


async def test_referrals_made_in_a_meeting_appear_in_the_ata_draft(tg: Harness) -> None:
    await tg.convene(
        COORD, "/convocar 24/11 14h | CRAS | fluxos | avaliar os fluxos de atendimento"
    )
    await tg.clock.set(NOW.replace(day=24, hour=16, minute=55))
    mark = tg.api.mark()
    tg.api.group_message(GROUP, COORD, "/presenca")
    await tg.api.wait_for_message(GROUP, "Lista de presença", since=mark)
    # The roles, and the ata's draft, come a quarter of an hour into the meeting.
    await tg.clock.set(NOW.replace(day=24, hour=17, minute=15))
    await tg.dispatcher.run_due()
    await tg.api.wait_for_message(GROUP, "Rascunho da ata", since=mark)
    # During the meeting any sector may record an encaminhamento.
    made = await tg.say(DORA, f"/encaminhar Saúde | 5 dias úteis | {DESCRIPTION}")
    assert "E-2026-001" in made["text"]
    draft = await tg.say(COORD, "/ata rascunho")
    assert "E-2026-001 — Saúde" in draft["text"] and DESCRIPTION in draft["text"]


async def test_an_encaminhamento_registered_by_mistake_is_deleted_with_who_and_why(
    tg: Harness,
) -> None:
    await tg.say(COORD, f"/encaminhar Saúde, CREAS | 27/11 | {DESCRIPTION}")
    await tg.say(COORD, f"/encaminhar Saúde | 10 dias | {DESCRIPTION} (outro)")
    member = await tg.say(ANA, "/excluir E-2026-001 | duplicado")
    assert "coordenação" in member["text"].lower()
    no_reason = await tg.say(COORD, "/excluir E-2026-001")
    assert "Exemplo: /excluir E-2026-001 | registrado em duplicidade" in no_reason["text"]
    no_code = await tg.say(COORD, "/excluir 001 | duplicado")
    assert "Exemplo: /excluir" in no_code["text"]
    unknown = await tg.say(COORD, "/excluir E-2026-099 | duplicado")
    assert "E-2026-099" in unknown["text"]

    deleted = await tg.say(COORD, "/excluir e-2026-001 | registrado em duplicidade")
    assert "E-2026-001" in deleted["text"] and "registrado em duplicidade" in deleted["text"]
    assert "histórico" in deleted["text"]
    pending = await tg.say(COORD, "/pendencias")
    assert "E-2026-001" not in pending["text"] and "E-2026-002" in pending["text"]
    late = await tg.say(ANA, "/devolutiva E-2026-001 avaliação feita, tudo certo")
    assert "E-2026-001 foi excluído em 23/11: registrado em duplicidade" in late["text"]
    again = await tg.say(COORD, "/excluir E-2026-001 | de novo")
    assert "foi excluído em 23/11" in again["text"]

    # Its chase stops: days past its deadline, nobody is reminded of it.
    await tg.clock.set(NOW + timedelta(days=6))
    mark = tg.api.mark()
    await tg.dispatcher.run_due()
    assert not [t for t in await _sent_texts(tg, mark) if "E-2026-001" in t]
    async with tg.runtime.sessions() as session:
        row = await session.scalar(select(Referral).where(Referral.code == "E-2026-001"))
        coordinator = await session.scalar(select(Member).where(Member.user_id == str(COORD.id)))
    assert row is not None and coordinator is not None
    assert (row.status, row.deleted_reason) == ("deleted", "registrado em duplicidade")
    assert row.deleted_by_id == coordinator.id and row.deleted_at is not None


async def test_a_sector_is_removed_and_its_records_keep_its_name(tg: Harness) -> None:
    member = await tg.say(ANA, "/setores remover CREAS")
    assert "coordenação" in member["text"].lower()
    assert "Exemplo: /setores remover" in (await tg.say(COORD, "/setores remover"))["text"]
    await tg.say(COORD, "/gt criar GT Infância | Saúde, CREAS | semanal quarta 9h | CRAS")
    await tg.say(COORD, f"/encaminhar CREAS | 10 dias | {DESCRIPTION}")
    owing = await tg.say(COORD, "/setores remover creas")
    assert "CREAS ainda deve devolutivas em E-2026-001" in owing["text"]
    assert "Exemplo: /concluir E-2026-001" in owing["text"]
    await tg.say(COORD, "/concluir E-2026-001")

    removed = await tg.say(COORD, "/setores remover creas")
    assert (
        "Setor CREAS removido" in removed["text"] and "/setores adicionar CREAS" in removed["text"]
    )
    assert "Dora: diga seu setor com /setor" in removed["text"]
    assert DORA.id in {e["user"]["id"] for e in removed.get("entities", []) if "user" in e}
    listing = await tg.say(COORD, "/setores")
    assert "CREAS" not in listing["text"] and "Saúde" in listing["text"]
    assert "Não há setor chamado CREAS" in (await tg.say(DORA, "/setor CREAS"))["text"]
    refer = await tg.say(COORD, f"/encaminhar CREAS | 10 dias | {DESCRIPTION}")
    assert "CREAS" in refer["text"] and "E-2026-002" not in refer["text"]
    groups = await tg.say(COORD, "/gt")
    assert "CREAS" not in groups["text"] and "Saúde" in groups["text"]
    clash = await tg.say(COORD, "/setores renomear CRAS | creas")
    assert "setor removido se chama creas" in clash["text"]

    # The encaminhamento it owed still names it; brought back, it is the same sector.
    async with tg.runtime.sessions() as session:
        referral = await session.scalar(
            select(Referral).options(selectinload(Referral.owed).selectinload(Devolutiva.sector))
        )
        dora = await session.scalar(select(Member).where(Member.user_id == str(DORA.id)))
    assert referral is not None and referral.owed[0].sector.name == "CREAS"
    assert dora is not None and dora.sector_id is None
    back = await tg.say(COORD, "/setores adicionar CREAS")
    assert "CREAS" in back["text"]
    async with tg.runtime.sessions() as session:
        sectors = (await session.scalars(select(Sector).where(Sector.key == "creas"))).all()
    assert len(sectors) == 1 and sectors[0].id == referral.owed[0].sector_id
    assert sectors[0].removed_at is None


async def test_pending_dates_carry_the_year_when_the_list_leaves_this_year(tg: Harness) -> None:
    await tg.say(COORD, f"/encaminhar Saúde | 10 dias | {DESCRIPTION}")
    only_this_year = await tg.say(COORD, "/pendencias")
    assert "(vence 03/12)" in only_this_year["text"]
    await tg.say(COORD, f"/encaminhar CREAS | 15/01 | {DESCRIPTION}")
    spanning = await tg.say(COORD, "/pendencias")
    assert "(vence 03/12/2026)" in spanning["text"]
    assert "(vence 15/01/2027)" in spanning["text"]


async def test_each_wrong_form_says_what_is_missing(tg: Harness) -> None:
    """A command without its code, a deletion without a real reason, a step turned off,
    an unknown sector: each answer says what is wrong (never "encaminhamento ." or a list
    cut in the middle of a name)."""
    await tg.say(COORD, "/encaminhar Saúde | 10 dias | CASO-2026-001: avaliação")
    bare = (await tg.say(COORD, "/concluir"))["text"]
    assert bare.startswith("Diga qual encaminhamento: escreva o código dele."), bare
    assert "Exemplo: /concluir E-2026-001" in bare
    short = (await tg.say(COORD, "/excluir E-2026-001 | ok"))["text"]
    assert short.startswith("Diga em poucas palavras por que E-2026-001 é excluído"), short
    off = (await tg.say(COORD, "/cobranca email 0"))["text"]
    assert "sem e-mail" in off and "dia 0" not in off, off
    group = (await tg.say(COORD, "/gt encerrar"))["text"]
    assert group.startswith("Diga qual grupo de trabalho: escreva o nome dele."), group
    unknown = (await tg.say(COORD, "/setor Xyz"))["text"]
    assert "Saúde Mental, Vigilância Sanitária." in unknown and "…" not in unknown, unknown
    async with tg.runtime.sessions() as session:
        referral = await session.scalar(select(Referral))
    assert referral is not None and referral.status == "open"


async def test_a_new_sector_is_not_named_as_another_ones_abbreviation(tg: Harness) -> None:
    refused = await tg.say(COORD, "/setores adicionar caps")
    assert "caps já é a sigla de Saúde Mental" in refused["text"]
    assert "/setores renomear Saúde Mental | caps" in refused["text"]
    assert "Exemplo: /setores adicionar CAPS AD" in refused["text"]
    added = await tg.say(COORD, "/setores adicionar CAPS AD")
    assert "Setor CAPS AD adicionado" in added["text"]
    listing = (await tg.say(COORD, "/setores"))["text"]
    assert "• CAPS AD:" in listing and "• Saúde Mental (CAPS):" in listing
    assert "• CAPS:" not in listing


async def test_a_renamed_sector_cannot_take_another_ones_abbreviation(tg: Harness) -> None:
    refused = (await tg.say(COORD, "/setores renomear CREAS | CAPS"))["text"]
    assert "CAPS já é a sigla de Saúde Mental" in refused
    # Its own abbreviation it may take, as the refusal above suggests.
    renamed = (await tg.say(COORD, "/setores renomear Saúde Mental | CAPS"))["text"]
    assert "O setor Saúde Mental agora se chama CAPS." in renamed
    dotted = (await tg.say(COORD, "/setores adicionar C.T."))["text"]
    assert "C.T. já é a sigla de Conselho Tutelar" in dotted
    two = (await tg.say(COORD, "/setores adicionar PM, CT"))["text"]
    assert "Um setor de cada vez" in two and "Exemplo: /setores adicionar CAPS AD" in two


async def test_removing_or_renaming_a_sector_needs_its_whole_name(tg: Harness) -> None:
    refused = (await tg.say(COORD, "/setores remover Epidem"))["text"]
    assert "Escreva o nome inteiro do setor: Epidemiologia." in refused
    assert "Exemplo: /setores remover Epidemiologia" in refused
    assert "Epidemiologia" in (await tg.say(COORD, "/setores"))["text"]  # still there
    renamed = (await tg.say(COORD, "/setores renomear Vigil | VISA Municipal"))["text"]
    assert "Exemplo: /setores renomear Vigilância Sanitária | VISA Municipal" in renamed
    by_abbreviation = await tg.say(COORD, "/setores renomear VISA | Vigilância Municipal")
    assert "agora se chama Vigilância Municipal" in by_abbreviation["text"]
    assert (
        "Setor Epidemiologia removido"
        in (await tg.say(COORD, "/setores remover epidemiologia"))["text"]
    )
