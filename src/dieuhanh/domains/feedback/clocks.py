"""Deadlines in working time (the province's working-day calendar: weekends, Tết and the
other holidays, office hours). A report has two clocks: one to accept it, counted from its
submission, and one to resolve it, counted from its acceptance; each category sets both per
urgency. A pause stops the resolve clock and a resume restarts it with the working time that
was left, so a report paused over Tết loses none of its time.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from dieuhanh.core.workdays import WorkCalendar
from dieuhanh.domains.feedback.models import Category, Report
from dieuhanh.domains.feedback.schemas import Deadlines


def deadlines_of(category: Category) -> Deadlines:
    return Deadlines.model_validate(category.deadlines)


def _run(
    report: Report, clock: str, due: datetime, calendar: WorkCalendar, category: Category
) -> None:
    """``clock`` now runs until ``due``; the reminder falls the category's working hours
    before it (never before the clock started: then at once)."""
    before = deadlines_of(category).remind_before_hours
    report.clock, report.due_at = clock, due
    report.remind_at = calendar.add_working_hours(due, -before) if before else due
    report.reminded = report.overdue = False


def start_accept_clock(
    report: Report, category: Category, calendar: WorkCalendar, now: datetime
) -> None:
    hours = deadlines_of(category).accept.hours(report.urgency)
    report.accept_due = calendar.add_working_hours(now, hours)
    _run(report, "accept", report.accept_due, calendar, category)


def start_resolve_clock(
    report: Report, category: Category, calendar: WorkCalendar, now: datetime
) -> None:
    hours = deadlines_of(category).resolve.hours(report.urgency)
    report.resolve_due = calendar.add_working_hours(now, hours)
    _run(report, "resolve", report.resolve_due, calendar, category)


def pause(report: Report, now: datetime) -> None:
    report.paused_at = now
    stop(report)


def resume(report: Report, category: Category, calendar: WorkCalendar, now: datetime) -> timedelta:
    """Restart the resolve clock with the working time left when it was paused; returns
    that time (zero when the report was already overdue: it stays overdue)."""
    paused_at = report.paused_at or now
    due = report.resolve_due or now
    left = max(calendar.working_time_between(paused_at, due), timedelta(0))
    report.resolve_due = calendar.add_working_hours(now, left) if left else due
    report.paused_at = None
    _run(report, "resolve", report.resolve_due, calendar, category)
    report.overdue = report.reminded = left == timedelta(0)
    return left


def extend(report: Report, category: Category, calendar: WorkCalendar, hours: float) -> None:
    """Move the running deadline ``hours`` of working time later (an approved extension)."""
    if report.clock == "resolve" and report.resolve_due is not None:
        report.resolve_due = calendar.add_working_hours(report.resolve_due, hours)
        _run(report, "resolve", report.resolve_due, calendar, category)
    elif report.clock == "accept":
        report.accept_due = calendar.add_working_hours(report.accept_due, hours)
        _run(report, "accept", report.accept_due, calendar, category)


def stop(report: Report) -> None:
    report.clock, report.due_at, report.remind_at = "", None, None
