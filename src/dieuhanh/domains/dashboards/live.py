"""Live updates: the bus's events fanned out to open pages as server-sent events, and the
latest ones kept for feed widgets.

Why server-sent events and not WebSockets: the pages only listen, SSE passes proxies as plain
HTTP, and the browser's ``EventSource`` reconnects by itself after a server restart (we send
``retry: 2000``). The bus calls handlers in the publisher's thread right after a commit; the
hub hands each event to every open stream's asyncio queue with ``call_soon_threadsafe``.
One hub per application (``create_app`` makes it); with several web workers on PostgreSQL
the bus is where ``LISTEN/NOTIFY`` plugs in, and the hub needs no change.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections import deque
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

from dieuhanh.core.events import Event, EventBus
from dieuhanh.core.i18n import format_datetime, gettext

KEEP = 200
HEARTBEAT_SECONDS = 15.0
RETRY_MS = 2000
_CLOSE = Event(topic="__close__", payload={})


def matches(patterns: Sequence[str], topic: str) -> bool:
    """The bus's pattern rule: exact, ``*``, or ``prefix.*``."""
    return any(
        p == "*" or p == topic or (p.endswith(".*") and topic.startswith(p[:-1])) for p in patterns
    )


def describe(event: Event, locale: str) -> str:
    """One line for a feed, in the viewer's language."""
    payload = event.payload
    if event.topic == "indicators.observations_written":
        codes = ", ".join(payload.get("indicators", [])[:5])
        if payload.get("source") == "annotation":  # a note on the charts, not values
            return gettext("Chart notes changed: %(codes)s", locale) % {"codes": codes}
        return gettext("%(rows)s values updated: %(codes)s", locale) % {
            "rows": payload.get("rows", 0),
            "codes": codes,
        }
    text = payload.get("text")
    return str(text) if text else event.topic


@dataclass
class _Listener:
    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue[Event]
    patterns: tuple[str, ...]


class LiveHub:
    """Keeps the last events and the open streams of one application."""

    def __init__(self, bus: EventBus, keep: int = KEEP) -> None:
        self._recent: deque[Event] = deque(maxlen=keep)
        self._listeners: list[_Listener] = []
        self._lock = threading.Lock()
        self._unsubscribe = bus.subscribe("*", self._on_event)

    def _on_event(self, event: Event) -> None:
        with self._lock:
            self._recent.append(event)
            listeners = list(self._listeners)
        for listener in listeners:
            if matches(listener.patterns, event.topic):
                listener.loop.call_soon_threadsafe(listener.queue.put_nowait, event)

    def recent(self, *, topics: Sequence[str], limit: int, locale: str) -> list[dict[str, Any]]:
        with self._lock:
            events = [e for e in reversed(self._recent) if matches(topics, e.topic)]
        return [
            {
                "topic": e.topic,
                "at": e.at.isoformat(),
                "at_text": format_datetime(e.at, locale),
                "text": describe(e, locale),
            }
            for e in events[:limit]
        ]

    @property
    def listeners(self) -> int:
        with self._lock:
            return len(self._listeners)

    async def stream(self, patterns: Sequence[str]) -> AsyncIterator[Event | None]:
        """Events matching ``patterns`` as they come; ``None`` every heartbeat interval."""
        listener = _Listener(asyncio.get_running_loop(), asyncio.Queue(), tuple(patterns))
        with self._lock:
            self._listeners.append(listener)
        try:
            while True:
                try:
                    event = await asyncio.wait_for(listener.queue.get(), HEARTBEAT_SECONDS)
                except TimeoutError:
                    yield None
                    continue
                if event is _CLOSE:
                    return
                yield event
        finally:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

    def close(self) -> None:
        """End every open stream (the server is stopping) and leave the bus."""
        self._unsubscribe()
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener.loop.call_soon_threadsafe(listener.queue.put_nowait, _CLOSE)
            except RuntimeError:  # that loop is already closed
                continue


def sse(event: Event | None, number: int) -> str:
    """One server-sent event (or a heartbeat comment)."""
    if event is None:
        return ": ping\n\n"
    data = json.dumps(
        {"topic": event.topic, "at": event.at.isoformat(), **event.payload}, ensure_ascii=False
    )
    return f"id: {number}\nevent: {event.topic}\ndata: {data}\n\n"
