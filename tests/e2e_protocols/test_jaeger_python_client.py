"""The Python jaeger-client → Thrift compact over UDP → real server → Tempo API v1 and v2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from .conftest import ProtocolServer
from .readback import attrs, by_name, read_trace

# The same client script the in-process receiver test drives: one emitter, two levels of proof.
CLIENT = Path(__file__).parents[1] / "receivers" / "clients" / "jaeger_client_emit.py"


@pytest.fixture(scope="module")
def emitted(protocol_server: ProtocolServer) -> dict[str, dict[str, object]]:
    """Run jaeger-client once against the compact port; what it reports having sent, by span name."""
    out = subprocess.run(
        [sys.executable, str(CLIENT), str(protocol_server.ports.jaeger_compact)],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    sent: dict[str, dict[str, object]] = json.loads(out.stdout)
    return sent


@pytest.mark.parametrize(("version", "protobuf"), [(2, False), (1, False), (2, True)])
def test_jaeger_client_compact_udp(
    protocol_server: ProtocolServer, emitted: dict[str, dict[str, object]], version: int, protobuf: bool
) -> None:
    trace_id = str(emitted["root-op"]["trace_id"])
    assert {str(e["trace_id"]) for e in emitted.values()} == {trace_id}
    spans = by_name(
        read_trace(protocol_server.srv, trace_id, min_spans=3, version=version, protobuf=protobuf)
    )
    assert set(spans) == {"root-op", "child-op", "follower-op"}
    for name, exp in emitted.items():
        got = spans[name]
        assert got.span.trace_id.hex() == trace_id  # all 128 bits, not only the low 64
        assert got.span.span_id.hex() == exp["span_id"]
        # Jaeger carries µs: exact to the µs, nothing invented below it.
        assert got.span.start_time_unix_nano == int(str(exp["start_us"])) * 1000
        assert got.span.end_time_unix_nano == int(str(exp["end_us"])) * 1000
        assert [e.time_unix_nano for e in got.span.events] == [int(t) * 1000 for t in exp["log_us"]]  # type: ignore[attr-defined]
        assert got.resource["service.name"] == "jaeger-py-svc"
        assert got.resource["deployment"] == "test"  # tracer tags → process tags → resource
        assert str(got.resource["opencensus.exporterversion"]).startswith("Jaeger-Python-")
    root, child, follower = spans["root-op"].span, spans["child-op"].span, spans["follower-op"].span
    assert root.parent_span_id == b"" and root.kind == Span.SPAN_KIND_SERVER
    assert root.status.code == Status.STATUS_CODE_UNSET
    a = attrs(root.attributes)
    assert (a["str.tag"], a["bool.tag"], a["int.tag"], a["float.tag"]) == ("v", True, 42, 2.5)
    assert a["http.status_code"] == 200 and "span.kind" not in a
    assert root.events[0].name == "cache-miss" and attrs(root.events[0].attributes) == {"key": "user:1"}
    assert child.parent_span_id == root.span_id and child.kind == Span.SPAN_KIND_CLIENT
    assert child.status.code == Status.STATUS_CODE_ERROR and "error" not in attrs(child.attributes)
    assert attrs(child.events[0].attributes) == {"message": "no event field"}
    # Only a FOLLOWS_FROM reference: it is the parent, and it stays visible as a link.
    assert follower.parent_span_id == root.span_id
    assert [(lk.span_id, attrs(lk.attributes)) for lk in follower.links] == [
        (root.span_id, {"opentracing.ref_type": "follows_from"})
    ]
