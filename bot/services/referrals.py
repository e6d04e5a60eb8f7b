"""Encaminhamentos: creating one (from a command or a plan's task), the sectors'
devolutivas, concluding, what is pending, and planning and gathering the chase (seed 002:
deadlines, the chase ladder, the weekly digest)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import UserError
from bot.i18n import N_
from bot.rules import dates, deadlines, privacy, trust
from bot.rules import referrals as rules
from bot.rules.kinds import Kind
from bot.rules.referrals import Audience
from bot.rules.status import REFERRAL_OPEN, Presence, QuestionStatus, ReferralStatus
from storage import repo
from storage.models import (
    Devolutiva,
    Meeting,
    Member,
    Network,
    Question,
    Referral,
    ScheduledMessage,
    Sector,
)

DIGEST_AT = time(9, 0)
# Finds the sector a person named among the network's (a helpful UserError if none).
SectorFinder = Callable[[Sequence[Sector], str], Sector]


def ladder_of(network: Network) -> deadlines.Ladder:
    return deadlines.Ladder(**network.ladder) if network.ladder else deadlines.Ladder()


def due_of(referral: Referral, owed: Devolutiva) -> date:
    return owed.deadline or referral.deadline


async def create(
    session: AsyncSession,
    network: Network,
    *,
    created_by_id: int,
    now: datetime,
    sectors: Sequence[Sector],
    deadline: date,
    description: str,
    origin: str,
    meeting_id: int | None = None,
    plan_id: int | None = None,
    action: str | None = None,
) -> Referral:
    """Save a referral owed by ``sectors`` (its code numbered race-free) and plan its
    chase and the coordination's digest."""
    year = now.astimezone(ZoneInfo(network.timezone)).year
    referral = Referral(
        network_id=network.id,
        code=await repo.next_referral_code(session=session, network_id=network.id, year=year),
        description=description,
        deadline=deadline,
        origin=origin,
        meeting_id=meeting_id,
        plan_id=plan_id,
        action=action,
        status=ReferralStatus.OPEN,
        created_by_id=created_by_id,
        created_at=now,
        owed=[Devolutiva(sector_id=s.id) for s in sectors],
    )
    session.add(referral)
    await session.flush()
    for owed in referral.owed:
        await plan_chase(session, network, referral, owed, now)
    await plan_digest(session, network, now)
    return referral


async def plan_chase(
    session: AsyncSession, network: Network, referral: Referral, owed: Devolutiva, now: datetime
) -> None:
    """One row per ladder step still ahead for this sector; each step is sent once."""
    prefix = f"ref:{referral.id}:{owed.sector_id}:"
    if owed.answered_at is not None or referral.status not in REFERRAL_OPEN:
        await repo.cancel_scheduled(session=session, network_id=network.id, key_prefix=prefix)
        return
    keys = []
    for step, due in deadlines.ladder_times(
        due_of(referral, owed), ladder_of(network), tz=network.timezone
    ):
        if step is deadlines.Step.AGENDA or due <= now:
            continue
        key = f"{prefix}{step.value}"
        keys.append(key)
        await repo.schedule(
            session=session,
            network_id=network.id,
            key=key,
            kind=Kind.REFERRAL_CHASE_MAIL if step is deadlines.Step.EMAIL else Kind.REFERRAL_CHASE,
            due_at=due,
            payload={"referral_id": referral.id, "sector_id": owed.sector_id, "step": step.value},
        )
    await repo.cancel_scheduled(
        session=session, network_id=network.id, key_prefix=prefix, keep=keys
    )


async def plan_digest(session: AsyncSession, network: Network, now: datetime) -> None:
    """The weekly digest to the coordination, every Monday at 9h (one row ahead)."""
    tz = ZoneInfo(network.timezone)
    today = now.astimezone(tz).date()
    monday = today + timedelta(days=(7 - today.weekday()) % 7 or 7)
    await repo.schedule(
        session=session,
        network_id=network.id,
        key=f"digest:{monday.isoformat()}",
        kind=Kind.REFERRAL_DIGEST,
        due_at=datetime.combine(monday, DIGEST_AT, tzinfo=tz),
    )


def _today(network: Network, now: datetime) -> date:
    return now.astimezone(ZoneInfo(network.timezone)).date()


def owed_by(referral: Referral, sector_id: int | None) -> Devolutiva | None:
    """What ``sector_id`` owes on ``referral``, if it owes anything."""
    return next((d for d in referral.owed if d.sector_id == sector_id), None)


async def by_code(session: AsyncSession, network: Network, code: str, *, example: str) -> Referral:
    """The network's referral ``code`` (any case), or the error pointing to /pendencias."""
    if not code.strip():
        raise UserError(N_("Say which encaminhamento: write its code."), example=example)
    referral = await repo.referral_by_code(session=session, network_id=network.id, code=code)
    if referral is None:
        raise UserError(
            N_("There is no encaminhamento {code}. See /pendencias."), example=example, code=code
        )
    if referral.status == ReferralStatus.DELETED:
        raise UserError(
            N_("{code} was deleted on {day}: {reason}."),
            code=referral.code,
            day=dates.format_date(_today(network, referral.deleted_at or referral.created_at)),
            reason=referral.deleted_reason or "—",
        )
    return referral


async def delete(
    session: AsyncSession,
    network: Network,
    member: Member,
    *,
    now: datetime,
    code: str,
    reason: str,
) -> Referral:
    """``/excluir code | reason``: an encaminhamento registered by mistake stops being owed
    and chased and counts in no figure; its row stays, with who deleted it, when and why."""
    referral = await by_code(session, network, code, example=rules.DELETE_EXAMPLE)
    if referral.plan_id is not None:
        raise UserError(
            N_("{code} is a task of an action plan: change the plan's table and import it again."),
            example="/plano importar 2026 Fortalecimento do SIPIA",
            code=referral.code,
        )
    privacy.screen(reason)
    referral.status = ReferralStatus.DELETED
    referral.deleted_at = now
    referral.deleted_by_id = member.id
    referral.deleted_reason = reason
    await _replan(session, network, referral, now)  # every chase row of it is cancelled
    return referral


async def _open_meeting(session: AsyncSession, network: Network, now: datetime) -> Meeting | None:
    """The meeting whose presence list is open today (encaminhamentos recorded there)."""
    tz = ZoneInfo(network.timezone)
    start = datetime.combine(_today(network, now), time(0), tzinfo=tz)
    for meeting in await repo.meetings_between(
        session=session,
        network_id=network.id,
        start=start,
        end=start + timedelta(days=1),
        include_cancelled=False,
    ):
        if meeting.presence == Presence.OPEN:
            return meeting
    return None


async def _owing_sectors(
    session: AsyncSession, network: Network, text: str, find: SectorFinder
) -> list[Sector]:
    """The sectors named in ``text`` ("Saúde, CRAS e CREAS"), each once, in their order."""
    sectors = await repo.sectors(session=session, network_id=network.id)
    chosen: list[Sector] = []
    for name in rules.sector_names(text):
        sector = find(sectors, name)
        if sector not in chosen:
            chosen.append(sector)
    if not chosen:
        raise UserError(N_("Say which sectors owe the devolutiva."), example=rules.EXAMPLE)
    return chosen


@dataclass(frozen=True)
class Referred:
    """A referral just recorded, with the representatives of the sectors that owe it."""

    referral: Referral
    sectors: Sequence[Sector]
    representatives: Sequence[Member]


async def may_refer(
    session: AsyncSession, network: Network, member: Member, *, is_coordinator: bool, now: datetime
) -> Meeting | None:
    """Refuse who may not refer now; the meeting whose presence list is open, if any."""
    if not is_coordinator:
        trust.speaks_for(member, example="/setor Saúde")
    meeting = await _open_meeting(session, network, now)
    if not is_coordinator and meeting is None:
        raise UserError(
            N_("Only the coordination can refer outside a meeting (with the presence list open)."),
            example=rules.EXAMPLE,
        )
    return meeting


async def refer(
    session: AsyncSession,
    network: Network,
    member: Member,
    *,
    is_coordinator: bool,
    now: datetime,
    sectors: str,
    deadline: str,
    description: str,
    find: SectorFinder,
) -> Referred:
    """``/encaminhar``: at a meeting with its presence list open any sector may refer (by a
    confirmed representative, issue 13); outside one only the coordination (seed 000 §5-6).
    The deadline is read in the network's zone."""
    meeting = await may_refer(session, network, member, is_coordinator=is_coordinator, now=now)
    rules.check_description(description)
    privacy.screen(description)
    chosen = await _owing_sectors(session, network, sectors, find)
    due = deadlines.parse_deadline(
        deadline, today=_today(network, now), tz=network.timezone, state=network.state
    )
    referral = await create(
        session,
        network,
        created_by_id=member.id,
        now=now,
        sectors=chosen,
        deadline=due,
        description=description,
        origin="meeting" if meeting else "adhoc",
        meeting_id=meeting.id if meeting else None,
    )
    people = await repo.representatives(
        session=session, network_id=network.id, sector_ids=[s.id for s in chosen]
    )
    return Referred(referral=referral, sectors=tuple(chosen), representatives=people)


@dataclass(frozen=True)
class Recorded:
    """A sector's devolutiva saved; ``all_answered`` when it was the last one owed."""

    referral: Referral
    owed: Devolutiva
    all_answered: bool


# The question a press on a code's button opens: its answer is that code's devolutiva
# (the referral's id follows the colon; a question's kind holds 30 characters).
DEVOLUTIVA_QUESTION = "devolutiva"


async def owed_by_member(session: AsyncSession, network: Network, member: Member) -> list[Owing]:
    """``/devolutiva`` alone: the open encaminhamentos the member's sector still owes a
    devolutiva on, the nearest deadline first (a confirmed representative's only)."""
    sector_id = trust.speaks_for(member, example="/setor Saúde")
    owing = []
    for referral in await repo.open_referrals(session=session, network_id=network.id):
        owed = owed_by(referral, sector_id)
        if owed is not None and owed.answered_at is None:
            owing.append(Owing(referral, owed, due_of(referral, owed)))
    return sorted(owing, key=lambda o: (o.due, o.referral.code))


@dataclass(frozen=True)
class Owing:
    referral: Referral
    owed: Devolutiva
    due: date


async def ask_devolutiva(
    session: AsyncSession, network: Network, member: Member, *, now: datetime, referral_id: int
) -> Owing:
    """A press on a code's button: the member's next reply is that code's devolutiva
    (refused, as the typed form is, when her sector does not owe it or it is concluded)."""
    sector_id = trust.speaks_for(member, example="/setor Saúde")
    referral = await repo.referral(session=session, referral_id=referral_id)
    if referral is None or referral.network_id != network.id:
        raise UserError(N_("This choice is no longer valid."))
    owed = owed_by(referral, sector_id)
    if referral.status not in REFERRAL_OPEN or owed is None:
        raise UserError(
            N_("{code} is not waiting for your sector's devolutiva."), code=referral.code
        )
    if owed.answered_at is not None:
        raise UserError(
            N_("{sector} already sent its devolutiva on {code}."),
            sector=owed.sector.name,
            code=referral.code,
        )
    await repo.ask(
        session=session,
        network_id=network.id,
        member_id=member.id,
        kind=f"{DEVOLUTIVA_QUESTION}:{referral.id}",
        meeting_id=None,
        now=now,
    )
    return Owing(referral, owed, due_of(referral, owed))


async def answer_devolutiva(
    session: AsyncSession,
    network: Network,
    member: Member,
    question: Question,
    *,
    now: datetime,
    text: str,
    replied_code: str | None = None,
) -> Recorded:
    """The reply to the question a code's button opened: that code's devolutiva. A reply
    quoting the bot's message about another code is that one's (the question waits)."""
    referral = await repo.referral(
        session=session, referral_id=int(question.kind.partition(":")[2] or 0)
    )
    if referral is None or referral.network_id != network.id:
        raise UserError(N_("This choice is no longer valid."))
    if replied_code is not None and replied_code.upper() != referral.code.upper():
        return await record_devolutiva(
            session, network, member, now=now, code=replied_code, text=text
        )
    recorded = await record_devolutiva(
        session, network, member, now=now, code=referral.code, text=text
    )
    question.status = QuestionStatus.ANSWERED
    return recorded


async def record_devolutiva(
    session: AsyncSession, network: Network, member: Member, *, now: datetime, code: str, text: str
) -> Recorded:
    """The member's sector answers ``code``: its chase stops; once every sector answered,
    the referral waits for the coordination to conclude it. Only a confirmed representative
    speaks for the sector (issue 13)."""
    sector_id = trust.speaks_for(member, example="/setor Saúde")
    referral = await by_code(session, network, code, example=rules.DEVOLUTIVA_EXAMPLE)
    rules.check_devolutiva(text)
    privacy.screen(text)
    owed = owed_by(referral, sector_id)
    if owed is None:
        raise UserError(
            N_("{code} is not owed by your sector ({owers})."),
            example=rules.DEVOLUTIVA_EXAMPLE,
            code=referral.code,
            owers=", ".join(d.sector.name for d in referral.owed),
        )
    if referral.status == ReferralStatus.CONCLUDED:
        raise UserError(N_("{code} is already concluded."), code=referral.code)
    owed.text, owed.answered_at, owed.answered_by_id = text, now, member.id
    await plan_chase(session, network, referral, owed, now)
    answered = rules.open_status(d.answered_at is not None for d in referral.owed)
    if answered is ReferralStatus.ANSWERED:
        referral.status = answered
    return Recorded(referral=referral, owed=owed, all_answered=answered is ReferralStatus.ANSWERED)


@dataclass(frozen=True)
class Concluded:
    referral: Referral
    unanswered: Sequence[Sector]  # the sectors that never sent their devolutiva


async def conclude(
    session: AsyncSession,
    network: Network,
    *,
    now: datetime,
    code: str = "",
    referral_id: int | None = None,
) -> Concluded:
    """The coordination closes ``code`` (or the referral ``referral_id``, a button),
    answered or not: every chase of it stops."""
    if referral_id is not None:
        found = await repo.referral(session=session, referral_id=referral_id)
        if found is None or found.network_id != network.id:
            raise UserError(N_("This choice is no longer valid."))
        code = found.code
    referral = await by_code(session, network, code, example=rules.CONCLUDE_EXAMPLE)
    if referral.status == ReferralStatus.CONCLUDED:
        raise UserError(N_("{code} is already concluded."), code=referral.code)
    referral.status = ReferralStatus.CONCLUDED
    referral.concluded_at = now
    await _replan(session, network, referral, now)
    missing = tuple(d.sector for d in referral.owed if d.answered_at is None)
    return Concluded(referral=referral, unanswered=missing)


async def reopen(session: AsyncSession, network: Network, *, now: datetime, code: str) -> Referral:
    """A concluded referral opens again; the sectors still owing are chased again."""
    referral = await by_code(session, network, code, example=rules.REOPEN_EXAMPLE)
    if referral.status != ReferralStatus.CONCLUDED:
        raise UserError(N_("{code} is not concluded."), code=referral.code)
    referral.status = rules.open_status(d.answered_at is not None for d in referral.owed)
    referral.concluded_at = None
    await _replan(session, network, referral, now)
    return referral


async def _replan(
    session: AsyncSession, network: Network, referral: Referral, now: datetime
) -> None:
    for owed in referral.owed:
        await plan_chase(session, network, referral, owed, now)


@dataclass(frozen=True)
class Pending:
    """A devolutiva not sent yet: ``late`` days overdue (0 while not due)."""

    late: int
    due: date
    sector: Sector
    referral: Referral


async def pending(
    session: AsyncSession, network: Network, *, now: datetime, sector: str, find: SectorFinder
) -> list[Pending]:
    """``/pendencias [setor]``: the devolutivas still owed, the most overdue first."""
    sectors = await repo.sectors(session=session, network_id=network.id)
    only = find(sectors, sector) if sector else None
    today = _today(network, now)
    rows = []
    for referral in await repo.open_referrals(session=session, network_id=network.id):
        for owed in referral.owed:
            if owed.answered_at is None and (only is None or owed.sector_id == only.id):
                due = due_of(referral, owed)
                late = deadlines.days_overdue(due, today)
                rows.append(Pending(late=late, due=due, sector=owed.sector, referral=referral))
    return sorted(rows, key=lambda p: (-p.late, p.due, p.sector.name))


async def set_ladder(
    session: AsyncSession, network: Network, *, now: datetime, text: str
) -> deadlines.Ladder:
    """``/cobranca``: the network's chase ladder, changed by ``text`` when given; every
    open referral's chase follows the new days."""
    ladder = ladder_of(network)
    if not text:
        return ladder
    ladder = deadlines.parse_ladder(text, base=ladder)
    network.ladder = dataclasses.asdict(ladder)
    for referral in await repo.open_referrals(session=session, network_id=network.id):
        await _replan(session, network, referral, now)
    return ladder


@dataclass(frozen=True)
class Overdue:
    referral: Referral
    sector: Sector
    late: int


async def overdue(session: AsyncSession, network: Network, now: datetime) -> list[Overdue]:
    """Sectors late beyond the agenda step: for the next meeting's agenda and the digest."""
    ladder = ladder_of(network)
    today = _today(network, now)
    rows = []
    for referral in await repo.open_referrals(session=session, network_id=network.id):
        for owed in referral.owed:
            late = deadlines.days_overdue(due_of(referral, owed), today)
            if owed.answered_at is None and rules.on_agenda(late, ladder):
                rows.append(Overdue(referral=referral, sector=owed.sector, late=late))
    return rows


async def weekly_digest(session: AsyncSession, network: Network, now: datetime) -> list[Overdue]:
    """The Monday digest: the next one planned, and what is overdue for the coordination."""
    await plan_digest(session, network, now)
    return await overdue(session, network, now)


@dataclass(frozen=True)
class Chase:
    """One step of the chase of a sector's devolutiva, and who hears it."""

    referral: Referral
    owed: Devolutiva
    step: deadlines.Step
    due: date
    late: int
    audience: Audience
    people: Sequence[Member]  # the representatives to mention or to write to


async def chase(
    session: AsyncSession,
    network: Network,
    *,
    now: datetime,
    referral_id: int,
    sector_id: int,
    step: deadlines.Step,
) -> Chase | None:
    """A chase row come due: None once the devolutiva came, the referral was concluded,
    or the coordination was already told that nobody of the sector is in the group."""
    referral = await repo.referral(session=session, referral_id=referral_id)
    if referral is None or referral.status not in REFERRAL_OPEN:
        return None
    owed = owed_by(referral, sector_id)
    if owed is None or owed.answered_at is not None:
        return None
    due = due_of(referral, owed)
    people = await repo.representatives(
        session=session, network_id=network.id, sector_ids=[owed.sector_id]
    )
    late = deadlines.days_overdue(due, _today(network, now))
    audience = rules.chase_audience(
        step, representatives=bool(people), email=bool(owed.sector.email)
    )
    if audience is Audience.COORDINATION and not await repo.first_notice(
        session=session, network_id=network.id, key=f"norep:{referral.id}:{owed.sector_id}", now=now
    ):
        return None
    if audience is Audience.PRIVATE:
        audience, people = await _private_or_group(session, network, people)
    return Chase(referral, owed, step, due, late, audience, people)


async def sector_round(
    session: AsyncSession, network: Network, first: Chase, *, row_id: int, now: datetime
) -> list[Chase]:
    """Issue 14: ``first`` and the other chases of its sector due today with the same
    audience, said in one message; their rows are marked merged (one message per sector
    per round, not one per encaminhamento)."""
    if first.audience not in (Audience.GROUP, Audience.PRIVATE):
        return [first]
    tz = ZoneInfo(network.timezone)
    day_end = datetime.combine(_today(network, now) + timedelta(days=1), time(0, 0), tzinfo=tz)
    rows = await repo.pending_due_before(
        session=session, network_id=network.id, kind=Kind.REFERRAL_CHASE, before=day_end
    )
    found, merged = [first], []
    # One line per encaminhamento: after a gap several steps of one are due; the latest
    # (its current state) is said, the older ones go with it (and first's, with first).
    latest: dict[int, ScheduledMessage] = {}
    for row in rows:
        if row.id == row_id or int(row.payload.get("sector_id", 0)) != first.owed.sector_id:
            continue
        referral_id = int(row.payload["referral_id"])
        if referral_id == first.referral.id:
            merged.append(row.id)
            continue
        if referral_id in latest:
            merged.append(latest[referral_id].id)
        latest[referral_id] = row
    for row in latest.values():
        other = await chase(
            session,
            network,
            now=now,
            referral_id=int(row.payload["referral_id"]),
            sector_id=first.owed.sector_id,
            step=deadlines.Step(str(row.payload["step"])),
        )
        if other is None or other.audience is not first.audience:
            continue
        if {m.id for m in other.people} != {m.id for m in first.people}:
            continue
        found.append(other)
        merged.append(row.id)
    await repo.mark_merged(session=session, row_ids=merged, now=now)
    return found


async def _private_or_group(
    session: AsyncSession, network: Network, people: Sequence[Member]
) -> tuple[Audience, Sequence[Member]]:
    """Those reachable in private; nobody reachable: the group hears it, naming them all."""
    reachable = await repo.contact_ids(
        session=session, platform=network.platform, user_ids=[m.user_id for m in people]
    )
    private = [m for m in people if m.user_id in reachable]
    return (Audience.PRIVATE, private) if private else (Audience.GROUP, people)
