"""User accounts: creation, reading, changes, the password policy and the demo accounts.

Every function takes the acting :class:`Actor` and checks ``users.read``/``users.manage``
plus the unit scope itself, so the CLI, the API and the pages get the same rules. The actor
is also put in ``db.info`` so that the audit hook attributes the change to them even when
the session was not opened by a request (the CLI).
"""

from __future__ import annotations

import itertools
import re
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from dieuhanh.core.db import utcnow
from dieuhanh.core.errors import ProblemError
from dieuhanh.core.http import Page
from dieuhanh.core.i18n import N_
from dieuhanh.core.security import Actor, Role, hash_password
from dieuhanh.domains.auth.models import User, UserSession
from dieuhanh.domains.auth.schemas import USERNAME_PATTERN, UserOut, UserUpdate
from dieuhanh.domains.auth.scoping import (
    UnitNames,
    check_assignment,
    require_action,
    require_in_scope,
    unit_id_for,
)
from dieuhanh.domains.units import service as units_service

ROLE_LABELS: dict[Role, str] = {
    Role.ADMIN: N_("Administrator"),
    Role.LEADER: N_("Leader"),
    Role.OPERATOR: N_("Operator"),
    Role.AGENCY: N_("Agency officer"),
    Role.CITIZEN: N_("Citizen"),
}

MIN_PASSWORD_LENGTH = 10
MIN_DISTINCT_CHARACTERS = 4
# A few passwords that pass the length rule but are the first ones anyone tries.
COMMON_PASSWORDS = frozenset(
    {
        "password123",
        "password1234",
        "1234567890",
        "12345678910",
        "0123456789",
        "qwertyuiop",
        "qwerty12345",
        "matkhau123",
        "matkhau1234",
        "abc1234567",
        "admin12345",
        "administrator",
        "iloveyou123",
        "vietnam123",
        "hanoi12345",
    }
)
_USERNAME_RE = re.compile(USERNAME_PATTERN)


def system_actor(name: str) -> Actor:
    """An installation-wide admin that is not a person; audited as ``system:<name>``."""
    return Actor(kind="system", name=name, role=Role.ADMIN)


def role_label(role: Role | str | None) -> str:
    return ROLE_LABELS.get(Role(role), "") if role else ""


def normalize_username(username: str) -> str:
    """Usernames are case-insensitive: stored and compared lower-cased and trimmed."""
    return username.strip().lower()


def check_password_policy(password: str, username: str = "") -> None:
    """Refuse passwords that are short, repetitive, sequential, common or the username."""
    problems: list[str] = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(f"must be at least {MIN_PASSWORD_LENGTH} characters long")
    if len(set(password)) < MIN_DISTINCT_CHARACTERS:
        problems.append(f"must use at least {MIN_DISTINCT_CHARACTERS} different characters")
    if len(password) > 1 and _is_sequence(password):
        problems.append("must not be a run of consecutive characters")
    lowered = password.lower()
    if lowered in COMMON_PASSWORDS:
        problems.append("is too common")
    if username and username.lower() in lowered:
        problems.append("must not contain the username")
    if problems:
        raise ProblemError(
            "weak_password",
            detail="The password " + "; ".join(problems) + ".",
            errors=[
                {"location": ["body", "password"], "message": p, "type": "weak_password"}
                for p in problems
            ],
        )


def _is_sequence(password: str) -> bool:
    steps = {ord(b) - ord(a) for a, b in itertools.pairwise(password)}
    return steps in ({1}, {-1})


def _validated_username(username: str) -> str:
    name = normalize_username(username)
    if not _USERNAME_RE.match(name):
        raise ProblemError(
            "validation_error",
            detail="A username has 3-64 characters: letters a-z, digits, '.', '_' or '-'",
            errors=[
                {"location": ["body", "username"], "message": "invalid username", "type": "value"}
            ],
        )
    return name


def to_out(user: User, names: UnitNames) -> UserOut:
    scope_code, scope_name = names.get(user.scope_unit_id)
    agency_code, agency_name = names.get(user.agency_unit_id)
    return UserOut(
        username=user.username,
        full_name=user.full_name,
        role=Role(user.role),
        role_label=role_label(user.role),
        scope_unit_code=scope_code,
        scope_unit_name=scope_name,
        agency_unit_code=agency_code,
        agency_unit_name=agency_name,
        is_active=user.is_active,
        created_at=user.created_at,
    )


def create_user(
    *,
    db: Session,
    actor: Actor,
    username: str,
    password: str,
    role: Role | str,
    scope_unit_code: str | None = None,
    agency_unit_code: str | None = None,
    full_name: str = "",
) -> UserOut:
    """Create an account inside the actor's scope (the CLI passes a system actor)."""
    db.info["actor"] = actor
    require_action(actor, "users.manage")
    role = Role(role)
    name = _validated_username(username)
    check_password_policy(password, name)
    scope_id = unit_id_for(db, scope_unit_code, "scope_unit_code")
    agency_id = unit_id_for(db, agency_unit_code, "agency_unit_code")
    check_assignment(
        db, actor, "users.manage", role=role, scope_unit_id=scope_id, agency_unit_id=agency_id
    )
    if db.scalar(select(User.id).where(User.username == name)) is not None:
        raise ProblemError("user_exists")
    user = User(
        username=name,
        full_name=full_name.strip(),
        password_hash=hash_password(password),
        role=role.value,
        scope_unit_id=scope_id,
        agency_unit_id=agency_id,
        is_active=True,
    )
    db.add(user)
    db.flush()
    return to_out(user, UnitNames(db))


def _load(db: Session, actor: Actor, action: str, username: str) -> User:
    require_action(actor, action)
    user = db.scalar(select(User).where(User.username == normalize_username(username)))
    if user is None:
        raise ProblemError("user_not_found")
    require_in_scope(db, actor, action, user.scope_unit_id)
    return user


def get_user(*, db: Session, actor: Actor, username: str) -> UserOut:
    return to_out(_load(db, actor, "users.read", username), UnitNames(db))


def list_users(
    *,
    db: Session,
    actor: Actor,
    limit: int = 50,
    offset: int = 0,
    q: str | None = None,
    role: Role | None = None,
    active: bool | None = None,
) -> Page[UserOut]:
    """Accounts inside the actor's subtree, by username."""
    require_action(actor, "users.read")
    query = select(User)
    if actor.scope_unit_id is not None:
        query = query.where(
            or_(
                User.scope_unit_id == actor.scope_unit_id,
                User.scope_unit_id.in_(units_service.subtree_ids_select(actor.scope_unit_id)),
            )
        )
    if q and q.strip():
        # SQLite's lower() only folds ASCII, so the name is also matched as typed.
        typed = q.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        lowered = f"%{typed.lower()}%"
        query = query.where(
            or_(
                User.username.like(lowered, escape="\\"),
                func.lower(User.full_name).like(lowered, escape="\\"),
                User.full_name.like(f"%{typed}%", escape="\\"),
            )
        )
    if role is not None:
        query = query.where(User.role == role.value)
    if active is not None:
        query = query.where(User.is_active.is_(active))
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    users = db.scalars(query.order_by(User.username).limit(limit).offset(offset))
    names = UnitNames(db)
    return Page[UserOut](
        items=[to_out(u, names) for u in users], total=total, limit=limit, offset=offset
    )


def update_user(*, db: Session, actor: Actor, username: str, changes: UserUpdate) -> UserOut:
    """Change role, scope, agency, name, active flag or password (which signs them out)."""
    db.info["actor"] = actor
    user = _load(db, actor, "users.manage", username)
    data: dict[str, Any] = changes.model_dump(exclude_unset=True)
    is_self = actor.kind == "user" and actor.id == user.id
    if is_self and (
        ("role" in data and data["role"] != user.role) or data.get("is_active") is False
    ):
        raise ProblemError("conflict", detail="You cannot demote or deactivate yourself")
    role = Role(data["role"]) if data.get("role") is not None else Role(user.role)
    scope_id = (
        unit_id_for(db, data["scope_unit_code"], "scope_unit_code")
        if "scope_unit_code" in data
        else user.scope_unit_id
    )
    agency_id = (
        unit_id_for(db, data["agency_unit_code"], "agency_unit_code")
        if "agency_unit_code" in data
        else user.agency_unit_id
    )
    check_assignment(
        db, actor, "users.manage", role=role, scope_unit_id=scope_id, agency_unit_id=agency_id
    )
    password = data.get("password")
    if password is not None:
        check_password_policy(password, user.username)
    user.role = role.value
    user.scope_unit_id = scope_id
    user.agency_unit_id = agency_id
    if data.get("full_name") is not None:
        user.full_name = data["full_name"].strip()
    if data.get("is_active") is not None:
        user.is_active = data["is_active"]
    if password is not None:
        user.password_hash = hash_password(password)
        user.password_changed_at = utcnow()
    if password is not None or not user.is_active:
        revoke_sessions(db=db, user_id=user.id)
    db.flush()
    return to_out(user, UnitNames(db))


def revoke_sessions(*, db: Session, user_id: int) -> None:
    """Sign a user out everywhere (after a password reset or deactivation)."""
    db.execute(
        update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


@dataclass(frozen=True)
class DemoAccount:
    """A demo account and its password, shown once (written to ``var/demo-users.txt``)."""

    username: str
    password: str
    role: str


def ensure_demo_users(*, db: Session, province_code: str) -> list[DemoAccount]:
    """Create the missing demo accounts, one per role, with random passwords.

    Returns only the accounts created now (``[]`` when all exist), since existing
    passwords cannot be shown again.
    """
    actor = system_actor("demo")
    province = units_service.get_unit(db=db, code=province_code)
    agency_code = f"{province.code}.SYT"
    try:
        agency: str | None = units_service.get_unit(db=db, code=agency_code).code
    except ProblemError:
        agency = None
    specs = [
        ("demo.admin", Role.ADMIN, None, None, "Quản trị hệ thống (demo)"),
        ("demo.leader", Role.LEADER, province.code, None, "Lãnh đạo UBND (demo)"),
        ("demo.operator", Role.OPERATOR, province.code, None, "Cán bộ trực IOC (demo)"),
        ("demo.agency", Role.AGENCY, province.code, agency, "Cán bộ Sở Y tế (demo)"),
        ("demo.citizen", Role.CITIZEN, province.code, None, "Người dân (demo)"),
    ]
    created: list[DemoAccount] = []
    for username, role, scope, agency_unit, full_name in specs:
        if db.scalar(select(User.id).where(User.username == username)) is not None:
            continue
        password = secrets.token_urlsafe(12)
        create_user(
            db=db,
            actor=actor,
            username=username,
            password=password,
            role=role,
            scope_unit_code=scope,
            agency_unit_code=agency_unit,
            full_name=full_name,
        )
        created.append(DemoAccount(username=username, password=password, role=role.value))
    return created
