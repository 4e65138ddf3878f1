"""Computed dashboards kept in memory until the data they show changes, and recomputed
right after a write for the ones people are looking at.

Why: a dashboard is read on every wall rotation, phone and office screen, and written to a
few times a day; recomputing twenty widgets for each view would make the wall wait. An
entry is valid while the indicators' data version (one primary-key read, bumped in every
transaction that writes values, plans or definitions — in any process) is the one it was
computed at, and the dashboard definition's version is the same. So a value written is in
the next view, exactly as without the cache. Feed widgets are never kept: they show the
latest events and are filled in on every view.

**Recomputed on write.** Like the roll-ups, the dashboards being watched are maintained on
write rather than on the next read: after a batch of values is committed, the most recently
viewed entries (at most ``REWARM_ENTRIES``, within ``REWARM_SECONDS``) are recomputed in
the writer's thread, so the wall and the open pages that refetch on the live event find
them ready. The writer pays for it (a few hundred milliseconds per entry) once, instead of
every viewer.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from contextlib import AbstractContextManager
from dataclasses import dataclass

from sqlalchemy.orm import Session

from dieuhanh.domains.dashboards.schemas import DashboardData

CAPACITY = 256
REWARM_ENTRIES = 6
REWARM_SECONDS = 3.0

Recipe = Callable[[Session], DashboardData]


@dataclass
class _Entry:
    version: int
    data: DashboardData
    recipe: Recipe | None


class DashboardCache:
    """A small LRU of computed dashboards, one per application."""

    def __init__(self, capacity: int = CAPACITY) -> None:
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        self._lock = threading.Lock()
        self.capacity = capacity
        self.hits = 0
        self.misses = 0
        self.rewarmed = 0

    def get(self, key: Hashable, version: int) -> DashboardData | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None or found.version != version:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return found.data

    def put(
        self, key: Hashable, version: int, data: DashboardData, recipe: Recipe | None = None
    ) -> None:
        with self._lock:
            self._entries[key] = _Entry(version, data, recipe)
            self._entries.move_to_end(key)
            while len(self._entries) > self.capacity:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def rewarm(
        self,
        session: Callable[[], AbstractContextManager[Session]],
        version_of: Callable[[Session], int],
        *,
        limit: int = REWARM_ENTRIES,
        seconds: float = REWARM_SECONDS,
    ) -> int:
        """Recompute the most recently viewed stale entries; returns how many."""
        with self._lock:
            recent = [(k, e) for k, e in reversed(self._entries.items()) if e.recipe][:limit]
        deadline = time.monotonic() + seconds
        done = 0
        for key, entry in recent:
            if time.monotonic() > deadline:
                break
            with session() as db:
                version = version_of(db)
                if entry.version == version or entry.recipe is None:
                    continue
                data = entry.recipe(db)
            with self._lock:
                if key in self._entries:  # not evicted meanwhile; keep its place in the LRU
                    self._entries[key] = _Entry(version, data, entry.recipe)
            done += 1
        self.rewarmed += done
        return done
