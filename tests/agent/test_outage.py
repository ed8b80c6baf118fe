"""A distributor outage of 30 s with the agent restarted in between: nothing acknowledged is lost or doubled.

A real ``tempo-py serve`` is the distributor; a real ``tempo-py agent`` forwards to it. Spans keep
arriving while the server is down; the queue fills to its bound (the agent then refuses with
RESOURCE_EXHAUSTED, which the sender sees: not acknowledged) and never exceeds it on disk. The
agent is stopped and started once in the middle. After the server is back, every acknowledged
span is readable, the distributor counted each exactly once, and nothing refused got in.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import grpc
import pytest

from tests.agent.agent_process import AgentProcess, metric_sum
from tests.agent.spans import request, trace_id

QUEUE_MAX = 400_000
OUTAGE_S = 30.0
SPANS_PER_REQUEST = 40


def wait_for(cond: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.1)
    raise AssertionError(what)


def received(srv: Any) -> float:
    return metric_sum(srv.url + "/metrics", "tempo_distributor_spans_received_total")


@pytest.mark.slow
def test_outage_and_agent_restart_lose_and_double_nothing(tempo_server_factory: Any, tmp_path: Path) -> None:
    srv = tempo_server_factory()
    agent = AgentProcess(
        tmp_path / "agent",
        srv.otlp_grpc_target,
        {"queue": {"max_bytes": QUEUE_MAX, "segment_bytes": 65536}, "max_request_bytes": 32768},
    ).start()
    acked: list[int] = []
    refused: list[int] = []
    n = 0
    try:
        for _ in range(10):  # phase 1: all up
            assert agent.export(request(n, SPANS_PER_REQUEST)) == grpc.StatusCode.OK
            acked.append(n)
            n += 1
        wait_for(lambda: agent.metric("tempo_py_agent_queue_pending_bytes") == 0, 30, "phase 1 delivered")
        phase1 = received(srv)
        assert phase1 == len(acked) * SPANS_PER_REQUEST

        srv.stop()  # phase 2: the distributor is down for OUTAGE_S
        down_at = time.monotonic()
        restarted = False
        max_disk = 0
        while time.monotonic() - down_at < OUTAGE_S:
            if not restarted and time.monotonic() - down_at > OUTAGE_S / 2:
                assert agent.stop() == 0
                agent.kill()  # closes the test's channel
                agent.start()
                restarted = True
            code = agent.export(request(n, SPANS_PER_REQUEST))
            if code == grpc.StatusCode.OK:
                acked.append(n)
            else:
                assert code == grpc.StatusCode.RESOURCE_EXHAUSTED, code  # the queue's bound
                refused.append(n)
            n += 1
            max_disk = max(max_disk, agent.queue_disk_bytes())
            assert max_disk <= QUEUE_MAX
            time.sleep(0.05)
        assert restarted and refused, "the outage should fill the queue"
        assert max_disk > QUEUE_MAX * 0.8
        phase2_acked = [t for t in acked if t >= 10]
        assert phase2_acked

        srv.start()  # phase 3: back; the agent's retries drain the queue
        wait_for(lambda: agent.metric("tempo_py_agent_queue_pending_bytes") == 0, 60, "queue drained")
        assert received(srv) == len(phase2_acked) * SPANS_PER_REQUEST  # exactly once
        for t in acked:
            status, body = srv.get_trace(trace_id(t).hex())
            assert status == 200, t
            assert body.count(b'"spanId"') == SPANS_PER_REQUEST, t
        for t in refused[:20]:
            assert srv.get_trace(trace_id(t).hex())[0] == 404
    finally:
        agent.kill()
