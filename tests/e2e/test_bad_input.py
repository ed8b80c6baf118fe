"""Bad input gets a clear error and changes nothing; tenants are isolated; overload answers 429."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable

import grpc
import pytest
from google.rpc import error_details_pb2, status_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2_grpc
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from tempo_py.testing.otlp_factory import rich_request
from tests.support.server import TempoServer

from .test_otlp_roundtrip import assert_all_readable

ServerFactory = Callable[..., TempoServer]
PB = {"Content-Type": "application/x-protobuf"}
JS = {"Content-Type": "application/json"}


def _post(srv: TempoServer, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    return srv.request("POST", "", body, headers, url=srv.otlp_http_url)


def _status(body: bytes) -> status_pb2.Status:
    st = status_pb2.Status()
    st.ParseFromString(body)
    return st


@pytest.fixture
def small_server(tempo_server_factory: ServerFactory) -> TempoServer:
    return tempo_server_factory({"distributor": {"max_request_bytes": 200_000}})


def test_bad_payloads_get_documented_errors_and_change_nothing(small_server: TempoServer) -> None:
    srv = small_server
    good = rich_request(n_traces=2, spans_per_trace=2, seed=3)
    assert _post(srv, good.SerializeToString(), PB)[0] == 200
    srv.flush()
    before = sorted(p.name for p in (srv.workdir / "blocks").rglob("*"))

    status, _, body = _post(srv, b"\x0a\xff\xff\xff\x0f garbage", PB)
    assert status == 400 and "invalid OTLP protobuf" in _status(body).message
    status, _, body = _post(srv, b"{not json", JS)
    assert status == 400 and "invalid JSON" in json.loads(body)["message"]
    bad_id = {
        "resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "zz", "spanId": "0102030405060708"}]}]}]
    }
    status, _, body = _post(srv, json.dumps(bad_id).encode(), JS)
    assert status == 400 and "traceId" in json.loads(body)["message"]
    status, _, body = _post(srv, b"hello", {"Content-Type": "text/plain"})
    assert status == 415
    status, _, body = _post(srv, b"x" * 300_000, PB)
    assert status == 413
    bomb = gzip.compress(b"\x00" * 20_000_000)
    assert len(bomb) < 200_000
    status, _, body = _post(srv, bomb, {**PB, "Content-Encoding": "gzip"})
    assert status == 413 and "decompressed" in _status(body).message
    status, _, body = _post(srv, b"\x1f\x8b garbage", {**PB, "Content-Encoding": "gzip"})
    assert status == 400

    # one invalid span among valid ones: partial success; all invalid: 400
    mixed = rich_request(n_traces=1, spans_per_trace=2, seed=4)
    mixed.resource_spans[0].scope_spans[0].spans[0].trace_id = bytes(16)
    status, _, body = _post(srv, mixed.SerializeToString(), PB)
    resp = ExportTraceServiceResponse()
    resp.ParseFromString(body)
    assert status == 200 and resp.partial_success.rejected_spans == 1
    assert "trace ID" in resp.partial_success.error_message
    allbad = ExportTraceServiceRequest()
    sp = allbad.resource_spans.add().scope_spans.add().spans.add()
    sp.trace_id, sp.span_id = b"\x01" * 16, b"\x01" * 3
    assert _post(srv, allbad.SerializeToString(), PB)[0] == 400

    for bad in ("xyz", "0" * 33, "00000000000000000000000000000000", "-1"):
        status, _ = srv.get_trace(bad)
        assert status == 400, bad
    status, _, _ = srv.request("GET", "/api/traces/abc?start=notanumber")
    assert status == 400
    assert srv.get_trace("abc")[0] == 404  # short IDs are left-padded; absent is 404

    after = sorted(p.name for p in (srv.workdir / "blocks").rglob("*"))
    assert after == before  # nothing was written by the bad requests
    assert_all_readable(srv, good)
    assert srv.request("GET", "/ready")[0] == 200


def test_multitenancy_requires_and_isolates_tenants(tempo_server_factory: ServerFactory) -> None:
    srv = tempo_server_factory({"multitenancy_enabled": True})
    req = rich_request(n_traces=1, spans_per_trace=2, seed=9)
    tid = req.resource_spans[0].scope_spans[0].spans[0].trace_id.hex()
    assert _post(srv, req.SerializeToString(), PB)[0] == 401
    assert _post(srv, req.SerializeToString(), {**PB, "X-Scope-OrgID": "../etc"})[0] == 400
    assert _post(srv, req.SerializeToString(), {**PB, "X-Scope-OrgID": "team-a"})[0] == 200
    assert srv.get_trace(tid, headers={"X-Scope-OrgID": "team-a"})[0] == 200
    assert srv.get_trace(tid, headers={"X-Scope-OrgID": "team-b"})[0] == 404
    assert srv.get_trace(tid)[0] == 401
    srv.flush()
    assert list((srv.workdir / "blocks" / "team-a").glob("*/meta.json"))
    assert srv.get_trace(tid, headers={"X-Scope-OrgID": "team-b"})[0] == 404
    with grpc.insecure_channel(srv.otlp_grpc_target) as ch:
        stub = trace_service_pb2_grpc.TraceServiceStub(ch)
        with pytest.raises(grpc.RpcError) as e:
            stub.Export(req, timeout=10)
        assert e.value.code() == grpc.StatusCode.UNAUTHENTICATED
        stub.Export(req, metadata=[("x-scope-orgid", "team-c")], timeout=10)
    assert srv.get_trace(tid, headers={"X-Scope-OrgID": "team-c"})[0] == 200


def test_overload_answers_429_and_resource_exhausted(tempo_server_factory: ServerFactory) -> None:
    srv = tempo_server_factory({"ingester": {"max_live_bytes": 1000}})
    req = rich_request(n_traces=2, spans_per_trace=3, seed=21)
    status, headers, _ = _post(srv, req.SerializeToString(), PB)
    assert status == 429 and int(headers["Retry-After"]) >= 1
    with grpc.insecure_channel(srv.otlp_grpc_target) as ch:
        stub = trace_service_pb2_grpc.TraceServiceStub(ch)
        with pytest.raises(grpc.RpcError) as e:
            stub.Export(req, timeout=10)
        assert e.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        details = dict(e.value.trailing_metadata() or ())["grpc-status-details-bin"]
        st = status_pb2.Status()
        st.ParseFromString(details)
        info = error_details_pb2.RetryInfo()
        assert st.details[0].Unpack(info) and info.retry_delay.seconds >= 1
    tid = req.resource_spans[0].scope_spans[0].spans[0].trace_id.hex()
    assert srv.get_trace(tid)[0] == 404  # refused means not stored
    metrics = srv.request("GET", "/metrics")[2].decode()
    assert "tempo_distributor_spans_received_total" in metrics


def test_metrics_count_spans_and_flushes(tempo_server_factory: ServerFactory) -> None:
    srv = tempo_server_factory()
    req = rich_request(n_traces=2, spans_per_trace=3, seed=31)
    assert _post(srv, req.SerializeToString(), PB)[0] == 200
    srv.flush()
    srv.get_trace(req.resource_spans[0].scope_spans[0].spans[0].trace_id.hex())
    text = srv.request("GET", "/metrics")[2].decode()
    n = sum(len(ss.spans) for rs in req.resource_spans for ss in rs.scope_spans)
    assert (
        f'tempo_distributor_spans_received_total{{protocol="otlp_http",tenant="single-tenant"}} {float(n)}'
        in text
    )
    assert 'tempo_ingester_blocks_flushed_total{tenant="single-tenant"}' in text
    assert "tempo_query_duration_seconds_bucket" in text
    assert "tempo_backend_requests_total" in text
    assert "tempo_ingester_wal_bytes" in text
    status, _, body = srv.request("GET", "/api/status/buildinfo")
    assert status == 200 and "version" in json.loads(body)
