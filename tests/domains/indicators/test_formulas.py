"""Derived indicators (formulas over aggregates, offsets, ytd, lastyear, coarser inputs) and
explain trees for stored, aggregated, re-mapped and derived values."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from dieuhanh.core.periods import Period
from dieuhanh.domains.indicators import service
from dieuhanh.domains.indicators.query_explain import explain_value
from dieuhanh.domains.indicators.schemas_query import ExplainNode
from tests.domains.indicators.test_query import (
    ADMIN,
    CURRENT,
    HAI_VAN,
    LIEN_CHIEU,
    grid,
    indicator,
    put,
    unit,
    value_of,
)


def _ratio_inputs(session: Session) -> None:
    a = indicator(session, "F_REV", report_level="commune")
    b = indicator(session, "F_PLAN", report_level="commune")
    put(session, a, HAI_VAN, "2026-03", 10)
    put(session, a, LIEN_CHIEU, "2026-03", 30)
    put(session, b, HAI_VAN, "2026-03", 20)
    put(session, b, LIEN_CHIEU, "2026-03", 40)


def test_formula_is_evaluated_over_aggregates(session: Session) -> None:
    _ratio_inputs(session)
    pct = indicator(
        session, "F_PCT", formula="#{F_REV} / #{F_PLAN} * 100", agg_units="none", agg_time="last"
    )
    cells = grid(session, [pct], [unit(session, "48"), unit(session, HAI_VAN)], ["2026-03"])
    province = cells[("F_PCT", "48", "2026-03")]
    assert province.value == pytest.approx(40 / 60 * 100)  # not the mean of 50 % and 75 %
    assert province.kind == "derived"
    assert (province.coverage.reported, province.coverage.expected) == (2, 94)
    assert cells[("F_PCT", HAI_VAN, "2026-03")].value == pytest.approx(50)


@pytest.mark.parametrize(
    ("formula", "expected"),
    [
        ("#{F_A} - #{F_A@-1}", 4 - 3),
        ("ytd(#{F_A})", 1 + 3 + 4),
        ("lastyear(#{F_A})", 2),
        ("#{F_A} / lastyear(#{F_A}) * 100 - 100", 100),
        ("ytd(#{F_A}) - ytd(lastyear(#{F_A}))", 8 - (5 + 2)),
        ("if(isNull(#{F_A@-3}), 0, 1)", 0),
        ("coalesce(#{F_A@-3}, -1)", -1),
        ("#{F_A@-3} + 1", None),
    ],
)
def test_offsets_year_to_date_and_missing(
    session: Session, formula: str, expected: float | None
) -> None:
    a = indicator(session, "F_A")
    for period, value in (
        ("2025-02", 5),
        ("2025-03", 2),
        ("2026-01", 1),
        ("2026-02", 3),
        ("2026-03", 4),
    ):
        put(session, a, "48", period, value)
    derived = indicator(session, "F_D", formula=formula, agg_units="none", agg_time="last")
    cell = value_of(session, derived, unit(session, "48"), "2026-03")
    if expected is None:
        assert cell.value is None
        assert cell.kind == "missing"
    else:
        assert cell.value == pytest.approx(expected)


def test_an_annual_input_in_a_monthly_formula_is_read_for_its_year(session: Session) -> None:
    revenue = indicator(session, "F_MONTHLY")
    plan = indicator(session, "F_ANNUAL_PLAN", cadence="year", agg_time="last")
    put(session, revenue, "48", "2026-01", 30)
    put(session, revenue, "48", "2026-02", 30)
    put(session, plan, "48", "2026", 600)
    share = indicator(
        session,
        "F_SHARE",
        formula="ytd(#{F_MONTHLY}) / #{F_ANNUAL_PLAN} * 100",
        agg_units="none",
        agg_time="last",
    )
    cell = value_of(session, share, unit(session, "48"), "2026-02")
    assert cell.value == pytest.approx(10)
    plain = value_of(session, plan, unit(session, "48"), "2026-02")
    assert plain.value is None  # a plain query does not invent a monthly plan


def test_derived_of_derived_and_remapped_inputs(session: Session) -> None:
    base = indicator(session, "F_BASE")
    put(session, base, "48", "2025-06", 100)
    put(session, base, "49", "2025-06", 50)
    double = indicator(session, "F_DOUBLE", formula="#{F_BASE} * 2", agg_units="none")
    plus = indicator(session, "F_PLUS", formula="#{F_DOUBLE} + 1", agg_units="none")
    cell = value_of(session, plus, unit(session, "48"), "2025-06")
    assert cell.value == 301
    assert cell.remapped
    assert double.formula is not None


def test_year_to_date_of_a_ratio_is_the_ratio_of_years_to_date(session: Session) -> None:
    a = indicator(session, "F_NUM")
    b = indicator(session, "F_DEN")
    for month, (x, y) in {"2026-01": (1, 10), "2026-02": (9, 10)}.items():
        put(session, a, "48", month, x)
        put(session, b, "48", month, y)
    ratio = indicator(session, "F_RATIO", formula="#{F_NUM} / #{F_DEN}", agg_units="none")
    cell = value_of(session, ratio, unit(session, "48"), "2026-02", ytd=True)
    assert cell.value == pytest.approx(10 / 20)


# --- explain -------------------------------------------------------------------------------------


def _walk(node: ExplainNode) -> list[ExplainNode]:
    out = [node]
    for child in node.children:
        out.extend(_walk(child))
    return out


def test_explain_a_derived_value_down_to_its_sources(session: Session) -> None:
    _ratio_inputs(session)
    indicator(session, "F_PCT2", formula="#{F_REV} / #{F_PLAN} * 100", agg_units="none")
    got = service.explain(db=session, actor=ADMIN, code="F_PCT2", unit="48", period="2026-03")
    assert got.value == pytest.approx(40 / 60 * 100)
    root = got.tree
    assert root.kind == "formula"
    references = [n for n in _walk(root) if n.kind == "reference"]
    assert {(n.indicator, n.value) for n in references} == {("F_REV", 40), ("F_PLAN", 60)}
    revenue = next(n for n in references if n.indicator == "F_REV").children[0]
    assert revenue.kind == "units"
    assert revenue.operator == "sum"
    assert revenue.coverage is not None
    assert revenue.coverage.text == "2/94 xã đã báo cáo"
    sources = [n for n in _walk(revenue) if n.kind == "observation"]
    assert sorted((n.unit, n.value) for n in sources) == [(HAI_VAN, 10), (LIEN_CHIEU, 30)]
    assert all(n.source is not None and n.source.recorded_by == "tester" for n in sources)


def test_explain_time_and_remapping_steps(session: Session) -> None:
    ind = indicator(session, "F_EXPLAIN", report_level="commune")
    put(session, ind, "20296", "2025-06", 8)  # legacy Hòa Liên, split in two
    put(session, ind, "20194", "2025-06", 2)
    put(session, ind, HAI_VAN, "2025-07", 5)
    target = unit(session, HAI_VAN)
    tree = explain_value(
        session, indicator=ind, target=target, period=Period.parse("2025Q3"), hierarchy=CURRENT
    )
    assert tree.kind == "time"
    assert tree.value == 5
    quarter2 = explain_value(
        session, indicator=ind, target=target, period=Period.parse("2025Q2"), hierarchy=CURRENT
    )
    assert quarter2.value == pytest.approx(6)
    remap = next(n for n in _walk(quarter2) if n.kind == "remap")
    assert remap.remapped
    parts = sorted((n.unit, n.weight, n.value) for n in remap.children)
    assert parts == [("20194", 1.0, 2), ("20296", 0.5, 8)]


def test_explain_an_own_value(session: Session) -> None:
    ind = indicator(session, "F_OWN", report_level="commune")
    put(session, ind, HAI_VAN, "2026-03", 1)
    put(session, ind, "48", "2026-03", 99)
    got = service.explain(db=session, actor=ADMIN, code="F_OWN", unit="48", period="2026-03")
    assert (got.tree.kind, got.value) == ("own", 99)


@pytest.mark.parametrize(
    ("overrides", "period"),
    [
        ({"agg_units": "avg", "agg_time": "last"}, "2025Q3"),
        ({"agg_units": "max", "agg_time": "sum"}, "2025"),
        ({"agg_units": "sum", "agg_time": "avg"}, "2025Q2"),
    ],
)
def test_explain_agrees_with_the_engine(
    session: Session, overrides: dict[str, Any], period: str
) -> None:
    ind = indicator(session, "F_AGREE", report_level="commune", **overrides)
    for code, month, value in (
        ("20296", "2025-05", 8),
        ("20194", "2025-06", 2),
        ("20197", "2025-06", 3),
        (HAI_VAN, "2025-07", 5),
        (LIEN_CHIEU, "2025-08", 7),
        (LIEN_CHIEU, "2025-09", 1),
    ):
        put(session, ind, code, month, value)
    target = unit(session, "48")
    engine = value_of(session, ind, target, period).value
    tree = explain_value(
        session, indicator=ind, target=target, period=Period.parse(period), hierarchy=CURRENT
    )
    assert engine is not None
    assert tree.value == pytest.approx(engine)
