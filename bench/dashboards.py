"""Benchmark: dashboards on the demo database, as leaders and the wall see them.

What it does:

1. builds the demo database (``dieuhanh demo --no-serve``: both maps of units, the packs,
   2021 to this month of socio-economic data) in a temporary folder, or reuses ``--db``;
2. serves the application on 127.0.0.1 (uvicorn in a thread, as in production but one
   worker), signs in as the demo administrator;
3. times, on the server side (wall time of a request on loopback, where the network costs
   ~0.2 ms), the **overview page** ``/`` and a
   **drill-down** (the socio-economic dashboard for a commune): ``--runs`` requests each, in
   three conditions — *after a write* (a value is written before every request; the pages
   people are looking at are recomputed on write, see ``dashboards.cache``), *repeat views*
   (nothing changed: what a wall and most screens see), and a *drill-down to a commune
   nobody opened* since the write (nothing cached: the engine's full cost). Goal: p95 under
   150 ms;
4. times the **wall page** in headless Chromium (Debian's ``/usr/bin/chromium``) from
   navigation until every widget is drawn (``dashboard.js`` sets ``data-ready="1"``).
   Goal: under 2 s.

Run: ``.venv/bin/python bench/dashboards.py [--runs 30] [--db PATH]``
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx
import uvicorn
from playwright.sync_api import sync_playwright

from dieuhanh.core.settings import Settings
from dieuhanh.web.app import create_app

GOAL_MS = 150.0
WALL_GOAL_S = 2.0
BOARD = "kinh-te-xa-hoi"
COMMUNE = "20194"  # Phường Hải Vân, Đà Nẵng
CHROMIUM = os.environ.get("DIEUHANH_CHROMIUM", "/usr/bin/chromium")
READY = "document.querySelector('[data-ready=\"1\"]') !== null"  # dashboard.js: board drawn


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def build_demo(folder: Path) -> tuple[str, str]:
    """The demo database and the administrator's password."""
    url = f"sqlite:///{folder / 'demo.db'}"
    env = {**os.environ, "DIEUHANH_DATABASE_URL": url}
    dieuhanh = Path(sys.executable).with_name("dieuhanh")
    subprocess.run([str(dieuhanh), "demo", "--no-serve"], cwd=folder, env=env, check=True)
    lines = (folder / "var" / "demo-users.txt").read_text(encoding="utf-8").splitlines()
    admin = next(line.split("\t") for line in lines if line.split("\t")[2] == "admin")
    return url, admin[1]


def serve(url: str) -> tuple[str, uvicorn.Server]:
    settings = Settings(database_url=url, jobs_enabled=False, environment="development")
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    threading.Thread(target=server.run, daemon=True).start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the server did not start")
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}", server


def sign_in(base: str, username: str, password: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=60)
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    if token is None:
        raise RuntimeError("no sign-in form")
    r = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token.group(1)},
        follow_redirects=False,
    )
    if r.status_code != 303:
        raise RuntimeError(f"sign-in failed: {r.status_code}")
    client.headers["X-CSRF-Token"] = client.get("/api/v1/auth/me").json()["csrf_token"]
    return client


def write_one(client: httpx.Client, n: int) -> None:
    """One new value through the ingestion API (a different one every time, even across
    runs of the benchmark): every cached dashboard is stale after it."""
    n = time.time_ns() % 1_000_000 + n
    r = client.post(
        "/api/v1/indicators/data",
        json={
            "rows": [{"indicator": "CPI", "unit": "48", "period": "2021-01", "value": 2 + n / 1000}]
        },
        headers={"Idempotency-Key": f"bench-{uuid.uuid4()}"},
    )
    if r.status_code not in (200, 201):
        raise RuntimeError(f"write failed: {r.status_code} {r.text[:200]}")


def timed(client: httpx.Client, path: str, runs: int, *, write: bool) -> list[float]:
    client.get(path)  # warm-up
    times = []
    for n in range(runs):
        if write:
            write_one(client, n)
        start = time.perf_counter()
        r = client.get(path)
        times.append((time.perf_counter() - start) * 1000)
        if r.status_code != 200:
            raise RuntimeError(f"{path}: {r.status_code}")
    return times


def timed_cold(client: httpx.Client, runs: int) -> list[float]:
    """A drill-down to a different commune each time, after a write: nothing is cached or
    recomputed for it, so this is the engine's full cost for a page nobody had open."""
    found = client.get("/api/v1/units", params={"parent": "48", "limit": 200}).json()["items"]
    codes = [u["code"] for u in found if u["level"] == "commune"][: runs + 1]
    times = []
    for n, code in enumerate(codes[1:]):
        write_one(client, 10_000 + n)
        start = time.perf_counter()
        r = client.get(f"/dashboards/{BOARD}?unit={code}")
        times.append((time.perf_counter() - start) * 1000)
        if r.status_code != 200:
            raise RuntimeError(f"{code}: {r.status_code}")
    return times


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def report(label: str, times: list[float]) -> None:
    verdict = "ok" if p95(times) < GOAL_MS else "over goal"
    print(
        f"  {label:<46} p50 {statistics.median(times):7.1f} ms   p95 {p95(times):7.1f} ms"
        f"   (goal p95 < {GOAL_MS:.0f} ms: {verdict})"
    )


def wall_time(base: str, client: httpx.Client) -> float:
    cookies = [
        {"name": name, "value": value, "url": base} for name, value in client.cookies.items()
    ]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        context = browser.new_context(viewport={"width": 1920, "height": 1080})
        context.add_cookies(cookies)  # type: ignore[arg-type]
        page = context.new_page()
        page.goto(base + "/wall")  # warm-up: fonts, scripts and data cached like a real wall
        page.wait_for_function(READY, timeout=30_000)
        times = []
        for _ in range(3):
            start = time.perf_counter()
            page.goto(base + "/wall")
            page.wait_for_function(READY, timeout=30_000)
            times.append(time.perf_counter() - start)
        browser.close()
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--db", type=Path, help="folder of a demo built before (reused)")
    args = parser.parse_args()
    folder = args.db or Path(tempfile.mkdtemp(prefix="dieuhanh-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    url, password = build_demo(folder)
    print(f"demo database: {folder / 'demo.db'} ({time.perf_counter() - start:.1f} s)")
    base, server = serve(url)
    try:
        client = sign_in(base, "demo.admin", password)
        drill = f"/dashboards/{BOARD}?unit={COMMUNE}"
        print(f"server time on loopback, {args.runs} requests each:")
        report("overview page /, after a write", timed(client, "/", args.runs, write=True))
        report("overview page /, repeat views", timed(client, "/", args.runs, write=False))
        report(f"drill-down {drill}, after a write", timed(client, drill, args.runs, write=True))
        report(f"drill-down {drill}, repeat views", timed(client, drill, args.runs, write=False))
        report("drill-down to a commune nobody opened", timed_cold(client, args.runs))
        seconds = wall_time(base, client)
        verdict = "ok" if seconds < WALL_GOAL_S else "over goal"
        print(
            f"  {'wall page /wall fully rendered (Chromium)':<46} {seconds:7.2f} s"
            f"   (goal < {WALL_GOAL_S:.0f} s: {verdict})"
        )
    finally:
        server.should_exit = True


if __name__ == "__main__":
    main()
