"""In-process publish/subscribe: the seam where PostgreSQL LISTEN/NOTIFY plugs in later.

Effects that cross domains travel as events (a case goes overdue → an alert) so that domains
never import each other for side effects. Handlers run synchronously after ``publish`` in the
publisher's thread; a failing handler is logged and never breaks the publisher or the other
handlers. Topics are dotted names; a subscription to ``"units.*"`` receives every ``units.``
event.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from dieuhanh.core.db import utcnow

log = structlog.get_logger("dieuhanh.events")


@dataclass(frozen=True)
class Event:
    topic: str
    payload: dict[str, Any]
    at: datetime = field(default_factory=utcnow)


Handler = Callable[[Event], None]


class EventBus:
    def __init__(self) -> None:
        self._handlers: dict[str, list[Handler]] = defaultdict(list)
        self._lock = threading.Lock()

    def subscribe(self, pattern: str, handler: Handler) -> Callable[[], None]:
        """Register ``handler`` for ``pattern``; returns a function that unsubscribes it."""
        with self._lock:
            self._handlers[pattern].append(handler)

        def unsubscribe() -> None:
            with self._lock:
                if handler in self._handlers.get(pattern, []):
                    self._handlers[pattern].remove(handler)

        return unsubscribe

    def _matching(self, topic: str) -> list[Handler]:
        with self._lock:
            found: list[Handler] = []
            for pattern, handlers in self._handlers.items():
                if (
                    pattern == topic
                    or pattern == "*"
                    or (pattern.endswith(".*") and topic.startswith(pattern[:-1]))
                ):
                    found.extend(handlers)
            return found

    def publish(self, topic: str, payload: dict[str, Any] | None = None) -> Event:
        event = Event(topic=topic, payload=dict(payload or {}))
        for handler in self._matching(topic):
            try:
                handler(event)
            except Exception:
                log.exception("event_handler_failed", topic=topic, handler=repr(handler))
        return event


# --- events that wait for the commit ------------------------------------------------------------

_PENDING = "dieuhanh.pending_events"
_COMMITTED = "dieuhanh.committed"


def defer(session: Session, topic: str, payload: dict[str, Any]) -> None:
    """Publish ``topic`` once ``session`` commits (and never if it rolls back).

    Services do not hold the bus; they record what happened on the session, and the bus
    installed by :func:`install_bus` publishes it after the commit, so a subscriber (a live
    dashboard) that reads the database at once sees the new data."""
    session.info.setdefault(_PENDING, []).append((topic, dict(payload)))


def install_bus(factories: Iterable[sessionmaker[Session]], bus: EventBus) -> None:
    """Publish the deferred events of every session of ``factories`` on ``bus``, once the
    outermost transaction has committed (releasing a savepoint is not a commit: the data is
    not visible to others yet)."""

    def after_commit(session: Session) -> None:
        session.info[_COMMITTED] = True

    def after_rollback(session: Session) -> None:
        session.info.pop(_PENDING, None)
        session.info.pop(_COMMITTED, None)

    def after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
        if transaction.parent is not None or not session.info.pop(_COMMITTED, False):
            return
        pending = session.info.pop(_PENDING, [])
        for topic, payload in pending:
            bus.publish(topic, payload)

    for factory in factories:
        sa_event.listen(factory, "after_commit", after_commit)
        sa_event.listen(factory, "after_rollback", after_rollback)
        sa_event.listen(factory, "after_transaction_end", after_transaction_end)
