"""Configuration: environment variables, secret files, refusing unsafe production."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from dieuhanh.core.settings import Settings, SettingsError


def test_reads_prefixed_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIEUHANH_HOME_PROVINCE", "01")
    monkeypatch.setenv("DIEUHANH_DATABASE_URL", "postgresql+psycopg://u@h/db")
    s = Settings()
    assert s.home_province == "01"
    assert not s.is_sqlite


def test_secret_from_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("s" * 40 + "\n")
    monkeypatch.setenv("DIEUHANH_SECRET_KEY_FILE", str(secret))
    assert Settings().secret_key.get_secret_value() == "s" * 40


def test_production_refuses_default_secret() -> None:
    with pytest.raises((SettingsError, ValidationError)):
        Settings(environment="production")
    with pytest.raises((SettingsError, ValidationError)):
        Settings(environment="production", secret_key=SecretStr("short"))
    ok = Settings(environment="production", secret_key=SecretStr("x" * 48))
    assert ok.environment == "production"


def test_rejects_invalid_values() -> None:
    with pytest.raises(ValidationError):
        Settings(session_hours=0)
    with pytest.raises(ValidationError):
        Settings(default_locale="fr")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        Settings(office_hours="17:00-07:30")


def test_province_overrides_reach_the_work_calendar(monkeypatch: pytest.MonkeyPatch) -> None:
    # Đà Nẵng gives a day off on Friday 2026-03-27 and makes Saturday 2026-04-04 a workday.
    monkeypatch.setenv("DIEUHANH_EXTRA_HOLIDAYS", '["2026-03-27"]')
    monkeypatch.setenv("DIEUHANH_EXTRA_WORKDAYS", '["2026-04-04"]')
    calendar = Settings().work_calendar()
    assert not calendar.is_working_day(date(2026, 3, 27))
    assert calendar.is_working_day(date(2026, 4, 4))
    assert calendar.is_working_day(date(2026, 3, 26))
    assert not Settings(extra_workdays=[]).work_calendar().is_working_day(date(2026, 4, 4))
