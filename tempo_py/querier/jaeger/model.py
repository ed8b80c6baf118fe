"""Span rows -> Jaeger's UI JSON model (what jaeger-query's ``/api/traces`` answers), via OTLP.

The mapping is the OpenTelemetry Collector's OTLP -> Jaeger translation, the inverse of the Jaeger
receiver's: resource -> process (``service.name`` -> ``serviceName``, the rest -> tags; processes
shared by equal content as ``p1``, ``p2``, ...); span attributes -> typed tags, followed by
``otel.scope.name``/``otel.scope.version``, ``span.kind``, ``otel.status_code``, ``error=true``,
``otel.status_description`` and ``w3c.tracestate`` where they apply; events -> logs (``event``
field first); the parent -> a CHILD_OF reference and links -> references typed by their
``opentracing.ref_type`` attribute (FOLLOWS_FROM otherwise). A parent that was itself taken from a
FOLLOWS_FROM reference (the receiver keeps that reference as a link) is written back once, as
FOLLOWS_FROM. Times are µs; IDs are lower-case hex, trace IDs 16 digits when the high half is zero.
"""

from __future__ import annotations

import base64
import json
import math
from typing import Any

import pyarrow as pa
from google.protobuf import json_format
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, Span, Status

from tempo_py.model.arrow_to_otlp import table_to_resource_spans

JS_MAX_SAFE = (1 << 53) - 1
NO_SERVICE = "OTLPResourceNoServiceName"  # the collector's name for a resource without service.name
REF_TYPE_ATTR = "opentracing.ref_type"
_KIND_TAGS = {
    Span.SPAN_KIND_INTERNAL: "internal",
    Span.SPAN_KIND_SERVER: "server",
    Span.SPAN_KIND_CLIENT: "client",
    Span.SPAN_KIND_PRODUCER: "producer",
    Span.SPAN_KIND_CONSUMER: "consumer",
}


def trace_id_hex(raw: bytes) -> str:
    """Jaeger's trace ID text: 16 hex digits when the high 64 bits are zero, else 32."""
    raw = raw.rjust(16, b"\0")
    return raw[8:].hex() if not any(raw[:8]) else raw.hex()


def span_id_hex(raw: bytes) -> str:
    """Jaeger's span ID text: 16 hex digits."""
    return raw.rjust(8, b"\0").hex()


def any_value_text(value: AnyValue) -> str:
    """An array or map value as JSON text (how the collector flattens them into a string tag)."""
    return json.dumps(_plain(value), separators=(",", ":"))


def _plain(value: AnyValue) -> Any:
    which = value.WhichOneof("value")
    if which == "array_value":
        return [_plain(v) for v in value.array_value.values]
    if which == "kvlist_value":
        return {kv.key: _plain(kv.value) for kv in value.kvlist_value.values}
    if which == "bytes_value":
        return base64.b64encode(value.bytes_value).decode()
    if which == "double_value" and not math.isfinite(value.double_value):
        return str(value.double_value)
    return getattr(value, which) if which else None


def tag(key: str, value: AnyValue) -> dict[str, Any]:
    """One typed Jaeger key/value."""
    which = value.WhichOneof("value")
    if which == "string_value":
        return {"key": key, "type": "string", "value": value.string_value}
    if which == "bool_value":
        return {"key": key, "type": "bool", "value": value.bool_value}
    if which == "int_value":
        n = value.int_value
        return {"key": key, "type": "int64", "value": n if -JS_MAX_SAFE <= n <= JS_MAX_SAFE else str(n)}
    if which == "double_value":
        d = value.double_value
        return {"key": key, "type": "float64", "value": d if math.isfinite(d) else str(d)}
    if which == "bytes_value":
        return {"key": key, "type": "binary", "value": base64.b64encode(value.bytes_value).decode()}
    if which is None:
        return {"key": key, "type": "string", "value": ""}
    return {"key": key, "type": "string", "value": any_value_text(value)}


def _str_tag(key: str, value: str) -> dict[str, Any]:
    return {"key": key, "type": "string", "value": value}


def tags(attrs: Any) -> list[dict[str, Any]]:
    """Typed tags from OTLP attributes, in order."""
    return [tag(kv.key, kv.value) for kv in attrs]


def process(rs: ResourceSpans) -> dict[str, Any]:
    """A resource as a Jaeger process."""
    service = NO_SERVICE
    rest: list[KeyValue] = []
    for kv in rs.resource.attributes:
        if kv.key == "service.name" and kv.value.WhichOneof("value") == "string_value":
            service = kv.value.string_value
        else:
            rest.append(kv)
    return {"serviceName": service, "tags": tags(rest)}


def span_tags(span: Span, scope_name: str, scope_version: str) -> list[dict[str, Any]]:
    """Attributes, then the tags that carry scope, kind, status and trace state."""
    out = tags(span.attributes)
    if scope_name:
        out.append(_str_tag("otel.scope.name", scope_name))
        if scope_version:
            out.append(_str_tag("otel.scope.version", scope_version))
    if span.kind in _KIND_TAGS:
        out.append(_str_tag("span.kind", _KIND_TAGS[span.kind]))
    if span.status.code == Status.STATUS_CODE_OK:
        out.append(_str_tag("otel.status_code", "OK"))
    elif span.status.code == Status.STATUS_CODE_ERROR:
        out.append(_str_tag("otel.status_code", "ERROR"))
        out.append({"key": "error", "type": "bool", "value": True})
    if span.status.message:
        out.append(_str_tag("otel.status_description", span.status.message))
    if span.trace_state:
        out.append(_str_tag("w3c.tracestate", span.trace_state))
    return out


def _ref_type(link: Span.Link) -> str:
    for kv in link.attributes:
        if kv.key == REF_TYPE_ATTR and kv.value.string_value == "child_of":
            return "CHILD_OF"
    return "FOLLOWS_FROM"


def references(span: Span) -> list[dict[str, Any]]:
    """The parent (CHILD_OF) then every link."""
    links = [(_ref_type(ln), ln.trace_id, ln.span_id) for ln in span.links]
    out = []
    parent = span.parent_span_id
    if parent and not any(r == "FOLLOWS_FROM" and t == span.trace_id and s == parent for r, t, s in links):
        out.append(
            {"refType": "CHILD_OF", "traceID": trace_id_hex(span.trace_id), "spanID": span_id_hex(parent)}
        )
    for ref_type, trace_id, span_id in links:
        out.append({"refType": ref_type, "traceID": trace_id_hex(trace_id), "spanID": span_id_hex(span_id)})
    return out


def logs(span: Span) -> list[dict[str, Any]]:
    """Events as logs: ``event`` (the name) first, then the attributes."""
    out = []
    for ev in span.events:
        fields = [_str_tag("event", ev.name)] if ev.name else []
        out.append({"timestamp": ev.time_unix_nano // 1000, "fields": fields + tags(ev.attributes)})
    return out


def jaeger_span(span: Span, process_id: str, scope_name: str, scope_version: str) -> dict[str, Any]:
    """One span in Jaeger's UI model."""
    out: dict[str, Any] = {
        "traceID": trace_id_hex(span.trace_id),
        "spanID": span_id_hex(span.span_id),
    }
    if span.flags & 0xFF:
        out["flags"] = span.flags & 0xFF
    out.update(
        {
            "operationName": span.name,
            "references": references(span),
            "startTime": span.start_time_unix_nano // 1000,
            "duration": max(0, span.end_time_unix_nano - span.start_time_unix_nano) // 1000,
            "tags": span_tags(span, scope_name, scope_version),
            "logs": logs(span),
            "processID": process_id,
            "warnings": None,
        }
    )
    return out


def jaeger_trace(table: pa.Table) -> dict[str, Any]:
    """One trace's span rows as a Jaeger UI trace (spans by start time)."""
    processes: dict[str, dict[str, Any]] = {}
    by_content: dict[str, str] = {}
    spans: list[dict[str, Any]] = []
    for rs in table_to_resource_spans(table):
        proc = process(rs)
        key = json.dumps(proc, sort_keys=True)
        pid = by_content.get(key)
        if pid is None:
            pid = by_content[key] = f"p{len(by_content) + 1}"
            processes[pid] = proc
        for ss in rs.scope_spans:
            for span in ss.spans:
                spans.append(jaeger_span(span, pid, ss.scope.name, ss.scope.version))
    spans.sort(key=lambda s: (s["startTime"], s["spanID"]))
    return {
        "traceID": spans[0]["traceID"] if spans else "",
        "spans": spans,
        "processes": processes,
        "warnings": None,
    }


def otlp_json(batches: list[ResourceSpans]) -> dict[str, Any]:
    """OTLP/JSON as the OTLP specification writes it (and Jaeger's api_v3 answers): hex IDs,
    enums as numbers, 64-bit integers as strings, empty fields left out."""
    out = []
    for rs in batches:
        doc = json_format.MessageToDict(rs, use_integers_for_enums=True)
        for ss in doc.get("scopeSpans", []):
            for span in ss.get("spans", []):
                _hex_fields(span, ("traceId", "spanId", "parentSpanId"))
                for link in span.get("links", []):
                    _hex_fields(link, ("traceId", "spanId"))
        out.append(doc)
    return {"resourceSpans": out}


def _hex_fields(doc: dict[str, Any], names: tuple[str, ...]) -> None:
    for name in names:
        if name in doc:
            doc[name] = base64.b64decode(doc[name]).hex()
