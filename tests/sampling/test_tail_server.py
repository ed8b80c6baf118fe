"""Tail sampling from the user's side: a real tempo-py process, OTLP/HTTP in, traces by ID out."""

from __future__ import annotations

import os
import time
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Status

from tests.support.server import tempo_server_factory  # noqa: F401 (fixture)

N = 2000


def _request(ids: list[bytes], base: int) -> bytes:
    t0 = time.time_ns() - 60_000_000_000
    req = ExportTraceServiceRequest()
    rs = req.resource_spans.add()
    kv = rs.resource.attributes.add()
    kv.key, kv.value.string_value = "service.name", "shop"
    ss = rs.scope_spans.add()
    for i, tid in enumerate(ids, start=base):
        for s in range(2):
            sp = ss.spans.add()
            sp.trace_id, sp.span_id, sp.name = tid, os.urandom(8), f"op{s}"
            sp.start_time_unix_nano = t0 + i * 1000
            dur = 3_000_000_000 if (i % 10 == 1 and s == 1) else 20_000_000
            sp.end_time_unix_nano = sp.start_time_unix_nano + dur
            if i % 10 == 0 and s == 1:
                sp.status.code = Status.STATUS_CODE_ERROR
    return req.SerializeToString()


def test_errors_and_slow_kept_rest_sampled(tempo_server_factory: Any) -> None:  # noqa: F811
    srv = tempo_server_factory(
        {
            "ingester": {
                "tail_sampling": {"enabled": True, "latency_threshold": "2s", "percentage": 10},
            },
        }
    )
    ids = [os.urandom(16) for _ in range(N)]
    for k in range(0, N, 500):
        status, _, body = srv.request(
            "POST",
            "",
            _request(ids[k : k + 500], k),
            {"Content-Type": "application/x-protobuf"},
            url=srv.otlp_http_url,
        )
        assert status == 200, body
    time.sleep(0.5)
    srv.flush()
    found = {i for i, tid in enumerate(ids) if srv.get_trace(tid.hex())[0] == 200}
    must = {i for i in range(N) if i % 10 in (0, 1)}
    assert must <= found
    rest = N - len(must)
    got = len(found - must)
    assert abs(got - rest * 0.1) < 5 * (rest * 0.09) ** 0.5, got
    _, _, metrics = srv.request("GET", "/metrics")
    assert b"tempo_ingester_tail_sampling_decisions_total" in metrics
