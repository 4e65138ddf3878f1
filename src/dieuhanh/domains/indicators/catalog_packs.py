"""Synchronising component packs into the catalog: idempotent, versioned, never destructive.

Rules, chosen so that upgrading the software never silently undoes a province's decisions:

* A pack indicator whose definition equals the stored one is left alone (no new version), so
  running the sync at every start costs one read of the catalog.
* A changed definition is written as a new version *by the pack* (``changed_by`` is
  ``pack:<component>``) — unless the current version was written by someone else (an
  administrator tuned a deadline or a threshold): then the local definition is kept and the
  report lists the indicator under ``kept_local``.
* An indicator the pack created and no longer declares is deactivated (a new version with
  ``active: false``), never deleted: its observations, targets and history stay readable.
* Owner agencies are portable: a pack names the agency by suffix (``STC``), resolved to the
  home province's agency (``48.STC``). A province without that agency gets no owner and a
  warning rather than a failed start.
* All packs are checked together before anything is written (a health pack may weight by the
  socio-economic pack's ``POPULATION``); any error and nothing is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from dieuhanh.core.errors import ProblemError
from dieuhanh.core.security import Actor
from dieuhanh.domains.indicators import versions
from dieuhanh.domains.indicators.catalog import (
    MANAGE,
    CatalogState,
    Names,
    Resolved,
    catalog_state,
    check_definition,
    require_action,
    to_out,
    write_definition,
)
from dieuhanh.domains.indicators.catalog_checks import error, from_validation, invalid
from dieuhanh.domains.indicators.catalog_rules import check_rule, write_dimension, write_rule
from dieuhanh.domains.indicators.models import Indicator, IndicatorVersion, ValidationRule
from dieuhanh.domains.indicators.schemas import (
    CatalogPack,
    IndicatorIn,
    RuleIn,
    SyncReport,
    definition_of,
)
from dieuhanh.domains.units import service as units_service

PACK_ACTOR_PREFIX = "pack:"


def pack_author(component: str) -> str:
    """``changed_by`` of versions written by a pack (how a local edit is recognised)."""
    return PACK_ACTOR_PREFIX + component


def resolve_owner(db: Session, owner: str | None, home_province: str) -> tuple[str | None, str]:
    """A pack's owner (suffix or full code) as an existing agency code, or a warning."""
    if owner is None:
        return None, ""
    code = owner if "." in owner else f"{home_province}.{owner}"
    try:
        unit = units_service.get_unit(db=db, code=code, hierarchy=units_service.CURRENT)
    except ProblemError:
        return None, f"agency {code} does not exist: no owner set"
    if unit.level != "agency":
        return None, f"{code} is not an agency: no owner set"
    return code, ""


def _weights_first(items: list[tuple[str, IndicatorIn]]) -> list[tuple[str, IndicatorIn]]:
    """Pack indicators ordered so that a weight is written before what it weights."""
    by_code = {data.code: (pack, data) for pack, data in items}
    ordered: list[tuple[str, IndicatorIn]] = []
    placed: set[str] = set()

    def place(code: str, trail: frozenset[str]) -> None:
        if code in placed or code not in by_code or code in trail:
            return
        weight = by_code[code][1].weight_indicator
        if weight:
            place(weight, trail | {code})
        placed.add(code)
        ordered.append(by_code[code])

    for _pack, data in items:
        place(data.code, frozenset())
    return ordered


def _desired(
    db: Session, packs: Sequence[CatalogPack], home_province: str, report: SyncReport
) -> list[tuple[str, IndicatorIn]]:
    """Every pack indicator as a full definition of its component, owners resolved."""
    items: list[tuple[str, IndicatorIn]] = []
    errors: list[dict[str, Any]] = []
    seen: dict[str, str] = {}
    for pack in packs:
        for index, item in enumerate(pack.indicators):
            where = ("packs", pack.code, "indicators", index)
            if item.code in seen:
                message = f"{item.code} is also declared by {seen[item.code]}"
                errors.append(error([*where, "code"], "duplicate_indicator", message))
                continue
            seen[item.code] = pack.code
            owner, warning = resolve_owner(db, item.owner_agency, home_province)
            if warning:
                report.warnings.append(f"{item.code}: {warning}")
            fields = item.model_dump(exclude={"owner_agency"})
            try:
                data = IndicatorIn(**fields, component=pack.code, owner_agency=owner)
            except ValidationError as exc:
                errors.extend(from_validation(exc, where).errors)
                continue
            items.append((pack.code, data))
    if errors:
        raise invalid(errors, detail="component packs do not validate")
    return items


def _authors(db: Session) -> tuple[dict[int, str], dict[int, str]]:
    """Who wrote each indicator's first and its current version."""
    first = dict(
        db.execute(
            select(IndicatorVersion.indicator_id, IndicatorVersion.changed_by).where(
                IndicatorVersion.version == 1
            )
        ).all()
    )
    current = dict(
        db.execute(
            select(IndicatorVersion.indicator_id, IndicatorVersion.changed_by).join(
                Indicator,
                (Indicator.id == IndicatorVersion.indicator_id)
                & (Indicator.version == IndicatorVersion.version),
            )
        ).all()
    )
    return first, current


def _sync_indicators(
    db: Session, packs: Sequence[CatalogPack], home_province: str, report: SyncReport
) -> CatalogState:
    items = _desired(db, packs, home_province, report)
    rows = {row.code: row for row in db.scalars(select(Indicator))}
    names = Names(db)
    current = {code: definition_of(to_out(row, names)) for code, row in rows.items()}
    first_author, last_author = _authors(db)
    state = catalog_state(db)
    for _pack, data in items:
        state.add(data)

    errors: list[dict[str, Any]] = []
    plans: list[tuple[str, IndicatorIn, Indicator | None]] = []
    for pack_code, data in _weights_first(items):
        row = rows.get(data.code)
        if row is not None and definition_of(data) == current[data.code]:
            report.unchanged.append(data.code)
            continue
        if row is not None and last_author.get(row.id) != pack_author(pack_code):
            report.kept_local.append(data.code)
            continue
        where = ("packs", pack_code, "indicators", data.code)
        try:
            check_definition(db, data, state=state, location=where)
        except ProblemError as exc:
            errors.extend(exc.errors)
            continue
        plans.append((pack_code, data, row))
    if errors:
        raise invalid(errors, detail="component packs do not validate")

    for pack_code, data, row in plans:
        weight_id = rows[data.weight_indicator].id if data.weight_indicator else None
        owner_id = None
        if data.owner_agency:
            owner_id = units_service.get_unit(
                db=db, code=data.owner_agency, hierarchy=units_service.CURRENT
            ).id
        written = write_definition(
            db, row, data, Resolved(weight_id, owner_id), changed_by=pack_author(pack_code)
        )
        rows[data.code] = written
        (report.created if row is None else report.updated).append(data.code)

    declared = {data.code for _pack, data in items}
    for pack in packs:
        for code, row in sorted(rows.items()):
            if (
                row.component == pack.code
                and row.active
                and code not in declared
                and first_author.get(row.id) == pack_author(pack.code)
            ):
                retired = IndicatorIn.model_validate({**current[code], "active": False})
                resolved = Resolved(row.weight_indicator_id, row.owner_agency_id)
                write_definition(db, row, retired, resolved, changed_by=pack_author(pack.code))
                report.deactivated.append(code)
    return state


def _sync_rules(
    db: Session, packs: Sequence[CatalogPack], state: CatalogState, report: SyncReport
) -> None:
    rows = {row.code: row for row in db.scalars(select(ValidationRule))}
    errors: list[dict[str, Any]] = []
    plans: list[tuple[RuleIn, ValidationRule | None]] = []
    declared: dict[str, str] = {}
    for pack in packs:
        for index, rule in enumerate(pack.validation_rules):
            where = ("packs", pack.code, "validation_rules", index)
            if rule.code in declared:
                message = f"{rule.code} is also declared by {declared[rule.code]}"
                errors.append(error([*where, "code"], "duplicate_rule", message))
                continue
            declared[rule.code] = pack.code
            data = RuleIn(**rule.model_dump(), component=pack.code)
            try:
                check_rule(db, data, state=state, location=where)
            except ProblemError as exc:
                errors.extend(exc.errors)
                continue
            row = rows.get(rule.code)
            if row is not None and RuleIn.model_validate(row, from_attributes=True) == data:
                continue
            plans.append((data, row))
    if errors:
        raise invalid(errors, detail="component packs do not validate")
    for data, row in plans:
        write_rule(db, row, data)
        (report.rules_created if row is None else report.rules_updated).append(data.code)
    pack_codes = {pack.code for pack in packs}
    for code, row in sorted(rows.items()):
        if row.component in pack_codes and row.active and code not in declared:
            row.active = False
            report.rules_deactivated.append(code)
    db.flush()


def sync_packs(
    *, db: Session, actor: Actor, packs: Sequence[CatalogPack], home_province: str
) -> SyncReport:
    """Bring the catalog in line with ``packs`` (``indicators.manage``); see the module doc.

    Dimensions first (indicators name them), then indicators (rules name them), then rules.
    """
    require_action(actor, MANAGE)
    db.info["actor"] = actor
    report = SyncReport()
    for pack in packs:
        for dimension in pack.dimensions:
            if write_dimension(db, dimension) and dimension.code not in report.dimensions:
                report.dimensions.append(dimension.code)
    db.flush()
    state = _sync_indicators(db, packs, home_province, report)
    _sync_rules(db, packs, state, report)
    if report.created or report.updated or report.deactivated:
        versions.bump(db)
    return report
