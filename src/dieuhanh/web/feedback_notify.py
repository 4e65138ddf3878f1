"""Wiring the feedback notifications (``domains/feedback/notify.py``) to the integrations:
the SMS gateway when ``DIEUHANH_SMS_URL`` is set, the SMTP relay when
``DIEUHANH_FEEDBACK_EMAIL`` is on. Runs as the scheduled job ``feedback.notify``."""

from __future__ import annotations

from datetime import datetime

from dieuhanh.core.db import Database
from dieuhanh.core.settings import Settings
from dieuhanh.domains.feedback import notify
from dieuhanh.integrations import email, sms


def outbox_for(settings: Settings) -> notify.Outbox:
    channels: dict[str, notify.Send] = {}
    if settings.sms_url:
        gateway = sms.SmsGateway(
            settings.sms_url,
            settings.sms_token.get_secret_value() if settings.sms_token else None,
        )
        channels["sms"] = lambda to, _subject, text: gateway.send(to, text)
    if settings.feedback_email:
        relay = email.SmtpConfig(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.smtp_from,
            user=settings.smtp_user,
            password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
            starttls=settings.smtp_starttls,
        )
        channels["email"] = lambda to, subject, text: email.send(
            relay, to=[to], subject=subject, body=text
        )
    return notify.Outbox(
        channels=channels,
        public_url=settings.public_url,
        secret=settings.secret_key.get_secret_value(),
    )


def deliver(database: Database, settings: Settings, now: datetime | None = None) -> bool:
    """One run of the job: queue the new steps, send what is pending; whether work was found."""
    outbox = outbox_for(settings)
    if not outbox.channels:
        return False
    _reading, writing = database.session_factories
    return notify.deliver(writing, outbox, now).found
