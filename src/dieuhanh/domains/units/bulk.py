"""Bulk writes, the one SQL-dialect-specific place of the units domain.

Reference data is tens of thousands of rows; going through the ORM row by row would take
seconds. Following the architecture's performance habits, SQLite gets one sorted
``executemany`` through the DB-API and PostgreSQL gets ``COPY … FROM STDIN`` — both inside the
caller's transaction (the session's own connection), so a failure later on still rolls
everything back.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import Boolean, Date, Table, text
from sqlalchemy.orm import Session

Row = Sequence[Any]
CHUNK = 5000


def _sqlite_rows(table: Table, columns: Sequence[str], rows: Sequence[Row]) -> Sequence[Row]:
    """Store values as SQLAlchemy's SQLite types do (ISO dates, 0/1 booleans); only the
    columns that need it are converted, so integer-only tables pass through untouched."""
    convert = [
        i for i, name in enumerate(columns) if isinstance(table.c[name].type, (Date, Boolean))
    ]
    if not convert:
        return rows

    def fix(value: Any) -> Any:
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, bool):
            return int(value)
        return value

    result = []
    for row in rows:
        values = list(row)
        for i in convert:
            values[i] = fix(values[i])
        result.append(values)
    return result


def insert_rows(
    db: Session,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[Row],
    *,
    on_chunk: Callable[[int], None] | None = None,
) -> int:
    """Insert ``rows`` (tuples in ``columns`` order); returns how many were written."""
    if not rows:
        return 0
    for name in columns:  # guard the hand-built SQL below: only real column names
        if name not in table.c:
            raise KeyError(f"{table.name} has no column {name!r}")
    connection = db.connection()
    raw: Any = connection.connection.driver_connection
    column_list = ", ".join(columns)
    done = 0
    if connection.dialect.name == "postgresql":
        with raw.cursor() as cursor:
            for start in range(0, len(rows), CHUNK):
                chunk = rows[start : start + CHUNK]
                with cursor.copy(f"COPY {table.name} ({column_list}) FROM STDIN") as copy:
                    for row in chunk:
                        copy.write_row(row)
                done += len(chunk)
                if on_chunk:
                    on_chunk(done)
        return done
    placeholders = ", ".join("?" for _ in columns)
    sql = f"INSERT INTO {table.name} ({column_list}) VALUES ({placeholders})"  # noqa: S608
    cursor = raw.cursor()
    try:
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start : start + CHUNK]
            cursor.executemany(sql, _sqlite_rows(table, columns, chunk))
            done += len(chunk)
            if on_chunk:
                on_chunk(done)
    finally:
        cursor.close()
    return done


def sync_id_sequence(db: Session, table: Table, column: str = "id") -> None:
    """After inserting explicit ids, move PostgreSQL's sequence past them (SQLite needs not)."""
    if db.get_bind().dialect.name != "postgresql":
        return
    db.execute(
        text(
            f"SELECT setval(pg_get_serial_sequence('{table.name}', '{column}'), "  # noqa: S608
            f"COALESCE((SELECT MAX({column}) FROM {table.name}), 0) + 1, false)"
        )
    )
