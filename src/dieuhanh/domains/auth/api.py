"""Auth JSON API (``/api/v1/auth``) and the app's actor resolver.

:func:`resolve_actor` is what ``core.http.get_actor`` calls for every request: a Bearer API
key wins, then the session cookie, else the visitor is anonymous. It also enforces CSRF for
unsafe requests authenticated by cookie, because that is the one place that knows a cookie
was what authenticated them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import anyio.from_thread
from fastapi import APIRouter, Query, Request, status
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.responses import Response

from dieuhanh.core.errors import ProblemError
from dieuhanh.core.http import SAFE_METHODS, DbSession, Page, Pagination, require
from dieuhanh.core.i18n import TZ
from dieuhanh.core.security import Actor, Role, constant_time_equals
from dieuhanh.domains.auth import service
from dieuhanh.domains.auth.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyOut,
    AuditEntryOut,
    MeOut,
    UserCreate,
    UserOut,
    UserUpdate,
)

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])

CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def client_ip(request: Request) -> str | None:
    """The peer address; behind a proxy run uvicorn with ``--forwarded-allow-ips``."""
    return request.client.host if request.client else None


def resolve_actor(request: Request, db: Session) -> Actor:
    """Bearer key → key actor; session cookie → user (CSRF-checked if unsafe); else anonymous."""
    ip = client_ip(request)
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer":
        return service.actor_for_api_key(db=db, token=credentials.strip(), ip=ip)
    token = request.cookies.get(service.SESSION_COOKIE)
    if token:
        actor = service.actor_for_session(db=db, token=token, ip=ip)
        if actor is not None:
            if request.method not in SAFE_METHODS:
                _check_csrf(request, actor)
            return actor
    return Actor(kind="anonymous", ip=ip)


def _check_csrf(request: Request, actor: Actor) -> None:
    submitted = request.headers.get(CSRF_HEADER) or _form_csrf(request)
    expected = actor.csrf_token
    if not submitted or not expected or not constant_time_equals(submitted, expected):
        raise ProblemError("csrf_failed")


def _form_csrf(request: Request) -> str | None:
    """The ``csrf_token`` form field; the parsed form is cached on the request for the route.

    The resolver is synchronous (it runs in FastAPI's thread pool), so the form is read by
    handing the coroutine back to the event loop.
    """
    if not request.headers.get("content-type", "").startswith(_FORM_TYPES):
        return None

    async def read() -> FormData:
        return await request.form()

    value = anyio.from_thread.run(read).get(CSRF_FIELD)
    return value if isinstance(value, str) else None


# --- who am I --------------------------------------------------------------------------------


@router.get("/me", response_model=MeOut)
def me(db: DbSession, actor: Annotated[Actor, require("profile.read")]) -> MeOut:
    """The caller's identity, role and scope; for cookie sessions also the CSRF token."""
    return service.describe_actor(db=db, actor=actor)


# --- users -----------------------------------------------------------------------------------


@router.get("/users", response_model=Page[UserOut])
def list_users(
    db: DbSession,
    actor: Annotated[Actor, require("users.read")],
    page: Pagination,
    q: Annotated[str | None, Query(max_length=100, description="Username or name")] = None,
    role: Annotated[Role | None, Query()] = None,
    active: Annotated[bool | None, Query()] = None,
) -> Page[UserOut]:
    """Accounts within the caller's unit subtree."""
    limit, offset = page
    return service.list_users(
        db=db, actor=actor, limit=limit, offset=offset, q=q, role=role, active=active
    )


@router.post("/users", response_model=UserOut, status_code=status.HTTP_201_CREATED)
def create_user(
    body: UserCreate, db: DbSession, actor: Annotated[Actor, require("users.manage")]
) -> UserOut:
    """Create an account inside the caller's scope (password policy applies)."""
    return service.create_user(
        db=db,
        actor=actor,
        username=body.username,
        password=body.password,
        role=body.role,
        scope_unit_code=body.scope_unit_code,
        agency_unit_code=body.agency_unit_code,
        full_name=body.full_name,
    )


@router.get("/users/{username}", response_model=UserOut)
def get_user(
    username: str, db: DbSession, actor: Annotated[Actor, require("users.read")]
) -> UserOut:
    return service.get_user(db=db, actor=actor, username=username)


@router.patch("/users/{username}", response_model=UserOut)
def update_user(
    username: str,
    body: UserUpdate,
    db: DbSession,
    actor: Annotated[Actor, require("users.manage")],
) -> UserOut:
    """Change role, scope, agency, name, active flag or reset the password."""
    return service.update_user(db=db, actor=actor, username=username, changes=body)


# --- API keys --------------------------------------------------------------------------------


@router.get("/api-keys", response_model=Page[ApiKeyOut])
def list_api_keys(
    db: DbSession, actor: Annotated[Actor, require("apikeys.manage")], page: Pagination
) -> Page[ApiKeyOut]:
    limit, offset = page
    return service.list_api_keys(db=db, actor=actor, limit=limit, offset=offset)


@router.post("/api-keys", response_model=ApiKeyCreated, status_code=status.HTTP_201_CREATED)
def create_api_key(
    body: ApiKeyCreate, db: DbSession, actor: Annotated[Actor, require("apikeys.manage")]
) -> ApiKeyCreated:
    """Create a key; its secret ``token`` is shown in this response only."""
    return service.create_api_key(
        db=db,
        actor=actor,
        name=body.name,
        role=body.role,
        scope_unit_code=body.scope_unit_code,
        actions=body.actions,
        expires_in_days=body.expires_in_days,
    )


@router.delete("/api-keys/{prefix}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_api_key(
    prefix: str, db: DbSession, actor: Annotated[Actor, require("apikeys.manage")]
) -> Response:
    service.revoke_api_key(db=db, actor=actor, prefix=prefix)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- audit log -------------------------------------------------------------------------------


@router.get("/audit", response_model=Page[AuditEntryOut])
def list_audit(
    db: DbSession,
    actor: Annotated[Actor, require("audit.read")],
    page: Pagination,
    actor_name: Annotated[str | None, Query(alias="actor", description="e.g. admin")] = None,
    table: Annotated[str | None, Query(description="Table, e.g. users")] = None,
    entity_id: Annotated[str | None, Query()] = None,
    action: Annotated[str | None, Query(description="insert, update, delete, login…")] = None,
    since: Annotated[datetime | None, Query(description="From (ISO 8601)")] = None,
    until: Annotated[datetime | None, Query(description="Before (ISO 8601)")] = None,
) -> Page[AuditEntryOut]:
    """Who changed what, newest first, within the caller's scope."""
    limit, offset = page
    return service.list_audit(
        db=db,
        actor=actor,
        limit=limit,
        offset=offset,
        actor_name=actor_name,
        table_name=table,
        entity_id=entity_id,
        action=action,
        since=_aware(since),
        until=_aware(until),
    )


def _aware(value: datetime | None) -> datetime | None:
    """Naive query datetimes are taken as Vietnam time, the time users see."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=TZ)
