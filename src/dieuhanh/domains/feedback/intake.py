"""Taking in a report, from any channel: checked, placed, routed, its accept clock started,
its tracking code given — in one transaction, so a report is either wholly accepted or not
at all. A repeated submission with the same idempotency key returns the first one (a phone
on a bad connection retries; the citizen must not file the same pothole twice).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dieuhanh.core.db import utcnow
from dieuhanh.core.errors import ProblemError
from dieuhanh.core.events import defer
from dieuhanh.core.security import Actor
from dieuhanh.core.workdays import WorkCalendar
from dieuhanh.domains.feedback import clocks, moderation, routing
from dieuhanh.domains.feedback.answers import follow_key
from dieuhanh.domains.feedback.categories import category_row
from dieuhanh.domains.feedback.models import Category, Report, ReportEvent
from dieuhanh.domains.feedback.schemas import ReportIn, Submitted

# Crockford's base32 without look-alikes (no I, L, O, U): read over the phone without doubt
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
SUBMITTED = "feedback.report_submitted"


@dataclass(frozen=True)
class IntakePolicy:
    """What a province decides about intake (settings)."""

    home_province: str
    calendar: WorkCalendar
    require_identity: bool = True
    secret: str = ""  # the installation's secret key: follow links are signed with it


def new_code(now: datetime) -> str:
    """``PA-2611-7K3M9Q``: year and month of submission, then six random characters."""
    tail = "".join(secrets.choice(ALPHABET) for _ in range(6))
    return f"PA-{now:%y%m}-{tail}"


def _invalid(field: str, message: str) -> dict[str, Any]:
    return {"location": ["body", *field.split(".")], "message": message}


def check_attributes(category: Category, given: dict[str, Any]) -> dict[str, Any]:
    """The answers to the category's extra questions, checked by datatype; an unknown
    question, a missing required answer or a value outside its list is an error."""
    specs = {a["code"]: a for a in category.attributes if a.get("variable", True)}
    errors = []
    out: dict[str, Any] = {}
    for code in given:
        if code not in specs:
            errors.append(_invalid(f"attributes.{code}", "this category has no such question"))
    for code, spec in specs.items():
        value = given.get(code)
        if value in (None, "", []):
            if spec.get("required"):
                errors.append(_invalid(f"attributes.{code}", "an answer is required"))
            continue
        problem, clean = _check_value(spec, value)
        if problem:
            errors.append(_invalid(f"attributes.{code}", problem))
        else:
            out[code] = clean
    if errors:
        raise ProblemError("validation_error", errors=errors)
    return out


def _check_value(spec: dict[str, Any], value: Any) -> tuple[str | None, Any]:
    kind = spec["datatype"]
    keys = [v["key"] for v in spec.get("values", [])]
    if kind in ("string", "text"):
        limit = 255 if kind == "string" else 5000
        if not isinstance(value, str) or len(value) > limit:
            return f"expected text of at most {limit} characters", None
        return None, value.strip()
    if kind == "number":
        try:
            number = float(value)
        except (TypeError, ValueError):
            return "expected a number", None
        return None, number
    if kind == "datetime":
        try:
            return None, datetime.fromisoformat(str(value)).isoformat()
        except ValueError:
            return "expected an ISO 8601 date and time", None
    if kind == "singlevaluelist":
        return (None, value) if value in keys else (f"expected one of {', '.join(keys)}", None)
    items = value if isinstance(value, list) else [value]
    if not items or any(item not in keys for item in items):
        return f"expected some of {', '.join(keys)}", None
    return None, sorted(set(items))


def _replayed(db: Session, key: str | None) -> Report | None:
    if key is None:
        return None
    return db.scalar(select(Report).where(Report.idempotency_key == key))


def submit(
    *,
    db: Session,
    actor: Actor,
    data: ReportIn,
    channel: str,
    policy: IntakePolicy,
    urgency: str = "normal",
    idempotency_key: str | None = None,
    now: datetime | None = None,
) -> tuple[Report, Category, bool]:
    """Store a new report (see the module notes); returns it, its category and whether it
    was a replay of an earlier submission with the same key."""
    key = f"{actor.label}:{idempotency_key}" if idempotency_key else None
    earlier = _replayed(db, key)
    if earlier is not None:
        category = db.get(Category, earlier.category_id)
        assert category is not None  # a report always has its category (foreign key)
        return earlier, category, True
    category = category_row(db, data.category)
    attributes = check_attributes(category, data.attributes)
    reporter = data.reporter
    if policy.require_identity and channel in ("app", "open311"):
        missing = [
            _invalid(f"reporter.{name}", "required")
            for name in ("name", "phone")
            if not getattr(reporter, name)
        ]
        if missing:
            raise ProblemError("reporter_required", errors=missing)
    placed = routing.place(
        db,
        latitude=data.latitude,
        longitude=data.longitude,
        address=data.address,
        unit_code=data.unit,
        home_province=policy.home_province,
    )
    agency = routing.agency_for(db, category, placed.unit)
    moment = now or utcnow()
    report = Report(
        code=new_code(moment),
        category_id=category.id,
        title=data.title.strip(),
        description=data.description,
        attributes=attributes,
        latitude=data.latitude,
        longitude=data.longitude,
        address=data.address.strip(),
        unit_id=placed.unit.id,
        located_by=placed.located_by,
        agency_id=agency.id if agency else None,
        channel=channel,
        urgency=urgency,
        status="new",
        reporter_name=reporter.name,
        reporter_phone=reporter.phone,
        reporter_email=reporter.email,
        reporter_user_id=actor.id if actor.kind == "user" else None,
        recorded_by=actor.label if actor.is_authenticated else "",
        submitted_at=moment,
        idempotency_key=key,
        reporters=1,
        version=1,
    )
    public = moderation.clean(data.description)
    report.public_description = public.text
    report.title = moderation.clean(report.title).text
    clocks.start_accept_clock(report, category, policy.calendar, moment)
    while db.scalar(select(Report.id).where(Report.code == report.code)) is not None:
        report.code = new_code(moment)  # one chance in a billion a month: draw again
    db.add(report)
    db.flush()
    db.add(
        ReportEvent(
            report_id=report.id,
            at=moment,
            kind="submitted",
            status="new",
            actor=report.recorded_by or "citizen",
            public=True,
            message="",
            detail={"channel": channel},
        )
    )
    if public.flagged:
        db.add(
            ReportEvent(
                report_id=report.id,
                at=moment,
                kind="flagged",
                status="new",
                actor="system",
                public=False,
                message="",
                detail={"personal": public.masked_personal, "abusive": public.masked_abusive},
            )
        )
    db.flush()
    defer(
        db,
        SUBMITTED,
        {"code": report.code, "category": category.code, "unit_id": report.unit_id},
    )
    return report, category, False


def submitted(
    report: Report, *, replayed: bool, names: dict[str, str | None], secret: str
) -> Submitted:
    key = follow_key(secret, report.code)
    return Submitted(
        code=report.code,
        status=report.status,
        follow_url=f"/phan-anh/{report.code}?key={key}",
        follow_key=key,
        accept_due=report.accept_due,
        agency_name=names.get("agency_name"),
        unit_name=names.get("unit_name"),
        replayed=replayed,
    )
