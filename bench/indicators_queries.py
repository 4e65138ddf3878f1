"""Query benchmarks on the database ``bench/indicators.py`` builds (~10M observations).

``run(url)`` times, as the p50 of several runs after one warm-up (a fresh session each run,
so nothing is cached in Python between runs):

* **roll-up**: one indicator, every month of the five years stored, to the 34 provinces
  (34 × 60 cells from 3,321 communes' values, with coverage; the engine's one SQL);
* **roll-up, yearly**: the same indicator as five yearly values per province (over time per
  commune, then across communes);
* **province overview**: every benchmark indicator for Đà Nẵng (48) for the last month:
  value, year to date, change on last year, plan progress and projection, freshness — what
  ``GET /api/v1/indicators/overview`` computes.

Goals (issue #3): under 200 ms on SQLite and under 100 ms on PostgreSQL each.
Run alone on a built database: ``.venv/bin/python bench/indicators_queries.py URL``.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable

from sqlalchemy.orm import Session

from dieuhanh.core.db import Database
from dieuhanh.core.periods import Period, PeriodType
from dieuhanh.core.workdays import WorkCalendar
from dieuhanh.domains.auth import service as auth_service
from dieuhanh.domains.indicators import service
from dieuhanh.domains.indicators.formulas import compute
from dieuhanh.domains.indicators.query_grid import Request
from dieuhanh.domains.units import service as units

RUNS = 7
INDICATOR = "BENCH_00"
COMPONENT = "bench"
PROVINCE = "48"
ACTOR = auth_service.system_actor("bench")


def _p50(database: Database, work: Callable[[Session], object]) -> float:
    """Median wall time of ``work(session)`` over ``RUNS`` runs, after one warm-up."""
    times: list[float] = []
    for attempt in range(RUNS + 1):
        with database.reading() as db:
            start = time.perf_counter()
            work(db)
            elapsed = time.perf_counter() - start
        if attempt:
            times.append(elapsed)
    return statistics.median(times)


def _months() -> list[Period]:
    """The five years of months the benchmark stored (the 60 ending last month)."""
    last = Period.containing(PeriodType.MONTH, units.today()).previous()
    return [last.shift(-n) for n in range(59, -1, -1)]


def run(url: str) -> list[tuple[str, float]]:
    database = Database(url)
    try:
        months = _months()
        years = sorted({Period.for_year(m.year) for m in months})
        with database.reading() as db:
            indicator = service.get_indicator(db=db, code=INDICATOR)
            provinces, _ = units.search_units(
                db=db, level="province", hierarchy=units.CURRENT, limit=100
            )

        def rollup(db: Session, periods: list[Period]) -> None:
            request = Request.of(units.CURRENT, provinces, periods)
            cells = compute(db, [indicator], request)
            assert len(cells) == len(provinces) * len(periods)

        def overview(db: Session) -> None:
            got = service.overview(
                db=db,
                actor=ACTOR,
                unit=PROVINCE,
                period=str(months[-1]),
                calendar=WorkCalendar(),
                component=COMPONENT,
            )
            assert got.items

        return [
            (
                f"roll-up {INDICATOR}: {len(months)} months × 34 provinces",
                _p50(database, lambda db: rollup(db, months)),
            ),
            (
                f"roll-up {INDICATOR}: {len(years)} years × 34 provinces",
                _p50(database, lambda db: rollup(db, years)),
            ),
            (
                f"province overview ({PROVINCE}, {months[-1]}, all '{COMPONENT}' indicators)",
                _p50(database, overview),
            ),
        ]
    finally:
        database.dispose()


if __name__ == "__main__":
    target = sys.argv[1] if len(sys.argv) > 1 else "sqlite:///bench.db"
    for label, seconds in run(target):
        print(f"{label:<70} {seconds * 1000:>9.1f} ms")
