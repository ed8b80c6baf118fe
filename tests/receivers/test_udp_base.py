"""The shared UDP server: bounded queue with drop counting; the rate-limited logger."""

from __future__ import annotations

import asyncio
import logging
import socket
import threading

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from tempo_py.distributor.receivers.errors import DecodeError
from tempo_py.distributor.receivers.errors_metrics import RateLimitedLogger, dropped_count
from tempo_py.distributor.receivers.udp import start_udp_server
from tempo_py.push import PushResult


def _one_span(name: bytes) -> ExportTraceServiceRequest:
    req = ExportTraceServiceRequest()
    sp = req.resource_spans.add().scope_spans.add().spans.add()
    sp.name = name.decode()
    return req


async def test_full_queue_drops_and_counts_and_a_batch_is_one_push() -> None:
    started, release = threading.Event(), threading.Event()
    pushes: list[list[str]] = []

    def decode(data: bytes) -> ExportTraceServiceRequest:
        if data == b"first":
            started.set()
            release.wait(10)  # the decoder thread is busy; the loop must keep receiving
        if data == b"bad":
            raise DecodeError("bad datagram")
        return _one_span(data)

    async def push(tenant: str, request: ExportTraceServiceRequest, protocol: str) -> PushResult:
        pushes.append([sp.name for rs in request.resource_spans for ss in rs.scope_spans for sp in ss.spans])
        return PushResult(accepted_spans=len(pushes[-1]))

    server = await start_udp_server(
        "127.0.0.1", 0, decode, push, tenant="t", protocol="test_udp", queue_size=3
    )
    before_full = dropped_count("test_udp", "queue_full")
    before_bad = dropped_count("test_udp", "decode_error")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.sendto(b"first", ("127.0.0.1", server.port))
        for _ in range(200):
            if started.is_set():
                break
            await asyncio.sleep(0.01)
        for payload in (b"bad", b"1", b"2", b"3", b"4", b"5"):
            s.sendto(payload, ("127.0.0.1", server.port))
        # Poll: the loop keeps running while the decoder thread is stuck.
        for _ in range(200):
            if dropped_count("test_udp", "queue_full") - before_full >= 3:
                break
            await asyncio.sleep(0.01)
    release.set()
    await server.drain()
    await server.close()
    # "first" is being decoded, three wait in the queue, the remaining three are dropped.
    assert dropped_count("test_udp", "queue_full") - before_full == 3
    assert dropped_count("test_udp", "decode_error") - before_bad == 1
    assert pushes == [["first"], ["1", "2"]]  # the queued datagrams went out as one push


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
