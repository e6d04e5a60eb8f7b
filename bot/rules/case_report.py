"""The annual report's cases section (issue 15), counted from the cases and their events."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.i18n import gettext as _
from bot.rules.cases import CLOSE_NAMES, GRACE, RISK_NAMES, CaseStatus, CloseReason, EventKind, Risk
from bot.rules.report_data import CaseFigures, CaseRow


def _day(instant: datetime, tz: ZoneInfo) -> date:
    return instant.astimezone(tz).date()


def _active(case: Any, year: int, tz: ZoneInfo) -> bool:
    """Opened by the end of ``year`` and not closed before it began."""
    if _day(case.opened_at, tz).year > year:
        return False
    closed = case.closed_at
    return closed is None or _day(closed, tz).year >= year


def case_figures(
    cases: Sequence[Any], names: Mapping[int, str], *, year: int, timezone: str, now: datetime
) -> CaseFigures:
    """``cases``: rows with their ``events`` (storage.models.Case)."""
    tz = ZoneInfo(timezone)
    today = _day(now, tz)
    followed = [c for c in cases if _active(c, year, tz)]
    opened = [c for c in followed if _day(c.opened_at, tz).year == year]
    closed_ids: set[int] = set()
    durations: list[float] = []
    on_time = late = 0
    rows = []
    by_reference: dict[str, list[int]] = {}
    for case in followed:
        reference = names.get(case.reference_sector_id or 0, "—")
        counts = by_reference.setdefault(reference, [0, 0])
        counts[0] += int(case in opened)
        case_on_time = case_late = 0
        for event in case.events:
            if _day(event.at, tz).year != year:
                continue
            if event.kind == EventKind.REVIEWED and event.due is not None:
                if _day(event.at, tz) > event.due:
                    case_late += 1
                else:
                    case_on_time += 1
            if event.kind == EventKind.CLOSED and case.id not in closed_ids:
                closed_ids.add(case.id)
                counts[1] += 1
        on_time += case_on_time
        late += case_late
        if case.id in closed_ids and case.closed_at is not None:
            durations.append((case.closed_at - case.opened_at).total_seconds() / 86400)
        rows.append(_row(case, reference, names, case_on_time, case_late))
    overdue = sum(
        1
        for c in followed
        if c.status == CaseStatus.OPEN and c.next_review + GRACE < today and today.year == year
    )
    risks = Counter(Risk(c.risk) for c in followed)
    return CaseFigures(
        opened=len(opened),
        closed=len(closed_ids),
        followed=len(followed),
        by_reference=sorted((n, o, c) for n, (o, c) in by_reference.items()),
        by_risk=[(_(RISK_NAMES[r]), risks[r]) for r in Risk if risks[r]],
        mean_days_open=sum(durations) / len(durations) if durations else None,
        reviews_on_time=on_time,
        reviews_late=late,
        reviews_overdue=overdue,
        rows=rows,
    )


def _row(case: Any, reference: str, names: Mapping[int, str], on_time: int, late: int) -> CaseRow:
    reason = ""
    if case.close_reason:
        reason = _(CLOSE_NAMES.get(CloseReason(case.close_reason), CLOSE_NAMES[CloseReason.OTHER]))
        if case.close_note:
            reason += f": {case.close_note}"
    return CaseRow(
        code=case.code,
        reference=reference,
        sectors=", ".join(names[i] for i in case.sector_ids or [] if i in names),
        risk=_(RISK_NAMES[Risk(case.risk)]),
        opened_at=case.opened_at,
        closed_at=case.closed_at if case.status == CaseStatus.CLOSED else None,
        status=_("open") if case.status == CaseStatus.OPEN else _("closed"),
        reason=reason,
        reviews_on_time=on_time,
        reviews_late=late,
    )
