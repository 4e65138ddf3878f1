"""The newest stored period per indicator and target: where a unit's "data until" comes
from when none of the recent periods has a value (freshness badges, "số liệu đến ngày …").

Each unit's latest is one seek to the end of its entries in ``ix_observations_unit`` (a
correlated ``max``), so the cost does not grow with history; the statement is kept per
shape like the engine's others (see :mod:`.query_units`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import Integer, Select, String, bindparam, func, literal, select
from sqlalchemy.orm import Session

from dieuhanh.core.periods import PeriodType
from dieuhanh.core.sql_rows import rows_params, rows_template
from dieuhanh.domains.indicators.query_units import OBS
from dieuhanh.domains.indicators.remap import MapSelect, UnitPlan, map_select


def latest_present(
    db: Session,
    *,
    indicator_ids: Sequence[int],
    source: PeriodType,
    plan: UnitPlan,
    disagg: str = "",
) -> dict[tuple[int, int], date]:
    """Per (indicator, target): the start of the latest stored period any of its units (or
    itself) has. Each unit's latest is one seek to the end of its entries in
    ``ix_observations_unit`` (a correlated ``max``), so the cost does not grow with history."""
    if not plan.targets or not indicator_ids:
        return {}
    unit_map = map_select(plan, crossing=False)
    statement = _latest_statement(unit_map.statement, source.value, len(indicator_ids))
    params = {
        **unit_map.params,
        **rows_params("ids", [(i,) for i in indicator_ids]),
        "latest_disagg": disagg,
    }
    return {(row[0], row[1]): row[2] for row in db.execute(statement, params) if row[2] is not None}


@lru_cache(maxsize=128)
def _latest_statement(unit_map: MapSelect, source: str, count: int) -> Select[Any]:
    umap = unit_map.cte("umap").prefix_with("MATERIALIZED")
    ids = rows_template("ids", (("i", Integer()),), count)
    o = OBS.alias("o")
    newest = (
        select(func.max(o.c.period_start))
        .where(
            o.c.unit_id == umap.c.src_id,
            o.c.indicator_id == ids.c.i,
            o.c.period_type == source,
            o.c.disagg == bindparam("latest_disagg", type_=String()),
        )
        .correlate_except(o)
        .scalar_subquery()
    )
    per_unit = (
        select(ids.c.i.label("i"), umap.c.target_id.label("t"), newest.label("latest"))
        .select_from(umap.join(ids, literal(True)))
        .subquery("per_unit")
    )
    return select(per_unit.c.i, per_unit.c.t, func.max(per_unit.c.latest)).group_by(
        per_unit.c.i, per_unit.c.t
    )
