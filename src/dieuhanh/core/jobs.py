"""Idempotent background steps run by an in-process scheduler.

A job is a single step that answers "did I find work?" and is safe to run twice (it claims
its work atomically in the database). The embedded default runs them on a daemon thread;
production runs ``dieuhanh worker`` processes with the same steps. Tests call
:meth:`Scheduler.run_once` directly instead of waiting for the clock.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import structlog

log = structlog.get_logger("dieuhanh.jobs")

Step = Callable[[], bool]


@dataclass
class Job:
    name: str
    step: Step
    every_seconds: float
    next_run: float = 0.0
    runs: int = 0
    failures: int = 0
    last_error: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


class Scheduler:
    def __init__(self, *, tick_seconds: float = 1.0) -> None:
        self._jobs: dict[str, Job] = {}
        self._tick = tick_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def add(self, name: str, step: Step, *, every_seconds: float) -> None:
        if name in self._jobs:
            raise ValueError(f"job {name!r} already registered")
        self._jobs[name] = Job(name=name, step=step, every_seconds=every_seconds)

    @property
    def jobs(self) -> dict[str, Job]:
        return dict(self._jobs)

    def run_once(self, name: str) -> bool:
        """Run one step of ``name`` now; returns whether it found work."""
        job = self._jobs[name]
        if not job.lock.acquire(blocking=False):
            return False  # the previous step is still running
        try:
            found = job.step()
            job.last_error = None
            return found
        except Exception as exc:
            job.failures += 1
            job.last_error = repr(exc)
            log.exception("job_failed", job=name)
            return False
        finally:
            job.runs += 1
            job.lock.release()

    def run_due(self, now: float | None = None) -> int:
        """Run every job whose time has come; a job that found work runs again at once."""
        now = time.monotonic() if now is None else now
        ran = 0
        for job in list(self._jobs.values()):
            if job.next_run <= now:
                found = self.run_once(job.name)
                job.next_run = now if found else now + job.every_seconds
                ran += 1
        return ran

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="dieuhanh-jobs", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.run_due()
            self._stop.wait(self._tick)
