"""Figures for the operations centre: reports by status, category, unit and agency; each
agency's on-time rates; average working time to accept and to resolve; satisfaction; what
is overdue now. Counted in the database (``GROUP BY``), over the reports submitted in a time
range inside a unit's subtree, and scoped like the staff list (an agency officer's figures
are their agency's).

On time means: accepted before ``accept_due``, answered before ``resolve_due`` (both as they
stood, extensions granted included). Working times use the province's calendar, so a
report filed on Friday evening and accepted on Monday morning took minutes, not days.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, func
from sqlalchemy.orm import Session

from dieuhanh.core.http import Schema
from dieuhanh.core.workdays import WorkCalendar
from dieuhanh.domains.feedback.models import Category, Report
from dieuhanh.domains.feedback.schemas import OPEN_STATUSES
from dieuhanh.domains.units import service as units


class AgencyFigures(Schema):
    agency: str
    agency_name: str
    received: int
    accepted: int
    accepted_on_time: int
    answered: int
    answered_on_time: int
    overdue_now: int
    on_time_rate: float | None
    avg_hours_to_accept: float | None
    avg_hours_to_answer: float | None
    satisfaction: float | None


class FeedbackStats(Schema):
    total: int
    by_status: dict[str, int]
    by_category: dict[str, int]
    by_channel: dict[str, int]
    by_unit: dict[str, int]
    agencies: list[AgencyFigures]
    overdue_now: int
    satisfaction: float | None
    avg_hours_to_accept: float | None
    avg_hours_to_answer: float | None


def _count(db: Session, base: Select[Any], column: Any) -> dict[str, int]:
    rows = db.execute(
        base.with_only_columns(column, func.count()).group_by(column).order_by(column)
    )
    return {str(key): int(n) for key, n in rows if key is not None}


def compute(
    db: Session,
    base: Select[Any],
    calendar: WorkCalendar,
) -> FeedbackStats:
    """``base`` selects the reports in range and scope, joined to their category."""
    total = db.scalar(base.with_only_columns(func.count())) or 0
    by_category = _count(db, base, Category.code)  # ``base`` joins the category
    by_unit_ids = _count(db, base, Report.unit_id)
    codes = units.units_by_ids(db=db, unit_ids={int(k) for k in by_unit_ids})
    by_unit = {codes[int(k)].code: n for k, n in by_unit_ids.items() if int(k) in codes}
    rows = db.execute(
        base.with_only_columns(
            Report.agency_id,
            Report.submitted_at,
            Report.accepted_at,
            Report.accept_due,
            Report.answered_at,
            Report.resolve_due,
            Report.overdue,
            Report.status,
            Report.satisfaction,
        )
    ).all()
    per: dict[int | None, _Tally] = defaultdict(_Tally)
    for r in rows:
        per[r.agency_id].add(r, calendar)
    names = units.units_by_ids(db=db, unit_ids={a for a in per if a is not None})
    agencies = [
        tally.figures(names[agency_id])
        for agency_id, tally in sorted(per.items(), key=lambda kv: -kv[1].received)
        if agency_id is not None and agency_id in names
    ]
    every = [x for tally in per.values() for x in tally.ratings]
    return FeedbackStats(
        total=int(total),
        by_status=_count(db, base, Report.status),
        by_category=by_category,
        by_channel=_count(db, base, Report.channel),
        by_unit=by_unit,
        agencies=agencies,
        overdue_now=sum(t.overdue_now for t in per.values()),
        satisfaction=_mean([float(x) for x in every]),
        avg_hours_to_accept=_mean([x for t in per.values() for x in t.to_accept]),
        avg_hours_to_answer=_mean([x for t in per.values() for x in t.to_answer]),
    )


@dataclass
class _Tally:
    """One agency's reports, counted as they are read."""

    received: int = 0
    accepted: int = 0
    accepted_on_time: int = 0
    answered: int = 0
    answered_on_time: int = 0
    overdue_now: int = 0
    to_accept: list[float] = field(default_factory=list)
    to_answer: list[float] = field(default_factory=list)
    ratings: list[int] = field(default_factory=list)

    def add(self, r: Any, calendar: WorkCalendar) -> None:
        self.received += 1
        if r.accepted_at is not None:
            self.accepted += 1
            self.accepted_on_time += r.accepted_at <= r.accept_due
            worked = calendar.working_time_between(r.submitted_at, r.accepted_at)
            self.to_accept.append(worked.total_seconds() / 3600)
        if r.answered_at is not None:
            self.answered += 1
            self.answered_on_time += r.resolve_due is not None and r.answered_at <= r.resolve_due
            worked = calendar.working_time_between(r.accepted_at or r.submitted_at, r.answered_at)
            self.to_answer.append(worked.total_seconds() / 3600)
        if r.overdue and r.status in OPEN_STATUSES:
            self.overdue_now += 1
        if r.satisfaction is not None:
            self.ratings.append(int(r.satisfaction))

    def figures(self, agency: Any) -> AgencyFigures:
        return AgencyFigures(
            agency=agency.code,
            agency_name=agency.name,
            received=self.received,
            accepted=self.accepted,
            accepted_on_time=self.accepted_on_time,
            answered=self.answered,
            answered_on_time=self.answered_on_time,
            overdue_now=self.overdue_now,
            on_time_rate=round(self.answered_on_time / self.answered, 4) if self.answered else None,
            avg_hours_to_accept=_mean(self.to_accept),
            avg_hours_to_answer=_mean(self.to_answer),
            satisfaction=_mean([float(x) for x in self.ratings]),
        )


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 2) if values else None
