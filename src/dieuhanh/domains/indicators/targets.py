"""Targets: progress toward the year's plan, projection to year end, status and colour.

A plan is annual (``month`` 0) or phased by month (1–12); without an annual row the year's
plan is the phased months combined by the indicator's ``agg_time`` (all twelve needed).

* **Progress** = actual year to date (by ``agg_time``: the cumulative sum of a flow, the
  latest value of a stock or rate) / the year's plan; with a phased plan also / the plan to
  date (the phased months up to the period, combined the same way).
* **Projection to year end**, and the method used:
  ``actual`` when the period closes the year; for flows (``agg_time`` sum) ``phased``
  (year to date × plan / plan to date) when a phased plan exists, else ``seasonal`` (year
  to date × last year's full year / last year's same span) when last year is known, else
  ``linear`` (the run-rate: year to date × periods in the year / periods elapsed); for
  stocks and rates ``latest`` (the value to date is the best guess of the year's).
* **Status** compares the projection with the plan in the indicator's direction — the ratio
  projection / plan when higher is better, plan / projection when lower is better,
  1 − |gap| / plan when neither — against ``threshold_ok`` (on track, green, "đúng tiến độ")
  and ``threshold_warn`` (at risk, amber, "có nguy cơ"); below is off track (red,
  "không đạt"); no plan or no data is grey.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from dieuhanh.core.i18n import N_, gettext
from dieuhanh.core.periods import Period, PeriodType
from dieuhanh.domains.indicators.models import Target
from dieuhanh.domains.indicators.query_time import combine_time
from dieuhanh.domains.indicators.schemas import IndicatorOut
from dieuhanh.domains.indicators.schemas_query import ProgressOut

STATUS_TEXT = {
    "on_track": N_("on track"),
    "at_risk": N_("at risk"),
    "off_track": N_("off track"),
    "no_target": N_("no target"),
    "no_data": N_("no data"),
}
COLOUR = {
    "on_track": "green",
    "at_risk": "amber",
    "off_track": "red",
    "no_target": "grey",
    "no_data": "grey",
}


@dataclass(frozen=True)
class Plan:
    """A unit's plan for one year: the annual value and the phased months."""

    annual: float | None
    months: dict[int, float]


@dataclass(frozen=True)
class Actuals:
    """What the projection needs: this year to date and last year's same span and year."""

    to_date: float | None
    last_year_to_date: float | None
    last_year_full: float | None
    elapsed: int  # child periods of the year up to the period (expected, not present)
    in_year: int  # child periods in the whole year


def load_plans(
    db: Session, *, indicator_ids: list[int], unit_id: int, year: int
) -> dict[int, Plan]:
    """Plans of several indicators for one unit and year, in one query."""
    rows = db.execute(
        select(Target.indicator_id, Target.month, Target.value).where(
            Target.indicator_id.in_(indicator_ids), Target.unit_id == unit_id, Target.year == year
        )
    )
    annual: dict[int, float] = {}
    months: dict[int, dict[int, float]] = {}
    for indicator_id, month, value in rows:
        if month == 0:
            annual[indicator_id] = value
        else:
            months.setdefault(indicator_id, {})[month] = value
    return {i: Plan(annual.get(i), months.get(i, {})) for i in set(annual) | set(months)}


def _months_value(indicator: IndicatorOut, months: dict[int, float], upto: int) -> float | None:
    chosen = [(date(2000, m, 1), v) for m, v in sorted(months.items()) if m <= upto]
    return combine_time(indicator.agg_time, chosen)


def annual_target(indicator: IndicatorOut, plan: Plan | None) -> float | None:
    if plan is None:
        return None
    if plan.annual is not None:
        return plan.annual
    if len(plan.months) == 12:
        return _months_value(indicator, plan.months, 12)
    return None


def target_to_date(indicator: IndicatorOut, plan: Plan | None, period: Period) -> float | None:
    """The phased plan up to the end of ``period`` (``None`` without phased months)."""
    if plan is None or not plan.months:
        return None
    return _months_value(indicator, plan.months, period.end.month)


def _ratio(direction: str, projection: float, target: float) -> float | None:
    if direction == "down":
        if projection <= 0:
            return float("inf") if target >= 0 else None
        return target / projection
    if target == 0:
        return None
    if direction == "none":
        return 1 - abs(projection - target) / abs(target)
    return projection / target


def status_of(indicator: IndicatorOut, projection: float | None, target: float | None) -> str:
    if target is None:
        return "no_target"
    if projection is None:
        return "no_data"
    ratio = _ratio(indicator.direction, projection, target)
    if ratio is None:
        return "no_data"
    if ratio >= indicator.threshold_ok:
        return "on_track"
    if ratio >= indicator.threshold_warn:
        return "at_risk"
    return "off_track"


def project(
    indicator: IndicatorOut,
    period: Period,
    actuals: Actuals,
    *,
    plan_to_date: float | None,
    annual: float | None,
) -> tuple[float | None, str]:
    """The year-end projection and the method used (see the module notes)."""
    actual = actuals.to_date
    if actual is None:
        return None, "none"
    if period.type is PeriodType.YEAR or (period.end.month, period.end.day) == (12, 31):
        return actual, "actual"
    if indicator.agg_time != "sum":
        return actual, "latest"
    if plan_to_date and annual is not None:
        return actual * annual / plan_to_date, "phased"
    last, full = actuals.last_year_to_date, actuals.last_year_full
    if last and full is not None:
        return actual * full / last, "seasonal"
    if actuals.elapsed:
        return actual * actuals.in_year / actuals.elapsed, "linear"
    return None, "none"


def assess(
    indicator: IndicatorOut,
    period: Period,
    actuals: Actuals,
    plan: Plan | None,
    locale: str,
) -> ProgressOut:
    """Progress, projection and status of one indicator for one unit and period."""
    annual = annual_target(indicator, plan)
    to_date_plan = target_to_date(indicator, plan, period)
    projection, method = project(
        indicator, period, actuals, plan_to_date=to_date_plan, annual=annual
    )
    status = status_of(indicator, projection, annual)
    actual = actuals.to_date
    return ProgressOut(
        year=period.year,
        target=annual,
        target_to_date=to_date_plan,
        actual_to_date=actual,
        progress=actual / annual if actual is not None and annual else None,
        progress_to_date=actual / to_date_plan if actual is not None and to_date_plan else None,
        projection=projection,
        method=method,
        status=status,
        status_text=gettext(STATUS_TEXT[status], locale),
        colour=COLOUR[status],
    )
