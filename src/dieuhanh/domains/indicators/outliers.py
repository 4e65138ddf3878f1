"""Outlier flags on every write: the modified z-score against the unit's own history.

Iglewicz and Hoaglin's modified z-score ``M = 0.6745 · (x − median) / MAD`` uses the median
and the median absolute deviation of the history, so one earlier spike does not hide the
next one the way a mean and a standard deviation would. A value is flagged when
``|M| > 3.5`` (their recommended cut-off); it is still accepted, because an unusual figure
(a typhoon month, Tết) is often true — the flag asks a person to look.

Choices made here:

* **History** is the same indicator, unit, disaggregation and period type, in the
  :data:`WINDOW` periods before the value's period (two years of months, six of quarters;
  values of the same request included, so a file of a whole series is judged point by
  point). A bounded window keeps the check proportional to the request, not to the table,
  and lets the baseline follow a trend. At least :data:`MIN_HISTORY` values are needed.
* **MAD = 0** (half the history identical): the IBM/SPSS convention divides by
  ``1.253314 · mean absolute deviation`` instead. When that is 0 too (a constant history)
  any change is flagged with the capped score ±:data:`SCORE_CAP`, and an equal value scores 0.
* Scores are capped at ±:data:`SCORE_CAP` so they stay finite numbers in JSON and SQL.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right, insort
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

THRESHOLD = 3.5
MIN_HISTORY = 6
WINDOW = 24  # periods before the value's period
CONSISTENCY = 0.6745  # makes the MAD comparable to a standard deviation for normal data
MEAN_AD_FACTOR = 1.253314  # sqrt(pi/2): the same for the mean absolute deviation
SCORE_CAP = 1000.0

SeriesKey = tuple[int, str, int, str]  # indicator_id, period_type, unit_id, disagg


@dataclass(frozen=True, slots=True)
class Score:
    """A flagged value: its score, and what it was compared with (for the message)."""

    score: float
    median: float
    count: int


def _median(ordered: Sequence[float]) -> float:
    n = len(ordered)
    mid = n // 2
    return ordered[mid] if n % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def modified_z(value: float, history: Iterable[float]) -> tuple[float, float] | None:
    """``(score, median)`` of ``value`` against ``history``; ``None`` with too little history."""
    ordered = sorted(history)
    n = len(ordered)
    if n < MIN_HISTORY:
        return None
    median = _median(ordered)
    deviations = sorted(abs(v - median) for v in ordered)
    mad = _median(deviations)
    diff = value - median
    if mad > 0:
        score = CONSISTENCY * diff / mad
    else:
        mean_ad = math.fsum(deviations) / n
        if mean_ad > 0:
            score = diff / (MEAN_AD_FACTOR * mean_ad)
        elif math.isclose(value, median, rel_tol=1e-9, abs_tol=1e-12):
            score = 0.0
        else:
            score = math.copysign(SCORE_CAP, diff)
    return max(-SCORE_CAP, min(SCORE_CAP, score)), median


def is_outlier(score: float) -> bool:
    return abs(score) > THRESHOLD


# A value being written: its series, period start, the start of its history window (the
# period WINDOW periods earlier) and the value. Plain tuples: a request builds 100,000.
Point = tuple[SeriesKey, date, date, float]
_RATIO = THRESHOLD / CONSISTENCY  # |x - median| > _RATIO * MAD  ⇔  |M| > THRESHOLD
_SAFETY = 1 + 1e-9  # widen the shortcut's interval so rounding can only cost a full check


def score_points(
    points: Sequence[Point], stored: Mapping[SeriesKey, Mapping[date, float]]
) -> dict[int, Score]:
    """Flag the points whose score passes the threshold: ``{index in points: Score}``.

    ``stored`` holds the values already in the database around the points (at least from
    each point's window start). Values of ``points`` override stored ones of the same
    period, since they are what the series will be after the write.

    Per series the points are visited in period order with the window kept sorted (values
    enter and leave it by bisection), so the median costs nothing; the full score is then
    computed only for *candidates*: with ``t = |x − median| / 5.19`` (3.5 / 0.6745), if fewer
    than ``k = ⌈n/2⌉`` history values lie strictly within ``t`` of the median, the k-th
    smallest deviation is at least ``t``, hence ``MAD ≥ t`` and ``|M| ≤ 3.5``: not an outlier.
    Two bisections decide that for almost every value.
    """
    merged: dict[SeriesKey, dict[date, float]] = {k: dict(v) for k, v in stored.items()}
    by_series: dict[SeriesKey, list[int]] = defaultdict(list)
    for index, (series, start, _window_start, value) in enumerate(points):
        merged.setdefault(series, {})[start] = value
        by_series[series].append(index)
    flagged: dict[int, Score] = {}
    for series, indexes in by_series.items():
        values_by_start = merged[series]
        starts = sorted(values_by_start)
        values = [values_by_start[s] for s in starts]
        indexes.sort(key=lambda i: points[i][1])
        window: list[float] = []  # values[lo:hi], sorted
        lo = hi = 0
        for index in indexes:
            _series, start, window_start, value = points[index]
            end = bisect_left(starts, start, hi)
            begin = bisect_left(starts, window_start, lo, end)
            for j in range(hi, end):
                insort(window, values[j])
            for j in range(lo, begin):
                del window[bisect_left(window, values[j])]
            lo, hi = begin, end
            n = len(window)
            if n < MIN_HISTORY:
                continue
            mid = n // 2
            median = window[mid] if n % 2 else (window[mid - 1] + window[mid]) / 2
            t = abs(value - median) / _RATIO * _SAFETY
            if bisect_left(window, median + t) - bisect_right(window, median - t) < (n + 1) // 2:
                continue
            result = modified_z(value, window)
            if result is not None and is_outlier(result[0]):
                flagged[index] = Score(score=result[0], median=result[1], count=n)
    return flagged
