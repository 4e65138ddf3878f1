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
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from dieuhanh.core.workdays import WorkCalendar, parse_office_hours

DEFAULT_SECRET = "dev-only-insecure-secret-change-me"  # noqa: S105 - refused in production
DEFAULT_TILE_ATTRIBUTION = "© OpenStreetMap contributors"
DEFAULT_TILE_MAX_ZOOM = 18
TILE_PLACEHOLDERS = ("{z}", "{x}", "{y}")


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
    tile_url: str | None = Field(
        default=None,
        description=(
            "XYZ template of the province's own tile server, e.g. "
            "http://tiles.local/{z}/{x}/{y}.png; unset: maps draw bare outlines (offline)"
        ),
    )
    tile_attribution: str = Field(
        default=DEFAULT_TILE_ATTRIBUTION,
        min_length=1,
        max_length=300,
        description="Credit for the tiles, shown in the map's corner",
    )
    tile_max_zoom: int = Field(
        default=DEFAULT_TILE_MAX_ZOOM, ge=0, le=24, description="Deepest zoom the server has"
    )
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
    public_url: str = Field(
        default="http://127.0.0.1:8000",
        description="The address citizens reach this server at (links in SMS and e-mail)",
    )
    sms_url: str | None = Field(
        default=None, description="The SMS gateway's HTTP endpoint; unset: no SMS is sent"
    )
    sms_token: SecretStr | None = None
    feedback_email: bool = Field(
        default=False, description="E-mail reporters about their reports (through the SMTP relay)"
    )
    media_dir: str = Field(
        default="var/media",
        description="Where report photos and videos are kept (private originals, public copies)",
    )
    feedback_require_identity: bool = Field(
        default=True,
        description="Citizens must give their name and phone with a report (seen by staff only)",
    )

    @model_validator(mode="before")
    @classmethod
    def _read_secret_files(cls, data: object) -> object:
        """Let ``DIEUHANH_SECRET_KEY_FILE`` and friends point at files holding secrets."""
        if not isinstance(data, dict):
            return data
        for field in ("secret_key", "database_url", "smtp_password", "sms_token"):
            path = os.environ.get(f"DIEUHANH_{field.upper()}_FILE")
            if path and field not in data:
                data[field] = Path(path).read_text(encoding="utf-8").strip()
        return data

    @field_validator("office_hours")
    @classmethod
    def _valid_office_hours(cls, value: str) -> str:
        parse_office_hours(value)  # raises ValueError with a clear message
        return value

    @field_validator("tile_url", mode="before")
    @classmethod
    def _valid_tile_url(cls, value: object) -> object:
        """A wrong template would show as grey squares on every map, long after start-up;
        refuse it now instead. Only the path may be templated: the Content-Security-Policy
        allows exactly one tile origin, so a ``{s}`` subdomain cannot be let through."""
        if value is None or (isinstance(value, str) and not value.strip()):
            return None  # DIEUHANH_TILE_URL= (empty) means no tile server
        if not isinstance(value, str):
            return value  # pydantic reports the wrong type
        check_tile_url(value.strip())
        return value.strip()

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


def check_tile_url(url: str) -> None:
    """Raise ``ValueError`` unless ``url`` is an http(s) XYZ template with a fixed origin."""
    example = "e.g. http://tiles.local/{z}/{x}/{y}.png"
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"DIEUHANH_TILE_URL must be an http(s) URL, {example}; got {url!r}")
    if any(c in parts.netloc for c in "{}@") or any(c.isspace() or c in ";,'\"" for c in url):
        raise ValueError(
            "DIEUHANH_TILE_URL must name one fixed server (no {s} subdomains, user names, "
            f"spaces, quotes, commas or semicolons), {example}; got {url!r}"
        )
    try:
        parts.port  # noqa: B018 - raises ValueError on a port out of range
    except ValueError as exc:
        raise ValueError(f"DIEUHANH_TILE_URL has an invalid port: {url!r}") from exc
    missing = [p for p in TILE_PLACEHOLDERS if p not in url]
    if missing:
        raise ValueError(
            f"DIEUHANH_TILE_URL must contain {{z}}, {{x}} and {{y}} (missing "
            f"{', '.join(missing)}), {example}; got {url!r}"
        )


def tile_origin(url: str) -> str:
    """The scheme, host and port of a (checked) tile template: what the CSP must allow."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
