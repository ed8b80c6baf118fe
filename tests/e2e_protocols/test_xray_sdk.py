"""aws-xray-sdk (Python) → its UDP emitter → real server; read back by hex and by X-Ray trace ID."""

from __future__ import annotations

import json
import traceback
from typing import Any

import pytest
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from .conftest import ProtocolServer
from .readback import attrs, by_name, read_trace


@pytest.fixture(scope="module")
def segment(protocol_server: ProtocolServer) -> dict[str, Any]:
    """One segment with an aws subsegment, a nested failing subsegment and annotations, sent once."""
    from aws_xray_sdk.core.recorder import AWSXRayRecorder

    rec = AWSXRayRecorder()
    rec.configure(
        daemon_address=f"127.0.0.1:{protocol_server.ports.xray}", sampling=False, context_missing="LOG_ERROR"
    )
    seg = rec.begin_segment("checkout-e2e")
    seg.put_annotation("customer", "c-42")
    seg.put_annotation("items", 3)
    seg.put_annotation("vip", True)
    seg.put_metadata("cart", {"total": 9.5}, "shop")
    seg.put_http_meta("method", "POST")
    seg.put_http_meta("url", "https://shop.example/checkout")
    seg.put_http_meta("status", 502)
    dynamo = rec.begin_subsegment("DynamoDB", namespace="aws")
    dynamo.set_aws(
        {"operation": "GetItem", "region": "eu-west-1", "request_id": "r-1", "table_name": "carts"}
    )
    compute = rec.begin_subsegment("compute-total")
    compute.put_annotation("step", "sum")
    try:
        raise ValueError("boom")
    except ValueError as exc:
        compute.add_exception(exc, traceback.extract_stack())
    rec.end_subsegment()
    rec.end_subsegment()
    rec.end_segment()
    return {"segment": seg, "DynamoDB": dynamo, "compute-total": compute}


@pytest.mark.parametrize(
    ("id_form", "version"), [("hex", 2), ("xray", 2), ("xray", 1)], ids=["hex-v2", "xray-v2", "xray-v1"]
)
def test_aws_xray_sdk_udp(
    protocol_server: ProtocolServer, segment: dict[str, Any], id_form: str, version: int
) -> None:
    seg = segment["segment"]
    xray_id: str = seg.trace_id
    hex_id = xray_id[2:10] + xray_id[11:]  # the OpenTelemetry X-Ray propagator's 128-bit form
    query_id = hex_id if id_form == "hex" else xray_id
    spans = by_name(read_trace(protocol_server.srv, query_id, min_spans=3, version=version))
    assert set(spans) == {"checkout-e2e", "DynamoDB", "compute-total"}
    root, dynamo, compute = spans["checkout-e2e"], spans["DynamoDB"], spans["compute-total"]
    for got, sent in ((root, seg), (dynamo, segment["DynamoDB"]), (compute, segment["compute-total"])):
        assert got.span.trace_id.hex() == hex_id and got.span.span_id.hex() == sent.id
        # X-Ray times are float seconds with µs resolution: exact to the µs.
        assert got.span.start_time_unix_nano == round(sent.start_time * 1e6) * 1000
        assert got.span.end_time_unix_nano == round(sent.end_time * 1e6) * 1000
        assert got.resource["service.name"] == "checkout-e2e"
    assert root.span.parent_span_id == b""
    assert (dynamo.span.parent_span_id, compute.span.parent_span_id) == (
        root.span.span_id,
        dynamo.span.span_id,
    )
    assert (root.span.kind, dynamo.span.kind, compute.span.kind) == (
        Span.SPAN_KIND_SERVER,
        Span.SPAN_KIND_CLIENT,
        Span.SPAN_KIND_INTERNAL,
    )
    a = root.attrs
    assert (a["customer"], a["items"], a["vip"]) == ("c-42", 3, True)  # annotations keep their types
    assert json.loads(str(a["aws.xray.metadata.shop"])) == {"cart": {"total": 9.5}}
    assert (a["http.method"], a["http.url"], a["http.status_code"]) == (
        "POST",
        "https://shop.example/checkout",
        502,
    )
    assert root.span.status.code == Status.STATUS_CODE_ERROR  # 5xx → fault
    d = dynamo.attrs
    assert (d["aws.operation"], d["aws.region"], d["aws.table_name"], d["aws.service"]) == (
        "GetItem",
        "eu-west-1",
        "carts",
        "DynamoDB",
    )
    assert dynamo.span.status.code == Status.STATUS_CODE_UNSET
    assert compute.attrs["step"] == "sum"
    assert (compute.span.status.code, compute.span.status.message) == (Status.STATUS_CODE_ERROR, "boom")
    [event] = compute.span.events
    ea = attrs(event.attributes)
    assert event.name == "exception"
    assert (ea["exception.type"], ea["exception.message"]) == ("ValueError", "boom")
    assert "test_xray_sdk.py" in str(ea["exception.stacktrace"])


def test_bad_xray_id_is_a_clear_400(protocol_server: ProtocolServer) -> None:
    for bad in ("1-5759e988-zz862e3fe1be46a994272793", "2-5759e988-bd862e3fe1be46a994272793"):
        status, body = protocol_server.srv.get_trace(bad)
        assert status == 400 and b"trace ID" in body, body
