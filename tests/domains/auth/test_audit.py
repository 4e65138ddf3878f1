"""The audit log: what is recorded, that it is append-only, and that tampering is detected."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import DBAPIError

from dieuhanh.core.db import Database, utcnow
from dieuhanh.core.security import Actor, Role
from dieuhanh.core.settings import Settings
from dieuhanh.domains.auth import service
from dieuhanh.domains.auth.audit import GENESIS, entry_hash
from dieuhanh.domains.auth.models import AuditEntry, User
from dieuhanh.domains.auth.schemas import UserUpdate
from tests.fixtures.auth import OPERATOR48, TEST_PASSWORD

PERSON = Actor(kind="user", id=4242, name="kiem.tra", role=Role.ADMIN, ip="10.0.0.5")


@pytest.fixture
def audited(database: Database) -> Database:
    service.install_audit(database)
    service.install_audit(database)  # idempotent: still one entry per change
    return database


def entries(database: Database) -> list[AuditEntry]:
    with database.reading() as db:
        rows = list(db.scalars(select(AuditEntry).order_by(AuditEntry.id)))
        db.expunge_all()  # keep them loaded after the reading session rolls back
    return rows


def make_entries(database: Database, count: int) -> None:
    """``count`` audited changes (one full-name edit each)."""
    for i in range(count):
        with database.transaction() as db:
            service.update_user(
                db=db, actor=PERSON, username=OPERATOR48, changes=UserUpdate(full_name=f"Tên {i}")
            )


def drop_append_only_guard(database: Database) -> None:
    """What an attacker with database access would do first."""
    with database.engine.begin() as conn:
        if database.is_sqlite:
            conn.exec_driver_sql("DROP TRIGGER audit_log_no_update")
            conn.exec_driver_sql("DROP TRIGGER audit_log_no_delete")
        else:
            conn.exec_driver_sql("DROP TRIGGER audit_log_no_change ON audit_log")


def verify(database: Database) -> service.AuditVerification:
    with database.reading() as db:
        return service.verify_audit_chain(db=db)


def test_inserts_updates_and_deletes_are_recorded(audited: Database) -> None:
    with audited.transaction() as db:
        service.create_user(
            db=db,
            actor=PERSON,
            username="ghi.nhan",
            password="Hội-An-2026!",
            role=Role.CITIZEN,
            scope_unit_code="48",
            full_name="Ghi Nhận",
        )
    with audited.transaction() as db:
        service.update_user(
            db=db, actor=PERSON, username="ghi.nhan", changes=UserUpdate(full_name="Đã Sửa")
        )
    with audited.transaction() as db:
        db.info["actor"] = PERSON
        user = db.scalar(select(User).where(User.username == "ghi.nhan"))
        assert user is not None
        user_id = str(user.id)
        db.delete(user)

    created, changed, removed = [e for e in entries(audited) if e.table_name == "users"]
    assert [created.action, changed.action, removed.action] == ["insert", "update", "delete"]
    for entry in (created, changed, removed):
        assert entry.entity_id == user_id
        assert (entry.actor_kind, entry.actor_id, entry.actor_name) == ("user", 4242, "kiem.tra")
        assert entry.ip == "10.0.0.5"
        assert entry.at.tzinfo is not None
    assert created.before is None
    assert created.after is not None
    assert created.after["username"] == "ghi.nhan"
    assert created.after["password_hash"] == "[redacted]"
    assert changed.before == {"full_name": "Ghi Nhận"}
    assert changed.after == {"full_name": "Đã Sửa"}
    assert removed.after is None
    assert removed.before is not None
    assert removed.before["full_name"] == "Đã Sửa"
    assert "$argon2" not in str([e.after for e in entries(audited)])
    assert verify(audited).ok


def test_system_actors_are_recorded_by_name(audited: Database) -> None:
    with audited.transaction() as db:
        service.update_user(
            db=db,
            actor=service.system_actor("cli"),
            username=OPERATOR48,
            changes=UserUpdate(full_name="Từ dòng lệnh"),
        )
    (entry,) = entries(audited)
    assert (entry.actor_kind, entry.actor_name, entry.ip) == ("system", "cli", None)


def test_changes_without_a_person_are_not_recorded(audited: Database) -> None:
    for actor in (None, Actor(kind="anonymous", ip="10.0.0.1")):
        with audited.transaction() as db:
            if actor is not None:
                db.info["actor"] = actor
            user = db.scalar(select(User).where(User.username == OPERATOR48))
            assert user is not None
            user.full_name = "không ghi"
    assert entries(audited) == []


def test_sign_in_events_replace_session_rows(audited: Database, settings: Settings) -> None:
    anonymous = Actor(kind="anonymous", ip="10.9.9.9")
    with audited.transaction() as db:
        db.info["actor"] = anonymous
        bad = service.login(
            db=db, settings=settings, actor=anonymous, username=OPERATOR48, password="wrong"
        )
        assert not bad.ok
    with audited.transaction() as db:
        db.info["actor"] = anonymous
        good = service.login(
            db=db,
            settings=settings,
            actor=anonymous,
            username=OPERATOR48,
            password=TEST_PASSWORD,
        )
        assert good.token
    with audited.transaction() as db:
        user = service.actor_for_session(db=db, token=good.token, ip="10.9.9.9")
        assert user is not None
        db.info["actor"] = user
        service.logout(db=db, actor=user)
    log = entries(audited)
    assert [e.action for e in log] == ["login_failed", "login", "logout"]
    assert {e.table_name for e in log} == {"users"}  # no user_sessions / login_attempts rows
    failed, login, logout = log
    assert (failed.actor_kind, failed.ip) == ("anonymous", "10.9.9.9")
    assert failed.after == {"username": OPERATOR48, "reason": "invalid_credentials"}
    assert failed.actor_scope_unit_id is not None  # scoped admins see their users' failures
    assert (login.actor_kind, login.actor_name) == ("user", OPERATOR48)
    assert logout.actor_name == OPERATOR48
    assert verify(audited).ok


def test_the_application_cannot_rewrite_the_log(audited: Database) -> None:
    make_entries(audited, 2)
    attempts: list[Callable[[], Any]] = [
        lambda: update(AuditEntry).where(AuditEntry.id == 1).values(actor_name="x"),
        lambda: delete(AuditEntry).where(AuditEntry.id == 1),
    ]
    for statement in attempts:
        with pytest.raises(DBAPIError, match="append-only"), audited.transaction() as db:
            db.execute(statement())
    assert len(entries(audited)) == 2


def test_an_intact_chain_verifies(audited: Database) -> None:
    assert verify(audited) == service.AuditVerification(ok=True, checked=0, head=GENESIS)
    make_entries(audited, 4)
    result = verify(audited)
    assert result.ok
    assert result.checked == 4
    assert result.broken_at is None
    assert result.head == entries(audited)[-1].hash
    chain = entries(audited)
    assert [e.id for e in chain] == [1, 2, 3, 4]
    assert chain[0].prev_hash == GENESIS
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(chain))


def _edit_data(db: Any, _chain: list[AuditEntry]) -> None:
    db.execute(update(AuditEntry).where(AuditEntry.id == 3).values(after={"full_name": "giả mạo"}))


def _edit_and_rehash(db: Any, chain: list[AuditEntry]) -> None:
    third = chain[2]
    fields = {
        name: getattr(third, name)
        for name in (
            "id",
            "at",
            "actor_kind",
            "actor_id",
            "actor_name",
            "actor_scope_unit_id",
            "ip",
            "action",
            "table_name",
            "entity_id",
            "before",
            "prev_hash",
        )
    }
    fields["after"] = {"full_name": "giả mạo"}
    db.execute(
        update(AuditEntry)
        .where(AuditEntry.id == 3)
        .values(after=fields["after"], hash=entry_hash(fields))
    )


def _delete_middle(db: Any, _chain: list[AuditEntry]) -> None:
    db.execute(delete(AuditEntry).where(AuditEntry.id == 3))


def _forge(prev_hash: str | None) -> Callable[[Any, list[AuditEntry]], None]:
    def forge(db: Any, chain: list[AuditEntry]) -> None:
        db.execute(
            insert(AuditEntry).values(
                id=len(chain) + 1,
                at=utcnow(),
                actor_kind="user",
                actor_id=1,
                actor_name="admin",
                ip="10.6.6.6",
                action="update",
                table_name="users",
                entity_id="1",
                before={"role": "operator"},
                after={"role": "admin"},
                prev_hash=prev_hash or chain[-1].hash,
                hash="f" * 64,
            )
        )

    return forge


@pytest.mark.parametrize(
    ("tamper", "broken_at", "checked", "reason"),
    [
        (_edit_data, 3, 2, "content does not match its hash"),
        (_edit_and_rehash, 4, 3, "prev_hash does not match the previous entry"),
        (_delete_middle, 4, 2, "entry 3 is missing"),
        (_forge(None), 6, 5, "content does not match its hash"),
        (_forge("0" * 64), 6, 5, "prev_hash does not match the previous entry"),
    ],
    ids=["edit", "edit-and-rehash", "delete", "forge", "forge-unlinked"],
)
def test_tampering_is_detected(
    audited: Database,
    tamper: Callable[[Any, list[AuditEntry]], None],
    broken_at: int,
    checked: int,
    reason: str,
) -> None:
    make_entries(audited, 5)
    drop_append_only_guard(audited)
    chain = entries(audited)
    with audited.transaction() as db:
        tamper(db, chain)
    result = verify(audited)
    assert (result.ok, result.broken_at, result.reason) == (False, broken_at, reason)
    assert result.checked == checked


def test_concurrent_writers_keep_one_unbroken_chain(audited: Database) -> None:
    workers, rounds = 4, 6
    errors: list[BaseException] = []

    def work(n: int) -> None:
        actor = Actor(kind="user", id=n, name=f"worker{n}", role=Role.ADMIN)
        try:
            for i in range(rounds):
                with audited.transaction() as db:
                    db.info["actor"] = actor
                    db.add(
                        User(
                            username=f"w{n}.{i}",
                            password_hash="x",
                            role="citizen",
                            full_name=f"Worker {n}/{i}",
                            scope_unit_id=None,
                        )
                    )
                    db.flush()
                    user = db.scalar(select(User).where(User.username == f"w{n}.{i}"))
                    assert user is not None
                    user.full_name += " (sửa)"
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    result = verify(audited)
    assert result.ok, result
    assert result.checked == workers * rounds * 2
    assert [e.id for e in entries(audited)] == list(range(1, workers * rounds * 2 + 1))
