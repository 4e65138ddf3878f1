"""The engine's statements are built once per shape and compiled once (SQLAlchemy's cache):
a drill-down to a unit nobody opened yet reuses the statements of its neighbours, which is
what keeps the first view of a dashboard fast. Checked through SQLAlchemy's own record of
each execution (``context.cache_hit``) on SQLite and PostgreSQL, and the rows given to a
statement (``core.sql_rows``) against both databases."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Date, Integer, String, event, select
from sqlalchemy.engine.interfaces import CacheStats
from sqlalchemy.orm import Session

from dieuhanh.core.sql_rows import rows_cte, rows_params, rows_template
from dieuhanh.domains.indicators import service
from tests.domains.indicators.test_query import (
    ADMIN,
    HAI_VAN,
    HOA_KHANH,
    LIEN_CHIEU,
    indicator,
    put,
    unit,
    value_of,
)


@contextmanager
def cache_record(session: Session) -> Iterator[list[tuple[Any, str]]]:
    """(cache outcome, first line of SQL) of every statement run inside the block."""
    seen: list[tuple[Any, str]] = []
    engine = session.get_bind().engine  # type: ignore[union-attr]

    def record(
        conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: Any
    ) -> None:
        if context is not None and getattr(context, "compiled", None) is not None:
            seen.append((context.cache_hit, statement.strip().splitlines()[0]))

    event.listen(engine, "after_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "after_cursor_execute", record)


def test_rows_are_a_table_on_both_databases(session: Session) -> None:
    rows = [(1, "Hải Vân", date(2026, 3, 1)), (2, "Liên Chiểu", date(2026, 4, 1))]
    columns = (("n", Integer()), ("name", String()), ("day", Date()))
    bound = rows_cte("t", columns, rows)
    got = session.execute(select(bound.c.n, bound.c.name, bound.c.day).order_by(bound.c.n)).all()
    assert [tuple(r) for r in got] == rows
    template = rows_template("t", columns, 2)
    again = session.execute(
        select(template.c.day).order_by(template.c.n.desc()), rows_params("t", rows)
    ).scalars()
    assert list(again) == [date(2026, 4, 1), date(2026, 3, 1)]


def test_rows_are_checked() -> None:
    with pytest.raises(ValueError, match="at least one row"):
        rows_cte("t", (("n", Integer()),), [])
    with pytest.raises(ValueError, match="identifiers"):
        rows_cte("t; drop", (("n", Integer()),), [(1,)])
    with pytest.raises(ValueError, match="needs 2 values"):
        rows_cte("t", (("n", Integer()), ("m", Integer())), [(1,)])


def test_a_new_unit_reuses_compiled_statements(session: Session) -> None:
    session.info["read_only"] = True  # as a page's read session: no write in between
    sums = indicator(session, "SC_SUM", report_level="commune")
    last = indicator(session, "SC_LAST", report_level="commune", agg_time="last")
    for n, code in enumerate((HAI_VAN, LIEN_CHIEU, HOA_KHANH)):
        put(session, sums, code, "2026-03", 10 + n)
        put(session, last, code, "2026-02", 1 + n)
        put(session, last, code, "2026-03", 5 + n)

    def views(code: str) -> list[float | None]:
        target = unit(session, code)
        return [
            value_of(session, sums, target, "2026-03").value,
            value_of(session, last, target, "2026Q1").value,
            service.series(
                db=session, actor=ADMIN, code="SC_SUM", unit=code, start="2026-01", end="2026-03"
            )
            .points[-1]
            .value,
        ]

    with cache_record(session) as first:
        assert views(HAI_VAN) == [10, 5, 10]
    with cache_record(session) as second:
        assert views(LIEN_CHIEU) == [11, 6, 11]
    assert first, "the engine ran statements"
    assert not [sql for hit, sql in first + second if hit is CacheStats.NO_CACHE_KEY]
    # the second commune's statements were all compiled for the first one
    assert [sql for hit, sql in second if hit is CacheStats.CACHE_MISS] == []
