"""Query engine: every aggregation across units and over time, missing vs zero, coverage,
Decree-09 periods, and the series / cross-section / table services (SQLite and PostgreSQL).

Expectations are computed by hand from a few values put straight into ``observations``.
Đà Nẵng (48) has 94 communes, so a commune-level indicator rolled up to 48 expects 94.
The helpers here (``put``, ``unit``, ``grid``) are shared by the other query test modules.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import insert
from sqlalchemy.orm import Session

from dieuhanh.core.errors import ProblemError
from dieuhanh.core.periods import Period, PeriodError
from dieuhanh.core.security import Actor, Role
from dieuhanh.domains.indicators import rollups, service
from dieuhanh.domains.indicators.formulas import compute
from dieuhanh.domains.indicators.models import Observation
from dieuhanh.domains.indicators.query_grid import Cell, Request, Want
from dieuhanh.domains.indicators.schemas import IndicatorOut
from dieuhanh.domains.units import service as units
from dieuhanh.domains.units.schemas import UnitOut
from tests.fixtures.indicators import make_indicator

CURRENT, LEGACY = "2025", "legacy"
HAI_VAN, LIEN_CHIEU, HOA_KHANH = "20194", "20197", "20200"  # communes of today's 48


def unit(session: Session, code: str, hierarchy: str = CURRENT) -> UnitOut:
    return units.get_unit(db=session, code=code, hierarchy=hierarchy)


def indicator(session: Session, code: str, **overrides: Any) -> IndicatorOut:
    return make_indicator(session, code, **overrides)


def put(
    session: Session,
    ind: IndicatorOut,
    unit_code: str,
    period: str,
    value: float,
    *,
    hierarchy: str | None = None,
    status: str = "f",
    disagg: str = "",
    source: str = "test",
) -> None:
    """One observation written straight into the table (the write path is tested elsewhere),
    with its roll-ups."""
    p = Period.parse(period)
    version = hierarchy or units.hierarchy_for(p.end)
    session.execute(
        insert(Observation).values(
            indicator_id=ind.id,
            period_type=p.type.value,
            period_start=p.start,
            unit_id=unit(session, unit_code, version).id,
            disagg=disagg,
            period=str(p),
            value=value,
            status=status,
            source=source,
            recorded_by="tester",
            recorded_at=datetime(2026, 1, 5, 3, 0, tzinfo=UTC),
            revision=1,
        )
    )
    # as the ingestion path does: the roll-ups kept on write follow every new value
    key = (ind.id, p.type.value, p.start, unit(session, unit_code, version).id, disagg)
    rollups.refresh(session, inserted=[(key, value, status)], corrected=[])


def grid(
    session: Session,
    inds: Sequence[IndicatorOut],
    targets: Sequence[UnitOut],
    periods: Sequence[str],
    *,
    hierarchy: str = CURRENT,
    ytd: bool = False,
    disagg: str = "",
) -> dict[tuple[str, str, str], Cell]:
    """Cells keyed by (indicator code, unit code, period code)."""
    request = Request.of(
        hierarchy, targets, [Period.parse(p) for p in periods], disagg=disagg, ytd=ytd
    )
    by_id = {t.id: t.code for t in targets}
    return {
        (code, by_id[uid], str(want.period)): cell
        for (code, uid, want), cell in compute(session, inds, request).items()
    }


def value_of(session: Session, ind: IndicatorOut, target: UnitOut, period: str, **kw: Any) -> Cell:
    return grid(session, [ind], [target], [period], **kw)[(ind.code, target.code, period)]


ADMIN = Actor(kind="user", id=1, name="admin", role=Role.ADMIN)


# --- across units -------------------------------------------------------------------------------


def _three_communes(session: Session, **overrides: Any) -> IndicatorOut:
    ind = indicator(session, "Q_UNITS", report_level="commune", **overrides)
    put(session, ind, HAI_VAN, "2026-03", 10)
    put(session, ind, LIEN_CHIEU, "2026-03", 20)
    put(session, ind, HOA_KHANH, "2026-03", 0)  # a reported zero
    return ind


@pytest.mark.parametrize(
    ("agg_units", "expected"),
    [("sum", 30.0), ("avg", 10.0), ("min", 0.0), ("max", 20.0)],
)
def test_aggregation_across_units(session: Session, agg_units: str, expected: float) -> None:
    ind = _three_communes(session, agg_units=agg_units)
    cell = value_of(session, ind, unit(session, "48"), "2026-03")
    assert cell.value == pytest.approx(expected)
    assert cell.kind == "aggregate"
    assert (cell.coverage.reported, cell.coverage.expected) == (3, 94)  # the zero counts
    assert cell.coverage.level == "commune"


def test_weighted_average_leaves_out_units_without_weight(session: Session) -> None:
    weight = indicator(session, "Q_WEIGHT", report_level="commune", agg_time="last")
    ind = _three_communes(session, agg_units="wavg", weight_indicator="Q_WEIGHT")
    put(session, weight, HAI_VAN, "2026-03", 1)
    put(session, weight, LIEN_CHIEU, "2026-03", 3)  # Hòa Khánh has no weight
    cell = value_of(session, ind, unit(session, "48"), "2026-03")
    assert cell.value == pytest.approx((10 * 1 + 20 * 3) / 4)
    assert cell.coverage.reported == 2
    assert cell.excluded == 1


def test_weighted_average_takes_a_yearly_weight_for_a_month(session: Session) -> None:
    weight = indicator(session, "Q_POP", report_level="commune", agg_time="last", cadence="year")
    ind = _three_communes(session, agg_units="wavg", weight_indicator="Q_POP")
    put(session, weight, HAI_VAN, "2025", 1)  # 2026 not published yet: the latest is used
    put(session, weight, LIEN_CHIEU, "2026", 4)
    put(session, weight, HOA_KHANH, "2024", 5)
    cell = value_of(session, ind, unit(session, "48"), "2026-03")
    assert cell.value == pytest.approx((10 * 1 + 20 * 4 + 0 * 5) / 10)


def test_none_is_not_combined_across_units(session: Session) -> None:
    ind = _three_communes(session, agg_units="none")
    province = value_of(session, ind, unit(session, "48"), "2026-03")
    assert province.value is None
    assert province.kind == "missing"
    commune = value_of(session, ind, unit(session, HAI_VAN), "2026-03")
    assert commune.value == 10.0


def test_missing_is_not_zero(session: Session) -> None:
    ind = indicator(session, "Q_MISSING", report_level="commune")
    put(session, ind, HAI_VAN, "2026-03", 0)
    cells = grid(session, [ind], [unit(session, "48"), unit(session, LIEN_CHIEU)], ["2026-03"])
    province = cells[("Q_MISSING", "48", "2026-03")]
    assert province.value == 0.0  # one commune reported a zero
    assert (province.coverage.reported, province.coverage.expected) == (1, 94)
    nothing = cells[("Q_MISSING", LIEN_CHIEU, "2026-03")]
    assert nothing.value is None
    assert nothing.kind == "missing"
    assert nothing.coverage.reported == 0
    empty = value_of(session, ind, unit(session, "48"), "2026-04")
    assert empty.value is None  # nobody reported: missing, not 0


def test_own_value_wins_over_the_aggregate(session: Session) -> None:
    ind = _three_communes(session)
    put(session, ind, "48", "2026-03", 31.5)  # the statistics office's official figure
    cell = value_of(session, ind, unit(session, "48"), "2026-03")
    assert cell.value == 31.5
    assert cell.kind == "stored"
    assert (cell.coverage.reported, cell.coverage.expected) == (1, 1)


def test_province_level_indicator_has_no_commune_values(session: Session) -> None:
    ind = indicator(session, "Q_PROV")  # reported by provinces only
    put(session, ind, "48", "2026-03", 7)
    cells = grid(session, [ind], [unit(session, "48"), unit(session, HAI_VAN)], ["2026-03"])
    assert cells[("Q_PROV", "48", "2026-03")].value == 7
    assert cells[("Q_PROV", HAI_VAN, "2026-03")].value is None


def test_nation_sums_provinces(session: Session) -> None:
    ind = indicator(session, "Q_NATION")
    put(session, ind, "48", "2026-03", 7)
    put(session, ind, "01", "2026-03", 5)
    cell = value_of(session, ind, unit(session, "VN"), "2026-03")
    assert cell.value == 12
    assert (cell.coverage.reported, cell.coverage.expected) == (2, 34)


# --- over time ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("agg_time", "expected"),
    [("sum", 4.0), ("avg", 2.0), ("last", 3.0), ("first", 1.0), ("max", 3.0), ("min", 1.0)],
)
def test_aggregation_over_time(session: Session, agg_time: str, expected: float) -> None:
    ind = indicator(session, "Q_TIME", agg_time=agg_time)
    put(session, ind, "48", "2026-01", 1)
    put(session, ind, "48", "2026-03", 3)  # February is missing
    cell = value_of(session, ind, unit(session, "48"), "2026Q1")
    assert cell.value == pytest.approx(expected)
    assert (cell.coverage.periods_reported, cell.coverage.periods_expected) == (2, 3)
    assert str(cell.coverage.last) == "2026-03"


def test_last_says_when_the_last_period_is_missing(session: Session) -> None:
    ind = indicator(session, "Q_LAST", agg_time="last")
    put(session, ind, "48", "2026-01", 1)
    put(session, ind, "48", "2026-02", 2)
    cell = value_of(session, ind, unit(session, "48"), "2026Q1")
    assert cell.value == 2.0
    assert "the latest period has not been reported" in cell.notes


def test_time_is_aggregated_per_unit_before_units(session: Session) -> None:
    ind = indicator(session, "Q_STOCK", report_level="commune", agg_time="last")
    for month, value in (("2026-01", 5), ("2026-02", 6), ("2026-03", 7)):
        put(session, ind, HAI_VAN, month, value)
    put(session, ind, LIEN_CHIEU, "2026-01", 10)
    put(session, ind, LIEN_CHIEU, "2026-02", 11)  # late for March
    cell = value_of(session, ind, unit(session, "48"), "2026Q1")
    assert cell.value == 7 + 11  # each commune's latest, then summed (not 7)


def test_stored_type_is_used_when_present(session: Session) -> None:
    ind = indicator(session, "Q_BOTH")
    put(session, ind, "48", "2026-01", 1)
    put(session, ind, "48", "2026Q1", 100)  # also stored quarterly: read as it is
    assert value_of(session, ind, unit(session, "48"), "2026Q1").value == 100


def test_finer_than_stored_is_not_available(session: Session) -> None:
    ind = indicator(session, "Q_QUARTERLY", cadence="quarter")
    put(session, ind, "48", "2026Q1", 9)
    cell = value_of(session, ind, unit(session, "48"), "2026-02")
    assert cell.value is None
    assert cell.notes == ("not available for this period type",)
    assert value_of(session, ind, unit(session, "48"), "2026").value == 9


def test_year_to_date(session: Session) -> None:
    ind = indicator(session, "Q_YTD")
    for month, value in (("2026-01", 1), ("2026-02", 2), ("2026-03", 4), ("2026-04", 8)):
        put(session, ind, "48", month, value)
    cells = grid(session, [ind], [unit(session, "48")], ["2026-02", "2026-03"], ytd=True)
    assert cells[("Q_YTD", "48", "2026-02")].value == 3
    march = cells[("Q_YTD", "48", "2026-03")]
    assert march.value == 7
    assert march.coverage.periods_expected == 3


def test_disaggregations_are_separate_values(session: Session) -> None:
    ind = indicator(session, "Q_SEX", disaggregations=["sex"])
    put(session, ind, "48", "2026-03", 10)
    put(session, ind, "48", "2026-03", 4, disagg="sex=female")
    target = unit(session, "48")
    assert value_of(session, ind, target, "2026-03").value == 10
    assert value_of(session, ind, target, "2026-03", disagg="sex=female").value == 4


# --- Decree 09 ----------------------------------------------------------------------------------


def test_decree09_months_are_labelled_with_their_window_and_roll_up_by_month(
    session: Session,
) -> None:
    ind = indicator(session, "Q_D09", cadence="decree09_month")
    for month, value in (("2026-07", 1), ("2026-08", 2), ("2026-09", 3), ("2026-10", 100)):
        put(session, ind, "48", month, value)
    got = service.series(
        db=session, actor=ADMIN, code="Q_D09", unit="48", start="2026-07", end="2026-08"
    )
    assert [p.label for p in got.points] == [
        "Tháng 7/2026 (15/06/2026 – 14/07/2026)",
        "Tháng 8/2026 (15/07/2026 – 14/08/2026)",
    ]
    quarter = service.series(
        db=session, actor=ADMIN, code="Q_D09", unit="48", start="2026Q3", end="2026Q3"
    )
    point = quarter.points[0]
    assert point.value == 6  # reporting months 7, 8 and 9
    assert point.label == "Quý III/2026 (15/06/2026 – 14/09/2026)"


# --- services -----------------------------------------------------------------------------------


def test_series_points_with_gaps_and_status(session: Session) -> None:
    ind = indicator(session, "Q_SERIES", report_level="commune")
    put(session, ind, HAI_VAN, "2026-01", 5)
    put(session, ind, LIEN_CHIEU, "2026-01", 6, status="p")
    put(session, ind, HAI_VAN, "2026-03", 7)
    got = service.series(
        db=session, actor=ADMIN, code="Q_SERIES", unit="48", start="2026-01", end="2026-03"
    )
    assert [p.period for p in got.points] == ["2026-01", "2026-02", "2026-03"]
    assert [p.value for p in got.points] == [11, None, 7]
    assert [p.status for p in got.points] == ["provisional", "missing", "final"]
    assert got.points[0].coverage.text == "2/94 xã đã báo cáo"
    english = service.series(
        db=session,
        actor=ADMIN,
        code="Q_SERIES",
        unit="48",
        start="2026-01",
        end="2026-01",
        locale="en",
    )
    assert english.points[0].coverage.text == "2/94 communes reported"


def test_series_year_to_date_and_period_type(session: Session) -> None:
    ind = indicator(session, "Q_SERIES_YTD")
    for month in range(1, 7):
        put(session, ind, "48", f"2026-{month:02d}", month)
    got = service.series(
        db=session,
        actor=ADMIN,
        code="Q_SERIES_YTD",
        unit="48",
        period_type="quarter",
        start="2026",
        end="2026Q2",
        ytd=True,
    )
    assert [(p.period, p.value) for p in got.points] == [("2026Q1", 6), ("2026Q2", 21)]
    assert got.points[0].coverage.text.endswith("3/3 kỳ")


def test_cross_section_units_by_indicators(session: Session) -> None:
    first = _three_communes(session)
    second = indicator(session, "Q_OTHER", report_level="commune", agg_units="max")
    put(session, second, HAI_VAN, "2026-03", 2)
    got = service.cross_section(
        db=session,
        actor=ADMIN,
        period="2026-03",
        indicators=[first.code, "Q_OTHER"],
        parent="48",
        level="commune",
        limit=200,
    )
    assert got.total == 94
    rows = {row.unit.code: row.values for row in got.items}
    assert rows[HAI_VAN]["Q_UNITS"].value == 10
    assert rows[HAI_VAN]["Q_OTHER"].value == 2
    assert rows[LIEN_CHIEU]["Q_OTHER"].value is None
    assert got.total_row is not None
    assert got.total_row.values["Q_UNITS"].value == 30
    assert got.total_row.values["Q_OTHER"].value == 2


def test_table_units_by_periods_is_paged(session: Session) -> None:
    ind = _three_communes(session)
    put(session, ind, HAI_VAN, "2026-02", 1)
    got = service.query_table(
        db=session,
        actor=ADMIN,
        code=ind.code,
        parent="48",
        level="commune",
        start="2026-02",
        end="2026-03",
        limit=10,
        offset=0,
    )
    assert got.periods == ["2026-02", "2026-03"]
    assert got.total == 94
    assert len(got.items) == 10
    assert got.total_row is not None
    assert [c.value for c in got.total_row.values] == [1, 30]


def test_unknown_indicator_and_bad_period(session: Session) -> None:
    with pytest.raises(ProblemError) as info:
        service.series(db=session, actor=ADMIN, code="Q_NOPE", unit="48")
    assert info.value.code == "indicator_not_found"
    indicator(session, "Q_PERIOD")
    with pytest.raises(PeriodError):
        service.series(db=session, actor=ADMIN, code="Q_PERIOD", unit="48", start="2026-13")


def test_scope_is_enforced(session: Session) -> None:
    indicator(session, "Q_SCOPE")
    hanoi = Actor(
        kind="user", id=2, name="hn", role=Role.OPERATOR, scope_unit_id=unit(session, "01").id
    )
    with pytest.raises(ProblemError) as info:
        service.series(db=session, actor=hanoi, code="Q_SCOPE", unit="48")
    assert info.value.code == "out_of_scope"
    citizen = Actor(kind="anonymous")
    with pytest.raises(ProblemError) as denied:
        service.series(db=session, actor=citizen, code="Q_SCOPE", unit="48")
    assert denied.value.code == "not_authenticated"


def test_a_value_written_is_visible_to_the_next_query(session: Session) -> None:
    ind = indicator(session, "Q_FRESH_WRITE", report_level="commune")
    target = unit(session, "48")
    assert value_of(session, ind, target, "2026-05").value is None
    put(session, ind, HAI_VAN, "2026-05", 3)
    assert value_of(session, ind, target, "2026-05").value == 3


def test_want_keys_cover_every_request(session: Session) -> None:
    ind = indicator(session, "Q_KEYS")
    target = unit(session, "48")
    wants = (Want(Period.parse("2026-03")), Want(Period.parse("2026-03"), True))
    found = compute(session, [ind], Request(CURRENT, (target,), wants))
    assert set(found) == {("Q_KEYS", target.id, w) for w in wants}


# --- the fast path and the general statement agree --------------------------------------------


@pytest.mark.parametrize(
    ("agg_units", "agg_time"), [("sum", "sum"), ("avg", "sum"), ("max", "max"), ("min", "min")]
)
def test_every_access_path_gives_the_same_cells(
    session: Session, monkeypatch: pytest.MonkeyPatch, agg_units: str, agg_time: str
) -> None:
    """The roll-ups kept on write, the fast path (SQLite), the general statement reading key
    ranges, and the general statement joining the unit map agree on values, coverage and
    status."""
    from dieuhanh.domains.indicators import query_grid

    ind = indicator(
        session, "Q_PATHS", report_level="commune", agg_units=agg_units, agg_time=agg_time
    )
    for code, month, value in (
        (HAI_VAN, "2026-01", 1),
        (HAI_VAN, "2026-02", 2),
        (LIEN_CHIEU, "2026-02", 5),
        (HOA_KHANH, "2026-03", 0),
        ("48", "2026-03", 40),  # the province's own figure
        ("01", "2026-03", 9),
    ):
        put(session, ind, code, month, value, status="p" if value == 2 else "f")
    targets = [unit(session, c) for c in ("48", HAI_VAN, LIEN_CHIEU, "01", "VN")]
    periods = ["2026-01", "2026-02", "2026-03", "2026Q1"]

    def both() -> tuple[dict[tuple[str, str, str], Cell], dict[tuple[str, str, str], Cell]]:
        return (
            grid(session, [ind], targets, periods),
            grid(session, [ind], targets, ["2026-02"], ytd=True),
        )

    default = both()
    monkeypatch.setattr(query_grid, "answer_from_rollups", lambda *args, **kwargs: None)
    no_rollups = both()
    monkeypatch.setattr(query_grid, "try_fast", lambda *args, **kwargs: None)
    general_ranges = both()
    monkeypatch.setattr(query_grid, "direct_runs", lambda *args, **kwargs: [])
    general_join = both()
    assert default == no_rollups == general_ranges == general_join
    assert default[0][("Q_PATHS", "48", "2026-03")].value == 40


# --- the roll-ups kept on write answer complete periods exactly ---------------------------------

COMBINATIONS = [
    ("sum", "sum", True),
    ("sum", "avg", True),
    ("avg", "avg", True),
    ("avg", "sum", True),
    ("min", "min", True),
    ("max", "max", True),
    ("sum", "last", True),
    ("avg", "first", True),
    ("sum", "max", False),  # a sum of each unit's maximum: not a function of the roll-ups
    ("max", "sum", False),
]


@pytest.mark.parametrize(("agg_units", "agg_time", "settles_quarter"), COMBINATIONS)
def test_rollups_agree_with_the_observations_when_every_commune_reports(
    session: Session,
    monkeypatch: pytest.MonkeyPatch,
    agg_units: str,
    agg_time: str,
    settles_quarter: bool,
) -> None:
    """Every commune of 48 reports January to March (February one short): the quarter and
    the year to date come from the roll-ups only where that is exact, and every cell equals
    what the general statement computes from the observations."""
    from dieuhanh.domains.indicators import query_grid

    ind = indicator(
        session, "Q_ROLL", report_level="commune", agg_units=agg_units, agg_time=agg_time
    )
    communes, _ = units.search_units(
        db=session, parent="48", level="commune", hierarchy=CURRENT, limit=200
    )
    assert len(communes) == 94
    for n, commune in enumerate(communes):
        for month in ("2026-01", "2026-02", "2026-03"):
            if month == "2026-02" and n == 0:
                continue  # one commune late in February
            value = (n * 7) % 13 + int(month[-1]) * 0.5
            put(session, ind, commune.code, month, value, status="p" if n == 5 else "f")
    targets = [unit(session, c) for c in ("48", "VN", HAI_VAN, "01")]
    settled: list[set[int]] = []  # per call: the slots settled for province 48
    real_answer = query_grid.answer_from_rollups

    def spy(*args: Any, **kwargs: Any) -> Any:
        got = real_answer(*args, **kwargs)
        slots = args[3]
        province = targets[0].id
        settled.append(
            {s.key for s in slots if province not in got.unsettled.get(s.key, frozenset())}
            if got is not None
            else set()
        )
        return got

    def cells() -> dict[tuple[str, str, str], Cell]:
        return grid(session, [ind], targets, ["2026-01", "2026-02", "2026-03", "2026Q1"]) | {
            (code, unit_code, f"{period} YTD"): cell
            for (code, unit_code, period), cell in grid(
                session, [ind], targets, ["2026-03"], ytd=True
            ).items()
        }

    monkeypatch.setattr(query_grid, "answer_from_rollups", spy)
    with_rollups = cells()
    monkeypatch.setattr(query_grid, "answer_from_rollups", lambda *args, **kwargs: None)
    from_observations = cells()
    assert with_rollups == from_observations
    # the months always come from the roll-ups; Q1 (slot 3) only when exact and complete
    months_settled, ytd_settled = settled
    assert {0, 1, 2} <= months_settled
    assert (3 in months_settled) is False  # February is one commune short
    assert ytd_settled == set()
    quarter = with_rollups[("Q_ROLL", "48", "2026Q1")]
    assert quarter.coverage.reported == 94
    assert quarter.coverage.periods_reported == 3
    january = with_rollups[("Q_ROLL", "48", "2026-01")]
    assert january.coverage.reported == 94
    assert january.provisional is True  # commune 5 is provisional

    # February completed: now the quarter is settled by the roll-ups where exact
    put(session, ind, communes[0].code, "2026-02", 1.0)
    settled.clear()
    monkeypatch.setattr(query_grid, "answer_from_rollups", spy)
    with_rollups = cells()
    monkeypatch.setattr(query_grid, "answer_from_rollups", lambda *args, **kwargs: None)
    assert with_rollups == cells()
    months_settled, ytd_settled = settled
    assert (3 in months_settled) is settles_quarter
    assert bool(ytd_settled) is settles_quarter
