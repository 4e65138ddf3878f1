"""What the query API answers: series, cross-sections, tables, values with targets,
explanations, freshness and the unit overview (Pydantic, separate from the ORM models).

Units and indicators are named by their codes; a value is ``null`` when nothing was
reported (never 0), and every value carries its coverage.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field

from dieuhanh.core.http import Page, Schema

DataStatus = Literal["final", "provisional", "missing"]
TargetStatus = Literal["on_track", "at_risk", "off_track", "no_target", "no_data"]
Colour = Literal["green", "amber", "red", "grey"]
FreshnessStatus = Literal["fresh", "late", "pending", "missing"]


class IndicatorRef(Schema):
    """The indicator a result is about, with what a reader needs to show its numbers."""

    code: str
    name: str = Field(description="Name in the response language")
    measure_unit: str
    decimals: int
    direction: str
    agg_units: str
    agg_time: str
    cadence: str
    derived: bool


class UnitRefOut(Schema):
    code: str
    name: str
    level: str
    hierarchy: str


class CoverageOut(Schema):
    """How complete a value is ("27/30 xã đã báo cáo")."""

    reported: int = Field(description="Reporting units with a value")
    expected: int = Field(description="Reporting units expected")
    level: str = Field(description="Level of the units counted (commune, province…)")
    periods_reported: int = Field(description="Child periods present (most complete unit)")
    periods_expected: int
    last_period: str | None = Field(description="Latest stored period present")
    complete: bool
    text: str = Field(description="The coverage in words, in the response language")


class CellOut(Schema):
    """One value with how it was obtained."""

    value: float | None
    coverage: CoverageOut
    kind: str = Field(description="stored, aggregate, derived or missing")
    remapped: bool = Field(description="Computed through the 2025 reform's successions")
    status: DataStatus
    read_at: str | None = Field(
        default=None, description="The coarser period read instead (an annual plan)"
    )
    notes: list[str] = Field(default_factory=list)


class PointOut(CellOut):
    period: str
    label: str = Field(description="The period in words (with its Decree-09 window)")


class SeriesOut(Schema):
    indicator: IndicatorRef
    unit: UnitRefOut
    hierarchy: str
    period_type: str
    disagg: str
    ytd: bool
    points: list[PointOut]


class CrossSectionRow(Schema):
    unit: UnitRefOut
    values: dict[str, CellOut] = Field(description="By indicator code")


class CrossSectionOut(Page[CrossSectionRow]):
    period: str
    label: str
    hierarchy: str
    indicators: list[IndicatorRef]
    parent: UnitRefOut | None = None
    total_row: CrossSectionRow | None = Field(
        default=None, description="The parent itself, aggregated"
    )


class TableRow(Schema):
    unit: UnitRefOut
    values: list[CellOut] = Field(description="One per period, in the order of `periods`")


class TableOut(Page[TableRow]):
    indicator: IndicatorRef
    hierarchy: str
    periods: list[str]
    labels: list[str]
    parent: UnitRefOut | None = None
    total_row: TableRow | None = None


class ChangeOut(Schema):
    """Change against the same period of the previous year ("so với cùng kỳ")."""

    period: str
    previous: float | None
    absolute: float | None
    percent: float | None


class ProgressOut(Schema):
    """Progress toward the year's plan and where the year is heading."""

    year: int
    target: float | None = Field(description="The year's plan")
    target_to_date: float | None = Field(description="Phased plan up to this period")
    actual_to_date: float | None = Field(description="Year to date, by the indicator's rule")
    progress: float | None = Field(description="Year to date / plan (1 = 100%)")
    progress_to_date: float | None = Field(description="Year to date / phased plan to date")
    projection: float | None = Field(description="Projected value at year end")
    method: str = Field(description="actual, phased, seasonal, linear, latest or none")
    status: TargetStatus
    status_text: str
    colour: Colour


class ValueOut(Schema):
    indicator: IndicatorRef
    unit: UnitRefOut
    period: str
    label: str
    hierarchy: str
    cell: CellOut
    ytd: CellOut | None = None
    change: ChangeOut | None = None
    change_ytd: ChangeOut | None = None
    progress: ProgressOut | None = None


class SourceOut(Schema):
    """Provenance of one stored observation."""

    source: str
    recorded_by: str
    recorded_at: str
    revision: int
    status: str


class ExplainNode(Schema):
    """One step of a derivation: a formula step, an aggregation, a re-mapping or a stored
    observation, with the steps it came from."""

    kind: str = Field(
        description="formula, reference, units, time, remap, observation, own or missing"
    )
    label: str
    value: float | bool | None
    indicator: str | None = None
    unit: str | None = None
    unit_name: str | None = None
    period: str | None = None
    operator: str | None = None
    weight: float | None = None
    coverage: CoverageOut | None = None
    remapped: bool = False
    note: str | None = None
    source: SourceOut | None = None
    children: list[ExplainNode] = Field(default_factory=list)


class ExplainOut(Schema):
    indicator: IndicatorRef
    unit: UnitRefOut
    period: str
    hierarchy: str
    value: float | None
    tree: ExplainNode


class FreshnessRow(Schema):
    unit: UnitRefOut
    status: FreshnessStatus
    status_text: str
    expected_period: str = Field(description="Latest period that should have arrived")
    deadline: date
    data_until: date | None = Field(description="End of the latest period present")
    data_until_text: str = Field(description="'số liệu đến ngày …'")
    coverage: CoverageOut | None = None


class FreshnessOut(Page[FreshnessRow]):
    indicator: IndicatorRef
    as_of: date


class OverviewItem(Schema):
    indicator: IndicatorRef
    period: str
    label: str
    cell: CellOut
    ytd: CellOut | None = None
    change: ChangeOut | None = None
    progress: ProgressOut | None = None
    freshness: FreshnessStatus
    data_until: date | None = None


class OverviewOut(Schema):
    unit: UnitRefOut
    period: str
    hierarchy: str
    items: list[OverviewItem]
