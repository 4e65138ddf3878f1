"""Reproducible demo data for the socio-economic pack (``dieuhanh demo`` runs it).

:func:`generate` fills January 2021 to the current month for the home province and all its
communes, for every indicator of the pack the demo has a model for, at the indicator's
cadence and report level:

* periods that end **before 1 July 2025** are reported by the **legacy** units (for Đà Nẵng:
  legacy Đà Nẵng 48 and Quảng Nam 49 and their 280 communes), later ones by the **2025**
  units (Đà Nẵng 48 and its 94 communes). A period is reported by the map in force when it
  ends (the year 2025 by the new units), the rule ingestion and targets also use;
* numbers come from :mod:`.demo_series` (province series: seasons, Tết, noise, trend) and
  :mod:`.demo_units` (2020 population spread over communes); derived indicators (with a
  formula) are never written — the query engine computes them;
* everything is written through the ingestion service's bulk path (source ``demo``), so
  validation rules, outlier scores and provenance are the real ones; the last three months
  are ``provisional``, older values ``final``; plans for the current year are written too
  (they are assigned before the year starts);
* **targets** of the current year for the home province, phased by month for budget
  revenue and the public investment disbursement rate.

Injected anomalies, each flagged by the outlier detector on write ("first" and "last" are
the legacy provinces by code — for Đà Nẵng, 48 and 49). The detector compares a value with
its own last 24 periods without seasonal adjustment, so a few true values (Tết months,
Decembers, the first months of the merged province's series) are flagged too — about 35 of
1,800 provincial values, which is what an operator would see with real data:

* ``EXPORT_TURNOVER``, first legacy province, 2022-09: ×0.3 (a typhoon month drop);
* ``RETAIL_SALES``, last legacy province, 2023-05: ×10 (a typing error, one digit too many);
* ``BUDGET_REVENUE``, home province, 2026-03: ×3.5 (one-off land-use fees);
* ``NEW_ENTERPRISES``, home province, 2026-08: ×0.2 (registration system outage).

No commune anomaly is injected: the pack's commune indicators are yearly, and a commune
series has fewer years than the six points the detector needs before it judges a value.

Gaps left on purpose (so coverage and freshness have something to show):

* ``POPULATION``, ``HOUSEHOLDS`` and ``POVERTY_RATE`` of the two last inhabited 2025
  communes (by code) for the latest year → "92/94 xã đã báo cáo";
* ``POVERTY_RATE`` 2022 of the first commune of the last legacy province;
* ``FDI_REGISTERED`` of the month before ``until`` and ``NEW_JOBS`` of ``until`` (a
  Decree-09 month closes on the 14th), home province: the periods the freshness check
  expects by then, so they show as late (or pending, early in the month).

**Idempotent.** Rows are written in one batch per map (``legacy``, ``2025``) whose
idempotency key carries a digest of the rows: a second run with the same seed and month
replays both batches (nothing written) and finds the targets unchanged, in about a second.
A run in a later month adds the new months and finalises older ones (same values). Tests
pass ``since`` to generate a shorter stretch (the values do not depend on it).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import cast

from sqlalchemy.orm import Session

from dieuhanh.components.socioeconomic import demo_series as series
from dieuhanh.components.socioeconomic.demo_units import (
    FEMALE_SHARE,
    CurrentCommune,
    HomeUnits,
    LegacyCommune,
    load_home_units,
    province_kind,
)
from dieuhanh.core.periods import Period, PeriodType, periods_between
from dieuhanh.core.security import Actor
from dieuhanh.domains.indicators import service as indicators
from dieuhanh.domains.indicators.schemas import IndicatorOut, TargetIn
from dieuhanh.domains.indicators.schemas_ingest import (
    MAX_ROWS,
    HierarchyName,
    ObservationIn,
    Status,
)
from dieuhanh.domains.units import service as units
from dieuhanh.domains.units.service import CURRENT, LEGACY, REFORM_DATE

COMPONENT = "socioeconomic"
SOURCE = "demo"
DEFAULT_SEED = 20250701
FIRST = Period.for_month(2021, 1)
PROVISIONAL_MONTHS = 3
PLAN_CODES = frozenset({"BUDGET_REVENUE_PLAN", "PUBLIC_INVESTMENT_PLAN"})
COMMUNE_CODES = frozenset({"POPULATION", "HOUSEHOLDS", "POVERTY_RATE"})
TARGET_SOURCE = "Nghị quyết HĐND tỉnh (số liệu minh họa)"

# (indicator, who: first legacy | last legacy | current, period, factor, what happened)
ANOMALIES: tuple[tuple[str, str, str, float, str], ...] = (
    ("EXPORT_TURNOVER", "first", "2022-09", 0.3, "typhoon month drop"),
    ("RETAIL_SALES", "last", "2023-05", 10.0, "typing error: one digit too many"),
    ("BUDGET_REVENUE", "current", "2026-03", 3.5, "one-off land-use fees"),
    ("NEW_ENTERPRISES", "current", "2026-08", 0.2, "registration system outage"),
)
# Targets of the current year: ("growth", g) = last year's value × g; ("value", v) = v.
TARGETS: dict[str, tuple[str, float]] = {
    "BUDGET_REVENUE": ("growth", 1.08),
    "RETAIL_SALES": ("growth", 1.12),
    "EXPORT_TURNOVER": ("growth", 1.18),
    "TOURIST_ARRIVALS": ("growth", 1.08),
    "INTERNATIONAL_ARRIVALS": ("growth", 1.12),
    "NEW_ENTERPRISES": ("growth", 1.10),
    "FDI_REGISTERED": ("growth", 1.40),
    "NEW_JOBS": ("growth", 1.03),
    "GRDP": ("growth", 1.14),
    "GRDP_GROWTH": ("value", 10.0),
    "IIP": ("value", 110.0),
    "CPI": ("value", 104.5),
    "UNEMPLOYMENT_RATE": ("value", 3.0),
    "PUBLIC_INVESTMENT_DISBURSEMENT_RATE": ("value", 95.0),
}
PHASED = frozenset({"BUDGET_REVENUE", "PUBLIC_INVESTMENT_DISBURSEMENT_RATE"})

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Mark:
    """An injected anomaly or a gap: where, and why."""

    indicator: str
    unit: str
    hierarchy: str
    period: str
    note: str
    factor: float | None = None


@dataclass
class DemoPlan:
    """Everything :func:`generate` will write, computed without writing anything."""

    chunks: dict[str, list[ObservationIn]]  # "legacy" / "2025" → rows
    targets: dict[str, list[TargetIn]]
    anomalies: list[Mark]
    gaps: list[Mark]
    skipped: list[str]  # pack indicators the demo does not write (derived or unknown)

    @property
    def rows(self) -> list[ObservationIn]:
        return [row for rows in self.chunks.values() for row in rows]


@dataclass
class DemoReport:
    """What a run did; ``replayed`` when every batch was already there."""

    rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    outliers: int = 0
    batches: list[int] = field(default_factory=list)
    replayed: bool = False
    flagged: list[tuple[str, str, str]] = field(default_factory=list)  # indicator, unit, period
    targets_set: list[str] = field(default_factory=list)
    anomalies: list[Mark] = field(default_factory=list)
    gaps: list[Mark] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        if self.replayed and not self.targets_set:
            return f"already generated ({self.rows} values), {self.seconds:.1f} s"
        return (
            f"{self.rows} values: {self.inserted} new, {self.updated} updated, "
            f"{self.unchanged} unchanged, {self.outliers} flagged as outliers; "
            f"targets of {len(self.targets_set)} indicators; {self.seconds:.1f} s"
        )


# --- planning --------------------------------------------------------------------------------


def _periods(indicator: IndicatorOut, since: Period, until: Period) -> list[Period]:
    """Periods of the indicator's cadence from ``since`` (January 2021) that have ended by
    ``until``'s end (plans: also the current year, assigned before it starts)."""
    kind = {"quarter": PeriodType.QUARTER, "year": PeriodType.YEAR}.get(
        indicator.cadence, PeriodType.MONTH
    )
    last = until.rollup(kind)
    if last.end > until.end and indicator.code not in PLAN_CODES:
        last = last.previous()
    first = since.rollup(kind)
    if first.start < since.start:
        first = first.next()
    return periods_between(first, last) if last >= first else []


def _status(period: Period, until: Period, code: str) -> Status:
    lag = series.month_index(until) - (period.end.year * 12 + period.end.month - 1)
    if code in PLAN_CODES or lag >= PROVISIONAL_MONTHS:
        return "final"
    return "provisional"


def _rounded(value: float, decimals: int) -> float:
    return float(round(value, decimals)) if decimals else float(round(value))


class _Rows:
    """Collects rows per map, applying anomalies and skipping gaps."""

    def __init__(self, until: Period, anomalies: dict[tuple[str, str, str, str], float]) -> None:
        self.until = until
        self.anomalies = anomalies
        self.gaps: set[tuple[str, str, str, str]] = set()
        self.chunks: dict[str, list[ObservationIn]] = {LEGACY: [], CURRENT: []}

    def add(
        self,
        indicator: IndicatorOut,
        unit: str,
        hierarchy: str,
        period: Period,
        value: float | None,
        disagg: dict[str, str] | None = None,
    ) -> None:
        key = (indicator.code, hierarchy, unit, str(period))
        if value is None or key in self.gaps:
            return
        if not disagg:
            value *= self.anomalies.get(key, 1.0)
        # model_construct: these rows are built here from checked values, and validating
        # 10,000 of them would cost a third of a second; ingestion checks them anyway.
        self.chunks[hierarchy].append(
            ObservationIn.model_construct(
                indicator=indicator.code,
                unit=unit,
                period=str(period),
                value=_rounded(value, indicator.decimals),
                disagg=disagg or {},
                status=_status(period, self.until, indicator.code),
                hierarchy=cast(HierarchyName, hierarchy),
            )
        )


def _reported_by(period: Period) -> str:
    return LEGACY if period.end < REFORM_DATE else CURRENT


def _province_rows(
    out: _Rows,
    indicator: IndicatorOut,
    periods: Sequence[Period],
    home: HomeUnits,
    legacy_series: dict[str, series.ProvinceSeries],
    merged: series.ProvinceSeries,
) -> None:
    for period in periods:
        if _reported_by(period) == LEGACY:
            targets = [(u.code, legacy_series[u.code]) for u in home.legacy]
            hierarchy = LEGACY
        else:
            targets, hierarchy = [(home.current.code, merged)], CURRENT
        for code, data in targets:
            value = series.province_value(indicator.code, data, period)
            out.add(indicator, code, hierarchy, period, value)
            if indicator.code == "LABOUR_FORCE" and value is not None:
                total = round(value)
                female = round(total * series.FEMALE_SHARE_LABOUR)
                out.add(indicator, code, hierarchy, period, female, {"sex": "female"})
                out.add(indicator, code, hierarchy, period, total - female, {"sex": "male"})


def _population_rows(
    out: _Rows,
    indicator: IndicatorOut,
    unit: str,
    hierarchy: str,
    period: Period,
    people: float,
    urban: bool,
) -> None:
    total = round(people)
    female = round(total * FEMALE_SHARE)
    out.add(indicator, unit, hierarchy, period, total)
    out.add(indicator, unit, hierarchy, period, female, {"sex": "female"})
    out.add(indicator, unit, hierarchy, period, total - female, {"sex": "male"})
    out.add(indicator, unit, hierarchy, period, total if urban else 0, {"area": "urban"})
    out.add(indicator, unit, hierarchy, period, 0 if urban else total, {"area": "rural"})


def _commune_rows(
    out: _Rows, indicator: IndicatorOut, periods: Sequence[Period], home: HomeUnits, seed: int
) -> None:
    code = indicator.code
    for period in periods:
        year = period.year
        communes: Iterable[LegacyCommune | CurrentCommune]
        if _reported_by(period) == LEGACY:
            communes, hierarchy = home.legacy_communes, LEGACY
        else:
            communes, hierarchy = home.current_communes, CURRENT
        for commune in communes:
            unit = commune.unit.code
            if code == "POPULATION":
                urban = commune.unit.type in ("Phường", "Thị trấn")
                people = commune.population(year)
                _population_rows(out, indicator, unit, hierarchy, period, people, urban)
            elif code == "HOUSEHOLDS":
                out.add(indicator, unit, hierarchy, period, commune.households(year))
            elif code == "POVERTY_RATE":
                out.add(indicator, unit, hierarchy, period, commune.poverty(year, seed))


def _marks(home: HomeUnits, since: Period, until: Period) -> tuple[list[Mark], list[Mark]]:
    """The anomalies and gaps that fall inside the generated range."""
    anomalies: list[Mark] = []
    for code, who, text, factor, note in ANOMALIES:
        period = Period.parse(text)
        if period > until or period < since:
            continue
        if who == "current":
            unit, hierarchy = home.current.code, CURRENT
        else:
            unit = (home.legacy[0] if who == "first" else home.legacy[-1]).code
            hierarchy = LEGACY
        if _reported_by(period) != hierarchy:
            continue
        anomalies.append(Mark(code, unit, hierarchy, text, note, factor))
    gaps: list[Mark] = []
    last_year = until.rollup(PeriodType.YEAR)
    if last_year.end > until.end:
        last_year = last_year.previous()
    inhabited = [c for c in home.current_communes if c.parts]
    if _reported_by(last_year) == CURRENT:
        for commune in inhabited[-2:]:
            for code in sorted(COMMUNE_CODES):
                gaps.append(Mark(code, commune.unit.code, CURRENT, str(last_year), "commune late"))
    last_legacy = [c for c in home.legacy_communes if c.province == home.legacy[-1].code]
    if last_legacy and until.year > 2022 and since.year <= 2022:
        gaps.append(Mark("POVERTY_RATE", last_legacy[0].unit.code, LEGACY, "2022", "missing"))
    if _reported_by(until.previous()) == CURRENT:
        # the periods the freshness check expects by now: last month for a monthly
        # indicator, this Decree-09 month (closed on the 14th) for a Decree-09 one
        gaps.append(
            Mark("FDI_REGISTERED", home.current.code, CURRENT, str(until.previous()), "late")
        )
        gaps.append(Mark("NEW_JOBS", home.current.code, CURRENT, str(until), "late"))
    return anomalies, gaps


def _targets(
    indicators_by_code: dict[str, IndicatorOut],
    merged: series.ProvinceSeries,
    home: HomeUnits,
    until: Period,
) -> dict[str, list[TargetIn]]:
    year = until.year
    last_year = Period.for_year(year - 1)
    out: dict[str, list[TargetIn]] = {}
    for code, (how, amount) in TARGETS.items():
        indicator = indicators_by_code.get(code)
        if indicator is None:
            continue
        if how == "growth":
            base = series.province_value(code, merged, last_year)
            if base is None:
                continue
            annual = base * amount
        else:
            annual = amount
        rows = [_target(home, year, 0, _rounded(annual, indicator.decimals))]
        if code in PHASED:
            rows.extend(_target(home, year, m, v) for m, v in _phases(code, annual, indicator))
        out[code] = rows
    return out


def _target(home: HomeUnits, year: int, month: int, value: float) -> TargetIn:
    return TargetIn(
        unit=home.current.code,
        year=year,
        month=month,
        value=value,
        source=TARGET_SOURCE,
        hierarchy=cast(HierarchyName, CURRENT),
    )


def _phases(code: str, annual: float, indicator: IndicatorOut) -> list[tuple[int, float]]:
    """Monthly plan values: a flow by its season, a cumulative rate by the year's profile."""
    if code == "BUDGET_REVENUE":
        season = series.SEASONS["budget_rev"]
        total = sum(season)
        return [
            (m + 1, _rounded(annual * s / total, indicator.decimals)) for m, s in enumerate(season)
        ]
    profile = series.DISBURSEMENT_PROFILE
    cumulative, out = 0.0, []
    for m, share in enumerate(profile):
        cumulative += share
        out.append((m + 1, _rounded(annual * cumulative / sum(profile), indicator.decimals)))
    return out


def plan_demo(
    *,
    db: Session,
    home_province: str,
    until: Period | None = None,
    seed: int = DEFAULT_SEED,
    since: Period | None = None,
) -> DemoPlan:
    """Compute every row, target, anomaly and gap of a run, writing nothing."""
    since, until = _check_range(since, until)
    pack, _total = indicators.list_indicators(db=db, component=COMPONENT, limit=1000)
    by_code = {i.code: i for i in pack}
    home = load_home_units(db=db, home_province=home_province, seed=seed)
    last = series.month_index(until)
    legacy_series = {
        u.code: series.build_province(
            code=u.code,
            kind=province_kind(u),
            population_2020=home.population_2020[u.code],
            seed=seed,
            last=last,
        )
        for u in home.legacy
    }
    merged = series.ProvinceSeries.merged(list(legacy_series.values()))
    anomalies, gaps = _marks(home, since, until)
    out = _Rows(
        until, {(a.indicator, a.hierarchy, a.unit, a.period): a.factor or 1.0 for a in anomalies}
    )
    out.gaps = {(g.indicator, g.hierarchy, g.unit, g.period) for g in gaps}
    skipped: list[str] = []
    for indicator in pack:
        periods = _periods(indicator, since, until)
        if indicator.formula:
            skipped.append(indicator.code)
        elif indicator.code in COMMUNE_CODES and indicator.report_level == "commune":
            _commune_rows(out, indicator, periods, home, seed)
        elif indicator.code in series.PROVINCE_CODES:
            _province_rows(out, indicator, periods, home, legacy_series, merged)
        else:
            skipped.append(indicator.code)
    return DemoPlan(
        chunks=out.chunks,
        targets=_targets(by_code, merged, home, until),
        anomalies=anomalies,
        gaps=gaps,
        skipped=sorted(skipped),
    )


def _check_range(since: Period | None, until: Period | None) -> tuple[Period, Period]:
    since = since or FIRST
    until = until or Period.containing(PeriodType.MONTH, units.today())
    if since.type is not PeriodType.MONTH or until.type is not PeriodType.MONTH:
        raise ValueError(f"since and until must be months, not {since} and {until}")
    if not FIRST <= since <= until:
        raise ValueError(f"the demo runs from {FIRST} at the earliest, to {until}: not {since}")
    return since, until


# --- writing ---------------------------------------------------------------------------------


def _digest(rows: Sequence[ObservationIn]) -> str:
    digest = hashlib.sha256()
    for row in rows:
        digest.update(row.model_dump_json().encode())
    return digest.hexdigest()[:20]


def _write_targets(
    db: Session, actor: Actor, home: str, targets: dict[str, list[TargetIn]]
) -> list[str]:
    """Set the plans that differ from what is stored (a second run changes nothing)."""
    changed: list[str] = []
    for code, rows in sorted(targets.items()):
        wanted = {(t.year, t.month, t.value, t.source) for t in rows}
        years = {t.year for t in rows}
        stored = {
            (t.year, t.month, t.value, t.source)
            for year in years
            for t in indicators.get_targets(db=db, code=code, year=year)
            if t.unit == home and t.hierarchy == CURRENT
        }
        if stored != wanted:
            indicators.set_targets(db=db, actor=actor, code=code, rows=rows)
            changed.append(code)
    return changed


def generate(
    *,
    db: Session,
    actor: Actor,
    home_province: str,
    until: Period | None = None,
    seed: int = DEFAULT_SEED,
    since: Period | None = None,
    progress: Progress | None = None,
) -> DemoReport:
    """Fill the socio-economic pack for ``home_province`` from 2021-01 (or a later
    ``since``, for quick tests) to ``until`` (default: the current month in Vietnam)
    through the ingestion service; see the module notes.

    Runs inside the caller's transaction (all or nothing with it); the same seed gives the
    same values. Needs an actor allowed ``indicators.ingest`` and ``indicators.targets``.
    """
    started = time.perf_counter()
    plan = plan_demo(db=db, home_province=home_province, until=until, seed=seed, since=since)
    report = DemoReport(anomalies=plan.anomalies, gaps=plan.gaps, skipped=plan.skipped)
    batches = [
        (name, index, rows[start : start + MAX_ROWS])
        for name, rows in plan.chunks.items()
        for index, start in enumerate(range(0, len(rows), MAX_ROWS))
    ]
    replays = 0
    for done, (name, index, rows) in enumerate(batches):
        key = f"demo:{home_province}:{seed}:{name}:{index}:{_digest(rows)}"
        batch = indicators.ingest_rows(
            db=db, actor=actor, rows=rows, source=SOURCE, idempotency_key=key
        )
        replays += batch.replayed
        report.rows += batch.rows
        report.batches.append(batch.id)
        if not batch.replayed:
            report.inserted += batch.inserted
            report.updated += batch.updated
            report.unchanged += batch.unchanged
            report.outliers += batch.outliers
            report.flagged.extend(
                (w.indicator or "", w.unit or "", w.period or "")
                for w in batch.warnings
                if w.code == "outlier"
            )
        if progress is not None:
            progress("Demo data", done + 1, len(batches))
    report.replayed = replays == len(batches)
    report.targets_set = _write_targets(db, actor, home_province, plan.targets)
    report.seconds = time.perf_counter() - started
    return report
