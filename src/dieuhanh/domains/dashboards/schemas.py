"""Dashboards as data: widget specifications, dashboards, wall playlists, and what the data
endpoint answers for each widget.

A dashboard is a list of widgets on a 12-column grid. Each widget names what it shows by
public codes (indicator codes, a child level), never database ids, so a pack's dashboard
works in any province and an exported definition can be imported elsewhere. The widget kinds
follow what leaders read at a glance: a KPI tile, a time series, a ranking of the child
units, a choropleth map of them, a table, a counter and a live feed.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, model_validator

from dieuhanh.core.http import Schema

DASHBOARD_CODE_PATTERN = r"^[a-z][a-z0-9_-]{1,63}$"
WIDGET_ID_PATTERN = r"^[a-z][a-z0-9_-]{0,31}$"
INDICATOR_CODE_PATTERN = r"^[A-Z][A-Z0-9_]{1,63}$"
GRID_COLUMNS = 12
MAX_WIDGETS = 40

DashboardCode = Annotated[str, StringConstraints(pattern=DASHBOARD_CODE_PATTERN)]
WidgetId = Annotated[str, StringConstraints(pattern=WIDGET_ID_PATTERN)]
IndicatorCode = Annotated[str, StringConstraints(pattern=INDICATOR_CODE_PATTERN)]
Title = Annotated[str, StringConstraints(strip_whitespace=True, max_length=255)]
ChildLevel = Literal["child", "province", "district", "commune"]
PeriodType = Literal["month", "quarter", "half", "year"]
# Which days a period stands for: the ordinary calendar, or the Decree 09/2019 reporting
# period (a month runs from the 15th of the previous month to the 14th).
ReportingCalendar = Literal["calendar", "decree09"]


class WidgetBase(Schema):
    """Where a widget sits on the grid and what it is called (empty title: the indicator's
    name in the viewer's language)."""

    id: WidgetId
    title_vi: Title = ""
    title_en: Title = ""
    x: int = Field(default=0, ge=0, lt=GRID_COLUMNS)
    y: int = Field(default=0, ge=0, le=1000)
    w: int = Field(default=3, ge=1, le=GRID_COLUMNS)
    h: int = Field(default=2, ge=1, le=12)

    @model_validator(mode="after")
    def _fits(self) -> WidgetBase:
        if self.x + self.w > GRID_COLUMNS:
            raise ValueError(f"x + w must be at most {GRID_COLUMNS}")
        return self


class KpiWidget(WidgetBase):
    """Value, unit of measure, progress to target, change on last year, sparkline, status
    colour and freshness of one indicator."""

    type: Literal["kpi"] = "kpi"
    indicator: IndicatorCode
    ytd: bool = Field(default=False, description="Show the year to date as the headline")
    sparkline: int = Field(default=12, ge=0, le=60, description="Periods in the sparkline")


class TimeSeriesWidget(WidgetBase):
    """One or more indicators over time, with the target line and directive annotations."""

    type: Literal["timeseries"] = "timeseries"
    indicators: list[IndicatorCode] = Field(min_length=1, max_length=6)
    period_type: PeriodType | None = Field(
        default=None, description="Default: the dashboard's period type"
    )
    span: int = Field(default=24, ge=2, le=120, description="Periods shown, ending at the period")
    ytd: bool = False
    show_target: bool = True


class RankingWidget(WidgetBase):
    """The child units ordered by an indicator (best first, by its direction)."""

    type: Literal["ranking"] = "ranking"
    indicator: IndicatorCode
    level: ChildLevel = "child"
    top: int = Field(default=10, ge=1, le=200)
    ytd: bool = False


class MapWidget(WidgetBase):
    """A choropleth of the child units (polygons where geometry exists)."""

    type: Literal["map"] = "map"
    indicator: IndicatorCode
    level: ChildLevel = "child"
    ytd: bool = False


class TableWidget(WidgetBase):
    """Child units × indicators for the period."""

    type: Literal["table"] = "table"
    indicators: list[IndicatorCode] = Field(min_length=1, max_length=12)
    level: ChildLevel = "child"
    ytd: bool = False
    limit: int = Field(default=50, ge=1, le=500)


class CounterWidget(WidgetBase):
    """Big numbers from named counters that domains provide (late indicators today; open
    cases and firing alerts when those components land)."""

    type: Literal["counter"] = "counter"
    counters: list[Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_.]{1,63}$")]] = Field(
        min_length=1, max_length=6
    )


class FeedWidget(WidgetBase):
    """The latest events on the bus (values written, alerts, cases), newest first."""

    type: Literal["feed"] = "feed"
    topics: list[Annotated[str, StringConstraints(pattern=r"^[a-z*][a-z0-9_.*]{0,63}$")]] = Field(
        default_factory=lambda: ["*"], max_length=10
    )
    limit: int = Field(default=10, ge=1, le=50)


Widget = Annotated[
    KpiWidget
    | TimeSeriesWidget
    | RankingWidget
    | MapWidget
    | TableWidget
    | CounterWidget
    | FeedWidget,
    Field(discriminator="type"),
]


def _unique_ids(widgets: list[Any]) -> None:
    seen: set[str] = set()
    for widget in widgets:
        if widget.id in seen:
            raise ValueError(f"widget id {widget.id!r} is used twice")
        seen.add(widget.id)


class DashboardIn(Schema):
    """A dashboard as an admin or a pack writes it."""

    code: DashboardCode
    title_vi: Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=255)]
    title_en: Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=255)]
    description_vi: Annotated[str, StringConstraints(max_length=2000)] = ""
    description_en: Annotated[str, StringConstraints(max_length=2000)] = ""
    component: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,63}$")] = "local"
    unit: str | None = Field(
        default=None,
        max_length=64,
        description="Code of the unit the dashboard belongs to; empty: any unit the viewer "
        "may see (opened for the home province by default)",
    )
    period_type: PeriodType = "month"
    reporting_calendar: ReportingCalendar = Field(
        default="calendar",
        description="The calendar the dashboard opens in: calendar, or decree09 (reporting "
        "periods of Decree 09/2019, for report figures); readers may switch",
    )
    headline: bool = Field(
        default=False, description="Its KPI tiles appear on the home page 'Tổng quan'"
    )
    widgets: list[Widget] = Field(default_factory=list, max_length=MAX_WIDGETS)

    @model_validator(mode="after")
    def _ids(self) -> DashboardIn:
        _unique_ids(self.widgets)
        return self


class DashboardPatch(Schema):
    """Fields an admin may change; ``version`` must be the one read (optimistic locking)."""

    version: int = Field(ge=1)
    title_vi: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=255)]
        | None
    ) = None
    title_en: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=255)]
        | None
    ) = None
    description_vi: Annotated[str, StringConstraints(max_length=2000)] | None = None
    description_en: Annotated[str, StringConstraints(max_length=2000)] | None = None
    period_type: PeriodType | None = None
    reporting_calendar: ReportingCalendar | None = None
    headline: bool | None = None
    widgets: list[Widget] | None = Field(default=None, max_length=MAX_WIDGETS)

    @model_validator(mode="after")
    def _ids(self) -> DashboardPatch:
        if self.widgets is not None:
            _unique_ids(self.widgets)
        return self


class DashboardOut(Schema):
    code: str
    title_vi: str
    title_en: str
    title: str = Field(description="In the response language")
    description_vi: str
    description_en: str
    component: str
    unit: str | None
    period_type: str
    reporting_calendar: ReportingCalendar
    headline: bool
    origin: str = Field(description="pack (shipped by a component) or local")
    edited_locally: bool
    version: int
    updated_at: datetime
    updated_by: str
    widgets: list[Widget]


class DashboardSummary(Schema):
    code: str
    title: str
    component: str
    unit: str | None
    headline: bool
    origin: str
    widgets: int


# --- the data endpoint ----------------------------------------------------------------------


class UnitLink(Schema):
    code: str
    name: str
    level: str


class WidgetData(Schema):
    """One widget's data: ``data`` is shaped by the widget type (see ``dashboards.data``);
    ``error`` explains a widget that could not be computed (the others still show)."""

    id: str
    type: str
    title: str
    data: dict[str, Any] | None = None
    error: str | None = None


class PeriodWindow(Schema):
    """The days a period stands for, both ends inclusive."""

    first: date
    last: date


class DashboardData(Schema):
    dashboard: DashboardOut
    unit: UnitLink
    breadcrumbs: list[UnitLink] = Field(description="From the viewer's scope root down")
    children_level: str | None
    period: str
    period_label: str = Field(description="Under decree09 with its window of days")
    period_type: str
    calendar: ReportingCalendar = Field(description="The calendar the period is read in")
    period_window: PeriodWindow = Field(
        description="First and last day of the period (Decree 09: 15th to 14th)"
    )
    data_until: str | None = Field(description="Latest period with data among the widgets")
    generated_at: datetime
    indicators: list[str] = Field(description="Codes shown: live updates refresh on these")
    widgets: list[WidgetData]


# --- the wall ---------------------------------------------------------------------------------


class PlaylistItem(Schema):
    dashboard: DashboardCode
    unit: str | None = Field(default=None, max_length=64)
    seconds: int = Field(default=30, ge=5, le=3600)
    screen: int | None = Field(
        default=None, ge=1, le=64, description="Only on this screen of the wall; empty: all"
    )


class PlaylistIn(Schema):
    code: DashboardCode
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=255)]
    items: list[PlaylistItem] = Field(min_length=1, max_length=100)


class PlaylistOut(PlaylistIn):
    version: int
    updated_at: datetime
    updated_by: str
