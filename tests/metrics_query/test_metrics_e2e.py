"""The metrics API through a real ``tempo-py serve``: spans pushed over OTLP/HTTP, half flushed to
blocks and half live, queried as Grafana's Tempo datasource (protobuf) and Traces Drilldown (JSON)
send them, checked against the plain-Python oracle."""

from __future__ import annotations

import json
import math
import time
import urllib.parse
from typing import Any

from dataset import SECOND, make_spans, to_otlp
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1 import common_pb2
from oracle_queries import QUERIES, Q, Result, compute

NOW_S = int(time.time()) // 60 * 60 - 30  # inside the ingest window, off the step grid
SPANS = make_spans(seed=11, traces=120, end_s=NOW_S)
BY_SERVICE = next(q for q in QUERIES if q.text == "{ } | rate() by (resource.service.name)")


def _push(srv: Any, spans: list[Any]) -> None:
    body = ExportTraceServiceRequest(resource_spans=to_otlp(spans)).SerializeToString()
    status, _, text = srv.request(
        "POST", "", body, {"Content-Type": "application/x-protobuf"}, url=srv.otlp_http_url
    )
    assert status == 200, text


def _tempopb() -> tuple[Any, Any]:
    """tempopb.QueryRangeResponse / QueryInstantResponse message classes, built from their .proto
    field numbers here (independently of the server's encoder)."""
    f = descriptor_pb2.FileDescriptorProto(name="tempopb_test.proto", package="tempopb", syntax="proto3")
    f.dependency.append("opentelemetry/proto/common/v1/common.proto")
    T = descriptor_pb2.FieldDescriptorProto

    def msg(name: str, *fields: tuple[str, int, int, int, str]) -> None:
        m = f.message_type.add(name=name)
        for fname, number, ftype, label, type_name in fields:
            fd = m.field.add(name=fname, number=number, type=ftype, label=label)  # type: ignore[arg-type]
            if type_name:
                fd.type_name = type_name

    opt, rep = T.LABEL_OPTIONAL, T.LABEL_REPEATED
    kv = ".opentelemetry.proto.common.v1.KeyValue"
    msg(
        "SearchMetrics",
        ("inspectedTraces", 1, T.TYPE_UINT32, opt, ""),
        ("inspectedBytes", 2, T.TYPE_UINT64, opt, ""),
        ("totalBlocks", 3, T.TYPE_UINT32, opt, ""),
        ("inspectedSpans", 7, T.TYPE_UINT64, opt, ""),
    )
    msg("Sample", ("timestamp_ms", 2, T.TYPE_INT64, opt, ""), ("value", 1, T.TYPE_DOUBLE, opt, ""))
    msg(
        "TimeSeries",
        ("labels", 1, T.TYPE_MESSAGE, rep, kv),
        ("samples", 2, T.TYPE_MESSAGE, rep, ".tempopb.Sample"),
    )
    msg("InstantSeries", ("labels", 1, T.TYPE_MESSAGE, rep, kv), ("value", 2, T.TYPE_DOUBLE, opt, ""))
    for name, series in (("QueryRangeResponse", "TimeSeries"), ("QueryInstantResponse", "InstantSeries")):
        msg(
            name,
            ("series", 1, T.TYPE_MESSAGE, rep, f".tempopb.{series}"),
            ("metrics", 2, T.TYPE_MESSAGE, opt, ".tempopb.SearchMetrics"),
            ("status", 3, T.TYPE_INT32, opt, ""),
            ("message", 4, T.TYPE_STRING, opt, ""),
        )
    pool = descriptor_pool.DescriptorPool()
    pool.AddSerializedFile(common_pb2.DESCRIPTOR.serialized_pb)
    pool.Add(f)
    get = message_factory.GetMessageClass
    return get(pool.FindMessageTypeByName("tempopb.QueryRangeResponse")), get(
        pool.FindMessageTypeByName("tempopb.QueryInstantResponse")
    )


RANGE, INSTANT = _tempopb()


def _label(kv: Any) -> tuple[str, tuple[str, Any]]:
    which = kv.value.WhichOneof("value")
    field = {"string_value": "stringValue", "int_value": "intValue", "double_value": "doubleValue"}[which]
    return kv.key, (field, getattr(kv.value, which))


def _from_json(body: dict[str, Any]) -> Result:
    out: Result = {}
    for s in body["series"]:
        labels = []
        for label in s["labels"]:
            ((field, value),) = label["value"].items()
            labels.append((label["key"], (field, int(value) if field == "intValue" else value)))
        out[tuple(labels)] = {int(p["timestampMs"]): p["value"] for p in s.get("samples", [])}
    return out


def _same(got: Result, expected: Result) -> list[str]:
    problems = []
    for labels in set(got) | set(expected):
        a, b = got.get(labels, {}), expected.get(labels, {})
        if set(a) != set(b) or any(not math.isclose(a[t], b[t], rel_tol=1e-9) for t in a):
            problems.append(f"{labels}: got {sorted(a.items())[:4]} expected {sorted(b.items())[:4]}")
    return problems


def test_grafana_requests_over_blocks_and_live(tempo_server_factory: Any) -> None:
    srv = tempo_server_factory()
    half = len(SPANS) // 2
    _push(srv, SPANS[:half])
    srv.flush()  # the first half to blocks
    _push(srv, SPANS[half:])
    start, end = NOW_S - 660, NOW_S + 30

    # Grafana's Tempo datasource (Metrics tab): nanosecond bounds, a Go-duration step, protobuf
    failures = []
    for q in QUERIES:
        params = {
            "q": q.text,
            "start": str(start * SECOND),
            "end": str(end * SECOND),
            "step": "1m0s",
            "exemplars": "100",
        }
        status, headers, body = srv.request(
            "GET",
            "/api/metrics/query_range?" + urllib.parse.urlencode(params),
            headers={"Accept": "application/protobuf"},
        )
        assert status == 200, body
        assert headers["Content-Type"].startswith("application/protobuf")
        msg = RANGE.FromString(body)
        got: Result = {
            tuple(_label(kv) for kv in s.labels): {p.timestamp_ms: p.value for p in s.samples}
            for s in msg.series
        }
        problems = _same(got, compute(q, SPANS, start * SECOND, end * SECOND, 60 * SECOND, instant=False))
        if problems:
            failures.append((q.text, problems[:2]))
        assert msg.metrics.inspectedSpans >= len(SPANS)
    assert failures == []

    # Traces Drilldown: `query=` with Unix-second bounds and a step in seconds, JSON
    q = Q(
        "{ status = error } | rate() by (resource.service.name)",
        "rate",
        keep=lambda r: r.status == 2,
        by=BY_SERVICE.by,
    )
    params = {"query": q.text + " with(sample=true)", "start": str(start), "end": str(end), "step": "60"}
    status, _, body = srv.request("GET", "/api/metrics/query_range?" + urllib.parse.urlencode(params))
    assert status == 200, body
    assert (
        _same(
            _from_json(json.loads(body)), compute(q, SPANS, start * SECOND, end * SECOND, 60 * SECOND, False)
        )
        == []
    )

    # instant query, JSON and protobuf
    q = BY_SERVICE
    params = {"q": q.text, "start": str(start), "end": str(end)}
    expected = compute(q, SPANS, start * SECOND, end * SECOND, 0, instant=True)
    want = {labels: next(iter(v.values())) for labels, v in expected.items()}
    status, _, body = srv.request("GET", "/api/metrics/query?" + urllib.parse.urlencode(params))
    assert status == 200, body
    doc = json.loads(body)
    got_json = {
        tuple((lab["key"], next(iter(lab["value"].items()))) for lab in s["labels"]): s["value"]
        for s in doc["series"]
    }
    assert got_json.keys() == want.keys()
    assert all(math.isclose(got_json[k], want[k]) for k in want)
    status, _, body = srv.request(
        "GET",
        "/api/metrics/query?" + urllib.parse.urlencode(params),
        headers={"Accept": "application/protobuf"},
    )
    msg = INSTANT.FromString(body)
    assert {tuple(_label(kv) for kv in s.labels): s.value for s in msg.series} == got_json

    # errors in Tempo's shape: 400 plain text
    status, _, body = srv.request(
        "GET",
        "/api/metrics/query_range?"
        + urllib.parse.urlencode({"q": "{ } | rate(", "start": str(start), "end": str(end)}),
    )
    assert status == 400 and b"parse error" in body
    status, _, body = srv.request(
        "GET",
        "/api/metrics/query_range?"
        + urllib.parse.urlencode({"q": "{ } | rate()", "start": str(end), "end": str(start)}),
    )
    assert status == 400 and b"end must be greater than start" in body
    status, _, _ = srv.request("GET", "/api/metrics/summary")
    assert status == 404  # Tempo no longer serves it


def test_series_limit_from_config(tempo_server_factory: Any) -> None:
    srv = tempo_server_factory({"query_frontend": {"metrics": {"max_response_series": 1}}})
    _push(srv, SPANS)
    params = {
        "q": "{ } | count_over_time() by (resource.service.name)",
        "start": str(NOW_S - 660),
        "end": str(NOW_S + 30),
    }
    status, _, body = srv.request("GET", "/api/metrics/query_range?" + urllib.parse.urlencode(params))
    assert status == 200, body
    doc = json.loads(body)
    assert len(doc["series"]) == 1 and doc["status"] == "PARTIAL"
