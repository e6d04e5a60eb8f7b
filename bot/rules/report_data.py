"""The annual report's plain data (seed 000 §6): what is counted, not how it is drawn.

``bot.rules.annual_report`` fills it from the year's records; ``bot.reports`` draws it
(PDF, XLSX, CSV).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True)
class KindCount:
    """The meetings of one kind in the year."""

    kind: str  # already translated: "Reunião ordinária"
    planned: int
    held: int  # with a presence list or an approved ata
    unrecorded: int  # past, not cancelled, with neither: "sem registro"
    cancelled: int


@dataclass(frozen=True)
class ExtraordinaryRow:
    """An extraordinary meeting with why and by whom it was convened."""

    starts_at: datetime  # aware
    place: str
    agenda: str
    convened_by: str
    basis: str  # the rule or request it was convened under
    justification: str
    cancelled: bool


@dataclass(frozen=True)
class SectorAttendance:
    """How many meetings a sector was expected at and was present at."""

    sector: str
    expected: int
    present: int


@dataclass(frozen=True)
class SectorDevolutivas:
    """The devolutivas (feedback on referrals) a sector owed in the year."""

    sector: str
    owed: int
    on_time: int
    late: int
    open: int
    closed: int  # the encaminhamento was concluded without this sector's devolutiva
    mean_days: float | None  # days from the encaminhamento to the devolutiva
    median_days: float | None


@dataclass(frozen=True)
class PlanProgress:
    """The actions of one action plan."""

    name: str
    total: int
    done: int
    overdue: int


@dataclass(frozen=True)
class DeadlineCompliance:
    """A reporting deadline of the systems (CadÚnico, RMA ...), in sector-periods."""

    name: str
    expected: int
    confirmed: int


@dataclass(frozen=True)
class MeetingRow:
    """One meeting of the year, for the spreadsheet."""

    starts_at: datetime  # aware
    kind: str  # already translated
    place: str
    topic: str
    status: str  # already translated: "realizada", "cancelada" ...
    sectors_present: int
    sectors_expected: int


@dataclass(frozen=True)
class ReferralRow:
    """One (referral, owing sector) pair, for the spreadsheet."""

    code: str
    created_at: datetime  # aware
    description: str
    sector: str
    deadline: date
    answered_at: datetime | None  # aware
    status: str  # already translated: "no prazo" / "atrasada" / "em aberto"


@dataclass(frozen=True)
class FlowRow:
    """A flow or protocol document's version approved in the year (issue 15)."""

    document: str
    version: int
    sector: str  # the responsible sector, or "—"
    meeting: str  # already translated: "Reunião extraordinária de 24/11/2026", or "—"
    meeting_at: datetime | None  # aware: when the approving meeting began
    approved_at: datetime  # aware


@dataclass(frozen=True)
class CaseRow:
    """One case followed in the year (codes only; labels already translated)."""

    code: str
    reference: str
    sectors: str
    risk: str
    opened_at: datetime  # aware
    closed_at: datetime | None  # aware
    status: str
    reason: str
    reviews_on_time: int
    reviews_late: int


@dataclass(frozen=True)
class CaseFigures:
    """The cases section (issue 15): opened, closed, by reference sector and risk, the
    mean time open of the cases closed, and the reviews on time and late."""

    opened: int
    closed: int
    followed: int  # open at some time in the year
    by_reference: list[tuple[str, int, int]]  # (sector, opened in the year, closed in it)
    by_risk: list[tuple[str, int]]  # (risk, cases followed)
    mean_days_open: float | None  # of the cases closed in the year
    reviews_on_time: int
    reviews_late: int
    reviews_overdue: int  # open cases whose review is overdue now
    rows: list[CaseRow]


@dataclass(frozen=True)
class AnnualReport:
    """Everything in the annual report of one network and year."""

    network_name: str
    year: int
    timezone: str  # the network's IANA zone
    generated_at: datetime  # aware
    kinds: list[KindCount]
    extraordinary: list[ExtraordinaryRow]
    attendance: list[SectorAttendance]
    referrals_opened: int  # encaminhamentos of the year (one may owe several devolutivas)
    devolutivas_owed: int  # one per (encaminhamento, sector)
    answered_on_time: int
    answered_late: int
    closed_unanswered: int  # concluded by the coordination without that devolutiva
    still_open: int
    devolutivas: list[SectorDevolutivas]
    plans: list[PlanProgress]
    atas_meetings: int  # meetings that have (or owe) an ata
    atas_delivered: int
    atas_approved: int
    deadlines: list[DeadlineCompliance]
    meetings: list[MeetingRow]
    referrals: list[ReferralRow]
    # The flows and protocols updated in the year, with their approving meetings.
    flows: list[FlowRow] = field(default_factory=list)
    # The cases section (issue 15), filled by bot.services.cases.year_figures.
    cases: CaseFigures | None = None

    def is_empty(self) -> bool:
        """No meetings, referrals, action plans or cases: nothing to report."""
        followed = self.cases is not None and self.cases.followed > 0
        return not self.meetings and not self.referrals and not self.plans and not followed
