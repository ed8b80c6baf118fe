"""``tempo_discarded_spans_total`` reason values match Tempo's where the cause is the same.

Tempo (modules/overrides/discarded_spans.go) counts a bad trace ID as ``invalid_trace_id`` and a
bad span ID as ``invalid_span_id``; dashboards and alerts written for Tempo select on those. Ours
for checks Tempo does not make stay ours: ``invalid_span`` (parent ID, kind, status out of range),
``outside_retention``, ``too_far_in_future``. Checked on a real server's /metrics.
"""

from __future__ import annotations

import time
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from tempo_py.distributor.distributor import (
    REASON_INVALID,
    REASON_INVALID_SPAN_ID,
    REASON_INVALID_TRACE_ID,
    invalid_reason,
    span_problem,
)
from tests.hardening.test_retention_window import PB, _discarded


def test_reason_values_are_tempos() -> None:
    assert (REASON_INVALID_TRACE_ID, REASON_INVALID_SPAN_ID) == ("invalid_trace_id", "invalid_span_id")
    good_tid, good_sid = b"\x01" * 16, b"\x02" * 8
    cases = [
        ((bytes(16), good_sid, b"", 1, 0), REASON_INVALID_TRACE_ID),
        ((b"\x01" * 8, good_sid, b"", 1, 0), REASON_INVALID_TRACE_ID),
        ((good_tid, bytes(8), b"", 1, 0), REASON_INVALID_SPAN_ID),
        ((good_tid, b"\x02" * 4, b"", 1, 0), REASON_INVALID_SPAN_ID),
        ((good_tid, good_sid, b"\x03", 1, 0), REASON_INVALID),
        ((good_tid, good_sid, b"", 9, 0), REASON_INVALID),
        ((good_tid, good_sid, b"", 1, 7), REASON_INVALID),
    ]
    for args, reason in cases:
        assert span_problem(*args) is not None, args
        assert invalid_reason(args[0], args[1]) == reason, args


def test_invalid_ids_are_counted_under_tempos_reasons(tempo_server_factory: Any) -> None:
    srv = tempo_server_factory()
    now = time.time_ns()
    req = ExportTraceServiceRequest()
    ss = req.resource_spans.add().scope_spans.add()
    for i, (tid, sid, kind) in enumerate(
        [
            (b"\x11" * 16, b"\x01" * 8, 1),  # valid
            (bytes(16), b"\x02" * 8, 1),  # all-zero trace ID
            (b"\x11" * 16, b"\x03" * 4, 1),  # 4-byte span ID
            (b"\x11" * 16, b"\x04" * 8, 9),  # kind out of range
        ]
    ):
        sp = ss.spans.add()
        sp.trace_id, sp.span_id, sp.kind, sp.name = tid, sid, kind, f"s{i}"
        sp.start_time_unix_nano, sp.end_time_unix_nano = now, now + 1000
    status, _, body = srv.request("POST", "", req.SerializeToString(), PB, url=srv.otlp_http_url)
    assert status == 200, body
    assert ExportTraceServiceResponse.FromString(body).partial_success.rejected_spans == 3
    assert _discarded(srv, "invalid_trace_id") == 1
    assert _discarded(srv, "invalid_span_id") == 1
    assert _discarded(srv, "invalid_span") == 1
