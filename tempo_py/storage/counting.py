"""A wrapper that counts backend requests and bytes, for tests, benchmarks and metrics.

On real object storage the number of requests, not their size, dominates latency (about 10 ms per
GET whatever the size up to a MiB), so tests assert request counts through this wrapper.
"""

from __future__ import annotations

from prometheus_client import Counter

from tempo_py.storage.base import ObjectStore

OPERATIONS = ("get", "get_range", "put", "put_if_absent", "delete", "list")

BACKEND_REQUESTS = Counter(
    "tempo_backend_requests_total",
    "Object store requests made by tempo_py, by operation.",
    ["operation"],
)


class CountingStore:
    """Delegates to ``inner`` and counts each call (successful or not) per operation.

    ``counts`` maps every operation name in :data:`OPERATIONS` to its call count; ``bytes_read``
    and ``bytes_written`` total the payloads. With ``metrics=True`` each call also increments
    ``tempo_backend_requests_total{operation}`` in the default Prometheus registry.
    """

    def __init__(self, inner: ObjectStore, *, metrics: bool = True) -> None:
        self.inner = inner
        self._metrics = metrics
        self.counts: dict[str, int] = dict.fromkeys(OPERATIONS, 0)
        self.bytes_read = 0
        self.bytes_written = 0

    def reset(self) -> None:
        """Zero every count (the Prometheus counter is monotonic and is left alone)."""
        self.counts = dict.fromkeys(OPERATIONS, 0)
        self.bytes_read = 0
        self.bytes_written = 0

    @property
    def total(self) -> int:
        """All calls of every operation."""
        return sum(self.counts.values())

    def _count(self, operation: str) -> None:
        self.counts[operation] += 1
        if self._metrics:
            BACKEND_REQUESTS.labels(operation=operation).inc()

    async def get(self, key: str) -> bytes:
        """Counted :meth:`ObjectStore.get`."""
        self._count("get")
        data = await self.inner.get(key)
        self.bytes_read += len(data)
        return data

    async def get_range(self, key: str, offset: int, length: int) -> bytes:
        """Counted :meth:`ObjectStore.get_range`."""
        self._count("get_range")
        data = await self.inner.get_range(key, offset, length)
        self.bytes_read += len(data)
        return data

    async def put(self, key: str, data: bytes) -> None:
        """Counted :meth:`ObjectStore.put`."""
        self._count("put")
        await self.inner.put(key, data)
        self.bytes_written += len(data)

    async def put_if_absent(self, key: str, data: bytes) -> bool:
        """Counted :meth:`ObjectStore.put_if_absent` (bytes count only when created)."""
        self._count("put_if_absent")
        created = await self.inner.put_if_absent(key, data)
        if created:
            self.bytes_written += len(data)
        return created

    async def delete(self, key: str) -> None:
        """Counted :meth:`ObjectStore.delete`."""
        self._count("delete")
        await self.inner.delete(key)

    async def list(self, prefix: str) -> list[str]:
        """Counted :meth:`ObjectStore.list`."""
        self._count("list")
        return await self.inner.list(prefix)

    async def close(self) -> None:
        """Close the wrapped store."""
        await self.inner.close()
