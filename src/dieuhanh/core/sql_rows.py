"""Rows given by the application as a table inside a statement (a ``VALUES`` list), in a
form SQLAlchemy can cache.

SQLAlchemy's own ``values(...).data(rows)`` has no cache key ("multivalues are simply not
cacheable"), so every statement holding one is compiled again on every call. The query
engine builds dozens of such statements per dashboard (the units of a target, the periods
of a slot), and their compilation was most of the cost of a page nobody had open yet:
~35 compilations of 5–15 ms each against ~0.5 ms of SQL. Written as text with bound
parameters the statement is cached per shape (the number of rows), and only the values
change between calls.

``SELECT column1 AS a, column2 AS b FROM (VALUES …) AS x``: SQLite and PostgreSQL both name
a ``VALUES`` list's columns ``column1``, ``column2``…; the outer select gives them names
without the ``x (a, b)`` column-alias form, which SQLite does not accept in ``FROM``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import CTE, bindparam, column, text
from sqlalchemy.types import TypeEngine

Columns = Sequence[tuple[str, TypeEngine[Any] | type[TypeEngine[Any]]]]


def rows_cte(name: str, columns: Columns, rows: Sequence[Sequence[Any]]) -> CTE:
    """A common table expression ``name`` holding ``rows`` (at least one) with ``columns``
    (name, SQL type); its parameters are named after the CTE, so several can share a
    statement as long as their names differ."""
    if not rows:
        raise ValueError(f"{name}: a VALUES list needs at least one row")
    return _rows(name, columns, len(rows), rows)


def rows_template(name: str, columns: Columns, count: int) -> CTE:
    """The same CTE for ``count`` rows whose values are given when the statement runs (see
    :func:`rows_params`): a statement built once per shape and kept (building one costs
    more than running it) takes its rows this way."""
    if count < 1:
        raise ValueError(f"{name}: a VALUES list needs at least one row")
    return _rows(name, columns, count, None)


def rows_params(name: str, rows: Sequence[Sequence[Any]]) -> dict[str, Any]:
    """The parameters of :func:`rows_template` ``name`` for ``rows``."""
    return {f"{name}_{r}_{c}": value for r, row in enumerate(rows) for c, value in enumerate(row)}


def _rows(name: str, columns: Columns, count: int, rows: Sequence[Sequence[Any]] | None) -> CTE:
    if not all(n.isidentifier() for n in (name, *(col for col, _ in columns))):
        raise ValueError(f"{name}: table and column names must be identifiers")
    if rows is not None and any(len(row) != len(columns) for row in rows):
        raise ValueError(f"{name}: every row needs {len(columns)} values")
    params = []
    tuples = []
    for r in range(count):
        cells = []
        for c, (_, kind) in enumerate(columns):
            key = f"{name}_{r}_{c}"
            if rows is None:
                params.append(bindparam(key, type_=kind))
            else:
                params.append(bindparam(key, rows[r][c], type_=kind))
            cells.append(f":{key}")
        tuples.append(f"({', '.join(cells)})")
    names = ", ".join(f"column{i} AS {col}" for i, (col, _) in enumerate(columns, start=1))
    # only identifiers checked above and parameter markers are spliced in; values are bound
    sql = f"SELECT {names} FROM (VALUES {', '.join(tuples)}) AS {name}_rows"  # noqa: S608
    typed = text(sql).bindparams(*params).columns(*(column(col, kind) for col, kind in columns))
    return typed.cte(name)
