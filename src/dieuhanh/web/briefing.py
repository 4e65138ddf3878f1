"""The monthly briefing as a document: HTML from a template, printed to A4 PDF by headless
Chromium, and its monthly delivery by e-mail.

The data comes from the dashboards service (:func:`build_briefing`); this module only lays
it out, so the CLI (``dieuhanh briefing``), the scheduled job and a test all produce the same
file.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import Environment

from dieuhanh.core.db import Database
from dieuhanh.core.i18n import format_date, gettext
from dieuhanh.core.periods import Period, PeriodType
from dieuhanh.core.settings import Settings
from dieuhanh.domains.auth import service as auth_service
from dieuhanh.domains.dashboards import service as dashboards
from dieuhanh.integrations import chromium, email

WEB_DIR = Path(__file__).resolve().parent
STATIC_DIR = WEB_DIR / "static"
STATUS_COLOURS = {"green": "#2e7d32", "amber": "#ef8a00", "red": "#c62828", "grey": "#8a8f98"}


def render_html(templates: Environment, briefing: dashboards.Briefing) -> str:
    """The briefing page (its charts are drawn by ``static/js/briefing.js``)."""
    locale = briefing.locale
    chart_data = {
        "progress": [
            {
                "name": row.name,
                "percent": round(row.progress * 100, 1),
                "colour": STATUS_COLOURS.get(row.colour, STATUS_COLOURS["grey"]),
            }
            for row in briefing.headline
            if row.progress is not None
        ],
        "movers": [
            {"name": m.name, "percent": round(m.percent, 1)}
            for m in briefing.rising + briefing.falling
        ],
    }
    template = templates.get_template("briefing/monthly.html")
    return template.render(
        b=briefing,
        locale=locale,
        generated=format_date(briefing.generated_at, locale),
        colours=dashboards.counts_by_colour(briefing),
        chart_data=chart_data,
    )


def render_pdf(templates: Environment, briefing: dashboards.Briefing, settings: Settings) -> bytes:
    return chromium.pdf_from_html(
        render_html(templates, briefing), static_dir=STATIC_DIR, executable=settings.chromium_path
    )


def previous_month(now: datetime, timezone: str) -> Period:
    local = now.astimezone(ZoneInfo(timezone)).date()
    return Period.containing(PeriodType.MONTH, local).previous()


def deliver_due(
    database: Database, settings: Settings, templates: Environment, now: datetime
) -> bool:
    """The scheduled step: on ``briefing_day`` from ``briefing_hour`` (local time), send
    last month's briefing of the home province once. Returns whether it sent one."""
    if not settings.briefing_recipients:
        return False
    local = now.astimezone(ZoneInfo(settings.timezone))
    if (local.day, local.hour) < (settings.briefing_day, settings.briefing_hour):
        return False
    period = str(previous_month(now, settings.timezone))
    unit = settings.home_province
    with database.reading() as db:
        if dashboards.delivered(db=db, unit=unit, period=period):
            return False
        briefing = dashboards.build_briefing(
            db=db,
            actor=auth_service.system_actor("briefing"),
            unit=unit,
            period=period,
            calendar=settings.work_calendar(),
            locale=settings.default_locale,
        )
    pdf = render_pdf(templates, briefing, settings)
    subject = gettext("Monthly briefing %(unit)s, %(period)s", briefing.locale) % {
        "unit": briefing.unit_name,
        "period": briefing.period_label,
    }
    password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
    email.send(
        email.SmtpConfig(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.smtp_from,
            user=settings.smtp_user,
            password=password,
            starttls=settings.smtp_starttls,
        ),
        to=settings.briefing_recipients,
        subject=subject,
        body=subject + "\n\n" + gettext("The briefing is attached as a PDF.", briefing.locale),
        attachments=[email.Attachment(f"bao-cao-{unit}-{period}.pdf", pdf)],
    )
    with database.transaction() as db:
        dashboards.record_delivery(
            db=db, unit=unit, period=period, recipients=settings.briefing_recipients, size=len(pdf)
        )
    return True


def as_dict(briefing: dashboards.Briefing) -> dict[str, object]:
    """For ``--json`` output and tests."""
    return asdict(briefing)
