"""Jaeger collector endpoints: Thrift over HTTP (aiohttp) and api_v2 protobuf over gRPC."""

from __future__ import annotations

import gzip
import random
from collections.abc import AsyncIterator, Mapping
from typing import Any

import grpc
import pytest
from aiohttp import ClientSession, web
from aiohttp.test_utils import TestServer
from thriftpy2.protocol import TBinaryProtocolFactory
from thriftpy2.utils import serialize

from tempo_py.distributor.receivers.errors_metrics import dropped_count
from tempo_py.distributor.receivers.jaeger import api_v2
from tempo_py.distributor.receivers.jaeger.grpc_server import start_jaeger_grpc
from tempo_py.distributor.receivers.jaeger.http import jaeger_http_app
from tempo_py.distributor.receivers.jaeger.thrift_model import jaeger_thrift as jt
from tempo_py.push import Overloaded
from tests.support.settings import MAX_REQUEST_BYTES

from .recording import Recorder, attrs


def strict_tenant(headers: Mapping[str, str]) -> str:
    for key, value in headers.items():
        if key.lower() == "x-scope-orgid":
            return value
    raise PermissionError("missing X-Scope-OrgID")


def thrift_batch() -> bytes:
    span = jt.Span(
        traceIdLow=1,
        traceIdHigh=0,
        spanId=2,
        parentSpanId=0,
        operationName="http-op",
        flags=1,
        startTime=1_000_000,
        duration=10,
        tags=[jt.Tag(key="k", vType=3, vLong=5)],
    )
    batch = jt.Batch(process=jt.Process(serviceName="http-svc"), spans=[span])
    factory: Any = TBinaryProtocolFactory
    return bytes(serialize(batch, factory()))


@pytest.fixture
async def http_server(recorder: Recorder) -> AsyncIterator[str]:
    server = TestServer(
        jaeger_http_app(recorder, tenant_of=strict_tenant, max_body_bytes=MAX_REQUEST_BYTES), host="127.0.0.1"
    )
    await server.start_server(auto_decompress=False)  # the receiver gunzips, bounded
    yield str(server.make_url("/api/traces"))
    await server.close()


async def test_thrift_http_accepts_both_content_types(recorder: Recorder, http_server: str) -> None:
    async with ClientSession() as http:
        for ctype in ("application/x-thrift", "application/vnd.apache.thrift.binary"):
            resp = await http.post(
                http_server, data=thrift_batch(), headers={"Content-Type": ctype, "X-Scope-OrgID": "acme"}
            )
            assert resp.status == 202, await resp.text()
        resp = await http.post(
            http_server,
            data=gzip.compress(thrift_batch()),
            headers={
                "Content-Type": "application/x-thrift",
                "Content-Encoding": "gzip",
                "X-Scope-OrgID": "acme",
            },
        )
        assert resp.status == 202
    assert [c[0] for c in recorder.calls] == ["acme"] * 3
    res, span = recorder.spans()[0]
    assert attrs(res.attributes) == {"service.name": "http-svc"}
    assert span.name == "http-op" and attrs(span.attributes) == {"k": 5}
    assert span.trace_id.hex() == "0" * 31 + "1"


async def test_thrift_http_errors(recorder: Recorder, http_server: str) -> None:
    good = {"Content-Type": "application/x-thrift", "X-Scope-OrgID": "acme"}
    before = dropped_count("jaeger_thrift_http", "decode_error")
    async with ClientSession() as http:
        assert (
            await http.post(
                http_server, data=thrift_batch(), headers={"Content-Type": "application/x-thrift"}
            )
        ).status == 401
        assert (
            await http.post(http_server, data=b"{}", headers={**good, "Content-Type": "application/json"})
        ).status == 415
        assert (
            await http.post(http_server, data=random.Random(7).randbytes(300), headers=good)
        ).status == 400
        assert (await http.post(http_server, data=thrift_batch()[:-7], headers=good)).status == 400
    async with ClientSession() as http:
        recorder.fail_with = Overloaded("slow down", retry_after_s=3)
        resp = await http.post(http_server, data=thrift_batch(), headers=good)
        assert resp.status == 429 and resp.headers["Retry-After"] == "3"
        recorder.fail_with = None
        assert (await http.post(http_server, data=thrift_batch(), headers=good)).status == 202
    assert dropped_count("jaeger_thrift_http", "decode_error") - before == 2


async def test_thrift_http_oversized_body(recorder: Recorder) -> None:
    server = TestServer(jaeger_http_app(recorder, max_body_bytes=1000), host="127.0.0.1")
    await server.start_server(auto_decompress=False)  # the receiver gunzips, bounded
    try:
        async with ClientSession() as http:
            resp = await http.post(
                server.make_url("/api/traces"),
                data=b"x" * 5000,
                headers={"Content-Type": "application/x-thrift"},
            )
            assert resp.status == 413
            bomb = gzip.compress(b"\0" * 100_000)
            resp = await http.post(
                server.make_url("/api/traces"),
                data=bomb,
                headers={"Content-Type": "application/x-thrift", "Content-Encoding": "gzip"},
            )
            assert resp.status == 413
    finally:
        await server.close()


def post_spans_request() -> Any:
    req = api_v2.PostSpansRequest()
    req.batch.process.service_name = "grpc-svc"
    req.batch.process.tags.add(key="ip", v_type=api_v2.STRING, v_str="10.0.0.1")
    span = req.batch.spans.add(
        trace_id=bytes.fromhex("0af7651916cd43dd8448eb211c80319c"),
        span_id=bytes.fromhex("b7ad6b7169203331"),
        operation_name="grpc-op",
        flags=1,
    )
    span.references.add(
        trace_id=span.trace_id, span_id=bytes.fromhex("00f067aa0ba902b7"), ref_type=api_v2.CHILD_OF
    )
    span.start_time.seconds, span.start_time.nanos = 1_700_000_000, 1_000
    span.duration.nanos = 250_000
    span.tags.add(key="span.kind", v_type=api_v2.STRING, v_str="server")
    span.tags.add(key="f", v_type=api_v2.FLOAT64, v_float64=0.5)
    log = span.logs.add()
    log.timestamp.seconds, log.timestamp.nanos = 1_700_000_000, 2_000
    log.fields.add(key="event", v_type=api_v2.STRING, v_str="retry")
    return req


async def test_grpc_post_spans(recorder: Recorder) -> None:
    server = await start_jaeger_grpc(
        "127.0.0.1", 0, recorder, tenant_of=strict_tenant, max_message_bytes=MAX_REQUEST_BYTES
    )
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
            call = channel.unary_unary(
                api_v2.POST_SPANS_METHOD,
                request_serializer=lambda m: m.SerializeToString(),
                response_deserializer=api_v2.PostSpansResponse.FromString,
            )
            await call(post_spans_request(), metadata=(("x-scope-orgid", "acme"),))
            with pytest.raises(grpc.aio.AioRpcError) as info:
                await call(post_spans_request())
            assert info.value.code() == grpc.StatusCode.UNAUTHENTICATED
            raw = channel.unary_unary(api_v2.POST_SPANS_METHOD)
            for junk in (random.Random(8).randbytes(200), post_spans_request().SerializeToString()[:-9]):
                with pytest.raises(grpc.aio.AioRpcError) as info:
                    await raw(junk, metadata=(("x-scope-orgid", "acme"),))
                assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            recorder.fail_with = Overloaded("full")
            with pytest.raises(grpc.aio.AioRpcError) as info:
                await call(post_spans_request(), metadata=(("x-scope-orgid", "acme"),))
            assert info.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
            recorder.fail_with = None
            await call(post_spans_request(), metadata=(("x-scope-orgid", "acme"),))
    finally:
        await server.close()
    assert [c[0] for c in recorder.calls] == ["acme", "acme"]
    res, span = recorder.spans()[0]
    assert attrs(res.attributes) == {"service.name": "grpc-svc", "ip": "10.0.0.1"}
    assert span.parent_span_id.hex() == "00f067aa0ba902b7" and not span.links
    assert span.kind == 2 and attrs(span.attributes) == {"f": 0.5}
    assert span.start_time_unix_nano == 1_700_000_000_000_001_000
    assert span.end_time_unix_nano == 1_700_000_000_000_251_000
    assert span.events[0].name == "retry" and span.events[0].time_unix_nano == 1_700_000_000_000_002_000


def test_web_app_is_mountable(recorder: Recorder) -> None:
    root = web.Application()
    root.add_subapp("/jaeger", jaeger_http_app(recorder, max_body_bytes=MAX_REQUEST_BYTES))
