"""Mapping rules shared by the Jaeger Thrift and protobuf paths (OpenTelemetry Collector semantics).

Both wire models are first reduced to ``dict[str, AttrValue]`` tag maps; the rules here then pull
span kind, status, trace state and instrumentation scope out of the tags, exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass

from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from tempo_py.distributor.receivers.attrs import AttrValue, as_str, http_code, status_from_http

_KINDS = {
    "client": Span.SPAN_KIND_CLIENT,
    "server": Span.SPAN_KIND_SERVER,
    "producer": Span.SPAN_KIND_PRODUCER,
    "consumer": Span.SPAN_KIND_CONSUMER,
    "internal": Span.SPAN_KIND_INTERNAL,
}

EVENT_NAME_FIELD = "event"
REF_TYPE_ATTR = "opentracing.ref_type"


def u64(value: int) -> int:
    """Reinterpret a signed i64 (Thrift has no unsigned types) as unsigned."""
    return value & 0xFFFF_FFFF_FFFF_FFFF


def trace_id_bytes(high: int, low: int) -> bytes:
    """16-byte big-endian trace ID from Jaeger's signed high/low halves (64-bit IDs: high 0)."""
    return u64(high).to_bytes(8, "big") + u64(low).to_bytes(8, "big")


def span_id_bytes(span_id: int) -> bytes:
    """8-byte big-endian span ID from a signed i64."""
    return u64(span_id).to_bytes(8, "big")


def pop_kind(tags: dict[str, AttrValue]) -> Span.SpanKind.ValueType:
    """Span kind from the ``span.kind`` tag, which is removed; unknown values → UNSPECIFIED."""
    value = tags.pop("span.kind", None)
    if value is None:
        return Span.SPAN_KIND_UNSPECIFIED
    return _KINDS.get(as_str(value), Span.SPAN_KIND_UNSPECIFIED)


def pop_status(tags: dict[str, AttrValue], kind: Span.SpanKind.ValueType) -> Status | None:
    """Span status from tags, removing the tags that only encoded it.

    Precedence (as the collector's Jaeger translator): ``error=true`` (bool) wins; then
    ``otel.status_code`` OK/ERROR with ``otel.status_description``; then ``http.status_code``.
    """
    code: Status.StatusCode.ValueType | None = None
    message = ""
    if tags.get("error") is True:
        del tags["error"]
        code = Status.STATUS_CODE_ERROR
        if "otel.status_description" in tags:
            message = as_str(tags.pop("otel.status_description"))
        elif "http.status_message" in tags:
            message = as_str(tags["http.status_message"])
    if "otel.status_code" in tags:
        otel_code = as_str(tags.pop("otel.status_code")).upper()
        if code is None:
            code = {"OK": Status.STATUS_CODE_OK, "ERROR": Status.STATUS_CODE_ERROR}.get(
                otel_code, Status.STATUS_CODE_UNSET
            )
            if "otel.status_description" in tags:
                message = as_str(tags.pop("otel.status_description"))
    elif code is None and "http.status_code" in tags:
        http = http_code(tags["http.status_code"])
        if http is not None:
            from_http = status_from_http(http, kind)
            if from_http != Status.STATUS_CODE_UNSET:
                code = from_http
                if "http.status_message" in tags:
                    message = as_str(tags["http.status_message"])
    if code is None:
        return None
    return Status(code=code, message=message)


def pop_trace_state(tags: dict[str, AttrValue]) -> str:
    """W3C trace state carried in the ``w3c.tracestate`` tag (removed)."""
    value = tags.pop("w3c.tracestate", "")
    return as_str(value)


@dataclass(frozen=True)
class ScopeKey:
    """Instrumentation scope a span is grouped under."""

    name: str = ""
    version: str = ""


def pop_scope(tags: dict[str, AttrValue]) -> ScopeKey:
    """Scope from ``otel.scope.name``/``version`` (or legacy ``otel.library.*``), removed from tags."""
    name = tags.pop("otel.scope.name", None)
    version = tags.pop("otel.scope.version", None)
    legacy_name = tags.pop("otel.library.name", None)
    legacy_version = tags.pop("otel.library.version", None)
    name = name if name is not None else legacy_name
    if name is None:
        return ScopeKey()
    version = version if version is not None else legacy_version
    return ScopeKey(as_str(name), as_str(version) if version is not None else "")


def process_resource_attrs(service_name: str, tags: dict[str, AttrValue]) -> dict[str, AttrValue]:
    """Resource attributes of a Jaeger process: service.name, tags, hostname/jaeger.version renames."""
    attrs: dict[str, AttrValue] = {}
    if service_name:
        attrs["service.name"] = service_name
    attrs.update(tags)
    if "hostname" in attrs and "host.name" not in attrs:
        attrs["host.name"] = attrs.pop("hostname")
    if "jaeger.version" in attrs and "opencensus.exporterversion" not in attrs:
        attrs["opencensus.exporterversion"] = "Jaeger-" + as_str(attrs.pop("jaeger.version"))
    return attrs
