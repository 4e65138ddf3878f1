"""The feedback domain's public face: what routes, the CLI, Open311 and other domains call.

Who sees what: anyone may submit and follow a report by its tracking code (the public view:
no identity); staff see the staff view of the reports in their scope — an agency officer
those assigned to their agency, other staff those inside their unit subtree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from dieuhanh.core.db import utcnow
from dieuhanh.core.errors import ProblemError
from dieuhanh.core.http import Page
from dieuhanh.core.i18n import gettext
from dieuhanh.core.periods import Period, PeriodType
from dieuhanh.core.security import Actor, Role, allowed
from dieuhanh.core.workdays import WorkCalendar
from dieuhanh.domains.feedback import (
    answers,
    attachments,
    figures,
    handling,
    stats,
    sweep,
    views,
)
from dieuhanh.domains.feedback.categories import (
    create_category,
    get_category,
    list_categories,
    sync_pack_categories,
    update_category,
)
from dieuhanh.domains.feedback.intake import IntakePolicy, submit, submitted
from dieuhanh.domains.feedback.media import CheckedMedia
from dieuhanh.domains.feedback.models import Category, Report
from dieuhanh.domains.feedback.open311_updates import (  # Open311 servicerequestupdates
    PublicUpdate,
    list_public_updates,
)
from dieuhanh.domains.feedback.rules import delete_rule, list_rules, put_rule
from dieuhanh.domains.feedback.schemas import (
    OPEN_STATUSES,
    AnswerForm,
    DuplicateOut,
    ModerateIn,
    OperatorReportIn,
    PublicReport,
    ReportIn,
    ReportOut,
    Submitted,
    VerdictIn,
)
from dieuhanh.domains.feedback.seed import submit_and_age as demo_submit
from dieuhanh.domains.units import service as units

__all__ = [
    "IntakePolicy",
    "PublicUpdate",
    "ReportFilter",
    "accept_report",
    "answer_report",
    "count_reports",
    "create_category",
    "decide_extension",
    "delete_rule",
    "demo_submit",
    "feedback_stats",
    "find_duplicates",
    "get_category",
    "get_report",
    "give_verdict",
    "list_categories",
    "list_public_reports",
    "list_public_updates",
    "list_reports",
    "list_rules",
    "merge_reports",
    "moderate_report",
    "month_of",
    "original_media",
    "pause_report",
    "public_media",
    "publish_figures",
    "put_rule",
    "recategorise_report",
    "record_report",
    "reject_reasons",
    "reject_report",
    "request_extension",
    "resume_report",
    "submit_report",
    "sweep_deadlines",
    "sync_pack_categories",
    "track_report",
    "transfer_report",
    "update_category",
]

SUBMIT, INTAKE, READ, HANDLE = (
    "feedback.submit",
    "feedback.intake",
    "feedback.read",
    "feedback.handle",
)
CHANGED = "feedback.report_changed"
ReportRows = Select[Report, Category]


def _require(actor: Actor, action: str) -> None:
    if not allowed(actor, action):
        raise ProblemError("forbidden" if actor.is_authenticated else "not_authenticated")


def submit_report(
    *,
    db: Session,
    actor: Actor,
    data: ReportIn,
    policy: IntakePolicy,
    channel: str = "app",
    idempotency_key: str | None = None,
    locale: str = "vi",
    files: Sequence[tuple[CheckedMedia, bytes]] = (),
    media: attachments.Media | None = None,
) -> Submitted:
    """A citizen's report (the app, the API, an Open311 client), with its checked photos
    or video (see ``attachments.check``) stored in the same transaction."""
    _require(actor, SUBMIT)
    report, _category, replayed = submit(
        db=db,
        actor=actor,
        data=data,
        channel=channel,
        policy=policy,
        idempotency_key=idempotency_key,
    )
    if files and not replayed:
        if media is None:
            raise ValueError("files need a media store")
        attachments.attach(db, report, files, media)
    return submitted(
        report, replayed=replayed, names=views._names(db, report), secret=policy.secret
    )


def record_report(
    *,
    db: Session,
    actor: Actor,
    data: OperatorReportIn,
    policy: IntakePolicy,
    idempotency_key: str | None = None,
) -> Submitted:
    """A report an operator records for a caller (hotline 1022, e-mail…), channel kept."""
    _require(actor, INTAKE)
    report, _category, replayed = submit(
        db=db,
        actor=actor,
        data=ReportIn.model_validate(data.model_dump(exclude={"channel", "urgency"})),
        channel=data.channel,
        policy=policy,
        urgency=data.urgency,
        idempotency_key=idempotency_key,
    )
    return submitted(
        report, replayed=replayed, names=views._names(db, report), secret=policy.secret
    )


def _by_code(db: Session, code: str) -> tuple[Report, Category]:
    row = db.execute(
        select(Report, Category)
        .join(Category, Category.id == Report.category_id)
        .where(Report.code == code.strip().upper())
    ).first()
    if row is None:
        raise ProblemError("report_not_found", detail=code)
    return row[0], row[1]


def track_report(*, db: Session, code: str, locale: str = "vi") -> PublicReport:
    """What the citizen's follow page and the public map show of one report."""
    report, category = _by_code(db, code)
    return views.public_view(db, report, category, locale)


def _scoped(statement: ReportRows, actor: Actor) -> ReportRows:
    if actor.role is Role.AGENCY:
        return statement.where(Report.agency_id == (actor.agency_unit_id or -1))
    if actor.scope_unit_id is not None:
        return statement.where(Report.unit_id.in_(units.subtree_ids_select(actor.scope_unit_id)))
    return statement


def get_report(*, db: Session, actor: Actor, code: str, locale: str = "vi") -> ReportOut:
    """The staff view of one report in the actor's scope (``report_not_found`` otherwise:
    whether a report outside one's scope exists is not disclosed)."""
    _require(actor, READ)
    row = db.execute(
        _scoped(
            select(Report, Category)
            .join(Category, Category.id == Report.category_id)
            .where(Report.code == code.strip().upper()),
            actor,
        )
    ).first()
    if row is None:
        raise ProblemError("report_not_found", detail=code)
    return views.staff_view(db, row[0], row[1], locale)


@dataclass(frozen=True)
class ReportFilter:
    """Filters shared by the staff list, the public list and Open311."""

    codes: Sequence[str] = ()
    categories: Sequence[str] = ()
    statuses: Sequence[str] = ()
    unit: str | None = None
    agency: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    overdue: bool | None = None
    channels: Sequence[str] = field(default_factory=tuple)


def _filtered(db: Session, statement: ReportRows, f: ReportFilter) -> ReportRows:
    if f.codes:
        statement = statement.where(Report.code.in_([c.strip().upper() for c in f.codes]))
    if f.categories:
        statement = statement.where(Category.code.in_(list(f.categories)))
    if f.statuses:
        statement = statement.where(Report.status.in_(list(f.statuses)))
    if f.channels:
        statement = statement.where(Report.channel.in_(list(f.channels)))
    if f.unit:
        unit = units.get_unit(db=db, code=f.unit, hierarchy=units.CURRENT)
        statement = statement.where(Report.unit_id.in_(units.subtree_ids_select(unit.id)))
    if f.agency:
        agency = units.get_unit(db=db, code=f.agency, hierarchy=units.CURRENT)
        statement = statement.where(Report.agency_id == agency.id)
    if f.start is not None:
        statement = statement.where(Report.submitted_at >= f.start)
    if f.end is not None:
        statement = statement.where(Report.submitted_at <= f.end)
    if f.overdue is not None:
        statement = statement.where(Report.overdue.is_(f.overdue))
    return statement


def _page(
    db: Session, statement: ReportRows, limit: int, offset: int
) -> tuple[list[tuple[Report, Category]], int]:
    total = db.scalar(select(func.count()).select_from(statement.subquery())) or 0
    rows = db.execute(
        statement.order_by(Report.submitted_at.desc(), Report.id.desc()).limit(limit).offset(offset)
    ).all()
    return [(r[0], r[1]) for r in rows], int(total)


def _base() -> ReportRows:
    return select(Report, Category).join(Category, Category.id == Report.category_id)


def list_reports(
    *,
    db: Session,
    actor: Actor,
    filters: ReportFilter = ReportFilter(),
    limit: int = 50,
    offset: int = 0,
    locale: str = "vi",
) -> Page[ReportOut]:
    """The reports in the actor's scope, newest first."""
    _require(actor, READ)
    rows, total = _page(db, _scoped(_filtered(db, _base(), filters), actor), limit, offset)
    items = [views.staff_view(db, r, c, locale) for r, c in rows]
    return Page(items=items, total=total, limit=limit, offset=offset)


def list_public_reports(
    *,
    db: Session,
    filters: ReportFilter = ReportFilter(),
    limit: int = 50,
    offset: int = 0,
    locale: str = "vi",
) -> Page[PublicReport]:
    """The public list and map: every report, merged ones under the report they joined."""
    statement = _filtered(db, _base(), filters).where(Report.duplicate_of_id.is_(None))
    rows, total = _page(db, statement, limit, offset)
    items = [views.public_view(db, r, c, locale) for r, c in rows]
    return Page(items=items, total=total, limit=limit, offset=offset)


def _handling(db: Session, actor: Actor, calendar: WorkCalendar) -> handling.Handling:
    return handling.Handling(db, actor, calendar)


def _staff(db: Session, report: Report, locale: str) -> ReportOut:
    category = db.get(Category, report.category_id)
    assert category is not None  # foreign key
    return views.staff_view(db, report, category, locale)


def accept_report(
    *, db: Session, actor: Actor, code: str, calendar: WorkCalendar, locale: str = "vi"
) -> ReportOut:
    """The responsible agency takes the report on: the resolve clock starts."""
    return _staff(db, handling.accept(_handling(db, actor, calendar), code), locale)


def pause_report(
    *, db: Session, actor: Actor, code: str, reason: str, calendar: WorkCalendar, locale: str = "vi"
) -> ReportOut:
    """Stop the resolve clock (waiting for an inspection, a third party…), with a reason."""
    return _staff(db, handling.pause(_handling(db, actor, calendar), code, reason), locale)


def resume_report(
    *, db: Session, actor: Actor, code: str, calendar: WorkCalendar, locale: str = "vi"
) -> ReportOut:
    return _staff(db, handling.resume(_handling(db, actor, calendar), code), locale)


def request_extension(
    *,
    db: Session,
    actor: Actor,
    code: str,
    hours: float,
    reason: str,
    calendar: WorkCalendar,
    locale: str = "vi",
) -> ReportOut:
    report = handling.request_extension(_handling(db, actor, calendar), code, hours, reason)
    return _staff(db, report, locale)


def decide_extension(
    *,
    db: Session,
    actor: Actor,
    code: str,
    grant: bool,
    note: str,
    calendar: WorkCalendar,
    locale: str = "vi",
) -> ReportOut:
    report = handling.decide_extension(_handling(db, actor, calendar), code, grant=grant, note=note)
    return _staff(db, report, locale)


def transfer_report(
    *,
    db: Session,
    actor: Actor,
    code: str,
    agency: str,
    reason: str,
    calendar: WorkCalendar,
    locale: str = "vi",
) -> ReportOut:
    report = handling.transfer(_handling(db, actor, calendar), code, agency, reason)
    return _staff(db, report, locale)


def recategorise_report(
    *,
    db: Session,
    actor: Actor,
    code: str,
    category: str,
    reason: str,
    calendar: WorkCalendar,
    locale: str = "vi",
) -> ReportOut:
    report = handling.recategorise(_handling(db, actor, calendar), code, category, reason)
    return _staff(db, report, locale)


def reject_report(
    *,
    db: Session,
    actor: Actor,
    code: str,
    reason: str,
    note: str,
    calendar: WorkCalendar,
    locale: str = "vi",
) -> ReportOut:
    report = handling.reject(_handling(db, actor, calendar), code, reason, note)
    return _staff(db, report, locale)


def answer_report(
    *,
    db: Session,
    actor: Actor,
    code: str,
    data: AnswerForm,
    files: Sequence[tuple[CheckedMedia, bytes]],
    media: attachments.Media,
    calendar: WorkCalendar,
    locale: str = "vi",
) -> ReportOut:
    """Publish the answer if it has every required part and its evidence (else
    ``answer_incomplete`` listing each problem; nothing is published)."""
    form = answers.AnswerIn(parts={str(k): v for k, v in data.parts.items()}, text=data.text)
    report = answers.answer(_handling(db, actor, calendar), code, form, files, media)
    return _staff(db, report, locale)


def give_verdict(
    *, db: Session, code: str, data: VerdictIn, policy: IntakePolicy, locale: str = "vi"
) -> PublicReport:
    """The reporter's "đã xử lý / chưa xử lý" (with the key of their follow link)."""
    report = answers.verdict(
        db,
        code=code,
        key=data.key,
        resolved=data.resolved,
        rating=data.rating,
        comment=data.comment,
        secret=policy.secret,
        calendar=policy.calendar,
    )
    return track_report(db=db, code=report.code, locale=locale)


def find_duplicates(
    *, db: Session, actor: Actor, code: str, calendar: WorkCalendar, locale: str = "vi"
) -> list[DuplicateOut]:
    """Open reports nearby, of the same category, that read alike (best first)."""
    found = answers.duplicates(_handling(db, actor, calendar), code)
    return [
        DuplicateOut(report=_staff(db, other, locale), distance_m=round(metres, 1), similarity=sim)
        for other, metres, sim in found
    ]


def merge_reports(
    *, db: Session, actor: Actor, code: str, into: str, calendar: WorkCalendar, locale: str = "vi"
) -> ReportOut:
    """Fold ``code`` into ``into``: one answer for every reporter."""
    target = answers.merge(_handling(db, actor, calendar), code, into)
    return _staff(db, target, locale)


def public_media(*, db: Session, media: attachments.Media, attachment_id: int) -> tuple[Path, str]:
    return attachments.public_file(db, media, attachment_id)


def original_media(
    *, db: Session, actor: Actor, media: attachments.Media, attachment_id: int
) -> tuple[Path, str]:
    """An original (staff in the report's scope only: it carries camera and place data)."""
    path, media_type, report_id = attachments.private_file(db, media, attachment_id)
    code = db.scalar(select(Report.code).where(Report.id == report_id))
    get_report(db=db, actor=actor, code=code or "")  # raises when out of scope
    return path, media_type


def count_reports(
    *,
    db: Session,
    actor: Actor,
    unit: str,
    statuses: Sequence[str] = (),
    overdue: bool | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> int:
    """How many reports in ``unit``'s subtree (and the actor's scope) match: a dashboard
    counter (``feedback.open``, ``feedback.overdue``, ``feedback.received``)."""
    _require(actor, READ)
    filters = ReportFilter(unit=unit, statuses=statuses, overdue=overdue, start=start, end=end)
    statement = _scoped(_filtered(db, _base(), filters), actor)
    return int(db.scalar(statement.with_only_columns(func.count())) or 0)


def feedback_stats(
    *,
    db: Session,
    actor: Actor,
    calendar: WorkCalendar,
    unit: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> stats.FeedbackStats:
    """Counts, on-time rates, working times and satisfaction of the reports submitted in
    [start, end] inside ``unit`` (default: the actor's scope)."""
    _require(actor, READ)
    filters = ReportFilter(unit=unit, start=start, end=end)
    scoped = _scoped(_filtered(db, _base(), filters), actor)
    return stats.compute(db, scoped.with_only_columns(Report), calendar)


def publish_figures(
    *,
    db: Session,
    actor: Actor,
    province: str,
    calendar: WorkCalendar,
    now: datetime | None = None,
    periods: Sequence[Period] | None = None,
) -> int:
    """Write the month's feedback figures as the pack's FEEDBACK_* indicator values (the
    scheduled job ``feedback.figures``); returns how many values were new or changed."""
    moment = now or utcnow()
    chosen = list(periods) if periods is not None else figures.recent_months(moment, calendar)
    return figures.publish(
        db, actor, province=province, periods=chosen, calendar=calendar, now=moment
    )


def month_of(moment: datetime, calendar: WorkCalendar) -> Period:
    """The month (in the province's time zone) an instant falls in."""
    return Period.containing(PeriodType.MONTH, moment.astimezone(calendar.tz).date())


def sweep_deadlines(*, db: Session, now: datetime | None = None) -> sweep.SweepResult:
    """Reminders and escalations due now (the scheduled job ``feedback.deadlines``)."""
    return sweep.sweep(db, now or utcnow())


def moderate_report(
    *,
    db: Session,
    actor: Actor,
    code: str,
    data: ModerateIn,
    calendar: WorkCalendar,
    locale: str = "vi",
) -> ReportOut:
    """Hide from the public, or rewrite the public text (operators and administrators)."""
    report = handling.moderate(
        _handling(db, actor, calendar),
        code,
        hidden=data.hidden,
        public_text=data.public_description,
        reason=data.reason,
    )
    return _staff(db, report, locale)


def reject_reasons(locale: str = "vi") -> dict[str, str]:
    return {code: gettext(text, locale) for code, text in handling.REJECT_REASONS.items()}


def open_statuses() -> tuple[str, ...]:
    return OPEN_STATUSES
