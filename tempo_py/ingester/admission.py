"""Admission of pushes against the ingester's memory bound: a push that does not fit waits for room.

Refusing at once with a fixed Retry-After left the pipeline idle: every 429 parked a client
connection for seconds while a flush had long since freed memory (bench.ingest at 3M spans: 184
refusals, most of the run's connection time spent sleeping). Instead a push that does not fit waits,
first come first served, for conversions and flushes to release memory, and proceeds the moment its
bytes fit. It is refused (429) only when memory is truly at its bound for longer than a client should
wait: the bytes already waiting exceed ``max_waiting_bytes``, or the wait the measured drain rate
predicts exceeds ``max_wait_s``, or it waited that long. Retry-After is then the time the drain rate
needs to make room, so clients come back when there is some.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import math
import time
from collections.abc import Callable

from tempo_py.push import Overloaded

# Clients time out after ~10 s (OTel exporters' default), so a wait must end well before that.
MAX_WAIT_S = 5.0
# The drain rate is measured over this window: long enough to span a flush, short enough to follow
# a change of load.
DRAIN_WINDOW_S = 10.0
RETRY_AFTER_MIN_S = 1.0  # HTTP's Retry-After is whole seconds
RETRY_AFTER_MAX_S = 30.0


class Admission:
    """Grants ``cost`` bytes of memory to pushes under ``limit``; see the module docstring.

    ``used`` reports the bytes held now. A grant is reserved here until the caller accounts for it in
    ``used`` and calls :meth:`taken`, so waiters woken together never overshoot the limit.
    """

    def __init__(
        self,
        name: str,
        limit: int,
        used: Callable[[], int],
        *,
        max_waiting_bytes: int | None = None,
        max_wait_s: float = MAX_WAIT_S,
    ) -> None:
        self.name = name
        self.limit = limit
        self.used = used
        self.max_waiting_bytes = limit // 8 if max_waiting_bytes is None else max_waiting_bytes
        self.max_wait_s = max_wait_s
        self.reserved = 0
        self.waiting_bytes = 0
        self._waiters: collections.deque[tuple[int, asyncio.Future[None]]] = collections.deque()
        self._released: collections.deque[tuple[float, int]] = collections.deque()

    def _fits(self, cost: int) -> bool:
        return self.used() + self.reserved + cost <= self.limit

    def drain_rate(self) -> float:
        """Bytes released per second over the last ``DRAIN_WINDOW_S`` (0 if none)."""
        now = time.monotonic()
        while self._released and now - self._released[0][0] > DRAIN_WINDOW_S:
            self._released.popleft()
        if not self._released:
            return 0.0
        span = max(now - self._released[0][0], 1.0)
        return sum(n for _, n in self._released) / span

    def expected_wait_s(self, cost: int) -> float:
        """Seconds until ``cost`` more bytes fit behind those already waiting, at the drain rate."""
        excess = self.used() + self.reserved + self.waiting_bytes + cost - self.limit
        if excess <= 0:
            return 0.0
        rate = self.drain_rate()
        return math.inf if rate <= 0 else excess / rate

    def _refuse(self, cost: int, why: str) -> Overloaded:
        wait = self.expected_wait_s(cost)
        retry = min(max(wait, RETRY_AFTER_MIN_S), RETRY_AFTER_MAX_S)  # inf (no drain yet) -> the max
        return Overloaded(
            f"ingester {self.name}: live data at max_live_bytes ({self.limit} bytes), {why}; retry later",
            retry_after_s=retry,
        )

    async def admit(self, cost: int) -> None:
        """Return once ``cost`` bytes are reserved; raise Overloaded when they will not be soon."""
        if cost > self.limit:
            raise self._refuse(cost, f"a request of {cost} bytes can never fit")
        if not self._waiters and self._fits(cost):
            self.reserved += cost
            return
        if self.waiting_bytes + cost > self.max_waiting_bytes:
            raise self._refuse(cost, f"{self.waiting_bytes} bytes already waiting")
        if self.expected_wait_s(cost) > self.max_wait_s and self.drain_rate() > 0:
            raise self._refuse(cost, "flushes cannot make room within the wait limit")
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (cost, fut)
        self._waiters.append(entry)
        self.waiting_bytes += cost
        try:
            await asyncio.wait_for(asyncio.shield(fut), self.max_wait_s)
        except TimeoutError:
            if fut.done():  # granted in the same loop turn as the timeout: keep the grant
                return
            with contextlib.suppress(ValueError):
                self._waiters.remove(entry)
            self.waiting_bytes -= cost
            raise self._refuse(cost, f"waited {self.max_wait_s:.0f}s") from None
        except asyncio.CancelledError:
            if fut.done():
                self.reserved -= cost  # granted, but the push is gone: give the bytes back
                self._wake()
            else:
                with contextlib.suppress(ValueError):
                    self._waiters.remove(entry)
                self.waiting_bytes -= cost
            raise

    def taken(self, cost: int) -> None:
        """The caller now counts ``cost`` granted bytes in ``used``: drop the reservation."""
        self.reserved -= cost

    def released(self, nbytes: int) -> None:
        """``nbytes`` left memory (a flush, or a conversion smaller than reserved): wake waiters."""
        if nbytes > 0:
            self._released.append((time.monotonic(), nbytes))
        self._wake()

    def _wake(self) -> None:
        while self._waiters and self._fits(self._waiters[0][0]):
            cost, fut = self._waiters.popleft()
            self.waiting_bytes -= cost
            self.reserved += cost
            fut.set_result(None)
