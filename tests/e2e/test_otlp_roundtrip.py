"""A real server process, the OpenTelemetry SDK's OTLP exporters, Tempo's API: what was sent comes back.

Every trace is read over both API versions and both encodings, live, after /flush and after a
restart; the comparison covers every span field, attribute type, event, link, resource and scope.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from typing import Any

from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as GrpcExporter
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HttpExporter
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.trace import Link, SpanKind, Status, StatusCode

from tempo_py.testing.otlp_factory import canonical_spans, otlp_json, rich_request, spans_of_trace
from tempo_py.testing.tempo_api import decode_trace_response
from tests.support.server import TempoServer

ServerFactory = Callable[..., TempoServer]


class _Recorder(SpanExporter):
    """Keeps what the SDK exported, so the test knows exactly what was sent."""

    def __init__(self) -> None:
        self.spans: list[ReadableSpan] = []

    def export(self, spans: Any) -> SpanExportResult:
        self.spans.extend(spans)
        return SpanExportResult.SUCCESS


def _send_with_sdk(exporter: SpanExporter, service: str) -> ExportTraceServiceRequest:
    recorder = _Recorder()
    provider = TracerProvider(
        resource=Resource.create(
            {"service.name": service, "k8s.pod.name": "pod-1", "deployment.environment": "test"}
        )
    )
    provider.add_span_processor(SimpleSpanProcessor(recorder))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("e2e.tracer", "1.0.0")
    with tracer.start_as_current_span(
        "GET /checkout",
        kind=SpanKind.SERVER,
        attributes={
            "http.request.method": "GET",
            "http.route": "/checkout",
            "http.response.status_code": 200,
        },
    ) as root:
        root.set_attribute("str", "v")
        root.set_attribute("bool", True)
        root.set_attribute("int", 7)
        root.set_attribute("float", 2.5)
        root.set_attribute("strs", ["a", "b"])
        root.set_attribute("ints", [1, 2, 3])
        root.add_event("cart.loaded", {"items": 3})
        with tracer.start_as_current_span(
            "SELECT orders", kind=SpanKind.CLIENT, attributes={"db.system": "postgresql"}
        ) as child:
            child.set_status(Status(StatusCode.ERROR, "timeout"))
            child.record_exception(ValueError("boom"))
        with tracer.start_as_current_span(
            "publish", kind=SpanKind.PRODUCER, links=[Link(child.get_span_context(), {"link.attr": "x"})]
        ):
            pass
    provider.shutdown()
    return encode_spans(recorder.spans)


def _trace_ids(req: ExportTraceServiceRequest) -> list[bytes]:
    return sorted({sp.trace_id for rs in req.resource_spans for ss in rs.scope_spans for sp in ss.spans})


def assert_all_readable(srv: TempoServer, sent: ExportTraceServiceRequest) -> None:
    """Every trace of ``sent`` equals the server's answer on both versions and both encodings."""
    for tid in _trace_ids(sent):
        want = canonical_spans(spans_of_trace(list(sent.resource_spans), tid))
        for version in (1, 2):
            for protobuf in (False, True):
                status, body = srv.get_trace(tid.hex(), version=version, protobuf=protobuf)
                assert status == 200, (version, protobuf, body[:200])
                got = decode_trace_response(body, version=version, protobuf=protobuf)
                assert canonical_spans(got) == want, (tid.hex(), version, protobuf)


def test_sdk_http_and_grpc_exporters_roundtrip_live_flushed_restarted(
    tempo_server_factory: ServerFactory,
) -> None:
    srv = tempo_server_factory()
    sent = ExportTraceServiceRequest()
    sent.MergeFrom(_send_with_sdk(HttpExporter(endpoint=srv.otlp_http_url), "http-svc"))
    sent.MergeFrom(
        _send_with_sdk(HttpExporter(endpoint=srv.otlp_http_url, compression=Compression.Gzip), "gz-svc")
    )
    sent.MergeFrom(_send_with_sdk(GrpcExporter(endpoint=srv.otlp_grpc_target, insecure=True), "grpc-svc"))
    assert len(_trace_ids(sent)) == 3
    assert_all_readable(srv, sent)  # live, from the ingesters
    srv.flush()
    assert list((srv.workdir / "blocks" / "single-tenant").glob("*/meta.json"))
    assert_all_readable(srv, sent)  # from blocks
    assert srv.stop() == 0
    srv.start()
    assert_all_readable(srv, sent)  # after a restart


def test_every_anyvalue_type_over_protobuf_and_json(tempo_server_factory: ServerFactory) -> None:
    srv = tempo_server_factory()
    req = rich_request(n_traces=2, spans_per_trace=3, seed=11)
    status, _, body = srv.request(
        "POST", "", req.SerializeToString(), {"Content-Type": "application/x-protobuf"}, url=srv.otlp_http_url
    )
    assert status == 200, body
    json_req = rich_request(n_traces=2, spans_per_trace=3, seed=12)
    doc = otlp_json(json_req)  # OTLP/JSON: hex IDs, enum integers
    body_json = gzip.compress(json.dumps(doc).encode())
    status, _, body = srv.request(
        "POST",
        "",
        body_json,
        {"Content-Type": "application/json", "Content-Encoding": "gzip"},
        url=srv.otlp_http_url,
    )
    assert status == 200, body
    assert_all_readable(srv, req)
    assert_all_readable(srv, json_req)
    srv.flush()
    assert_all_readable(srv, req)
    assert_all_readable(srv, json_req)


def test_roundtrip_with_storage_on_s3(
    tempo_server_factory: ServerFactory, moto_s3: Any, s3_bucket: str
) -> None:
    srv = tempo_server_factory({"storage": {"trace": moto_s3.storage_config(s3_bucket)}})
    sent = _send_with_sdk(HttpExporter(endpoint=srv.otlp_http_url), "s3-svc")
    rich = rich_request(n_traces=2, spans_per_trace=2, seed=5)
    status, _, _ = srv.request(
        "POST",
        "",
        rich.SerializeToString(),
        {"Content-Type": "application/x-protobuf"},
        url=srv.otlp_http_url,
    )
    assert status == 200
    srv.flush()
    keys = [o["Key"] for o in moto_s3.client().list_objects_v2(Bucket=s3_bucket).get("Contents", [])]
    assert any(k.startswith("tempo/single-tenant/") and k.endswith("/meta.json") for k in keys)
    assert srv.stop() == 0
    srv.start()
    assert_all_readable(srv, sent)
    assert_all_readable(srv, rich)
