"""OTLP spans that use every field and every AnyValue type, for round-trip tests."""

from __future__ import annotations

import base64
import random
import time
from typing import Any

from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, Span, Status

from tempo_py.model.anyvalue import any_value, kv

__all__ = ["RICH_ATTRS", "any_value", "canonical_spans", "kv", "otlp_json", "rich_request", "spans_of_trace"]


RICH_ATTRS: dict[str, object] = {
    "str": "hello",
    "bool": True,
    "int": -42,
    "big": 2**62,
    "double": 3.25,
    "bytes": b"\x00\x01\xff",
    "array": ["a", 1, 2.5, False, None],
    "kvlist": {"nested": {"deeper": [1, {"x": "y"}]}, "n": 7},
    "empty": None,
    "http.request.method": "GET",
    "http.response.status_code": 200,
    "http.route": "/api/{id}",
}


def rich_request(
    n_traces: int = 3,
    spans_per_trace: int = 4,
    seed: int = 1,
    base_ns: int | None = None,
    service: str = "svc-a",
) -> ExportTraceServiceRequest:
    """A request with every OTLP span field set; two resources, two scopes, events, links."""
    rnd = random.Random(seed)
    base = base_ns if base_ns is not None else time.time_ns() - 60 * 10**9
    req = ExportTraceServiceRequest()
    for r in range(2):
        rs: ResourceSpans = req.resource_spans.add()
        rs.schema_url = "https://opentelemetry.io/schemas/1.21.0"
        rs.resource.attributes.extend(
            [
                kv("service.name", f"{service}-{r}"),
                kv("k8s.pod.name", f"pod-{r}"),
                kv("host.name", "h1"),
                kv("res.array", [1, 2, 3]),
            ]
        )
        rs.resource.dropped_attributes_count = r
        for s in range(2):
            ss = rs.scope_spans.add()
            ss.schema_url = "https://scope.example/schema"
            ss.scope.name = f"scope-{s}"
            ss.scope.version = "1.2.3"
            ss.scope.attributes.append(kv("scope.attr", s))
            ss.scope.dropped_attributes_count = s
            for t in range(n_traces):
                trace_id = rnd.randbytes(16)
                root = b""
                for i in range(spans_per_trace):
                    sp: Span = ss.spans.add()
                    sp.trace_id = trace_id
                    sp.span_id = rnd.randbytes(8)
                    if root:
                        sp.parent_span_id = root
                    else:
                        root = sp.span_id
                    sp.trace_state = "k=v" if i % 2 else ""
                    sp.flags = 257 if i % 2 else 0
                    sp.name = f"op-{r}-{s}-{t}-{i}"
                    sp.kind = Span.SpanKind.ValueType(i % 6)
                    sp.start_time_unix_nano = base + t * 10**9 + i * 1000
                    sp.end_time_unix_nano = sp.start_time_unix_nano + 5_000_000 + i
                    sp.status.CopyFrom(
                        Status(code=Status.StatusCode.ValueType(i % 3), message="boom" if i % 3 == 2 else "")
                    )
                    sp.attributes.extend([kv(k, v) for k, v in RICH_ATTRS.items()])
                    sp.dropped_attributes_count = i
                    ev = sp.events.add()
                    ev.time_unix_nano = sp.start_time_unix_nano + 10
                    ev.name = "exception"
                    ev.attributes.extend([kv("exception.type", "ValueError"), kv("n", i)])
                    ev.dropped_attributes_count = 1
                    sp.dropped_events_count = 2
                    ln = sp.links.add()
                    ln.trace_id = rnd.randbytes(16)
                    ln.span_id = rnd.randbytes(8)
                    ln.trace_state = "a=b"
                    ln.flags = 1
                    ln.attributes.append(kv("link.kind", "follows"))
                    ln.dropped_attributes_count = 3
                    sp.dropped_links_count = 4
    return req


def otlp_json(request: ExportTraceServiceRequest) -> dict[str, Any]:
    """The request in OTLP/JSON: protobuf's JSON mapping, but hex trace/span IDs and enum integers."""
    doc: dict[str, Any] = json_format.MessageToDict(request, use_integers_for_enums=True)
    for rs in doc.get("resourceSpans", []):
        for ss in rs.get("scopeSpans", []):
            for sp in ss.get("spans", []):
                for obj in (sp, *sp.get("links", [])):
                    for f in ("traceId", "spanId", "parentSpanId"):
                        if f in obj:
                            obj[f] = base64.b64decode(obj[f]).hex()
    return doc


def spans_of_trace(resource_spans: list[ResourceSpans], trace_id: bytes) -> list[ResourceSpans]:
    """Copies of ``resource_spans`` holding only the spans of one trace."""
    out = []
    for rs in resource_spans:
        c = ResourceSpans()
        c.CopyFrom(rs)
        for ss in c.scope_spans:
            keep = [sp for sp in ss.spans if sp.trace_id == trace_id]
            del ss.spans[:]
            ss.spans.extend(keep)
        out.append(c)
    return out


def canonical_spans(resource_spans: list[ResourceSpans]) -> list[tuple[bytes, bytes, int, bytes]]:
    """Every span flattened with its resource and scope, attributes sorted by key, in a stable order.

    OTLP attributes are maps, so comparisons ignore key order. Returns sortable tuples of
    (trace_id, span_id, kind, serialized canonical ResourceSpans holding only that span).
    """
    out = []
    for rs in resource_spans:
        for ss in rs.scope_spans:
            for sp in ss.spans:
                one = ResourceSpans()
                one.CopyFrom(rs)
                del one.scope_spans[:]
                _sort_kvs(one.resource.attributes)
                s1 = one.scope_spans.add()
                s1.CopyFrom(ss)
                del s1.spans[:]
                _sort_kvs(s1.scope.attributes)
                c = s1.spans.add()
                c.CopyFrom(sp)
                _sort_kvs(c.attributes)
                if not c.status.code and not c.status.message:
                    c.ClearField("status")  # an empty Status and no Status mean the same
                for e in c.events:
                    _sort_kvs(e.attributes)
                for ln in c.links:
                    _sort_kvs(ln.attributes)
                out.append((sp.trace_id, sp.span_id, int(sp.kind), one.SerializeToString(deterministic=True)))
    return sorted(out)


def _sort_kvs(kvs: Any) -> None:
    copies = [KeyValue(key=i.key, value=i.value) for i in sorted(kvs, key=lambda k: k.key)]
    del kvs[:]
    kvs.extend(copies)
