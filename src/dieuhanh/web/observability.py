"""Request metrics, structured access logs and security headers (one pure ASGI middleware)."""

from __future__ import annotations

import time
from typing import Any

import structlog
from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dieuhanh.core.settings import tile_origin

log = structlog.get_logger("dieuhanh.http")


class Metrics:
    """Per-app registry: two apps in one process (tests) never share counters."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "dieuhanh_http_requests",
            "HTTP requests handled",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "dieuhanh_http_request_seconds",
            "HTTP request latency",
            ["method", "route"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
        )


def content_security_policy(tile_url: str | None, *, docs: bool = False) -> str:
    """Everything from our own origin: the IOC must work with no internet at all. The one
    exception is the province's tile server when one is configured: its origin (never its
    path, which is a template) may serve images, which is all Leaflet loads from it."""
    img = "'self' data: blob:"
    if tile_url:
        img += f" {tile_origin(tile_url)}"
    script = "'self' 'unsafe-inline'" if docs else "'self'"
    return (
        f"default-src 'self'; img-src {img}; style-src 'self' 'unsafe-inline'; "
        f"script-src {script}; connect-src 'self'; font-src 'self' data:; "
        "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    )


class ObservabilityMiddleware:
    def __init__(self, app: ASGIApp, metrics: Metrics, tile_url: str | None = None) -> None:
        self.app = app
        self.metrics = metrics
        self.csp = content_security_policy(tile_url).encode()
        self.csp_docs = content_security_policy(tile_url, docs=True).encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status_holder: dict[str, Any] = {"status": 500}
        path: str = scope.get("path", "")
        csp = self.csp_docs if path.startswith("/api/docs") else self.csp

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                headers = list(message.get("headers", []))
                headers += [
                    (b"x-content-type-options", b"nosniff"),
                    (b"x-frame-options", b"DENY"),
                    (b"referrer-policy", b"same-origin"),
                    (b"content-security-policy", csp),
                ]
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            elapsed = time.perf_counter() - start
            route = scope.get("route")
            route_path = getattr(route, "path", None) or "unmatched"
            method = scope.get("method", "")
            status = str(status_holder["status"])
            self.metrics.requests.labels(method, route_path, status).inc()
            self.metrics.latency.labels(method, route_path).observe(elapsed)
            log.info(
                "request",
                method=method,
                path=path,
                status=status_holder["status"],
                ms=round(elapsed * 1000, 2),
            )
