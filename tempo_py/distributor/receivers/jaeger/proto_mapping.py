"""Jaeger protobuf (``api_v2``) ``Batch`` → OTLP ``ExportTraceServiceRequest``.

Same rules as the Thrift path (see :mod:`.common`); differences of the protobuf model: IDs are
big-endian bytes, times are Timestamp/Duration, and a span may carry its own ``process``, which
then overrides the batch's (spans are regrouped into one ResourceSpans per distinct process).
"""

from __future__ import annotations

from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import InstrumentationScope
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span

from tempo_py.distributor.receivers.attrs import AttrValue, as_str, to_key_values
from tempo_py.distributor.receivers.errors import DecodeError
from tempo_py.distributor.receivers.jaeger import api_v2
from tempo_py.distributor.receivers.jaeger.common import (
    EVENT_NAME_FIELD,
    REF_TYPE_ATTR,
    ScopeKey,
    pop_kind,
    pop_scope,
    pop_status,
    pop_trace_state,
    process_resource_attrs,
)

_MAX_NS = (1 << 64) - 1


def kv_to_dict(tags: Any) -> dict[str, AttrValue]:
    """Typed tag values from repeated KeyValue."""
    out: dict[str, AttrValue] = {}
    for kv in tags:
        vtype = kv.v_type
        if vtype == api_v2.STRING:
            out[kv.key] = kv.v_str
        elif vtype == api_v2.BOOL:
            out[kv.key] = kv.v_bool
        elif vtype == api_v2.INT64:
            out[kv.key] = kv.v_int64
        elif vtype == api_v2.FLOAT64:
            out[kv.key] = kv.v_float64
        elif vtype == api_v2.BINARY:
            out[kv.key] = kv.v_binary
        else:
            out[kv.key] = f"<Unknown Jaeger TagType {vtype!r}>"
    return out


def _fixed(raw: bytes, size: int, what: str) -> bytes:
    if len(raw) > size:
        raise DecodeError(f"{what} has {len(raw)} bytes, at most {size} allowed", "invalid_span")
    return raw.rjust(size, b"\0")


def _ns(seconds: int, nanos: int) -> int:
    value = seconds * 1_000_000_000 + nanos
    return value if 0 <= value <= _MAX_NS else 0


def _parent_id(span: Any, trace_id: bytes) -> bytes:
    follows_from = b""
    for ref in span.references:
        if _fixed(ref.trace_id, 16, "reference trace id") != trace_id:
            continue
        if ref.ref_type == api_v2.CHILD_OF:
            return _fixed(ref.span_id, 8, "reference span id")
        if ref.ref_type == api_v2.FOLLOWS_FROM and not follows_from:
            follows_from = _fixed(ref.span_id, 8, "reference span id")
    return follows_from


def span_to_otlp(span: Any) -> tuple[ScopeKey, Span]:
    """One protobuf span as an OTLP span plus its scope; raises DecodeError on missing IDs."""
    trace_id = _fixed(span.trace_id, 16, "trace id")
    span_id = _fixed(span.span_id, 8, "span id")
    if not any(trace_id) or not any(span_id):
        raise DecodeError(f"span {span.operation_name!r} lacks a trace or span id", "invalid_span")
    tags = kv_to_dict(span.tags)
    scope = pop_scope(tags)
    kind = pop_kind(tags)
    status = pop_status(tags, kind)
    start = _ns(span.start_time.seconds, span.start_time.nanos)
    out = Span(
        trace_id=trace_id,
        span_id=span_id,
        name=span.operation_name,
        kind=kind,
        start_time_unix_nano=start,
        end_time_unix_nano=min(_MAX_NS, start + max(0, _ns(span.duration.seconds, span.duration.nanos))),
        trace_state=pop_trace_state(tags),
        flags=span.flags & 0x01,
    )
    parent = _parent_id(span, trace_id)
    if parent:
        out.parent_span_id = parent
    if status is not None:
        out.status.CopyFrom(status)
    out.attributes.extend(to_key_values(tags))
    for log in span.logs:
        fields = kv_to_dict(log.fields)
        name = fields.pop(EVENT_NAME_FIELD, "")
        out.events.add(
            time_unix_nano=_ns(log.timestamp.seconds, log.timestamp.nanos),
            name=as_str(name),
            attributes=to_key_values(fields),
        )
    for ref in span.references:
        ref_span = _fixed(ref.span_id, 8, "reference span id")
        if ref.ref_type == api_v2.CHILD_OF and parent and ref_span == parent:
            continue
        out.links.add(
            trace_id=_fixed(ref.trace_id, 16, "reference trace id"),
            span_id=ref_span,
            attributes=to_key_values(
                {REF_TYPE_ATTR: "child_of" if ref.ref_type == api_v2.CHILD_OF else "follows_from"}
            ),
        )
    return scope, out


def _resource(process: Any) -> Resource:
    return Resource(
        attributes=to_key_values(process_resource_attrs(process.service_name, kv_to_dict(process.tags)))
    )


def batch_to_otlp(batch: Any) -> ExportTraceServiceRequest:
    """A protobuf batch as OTLP: one ResourceSpans per distinct process, one ScopeSpans per scope."""
    groups: dict[bytes, tuple[Resource, dict[ScopeKey, ScopeSpans]]] = {}
    for span in batch.spans:
        process = span.process if span.HasField("process") else batch.process
        # Serialized bytes are a fine identity for "same process" within one batch.
        key = process.SerializeToString(deterministic=True)
        if key not in groups:
            groups[key] = (_resource(process), {})
        scope, otlp_span = span_to_otlp(span)
        scopes = groups[key][1]
        if scope not in scopes:
            scopes[scope] = ScopeSpans(scope=InstrumentationScope(name=scope.name, version=scope.version))
        scopes[scope].spans.append(otlp_span)
    request = ExportTraceServiceRequest()
    for resource, scopes in groups.values():
        request.resource_spans.append(ResourceSpans(resource=resource, scope_spans=list(scopes.values())))
    return request
