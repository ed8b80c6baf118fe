"""Small builders for OTLP common values shared by the non-OTLP receivers' mappings."""

from __future__ import annotations

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from tempo_py.model.anyvalue import any_value

AttrValue = str | bool | int | float | bytes

__all__ = ["AttrValue", "any_value", "as_str", "http_code", "span_count", "status_from_http", "to_key_values"]


def to_key_values(attrs: dict[str, AttrValue]) -> list[KeyValue]:
    """OTLP attribute list from an insertion-ordered dict (later duplicates already won)."""
    return [KeyValue(key=k, value=any_value(v)) for k, v in attrs.items()]


def as_str(value: AttrValue) -> str:
    """String form used when a typed value must become text (e.g. a status message)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def span_count(request: ExportTraceServiceRequest) -> int:
    """Spans in a request (for the received counter and push results)."""
    return sum(len(ss.spans) for rs in request.resource_spans for ss in rs.scope_spans)


def http_code(value: AttrValue) -> int | None:
    """An HTTP status code carried as int or numeric string; None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            return None
    return None


def status_from_http(code: int, kind: Span.SpanKind.ValueType) -> Status.StatusCode.ValueType:
    """Span status implied by an HTTP status code (OTel HTTP semantic conventions)."""
    # OTel HTTP semantic conventions: 4xx is the client's fault, so a SERVER span stays unset.
    if 400 <= code < 500:
        if kind == Span.SPAN_KIND_SERVER:
            return Status.STATUS_CODE_UNSET
        return Status.STATUS_CODE_ERROR
    if 100 <= code < 400:
        return Status.STATUS_CODE_UNSET
    return Status.STATUS_CODE_ERROR
