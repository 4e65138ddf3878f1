"""Benchmark: citizen feedback — submissions with photos through the API, and the deadline
sweep over a million open reports.

What it does:

1. builds the demo database (``dieuhanh demo --no-serve``) in a temporary folder, or reuses
   ``--db`` (a folder holding ``demo.db``);
2. serves the application on 127.0.0.1 (uvicorn in a thread, one worker, as in
   ``bench/dashboards.py``) and sends ``--submissions`` reports from ``--clients`` parallel
   anonymous clients through ``POST /api/v1/feedback/reports/form``, each with a real 1600×1200
   phone photo carrying EXIF time and GPS (checked, stripped, stored): prints sustained
   submissions per second and the latency percentiles;
3. adds ``--open`` open reports (default 1,000,000) straight into the table — 0.1 % of them
   past their deadline, 0.1 % at their reminder time — and times the deadline sweep that
   finds, flags, records and announces them. Goal: under 1 s.

Run: ``.venv/bin/python bench/feedback.py [--db FOLDER] [--open 1000000]``
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from PIL import ExifTags, Image
from rich.progress import Progress
from sqlalchemy import delete, func, insert, select

sys.path.insert(0, str(Path(__file__).resolve().parent))

from dashboards import build_demo, serve
from dieuhanh.core.db import Database
from dieuhanh.domains.feedback import service
from dieuhanh.domains.feedback.models import Category, Report, ReportEvent
from dieuhanh.domains.units import service as units

GOAL_SWEEP_S = 1.0
HERE = (16.054, 108.202)  # Đà Nẵng


def phone_photo() -> bytes:
    """A 1600×1200 JPEG with EXIF time and place, as a phone sends it (~150-300 kB)."""
    im = Image.effect_noise((1600, 1200), 40).convert("RGB")
    exif = Image.Exif()
    exif[ExifTags.Base.Model] = "Bench Phone"
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = time.strftime(
        "%Y:%m:%d %H:%M:%S"
    )
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef], gps[ExifTags.GPS.GPSLatitude] = "N", (16.0, 3.0, 14.4)
    gps[ExifTags.GPS.GPSLongitudeRef], gps[ExifTags.GPS.GPSLongitude] = "E", (108.0, 12.0, 7.2)
    buffer = io.BytesIO()
    im.save(buffer, "JPEG", quality=85, exif=exif.tobytes())
    return buffer.getvalue()


def submissions(base: str, count: int, clients: int) -> None:
    photo = phone_photo()
    body = {
        "category": "ha-tang",
        "description": "Ổ gà lớn giữa đường, xe máy dễ té ngã khi trời mưa (benchmark).",
        "attributes": {"kind": "road"},
        "latitude": HERE[0],
        "longitude": HERE[1],
        "reporter": {"name": "Người dân", "phone": "0905000000"},
    }
    report = json.dumps(body)

    def send(n: int) -> float:
        with httpx.Client(base_url=base, timeout=60) as client:
            start = time.perf_counter()
            r = client.post(
                "/api/v1/feedback/reports/form",
                data={"report": report},
                files=[("files", (f"p{n}.jpg", photo, "image/jpeg"))],
                headers={"Idempotency-Key": f"bench-{time.time_ns()}-{n}"},
            )
            if r.status_code != 201:
                raise RuntimeError(f"submission failed: {r.status_code} {r.text[:200]}")
            return (time.perf_counter() - start) * 1000

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        times = sorted(pool.map(send, range(count)))
    elapsed = time.perf_counter() - start
    p95 = times[min(len(times) - 1, round(0.95 * len(times)) - 1)]
    print(
        f"  submissions with a {len(photo) // 1000} kB photo, {clients} clients: "
        f"{count / elapsed:6.1f} /s   (p50 {statistics.median(times):.0f} ms, p95 {p95:.0f} ms)"
    )


def fill_open(database: Database, count: int, now: datetime) -> None:
    """``count`` open reports straight into the table (the intake path is measured above);
    every thousandth past its deadline, every thousandth (offset) at its reminder."""
    with database.transaction() as db:
        db.execute(delete(ReportEvent).where(ReportEvent.actor == "system"))
        db.execute(delete(Report).where(Report.code.like("BN-%")))
        category = db.scalar(select(Category.id).where(Category.code == "ha-tang"))
        unit = units.get_unit(db=db, code="20194", hierarchy=units.CURRENT)
        agency = units.get_unit(db=db, code="48.SXD", hierarchy=units.CURRENT)
    far = now + timedelta(days=30)
    batch = 50_000
    with Progress() as progress, database.transaction() as db:
        task = progress.add_task("open reports", total=count)
        for first in range(0, count, batch):
            rows = []
            for n in range(first, min(count, first + batch)):
                due = now - timedelta(hours=1) if n % 1000 == 0 else far
                remind = now - timedelta(minutes=5) if n % 1000 == 500 else due
                rows.append(
                    {
                        "code": f"BN-{n:09d}",
                        "category_id": category,
                        "title": "",
                        "description": "benchmark",
                        "attributes": {},
                        "address": "",
                        "unit_id": unit.id,
                        "located_by": "point",
                        "agency_id": agency.id,
                        "channel": "app",
                        "urgency": "normal",
                        "status": "new",
                        "submitted_at": now - timedelta(days=1),
                        "accept_due": due,
                        "clock": "accept",
                        "due_at": due,
                        "remind_at": remind,
                        "reminded": False,
                        "overdue": False,
                        "escalation_level": 0,
                        "reporters": 1,
                        "hidden": False,
                        "version": 1,
                    }
                )
            db.execute(insert(Report), rows)
            progress.advance(task, len(rows))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="folder of a demo built before (reused)")
    parser.add_argument("--submissions", type=int, default=200)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--open", type=int, default=1_000_000)
    args = parser.parse_args()
    folder = args.db or Path(tempfile.mkdtemp(prefix="dieuhanh-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    url, _password = build_demo(folder)
    base, server = serve(url)
    try:
        print("citizen feedback:")
        submissions(base, args.submissions, args.clients)
    finally:
        server.should_exit = True
    database = Database(url)
    now = datetime.now(UTC)
    fill_open(database, args.open, now)
    with database.reading() as db:
        open_now = db.scalar(select(func.count()).select_from(Report).where(Report.clock != ""))
    start = time.perf_counter()
    with database.transaction() as db:
        result = service.sweep_deadlines(db=db, now=now)
    seconds = time.perf_counter() - start
    verdict = "ok" if seconds < GOAL_SWEEP_S else "over goal"
    print(
        f"  deadline sweep over {open_now:,} open reports: {seconds:.3f} s "
        f"({len(result.reminded)} reminded, {len(result.escalated)} escalated; "
        f"goal < {GOAL_SWEEP_S:.0f} s: {verdict})"
    )


if __name__ == "__main__":
    main()
