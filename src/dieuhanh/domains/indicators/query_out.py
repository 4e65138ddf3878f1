"""From engine cells to API schemas: coverage in words, period labels, names by language."""

from __future__ import annotations

from dieuhanh.core.i18n import N_, gettext
from dieuhanh.core.periods import Period
from dieuhanh.domains.indicators.query_grid import Cell, Coverage
from dieuhanh.domains.indicators.query_time import window_text
from dieuhanh.domains.indicators.schemas import IndicatorOut
from dieuhanh.domains.indicators.schemas_query import (
    CellOut,
    ChangeOut,
    CoverageOut,
    IndicatorRef,
    PointOut,
    UnitRefOut,
)
from dieuhanh.domains.units.schemas import UnitOut

UNITS_REPORTED = {
    "commune": N_("%(reported)s/%(expected)s communes reported"),
    "district": N_("%(reported)s/%(expected)s districts reported"),
    "province": N_("%(reported)s/%(expected)s provinces reported"),
    "nation": N_("%(reported)s/%(expected)s units reported"),
}
PERIODS_REPORTED = N_("%(reported)s/%(expected)s periods")
OWN_REPORTED = N_("reported by the unit itself")
NOT_REPORTED = N_("not reported")


def indicator_ref(indicator: IndicatorOut, locale: str) -> IndicatorRef:
    english = locale == "en"
    return IndicatorRef(
        code=indicator.code,
        name=indicator.name_en if english else indicator.name_vi,
        measure_unit=indicator.measure_unit_en if english else indicator.measure_unit_vi,
        decimals=indicator.decimals,
        direction=indicator.direction,
        agg_units=indicator.agg_units,
        agg_time=indicator.agg_time,
        cadence=indicator.cadence,
        derived=bool(indicator.formula),
    )


def unit_ref(unit: UnitOut) -> UnitRefOut:
    return UnitRefOut(code=unit.code, name=unit.name, level=unit.level, hierarchy=unit.hierarchy)


def coverage_text(coverage: Coverage, locale: str, *, own_level: str | None = None) -> str:
    if coverage.expected == 1 and coverage.level == own_level:
        units = gettext(OWN_REPORTED if coverage.reported else NOT_REPORTED, locale)
    else:
        template = UNITS_REPORTED.get(coverage.level, UNITS_REPORTED["nation"])
        units = gettext(template, locale) % {
            "reported": coverage.reported,
            "expected": coverage.expected,
        }
    if coverage.periods_expected > 1:
        periods = gettext(PERIODS_REPORTED, locale) % {
            "reported": coverage.periods_reported,
            "expected": coverage.periods_expected,
        }
        return f"{units}; {periods}"
    return units


def coverage_out(coverage: Coverage, locale: str, *, own_level: str | None = None) -> CoverageOut:
    return CoverageOut(
        reported=coverage.reported,
        expected=coverage.expected,
        level=coverage.level,
        periods_reported=coverage.periods_reported,
        periods_expected=coverage.periods_expected,
        last_period=str(coverage.last) if coverage.last else None,
        complete=coverage.complete,
        text=coverage_text(coverage, locale, own_level=own_level),
    )


def status_of(cell: Cell) -> str:
    if cell.value is None:
        return "missing"
    return "provisional" if cell.provisional else "final"


def cell_out(cell: Cell, locale: str, *, unit: UnitOut | None = None) -> CellOut:
    return CellOut(
        value=cell.value,
        coverage=coverage_out(cell.coverage, locale, own_level=unit.level if unit else None),
        kind=cell.kind,
        remapped=cell.remapped,
        status=status_of(cell),
        read_at=str(cell.source_period) if cell.source_period else None,
        notes=[gettext(note, locale) for note in cell.notes],
    )


def point_out(
    cell: Cell, period: Period, indicator: IndicatorOut, locale: str, unit: UnitOut
) -> PointOut:
    base = cell_out(cell, locale, unit=unit)
    return PointOut(
        **base.model_dump(),
        period=str(period),
        label=window_text(indicator.cadence, period, locale),
    )


def change_out(period: Period, value: float | None, previous: float | None) -> ChangeOut:
    """Change against ``previous`` (the same period a year earlier)."""
    absolute = value - previous if value is not None and previous is not None else None
    percent = (
        absolute / abs(previous) * 100
        if absolute is not None and previous not in (None, 0)
        else None
    )
    return ChangeOut(period=str(period), previous=previous, absolute=absolute, percent=percent)
