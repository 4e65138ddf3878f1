"""Targets: progress, projection to year end (actual, phased, seasonal, linear, latest), status
by direction and thresholds, and the change on the same period last year."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.orm import Session

from dieuhanh.core.periods import Period
from dieuhanh.domains.indicators import service
from dieuhanh.domains.indicators.schemas import IndicatorOut, TargetIn
from dieuhanh.domains.indicators.targets import Actuals, Plan, assess
from tests.domains.indicators.test_query import ADMIN, indicator, put
from tests.fixtures.indicators import CATALOG_ACTOR


def _definition(**overrides: Any) -> IndicatorOut:
    data: dict[str, Any] = {
        "id": 1,
        "code": "T_PURE",
        "name_vi": "Chỉ tiêu",
        "name_en": "Indicator",
        "sector": "testing",
        "agg_units": "sum",
        "agg_time": "sum",
        "cadence": "month",
        "version": 1,
        "updated_at": datetime(2026, 1, 1, tzinfo=UTC),
        **overrides,
    }
    return IndicatorOut.model_validate(data)


def _actuals(
    to_date: float | None, last: float | None = None, full: float | None = None
) -> Actuals:
    return Actuals(to_date, last, full, elapsed=6, in_year=12)


JUNE = Period.parse("2026-06")


@pytest.mark.parametrize(
    ("actuals", "plan", "projection", "method", "status", "colour"),
    [
        (_actuals(600), Plan(1200, {}), 1200, "linear", "on_track", "green"),
        (_actuals(570), Plan(1200, {}), 1140, "linear", "at_risk", "amber"),
        (_actuals(500), Plan(1200, {}), 1000, "linear", "off_track", "red"),
        (_actuals(570, 300, 900), Plan(1200, {}), 1710, "seasonal", "on_track", "green"),
        (
            _actuals(570),
            Plan(None, dict.fromkeys(range(1, 13), 100)),
            1140,
            "phased",
            "at_risk",
            "amber",
        ),
        (_actuals(570), None, 1140, "linear", "no_target", "grey"),
        (_actuals(None), Plan(1200, {}), None, "none", "no_data", "grey"),
    ],
)
def test_flows_project_and_compare_with_the_plan(
    actuals: Actuals,
    plan: Plan | None,
    projection: float | None,
    method: str,
    status: str,
    colour: str,
) -> None:
    got = assess(_definition(), JUNE, actuals, plan, "vi")
    assert got.projection == (pytest.approx(projection) if projection is not None else None)
    assert (got.method, got.status, got.colour) == (method, status, colour)


def test_progress_against_year_and_phased_plan() -> None:
    plan = Plan(None, dict.fromkeys(range(1, 13), 100))
    got = assess(_definition(), JUNE, _actuals(570), plan, "vi")
    assert got.target == 1200
    assert got.target_to_date == 600
    assert got.progress == pytest.approx(570 / 1200)
    assert got.progress_to_date == pytest.approx(0.95)
    assert got.status_text == "có nguy cơ"


@pytest.mark.parametrize(
    ("latest", "status", "text"),
    [
        (1.9, "on_track", "đúng tiến độ"),
        (2.1, "at_risk", "có nguy cơ"),
        (2.5, "off_track", "không đạt"),
    ],
)
def test_lower_is_better(latest: float, status: str, text: str) -> None:
    rate = _definition(agg_units="avg", agg_time="last", direction="down")
    got = assess(rate, JUNE, _actuals(latest), Plan(2.0, {}), "vi")
    assert got.method == "latest"
    assert got.projection == latest
    # 2.0 / 2.1 = 0.95 (amber), 2.0 / 2.5 = 0.8 (red)
    assert (got.status, got.status_text) == (status, text)


def test_december_and_years_are_actual() -> None:
    got = assess(_definition(), Period.parse("2026-12"), _actuals(1300), Plan(1200, {}), "en")
    assert (got.projection, got.method, got.status_text) == (1300, "actual", "on track")


def test_thresholds_come_from_the_indicator() -> None:
    lenient = _definition(threshold_ok=0.9, threshold_warn=0.5)
    got = assess(lenient, JUNE, _actuals(570), Plan(1200, {}), "vi")
    assert got.status == "on_track"  # 0.95 >= 0.9


# --- through the service ---------------------------------------------------------------------


def _plan(session: Session, code: str, rows: list[dict[str, Any]]) -> None:
    service.set_targets(
        db=session,
        actor=CATALOG_ACTOR,
        code=code,
        rows=[TargetIn.model_validate(row) for row in rows],
    )


def test_value_with_plan_projection_and_change(session: Session) -> None:
    ind = indicator(session, "T_REVENUE")
    for month in range(1, 7):
        put(session, ind, "48", f"2026-{month:02d}", 95)
    put(session, ind, "48", "2025-06", 50)
    _plan(session, "T_REVENUE", [{"unit": "48", "year": 2026, "value": 1200}])
    got = service.query_value(
        db=session, actor=ADMIN, code="T_REVENUE", unit="48", period="2026-06"
    )
    assert got.cell.value == 95
    assert got.ytd is not None
    assert got.ytd.value == 570
    assert got.change is not None
    assert (got.change.previous, got.change.absolute, got.change.percent) == (50, 45, 90)
    assert got.change_ytd is not None
    assert got.change_ytd.previous == 50  # last year only June was reported
    assert got.progress is not None
    assert got.progress.actual_to_date == 570
    assert got.progress.method == "seasonal"  # last year's June and year are known
    assert got.progress.projection == pytest.approx(570 * 50 / 50)
    assert got.progress.status == "off_track"  # 570 / 1200


def test_value_linear_without_last_year(session: Session) -> None:
    ind = indicator(session, "T_LINEAR")
    for month in range(1, 7):
        put(session, ind, "48", f"2026-{month:02d}", 95)
    _plan(session, "T_LINEAR", [{"unit": "48", "year": 2026, "value": 1200}])
    got = service.query_value(db=session, actor=ADMIN, code="T_LINEAR", unit="48", period="2026-06")
    assert got.progress is not None
    assert (got.progress.method, got.progress.projection) == ("linear", pytest.approx(1140))
    assert (got.progress.status, got.progress.colour) == ("at_risk", "amber")
    assert got.change is not None
    assert got.change.previous is None
    assert got.change.percent is None


def test_value_phased_plan(session: Session) -> None:
    ind = indicator(session, "T_PHASED")
    for month in range(1, 4):
        put(session, ind, "48", f"2026-{month:02d}", 100)
    rows = [
        {"unit": "48", "year": 2026, "month": m, "value": 50 if m <= 3 else 150}
        for m in range(1, 13)
    ]
    _plan(session, "T_PHASED", rows)
    got = service.query_value(db=session, actor=ADMIN, code="T_PHASED", unit="48", period="2026Q1")
    assert got.progress is not None
    assert got.progress.target == 50 * 3 + 150 * 9
    assert got.progress.target_to_date == 150
    assert got.progress.progress_to_date == pytest.approx(2.0)
    assert got.progress.method == "phased"
    assert got.progress.projection == pytest.approx(300 * 1500 / 150)
    assert got.progress.status == "on_track"


def test_value_without_plan_is_grey(session: Session) -> None:
    ind = indicator(session, "T_NOPLAN")
    put(session, ind, "48", "2026-06", 1)
    got = service.query_value(db=session, actor=ADMIN, code="T_NOPLAN", unit="48", period="2026-06")
    assert got.progress is not None
    assert (got.progress.status, got.progress.colour) == ("no_target", "grey")


def test_down_direction_through_the_service(session: Session) -> None:
    ind = indicator(
        session, "T_POVERTY", agg_units="avg", agg_time="last", direction="down", cadence="quarter"
    )
    put(session, ind, "48", "2026Q1", 2.4)
    put(session, ind, "48", "2026Q2", 2.1)
    _plan(session, "T_POVERTY", [{"unit": "48", "year": 2026, "value": 2.0}])
    got = service.query_value(db=session, actor=ADMIN, code="T_POVERTY", unit="48", period="2026Q2")
    assert got.ytd is not None
    assert got.ytd.value == 2.1  # the latest of the year so far
    assert got.progress is not None
    assert (got.progress.method, got.progress.status) == ("latest", "at_risk")
