"""Unit scoping for accounts and keys: codes in, ids stored, one permission check.

A scoped admin may only hand out scopes inside their own subtree, and only an
installation-wide actor may create installation-wide (NULL-scoped) accounts or keys. The
decision itself is always :func:`core.security.allowed` with the target unit as resource.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from dieuhanh.core.errors import ProblemError
from dieuhanh.core.security import Actor, Role, allowed
from dieuhanh.domains.units import service as units_service


@dataclass(frozen=True)
class UnitResource:
    """A :class:`core.security.Scoped` resource: a unit id plus its ancestors' ids."""

    scope_unit_ids: frozenset[int]


def unit_resource(db: Session, unit_id: int | None) -> UnitResource:
    """The resource for ``unit_id``; installation-wide (None) is in no scoped actor's scope."""
    if unit_id is None:
        return UnitResource(frozenset())
    return UnitResource(units_service.scope_ids(db=db, unit_id=unit_id))


def require_action(actor: Actor, action: str) -> None:
    """Services check again what routes checked, so that every caller is covered."""
    if allowed(actor, action):
        return
    raise ProblemError("forbidden" if actor.is_authenticated else "not_authenticated")


def require_in_scope(db: Session, actor: Actor, action: str, unit_id: int | None) -> None:
    require_action(actor, action)
    if not allowed(actor, action, unit_resource(db, unit_id)):
        raise ProblemError("out_of_scope")


def unit_id_for(db: Session, code: str | None, field: str) -> int | None:
    """Resolve a unit code (as of today) to its id; unknown codes are a 422 on ``field``."""
    if code is None or not code.strip():
        return None
    try:
        return units_service.get_unit(db=db, code=code.strip()).id
    except ProblemError as exc:
        if exc.code != "unit_not_found":
            raise
        raise ProblemError(
            "validation_error",
            detail=f"Unknown unit code {code!r}",
            errors=[
                {"location": ["body", field], "message": "unknown unit", "type": "unit_not_found"}
            ],
        ) from exc


def check_assignment(
    db: Session,
    actor: Actor,
    action: str,
    *,
    role: Role,
    scope_unit_id: int | None,
    agency_unit_id: int | None,
) -> None:
    """May ``actor`` give someone (or a key) this role, scope and agency?"""
    if scope_unit_id is None and role != Role.ADMIN:
        raise ProblemError(
            "validation_error",
            detail="Only administrators may be installation-wide; give a scope unit",
            errors=[
                {
                    "location": ["body", "scope_unit_code"],
                    "message": "a scope unit is required for this role",
                    "type": "missing",
                }
            ],
        )
    require_in_scope(db, actor, action, scope_unit_id)
    if agency_unit_id is not None:
        require_in_scope(db, actor, action, agency_unit_id)


class UnitNames:
    """Unit id → (code, name), cached for the length of one call that lists many rows."""

    def __init__(self, db: Session) -> None:
        self._db = db
        self._cache: dict[int, tuple[str, str]] = {}

    def get(self, unit_id: int | None) -> tuple[str | None, str | None]:
        if unit_id is None:
            return None, None
        if unit_id not in self._cache:
            unit = units_service.get_unit_by_id(db=self._db, unit_id=unit_id)
            self._cache[unit_id] = (unit.code, unit.name)
        return self._cache[unit_id]
