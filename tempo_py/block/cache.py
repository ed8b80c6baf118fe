"""The block layer's caches: a small thread-safe LRU bounded by total weight (bytes), and the
bloom/footer caches every block reader shares."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, Protocol, TypeVar

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


class CacheEntry(Protocol):
    """A value an encoding keeps in :class:`BlockCaches` (a parsed footer, an index...)."""

    @property
    def cache_weight(self) -> int:
        """Bytes the value costs against the cache's capacity."""
        ...


class BlockCaches:
    """Caches shared by every block reader of a process, whatever the blocks' encodings.

    ``blooms`` holds bloom shards by (block ID, shard); ``footers`` holds each block's parsed
    footer (or whatever its encoding reads before anything else) by block ID. Footer values are
    opaque here: each encoding stores and recognises its own type.
    """

    def __init__(self, bloom_bytes: int = 256 * 2**20, footer_bytes: int = 256 * 2**20) -> None:
        self.blooms: LRUCache[bytes] = LRUCache(bloom_bytes, len)
        self.footers: LRUCache[CacheEntry] = LRUCache(footer_bytes, _weight)


def _weight(entry: CacheEntry) -> int:
    return entry.cache_weight
