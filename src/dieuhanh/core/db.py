"""Database engine, sessions and the declarative base.

SQLite is tuned for a web app (WAL, ``synchronous=NORMAL``, foreign keys, busy timeout) and
writes take ``BEGIN IMMEDIATE`` so that two writers queue instead of failing half-way through
a transaction with ``database is locked``. Reads use a deferred ``BEGIN`` so they never block.
PostgreSQL needs nothing special. Nothing here is created at import time.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.engine import Connection
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

IMMEDIATE = "dieuhanh_immediate"


class Base(DeclarativeBase):
    """Declarative base shared by every domain's models."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware datetimes stored as UTC on both SQLite and PostgreSQL.

    SQLite has no timezone type, so values come back naive; this type re-attaches UTC so
    that application code only ever sees aware datetimes.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def make_engine(url: str, *, busy_timeout_ms: int = 5000, echo: bool = False) -> Engine:
    """Build an engine for ``url`` with the per-dialect tuning described above."""
    if url.startswith("sqlite"):
        _ensure_sqlite_dir(url)
        engine = create_engine(
            url,
            echo=echo,
            connect_args={"check_same_thread": False, "timeout": busy_timeout_ms / 1000},
        )
        _tune_sqlite(engine, busy_timeout_ms)
        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=10)


def _ensure_sqlite_dir(url: str) -> None:
    path = url.split(":///", 1)[1] if ":///" in url else ""
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def _tune_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Take transaction control away from the sqlite3 module so "begin" below decides.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cur.execute("PRAGMA temp_store=MEMORY")
        cur.execute("PRAGMA cache_size=-32000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if conn.get_execution_options().get(IMMEDIATE):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


READ_ONLY = "dieuhanh.read_only"


def read_cache(session: Session, name: str) -> dict[Any, Any] | None:
    """A dictionary that lives as long as a *read* session (``None`` in write sessions).

    Reference data (units, indicator definitions) is looked up dozens of times while one
    page is computed; in a session that writes nothing it cannot change, so remembering it
    there is always correct, and nothing outlives the request."""
    if not session.info.get(READ_ONLY):
        return None
    found: dict[Any, Any] = session.info.setdefault(name, {})
    return found


class Database:
    """An engine with a read and a write session factory."""

    def __init__(self, url: str, *, busy_timeout_ms: int = 5000) -> None:
        self.url = url
        self.engine = make_engine(url, busy_timeout_ms=busy_timeout_ms)
        self.is_sqlite = url.startswith("sqlite")
        self._read = sessionmaker(bind=self.engine, expire_on_commit=False, info={READ_ONLY: True})
        self._write = sessionmaker(
            bind=self.engine.execution_options(**{IMMEDIATE: True}), expire_on_commit=False
        )

    def session(self, *, write: bool = False) -> Session:
        return (self._write if write else self._read)()

    @property
    def session_factories(self) -> tuple[sessionmaker[Session], sessionmaker[Session]]:
        """The read and write factories, for hooks on every session (the audit log)."""
        return (self._read, self._write)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Session]:
        """A write session committed on success and rolled back on any error."""
        session = self.session(write=True)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @contextlib.contextmanager
    def reading(self) -> Iterator[Session]:
        session = self.session()
        try:
            yield session
        finally:
            session.rollback()
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()
