"""Zipkin receiver driven by py_zipkin (v1 JSON, v2 JSON, v2 proto) and the OTel Zipkin exporter."""

from __future__ import annotations

import asyncio
import gzip
import json
import random
import urllib.request
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import ClientSession
from aiohttp.test_utils import TestServer
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from tempo_py.distributor.receivers.errors_metrics import dropped_count
from tempo_py.distributor.receivers.zipkin.http import zipkin_http_app
from tempo_py.distributor.receivers.zipkin.mapping import spans_to_otlp
from tempo_py.distributor.receivers.zipkin.v1_json import decode_v1_json
from tests.support.settings import MAX_REQUEST_BYTES

from .recording import Recorder, attrs


@pytest.fixture
async def base_url(recorder: Recorder) -> AsyncIterator[str]:
    server = TestServer(zipkin_http_app(recorder, max_body_bytes=MAX_REQUEST_BYTES), host="127.0.0.1")
    await server.start_server(auto_decompress=False)  # the receiver gunzips, bounded
    yield str(server.make_url("")).rstrip("/")
    await server.close()


def py_zipkin_trace(url: str, encoding_name: str) -> dict[str, tuple[str, str]]:
    """Emit a root SERVER span with a CLIENT child through py_zipkin; returns name → (trace, span) ids."""
    from py_zipkin.encoding._types import Encoding, Kind
    from py_zipkin.transport import BaseTransportHandler
    from py_zipkin.zipkin import zipkin_span

    encoding = Encoding[encoding_name]
    path = "/api/v1/spans" if encoding == Encoding.V1_JSON else "/api/v2/spans"
    ctype = "application/x-protobuf" if encoding == Encoding.V2_PROTO3 else "application/json"

    class Post(BaseTransportHandler):
        def get_max_payload_bytes(self) -> None:
            return None

        def send(self, payload: bytes | str) -> None:
            data = payload.encode() if isinstance(payload, str) else payload
            req = urllib.request.Request(url + path, data=data, headers={"Content-Type": ctype})
            with urllib.request.urlopen(req, timeout=10) as resp:
                assert resp.status == 202

    ids: dict[str, tuple[str, str]] = {}
    attrs_of: Any = lambda span: span.zipkin_attrs  # noqa: E731
    with zipkin_span(
        service_name="pyz-svc",
        span_name="root",
        transport_handler=Post(),
        sample_rate=100.0,
        encoding=encoding,
        use_128bit_trace_id=True,
        kind=Kind.SERVER,
    ) as root:
        root.update_binary_annotations({"http.path": "/x"})
        root.add_annotation("cache.miss")
        with zipkin_span(service_name="pyz-svc", span_name="child", kind=Kind.CLIENT) as child:
            child.add_sa_binary_annotation(port=5432, service_name="postgres", host="10.1.2.3")
            child.update_binary_annotations({"error": "connection reset"})
            ids["child"] = (attrs_of(child).trace_id, attrs_of(child).span_id)
        ids["root"] = (attrs_of(root).trace_id, attrs_of(root).span_id)
    return ids


@pytest.mark.parametrize("encoding", ["V1_JSON", "V2_JSON", "V2_PROTO3"])
async def test_py_zipkin_encodings(recorder: Recorder, base_url: str, encoding: str) -> None:
    ids = await asyncio.to_thread(py_zipkin_trace, base_url, encoding)
    await recorder.wait_spans(2)
    spans = recorder.by_name()
    assert recorder.calls[0][0] == "single-tenant"
    for name, (trace_id, span_id) in ids.items():
        res, span = spans[name]
        assert attrs(res.attributes) == {"service.name": "pyz-svc"}
        assert span.trace_id.hex() == trace_id.rjust(32, "0") and span.span_id.hex() == span_id
    root, child = spans["root"][1], spans["child"][1]
    assert child.parent_span_id == root.span_id
    assert (root.kind, child.kind) == (Span.SPAN_KIND_SERVER, Span.SPAN_KIND_CLIENT)
    assert root.end_time_unix_nano > root.start_time_unix_nano > 0
    assert root.start_time_unix_nano % 1000 == 0  # µs on the wire
    assert attrs(root.attributes)["http.path"] == "/x"
    assert [e.name for e in root.events] == ["cache.miss"]
    assert child.status.code == Status.STATUS_CODE_ERROR and child.status.message == "connection reset"
    child_attrs = attrs(child.attributes)
    assert "error" not in child_attrs
    assert child_attrs["peer.service"] == "postgres"
    assert child_attrs["net.peer.ip"] == "10.1.2.3" and child_attrs["net.peer.port"] == 5432


async def test_otel_zipkin_exporter(recorder: Recorder, base_url: str) -> None:
    from opentelemetry.exporter.zipkin.json import ZipkinExporter
    from opentelemetry.sdk.resources import Resource as SdkResource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.trace import SpanKind, StatusCode

    def emit() -> dict[str, tuple[int, int, int, int]]:
        provider = TracerProvider(resource=SdkResource.create({"service.name": "otel-svc"}))
        provider.add_span_processor(SimpleSpanProcessor(ZipkinExporter(endpoint=base_url + "/api/v2/spans")))
        tracer = provider.get_tracer("my.lib", "1.2")
        with tracer.start_as_current_span("otel-root", kind=SpanKind.SERVER) as root:
            root.set_attribute("n", 3)
            root.add_event("ev", {"a": "b", "c": 2})
            with tracer.start_as_current_span("otel-child", kind=SpanKind.PRODUCER) as child:
                child.set_status(StatusCode.ERROR, "bad")
        provider.shutdown()
        return {
            s.name: (s.context.trace_id, s.context.span_id, s.start_time, s.end_time)  # type: ignore
            for s in (root, child)
        }

    expected = await asyncio.to_thread(emit)
    await recorder.wait_spans(2)
    spans = recorder.by_name()
    for name, (tid, sid, start, end) in expected.items():
        res, span = spans[name]
        assert attrs(res.attributes)["service.name"] == "otel-svc"
        assert span.trace_id == tid.to_bytes(16, "big") and span.span_id == sid.to_bytes(8, "big")
        assert abs(span.start_time_unix_nano - start) < 1000 and span.start_time_unix_nano % 1000 == 0
        assert abs(span.end_time_unix_nano - end) < 2000
    root, child = spans["otel-root"][1], spans["otel-child"][1]
    assert child.kind == Span.SPAN_KIND_PRODUCER and child.parent_span_id == root.span_id
    assert child.status.code == Status.STATUS_CODE_ERROR and child.status.message == "bad"
    assert attrs(root.attributes)["n"] == "3"  # Zipkin tags are strings
    assert root.events[0].name == "ev" and attrs(root.events[0].attributes) == {"a": "b", "c": 2}
    scopes = {ss.scope.name for _, r, _ in recorder.calls for rs in r.resource_spans for ss in rs.scope_spans}
    assert scopes == {"my.lib"}


async def test_gzip_and_errors(recorder: Recorder, base_url: str) -> None:
    span = {
        "traceId": "463ac35c9f6413ad",
        "id": "72485a3953bb6124",
        "name": "gz",
        "timestamp": 1_700_000_000_000_001,
        "duration": 7,
        "kind": "SERVER",
        "shared": True,
        "localEndpoint": {"serviceName": "s"},
    }
    good = json.dumps([span]).encode()
    before = dropped_count("zipkin_v2_json", "invalid_span")
    async with ClientSession() as http:
        v2 = base_url + "/api/v2/spans"
        resp = await http.post(
            v2,
            data=gzip.compress(good),
            headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
        )
        assert resp.status == 202
        no_id = json.dumps([{**span, "id": None}]).encode()
        assert (await http.post(v2, data=no_id, headers={"Content-Type": "application/json"})).status == 400
        bad_hex = json.dumps([{**span, "traceId": "zz"}]).encode()
        assert (await http.post(v2, data=bad_hex, headers={"Content-Type": "application/json"})).status == 400
        for junk in (b"{", good[:-5], random.Random(3).randbytes(100)):
            assert (
                await http.post(v2, data=junk, headers={"Content-Type": "application/json"})
            ).status == 400
        assert (
            await http.post(
                v2, data=random.Random(4).randbytes(100), headers={"Content-Type": "application/x-protobuf"}
            )
        ).status == 400
        assert (await http.post(v2, data=b"x", headers={"Content-Type": "text/plain"})).status == 415
        assert (await http.post(v2, data=good, headers={"Content-Type": "application/json"})).status == 202
    assert dropped_count("zipkin_v2_json", "invalid_span") - before == 2
    spans = recorder.spans()
    assert len(spans) == 2
    s = spans[0][1]
    assert s.trace_id.hex() == "0000000000000000463ac35c9f6413ad"  # 64-bit id left-padded
    assert (s.start_time_unix_nano, s.end_time_unix_nano) == (
        1_700_000_000_000_001_000,
        1_700_000_000_000_008_000,
    )


def test_v1_shared_span_is_split_into_client_and_server() -> None:
    ep_c, ep_s = {"serviceName": "front", "ipv4": "1.1.1.1"}, {"serviceName": "back", "port": 8080}
    v1 = [
        {
            "traceId": "a" * 32,
            "id": "b" * 16,
            "name": "get",
            "timestamp": 100,
            "duration": 50,
            "annotations": [
                {"timestamp": 100, "value": "cs", "endpoint": ep_c},
                {"timestamp": 110, "value": "sr", "endpoint": ep_s},
                {"timestamp": 140, "value": "ss", "endpoint": ep_s},
                {"timestamp": 150, "value": "cr", "endpoint": ep_c},
                {"timestamp": 120, "value": "work", "endpoint": ep_s},
            ],
            "binaryAnnotations": [
                {"key": "http.url", "value": "/u", "endpoint": ep_c},
                {"key": "sa", "value": True, "endpoint": {"serviceName": "db"}},
            ],
        }
    ]
    spans = decode_v1_json(json.dumps(v1).encode())
    assert [(s.kind, s.local.service_name if s.local else "", s.shared) for s in spans] == [
        ("CLIENT", "front", False),
        ("SERVER", "back", True),
    ]
    assert (spans[1].timestamp_us, spans[1].duration_us) == (110, 30)
    req = spans_to_otlp(spans)
    by_service = {
        attrs(rs.resource.attributes)["service.name"]: rs.scope_spans[0].spans[0] for rs in req.resource_spans
    }
    client, server = by_service["front"], by_service["back"]
    assert client.span_id == server.span_id  # both halves kept
    assert (client.kind, server.kind) == (Span.SPAN_KIND_CLIENT, Span.SPAN_KIND_SERVER)
    assert attrs(client.attributes)["peer.service"] == "db"
    assert (client.start_time_unix_nano, client.end_time_unix_nano) == (100_000, 150_000)


@pytest.mark.parametrize(
    ("tags", "code", "message"),
    [
        ({"otel.status_code": "ERROR", "otel.status_description": "d"}, Status.STATUS_CODE_ERROR, "d"),
        ({"otel.status_code": "STATUS_CODE_OK"}, Status.STATUS_CODE_OK, ""),
        ({"error": "true"}, Status.STATUS_CODE_ERROR, ""),
        ({"error": ""}, Status.STATUS_CODE_ERROR, ""),
        ({}, Status.STATUS_CODE_UNSET, ""),
    ],
)
def test_zipkin_status_rules(tags: dict[str, str], code: int, message: str) -> None:
    from tempo_py.distributor.receivers.zipkin.model import ZipkinSpan

    req = spans_to_otlp([ZipkinSpan(trace_id=b"\1" * 16, id=b"\2" * 8, tags=dict(tags), timestamp_us=1)])
    span = req.resource_spans[0].scope_spans[0].spans[0]
    assert (span.status.code, span.status.message) == (code, message)
    assert not {"error", "otel.status_code", "otel.status_description"} & set(attrs(span.attributes))
