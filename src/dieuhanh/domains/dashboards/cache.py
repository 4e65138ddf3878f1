"""Computed dashboards kept in memory until the data they show changes.

Why: a dashboard is read on every wall rotation, phone and office screen, and written to a
few times a day; recomputing twenty widgets for each view would make the wall wait. An
entry is valid while the indicators' data version (one primary-key read, bumped in every
transaction that writes values, plans or definitions — in any process) is the one it was
computed at, and the dashboard definition's version is the same. So a value written is in
the next view, exactly as without the cache. Feed widgets are never kept: they show the
latest events and are filled in on every view.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable

from dieuhanh.domains.dashboards.schemas import DashboardData

CAPACITY = 256


class DashboardCache:
    """A small LRU of computed dashboards, one per application."""

    def __init__(self, capacity: int = CAPACITY) -> None:
        self._entries: OrderedDict[Hashable, tuple[int, DashboardData]] = OrderedDict()
        self._lock = threading.Lock()
        self.capacity = capacity
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable, version: int) -> DashboardData | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None or found[0] != version:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return found[1]

    def put(self, key: Hashable, version: int, data: DashboardData) -> None:
        with self._lock:
            self._entries[key] = (version, data)
            self._entries.move_to_end(key)
            while len(self._entries) > self.capacity:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
