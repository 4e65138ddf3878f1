"""``dieuhanh components list|sync``: the packs found, and an idempotent sync."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from dieuhanh.cli import app
from dieuhanh.core.db import Database
from dieuhanh.domains.indicators import service

cli = CliRunner()


def test_list_shows_the_builtin_pack() -> None:
    result = cli.invoke(app, ["components", "list"])
    assert result.exit_code == 0, result.output
    assert "socioeconomic" in result.output
    said = " ".join(result.output.split())  # Rich wraps long lines
    assert "24 indicators, 11 rules, 1 dashboards, 0 report categories" in said
    assert "8 indicators, 0 rules, 0 dashboards, 9 report categories" in said


def test_sync_is_idempotent_and_reports(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The test database already holds the packs (the template seeder synced them)."""
    monkeypatch.setenv("DIEUHANH_DATABASE_URL", db_url)
    result = cli.invoke(app, ["components", "sync"])
    assert result.exit_code == 0, result.output
    assert "0 created, 0 updated, 32 unchanged, 0 deactivated" in result.output
    said = " ".join(result.output.split())  # Rich wraps long lines
    assert "report categories: 0 new, 0 updated, 9 unchanged, 0 kept local" in said
    database = Database(db_url)
    with database.reading() as db:
        assert service.get_indicator(db=db, code="GRDP").version == 1
    database.dispose()
