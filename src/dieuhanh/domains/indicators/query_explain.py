"""Explain any value: the derivation tree behind one indicator, unit and period.

The tree follows the engine's rules step by step (see :mod:`.query_grid`), rebuilt in Python
from the raw observations of that one cell, so a reader sees every input:

* a **derived** value is its formula tree (``core.expressions.explain``), each reference
  replaced by the explanation of the input's value at the period it reads;
* an **aggregate** lists the reporting units with their values (``units`` step: operator,
  coverage), each unit's value over its child periods (``time`` step), and each child
  period's stored observation with its provenance (source, who recorded it and when, the
  revision and status) — or, across the 2025 reform, the other map's units it was mapped
  from with their weights (``remap`` step);
* a unit's **own** stored value is shown as such, since it wins over the aggregate.

The tree's value equals the engine's (a test compares them); explaining one cell reads at
most the units of one target, so it is computed in Python rather than in SQL.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from dieuhanh.core import expressions
from dieuhanh.core.expressions import Explanation
from dieuhanh.core.i18n import N_, gettext
from dieuhanh.core.periods import Period, PeriodType
from dieuhanh.domains.indicators.catalog import indicators_by_code
from dieuhanh.domains.indicators.formulas import MAX_DEPTH, input_cells, input_want, ref_period
from dieuhanh.domains.indicators.models import Observation
from dieuhanh.domains.indicators.query_grid import Coverage, Request, Want, unit_weights
from dieuhanh.domains.indicators.query_out import coverage_out
from dieuhanh.domains.indicators.query_time import (
    children_for,
    combine_time,
    combine_units,
    source_type,
    stored_types,
    window_text,
)
from dieuhanh.domains.indicators.remap import in_other_era, map_select, plan_units
from dieuhanh.domains.indicators.schemas import IndicatorOut
from dieuhanh.domains.indicators.schemas_query import ExplainNode, SourceOut
from dieuhanh.domains.units import service as units
from dieuhanh.domains.units.schemas import UnitOut

LABEL_UNITS = N_("Combined across %(count)s units (%(operator)s)")
LABEL_TIME = N_("Combined over %(count)s periods (%(operator)s)")
LABEL_REMAP = N_("Mapped across the 2025 reform from %(count)s units")
LABEL_OWN = N_("The unit's own figure")
LABEL_MISSING = N_("No value")
NOTE_NOT_STORED = N_("not available for this period type")
NOTE_NO_RULE = N_("this indicator is not combined across units")
NOTE_NO_WEIGHT = N_("no weight for this unit: left out")
CHUNK = 500


@dataclass(frozen=True)
class _Obs:
    unit_id: int
    start: date
    value: float
    status: str
    source: str
    recorded_by: str
    recorded_at: datetime
    revision: int


@dataclass
class _Context:
    db: Session
    indicator: IndicatorOut
    hierarchy: str
    disagg: str
    locale: str
    names: dict[int, UnitOut]
    source: PeriodType
    ytd: bool


def explain_value(
    db: Session,
    *,
    indicator: IndicatorOut,
    target: UnitOut,
    period: Period,
    hierarchy: str,
    disagg: str = "",
    ytd: bool = False,
    locale: str = "vi",
    coarser_fallback: bool = False,
    depth: int = 0,
) -> ExplainNode:
    """The derivation tree of one value (see the module notes)."""
    if indicator.formula:
        return _explain_formula(
            db, indicator, target, period, hierarchy, disagg, ytd, locale, depth
        )
    stored = stored_types(db, indicator.id)
    source = source_type(period.type, stored)
    children: list[Period]
    if source is not None:
        children = children_for(period, source, ytd=ytd)
    else:
        coarser = sorted((t for t in stored if t.rank > period.type.rank), key=lambda t: t.rank)
        if not (coarser_fallback and coarser):
            return _missing(indicator, target, period, locale, NOTE_NOT_STORED)
        source = coarser[0]
        children = [period.rollup(source)]
    plan = plan_units(
        db, targets=[target], hierarchy=hierarchy, report_level=indicator.report_level
    )
    crossing = any(in_other_era(hierarchy, c.start) for c in children)
    unit_map = map_select(plan, crossing=crossing)
    mapping = db.execute(unit_map.statement, unit_map.params).all()
    observations = _observations(db, indicator, source, children, {m[0] for m in mapping}, disagg)
    names = units.units_by_ids(
        db=db, unit_ids={m[1] for m in mapping} | {o.unit_id for o in observations} | {target.id}
    )
    ctx = _Context(db, indicator, hierarchy, disagg, locale, names, source, ytd)
    by_unit: dict[tuple[int, int], list[tuple[int, float, int]]] = defaultdict(list)
    for src, unit_id, _target, weight, remapped, own in mapping:
        by_unit[(own, unit_id)].append((src, weight, remapped))
    found = {(o.unit_id, o.start): o for o in observations}
    own_groups = [key for key in by_unit if key[0] == 1]
    for key in own_groups:
        node = _unit_node(ctx, key[1], by_unit[key], children, found)
        if node.value is not None:
            own = node.model_copy(update={"kind": "own", "label": gettext(LABEL_OWN, locale)})
            return _wrap(ctx, target, period, own)
    unit_nodes = [
        _unit_node(ctx, unit_id, rows, children, found)
        for (flag, unit_id), rows in sorted(by_unit.items(), key=lambda kv: _sort(ctx, kv[0][1]))
        if flag == 0
    ]
    expected = plan.expected.get(target.id, 0)
    if len(unit_nodes) == 1 and unit_nodes[0].unit == target.code and expected == 1:
        return _wrap(ctx, target, period, unit_nodes[0])
    return _wrap(ctx, target, period, _units_node(ctx, target, period, unit_nodes, expected))


def _sort(ctx: _Context, unit_id: int) -> tuple[str, str]:
    unit = ctx.names.get(unit_id)
    return (unit.name, unit.code) if unit else ("", str(unit_id))


def _observations(
    db: Session,
    indicator: IndicatorOut,
    source: PeriodType,
    children: Sequence[Period],
    unit_ids: set[int],
    disagg: str,
) -> list[_Obs]:
    o = Observation
    out: list[_Obs] = []
    wanted = sorted(unit_ids)
    for start in range(0, len(wanted), CHUNK):
        rows = db.execute(
            select(
                o.unit_id,
                o.period_start,
                o.value,
                o.status,
                o.source,
                o.recorded_by,
                o.recorded_at,
                o.revision,
            ).where(
                o.indicator_id == indicator.id,
                o.period_type == source.value,
                o.period_start.in_([c.start for c in children]),
                o.disagg == disagg,
                o.unit_id.in_(wanted[start : start + CHUNK]),
            )
        )
        out.extend(_Obs(*row) for row in rows)
    return out


def _level(ctx: _Context, unit_id: int) -> str:
    unit = ctx.names.get(unit_id)
    return unit.level if unit else ""


def _name(ctx: _Context, unit_id: int) -> tuple[str | None, str | None]:
    unit = ctx.names.get(unit_id)
    return (unit.code, unit.name) if unit else (None, None)


def _obs_node(ctx: _Context, obs: _Obs, weight: float | None = None) -> ExplainNode:
    code, name = _name(ctx, obs.unit_id)
    period = Period.containing(ctx.source, obs.start)
    return ExplainNode(
        kind="observation",
        label=f"{name} — {window_text(ctx.indicator.cadence, period, ctx.locale)}",
        value=obs.value,
        indicator=ctx.indicator.code,
        unit=code,
        unit_name=name,
        period=str(period),
        weight=weight,
        source=SourceOut(
            source=obs.source,
            recorded_by=obs.recorded_by,
            recorded_at=obs.recorded_at.isoformat(),
            revision=obs.revision,
            status="final" if obs.status == "f" else "provisional",
        ),
    )


def _child_node(
    ctx: _Context,
    unit_id: int,
    sources: Sequence[tuple[int, float, int]],
    child: Period,
    found: dict[tuple[int, date], _Obs],
) -> ExplainNode | None:
    """One unit's value for one stored period: its own, or mapped across the reform."""
    direct = found.get((unit_id, child.start))
    if direct is not None:
        return _obs_node(ctx, direct)
    if not in_other_era(ctx.hierarchy, child.start):
        return None
    parts = [
        (found[(src, child.start)], weight)
        for src, weight, remapped in sources
        if remapped and (src, child.start) in found
    ]
    if not parts:
        return None
    value = combine_units(ctx.indicator.agg_units, [(o.value, w) for o, w in parts])
    code, name = _name(ctx, unit_id)
    return ExplainNode(
        kind="remap",
        label=gettext(LABEL_REMAP, ctx.locale) % {"count": len(parts)},
        value=value,
        indicator=ctx.indicator.code,
        unit=code,
        unit_name=name,
        period=str(child),
        operator=ctx.indicator.agg_units,
        remapped=True,
        children=[_obs_node(ctx, o, w) for o, w in parts],
    )


def _unit_node(
    ctx: _Context,
    unit_id: int,
    sources: Sequence[tuple[int, float, int]],
    children: Sequence[Period],
    found: dict[tuple[int, date], _Obs],
) -> ExplainNode:
    nodes = [
        node
        for child in children
        if (node := _child_node(ctx, unit_id, sources, child, found)) is not None
    ]
    code, name = _name(ctx, unit_id)
    if len(children) == 1:
        if nodes:
            return nodes[0]
        return ExplainNode(
            kind="missing",
            label=gettext(LABEL_MISSING, ctx.locale),
            value=None,
            indicator=ctx.indicator.code,
            unit=code,
            unit_name=name,
            period=str(children[0]),
        )
    pairs = [
        (Period.parse(n.period or "").start, float(n.value))
        for n in nodes
        if n.value is not None and not isinstance(n.value, bool)
    ]
    return ExplainNode(
        kind="time",
        label=gettext(LABEL_TIME, ctx.locale)
        % {"count": len(pairs), "operator": ctx.indicator.agg_time},
        value=combine_time(ctx.indicator.agg_time, pairs),
        indicator=ctx.indicator.code,
        unit=code,
        unit_name=name,
        operator=ctx.indicator.agg_time,
        coverage=coverage_out(
            Coverage(1 if pairs else 0, 1, _level(ctx, unit_id), len(pairs), len(children)),
            ctx.locale,
            own_level=_level(ctx, unit_id),
        ),
        remapped=any(n.remapped for n in nodes),
        children=nodes,
    )


def _units_node(
    ctx: _Context,
    target: UnitOut,
    period: Period,
    nodes: list[ExplainNode],
    expected: int,
) -> ExplainNode:
    present = [n for n in nodes if n.value is not None and not isinstance(n.value, bool)]
    operator = ctx.indicator.agg_units
    pairs: list[tuple[float, float]] = [(float(n.value), 1.0) for n in present]  # type: ignore[arg-type]
    note = None
    if operator == "wavg":
        pairs, present = _weighted_pairs(ctx, target, period, present)
    if operator == "none":
        value = None
        note = gettext(NOTE_NO_RULE, ctx.locale)
    else:
        value = combine_units("avg" if operator == "wavg" else operator, pairs)
    level = units.level_in(ctx.hierarchy, ctx.indicator.report_level)
    return ExplainNode(
        kind="units",
        label=gettext(LABEL_UNITS, ctx.locale) % {"count": len(present), "operator": operator},
        value=value,
        indicator=ctx.indicator.code,
        unit=target.code,
        unit_name=target.name,
        operator=operator,
        coverage=coverage_out(Coverage(len(present), expected, level), ctx.locale),
        remapped=any(n.remapped for n in present),
        note=note,
        children=present,  # units that have not reported are counted in the coverage
    )


def _weighted_pairs(
    ctx: _Context, target: UnitOut, period: Period, present: list[ExplainNode]
) -> tuple[list[tuple[float, float]], list[ExplainNode]]:
    """Weights for a weighted average: the weight indicator's value per unit."""
    weight_id = ctx.indicator.weight_indicator_id
    if weight_id is None or ctx.indicator.weight_indicator is None:
        return [], present
    weight = indicators_by_code(db=ctx.db, codes=[ctx.indicator.weight_indicator]).get(
        ctx.indicator.weight_indicator
    )
    if weight is None:
        return [], present
    by_code = {u.code: u for u in ctx.names.values()}
    members = tuple(by_code[n.unit] for n in present if n.unit in by_code)
    want = Want(period, ctx.ytd)
    weights = unit_weights(ctx.db, weight, members, [want], ctx.hierarchy, ctx.disagg)
    pairs: list[tuple[float, float]] = []
    kept: list[ExplainNode] = []
    for node in present:
        unit = by_code.get(node.unit or "")
        found = weights.get((unit.id, want)) if unit else None
        if found is None:
            kept.append(node.model_copy(update={"note": gettext(NOTE_NO_WEIGHT, ctx.locale)}))
            continue
        pairs.append((float(node.value), found))  # type: ignore[arg-type]
        kept.append(node.model_copy(update={"weight": found}))
    return pairs, kept


def _wrap(ctx: _Context, target: UnitOut, period: Period, node: ExplainNode) -> ExplainNode:
    """Name the step after the requested unit and period."""
    return node.model_copy(update={"period": node.period or str(period)})


def _missing(
    indicator: IndicatorOut, target: UnitOut, period: Period, locale: str, note: str
) -> ExplainNode:
    return ExplainNode(
        kind="missing",
        label=gettext(LABEL_MISSING, locale),
        value=None,
        indicator=indicator.code,
        unit=target.code,
        unit_name=target.name,
        period=str(period),
        note=gettext(note, locale),
    )


def _explain_formula(
    db: Session,
    indicator: IndicatorOut,
    target: UnitOut,
    period: Period,
    hierarchy: str,
    disagg: str,
    ytd: bool,
    locale: str,
    depth: int,
) -> ExplainNode:
    expression = expressions.parse(indicator.formula or "")
    want = Want(period, ytd)
    request = Request(hierarchy, (target,), (want,), disagg)
    known, values = input_cells(db, expression, request, depth)

    def resolve(ref: expressions.Ref) -> float | None:
        cell = values.get((ref, target.id, want))
        return cell.value if cell is not None else None

    tree = expressions.explain(expression, resolve)

    def convert(step: Explanation) -> ExplainNode:
        if step.ref is not None:
            ref = step.ref
            inner: list[ExplainNode] = []
            source = known.get(ref.code)
            if source is not None and depth < MAX_DEPTH:
                inner.append(
                    explain_value(
                        db,
                        indicator=source,
                        target=target,
                        period=input_want(want, ref).period,
                        hierarchy=hierarchy,
                        disagg=ref.disagg,
                        ytd=input_want(want, ref).ytd,
                        locale=locale,
                        coarser_fallback=True,
                        depth=depth + 1,
                    )
                )
            return ExplainNode(
                kind="reference",
                label=step.label,
                value=step.value,
                indicator=ref.code,
                unit=target.code,
                unit_name=target.name,
                period=str(ref_period(period, ref)),
                note=gettext(step.note, locale) if step.note else None,
                children=inner,
            )
        return ExplainNode(
            kind="formula",
            label=step.label,
            value=step.value,
            note=gettext(step.note, locale) if step.note else None,
            children=[convert(child) for child in step.children],
        )

    root = convert(tree)
    return root.model_copy(
        update={
            "indicator": indicator.code,
            "unit": target.code,
            "unit_name": target.name,
            "period": str(period),
        }
    )
