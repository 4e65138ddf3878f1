"""The units domain's public service: what routes, the CLI and other domains call.

The implementation is split by use case — :mod:`.queries` (lookups, search, tree walks,
scope), :mod:`.agencies` (local agencies), :mod:`.loader` (reference data) — and gathered
here so that callers import one module and never the models. Every function is keyword-only
and takes the session explicitly.
"""

from __future__ import annotations

from dieuhanh.domains.units.agencies import create_agency
from dieuhanh.domains.units.loader import LoadReport, load_reference_data
from dieuhanh.domains.units.locate import locate_point, match_address
from dieuhanh.domains.units.queries import (
    ancestors,
    boundary,
    child_boundaries,
    children,
    get_unit,
    get_unit_by_id,
    has_child_geometry,
    home_summary,
    is_within,
    predecessors,
    resolve_hierarchy,
    scope_ids,
    search_units,
    subtree_ids_select,
    successors,
    units_by_ids,
)
from dieuhanh.domains.units.queries_rollup import (
    ancestry_select,
    id_runs,
    level_in,
    level_rank,
    rollup_map,
)
from dieuhanh.domains.units.reference import (
    AGENCY_KINDS,
    CURRENT,
    LEGACY,
    REFORM_DATE,
    HierarchyCode,
    Level,
    hierarchy_for,
    today,
)
from dieuhanh.domains.units.schemas import (
    AgencyCreate,
    HomeSummary,
    SuccessionOut,
    UnitOut,
    UnitRef,
    UnitScope,
)

__all__ = [
    "AGENCY_KINDS",
    "CURRENT",
    "LEGACY",
    "REFORM_DATE",
    "AgencyCreate",
    "HierarchyCode",
    "HomeSummary",
    "Level",
    "LoadReport",
    "SuccessionOut",
    "UnitOut",
    "UnitRef",
    "UnitScope",
    "ancestors",
    "ancestry_select",
    "boundary",
    "child_boundaries",
    "children",
    "create_agency",
    "get_unit",
    "get_unit_by_id",
    "has_child_geometry",
    "hierarchy_for",
    "home_summary",
    "id_runs",
    "is_within",
    "level_in",
    "level_rank",
    "load_reference_data",
    "locate_point",
    "match_address",
    "predecessors",
    "resolve_hierarchy",
    "rollup_map",
    "scope_ids",
    "search_units",
    "subtree_ids_select",
    "successors",
    "today",
    "units_by_ids",
]
