"""What the ``/sdmx`` endpoints read: dataflows, the data structure, and data for a key.

A data query ``/sdmx/data/{flow}/{INDICATOR.REF_AREA.DISAGG}`` means:

* ``INDICATOR``: those indicators of the flow (empty: every active indicator of the flow);
* ``REF_AREA`` given: the values *of those units* as the JSON API computes them (a province's
  value is the roll-up of its communes when it has none of its own, with coverage; data of
  the other side of the 2025 reform re-mapped and flagged ``E``); empty: every value stored
  for a unit of the requested map inside the caller's scope, as reported;
* ``DISAGG`` given: those disaggregations; empty: the total and every disaggregation;
* ``startPeriod``/``endPeriod`` (SDMX periods, inclusive), at each indicator's own cadence;
  without them, everything from the first to the last period stored (at most 400 periods,
  the query engine's longest series).

The caller's scope applies as everywhere: a named unit outside it is ``out_of_scope``, and
"every unit" means every unit of the caller's subtree.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dieuhanh.core.db import utcnow
from dieuhanh.core.errors import ProblemError
from dieuhanh.core.periods import Period, parse_sdmx
from dieuhanh.core.security import Actor
from dieuhanh.domains.indicators import exports
from dieuhanh.domains.indicators.catalog import require_action
from dieuhanh.domains.indicators.exports import ExportIndicator, ExportRow, ExportTable
from dieuhanh.domains.indicators.exports_query import drop_empty_series, engine_rows
from dieuhanh.domains.indicators.models import Indicator, Observation
from dieuhanh.domains.indicators.sdmx_structure import (
    AGENCY,
    DSD_ID,
    VERSION,
    Flow,
    StructureContent,
    disagg_codes,
    find_flow,
    flows_for,
    parse_key,
    structure_message,
)
from dieuhanh.domains.units import service as units

ADMIN_LEVELS = ("nation", "province", "district", "commune")
MAX_POINTS = 400  # the query engine's longest series
REFERENCES = ("none", "parents", "parentsandsiblings", "children", "descendants", "all")


def _components(db: Session) -> list[str]:
    statement = select(Indicator.component).where(Indicator.active.is_(True)).distinct()
    return sorted(db.scalars(statement))


def sdmx_flows(*, db: Session) -> list[Flow]:
    """``DF_DIEUHANH`` and one flow per component that has active indicators."""
    return flows_for(_components(db))


def sdmx_flow(*, db: Session, reference: str) -> Flow:
    return find_flow(reference, _components(db))


def _check_references(references: str) -> bool:
    """Whether a structure query asks for the artefacts a structure refers to."""
    if references not in REFERENCES and references not in ("datastructure", "codelist"):
        raise ProblemError(
            "validation_error",
            errors=[{"location": ["query", "references"], "message": f"unknown {references!r}"}],
        )
    return references != "none"


def _reference_areas(db: Session, actor: Actor, hierarchy: str) -> list[tuple[str, str]]:
    """Codes and names of the administrative units a caller may ask for, on one map."""
    items, _ = units.search_units(
        db=db, hierarchy=hierarchy, scope_unit_id=actor.scope_unit_id, limit=50_000
    )
    return [(u.code, u.name) for u in items if u.level in ADMIN_LEVELS]


def dataflow_message(
    *, db: Session, actor: Actor, reference: str | None, references: str, as_of: date | None
) -> bytes:
    """``/sdmx/dataflow[/…]``: the flows, with their structure when ``references`` asks."""
    flows = sdmx_flows(db=db) if reference is None else [sdmx_flow(db=db, reference=reference)]
    content = StructureContent(flows=flows)
    if _check_references(references):
        content = _with_structure(db, actor, flows, as_of)
    return structure_message(content, prepared=utcnow())


def datastructure_message(
    *, db: Session, actor: Actor, reference: str, references: str, as_of: date | None
) -> bytes:
    """``/sdmx/datastructure/…``: the data structure, with its codelists and concepts when
    ``references`` asks (``children``, ``descendants``, ``all``)."""
    parts = [p for p in reference.split(",") if p]
    agency, dsd_id, version = (
        (AGENCY, parts[0], VERSION) if len(parts) == 1 else [*parts, VERSION][:3]
    )
    if (
        dsd_id != DSD_ID
        or agency not in (AGENCY, "all", "*")
        or version not in (VERSION, "latest", "*", "+")
    ):
        raise ProblemError("datastructure_not_found", detail=reference)
    if _check_references(references):
        content = _with_structure(db, actor, [], as_of)
    else:
        content = StructureContent(flows=[], include_dsd=True)
    return structure_message(content, prepared=utcnow())


def _with_structure(
    db: Session, actor: Actor, flows: list[Flow], as_of: date | None
) -> StructureContent:
    indicators = exports.active_indicators(db=db)
    hierarchy = units.resolve_hierarchy(as_of, None)
    return StructureContent(
        flows=flows,
        include_dsd=True,
        indicators=indicators,
        areas=_reference_areas(db, actor, hierarchy),
        disaggs=disagg_codes(indicators, exports.dimension_labels(db=db)),
    )


def _stored_span(db: Session, indicator: ExportIndicator) -> tuple[str, str] | None:
    """First and last period stored for an indicator at its cadence (one ordered index
    read each way), at most ``MAX_POINTS`` periods apart: "all the data" of a series."""
    kind = indicator.period_type
    statement = select(func.min(Observation.period_start), func.max(Observation.period_start))
    first, last = db.execute(
        statement.where(
            Observation.indicator_id == indicator.id, Observation.period_type == kind.value
        )
    ).one()
    if first is None or last is None:
        return None
    hi = Period.containing(kind, last)
    lo = max(Period.containing(kind, first), hi.shift(-(MAX_POINTS - 1)))
    return str(lo), str(hi)


def _computed_rows(
    db: Session,
    actor: Actor,
    indicators: list[ExportIndicator],
    areas: tuple[str, ...],
    disaggs: tuple[str, ...] | None,
    start: str | None,
    end: str | None,
    as_of: date | None,
) -> list[ExportRow]:
    """The query engine's series of each named area, at each indicator's cadence."""
    dimensions = exports.dimension_labels(db=db)
    rows: list[ExportRow] = []
    for indicator in indicators:
        span = _stored_span(db, indicator)
        if span is None:
            continue
        first, last = start or span[0], end or span[1]
        if Period.parse(first).start > Period.parse(last).end:
            continue  # asked for a time after the last value (or before the first)
        wanted = (
            list(disaggs)
            if disaggs is not None
            else ["", *exports.disagg_combinations(indicator, dimensions)]
        )
        for area in areas:
            found = engine_rows(
                db=db,
                actor=actor,
                indicator=indicator,
                disaggs=wanted,
                unit=area,
                period_type=indicator.period_type.value,
                start=first,
                end=last,
                as_of=as_of,
            )
            if disaggs is not None:
                rows.extend(found)
            else:
                rows.extend(r for r in found if not r.disagg)
                rows.extend(drop_empty_series(r for r in found if r.disagg))
    return rows


def sdmx_data(
    *,
    db: Session,
    actor: Actor,
    flow: str,
    key: str | None,
    start_period: str | None = None,
    end_period: str | None = None,
    as_of: date | None = None,
) -> tuple[Flow, ExportTable]:
    """The table an SDMX data query selects (see the module notes); ``sdmx_no_results``
    when it selects nothing."""
    require_action(actor, "indicators.read")  # exports show what reading shows, no more
    chosen = sdmx_flow(db=db, reference=flow)
    parsed = parse_key(key)
    pool = {i.code: i for i in exports.active_indicators(db=db, component=chosen.component)}
    if parsed.indicators is None:
        indicators = list(pool.values())
    else:
        unknown = [code for code in parsed.indicators if code not in pool]
        if unknown:
            raise ProblemError(
                "sdmx_no_results", detail=f"not in {chosen.id}: {', '.join(unknown)}"
            )
        indicators = [pool[code] for code in parsed.indicators]
    start = str(parse_sdmx(start_period)) if start_period else None
    end = str(parse_sdmx(end_period)) if end_period else None
    hierarchy = units.resolve_hierarchy(as_of, None)
    if parsed.areas is None:
        rows, _sources = exports.stored_rows(
            db=db,
            actor=actor,
            indicators=indicators,
            hierarchy=hierarchy,
            start=start,
            end=end,
            disaggs=None if parsed.disaggs is None else list(parsed.disaggs),
        )
    else:
        rows = _computed_rows(
            db, actor, indicators, parsed.areas, parsed.disaggs, start, end, as_of
        )
    if not rows:
        raise ProblemError("sdmx_no_results")
    parameters = {"flow": chosen.id, "key": key or "all"}
    if start_period:
        parameters["startPeriod"] = start_period
    if end_period:
        parameters["endPeriod"] = end_period
    table = ExportTable(
        indicators={i.code: i for i in indicators},
        rows=rows,
        hierarchy=hierarchy,
        parameters=parameters,
        dimensions=exports.dimension_labels(db=db),
    )
    return chosen, table
