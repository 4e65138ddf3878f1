"""PNG and PDF through the system's headless Chromium (Debian's ``chromium``), driven by
Playwright. Nothing is downloaded: the browser is the one installed with the OS, and pages
rendered from HTML get their scripts and styles from our own static folder through a
request router, never from the network.

Why Chromium and not a PDF library: the briefing and the dashboards draw their charts with
ECharts in the browser; printing the very same page is the only way the PDF shows exactly
what the screen shows.
"""

from __future__ import annotations

import mimetypes
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar
from urllib.parse import urlsplit

from playwright.sync_api import Browser, Page, Route, sync_playwright

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--font-render-hinting=none",
]
LOCAL_ORIGIN = "http://dieuhanh.local"
T = TypeVar("T")
READY_TIMEOUT_MS = 20_000


class RenderError(RuntimeError):
    """The page did not become ready (a script failed or Chromium is missing)."""


@dataclass(frozen=True)
class Cookie:
    name: str
    value: str


@contextmanager
def _browser(executable: str) -> Iterator[Browser]:
    if not Path(executable).exists():
        raise RenderError(f"Chromium not found at {executable}")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, headless=True, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


def _wait_ready(page: Page, ready: str) -> None:
    """Poll the ``ready`` expression from outside the page. Playwright's ``wait_for_function``
    re-evaluates a string predicate with ``eval`` inside the page, which our pages'
    Content-Security-Policy (no 'unsafe-eval') refuses as soon as the first check says "not
    yet" (a map still waiting for its tiles); ``page.evaluate`` runs over the DevTools
    protocol, which the CSP does not govern."""
    deadline = time.monotonic() + READY_TIMEOUT_MS / 1000
    try:
        while not page.evaluate(ready):
            if time.monotonic() > deadline:
                raise RenderError(f"the page did not get ready in {READY_TIMEOUT_MS} ms")
            page.wait_for_timeout(100)
    except RenderError:
        raise
    except Exception as exc:  # page crashes, closed targets
        raise RenderError(f"the page did not get ready: {exc}") from exc


def _isolated(work: Callable[[], T]) -> T:
    """Run ``work`` in a thread of its own: Playwright's sync API refuses to start in a
    thread that already runs an event loop or another Playwright (a test's browser, an
    async caller), and a fresh thread has neither."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="chromium") as pool:
        return pool.submit(work).result()


def pdf_from_html(
    html: str,
    *,
    static_dir: Path,
    executable: str,
    ready: str = "document.body.dataset.ready === '1'",
) -> bytes:
    """Print ``html`` to an A4 PDF. ``/static/...`` URLs in it are served from
    ``static_dir``; every other request is refused (the document is self-contained)."""
    return _isolated(lambda: _pdf_from_html(html, static_dir, executable, ready))


def _pdf_from_html(html: str, static_dir: Path, executable: str, ready: str) -> bytes:

    def serve(route: Route) -> None:
        url = route.request.url
        if url in (LOCAL_ORIGIN, LOCAL_ORIGIN + "/"):
            route.fulfill(status=200, body=html, content_type="text/html; charset=utf-8")
            return
        prefix = LOCAL_ORIGIN + "/static/"
        if url.startswith(prefix):
            path = (static_dir / url[len(prefix) :].split("?")[0]).resolve()
            if static_dir.resolve() in path.parents and path.is_file():
                kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                route.fulfill(status=200, body=path.read_bytes(), content_type=kind)
                return
        route.abort()

    with _browser(executable) as browser:
        page = browser.new_page()
        page.route("**/*", serve)
        page.goto(LOCAL_ORIGIN + "/")
        _wait_ready(page, ready)
        pdf: bytes = page.pdf(
            format="A4",
            print_background=True,
            margin={"top": "14mm", "bottom": "14mm", "left": "12mm", "right": "12mm"},
        )
        return pdf


def capture(
    url: str,
    *,
    executable: str,
    cookies: Sequence[Cookie] = (),
    kind: Literal["png", "pdf"] = "png",
    width: int = 1920,
    height: int = 1080,
    ready: str = "document.body.dataset.ready === '1'",
) -> bytes:
    """A running page of ours (a dashboard) as a full-page PNG or a landscape A4 PDF,
    seen with the requester's own session cookies (so it shows what they may see)."""
    return _isolated(lambda: _capture(url, executable, list(cookies), kind, width, height, ready))


def _capture(
    url: str,
    executable: str,
    cookies: list[Cookie],
    kind: Literal["png", "pdf"],
    width: int,
    height: int,
    ready: str,
) -> bytes:
    with _browser(executable) as browser:
        context = browser.new_context(viewport={"width": width, "height": height})
        # for the whole site: a cookie given by "url" would only go to that URL's folder
        # (/dashboards/), and the page's own API calls (map outlines, live) would be refused
        host = urlsplit(url).hostname or "127.0.0.1"
        jar: list[Any] = [
            {"name": c.name, "value": c.value, "domain": host, "path": "/"} for c in cookies
        ]
        if jar:
            context.add_cookies(jar)
        page = context.new_page()
        page.goto(url)
        _wait_ready(page, ready)
        if kind == "png":
            shot: bytes = page.screenshot(full_page=True, type="png")
            return shot
        page.emulate_media(media="print")
        doc: bytes = page.pdf(format="A4", landscape=True, print_background=True)
        return doc
