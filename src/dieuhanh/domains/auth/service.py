"""The auth domain's public entry: everything routes, the CLI and other domains may call.

The work is split by use case — ``users`` (accounts, password policy, demo accounts),
``sessions`` (sign-in, lockout, CSRF), ``apikeys`` and ``audit`` — and re-exported here so
that callers depend on one module whose names do not move when the split does.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from dieuhanh.core.security import Actor
from dieuhanh.domains.auth.apikeys import (
    KEY_PREFIX,
    actor_for_api_key,
    create_api_key,
    list_api_keys,
    revoke_api_key,
)
from dieuhanh.domains.auth.audit import (
    EXCLUDED_TABLES,
    AuditVerification,
    install_audit,
    list_audit,
    record_event,
    verify_audit_chain,
)
from dieuhanh.domains.auth.schemas import MeOut
from dieuhanh.domains.auth.scoping import UnitNames
from dieuhanh.domains.auth.sessions import (
    IP_FAILURE_FACTOR,
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    LoginResult,
    actor_for_session,
    check_login_csrf,
    login,
    login_csrf_token,
    logout,
    new_login_nonce,
    purge_expired,
)
from dieuhanh.domains.auth.users import (
    ROLE_LABELS,
    DemoAccount,
    check_password_policy,
    create_user,
    ensure_demo_users,
    get_user,
    list_users,
    role_label,
    system_actor,
    update_user,
)

__all__ = [
    "EXCLUDED_TABLES",
    "IP_FAILURE_FACTOR",
    "KEY_PREFIX",
    "LOGIN_CSRF_COOKIE",
    "ROLE_LABELS",
    "SESSION_COOKIE",
    "AuditVerification",
    "DemoAccount",
    "LoginResult",
    "actor_for_api_key",
    "actor_for_session",
    "check_login_csrf",
    "check_password_policy",
    "create_api_key",
    "create_user",
    "describe_actor",
    "ensure_demo_users",
    "get_user",
    "install_audit",
    "list_api_keys",
    "list_audit",
    "list_users",
    "login",
    "login_csrf_token",
    "logout",
    "new_login_nonce",
    "purge_expired",
    "record_event",
    "revoke_api_key",
    "role_label",
    "system_actor",
    "update_user",
    "verify_audit_chain",
]


def describe_actor(*, db: Session, actor: Actor) -> MeOut:
    """Who the caller is, as ``GET /api/v1/auth/me`` shows it (with the CSRF token)."""
    names = UnitNames(db)
    return MeOut(
        kind=actor.kind,
        name=actor.name,
        full_name=actor.extra.get("full_name", ""),
        role=actor.role,
        role_label=role_label(actor.role),
        scope_unit_code=names.get(actor.scope_unit_id)[0],
        agency_unit_code=names.get(actor.agency_unit_id)[0],
        actions=sorted(actor.key_actions) if actor.key_actions is not None else None,
        csrf_token=actor.csrf_token,
    )
