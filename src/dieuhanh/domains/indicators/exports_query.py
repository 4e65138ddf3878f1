"""Export tables from the query engine, so that a file holds exactly what the JSON API
shows: roll-ups with their coverage, values carried across the 2025 reform
(``remapped``), and a missing value as a row with no value, never 0.

* ``unit`` → the query API's series of that unit; ``parent`` (+ ``level``) → its table,
  one row per unit and period (the parent's own total row is left out, so that a script
  summing the file does not count it twice); neither → the series of the caller's own unit.
* Periods: ``period_type`` when given; else the type of ``from``/``to`` as in the query
  API — except that an indicator is never exported at a type finer than its cadence (a
  yearly indicator in a monthly export stays yearly instead of a column of gaps).
* ``disagg``: ``""`` the total, ``sex=female`` one breakdown, ``*`` the total and every
  breakdown the indicator declares (those with no value in any period are left out).
* Coverage is kept for computed values only (aggregates, derived values and gaps:
  ``27/30`` units reported); a value a unit stored itself has no coverage to speak of.
* The query engine checks ``indicators.read`` and the caller's scope, so an export needs
  both ``indicators.export`` (the route) and ``indicators.read``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from dieuhanh.core.errors import ProblemError
from dieuhanh.core.periods import Period
from dieuhanh.core.security import Actor
from dieuhanh.domains.indicators import query as engine
from dieuhanh.domains.indicators.catalog import require_action
from dieuhanh.domains.indicators.exports import (
    ALL_DISAGGS,
    MAX_UNITS,
    ExportIndicator,
    ExportQuery,
    ExportRow,
    ExportTable,
    as_period_type,
    canonical_disagg,
    dimension_labels,
    disagg_combinations,
    indicators_for_export,
    parse_disagg,
)
from dieuhanh.domains.indicators.models import Observation
from dieuhanh.domains.indicators.schemas_query import CellOut, SeriesOut, TableOut
from dieuhanh.domains.units import service as units

_STATUS = {"final": "final", "provisional": "provisional"}


def row_from_cell(
    *, indicator: str, unit: str, unit_name: str, period: str, disagg: str, cell: CellOut
) -> ExportRow:
    computed = cell.kind != "stored"
    return ExportRow(
        indicator=indicator,
        unit=unit,
        unit_name=unit_name,
        period=period,
        disagg=disagg,
        value=cell.value,
        status=_STATUS.get(cell.status) if cell.value is not None else None,
        reported=cell.coverage.reported if computed else None,
        expected=cell.coverage.expected if computed else None,
        remapped=cell.remapped,
    )


def rows_from_series(series: SeriesOut) -> list[ExportRow]:
    """One row per point of the series, gaps included."""
    return [
        row_from_cell(
            indicator=series.indicator.code,
            unit=series.unit.code,
            unit_name=series.unit.name,
            period=point.period,
            disagg=series.disagg,
            cell=point,
        )
        for point in series.points
    ]


def rows_from_table(table: TableOut, *, disagg: str = "") -> list[ExportRow]:
    """One row per unit and period of the table, unit by unit (the total row left out:
    a file summed by a script must not count the parent twice)."""
    out: list[ExportRow] = []
    for row in table.items:
        for period, cell in zip(table.periods, row.values, strict=True):
            out.append(
                row_from_cell(
                    indicator=table.indicator.code,
                    unit=row.unit.code,
                    unit_name=row.unit.name,
                    period=period,
                    disagg=disagg,
                    cell=cell,
                )
            )
    return out


def drop_empty_series(rows: Iterable[ExportRow]) -> list[ExportRow]:
    """Leave out series (indicator, unit, disaggregation) with no value in any period: a
    disaggregation nobody reports is not worth a block of empty rows."""
    rows = list(rows)
    keep = {(r.indicator, r.unit, r.disagg) for r in rows if r.value is not None}
    return [r for r in rows if (r.indicator, r.unit, r.disagg) in keep]


def export_period_type(
    indicator: ExportIndicator, period_type: str | None, start: str | None, end: str | None
) -> str:
    """The period type one indicator is exported at (see the module notes)."""
    if period_type:
        return as_period_type(period_type).value
    cadence = indicator.period_type
    code = start or end
    if code:
        asked = Period.parse(code).type
        return (asked if asked.rank >= cadence.rank else cadence).value
    return cadence.value


def engine_rows(
    *,
    db: Session,
    actor: Actor,
    indicator: ExportIndicator,
    disaggs: Sequence[str],
    unit: str | None = None,
    parent: str | None = None,
    level: str | None = None,
    period_type: str | None = None,
    start: str | None = None,
    end: str | None = None,
    as_of: date | None = None,
) -> list[ExportRow]:
    """The query engine's values of one indicator for one unit (a series) or a parent's
    units (a table), for each disaggregation in turn."""
    kind = export_period_type(indicator, period_type, start, end)
    rows: list[ExportRow] = []
    for disagg in disaggs:
        if unit is not None:
            found = engine.series(
                db=db,
                actor=actor,
                code=indicator.code,
                unit=unit,
                period_type=kind,
                start=start,
                end=end,
                as_of=as_of,
                disagg=disagg,
            )
            rows.extend(rows_from_series(found))
        else:
            answer = engine.query_table(
                db=db,
                actor=actor,
                code=indicator.code,
                parent=parent,
                level=level,
                period_type=kind,
                start=start,
                end=end,
                as_of=as_of,
                disagg=disagg,
                limit=MAX_UNITS,
            )
            rows.extend(rows_from_table(answer, disagg=disagg))
    return rows


def observation_sources(
    db: Session, indicators: Iterable[ExportIndicator], unit_id: int
) -> list[str]:
    """Who supplied the stored values of these indicators in the unit's subtree (and the
    legacy units succeeded into it): the "Nguồn" of a file."""
    statement = (
        select(Observation.source)
        .where(
            Observation.indicator_id.in_([i.id for i in indicators]),
            Observation.unit_id.in_(units.subtree_ids_select(unit_id)),
            Observation.source != "",
        )
        .distinct()
    )
    return sorted(db.scalars(statement))


def export_table(*, db: Session, actor: Actor, query: ExportQuery) -> ExportTable:
    """The table behind ``/api/v1/indicators/export.csv`` and ``.xlsx``."""
    require_action(actor, "indicators.read")  # exports show what reading shows, no more
    if not query.indicators:
        raise ProblemError(
            "validation_error",
            errors=[{"location": ["query", "indicators"], "message": "name an indicator"}],
        )
    hierarchy = units.resolve_hierarchy(query.as_of, None)
    indicators = indicators_for_export(db=db, codes=query.indicators)
    dimensions = dimension_labels(db=db)
    unit, parent = query.unit, query.parent
    if unit is None and parent is None:
        if actor.scope_unit_id is None:
            raise ProblemError(
                "validation_error",
                errors=[{"location": ["query", "unit"], "message": "give a unit or a parent"}],
            )
        unit = units.get_unit_by_id(db=db, unit_id=actor.scope_unit_id).code
    top = units.get_unit(
        db=db, code=unit or parent or "", hierarchy=hierarchy, scope_unit_id=actor.scope_unit_id
    )
    rows: list[ExportRow] = []
    for indicator in indicators.values():
        if query.disagg == ALL_DISAGGS:
            disaggs = ["", *disagg_combinations(indicator, dimensions)]
        else:
            disaggs = [canonical_disagg(parse_disagg(query.disagg))]
        found = engine_rows(
            db=db,
            actor=actor,
            indicator=indicator,
            disaggs=disaggs,
            unit=unit,
            parent=parent if unit is None else None,
            level=query.level,
            period_type=query.period_type,
            start=query.start,
            end=query.end,
            as_of=query.as_of,
        )
        totals = [r for r in found if not r.disagg]
        rows.extend(totals + drop_empty_series(r for r in found if r.disagg))
    return ExportTable(
        indicators=indicators,
        rows=rows,
        hierarchy=hierarchy,
        parameters=query.as_parameters(),
        sources=observation_sources(db, indicators.values(), top.id),
        dimensions=dimensions,
    )
