"""A seeded fuzz of the router (issue 12): thousands of mutated commands and button
payloads, built from every example in the README, on SQLite and on PostgreSQL.

Whatever arrives, the bot answers in Portuguese with something short enough for the
platform, and nothing ends in the generic apology or an error in the log: every wrong
form is a wrong form the code foresaw. ``REDEBOT_FUZZ_N`` sets the number of updates
per database (default 2,500); ``REDEBOT_FUZZ_SEED`` the seed.
"""

from __future__ import annotations

import logging
import os
import random
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.clock import ManualClock
from bot.messages import Reply
from bot.runtime import Runtime
from tests.drive import ANA, BRUNO, COORDINATOR, Group

README = Path(__file__).resolve().parent.parent / "README.md"
N = int(os.environ.get("REDEBOT_FUZZ_N", "2500"))
SEED = int(os.environ.get("REDEBOT_FUZZ_SEED", "20261201"))
MAX_TEXT = 4096  # Telegram's and the WhatsApp bridge's limit for one message
APOLOGY = "Desculpe, algo deu errado"
# Words that only an untranslated English message would show.
ENGLISH = re.compile(r"\b(the|you|your|please|sorry|could not|there is|only the)\b", re.I)

# Pieces a phone or a careless paste puts into a command.
NOISE = [
    "²",
    "³",
    "½",
    "٣",
    "１２",
    "\x00",
    "\u200b",
    "😀",
    "|",
    "||",
    " | ",
    "-1",
    "0",
    "0000",
    "9999",
    "99999999999999999999",
    "31/02",
    "29/02",
    "00/00",
    "25h",
    "14h60",
    "ontem",
    "amanhã",
    "@",
    "@ninguem",
    "+",
    "-",
    "E-2026-999",
    "E-0000-000",
    "CASO-2026-001",
    "9ª sexta",
    "mensal",
    "anual 31/02",
    "trimestral dia 40",
    "Saúde Mental",
    "x" * 300,
    "ç" * 5000,
    "'; DROP TABLE meetings; --",
    "%s %d {0} {name}",
    "\n",
]


def readme_examples() -> list[str]:
    """Every command example and form in the README's command tables."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## Commands", 1)[1].split("\nDates are typed", 1)[0]
    found: list[str] = []
    for cell in re.findall(r"`(/[^`]+)`", section):
        cell = cell.replace("\\|", "|")
        found += [part.strip() for part in re.split(r" ou |·", cell) if part.strip()]
    assert len(found) > 60, "the README's command tables moved"
    return sorted(set(found))


NUMERIC = ["²", "³", "１２", "٣", "0", "0000", "-1", "99999999999999999999", "9ª", "31/02", "25h"]
LONG = ["x" * 300, "ç" * 5000, "Saúde, " * 60]


def mutations(rng: random.Random, examples: list[str]) -> Iterator[str]:
    """Commands as a fuzzer types them: cut, sprinkled with noise, numbers and fields
    replaced, fields swapped."""
    while True:
        base = rng.choice(examples)
        head, _sep, args = base.partition(" ")
        words = args.split(" ") if args else []
        numeric = [i for i, w in enumerate(words) if any(c.isdigit() for c in w)]
        how = rng.randrange(9)
        if how == 0 and words:  # cut anywhere
            words = words[: rng.randrange(len(words))]
        elif how == 1:  # a piece of noise somewhere
            words.insert(rng.randrange(len(words) + 1), rng.choice(NOISE))
        elif how == 2 and words:  # a word replaced by noise
            words[rng.randrange(len(words))] = rng.choice(NOISE)
        elif how in (3, 4) and numeric:  # a number replaced by what is no number
            words[rng.choice(numeric)] = rng.choice(NUMERIC)
        elif how == 5:  # one field (between |) far too long
            fields = " ".join(words).split("|")
            fields[rng.randrange(len(fields))] = f" {rng.choice(LONG)} "
            words = "|".join(fields).split(" ")
        elif how == 6:  # fields shuffled
            fields = " ".join(words).split("|")
            rng.shuffle(fields)
            words = "|".join(fields).split(" ")
        elif how == 7:  # capitals of a phone keyboard
            head = rng.choice([head.upper(), head.capitalize()])
        else:  # only noise
            words = [rng.choice(NOISE) for _ in range(rng.randrange(1, 4))]
        yield " ".join([head, *words]).strip()


# Wrong forms found by hand (issue 12): each must be answered, on both databases.
KNOWN = [
    "/quorum ²",
    "/quorum ١",
    "/atas 0000",
    "/relatorio 0000",
    "/relatorio 0000 xlsx",
    "/calendario 0000",
    "/gerarcalendario 0000 2ª terça 14h CRAS",
    "/gt criar GT A | Saúde, CRAS | mensal 9ª sexta 8h | CRAS",
    "/gt criar GT B | Saúde, CRAS | quinzenal quarta 14h | CRAS",
    "/gt encerrar GT B",
    "/gt criar GT B | Saúde, CRAS | quinzenal quarta 14h | CRAS",
    "/gt criar " + "G" * 130 + " | Saúde, CRAS | quinzenal quarta 14h | CRAS",
    "/gt criar GT C | Saúde, CRAS | quinzenal quarta 14h | " + "L" * 300,
    "/convocar 20/03 9h | " + "L" * 300 + " | pauta | justificativa",
    "/prazos novo " + "P" * 90 + " | mensal dia 10 | CRAS",
    "/prazos novo RMA2 | mensal dia 10 | CRAS | https://" + "l" * 260,
    "/setores adicionar " + "S" * 100,
    "/setores renomear CRAS | " + "S" * 100,
    "/setor Saú\x00de",
    "/rodizio prazo ²",
    "/lembretes ²d",
    "/silencio limite ²",
    "/cobranca email ²",
    "/encaminhar Saúde | ² dias | x",
    "/prazo E-2026-001 ²/12 motivo",
    "/convocar " + "x" * 4000,
    "/convocar amanhã 9h | CRAS | pauta | risco iminente à criança",  # convened already
    "/convocar sábado 3h | CRAS | pauta | risco iminente à criança",  # previewed, warned
    "/calendario 2026",
    "/fluxo aprovar",
    "/fluxo aprovar " + "F" * 200,
    "/fluxo " + "F" * 200 + " historico",
    "/fluxo historico",
    "/fluxos revisao ²",
    "/fluxos revisao 99999999999999999999",
    "/caso novo CREAS | Saúde, Educação | alto | 15/01",
    "/caso novo CASO-2026-900 | CREAS | Saúde | médio | 15/01",
    "/caso novo CASO-2026-900 | CREAS | Saúde | médio | 15/01",  # a duplicate
    "/caso novo CASO-2026-9999999 | CREAS | Saúde | médio | 15/01",
    "/caso novo CREAS | Saúde | ² | 15/01",
    "/caso novo CREAS | Saúde | alto | 31/02",
    "/caso novo CREAS | " + "Saúde, " * 60 + " | alto | 15/01",
    "/caso revisar CASO-2026-001 próxima revisão ²/12",
    "/caso risco CASO-2026-001 ²",
    "/caso encerrar CASO-2026-001 | outro: " + "x" * 300,
    "/caso encerrar CASO-2026-900 | objetivos alcançados",
    "/caso reabrir CASO-2026-900 próxima revisão 00/00",
    "/caso config inatividade 99999999999999999999",
    "/caso CASO-2026-001",
    "/casos",
    # Step by step (issue 14): each opens a conversation.
    "/encaminhar",
    "/encaminhar Saúde | ² dias",
    "/convocar",
    "/convocar amanhã 9h",
    "/cancelar",
    "/remarcar 08/12",
    "/prazos novo",
    "/gt criar",
    "/gt criar GT D | Saúde",
    "/setores sigla ²",
    "/setores sigla PM",
    "/setores sigla remover",
    "/setores sigla " + "P" * 20 + " CRAS",
    "/setores sigla CRAS Saúde",
    "/setores siglas",
    "/Próxima",
    "/devolutiva",
    "/prazo_ok",
    "/setor",
    "/proxma",
]


def button_payloads(rng: random.Random) -> Iterator[str]:
    prefixes = ["rsvp", "pres", "cal", "calpick", "calundo", "plan", "plansec", "erase"]
    prefixes += ["ext", "role", "conv", "ataok", "rep", "email", "ask", "zzz", ""]
    prefixes += ["dvpick", "dvdone", "sect", "rptok"]
    fields = ["1", "0", "999999", "y", "n", "m", "a", "r", "c", "ok", "no", "²", "x", "-1", ""]
    fields += ["fix", "sectors", "when"]
    while True:
        version = rng.choice(["v1", "v1", "v1", "v0", "v2", ""])
        parts = [rng.choice(fields) for _ in range(rng.randrange(0, 5))]
        yield ":".join([version, rng.choice(prefixes), *parts])


async def _collect(chat_id: str, reply: Reply) -> None:
    """What the dispatcher sends: checked like the answers."""
    problems = check("", [reply])
    assert not problems, problems


def check(command: str, replies: list[Reply]) -> list[str]:
    problems = []
    if not replies and not command.startswith("v"):
        problems.append("no answer")
    for reply in replies:
        text = reply.text or reply.notice or ""
        if APOLOGY in text:
            problems.append("the generic apology")
        if len(reply.text) > MAX_TEXT or len(reply.notice or "") > 200:
            problems.append(f"an answer of {len(reply.text)} characters")
        if ENGLISH.search(text.replace(command, "")):
            problems.append(f"English: {text[:120]!r}")
    return problems


async def test_a_fuzz_of_every_command_is_answered_and_never_crashes(
    runtime: Runtime, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    rng = random.Random(SEED)
    group = Group(runtime)
    dispatcher = runtime.attach_sender(_collect)
    # A network with a calendar, sectors, a meeting with an open presence list and a
    # referral, so most commands reach their deeper branches.
    for person, sector in ((COORDINATOR, "CRAS"), (ANA, "Saúde"), (BRUNO, "CREAS")):
        await group.seat(person, sector)
    for reply in await group.say(COORDINATOR, "/gerarcalendario 2026 2ª terça 14h CRAS"):
        for row in reply.buttons:
            await group.press(COORDINATOR, row[0].data)
    for reply in await group.say(
        COORDINATOR, "/convocar amanhã 9h | CRAS | pauta | risco iminente à criança"
    ):
        await group.press(COORDINATOR, reply.buttons[0][0].data)
    await group.say(COORDINATOR, "/encaminhar Saúde | 10 dias | CASO-2026-001: avaliação")
    problems: dict[str, list[str]] = {}
    caplog.set_level(logging.ERROR)

    for command in KNOWN:
        found = check(command, await group.say(COORDINATOR, command))
        if found:
            problems.setdefault(command, found)

    examples = readme_examples()
    commands, payloads = mutations(rng, examples), button_payloads(rng)
    people = [COORDINATOR, ANA, BRUNO]
    shown: list[str] = []  # the buttons of the latest answers (a conversation's, often)
    for n in range(N):
        person = rng.choice(people)
        if n % 10 == 9:
            data = next(payloads)
            replies = await group.press(person, data)
            found = check(data, replies)
        elif n % 10 in (4, 6) and shown:
            # A press of a button just shown, or a typed answer to the bot's question.
            data = rng.choice(shown)
            if n % 10 == 6:
                replies = await group.press(person, data)
            else:
                data = next(commands).lstrip("/")
                replies = await group.answer(person, data)
            found = check(data, replies)
            found = [f for f in found if f != "no answer"]
        else:
            command = next(commands)
            replies = await group.say(person, command)
            found = check(command, replies)
        fresh = [b.data for r in replies for row in r.buttons for b in row]
        shown = fresh or shown
        if found:
            problems.setdefault(command if n % 10 not in (4, 6, 9) else data, found)
        if n % 250 == 249:  # scheduled work runs too, a day later each time
            await clock.advance(timedelta(days=1))
            await dispatcher.run_due()
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    listed = "\n".join(f"{cmd[:100]!r}: {why}" for cmd, why in list(problems.items())[:25])
    assert not problems, f"{len(problems)} inputs answered badly:\n{listed}"
    assert not errors, f"{len(errors)} errors logged, e.g. {errors[:5]}"
