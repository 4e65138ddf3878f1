"""The ``dieuhanh`` command: database upgrade, the demo set-up (idempotent), units load."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from typer.testing import CliRunner

from dieuhanh.cli import app
from dieuhanh.core.db import Database
from dieuhanh.migrations import runner

cli = CliRunner()
ROLLUPS = (
    "SELECT indicator_id, period_type, period_start, unit_id, disagg, level_rank, total, "
    "reported, lowest, highest, provisional FROM observation_rollups "
    "ORDER BY indicator_id, period_type, period_start, unit_id, disagg, level_rank"
)


@pytest.fixture
def in_tmp(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_db_upgrade_creates_the_schema(in_tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{in_tmp / 'fresh.db'}"
    monkeypatch.setenv("DIEUHANH_DATABASE_URL", url)
    result = cli.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    heads = runner.current_heads(url)
    assert heads
    db = Database(url)
    with db.reading() as s:
        assert s.execute(text("SELECT count(*) FROM units")).scalar() == 0
    db.dispose()


def test_demo_sets_up_once_and_reuses_everything(
    empty_db_url: str, in_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DIEUHANH_DATABASE_URL", empty_db_url)
    first = cli.invoke(app, ["demo", "--no-serve"])
    assert first.exit_code == 0, first.output
    credentials = in_tmp / "var" / "demo-users.txt"
    lines = credentials.read_text(encoding="utf-8").splitlines()
    roles = sorted(line.split("\t")[2] for line in lines)
    assert roles == ["admin", "agency_officer", "citizen", "leader", "operator"]
    assert all(len(line.split("\t")[1]) >= 12 for line in lines)  # random, strong passwords
    assert oct(credentials.stat().st_mode & 0o777) == "0o600"

    second = cli.invoke(app, ["demo", "--no-serve"])
    assert second.exit_code == 0, second.output
    assert "up to date" in second.output
    assert credentials.read_text(encoding="utf-8").splitlines() == lines  # same accounts

    db = Database(empty_db_url)
    with db.reading() as s:
        units = s.execute(text("SELECT count(*) FROM units WHERE level = 'commune'")).scalar()
        users = s.execute(select(func.count()).select_from(text("users"))).scalar()
        kept = s.execute(text(ROLLUPS)).all()
    # the roll-ups kept while the demo wrote equal a recomputation from the observations
    rebuilt = cli.invoke(app, ["indicators", "rebuild-rollups"])
    assert rebuilt.exit_code == 0, rebuilt.output
    with db.reading() as s:
        assert s.execute(text(ROLLUPS)).all() == kept
    db.dispose()
    assert len(kept) > 1000
    assert units == 10_035 + 3_321
    assert users == 5


def test_demo_refuses_production(in_tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIEUHANH_ENVIRONMENT", "production")
    monkeypatch.setenv("DIEUHANH_SECRET_KEY", "p" * 48)
    monkeypatch.setenv("DIEUHANH_DATABASE_URL", f"sqlite:///{in_tmp / 'prod.db'}")
    result = cli.invoke(app, ["demo", "--no-serve"])
    assert result.exit_code == 2
    assert not (in_tmp / "prod.db").exists()


def test_units_load_reports_bad_rows_and_writes_nothing(
    empty_db_url: str, data_copy: Path, in_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wards = data_copy / "admin_units" / "wards_2025.csv"
    rows = wards.read_text(encoding="utf-8").splitlines()
    rows[5] = rows[5].replace(rows[5].split(",")[0], "ABCDE", 1)  # not a 5-digit code
    wards.write_text("\n".join(rows) + "\n", encoding="utf-8")
    monkeypatch.setenv("DIEUHANH_DATABASE_URL", empty_db_url)
    result = cli.invoke(app, ["units", "load", "--data-dir", str(data_copy)])
    assert result.exit_code == 1, result.output
    assert "import_failed" in result.output
    assert "row=6" in result.output
    db = Database(empty_db_url)
    with db.reading() as s:
        assert s.execute(text("SELECT count(*) FROM units")).scalar() == 0
    db.dispose()
