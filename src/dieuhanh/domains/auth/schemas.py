"""API shapes of the auth domain, separate from the ORM models.

Units appear by code (the public identifier), never by database id. Secrets appear once: an
API key's token only in the response that created it; password hashes and digests never.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import Field

from dieuhanh.core.http import Schema
from dieuhanh.core.security import Role

if TYPE_CHECKING:
    from dieuhanh.domains.auth.models import AuditEntry

USERNAME_PATTERN = r"^[a-z0-9][a-z0-9._-]{2,63}$"


class UserOut(Schema):
    username: str
    full_name: str
    role: Role
    role_label: str = Field(description="English label of the role (a message id)")
    scope_unit_code: str | None = Field(description="Unit subtree; null = whole installation")
    scope_unit_name: str | None = None
    agency_unit_code: str | None = None
    agency_unit_name: str | None = None
    is_active: bool
    created_at: datetime


class UserCreate(Schema):
    username: str = Field(min_length=3, max_length=64, description="Login name (a-z 0-9 . _ -)")
    password: str = Field(min_length=1, max_length=256)
    role: Role
    full_name: str = Field(default="", max_length=200)
    scope_unit_code: str | None = Field(default=None, max_length=64)
    agency_unit_code: str | None = Field(default=None, max_length=64)


class UserUpdate(Schema):
    """Only the fields sent are changed; ``scope_unit_code: null`` means installation-wide."""

    full_name: str | None = Field(default=None, max_length=200)
    role: Role | None = None
    scope_unit_code: str | None = Field(default=None, max_length=64)
    agency_unit_code: str | None = Field(default=None, max_length=64)
    is_active: bool | None = None
    password: str | None = Field(default=None, min_length=1, max_length=256)


class MeOut(Schema):
    kind: str
    name: str
    full_name: str = ""
    role: Role | None
    role_label: str = ""
    scope_unit_code: str | None = None
    agency_unit_code: str | None = None
    actions: list[str] | None = Field(default=None, description="API keys: allowed actions")
    csrf_token: str | None = Field(default=None, description="Send as X-CSRF-Token (cookies)")


class ApiKeyCreate(Schema):
    name: str = Field(min_length=1, max_length=200)
    role: Role = Role.OPERATOR
    scope_unit_code: str | None = Field(default=None, max_length=64)
    actions: list[str] | None = Field(default=None, description="Narrow the key to actions")
    expires_in_days: int = Field(default=365, ge=1, le=3650)


class ApiKeyOut(Schema):
    prefix: str = Field(description="Visible identifier, e.g. dh_1a2b3c4d")
    name: str
    role: Role
    scope_unit_code: str | None
    actions: list[str] | None
    created_by: str | None
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    active: bool


class ApiKeyCreated(ApiKeyOut):
    token: str = Field(description="The secret; shown once, store it now")


class AuditEntryOut(Schema):
    id: int
    at: datetime
    actor: str = Field(description="kind:name, e.g. user:admin or system:cli")
    actor_kind: str
    actor_name: str
    ip: str | None
    action: str
    table_name: str
    entity_id: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    prev_hash: str
    hash: str

    @classmethod
    def from_entry(cls, entry: AuditEntry) -> AuditEntryOut:
        label = f"{entry.actor_kind}:{entry.actor_name}" if entry.actor_name else entry.actor_kind
        return cls(
            id=entry.id,
            at=entry.at,
            actor=label,
            actor_kind=entry.actor_kind,
            actor_name=entry.actor_name,
            ip=entry.ip,
            action=entry.action,
            table_name=entry.table_name,
            entity_id=entry.entity_id,
            before=entry.before,
            after=entry.after,
            prev_hash=entry.prev_hash,
            hash=entry.hash,
        )
