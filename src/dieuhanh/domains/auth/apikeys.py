"""API keys for machine clients: ``Authorization: Bearer dh_<8 hex>_<secret>``.

Only the SHA-256 digest of a key is stored (it is 256-bit random, so a slow hash adds
nothing); the ``dh_<8 hex>`` prefix is kept in clear to identify a key in lists, logs and
URLs. A key acts with a role inside a unit subtree, optionally narrowed to some actions
(``Actor.key_actions``), until it expires or is revoked. Keys are not subject to CSRF:
browsers never attach them on their own.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from dieuhanh.core.db import utcnow
from dieuhanh.core.errors import ProblemError
from dieuhanh.core.http import Page
from dieuhanh.core.security import PERMISSIONS, Actor, Role, new_token, token_digest
from dieuhanh.domains.auth.models import ApiKey, User
from dieuhanh.domains.auth.schemas import ApiKeyCreated, ApiKeyOut
from dieuhanh.domains.auth.scoping import (
    UnitNames,
    check_assignment,
    require_action,
    require_in_scope,
    unit_id_for,
)
from dieuhanh.domains.auth.users import role_label
from dieuhanh.domains.units import service as units_service

KEY_PREFIX = "dh_"
_PREFIX_LENGTH = len(KEY_PREFIX) + 8


def create_api_key(
    *,
    db: Session,
    actor: Actor,
    name: str,
    role: Role | str = Role.OPERATOR,
    scope_unit_code: str | None = None,
    actions: list[str] | None = None,
    expires_in_days: int = 365,
) -> ApiKeyCreated:
    """Create a key inside the actor's scope; the token is in the result and nowhere else."""
    db.info["actor"] = actor
    require_action(actor, "apikeys.manage")
    role = Role(role)
    unknown = sorted(set(actions or ()) - PERMISSIONS.keys())
    if unknown:
        raise ProblemError(
            "validation_error",
            detail=f"Unknown actions: {', '.join(unknown)}",
            errors=[
                {"location": ["body", "actions"], "message": a, "type": "unknown_action"}
                for a in unknown
            ],
        )
    scope_id = unit_id_for(db, scope_unit_code, "scope_unit_code")
    check_assignment(
        db, actor, "apikeys.manage", role=role, scope_unit_id=scope_id, agency_unit_id=None
    )
    prefix = _unique_prefix(db)
    token = prefix + "_" + new_token()
    now = utcnow()
    key = ApiKey(
        name=name.strip(),
        prefix=prefix,
        digest=token_digest(token),
        role=role.value,
        scope_unit_id=scope_id,
        actions=sorted(set(actions)) if actions is not None else None,
        created_by_id=actor.id if actor.kind == "user" else None,
        created_at=now,
        expires_at=now + timedelta(days=expires_in_days),
    )
    db.add(key)
    db.flush()
    out = _to_out(key, actor.name if actor.kind == "user" else None, UnitNames(db))
    return ApiKeyCreated(**out.model_dump(), token=token)


def _unique_prefix(db: Session) -> str:
    while True:
        prefix = KEY_PREFIX + secrets.token_hex(4)
        if db.scalar(select(ApiKey.id).where(ApiKey.prefix == prefix)) is None:
            return prefix


def _to_out(key: ApiKey, created_by: str | None, names: UnitNames) -> ApiKeyOut:
    now = utcnow()
    return ApiKeyOut(
        prefix=key.prefix,
        name=key.name,
        role=Role(key.role),
        scope_unit_code=names.get(key.scope_unit_id)[0],
        actions=key.actions,
        created_by=created_by,
        created_at=key.created_at,
        expires_at=key.expires_at,
        revoked_at=key.revoked_at,
        active=key.revoked_at is None and key.expires_at > now,
    )


def list_api_keys(
    *, db: Session, actor: Actor, limit: int = 50, offset: int = 0
) -> Page[ApiKeyOut]:
    """Keys inside the actor's subtree, newest first (revoked and expired ones included)."""
    require_action(actor, "apikeys.manage")
    query = select(ApiKey, User.username).outerjoin(User, User.id == ApiKey.created_by_id)
    if actor.scope_unit_id is not None:
        query = query.where(
            or_(
                ApiKey.scope_unit_id == actor.scope_unit_id,
                ApiKey.scope_unit_id.in_(units_service.subtree_ids_select(actor.scope_unit_id)),
            )
        )
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.execute(query.order_by(ApiKey.id.desc()).limit(limit).offset(offset)).all()
    names = UnitNames(db)
    items = [_to_out(key, creator, names) for key, creator in rows]
    return Page[ApiKeyOut](items=items, total=total, limit=limit, offset=offset)


def revoke_api_key(*, db: Session, actor: Actor, prefix: str) -> None:
    """Revoke a key at once; revoking twice is harmless."""
    db.info["actor"] = actor
    require_action(actor, "apikeys.manage")
    key = db.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
    if key is None:
        raise ProblemError("api_key_not_found")
    require_in_scope(db, actor, "apikeys.manage", key.scope_unit_id)
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        db.flush()


def actor_for_api_key(*, db: Session, token: str, ip: str | None) -> Actor:
    """The actor a Bearer token stands for; anything but a live key is ``invalid_api_key``."""
    if not token.startswith(KEY_PREFIX) or len(token) < _PREFIX_LENGTH + 20:
        raise ProblemError("invalid_api_key", headers={"WWW-Authenticate": "Bearer"})
    key = db.scalar(
        select(ApiKey).where(
            ApiKey.digest == token_digest(token),
            ApiKey.revoked_at.is_(None),
            ApiKey.expires_at > utcnow(),
        )
    )
    if key is None:
        raise ProblemError("invalid_api_key", headers={"WWW-Authenticate": "Bearer"})
    return Actor(
        kind="api_key",
        id=key.id,
        name=key.prefix,
        role=Role(key.role),
        scope_unit_id=key.scope_unit_id,
        key_actions=frozenset(key.actions) if key.actions is not None else None,
        ip=ip,
        extra={"full_name": key.name, "role_label": role_label(key.role)},
    )
