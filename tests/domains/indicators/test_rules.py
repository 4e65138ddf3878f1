"""Validation rules on write (both databases): an error rolls the whole batch back, a
warning is accepted and listed; rules read the values as they now are, with missing-value
strategies, period offsets, year-to-date and derived indicators."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dieuhanh.core.security import Actor
from dieuhanh.domains.indicators import service
from dieuhanh.domains.indicators.models import Observation
from dieuhanh.domains.indicators.schemas import RuleIn
from tests.domains.indicators.test_ingest_support import (
    counts,
    ingest,
    make_monthly,
    rejected,
    row,
    staff,
)
from tests.fixtures.auth import OPERATOR48
from tests.fixtures.indicators import CATALOG_ACTOR, make_indicator


def add_rule(session: Session, code: str, left: str, operator: str, right: str, **kw: Any) -> None:
    data = RuleIn(
        code=code,
        name_vi=f"Quy tắc {code}",
        name_en=f"Rule {code}",
        left=left,
        operator=operator,
        right=right,
        component="test",
        **kw,
    )
    service.create_rule(db=session, actor=CATALOG_ACTOR, data=data)
    session.info.pop("actor", None)


@pytest.fixture
def op(session: Session) -> Actor:
    for code in ("T_A", "T_B", "T_TOTAL"):
        make_monthly(session, code, report_level="province")
    return staff(session, OPERATOR48)


def values(session: Session) -> dict[tuple[int, str], float]:
    found = session.execute(select(Observation.indicator_id, Observation.period, Observation.value))
    return {(ind, period): value for ind, period, value in found}


def test_an_error_rule_rejects_the_whole_batch(session: Session, op: Actor) -> None:
    add_rule(session, "T_PARTS_SUM", "#{T_A} + #{T_B}", "==", "#{T_TOTAL}")
    before = counts(session)
    errors = rejected(
        session,
        op,
        [
            row("T_A", "48", "2025-07", 1.0),  # a fine cell
            row("T_B", "48", "2025-07", 2.0),
            row("T_TOTAL", "48", "2025-07", 3.0),
            row("T_A", "48", "2025-08", 1.0),  # 1 + 2 ≠ 4
            row("T_B", "48", "2025-08", 2.0),
            row("T_TOTAL", "48", "2025-08", 4.0),
        ],
    )
    assert errors == [
        {
            "row": 4,
            "column": "value",
            "code": "rule_violated",
            "message": "Rule T_PARTS_SUM (Rule T_PARTS_SUM) fails for 48 in 2025-08: 3 == 4",
            "rule": "T_PARTS_SUM",
            "unit": "48",
            "period": "2025-08",
        }
    ]
    assert counts(session) == before  # no observation, no revision, no batch


def test_rules_read_what_is_already_stored(session: Session, op: Actor) -> None:
    add_rule(session, "T_PARTS_SUM", "#{T_A} + #{T_B}", "==", "#{T_TOTAL}")
    # parts first: the total is missing, so the rule is skipped (skip_if_any_missing)
    ingest(session, op, [row("T_A", "48", "2025-08", 1.0), row("T_B", "48", "2025-08", 2.0)])
    ingest(session, op, [row("T_TOTAL", "48", "2025-08", 3.0)])
    before = counts(session)
    errors = rejected(session, op, [row("T_TOTAL", "48", "2025-08", 5.0)])
    assert [(e["row"], e["rule"], e["message"][-6:]) for e in errors] == [
        (1, "T_PARTS_SUM", "3 == 5")
    ]
    assert counts(session) == before  # the correction and its revision were rolled back
    total = service.get_indicator(db=session, code="T_TOTAL").id
    assert values(session)[(total, "2025-08")] == 3.0
    # a consistent correction of one part and the total passes
    batch = ingest(
        session, op, [row("T_A", "48", "2025-08", 2.0), row("T_TOTAL", "48", "2025-08", 4.0)]
    )
    assert (batch.updated, batch.warnings) == (2, [])


def test_never_skip_counts_a_missing_value_as_zero(session: Session, op: Actor) -> None:
    add_rule(
        session,
        "T_PARTS_SUM",
        "#{T_A} + #{T_B}",
        "==",
        "#{T_TOTAL}",
        missing_strategy="never_skip",
    )
    # B missing: the left side is missing as a whole (arithmetic with missing) → 0 ≠ 3
    errors = rejected(
        session, op, [row("T_A", "48", "2025-08", 3.0), row("T_TOTAL", "48", "2025-08", 3.0)]
    )
    assert errors[0]["message"].endswith("— == 3")
    # the total alone: left missing → 0 == 0 passes only when the total is 0
    assert ingest(session, op, [row("T_TOTAL", "48", "2025-09", 0.0)]).inserted == 1


def test_a_warning_rule_is_accepted_and_listed(session: Session, op: Actor) -> None:
    add_rule(session, "T_A_WITHIN", "#{T_A}", "<=", "#{T_TOTAL}", severity="warning")
    batch = ingest(
        session,
        op,
        [
            row("T_TOTAL", "48", "2025-08", 3.0),
            row("T_A", "48", "2025-08", 5.0),
            row("T_A", "48", "2025-09", 1.0),  # total missing: skipped
        ],
        locale="vi",
    )
    assert (batch.inserted, batch.outliers) == (3, 0)
    assert [(w.row, w.code, w.rule, w.unit, w.period) for w in batch.warnings] == [
        (1, "rule_violated", "T_A_WITHIN", "48", "2025-08")
    ]
    assert batch.warnings[0].message == (
        "Quy tắc T_A_WITHIN (Quy tắc T_A_WITHIN) không thỏa mãn tại 48, kỳ 2025-08: 5 <= 3"
    )
    assert service.get_batch(db=session, actor=op, batch_id=batch.id).warnings == batch.warnings


def test_only_cells_the_batch_touched_are_checked(session: Session, op: Actor) -> None:
    ingest(session, op, [row("T_A", "48", "2025-07", 9.0), row("T_TOTAL", "48", "2025-07", 1.0)])
    add_rule(session, "T_A_WITHIN", "#{T_A}", "<=", "#{T_TOTAL}")
    # 2025-07 breaks the new rule, but this batch does not touch it
    assert ingest(session, op, [row("T_A", "48", "2025-08", 1.0)]).inserted == 1
    # nor does a batch of an indicator the rule does not name
    assert ingest(session, op, [row("T_B", "48", "2025-07", 1.0)]).inserted == 1
    errors = rejected(session, op, [row("T_TOTAL", "48", "2025-07", 2.0)])
    assert errors[0]["period"] == "2025-07"


def test_period_offsets(session: Session, op: Actor) -> None:
    make_monthly(session, "T_CUM", report_level="province", agg_time="last")
    add_rule(session, "T_CUM_GROWS", "#{T_CUM}", ">=", "#{T_CUM@-1}")
    ingest(session, op, [row("T_CUM", "48", "2025-07", 10.0)])
    errors = rejected(session, op, [row("T_CUM", "48", "2025-08", 8.0)])
    assert errors[0]["message"].endswith("8 >= 10")
    assert ingest(session, op, [row("T_CUM", "48", "2025-08", 12.0)]).inserted == 1
    # both months in one request: each is checked against the other's new value
    errors = rejected(
        session, op, [row("T_CUM", "48", "2025-09", 15.0), row("T_CUM", "48", "2025-10", 14.0)]
    )
    assert [(e["row"], e["period"]) for e in errors] == [(2, "2025-10")]


def test_year_to_date_sums_the_months_of_the_year(session: Session, op: Actor) -> None:
    make_monthly(session, "T_FLOW", report_level="province")  # summed over time
    add_rule(session, "T_FLOW_CAP", "ytd(#{T_FLOW})", "<=", "100")
    ingest(
        session,
        op,
        [
            row("T_FLOW", "48", "2024-12", 90.0),  # last year: not in 2025's total
            row("T_FLOW", "48", "2025-01", 40.0),
            row("T_FLOW", "48", "2025-02", 50.0),
        ],
    )
    errors = rejected(session, op, [row("T_FLOW", "48", "2025-03", 20.0)])
    assert errors[0]["message"].endswith("110 <= 100")
    assert ingest(session, op, [row("T_FLOW", "48", "2025-03", 10.0)]).inserted == 1


def test_rules_on_derived_indicators_evaluate_their_formula(session: Session, op: Actor) -> None:
    make_indicator(
        session, "T_SHARE", formula="#{T_A} / #{T_TOTAL} * 100", agg_units="none", agg_time="last"
    )
    add_rule(session, "T_SHARE_MAX", "#{T_SHARE}", "<=", "100")
    errors = rejected(
        session, op, [row("T_A", "48", "2025-08", 5.0), row("T_TOTAL", "48", "2025-08", 4.0)]
    )
    assert [(e["row"], e["rule"]) for e in errors] == [(1, "T_SHARE_MAX")]
    assert errors[0]["message"].endswith("125 <= 100")
    assert ingest(session, op, [row("T_A", "48", "2025-08", 3.0)]).inserted == 1
