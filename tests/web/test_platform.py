"""Platform endpoints: health, metrics, API docs, OpenAPI, language switch, headers."""

from __future__ import annotations

import httpx
from fastapi.routing import APIRoute

from dieuhanh.core.http import Permission


def test_healthz_reports_database(client: httpx.Client) -> None:
    r = client.get("/healthz")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"


def test_metrics_count_requests(client: httpx.Client) -> None:
    client.get("/healthz")
    client.get("/healthz")
    r = client.get("/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    lines = [ln for ln in r.text.splitlines() if ln.startswith("dieuhanh_http_requests_total")]
    healthz = [ln for ln in lines if 'route="/healthz"' in ln and 'status="200"' in ln]
    assert healthz, r.text
    assert float(healthz[0].rsplit(" ", 1)[1]) >= 2


def test_api_docs_served_offline(client: httpx.Client) -> None:
    r = client.get("/api/docs")
    assert r.status_code == 200
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in r.text
    assert "cdn.jsdelivr" not in r.text
    assert client.get("/static/vendor/swagger-ui/swagger-ui-bundle.js").status_code == 200
    spec = client.get("/api/openapi.json").json()
    assert spec["info"]["title"] == "Điều Hành IOC API"
    assert "/healthz" in spec["paths"]


def test_security_headers_forbid_foreign_origins(client: httpx.Client) -> None:
    r = client.get("/healthz")
    csp = r.headers["content-security-policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self';" in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"


def test_language_switch_sets_cookie_and_stays_local(client: httpx.Client) -> None:
    r = client.get("/lang/en", params={"next": "/units"})
    assert r.status_code == 303
    assert r.headers["location"] == "/units"
    assert "dh_lang=en" in r.headers["set-cookie"]
    r = client.get("/lang/en", params={"next": "https://evil.example/"})
    assert r.headers["location"] == "/"


def test_every_route_declares_who_may_call_it(live_server) -> None:  # type: ignore[no-untyped-def]
    """A route without require()/public() is a route whose access nobody decided."""

    def declares(dependant) -> bool:  # type: ignore[no-untyped-def]
        return any(
            isinstance(dep.call, Permission) or declares(dep) for dep in dependant.dependencies
        )

    def flatten(routes):  # type: ignore[no-untyped-def]
        for route in routes:
            inner = getattr(route, "original_router", None)  # FastAPI's included routers
            if inner is not None:
                yield from flatten(inner.routes)
            elif isinstance(route, APIRoute):
                yield route

    routes = list(flatten(live_server.app.routes))
    assert len(routes) > 5
    undeclared = [f"{sorted(r.methods)} {r.path}" for r in routes if not declares(r.dependant)]
    assert undeclared == []
