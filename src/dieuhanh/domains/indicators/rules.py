"""Validation rules checked on write: ``left operator right`` per touched unit and period.

After a batch is written (inside its transaction), every active rule that references an
indicator the batch changed is evaluated for every (unit, period) the batch changed, on the
values *as they now are* — so a rule ``#{POP_FEMALE} + #{POP_MALE} == #{POP}`` sees both the
new and the already stored parts. ``error`` violations reject the whole batch; ``warning``
violations are accepted and listed with the batch.

Values are the stored ones of the cell's period type (rules compare what units reported, not
roll-ups): ``#{A@-1}`` is the previous period, ``lastyear(#{A})`` the same period a year
earlier, ``ytd(#{A})`` the periods of the year up to the cell's, aggregated by the
indicator's own over-time rule. A reference to a derived indicator evaluates its formula at
that period (``ytd`` of a derived indicator applies ``ytd`` to the formula's inputs).
Stored values are fetched a year of one indicator at a time for all the batch's units, so a
rule costs a few queries per batch, not one per cell.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from dieuhanh.core import expressions
from dieuhanh.core.expressions import Expression, Ref
from dieuhanh.core.periods import Period, PeriodError, PeriodType, periods_between
from dieuhanh.domains.indicators.bulk import UNIT_FILTER_MAX
from dieuhanh.domains.indicators.ingest_messages import Issue
from dieuhanh.domains.indicators.ingest_validate import Resolved
from dieuhanh.domains.indicators.models import Indicator, Observation, ValidationRule

_PER_YEAR = {PeriodType.MONTH: 12, PeriodType.QUARTER: 4, PeriodType.HALF: 2, PeriodType.YEAR: 1}
_MAX_FORMULA_DEPTH = 10


@dataclass(frozen=True)
class _Rule:
    code: str
    name: str
    left: Expression
    operator: str
    right: Expression
    missing_strategy: str
    severity: str
    codes: frozenset[str]  # referenced directly or through derived indicators' formulas


@dataclass(frozen=True)
class _Info:
    id: int
    agg_time: str
    formula: Expression | None


Cell = tuple[int, str, date]  # unit_id, period_type, period_start


def check_rules(
    *,
    db: Session,
    written: Sequence[Resolved],
    codes_by_id: dict[int, str],
    unit_codes: dict[int, str],
    locale: str,
) -> tuple[list[Issue], list[Issue]]:
    """``(errors, warnings)`` of the active rules over the cells ``written`` touched."""
    if not written:
        return [], []
    infos = _indicator_infos(db)
    touched = {codes_by_id[r.indicator_id] for r in written}
    rules = [rule for rule in _active_rules(db, infos, locale) if rule.codes & touched]
    if not rules:
        return [], []
    store = _Store(db, {r.unit_id for r in written})
    errors: list[Issue] = []
    warnings: list[Issue] = []
    for rule in rules:
        cells: dict[Cell, int] = {}
        for row in written:
            if codes_by_id[row.indicator_id] in rule.codes:
                cell = (row.unit_id, row.period_type, row.period_start)
                cells[cell] = min(cells.get(cell, row.row), row.row)
        for (unit_id, period_type, start), first_row in sorted(cells.items()):
            period = Period.containing(period_type, start)
            resolver = _Resolver(store, infos, unit_id, period)
            left = _number(expressions.evaluate(rule.left, resolver))
            right = _number(expressions.evaluate(rule.right, resolver))
            verdict = expressions.compare(left, rule.operator, right, rule.missing_strategy)
            if verdict is not False:
                continue
            issue = Issue(
                "rule_violated",
                row=first_row,
                column="value",
                params={
                    "rule": rule.code,
                    "name": rule.name,
                    "unit": unit_codes.get(unit_id, str(unit_id)),
                    "period": str(period),
                    "left": _shown(left),
                    "operator": rule.operator,
                    "right": _shown(right),
                },
                rule=rule.code,
                unit=unit_codes.get(unit_id),
                period=str(period),
            )
            (errors if rule.severity == "error" else warnings).append(issue)
    return errors, warnings


def _number(value: float | bool | None) -> float | None:
    return None if value is None else float(value)


def _shown(value: float | None) -> str:
    return "—" if value is None else format(value, ".10g")


def _indicator_infos(db: Session) -> dict[str, _Info]:
    """Every indicator's id, time aggregation and parsed formula (the catalog is small)."""
    infos: dict[str, _Info] = {}
    for code, ident, agg_time, formula in db.execute(
        select(Indicator.code, Indicator.id, Indicator.agg_time, Indicator.formula)
    ):
        parsed: Expression | None = None
        if formula:
            try:
                parsed = expressions.parse(formula)
            except expressions.ExpressionError:
                parsed = None  # the catalog refuses bad formulas; an old one counts as missing
        infos[code] = _Info(ident, agg_time, parsed)
    return infos


def _expand(codes: Iterable[str], infos: dict[str, _Info]) -> frozenset[str]:
    """The codes and, transitively, the inputs of the derived ones among them."""
    seen: set[str] = set()
    todo = list(codes)
    while todo:
        code = todo.pop()
        if code in seen:
            continue
        seen.add(code)
        info = infos.get(code)
        if info is not None and info.formula is not None:
            todo.extend(info.formula.codes())
    return frozenset(seen)


def _active_rules(db: Session, infos: dict[str, _Info], locale: str) -> list[_Rule]:
    rules: list[_Rule] = []
    for row in db.scalars(
        select(ValidationRule).where(ValidationRule.active.is_(True)).order_by(ValidationRule.code)
    ):
        try:
            left, right = expressions.parse(row.left), expressions.parse(row.right)
        except expressions.ExpressionError:
            continue  # refused by the catalog when saved; nothing sensible to check
        rules.append(
            _Rule(
                code=row.code,
                name=row.name_vi if locale == "vi" else row.name_en,
                left=left,
                operator=row.operator,
                right=right,
                missing_strategy=row.missing_strategy,
                severity=row.severity,
                codes=_expand(left.codes() | right.codes(), infos),
            )
        )
    return rules


class _Store:
    """Stored values, fetched one (indicator, period type, year) at a time for all units the
    batch touched and kept for the rest of the check."""

    def __init__(self, db: Session, unit_ids: set[int]) -> None:
        self.db = db
        self.unit_ids = unit_ids
        self.loaded: set[tuple[int, str, int]] = set()
        self.values: dict[tuple[int, int, str, date, str], float] = {}

    def get(self, indicator_id: int, unit_id: int, period: Period, disagg: str) -> float | None:
        bucket = (indicator_id, period.type.value, period.start.year)
        if bucket not in self.loaded:
            self._load(*bucket)
        return self.values.get((indicator_id, unit_id, period.type.value, period.start, disagg))

    def _load(self, indicator_id: int, period_type: str, year: int) -> None:
        self.loaded.add((indicator_id, period_type, year))
        obs = Observation
        statement = select(obs.unit_id, obs.period_start, obs.disagg, obs.value).where(
            obs.indicator_id == indicator_id,
            obs.period_type == period_type,
            obs.period_start >= date(year, 1, 1),
            obs.period_start <= date(year, 12, 31),
        )
        if len(self.unit_ids) <= UNIT_FILTER_MAX:
            statement = statement.where(obs.unit_id.in_(sorted(self.unit_ids)))
        for unit_id, start, disagg, value in self.db.execute(statement):
            if unit_id in self.unit_ids:
                self.values[(indicator_id, unit_id, period_type, start, disagg)] = value


class _Resolver:
    """Values of references for one unit and period (the expressions' ``Resolver``)."""

    def __init__(
        self,
        store: _Store,
        infos: dict[str, _Info],
        unit_id: int,
        period: Period,
        depth: int = 0,
    ) -> None:
        self.store = store
        self.infos = infos
        self.unit_id = unit_id
        self.period = period
        self.depth = depth

    def __call__(self, ref: Ref) -> float | None:
        info = self.infos.get(ref.code)
        if info is None:
            return None
        try:
            target = _shift_years(self.period, ref.offset_years).shift(ref.offset)
            periods = _year_to_date(target) if ref.ytd else [target]
        except PeriodError:
            return None
        if info.formula is not None:
            return self._derived(info.formula, target, ref.ytd)
        values = [self.store.get(info.id, self.unit_id, p, ref.disagg) for p in periods]
        return _over_time(info.agg_time, [v for v in values if v is not None])

    def _derived(self, formula: Expression, period: Period, ytd: bool) -> float | None:
        if self.depth >= _MAX_FORMULA_DEPTH:
            return None
        inner = _Resolver(self.store, self.infos, self.unit_id, period, self.depth + 1)
        resolve: Callable[[Ref], float | None] = inner
        if ytd:

            def resolve(ref: Ref) -> float | None:
                return inner(replace(ref, ytd=True))

        return _number(expressions.evaluate(formula, resolve))


def _shift_years(period: Period, years: int) -> Period:
    if not years:
        return period
    if period.type in _PER_YEAR:
        return period.shift(years * _PER_YEAR[period.type])
    if period.type is PeriodType.WEEK:
        target_year = period.year + years
        last_week = date(target_year, 12, 28).isocalendar().week
        return Period.for_week(target_year, min(period.number, last_week))
    day = period.start
    try:
        return Period.for_day(day.replace(year=day.year + years))
    except ValueError:  # 29 February
        return Period.for_day(day.replace(year=day.year + years, day=28))


def _year_to_date(period: Period) -> list[Period]:
    first = (
        Period.for_week(period.year, 1)
        if period.type is PeriodType.WEEK
        else Period.containing(period.type, date(period.year, 1, 1))
    )
    return periods_between(first, period)


def _over_time(rule: str, values: list[float]) -> float | None:
    """Aggregate one unit's values over periods, in period order; missing when none."""
    if not values:
        return None
    if rule == "sum":
        return math.fsum(values)
    if rule == "avg":
        return math.fsum(values) / len(values)
    if rule == "first":
        return values[0]
    if rule == "max":
        return max(values)
    if rule == "min":
        return min(values)
    return values[-1]  # "last"
