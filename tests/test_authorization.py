"""Who may do what (issue 13): every command of the README's tables and every button the
bot builds, tried by six people, on SQLite and on PostgreSQL.

The people: someone writing for the first time, a member without a sector, a member whose
declaration waits for the coordination, a confirmed representative, the coordination, and
the coordinator of another network (in this group, and pressing this group's buttons in
her own). What one may not do is refused with a short Portuguese answer that says why, and
leaves every table exactly as it was (a dump of the database before and after); what one
may do is not refused for who she is (the coordination is not locked out by its own
checks, nor the representative by the sector's).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import IntEnum
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.clock import ManualClock
from bot.messages import Person, Reply
from bot.runtime import Runtime
from storage.models import Ata, Base, Member, RoleAssignment
from tests.drive import BRUNO, COORDINATOR, Group, file_attachment
from tests.test_fuzz import ENGLISH, readme_examples

README = Path(__file__).resolve().parent.parent / "README.md"


class Level(IntEnum):
    """Who a command is for: anyone, a confirmed representative (or the coordination), or
    the coordination."""

    ANYONE = 0
    REPRESENTATIVE = 1
    COORDINATION = 2


# The commands of the "Everyone" table that act for a sector (issue 13), and /ata rascunho
# (the coordination's table), which a confirmed representative of the meeting's sectors
# may read too. The forms of /ata that deliver an ata are the author sector's.
ACTS_FOR_A_SECTOR = re.compile(
    r"^/(convocar|devolutiva|prazo|prazo_ok|encaminhar)\b|^/ata (<texto>|Aos |rascunho$|aprovar \[)"
)
# What a refusal for who one is says (pt_BR).
REFUSALS = {
    # "Só um coordenador…": /coordenacao aqui, which needs one of this chat and of the Rede.
    Level.COORDINATION: ("Só a coordenação", "Só um coordenador"),
    Level.REPRESENTATIVE: (
        "Primeiro diga o seu setor",
        "A coordenação ainda não confirmou você como representante",
        "Só a coordenação",
    ),
}
AUTHORITY = re.compile(
    "|".join(re.escape(text) for texts in REFUSALS.values() for text in texts), re.IGNORECASE
)


def readme_levels() -> dict[str, Level]:
    """Every command form and example of the README's tables, with whom it is for."""
    text = README.read_text(encoding="utf-8").split("## Commands", 1)[1]
    everyone, coordination = text.split("\nCoordination (", 1)
    levels: dict[str, Level] = {}
    heads: set[str] = set()  # the commands of the "Everyone" table
    for table, level in ((everyone, Level.ANYONE), (coordination, Level.COORDINATION)):
        table = table.split("\nDates are typed", 1)[0]
        for cell in re.findall(r"`(/[^`]+)`", table):
            cell = cell.replace("\\|", "|")
            for part in re.split(r" ou |·", cell):
                part = part.strip()
                if not part:
                    continue
                found = Level.REPRESENTATIVE if ACTS_FOR_A_SECTOR.match(part) else level
                if " " not in part and part in heads:
                    found = Level.ANYONE  # a command of everyone's named in a description
                levels[part] = max(levels.get(part, found), found)
                if level is Level.ANYONE:
                    heads.add(part.split(" ")[0])
    assert sorted(levels) == readme_examples(), "a README command has no level"
    return levels


@dataclass(frozen=True)
class Role:
    name: str
    rank: Level
    person: Person | Callable[[int], Person]

    def who(self, n: int) -> Person:
        return self.person(n) if callable(self.person) else self.person


EVA = Person(user_id="20", name="Eva", username="eva")  # in the group, no sector
DORA = Person(user_id="21", name="Dora", username="dora")  # Conselho Tutelar, not confirmed
OLGA_HERE = Person(user_id="90", name="Olga", username="olga")  # another network's coordinator
OLGA_THERE = Person(user_id="90", name="Olga", username="olga", is_admin=True)
ROLES = (
    Role("first-timer", Level.ANYONE, lambda n: Person(user_id=f"new{n}", name=f"Novo {n}")),
    Role("no sector", Level.ANYONE, EVA),
    Role("unconfirmed", Level.ANYONE, DORA),
    Role("representative", Level.REPRESENTATIVE, BRUNO),  # Conselho Tutelar, confirmed
    Role("another network's", Level.ANYONE, OLGA_HERE),
    Role("coordination", Level.COORDINATION, COORDINATOR),  # CRAS
)
# Allowed commands that would change who is who for the rest of the walk.
NOT_REPLAYED = re.compile(r"^/setor |^/coordenador [+-]")
PLAN_CSV = "Ação;Tarefas;Período;Responsável\n1. Visitas;Visitar as unidades;Até 15/12;SEJUDH\n"


async def dump(runtime: Runtime) -> dict[str, list[tuple[str, ...]]]:
    """Every row of every table, as text, in a stable order."""
    out: dict[str, list[tuple[str, ...]]] = {}
    async with runtime.sessions() as session:
        for table in Base.metadata.sorted_tables:
            rows = (await session.execute(select(table))).all()
            out[table.name] = sorted(tuple(repr(v) for v in row) for row in rows)
    return out


def changes(before: dict[str, list[tuple[str, ...]]], after: dict[str, Any]) -> list[str]:
    return [name for name in before if before[name] != after[name]]


def _buttons(replies: list[Reply]) -> list[str]:
    return [b.data for r in replies for row in r.buttons for b in row]


@dataclass
class World:
    here: Group
    there: Group
    clock: ManualClock
    payloads: dict[str, list[str]]  # prefix -> button payloads built in ``here``
    role_sectors: dict[str, str]  # a role button -> the sector it asks

    def keep(self, replies: list[Reply]) -> list[Reply]:
        for data in _buttons(replies):
            self.payloads.setdefault(data.split(":")[1], []).append(data)
        return replies


async def build(runtime: Runtime, clock: ManualClock) -> World:
    """A network with something behind every button: a year saved and another previewed, a
    day of two meetings, a cancellation to undo, today's urgent meeting with its list open
    and its roles named, a convocation previewed, a referral and an extension asked, a
    personal address to confirm, a plan with a name to decide, a declaration waiting and an
    erasure asked. And another network, coordinated by Olga."""
    here, there = Group(runtime), Group(runtime, chat_id="-100300")
    world = World(here, there, clock, {}, {})
    here.attach_dispatcher()
    await here.say(COORDINATOR, "/setor CRAS")
    await here.seat(BRUNO, "Conselho Tutelar")
    world.keep(await here.say(DORA, "/setor Conselho Tutelar"))  # issue 13's probe
    await here.say(EVA, "/proxima")
    await there.say(OLGA_THERE, "/setor CRAS")
    for reply in await here.say(COORDINATOR, "/gerarcalendario 2027 2ª terça 14h CRAS"):
        await here.press(COORDINATOR, reply.buttons[0][0].data)
    world.keep(await here.say(COORDINATOR, "/gerarcalendario 2026 2ª terça 14h CRAS"))
    assert "convocada" in await here.convene(
        COORDINATOR, "/convocar 12/01/2027 9h | CRAS | casos | caso grave trazido ao Conselho"
    )
    world.keep(await here.say(COORDINATOR, "/cancelar 12/01/2027 | feriado municipal"))
    world.keep(await here.say(COORDINATOR, "/cancelar 09/03/2027 | feriado municipal"))
    urgent = "/convocar hoje 16h | CRAS | CASO-2026-001: plano | caso grave trazido ao Conselho"
    preview = world.keep(await here.say(BRUNO, urgent))
    world.keep(await here.press(BRUNO, _buttons(preview)[0]))
    world.keep(await here.say(BRUNO, urgent.replace("hoje 16h", "25/11 15h")))
    await clock.set(datetime(2026, 11, 23, 18, 55, tzinfo=UTC))  # 15h55 in São Paulo
    opened = world.keep(await here.say(COORDINATOR, "/presenca"))
    for who in (BRUNO, COORDINATOR):
        await here.press(who, world.payloads["pres"][0])
    await here.say(COORDINATOR, "/encaminhar Saúde, Conselho Tutelar | 10 dias | CASO-2026-001")
    await here.say(COORDINATOR, "/prazos novo RMA | mensal dia 10 | CRAS, Conselho Tutelar")
    world.keep(await here.say(BRUNO, "/prazo E-2026-001 20/12 aguardando vaga no CAPS"))
    await clock.set(datetime(2026, 11, 23, 19, 15, tzinfo=UTC))
    assert runtime.dispatcher is not None and opened
    await runtime.dispatcher.run_due()
    world.keep(here.sent)
    world.keep(await here.say(COORDINATOR, "/email CREAS joana.x@gmail.com"))
    plan = file_attachment("plano.csv", PLAN_CSV.encode())
    world.keep(await here.say(COORDINATOR, "/plano importar 2026 Visitas", attachment=plan))
    world.keep(await here.say(EVA, "/apagarmeusdados"))
    async with runtime.sessions() as session:
        ata = await session.scalar(select(Ata))
        assert ata is not None
        world.payloads["ataok"] = [f"v1:ataok:{ata.id}"]  # shown with two atas waiting
        names = {m.sector_id: m.sector.name for m in await _members(session) if m.sector}
        for data in world.payloads.get("role", []):
            row = await session.get(RoleAssignment, int(data.split(":")[2]))
            assert row is not None
            world.role_sectors[data] = names.get(row.sector_id, "?")
    expected = {"cal", "calpick", "calundo", "conv", "rsvp", "pres", "ext", "role", "email"}
    expected |= {"plansec", "erase", "rep", "ataok"}
    assert expected <= set(world.payloads), sorted(world.payloads)
    return world


async def _members(session: Any) -> list[Member]:
    from sqlalchemy.orm import selectinload

    return list((await session.scalars(select(Member).options(selectinload(Member.sector)))).all())


def _refused_command(command: str, replies: list[Reply], level: Level) -> list[str]:
    """What is wrong with the answer to a command that must be refused."""
    problems = []
    if len(replies) != 1:
        return [f"{len(replies)} replies"]
    (reply,) = replies
    if reply.buttons or reply.file or reply.mentions or reply.to_user:
        problems.append("more than a refusal (buttons, file, mentions or private)")
    if ENGLISH.search(reply.text.replace(command, "")):
        problems.append(f"not Portuguese: {reply.text[:80]!r}")
    form = "<" in command or "[" in command or "..." in command
    if not form and not any(text in reply.text for text in REFUSALS[level]):
        problems.append(f"not a refusal for who one is: {reply.text[:120]!r}")
    return problems


def _refused_press(replies: list[Reply]) -> list[str]:
    if len(replies) != 1 or not replies[0].error:
        return [f"not refused: {[r.text[:80] or r.notice for r in replies]}"]
    notice = replies[0].notice or ""
    if not notice or ENGLISH.search(notice):
        return [f"not a Portuguese refusal: {notice!r}"]
    return []


def _may_press(role: Role, prefix: str, data: str, world: World) -> bool:
    """Whether ``role`` may press this button of ``world.here``."""
    if prefix in {"rsvp", "pres"}:
        return True  # anyone answers and marks her presence
    if role.rank is Level.COORDINATION:
        return prefix != "erase"  # only the person who asked answers her erasure
    if prefix == "erase":
        return role.who(0) == EVA
    if prefix == "conv":
        return role.who(0) == BRUNO  # its author
    if prefix == "role":
        return role.who(0) == BRUNO and world.role_sectors[data] == "Conselho Tutelar"
    return False


async def test_every_command_and_button_is_refused_to_whom_it_is_not_for(
    runtime: Runtime, clock: ManualClock
) -> None:
    world = await build(runtime, clock)
    levels = readme_levels()
    before = await dump(runtime)
    problems: list[str] = []
    n = 0
    # Refusals first: they change nothing, so the world stays as built.
    for role in ROLES:
        for command, level in levels.items():
            if role.rank >= level:
                continue
            n += 1
            replies = await world.here.say(role.who(n), command)
            found = _refused_command(command, replies, level)
            changed = changes(before, await dump(runtime))
            if changed:
                found.append(f"changed {changed}")
            problems += [f"{role.name} {command!r}: {p}" for p in found]
        for prefix, payloads in world.payloads.items():
            for data in payloads:
                if _may_press(role, prefix, data, world):
                    continue
                n += 1
                found = _refused_press(await world.here.press(role.who(n), data))
                changed = changes(before, await dump(runtime))
                if changed:
                    found.append(f"changed {changed}")
                problems += [f"{role.name} presses {data}: {p}" for p in found]
    # Another network's coordinator presses this network's buttons in her own group.
    for payloads in world.payloads.values():
        for data in payloads:
            found = _refused_press(await world.there.press(OLGA_THERE, data))
            changed = changes(before, await dump(runtime))
            if changed:
                found.append(f"changed {changed}")
            problems += [f"another network's coordinator presses {data}: {p}" for p in found]
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:40])
    assert n > 6 * len(levels) // 2, n  # the walk walked

    # Then what each may do is not refused for who she is (the world changes from here).
    allowed = 0
    for role in ROLES:
        for command, level in levels.items():
            if role.rank < level or NOT_REPLAYED.match(command):
                continue
            n, allowed = n + 1, allowed + 1
            said = "\n".join(
                r.text or r.notice or "" for r in await world.here.say(role.who(n), command)
            )
            if AUTHORITY.search(said):
                problems.append(f"{role.name} {command!r} refused: {said[:120]!r}")
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:40])
    assert allowed > len(levels), allowed


async def test_the_readme_says_who_may_use_each_command() -> None:
    levels = readme_levels()
    assert levels[
        "/convocar amanhã 9h | CRAS | CASO-2025-014: plano | risco iminente à criança"
    ] is (Level.REPRESENTATIVE)
    assert levels["/proxima"] is Level.ANYONE
    assert levels["/ata rascunho"] is Level.REPRESENTATIVE
    assert levels["/email CRAS cras@municipio.gov.br"] is Level.COORDINATION
    assert sum(level is Level.REPRESENTATIVE for level in levels.values()) >= 12
