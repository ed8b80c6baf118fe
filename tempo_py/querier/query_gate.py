"""How many searches run at once, how many wait, and for how long.

``querier.max_concurrent_queries`` searches run at a time in a process; the rest wait in line, at
most ``query_frontend.max_outstanding_per_tenant`` per tenant (beyond that: :class:`QueueFull`,
HTTP 429 "job queue full" as Tempo answers). A search has ``querier.search.query_timeout`` from
arrival: still waiting then, it gets :class:`QueueFull` (429, so clients back off and retry);
already running, it is cancelled at its next step and gets :class:`QueryTimeout`.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import TypeVar

from prometheus_client import Gauge

T = TypeVar("T")

QUEUE_LENGTH = Gauge(
    "tempo_query_frontend_queue_length", "Searches waiting for a free querier slot.", ["user"]
)
RUNNING = Gauge("tempo_querier_queries_running", "Searches running in this querier.")


class QueueFull(Exception):
    """Too many searches of the tenant are waiting, or this one waited until its deadline."""


class QueryTimeout(Exception):
    """The search ran past ``querier.search.query_timeout``."""


class QueryGate:
    """Bounds concurrent searches; queues the excess per tenant with a deadline."""

    def __init__(self, max_concurrent: int, max_waiting_per_tenant: int, timeout_s: float) -> None:
        self.max_concurrent = max_concurrent
        self.max_waiting = max_waiting_per_tenant
        self.timeout_s = timeout_s
        self._slots = asyncio.Semaphore(max_concurrent)
        self._waiting: Counter[str] = Counter()

    async def run(self, tenant: str, search: Callable[[], Awaitable[T]]) -> T:
        """Run ``search()`` when a slot is free, within the deadline."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout_s
        if self._waiting[tenant] >= self.max_waiting:
            raise QueueFull(f"job queue full: {self._waiting[tenant]} searches of this tenant waiting")
        self._waiting[tenant] += 1
        QUEUE_LENGTH.labels(tenant).inc()
        try:
            await asyncio.wait_for(self._slots.acquire(), self.timeout_s)
        except TimeoutError:
            raise QueueFull(
                f"job queue full: no free querier slot within {self.timeout_s:g}s "
                f"({self.max_concurrent} searches running; querier.max_concurrent_queries)"
            ) from None
        finally:
            self._waiting[tenant] -= 1
            if not self._waiting[tenant]:
                del self._waiting[tenant]
            QUEUE_LENGTH.labels(tenant).dec()
        RUNNING.inc()
        try:
            async with asyncio.timeout_at(deadline):
                return await search()
        except TimeoutError:
            if loop.time() < deadline:
                raise  # a timeout of the search's own (storage), not the deadline
            raise QueryTimeout(
                f"search took longer than {self.timeout_s:g}s (querier.search.query_timeout)"
            ) from None
        finally:
            RUNNING.dec()
            self._slots.release()
