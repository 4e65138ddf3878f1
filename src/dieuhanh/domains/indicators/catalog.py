"""The indicator catalog: reading, creating and changing definitions, with their history.

Every change of a definition bumps ``version`` and stores the whole new definition in
``indicator_versions`` with who made it: the audit log (written by the auth session hook for
every ORM change) says who changed which columns; the version table says what the indicator
meant at any version, in the same JSON shape the API takes, so old values can be read with
the definition they were reported under.

The catalog is small (hundreds of rows, not millions), so search folds names in Python
(``core.text.fold``) instead of keeping a search-key column in step with three fields.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from dieuhanh.core.db import read_cache, utcnow
from dieuhanh.core.errors import ProblemError
from dieuhanh.core.security import Actor, allowed
from dieuhanh.core.text import fold
from dieuhanh.domains.indicators import versions as data_versions
from dieuhanh.domains.indicators.catalog_checks import (
    Vocabulary,
    check_expression,
    find_cycle,
    formula_graph,
    from_validation,
    invalid,
    known_error,
)
from dieuhanh.domains.indicators.models import Dimension, Indicator, IndicatorVersion
from dieuhanh.domains.indicators.schemas import (
    IndicatorIn,
    IndicatorOut,
    IndicatorPatch,
    IndicatorVersionOut,
    definition_of,
)
from dieuhanh.domains.units import service as units_service

MANAGE = "indicators.manage"
_COLUMNS = (
    "name_vi", "name_en", "description_vi", "description_en", "measure_unit_vi",
    "measure_unit_en", "sector", "component", "agg_units", "agg_time", "direction",
    "decimals", "disaggregations", "cadence", "deadline_workdays", "report_level", "formula",
    "threshold_ok", "threshold_warn", "active",
)  # fmt: skip


def require_action(actor: Actor, action: str) -> None:
    """Services check permissions too: the CLI, jobs and other domains call them directly."""
    if not allowed(actor, action):
        raise ProblemError("forbidden" if actor.is_authenticated else "not_authenticated")


def not_found(code: str) -> ProblemError:
    return ProblemError("indicator_not_found", detail=f"no indicator {code!r}")


# --- reading ---------------------------------------------------------------------------------


@dataclass
class Names:
    """Codes and names behind the ids of one batch of rows, each looked up once."""

    db: Session
    _indicators: dict[int, str] | None = None
    _agencies: dict[int, tuple[str, str]] = field(default_factory=dict)

    def indicator_code(self, indicator_id: int | None) -> str | None:
        if indicator_id is None:
            return None
        if self._indicators is None:
            rows = self.db.execute(select(Indicator.id, Indicator.code))
            self._indicators = {row.id: row.code for row in rows}
        return self._indicators.get(indicator_id)

    def agency(self, unit_id: int | None) -> tuple[str | None, str | None]:
        if unit_id is None:
            return None, None
        if unit_id not in self._agencies:
            unit = units_service.get_unit_by_id(db=self.db, unit_id=unit_id)
            self._agencies[unit_id] = (unit.code, unit.name)
        return self._agencies[unit_id]


def to_out(row: Indicator, names: Names) -> IndicatorOut:
    owner_code, owner_name = names.agency(row.owner_agency_id)
    data: dict[str, Any] = {name: getattr(row, name) for name in _COLUMNS}
    return IndicatorOut.model_validate(
        {
            **data,
            "id": row.id,
            "code": row.code,
            "disaggregations": list(row.disaggregations or []),
            "weight_indicator": names.indicator_code(row.weight_indicator_id),
            "weight_indicator_id": row.weight_indicator_id,
            "owner_agency": owner_code,
            "owner_agency_id": row.owner_agency_id,
            "owner_agency_name": owner_name,
            "version": row.version,
            "updated_at": row.updated_at,
        }
    )


def row_by_code(db: Session, code: str) -> Indicator:
    row = db.scalar(select(Indicator).where(Indicator.code == code))
    if row is None:
        raise not_found(code)
    return row


def get_indicator(*, db: Session, code: str) -> IndicatorOut:
    """One indicator by code (active or not); ``indicator_not_found`` otherwise
    (remembered for a read session: a dashboard asks for the same ones many times)."""
    cache = read_cache(db, "indicators.by_code")
    if cache is not None and code in cache:
        found: IndicatorOut = cache[code]
        return found
    out = to_out(row_by_code(db, code), Names(db))
    if cache is not None:
        cache[code] = out
    return out


def get_indicator_by_id(*, db: Session, indicator_id: int) -> IndicatorOut:
    row = db.get(Indicator, indicator_id)
    if row is None:
        raise ProblemError("indicator_not_found", detail=f"no indicator with id {indicator_id}")
    return to_out(row, Names(db))


def indicators_by_code(*, db: Session, codes: Iterable[str]) -> dict[str, IndicatorOut]:
    """The indicators among ``codes`` that exist (callers decide what a missing one means)."""
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    names = Names(db)
    rows = db.scalars(select(Indicator).where(Indicator.code.in_(wanted)))
    return {row.code: _out_once(db, row, names) for row in rows}


def _out_once(db: Session, row: Indicator, names: Names) -> IndicatorOut:
    """``to_out`` remembered for a read session (by code and version): a dashboard lists
    the same definitions a dozen times, and validating one costs more than reading it."""
    cache = read_cache(db, "indicators.by_code")
    if cache is not None:
        kept: IndicatorOut | None = cache.get(row.code)
        if kept is not None and kept.version == row.version:
            return kept
    out = to_out(row, names)
    if cache is not None:
        cache[row.code] = out
    return out


def _matches(row: Indicator, words: list[str]) -> bool:
    haystack = fold(f"{row.code} {row.code.replace('_', ' ')} {row.name_vi} {row.name_en}")
    return all(word in haystack for word in words)


def list_indicators(
    *,
    db: Session,
    q: str | None = None,
    sector: str | None = None,
    component: str | None = None,
    include_inactive: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[IndicatorOut], int]:
    """Indicators by component, sector and code; every word of ``q`` must occur in the code
    or a name, accents and case ignored (``thu ngan sach`` finds *Thu ngân sách*).

    Filtered and ordered in Python: the catalog is a few hundred rows, and byte order of the
    codes is then the same on SQLite and on a PostgreSQL whose collation ignores ``_``.
    """
    conditions = []
    if sector:
        conditions.append(Indicator.sector == sector)
    if component:
        conditions.append(Indicator.component == component)
    if not include_inactive:
        conditions.append(Indicator.active.is_(True))
    words = fold(q).split() if q else []
    found = [
        row for row in db.scalars(select(Indicator).where(*conditions)) if _matches(row, words)
    ]
    found.sort(key=lambda row: (row.component, row.sector, row.code))
    names = Names(db)
    return [_out_once(db, row, names) for row in found[offset : offset + limit]], len(found)


def indicator_history(*, db: Session, code: str) -> list[IndicatorVersionOut]:
    """Every definition the indicator had, newest first."""
    row = row_by_code(db, code)
    versions = db.scalars(
        select(IndicatorVersion)
        .where(IndicatorVersion.indicator_id == row.id)
        .order_by(IndicatorVersion.version.desc())
    )
    return [IndicatorVersionOut.model_validate(v) for v in versions]


# --- checking a definition -------------------------------------------------------------------


@dataclass(frozen=True)
class Resolved:
    """The ids behind a definition's codes, once every check passed."""

    weight_indicator_id: int | None
    owner_agency_id: int | None


@dataclass
class CatalogState:
    """The catalog as checks see it; pack synchronisation overlays what it will write."""

    ids: dict[str, int]  # code -> id (-1: about to be created)
    formulas: dict[str, str | None]
    dimensions_of: dict[str, list[str]]
    categories: dict[str, set[str]]

    def add(self, data: IndicatorIn) -> None:
        self.ids.setdefault(data.code, -1)
        self.formulas[data.code] = data.formula
        self.dimensions_of[data.code] = list(data.disaggregations)

    def vocabulary(self) -> Vocabulary:
        return Vocabulary(dimensions_of=self.dimensions_of, categories=self.categories)


def catalog_state(db: Session) -> CatalogState:
    rows = db.execute(
        select(Indicator.code, Indicator.id, Indicator.formula, Indicator.disaggregations)
    ).all()
    categories = {
        code: {c["code"] for c in cats}
        for code, cats in db.execute(select(Dimension.code, Dimension.categories))
    }
    return CatalogState(
        ids={r.code: r.id for r in rows},
        formulas={r.code: r.formula for r in rows},
        dimensions_of={r.code: list(r.disaggregations or []) for r in rows},
        categories=categories,
    )


def check_definition(
    db: Session,
    data: IndicatorIn,
    *,
    scope_unit_id: int | None = None,
    state: CatalogState | None = None,
    location: tuple[str | int, ...] = ("body",),
) -> Resolved:
    """Everything Pydantic cannot know: referenced codes and dimensions exist, the owner is
    an agency in scope, the formula parses and does not loop.

    ``state`` is the catalog the definition joins (default: as stored); pack synchronisation
    passes the catalog as it will be after the sync.
    """
    state = state or catalog_state(db)
    state.add(data)
    errors: list[dict[str, Any]] = []
    weight_id = None
    if data.weight_indicator is not None:
        weight_id = state.ids.get(data.weight_indicator)
        if weight_id is None:
            errors.append(
                known_error(
                    [*location, "weight_indicator"],
                    "unknown_indicator",
                    value=data.weight_indicator,
                )
            )
    for code in data.disaggregations:
        if code not in state.categories:
            errors.append(
                known_error([*location, "disaggregations"], "unknown_dimension", value=code)
            )
    owner_id, owner_errors = _owner(db, data.owner_agency, scope_unit_id, location)
    errors.extend(owner_errors)
    if data.formula:
        _codes, formula_errors = check_expression(
            data.formula, [*location, "formula"], state.vocabulary()
        )
        errors.extend(formula_errors)
        if not formula_errors:
            cycle = find_cycle(data.code, formula_graph(state.formulas))
            if cycle:
                value = " → ".join(cycle)
                errors.append(known_error([*location, "formula"], "formula_cycle", value=value))
    if errors:
        raise invalid(errors)
    return Resolved(weight_indicator_id=weight_id, owner_agency_id=owner_id)


def _owner(
    db: Session, code: str | None, scope_unit_id: int | None, location: tuple[str | int, ...]
) -> tuple[int | None, list[dict[str, Any]]]:
    if code is None:
        return None, []
    where = [*location, "owner_agency"]
    try:
        unit = units_service.get_unit(db=db, code=code, hierarchy=units_service.CURRENT)
    except ProblemError:
        return None, [known_error(where, "unknown_agency", value=code)]
    if unit.level != "agency":
        return None, [known_error(where, "not_an_agency", value=code)]
    if scope_unit_id is not None and not units_service.is_within(
        db=db, unit_id=unit.id, scope_unit_id=scope_unit_id
    ):
        return None, [known_error(where, "agency_out_of_scope", value=code)]
    return unit.id, []


# --- writing ---------------------------------------------------------------------------------


def write_definition(
    db: Session,
    row: Indicator | None,
    data: IndicatorIn,
    resolved: Resolved,
    *,
    changed_by: str,
) -> Indicator:
    """Create or change the row and record the new version, both through the ORM so that the
    audit hook records both (the row needs its id before its version can point at it)."""
    now = utcnow()
    if row is None:
        row = Indicator(code=data.code, version=1)
        db.add(row)
    else:
        row.version += 1
    for name in _COLUMNS:
        setattr(row, name, getattr(data, name))
    row.disaggregations = list(data.disaggregations)
    row.weight_indicator_id = resolved.weight_indicator_id
    row.owner_agency_id = resolved.owner_agency_id
    row.updated_at = now
    db.flush()
    db.add(
        IndicatorVersion(
            indicator_id=row.id,
            version=row.version,
            definition=definition_of(data),
            changed_by=changed_by,
            changed_at=now,
        )
    )
    db.flush()
    return row


def create_indicator(*, db: Session, actor: Actor, data: IndicatorIn) -> IndicatorOut:
    """Add an indicator (``indicators.manage``); its first version is recorded."""
    require_action(actor, MANAGE)
    db.info["actor"] = actor
    if db.scalar(select(Indicator.id).where(Indicator.code == data.code)) is not None:
        raise ProblemError(
            "indicator_exists",
            detail=f"{data.code} already exists",
            errors=[known_error(["body", "code"], "code_taken", value=data.code)],
        )
    resolved = check_definition(db, data, scope_unit_id=actor.scope_unit_id)
    row = write_definition(db, None, data, resolved, changed_by=actor.label)
    data_versions.bump(db)
    return to_out(row, Names(db))


def update_indicator(
    *, db: Session, actor: Actor, code: str, data: IndicatorPatch | IndicatorIn
) -> IndicatorOut:
    """Change a definition (``indicators.manage``): the fields sent replace the current ones;
    an unchanged definition is not a new version."""
    require_action(actor, MANAGE)
    db.info["actor"] = actor
    row = row_by_code(db, code)
    current = to_out(row, Names(db))
    changes = data.model_dump(exclude_unset=True)
    if isinstance(data, IndicatorIn) and changes.get("code", code) != code:
        raise invalid([known_error(["body", "code"], "code_immutable")])
    changes.pop("code", None)
    try:
        merged = IndicatorIn.model_validate({**definition_of(current), **changes, "code": code})
    except ValidationError as exc:
        raise from_validation(exc) from exc
    if definition_of(merged) == current.definition():
        return current
    resolved = check_definition(db, merged, scope_unit_id=actor.scope_unit_id)
    row = write_definition(db, row, merged, resolved, changed_by=actor.label)
    data_versions.bump(db)
    return to_out(row, Names(db))
