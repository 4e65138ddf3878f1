"""What a dashboard shows for one unit and period: each widget's data, computed through the
indicators service (so scope, coverage, the 2025 re-mapping and targets apply unchanged).

The shapes of ``WidgetData.data`` (the contract with ``static/js/dashboard.js``):

* ``kpi``: ``indicator`` (IndicatorRef), ``period``, ``period_label``, ``ytd_label`` (the
  year to date to the period; under Decree 09 with its days from 15/12), ``value``,
  ``value_text``, ``measure_unit``, ``ytd`` / ``ytd_text``, ``change`` (``percent``,
  ``absolute``, ``previous``, ``period``) or null, ``progress`` (ProgressOut) or null,
  ``colour`` (green/amber/red/grey), ``freshness`` (fresh/late/missing), ``data_until``
  (ISO date or null) and ``data_until_text`` ("số liệu đến ngày …"), ``coverage_text``,
  ``sparkline`` [{``period``, ``label``, ``value``}], ``link`` (indicator detail).
* ``timeseries``: ``period_type``, ``periods``, ``labels``, ``series`` [{``indicator``,
  ``values``}], ``targets`` [{``indicator``, ``values``}] (phased plan to date, per period,
  where a plan exists), ``annotations`` [{``period`` (the chart period holding ``day``),
  ``end_period`` (a span's last, or null), ``label``, ``day``, ``end_day``, ``day_text``,
  ``kind`` (note/event/directive), ``kind_label``, ``text``, ``link``, ``indicator``,
  ``unit``, ``author``}] of the series' indicators for the unit, its ancestors and every unit.
* ``ranking``: ``indicator``, ``period`` / ``period_label`` (the indicator's own period:
  the latest of its cadence ended by the dashboard's period), ``level``, ``rows``
  [{``unit``: UnitLink, ``value``, ``value_text``, ``rank``, ``link``}] best first by the
  indicator's direction, ``missing`` (units without a value).
* ``map``: ``indicator``, ``period`` / ``period_label``, ``level``, ``hierarchy``,
  ``geojson_url`` (child outlines) or null when no child has geometry (the page draws a
  tile grid of the units then), ``values`` [{``code``, ``name``, ``value``,
  ``value_text``, ``link``}], ``min``, ``max``.
* ``table``: ``indicators`` [IndicatorRef], ``periods`` / ``period_labels`` (one per
  indicator), ``rows`` [{``unit``, ``values`` [{``value``,
  ``text``}], ``link``}], ``total`` {``unit``, ``values``} (the unit itself).
* ``counter``: ``items`` [{``name``, ``label``, ``value``, ``value_text``, ``link``}].
* ``feed``: ``events`` [{``topic``, ``at``, ``text``}] newest first.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from dieuhanh.core.db import utcnow
from dieuhanh.core.errors import ProblemError
from dieuhanh.core.i18n import N_, format_date, format_number, gettext
from dieuhanh.core.periods import Period, PeriodType
from dieuhanh.domains.dashboards import counters
from dieuhanh.domains.dashboards.schemas import (
    CounterWidget,
    DashboardData,
    DashboardOut,
    FeedWidget,
    KpiWidget,
    MapWidget,
    RankingWidget,
    TableWidget,
    TimeSeriesWidget,
    UnitLink,
    WidgetData,
)
from dieuhanh.domains.dashboards.view import View, breadcrumbs, child_level
from dieuhanh.domains.indicators import service as indicators
from dieuhanh.domains.units import service as units

SPARK_MIN = 2
Sparks = dict[tuple[str, bool, int], list[dict[str, Any]]]
PER_YEAR = {"month": 12, "quarter": 4, "half": 2}  # periods back to the same one last year
DATA_UNTIL = N_("data until %(day)s")
NO_DATA_YET = N_("no data yet")
NO_INDICATOR = N_("The indicator does not exist")


def _text(value: float | None, decimals: int, locale: str) -> str:
    return "–" if value is None else format_number(value, locale, decimals)


def _title(widget: Any, fallback: str, locale: str) -> str:
    own = widget.title_en if locale == "en" else widget.title_vi
    return str(own or widget.title_vi or fallback)


# --- widgets ------------------------------------------------------------------------------------


def _kpis(view: View, widgets: Sequence[KpiWidget]) -> dict[str, dict[str, Any]]:
    """All KPI tiles of a dashboard in one overview call, then one series per sparkline."""
    if not widgets:
        return {}
    overview = indicators.overview(
        db=view.db,
        actor=view.actor,
        unit=view.unit.code,
        period=str(view.period),
        calendar=view.calendar,
        codes=[w.indicator for w in widgets],
        hierarchy=view.hierarchy,
        today=view.today,
        locale=view.locale,
    )
    items = {item.indicator.code: item for item in overview.items}
    sparks, last_year = _sparklines(view, widgets, items)
    out: dict[str, dict[str, Any]] = {}
    for widget in widgets:
        item = items.get(widget.indicator)
        if item is None:
            continue
        ref = item.indicator
        headline = item.ytd if widget.ytd and item.ytd is not None else item.cell
        spark = sparks.get((widget.indicator, widget.ytd, widget.sparkline), [])
        progress = item.progress.model_dump(mode="json") if item.progress else None
        until = item.data_until
        out[widget.id] = {
            "indicator": ref.model_dump(mode="json"),
            "period": item.period,
            "period_label": view.period_label(item.period, item.label),
            "ytd_label": view.ytd_label(item.period),
            "value": headline.value,
            "value_text": _text(headline.value, ref.decimals, view.locale),
            "measure_unit": ref.measure_unit,
            "ytd": item.ytd.value if item.ytd else None,
            "ytd_text": _text(item.ytd.value if item.ytd else None, ref.decimals, view.locale),
            "change": (
                _ytd_change(item.ytd.value, last_year.get(widget.indicator))
                if widget.ytd and item.ytd is not None and widget.indicator in last_year
                else (item.change.model_dump(mode="json") if item.change else None)
            ),
            "progress": progress,
            "colour": progress["colour"] if progress else "grey",
            "freshness": item.freshness,
            "data_until": until.isoformat() if until else None,
            "data_until_text": (
                gettext("data until %(day)s", view.locale)
                % {"day": format_date(until, view.locale)}
                if until
                else gettext(NO_DATA_YET, view.locale)
            ),
            "coverage_text": headline.coverage.text,
            "status": headline.status,
            "sparkline": spark,
            "link": view.link(f"/indicators/{ref.code}"),
        }
    return out


def _sparklines(
    view: View, widgets: Sequence[KpiWidget], items: dict[str, Any]
) -> tuple[Sparks, dict[str, tuple[str, float | None]]]:
    """The tiles' sparklines, one engine call per (period, length, year to date) group, and
    for year-to-date tiles the year to date of the same period last year (read in the same
    call: the series just reaches one year further back)."""
    groups: dict[tuple[str, bool, int], list[str]] = {}
    for widget in widgets:
        item = items.get(widget.indicator)
        if item is None or widget.sparkline < SPARK_MIN:
            continue
        groups.setdefault((item.period, widget.ytd, widget.sparkline), []).append(widget.indicator)
    out: dict[tuple[str, bool, int], list[dict[str, Any]]] = {}
    last_year: dict[str, tuple[str, float | None]] = {}
    for (period, ytd, length), codes in groups.items():
        end = Period.parse(period)
        back = PER_YEAR.get(end.type.value, 0) if ytd else 0
        span = max(length, back + 1)
        found = indicators.series_many(
            db=view.db,
            actor=view.actor,
            codes=codes,
            unit=view.unit.code,
            period_type=end.type.value,
            start=str(end.shift(-(span - 1))),
            end=str(end),
            hierarchy=view.hierarchy,
            ytd=ytd,
            locale=view.locale,
        )
        for code, series in found.items():
            points = [
                {"period": p.period, "label": p.label, "value": p.value} for p in series.points
            ]
            out[(code, ytd, length)] = points[-length:]
            if back and len(series.points) > back:
                earlier = series.points[-(back + 1)]
                last_year[code] = (earlier.period, earlier.value)
    return out, last_year


def _ytd_change(value: float | None, earlier: tuple[str, float | None] | None) -> Any:
    """Year to date against the year to date of the same period last year."""
    if earlier is None:
        return None
    period, previous = earlier
    if value is None or previous is None:
        return {"period": period, "previous": previous, "absolute": None, "percent": None}
    percent = (value - previous) / abs(previous) * 100 if previous else None
    return {
        "period": period,
        "previous": previous,
        "absolute": value - previous,
        "percent": percent,
    }


def _timeseries(view: View, widget: TimeSeriesWidget, period_type: str) -> dict[str, Any]:
    kind = PeriodType(widget.period_type or period_type)
    # the period of the chart's type that holds the end of the one shown (a month chart
    # viewed for a quarter ends with the quarter's last month)
    end = Period.containing(kind, view.period.end)
    start = end.shift(-(widget.span - 1))
    series_out: list[dict[str, Any]] = []
    targets: list[dict[str, Any]] = []
    periods: list[str] = []
    labels: list[str] = []
    for code in widget.indicators:
        found = indicators.series(
            db=view.db,
            actor=view.actor,
            code=code,
            unit=view.unit.code,
            period_type=kind.value,
            start=str(start),
            end=str(end),
            hierarchy=None,
            ytd=widget.ytd,
            locale=view.locale,
        )
        if not periods:
            periods = [p.period for p in found.points]
            labels = [p.label for p in found.points]
        series_out.append(
            {
                "indicator": found.indicator.model_dump(mode="json"),
                "values": [p.value for p in found.points],
            }
        )
        if widget.show_target:
            plan = _plan_line(view, code, periods, found.indicator.agg_time, widget.ytd)
            if plan is not None:
                targets.append(
                    {"indicator": found.indicator.model_dump(mode="json"), "values": plan}
                )
    return {
        "period_type": kind.value,
        "periods": periods,
        "labels": labels,
        "series": series_out,
        "targets": targets,
        "annotations": indicators.chart_annotations(
            db=view.db,
            actor=view.actor,
            codes=widget.indicators,
            unit=view.unit.code,
            hierarchy=view.unit.hierarchy,
            periods=periods,
            locale=view.locale,
        ),
    }


def _plan_line(
    view: View, code: str, periods: Sequence[str], agg_time: str, ytd: bool
) -> list[float | None] | None:
    """The plan for each period of the chart, where the plan says it: a month's own phased
    plan; a year's annual plan; for levels and rates (not sums over time) the annual plan on
    every period of the year. ``None`` when nothing is planned in the chart's range."""
    rows = indicators.get_targets(
        db=view.db, code=code, unit_id=view.unit.id, scope_unit_id=view.actor.scope_unit_id
    )
    annual = {t.year: t.value for t in rows if t.month == 0}
    monthly = {(t.year, t.month): t.value for t in rows if t.month}
    line: list[float | None] = []
    for text in periods:
        period = Period.parse(text)
        value: float | None = None
        if period.type is PeriodType.YEAR:
            value = annual.get(period.year)
        elif period.type is PeriodType.MONTH and not ytd:
            value = monthly.get((period.year, period.start.month))
            if value is None and agg_time != "sum":
                value = annual.get(period.year)
        elif agg_time != "sum":
            value = annual.get(period.year)
        line.append(value)
    return line if any(v is not None for v in line) else None


def _period_of(view: View, code: str) -> Period:
    """The indicator's own period shown for the dashboard's period: the latest of its
    cadence that has ended by then (last year's figure for a yearly indicator in October)."""
    indicator = indicators.get_indicator(db=view.db, code=code)
    return indicators.period_for(indicator, view.period)


def _cross(
    view: View,
    codes: Sequence[str],
    level: str,
    ytd: bool,
    limit: int = 500,
    *,
    with_total: bool = False,
) -> tuple[indicators.CrossSectionOut, dict[str, Period]]:
    """Child units × indicators, each indicator at its own period (one engine call per
    distinct period), merged into one table in the order of ``codes``."""
    wanted = None if level == "child" else level
    periods = {code: _period_of(view, code) for code in codes}
    by_period: dict[Period, list[str]] = {}
    for code in codes:
        by_period.setdefault(periods[code], []).append(code)
    parts = [
        indicators.cross_section(
            db=view.db,
            actor=view.actor,
            period=str(period),
            indicators=group,
            parent=view.unit.code,
            level=wanted,
            hierarchy=view.hierarchy,
            ytd=ytd,
            limit=limit,
            locale=view.locale,
            with_total=with_total,
        )
        for period, group in by_period.items()
    ]
    merged = parts[0]
    for part in parts[1:]:
        extra = {row.unit.code: row.values for row in part.items}
        for row in merged.items:
            row.values.update(extra.get(row.unit.code, {}))
        if merged.total_row is not None and part.total_row is not None:
            merged.total_row.values.update(part.total_row.values)
        merged.indicators += part.indicators
    order = {code: n for n, code in enumerate(codes)}
    merged.indicators.sort(key=lambda ref: order.get(ref.code, len(order)))
    return merged, periods


def _dashboard_link(view: View, code: str, unit: str) -> str:
    return view.dashboard_link(code, unit)


def _ranking(view: View, widget: RankingWidget, dashboard: str) -> dict[str, Any]:
    table, periods = _cross(view, [widget.indicator], widget.level, widget.ytd)
    ref = table.indicators[0]
    present = [(r.unit, r.values[ref.code].value) for r in table.items]
    valued = [(u, v) for u, v in present if v is not None]
    valued.sort(key=lambda pair: pair[1], reverse=ref.direction != "down")
    rows = [
        {
            "unit": {"code": u.code, "name": u.name, "level": u.level},
            "value": v,
            "value_text": _text(v, ref.decimals, view.locale),
            "rank": n,
            "link": _dashboard_link(view, dashboard, u.code),
        }
        for n, (u, v) in enumerate(valued[: widget.top], start=1)
    ]
    return {
        "indicator": ref.model_dump(mode="json"),
        "period": str(periods[ref.code]),
        "period_label": view.period_label(periods[ref.code]),
        "level": widget.level,
        "rows": rows,
        "missing": len(present) - len(valued),
    }


def _map(view: View, widget: MapWidget, dashboard: str) -> dict[str, Any]:
    table, periods = _cross(view, [widget.indicator], widget.level, widget.ytd)
    ref = table.indicators[0]
    values = [
        {
            "code": r.unit.code,
            "name": r.unit.name,
            "value": r.values[ref.code].value,
            "value_text": _text(r.values[ref.code].value, ref.decimals, view.locale),
            "link": _dashboard_link(view, dashboard, r.unit.code),
        }
        for r in table.items
    ]
    present = [v["value"] for v in values if v["value"] is not None]
    with_geometry = units.has_child_geometry(db=view.db, unit_id=view.unit.id)
    return {
        "indicator": ref.model_dump(mode="json"),
        "period": str(periods[ref.code]),
        "period_label": view.period_label(periods[ref.code]),
        "level": widget.level,
        "hierarchy": view.hierarchy,
        "geojson_url": (
            f"/api/v1/dashboards/geo/{view.unit.code}?hierarchy={view.hierarchy}"
            if with_geometry
            else None
        ),
        "values": values,
        "min": min(present) if present else None,
        "max": max(present) if present else None,
    }


def _table(view: View, widget: TableWidget, dashboard: str) -> dict[str, Any]:
    table, periods = _cross(
        view, widget.indicators, widget.level, widget.ytd, widget.limit, with_total=True
    )
    refs = table.indicators

    def cells(values: dict[str, Any]) -> list[dict[str, Any]]:
        return [
            {
                "value": values[r.code].value,
                "text": _text(values[r.code].value, r.decimals, view.locale),
            }
            for r in refs
        ]

    return {
        "indicators": [r.model_dump(mode="json") for r in refs],
        "periods": [str(periods[r.code]) for r in refs],
        "period_labels": [view.period_label(periods[r.code]) for r in refs],
        "rows": [
            {
                "unit": {"code": row.unit.code, "name": row.unit.name, "level": row.unit.level},
                "values": cells(row.values),
                "link": _dashboard_link(view, dashboard, row.unit.code),
            }
            for row in table.items
        ],
        "total": (
            {
                "unit": {
                    "code": table.total_row.unit.code,
                    "name": table.total_row.unit.name,
                    "level": table.total_row.unit.level,
                },
                "values": cells(table.total_row.values),
            }
            if table.total_row
            else None
        ),
    }


def _counter(view: View, widget: CounterWidget) -> dict[str, Any]:
    items = []
    for name in widget.counters:
        provider = counters.get(name)
        value = provider.count(view.db, view.actor, view.unit, view.period, view.calendar)
        items.append(
            {
                "name": name,
                "label": gettext(provider.label, view.locale),
                "value": value,
                "value_text": format_number(value, view.locale, 0),
                "link": provider.link(view.unit, view.period),
            }
        )
    return {"items": items}


def _feed(view: View, widget: FeedWidget) -> dict[str, Any]:
    if view.hub is None:
        return {"events": []}
    return {"events": view.hub.recent(topics=widget.topics, limit=widget.limit, locale=view.locale)}


# --- the dashboard --------------------------------------------------------------------------


def dashboard_data(view: View, dashboard: DashboardOut) -> DashboardData:
    """Every widget's data; a widget that fails shows its error, the others still show."""
    kpis = [w for w in dashboard.widgets if isinstance(w, KpiWidget)]
    kpi_data: dict[str, dict[str, Any]] = {}
    kpi_error: str | None = None
    try:
        kpi_data = _kpis(view, kpis)
    except ProblemError as exc:
        kpi_error = exc.detail or exc.code
    builders: dict[type, Callable[[Any], dict[str, Any]]] = {
        TimeSeriesWidget: lambda w: _timeseries(view, w, view.period.type.value),
        RankingWidget: lambda w: _ranking(view, w, dashboard.code),
        MapWidget: lambda w: _map(view, w, dashboard.code),
        TableWidget: lambda w: _table(view, w, dashboard.code),
        CounterWidget: lambda w: _counter(view, w),
        FeedWidget: lambda w: _feed(view, w),
    }
    shown: list[WidgetData] = []
    codes: list[str] = []
    until: list[str] = []
    for widget in dashboard.widgets:
        fallback = getattr(widget, "indicator", None) or widget.type
        title = _title(widget, str(fallback), view.locale)
        data: dict[str, Any] | None = None
        error: str | None = None
        if isinstance(widget, KpiWidget):
            data = kpi_data.get(widget.id)
            if data is None:
                error = kpi_error or gettext(NO_INDICATOR, view.locale)
            else:
                title = _title(widget, data["indicator"]["name"], view.locale)
                if data["data_until"]:
                    until.append(data["data_until"])
        else:
            try:
                data = builders[type(widget)](widget)
            except ProblemError as exc:
                error = exc.detail or exc.code
            if (
                data is not None
                and "indicator" in data
                and not (widget.title_vi or widget.title_en)
            ):
                title = data["indicator"]["name"]
        codes += list(getattr(widget, "indicators", []) or [])
        if getattr(widget, "indicator", None):
            codes.append(widget.indicator)  # type: ignore[union-attr]
        shown.append(
            WidgetData(id=widget.id, type=widget.type, title=title, data=data, error=error)
        )
    return DashboardData(
        dashboard=dashboard,
        unit=UnitLink(code=view.unit.code, name=view.unit.name, level=view.unit.level),
        breadcrumbs=breadcrumbs(view),
        children_level=child_level(view.unit),
        period=str(view.period),
        period_label=view.period_label(view.period),
        period_type=view.period.type.value,
        calendar=view.reporting,
        period_window=view.period_window(),
        data_until=max(until) if until else None,
        generated_at=utcnow(),
        indicators=sorted(set(codes)),
        widgets=shown,
    )


def refresh_feeds(view: View, data: DashboardData) -> DashboardData:
    """A kept dashboard with its feed widgets, and the counter widgets that count things
    other than indicator values (reports, cases: ``Counter.volatile``), filled in now — the
    kept copy follows the indicators' data version only."""
    fresh: dict[str, FeedWidget | CounterWidget] = {}
    for widget in data.dashboard.widgets:
        if isinstance(widget, FeedWidget) or (
            isinstance(widget, CounterWidget) and counters.any_volatile(widget.counters)
        ):
            fresh[widget.id] = widget
    if not fresh:
        return data
    widgets = []
    for shown in data.widgets:
        if shown.id not in fresh:
            widgets.append(shown)
            continue
        spec = fresh[shown.id]
        try:
            now = _feed(view, spec) if isinstance(spec, FeedWidget) else _counter(view, spec)
            widgets.append(shown.model_copy(update={"data": now, "error": None}))
        except ProblemError as exc:
            widgets.append(shown.model_copy(update={"data": None, "error": exc.detail or exc.code}))
    return data.model_copy(update={"widgets": widgets})
