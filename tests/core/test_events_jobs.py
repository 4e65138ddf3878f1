"""The in-process event bus and the job scheduler."""

from __future__ import annotations

from dieuhanh.core.events import Event, EventBus
from dieuhanh.core.jobs import Scheduler


def test_publish_reaches_exact_and_wildcard_subscribers() -> None:
    bus = EventBus()
    got: list[tuple[str, str]] = []
    bus.subscribe("units.changed", lambda e: got.append(("exact", e.topic)))
    bus.subscribe("units.*", lambda e: got.append(("prefix", e.topic)))
    bus.subscribe("cases.*", lambda e: got.append(("other", e.topic)))
    event = bus.publish("units.changed", {"code": "48"})
    assert isinstance(event, Event)
    assert event.payload == {"code": "48"}
    assert sorted(got) == [("exact", "units.changed"), ("prefix", "units.changed")]


def test_failing_handler_does_not_break_the_others() -> None:
    bus = EventBus()
    seen: list[str] = []

    def broken(_e: Event) -> None:
        raise RuntimeError("boom")

    bus.subscribe("x", broken)
    bus.subscribe("x", lambda e: seen.append(e.topic))
    bus.publish("x")
    assert seen == ["x"]


def test_unsubscribe() -> None:
    bus = EventBus()
    seen: list[str] = []
    off = bus.subscribe("x", lambda e: seen.append(e.topic))
    off()
    bus.publish("x")
    assert seen == []


def test_scheduler_runs_due_jobs_and_reruns_when_work_was_found() -> None:
    sched = Scheduler()
    queue = [1, 2, 3]

    def drain() -> bool:
        if not queue:
            return False
        queue.pop()
        return True

    sched.add("drain", drain, every_seconds=60)
    assert sched.run_due(now=0) == 1
    assert sched.jobs["drain"].next_run == 0  # found work: run again at once
    sched.run_due(now=0)
    sched.run_due(now=0)
    sched.run_due(now=0)
    assert queue == []
    assert sched.jobs["drain"].next_run == 60  # idle: wait for the interval
    assert sched.run_due(now=30) == 0


def test_failing_job_is_recorded_not_raised() -> None:
    sched = Scheduler()

    def bad() -> bool:
        raise ValueError("nope")

    sched.add("bad", bad, every_seconds=1)
    assert sched.run_once("bad") is False
    assert sched.jobs["bad"].failures == 1
    assert "nope" in (sched.jobs["bad"].last_error or "")


def test_scheduler_thread_starts_and_stops() -> None:
    sched = Scheduler(tick_seconds=0.01)
    ran: list[int] = []
    sched.add("tick", lambda: bool(ran.append(1)), every_seconds=0.01)
    sched.start()
    import time

    deadline = time.monotonic() + 5
    while not ran and time.monotonic() < deadline:
        time.sleep(0.01)
    sched.stop()
    assert ran


def test_app_registers_housekeeping_jobs(app) -> None:  # type: ignore[no-untyped-def]
    scheduler = app.state.scheduler
    assert "auth.purge_expired" in scheduler.jobs
    assert scheduler.run_once("auth.purge_expired") is False  # nothing expired in a fresh DB
    assert scheduler.jobs["auth.purge_expired"].last_error is None
    # the monthly briefing job sends nothing while no recipient is configured
    assert scheduler.run_once("dashboards.briefing") is False
    assert scheduler.jobs["dashboards.briefing"].last_error is None


def test_deferred_events_are_published_after_commit_only(database) -> None:  # type: ignore[no-untyped-def]
    """A service records an event on its session; subscribers hear it once the data is
    committed, and never when the transaction rolls back (both databases)."""
    from sqlalchemy import text

    from dieuhanh.core.events import defer, install_bus

    bus = EventBus()
    heard: list[Event] = []
    bus.subscribe("test.*", heard.append)
    install_bus(database.session_factories, bus)
    with database.transaction() as s:
        s.execute(text("SELECT 1"))
        defer(s, "test.saved", {"n": 1})
        assert heard == []  # not before the commit
    assert [(e.topic, e.payload) for e in heard] == [("test.saved", {"n": 1})]
    try:
        with database.transaction() as s:
            defer(s, "test.lost", {"n": 2})
            raise RuntimeError("the write fails")
    except RuntimeError:
        pass
    with database.transaction() as s:
        s.execute(text("SELECT 1"))  # a later commit does not replay the rolled-back event
    assert [e.topic for e in heard] == ["test.saved"]
    # a savepoint released is not a commit: the event waits for the outer one
    with database.transaction() as s:
        with s.begin_nested():
            s.execute(text("SELECT 1"))
            defer(s, "test.nested", {})
        assert [e.topic for e in heard] == ["test.saved"]
    assert [e.topic for e in heard] == ["test.saved", "test.nested"]
