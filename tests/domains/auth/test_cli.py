"""``dieuhanh users create`` and ``dieuhanh audit verify`` against a test database."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner

from dieuhanh.cli import app
from dieuhanh.core.db import Database
from dieuhanh.domains.auth.models import AuditEntry, User
from tests.domains.auth.test_audit import drop_append_only_guard


@pytest.fixture
def run(db_url: str, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DIEUHANH_DATABASE_URL", db_url)
    monkeypatch.setenv("DIEUHANH_ENVIRONMENT", "test")
    runner = CliRunner()

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(app, list(args))

    return invoke


def test_users_create_is_audited_and_verify_detects_tampering(run, database: Database) -> None:  # type: ignore[no-untyped-def]
    result = run(
        "users",
        "create",
        "can.bo.moi",
        "--role",
        "operator",
        "--unit",
        "48",
        "--full-name",
        "Cán Bộ Mới",
        "--password",
        "Cầu-Rồng-2026",
    )
    assert result.exit_code == 0, result.output
    assert "can.bo.moi" in result.output
    assert "operator" in result.output
    with database.reading() as db:
        user = db.scalar(select(User).where(User.username == "can.bo.moi"))
        assert user is not None
        assert user.scope_unit_id is not None
        (entry,) = db.scalars(select(AuditEntry))
        head = entry.hash
        assert (entry.actor_kind, entry.actor_name, entry.action) == ("system", "cli", "insert")

    verified = run("audit", "verify")
    assert verified.exit_code == 0, verified.output
    assert "1 entries verified" in verified.output
    assert head in verified.output.replace("\n", "")

    drop_append_only_guard(database)
    with database.transaction() as db:
        db.execute(update(AuditEntry).values(after={"role": "admin"}))
    broken = run("audit", "verify")
    assert broken.exit_code == 1
    assert "broken at entry 1" in broken.output


def test_users_create_reports_problems(run) -> None:  # type: ignore[no-untyped-def]
    weak = run("users", "create", "yeu", "--unit", "48", "--password", "123")
    assert weak.exit_code == 1
    assert "weak_password" in weak.output
    outside = run("users", "create", "khong.co", "--unit", "99999", "--password", "Cầu-Rồng-2026")
    assert outside.exit_code == 1
    assert "validation_error" in outside.output
