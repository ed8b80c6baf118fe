"""py_zipkin (v1 JSON, v2 JSON, v2 proto3) and the OpenTelemetry Zipkin JSON exporter → real server."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from .conftest import ProtocolServer
from .readback import attrs, by_name, read_trace


def _wire_spans(encoding: str, payloads: list[bytes]) -> dict[str, dict[str, Any]]:
    """What py_zipkin put on the wire, decoded with py_zipkin's own schema: name → span fields."""
    if encoding == "V2_PROTO3":
        from google.protobuf.json_format import MessageToDict
        from py_zipkin.encoding.protobuf import zipkin_pb2

        out: dict[str, dict[str, Any]] = {}
        for payload in payloads:
            for span in zipkin_pb2.ListOfSpans.FromString(payload).spans:
                doc = MessageToDict(span, preserving_proto_field_name=True)
                out[span.name] = {
                    "timestamp": span.timestamp,
                    "duration": span.duration,
                    "annotations": {a.value: a.timestamp for a in span.annotations},
                    "id": span.id.hex(),
                    "doc": doc,
                }
        return out
    out = {}
    for payload in payloads:
        for span in json.loads(payload):
            out[span["name"]] = {
                "timestamp": span["timestamp"],
                "duration": span["duration"],
                "annotations": {a["value"]: a["timestamp"] for a in span.get("annotations", [])},
                "id": span["id"],
            }
    return out


def _emit_py_zipkin(base_url: str, encoding_name: str) -> tuple[dict[str, tuple[str, str]], list[bytes]]:
    """A SERVER root with a CLIENT child through py_zipkin; (name → (trace, span) ids, payloads)."""
    from py_zipkin.encoding._types import Encoding, Kind
    from py_zipkin.transport import BaseTransportHandler
    from py_zipkin.zipkin import zipkin_span

    encoding = Encoding[encoding_name]
    path = "/api/v1/spans" if encoding == Encoding.V1_JSON else "/api/v2/spans"
    ctype = "application/x-protobuf" if encoding == Encoding.V2_PROTO3 else "application/json"
    payloads: list[bytes] = []

    class Post(BaseTransportHandler):
        def get_max_payload_bytes(self) -> None:
            return None

        def send(self, payload: bytes | str) -> None:
            data = payload.encode() if isinstance(payload, str) else payload
            payloads.append(data)
            req = urllib.request.Request(base_url + path, data=data, headers={"Content-Type": ctype})
            with urllib.request.urlopen(req, timeout=10) as resp:
                assert resp.status == 202

    ids: dict[str, tuple[str, str]] = {}
    zattrs: Any = lambda span: span.zipkin_attrs  # noqa: E731 (py_zipkin is untyped)
    svc = f"pyz-{encoding_name.lower()}"
    with zipkin_span(
        service_name=svc,
        span_name="pyz-root",
        transport_handler=Post(),
        sample_rate=100.0,
        encoding=encoding,
        use_128bit_trace_id=True,
        kind=Kind.SERVER,
    ) as root:
        root.update_binary_annotations({"http.path": "/x", "region": "eu"})
        root.add_annotation("cache.miss")
        with zipkin_span(service_name=svc, span_name="pyz-child", kind=Kind.CLIENT) as child:
            child.add_sa_binary_annotation(port=5432, service_name="postgres", host="10.1.2.3")
            child.update_binary_annotations({"error": "connection reset"})
            ids["pyz-child"] = (zattrs(child).trace_id, zattrs(child).span_id)
        ids["pyz-root"] = (zattrs(root).trace_id, zattrs(root).span_id)
    return ids, payloads


@pytest.mark.parametrize("encoding", ["V1_JSON", "V2_JSON", "V2_PROTO3"])
def test_py_zipkin(protocol_server: ProtocolServer, encoding: str) -> None:
    ids, payloads = _emit_py_zipkin(protocol_server.zipkin_url, encoding)
    wire = _wire_spans(encoding, payloads)
    trace_id = ids["pyz-root"][0].rjust(32, "0")
    version = 1 if encoding == "V1_JSON" else 2  # one encoding read back through the v1 API
    spans = by_name(read_trace(protocol_server.srv, trace_id, min_spans=2, version=version))
    assert set(spans) == {"pyz-root", "pyz-child"}
    for name, (tid, sid) in ids.items():
        got = spans[name]
        assert got.span.trace_id.hex() == tid.rjust(32, "0") and got.span.span_id.hex() == sid
        assert got.resource == {"service.name": f"pyz-{encoding.lower()}"}
        # Zipkin carries µs: exactly the wire's timestamp and timestamp + duration.
        w = wire[name]
        assert got.span.start_time_unix_nano == w["timestamp"] * 1000
        assert got.span.end_time_unix_nano == (w["timestamp"] + w["duration"]) * 1000
    root, child = spans["pyz-root"].span, spans["pyz-child"].span
    assert root.parent_span_id == b"" and child.parent_span_id == root.span_id
    assert (root.kind, child.kind) == (Span.SPAN_KIND_SERVER, Span.SPAN_KIND_CLIENT)
    ra = attrs(root.attributes)
    assert ra["http.path"] == "/x" and ra["region"] == "eu"
    assert [(e.name, e.time_unix_nano) for e in root.events] == [
        ("cache.miss", wire["pyz-root"]["annotations"]["cache.miss"] * 1000)
    ]
    assert root.status.code == Status.STATUS_CODE_UNSET
    assert (child.status.code, child.status.message) == (Status.STATUS_CODE_ERROR, "connection reset")
    ca = attrs(child.attributes)
    assert "error" not in ca
    assert (ca["peer.service"], ca["net.peer.ip"], ca["net.peer.port"]) == ("postgres", "10.1.2.3", 5432)


def test_otel_zipkin_json_exporter(protocol_server: ProtocolServer) -> None:
    from opentelemetry.exporter.zipkin.json import ZipkinExporter
    from opentelemetry.sdk.resources import Resource as SdkResource
    from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.trace import SpanKind, StatusCode

    provider = TracerProvider(resource=SdkResource.create({"service.name": "otel-zipkin-svc"}))
    exporter = ZipkinExporter(endpoint=protocol_server.zipkin_url + "/api/v2/spans")
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("e2e.zipkin.lib", "3.1")
    with tracer.start_as_current_span("oz-root", kind=SpanKind.SERVER) as root:
        root.set_attribute("n", 3)
        root.set_attribute("ok", True)
        root.add_event("ev", {"a": "b", "c": 2})
        with tracer.start_as_current_span("oz-child", kind=SpanKind.CONSUMER) as child:
            child.set_status(StatusCode.ERROR, "bad")
    provider.shutdown()
    sent: list[ReadableSpan] = [root, child]  # type: ignore[list-item]
    # The exact JSON the exporter POSTed (its encoder is deterministic): the times as µs on the wire.
    posted = exporter.encoder.serialize(sent, exporter.local_node)  # type: ignore[arg-type]
    wire = {w["name"]: w for w in json.loads(posted)}

    trace_id = f"{root.get_span_context().trace_id:032x}"
    spans = by_name(read_trace(protocol_server.srv, trace_id, min_spans=2))
    for s in sent:
        got, w = spans[s.name], wire[s.name]
        assert got.span.span_id == s.context.span_id.to_bytes(8, "big")
        assert got.resource["service.name"] == "otel-zipkin-svc"
        assert got.scope == "e2e.zipkin.lib"  # otel.library.name tag → scope
        assert got.span.start_time_unix_nano == w["timestamp"] * 1000
        assert got.span.end_time_unix_nano == (w["timestamp"] + w["duration"]) * 1000
        assert s.start_time is not None and abs(got.span.start_time_unix_nano - s.start_time) < 1000
    r, c = spans["oz-root"].span, spans["oz-child"].span
    assert (r.kind, c.kind) == (Span.SPAN_KIND_SERVER, Span.SPAN_KIND_CONSUMER)
    assert c.parent_span_id == r.span_id and r.parent_span_id == b""
    assert (c.status.code, c.status.message) == (Status.STATUS_CODE_ERROR, "bad")
    # Zipkin tags are strings on the wire; the exporter marks sampled spans debug, which round-trips
    debug = {"zipkin.debug": True} if wire["oz-root"].get("debug") else {}
    assert attrs(r.attributes) == {"n": "3", "ok": "true", **debug}
    [event] = r.events
    assert event.name == "ev" and attrs(event.attributes) == {"a": "b", "c": 2}
    assert event.time_unix_nano == wire["oz-root"]["annotations"][0]["timestamp"] * 1000
