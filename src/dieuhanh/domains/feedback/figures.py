"""The centre's figures on citizen feedback, written as indicator values (the feedback
pack's ``FEEDBACK_*`` indicators) so that dashboards, comparisons with last year and the
monthly briefing treat them like any other figure.

For the home province and each month asked for: reports submitted in the month, those
answered (and on time: before their resolve deadline), the reporters' ratings (sum and
count: the satisfaction is their quotient, a formula indicator), and the reports open and
overdue at the end of the month (for the running month: now). Every value is a count the
centre knows exactly, so a month without reports is a zero, not a missing value.

Written through the ingestion service, with an idempotency key derived from the values: an
hourly run that finds the same figures writes nothing; changed figures become revisions.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime, time

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from dieuhanh.core.periods import Period, PeriodType
from dieuhanh.core.security import Actor
from dieuhanh.core.workdays import WorkCalendar
from dieuhanh.domains.feedback.models import Report
from dieuhanh.domains.feedback.schemas import OPEN_STATUSES
from dieuhanh.domains.indicators import service as indicators
from dieuhanh.domains.units import service as units

SOURCE = "feedback"


def _bounds(period: Period, calendar: WorkCalendar) -> tuple[datetime, datetime]:
    return (
        datetime.combine(period.start, time.min, tzinfo=calendar.tz),
        datetime.combine(period.end, time.max, tzinfo=calendar.tz),
    )


def month_figures(
    db: Session, province: str, period: Period, calendar: WorkCalendar, now: datetime
) -> dict[str, float]:
    """The month's figures for the province (see the module notes)."""
    unit = units.get_unit(db=db, code=province, hierarchy=units.CURRENT)
    inside = Report.unit_id.in_(units.subtree_ids_select(unit.id))
    first, last = _bounds(period, calendar)
    in_month = and_(inside, Report.submitted_at >= first, Report.submitted_at <= last)
    received, answered, on_time, rated, rating_sum = db.execute(
        select(
            func.count(),
            func.count(Report.answered_at),
            func.sum(case((Report.answered_at <= Report.resolve_due, 1), else_=0)),
            func.count(Report.satisfaction),
            func.sum(Report.satisfaction),
        ).where(in_month)
    ).one()
    end = min(last, now)
    overdue = db.scalar(
        select(func.count()).where(
            inside,
            Report.submitted_at <= end,
            Report.status.in_(OPEN_STATUSES),
            or_(Report.due_at < end, Report.overdue.is_(True)),
        )
    )
    return {
        "FEEDBACK_RECEIVED": float(received or 0),
        "FEEDBACK_ANSWERED": float(answered or 0),
        "FEEDBACK_ANSWERED_ON_TIME": float(on_time or 0),
        "FEEDBACK_RATED": float(rated or 0),
        "FEEDBACK_RATING_SUM": float(rating_sum or 0),
        "FEEDBACK_OVERDUE": float(overdue or 0),
    }


def publish(
    db: Session,
    actor: Actor,
    *,
    province: str,
    periods: Sequence[Period],
    calendar: WorkCalendar,
    now: datetime,
) -> int:
    """Write the figures of ``periods``; returns how many values were new or changed."""
    rows = []
    for period in periods:
        for code, value in month_figures(db, province, period, calendar, now).items():
            rows.append(
                indicators.ObservationIn(
                    indicator=code, unit=province, period=str(period), value=value
                )
            )
    digest = hashlib.sha256(
        json.dumps([r.model_dump() for r in rows], sort_keys=True).encode()
    ).hexdigest()[:24]
    batch = indicators.ingest_rows(
        db=db,
        actor=actor,
        rows=rows,
        source=SOURCE,
        idempotency_key=f"feedback-figures-{province}-{digest}",
    )
    return 0 if batch.replayed else batch.inserted + batch.updated


def recent_months(now: datetime, calendar: WorkCalendar) -> list[Period]:
    """This month and the previous one (an answer late in a month changes both)."""
    current = Period.containing(PeriodType.MONTH, now.astimezone(calendar.tz).date())
    return [current.previous(), current]
