"""The bench workload (OTLP requests) re-encoded in every other ingest protocol's wire format.

``bench.ingest --protocol <p>`` must send the *same* spans over each protocol, so the workload's
OTLP protobuf requests are converted here, once, before the clock starts: into Jaeger Thrift
(agent ``emitBatch`` datagrams in compact or binary, collector ``Batch`` bodies for HTTP), Jaeger
api_v2 ``PostSpansRequest`` (gRPC), Zipkin v2 JSON and AWS X-Ray segment documents. Each mapping
is the inverse of what the OpenTelemetry exporters for that protocol do (span kind and status as
tags, events as logs/annotations, links as FOLLOWS_FROM references, times in µs), so the server
does the same work it would do for a real client. Conversion is plain Python: minutes for
millions of spans, which is why it happens before the measurement.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status
from thriftpy2.protocol import TBinaryProtocolFactory, TCompactProtocolFactory
from thriftpy2.thrift import TClient
from thriftpy2.transport import TMemoryBuffer
from thriftpy2.utils import serialize

from tempo_py.distributor.receivers.jaeger import api_v2
from tempo_py.distributor.receivers.jaeger.thrift_model import agent_thrift, jaeger_thrift

__all__ = [
    "ENCODERS",
    "MAX_DATAGRAM_BYTES",
    "XRAY_HEADER",
    "FlatBatch",
    "FlatSpan",
    "encode",
    "flatten",
]

# Below the receivers' 65,000-byte datagram limit, as jaeger-client's UDP sender does (65,000).
MAX_DATAGRAM_BYTES = 64_000
XRAY_HEADER = b'{"format":"json","version":1}\n'

Scalar = str | bool | int | float
_KIND_NAMES: dict[int, str] = {
    Span.SPAN_KIND_SERVER: "server",
    Span.SPAN_KIND_CLIENT: "client",
    Span.SPAN_KIND_PRODUCER: "producer",
    Span.SPAN_KIND_CONSUMER: "consumer",
    Span.SPAN_KIND_INTERNAL: "internal",
}
_XRAY_KEY = re.compile(r"[^A-Za-z0-9_]")

# thriftpy2 is untyped; bind its constructors as Any once.
_memory_buffer: Any = TMemoryBuffer
_compact_factory: Any = TCompactProtocolFactory
_binary_factory: Any = TBinaryProtocolFactory
_jt: Any = jaeger_thrift
_emit_batch_args: Any = agent_thrift.Agent.emitBatch_args


@dataclass
class FlatSpan:
    """The fields every protocol carries, read once from an OTLP span."""

    trace_id: bytes
    span_id: bytes
    parent_span_id: bytes
    name: str
    kind: int
    start_ns: int
    end_ns: int
    attrs: list[tuple[str, Scalar]]
    events: list[tuple[int, str, list[tuple[str, Scalar]]]]
    links: list[tuple[bytes, bytes]]
    error: bool
    status_message: str


@dataclass
class FlatBatch:
    """The spans of one OTLP ResourceSpans: one Jaeger process, one Zipkin/X-Ray service."""

    service: str
    resource: list[tuple[str, Scalar]]
    spans: list[FlatSpan] = field(default_factory=list)


def _scalar(v: AnyValue) -> Scalar:
    which = v.WhichOneof("value")
    if which in ("string_value", "bool_value", "int_value", "double_value"):
        value: Scalar = getattr(v, which)
        return value
    # Arrays, maps and bytes have no Jaeger/Zipkin/X-Ray tag type: their JSON text, as exporters do.
    from google.protobuf.json_format import MessageToDict

    return json.dumps(MessageToDict(v), separators=(",", ":"))


def _kvs(kvs: Iterable[KeyValue]) -> list[tuple[str, Scalar]]:
    return [(kv.key, _scalar(kv.value)) for kv in kvs]


def flatten(request: bytes) -> list[FlatBatch]:
    """One FlatBatch per ResourceSpans of a serialized ExportTraceServiceRequest."""
    req = ExportTraceServiceRequest.FromString(request)
    out: list[FlatBatch] = []
    for rs in req.resource_spans:
        resource = _kvs(rs.resource.attributes)
        service = next((str(v) for k, v in resource if k == "service.name"), "unknown_service")
        batch = FlatBatch(service, [(k, v) for k, v in resource if k != "service.name"])
        for ss in rs.scope_spans:
            for s in ss.spans:
                batch.spans.append(
                    FlatSpan(
                        trace_id=s.trace_id,
                        span_id=s.span_id,
                        parent_span_id=s.parent_span_id,
                        name=s.name,
                        kind=s.kind,
                        start_ns=s.start_time_unix_nano,
                        end_ns=s.end_time_unix_nano,
                        attrs=_kvs(s.attributes),
                        events=[(e.time_unix_nano, e.name, _kvs(e.attributes)) for e in s.events],
                        links=[(lk.trace_id, lk.span_id) for lk in s.links],
                        error=s.status.code == Status.STATUS_CODE_ERROR,
                        status_message=s.status.message,
                    )
                )
        out.append(batch)
    return out


# --- Jaeger Thrift -------------------------------------------------------------------------------


def _i64(b: bytes) -> int:
    return int.from_bytes(b, "big", signed=True)


def _thrift_tag(key: str, value: Scalar) -> Any:
    t = _jt.TagType
    if isinstance(value, bool):
        return _jt.Tag(key=key, vType=t.BOOL, vBool=value)
    if isinstance(value, int):
        return _jt.Tag(key=key, vType=t.LONG, vLong=value)
    if isinstance(value, float):
        return _jt.Tag(key=key, vType=t.DOUBLE, vDouble=value)
    return _jt.Tag(key=key, vType=t.STRING, vStr=value)


def _span_tags(s: FlatSpan) -> list[tuple[str, Scalar]]:
    """Span attributes plus what Jaeger keeps in tags: kind and status (as the OTel exporter does)."""
    tags = list(s.attrs)
    if s.kind in _KIND_NAMES and s.kind != Span.SPAN_KIND_INTERNAL:
        tags.append(("span.kind", _KIND_NAMES[s.kind]))
    if s.error:
        tags += [("otel.status_code", "ERROR"), ("error", True)]
        if s.status_message:
            tags.append(("otel.status_description", s.status_message))
    return tags


def _thrift_batch(batch: FlatBatch, spans: list[FlatSpan]) -> Any:
    thrift_spans = []
    for s in spans:
        start_us = s.start_ns // 1000
        thrift_spans.append(
            _jt.Span(
                traceIdLow=_i64(s.trace_id[8:]),
                traceIdHigh=_i64(s.trace_id[:8]),
                spanId=_i64(s.span_id),
                parentSpanId=_i64(s.parent_span_id) if s.parent_span_id else 0,
                operationName=s.name,
                references=[
                    _jt.SpanRef(
                        refType=_jt.SpanRefType.FOLLOWS_FROM,
                        traceIdLow=_i64(tid[8:]),
                        traceIdHigh=_i64(tid[:8]),
                        spanId=_i64(sid),
                    )
                    for tid, sid in s.links
                ]
                or None,
                flags=1,
                startTime=start_us,
                duration=max(0, s.end_ns // 1000 - start_us),
                tags=[_thrift_tag(k, v) for k, v in _span_tags(s)],
                logs=[
                    _jt.Log(
                        timestamp=t // 1000,
                        fields=[_thrift_tag("event", name)] + [_thrift_tag(k, v) for k, v in fields],
                    )
                    for t, name, fields in s.events
                ]
                or None,
            )
        )
    process = _jt.Process(serviceName=batch.service, tags=[_thrift_tag(k, v) for k, v in batch.resource])
    return _jt.Batch(process=process, spans=thrift_spans)


def jaeger_thrift_http(request: bytes) -> list[bytes]:
    """Collector bodies (binary Thrift ``Batch``), one per ResourceSpans."""
    factory: Any = _binary_factory()
    return [bytes(serialize(_thrift_batch(b, b.spans), factory)) for b in flatten(request) if b.spans]


def _emit_batch_datagram(batch: Any, wire: str) -> bytes:
    buf: Any = _memory_buffer()
    factory: Any = (_compact_factory if wire == "compact" else _binary_factory)()
    client = TClient(agent_thrift.Agent, factory.get_protocol(buf))
    client._send("emitBatch", batch=batch)  # the oneway call's message, as an agent client sends it
    return bytes(buf.getvalue())


def _split_to_fit(spans: list[FlatSpan], encode_one: Callable[[list[FlatSpan]], bytes]) -> list[bytes]:
    """Encode ``spans`` as few payloads as fit MAX_DATAGRAM_BYTES, halving oversized groups."""
    data = encode_one(spans)
    if len(data) <= MAX_DATAGRAM_BYTES:
        return [data]
    if len(spans) == 1:
        return []  # one span larger than a datagram: a real client drops it too
    mid = len(spans) // 2
    return _split_to_fit(spans[:mid], encode_one) + _split_to_fit(spans[mid:], encode_one)


def jaeger_thrift_udp(request: bytes, wire: str) -> list[bytes]:
    """Agent ``emitBatch`` datagrams (``wire`` = compact or binary), split to fit a datagram."""
    out: list[bytes] = []
    for b in flatten(request):

        def one(spans: list[FlatSpan], b: FlatBatch = b) -> bytes:
            return _emit_batch_datagram(_thrift_batch(b, spans), wire)

        if b.spans:
            out += _split_to_fit(b.spans, one)
    return out


# --- Jaeger api_v2 protobuf (gRPC) ---------------------------------------------------------------


def _proto_tag(kv: Any, key: str, value: Scalar) -> None:
    kv.key = key
    if isinstance(value, bool):
        kv.v_type, kv.v_bool = api_v2.BOOL, value
    elif isinstance(value, int):
        kv.v_type, kv.v_int64 = api_v2.INT64, value
    elif isinstance(value, float):
        kv.v_type, kv.v_float64 = api_v2.FLOAT64, value
    else:
        kv.v_type, kv.v_str = api_v2.STRING, value


def jaeger_grpc(request: bytes) -> list[bytes]:
    """Serialized ``PostSpansRequest`` messages, one per ResourceSpans."""
    out: list[bytes] = []
    for b in flatten(request):
        req = api_v2.PostSpansRequest()
        req.batch.process.service_name = b.service
        for k, v in b.resource:
            _proto_tag(req.batch.process.tags.add(), k, v)
        for s in b.spans:
            span = req.batch.spans.add(trace_id=s.trace_id, span_id=s.span_id, operation_name=s.name, flags=1)
            if s.parent_span_id:
                span.references.add(trace_id=s.trace_id, span_id=s.parent_span_id, ref_type=api_v2.CHILD_OF)
            for tid, sid in s.links:
                span.references.add(trace_id=tid, span_id=sid, ref_type=api_v2.FOLLOWS_FROM)
            span.start_time.seconds, span.start_time.nanos = divmod(s.start_ns, 10**9)
            span.duration.seconds, span.duration.nanos = divmod(max(0, s.end_ns - s.start_ns), 10**9)
            for k, v in _span_tags(s):
                _proto_tag(span.tags.add(), k, v)
            for t, name, fields in s.events:
                log = span.logs.add()
                log.timestamp.seconds, log.timestamp.nanos = divmod(t, 10**9)
                _proto_tag(log.fields.add(), "event", name)
                for k, v in fields:
                    _proto_tag(log.fields.add(), k, v)
        if b.spans:
            out.append(req.SerializeToString())
    return out


# --- Zipkin v2 JSON ------------------------------------------------------------------------------


def _tag_text(value: Scalar) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def zipkin_json(request: bytes) -> list[bytes]:
    """One ``POST /api/v2/spans`` JSON body per OTLP request (spans carry their own service)."""
    docs: list[dict[str, Any]] = []
    for b in flatten(request):
        endpoint = {"serviceName": b.service}
        for s in b.spans:
            tags = {k: _tag_text(v) for k, v in s.attrs}
            if s.error:
                tags["error"] = s.status_message or "true"
            doc: dict[str, Any] = {
                "traceId": s.trace_id.hex(),
                "id": s.span_id.hex(),
                "name": s.name,
                "timestamp": s.start_ns // 1000,
                "duration": max(1, (s.end_ns - s.start_ns) // 1000),
                "localEndpoint": endpoint,
                "tags": tags,
            }
            if s.parent_span_id:
                doc["parentId"] = s.parent_span_id.hex()
            if s.kind in _KIND_NAMES and s.kind != Span.SPAN_KIND_INTERNAL:
                doc["kind"] = _KIND_NAMES[s.kind].upper()
            if s.events:
                doc["annotations"] = [{"timestamp": t // 1000, "value": name} for t, name, _ in s.events]
            docs.append(doc)
    return [json.dumps(docs, separators=(",", ":")).encode()] if docs else []


# --- AWS X-Ray daemon protocol -------------------------------------------------------------------


def _xray_fields(s: FlatSpan) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": s.span_id.hex(),
        "start_time": s.start_ns / 1e9,
        "end_time": s.end_ns / 1e9,
    }
    # Annotation keys are [A-Za-z0-9_] in X-Ray; values scalars.
    annotations = {_XRAY_KEY.sub("_", k): v for k, v in s.attrs}
    if annotations:
        doc["annotations"] = annotations
    if s.error:
        doc["fault"] = True
        exceptions = [
            {"id": s.span_id.hex(), "message": str(dict(f).get("exception.message", s.status_message))}
            for _, name, f in s.events
            if name == "exception"
        ]
        if exceptions:
            doc["cause"] = {"exceptions": exceptions}
    return doc


def _xray_tree(
    s: FlatSpan, children: dict[bytes, list[FlatSpan]], service: str, trace: str, top: bool
) -> dict[str, Any]:
    doc = _xray_fields(s)
    if top:
        # A segment is named after its service; a downstream segment points at its caller.
        doc.update(name=service, trace_id=trace)
        if s.parent_span_id:
            doc["parent_id"] = s.parent_span_id.hex()
    else:
        doc["name"] = s.name
        if s.kind in (Span.SPAN_KIND_CLIENT, Span.SPAN_KIND_PRODUCER):
            doc["namespace"] = "remote"
    subs = [_xray_tree(c, children, service, trace, False) for c in children.get(s.span_id, [])]
    if subs:
        doc["subsegments"] = subs
    return doc


def _standalone(s: FlatSpan, service: str, trace: str, top: bool) -> bytes:
    """One span as its own document: a segment, or a subsegment sent on its own (streaming)."""
    doc = _xray_fields(s)
    if top:
        doc.update(name=service, trace_id=trace)
        if s.parent_span_id:
            doc["parent_id"] = s.parent_span_id.hex()
    else:
        doc.update(name=s.name, type="subsegment", trace_id=trace, parent_id=s.parent_span_id.hex())
    return XRAY_HEADER + json.dumps(doc, separators=(",", ":")).encode()


def xray_udp(request: bytes) -> list[bytes]:
    """Segment documents, one per (trace, service) subtree with embedded subsegments, as the SDKs
    send them; a subtree too large for a datagram is streamed span by span instead."""
    out: list[bytes] = []
    for b in flatten(request):
        by_trace: dict[bytes, list[FlatSpan]] = defaultdict(list)
        for s in b.spans:
            by_trace[s.trace_id].append(s)
        for tid, spans in by_trace.items():
            trace = f"1-{tid[:4].hex()}-{tid[4:].hex()}"
            ids = {s.span_id for s in spans}
            children: dict[bytes, list[FlatSpan]] = defaultdict(list)
            tops: list[FlatSpan] = []
            for s in spans:
                (children[s.parent_span_id] if s.parent_span_id in ids else tops).append(s)
            for top in tops:
                data = (
                    XRAY_HEADER
                    + json.dumps(
                        _xray_tree(top, children, b.service, trace, True), separators=(",", ":")
                    ).encode()
                )
                if len(data) <= MAX_DATAGRAM_BYTES:
                    out.append(data)
                    continue
                stack = [(top, True)]
                while stack:
                    s, is_top = stack.pop()
                    out.append(_standalone(s, b.service, trace, is_top))
                    stack += [(c, False) for c in children.get(s.span_id, [])]
    return out


ENCODERS: dict[str, Callable[[bytes], list[bytes]]] = {
    "jaeger_thrift_http": jaeger_thrift_http,
    "jaeger_thrift_compact": lambda r: jaeger_thrift_udp(r, "compact"),
    "jaeger_thrift_binary": lambda r: jaeger_thrift_udp(r, "binary"),
    "jaeger_grpc": jaeger_grpc,
    "zipkin_json": zipkin_json,
    "xray": xray_udp,
}


def encode(protocol: str, requests: Iterable[bytes]) -> list[bytes]:
    """Every OTLP request re-encoded as ``protocol`` payloads (request bodies or datagrams)."""
    fn = ENCODERS[protocol]
    return [payload for r in requests for payload in fn(r)]
