"""SQLite is tuned for a web app; both databases keep timezone-aware UTC datetimes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, insert, select, text

from dieuhanh.core.db import Database, UTCDateTime


def test_sqlite_pragmas(tmp_path) -> None:  # type: ignore[no-untyped-def]
    db = Database(f"sqlite:///{tmp_path / 'a.db'}", busy_timeout_ms=1234)
    with db.reading() as s:
        assert s.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert s.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert s.execute(text("PRAGMA busy_timeout")).scalar() == 1234
        assert s.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL
    db.dispose()


def test_write_transactions_roll_back_on_error(database: Database) -> None:
    meta = MetaData()
    t = Table("t_rollback", meta, Column("id", Integer, primary_key=True))
    meta.create_all(database.engine)

    def fail_half_way() -> None:
        with database.transaction() as s:
            s.execute(insert(t).values(id=1))
            raise RuntimeError("fail half-way")

    with pytest.raises(RuntimeError):
        fail_half_way()
    with database.reading() as s:
        assert s.execute(select(t)).all() == []
    with database.transaction() as s:
        s.execute(insert(t).values(id=2))
    with database.reading() as s:
        assert s.execute(select(t.c.id)).scalars().all() == [2]


def test_utc_datetimes_round_trip(database: Database) -> None:
    meta = MetaData()
    t = Table("t_times", meta, Column("id", Integer, primary_key=True), Column("at", UTCDateTime))
    meta.create_all(database.engine)
    hanoi = timezone(timedelta(hours=7))
    moment = datetime(2026, 7, 1, 8, 30, tzinfo=hanoi)
    with database.transaction() as s:
        s.execute(insert(t).values(id=1, at=moment))
    with database.reading() as s:
        stored = s.execute(select(t.c.at)).scalar_one()
    assert stored.tzinfo is not None
    assert stored == moment
    assert stored.astimezone(UTC).hour == 1

    def insert_naive() -> None:
        with database.transaction() as s:
            s.execute(insert(t).values(id=2, at=datetime(2026, 1, 1)))

    with pytest.raises(Exception, match="naive"):
        insert_naive()
