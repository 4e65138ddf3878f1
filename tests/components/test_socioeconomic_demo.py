"""The socio-economic demo generator: realistic shapes, reproducible, right map at the right
time, seeded from the real 2020 population, anomalies flagged on write, idempotent."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dieuhanh.components.socioeconomic import demo, demo_series, demo_units
from dieuhanh.core.errors import ProblemError
from dieuhanh.core.periods import Period, PeriodType, periods_between
from dieuhanh.core.security import Actor, Role
from dieuhanh.domains.auth import service as auth_service
from dieuhanh.domains.indicators import service as indicators
from dieuhanh.domains.indicators.models import IngestionBatch, Observation
from dieuhanh.domains.units import service as units

ACTOR = auth_service.system_actor("demo-tests")
REFORM = date(2025, 7, 1)
DA_NANG_2020 = 1_169_500.0  # GSO average population 2020, persons
QUANG_NAM_2020 = 1_505_000.0


# --- pure arithmetic -------------------------------------------------------------------------


def test_tet_days_follow_the_lunar_calendar() -> None:
    known = {
        2021: date(2021, 2, 12),
        2022: date(2022, 2, 1),
        2023: date(2023, 1, 22),
        2024: date(2024, 2, 10),
        2025: date(2025, 1, 29),
        2026: date(2026, 2, 17),
    }
    assert {year: demo_series.tet_day(year) for year in known} == known
    feb_2026 = demo_series.month_index(Period.for_month(2026, 2))
    assert [demo_series.tet_position(feb_2026 + k) for k in (-2, -1, 0, 1, 2)] == [
        None,
        -1,
        0,
        1,
        None,
    ]
    # Tết 2023 fell on 22 January: December 2022 is the month before it
    assert demo_series.tet_position(demo_series.month_index(Period.for_month(2022, 12))) == -1


def test_population_seed_is_the_gso_2020_figure() -> None:
    population = demo_units.read_population_2020()
    assert len(population) == 63
    assert population["48"] == DA_NANG_2020
    assert population["49"] == QUANG_NAM_2020
    assert math.isclose(sum(population.values()), 97_582_600, abs_tol=1)


def _city(seed: int = 1) -> demo_series.ProvinceSeries:
    last = demo_series.month_index(Period.for_month(2026, 12))
    return demo_series.build_province(
        code="48", kind="city", population_2020=DA_NANG_2020, seed=seed, last=last
    )


def _value(code: str, data: demo_series.ProvinceSeries, period: str) -> float:
    value = demo_series.province_value(code, data, Period.parse(period))
    assert value is not None
    return value


def test_province_series_have_plausible_shapes() -> None:
    city = _city()
    for year in range(2021, 2027):
        months = [f"{year}-{m:02d}" for m in range(1, 13)]
        cpi = [_value("CPI", city, m) for m in months]
        assert all(100.5 < v < 107 for v in cpi), cpi
        # tourism: a strong summer peak over the October-November rains
        assert _value("TOURIST_ARRIVALS", city, f"{year}-07") > 1.8 * _value(
            "TOURIST_ARRIVALS", city, f"{year}-11"
        )
        international = [_value("INTERNATIONAL_ARRIVALS", city, m) for m in months]
        tourists = [_value("TOURIST_ARRIVALS", city, m) for m in months]
        assert all(i < t for i, t in zip(international, tourists, strict=True))
        # the cumulative disbursement rate only goes up within a year, and stays below 100 %
        rates = [_value("PUBLIC_INVESTMENT_DISBURSEMENT_RATE", city, m) for m in months]
        assert rates == sorted(rates)
        assert 0 < rates[0] < 10
        assert 80 < rates[-1] <= 99.5
        unemployment = _value("UNEMPLOYMENT_RATE", city, f"{year}Q2")
        assert unemployment > 1
        assert unemployment < 6
        # full-year GRDP growth is the year's growth rate, give or take the noise
        growth = _value("GRDP_GROWTH", city, f"{year}Q4")
        expected = demo_series.REAL_GROWTH.get(year, demo_series.REAL_GROWTH_LATER) * 100
        assert abs(growth - expected) < 2.0
    # budget revenue of a year: Đà Nẵng collected about 15-25 thousand billion đồng
    revenue_2023 = _value("BUDGET_REVENUE", city, "2023")
    assert 15_000 < revenue_2023 < 25_000


def test_retail_sales_rise_before_tet_and_factories_slow_down_during_it() -> None:
    city = _city()
    # Tết 2024 was on 10 February: February shopping beats March, industrial output dips
    assert _value("RETAIL_SALES", city, "2024-02") > _value("RETAIL_SALES", city, "2024-03")
    iip_level = [
        city.at("iip", demo_series.month_index(Period.for_month(2024, m))) for m in (1, 2, 3)
    ]
    assert iip_level[1] < iip_level[0]
    assert iip_level[1] < iip_level[2]


def test_same_seed_same_numbers_and_another_seed_other_numbers() -> None:
    one, two, other = _city(5), _city(5), _city(6)
    assert one.values == two.values
    assert _value("RETAIL_SALES", one, "2024-05") != _value("RETAIL_SALES", other, "2024-05")


def test_merged_province_adds_up_its_legacy_provinces() -> None:
    last = demo_series.month_index(Period.for_month(2026, 6))
    parts = [
        demo_series.build_province(code=c, kind=k, population_2020=p, seed=3, last=last)
        for c, k, p in (("48", "city", DA_NANG_2020), ("49", "province", QUANG_NAM_2020))
    ]
    merged = demo_series.ProvinceSeries.merged(parts)
    for code, period in (("GRDP", "2025Q3"), ("RETAIL_SALES", "2026-01"), ("NEW_JOBS", "2025-08")):
        total = sum(_value(code, part, period) for part in parts)
        assert math.isclose(_value(code, merged, period), total, rel_tol=1e-12)
    # a ratio of the merged province lies between its parts' ratios
    cpis = [_value("CPI", part, "2026-03") for part in parts]
    assert min(cpis) <= _value("CPI", merged, "2026-03") <= max(cpis)


# --- planned rows (database: units and catalog) --------------------------------------------


UNTIL = Period.for_month(2026, 11)


def _rows_by(plan: demo.DemoPlan, code: str, unit: str, hierarchy: str) -> dict[str, float]:
    return {
        r.period: r.value
        for r in plan.rows
        if r.indicator == code and r.unit == unit and r.hierarchy == hierarchy and not r.disagg
    }


def test_plan_is_reproducible_and_uses_the_map_in_force(session: Session) -> None:
    plan = demo.plan_demo(db=session, home_province="48", until=UNTIL, seed=11)
    again = demo.plan_demo(db=session, home_province="48", until=UNTIL, seed=11)
    other = demo.plan_demo(db=session, home_province="48", until=UNTIL, seed=12)
    assert [r.model_dump() for r in plan.rows] == [r.model_dump() for r in again.rows]
    assert [r.value for r in plan.rows] != [r.value for r in other.rows]

    for row in plan.rows:
        period = Period.parse(row.period)
        assert (period.end < REFORM) == (row.hierarchy == units.LEGACY), row
    # monthly indicators: the two legacy provinces until June 2025, then the merged city
    legacy = periods_between(Period.for_month(2021, 1), Period.for_month(2025, 6))
    after = periods_between(Period.for_month(2025, 7), UNTIL)
    for code in ("RETAIL_SALES", "CPI", "PUBLIC_INVESTMENT_DISBURSEMENT_RATE"):
        for unit in ("48", "49"):
            assert sorted(_rows_by(plan, code, unit, units.LEGACY)) == [str(p) for p in legacy]
        assert sorted(_rows_by(plan, code, "48", units.CURRENT)) == [str(p) for p in after]
        assert _rows_by(plan, code, "49", units.CURRENT) == {}
    # quarters and years that have ended by November 2026; plans also for 2026
    assert max(_rows_by(plan, "GRDP", "48", units.CURRENT)) == "2026Q3"
    commune = next(
        r.unit for r in plan.rows if r.indicator == "POVERTY_RATE" and r.hierarchy == units.CURRENT
    )
    assert max(_rows_by(plan, "POVERTY_RATE", commune, units.CURRENT)) == "2025"
    assert sorted(_rows_by(plan, "BUDGET_REVENUE_PLAN", "48", units.CURRENT)) == ["2025", "2026"]
    assert sorted(plan.skipped) == ["BUDGET_REVENUE_PCT", "GRDP_PER_CAPITA"]  # derived
    statuses = {p: r.status for r in plan.rows for p in [r.period] if r.indicator == "CPI"}
    assert [statuses[p] for p in ("2026-08", "2026-09", "2026-10", "2026-11")] == [
        "final",
        "provisional",
        "provisional",
        "provisional",
    ]


def test_population_is_the_2020_figure_spread_over_communes(session: Session) -> None:
    plan = demo.plan_demo(db=session, home_province="48", until=UNTIL, seed=11)
    by_year: dict[tuple[str, str], float] = defaultdict(float)
    communes: dict[tuple[str, str], set[str]] = defaultdict(set)
    for r in plan.rows:
        if r.indicator == "POPULATION" and not r.disagg:
            by_year[(r.hierarchy or "", r.period)] += r.value
            communes[(r.hierarchy or "", r.period)].add(r.unit)
    # 2021 is one year of growth (0.6-1.5 %) above the 2020 average of 2,674.5 thousand
    ratio = by_year[(units.LEGACY, "2021")] / (DA_NANG_2020 + QUANG_NAM_2020)
    assert ratio > 1.004
    assert ratio < 1.016
    assert len(communes[(units.LEGACY, "2021")]) == 280
    # 2025 is reported by the 94 new communes, two of them late (coverage 92/94)
    assert len(communes[(units.CURRENT, "2025")]) == 92
    assert {g.unit for g in plan.gaps if g.indicator == "POPULATION"} == {"20992", "21004"}
    # the new communes hold exactly the people of the legacy ones (succession weights)
    home = demo_units.load_home_units(db=session, home_province="48", seed=11)
    old = math.fsum(c.population(2025) for c in home.legacy_communes)
    new = math.fsum(c.population(2025) for c in home.current_communes)
    assert math.isclose(old, new, rel_tol=1e-9)
    # breakdowns add up exactly (the pack's validation rules check it on write)
    parts: dict[tuple[str, str, str], Counter[str]] = defaultdict(Counter)
    totals: dict[tuple[str, str, str], float] = {}
    for r in plan.rows:
        if r.indicator != "POPULATION":
            continue
        key = (r.hierarchy or "", r.unit, r.period)
        if r.disagg:
            (dim,) = r.disagg
            parts[key][dim] += int(r.value)
        else:
            totals[key] = r.value
    assert all(parts[k] == Counter({"sex": v, "area": v}) for k, v in totals.items())


def test_anomalies_and_gaps_are_listed_where_they_are(session: Session) -> None:
    plan = demo.plan_demo(db=session, home_province="48", until=UNTIL, seed=11)
    assert [(a.indicator, a.unit, a.hierarchy, a.period) for a in plan.anomalies] == [
        ("EXPORT_TURNOVER", "48", units.LEGACY, "2022-09"),
        ("RETAIL_SALES", "49", units.LEGACY, "2023-05"),
        ("BUDGET_REVENUE", "48", units.CURRENT, "2026-03"),
        ("NEW_ENTERPRISES", "48", units.CURRENT, "2026-08"),
    ]
    retail = _rows_by(plan, "RETAIL_SALES", "49", units.LEGACY)
    neighbours = (retail["2023-04"] + retail["2023-06"]) / 2
    assert 7 < retail["2023-05"] / neighbours < 14  # ten times, give or take a season
    fdi = _rows_by(plan, "FDI_REGISTERED", "48", units.CURRENT)
    assert "2026-10" not in fdi
    assert "2026-11" in fdi
    jobs = _rows_by(plan, "NEW_JOBS", "48", units.CURRENT)
    assert "2026-11" not in jobs
    assert "2026-10" in jobs
    # a run that stops earlier has no anomaly or gap after its end
    early = demo.plan_demo(db=session, home_province="48", until=Period.for_month(2023, 1))
    assert [a.period for a in early.anomalies] == ["2022-09"]
    late = {r.indicator for r in early.rows if Period.parse(r.period).end > date(2023, 1, 31)}
    assert late == demo.PLAN_CODES  # plans of 2023 are assigned before 2023 starts


def test_targets_of_the_current_year(session: Session) -> None:
    plan = demo.plan_demo(db=session, home_province="48", until=UNTIL, seed=11)
    budget = plan.targets["BUDGET_REVENUE"]
    assert [t.month for t in budget] == list(range(13))
    annual, months = budget[0].value, [t.value for t in budget[1:]]
    assert abs(sum(months) - annual) <= 12  # each month rounded to a whole billion
    assert all(t.year == 2026 and t.unit == "48" for t in budget)
    disbursement = [t.value for t in plan.targets["PUBLIC_INVESTMENT_DISBURSEMENT_RATE"]]
    assert disbursement[0] == 95.0
    assert disbursement[12] == 95.0
    assert disbursement[1:] == sorted(disbursement[1:])  # cumulative plan by month
    assert plan.targets["CPI"][0].value == 104.5


# --- writing through ingestion ---------------------------------------------------------------


def _count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_generate_writes_through_ingestion_flags_anomalies_and_runs_once(
    session: Session,
) -> None:
    report = demo.generate(db=session, actor=ACTOR, home_province="48")
    current_month = Period.containing(PeriodType.MONTH, units.today())
    plan = demo.plan_demo(db=session, home_province="48")
    assert report.rows == report.inserted == len(plan.rows) == _count(session, Observation)
    assert not report.replayed
    # 2021-01 to the current month
    periods = session.scalars(
        select(Observation.period).where(Observation.period_type == "month").distinct()
    ).all()
    assert min(periods) == "2021-01"
    assert max(periods) == str(current_month)
    # every injected anomaly inside the range was flagged by the outlier detector
    flagged = set(report.flagged)
    for anomaly in report.anomalies:
        assert (anomaly.indicator, anomaly.unit, anomaly.period) in flagged, anomaly
    scored = session.scalar(select(func.count()).where(Observation.outlier_score.is_not(None)))
    assert scored == report.outliers >= len(report.anomalies)
    assert set(session.scalars(select(Observation.source).distinct())) == {"demo"}
    assert set(session.scalars(select(IngestionBatch.source).distinct())) == {"demo"}
    # targets of the current year, phased by month for budget revenue
    stored = indicators.get_targets(db=session, code="BUDGET_REVENUE", year=current_month.year)
    assert [t.month for t in stored] == list(range(13))
    assert sorted(report.targets_set) == sorted(demo.TARGETS)

    batches = _count(session, IngestionBatch)
    second = demo.generate(db=session, actor=ACTOR, home_province="48")
    assert second.replayed
    assert second.targets_set == []
    assert second.inserted == second.updated == 0
    assert _count(session, Observation) == report.rows
    assert _count(session, IngestionBatch) == batches


def test_generate_needs_a_writer(session: Session) -> None:
    reader = Actor(kind="user", id=1, name="dan", role=Role.CITIZEN, scope_unit_id=None)
    with pytest.raises(ProblemError) as caught:
        demo.generate(db=session, actor=reader, home_province="48", until=Period.for_month(2021, 3))
    assert caught.value.code == "forbidden"
    assert _count(session, Observation) == 0


def test_a_later_start_for_quick_demos(session: Session) -> None:
    since = Period.for_month(2025, 1)
    plan = demo.plan_demo(db=session, home_province="48", until=UNTIL, seed=11, since=since)
    assert min(Period.parse(r.period).start for r in plan.rows) == date(2025, 1, 1)
    assert [a.period for a in plan.anomalies] == ["2026-03", "2026-08"]
    # the values do not depend on where the run starts
    full = demo.plan_demo(db=session, home_province="48", until=UNTIL, seed=11)
    assert _rows_by(plan, "CPI", "48", units.CURRENT) == _rows_by(full, "CPI", "48", units.CURRENT)
    with pytest.raises(ValueError, match="earliest"):
        demo.plan_demo(db=session, home_province="48", since=Period.for_month(2020, 12))
