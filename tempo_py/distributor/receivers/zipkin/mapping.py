"""Zipkin spans → OTLP ``ExportTraceServiceRequest`` (OpenTelemetry Collector zipkin translator rules).

- ``localEndpoint.serviceName`` → resource ``service.name``; tags named like resource semantic
  conventions (service.*, telemetry.sdk.*, host.*, process.*, ...) move to the resource.
- ``otel.library.name``/``otel.scope.name`` (+ version) tags → instrumentation scope.
- kind CLIENT/SERVER/PRODUCER/CONSUMER; else ``span.kind=internal`` tag → INTERNAL.
- status: ``otel.status_code`` (OK/ERROR or STATUS_CODE_*) + ``otel.status_description``; an
  ``error`` tag → ERROR, its value (unless "true"/"") becoming the message; both tags removed.
- endpoints → ``net.host.ip``/``net.host.port`` (local) and ``peer.service``/``net.peer.ip``/
  ``net.peer.port`` (remote): the collector's (pre-1.21 semconv) names, which Tempo users query.
- annotations → events; "name|{json attrs}|dropped" (the collector's form) and
  ``{"name": {attrs}}`` (OTel Python's Zipkin exporter form) are unpacked.
- timestamps µs → ns; a missing timestamp gives start 0 plus ``otel.zipkin.absentField.startTime``.
- shared spans keep both halves: same span ID, different kind.
- ``debug`` sets the W3C sampled bit in ``flags`` and the attribute ``zipkin.debug`` (flags alone
  cannot tell it from an ordinary sampled span; the Zipkin query API reads it back).
"""

from __future__ import annotations

import json

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import InstrumentationScope
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span, Status

from tempo_py.distributor.receivers.attrs import AttrValue, to_key_values
from tempo_py.distributor.receivers.zipkin.model import ZipkinSpan

_KINDS = {
    "CLIENT": Span.SPAN_KIND_CLIENT,
    "SERVER": Span.SPAN_KIND_SERVER,
    "PRODUCER": Span.SPAN_KIND_PRODUCER,
    "CONSUMER": Span.SPAN_KIND_CONSUMER,
}
_STATUS = {
    "OK": Status.STATUS_CODE_OK,
    "ERROR": Status.STATUS_CODE_ERROR,
    "UNSET": Status.STATUS_CODE_UNSET,
    "STATUS_CODE_OK": Status.STATUS_CODE_OK,
    "STATUS_CODE_ERROR": Status.STATUS_CODE_ERROR,
    "STATUS_CODE_UNSET": Status.STATUS_CODE_UNSET,
}
_RESOURCE_PREFIXES = (
    "service.",
    "telemetry.sdk.",
    "telemetry.auto.",
    "host.",
    "os.",
    "process.",
    "container.",
    "k8s.",
    "cloud.",
    "deployment.",
    "faas.",
    "device.",
)
START_TIME_ABSENT = "otel.zipkin.absentField.startTime"
DEBUG = "zipkin.debug"
_MAX_NS = (1 << 64) - 1


def _ns(us: int) -> int:
    return min(_MAX_NS, us * 1000)


def _pop_scope(tags: dict[str, str]) -> tuple[str, str]:
    name = tags.pop("otel.scope.name", None)
    version = tags.pop("otel.scope.version", None)
    legacy_name = tags.pop("otel.library.name", None)
    legacy_version = tags.pop("otel.library.version", None)
    return (
        name if name is not None else legacy_name or "",
        version if version is not None else legacy_version or "",
    )


def _pop_status(tags: dict[str, str]) -> Status | None:
    status: Status | None = None
    if "otel.status_code" in tags:
        status = Status(code=_STATUS.get(tags.pop("otel.status_code").upper(), Status.STATUS_CODE_UNSET))
        status.message = tags.pop("otel.status_description", "")
    if "error" in tags:
        value = tags.pop("error")
        if status is None:
            status = Status()
        status.code = Status.STATUS_CODE_ERROR
        if not status.message and value not in ("", "true"):
            status.message = value
    return status


def _typed(raw: dict[str, object]) -> dict[str, AttrValue]:
    return {k: v for k, v in raw.items() if isinstance(v, str | bool | int | float)}


def _event(ts_us: int, value: str) -> Span.Event:
    event = Span.Event(time_unix_nano=_ns(ts_us), name=value)
    if value.startswith("{") and value.endswith("}"):
        # OTel Python's Zipkin exporter writes an event as {"<name>": {<attributes>}}.
        try:
            doc = json.loads(value)
        except ValueError:
            return event
        if isinstance(doc, dict) and len(doc) == 1:
            ((name, raw),) = doc.items()
            if isinstance(raw, dict):
                event.name = name
                event.attributes.extend(to_key_values(_typed(raw)))
        return event
    parts = value.split("|")
    if len(parts) >= 3 and parts[-1].isdigit():
        try:
            attrs = json.loads("|".join(parts[1:-1]))
        except ValueError:
            return event
        if isinstance(attrs, dict):
            event.name = parts[0]
            event.dropped_attributes_count = min(int(parts[-1]), 0xFFFF_FFFF)
            event.attributes.extend(to_key_values(_typed(attrs)))
    return event


def span_to_otlp(zspan: ZipkinSpan, tags: dict[str, str]) -> Span:
    """One Zipkin span (tags already stripped of resource/scope keys) as an OTLP span."""
    out = Span(
        trace_id=zspan.trace_id,
        span_id=zspan.id,
        name=zspan.name,
        trace_state=tags.pop("w3c.tracestate", ""),
        flags=0x01 if zspan.debug else 0,
    )
    if zspan.parent_id and zspan.parent_id != zspan.id:
        out.parent_span_id = zspan.parent_id
    if zspan.kind in _KINDS:
        out.kind = _KINDS[zspan.kind]
        tags.pop("span.kind", None)
    elif tags.pop("span.kind", "") == "internal":
        out.kind = Span.SPAN_KIND_INTERNAL
    status = _pop_status(tags)
    if status is not None:
        out.status.CopyFrom(status)
    attrs: dict[str, AttrValue] = dict(tags)
    if zspan.local is not None:
        if zspan.local.ipv4 or zspan.local.ipv6:
            attrs["net.host.ip"] = zspan.local.ipv6 or zspan.local.ipv4
        if zspan.local.port:
            attrs["net.host.port"] = zspan.local.port
    if zspan.remote is not None:
        if zspan.remote.service_name:
            attrs["peer.service"] = zspan.remote.service_name
        if zspan.remote.ipv4 or zspan.remote.ipv6:
            attrs["net.peer.ip"] = zspan.remote.ipv6 or zspan.remote.ipv4
        if zspan.remote.port:
            attrs["net.peer.port"] = zspan.remote.port
    if zspan.timestamp_us:
        out.start_time_unix_nano = _ns(zspan.timestamp_us)
        out.end_time_unix_nano = _ns(zspan.timestamp_us + zspan.duration_us)
    else:
        out.end_time_unix_nano = _ns(zspan.duration_us)
        attrs[START_TIME_ABSENT] = True
    if zspan.debug:
        attrs[DEBUG] = True
    out.attributes.extend(to_key_values(attrs))
    out.events.extend(_event(ts, value) for ts, value in zspan.annotations)
    return out


def spans_to_otlp(spans: list[ZipkinSpan]) -> ExportTraceServiceRequest:
    """Group by (local service + resource tags) and scope, preserving arrival order within groups."""
    groups: dict[tuple[tuple[str, str], ...], dict[tuple[str, str], ScopeSpans]] = {}
    for zspan in spans:
        tags = dict(zspan.tags)
        resource: dict[str, str] = {}
        if zspan.local is not None and zspan.local.service_name:
            resource["service.name"] = zspan.local.service_name
        for key in [k for k in tags if k.startswith(_RESOURCE_PREFIXES)]:
            resource.setdefault(key, tags.pop(key))
        scope = _pop_scope(tags)
        scopes = groups.setdefault(tuple(resource.items()), {})
        if scope not in scopes:
            scopes[scope] = ScopeSpans(scope=InstrumentationScope(name=scope[0], version=scope[1]))
        scopes[scope].spans.append(span_to_otlp(zspan, tags))
    request = ExportTraceServiceRequest()
    for resource_items, scopes in groups.items():
        request.resource_spans.append(
            ResourceSpans(
                resource=Resource(attributes=to_key_values(dict(resource_items))),
                scope_spans=list(scopes.values()),
            )
        )
    return request
