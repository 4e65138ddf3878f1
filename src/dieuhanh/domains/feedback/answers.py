"""Answers with evidence, the citizen's verdict, and duplicates.

**An answer is checked before it is published** (iHanoi's lesson: a third of citizens were
unsatisfied because answers were vague and unproven). It must state every part its category
requires (what was done, when, on what legal basis or for what reason) and, where the
category asks for it, carry an "after" photo taken after the report and within the set
distance of it (its EXIF date and place; a photo without them proves nothing). A refused
answer lists every missing part and every photo problem at once and publishes nothing.

**The verdict belongs to the reporter**: the follow link given at submission carries a key
(an HMAC of the tracking code with the installation's secret, so a retried submission gets
the same link back); "đã xử lý" closes the report with a rating, "chưa xử lý" reopens it with
a fresh resolve clock and tells the agency through the event bus.

**Duplicates**: a report near another open one (250 m by default) of the same category,
with words in common, within 30 days, is suggested; merging folds it into the older one,
whose reporter count grows ("N người phản ánh"), and every merged reporter follows the
single answer.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dieuhanh.core.db import utcnow
from dieuhanh.core.errors import ProblemError
from dieuhanh.core.events import defer
from dieuhanh.core.text import fold
from dieuhanh.core.workdays import WorkCalendar
from dieuhanh.domains.feedback import attachments, clocks
from dieuhanh.domains.feedback.handling import CHANGED, Handling, record, scoped_report
from dieuhanh.domains.feedback.media import CheckedMedia, after_photo_problems, distance_m
from dieuhanh.domains.feedback.models import Category, Report, ReportEvent
from dieuhanh.domains.feedback.schemas import OPEN_STATUSES

DUPLICATE_RADIUS_M = 250.0
DUPLICATE_WINDOW = timedelta(days=30)
DUPLICATE_MIN_SHARED = 0.25  # share of the shorter text's words found in the other
REOPENED = "feedback.report_reopened"


def follow_key(secret: str, code: str) -> str:
    """The reporter's key for ``code`` (see the module notes)."""
    digest = hmac.new(secret.encode(), f"follow:{code}".encode(), hashlib.sha256)
    return digest.hexdigest()[:24]


def _error(location: list[str | int], message: str) -> dict[str, Any]:
    return {"location": location, "message": message}


@dataclass(frozen=True)
class AnswerIn:
    parts: dict[str, str]
    text: str


def _part_errors(category: Category, report: Report, answer: AnswerIn) -> list[dict[str, Any]]:
    errors = []
    for part in category.answer_parts:
        value = answer.parts.get(part, "").strip()
        if len(value) < (1 if part == "done_on" else 10):
            errors.append(_error(["body", "parts", part], "required: state it in full"))
    done_on = answer.parts.get("done_on", "").strip()
    if done_on:
        try:
            day = date.fromisoformat(done_on)
        except ValueError:
            errors.append(_error(["body", "parts", "done_on"], "a date, YYYY-MM-DD"))
        else:
            if day > utcnow().date() + timedelta(days=1) or day < report.submitted_at.date():
                errors.append(_error(["body", "parts", "done_on"], "between the report and today"))
    if len(answer.text.strip()) < 20:
        errors.append(_error(["body", "text"], "write the answer to the citizen (20+ characters)"))
    return errors


def _photo_errors(
    category: Category, report: Report, photos: Sequence[CheckedMedia]
) -> list[dict[str, Any]]:
    if not category.after_photo:
        return []
    if not photos:
        return [_error(["files"], "after_photo_required")]
    found = [
        after_photo_problems(
            photo,
            report_at=report.submitted_at,
            report_lat=report.latitude,
            report_lon=report.longitude,
            max_distance_m=category.after_photo_distance_m,
        )
        for photo in photos
    ]
    if any(not problems for problems in found):
        return []  # one photo that proves it is enough
    return [
        _error(["files", n], problem) for n, problems in enumerate(found) for problem in problems
    ]


def answer(
    h: Handling,
    code: str,
    data: AnswerIn,
    files: Sequence[tuple[CheckedMedia, bytes]],
    media: attachments.Media,
) -> Report:
    """Publish the answer (see the module notes) and stop the clock."""
    report, category = scoped_report(h, code)
    if report.status not in ("accepted", "paused"):
        raise ProblemError("invalid_transition", detail=f"{report.code} is {report.status}")
    errors = _part_errors(category, report, data) + _photo_errors(
        category, report, [checked for checked, _data in files]
    )
    if errors:  # the whole request rolls back: nothing of the attempt is kept
        raise ProblemError("answer_incomplete", errors=errors)
    attachments.attach(h.db, report, files, media, role="answer")
    now = utcnow()
    parts = {k: v.strip() for k, v in data.parts.items() if v.strip()}
    report.answer = {"parts": parts, "text": data.text.strip(), "by": h.actor.label}
    report.status, report.answered_at, report.paused_at = "answered", now, None
    clocks.stop(report)
    record(h, report, "answered", public=True, message=data.text.strip())
    for merged in _merged_into(h.db, report):
        defer(h.db, CHANGED, {"code": merged.code, "kind": "answered", "status": "merged"})
    return report


def _merged_into(db: Session, report: Report) -> list[Report]:
    return list(db.scalars(select(Report).where(Report.duplicate_of_id == report.id)))


def verdict(
    db: Session,
    *,
    code: str,
    key: str,
    resolved: bool,
    rating: int | None,
    comment: str,
    secret: str,
    calendar: WorkCalendar,
) -> Report:
    """The reporter's one tap: resolved (with a 1–5 rating) or not (the report reopens)."""
    report = db.scalar(select(Report).where(Report.code == code.strip().upper()))
    if report is None or not hmac.compare_digest(follow_key(secret, report.code), key):
        raise ProblemError("report_not_found", detail=code)
    if report.status != "answered":
        raise ProblemError("invalid_transition", detail=f"{report.code} is {report.status}")
    category = db.get(Category, report.category_id)
    assert category is not None  # foreign key
    now = utcnow()
    report.satisfaction = rating
    kind = "closed" if resolved else "reopened"
    if resolved:
        report.status, report.closed_at, report.verdict = "closed", now, "resolved"
    else:
        report.status, report.verdict = "accepted", "unresolved"
        clocks.start_resolve_clock(report, category, calendar, now)
    db.add(
        ReportEvent(
            report_id=report.id,
            at=now,
            kind=kind,
            status=report.status,
            actor="citizen",
            public=True,
            message=comment.strip()[:2000],
            detail={"rating": rating},
        )
    )
    report.version += 1
    db.flush()
    defer(db, CHANGED, {"code": report.code, "kind": kind, "status": report.status})
    if not resolved:
        defer(db, REOPENED, {"code": report.code, "agency_id": report.agency_id})
    return report


def _words(text: str) -> set[str]:
    return {w for w in fold(text).split() if len(w) > 1}


def similar_text(a: str, b: str) -> float:
    """Share of the shorter text's words (diacritics folded) found in the other."""
    wa, wb = _words(a), _words(b)
    if not wa or not wb:
        return 0.0
    return len(wa & wb) / min(len(wa), len(wb))


def duplicates(h: Handling, code: str, *, limit: int = 10) -> list[tuple[Report, float, float]]:
    """Open reports that look like the same problem: (report, metres, text similarity)."""
    report, _category = scoped_report(h, code)
    if report.latitude is None or report.longitude is None:
        return []
    # a bounding box first (≈ 250 m is 0.0023° of latitude), then the exact distance
    pad = DUPLICATE_RADIUS_M / 111_000 * 1.5
    candidates = h.db.scalars(
        select(Report).where(
            Report.id != report.id,
            Report.category_id == report.category_id,
            Report.status.in_(OPEN_STATUSES),
            Report.duplicate_of_id.is_(None),
            Report.submitted_at >= report.submitted_at - DUPLICATE_WINDOW,
            Report.latitude.between(report.latitude - pad, report.latitude + pad),
            Report.longitude.between(report.longitude - pad, report.longitude + pad),
        )
    )
    found = []
    for other in candidates:
        if other.latitude is None or other.longitude is None:
            continue  # the box above leaves none, but the columns may be empty
        metres = distance_m(report.latitude, report.longitude, other.latitude, other.longitude)
        similarity = similar_text(report.description, other.description)
        if metres <= DUPLICATE_RADIUS_M and similarity >= DUPLICATE_MIN_SHARED:
            found.append((other, metres, similarity))
    found.sort(key=lambda item: (item[1], -item[2]))
    return found[:limit]


def merge(h: Handling, code: str, into: str) -> Report:
    """Fold ``code`` into ``into`` (both open); the kept report counts its reporters."""
    report, _category = scoped_report(h, code)
    target, _target_category = scoped_report(h, into)
    if report.id == target.id or target.duplicate_of_id is not None:
        raise ProblemError("invalid_transition", detail="merge into another, unmerged report")
    for one in (report, target):
        if one.status not in OPEN_STATUSES:
            raise ProblemError("invalid_transition", detail=f"{one.code} is {one.status}")
    moved = [report, *_merged_into(h.db, report)]
    for one in moved:
        one.duplicate_of_id = target.id
    target.reporters += report.reporters
    report.status = "merged"
    clocks.stop(report)
    record(h, report, "merged", public=True, detail={"into": target.code})
    record(h, target, "note", public=False, detail={"merged": report.code})
    return target


def master_of(db: Session, report: Report) -> Report | None:
    if report.duplicate_of_id is None:
        return None
    return db.get(Report, report.duplicate_of_id)
