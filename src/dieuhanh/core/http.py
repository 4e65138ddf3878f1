"""FastAPI plumbing shared by every domain's routes.

Domains never import ``auth`` to learn who is calling: ``create_app`` stores an actor
resolver in ``app.state`` and :func:`get_actor` calls it. Every route declares who may call
it with :func:`require` (a named action) or :func:`public`; a test walks all routes and fails
if one declares neither.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query, Request
from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session

from dieuhanh.core.db import Database
from dieuhanh.core.errors import ProblemError
from dieuhanh.core.i18n import negotiate
from dieuhanh.core.security import ANONYMOUS, Actor, allowed
from dieuhanh.core.settings import Settings

ActorResolver = Callable[[Request, Session], Actor]

LOCALE_COOKIE = "dh_lang"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class Schema(BaseModel):
    """Base of every API schema: built from attributes, strict about unknown input."""

    model_config = ConfigDict(from_attributes=True, extra="forbid", populate_by_name=True)


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """Every list in the API: the items of one page and the total across pages."""

    items: list[T]
    total: int
    limit: int
    offset: int


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_database(request: Request) -> Database:
    database: Database = request.app.state.db
    return database


def _session(request: Request) -> Iterator[Session]:
    """A unit of work per request: committed before the response is sent, or rolled back."""
    database = get_database(request)
    session = database.session(write=request.method not in SAFE_METHODS)
    request.state.db = session
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


DbSession = Annotated[Session, Depends(_session, scope="function")]


def get_locale(request: Request) -> str:
    cached = getattr(request.state, "locale", None)
    if isinstance(cached, str):
        return cached
    locale = negotiate(request.headers.get("accept-language"), request.cookies.get(LOCALE_COOKIE))
    request.state.locale = locale
    return locale


Locale = Annotated[str, Depends(get_locale)]


def get_actor(request: Request, db: DbSession) -> Actor:
    cached = getattr(request.state, "actor", None)
    if isinstance(cached, Actor):
        return cached
    resolver: ActorResolver | None = getattr(request.app.state, "actor_resolver", None)
    actor = resolver(request, db) if resolver else ANONYMOUS
    request.state.actor = actor
    db.info["actor"] = actor
    return actor


CurrentActor = Annotated[Actor, Depends(get_actor)]


class Permission:
    """A route dependency that names the action the route performs."""

    def __init__(self, action: str | None) -> None:
        self.action = action

    def __call__(self, actor: CurrentActor) -> Actor:
        if self.action is None:
            return actor
        if allowed(actor, self.action):
            return actor
        if not actor.is_authenticated:
            raise ProblemError("not_authenticated")
        raise ProblemError("forbidden")

    def __repr__(self) -> str:
        return f"Permission({self.action!r})"


def require(action: str) -> Any:
    """``actor: Annotated[Actor, require("units.read")]`` — who may call this route."""
    return Depends(Permission(action))


def public() -> Any:
    """Explicitly open to anyone, signed in or not."""
    return Depends(Permission(None))


def pagination(
    limit: Annotated[int, Query(ge=1, le=1000, description="Page size")] = 50,
    offset: Annotated[int, Query(ge=0, description="Items to skip")] = 0,
) -> tuple[int, int]:
    return limit, offset


Pagination = Annotated[tuple[int, int], Depends(pagination)]
