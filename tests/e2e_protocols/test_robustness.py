"""Truncated, oversized and random payloads at every Jaeger, Zipkin and X-Ray port of a real server.

Each case throws the bad payloads, then a good one with a fresh trace ID: the server must not
crash or hang, must answer HTTP/gRPC clients with the right error, must still accept the good
payload (read back by ID), and /metrics must count every drop by protocol and reason.
"""

from __future__ import annotations

import os
import random
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable

import grpc
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from bench.ingest_encoders import ENCODERS, XRAY_HEADER

from .conftest import MAX_REQUEST_BYTES, ProtocolServer
from .readback import dropped, read_trace


def good_request(service: str) -> tuple[ExportTraceServiceRequest, str]:
    """A one-span OTLP request with a fresh trace ID, to re-encode in each protocol."""
    req = ExportTraceServiceRequest()
    rs = req.resource_spans.add()
    rs.resource.attributes.add(key="service.name").value.string_value = service
    now = time.time_ns() // 1000 * 1000
    trace_id = os.urandom(16)
    rs.scope_spans.add().spans.add(
        trace_id=trace_id,
        span_id=os.urandom(8),
        name=f"{service}-ok",
        kind=Span.SPAN_KIND_SERVER,
        start_time_unix_nano=now,
        end_time_unix_nano=now + 5_000,
    )
    return req, trace_id.hex()


def encode_one(protocol: str, service: str) -> tuple[bytes, str]:
    """The good payload for ``protocol`` (one request body or datagram) and its trace ID."""
    req, trace_id = good_request(service)
    [payload] = ENCODERS[protocol](req.SerializeToString())
    return payload, trace_id


def send_udp(port: int, data: bytes) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.sendto(data, ("127.0.0.1", port))


def wait_drops(
    server: ProtocolServer, before: dict[tuple[str, str], float], want: dict[tuple[str, str], float]
) -> dict[tuple[str, str], float]:
    """Poll /metrics until the drop counters moved by ``want`` (UDP drops are counted asynchronously)."""
    deadline = time.monotonic() + 10
    while True:
        now = dropped(server.srv)
        delta = {k: now.get(k, 0.0) - before.get(k, 0.0) for k in want}
        if delta == want or time.monotonic() > deadline:
            return delta
        time.sleep(0.05)


def assert_alive(server: ProtocolServer) -> None:
    proc = server.srv.proc
    assert proc is not None and proc.poll() is None, server.srv.log_tail()
    status, _, _ = server.srv.request("GET", "/ready")
    assert status == 200


UDP_CASES = [
    ("jaeger_thrift_compact", "jaeger_compact", "jaeger_thrift_compact", b""),
    ("jaeger_thrift_binary", "jaeger_binary", "jaeger_thrift_binary", b""),
    ("xray", "xray", "xray_udp", XRAY_HEADER),
]


@pytest.mark.parametrize(
    ("protocol", "port_name", "label", "prefix"), UDP_CASES, ids=[c[0] for c in UDP_CASES]
)
def test_udp_receiver_survives_garbage(
    protocol_server: ProtocolServer, protocol: str, port_name: str, label: str, prefix: bytes
) -> None:
    port: int = getattr(protocol_server.ports, port_name)
    good, trace_id = encode_one(protocol, f"robust-{protocol}")
    before = dropped(protocol_server.srv)
    send_udp(port, prefix + random.Random(11).randbytes(700))  # random bytes
    send_udp(port, good[: len(good) * 2 // 3])  # truncated
    send_udp(port, prefix + b"\x00" * 65_001)  # above the 65,000-byte datagram limit
    send_udp(port, good)
    [span] = read_trace(protocol_server.srv, trace_id, min_spans=1)
    # An X-Ray segment is named after its service.
    assert span.span.name == (f"robust-{protocol}" if protocol == "xray" else f"robust-{protocol}-ok")
    want = {(label, "decode_error"): 2.0, (label, "too_large"): 1.0}
    assert wait_drops(protocol_server, before, want) == want
    assert_alive(protocol_server)


def post(url: str, body: bytes, content_type: str) -> int:
    req = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return int(r.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


HTTP_CASES = [
    # (bench encoder, path, content type, drop-counter protocol label)
    ("jaeger_thrift_http", "/api/traces", "application/x-thrift", "jaeger_thrift_http"),
    ("zipkin_json", "/api/v2/spans", "application/json", "zipkin_v2_json"),
]


@pytest.mark.parametrize(("protocol", "path", "ctype", "label"), HTTP_CASES, ids=[c[0] for c in HTTP_CASES])
def test_http_receiver_survives_garbage(
    protocol_server: ProtocolServer, protocol: str, path: str, ctype: str, label: str
) -> None:
    port = (
        protocol_server.ports.jaeger_http if protocol.startswith("jaeger") else protocol_server.ports.zipkin
    )
    url = f"http://127.0.0.1:{port}{path}"
    good, trace_id = encode_one(protocol, f"robust-{protocol}")
    before = dropped(protocol_server.srv)
    assert post(url, random.Random(12).randbytes(700), ctype) == 400
    assert post(url, good[: len(good) * 2 // 3], ctype) == 400
    assert post(url, b"[" + b" " * MAX_REQUEST_BYTES + b"]", ctype) == 413
    assert post(url, good, ctype) == 202
    [span] = read_trace(protocol_server.srv, trace_id, min_spans=1)
    assert span.span.name == f"robust-{protocol}-ok"
    want = {(label, "decode_error"): 2.0, (label, "too_large"): 1.0}
    assert wait_drops(protocol_server, before, want) == want
    assert_alive(protocol_server)


def test_zipkin_proto_and_v1_survive_garbage(protocol_server: ProtocolServer) -> None:
    base = protocol_server.zipkin_url
    before = dropped(protocol_server.srv)
    junk = random.Random(13).randbytes(700)
    assert post(base + "/api/v2/spans", junk, "application/x-protobuf") == 400
    assert post(base + "/api/v1/spans", junk, "application/json") == 400
    assert post(base + "/api/v1/spans", b'[{"traceId": "ab", "id": "cd", "na', "application/json") == 400
    good, trace_id = encode_one("zipkin_json", "robust-zipkin-after-proto")
    assert post(base + "/api/v2/spans", good, "application/json") == 202
    read_trace(protocol_server.srv, trace_id, min_spans=1)
    want = {("zipkin_v2_proto", "decode_error"): 1.0, ("zipkin_v1_json", "decode_error"): 2.0}
    assert wait_drops(protocol_server, before, want) == want
    assert_alive(protocol_server)


def test_jaeger_grpc_survives_garbage(protocol_server: ProtocolServer) -> None:
    good, trace_id = encode_one("jaeger_grpc", "robust-jaeger-grpc")
    before = dropped(protocol_server.srv)
    with grpc.insecure_channel(
        f"127.0.0.1:{protocol_server.ports.jaeger_grpc}",
        options=[("grpc.max_send_message_length", 8 * MAX_REQUEST_BYTES)],
    ) as channel:
        call: Callable[..., bytes] = channel.unary_unary(
            "/jaeger.api_v2.CollectorService/PostSpans",
            request_serializer=lambda b: b,
            response_deserializer=lambda b: b,
        )
        for bad, code in (
            (random.Random(14).randbytes(700), grpc.StatusCode.INVALID_ARGUMENT),
            (good[: len(good) * 2 // 3], grpc.StatusCode.INVALID_ARGUMENT),
            # Refused by gRPC itself (max_receive_message_length) before our handler runs.
            (b"\x0a" + b"\x00" * (2 * MAX_REQUEST_BYTES), grpc.StatusCode.RESOURCE_EXHAUSTED),
        ):
            with pytest.raises(grpc.RpcError) as info:
                call(bad, timeout=30)
            assert info.value.code() == code
        call(good, timeout=30)
    read_trace(protocol_server.srv, trace_id, min_spans=1)
    want = {("jaeger_grpc", "decode_error"): 2.0}
    assert wait_drops(protocol_server, before, want) == want
    assert_alive(protocol_server)
