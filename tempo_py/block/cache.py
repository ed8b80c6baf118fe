"""A small thread-safe LRU cache bounded by total weight (bytes)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class LRUCache(Generic[V]):
    """Least-recently-used cache; ``weigh(value)`` gives each entry's cost against ``capacity``."""

    def __init__(self, capacity: int, weigh: Callable[[V], int] = lambda v: 1) -> None:
        self.capacity = capacity
        self._weigh = weigh
        self._data: OrderedDict[Hashable, tuple[V, int]] = OrderedDict()
        self._total = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> V | None:
        """The cached value, or None."""
        with self._lock:
            hit = self._data.get(key)
            if hit is None:
                return None
            self._data.move_to_end(key)
            return hit[0]

    def put(self, key: Hashable, value: V) -> None:
        """Insert, evicting the least recently used entries past capacity."""
        w = self._weigh(value)
        with self._lock:
            old = self._data.pop(key, None)
            if old is not None:
                self._total -= old[1]
            self._data[key] = (value, w)
            self._total += w
            while self._total > self.capacity and len(self._data) > 1:
                _, (_, ow) = self._data.popitem(last=False)
                self._total -= ow

    def __len__(self) -> int:
        return len(self._data)
