"""The Node.js jaeger-client (npm) → Thrift binary over UDP and Thrift over HTTP → real server.

jaeger-client-node's UDPSender encodes Agent.emitBatch with thriftrw, which only speaks the
Thrift *binary* protocol, so UDP goes to the thrift_binary (6832-style) port; its HTTPSender POSTs
a binary Batch to the collector's /api/traces (14268-style).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from tests.support.node_jaeger import NodeJaeger

from .conftest import ProtocolServer
from .readback import attrs, by_name, read_trace

CLIENT = Path(__file__).with_name("clients") / "node_jaeger_emit.js"


@pytest.mark.parametrize("mode", ["udp", "http"])
def test_node_jaeger_client(protocol_server: ProtocolServer, node_jaeger: NodeJaeger, mode: str) -> None:
    endpoint = str(protocol_server.ports.jaeger_binary) if mode == "udp" else protocol_server.jaeger_http_url
    out = node_jaeger.run(CLIENT, [mode, endpoint], timeout=60)
    sent = json.loads(out.stdout)
    root_name = f"node-root-{mode}"
    trace_id = str(sent[root_name]["trace_id"]).rjust(32, "0")
    spans = by_name(read_trace(protocol_server.srv, trace_id, min_spans=3))
    assert set(spans) == set(sent)
    for name, exp in sent.items():
        got = spans[name]
        assert got.span.trace_id.hex() == trace_id
        assert got.span.span_id.hex() == str(exp["span_id"]).rjust(16, "0")
        assert got.span.start_time_unix_nano == exp["start_us"] * 1000  # sub-ms µs survive exactly
        assert got.span.end_time_unix_nano == exp["end_us"] * 1000
        assert [e.time_unix_nano for e in got.span.events] == [t * 1000 for t in exp["log_us"]]
        res = got.resource
        assert res["service.name"] == f"node-jaeger-{mode}"
        assert res["deployment.environment"] == "e2e" and res["build.number"] == 17
        # Renamed as the OpenTelemetry Collector does: jaeger.version → opencensus.exporterversion.
        assert res["opencensus.exporterversion"] == f"Jaeger-Node-{node_jaeger.version}"
        assert "host.name" in res and "hostname" not in res
    root, child, follower = spans[root_name].span, spans["node-child"].span, spans["node-follower"].span
    assert root.parent_span_id == b"" and root.kind == Span.SPAN_KIND_SERVER
    a = attrs(root.attributes)
    assert (a["http.method"], a["flag"], a["ratio"]) == ("GET", True, 0.75)
    # jaeger-client-node sends every JS number as a DOUBLE tag. A double http.status_code is not
    # a status code to the OpenTelemetry Collector's Jaeger translator (int or string only), and
    # we map as it does: the status stays unset; the client's "error" tag is what sets ERROR.
    assert isinstance(a["http.status_code"], float) and a["http.status_code"] == 503
    assert root.status.code == Status.STATUS_CODE_UNSET
    assert root.events[0].name == "queued" and attrs(root.events[0].attributes) == {"depth": 4.0}
    assert child.parent_span_id == root.span_id and child.kind == Span.SPAN_KIND_CLIENT
    assert attrs(child.attributes) == {"peer.service": "redis"}
    assert child.status.code == Status.STATUS_CODE_ERROR
    assert follower.parent_span_id == root.span_id  # from its only (FOLLOWS_FROM) reference
    assert [lk.span_id for lk in follower.links] == [root.span_id]
