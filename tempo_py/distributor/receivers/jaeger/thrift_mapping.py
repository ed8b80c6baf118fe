"""Jaeger Thrift ``Batch`` → OTLP ``ExportTraceServiceRequest`` (OpenTelemetry Collector semantics).

Span times are µs since the epoch; IDs are signed i64 halves; the parent is ``parentSpanId``
when nonzero, else the first same-trace CHILD_OF reference, else the first same-trace
FOLLOWS_FROM one. Every other reference becomes a link tagged with ``opentracing.ref_type``.
"""

from __future__ import annotations

from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import InstrumentationScope
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span

from tempo_py.distributor.receivers.attrs import AttrValue, as_str, to_key_values
from tempo_py.distributor.receivers.errors import DecodeError
from tempo_py.distributor.receivers.jaeger.common import (
    EVENT_NAME_FIELD,
    REF_TYPE_ATTR,
    ScopeKey,
    pop_kind,
    pop_scope,
    pop_status,
    pop_trace_state,
    process_resource_attrs,
    span_id_bytes,
    trace_id_bytes,
)

# Thrift TagType enum values.
_STRING, _DOUBLE, _BOOL, _LONG, _BINARY = range(5)
_CHILD_OF, _FOLLOWS_FROM = 0, 1
_REQUIRED_SPAN_FIELDS = ("traceIdLow", "traceIdHigh", "spanId", "operationName", "startTime", "duration")


def tags_to_dict(tags: list[Any] | None) -> dict[str, AttrValue]:
    """Typed tag values; an unknown type keeps the key with a marker string (as the collector)."""
    out: dict[str, AttrValue] = {}
    for tag in tags or ():
        if tag is None or tag.key is None:
            continue
        vtype = tag.vType
        if vtype == _STRING:
            out[tag.key] = tag.vStr or ""
        elif vtype == _BOOL:
            out[tag.key] = bool(tag.vBool)
        elif vtype == _LONG:
            out[tag.key] = int(tag.vLong or 0)
        elif vtype == _DOUBLE:
            out[tag.key] = float(tag.vDouble or 0.0)
        elif vtype == _BINARY:
            raw = tag.vBinary or b""
            out[tag.key] = raw if isinstance(raw, bytes) else str(raw).encode()
        else:
            out[tag.key] = f"<Unknown Jaeger TagType {vtype!r}>"
    return out


def _parent_id(span: Any) -> int:
    if span.parentSpanId:
        return int(span.parentSpanId)
    follows_from = 0
    for ref in span.references or ():
        if ref is None or ref.traceIdHigh != span.traceIdHigh or ref.traceIdLow != span.traceIdLow:
            continue
        if ref.refType == _CHILD_OF:
            return int(ref.spanId or 0)
        if ref.refType == _FOLLOWS_FROM and not follows_from:
            follows_from = int(ref.spanId or 0)
    return follows_from


def _us_to_ns(us: int | None) -> int:
    # Negative or absurd values would overflow the uint64 field: treat them as absent.
    value = int(us or 0) * 1000
    return value if 0 <= value < 1 << 64 else 0


def span_to_otlp(span: Any) -> tuple[ScopeKey, Span]:
    """One Thrift span as an OTLP span plus the scope it belongs to."""
    missing = [f for f in _REQUIRED_SPAN_FIELDS if getattr(span, f) is None]
    if missing:
        raise DecodeError(f"span lacks required fields {missing}", "invalid_span")
    if not span.traceIdLow and not span.traceIdHigh:
        raise DecodeError(f"span {span.operationName!r} has no trace id", "invalid_span")
    if not span.spanId:
        raise DecodeError(f"span {span.operationName!r} has no span id", "invalid_span")
    tags = tags_to_dict(span.tags)
    scope = pop_scope(tags)
    kind = pop_kind(tags)
    status = pop_status(tags, kind)
    out = Span(
        trace_id=trace_id_bytes(span.traceIdHigh or 0, span.traceIdLow or 0),
        span_id=span_id_bytes(span.spanId),
        name=span.operationName or "",
        kind=kind,
        start_time_unix_nano=_us_to_ns(span.startTime),
        end_time_unix_nano=_us_to_ns((span.startTime or 0) + (span.duration or 0)),
        trace_state=pop_trace_state(tags),
        # Only the sampled bit maps to W3C trace flags; Jaeger's debug bit (2) has no OTLP twin.
        flags=int(span.flags or 0) & 0x01,
    )
    parent = _parent_id(span)
    if parent:
        out.parent_span_id = span_id_bytes(parent)
    if status is not None:
        out.status.CopyFrom(status)
    out.attributes.extend(to_key_values(tags))
    for log in span.logs or ():
        if log is None:
            continue
        fields = tags_to_dict(log.fields)
        name = fields.pop(EVENT_NAME_FIELD, "")
        out.events.add(
            time_unix_nano=_us_to_ns(log.timestamp), name=as_str(name), attributes=to_key_values(fields)
        )
    for ref in span.references or ():
        if ref is None or (ref.refType == _CHILD_OF and parent and ref.spanId == parent):
            continue
        out.links.add(
            trace_id=trace_id_bytes(ref.traceIdHigh or 0, ref.traceIdLow or 0),
            span_id=span_id_bytes(ref.spanId or 0),
            attributes=to_key_values(
                {REF_TYPE_ATTR: "child_of" if ref.refType == _CHILD_OF else "follows_from"}
            ),
        )
    return scope, out


def batch_to_otlp(batch: Any) -> ExportTraceServiceRequest:
    """One Thrift batch (one process) as one ResourceSpans; raises DecodeError on bad spans."""
    request = ExportTraceServiceRequest()
    process = batch.process
    resource = Resource()
    if process is not None:
        resource.attributes.extend(
            to_key_values(process_resource_attrs(process.serviceName or "", tags_to_dict(process.tags)))
        )
    by_scope: dict[ScopeKey, ScopeSpans] = {}
    for span in batch.spans or ():
        if span is None:
            continue
        scope, otlp_span = span_to_otlp(span)
        if scope not in by_scope:
            by_scope[scope] = ScopeSpans(scope=InstrumentationScope(name=scope.name, version=scope.version))
        by_scope[scope].spans.append(otlp_span)
    if by_scope:
        request.resource_spans.append(ResourceSpans(resource=resource, scope_spans=list(by_scope.values())))
    return request
