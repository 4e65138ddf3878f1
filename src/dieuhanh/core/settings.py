"""Runtime configuration.

One pydantic-settings class read from ``DIEUHANH_*`` environment variables (and ``*_FILE``
variants for secrets, so that container secrets never land in the environment). Nothing is
built at import time: :func:`dieuhanh.web.app.create_app` receives a ``Settings`` instance.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from dieuhanh.core.workdays import WorkCalendar, parse_office_hours

DEFAULT_SECRET = "dev-only-insecure-secret-change-me"  # noqa: S105 - refused in production


class SettingsError(RuntimeError):
    """Raised when the configuration is unsafe or inconsistent."""


class Settings(BaseSettings):
    """Everything an installation can configure."""

    model_config = SettingsConfigDict(env_prefix="DIEUHANH_", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = "sqlite:///var/dieuhanh.db"
    secret_key: SecretStr = SecretStr(DEFAULT_SECRET)
    home_province: str = Field(default="48", description="GSO code of the home province")
    default_locale: Literal["vi", "en"] = "vi"
    timezone: str = "Asia/Ho_Chi_Minh"
    https: bool = Field(default=False, description="Mark cookies Secure (set behind TLS)")
    session_hours: int = Field(default=12, ge=1, le=24 * 30)
    login_max_failures: int = Field(default=5, ge=1)
    login_lockout_minutes: int = Field(default=15, ge=1)
    office_hours: str = Field(
        default="07:30-11:30,13:30-17:00",
        description="Working hours of a working day, comma separated HH:MM-HH:MM ranges",
    )
    extra_holidays: list[date] = Field(
        default_factory=list,
        description="Province-specific days off (JSON list of ISO dates)",
    )
    extra_workdays: list[date] = Field(
        default_factory=list,
        description="Province-specific make-up working days (JSON list of ISO dates)",
    )
    tile_url: str | None = Field(default=None, description="Optional map tile server URL")
    log_json: bool = False
    jobs_enabled: bool = True
    sqlite_busy_timeout_ms: int = 5000
    chromium_path: str = Field(
        default="/usr/bin/chromium", description="Headless Chromium for PNG/PDF exports"
    )
    # monthly briefing by email (nothing is sent while the recipients list is empty)
    briefing_recipients: list[str] = Field(default_factory=list)
    briefing_day: int = Field(default=5, ge=1, le=28, description="Day of month to send it")
    briefing_hour: int = Field(default=7, ge=0, le=23, description="Local hour to send it")
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    smtp_from: str = "dieuhanh@localhost"

    @model_validator(mode="before")
    @classmethod
    def _read_secret_files(cls, data: object) -> object:
        """Let ``DIEUHANH_SECRET_KEY_FILE`` and friends point at files holding secrets."""
        if not isinstance(data, dict):
            return data
        for field in ("secret_key", "database_url", "smtp_password"):
            path = os.environ.get(f"DIEUHANH_{field.upper()}_FILE")
            if path and field not in data:
                data[field] = Path(path).read_text(encoding="utf-8").strip()
        return data

    @field_validator("office_hours")
    @classmethod
    def _valid_office_hours(cls, value: str) -> str:
        parse_office_hours(value)  # raises ValueError with a clear message
        return value

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if self.environment == "production":
            secret = self.secret_key.get_secret_value()
            if secret == DEFAULT_SECRET or len(secret) < 32:
                raise SettingsError(
                    "DIEUHANH_SECRET_KEY must be set to a random value of 32+ characters "
                    "in production"
                )
        return self

    def work_calendar(self) -> WorkCalendar:
        """The province's working-time calendar: national holidays plus its overrides."""
        return WorkCalendar(
            office_hours=self.office_hours,
            extra_holidays=self.extra_holidays,
            extra_workdays=self.extra_workdays,
            tz=self.timezone,
        )

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
