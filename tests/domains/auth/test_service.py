"""Auth services called directly: accounts, password policy, sign-in and lockout, API keys."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select
from sqlalchemy.orm import Session

from dieuhanh.core.db import utcnow
from dieuhanh.core.errors import ProblemError
from dieuhanh.core.security import ANONYMOUS, Actor, Role, allowed
from dieuhanh.core.settings import Settings
from dieuhanh.domains.auth import service, sessions
from dieuhanh.domains.auth.models import LoginAttempt, User
from dieuhanh.domains.auth.schemas import UserUpdate
from tests.fixtures.auth import ADMIN48, OPERATOR01, OPERATOR48, TEST_PASSWORD

GOOD_PASSWORD = "Sông-Hàn-2026"
SYSTEM = service.system_actor("tests")


def actor_of(db: Session, username: str, ip: str = "10.0.0.1") -> Actor:
    """The actor a fixed user becomes after signing in (through the real service)."""
    settings = Settings(environment="test", login_max_failures=50)
    result = service.login(
        db=db,
        settings=settings,
        actor=Actor(kind="anonymous", ip=ip),
        username=username,
        password=TEST_PASSWORD,
    )
    assert result.ok
    assert result.token
    actor = service.actor_for_session(db=db, token=result.token, ip=ip)
    assert actor is not None
    return actor


def anonymous(ip: str = "10.0.0.9") -> Actor:
    return Actor(kind="anonymous", ip=ip)


# --- password policy (pure) ------------------------------------------------------------------


@pytest.mark.parametrize(
    "password",
    [
        "short1!",
        "aaaaaaaaaaaa",
        "abababababab",
        "0123456789",
        "abcdefghijkl",
        "Password123",
        "qwertyuiop",
        "xx-newuser-xx",
    ],
)
def test_weak_passwords_are_refused(password: str) -> None:
    with pytest.raises(ProblemError) as err:
        service.check_password_policy(password, "newuser")
    assert err.value.code == "weak_password"
    assert err.value.errors
    assert err.value.errors[0]["location"] == ["body", "password"]


@pytest.mark.parametrize("password", [GOOD_PASSWORD, TEST_PASSWORD, "correct horse battery"])
def test_reasonable_passwords_pass(password: str) -> None:
    service.check_password_policy(password, "newuser")


def test_system_actor_is_an_installation_wide_admin() -> None:
    actor = service.system_actor("cli")
    assert actor.label == "system:cli"
    assert actor.role == Role.ADMIN
    assert actor.scope_unit_id is None
    assert allowed(actor, "users.manage")


# --- accounts --------------------------------------------------------------------------------


def test_create_user_stores_an_argon2_hash_and_the_scope(session: Session) -> None:
    out = service.create_user(
        db=session,
        actor=SYSTEM,
        username="  Nguyen.An ",
        password=GOOD_PASSWORD,
        role=Role.AGENCY,
        scope_unit_code="48",
        agency_unit_code="48.SYT",
        full_name="An",
    )
    assert out.username == "nguyen.an"
    assert out.role == Role.AGENCY
    assert out.role_label == "Agency officer"
    assert out.scope_unit_code == "48"
    assert out.agency_unit_code == "48.SYT"
    stored = session.scalar(select(User).where(User.username == "nguyen.an"))
    assert stored is not None
    assert stored.password_hash.startswith("$argon2")
    assert GOOD_PASSWORD not in stored.password_hash


def test_usernames_are_unique_and_well_formed(session: Session) -> None:
    with pytest.raises(ProblemError) as err:
        service.create_user(
            db=session,
            actor=SYSTEM,
            username="OPERATOR48",
            password=GOOD_PASSWORD,
            role=Role.OPERATOR,
            scope_unit_code="48",
        )
    assert err.value.code == "user_exists"
    with pytest.raises(ProblemError) as err:
        service.create_user(
            db=session,
            actor=SYSTEM,
            username="a b",
            password=GOOD_PASSWORD,
            role=Role.OPERATOR,
            scope_unit_code="48",
        )
    assert err.value.code == "validation_error"


def test_only_admins_may_be_installation_wide(session: Session) -> None:
    with pytest.raises(ProblemError) as err:
        service.create_user(
            db=session,
            actor=SYSTEM,
            username="nobody",
            password=GOOD_PASSWORD,
            role=Role.OPERATOR,
            scope_unit_code=None,
        )
    assert err.value.code == "validation_error"


def test_unknown_unit_codes_are_rejected(session: Session) -> None:
    with pytest.raises(ProblemError) as err:
        service.create_user(
            db=session,
            actor=SYSTEM,
            username="lost",
            password=GOOD_PASSWORD,
            role=Role.OPERATOR,
            scope_unit_code="99999999",
        )
    assert err.value.code == "validation_error"
    assert err.value.errors[0]["location"] == ["body", "scope_unit_code"]


def test_a_scoped_admin_stays_inside_their_scope(session: Session) -> None:
    admin48 = actor_of(session, ADMIN48)
    created = service.create_user(
        db=session,
        actor=admin48,
        username="phuong.hai.chau",
        password=GOOD_PASSWORD,
        role=Role.OPERATOR,
        scope_unit_code="48",
    )
    assert created.scope_unit_code == "48"
    for scope, role in (("01", Role.OPERATOR), (None, Role.ADMIN)):
        with pytest.raises(ProblemError) as err:
            service.create_user(
                db=session,
                actor=admin48,
                username="outside",
                password=GOOD_PASSWORD,
                role=role,
                scope_unit_code=scope,
            )
        assert err.value.code == "out_of_scope"
    with pytest.raises(ProblemError) as err:
        service.get_user(db=session, actor=admin48, username=OPERATOR01)
    assert err.value.code == "out_of_scope"
    page = service.list_users(db=session, actor=admin48, limit=100)
    names = {u.username for u in page.items}
    assert OPERATOR48 in names
    assert "phuong.hai.chau" in names
    assert OPERATOR01 not in names
    assert "admin" not in names
    assert page.total == len(page.items)


def test_non_admins_cannot_manage_users(session: Session) -> None:
    operator = actor_of(session, OPERATOR48)
    for call in (
        lambda: service.list_users(db=session, actor=operator),
        lambda: service.get_user(db=session, actor=operator, username=OPERATOR48),
        lambda: service.create_user(
            db=session,
            actor=operator,
            username="x-user",
            password=GOOD_PASSWORD,
            role=Role.CITIZEN,
            scope_unit_code="48",
        ),
    ):
        with pytest.raises(ProblemError) as err:
            call()
        assert err.value.code == "forbidden"
    with pytest.raises(ProblemError) as err:
        service.list_users(db=session, actor=ANONYMOUS)
    assert err.value.code == "not_authenticated"


def test_update_user_and_password_reset_signs_them_out(session: Session) -> None:
    target = actor_of(session, OPERATOR48)
    assert target.session_id is not None
    admin48 = actor_of(session, ADMIN48)
    out = service.update_user(
        db=session,
        actor=admin48,
        username=OPERATOR48,
        changes=UserUpdate(role=Role.LEADER, full_name="Lê Lãnh Đạo", password=GOOD_PASSWORD),
    )
    assert out.role == Role.LEADER
    assert out.full_name == "Lê Lãnh Đạo"
    session.flush()
    assert _session_is_gone(session, target)
    with pytest.raises(ProblemError) as err:
        service.update_user(
            db=session,
            actor=admin48,
            username=OPERATOR48,
            changes=UserUpdate(scope_unit_code="01"),
        )
    assert err.value.code == "out_of_scope"
    with pytest.raises(ProblemError) as err:
        service.update_user(
            db=session, actor=admin48, username=OPERATOR48, changes=UserUpdate(password="short")
        )
    assert err.value.code == "weak_password"


def _session_is_gone(db: Session, actor: Actor) -> bool:
    from dieuhanh.domains.auth.models import UserSession

    row = db.get(UserSession, actor.session_id)
    assert row is not None
    db.refresh(row)
    return row.revoked_at is not None


def test_admins_cannot_demote_or_deactivate_themselves(session: Session) -> None:
    admin48 = actor_of(session, ADMIN48)
    for changes in (UserUpdate(role=Role.OPERATOR), UserUpdate(is_active=False)):
        with pytest.raises(ProblemError) as err:
            service.update_user(db=session, actor=admin48, username=ADMIN48, changes=changes)
        assert err.value.code == "conflict"


def test_demo_users_get_random_passwords_once(session: Session, settings: Settings) -> None:
    accounts = service.ensure_demo_users(db=session, province_code="48")
    assert sorted(a.role for a in accounts) == sorted(r.value for r in Role)
    assert len({a.password for a in accounts}) == len(accounts)
    agency = next(a for a in accounts if a.role == Role.AGENCY)
    assert (
        service.get_user(db=session, actor=SYSTEM, username=agency.username).agency_unit_code
        == "48.SYT"
    )
    admin = next(a for a in accounts if a.role == Role.ADMIN)
    result = service.login(
        db=session,
        settings=settings,
        actor=anonymous(),
        username=admin.username,
        password=admin.password,
    )
    assert result.ok
    assert service.ensure_demo_users(db=session, province_code="48") == []


# --- sign-in, lockout, sessions --------------------------------------------------------------


def test_login_opens_a_session_that_resolves_to_the_user(
    session: Session, settings: Settings
) -> None:
    result = service.login(
        db=session,
        settings=settings,
        actor=anonymous(),
        username="Operator48 ",
        password=TEST_PASSWORD,
        user_agent="pytest",
    )
    assert result.ok
    assert result.token
    assert result.expires_at
    hours = (result.expires_at - utcnow()).total_seconds() / 3600
    assert settings.session_hours - 0.1 < hours <= settings.session_hours
    actor = service.actor_for_session(db=session, token=result.token, ip="10.0.0.9")
    assert actor is not None
    assert (actor.kind, actor.name, actor.role) == ("user", OPERATOR48, Role.OPERATOR)
    assert actor.csrf_token
    assert actor.session_id
    assert actor.ip == "10.0.0.9"
    assert actor.extra["role_label"] == "Operator"
    assert service.actor_for_session(db=session, token=result.token + "x", ip=None) is None
    service.logout(db=session, actor=actor)
    assert service.actor_for_session(db=session, token=result.token, ip=None) is None


def test_sessions_expire(session: Session, settings: Settings) -> None:
    result = service.login(
        db=session,
        settings=settings,
        actor=anonymous(),
        username=OPERATOR48,
        password=TEST_PASSWORD,
    )
    assert result.token
    later = utcnow() + timedelta(hours=settings.session_hours, minutes=1)
    with time_machine.travel(later, tick=False):
        assert service.actor_for_session(db=session, token=result.token, ip=None) is None


def test_unknown_users_cost_the_same_argon2_work(
    session: Session, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str | None] = []
    real = sessions.verify_password

    def spy(password: str, hashed: str | None) -> bool:
        seen.append(hashed)
        return real(password, hashed)

    monkeypatch.setattr(sessions, "verify_password", spy)
    known = service.login(
        db=session, settings=settings, actor=anonymous(), username=OPERATOR48, password="wrong!"
    )
    unknown = service.login(
        db=session, settings=settings, actor=anonymous(), username="ghost", password="wrong!"
    )
    assert known.code == unknown.code == "invalid_credentials"
    assert len(seen) == 2
    assert seen[0] is not None
    assert seen[1] is None


@pytest.mark.parametrize("username", [OPERATOR48, "no-such-user"])
def test_lockout_looks_the_same_for_real_and_unknown_users(
    session: Session, settings: Settings, username: str
) -> None:
    codes = [
        service.login(
            db=session, settings=settings, actor=anonymous(), username=username, password="nope"
        ).code
        for _ in range(settings.login_max_failures)
    ]
    assert codes == ["invalid_credentials"] * settings.login_max_failures
    locked = service.login(
        db=session,
        settings=settings,
        actor=anonymous(),
        username=username,
        password=TEST_PASSWORD,
    )
    assert (locked.ok, locked.code) == (False, "account_locked")
    later = utcnow() + timedelta(minutes=settings.login_lockout_minutes + 1)
    with time_machine.travel(later, tick=False):
        again = service.login(
            db=session,
            settings=settings,
            actor=anonymous(),
            username=username,
            password=TEST_PASSWORD,
        )
    assert again.ok is (username == OPERATOR48)
    assert again.code in (None, "invalid_credentials")


def test_a_success_resets_the_failure_count(session: Session, settings: Settings) -> None:
    for _ in range(settings.login_max_failures - 1):
        service.login(
            db=session, settings=settings, actor=anonymous(), username=OPERATOR48, password="x"
        )
    assert service.login(
        db=session,
        settings=settings,
        actor=anonymous(),
        username=OPERATOR48,
        password=TEST_PASSWORD,
    ).ok
    for _ in range(settings.login_max_failures - 1):
        result = service.login(
            db=session, settings=settings, actor=anonymous(), username=OPERATOR48, password="x"
        )
        assert result.code == "invalid_credentials"


def test_one_address_is_throttled_across_usernames(session: Session, settings: Settings) -> None:
    limit = settings.login_max_failures * service.IP_FAILURE_FACTOR
    session.add_all(
        LoginAttempt(username=f"guess{i}", ip="10.6.6.6", succeeded=False, at=utcnow())
        for i in range(limit)
    )
    session.flush()
    blocked = service.login(
        db=session,
        settings=settings,
        actor=anonymous("10.6.6.6"),
        username=OPERATOR48,
        password=TEST_PASSWORD,
    )
    assert blocked.code == "rate_limited"
    elsewhere = service.login(
        db=session,
        settings=settings,
        actor=anonymous("10.7.7.7"),
        username=OPERATOR48,
        password=TEST_PASSWORD,
    )
    assert elsewhere.ok


def test_inactive_users_cannot_sign_in(session: Session, settings: Settings) -> None:
    service.update_user(
        db=session, actor=SYSTEM, username=OPERATOR48, changes=UserUpdate(is_active=False)
    )
    result = service.login(
        db=session,
        settings=settings,
        actor=anonymous(),
        username=OPERATOR48,
        password=TEST_PASSWORD,
    )
    assert result.code == "invalid_credentials"


def test_login_csrf_tokens_are_bound_to_the_nonce_and_secret() -> None:
    nonce = service.new_login_nonce()
    token = service.login_csrf_token("secret-a", nonce)
    assert service.check_login_csrf("secret-a", nonce, token)
    assert not service.check_login_csrf("secret-b", nonce, token)
    assert not service.check_login_csrf("secret-a", service.new_login_nonce(), token)
    assert not service.check_login_csrf("secret-a", None, token)
    assert not service.check_login_csrf("secret-a", nonce, "")


# --- API keys --------------------------------------------------------------------------------


def test_api_keys_are_stored_hashed_and_resolve_to_a_key_actor(session: Session) -> None:
    created = service.create_api_key(
        db=session,
        actor=SYSTEM,
        name="Cổng dữ liệu",
        role=Role.OPERATOR,
        scope_unit_code="48",
        actions=["units.read"],
    )
    assert created.token.startswith(created.prefix + "_")
    assert created.prefix.startswith("dh_")
    assert len(created.prefix) == 11
    actor = service.actor_for_api_key(db=session, token=created.token, ip="10.1.1.1")
    assert (actor.kind, actor.name, actor.role) == ("api_key", created.prefix, Role.OPERATOR)
    assert actor.key_actions == frozenset({"units.read"})
    assert actor.scope_unit_id is not None
    assert allowed(actor, "units.read")
    assert not allowed(actor, "profile.read")
    listed = service.list_api_keys(db=session, actor=SYSTEM)
    assert created.prefix in {k.prefix for k in listed.items}
    assert "token" not in listed.items[0].model_dump()
    service.revoke_api_key(db=session, actor=SYSTEM, prefix=created.prefix)
    with pytest.raises(ProblemError) as err:
        service.actor_for_api_key(db=session, token=created.token, ip=None)
    assert err.value.code == "invalid_api_key"


def test_api_keys_expire_and_reject_garbage(session: Session) -> None:
    created = service.create_api_key(
        db=session, actor=SYSTEM, name="short-lived", scope_unit_code="48", expires_in_days=1
    )
    with time_machine.travel(utcnow() + timedelta(days=2), tick=False):
        with pytest.raises(ProblemError) as err:
            service.actor_for_api_key(db=session, token=created.token, ip=None)
        assert err.value.code == "invalid_api_key"
    for garbage in ("", "dh_", "Bearer", "dh_00000000_" + "x" * 43, created.prefix):
        with pytest.raises(ProblemError):
            service.actor_for_api_key(db=session, token=garbage, ip=None)


def test_api_key_actions_must_exist_and_scope_must_fit(session: Session) -> None:
    with pytest.raises(ProblemError) as err:
        service.create_api_key(
            db=session, actor=SYSTEM, name="k", scope_unit_code="48", actions=["launch.rockets"]
        )
    assert err.value.code == "validation_error"
    admin48 = actor_of(session, ADMIN48)
    with pytest.raises(ProblemError) as err:
        service.create_api_key(db=session, actor=admin48, name="k", scope_unit_code="01")
    assert err.value.code == "out_of_scope"
    with pytest.raises(ProblemError) as err:
        service.revoke_api_key(db=session, actor=admin48, prefix="dh_00000000")
    assert err.value.code == "api_key_not_found"


def test_purge_removes_old_sessions_and_attempts_only(session: Session, settings: Settings) -> None:
    old = service.login(
        db=session,
        settings=settings,
        actor=anonymous(),
        username=OPERATOR48,
        password=TEST_PASSWORD,
    )
    assert old.token
    service.login(
        db=session, settings=settings, actor=anonymous(), username=OPERATOR48, password="wrong"
    )
    with time_machine.travel(utcnow() + timedelta(days=30), tick=False):
        fresh = service.login(
            db=session,
            settings=settings,
            actor=anonymous(),
            username=OPERATOR48,
            password=TEST_PASSWORD,
        )
        assert fresh.token
        deleted = service.purge_expired(db=session, settings=settings)
        assert deleted == 3  # the old session, the old success and the old failure
        assert service.actor_for_session(db=session, token=fresh.token, ip=None) is not None
        assert service.purge_expired(db=session, settings=settings) == 0
