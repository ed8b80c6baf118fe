"""Spans outside the retention window (or far in the future) are refused, never acked then deleted.

Before, a span that started at 1 ns, or ended 20 days ago with 14-day retention, was acknowledged,
found after a flush, and deleted by the compactor's next retention pass a few seconds later. Now
the distributor refuses it per span (OTLP partial success), counts it in
``tempo_discarded_spans_total{reason=...}``, and stores the rest of the request, which survives
flush and several compaction cycles.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from tempo_py.testing.tempo_api import decode_trace_response
from tests.support.server import TempoServer

ServerFactory = Callable[..., TempoServer]
PB = {"Content-Type": "application/x-protobuf"}
DAY_NS = 86_400 * 10**9


def _request(spans: list[tuple[bytes, int, int]]) -> ExportTraceServiceRequest:
    """One span per ``(trace ID, start ns, end ns)``."""
    req = ExportTraceServiceRequest()
    ss = req.resource_spans.add().scope_spans.add()
    for i, (tid, start, end) in enumerate(spans):
        sp = ss.spans.add()
        sp.trace_id, sp.span_id = tid, bytes([i + 1]) * 8
        sp.name = f"span-{i}"
        sp.start_time_unix_nano, sp.end_time_unix_nano = start, end
    return req


def _push(srv: TempoServer, req: ExportTraceServiceRequest) -> tuple[int, ExportTraceServiceResponse]:
    status, _, body = srv.request("POST", "", req.SerializeToString(), PB, url=srv.otlp_http_url)
    resp = ExportTraceServiceResponse()
    if status == 200:
        resp.ParseFromString(body)
    return status, resp


def _span_count(srv: TempoServer, tid: bytes) -> int:
    status, body = srv.get_trace(tid.hex(), protobuf=True)
    if status == 404:
        return 0
    assert status == 200, body
    rss = decode_trace_response(body, version=2, protobuf=True)
    return sum(len(ss.spans) for rs in rss for ss in rs.scope_spans)


def _discarded(srv: TempoServer, reason: str) -> float:
    _, _, body = srv.request("GET", "/metrics")
    pat = rf'^tempo_discarded_spans_total\{{(?=[^}}]*reason="{reason}")[^}}]*\}} (\S+)$'
    return sum(float(m.group(1)) for m in re.finditer(pat, body.decode(), re.M))


def test_old_and_future_spans_are_refused_and_the_rest_survive_compaction(
    tempo_server_factory: ServerFactory,
) -> None:
    srv = tempo_server_factory(
        {
            "compactor": {"compaction": {"compaction_cycle": "200ms", "block_retention": "336h"}},
            "distributor": {"max_span_future_skew": "1h"},
        }
    )
    now = time.time_ns()
    ancient, old, fresh, fresh2, future = (bytes([b]) * 16 for b in (1, 2, 3, 4, 5))
    req = _request(
        [
            (ancient, 1, 2),  # 1970: before any retention window
            (old, now - 20 * DAY_NS, now - 20 * DAY_NS + 10**9),  # 20 days ago, retention 14 days
            (fresh, now - 10**9, now),
            (fresh2, now - 13 * DAY_NS, now - 13 * DAY_NS + 10**9),  # old, but inside retention
            (future, now + 2 * 3600 * 10**9, now + 2 * 3600 * 10**9 + 1),  # 2 h ahead, skew 1 h
        ]
    )
    status, resp = _push(srv, req)
    assert status == 200
    assert resp.partial_success.rejected_spans == 3, resp
    assert "retention" in resp.partial_success.error_message
    assert _discarded(srv, "outside_retention") == 2
    assert _discarded(srv, "too_far_in_future") == 1

    srv.flush()
    deadline = time.monotonic() + 3  # >= 10 compaction cycles, each ending in a retention pass
    while time.monotonic() < deadline:
        time.sleep(0.5)
        assert _span_count(srv, fresh) == 1
        assert _span_count(srv, fresh2) == 1
    for tid in (ancient, old, future):
        assert _span_count(srv, tid) == 0

    # a request with only refused spans stores nothing and says so
    status, _ = _push(srv, _request([(ancient, 1, 2)]))
    assert status == 400


def test_per_tenant_retention_sets_the_window(tempo_server_factory: ServerFactory) -> None:
    srv = tempo_server_factory(
        {
            "multitenancy_enabled": True,
            "overrides": {"per_tenant": {"short": {"block_retention": "1h"}}},
        }
    )
    now = time.time_ns()
    req = _request([(b"\x07" * 16, now - 2 * 3600 * 10**9, now - 2 * 3600 * 10**9 + 1)])
    body = req.SerializeToString()
    long_status, _, _ = srv.request("POST", "", body, {**PB, "X-Scope-OrgID": "long"}, url=srv.otlp_http_url)
    short_status, _, _ = srv.request(
        "POST", "", body, {**PB, "X-Scope-OrgID": "short"}, url=srv.otlp_http_url
    )
    assert (long_status, short_status) == (200, 400)
