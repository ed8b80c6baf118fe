"""The forwarder against the distributor's real OTLP gRPC receiver: retries, RetryInfo, drops."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from tempo_py.agent.forward import Forwarder
from tempo_py.agent.metrics import REJECTED_SPANS
from tempo_py.agent.queue import DiskQueue
from tempo_py.config.agent import ForwardConfig
from tempo_py.distributor.receivers.otlp.grpc_server import start_otlp_grpc
from tempo_py.push import InvalidSpans, Overloaded, PushResult, Unavailable
from tempo_py.tenant import SINGLE_TENANT, tenant_resolver
from tests.agent.spans import request
from tests.support.server import free_port


def settings(port: int) -> ForwardConfig:
    return ForwardConfig(
        endpoint=f"127.0.0.1:{port}",
        timeout=5,
        batch_max_spans=100,
        batch_max_bytes=1 << 20,
        batch_timeout=0.05,
        retry_initial_interval=0.05,
        retry_max_interval=10,
    )


async def run_until(cond: asyncio.Event, queue: DiskQueue, fwd: Forwarder, timeout: float) -> None:
    task = asyncio.create_task(fwd.run())
    try:
        await asyncio.wait_for(cond.wait(), timeout)
    finally:
        fwd.stop()
        await task
        await fwd.close()
        await queue.close()


async def test_overloaded_replies_are_retried_after_the_servers_retry_after(tmp_path: Path) -> None:
    calls: list[tuple[float, str, int]] = []
    done = asyncio.Event()

    async def push(tenant: str, req: ExportTraceServiceRequest, protocol: str) -> PushResult:
        n = sum(len(ss.spans) for rs in req.resource_spans for ss in rs.scope_spans)
        calls.append((time.monotonic(), tenant, n))
        if len(calls) == 1:
            raise Overloaded("busy", retry_after_s=2.0)  # RESOURCE_EXHAUSTED + RetryInfo(2 s)
        if len(calls) == 2:
            raise Unavailable("starting", retry_after_s=1.0)  # UNAVAILABLE + RetryInfo(1 s)
        done.set()
        return PushResult(accepted_spans=n)

    port = free_port()
    server = await start_otlp_grpc(
        "127.0.0.1", port, push, tenant_resolver(True, default=SINGLE_TENANT), 1 << 22
    )
    q = DiskQueue(tmp_path, 1 << 24, 1 << 20)
    q.open()
    for n in range(3):
        await q.append("team-a", request(n, spans=2).SerializeToString(), 2)
    fwd = Forwarder(q, settings(port))
    try:
        await run_until(done, q, fwd, 20)
    finally:
        await server.stop(0)
    assert [c[1:] for c in calls] == [("team-a", 6)] * 3  # one merged request, the tenant passed on
    assert calls[1][0] - calls[0][0] >= 1.9  # not the 50 ms initial backoff: the server's 2 s
    assert calls[2][0] - calls[1][0] >= 0.9
    assert q.pending_records_bytes == 0


async def test_an_unreachable_distributor_is_retried_and_bad_requests_dropped(tmp_path: Path) -> None:
    port = free_port()
    q = DiskQueue(tmp_path, 1 << 24, 1 << 20)
    q.open()
    await q.append("t", request(1).SerializeToString(), 1)
    await q.append("u", request(2).SerializeToString(), 1)
    seen: list[str] = []
    done = asyncio.Event()

    async def push(tenant: str, req: ExportTraceServiceRequest, protocol: str) -> PushResult:
        seen.append(tenant)
        if tenant == "t":
            raise InvalidSpans("bad")  # INVALID_ARGUMENT: never retried
        done.set()
        return PushResult(accepted_spans=1)

    fwd = Forwarder(q, settings(port))
    task = asyncio.create_task(fwd.run())
    await asyncio.sleep(1.0)  # nobody listens: UNAVAILABLE, retried with backoff
    assert seen == [] and q.pending_records_bytes > 0
    before = REJECTED_SPANS.labels("INVALID_ARGUMENT")._value.get()
    server = await start_otlp_grpc("127.0.0.1", port, push, tenant_resolver(True), 1 << 22)
    try:
        await asyncio.wait_for(done.wait(), 20)
    finally:
        fwd.stop()
        await task
        await fwd.close()
        await q.close()
        await server.stop(0)
    assert seen == ["t", "u"]
    assert REJECTED_SPANS.labels("INVALID_ARGUMENT")._value.get() == before + 1
