"""Typed periods: codes, arithmetic, roll-up, other standards' codes and labels."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dieuhanh.core.periods import (
    MAX_YEAR,
    Period,
    PeriodError,
    PeriodType,
    children,
    label,
    parse,
    parse_dhis2,
    parse_sdmx,
    periods_between,
    rollup,
    to_dhis2,
    to_sdmx,
)

TYPES = list(PeriodType)
dates = st.dates(min_value=date(1001, 1, 1), max_value=date(9997, 12, 31))
near_dates = st.dates(min_value=date(1990, 1, 1), max_value=date(2060, 12, 31))
periods = st.builds(Period.containing, st.sampled_from(TYPES), dates)
near_periods = st.builds(Period.containing, st.sampled_from(TYPES), near_dates)


def thursday(p: Period) -> date:
    return p.start + timedelta(days=3)


# -- canonical codes --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("code", "kind", "start", "end"),
    [
        ("2026", PeriodType.YEAR, date(2026, 1, 1), date(2026, 12, 31)),
        ("2026S1", PeriodType.HALF, date(2026, 1, 1), date(2026, 6, 30)),
        ("2026S2", PeriodType.HALF, date(2026, 7, 1), date(2026, 12, 31)),
        ("2026Q3", PeriodType.QUARTER, date(2026, 7, 1), date(2026, 9, 30)),
        ("2026-07", PeriodType.MONTH, date(2026, 7, 1), date(2026, 7, 31)),
        ("2024-02", PeriodType.MONTH, date(2024, 2, 1), date(2024, 2, 29)),
        ("2026W12", PeriodType.WEEK, date(2026, 3, 16), date(2026, 3, 22)),
        ("2026W01", PeriodType.WEEK, date(2025, 12, 29), date(2026, 1, 4)),
        ("2026W53", PeriodType.WEEK, date(2026, 12, 28), date(2027, 1, 3)),
        ("2026-07-15", PeriodType.DAY, date(2026, 7, 15), date(2026, 7, 15)),
    ],
)
def test_parse_canonical(code: str, kind: PeriodType, start: date, end: date) -> None:
    p = parse(code)
    assert (p.type, p.start, p.end) == (kind, start, end)
    assert str(p) == code
    assert Period.parse(code) == p


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("2026-W12", "2026W12"),
        ("2026w12", "2026W12"),
        ("2026W1", "2026W01"),
        (" 2026q3 ", "2026Q3"),
    ],
)
def test_parse_accepts_variants(text: str, canonical: str) -> None:
    assert str(parse(text)) == canonical


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "not a period code"),
        ("abc", "not a period code"),
        ("2026Q5", "quarter 5"),
        ("2026Q0", "quarter 0"),
        ("2026S3", "half 3"),
        ("2026-13", "month 13"),
        ("2026-00", "month 0"),
        ("2025W53", "2025 has weeks 1-52"),
        ("2026W00", "week 0"),
        ("2026-02-29", "not a date"),
        ("0999", "outside the supported range"),
        ("2026-7", "not a period code"),
        ("202607", "not a period code"),  # DHIS2, not ours
        ("2026-Q3", "not a period code"),  # SDMX, not ours
        ("٢٠٢٦", "not a period code"),  # non-ASCII digits
    ],
)
def test_parse_rejects(text: str, message: str) -> None:
    with pytest.raises(PeriodError, match=message):
        parse(text)


def test_period_error_is_a_value_error() -> None:
    assert issubclass(PeriodError, ValueError)
    with pytest.raises(PeriodError):
        parse(2026)  # type: ignore[arg-type]


def test_constructor_validates_bounds() -> None:
    with pytest.raises(PeriodError):
        Period(PeriodType.MONTH, date(2026, 7, 2), date(2026, 7, 31))
    with pytest.raises(PeriodError):
        Period(PeriodType.QUARTER, date(2026, 7, 1), date(2026, 8, 31))
    with pytest.raises(PeriodError):
        Period.containing("fortnight", date(2026, 7, 1))
    with pytest.raises(PeriodError):
        Period.containing(PeriodType.DAY, datetime(2026, 7, 1, 12))
    assert Period(PeriodType.MONTH, date(2026, 7, 1), date(2026, 7, 31)) == parse("2026-07")


def test_hashable_and_orderable() -> None:
    assert len({parse("2026Q3"), parse("2026q3"), Period.for_quarter(2026, 3)}) == 1
    mixed = [parse(c) for c in ("2026", "2026-01", "2025-12-31", "2026-01-01", "2026Q1")]
    assert [str(p) for p in sorted(mixed)] == [
        "2025-12-31",
        "2026-01-01",
        "2026-01",
        "2026Q1",
        "2026",
    ]
    assert parse("2026-07") < parse("2026-08") <= parse("2026-08")
    assert parse("2027") > parse("2026") >= parse("2026")
    with pytest.raises(TypeError):
        _ = parse("2026") < "2027"


def test_attributes() -> None:
    assert parse("2026W01").year == 2026  # although it starts in 2025
    assert parse("2026Q3").number == 3
    assert parse("2026-02-01").number == 32
    assert parse("2024").days == 366
    assert parse("2026W12").days == 7


@given(periods)
def test_parse_str_round_trip(p: Period) -> None:
    assert parse(str(p)) == p
    assert hash(parse(str(p))) == hash(p)


@given(st.text(max_size=12))
def test_parsers_raise_only_period_error(text: str) -> None:
    for reader in (parse, parse_sdmx, parse_dhis2):
        try:
            result = reader(text)
        except PeriodError:
            continue
        assert isinstance(result, Period)


# -- arithmetic ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("code", "n", "expected"),
    [
        ("2026-12", 1, "2027-01"),
        ("2026-01", -13, "2024-12"),
        ("2026Q4", 1, "2027Q1"),
        ("2026S1", -1, "2025S2"),
        ("2026W53", 1, "2027W01"),
        ("2026W01", -1, "2025W52"),
        ("2024-02-28", 2, "2024-03-01"),
        ("2026", 10, "2036"),
    ],
)
def test_shift(code: str, n: int, expected: str) -> None:
    assert str(parse(code).shift(n)) == expected


def test_shift_out_of_range() -> None:
    with pytest.raises(PeriodError):
        Period.for_year(MAX_YEAR).next()
    with pytest.raises(PeriodError):
        parse("2026-07-15").shift(10**12)


@given(periods, st.integers(min_value=-500, max_value=500))
def test_shift_inverse_and_adjacent(p: Period, n: int) -> None:
    try:
        q = p.shift(n)
    except PeriodError:
        return
    assert q.type is p.type
    assert q.shift(-n) == p
    assert (q > p) == (n > 0)
    assert (q == p) == (n == 0)


@given(near_periods)
def test_next_and_previous_are_contiguous(p: Period) -> None:
    assert p.next().start == p.end + timedelta(days=1)
    assert p.previous().end == p.start - timedelta(days=1)
    assert p.next().previous() == p


@given(near_dates, st.sampled_from(TYPES))
def test_containing_contains(d: date, kind: PeriodType) -> None:
    p = Period.containing(kind, d)
    assert p.contains(d)
    assert not p.contains(p.start - timedelta(days=1))
    assert not p.contains(p.end + timedelta(days=1))


def test_contains_period_and_rejects_datetimes() -> None:
    assert parse("2026Q3").contains(parse("2026-08"))
    assert not parse("2026Q3").contains(parse("2026-10"))
    assert not parse("2026-06").contains(parse("2026W27"))  # 29/6-5/7 straddles the month
    with pytest.raises(TypeError):
        parse("2026").contains(datetime(2026, 7, 1, 12))


def test_periods_between() -> None:
    assert [str(p) for p in periods_between(parse("2026Q3"), parse("2027Q2"))] == [
        "2026Q3",
        "2026Q4",
        "2027Q1",
        "2027Q2",
    ]
    assert periods_between(parse("2026-07"), parse("2026-07")) == [parse("2026-07")]
    assert periods_between(parse("2026-08"), parse("2026-07")) == []
    with pytest.raises(PeriodError, match="different types"):
        periods_between(parse("2026-07"), parse("2026Q3"))


@given(near_periods, st.integers(min_value=0, max_value=60))
def test_periods_between_counts(p: Period, k: int) -> None:
    run = periods_between(p, p.shift(k))
    assert len(run) == k + 1
    assert all(b.start == a.end + timedelta(days=1) for a, b in itertools.pairwise(run))


# -- roll-up ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("code", "to", "expected"),
    [
        ("2026-07-15", "week", "2026W29"),
        ("2026-07-15", "month", "2026-07"),
        ("2026-07", "quarter", "2026Q3"),
        ("2026-07", "half", "2026S2"),
        ("2026Q2", "half", "2026S1"),
        ("2026Q2", "year", "2026"),
        ("2026W01", "year", "2026"),  # ISO week-year, though it starts on 29/12/2025
        ("2026W01", "month", "2026-01"),  # Thursday 1/1/2026
        ("2026W53", "month", "2026-12"),  # Thursday 31/12/2026
        ("2026W53", "year", "2026"),
        ("2026W05", "month", "2026-01"),  # 26/1-1/2, Thursday 29/1
        ("2026W27", "quarter", "2026Q3"),  # 29/6-5/7, Thursday 2/7
        ("2026-07", "month", "2026-07"),
    ],
)
def test_rollup(code: str, to: str, expected: str) -> None:
    assert str(rollup(parse(code), to)) == expected
    assert str(parse(code).rollup(PeriodType(to))) == expected


def test_rollup_to_finer_type_fails() -> None:
    with pytest.raises(PeriodError, match="finer"):
        rollup(parse("2026Q3"), "month")
    with pytest.raises(PeriodError, match="finer"):
        rollup(parse("2026-07"), "week")


def test_children_examples() -> None:
    assert [str(p) for p in children(parse("2026Q3"), "month")] == ["2026-07", "2026-08", "2026-09"]
    assert [str(p) for p in children(parse("2026"), "half")] == ["2026S1", "2026S2"]
    assert len(children(parse("2024"), "day")) == 366
    weeks = children(parse("2026-01"), "week")
    assert [str(p) for p in weeks] == ["2026W01", "2026W02", "2026W03", "2026W04", "2026W05"]
    assert len(children(parse("2026"), "week")) == 53
    assert children(parse("2026W12"), "week") == [parse("2026W12")]
    assert next(str(p) for p in children(parse("2026W12"), "day")) == "2026-03-16"
    with pytest.raises(PeriodError):
        children(parse("2026-07"), "quarter")
    with pytest.raises(PeriodError):
        children(parse("2026-07-15"), "week")


@given(near_periods, st.sampled_from(TYPES))
def test_children_tile_and_roll_up(parent: Period, kind: PeriodType) -> None:
    if kind.rank > parent.type.rank:
        return
    kids = children(parent, kind)
    assert kids
    assert all(k.type is kind for k in kids)
    assert all(rollup(k, parent.type) == parent for k in kids)
    assert all(b.start == a.end + timedelta(days=1) for a, b in itertools.pairwise(kids))
    if kind is PeriodType.WEEK and parent.type is not PeriodType.WEEK:
        # Weeks by their Thursday: exactly the weeks whose Thursday lies in the parent.
        assert all(parent.contains(thursday(k)) for k in kids)
        assert not parent.contains(thursday(kids[0].previous()))
        assert not parent.contains(thursday(kids[-1].next()))
    else:
        assert kids[0].start == parent.start
        assert kids[-1].end == parent.end
        assert sum(k.days for k in kids) == parent.days


@given(near_periods, st.sampled_from(TYPES))
def test_rollup_is_parent(p: Period, kind: PeriodType) -> None:
    if kind.rank < p.type.rank:
        return
    parent = rollup(p, kind)
    assert parent.type is kind
    assert p in children(parent, p.type)
    if p.type is not PeriodType.WEEK:
        assert parent.contains(p)
    # Rolling up in steps gives the same parent as rolling up at once. A day's week can
    # belong (by its Thursday) to another month than the day itself, so the week is not a
    # valid stepping stone between a day and a coarser period.
    for middle in TYPES:
        through_week = middle is PeriodType.WEEK and p.type is PeriodType.DAY
        if p.type.rank <= middle.rank <= kind.rank and not (through_week and kind is not middle):
            assert rollup(rollup(p, middle), kind) == parent


# -- SDMX and DHIS2 -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("code", "sdmx", "sdmx_reporting", "dhis2"),
    [
        ("2026", "2026", "2026-A1", "2026"),
        ("2026S1", "2026-S1", "2026-S1", "2026S1"),
        ("2026Q3", "2026-Q3", "2026-Q3", "2026Q3"),
        ("2026-07", "2026-07", "2026-M07", "202607"),
        ("2026W12", "2026-W12", "2026-W12", "2026W12"),
        ("2026W03", "2026-W03", "2026-W03", "2026W3"),
        ("2026-07-15", "2026-07-15", "2026-D196", "20260715"),
    ],
)
def test_standard_codes(code: str, sdmx: str, sdmx_reporting: str, dhis2: str) -> None:
    p = parse(code)
    assert to_sdmx(p) == sdmx
    assert to_sdmx(p, reporting=True) == sdmx_reporting
    assert to_dhis2(p) == dhis2
    assert parse_sdmx(sdmx) == parse_sdmx(sdmx_reporting) == p
    assert parse_dhis2(dhis2) == p


@pytest.mark.parametrize(
    "text", ["2026-T1", "2026-Q5", "2026-M13", "2025-W53", "2026-D366", "2026Q3"]
)
def test_parse_sdmx_rejects(text: str) -> None:
    with pytest.raises(PeriodError):
        parse_sdmx(text)


@pytest.mark.parametrize(
    "text", ["202613", "2026BiW1", "202601B", "2026AprilS1", "2026-07", "2026W54"]
)
def test_parse_dhis2_rejects(text: str) -> None:
    with pytest.raises(PeriodError):
        parse_dhis2(text)


def test_dhis2_accepts_padded_week() -> None:
    assert parse_dhis2("2026W01") == parse("2026W01")
    assert parse_sdmx("2024-D366") == parse("2024-12-31")


@given(periods, st.booleans())
def test_sdmx_round_trip(p: Period, reporting: bool) -> None:
    assert parse_sdmx(to_sdmx(p, reporting=reporting)) == p


@given(periods)
def test_dhis2_round_trip(p: Period) -> None:
    assert parse_dhis2(to_dhis2(p)) == p


# -- labels -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("code", "vi", "en"),
    [
        ("2026", "Năm 2026", "2026"),
        ("2026S1", "6 tháng đầu năm 2026", "H1 2026"),
        ("2026S2", "6 tháng cuối năm 2026", "H2 2026"),
        ("2026Q1", "Quý I/2026", "Q1 2026"),
        ("2026Q3", "Quý III/2026", "Q3 2026"),
        ("2026Q4", "Quý IV/2026", "Q4 2026"),
        ("2026-07", "Tháng 7/2026", "July 2026"),
        ("2026W12", "Tuần 12/2026", "Week 12, 2026"),
        ("2026-07-15", "15/07/2026", "15 July 2026"),
    ],
)
def test_labels(code: str, vi: str, en: str) -> None:
    p = parse(code)
    assert label(p) == label(p, "vi") == label(p, "vi-VN") == vi
    assert label(p, "en") == label(p, "en_US") == en


def test_label_unknown_locale() -> None:
    with pytest.raises(ValueError, match="locale"):
        label(parse("2026"), "fr")


@given(
    st.integers(min_value=1990, max_value=2060),
    st.sampled_from(TYPES),
    st.sampled_from(["vi", "en"]),
)
def test_labels_distinct_within_a_year(year: int, kind: PeriodType, locale: str) -> None:
    parts = children(Period.for_year(year), kind)
    assert len({label(p, locale) for p in parts}) == len(parts)
