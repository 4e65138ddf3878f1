"""Security primitives: actors, roles, named permissions, password and token hashing.

Every endpoint declares a named action (``units.read``); :func:`allowed` is the single place
that decides. Role checks are pure; unit scoping needs the unit's ancestors, which services
load (one indexed query on the closure table) and pass in as a :class:`Scoped` resource, so
scoping happens in services and never in templates.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher


class Role(StrEnum):
    ADMIN = "admin"
    LEADER = "leader"
    OPERATOR = "operator"
    AGENCY = "agency_officer"
    CITIZEN = "citizen"


STAFF = frozenset({Role.ADMIN, Role.LEADER, Role.OPERATOR, Role.AGENCY})
EVERYONE = frozenset(Role)

# action -> roles allowed to perform it (before unit scoping). One table, reviewed as a whole.
PERMISSIONS: dict[str, frozenset[Role]] = {
    "units.read": EVERYONE,
    "units.manage": frozenset({Role.ADMIN}),
    "home.view": EVERYONE,
    "users.read": frozenset({Role.ADMIN}),
    "users.manage": frozenset({Role.ADMIN}),
    "apikeys.manage": frozenset({Role.ADMIN}),
    "audit.read": frozenset({Role.ADMIN}),
    "profile.read": EVERYONE,
    "indicators.read": EVERYONE,
    "indicators.export": EVERYONE,
    "indicators.manage": frozenset({Role.ADMIN}),
    # agency officers may only write indicators their agency owns (checked in the service)
    "indicators.ingest": frozenset({Role.ADMIN, Role.OPERATOR, Role.AGENCY}),
    "indicators.targets": frozenset({Role.ADMIN, Role.LEADER}),
    # dashboards show indicators, which every signed-in role may read; units are scoped
    "dashboards.read": EVERYONE,
    "dashboards.export": EVERYONE,
    "dashboards.manage": frozenset({Role.ADMIN}),
    "wall.view": STAFF,
    "wall.manage": frozenset({Role.ADMIN}),
    "live.read": EVERYONE,
    # citizen feedback: anyone may report (anonymous visitors too, see PUBLIC_ACTIONS);
    # staff read the reports in their scope (agency officers: their agency's)
    "feedback.submit": EVERYONE,
    "feedback.intake": frozenset({Role.ADMIN, Role.OPERATOR}),
    "feedback.read": STAFF,
    "feedback.handle": frozenset({Role.ADMIN, Role.OPERATOR, Role.AGENCY}),
    "feedback.approve": frozenset({Role.ADMIN, Role.LEADER, Role.OPERATOR}),
    "feedback.moderate": frozenset({Role.ADMIN, Role.OPERATOR}),
    "feedback.categories.manage": frozenset({Role.ADMIN}),
}

# Actions an anonymous visitor (a citizen without an account) may perform.
PUBLIC_ACTIONS: frozenset[str] = frozenset({"units.read", "feedback.submit"})


@dataclass(frozen=True)
class Actor:
    """Who is calling: a signed-in person, a machine key, or an anonymous visitor."""

    kind: str  # "user" | "api_key" | "anonymous"
    id: int | None = None
    name: str = ""
    role: Role | None = None
    scope_unit_id: int | None = None  # None = whole installation (only for admins)
    agency_unit_id: int | None = None
    key_actions: frozenset[str] | None = None  # API keys may be narrowed to some actions
    ip: str | None = None
    session_id: int | None = None
    csrf_token: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def is_authenticated(self) -> bool:
        return self.kind != "anonymous"

    @property
    def label(self) -> str:
        return f"{self.kind}:{self.name}" if self.name else self.kind


ANONYMOUS = Actor(kind="anonymous")


class Scoped(Protocol):
    """A resource that belongs to a unit: its own unit id plus all ancestors' ids."""

    @property
    def scope_unit_ids(self) -> frozenset[int]: ...


def allowed(actor: Actor, action: str, resource: Scoped | None = None) -> bool:
    """The one permission check: role grants the action, and the resource is in scope."""
    if action not in PERMISSIONS:
        raise KeyError(f"unknown action {action!r}; add it to security.PERMISSIONS")
    if not actor.is_authenticated:
        return action in PUBLIC_ACTIONS
    if actor.role is None or actor.role not in PERMISSIONS[action]:
        return False
    if actor.key_actions is not None and action not in actor.key_actions:
        return False
    if resource is not None and actor.scope_unit_id is not None:
        return actor.scope_unit_id in resource.scope_unit_ids
    return True


# --- secrets ---------------------------------------------------------------------------------

_password_hash = PasswordHash((Argon2Hasher(),))
_DUMMY_HASH: str | None = None


def hash_password(password: str) -> str:
    return _password_hash.hash(password)


def verify_password(password: str, hashed: str | None) -> bool:
    """Verify in constant-ish time; with no hash, burn the same work against a dummy one."""
    global _DUMMY_HASH  # lazily computed, never at import time
    if hashed is None:
        if _DUMMY_HASH is None:
            _DUMMY_HASH = _password_hash.hash(secrets.token_urlsafe(16))
        _password_hash.verify(password, _DUMMY_HASH)
        return False
    try:
        return _password_hash.verify(password, hashed)
    except Exception:  # malformed hash in the database
        return False


def new_token(prefix: str = "") -> str:
    return prefix + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """Tokens are 256-bit random, so a fast keyed-free digest is enough to store them."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def constant_time_equals(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))
