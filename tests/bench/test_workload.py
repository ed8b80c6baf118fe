"""Tests for the benchmark workload generator (bench.workload)."""

from __future__ import annotations

import base64
import json
import statistics
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, Span, Status

from bench.workload import (
    Workload,
    WorkloadConfig,
    generate_request_bytes,
    generate_requests,
    generate_traces,
    main,
    read_protobuf_requests,
    request_to_otlp_json,
    write_otlp_json,
    write_protobuf_requests,
)
from bench.workload_stats import WorkloadStats, percentile

T0 = 1_700_000_000_000_000_000

RESOURCE_KEYS = {
    "service.name",
    "service.version",
    "service.namespace",
    "deployment.environment.name",
    "k8s.namespace.name",
    "k8s.pod.name",
    "k8s.deployment.name",
    "k8s.node.name",
    "k8s.cluster.name",
    "host.name",
    "cloud.provider",
    "cloud.region",
    "cloud.availability_zone",
    "telemetry.sdk.name",
    "telemetry.sdk.language",
    "telemetry.sdk.version",
}
HTTP_SERVER_KEYS = {
    "http.request.method",
    "http.route",
    "url.path",
    "url.scheme",
    "http.response.status_code",
    "server.address",
    "server.port",
    "network.protocol.version",
}
HTTP_CLIENT_KEYS = {
    "http.request.method",
    "url.full",
    "http.response.status_code",
    "server.address",
    "server.port",
    "network.protocol.version",
}
GRPC_KEYS = {
    "rpc.system",
    "rpc.service",
    "rpc.method",
    "rpc.grpc.status_code",
    "server.address",
    "server.port",
}
DB_KEYS = {"db.system", "db.name", "db.statement", "db.operation", "server.address", "server.port"}
REDIS_KEYS = {"db.system", "db.statement", "db.operation", "server.address", "server.port"}
MESSAGING_KEYS = {"messaging.system", "messaging.destination.name", "messaging.operation"}


def _attrs(kvs: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for kv in kvs:
        assert isinstance(kv, KeyValue)
        field = kv.value.WhichOneof("value")
        assert field is not None, kv.key
        out[kv.key] = getattr(kv.value, field)
    return out


def _spans(trace: list[ResourceSpans]) -> list[tuple[dict[str, Any], Span]]:
    return [(_attrs(rs.resource.attributes), s) for rs in trace for ss in rs.scope_spans for s in ss.spans]


@pytest.fixture(scope="module")
def traces() -> list[list[ResourceSpans]]:
    """400 parsed traces with many errors, so error handling is exercised too."""
    config = WorkloadConfig(seed=3, start_time_ns=T0, error_rate=0.2)
    return list(generate_traces(400, config=config))


@pytest.fixture(scope="module")
def sizes_and_errors() -> list[tuple[int, bool]]:
    """(span count, error) of 5,000 default-configuration traces; cheap: no protobuf parsing."""
    stream = Workload(WorkloadConfig(start_time_ns=T0)).traces()
    return [(t.span_count, t.error) for t, _ in zip(stream, range(5000), strict=False)]


def test_same_seed_gives_identical_bytes_and_other_seed_differs() -> None:
    first = list(generate_request_bytes(20_000, seed=7, start_time_ns=T0))
    again = list(generate_request_bytes(20_000, seed=7, start_time_ns=T0))
    other = list(generate_request_bytes(20_000, seed=8, start_time_ns=T0))
    assert first == again
    assert first != other
    assert b"".join(first) != b"".join(other)


def test_hand_encoded_requests_are_canonical_protobuf() -> None:
    for body in list(generate_request_bytes(5_000, start_time_ns=T0))[:5]:
        assert ExportTraceServiceRequest.FromString(body).SerializeToString() == body


def test_trace_size_distribution_is_heavy_tailed(sizes_and_errors: list[tuple[int, bool]]) -> None:
    sizes = sorted(n for n, _ in sizes_and_errors)
    assert 14 <= statistics.median(sizes) <= 30
    assert 100 <= percentile(sizes, 99) <= 800
    assert sizes[0] >= 1
    assert sizes[-1] >= 1000
    assert sum(1 for n in sizes if n >= 1000) / len(sizes) < 0.01


def test_error_trace_fraction(sizes_and_errors: list[tuple[int, bool]]) -> None:
    errors = sum(1 for _, err in sizes_and_errors if err) / len(sizes_and_errors)
    assert 0.008 <= errors <= 0.025


def test_ids_are_valid_and_parents_are_in_the_same_trace(traces: list[list[ResourceSpans]]) -> None:
    seen_traces: set[bytes] = set()
    for trace in traces:
        spans = [s for _, s in _spans(trace)]
        trace_ids = {s.trace_id for s in spans}
        assert len(trace_ids) == 1
        (trace_id,) = trace_ids
        assert len(trace_id) == 16 and trace_id != bytes(16)
        assert trace_id not in seen_traces
        seen_traces.add(trace_id)
        ids = [s.span_id for s in spans]
        assert all(len(i) == 8 and i != bytes(8) for i in ids)
        assert len(set(ids)) == len(ids)
        roots = [s for s in spans if not s.parent_span_id]
        assert len(roots) == 1
        assert all(s.parent_span_id in set(ids) for s in spans if s.parent_span_id)


def test_children_lie_inside_their_parents(traces: list[list[ResourceSpans]]) -> None:
    for trace in traces:
        by_id = {s.span_id: s for _, s in _spans(trace)}
        for span in by_id.values():
            assert span.start_time_unix_nano >= T0
            assert span.end_time_unix_nano > span.start_time_unix_nano
            if span.parent_span_id:
                parent = by_id[span.parent_span_id]
                assert span.start_time_unix_nano >= parent.start_time_unix_nano
                assert span.end_time_unix_nano <= parent.end_time_unix_nano


def test_errors_carry_exception_events_and_propagate_to_the_root(traces: list[list[ResourceSpans]]) -> None:
    error_traces = 0
    for trace in traces:
        spans = [s for _, s in _spans(trace)]
        failed = [s for s in spans if s.status.code == Status.STATUS_CODE_ERROR]
        if not failed:
            continue
        error_traces += 1
        by_id = {s.span_id: s for s in spans}
        origins = [s for s in failed if any(e.name == "exception" for e in s.events)]
        assert len(origins) == 1
        event = next(e for e in origins[0].events if e.name == "exception")
        attrs = _attrs(event.attributes)
        assert attrs["exception.type"] and attrs["exception.message"]
        assert attrs["exception.stacktrace"].count("\n") >= 3
        assert origins[0].status.message == attrs["exception.message"]
        # Every ancestor of the failing span fails too, up to the root.
        span = origins[0]
        while span.parent_span_id:
            span = by_id[span.parent_span_id]
            assert span.status.code == Status.STATUS_CODE_ERROR
            span_attrs = _attrs(span.attributes)
            if "http.response.status_code" in span_attrs:
                assert span_attrs["http.response.status_code"] >= 500
            if "rpc.grpc.status_code" in span_attrs:
                assert span_attrs["rpc.grpc.status_code"] != 0
        chain = {origins[0].span_id} | {s.span_id for s in _ancestors(origins[0], by_id)}
        assert {s.span_id for s in failed} <= chain
    assert 40 <= error_traces <= 130  # error_rate=0.2 of 400 traces


def _ancestors(span: Span, by_id: dict[bytes, Span]) -> list[Span]:
    out = []
    while span.parent_span_id:
        span = by_id[span.parent_span_id]
        out.append(span)
    return out


def test_attributes_follow_semantic_conventions(traces: list[list[ResourceSpans]]) -> None:
    kinds: Counter[str] = Counter()
    statements: list[str] = []
    for trace in traces:
        for resource, span in _spans(trace):
            assert resource.keys() >= RESOURCE_KEYS
            assert resource["k8s.deployment.name"] == resource["service.name"]
            assert resource["k8s.pod.name"].startswith(resource["service.name"] + "-")
            attrs = _attrs(span.attributes)
            if "http.request.method" in attrs:
                if span.kind == Span.SPAN_KIND_SERVER:
                    assert attrs.keys() >= HTTP_SERVER_KEYS, attrs
                    assert span.name == f"{attrs['http.request.method']} {attrs['http.route']}"
                    if resource["service.name"] == "frontend":
                        assert "user_agent.original" in attrs
                    kinds["http_server"] += 1
                else:
                    assert span.kind == Span.SPAN_KIND_CLIENT
                    assert attrs.keys() >= HTTP_CLIENT_KEYS, attrs
                    assert attrs["url.full"].startswith(("http://", "https://"))
                    kinds["http_client"] += 1
            elif attrs.get("rpc.system") == "grpc":
                assert attrs.keys() >= GRPC_KEYS, attrs
                assert span.kind in (Span.SPAN_KIND_SERVER, Span.SPAN_KIND_CLIENT)
                assert span.name == f"{attrs['rpc.service']}/{attrs['rpc.method']}"
                kinds["grpc"] += 1
            elif attrs.get("db.system") == "redis":
                assert attrs.keys() >= REDIS_KEYS and span.kind == Span.SPAN_KIND_CLIENT
                kinds["redis"] += 1
            elif "db.system" in attrs:
                assert attrs.keys() >= DB_KEYS and span.kind == Span.SPAN_KIND_CLIENT
                assert attrs["db.system"] in ("postgresql", "mysql", "mongodb")
                statements.append(attrs["db.statement"])
                kinds["db"] += 1
            elif "messaging.system" in attrs:
                assert attrs.keys() >= MESSAGING_KEYS and attrs["messaging.system"] == "kafka"
                expected = (
                    Span.SPAN_KIND_PRODUCER
                    if attrs["messaging.operation"] == "publish"
                    else Span.SPAN_KIND_CONSUMER
                )
                assert span.kind == expected
                kinds["messaging"] += 1
            else:
                assert span.kind == Span.SPAN_KIND_INTERNAL
                kinds["internal"] += 1
    assert set(kinds) == {"http_server", "http_client", "grpc", "redis", "db", "messaging", "internal"}
    assert any(s.startswith("SELECT * FROM orders WHERE id = ") and s[-1].isdigit() for s in statements)


def test_routes_have_placeholders_and_urls_have_concrete_ids(traces: list[list[ResourceSpans]]) -> None:
    pairs = set()
    for trace in traces:
        for _, span in _spans(trace):
            attrs = _attrs(span.attributes)
            if attrs.get("http.route") == "/api/orders/{id}":
                pairs.add(attrs["url.path"])
            if attrs.get("url.full", "").startswith("http://api-gateway:8080/api/orders/"):
                assert attrs["url.full"].rsplit("/", 1)[1].isdigit()
    assert pairs and all(p.rsplit("/", 1)[1].isdigit() for p in pairs)


def test_scopes_match_instrumentation_libraries(traces: list[list[ResourceSpans]]) -> None:
    scopes = {(ss.scope.name, ss.scope.version) for trace in traces for rs in trace for ss in rs.scope_spans}
    assert all(name and version for name, version in scopes)
    names = {name for name, _ in scopes}
    assert "opentelemetry.instrumentation.flask" in names
    assert "go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc" in names
    assert "io.opentelemetry.jdbc" in names


def test_pods_are_a_few_replicas_per_service_and_stable_per_seed() -> None:
    first = Workload(WorkloadConfig(seed=5, start_time_ns=T0))
    again = Workload(WorkloadConfig(seed=5, start_time_ns=T0))
    other = Workload(WorkloadConfig(seed=6, start_time_ns=T0))
    assert [p.name for p in first.pods] == [p.name for p in again.pods]
    assert [p.name for p in first.pods] != [p.name for p in other.pods]
    per_service = Counter(p.service for p in first.pods)
    assert len(per_service) == 15
    assert all(2 <= n <= 4 for n in per_service.values())
    assert first.operation_count >= 60


def test_requests_group_by_resource_and_scope_and_keep_traces_whole() -> None:
    requests = list(generate_requests(30_000, spans_per_request=500, start_time_ns=T0))
    seen: set[bytes] = set()
    total = 0
    for request in requests:
        pods = [_attrs(rs.resource.attributes)["k8s.pod.name"] for rs in request.resource_spans]
        assert len(pods) == len(set(pods))
        in_request: Counter[bytes] = Counter()
        for rs in request.resource_spans:
            scopes = [(ss.scope.name, ss.scope.version) for ss in rs.scope_spans]
            assert len(scopes) == len(set(scopes))
            for ss in rs.scope_spans:
                for span in ss.spans:
                    in_request[span.trace_id] += 1
        assert not (set(in_request) & seen), "a trace was split across requests"
        seen |= set(in_request)
        count = sum(in_request.values())
        assert count <= 500 or len(in_request) == 1
        total += count
    assert 30_000 <= total < 30_000 + 5_000


def test_default_start_time_is_in_the_recent_past() -> None:
    before = time.time_ns()
    workload = Workload(WorkloadConfig(lookback_s=600))
    first = next(workload.traces())
    assert before - 601 * 10**9 <= first.start_ns <= before


def test_length_prefixed_file_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "requests.bin"
    summary = write_protobuf_requests(path, 10_000, spans_per_request=800, start_time_ns=T0)
    read = list(read_protobuf_requests(path))
    assert read == list(generate_request_bytes(10_000, spans_per_request=800, start_time_ns=T0))
    assert summary.requests == len(read)
    assert summary.bytes == path.stat().st_size == sum(4 + len(b) for b in read)
    parsed = [ExportTraceServiceRequest.FromString(b) for b in read]
    assert summary.spans == sum(
        len(ss.spans) for r in parsed for rs in r.resource_spans for ss in rs.scope_spans
    )


def test_truncated_file_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "requests.bin"
    write_protobuf_requests(path, 2_000, start_time_ns=T0)
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(ValueError, match="truncated"):
        list(read_protobuf_requests(path))


def _hex_ids_to_base64(doc: dict[str, Any]) -> dict[str, Any]:
    for rs in doc["resourceSpans"]:
        for ss in rs["scopeSpans"]:
            for span in ss["spans"]:
                for key in ("traceId", "spanId", "parentSpanId"):
                    if key in span:
                        span[key] = base64.b64encode(bytes.fromhex(span[key])).decode()
    return doc


def test_otlp_json_lines_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "requests.jsonl"
    summary = write_otlp_json(path, 3_000, spans_per_request=500, start_time_ns=T0)
    originals = list(generate_requests(3_000, spans_per_request=500, start_time_ns=T0))
    lines = path.read_text().splitlines()
    assert len(lines) == summary.requests == len(originals)
    for line, original in zip(lines, originals, strict=True):
        doc = json.loads(line)
        span = doc["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
        assert len(span["traceId"]) == 32 and len(span["spanId"]) == 16
        int(span["traceId"], 16)
        assert isinstance(span["kind"], int)
        assert isinstance(span["startTimeUnixNano"], str)
        back = json_format.ParseDict(_hex_ids_to_base64(doc), ExportTraceServiceRequest())
        assert back == original
    assert request_to_otlp_json(originals[0]) == json.loads(lines[0])


def test_cli_writes_file_and_prints_stats(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cli.bin"
    assert (
        main(["--spans", "5000", "--out", str(out), "--seed", "9", "--start-time-ns", str(T0), "--stats"])
        == 0
    )
    printed = capsys.readouterr().out
    assert "spans/s" in printed and "p99" in printed and "error traces" in printed
    assert list(read_protobuf_requests(out)) == list(generate_request_bytes(5000, seed=9, start_time_ns=T0))


def test_stats_count_what_was_generated() -> None:
    stats = WorkloadStats()
    bodies = list(generate_request_bytes(5_000, start_time_ns=T0))
    for body in bodies:
        stats.add(body)
    assert stats.spans >= 5_000
    assert stats.total_bytes == sum(len(b) for b in bodies)
    assert len({svc for svc, _ in stats.operations}) >= 10
