"""Outlier flags: the modified z-score by hand, its shortcut against brute force, and the
flag on every write (both databases)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from dieuhanh.core.periods import Period
from dieuhanh.domains.indicators import outliers
from dieuhanh.domains.indicators.models import Observation
from tests.domains.indicators.test_ingest_support import ingest, make_monthly, row, staff
from tests.fixtures.auth import OPERATOR48

# --- the score -----------------------------------------------------------------------------------

HISTORY = [10.0, 12.0, 11.0, 13.0, 12.0, 11.0, 10.0, 12.0]
# sorted 10 10 11 11 12 12 12 13: median 11.5; deviations 0.5 ×5, 1.5 ×3: MAD 0.5


def test_modified_z_by_hand() -> None:
    score, median = outliers.modified_z(20.0, HISTORY)
    assert median == 11.5
    assert score == pytest.approx(0.6745 * 8.5 / 0.5)  # 11.4665
    assert outliers.is_outlier(score)
    low, _ = outliers.modified_z(13.0, HISTORY)
    assert low == pytest.approx(0.6745 * 1.5 / 0.5)  # 2.0235
    assert not outliers.is_outlier(low)
    negative, _ = outliers.modified_z(5.0, HISTORY)
    assert negative == pytest.approx(0.6745 * -6.5 / 0.5)  # -8.7685


def test_zero_mad_falls_back_to_the_mean_absolute_deviation() -> None:
    # sorted 5 5 5 5 6 7: median 5, deviations 0 0 0 0 1 2: MAD 0, mean deviation 0.5
    score, median = outliers.modified_z(9.0, [5, 7, 5, 6, 5, 5])
    assert median == 5
    assert score == pytest.approx(4 / (1.253314 * 0.5))  # 6.3831


def test_constant_history_flags_any_change_with_the_capped_score() -> None:
    assert outliers.modified_z(4.0, [4.0] * 6) == (0.0, 4.0)
    assert outliers.modified_z(4.1, [4.0] * 6) == (1000.0, 4.0)
    assert outliers.modified_z(3.0, [4.0] * 6) == (-1000.0, 4.0)


def test_too_little_history_gives_no_score() -> None:
    assert outliers.modified_z(100.0, [1.0, 2.0, 3.0, 4.0, 5.0]) is None
    assert outliers.modified_z(100.0, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]) is not None


def months(first: str, count: int) -> list[Period]:
    start = Period.parse(first)
    return [start.shift(i) for i in range(count)]


def points(values: list[float], first: str = "2023-01") -> list[outliers.Point]:
    series = (1, "month", 7, "")
    return [
        (series, p.start, p.shift(-outliers.WINDOW).start, v)
        for p, v in zip(months(first, len(values)), values, strict=True)
    ]


@settings(max_examples=300, deadline=None)
@given(
    history=st.lists(st.integers(min_value=0, max_value=12), min_size=0, max_size=30),
    scale=st.sampled_from([1.0, 0.1, 1e6]),
    value=st.integers(min_value=-30, max_value=40),
)
def test_the_shortcut_flags_exactly_what_brute_force_flags(
    history: list[int], scale: float, value: int
) -> None:
    values = [h * scale for h in history] + [value * scale]
    flagged = outliers.score_points(points(values), {})
    expected: set[int] = set()
    for i, v in enumerate(values):
        window = values[max(0, i - outliers.WINDOW) : i]
        result = outliers.modified_z(v, window)
        if result is not None and outliers.is_outlier(result[0]):
            expected.add(i)
    assert set(flagged) == expected
    for i, found in flagged.items():
        assert found.count == min(i, outliers.WINDOW)


def test_only_the_window_counts_as_history() -> None:
    # two years swinging 100/300, then two calm years around 200: 215 is unusual against
    # the calm window, though not against all four years (MAD ≈ 50 there)
    old = [100.0 if i % 2 else 300.0 for i in range(24)]
    calm = [200.0 + (i % 3 - 1) for i in range(24)]  # 199 200 201 …
    flagged = outliers.score_points(points([*old, *calm, 215.0], first="2021-01"), {})
    assert list(flagged) == [48]
    # sorted calm: 199 ×8, 200 ×8, 201 ×8 → median 200, deviations 0 ×8, 1 ×16 → MAD 1
    assert flagged[48].score == pytest.approx(0.6745 * 15)
    assert flagged[48].count == 24
    everything = outliers.modified_z(215.0, [*old, *calm])
    assert everything is not None
    assert not outliers.is_outlier(everything[0])


def test_stored_values_are_history_and_new_values_override_them() -> None:
    series = (1, "month", 7, "")
    stored = {series: {p.start: v for p, v in zip(months("2023-01", 8), HISTORY, strict=True)}}
    spike = Period.parse("2023-09")
    window = spike.shift(-outliers.WINDOW).start
    flagged = outliers.score_points([(series, spike.start, window, 20.0)], stored)
    assert flagged[0].score == pytest.approx(11.4665)
    # correcting the stored 13 (2023-04) to 10 in the same request changes the history:
    # sorted 10 10 10 11 11 12 12 12, median 11, deviations 0 0 1 1 1 1 1 1 → MAD 1
    april = Period.parse("2023-04")
    both = outliers.score_points(
        [
            (series, april.start, april.shift(-outliers.WINDOW).start, 10.0),
            (series, spike.start, window, 20.0),
        ],
        stored,
    )
    assert list(both) == [1]
    assert both[1].score == pytest.approx(0.6745 * 9)


# --- on every write ------------------------------------------------------------------------------


def stored_scores(session: Session) -> dict[str, float | None]:
    return dict(session.execute(select(Observation.period, Observation.outlier_score)).all())


def test_a_spike_is_flagged_accepted_and_cleared_when_corrected(session: Session) -> None:
    make_monthly(session, "T_SERIES", report_level="province")
    op = staff(session, OPERATOR48)
    periods = [str(p) for p in months("2024-01", 8)]
    first = ingest(
        session, op, [row("T_SERIES", "48", p, v) for p, v in zip(periods, HISTORY, strict=True)]
    )
    assert first.outliers == 0
    assert first.warnings == []

    spike = ingest(session, op, [row("T_SERIES", "48", "2024-09", 20.0)])
    assert (spike.inserted, spike.outliers) == (1, 1)
    [warning] = spike.warnings
    assert (warning.row, warning.column, warning.code) == (1, "value", "outlier")
    assert (warning.indicator, warning.unit, warning.period) == ("T_SERIES", "48", "2024-09")
    assert warning.score == pytest.approx(11.4665)
    assert warning.message == (
        "Unusual value 20: modified z-score 11.47 against 8 earlier values (median 11.5)"
    )
    assert stored_scores(session)["2024-09"] == pytest.approx(11.4665)
    assert all(stored_scores(session)[p] is None for p in periods)

    corrected = ingest(session, op, [row("T_SERIES", "48", "2024-09", 12.0)])
    assert (corrected.updated, corrected.outliers, corrected.warnings) == (1, 0, [])
    assert stored_scores(session)["2024-09"] is None


def test_a_whole_series_in_one_request_is_judged_point_by_point(session: Session) -> None:
    make_monthly(session, "T_SERIES", report_level="province")
    op = staff(session, OPERATOR48)
    values = [*HISTORY, 20.0, 11.0]
    batch = ingest(
        session,
        op,
        [
            row("T_SERIES", "48", str(p), v)
            for p, v in zip(months("2024-01", 10), values, strict=True)
        ],
    )
    assert batch.outliers == 1
    assert [(w.row, w.period) for w in batch.warnings] == [(9, "2024-09")]
    # 11 after the spike: history 10 10 11 11 12 12 12 13 20, median 12, MAD 1 → -0.6745
    assert stored_scores(session)["2024-10"] is None


def test_disaggregations_and_units_are_separate_histories(session: Session) -> None:
    make_monthly(session, "T_SEX", report_level="province", disaggregations=["sex"])
    op = staff(session, OPERATOR48)
    periods = [str(p) for p in months("2024-01", 8)]
    female = {"sex": "female"}
    totals = [row("T_SEX", "48", p, v) for p, v in zip(periods, HISTORY, strict=True)]
    parts = [
        row("T_SEX", "48", p, 100 * v, disagg=female) for p, v in zip(periods, HISTORY, strict=True)
    ]
    ingest(session, op, totals + parts)
    # 1150 is the female median ×1 but a spike against the total's history
    batch = ingest(
        session,
        op,
        [
            row("T_SEX", "48", "2024-09", 1150.0, disagg={"sex": "female"}),
            row("T_SEX", "48", "2024-09", 11.0),
        ],
    )
    assert batch.outliers == 0
    assert date(2024, 9, 1) in set(session.scalars(select(Observation.period_start)))
