"""Auth service (stub)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from dieuhanh.core.db import Database
from dieuhanh.core.security import Actor


def install_audit(database: Database) -> None:
    return None


def system_actor(name: str) -> Actor:
    return Actor(kind="system", name=name)


@dataclass
class DemoAccount:
    username: str
    password: str
    role: str


def ensure_demo_users(*, db: Session, province_code: str) -> list[DemoAccount]:
    return []


def create_user(**kwargs: object) -> object:
    raise NotImplementedError


@dataclass
class AuditVerification:
    ok: bool
    checked: int
    broken_at: int | None = None
    reason: str = ""


def verify_audit_chain(*, db: Session) -> AuditVerification:
    return AuditVerification(ok=True, checked=0)
