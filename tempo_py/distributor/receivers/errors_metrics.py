"""Receiver counters and a rate-limited logger shared by the Jaeger, Zipkin and X-Ray receivers.

A receiver facing the open internet sees garbage; logging every bad datagram would let a
misbehaving client flood the log, so problems are counted per protocol and reason and logged at
most once per interval per protocol.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from prometheus_client import Counter

SPANS_RECEIVED = Counter(
    "tempo_receiver_spans_received",
    "Spans decoded by a receiver and handed to the distributor.",
    ["protocol"],
)
PAYLOADS_DROPPED = Counter(
    "tempo_receiver_payloads_dropped",
    "Payloads (datagrams or requests) a receiver could not accept.",
    ["protocol", "reason"],
)

_log = logging.getLogger("tempo_py.receivers")


class RateLimitedLogger:
    """Logs at most one line per ``interval_s`` per key; counts what it suppressed."""

    def __init__(
        self,
        logger: logging.Logger,
        interval_s: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._logger = logger
        self._interval_s = interval_s
        self._clock = clock
        self._next_allowed: dict[str, float] = {}
        self._suppressed: dict[str, int] = {}
        # UDP consumers run on the loop but gRPC handlers may not: keep it thread safe.
        self._lock = threading.Lock()

    def warning(self, key: str, message: str, *args: object) -> bool:
        """Log ``message`` unless ``key`` logged within the interval; returns whether it logged."""
        now = self._clock()
        with self._lock:
            if now < self._next_allowed.get(key, float("-inf")):
                self._suppressed[key] = self._suppressed.get(key, 0) + 1
                return False
            self._next_allowed[key] = now + self._interval_s
            suppressed = self._suppressed.pop(key, 0)
        if suppressed:
            message += " (%d similar messages suppressed)"
            args = (*args, suppressed)
        self._logger.warning(message, *args)
        return True


RATE_LIMITED_LOG = RateLimitedLogger(_log)


def count_received(protocol: str, spans: int) -> None:
    """Count spans decoded by ``protocol`` and handed on."""
    if spans:
        SPANS_RECEIVED.labels(protocol=protocol).inc(spans)


def record_drop(protocol: str, reason: str, detail: str = "") -> None:
    """Count one dropped payload and log it (rate limited per protocol)."""
    PAYLOADS_DROPPED.labels(protocol=protocol, reason=reason).inc()
    RATE_LIMITED_LOG.warning(protocol, "%s receiver dropped a payload (%s): %s", protocol, reason, detail)


def dropped_count(protocol: str, reason: str) -> float:
    """Current value of the drop counter; used by tests and health checks."""
    return PAYLOADS_DROPPED.labels(protocol=protocol, reason=reason)._value.get()  # type: ignore[no-any-return]


def received_count(protocol: str) -> float:
    """Current value of the received-spans counter."""
    return SPANS_RECEIVED.labels(protocol=protocol)._value.get()  # type: ignore[no-any-return]
