"""The OTLP receivers stand behind a PushFn like every other receiver (no Distributor needed)."""

from __future__ import annotations

import json
import socket

import grpc
import pytest
from aiohttp import ClientSession
from aiohttp.test_utils import TestServer
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2_grpc
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from tempo_py.distributor.receivers.otlp.grpc_server import start_otlp_grpc
from tempo_py.distributor.receivers.otlp.http import otlp_http_app
from tempo_py.push import Overloaded, PushResult
from tempo_py.tenant import tenant_resolver

from .recording import Recorder


def one_span_request() -> ExportTraceServiceRequest:
    req = ExportTraceServiceRequest()
    span = req.resource_spans.add().scope_spans.add().spans.add()
    span.trace_id, span.span_id, span.name = b"\x01" * 16, b"\x02" * 8, "op"
    span.start_time_unix_nano, span.end_time_unix_nano = 1, 2
    return req


async def test_http_protobuf_goes_to_push_raw_with_its_bytes_and_json_to_push(recorder: Recorder) -> None:
    raw_calls: list[tuple[str, str, bytes]] = []

    async def push_raw(
        tenant: str, request: ExportTraceServiceRequest, protocol: str, wire: bytes
    ) -> PushResult:
        raw_calls.append((tenant, protocol, wire))
        return PushResult(accepted_spans=1)

    body = one_span_request().SerializeToString()
    server = TestServer(otlp_http_app(recorder, tenant_resolver(False), 1 << 20, push_raw=push_raw))
    await server.start_server(auto_decompress=False)
    try:
        async with ClientSession() as http:
            pb = {"Content-Type": "application/x-protobuf"}
            async with http.post(server.make_url("/v1/traces"), data=body, headers=pb) as resp:
                assert resp.status == 200
            assert raw_calls == [("single-tenant", "otlp_http", body)] and not recorder.calls
            doc = {
                "resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "01" * 16, "spanId": "02" * 8}]}]}]
            }
            js = {"Content-Type": "application/json"}
            async with http.post(server.make_url("/v1/traces"), data=json.dumps(doc), headers=js) as resp:
                assert resp.status == 200
            assert [(t, p) for t, _, p in recorder.calls] == [("single-tenant", "otlp_http")]
    finally:
        await server.close()


async def test_http_without_push_raw_pushes_protobuf_too(recorder: Recorder) -> None:
    server = TestServer(otlp_http_app(recorder, tenant_resolver(True), 1 << 20))
    await server.start_server(auto_decompress=False)
    try:
        async with ClientSession() as http:
            headers = {"Content-Type": "application/x-protobuf", "X-Scope-OrgID": "acme"}
            body = one_span_request().SerializeToString()
            async with http.post(server.make_url("/v1/traces"), data=body, headers=headers) as resp:
                assert resp.status == 200
            recorder.fail_with = Overloaded("full", retry_after_s=3)
            async with http.post(server.make_url("/v1/traces"), data=body, headers=headers) as resp:
                assert resp.status == 429 and resp.headers["Retry-After"] == "3"
            bad = {**headers, "X-Scope-OrgID": "../etc"}
            async with http.post(server.make_url("/v1/traces"), data=body, headers=bad) as resp:
                assert resp.status == 400
        assert [(t, p) for t, _, p in recorder.calls] == [("acme", "otlp_http")]
    finally:
        await server.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_grpc_pushes_through_a_push_fn(recorder: Recorder) -> None:
    port = free_port()
    server = await start_otlp_grpc("127.0.0.1", port, recorder, tenant_resolver(True), 1 << 20)
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = trace_service_pb2_grpc.TraceServiceStub(channel)
            await stub.Export(one_span_request(), metadata=(("x-scope-orgid", "acme"),), timeout=10)
            recorder.fail_with = Overloaded("full")
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await stub.Export(one_span_request(), metadata=(("x-scope-orgid", "acme"),), timeout=10)
            assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert [(t, p) for t, _, p in recorder.calls] == [("acme", "otlp_grpc")]
    finally:
        await server.stop(0)
