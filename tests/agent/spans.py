"""Small OTLP requests for the agent tests: one trace each, IDs from a counter."""

from __future__ import annotations

import time

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest


def request(n: int, spans: int = 1, service: str = "agent-test") -> ExportTraceServiceRequest:
    """Trace ``n`` (ID ``n`` as 32 hex digits) with ``spans`` spans, span IDs ``n*1000+i``."""
    req = ExportTraceServiceRequest()
    rs = req.resource_spans.add()
    kv = rs.resource.attributes.add()
    kv.key, kv.value.string_value = "service.name", service
    ss = rs.scope_spans.add()
    now = time.time_ns()
    for i in range(spans):
        sp = ss.spans.add()
        sp.trace_id = trace_id(n)
        sp.span_id = (n * 1000 + i + 1).to_bytes(8, "big")
        sp.name = f"op-{i}"
        sp.start_time_unix_nano = now - 1_000_000
        sp.end_time_unix_nano = now
    return req


def trace_id(n: int) -> bytes:
    return (n + 1).to_bytes(16, "big")
