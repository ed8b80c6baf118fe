"""OpenTelemetry 1.21 Jaeger exporters (Thrift HTTP, Thrift compact UDP agent, gRPC) → real server."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from .conftest import ProtocolServer
from .readback import attrs, by_name, read_trace

CLIENT = Path(__file__).with_name("clients") / "otel_jaeger_emit.py"


def _endpoint(server: ProtocolServer, mode: str) -> str:
    if mode == "thrift_http":
        return server.jaeger_http_url
    if mode == "thrift_udp":
        return str(server.ports.jaeger_compact)
    return f"127.0.0.1:{server.ports.jaeger_grpc}"


@pytest.mark.parametrize("mode", ["thrift_http", "thrift_udp", "grpc"])
def test_otel_jaeger_exporter(protocol_server: ProtocolServer, old_otel_python: Path, mode: str) -> None:
    out = subprocess.run(
        [str(old_otel_python), str(CLIENT), mode, _endpoint(protocol_server, mode)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    sent = json.loads(out.stdout)
    root_name = f"GET /orders {mode}"
    trace_id = sent[root_name]["trace_id"]
    spans = by_name(read_trace(protocol_server.srv, trace_id, min_spans=3, version=2))
    assert set(spans) == set(sent)
    for name, exp in sent.items():
        got = spans[name]
        assert got.span.trace_id.hex() == trace_id and got.span.span_id.hex() == exp["span_id"]
        assert got.span.parent_span_id.hex() == exp["parent_span_id"]
        # Exactly what the exporter put on the wire (µs for Thrift), and that is the SDK's time.
        assert (got.span.start_time_unix_nano, got.span.end_time_unix_nano) == (
            exp["start_ns"],
            exp["end_ns"],
        )
        assert abs(got.span.start_time_unix_nano - exp["sdk_start_ns"]) <= 1000
        assert [e.time_unix_nano for e in got.span.events] == exp["event_ns"]
        assert got.resource["service.name"] == f"otel-jaeger-{mode}"
        assert got.scope == "e2e.jaeger.lib"  # otel.scope.name / otel.library.name tags → scope
        assert not {"span.kind", "otel.scope.name", "otel.library.name", "error"} & set(got.attrs)
    root, child, producer = spans[root_name], spans["SELECT orders"], spans["publish"]
    if mode == "grpc":
        # The gRPC exporter sends resource attributes as process tags.
        assert root.resource["deployment.environment"] == "e2e"
    else:
        # The Thrift exporter copies resource attributes into every span's tags instead.
        assert root.attrs["deployment.environment"] == "e2e"
    assert root.span.kind == Span.SPAN_KIND_SERVER and root.span.status.code == Status.STATUS_CODE_UNSET
    a = root.attrs
    assert (a["str"], a["bool"], a["int"], a["float"]) == ("v", True, 7, 2.5)
    # The exporter writes the event name into a "message" field; Jaeger names logs by "event".
    [event] = root.span.events
    assert attrs(event.attributes) == {"count": 3, "message": "orders.loaded"}
    assert child.span.kind == Span.SPAN_KIND_CLIENT and child.attrs["db.system"] == "postgresql"
    assert (child.span.status.code, child.span.status.message) == (Status.STATUS_CODE_ERROR, "timeout")
    assert producer.span.kind == Span.SPAN_KIND_PRODUCER
    # The OTel link went out as a FOLLOWS_FROM reference; the parent stayed the parent.
    assert [(lk.trace_id.hex(), lk.span_id) for lk in producer.span.links] == [(trace_id, child.span.span_id)]
