"""Complex cases by code (issue 15): opening, reviewing, the risk, closing and reopening,
the timeline, and the follow-up rows (the review reminder, the overdue notice, the flag of
a high-risk case without activity)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import UserError
from bot.i18n import N_
from bot.rules import cases as rules
from bot.rules import dates, privacy
from bot.rules.case_report import case_figures
from bot.rules.cases import CaseStatus, EventKind, Risk
from bot.rules.kinds import Kind
from bot.rules.report_data import CaseFigures
from bot.rules.status import REFERRAL_OPEN, MeetingStatus, ReferralStatus
from storage import cases as store
from storage import repo
from storage.models import Ata, Case, CaseEvent, Meeting, Member, Network, Referral, Sector

SectorFinder = Callable[[Sequence[Sector], str], Sector]

ONLY_REFERENCE = N_(
    "Only the coordination or a confirmed representative of the case's reference sector "
    "(CRAS or CREAS) can do this."
)


def _tz(network: Network) -> ZoneInfo:
    return ZoneInfo(network.timezone)


def _today(network: Network, now: datetime) -> date:
    return now.astimezone(_tz(network)).date()


def check_may_open(member: Member, *, is_coordinator: bool) -> None:
    """The coordination, or a confirmed representative of a CRAS/CREAS, opens a case (said
    before a step-by-step conversation asks anything)."""
    own = member.confirmed_sector
    if not is_coordinator and (own is None or not rules.is_reference(own.key)):
        raise UserError(
            N_(
                "Only the coordination or a confirmed representative of a reference sector "
                "(CRAS or CREAS) opens a case."
            ),
            example=rules.NEW_EXAMPLE,
        )


def review_day(network: Network, now: datetime, text: str) -> date:
    """The next review typed in a conversation: a day ahead, within a year."""
    return _review_day(network, now, text, rules.NEW_EXAMPLE)


def _review_day(network: Network, now: datetime, text: str, example: str) -> date:
    try:
        day = dates.parse_day(text, now=now, tz=network.timezone)
    except UserError as error:
        error.example = example
        raise
    return rules.check_review(day, _today(network, now), example)


async def _case(session: AsyncSession, network: Network, code: str, example: str) -> Case:
    case = await store.by_code(session=session, network_id=network.id, code=code)
    if case is None:
        raise UserError(N_("There is no case {code}. See /casos."), example=example, code=code)
    return case


def _may_act_at_all(member: Member, *, is_coordinator: bool) -> None:
    """Before the case is looked up: a member of no reference sector learns nothing of it."""
    own = member.confirmed_sector
    if not is_coordinator and (own is None or not rules.is_reference(own.key)):
        raise UserError(ONLY_REFERENCE, example=rules.SHOW_EXAMPLE)


def _may_act(case: Case, member: Member, *, is_coordinator: bool) -> None:
    """The coordination, or a confirmed representative of the case's reference sector."""
    if is_coordinator:
        return
    if member.confirmed_sector_id is None or member.confirmed_sector_id != case.reference_sector_id:
        raise UserError(ONLY_REFERENCE, example=rules.SHOW_EXAMPLE)


def _may_see(case: Case, member: Member, *, is_coordinator: bool) -> bool:
    """The coordination and the representatives of the sectors involved see the timeline."""
    if is_coordinator:
        return True
    sector = member.confirmed_sector_id
    return sector is not None and (
        sector == case.reference_sector_id or sector in (case.sector_ids or [])
    )


def _event(
    case: Case, kind: EventKind, member: Member | None, now: datetime, **detail: Any
) -> None:
    due = detail.pop("due", None)
    case.events.append(
        CaseEvent(
            kind=kind,
            at=now,
            member_id=member.id if member is not None else None,
            detail=detail,
            due=due,
        )
    )


# --- opening ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Opened:
    case: Case
    reference: Sector
    involved: Sequence[Sector]
    representatives: Sequence[Member]


async def open_case(
    session: AsyncSession,
    network: Network,
    member: Member,
    *,
    is_coordinator: bool,
    now: datetime,
    fields: str | rules.NewCase,
    find: SectorFinder,
) -> Opened:
    """``/caso novo [code |] reference | involved | risk | next review``: no name, no
    personal data (the one screen, on every field); by the coordination or a confirmed
    representative of a CRAS/CREAS naming itself the reference. ``fields`` is the line as
    typed, or its fields gathered one by one (a step-by-step conversation)."""
    check_may_open(member, is_coordinator=is_coordinator)
    own = member.confirmed_sector
    if isinstance(fields, str):
        privacy.screen(fields)
        line = rules.parse_new(fields)
    else:
        for text in (fields.code or "", fields.reference, *fields.involved, fields.review):
            privacy.screen(text)
        line = fields
    sectors = await repo.sectors(session=session, network_id=network.id)
    reference = find(sectors, line.reference)
    if not rules.is_reference(reference.key):
        raise UserError(
            N_("The reference sector of a case is a CRAS or a CREAS, not {sector}."),
            example=rules.NEW_EXAMPLE,
            sector=reference.name,
        )
    if not is_coordinator and own is not None and own.id != reference.id:
        raise UserError(
            N_("You represent {own}: open the case with {own} as its reference sector."),
            example=rules.NEW_EXAMPLE,
            own=own.name,
        )
    involved: list[Sector] = []
    for name in line.involved:
        sector = find(sectors, name)
        if sector.id != reference.id and sector not in involved:
            involved.append(sector)
    review = _review_day(network, now, line.review, rules.NEW_EXAMPLE)
    year = now.astimezone(_tz(network)).year
    taken = await store.taken_codes(session=session, network_id=network.id, year=year)
    if line.code is not None:
        if await store.by_code(session=session, network_id=network.id, code=line.code):
            raise UserError(
                N_("The case {code} already exists: see /caso {code}."),
                example=rules.NEW_EXAMPLE,
                code=line.code,
            )
        code = line.code
    else:
        code = rules.next_code(year, taken)
    case = Case(
        network_id=network.id,
        code=code,
        reference_sector_id=reference.id,
        sector_ids=[s.id for s in involved],
        risk=line.risk,
        next_review=review,
        status=CaseStatus.OPEN,
        opened_by_id=member.id,
        opened_at=now,
        events=[],
    )
    _event(case, EventKind.OPENED, member, now, risk=line.risk, review=review.isoformat())
    session.add(case)
    await session.flush()
    await plan(session, network, case, now)
    people = await repo.representatives(
        session=session, network_id=network.id, sector_ids=[reference.id]
    )
    others = [m for m in people if m.id != member.id]  # the one who opened it knows
    return Opened(case, reference, involved, others)


# --- the follow-up rows ------------------------------------------------------------------


async def plan(session: AsyncSession, network: Network, case: Case, now: datetime) -> None:
    """The reminder on the review day, the overdue notice a week later, and for a high-risk
    case the check for inactivity; a closed case has none."""
    prefix = f"case:{case.id}:"
    if case.status != CaseStatus.OPEN:
        await repo.cancel_scheduled(session=session, network_id=network.id, key_prefix=prefix)
        return
    tz = _tz(network)
    review = case.next_review.isoformat()
    keys = []
    for kind, name, day in (
        (Kind.CASE_REVIEW, "review", case.next_review),
        (Kind.CASE_OVERDUE, "overdue", rules.overdue_day(case.next_review)),
    ):
        key = f"{prefix}{name}:{review}"
        keys.append(key)
        await repo.schedule(
            session=session,
            network_id=network.id,
            key=key,
            kind=kind,
            due_at=max(rules.at_notice_time(day, tz), now),
            payload={"case_id": case.id, "review": review},
        )
    if case.risk == Risk.HIGH:
        keys.append(await _plan_idle(session, network, case, now, now))
    await repo.cancel_scheduled(
        session=session, network_id=network.id, key_prefix=prefix, keep=keys
    )


async def _plan_idle(
    session: AsyncSession, network: Network, case: Case, since: datetime, now: datetime
) -> str:
    due = max(since + timedelta(days=network.case_inactivity_days), now)
    key = f"case:{case.id}:idle:{due.isoformat()}"
    await repo.schedule(
        session=session,
        network_id=network.id,
        key=key,
        kind=Kind.CASE_IDLE,
        due_at=due,
        payload={"case_id": case.id},
    )
    return key


@dataclass(frozen=True)
class Due:
    """A case due for review, and the representatives of its reference sector."""

    case: Case
    reference: Sector | None
    representatives: Sequence[Member]
    meeting: Meeting | None


async def _sector(session: AsyncSession, network: Network, sector_id: int | None) -> Sector | None:
    if sector_id is None:
        return None
    sectors = await repo.sectors(session=session, network_id=network.id, include_removed=True)
    return next((s for s in sectors if s.id == sector_id), None)


async def _next_ordinary(session: AsyncSession, network: Network, now: datetime) -> Meeting | None:
    for meeting in await repo.next_meetings(
        session=session, network_id=network.id, after=now, limit=10
    ):
        if meeting.kind == "ordinary":
            return meeting
    return None


async def _live(session: AsyncSession, payload: dict[str, Any]) -> Case | None:
    """The row's case, if it is still open and still due that day."""
    case = await store.by_id(session=session, case_id=int(payload["case_id"]))
    if case is None or case.status != CaseStatus.OPEN:
        return None
    if "review" in payload and case.next_review.isoformat() != payload["review"]:
        return None
    return case


async def due_reminder(
    session: AsyncSession, network: Network, *, now: datetime, payload: dict[str, Any]
) -> Due | None:
    case = await _live(session, payload)
    if case is None:
        return None
    reference = await _sector(session, network, case.reference_sector_id)
    people = (
        await repo.representatives(
            session=session, network_id=network.id, sector_ids=[reference.id]
        )
        if reference is not None
        else []
    )
    return Due(case, reference, people, await _next_ordinary(session, network, now))


async def overdue(
    session: AsyncSession, network: Network, *, payload: dict[str, Any]
) -> Case | None:
    """The case whose review of ``payload``'s day was never recorded (said once: the row)."""
    return await _live(session, payload)


async def last_activity(
    session: AsyncSession, network: Network, case: Case, now: datetime
) -> datetime:
    """The latest thing done on the case: its own events, an encaminhamento mentioning it
    and its devolutivas, a meeting held with it on the pauta, an ata naming it."""
    instants = [e.at for e in case.events] or [case.opened_at]
    for referral in await store.referrals_of(
        session=session, network_id=network.id, code=case.code
    ):
        instants.append(referral.created_at)
        instants += [d.answered_at for d in referral.owed if d.answered_at is not None]
    for meeting in await store.meetings_of(session=session, network_id=network.id, code=case.code):
        if meeting.starts_at <= now and meeting.status != MeetingStatus.CANCELLED:
            instants.append(meeting.starts_at)
    for ata, _at in await store.atas_of(session=session, network_id=network.id, code=case.code):
        if ata.delivered_at is not None:
            instants.append(ata.delivered_at)
    return max(instants)


async def idle(
    session: AsyncSession, network: Network, *, now: datetime, payload: dict[str, Any]
) -> tuple[Case, datetime] | None:
    """A high-risk case without activity for the network's period, flagged once (until
    something happens on it again); the next check is planned either way."""
    case = await _live(session, payload)
    if case is None or case.risk != Risk.HIGH:
        return None
    last = await last_activity(session, network, case, now)
    days = network.case_inactivity_days
    if not rules.is_idle(last, now, days):
        await _plan_idle(session, network, case, last, now)
        return None
    await _plan_idle(session, network, case, now, now)
    if case.idle_flagged_at is not None and case.idle_flagged_at >= last:
        return None
    case.idle_flagged_at = now
    return case, last


# --- changes -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reviewed:
    case: Case
    late: bool


async def review(
    session: AsyncSession,
    network: Network,
    member: Member,
    *,
    is_coordinator: bool,
    now: datetime,
    args: str,
) -> Reviewed:
    """``/caso revisar CASO-… [próxima revisão dd/mm]`` (30 days ahead when not given)."""
    code, rest = rules.code_arg(args, rules.REVIEW_EXAMPLE)
    _may_act_at_all(member, is_coordinator=is_coordinator)
    case = await _case(session, network, code, rules.REVIEW_EXAMPLE)
    _may_act(case, member, is_coordinator=is_coordinator)
    _open(case, rules.REVIEW_EXAMPLE)
    privacy.screen(rest)
    today = _today(network, now)
    when = rules.review_text(rest)
    nxt = (
        _review_day(network, now, when, rules.REVIEW_EXAMPLE)
        if when
        else today + rules.DEFAULT_INTERVAL
    )
    due = case.next_review
    _event(case, EventKind.REVIEWED, member, now, due=due, next=nxt.isoformat())
    case.next_review = nxt
    await plan(session, network, case, now)
    return Reviewed(case, rules.is_late(today, due))


def _open(case: Case, example: str) -> None:
    if case.status != CaseStatus.OPEN:
        raise UserError(
            N_("The case {code} is closed. Reopen it with /caso reabrir {code}."),
            example=example,
            code=case.code,
        )


async def set_risk(
    session: AsyncSession,
    network: Network,
    member: Member,
    *,
    is_coordinator: bool,
    now: datetime,
    args: str,
) -> tuple[Case, Risk]:
    """``/caso risco CASO-… alto``: the change goes in the timeline."""
    code, rest = rules.code_arg(args, rules.RISK_EXAMPLE)
    _may_act_at_all(member, is_coordinator=is_coordinator)
    risk = rules.parse_risk(rest, rules.RISK_EXAMPLE)
    case = await _case(session, network, code, rules.RISK_EXAMPLE)
    _may_act(case, member, is_coordinator=is_coordinator)
    _open(case, rules.RISK_EXAMPLE)
    before = Risk(case.risk)
    if before == risk:
        raise UserError(
            N_("The case {code} is already at that risk."), example=rules.RISK_EXAMPLE, code=code
        )
    _event(case, EventKind.RISK, member, now, before=before, after=risk)
    case.risk = risk
    await plan(session, network, case, now)
    return case, before


async def close(
    session: AsyncSession,
    network: Network,
    member: Member,
    *,
    is_coordinator: bool,
    now: datetime,
    args: str,
) -> Case:
    """``/caso encerrar CASO-… | motivo``: with a reason from the list, and only when no
    encaminhamento mentioning the code is still open."""
    code, rest = rules.code_arg(args, rules.CLOSE_EXAMPLE)
    _may_act_at_all(member, is_coordinator=is_coordinator)
    if not rest:
        raise UserError(
            N_("Write the code, a |, and why the case is closed."), example=rules.CLOSE_EXAMPLE
        )
    privacy.screen(rest)
    reason, note = rules.parse_close(rest)
    case = await _case(session, network, code, rules.CLOSE_EXAMPLE)
    _may_act(case, member, is_coordinator=is_coordinator)
    _open(case, rules.CLOSE_EXAMPLE)
    still = [
        r.code
        for r in await store.referrals_of(session=session, network_id=network.id, code=case.code)
        if r.status in REFERRAL_OPEN
    ]
    if still:
        raise UserError(
            N_(
                "The case {code} still has open encaminhamentos ({open}): conclude them first "
                "with /concluir."
            ),
            example=f"/concluir {still[0]}",
            code=case.code,
            open=", ".join(still),
        )
    case.status = CaseStatus.CLOSED
    case.close_reason = reason
    case.close_note = note
    case.closed_at = now
    _event(case, EventKind.CLOSED, member, now, reason=reason, note=note)
    await plan(session, network, case, now)
    return case


async def reopen(
    session: AsyncSession,
    network: Network,
    member: Member,
    *,
    is_coordinator: bool,
    now: datetime,
    args: str,
) -> Case:
    """``/caso reabrir CASO-… [próxima revisão dd/mm]``: open again, reviewed from then."""
    code, rest = rules.code_arg(args, rules.REOPEN_EXAMPLE)
    _may_act_at_all(member, is_coordinator=is_coordinator)
    case = await _case(session, network, code, rules.REOPEN_EXAMPLE)
    _may_act(case, member, is_coordinator=is_coordinator)
    if case.status == CaseStatus.OPEN:
        raise UserError(
            N_("The case {code} is open already."), example=rules.SHOW_EXAMPLE, code=code
        )
    privacy.screen(rest)
    when = rules.review_text(rest)
    case.next_review = (
        _review_day(network, now, when, rules.REOPEN_EXAMPLE)
        if when
        else _today(network, now) + rules.DEFAULT_INTERVAL
    )
    case.status = CaseStatus.OPEN
    case.closed_at = None
    case.close_reason = case.close_note = None
    case.idle_flagged_at = None
    _event(case, EventKind.REOPENED, member, now, next=case.next_review.isoformat())
    await plan(session, network, case, now)
    return case


async def configure(session: AsyncSession, network: Network, *, now: datetime, args: str) -> int:
    """``/caso config inatividade 30``: the idle period; high-risk cases are checked anew."""
    network.case_inactivity_days = rules.parse_config(args)
    for case in await store.open_cases(session=session, network_id=network.id):
        if case.risk == Risk.HIGH:
            full = await store.by_id(session=session, case_id=case.id)
            if full is not None:
                await plan(session, network, full, now)
    return network.case_inactivity_days


# --- seeing ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """One line of a timeline: when, what (an EventKind or meeting/referral/devolutiva/ata)."""

    at: datetime
    kind: str
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class View:
    case: Case
    reference: Sector | None
    sectors: Sequence[Sector]
    may_see: bool
    timeline: Sequence[Item]
    asker: Member


def _names(sectors: Sequence[Sector]) -> dict[int, str]:
    return {s.id: s.name for s in sectors}


async def show(
    session: AsyncSession, network: Network, member: Member, *, is_coordinator: bool, code: str
) -> View:
    case = await _case(session, network, code, rules.SHOW_EXAMPLE)
    sectors = await repo.sectors(session=session, network_id=network.id, include_removed=True)
    names = _names(sectors)
    reference = next((s for s in sectors if s.id == case.reference_sector_id), None)
    by_id = {s.id: s for s in sectors}
    involved = [by_id[i] for i in case.sector_ids or [] if i in by_id]  # in the order typed
    may = _may_see(case, member, is_coordinator=is_coordinator)
    items: list[Item] = []
    if may:
        items = await _timeline(session, network, case, names)
    return View(case, reference, involved, may, items, member)


async def _timeline(
    session: AsyncSession, network: Network, case: Case, names: dict[int, str]
) -> list[Item]:
    items = [Item(e.at, e.kind, {**(e.detail or {}), "due": e.due}) for e in case.events]
    for meeting in await store.meetings_of(session=session, network_id=network.id, code=case.code):
        items.append(
            Item(meeting.starts_at, "meeting", {"kind": meeting.kind, "status": meeting.status})
        )
    for referral in await store.referrals_of(
        session=session, network_id=network.id, code=case.code
    ):
        items += _referral_items(referral)
    for ata, at in await store.atas_of(session=session, network_id=network.id, code=case.code):
        items.append(_ata_item(ata, at))
    return sorted(items, key=lambda item: item.at)


def _referral_items(referral: Referral) -> list[Item]:
    items = [
        Item(
            referral.created_at,
            "referral",
            {
                "code": referral.code,
                "sectors": [d.sector.name for d in referral.owed],
                "deadline": referral.deadline,
                "status": referral.status,
            },
        )
    ]
    if referral.status == ReferralStatus.DELETED:
        return items
    for owed in referral.owed:
        if owed.answered_at is not None:
            items.append(
                Item(
                    owed.answered_at,
                    "devolutiva",
                    {"code": referral.code, "sector": owed.sector.name, "text": owed.text or ""},
                )
            )
    return items


def _ata_item(ata: Ata, meeting_at: datetime) -> Item:
    return Item(meeting_at, "ata", {"status": ata.status})


@dataclass(frozen=True)
class Listed:
    case: Case
    reference: str
    sectors: Sequence[str]


async def list_open(session: AsyncSession, network: Network) -> list[Listed]:
    """``/casos``: the open cases, the nearest review first."""
    sectors = await repo.sectors(session=session, network_id=network.id, include_removed=True)
    names = _names(sectors)
    return [
        Listed(
            c,
            names.get(c.reference_sector_id or 0, "—"),
            [names[i] for i in c.sector_ids or [] if i in names],
        )
        for c in await store.open_cases(session=session, network_id=network.id)
    ]


async def due_by_meeting(
    session: AsyncSession, network: Network, now: datetime
) -> tuple[Meeting | None, list[Listed]]:
    """The open cases due for review by the next ordinary meeting (or by today)."""
    meeting = await _next_ordinary(session, network, now)
    until = meeting.starts_at.astimezone(_tz(network)).date() if meeting else _today(network, now)
    due = [c for c in await list_open(session, network) if c.case.next_review <= until]
    return meeting, due


async def year_figures(
    session: AsyncSession, network: Network, year: int, now: datetime
) -> CaseFigures:
    """The annual report's cases section."""
    sectors = await repo.sectors(session=session, network_id=network.id, include_removed=True)
    cases = await store.all_cases(session=session, network_id=network.id)
    return case_figures(cases, _names(sectors), year=year, timezone=network.timezone, now=now)
