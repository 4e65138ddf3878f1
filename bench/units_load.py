"""Benchmark: load the administrative units into SQLite, then search them through the API.

Goals: the whole reference load (both hierarchies, closure, successions, agencies,
boundaries) in under 5 s; unit search through the JSON API (in-process, FastAPI TestClient,
request logging on but sent to /dev/null) at p99 under 10 ms.

Besides wall-clock latency it prints the CPU time each request cost this process (all its
threads) and the machine's load average: on a shared 2-core machine, other processes inflate
wall-clock figures, and the CPU figure shows what the request itself costs. It also times the
service call alone (no HTTP), to separate our query cost from the web stack's.

Run: ``.venv/bin/python bench/units_load.py [--searches 1000]``
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import os
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from dieuhanh.core.db import Database
from dieuhanh.core.settings import Settings
from dieuhanh.domains.units import service
from dieuhanh.migrations import runner
from dieuhanh.web.app import create_app

LOAD_GOAL_S = 5.0
SEARCH_P99_GOAL_MS = 10.0

# Varied searches: accents or not, one or several words, codes, levels, both hierarchies.
QUERIES: list[dict[str, str]] = [
    {"q": "da nang"},
    {"q": "Đà Nẵng", "level": "province"},
    {"q": "hai chau", "level": "commune"},
    {"q": "hoa"},
    {"q": "phuong 1"},
    {"q": "xa an"},
    {"q": "quang nam", "hierarchy": "legacy"},
    {"q": "hoi an", "as_of": "2025-01-01"},
    {"q": "thanh pho", "level": "district", "hierarchy": "legacy"},
    {"q": "so y te"},
    {"q": "ubnd phuong", "limit": "10"},
    {"q": "20194"},
    {"q": "48."},
    {"q": "ho chi minh"},
    {"q": "Hà Nội", "level": "province"},
    {"q": "binh"},
    {"q": "tan", "level": "commune", "offset": "50"},
    {"q": "dac khu"},
    {"level": "commune", "parent": "48"},
    {"level": "province"},
    {"q": "son", "hierarchy": "legacy", "level": "commune"},
    {"q": "nguyen"},
]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))
    return ordered[index]


def service_arguments(params: dict[str, str]) -> dict[str, Any]:
    """The API query string as ``search_units`` keyword arguments."""
    arguments: dict[str, Any] = {k: v for k, v in params.items() if k not in ("limit", "offset")}
    if "as_of" in arguments:
        arguments["as_of"] = date.fromisoformat(arguments["as_of"])
    arguments["limit"] = int(params.get("limit", "50"))
    arguments["offset"] = int(params.get("offset", "0"))
    return arguments


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--searches", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dieuhanh-bench-") as tmp:
        return run(Path(tmp), args.searches)


def run(folder: Path, searches: int) -> int:
    url = f"sqlite:///{folder / 'bench.db'}"

    started = time.perf_counter()
    runner.upgrade(url)
    migrate_s = time.perf_counter() - started

    database = Database(url)
    started = time.perf_counter()
    with database.transaction() as db:
        report = service.load_reference_data(db=db, home_province="48")
    load_s = time.perf_counter() - started
    started = time.perf_counter()
    with database.transaction() as db:
        again = service.load_reference_data(db=db, home_province="48")
    reload_s = time.perf_counter() - started
    database.dispose()
    size_mb = (folder / "bench.db").stat().st_size / 1e6

    database = Database(url)
    service_ms: list[float] = []
    with database.reading() as db:
        for params in itertools.islice(itertools.cycle(QUERIES), searches):
            t0 = time.perf_counter()
            service.search_units(db=db, **service_arguments(params))
            service_ms.append((time.perf_counter() - t0) * 1000)
    database.dispose()

    app = create_app(Settings(database_url=url, environment="test", jobs_enabled=False))
    timings: list[float] = []
    cpu: list[float] = []
    load_before = os.getloadavg()[0]
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink), TestClient(app) as c:
        for params in QUERIES:  # warm-up, and check that every query works
            r = c.get("/api/v1/units", params=params)
            assert r.status_code == 200, r.text
        for params in itertools.islice(itertools.cycle(QUERIES), searches):
            t0, c0 = time.perf_counter(), time.process_time()
            r = c.get("/api/v1/units", params=params)
            timings.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
            assert r.status_code == 200
    load_after = os.getloadavg()[0]

    p50, p99 = statistics.median(timings), percentile(timings, 0.99)
    print(f"migrate:        {migrate_s:6.2f} s")
    print(f"load:           {load_s:6.2f} s  (goal < {LOAD_GOAL_S:.0f} s)  {report.summary()}")
    print(f"second load:    {reload_s:6.3f} s  ({again.summary()})")
    print(f"database size:  {size_mb:6.1f} MB")
    print(
        f"service search: p50 {statistics.median(service_ms):.2f} ms, "
        f"p99 {percentile(service_ms, 0.99):.2f} ms (no HTTP)"
    )
    print(
        f"API search:     p50 {p50:.2f} ms, p99 {p99:.2f} ms, max {max(timings):.2f} ms "
        f"over {len(timings)} requests (goal p99 < {SEARCH_P99_GOAL_MS:.0f} ms)"
    )
    print(
        f"API search CPU: p50 {statistics.median(cpu):.2f} ms, p99 {percentile(cpu, 0.99):.2f} ms"
        f" per request; load average {load_before:.1f} → {load_after:.1f} "
        f"on {os.cpu_count()} CPUs"
    )
    ok = load_s < LOAD_GOAL_S and p99 < SEARCH_P99_GOAL_MS
    print("result:         " + ("OK" if ok else "GOAL MISSED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
