"""X-Ray segment documents → OTLP ``ExportTraceServiceRequest`` (collector awsxrayreceiver conventions).

- segment → SERVER span; resource ``service.name`` = segment name, ``cloud.provider`` = aws when
  an ``aws`` block is present, ``telemetry.sdk.*`` from ``aws.xray.sdk*``, ``service.version``.
- embedded subsegments (recursive) become child spans sharing the segment's trace ID and resource;
  a standalone subsegment (``type: subsegment``) needs its own ``trace_id``/``parent_id`` and gets a
  resource without ``service.name`` (the sending service is not named in the document).
- subsegment kind: namespace aws/remote → CLIENT (aws adds ``aws.service``), ``client_ip`` → SERVER,
  else INTERNAL.
- http → ``http.method/url/user_agent/client_ip/status_code/response_content_length``; aws →
  ``aws.operation/region/request_id/account_id/queue_url/table_name``, ``aws.xray.retries``; sql →
  ``db.connection_string/name/system/statement/user``; user → ``enduser.id``.
- annotations → attributes under their own names (as the collector); metadata → one string
  attribute per namespace, ``aws.xray.metadata.<namespace>`` = JSON.
- status: ERROR when ``fault`` or a ``cause`` is present, else from ``http.response.status``;
  ``error``/``throttle``/``fault`` flags are kept as ``aws.xray.*`` booleans. Cause exceptions →
  ``exception`` events (type, message, stacktrace, ``aws.xray.exception.*``).
- times: float seconds → ns at µs precision. An ``in_progress`` segment has no end: it is emitted
  with end = start and ``aws.xray.inprogress = true`` (see :mod:`.udp` for superseding).
"""

from __future__ import annotations

import json
import re
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span, Status

from tempo_py.distributor.receivers.attrs import AttrValue, status_from_http, to_key_values
from tempo_py.distributor.receivers.errors import DecodeError
from tempo_py.model.xray_ids import xray_to_span_id, xray_to_trace_id

IN_PROGRESS_ATTR = "aws.xray.inprogress"
_SQL_URL = re.compile(r"^(.+//.+)/([^?]+)\??.*$")
_MAX_DEPTH = 64  # subsegment nesting; deeper documents are rejected rather than recursing


def seconds_to_ns(value: Any, what: str) -> int:
    """Epoch seconds (float) → ns, rounded to the µs the SDKs actually measure."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 1e11:
        raise DecodeError(f"{what} must be epoch seconds", "invalid_span")
    return round(value * 1_000_000) * 1000


def _put(attrs: dict[str, AttrValue], key: str, value: Any) -> None:
    if isinstance(value, str | bool | float) or (isinstance(value, int) and -(2**63) <= value < 2**63):
        attrs[key] = value


def _http(seg: dict[str, Any], attrs: dict[str, AttrValue]) -> int | None:
    http = seg.get("http")
    if not isinstance(http, dict):
        return None
    req: dict[str, Any] = http["request"] if isinstance(http.get("request"), dict) else {}
    resp: dict[str, Any] = http["response"] if isinstance(http.get("response"), dict) else {}
    for src, dst in (
        ("method", "http.method"),
        ("client_ip", "http.client_ip"),
        ("user_agent", "http.user_agent"),
        ("url", "http.url"),
        ("x_forwarded_for", "aws.xray.x_forwarded_for"),
    ):
        _put(attrs, dst, req.get(src))
    _put(attrs, "http.response_content_length", resp.get("content_length"))
    status = resp.get("status")
    if isinstance(status, int) and not isinstance(status, bool):
        attrs["http.status_code"] = status
        return status
    return None


def _aws(seg: dict[str, Any], attrs: dict[str, AttrValue]) -> None:
    aws = seg.get("aws")
    if not isinstance(aws, dict):
        return
    for src, dst in (
        ("account_id", "aws.account_id"),
        ("operation", "aws.operation"),
        ("region", "aws.region"),
        ("request_id", "aws.request_id"),
        ("queue_url", "aws.queue_url"),
        ("table_name", "aws.table_name"),
        ("retries", "aws.xray.retries"),
    ):
        _put(attrs, dst, aws.get(src))


def _sql(seg: dict[str, Any], attrs: dict[str, AttrValue]) -> None:
    sql = seg.get("sql")
    if not isinstance(sql, dict):
        return
    url = sql.get("url")
    if isinstance(url, str):
        match = _SQL_URL.match(url)
        attrs["db.connection_string"] = match.group(1) if match else url
        if match:
            attrs["db.name"] = match.group(2)
    for src, dst in (
        ("database_type", "db.system"),
        ("sanitized_query", "db.statement"),
        ("user", "db.user"),
    ):
        _put(attrs, dst, sql.get(src))


def _stacktrace(exc: dict[str, Any]) -> str:
    lines = [f"{exc.get('type', '')}: {exc.get('message', '')}"]
    for frame in exc.get("stack") or ():
        if isinstance(frame, dict):
            line = frame.get("line", "<unknown>")
            lines.append(f"\tat {frame.get('label', '')}({frame.get('path', '')}: {line})")
    return "\n".join(lines) + "\n"


def _cause(seg: dict[str, Any], span: Span, end_ns: int) -> bool:
    cause = seg.get("cause")
    if cause is None:
        return False
    if isinstance(cause, str):
        span.status.message = cause  # only an exception ID: nothing more to show
        return True
    if not isinstance(cause, dict):
        return False
    for exc in cause.get("exceptions") or ():
        if not isinstance(exc, dict):
            continue
        attrs: dict[str, AttrValue] = {}
        _put(attrs, "exception.type", exc.get("type"))
        _put(attrs, "exception.message", exc.get("message"))
        if exc.get("stack"):
            attrs["exception.stacktrace"] = _stacktrace(exc)
        for key in ("id", "remote", "truncated", "skipped", "cause"):
            _put(attrs, f"aws.xray.exception.{key}", exc.get(key))
        span.events.add(time_unix_nano=end_ns, name="exception", attributes=to_key_values(attrs))
        if not span.status.message and isinstance(exc.get("message"), str):
            span.status.message = exc["message"]
    return True


def _kind(seg: dict[str, Any], is_subsegment: bool, attrs: dict[str, AttrValue]) -> Span.SpanKind.ValueType:
    if not is_subsegment:
        return Span.SPAN_KIND_SERVER
    namespace = seg.get("namespace")
    if namespace == "aws":
        attrs["aws.service"] = str(seg.get("name", ""))
    if namespace in ("aws", "remote"):
        return Span.SPAN_KIND_CLIENT
    http = seg.get("http")
    if isinstance(http, dict) and isinstance(http.get("request"), dict) and "client_ip" in http["request"]:
        return Span.SPAN_KIND_SERVER
    return Span.SPAN_KIND_INTERNAL


def _span(
    seg: dict[str, Any], trace_id: bytes, parent: bytes, is_subsegment: bool, out: list[Span], depth: int
) -> None:
    if depth > _MAX_DEPTH:
        raise DecodeError("subsegments nested too deeply", "invalid_span")
    name = seg.get("name")
    if not isinstance(name, str) or not name:
        raise DecodeError("segment without a name", "invalid_span")
    try:
        span_id = xray_to_span_id(seg.get("id"))  # type: ignore[arg-type]
    except ValueError as exc:
        raise DecodeError(str(exc), "invalid_span") from exc
    attrs: dict[str, AttrValue] = {}
    start = seconds_to_ns(seg.get("start_time"), "start_time")
    in_progress = seg.get("in_progress") is True
    end = start if in_progress or "end_time" not in seg else seconds_to_ns(seg["end_time"], "end_time")
    span = Span(
        trace_id=trace_id,
        span_id=span_id,
        parent_span_id=parent,
        name=name,
        kind=_kind(seg, is_subsegment, attrs),
        start_time_unix_nano=start,
        end_time_unix_nano=end,
    )
    if in_progress:
        attrs[IN_PROGRESS_ATTR] = True
    _put(attrs, "enduser.id", seg.get("user"))
    http_status = _http(seg, attrs)
    _aws(seg, attrs)
    _sql(seg, attrs)
    for flag in ("fault", "error", "throttle"):
        if seg.get(flag) is True:
            attrs[f"aws.xray.{flag}"] = True
    _put(attrs, "aws.xray.traced", seg.get("traced"))
    annotations = seg.get("annotations")
    if isinstance(annotations, dict):
        for key, value in annotations.items():
            _put(attrs, str(key), value)
    metadata = seg.get("metadata")
    if isinstance(metadata, dict):
        for namespace, values in metadata.items():
            attrs[f"aws.xray.metadata.{namespace}"] = json.dumps(values, separators=(",", ":"), default=str)
    has_cause = _cause(seg, span, end)
    if seg.get("fault") is True or has_cause:
        span.status.code = Status.STATUS_CODE_ERROR
    elif http_status is not None:
        span.status.code = status_from_http(http_status, span.kind)
    span.attributes.extend(to_key_values(attrs))
    out.append(span)
    for sub in seg.get("subsegments") or ():
        if not isinstance(sub, dict):
            raise DecodeError("subsegment is not an object", "invalid_span")
        _span(sub, trace_id, span_id, True, out, depth + 1)


def _resource(seg: dict[str, Any], standalone_subsegment: bool) -> Resource:
    attrs: dict[str, AttrValue] = {}
    if not standalone_subsegment:
        _put(attrs, "service.name", seg.get("name"))
    aws = seg.get("aws")
    if isinstance(aws, dict):
        attrs["cloud.provider"] = "aws"
        _put(attrs, "cloud.account.id", aws.get("account_id"))
        xray = aws.get("xray")
        if isinstance(xray, dict):
            _put(attrs, "telemetry.sdk.name", xray.get("sdk"))
            _put(attrs, "telemetry.sdk.version", xray.get("sdk_version"))
    service = seg.get("service")
    if isinstance(service, dict):
        _put(attrs, "service.version", service.get("version"))
    _put(attrs, "aws.xray.resource_arn", seg.get("resource_arn"))
    return Resource(attributes=to_key_values(attrs))


def segment_to_otlp(doc: Any) -> ExportTraceServiceRequest:
    """One segment document (segment with embedded subsegments, or a standalone subsegment)."""
    if not isinstance(doc, dict):
        raise DecodeError("segment document is not a JSON object")
    standalone = doc.get("type") == "subsegment"
    try:
        trace_id = xray_to_trace_id(doc.get("trace_id"))  # type: ignore[arg-type]
    except (ValueError, TypeError) as exc:
        raise DecodeError(f"bad trace_id: {exc}", "invalid_span") from exc
    parent = doc.get("parent_id")
    if standalone and parent is None:
        raise DecodeError("standalone subsegment without parent_id", "invalid_span")
    try:
        parent_id = xray_to_span_id(parent) if parent is not None else b""
    except ValueError as exc:
        raise DecodeError(str(exc), "invalid_span") from exc
    spans: list[Span] = []
    _span(doc, trace_id, parent_id, standalone, spans, 0)
    return ExportTraceServiceRequest(
        resource_spans=[
            ResourceSpans(resource=_resource(doc, standalone), scope_spans=[ScopeSpans(spans=spans)])
        ]
    )
