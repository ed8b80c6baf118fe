"""Emit one trace through an OpenTelemetry 1.21 Jaeger exporter; print what went on the wire as JSON.

Runs inside the cached old-SDK venv (tests.support.old_otel_venv), not the project venv.
Usage: otel_jaeger_emit.py thrift_http|thrift_udp|grpc <endpoint>
  thrift_http: http://127.0.0.1:<port>/api/traces   (collector, Thrift binary over HTTP)
  thrift_udp:  <port>                                (agent, Thrift compact over UDP)
  grpc:        127.0.0.1:<port>                      (collector, jaeger.api_v2 PostSpans)

Exporters round or truncate timestamps on their way to the wire (Thrift: µs; gRPC: through a
float), so the script records the batch the exporter actually sent and reports those times.
"""

import json
import sys
from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import Link, SpanKind, Status, StatusCode

mode, endpoint = sys.argv[1], sys.argv[2]
sent_spans: list[
    tuple[str, int, int, list[int]]
] = []  # (name, start_ns, end_ns, [event_ns]) exactly as encoded on the wire


class _Recording:
    """Wraps the exporter's transport and keeps every span it hands over."""

    def __init__(self, inner: Any, method: str) -> None:
        self._inner = inner
        self._method = method

    def __getattr__(self, name: str) -> Any:
        if name != self._method:
            return getattr(self._inner, name)

        def call(payload: Any, *args: Any, **kwargs: Any) -> Any:
            if mode == "grpc":
                for s in payload.batch.spans:
                    start = s.start_time.seconds * 10**9 + s.start_time.nanos
                    dur = s.duration.seconds * 10**9 + s.duration.nanos
                    logs = [lg.timestamp.seconds * 10**9 + lg.timestamp.nanos for lg in s.logs]
                    sent_spans.append((s.operation_name, start, start + dur, logs))
            else:
                for s in payload.spans:
                    logs = [lg.timestamp * 1000 for lg in s.logs or []]
                    sent_spans.append(
                        (s.operationName, s.startTime * 1000, (s.startTime + s.duration) * 1000, logs)
                    )
            return getattr(self._inner, name)(payload, *args, **kwargs)

        return call


provider = TracerProvider(
    resource=Resource.create({"service.name": f"otel-jaeger-{mode}", "deployment.environment": "e2e"})
)
trace.set_tracer_provider(provider)
if mode == "grpc":
    from opentelemetry.exporter.jaeger.proto.grpc import JaegerExporter as GrpcExporter

    exporter = GrpcExporter(collector_endpoint=endpoint, insecure=True, timeout=10)
    exporter._grpc_client = _Recording(exporter._collector_grpc_client, "PostSpans")
elif mode == "thrift_http":
    from opentelemetry.exporter.jaeger.thrift import JaegerExporter

    exporter = JaegerExporter(collector_endpoint=endpoint, timeout=10)
    exporter._collector = _Recording(exporter._collector_http_client, "submit")
else:
    from opentelemetry.exporter.jaeger.thrift import JaegerExporter

    exporter = JaegerExporter(agent_host_name="127.0.0.1", agent_port=int(endpoint))
    exporter._agent_client = _Recording(exporter._agent_client, "emit")
provider.add_span_processor(SimpleSpanProcessor(exporter))
tracer = provider.get_tracer("e2e.jaeger.lib", "2.0.1")

with tracer.start_as_current_span(f"GET /orders {mode}", kind=SpanKind.SERVER) as root:
    root.set_attribute("str", "v")
    root.set_attribute("bool", True)
    root.set_attribute("int", 7)
    root.set_attribute("float", 2.5)
    root.add_event("orders.loaded", {"count": 3})
    with tracer.start_as_current_span("SELECT orders", kind=SpanKind.CLIENT) as child:
        child.set_attribute("db.system", "postgresql")
        child.set_status(Status(StatusCode.ERROR, "timeout"))
    with tracer.start_as_current_span(
        "publish", kind=SpanKind.PRODUCER, links=[Link(child.get_span_context())]
    ) as producer:
        pass
provider.shutdown()

wire = {name: (start, end, logs) for name, start, end, logs in sent_spans}
out = {}
finished: tuple[Any, ...] = (root, child, producer)  # SDK spans: ReadableSpan fields
for span in finished:
    ctx = span.get_span_context()
    start, end, logs = wire[span.name]
    out[span.name] = {
        "trace_id": f"{ctx.trace_id:032x}",
        "span_id": f"{ctx.span_id:016x}",
        "parent_span_id": f"{span.parent.span_id:016x}" if span.parent else "",
        "start_ns": start,
        "end_ns": end,
        "sdk_start_ns": span.start_time,
        "sdk_end_ns": span.end_time,
        "event_ns": logs,
    }
print(json.dumps(out))
