"""Signing in and out: lockout, per-IP throttling, server-side sessions and login CSRF.

Failed sign-ins never reveal whether an account exists: unknown and inactive usernames get
the same answer as a wrong password, after the same argon2 work (``verify_password(…,
None)`` burns a dummy hash), and they are locked out after the same number of failures.

Lockout: ``login_max_failures`` failures for one username within the last
``login_lockout_minutes`` (counting only failures after its last success) lock it until
enough of them are older than that window; refused attempts while locked count as failures,
so an ongoing attack keeps the account locked. One IP address may fail
``IP_FAILURE_FACTOR`` times as often (an office behind one NAT address shares it) before
all its attempts are refused with ``rate_limited``; those refusals are neither recorded nor
audited, which bounds what a flood can write.

Sessions: a 256-bit random token in an HttpOnly cookie, only its SHA-256 digest in
``user_sessions``, an absolute expiry of ``session_hours`` and a per-session CSRF token.
The sign-in form, which has no session yet, is protected by a signed double-submit token:
a random nonce in a cookie and HMAC(secret_key, nonce) in the form.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from dieuhanh.core.db import utcnow
from dieuhanh.core.security import (
    Actor,
    Role,
    constant_time_equals,
    new_token,
    token_digest,
    verify_password,
)
from dieuhanh.core.settings import Settings
from dieuhanh.domains.auth.audit import record_event
from dieuhanh.domains.auth.models import LoginAttempt, User, UserSession
from dieuhanh.domains.auth.users import normalize_username, role_label

SESSION_COOKIE = "dh_session"
LOGIN_CSRF_COOKIE = "dh_login_csrf"
IP_FAILURE_FACTOR = 5
_MAX_USERNAME = 64


@dataclass(frozen=True)
class LoginResult:
    """Outcome of :func:`login`; ``code`` is a problem code when ``ok`` is false."""

    ok: bool
    code: str | None = None
    token: str | None = None
    expires_at: datetime | None = None


def login(
    *,
    db: Session,
    settings: Settings,
    actor: Actor,
    username: str,
    password: str,
    user_agent: str | None = None,
) -> LoginResult:
    """Check a username and password and open a session; failures are recorded, not raised.

    ``actor`` is whoever is calling (anonymous, or a signed-in user switching account, whose
    session is revoked); the result is returned rather than raised so that the request's
    transaction commits the failure count.
    """
    name = normalize_username(username)[:_MAX_USERNAME]
    ip = actor.ip or "unknown"
    now = utcnow()
    since = now - timedelta(minutes=settings.login_lockout_minutes)
    if _ip_failures(db, ip, since) >= settings.login_max_failures * IP_FAILURE_FACTOR:
        return LoginResult(ok=False, code="rate_limited")
    user = db.scalar(select(User).where(User.username == name, User.is_active.is_(True)))
    if _user_failures(db, name, since) >= settings.login_max_failures:
        _failed(db, actor, name, ip, user, "locked")
        return LoginResult(ok=False, code="account_locked")
    if not verify_password(password, user.password_hash if user is not None else None):
        _failed(db, actor, name, ip, user, "invalid_credentials")
        return LoginResult(ok=False, code="invalid_credentials")
    assert user is not None
    if actor.session_id is not None:
        logout(db=db, actor=actor)
    db.add(LoginAttempt(username=name, ip=ip, succeeded=True, at=now))
    token = new_token()
    expires_at = now + timedelta(hours=settings.session_hours)
    session = UserSession(
        user_id=user.id,
        token_digest=token_digest(token),
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        expires_at=expires_at,
        ip=actor.ip,
        user_agent=(user_agent or "")[:300] or None,
    )
    db.add(session)
    db.flush()
    user_actor = _user_actor(user, session, actor.ip)
    record_event(
        db,
        actor=user_actor,
        action="login",
        table_name="users",
        entity_id=str(user.id),
        data={"username": user.username},
    )
    return LoginResult(ok=True, token=token, expires_at=expires_at)


def _ip_failures(db: Session, ip: str, since: datetime) -> int:
    query = select(func.count()).where(
        LoginAttempt.ip == ip, LoginAttempt.succeeded.is_(False), LoginAttempt.at >= since
    )
    return db.scalar(query) or 0


def _user_failures(db: Session, name: str, since: datetime) -> int:
    last_success = db.scalar(
        select(func.max(LoginAttempt.at)).where(
            LoginAttempt.username == name,
            LoginAttempt.succeeded.is_(True),
            LoginAttempt.at >= since,
        )
    )
    start = max(since, last_success) if last_success is not None else since
    query = select(func.count()).where(
        LoginAttempt.username == name, LoginAttempt.succeeded.is_(False), LoginAttempt.at >= start
    )
    return db.scalar(query) or 0


def _failed(db: Session, actor: Actor, name: str, ip: str, user: User | None, reason: str) -> None:
    db.add(LoginAttempt(username=name, ip=ip, succeeded=False, at=utcnow()))
    record_event(
        db,
        actor=actor,
        action="login_failed",
        table_name="users",
        entity_id=str(user.id) if user is not None else None,
        data={"username": name, "reason": reason},
        scope_unit_id=user.scope_unit_id if user is not None else None,
    )


def logout(*, db: Session, actor: Actor) -> None:
    """Revoke the actor's session (the cookie becomes worthless even if kept)."""
    if actor.session_id is None:
        return
    session = db.get(UserSession, actor.session_id)
    if session is None or session.revoked_at is not None:
        return
    session.revoked_at = utcnow()
    record_event(
        db,
        actor=actor,
        action="logout",
        table_name="users",
        entity_id=str(session.user_id),
        data={"username": actor.name},
    )


def actor_for_session(*, db: Session, token: str, ip: str | None) -> Actor | None:
    """The signed-in user for a session cookie, or None if it is unknown, expired or revoked."""
    row = db.execute(
        select(UserSession, User)
        .join(User, User.id == UserSession.user_id)
        .where(
            UserSession.token_digest == token_digest(token),
            UserSession.revoked_at.is_(None),
            UserSession.expires_at > utcnow(),
            User.is_active.is_(True),
        )
    ).first()
    if row is None:
        return None
    session, user = row
    return _user_actor(user, session, ip)


def _user_actor(user: User, session: UserSession, ip: str | None) -> Actor:
    return Actor(
        kind="user",
        id=user.id,
        name=user.username,
        role=Role(user.role),
        scope_unit_id=user.scope_unit_id,
        agency_unit_id=user.agency_unit_id,
        ip=ip,
        session_id=session.id,
        csrf_token=session.csrf_token,
        extra={"full_name": user.full_name, "role_label": role_label(user.role)},
    )


def purge_expired(*, db: Session, settings: Settings, keep_days: int = 7) -> int:
    """Delete sessions ended more than ``keep_days`` ago and attempts older than that.

    Idempotent housekeeping for a periodic job; neither table is audited, and sign-ins and
    sign-outs stay in the audit log. Returns how many rows were deleted.
    """
    now = utcnow()
    cutoff = now - timedelta(days=keep_days)
    attempts_cutoff = min(cutoff, now - timedelta(minutes=settings.login_lockout_minutes))
    ended = db.execute(
        delete(UserSession).where(
            or_(UserSession.expires_at < cutoff, UserSession.revoked_at < cutoff)
        )
    )
    old = db.execute(delete(LoginAttempt).where(LoginAttempt.at < attempts_cutoff))
    return int(getattr(ended, "rowcount", 0) or 0) + int(getattr(old, "rowcount", 0) or 0)


# --- CSRF for the sign-in form ---------------------------------------------------------------


def new_login_nonce() -> str:
    return secrets.token_urlsafe(24)


def login_csrf_token(secret_key: str, nonce: str) -> str:
    """The form half of the signed double-submit pair; only this server can compute it."""
    mac = hmac.new(secret_key.encode("utf-8"), b"login-csrf|" + nonce.encode(), hashlib.sha256)
    return mac.hexdigest()


def check_login_csrf(secret_key: str, nonce: str | None, token: str | None) -> bool:
    if not nonce or not token:
        return False
    return constant_time_equals(login_csrf_token(secret_key, nonce), token)
