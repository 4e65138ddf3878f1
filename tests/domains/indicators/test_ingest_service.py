"""The write path on both databases: counts, revisions, idempotency, all-or-nothing
validation, unit resolution across the 2025 reform, scope and agency ownership."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dieuhanh.core.errors import ProblemError
from dieuhanh.core.security import Actor
from dieuhanh.domains.auth.models import AuditEntry
from dieuhanh.domains.indicators import service
from dieuhanh.domains.indicators.models import Observation, ObservationRevision
from dieuhanh.domains.units import service as units
from tests.domains.indicators.test_ingest_support import (
    counts,
    ingest,
    make_monthly,
    rejected,
    row,
    staff,
    where,
)
from tests.fixtures.auth import ADMIN, AGENCY48, OPERATOR01, OPERATOR48
from tests.fixtures.indicators import make_indicator
from tests.fixtures.units import unit_id


@pytest.fixture
def op(session: Session) -> Actor:
    make_monthly(session, "T_SUM")
    make_monthly(session, "T_RATE", agg_units="avg", agg_time="avg")
    return staff(session, OPERATOR48)


def stored(session: Session, code: str, unit: str, period: str, hierarchy: str = "2025") -> tuple:
    ident = service.get_indicator(db=session, code=code).id
    obs = session.execute(
        select(
            Observation.value, Observation.status, Observation.revision, Observation.period
        ).where(
            Observation.indicator_id == ident,
            Observation.unit_id == unit_id(session, unit, hierarchy),
            Observation.period == period,
        )
    ).one()
    return tuple(obs)


def test_insert_update_unchanged_and_revisions(session: Session, op: Actor) -> None:
    first = ingest(
        session,
        op,
        [
            row("T_SUM", "48", "2025-08", 10.0),
            row("T_SUM", "48", "2025-09", 20.0),
            row("T_SUM", "20194", "2025-09", 3.5, status="final"),
            row("T_RATE", "48", "2025-09", 0.5),
        ],
    )
    assert (first.rows, first.inserted, first.updated, first.unchanged) == (4, 4, 0, 0)
    assert first.actor == "user:operator48"
    assert first.source == "api"
    assert not first.replayed
    assert counts(session) == (4, 0, 1)

    second = ingest(
        session,
        op,
        [
            row("T_SUM", "48", "2025-08", 10.0),  # same → unchanged
            row("T_SUM", "48", "2025-09", 21.5),  # corrected value
            row("T_SUM", "20194", "2025-09", 3.5),  # same value, status final → provisional
            row("T_SUM", "48", "2025-10", 30.0),  # new
        ],
        source="csv",
    )
    assert (second.inserted, second.updated, second.unchanged) == (1, 2, 1)
    assert counts(session) == (5, 2, 2)
    assert stored(session, "T_SUM", "48", "2025-09") == (21.5, "p", 2, "2025-09")
    assert stored(session, "T_SUM", "20194", "2025-09") == (3.5, "p", 2, "2025-09")
    assert stored(session, "T_SUM", "48", "2025-08") == (10.0, "p", 1, "2025-08")

    # the correction kept the old value, with who replaced it and in which batch
    history = service.value_revisions(
        db=session, actor=op, code="T_SUM", unit="48", period="2025-09"
    )
    assert [(i.revision, i.value, i.current) for i in history.items] == [
        (2, 21.5, True),
        (1, 20.0, False),
    ]
    assert history.items[0].batch == second.id
    assert history.items[0].recorded_by == "user:operator48"
    assert history.items[1].replaced_in_batch == second.id
    assert history.items[1].replaced_by == "user:operator48"
    assert history.items[1].recorded_at <= history.items[1].replaced_at  # type: ignore[operator]
    assert history.unit == "48"
    assert history.hierarchy == "2025"
    assert history.disagg == ""

    # a third correction stacks: two old values, newest first
    ingest(session, op, [row("T_SUM", "48", "2025-09", 22.0, status="final")])
    again = service.value_revisions(db=session, actor=op, code="T_SUM", unit="48", period="2025-09")
    assert [(i.revision, i.value, i.status) for i in again.items] == [
        (3, 22.0, "final"),
        (2, 21.5, "provisional"),
        (1, 20.0, "provisional"),
    ]


def test_each_batch_is_one_audit_event_with_its_counts(session: Session, op: Actor) -> None:
    batch = ingest(session, op, [row("T_SUM", "48", "2025-08", 1.0)])
    events = session.scalars(
        select(AuditEntry).where(AuditEntry.table_name == "observations")
    ).all()
    assert [(e.action, e.entity_id, e.actor_name) for e in events] == [
        ("ingest", str(batch.id), "operator48")
    ]
    assert events[0].after == {
        "rows": 1,
        "inserted": 1,
        "updated": 0,
        "unchanged": 0,
        "outliers": 0,
        "warnings": 0,
        "source": "api",
    }


def test_idempotent_retry_writes_nothing(session: Session, op: Actor) -> None:
    rows = [row("T_SUM", "48", "2025-08", 10.0), row("T_SUM", "48", "2025-09", 11.0)]
    first = ingest(session, op, rows, idempotency_key="req-1")
    before = counts(session)
    retry = ingest(session, op, list(rows), idempotency_key="req-1")
    assert retry.replayed
    assert retry.id == first.id
    assert (retry.inserted, retry.updated, retry.unchanged) == (2, 0, 0)  # the original counts
    assert counts(session) == before

    with pytest.raises(ProblemError) as conflict:
        ingest(session, op, [row("T_SUM", "48", "2025-08", 99.0)], idempotency_key="req-1")
    assert conflict.value.code == "idempotency_conflict"
    assert conflict.value.status == 409
    assert counts(session) == before
    assert stored(session, "T_SUM", "48", "2025-08")[0] == 10.0


def test_every_bad_row_is_reported_and_nothing_is_written(session: Session, op: Actor) -> None:
    make_indicator(session, "T_QUARTER", cadence="quarter")
    make_monthly(session, "T_SEX", disaggregations=["sex"])
    make_indicator(session, "T_DERIVED", formula="#{T_SUM} * 2", agg_units="none")
    ingest(session, op, [row("T_SUM", "48", "2025-07", 1.0)])
    before = counts(session)
    errors = rejected(
        session,
        op,
        [
            row("T_SUM", "48", "2025-08", 5.0),  # 1 fine on its own
            row("NOPE", "48", "2025-08", 5.0),  # 2 unknown indicator
            row("T_SUM", "48", "2025-13", 5.0),  # 3 not a period
            row("T_SUM", "99999", "2025-08", 5.0),  # 4 unknown unit
            row("T_SUM", "48", "2099-01", 5.0),  # 5 future
            row("T_QUARTER", "48", "2025-08", 5.0),  # 6 month for a quarterly indicator
            row("T_SEX", "48", "2025-08", 5.0, disagg={"age": "x"}),  # 7 undeclared dim
            row("T_SEX", "48", "2025-08", 5.0, disagg={"sex": "other"}),  # 8 unknown category
            row("T_DERIVED", "48", "2025-08", 5.0),  # 9 formula-derived
            row("T_SUM", "48", "2025-08", 6.0),  # 10 duplicate of row 1
            row("T_SUM", "48.SYT", "2025-08", 5.0),  # 11 an agency, not an area
            row("T_SUM", "20344", "2025-08", 5.0),  # 12 legacy-only code after the reform
        ],
    )
    assert where(errors) == [
        (2, "indicator", "unknown_indicator"),
        (3, "period", "invalid_period"),
        (4, "unit", "unknown_unit"),
        (5, "period", "future_period"),
        (6, "period", "period_type_mismatch"),
        (7, "disagg", "unknown_dimension"),
        (8, "disagg", "unknown_category"),
        (9, "indicator", "derived_indicator"),
        (10, None, "duplicate"),
        (11, "unit", "level_not_allowed"),
        (12, "unit", "unknown_unit"),
    ]
    by_row = {e["row"]: e["message"] for e in errors}
    assert by_row[6] == "Indicator T_QUARTER expects periods like 2026Q3, not 2025-08"
    assert by_row[10] == "Same indicator, unit, period and disaggregation as row 1"
    assert by_row[12] == "No unit 20344 in hierarchy 2025"
    assert counts(session) == before


def test_messages_follow_the_locale(session: Session, op: Actor) -> None:
    errors = rejected(session, op, [row("NOPE", "48", "2025-08", 1.0)], locale="vi")
    assert errors == [
        {
            "row": 1,
            "column": "indicator",
            "code": "unknown_indicator",
            "message": "Không có chỉ tiêu NOPE",
        }
    ]


def test_units_resolve_in_the_hierarchy_of_the_period(session: Session, op: Actor) -> None:
    ingest(
        session,
        op,
        [
            row("T_SUM", "20194", "2024-05", 1.0),  # Hòa Hiệp Bắc (legacy)
            row("T_SUM", "20194", "2025-08", 2.0),  # Hải Vân (2025)
            row("T_SUM", "20344", "2025-06", 3.0),  # Hòa Hương, Quảng Nam (legacy)
            row("T_SUM", "20194", "2025-09", 4.0, hierarchy="legacy"),  # explicit
        ],
    )
    legacy_20194 = unit_id(session, "20194", units.LEGACY)
    current_20194 = unit_id(session, "20194", units.CURRENT)
    assert legacy_20194 != current_20194
    found = session.execute(
        select(Observation.period, Observation.unit_id, Observation.value).order_by(
            Observation.period_start, Observation.unit_id
        )
    ).all()
    assert [tuple(f) for f in found] == [
        ("2024-05", legacy_20194, 1.0),
        ("2025-06", unit_id(session, "20344", units.LEGACY), 3.0),
        ("2025-08", current_20194, 2.0),
        ("2025-09", legacy_20194, 4.0),
    ]
    assert stored(session, "T_SUM", "20194", "2024-05", units.LEGACY)[0] == 1.0
    # a quarter ending after the reform is a 2025 one; one ending before it is legacy
    make_indicator(session, "T_Q", cadence="quarter", report_level="commune")
    ingest(session, op, [row("T_Q", "20194", "2025Q2", 5.0), row("T_Q", "20194", "2025Q3", 6.0)])
    q = service.get_indicator(db=session, code="T_Q").id
    assert session.execute(
        select(Observation.period, Observation.unit_id, Observation.period_start)
        .where(Observation.indicator_id == q)
        .order_by(Observation.period_start)
    ).all() == [
        ("2025Q2", legacy_20194, date(2025, 4, 1)),
        ("2025Q3", current_20194, date(2025, 7, 1)),
    ]


def test_report_level_allows_that_level_and_above(session: Session, op: Actor) -> None:
    make_indicator(session, "T_PROV", report_level="province")
    batch = ingest(session, op, [row("T_PROV", "48", "2025-08", 1.0)])
    assert batch.inserted == 1
    errors = rejected(session, op, [row("T_PROV", "20194", "2025-08", 1.0)])
    assert where(errors) == [(1, "unit", "level_not_allowed")]


def test_scope_rejects_rows_outside_the_subtree(session: Session, op: Actor) -> None:
    hanoi = staff(session, OPERATOR01)
    before = counts(session)
    errors = rejected(
        session,
        hanoi,
        [
            row("T_SUM", "00004", "2025-08", 1.0),  # Ba Đình, Hà Nội: in scope
            row("T_SUM", "48", "2025-08", 1.0),
            row("T_SUM", "20194", "2024-05", 1.0),
        ],
    )
    assert where(errors) == [(2, "unit", "out_of_scope"), (3, "unit", "out_of_scope")]
    assert errors[0]["message"] == "Unit 48 is outside your scope"
    assert counts(session) == before
    # Đà Nẵng's operator may write legacy Quảng Nam communes: they became part of 48
    assert ingest(session, op, [row("T_SUM", "20344", "2024-05", 1.0)]).inserted == 1
    # an installation-wide admin writes anywhere
    everywhere = staff(session, ADMIN)
    assert ingest(session, everywhere, [row("T_SUM", "00004", "2025-08", 1.0)]).inserted == 1


def test_agency_officers_write_only_their_agencys_indicators(session: Session) -> None:
    make_monthly(session, "T_HEALTH", owner_agency="48.SYT")
    make_monthly(session, "T_FINANCE", owner_agency="48.STC")
    officer = staff(session, AGENCY48)  # Sở Y tế
    assert ingest(session, officer, [row("T_HEALTH", "48", "2025-08", 1.0)]).inserted == 1
    errors = rejected(
        session,
        officer,
        [row("T_HEALTH", "48", "2025-09", 1.0), row("T_FINANCE", "48", "2025-09", 1.0)],
    )
    assert where(errors) == [(2, "indicator", "not_owner")]


def test_who_may_write(session: Session, op: Actor) -> None:
    from tests.fixtures.auth import CITIZEN, LEADER48

    for username in (CITIZEN, LEADER48):
        with pytest.raises(ProblemError) as caught:
            ingest(session, staff(session, username), [row("T_SUM", "48", "2025-08", 1.0)])
        assert caught.value.code == "forbidden"


def test_disaggregated_values_are_separate_cells(session: Session, op: Actor) -> None:
    make_monthly(session, "T_POP", disaggregations=["sex", "area"])
    batch = ingest(
        session,
        op,
        [
            row("T_POP", "48", "2025-08", 100.0),
            row("T_POP", "48", "2025-08", 52.0, disagg={"sex": "female"}),
            row("T_POP", "48", "2025-08", 30.0, disagg={"sex": "female", "area": "urban"}),
        ],
    )
    assert batch.inserted == 3
    cells = session.scalars(select(Observation.disagg).order_by(Observation.disagg)).all()
    assert cells == ["", "area=urban;sex=female", "sex=female"]
    history = service.value_revisions(
        db=session, actor=op, code="T_POP", unit="48", period="2025-08",
        disagg="sex=female;area=urban",
    )  # fmt: skip
    assert [i.value for i in history.items] == [30.0]


def test_revisions_of_a_missing_value_are_not_found(session: Session, op: Actor) -> None:
    with pytest.raises(ProblemError) as caught:
        service.value_revisions(db=session, actor=op, code="T_SUM", unit="48", period="2025-08")
    assert caught.value.code == "not_found"
    with pytest.raises(ProblemError) as unknown:
        service.value_revisions(db=session, actor=op, code="NOPE", unit="48", period="2025-08")
    assert unknown.value.code == "indicator_not_found"
    hanoi = staff(session, OPERATOR01)
    with pytest.raises(ProblemError) as scope:
        service.value_revisions(db=session, actor=hanoi, code="T_SUM", unit="48", period="2025-08")
    assert scope.value.code == "out_of_scope"


def test_batches_are_shown_to_their_writer_and_installation_admins(
    session: Session, op: Actor
) -> None:
    batch = ingest(session, op, [row("T_SUM", "48", "2025-08", 1.0)])
    assert service.get_batch(db=session, actor=op, batch_id=batch.id).inserted == 1
    assert (
        service.get_batch(db=session, actor=staff(session, ADMIN), batch_id=batch.id).id == batch.id
    )
    with pytest.raises(ProblemError) as caught:
        service.get_batch(db=session, actor=staff(session, OPERATOR01), batch_id=batch.id)
    assert caught.value.code == "not_found"


def test_a_failed_batch_leaves_the_session_usable(session: Session, op: Actor) -> None:
    ingest(session, op, [row("T_SUM", "48", "2025-08", 1.0)])
    rejected(session, op, [row("NOPE", "48", "2025-08", 1.0)])
    assert ingest(session, op, [row("T_SUM", "48", "2025-09", 2.0)]).inserted == 1
    session.commit()
    assert counts(session) == (2, 0, 2)
    assert session.scalar(select(ObservationRevision.id)) is None


def test_periods_follow_the_cadence_and_are_stored_canonically(session: Session, op: Actor) -> None:
    make_indicator(session, "T_D09", cadence="decree09_month")
    make_indicator(session, "T_WEEK", cadence="week")
    make_indicator(session, "T_DAY", cadence="day")
    make_indicator(session, "T_YEAR", cadence="year")
    batch = ingest(
        session,
        op,
        [
            # a Decree-09 month is stored under its nominal month (its window is 15/07–14/08)
            row("T_D09", "48", "2025-08", 1.0),
            row("T_WEEK", "48", "2025-w5", 2.0),
            # the ISO week of 30/06–06/07/2025 ends after the reform: today's Đà Nẵng
            row("T_WEEK", "48", "2025W27", 3.0),
            row("T_DAY", "48", "2025-07-15", 4.0),
            row("T_YEAR", "48", "2024", 5.0),
        ],
    )
    assert batch.inserted == 5
    found = session.execute(
        select(
            Observation.period,
            Observation.period_type,
            Observation.period_start,
            Observation.unit_id,
        ).order_by(Observation.value)
    ).all()
    current, legacy = unit_id(session, "48"), unit_id(session, "48", units.LEGACY)
    assert [tuple(f) for f in found] == [
        ("2025-08", "month", date(2025, 8, 1), current),
        ("2025W05", "week", date(2025, 1, 27), legacy),
        ("2025W27", "week", date(2025, 6, 30), current),
        ("2025-07-15", "day", date(2025, 7, 15), current),
        ("2024", "year", date(2024, 1, 1), legacy),
    ]
    errors = rejected(
        session,
        op,
        [
            row("T_D09", "48", "2025Q3", 1.0),
            row("T_WEEK", "48", "2025-08", 1.0),
            row("T_YEAR", "48", "2025S1", 1.0),
        ],
    )
    assert [e["message"] for e in errors] == [
        "Indicator T_D09 expects periods like 2026-07, not 2025Q3",
        "Indicator T_WEEK expects periods like 2026W12, not 2025-08",
        "Indicator T_YEAR expects periods like 2026, not 2025S1",
    ]
