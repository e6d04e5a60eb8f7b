"""Secretary and ata author by rotation, and the ata's life until approval (seed 000 §5-6)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy.ext.asyncio import AsyncSession

from bot import documents
from bot.buttons import ButtonData, Decision
from bot.errors import UserError
from bot.i18n import N_, ngettext
from bot.i18n import gettext as _
from bot.messages import Button, OutFile, Reply
from bot.router import Context, Router, ScheduledContext
from bot.rules import dates, privacy, rotation
from bot.rules.kinds import Kind
from bot.rules.names import first_upper, kind_name, name_key
from bot.rules.status import ATA_IN_PROGRESS, AtaStatus, MeetingStatus, RoleStatus
from handlers.common import expected_sectors, find_sector, person
from storage import repo
from storage.models import Ata, Meeting, Member, Network, RoleAssignment, Sector

SECRETARY, AUTHOR = "secretary", "author"
ROLE_NAMES = {SECRETARY: N_("secretary"), AUTHOR: N_("ata")}
# Meetings whose roles rotate (working groups keep their own notes).
KINDS_WITH_ROLES = ("ordinary", "extraordinary")
ATA_EXAMPLE = "/ata Aos 14 dias de outubro, reuniram-se..."
SWAP_EXAMPLE = "/trocar ata CREAS"
ATA_FILES = (".pdf", ".docx", ".odt", ".txt")
MAX_ATA_FILE = 10 * 1024 * 1024
DAILY_REMINDERS = 10
LATE_NOTICE_DAYS = 3


def _role_name(role: str) -> str:
    return _(ROLE_NAMES[role])


# --- choosing ---------------------------------------------------------------------------


async def _excluded(session: AsyncSession, network: Network) -> set[int]:
    if not network.rotation_skips_coordination:
        return set()
    return {
        m.sector_id
        for m in await repo.coordinators(session=session, network_id=network.id)
        if m.sector_id is not None
    }


async def _who_is_there(
    session: AsyncSession, meeting: Meeting
) -> tuple[set[int] | None, set[int]]:
    """(present, away) for the rotation.

    With a presence list, the sectors on it are present. Before anyone taps, nobody is
    known to be present, but a sector whose every answering representative said "não
    vou" is away: it is skipped and keeps its place, as with "Não posso".
    """
    rows = [r for r in await repo.attendance(session=session, meeting_id=meeting.id) if r.present]
    if rows:
        return {r.sector_id for r in rows if r.sector_id is not None}, set()
    answers: dict[int, set[str]] = {}
    for rsvp in await repo.rsvps(session=session, meeting_id=meeting.id):
        if rsvp.member.sector_id is not None:
            answers.setdefault(rsvp.member.sector_id, set()).add(rsvp.answer)
    return None, {sector for sector, given in answers.items() if given == {"no"}}


async def _choose(
    session: AsyncSession,
    network: Network,
    meeting: Meeting,
    role: str,
    *,
    declined: set[int],
    avoid: set[int],
) -> int | None:
    candidates = [s.id for s in await expected_sectors(session, network, meeting)]
    history = await repo.role_history(
        session=session, network_id=network.id, role=role, before=meeting.starts_at
    )
    services = [rotation.Service(sector, when) for sector, when, _id in history]
    last = history[-1][0] if history else None
    present, away = await _who_is_there(session, meeting)
    return rotation.choose(
        candidates,
        services,
        present=present,
        excluded=await _excluded(session, network),
        declined=declined | away,
        last=last,
        avoid=avoid,
    )


async def assign_roles(
    session: AsyncSession, network: Network, meeting: Meeting, now: datetime
) -> list[Reply]:
    """Seed 000 §5: at the start of each meeting, name the secretary and the ata's author."""
    if meeting.kind not in KINDS_WITH_ROLES or meeting.status != MeetingStatus.SCHEDULED:
        return []
    if await repo.assignments(session=session, meeting_id=meeting.id):
        return []
    secretary = await _choose(session, network, meeting, SECRETARY, declined=set(), avoid=set())
    if network.roles_same_sector:
        author = secretary
    else:
        author = await _choose(
            session,
            network,
            meeting,
            AUTHOR,
            declined=set(),
            avoid={secretary} if secretary else set(),
        )
    chosen = {SECRETARY: secretary, AUTHOR: author}
    for role, sector in chosen.items():
        if sector is not None:
            session.add(
                RoleAssignment(
                    network_id=network.id,
                    meeting_id=meeting.id,
                    role=role,
                    sector_id=sector,
                    status=RoleStatus.PROPOSED,
                    assigned_at=now,
                )
            )
    ata = Ata(
        network_id=network.id,
        meeting_id=meeting.id,
        author_sector_id=author,
        status=AtaStatus.PENDING,
        created_at=now,
    )
    session.add(ata)
    await session.flush()
    await schedule_ata_reminders(session, network, meeting, ata, start=None)
    replies = [await roles_message(session, network, meeting)]
    replies += await _send_skeleton(session, network, meeting)
    return replies


async def _current(session: AsyncSession, meeting_id: int) -> dict[str, RoleAssignment]:
    """The live assignment of each role (the newest one not declined or overridden)."""
    current: dict[str, RoleAssignment] = {}
    for row in await repo.assignments(session=session, meeting_id=meeting_id):
        if row.status in (RoleStatus.PROPOSED, RoleStatus.ACCEPTED):
            current[row.role] = row
    return current


async def roles_message(session: AsyncSession, network: Network, meeting: Meeting) -> Reply:
    current = await _current(session, meeting.id)
    sectors = {s.id: s for s in await repo.sectors(session=session, network_id=network.id)}
    lines = [
        _("📝 {kind} of {when}").format(
            kind=first_upper(kind_name(meeting.kind)),
            when=dates.format_when(meeting.starts_at, network.timezone),
        )
    ]
    buttons: list[tuple[Button, ...]] = []
    mentioned: list[Member] = []
    shown: set[int] = set()
    for role in (SECRETARY, AUTHOR):
        row = current.get(role)
        if row is None:
            lines.append(
                _("{role}: nobody available — coordination, use {example}").format(
                    role=first_upper(_role_name(role)), example=SWAP_EXAMPLE
                )
            )
            continue
        sector = sectors.get(row.sector_id)
        name = sector.name if sector else "?"
        mark = " ✅" if row.status == RoleStatus.ACCEPTED else ""
        lines.append(
            _("{role}: {sector}{mark}").format(
                role=first_upper(_role_name(role)), sector=name, mark=mark
            )
        )
        if row.status == RoleStatus.PROPOSED:
            label = _role_name(role)
            buttons.append(
                (
                    Button(
                        _("✅ I accept ({role})").format(role=label),
                        RoleDecision(row.id, Decision.OK).encode(),
                    ),
                    Button(
                        _("🙅 I can't ({role})").format(role=label),
                        RoleDecision(row.id, Decision.NO).encode(),
                    ),
                )
            )
        if row.sector_id not in shown:
            shown.add(row.sector_id)
            mentioned += await repo.representatives(
                session=session, network_id=network.id, sector_ids=[row.sector_id]
            )
    return Reply(
        text="\n".join(lines),
        buttons=tuple(buttons),
        mentions=tuple(person(m) for m in mentioned),
    )


@dataclass(frozen=True)
class RoleDecision(ButtonData, prefix="role"):
    """A sector accepts or declines the secretary's or the ata's role."""

    assignment_id: int
    decision: Decision


async def role_button(ctx: Context, press: RoleDecision) -> list[Reply]:
    row = await ctx.session.get(RoleAssignment, press.assignment_id)
    if row is None or row.network_id != ctx.network.id:
        raise UserError(N_("This choice is no longer valid."))
    if row.status != RoleStatus.PROPOSED:
        raise UserError(N_("This was already decided."))
    if ctx.member.sector_id != row.sector_id and not ctx.is_coordinator:
        raise UserError(N_("Only a representative of that sector can answer."))
    meeting = await repo.meeting(session=ctx.session, meeting_id=row.meeting_id)
    if meeting is None:
        raise UserError(N_("This choice is no longer valid."))
    row.decided_at = ctx.now
    replies: list[Reply] = []
    if press.decision is Decision.OK:
        row.status = RoleStatus.ACCEPTED
        notice = _("Thank you!")
    else:
        row.status = RoleStatus.DECLINED
        notice = _("Understood.")
        replies.append(await _pass_on(ctx, meeting, row))
    message = await roles_message(ctx.session, ctx.network, meeting)
    edited = Reply(text=message.text, buttons=message.buttons, edit=True, notice=notice)
    return [edited, *replies]


async def _pass_on(ctx: Context, meeting: Meeting, declined_row: RoleAssignment) -> Reply:
    """ "Não posso": the role goes to the next sector in order, and the group is told."""
    role = declined_row.role
    declined = {
        r.sector_id
        for r in await repo.assignments(session=ctx.session, meeting_id=meeting.id, role=role)
        if r.status == RoleStatus.DECLINED
    }
    other = await _current(ctx.session, meeting.id)
    other_role = AUTHOR if role == SECRETARY else SECRETARY
    avoid = {other[other_role].sector_id} if other_role in other else set()
    nxt = await _choose(ctx.session, ctx.network, meeting, role, declined=declined, avoid=avoid)
    sectors = {s.id: s for s in await repo.sectors(session=ctx.session, network_id=ctx.network.id)}
    old = sectors[declined_row.sector_id].name
    if nxt is None:
        return Reply(
            text=_(
                "{old} can't take the {role}, and no other sector is available. "
                "Coordination: {example}"
            ).format(old=old, role=_role_name(role), example=SWAP_EXAMPLE)
        )
    await _set_role(ctx, meeting, role, nxt, status=RoleStatus.PROPOSED)
    people = await repo.representatives(
        session=ctx.session, network_id=ctx.network.id, sector_ids=[nxt]
    )
    return Reply(
        text=_("{old} can't take the {role}; it goes to {new}.").format(
            old=old, role=_role_name(role), new=sectors[nxt].name
        ),
        mentions=tuple(person(m) for m in people),
    )


async def _set_role(
    ctx: Context, meeting: Meeting, role: str, sector_id: int, *, status: str
) -> None:
    ctx.session.add(
        RoleAssignment(
            network_id=ctx.network.id,
            meeting_id=meeting.id,
            role=role,
            sector_id=sector_id,
            status=status,
            assigned_at=ctx.now,
        )
    )
    if role == AUTHOR:
        ata = await repo.ata_of(session=ctx.session, meeting_id=meeting.id)
        if ata is not None and ata.status in ATA_IN_PROGRESS:
            ata.author_sector_id = sector_id
    await ctx.session.flush()


async def _meeting_with_roles(ctx: Context) -> Meeting:
    """The meeting whose roles are being handled: the latest one that has them."""
    found = await repo.meetings_between(
        session=ctx.session,
        network_id=ctx.network.id,
        start=ctx.now - timedelta(days=60),
        end=ctx.now + timedelta(days=1),
        include_cancelled=False,
    )
    for meeting in reversed(found):
        if await repo.assignments(session=ctx.session, meeting_id=meeting.id):
            return meeting
    raise UserError(
        N_("No meeting has a secretary or ata author yet: they are named when it starts."),
        example="/presenca",
    )


async def swap(ctx: Context) -> list[Reply]:
    words = ctx.msg.args.split()
    role: str | None = None
    if words and name_key(words[0]) in {"secretaria", "secretario", "secretaria(o)"}:
        role, words = SECRETARY, words[1:]
    elif words and name_key(words[0]) in {"ata", "autor", "redacao"}:
        role, words = AUTHOR, words[1:]
    if not words:
        raise UserError(N_("Say the role and the sector."), example=SWAP_EXAMPLE)
    sectors = await repo.sectors(session=ctx.session, network_id=ctx.network.id)
    sector = find_sector(sectors, " ".join(words), SWAP_EXAMPLE)
    meeting = await _meeting_with_roles(ctx)
    roles = [role] if role else ([SECRETARY, AUTHOR] if ctx.network.roles_same_sector else [])
    if not roles:
        raise UserError(N_("Which role: secretaria or ata?"), example=SWAP_EXAMPLE)
    current = await _current(ctx.session, meeting.id)
    for each in roles:
        if each in current:
            current[each].status = RoleStatus.OVERRIDDEN
            current[each].decided_at = ctx.now
        await _set_role(ctx, meeting, each, sector.id, status=RoleStatus.ACCEPTED)
    message = await roles_message(ctx.session, ctx.network, meeting)
    return [
        Reply(
            text=_("Changed by the coordination.") + "\n" + message.text,
            mentions=message.mentions,
        )
    ]


async def rotation_status(ctx: Context) -> list[Reply]:
    args = ctx.msg.args.split()
    if args:
        return await _settings(ctx, args)
    sectors = await repo.sectors(session=ctx.session, network_id=ctx.network.id)
    people = await repo.representatives(session=ctx.session, network_id=ctx.network.id)
    with_people = {m.sector_id for m in people}
    candidates = [s.id for s in sectors if s.id in with_people]
    names = {s.id: s.name for s in sectors}
    excluded = await _excluded(ctx.session, ctx.network)
    lines: list[str] = []
    for role in (SECRETARY, AUTHOR):
        history = await repo.role_history(
            session=ctx.session,
            network_id=ctx.network.id,
            role=role,
            before=ctx.now + timedelta(days=1),
        )
        standings = rotation.standings(
            [c for c in candidates if c not in excluded],
            [rotation.Service(s, when) for s, when, _id in history],
        )
        lines.append(_("Rotation — {role} (next first):").format(role=_role_name(role)))
        for index, standing in enumerate(standings, 1):
            if standing.last_served is None:
                detail = _("never yet")
            else:
                detail = ngettext(
                    "{n} time, the last on {day}", "{n} times, the last on {day}", standing.count
                ).format(
                    n=standing.count,
                    day=dates.format_date(
                        standing.last_served.astimezone(ctx.tz).date(), with_year=False
                    ),
                )
            lines.append(f"{index}. {names[standing.sector_id]} — {detail}")
        lines.append("")
    if not candidates:
        lines = [_("No sector has representatives yet: each member sends /setor.")]
    settings = [
        _("One sector for both roles: {v}.").format(
            v=_("yes") if ctx.network.roles_same_sector else _("no")
        ),
        _("Coordination's sectors left out: {v}.").format(
            v=_("yes") if ctx.network.rotation_skips_coordination else _("no")
        ),
        _("Ata due {n} days after the meeting.").format(n=ctx.network.ata_deadline_days),
    ]
    return [Reply(text="\n".join(lines + settings))]


async def _settings(ctx: Context, args: list[str]) -> list[Reply]:
    example = "/rodizio mesmo-setor sim  ·  /rodizio sem-coordenacao sim  ·  /rodizio prazo 5"
    if not ctx.is_coordinator:
        raise UserError(N_("Only the network's coordination can change the rotation."))
    if len(args) != 2:
        raise UserError(N_("I did not understand the rotation setting."), example=example)
    key, value = name_key(args[0]), name_key(args[1])
    yes = {"sim": True, "nao": False, "yes": True, "no": False}
    if key == "prazo":
        if not value.isdigit() or not 1 <= int(value) <= 60:
            raise UserError(N_("The deadline is a number of days, from 1 to 60."), example=example)
        ctx.network.ata_deadline_days = int(value)
    elif key in {"mesmo-setor", "mesmo"} and value in yes:
        ctx.network.roles_same_sector = yes[value]
    elif key in {"sem-coordenacao", "excluir-coordenacao"} and value in yes:
        ctx.network.rotation_skips_coordination = yes[value]
    else:
        raise UserError(N_("I did not understand the rotation setting."), example=example)
    return [Reply(text=_("Rotation setting saved."))]


# --- the ata ------------------------------------------------------------------------------


async def _skeleton(session: AsyncSession, network: Network, meeting: Meeting) -> str:
    tzname = network.timezone
    rows = [r for r in await repo.attendance(session=session, meeting_id=meeting.id) if r.present]
    expected = await expected_sectors(session, network, meeting)
    by_sector: dict[str, list[str]] = {}
    for row in rows:
        sector = row.member.sector.name if row.member.sector else "—"
        by_sector.setdefault(sector, []).append(row.member.name)
    present_names = {s for s in by_sector}
    lines = [
        _("Draft of the ata — {kind} of {when}").format(
            kind=kind_name(meeting.kind),
            when=dates.format_when(meeting.starts_at, tzname, with_year=True),
        ),
        _("Place: {place}").format(place=meeting.place),
    ]
    if meeting.justification:
        lines.append(_("Justificativa: {text}").format(text=meeting.justification))
    lines.append(_("Agenda: {topic}").format(topic=meeting.topic or "—"))
    present = "; ".join(f"{s} ({', '.join(n)})" for s, n in sorted(by_sector.items()))
    lines.append(_("Present: {who}").format(who=present or _("(the presence list is empty)")))
    absent = [s.name for s in expected if s.name not in present_names]
    if absent:
        lines.append(_("Absent: {sectors}").format(sectors=", ".join(absent)))
    current = await _current(session, meeting.id)
    sectors = {s.id: s.name for s in await repo.sectors(session=session, network_id=network.id)}
    for role in (SECRETARY, AUTHOR):
        if role in current:
            lines.append(
                _("{role}: {sector}").format(
                    role=first_upper(_role_name(role)),
                    sector=sectors.get(current[role].sector_id, "?"),
                )
            )
    lines += [
        "",
        _("Discussions:"),
        "",
        _("Encaminhamentos (sector, deadline):"),
    ]
    for referral in await repo.meeting_referrals(session=session, meeting_id=meeting.id):
        lines.append(
            f"• {referral.code} — {', '.join(d.sector.name for d in referral.owed)} — "
            f"{dates.format_date(referral.deadline, with_year=True)}: {referral.description}"
        )
    lines += [
        "",
        _("Deliver it with /ata followed by the text, or send the file with the caption /ata."),
        _("/ata rascunho sends this draft again, with the encaminhamentos recorded so far."),
    ]
    return "\n".join(lines)


async def _send_skeleton(session: AsyncSession, network: Network, meeting: Meeting) -> list[Reply]:
    ata = await repo.ata_of(session=session, meeting_id=meeting.id)
    if ata is None or ata.author_sector_id is None:
        return []
    authors = await repo.representatives(
        session=session, network_id=network.id, sector_ids=[ata.author_sector_id]
    )
    text = await _skeleton(session, network, meeting)
    reachable = await repo.contact_ids(
        session=session, platform=network.platform, user_ids=[m.user_id for m in authors]
    )
    private = [Reply(text=text, to_user=person(m)) for m in authors if m.user_id in reachable]
    if private:
        return private
    return [Reply(text=text, mentions=tuple(person(m) for m in authors))]


async def schedule_ata_reminders(
    session: AsyncSession, network: Network, meeting: Meeting, ata: Ata, *, start: datetime | None
) -> None:
    """Reminders at the deadline and daily after it; the coordination hears when it is late."""
    first = start or meeting.starts_at + timedelta(days=network.ata_deadline_days)
    for day in range(DAILY_REMINDERS):
        await repo.schedule(
            session=session,
            network_id=network.id,
            key=f"ata:{ata.id}:remind:{day}",
            kind=Kind.ATA_REMINDER,
            due_at=first + timedelta(days=day),
            meeting_id=meeting.id,
            payload={"ata_id": ata.id},
        )
    await repo.schedule(
        session=session,
        network_id=network.id,
        key=f"ata:{ata.id}:late",
        kind=Kind.ATA_LATE,
        due_at=first + timedelta(days=LATE_NOTICE_DAYS),
        meeting_id=meeting.id,
        payload={"ata_id": ata.id},
    )


async def ata(ctx: Context) -> list[Reply]:
    verb, _sep, rest = ctx.msg.args.strip().partition(" ")
    if name_key(verb) == "aprovar" and not rest:
        return await _approve(ctx)
    if name_key(verb) == "corrigir":
        return await _return(ctx, rest.strip())
    if name_key(verb) == "rascunho" and not rest:
        return await _draft_again(ctx)
    if ctx.msg.attachment is None and not ctx.msg.args.strip():
        return await _ata_status(ctx)
    return await _deliver(ctx)


async def _deliver(ctx: Context) -> list[Reply]:
    if ctx.member.sector_id is None and not ctx.is_coordinator:
        raise UserError(N_("Tell me your sector first with /setor."), example="/setor CREAS")
    pending = await repo.atas(
        session=ctx.session,
        network_id=ctx.network.id,
        statuses=list(ATA_IN_PROGRESS),
        sector_id=None if ctx.is_coordinator else ctx.member.sector_id,
    )
    if not pending:
        raise UserError(N_("There is no ata waiting for your sector."), example=ATA_EXAMPLE)
    target = (
        pending[-1]
        if not ctx.is_coordinator
        else next(
            (a for a in reversed(pending) if a.author_sector_id == ctx.member.sector_id),
            pending[-1],
        )
    )
    attachment = ctx.msg.attachment
    if attachment is not None:
        name = attachment.filename
        if not name.lower().endswith(ATA_FILES):
            raise UserError(
                N_("Send the ata as PDF, DOCX or ODT (or as text)."), example=ATA_EXAMPLE
            )
        content = await attachment.fetch()
        if len(content) > MAX_ATA_FILE:
            raise UserError(N_("The file is too large (10 MB at most)."), example=ATA_EXAMPLE)
        if name.lower().endswith(".txt"):
            text = content.decode("utf-8", errors="replace")
            privacy.screen(text)
            target.text, target.file_name, target.file_content = text, None, None
        else:
            target.text = None
            target.file_name, target.file_mime, target.file_content = (
                name,
                attachment.mime_type or "application/octet-stream",
                content,
            )
    else:
        text = ctx.msg.args.strip()
        if len(text) < 20:
            raise UserError(N_("The ata seems too short."), example=ATA_EXAMPLE)
        privacy.screen(text)
        target.text, target.file_name, target.file_content = text, None, None
    target.status = AtaStatus.DELIVERED
    target.delivered_at = ctx.now
    target.delivered_by_id = ctx.member.id
    await repo.cancel_scheduled(
        session=ctx.session, network_id=ctx.network.id, key_prefix=f"ata:{target.id}:"
    )
    meeting = await repo.meeting(session=ctx.session, meeting_id=target.meeting_id)
    assert meeting is not None
    return [
        Reply(
            text=_(
                "Ata of the {kind} of {when} received, thank you! "
                "It will be put up for approval at the next ordinary meeting."
            ).format(
                kind=kind_name(meeting.kind),
                when=dates.format_when(meeting.starts_at, ctx.network.timezone),
            )
        )
    ]


async def _draft_again(ctx: Context) -> list[Reply]:
    """The draft as it stands now (the encaminhamentos of the meeting included)."""
    pending = await repo.atas(
        session=ctx.session,
        network_id=ctx.network.id,
        statuses=list(ATA_IN_PROGRESS),
        sector_id=None if ctx.is_coordinator else ctx.member.sector_id,
    )
    if not pending:
        raise UserError(N_("There is no ata waiting for your sector."), example="/ata")
    meeting = await repo.meeting(session=ctx.session, meeting_id=pending[-1].meeting_id)
    assert meeting is not None
    return [Reply(text=await _skeleton(ctx.session, ctx.network, meeting))]


async def _ata_status(ctx: Context) -> list[Reply]:
    open_atas = await repo.atas(
        session=ctx.session,
        network_id=ctx.network.id,
        statuses=[*ATA_IN_PROGRESS, AtaStatus.DELIVERED],
    )
    if not open_atas:
        return [Reply(text=_("No ata is pending. Approved atas: /atas"))]
    sectors = {
        s.id: s.name for s in await repo.sectors(session=ctx.session, network_id=ctx.network.id)
    }
    states = {
        AtaStatus.PENDING: _("waiting for the author"),
        AtaStatus.RETURNED: _("returned for correction"),
        AtaStatus.DELIVERED: _("delivered, waiting for approval"),
    }
    lines = [_("Atas in progress:")]
    for item in open_atas:
        meeting = await repo.meeting(session=ctx.session, meeting_id=item.meeting_id)
        assert meeting is not None
        lines.append(
            f"• {dates.format_when(meeting.starts_at, ctx.network.timezone)} — "
            f"{sectors.get(item.author_sector_id or 0, '—')}: {states[AtaStatus(item.status)]}"
        )
    return [Reply(text="\n".join(lines))]


async def _oldest_delivered(ctx: Context) -> tuple[Ata, Meeting]:
    delivered = await repo.atas(
        session=ctx.session, network_id=ctx.network.id, statuses=[AtaStatus.DELIVERED]
    )
    if not delivered:
        raise UserError(N_("No ata is waiting for approval."), example="/ata")
    meeting = await repo.meeting(session=ctx.session, meeting_id=delivered[0].meeting_id)
    assert meeting is not None
    return delivered[0], meeting


async def _approve(ctx: Context) -> list[Reply]:
    if not ctx.is_coordinator:
        raise UserError(N_("Only the network's coordination can use /{name}."), name="ata aprovar")
    target, meeting = await _oldest_delivered(ctx)
    content = (
        target.file_content if target.file_content is not None else (target.text or "").encode()
    )
    target.sha256 = hashlib.sha256(content).hexdigest()
    target.status = AtaStatus.APPROVED
    target.approved_at = ctx.now
    return [
        Reply(
            text=_("✅ Ata of the {kind} of {when} approved on {day}. SHA-256: {digest}").format(
                kind=kind_name(meeting.kind),
                when=dates.format_when(meeting.starts_at, ctx.network.timezone),
                day=dates.format_date(ctx.now.astimezone(ctx.tz).date(), with_year=True),
                digest=target.sha256,
            )
        )
    ]


async def _return(ctx: Context, note: str) -> list[Reply]:
    if not ctx.is_coordinator:
        raise UserError(N_("Only the network's coordination can use /{name}."), name="ata corrigir")
    if not note:
        raise UserError(
            N_("Say what must be corrected."),
            example="/ata corrigir faltou a lista de encaminhamentos",
        )
    privacy.screen(note)
    target, meeting = await _oldest_delivered(ctx)
    target.status = AtaStatus.RETURNED
    target.correction = note
    await schedule_ata_reminders(
        ctx.session, ctx.network, meeting, target, start=ctx.now + timedelta(days=2)
    )
    authors = await repo.representatives(
        session=ctx.session, network_id=ctx.network.id, sector_ids=[target.author_sector_id or 0]
    )
    return [
        Reply(
            text=_(
                "The coordination asked for a correction of the ata of {when}: {note}\n"
                "Send it again with /ata."
            ).format(when=dates.format_when(meeting.starts_at, ctx.network.timezone), note=note),
            mentions=tuple(person(m) for m in authors),
        )
    ]


async def atas_book(ctx: Context) -> list[Reply]:
    text = ctx.msg.args.strip()
    year = ctx.now.astimezone(ctx.tz).year
    if text:
        if not text.isdigit() or len(text) != 4:
            raise UserError(N_("Give the year, like {year}."), example="/atas 2026", year=year)
        year = int(text)
    start = datetime(year, 1, 1, tzinfo=ctx.tz)
    rows = await repo.approved_atas(
        session=ctx.session,
        network_id=ctx.network.id,
        start=start,
        end=datetime(year + 1, 1, 1, tzinfo=ctx.tz),
    )
    sectors = {
        s.id: s.name for s in await repo.sectors(session=ctx.session, network_id=ctx.network.id)
    }
    entries = []
    for item, meeting in rows:
        current = await _current(ctx.session, meeting.id)
        secretary = current.get(SECRETARY)
        assert item.approved_at is not None and item.sha256 is not None
        entries.append(
            documents.AtaEntry(
                meeting_kind=first_upper(kind_name(meeting.kind)),
                starts_at=meeting.starts_at,
                place=meeting.place,
                topic=meeting.topic,
                author_sector=sectors.get(item.author_sector_id or 0, "—"),
                secretary_sector=sectors.get(secretary.sector_id) if secretary else None,
                approved_at=item.approved_at,
                sha256=item.sha256,
                text=item.text,
                file_name=item.file_name,
            )
        )
    book = documents.AtaBook(
        network_name=ctx.network.title or _("Rede de Proteção Social"),
        year=year,
        timezone=ctx.network.timezone,
        entries=entries,
        generated_at=ctx.now,
    )
    replies = [
        Reply(
            text=ngettext(
                "{n} approved ata in {year}.", "{n} approved atas in {year}.", len(entries)
            ).format(n=len(entries), year=year),
            file=OutFile.later(
                documents.atas_filename(book), "application/pdf", partial(documents.atas_pdf, book)
            ),
        )
    ]
    for item, _meeting in rows:
        if item.file_content is not None and item.file_name:
            replies.append(
                Reply(
                    text="",
                    file=OutFile(
                        item.file_name,
                        item.file_content,
                        item.file_mime or "application/octet-stream",
                    ),
                )
            )
    return replies


# --- automatic ----------------------------------------------------------------------------


async def _open_ata(ctx: ScheduledContext) -> tuple[Ata, Meeting, Sector] | None:
    ata_row = await ctx.session.get(Ata, int(ctx.row.payload.get("ata_id", 0)))
    if ata_row is None or ata_row.status not in ATA_IN_PROGRESS or ata_row.author_sector_id is None:
        return None
    meeting = await repo.meeting(session=ctx.session, meeting_id=ata_row.meeting_id)
    sector = await ctx.session.get(Sector, ata_row.author_sector_id)
    if meeting is None or sector is None:
        return None
    return ata_row, meeting, sector


async def render_ata_reminder(ctx: ScheduledContext) -> Sequence[Reply]:
    found = await _open_ata(ctx)
    if found is None:
        return []
    _ata, meeting, sector = found
    authors = await repo.representatives(
        session=ctx.session, network_id=ctx.network.id, sector_ids=[sector.id]
    )
    text = _(
        "📝 Reminder: the ata of the {kind} of {when} is due ({sector}). "
        "Send it with /ata followed by the text, or the file with the caption /ata."
    ).format(
        kind=kind_name(meeting.kind),
        when=dates.format_when(meeting.starts_at, ctx.network.timezone),
        sector=sector.name,
    )
    reachable = await repo.contact_ids(
        session=ctx.session, platform=ctx.network.platform, user_ids=[m.user_id for m in authors]
    )
    private = [Reply(text=text, to_user=person(m)) for m in authors if m.user_id in reachable]
    return private or [Reply(text=text, mentions=tuple(person(m) for m in authors))]


async def render_ata_late(ctx: ScheduledContext) -> Sequence[Reply]:
    found = await _open_ata(ctx)
    if found is None:
        return []
    _ata, meeting, sector = found
    coordinators = await repo.coordinators(session=ctx.session, network_id=ctx.network.id)
    return [
        Reply(
            text=_(
                "⚠️ Coordination: the ata of the {kind} of {when} is {n} days late ({sector})."
            ).format(
                kind=kind_name(meeting.kind),
                when=dates.format_when(meeting.starts_at, ctx.network.timezone),
                n=LATE_NOTICE_DAYS,
                sector=sector.name,
            ),
            mentions=tuple(person(m) for m in coordinators),
        )
    ]


async def render_meeting_start(ctx: ScheduledContext) -> Sequence[Reply]:
    """At the meeting's start time, name the roles if the presence list did not already."""
    if ctx.row.meeting_id is None:
        return []
    meeting = await repo.meeting(session=ctx.session, meeting_id=ctx.row.meeting_id)
    if meeting is None:
        return []
    # The dispatcher commits these writes only once the messages are sent.
    return await assign_roles(ctx.session, ctx.network, meeting, ctx.now)


async def _approvals_agenda(session: AsyncSession, network: Network, now: datetime) -> list[str]:
    return await pending_approval_lines(session, network)


async def pending_approval_lines(session: AsyncSession, network: Network) -> list[str]:
    """For the next ordinary meeting's announcement: the atas to approve there."""
    delivered = await repo.atas(
        session=session, network_id=network.id, statuses=[AtaStatus.DELIVERED]
    )
    lines = []
    for item in delivered:
        meeting = await repo.meeting(session=session, meeting_id=item.meeting_id)
        if meeting is not None:
            lines.append(
                _("📝 Ata to approve: {kind} of {when}").format(
                    kind=kind_name(meeting.kind),
                    when=dates.format_when(meeting.starts_at, network.timezone),
                )
            )
    return lines


def register(router: Router) -> None:
    router.on_opened(assign_roles)
    router.button(RoleDecision)(role_button)
    router.command(
        "trocar", N_("change the secretary or ata author"), SWAP_EXAMPLE, coordinator=True
    )(swap)
    router.command("rodizio", N_("rotation of secretary and ata author"), "/rodizio")(
        rotation_status
    )
    router.command("ata", N_("deliver, approve or correct an ata"), ATA_EXAMPLE, accepts_file=True)(
        ata
    )
    router.command("atas", N_("approved atas of the year (PDF)"), "/atas 2026")(atas_book)
    # Issue 4: the atas delivered since are listed for approval at the next meeting.
    router.agenda(order=10)(_approvals_agenda)
    router.scheduled(Kind.ATA_REMINDER, collapse=True)(render_ata_reminder)
    router.scheduled(Kind.ATA_LATE)(render_ata_late)
    router.scheduled(Kind.MEETING_START, quiet=False)(render_meeting_start)
