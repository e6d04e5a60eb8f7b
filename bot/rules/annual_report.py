"""The annual report's figures from the year's records: pure tallies (seed 000 §6).

``storage.report_queries.year_records`` reads; each function here counts one part of
``bot.reports.AnnualReport``; ``bot.reports`` draws it (PDF, XLSX, CSV).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from bot.errors import UserError
from bot.i18n import N_
from bot.i18n import gettext as _
from bot.rules import dates, numbers
from bot.rules import report_data as reports
from bot.rules.convocation import BASIS_NAMES, Basis
from bot.rules.names import first_upper, kind_name, representative
from bot.rules.status import AtaStatus, MeetingStatus, ReferralStatus
from bot.rules.system_deadlines import Recurring, occurrences_after, period_of

KINDS = ("ordinary", "extraordinary", "working_group")


class Records(Protocol):
    """What ``storage.report_queries.YearRecords`` holds (rows, read as plain objects)."""

    @property
    def meetings(self) -> list[Any]: ...
    @property
    def sectors(self) -> Mapping[int, Any]: ...
    @property
    def members(self) -> Mapping[int, Any]: ...
    @property
    def expected(self) -> Mapping[int, set[int]]: ...
    @property
    def present(self) -> Mapping[int, set[int]]: ...
    @property
    def referrals(self) -> list[Any]: ...
    @property
    def plans(self) -> list[tuple[Any, list[Any]]]: ...
    @property
    def atas(self) -> list[Any]: ...
    @property
    def deadlines(self) -> list[Any]: ...
    @property
    def confirmations(self) -> Mapping[tuple[int, str], set[int]]: ...
    @property
    def approved_atas(self) -> set[int]: ...
    @property
    def flows(self) -> list[tuple[Any, Any, Any | None]]: ...


@dataclass
class _Tally:
    """Devolutivas of one sector in the year."""

    owed: int = 0
    on_time: int = 0
    late: int = 0
    open: int = 0
    closed: int = 0  # the encaminhamento was concluded without this sector's devolutiva
    days: list[float] = field(default_factory=list)


def _past(meeting: Any, now: datetime) -> bool:
    """Not cancelled and already started: it was held, or should have been."""
    return bool(meeting.status == MeetingStatus.SCHEDULED and meeting.starts_at < now)


def _held(meeting: Any, records: Records, now: datetime) -> bool:
    """Seed 000 §6 (registros formais): a meeting counts as held when it has a record —
    a presence list or an approved ata. A past meeting with neither is "without record"."""
    return _past(meeting, now) and (
        meeting.presence is not None or meeting.id in records.approved_atas
    )


def annual_report(
    records: Records, *, network_name: str, year: int, timezone: str, now: datetime
) -> reports.AnnualReport:
    tz = ZoneInfo(timezone)
    today = now.astimezone(tz).date()
    attendance, meeting_rows = _attendance(records, now)
    referral_rows, tallies = _referrals(records.referrals, tz, today)
    with_roles = [
        m for m in records.meetings if _past(m, now) and m.kind in ("ordinary", "extraordinary")
    ]
    return reports.AnnualReport(
        network_name=network_name,
        year=year,
        timezone=timezone,
        generated_at=now,
        kinds=_kinds(records, now),
        extraordinary=_extraordinary(records),
        attendance=attendance,
        referrals_opened=sum(1 for r in records.referrals if r.status != ReferralStatus.DELETED),
        devolutivas_owed=sum(t.owed for t in tallies.values()),
        answered_on_time=sum(t.on_time for t in tallies.values()),
        answered_late=sum(t.late for t in tallies.values()),
        closed_unanswered=sum(t.closed for t in tallies.values()),
        still_open=sum(t.open for t in tallies.values()),
        devolutivas=_devolutivas(tallies),
        plans=_plans(records.plans, today),
        atas_meetings=len(with_roles),
        atas_delivered=sum(
            1 for a in records.atas if a.status in (AtaStatus.DELIVERED, AtaStatus.APPROVED)
        ),
        atas_approved=sum(1 for a in records.atas if a.status == AtaStatus.APPROVED),
        deadlines=[
            compliance
            for item in records.deadlines
            if (compliance := _compliance(item, records.confirmations, year, today, tz))
        ],
        meetings=meeting_rows,
        referrals=referral_rows,
        flows=flow_rows(records, tz),
    )


def flow_rows(records: Records, tz: ZoneInfo) -> list[reports.FlowRow]:
    """Issue 15: the flow documents' versions approved in the year, with the meeting that
    approved each, in the order of their approval."""
    rows = []
    for version, document, meeting in sorted(records.flows, key=lambda f: f[0].approved_at):
        sector = records.sectors.get(document.sector_id)
        where = "—"
        if meeting is not None:
            day = dates.format_date(meeting.starts_at.astimezone(tz).date(), with_year=True)
            where = _("{kind} of {day}").format(kind=first_upper(kind_name(meeting.kind)), day=day)
        rows.append(
            reports.FlowRow(
                document=document.name,
                version=version.number,
                sector=sector.name if sector is not None else "—",
                meeting=where,
                meeting_at=meeting.starts_at if meeting is not None else None,
                approved_at=version.approved_at,
            )
        )
    return rows


def _kinds(records: Records, now: datetime) -> list[reports.KindCount]:
    counts = []
    for kind in KINDS:
        meetings = [m for m in records.meetings if m.kind == kind]
        held = sum(1 for m in meetings if _held(m, records, now))
        counts.append(
            reports.KindCount(
                kind=first_upper(kind_name(kind)),
                planned=len(meetings),
                held=held,
                unrecorded=sum(1 for m in meetings if _past(m, now)) - held,
                cancelled=sum(1 for m in meetings if m.status == MeetingStatus.CANCELLED),
            )
        )
    return counts


def _extraordinary(records: Records) -> list[reports.ExtraordinaryRow]:
    rows = []
    for m in records.meetings:
        if m.kind != "extraordinary":
            continue
        who = records.members.get(m.convened_by_id or 0)
        sector = records.sectors.get(m.convened_by_sector_id or 0)
        if who is None and sector is not None:  # the person erased their data
            convened_by = representative(sector.name)
        else:
            convened_by = " — ".join(
                x for x in (sector.name if sector else "", who.name if who else "") if x
            )
        rows.append(
            reports.ExtraordinaryRow(
                starts_at=m.starts_at,
                place=m.place,
                agenda=m.topic,
                convened_by=convened_by or "—",
                basis=_(BASIS_NAMES[Basis(m.basis)]) if m.basis else "—",
                justification=m.justification or "",
                cancelled=m.status == MeetingStatus.CANCELLED,
            )
        )
    return rows


def _attendance(
    records: Records, now: datetime
) -> tuple[list[reports.SectorAttendance], list[reports.MeetingRow]]:
    """Per sector: meetings expected and attended (where a presence list was taken)."""
    expected_count: dict[int, int] = defaultdict(int)
    present_count: dict[int, int] = defaultdict(int)
    rows = []
    for m in records.meetings:
        expected = records.expected.get(m.id, set()) & records.sectors.keys()
        present = records.present.get(m.id, set()) & expected
        for sector_id in expected:
            expected_count[sector_id] += 1
            present_count[sector_id] += sector_id in present
        rows.append(
            reports.MeetingRow(
                starts_at=m.starts_at,
                kind=first_upper(kind_name(m.kind)),
                place=m.place,
                topic=m.topic,
                status=_meeting_status(m, records, now),
                sectors_present=len(present),
                sectors_expected=len(expected),
            )
        )
    per_sector = sorted(
        (
            reports.SectorAttendance(
                sector=records.sectors[s].name,
                expected=expected_count[s],
                present=present_count[s],
            )
            for s in expected_count
        ),
        key=lambda a: a.sector,
    )
    return per_sector, rows


def _meeting_status(meeting: Any, records: Records, now: datetime) -> str:
    if meeting.status == MeetingStatus.CANCELLED:
        return _("cancelled")
    if not _past(meeting, now):
        return _("scheduled")
    return _("held") if _held(meeting, records, now) else _("without record")


def _referrals(
    referrals: Iterable[Any], tz: ZoneInfo, today: date
) -> tuple[list[reports.ReferralRow], dict[str, _Tally]]:
    tallies: dict[str, _Tally] = defaultdict(_Tally)
    rows = []
    for referral in referrals:
        for owed in referral.owed:
            due = owed.deadline or referral.deadline
            if referral.status == ReferralStatus.DELETED:
                status = _deleted(referral, tz)  # listed for the record, counted nowhere
            else:
                status = _count(tallies[owed.sector.name], referral, owed, due, tz, today)
            rows.append(
                reports.ReferralRow(
                    code=referral.code,
                    created_at=referral.created_at,
                    description=referral.description,
                    sector=owed.sector.name,
                    deadline=due,
                    answered_at=owed.answered_at,
                    status=status,
                )
            )
    return rows, tallies


def _deleted(referral: Any, tz: ZoneInfo) -> str:
    day = referral.deleted_at.astimezone(tz).date() if referral.deleted_at else None
    return _("deleted on {day} (registered by mistake: {reason})").format(
        day=dates.format_date(day, with_year=True) if day else "—",
        reason=referral.deleted_reason or "—",
    )


def _count(tally: _Tally, referral: Any, owed: Any, due: date, tz: ZoneInfo, today: date) -> str:
    """Count one devolutiva in its sector's tally; its status as the report shows it."""
    tally.owed += 1
    if owed.answered_at is None and referral.status == ReferralStatus.CONCLUDED:
        tally.closed += 1
        return _("concluded without feedback")
    if owed.answered_at is None:
        tally.open += 1
        return _("open, overdue") if due < today else _("open")
    tally.days.append((owed.answered_at - referral.created_at).total_seconds() / 86400)
    if owed.answered_at.astimezone(tz).date() <= due:
        tally.on_time += 1
        return _("on time")
    tally.late += 1
    return _("late")


def _devolutivas(tallies: Mapping[str, _Tally]) -> list[reports.SectorDevolutivas]:
    return [
        reports.SectorDevolutivas(
            sector=name,
            owed=t.owed,
            on_time=t.on_time,
            late=t.late,
            open=t.open,
            closed=t.closed,
            mean_days=statistics.fmean(t.days) if t.days else None,
            median_days=statistics.median(t.days) if t.days else None,
        )
        for name, t in sorted(tallies.items())
    ]


def _plans(plans: Iterable[tuple[Any, list[Any]]], today: date) -> list[reports.PlanProgress]:
    return [
        reports.PlanProgress(
            name=plan.name,
            total=len(tasks),
            done=sum(1 for t in tasks if t.status == ReferralStatus.CONCLUDED),
            overdue=sum(
                1 for t in tasks if t.status != ReferralStatus.CONCLUDED and t.deadline < today
            ),
        )
        for plan, tasks in plans
    ]


def _compliance(
    item: Any,
    confirmations: Mapping[tuple[int, str], set[int]],
    year: int,
    today: date,
    tz: ZoneInfo,
) -> reports.DeadlineCompliance | None:
    """Periods owed and confirmed by the deadline's sectors, from the day the network
    started following it up to today; None when nothing of it fell due in the year."""
    owed = met = 0
    since = item.created_at.astimezone(tz).date()
    for due in _due_dates(item, year, today, since):
        done = confirmations.get((item.id, period_of(item, due)), set())
        owed += len(item.sector_ids)
        met += len(done & set(item.sector_ids))
    if owed == 0:
        return None
    return reports.DeadlineCompliance(name=item.name, expected=owed, confirmed=met)


def _due_dates(item: Recurring, year: int, today: date, since: date) -> list[date]:
    days = []
    day = max(date(year, 1, 1), since)
    last = min(today, date(year, 12, 31))
    while day <= last:
        due = occurrences_after(item, day)
        if due > last:
            break
        days.append(due)
        day = due + timedelta(days=1)
    return days


# --- /relatorio's arguments -----------------------------------------------------------

REPORT_EXAMPLE = "/relatorio 2026 pdf  ·  /relatorio 2026 xlsx  ·  /relatorio mes"
MONTH_WORDS = {"mes", "mês"}


@dataclass(frozen=True)
class ReportRequest:
    """What /relatorio asks for: the month so far, or a year in one format."""

    month: bool
    year: int
    fmt: str


def parse_request(args: str, *, this_year: int, formats: Collection[str]) -> ReportRequest:
    """ "mes" → the month so far; "2026 xlsx" (either order, both optional) → that year in
    that format (this year, PDF by default)."""
    words = args.lower().split()
    if words and words[0] in MONTH_WORDS:
        return ReportRequest(month=True, year=this_year, fmt="pdf")
    year, fmt = this_year, "pdf"
    for word in words:
        if (typed := numbers.year(word)) is not None:
            year = typed
        elif word in formats:
            fmt = word
        else:
            raise UserError(N_("I did not understand {word!r}."), example=REPORT_EXAMPLE, word=word)
    return ReportRequest(month=False, year=year, fmt=fmt)
