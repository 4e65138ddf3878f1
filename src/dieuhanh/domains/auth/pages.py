"""Sign-in and sign-out, and the administrators' users and audit log pages.

Unsafe requests from signed-in browsers are CSRF-checked by the actor resolver
(``auth.api.resolve_actor``); the sign-in form, sent before there is a session, carries a
signed double-submit token checked here.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from dieuhanh.core.errors import CATALOG, ProblemError
from dieuhanh.core.http import CurrentActor, DbSession, get_settings, public, require
from dieuhanh.core.i18n import N_, TZ
from dieuhanh.core.pages import render
from dieuhanh.core.security import Actor, Role, allowed
from dieuhanh.core.settings import Settings
from dieuhanh.domains.auth import service

router = APIRouter(tags=["pages"], include_in_schema=False)

PAGE_SIZE = 50
# Audit actions as people read them (English message ids, translated in the template).
AUDIT_ACTIONS: dict[str, str] = {
    "insert": N_("Created"),
    "update": N_("Changed"),
    "delete": N_("Deleted"),
    "login": N_("Signed in"),
    "login_failed": N_("Failed sign-in"),
    "logout": N_("Signed out"),
}
_LOGIN_NONCE_MAX_AGE = 12 * 3600


def safe_next(target: str | None) -> str:
    """Only local paths: ``next`` must never send someone to another site after sign-in."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    if any(ch in target for ch in "\r\n\\"):
        return "/"
    return target


def _login_form(
    request: Request,
    actor: Actor,
    *,
    next_url: str,
    username: str = "",
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    settings: Settings = get_settings(request)
    secret = settings.secret_key.get_secret_value()
    nonce = None
    if actor.csrf_token:  # already signed in: the session token protects the form
        csrf = actor.csrf_token
    else:
        nonce = request.cookies.get(service.LOGIN_CSRF_COOKIE) or service.new_login_nonce()
        csrf = service.login_csrf_token(secret, nonce)
    context = {
        "csrf_token": csrf,
        "next_url": next_url,
        "username": username,
        "error": CATALOG[error].title if error else None,
        "error_code": error,
    }
    response = render(request, "auth/login.html", context, status_code=status_code)
    if nonce is not None:
        response.set_cookie(
            service.LOGIN_CSRF_COOKIE,
            nonce,
            max_age=_LOGIN_NONCE_MAX_AGE,
            path="/login",
            httponly=True,
            samesite="lax",
            secure=settings.https,
        )
    return response


@router.get("/login", dependencies=[public()])
def login_page(
    request: Request,
    actor: CurrentActor,
    next: Annotated[str | None, Query(max_length=2000)] = None,
) -> Response:
    return _login_form(request, actor, next_url=safe_next(next))


@router.post("/login", dependencies=[public()])
def login_submit(
    request: Request,
    db: DbSession,
    actor: CurrentActor,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """Sign in; on failure the same generic message whether or not the account exists."""
    settings = get_settings(request)
    next_url = safe_next(next)
    if actor.session_id is None and not service.check_login_csrf(
        settings.secret_key.get_secret_value(),
        request.cookies.get(service.LOGIN_CSRF_COOKIE),
        csrf_token,
    ):
        return _login_form(
            request,
            actor,
            next_url=next_url,
            username=username,
            error="csrf_failed",
            status_code=CATALOG["csrf_failed"].status,
        )
    result = service.login(
        db=db,
        settings=settings,
        actor=actor,
        username=username,
        password=password,
        user_agent=request.headers.get("user-agent"),
    )
    if not result.ok or result.token is None:
        code = result.code or "invalid_credentials"
        return _login_form(
            request,
            actor,
            next_url=next_url,
            username=username,
            error=code,
            status_code=CATALOG[code].status,
        )
    response = RedirectResponse(next_url, status_code=303)
    response.set_cookie(
        service.SESSION_COOKIE,
        result.token,
        max_age=settings.session_hours * 3600,
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.https,
    )
    response.delete_cookie(service.LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout", dependencies=[public()])
def logout(request: Request, db: DbSession, actor: CurrentActor) -> Response:
    """Revoke the session (CSRF-checked by the resolver) and forget the cookie."""
    service.logout(db=db, actor=actor)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(service.SESSION_COOKIE, path="/")
    return response


# --- administration --------------------------------------------------------------------------


def _users_page(
    request: Request,
    db: Session,
    actor: Actor,
    *,
    q: str | None,
    offset: int,
    form: dict[str, str] | None = None,
    error: ProblemError | None = None,
    created: str | None = None,
) -> Response:
    page = service.list_users(db=db, actor=actor, limit=PAGE_SIZE, offset=offset, q=q)
    context: dict[str, Any] = {
        "page": page,
        "q": q or "",
        "roles": [(role.value, service.role_label(role)) for role in Role],
        "can_manage": allowed(actor, "users.manage"),
        "form": form or {},
        "error": CATALOG[error.code].title if error else None,
        "error_detail": error.detail if error else None,
        "created": created,
        "prev_offset": max(offset - PAGE_SIZE, 0) if offset > 0 else None,
        "next_offset": offset + PAGE_SIZE if offset + PAGE_SIZE < page.total else None,
    }
    return render(request, "auth/users.html", context, status_code=error.status if error else 200)


@router.get("/admin/users")
def users_page(
    request: Request,
    db: DbSession,
    actor: Annotated[Actor, require("users.read")],
    q: Annotated[str | None, Query(max_length=100)] = None,
    offset: Annotated[int, Query(ge=0)] = 0,
    created: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    return _users_page(request, db, actor, q=q, offset=offset, created=created)


@router.post("/admin/users")
def users_create(
    request: Request,
    db: DbSession,
    actor: Annotated[Actor, require("users.manage")],
    username: Annotated[str, Form(max_length=64)] = "",
    full_name: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
    role: Annotated[str, Form(max_length=20)] = Role.OPERATOR.value,
    scope_unit_code: Annotated[str, Form(max_length=64)] = "",
    agency_unit_code: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Create an account from the form; errors re-show the form with what was typed."""
    form = {
        "username": username,
        "full_name": full_name,
        "role": role,
        "scope_unit_code": scope_unit_code,
        "agency_unit_code": agency_unit_code,
    }
    try:
        if role not in {r.value for r in Role}:
            raise ProblemError("validation_error", detail=f"Unknown role {role!r}")
        user = service.create_user(
            db=db,
            actor=actor,
            username=username,
            password=password,
            role=Role(role),
            scope_unit_code=scope_unit_code or None,
            agency_unit_code=agency_unit_code or None,
            full_name=full_name,
        )
    except ProblemError as exc:
        db.rollback()
        return _users_page(request, db, actor, q=None, offset=0, form=form, error=exc)
    return RedirectResponse(f"/admin/users?created={user.username}", status_code=303)


@router.get("/admin/audit")
def audit_page(
    request: Request,
    db: DbSession,
    actor: Annotated[Actor, require("audit.read")],
    who: Annotated[str | None, Query(alias="actor", max_length=200)] = None,
    table: Annotated[str | None, Query(max_length=100)] = None,
    action: Annotated[str | None, Query(max_length=20)] = None,
    day: Annotated[str | None, Query(alias="date", max_length=10)] = None,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    """The newest entries first, filterable by actor, table, action and day (Vietnam time)."""
    try:
        chosen = date.fromisoformat(day) if day else None
    except ValueError as exc:
        raise ProblemError("invalid_date", detail=day) from exc
    since = datetime.combine(chosen, time(), tzinfo=TZ) if chosen else None
    page = service.list_audit(
        db=db,
        actor=actor,
        limit=PAGE_SIZE,
        offset=offset,
        actor_name=who or None,
        table_name=table or None,
        action=action or None,
        since=since,
        until=since + timedelta(days=1) if since else None,
    )
    context = {
        "page": page,
        "filters": {
            "actor": who or "",
            "table": table or "",
            "action": action or "",
            "date": chosen.isoformat() if chosen else "",
        },
        "actions": AUDIT_ACTIONS,
        "prev_offset": max(offset - PAGE_SIZE, 0) if offset > 0 else None,
        "next_offset": offset + PAGE_SIZE if offset + PAGE_SIZE < page.total else None,
    }
    return render(request, "auth/audit.html", context)
