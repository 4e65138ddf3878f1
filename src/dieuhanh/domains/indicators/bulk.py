"""Bulk reads and writes of observations: the one SQL-dialect-specific place of the domain.

A request may carry 100,000 rows; going through the ORM row by row would be several times
slower (see the architecture's performance habits). So:

* **Reads** of what is already stored (the keys being written, and the outlier history
  before them) are one range query per (indicator, period type): an ordered primary-key
  range scan when many units are touched, the ``(unit, indicator, period)`` index when few.
* **SQLite** writes are sorted ``executemany`` calls through the DB-API connection of the
  session, inside its transaction: revisions copied with ``INSERT … SELECT`` by primary key,
  new rows with a plain ``INSERT``, corrections with an ``UPDATE`` by primary key.
* **PostgreSQL** writes new rows with a binary ``COPY`` straight into the table (the batch
  lock guarantees their keys are still free); corrections go through a binary ``COPY`` into
  a temporary table, then two set-based statements: revisions ``INSERT … SELECT`` from a
  join with the stored rows, and ``UPDATE … FROM`` the temporary table.

On PostgreSQL most of the write's time is the foreign-key checks of ``observations`` (a
``SELECT … FOR KEY SHARE`` on ``indicators`` and on ``units`` per row: about two thirds of
the insert time in ``bench/indicators.py``); the write path has already resolved every id,
so dropping those two constraints would be the next step if PostgreSQL ingestion must be
faster.

Everything runs on the session's own connection, so the caller's savepoint or transaction
rolls all of it back together.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from dieuhanh.domains.indicators.models import Observation

OBS_COLUMNS = (
    "indicator_id",
    "period_type",
    "period_start",
    "unit_id",
    "disagg",
    "period",
    "value",
    "status",
    "source",
    "recorded_by",
    "recorded_at",
    "revision",
    "outlier_score",
    "batch_id",
)
KEY_COLUMNS = OBS_COLUMNS[:5]
_COPIED = OBS_COLUMNS[:12]  # what a revision keeps of the replaced row
_PG_TYPES = [
    "int4", "varchar", "date", "int4", "varchar", "varchar", "float8",
    "varchar", "varchar", "varchar", "timestamptz", "int4", "float8", "int4",
]  # fmt: skip
_SQLITE_DATETIME = "%Y-%m-%d %H:%M:%S.%f"  # what SQLAlchemy's SQLite DateTime stores
# Up to this many units, a window is read through ix_observations_unit; more read the whole
# primary-key range of the indicator and period type and drop other units in Python.
UNIT_FILTER_MAX = 400
# pg_advisory_xact_lock key serialising ingestion batches ("dhingest" in ASCII).
_PG_LOCK_KEY = 0x64_68_69_6E_67_65_73_74
_TEMP = "_ingest_rows"

ObsRow = tuple[Any, ...]  # values in OBS_COLUMNS order
StoredRow = tuple[int, str, date, int, str, float, str, int]  # key, value, status, revision


@dataclass(frozen=True)
class Window:
    """Stored rows to read: one indicator and period type, a period range, some units."""

    indicator_id: int
    period_type: str
    first: date
    last: date
    unit_ids: frozenset[int]


def is_postgres(db: Session) -> bool:
    return db.get_bind().dialect.name == "postgresql"


def lock(db: Session) -> None:
    """Serialise ingestion batches. SQLite write transactions already are (``BEGIN
    IMMEDIATE``); on PostgreSQL two batches touching one value must not both read revision n
    and both write n + 1, so batches queue on an advisory lock held until commit."""
    if is_postgres(db):
        db.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})


def load_windows(db: Session, windows: Sequence[Window]) -> Iterator[StoredRow]:
    """Stored rows of every window (only its units), in no particular order."""
    if not is_postgres(db):
        yield from _load_sqlite(db, windows)
        return
    obs = Observation
    for window in windows:
        statement = select(
            obs.indicator_id,
            obs.period_type,
            obs.period_start,
            obs.unit_id,
            obs.disagg,
            obs.value,
            obs.status,
            obs.revision,
        ).where(
            obs.indicator_id == window.indicator_id,
            obs.period_type == window.period_type,
            obs.period_start >= window.first,
            obs.period_start <= window.last,
        )
        few = len(window.unit_ids) <= UNIT_FILTER_MAX
        if few:
            statement = statement.where(obs.unit_id.in_(sorted(window.unit_ids)))
        for ind, ptype, start, unit_id, disagg, value, status, revision in db.execute(statement):
            if few or unit_id in window.unit_ids:
                yield (ind, ptype, start, unit_id, disagg, value, status, revision)


def _load_sqlite(db: Session, windows: Sequence[Window]) -> Iterator[StoredRow]:
    """The same read through the DB-API: SQLAlchemy's per-value date parsing would cost more
    than the query itself on a 100,000-row request."""
    raw: Any = db.connection().connection.driver_connection
    days: dict[str, date] = {}
    for window in windows:
        sql = (
            "SELECT indicator_id, period_type, period_start, unit_id, disagg, value, status, "
            "revision FROM observations WHERE indicator_id = ? AND period_type = ? "
            "AND period_start >= ? AND period_start <= ?"
        )
        params: list[Any] = [
            window.indicator_id,
            window.period_type,
            window.first.isoformat(),
            window.last.isoformat(),
        ]
        few = len(window.unit_ids) <= UNIT_FILTER_MAX
        if few:
            ids = sorted(window.unit_ids)
            sql += f" AND unit_id IN ({', '.join('?' for _ in ids)})"
            params.extend(ids)
        cursor = raw.execute(sql, params)
        try:
            for ind, ptype, start, unit_id, disagg, value, status, revision in cursor:
                if few or unit_id in window.unit_ids:
                    day = days.get(start)
                    if day is None:
                        day = days[start] = date.fromisoformat(start)
                    yield (ind, ptype, day, unit_id, disagg, value, status, revision)
        finally:
            cursor.close()


def write(
    db: Session,
    *,
    inserts: Sequence[ObsRow],
    updates: Sequence[ObsRow],
    replaced_at: datetime,
    replaced_by: str,
    batch_id: int,
) -> None:
    """Insert new rows and apply corrections, copying each replaced row into
    ``observation_revisions`` first. Rows must be sorted by primary key."""
    if not inserts and not updates:
        return
    if is_postgres(db):
        _write_postgres(db, inserts, updates, replaced_at, replaced_by, batch_id)
    else:
        _write_sqlite(db, inserts, updates, replaced_at, replaced_by, batch_id)


# --- SQLite ------------------------------------------------------------------------------------


def _sqlite_rows(rows: Sequence[ObsRow]) -> Iterator[tuple[Any, ...]]:
    """Store values as SQLAlchemy's SQLite types do: ISO dates, naive UTC datetimes (each
    distinct value converted once: a batch has a few dozen periods and one timestamp)."""
    days: dict[date, str] = {}
    stamps: dict[datetime, str] = {}
    for row in rows:
        start: date = row[2]
        day = days.get(start)
        if day is None:
            day = days[start] = start.isoformat()
        recorded_at: datetime = row[10]
        stamp = stamps.get(recorded_at)
        if stamp is None:
            stamp = stamps[recorded_at] = recorded_at.strftime(_SQLITE_DATETIME)
        yield (row[0], row[1], day, row[3], row[4], row[5], row[6], row[7], row[8], row[9],
               stamp, row[11], row[12], row[13])  # fmt: skip


def _write_sqlite(
    db: Session,
    inserts: Sequence[ObsRow],
    updates: Sequence[ObsRow],
    replaced_at: datetime,
    replaced_by: str,
    batch_id: int,
) -> None:
    raw: Any = db.connection().connection.driver_connection
    key_match = " AND ".join(f"{c} = ?" for c in KEY_COLUMNS)
    cursor = raw.cursor()
    try:
        if updates:
            copied = ", ".join(_COPIED)
            cursor.executemany(
                f"INSERT INTO observation_revisions ({copied}, replaced_at, replaced_by, "  # noqa: S608
                f"replaced_in_batch) SELECT {copied}, ?, ?, ? FROM observations "
                f"WHERE {key_match}",
                [
                    (replaced_at.strftime(_SQLITE_DATETIME), replaced_by, batch_id, *r[:5])
                    for r in _sqlite_rows(updates)
                ],
            )
            assignments = ", ".join(f"{c} = ?" for c in OBS_COLUMNS[5:])
            cursor.executemany(
                f"UPDATE observations SET {assignments} WHERE {key_match}",  # noqa: S608
                [(*r[5:], *r[:5]) for r in _sqlite_rows(updates)],
            )
        if inserts:
            placeholders = ", ".join("?" for _ in OBS_COLUMNS)
            cursor.executemany(
                f"INSERT INTO observations ({', '.join(OBS_COLUMNS)}) "  # noqa: S608
                f"VALUES ({placeholders})",
                _sqlite_rows(inserts),
            )
    finally:
        cursor.close()


# --- PostgreSQL --------------------------------------------------------------------------------


def _write_postgres(
    db: Session,
    inserts: Sequence[ObsRow],
    updates: Sequence[ObsRow],
    replaced_at: datetime,
    replaced_by: str,
    batch_id: int,
) -> None:
    raw: Any = db.connection().connection.driver_connection
    if updates:
        keys = ", ".join(KEY_COLUMNS)
        db.execute(text(f"CREATE TEMP TABLE {_TEMP} (LIKE observations) ON COMMIT DROP"))
        _copy(raw, _TEMP, updates)
        copied = ", ".join(_COPIED)
        from_stored = ", ".join(f"o.{c}" for c in _COPIED)
        db.execute(
            text(
                f"INSERT INTO observation_revisions ({copied}, replaced_at, replaced_by, "  # noqa: S608
                f"replaced_in_batch) SELECT {from_stored}, :at, :by, :batch "
                f"FROM observations o JOIN {_TEMP} i USING ({keys})"
            ),
            {"at": replaced_at, "by": replaced_by, "batch": batch_id},
        )
        assignments = ", ".join(f"{c} = i.{c}" for c in OBS_COLUMNS[5:])
        matching = " AND ".join(f"o.{c} = i.{c}" for c in KEY_COLUMNS)
        db.execute(
            text(
                f"UPDATE observations o SET {assignments} FROM {_TEMP} i "  # noqa: S608
                f"WHERE {matching}"
            )
        )
        db.execute(text(f"DROP TABLE {_TEMP}"))
    if inserts:
        # New keys go straight in: the batch lock guarantees nobody else wrote them since
        # they were classified as new, so no ON CONFLICT (and its cost) is needed.
        _copy(raw, "observations", inserts)


def _copy(raw: Any, table: str, rows: Sequence[ObsRow]) -> None:
    with (
        raw.cursor() as cursor,
        cursor.copy(f"COPY {table} ({', '.join(OBS_COLUMNS)}) FROM STDIN (FORMAT BINARY)") as copy,
    ):
        copy.set_types(_PG_TYPES)
        for row in rows:
            copy.write_row(row)
