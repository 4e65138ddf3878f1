"""Benchmark: build ~10 million observations through the ingestion path, then time queries.

What it does, on a fresh database (SQLite in a temporary file by default, or PostgreSQL):

1. migrate, load the administrative units (home province 48) and create ``--indicators``
   test indicators through the catalog service (monthly, reported by communes, mixed
   sum / average aggregations);
2. write ``--communes`` current communes × ``--indicators`` × ``--months`` values through the
   real write path (``service.ingest_rows``: resolution, checks, stored-value lookup,
   outlier scores, bulk write, validation rules, batch and audit rows), one batch of
   100,000 rows per transaction, and print rows/s;
3. side by side, write the *same* rows (already resolved to ids, sorted by primary key) with
   a plain ``executemany`` into an identical empty table in a separate SQLite file on the
   same machine — or, on PostgreSQL, with a plain binary ``COPY`` — and print the ratio
   (goal: our path within 3× of that);
4. time the query benchmarks: ``bench/indicators_queries.py``'s ``run(url)`` if that file
   exists, and every function in :data:`QUERY_BENCHMARKS` (each takes the database URL and
   returns ``[(label, seconds), …]``). Goals: a 5-year roll-up of one indicator to the 34
   provinces and a full province overview under 200 ms on SQLite, under 100 ms on
   PostgreSQL.

Building the pydantic row objects is done before timing (it is the JSON parser's work, not
the write path's); its cost per 100,000 rows is printed separately for completeness.

Keep the database to rerun only the queries: ``--keep PATH`` (SQLite) builds into PATH and,
when PATH already holds the benchmark data, skips the build. With ``--postgres URL`` the
database at URL is used (created by you, empty the first time) and likewise reused.

Run: ``.venv/bin/python bench/indicators.py [--communes 3321 --indicators 50 --months 60]
[--postgres URL] [--keep PATH] [--skip-baseline]``
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import math
import os
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import func, select, text

from dieuhanh.core.db import Database
from dieuhanh.core.periods import Period, PeriodType
from dieuhanh.domains.auth import service as auth_service
from dieuhanh.domains.indicators import service
from dieuhanh.domains.indicators.schemas import IndicatorIn
from dieuhanh.domains.indicators.schemas_ingest import ObservationIn
from dieuhanh.domains.units import service as units
from dieuhanh.migrations import runner

CHUNK = 100_000
RATIO_GOAL = 3.0
PREFIX = "BENCH_"
HOME_PROVINCE = "48"
ACTOR = auth_service.system_actor("bench")

# Extra query timings: each takes the database URL and returns [(label, seconds), ...].
QUERY_BENCHMARKS: list[Callable[[str], list[tuple[str, float]]]] = []

# The observations table as migration 0003 creates it, for the plain baseline.
BASELINE_DDL = """
CREATE TABLE observations (
    indicator_id INTEGER NOT NULL, period_type VARCHAR(8) NOT NULL, period_start DATE NOT NULL,
    unit_id INTEGER NOT NULL, disagg VARCHAR(128) NOT NULL, period VARCHAR(16) NOT NULL,
    value FLOAT NOT NULL, status VARCHAR(1) NOT NULL, source VARCHAR(64) NOT NULL,
    recorded_by VARCHAR(128) NOT NULL, recorded_at DATETIME NOT NULL, revision INTEGER NOT NULL,
    outlier_score FLOAT, batch_id INTEGER,
    PRIMARY KEY (indicator_id, period_type, period_start, unit_id, disagg)
) {suffix}
"""
BASELINE_INDEX = (
    "CREATE INDEX ix_observations_unit ON {table} "
    "(unit_id, indicator_id, period_type, period_start)"
)


# --- the data ------------------------------------------------------------------------------------


def month_range(count: int) -> list[Period]:
    """``count`` months ending with the last complete month (Vietnam time)."""
    last = Period.containing(PeriodType.MONTH, units.today()).previous()
    return [last.shift(-i) for i in range(count - 1, -1, -1)]


def value_of(indicator: int, unit: int, month: int) -> float:
    """A deterministic value: a per-unit level, a seasonal swing and ±5 % hashed noise (not
    periodic, so the outlier check sees ordinary data and flags almost nothing)."""
    base = 50.0 + (unit * 7919 + indicator * 104729) % 950
    season = 1.0 + 0.03 * math.sin(month * math.pi / 6)
    mixed = (unit * 2654435761 + month * 40503 + indicator * 2246822519) % 4294967291
    noise = 1.0 + ((mixed * 2654435761) % 65536 / 65535 - 0.5) / 10
    return round(base * season * noise, 3)


def rows(
    codes: list[str], communes: list[units.UnitOut], months: list[Period]
) -> Iterator[tuple[int, int, int, Period]]:
    """(indicator index, commune index, month index, period) in primary-key order."""
    for i, _code in enumerate(codes):
        for m, month in enumerate(months):
            for u, _unit in enumerate(communes):
                yield i, u, m, month


def chunks(
    codes: list[str], communes: list[units.UnitOut], months: list[Period]
) -> Iterator[list[tuple[int, int, int, Period]]]:
    chunk: list[tuple[int, int, int, Period]] = []
    for item in rows(codes, communes, months):
        chunk.append(item)
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def as_models(
    chunk: list[tuple[int, int, int, Period]],
    codes: list[str],
    communes: list[units.UnitOut],
) -> list[ObservationIn]:
    """Row objects as the JSON parser hands them over (built without re-validation)."""
    return [
        ObservationIn.model_construct(
            indicator=codes[i],
            unit=communes[u].code,
            period=str(month),
            value=value_of(i, u, m),
            disagg={},
            status="provisional",
            hierarchy=units.CURRENT,
        )
        for i, u, m, month in chunk
    ]


# --- building ------------------------------------------------------------------------------------


def prepare(database: Database, indicators: int) -> list[str]:
    """Units and the benchmark indicators (idempotent)."""
    with database.transaction() as db:
        units.load_reference_data(db=db, home_province=HOME_PROVINCE)
    codes = [f"{PREFIX}{n:02d}" for n in range(indicators)]
    with database.transaction() as db:
        existing = service.indicators_by_code(db=db, codes=codes)
        for n, code in enumerate(codes):
            if code in existing:
                continue
            rule = "sum" if n % 2 == 0 else "avg"
            data = IndicatorIn(
                code=code,
                name_vi=f"Chỉ tiêu đo hiệu năng {n}",
                name_en=f"Benchmark indicator {n}",
                measure_unit_vi="đơn vị",
                measure_unit_en="units",
                sector="benchmark",
                component="bench",
                agg_units=rule,
                agg_time=rule,
                direction="up",
                decimals=1,
                cadence="month",
                report_level="commune",
            )
            service.create_indicator(db=db, actor=ACTOR, data=data)
        db.info.pop("actor", None)
    return codes


def current_communes(database: Database, count: int) -> list[units.UnitOut]:
    with database.reading() as db:
        found, _total = units.search_units(
            db=db, level="commune", hierarchy=units.CURRENT, limit=100_000
        )
    return sorted(found, key=lambda u: u.id)[:count]


def already_built(database: Database, expected: int) -> bool:
    with database.reading() as db:
        stored = db.scalar(select(func.count()).select_from(text("observations"))) or 0
    return stored >= expected


def build(
    database: Database, codes: list[str], communes: list[units.UnitOut], months: list[Period]
) -> tuple[int, float]:
    """Write everything through ``service.ingest_rows``; (rows, seconds in the service)."""
    total, spent, started = 0, 0.0, time.perf_counter()
    expected = len(codes) * len(communes) * len(months)
    for chunk in chunks(codes, communes, months):
        models = as_models(chunk, codes, communes)
        t0 = time.perf_counter()
        with database.transaction() as db:
            batch = service.ingest_rows(db=db, actor=ACTOR, rows=models, source="bench")
        spent += time.perf_counter() - t0
        total += batch.inserted + batch.updated + batch.unchanged
        elapsed = time.perf_counter() - started
        print(
            f"\r  ingested {total:>11,} / {expected:,} rows  "
            f"({total / spent:,.0f} rows/s in the service, {elapsed:,.0f} s elapsed)",
            end="",
            flush=True,
        )
    print()
    return total, spent


def model_cost(codes: list[str], communes: list[units.UnitOut], months: list[Period]) -> float:
    """Seconds pydantic takes to validate 100,000 rows from plain dicts (the JSON route)."""
    first = next(chunks(codes, communes, months))
    plain = [m.model_dump() for m in as_models(first, codes, communes)]
    adapter = TypeAdapter(list[ObservationIn])
    t0 = time.perf_counter()
    adapter.validate_python(plain)
    return (time.perf_counter() - t0) * CHUNK / len(plain)


# --- the baseline --------------------------------------------------------------------------------


def baseline_rows(
    chunk: list[tuple[int, int, int, Period]],
    ids: list[int],
    communes: list[units.UnitOut],
    stamp: str,
) -> list[tuple[Any, ...]]:
    return [
        (
            ids[i], "month", month.start.isoformat(), communes[u].id, "", str(month),
            value_of(i, u, m), "p", "bench", "system:bench", stamp, 1, None, 1,
        )
        for i, u, m, month in chunk
    ]  # fmt: skip


def baseline_sqlite(
    codes: list[str], ids: list[int], communes: list[units.UnitOut], months: list[Period]
) -> tuple[int, float]:
    """Plain sorted executemany into an identical empty table, in its own SQLite file with
    the application's pragmas; (rows, seconds in executemany + commit)."""
    folder = Path(tempfile.mkdtemp(prefix="dieuhanh-bench-base-"))
    path = folder / "baseline.db"
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "cache_size=-32000"):
            conn.execute(f"PRAGMA {pragma}")
        conn.execute(BASELINE_DDL.format(suffix="WITHOUT ROWID"))
        conn.execute(BASELINE_INDEX.format(table="observations"))
        sql = "INSERT INTO observations VALUES (" + ", ".join("?" * 14) + ")"
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        total, spent = 0, 0.0
        for chunk in chunks(codes, communes, months):
            values = baseline_rows(chunk, ids, communes, stamp)
            t0 = time.perf_counter()
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(sql, values)
            conn.execute("COMMIT")
            spent += time.perf_counter() - t0
            total += len(values)
            print(f"\r  baseline {total:>11,} rows ({total / spent:,.0f} rows/s)", end="")
        print()
        return total, spent
    finally:
        conn.close()
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(OSError):
                os.remove(f"{path}{suffix}")
        with contextlib.suppress(OSError):
            folder.rmdir()


def baseline_postgres(
    database: Database,
    codes: list[str],
    ids: list[int],
    communes: list[units.UnitOut],
    months: list[Period],
) -> tuple[int, float]:
    """Plain binary COPY (the fastest PostgreSQL path) into a table identical to
    ``observations``: same primary key, index and foreign keys to ``indicators`` and
    ``units`` — on PostgreSQL those checks are most of the cost of an insert."""
    stamp = datetime.now(UTC)
    table = "bench_baseline_observations"
    ddl = (
        BASELINE_DDL.format(suffix="")
        .replace("observations", table)
        .replace("DATETIME", "TIMESTAMPTZ")
        .replace(
            "PRIMARY KEY",
            "FOREIGN KEY (indicator_id) REFERENCES indicators (id), "
            "FOREIGN KEY (unit_id) REFERENCES units (id), PRIMARY KEY",
        )
    )
    with database.transaction() as db:
        db.execute(text(f"DROP TABLE IF EXISTS {table}"))
        db.execute(text(ddl))
        db.execute(text(BASELINE_INDEX.format(table=table).replace("ix_", "ix_base_")))
    types = [
        "int4", "varchar", "date", "int4", "varchar", "varchar", "float8",
        "varchar", "varchar", "varchar", "timestamptz", "int4", "float8", "int4",
    ]  # fmt: skip
    total, spent = 0, 0.0
    try:
        for chunk in chunks(codes, communes, months):
            values = [
                (ids[i], "month", month.start, communes[u].id, "", str(month),
                 value_of(i, u, m), "p", "bench", "system:bench", stamp, 1, None, 1)
                for i, u, m, month in chunk
            ]  # fmt: skip
            t0 = time.perf_counter()
            with database.transaction() as db:
                raw: Any = db.connection().connection.driver_connection
                with (
                    raw.cursor() as cursor,
                    cursor.copy(f"COPY {table} FROM STDIN (FORMAT BINARY)") as copy,
                ):
                    copy.set_types(types)
                    for row in values:
                        copy.write_row(row)
            spent += time.perf_counter() - t0
            total += len(values)
            print(f"\r  baseline {total:>11,} rows ({total / spent:,.0f} rows/s)", end="")
        print()
    finally:
        with database.transaction() as db:
            db.execute(text(f"DROP TABLE IF EXISTS {table}"))
    return total, spent


# --- queries -------------------------------------------------------------------------------------


def query_benchmarks() -> list[Callable[[str], list[tuple[str, float]]]]:
    found = list(QUERY_BENCHMARKS)
    path = Path(__file__).with_name("indicators_queries.py")
    if path.exists():
        spec = importlib.util.spec_from_file_location("indicators_queries", path)
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        found.insert(0, module.run)
    return found


def run_queries(url: str, is_sqlite: bool) -> None:
    benchmarks = query_benchmarks()
    if not benchmarks:
        print("queries: no bench/indicators_queries.py yet and QUERY_BENCHMARKS is empty")
        return
    goal = 0.200 if is_sqlite else 0.100
    for benchmark in benchmarks:
        for label, seconds in benchmark(url):
            verdict = "ok" if seconds <= goal else "over goal"
            print(
                f"  {label:<60} {seconds * 1000:>9.1f} ms  (goal {goal * 1000:.0f} ms: {verdict})"
            )


def baseline(
    database: Database,
    codes: list[str],
    communes: list[units.UnitOut],
    months: list[Period],
    ours: float | None,
) -> None:
    """Time the plain write of the same rows and print it next to ours."""
    with database.reading() as db:
        ids = [service.get_indicator(db=db, code=c).id for c in codes]
    if database.is_sqlite:
        label = "plain sorted executemany (SQLite)"
        total, spent = baseline_sqlite(codes, ids, communes, months)
    else:
        label = "plain binary COPY (PostgreSQL, same keys and foreign keys)"
        total, spent = baseline_postgres(database, codes, ids, communes, months)
    base = total / spent
    print(f"{label}: {total:,} rows in {spent:.1f} s = {base:,.0f} rows/s")
    if ours is not None:
        verdict = "ok" if base / ours <= RATIO_GOAL else "over goal"
        print(
            f"ingestion path vs plain: {base / ours:.2f}× slower "
            f"(goal ≤ {RATIO_GOAL:.0f}×: {verdict})"
        )


# --- main ----------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--communes", type=int, default=3321)
    parser.add_argument("--indicators", type=int, default=50)
    parser.add_argument("--months", type=int, default=60)
    parser.add_argument("--postgres", metavar="URL", help="build in this PostgreSQL database")
    parser.add_argument("--keep", metavar="PATH", help="SQLite file to build into and keep")
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument(
        "--baseline-only",
        action="store_true",
        help="on an already built database, time only the plain baseline",
    )
    args = parser.parse_args()

    folder: Path | None = None
    if args.postgres:
        url = args.postgres
    elif args.keep:
        url = f"sqlite:///{Path(args.keep).resolve()}"
    else:
        folder = Path(tempfile.mkdtemp(prefix="dieuhanh-bench-"))
        url = f"sqlite:///{folder / 'bench.db'}"
    is_sqlite = url.startswith("sqlite")
    print(f"database: {url.split('@')[-1]}")
    t0 = time.perf_counter()
    runner.upgrade(url)
    database = Database(url)
    try:
        codes = prepare(database, args.indicators)
        communes = current_communes(database, args.communes)
        months = month_range(args.months)
        expected = len(codes) * len(communes) * len(months)
        print(
            f"setup (migrations, units, {len(codes)} indicators): "
            f"{time.perf_counter() - t0:.1f} s; "
            f"{len(communes):,} communes × {len(codes)} indicators × {len(months)} months "
            f"({months[0]}…{months[-1]}) = {expected:,} rows"
        )
        ours: float | None = None
        if already_built(database, expected):
            print("observations already built: not rebuilding")
        else:
            models = model_cost(codes, communes, months)
            print(f"row models (pydantic, JSON route only): {models:.2f} s per 100,000 rows")
            total, spent = build(database, codes, communes, months)
            ours = total / spent
            print(f"ingestion path: {total:,} rows in {spent:.1f} s = {ours:,.0f} rows/s")
            with database.transaction() as db:
                db.execute(text("ANALYZE"))
        if (ours is not None or args.baseline_only) and not args.skip_baseline:
            baseline(database, codes, communes, months, ours)
        run_queries(url, is_sqlite)
    finally:
        database.dispose()
        if folder is not None:
            for path in folder.iterdir():
                path.unlink()
            folder.rmdir()
    return 0


if __name__ == "__main__":
    sys.exit(main())
