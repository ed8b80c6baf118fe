"""Span rows -> Zipkin v2 JSON spans, via OTLP: the inverse of the Zipkin receiver's mapping.

``service.name`` -> ``localEndpoint.serviceName`` and the other resource attributes -> tags;
``net.host.ip``/``net.host.port`` -> the local endpoint and ``peer.service``/``net.peer.ip``/
``net.peer.port`` -> the remote one; kinds CLIENT/SERVER/PRODUCER/CONSUMER (INTERNAL as the tag
``span.kind=internal``); status ERROR -> tag ``error`` (the message, or ``"true"``), OK ->
``otel.status_code=OK``; scope -> ``otel.scope.name``/``otel.scope.version``; events ->
annotations (``name|{attributes}|dropped`` when they carry attributes, as the collector writes
them); a span stored without a start time gets no ``timestamp``; the attribute ``zipkin.debug``
(the receiver's mark of ``debug: true``) -> ``debug``. A SERVER span sharing its ID with another
span of the trace (the server half of a Zipkin shared span) is ``shared``. Tags are text:
numbers as Go formats them, booleans ``true``/``false``, bytes base64, arrays and maps JSON.
"""

from __future__ import annotations

import base64
import contextlib
import ipaddress
import json
import math
from typing import Any

import pyarrow as pa
from opentelemetry.proto.common.v1.common_pb2 import AnyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from tempo_py.model.arrow_to_otlp import table_to_resource_spans
from tempo_py.querier.jaeger.model import any_value_text

START_TIME_ABSENT = "otel.zipkin.absentField.startTime"
DEBUG = "zipkin.debug"  # the receiver's mark of a span sent with ``debug: true``
_KINDS = {
    Span.SPAN_KIND_CLIENT: "CLIENT",
    Span.SPAN_KIND_SERVER: "SERVER",
    Span.SPAN_KIND_PRODUCER: "PRODUCER",
    Span.SPAN_KIND_CONSUMER: "CONSUMER",
}
_LOCAL = {"net.host.ip", "net.host.port"}
_REMOTE = {"peer.service", "net.peer.ip", "net.peer.port"}


def zipkin_id(raw: bytes) -> str:
    """A trace ID as Zipkin writes it: 16 hex digits when the high half is zero, else 32."""
    raw = raw.rjust(16, b"\0")
    return raw[8:].hex() if not any(raw[:8]) else raw.hex()


def text(value: AnyValue) -> str:
    """A tag value as Zipkin's text."""
    which = value.WhichOneof("value")
    if which == "string_value":
        return value.string_value
    if which == "bool_value":
        return "true" if value.bool_value else "false"
    if which == "int_value":
        return str(value.int_value)
    if which == "double_value":
        d = value.double_value
        if math.isfinite(d) and d.is_integer() and abs(d) < 1e21:
            return str(int(d))
        return repr(d) if math.isfinite(d) else ("NaN" if d != d else ("+Inf" if d > 0 else "-Inf"))
    if which == "bytes_value":
        return base64.b64encode(value.bytes_value).decode()
    if which is None:
        return ""
    return any_value_text(value)


def _endpoint(service: str, ip: str, port: str) -> dict[str, Any] | None:
    out: dict[str, Any] = {}
    if service:
        out["serviceName"] = service
    if ip:
        with contextlib.suppress(ValueError):
            out["ipv6" if isinstance(ipaddress.ip_address(ip), ipaddress.IPv6Address) else "ipv4"] = ip
    if port.isdigit():
        out["port"] = int(port)
    return out or None


def _annotation(event: Span.Event) -> dict[str, Any]:
    value = event.name
    if len(event.attributes) or event.dropped_attributes_count:
        attrs = {kv.key: _json_value(kv.value) for kv in event.attributes}
        value = f"{event.name}|{json.dumps(attrs, separators=(',', ':'))}|{event.dropped_attributes_count}"
    return {"timestamp": event.time_unix_nano // 1000, "value": value}


def _json_value(value: AnyValue) -> Any:
    which = value.WhichOneof("value")
    if which in ("string_value", "bool_value", "int_value"):
        return getattr(value, which)
    if which == "double_value" and math.isfinite(value.double_value):
        return value.double_value
    return text(value)


def zipkin_span(
    span: Span, service: str, resource_tags: dict[str, str], scope: tuple[str, str], shared: bool
) -> dict[str, Any]:
    """One span in Zipkin's v2 model."""
    attrs = {kv.key: kv.value for kv in span.attributes}
    tags = dict(resource_tags)
    tags.update(
        {k: text(v) for k, v in attrs.items() if k not in _LOCAL | _REMOTE | {START_TIME_ABSENT, DEBUG}}
    )
    if scope[0]:
        tags["otel.scope.name"] = scope[0]
        if scope[1]:
            tags["otel.scope.version"] = scope[1]
    if span.kind == Span.SPAN_KIND_INTERNAL:
        tags["span.kind"] = "internal"
    if span.status.code == Status.STATUS_CODE_ERROR:
        tags["error"] = span.status.message or "true"
    elif span.status.code == Status.STATUS_CODE_OK:
        tags["otel.status_code"] = "OK"
        if span.status.message:
            tags["otel.status_description"] = span.status.message
    if span.trace_state:
        tags["w3c.tracestate"] = span.trace_state
    out: dict[str, Any] = {"traceId": zipkin_id(span.trace_id)}
    if span.parent_span_id:
        out["parentId"] = span.parent_span_id.hex()
    out["id"] = span.span_id.hex()
    if span.kind in _KINDS:
        out["kind"] = _KINDS[span.kind]
    if span.name:
        out["name"] = span.name
    absent = START_TIME_ABSENT in attrs
    if not absent:
        out["timestamp"] = span.start_time_unix_nano // 1000
    out["duration"] = max(0, span.end_time_unix_nano - span.start_time_unix_nano) // 1000
    local = _endpoint(
        service,
        text(attrs["net.host.ip"]) if "net.host.ip" in attrs else "",
        text(attrs["net.host.port"]) if "net.host.port" in attrs else "",
    )
    if local:
        out["localEndpoint"] = local
    remote = _endpoint(
        text(attrs["peer.service"]) if "peer.service" in attrs else "",
        text(attrs["net.peer.ip"]) if "net.peer.ip" in attrs else "",
        text(attrs["net.peer.port"]) if "net.peer.port" in attrs else "",
    )
    if remote:
        out["remoteEndpoint"] = remote
    if span.events:
        out["annotations"] = sorted((_annotation(e) for e in span.events), key=lambda a: a["timestamp"])
    if DEBUG in attrs and attrs[DEBUG].bool_value:
        out["debug"] = True
    if shared:
        out["shared"] = True
    if tags:
        out["tags"] = tags
    return out


def zipkin_trace(table: pa.Table) -> list[dict[str, Any]]:
    """One trace's span rows as a list of Zipkin spans, by start time."""
    batches = table_to_resource_spans(table)
    kinds: dict[bytes, set[int]] = {}
    for rs in batches:
        for ss in rs.scope_spans:
            for sp in ss.spans:
                kinds.setdefault(sp.span_id, set()).add(sp.kind)
    spans: list[tuple[int, dict[str, Any]]] = []
    for rs in batches:
        service = ""
        resource_tags: dict[str, str] = {}
        for kv in rs.resource.attributes:
            if kv.key == "service.name":
                service = text(kv.value)
            else:
                resource_tags[kv.key] = text(kv.value)
        for ss in rs.scope_spans:
            for sp in ss.spans:
                shared = sp.kind == Span.SPAN_KIND_SERVER and len(kinds[sp.span_id]) > 1
                doc = zipkin_span(sp, service, resource_tags, (ss.scope.name, ss.scope.version), shared)
                spans.append((sp.start_time_unix_nano, doc))
    spans.sort(key=lambda p: (p[0], p[1]["id"]))
    return [doc for _, doc in spans]
