"""The shared UDP server: bounded queue with drop counting; the rate-limited logger."""

from __future__ import annotations

import asyncio
import logging
import socket

import pytest

from tempo_py.distributor.receivers.errors_metrics import RateLimitedLogger, dropped_count
from tempo_py.distributor.receivers.udp import DecodeError, start_udp_server


async def test_full_queue_drops_and_counts_while_loop_stays_free() -> None:
    release = asyncio.Event()
    handled: list[bytes] = []

    async def slow_handler(data: bytes) -> None:
        await release.wait()
        if data == b"bad":
            raise DecodeError("bad datagram")
        handled.append(data)

    server = await start_udp_server("127.0.0.1", 0, slow_handler, protocol="test_udp", queue_size=2)
    before_full = dropped_count("test_udp", "queue_full")
    before_bad = dropped_count("test_udp", "decode_error")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for payload in (b"bad", b"1", b"2", b"3", b"4", b"5"):
            s.sendto(payload, ("127.0.0.1", server.port))
    # Poll: the loop keeps running while the consumer is stuck in its handler.
    for _ in range(200):
        if dropped_count("test_udp", "queue_full") - before_full >= 3:
            break
        await asyncio.sleep(0.01)
    release.set()
    await server.drain()
    await server.close()
    # One datagram is in the consumer, two queued, the remaining three dropped.
    assert dropped_count("test_udp", "queue_full") - before_full == 3
    assert dropped_count("test_udp", "decode_error") - before_bad == 1
    assert handled == [b"1", b"2"]


def test_rate_limited_logger(caplog: pytest.LogCaptureFixture) -> None:
    now = [0.0]
    log = RateLimitedLogger(logging.getLogger("test.ratelimit"), interval_s=10, clock=lambda: now[0])
    with caplog.at_level(logging.WARNING, logger="test.ratelimit"):
        assert log.warning("p", "one")
        assert not log.warning("p", "two")
        assert log.warning("q", "other key")
        now[0] = 10.0
        assert log.warning("p", "three")
    assert [r.getMessage() for r in caplog.records] == [
        "one",
        "other key",
        "three (1 similar messages suppressed)",
    ]
