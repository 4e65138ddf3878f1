"""The monthly briefing for the People's Committee meeting: what it says, as data.

Sections, in the order a chairperson reads them: the headline indicators against the year's
plan; the biggest movers against the same period last year; the agencies late with their
data; citizen feedback in the month (received, answered on time, overdue now, satisfaction,
the agencies with the most overdue reports). Cases and alerts join when that component lands
(``pending`` lists them so the document says so instead of silently leaving them out).
The figures come from the indicators engine's overview and the feedback figures, the same
numbers the dashboards show. Rendering to PDF (A4, with charts) is the web layer's job
(``web/briefing.py``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, time

from sqlalchemy import select
from sqlalchemy.orm import Session

from dieuhanh.core.db import utcnow
from dieuhanh.core.errors import ProblemError
from dieuhanh.core.i18n import N_, format_number, gettext
from dieuhanh.core.periods import Period, PeriodError, label
from dieuhanh.core.security import Actor, allowed
from dieuhanh.core.workdays import WorkCalendar
from dieuhanh.domains.dashboards.catalog import READ, require_action
from dieuhanh.domains.dashboards.models import BriefingDelivery
from dieuhanh.domains.feedback import service as feedback
from dieuhanh.domains.indicators import service as indicators

MOVERS = 5
PENDING_SECTIONS = (N_("Open and overdue cases"), N_("Alerts"))
FEEDBACK_AGENCIES = 5
UNKNOWN_AGENCY = N_("No owner agency")


@dataclass(frozen=True)
class HeadlineRow:
    code: str
    name: str
    period_label: str
    value_text: str
    measure_unit: str
    ytd_text: str
    plan_text: str
    progress: float | None  # year to date / plan
    progress_text: str
    status_text: str
    colour: str
    change_text: str


@dataclass(frozen=True)
class Mover:
    code: str
    name: str
    percent: float
    percent_text: str
    value_text: str
    previous_text: str


@dataclass(frozen=True)
class LateAgency:
    agency: str
    late: list[str]
    missing: list[str]


@dataclass(frozen=True)
class FeedbackAgency:
    agency: str
    received: int
    answered_text: str  # "12 (10 đúng hạn)"
    overdue: int


@dataclass(frozen=True)
class FeedbackSection:
    received: int
    answered: int
    on_time_text: str
    overdue_now: int
    satisfaction_text: str
    agencies: list[FeedbackAgency]


@dataclass
class Briefing:
    unit_code: str
    unit_name: str
    period: str
    period_label: str
    generated_at: datetime
    locale: str
    headline: list[HeadlineRow] = field(default_factory=list)
    rising: list[Mover] = field(default_factory=list)
    falling: list[Mover] = field(default_factory=list)
    late: list[LateAgency] = field(default_factory=list)
    feedback: FeedbackSection | None = None
    pending: list[str] = field(default_factory=list)


def _number(value: float | None, decimals: int, locale: str) -> str:
    return "–" if value is None else format_number(value, locale, decimals)


def _percent(value: float | None, locale: str, signed: bool = False) -> str:
    if value is None:
        return "–"
    text = format_number(value, locale, 1) + "%"
    return ("+" + text) if signed and value > 0 else text


def build_briefing(
    *,
    db: Session,
    actor: Actor,
    unit: str,
    period: str,
    calendar: WorkCalendar,
    component: str | None = None,
    locale: str = "vi",
) -> Briefing:
    """Everything the briefing says about ``unit`` for the month ``period``."""
    require_action(actor, READ)
    try:
        when = Period.parse(period)
    except PeriodError as exc:
        raise ProblemError("invalid_period", detail=str(exc)) from None
    overview = indicators.overview(
        db=db,
        actor=actor,
        unit=unit,
        period=str(when),
        calendar=calendar,
        component=component,
        locale=locale,
    )
    found = Briefing(
        unit_code=overview.unit.code,
        unit_name=overview.unit.name,
        period=str(when),
        period_label=label(when, locale),
        generated_at=utcnow(),
        locale=locale,
        pending=[gettext(s, locale) for s in PENDING_SECTIONS],
    )
    movers: list[Mover] = []
    late: dict[str, LateAgency] = {}
    owners = {
        i.code: i.owner_agency_name
        for i in indicators.list_indicators(db=db, component=component, limit=1000)[0]
    }
    for item in overview.items:
        ref = item.indicator
        progress = item.progress
        headline_value = item.ytd if item.ytd is not None else item.cell
        if item.cell.value is not None or (progress and progress.target is not None):
            found.headline.append(
                HeadlineRow(
                    code=ref.code,
                    name=ref.name,
                    period_label=item.label,
                    value_text=_number(item.cell.value, ref.decimals, locale),
                    measure_unit=ref.measure_unit,
                    ytd_text=_number(headline_value.value, ref.decimals, locale),
                    plan_text=_number(progress.target if progress else None, ref.decimals, locale),
                    progress=progress.progress if progress else None,
                    progress_text=_percent(
                        progress.progress * 100 if progress and progress.progress else None,
                        locale,
                    ),
                    status_text=progress.status_text if progress else "",
                    colour=progress.colour if progress else "grey",
                    change_text=_percent(
                        item.change.percent if item.change else None, locale, signed=True
                    ),
                )
            )
        change = item.change
        if change is not None and change.percent is not None and item.cell.value is not None:
            movers.append(
                Mover(
                    code=ref.code,
                    name=ref.name,
                    percent=change.percent,
                    percent_text=_percent(change.percent, locale, signed=True),
                    value_text=_number(item.cell.value, ref.decimals, locale),
                    previous_text=_number(change.previous, ref.decimals, locale),
                )
            )
        if item.freshness in ("late", "missing"):
            agency = owners.get(ref.code) or gettext(UNKNOWN_AGENCY, locale)
            entry = late.setdefault(agency, LateAgency(agency, [], []))
            (entry.late if item.freshness == "late" else entry.missing).append(ref.name)
    movers.sort(key=lambda m: m.percent, reverse=True)
    found.rising = [m for m in movers if m.percent > 0][:MOVERS]
    found.falling = sorted((m for m in movers if m.percent < 0), key=lambda m: m.percent)[:MOVERS]
    found.late = sorted(late.values(), key=lambda a: (-len(a.late) - len(a.missing), a.agency))
    found.feedback = _feedback(db, actor, found.unit_code, when, calendar, locale)
    return found


def _feedback(
    db: Session, actor: Actor, unit: str, when: Period, calendar: WorkCalendar, locale: str
) -> FeedbackSection | None:
    """Citizen reports submitted in the month (None for a reader who may not see them)."""
    if not allowed(actor, "feedback.read"):
        return None
    figures = feedback.feedback_stats(
        db=db,
        actor=actor,
        calendar=calendar,
        unit=unit,
        start=datetime.combine(when.start, time.min, tzinfo=calendar.tz),
        end=datetime.combine(when.end, time.max, tzinfo=calendar.tz),
    )
    answered = sum(a.answered for a in figures.agencies)
    on_time = sum(a.answered_on_time for a in figures.agencies)
    worst = sorted(figures.agencies, key=lambda a: (-a.overdue_now, -a.received, a.agency))
    return FeedbackSection(
        received=figures.total,
        answered=answered,
        on_time_text=_percent(on_time / answered * 100 if answered else None, locale),
        overdue_now=figures.overdue_now,
        satisfaction_text=_number(figures.satisfaction, 1, locale),
        agencies=[
            FeedbackAgency(
                agency=a.agency_name,
                received=a.received,
                answered_text=f"{a.answered} ({a.answered_on_time})",
                overdue=a.overdue_now,
            )
            for a in worst[:FEEDBACK_AGENCIES]
        ],
    )


def counts_by_colour(briefing: Briefing) -> dict[str, int]:
    """How many headline indicators are on track (green), at risk (amber), behind (red)."""
    counts: dict[str, int] = defaultdict(int)
    for row in briefing.headline:
        counts[row.colour] += 1
    return dict(counts)


# --- deliveries --------------------------------------------------------------------------------


def delivered(*, db: Session, unit: str, period: str) -> bool:
    """Whether this briefing was already sent (the monthly job runs every hour)."""
    found = db.scalar(
        select(BriefingDelivery.id).where(
            BriefingDelivery.unit_code == unit, BriefingDelivery.period == period
        )
    )
    return found is not None


def record_delivery(
    *, db: Session, unit: str, period: str, recipients: list[str], size: int
) -> None:
    db.add(
        BriefingDelivery(
            unit_code=unit, period=period, recipients=recipients, bytes=size, sent_at=utcnow()
        )
    )
    db.flush()
