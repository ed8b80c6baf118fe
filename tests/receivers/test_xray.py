"""X-Ray daemon-protocol receiver driven by aws-xray-sdk and raw segment documents."""

from __future__ import annotations

import json
import random
import socket
import traceback
from typing import Any

import pytest
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from tempo_py.distributor.receivers.errors_metrics import dropped_count
from tempo_py.distributor.receivers.xray.segments import segment_to_otlp
from tempo_py.distributor.receivers.xray.udp import PROTOCOL, start_xray_udp
from tempo_py.model.xray_ids import trace_id_to_xray, xray_to_trace_id

from .recording import Recorder, attrs

HEADER = b'{"format":"json","version":1}\n'


def send(port: int, doc: dict[str, Any] | bytes) -> None:
    data = doc if isinstance(doc, bytes) else HEADER + json.dumps(doc).encode()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.sendto(data, ("127.0.0.1", port))


def test_trace_id_mapping_both_ways() -> None:
    tid = xray_to_trace_id("1-5759e988-bd862e3fe1be46a994272793")
    assert tid.hex() == "5759e988bd862e3fe1be46a994272793"
    assert trace_id_to_xray(tid) == "1-5759e988-bd862e3fe1be46a994272793"
    for bad in ("5759e988bd862e3fe1be46a994272793", "2-5759e988-bd862e3fe1be46a994272793", "1-xyz-abc"):
        with pytest.raises(ValueError):
            xray_to_trace_id(bad)
    with pytest.raises(ValueError):
        trace_id_to_xray(b"\0" * 8)


async def test_aws_xray_sdk_segment_with_subsegments(recorder: Recorder) -> None:
    from aws_xray_sdk.core.recorder import AWSXRayRecorder

    server = await start_xray_udp("127.0.0.1", 0, recorder, "t-x")
    try:
        rec = AWSXRayRecorder()
        rec.configure(daemon_address=f"127.0.0.1:{server.port}", sampling=False, context_missing="LOG_ERROR")
        seg = rec.begin_segment("checkout")
        seg.put_annotation("customer", "c-42")
        seg.put_annotation("items", 3)
        seg.put_metadata("cart", {"total": 9.5}, "shop")
        seg.put_http_meta("method", "POST")
        seg.put_http_meta("url", "https://shop/checkout")
        seg.put_http_meta("status", 500)
        sub = rec.begin_subsegment("DynamoDB", namespace="aws")
        sub.set_aws(
            {"operation": "GetItem", "region": "eu-west-1", "request_id": "r-1", "table_name": "carts"}
        )
        inner = rec.begin_subsegment("compute")
        try:
            raise ValueError("boom")
        except ValueError as exc:
            inner.add_exception(exc, traceback.extract_stack())
        rec.end_subsegment()
        rec.end_subsegment()
        rec.end_segment()
        await recorder.wait_spans(3)
    finally:
        await server.close()
    assert recorder.calls[0][0] == "t-x" and recorder.calls[0][2] == "xray_udp"
    spans = recorder.by_name()
    res, root = spans["checkout"]
    _, dynamo = spans["DynamoDB"]
    _, compute = spans["compute"]
    assert attrs(res.attributes)["service.name"] == "checkout"
    assert trace_id_to_xray(root.trace_id) == seg.trace_id
    assert (
        root.span_id.hex() == seg.id and dynamo.span_id.hex() == sub.id and compute.span_id.hex() == inner.id
    )
    assert (dynamo.parent_span_id, compute.parent_span_id) == (root.span_id, dynamo.span_id)
    assert root.parent_span_id == b""
    assert (root.kind, dynamo.kind, compute.kind) == (
        Span.SPAN_KIND_SERVER,
        Span.SPAN_KIND_CLIENT,
        Span.SPAN_KIND_INTERNAL,
    )
    assert root.start_time_unix_nano == round(seg.start_time * 1e6) * 1000
    assert root.end_time_unix_nano == round(seg.end_time * 1e6) * 1000
    a = attrs(root.attributes)
    assert a["customer"] == "c-42" and a["items"] == 3
    assert json.loads(str(a["aws.xray.metadata.shop"])) == {"cart": {"total": 9.5}}
    assert a["http.method"] == "POST" and a["http.status_code"] == 500
    assert root.status.code == Status.STATUS_CODE_ERROR  # fault (5xx)
    d = attrs(dynamo.attributes)
    assert d["aws.operation"] == "GetItem" and d["aws.region"] == "eu-west-1"
    assert d["aws.table_name"] == "carts" and d["aws.service"] == "DynamoDB"
    assert compute.status.code == Status.STATUS_CODE_ERROR and compute.status.message == "boom"
    event = compute.events[0]
    ea = attrs(event.attributes)
    assert (
        event.name == "exception"
        and ea["exception.type"] == "ValueError"
        and ea["exception.message"] == "boom"
    )
    assert "test_xray.py" in str(ea["exception.stacktrace"])


def _doc(**kw: Any) -> dict[str, Any]:
    base = {
        "name": "svc",
        "id": "70de5b6f19ff9a0a",
        "trace_id": "1-581cf771-a006649127e371903a2de979",
        "start_time": 1478293361.271,
        "end_time": 1478293361.449,
    }
    base.update(kw)
    return base


async def test_standalone_subsegment_and_in_progress(recorder: Recorder) -> None:
    server = await start_xray_udp("127.0.0.1", 0, recorder)
    before = dropped_count(PROTOCOL, "in_progress_superseded")
    try:
        sub = _doc(
            type="subsegment",
            id="a1b2c3d4e5f60718",
            parent_id="70de5b6f19ff9a0a",
            name="remote-call",
            namespace="remote",
            sql={
                "url": "jdbc:postgresql://db:5432/shop?x=1",
                "database_type": "pg",
                "sanitized_query": "select 1",
            },
        )
        send(server.port, sub)
        in_progress = _doc(in_progress=True)
        del in_progress["end_time"]
        send(server.port, in_progress)
        send(server.port, _doc())
        send(server.port, in_progress)  # late duplicate of the in-progress document: superseded
        send(server.port, _doc(id="1111111111111111", fault=True, error=True, throttle=True))
        await recorder.wait_spans(4)
        await server.drain()
    finally:
        await server.close()
    spans = recorder.spans()
    assert len(spans) == 4
    res, remote = spans[0]
    assert "service.name" not in attrs(res.attributes)
    assert remote.kind == Span.SPAN_KIND_CLIENT and remote.parent_span_id.hex() == "70de5b6f19ff9a0a"
    ra = attrs(remote.attributes)
    assert ra["db.connection_string"] == "jdbc:postgresql://db:5432" and ra["db.name"] == "shop"
    assert ra["db.system"] == "pg" and ra["db.statement"] == "select 1"
    first, completed = spans[1][1], spans[2][1]
    assert first.span_id == completed.span_id
    assert attrs(first.attributes) == {"aws.xray.inprogress": True}
    assert first.end_time_unix_nano == first.start_time_unix_nano < completed.end_time_unix_nano
    assert dropped_count(PROTOCOL, "in_progress_superseded") - before == 1
    flagged = spans[3][1]
    assert flagged.status.code == Status.STATUS_CODE_ERROR
    assert {k: v for k, v in attrs(flagged.attributes).items() if k.startswith("aws.xray.")} == {
        "aws.xray.fault": True,
        "aws.xray.error": True,
        "aws.xray.throttle": True,
    }


async def test_garbage_is_counted_and_receiver_survives(recorder: Recorder) -> None:
    server = await start_xray_udp("127.0.0.1", 0, recorder)
    before = {
        r: dropped_count(PROTOCOL, r) for r in ("decode_error", "invalid_span", "too_large", "unsupported")
    }
    try:
        send(server.port, random.Random(5).randbytes(300))
        send(server.port, HEADER + json.dumps(_doc()).encode()[:-10])
        send(server.port, b'{"format":"xml","version":1}\n{}')
        send(server.port, _doc(trace_id="nope"))
        send(server.port, _doc(subsegments=[{"name": "no-id"}]))
        send(server.port, HEADER + b"x" * 65_001)
        send(server.port, _doc())
        await recorder.wait_spans(1)
        await server.drain()
    finally:
        await server.close()
    assert len(recorder.spans()) == 1
    after = {r: dropped_count(PROTOCOL, r) - before[r] for r in before}
    assert after == {"decode_error": 2, "invalid_span": 2, "too_large": 1, "unsupported": 1}


def test_embedded_subsegment_inherits_trace_and_cause_id_message() -> None:
    req = segment_to_otlp(
        _doc(
            cause="abcdef0123456789",
            subsegments=[
                {
                    "name": "s3",
                    "id": "0000000000000002",
                    "start_time": 1478293361.3,
                    "end_time": 1478293361.4,
                    "http": {"request": {"client_ip": "1.2.3.4"}, "response": {"status": 404}},
                }
            ],
        )
    )
    root, child = req.resource_spans[0].scope_spans[0].spans
    assert child.trace_id == root.trace_id and child.parent_span_id == root.span_id
    assert root.status.code == Status.STATUS_CODE_ERROR and root.status.message == "abcdef0123456789"
    assert (
        child.kind == Span.SPAN_KIND_SERVER and child.status.code == Status.STATUS_CODE_UNSET
    )  # 404 on a server
