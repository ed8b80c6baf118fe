"""A fixed set of six traces with known services, kinds, statuses, durations, attributes, events and
links, and the table of TraceQL queries with the traces each must return.

Trace start times are spaced 10 s apart, T1 newest, so newest-first results come out T1..T6.
T5's root (frontend) and its child (api) are split by tests between a block and live data.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import InstrumentationScope
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span, Status

from tempo_py.testing.otlp_factory import kv

MS = 1_000_000
SERVER, CLIENT, CONSUMER, INTERNAL = (
    Span.SPAN_KIND_SERVER,
    Span.SPAN_KIND_CLIENT,
    Span.SPAN_KIND_CONSUMER,
    Span.SPAN_KIND_INTERNAL,
)
OK, ERROR = Status.STATUS_CODE_OK, Status.STATUS_CODE_ERROR


@dataclass
class S:
    """One span of the dataset: offsets in ms from its trace's start."""

    sid: int
    parent: int | None
    service: str
    name: str
    kind: int
    start_ms: float
    dur_ms: float
    status: int = 0
    attrs: dict[str, object] = field(default_factory=dict)
    events: list[tuple[str, float, dict[str, object]]] = field(default_factory=list)
    links: list[tuple[str, int]] = field(default_factory=list)  # (trace name, span sid)
    resource: dict[str, object] = field(default_factory=dict)
    scope: tuple[str, str] = ("", "")


def trace_id(name: str) -> bytes:
    """The 16-byte ID of trace T1..T6."""
    return bytes.fromhex(f"{int(name[1:]):02x}" * 16)


def span_id(name: str, sid: int) -> bytes:
    """The 8-byte ID of span ``sid`` of a trace."""
    return bytes([int(name[1:]), sid] * 4)


TRACES: dict[str, list[S]] = {
    "T1": [
        S(1, None, "frontend", "GET /checkout", SERVER, 0, 1200, attrs={"http.route": "/checkout"}),
        S(2, 1, "checkout", "charge", CLIENT, 100, 900),
        S(
            3,
            2,
            "payment",
            "pay",
            SERVER,
            150,
            500,
            ERROR,
            attrs={"http.status_code": 500, "amount": 42.5},
            events=[("exception", 10, {"exception.type": "CardDeclined"}), ("retry", 20, {})],
        ),
    ],
    "T2": [
        S(1, None, "frontend", "GET /browse", SERVER, 0, 100, OK, attrs={"http.status_code": 200}),
        S(2, 1, "catalog", "list", SERVER, 10, 50),
        S(3, 2, "catalog", "SELECT", CLIENT, 20, 30, attrs={"db.system": "postgresql"}, links=[("T1", 1)]),
    ],
    "T3": [
        S(1, None, "auth", "POST /login", SERVER, 0, 300, OK, attrs={"user.id": 7, "user.admin": True}),
        S(2, 1, "auth", "hash", INTERNAL, 20, 250, OK),
    ],
    "T4": [
        S(
            1,
            None,
            "worker",
            "job",
            CONSUMER,
            0,
            2000,
            resource={"deployment.environment": "prod"},
            scope=("io.worker", "1.2"),
        ),
        *(
            S(
                1 + i,
                1,
                "worker",
                "step",
                INTERNAL,
                100 * i,
                100,
                attrs={"step": i},
                resource={"deployment.environment": "prod"},
                scope=("io.worker", "1.2"),
            )
            for i in (1, 2, 3)
        ),
    ],
    "T5": [
        S(1, None, "frontend", "GET /split", SERVER, 0, 700),
        S(2, 1, "api", "backend", SERVER, 50, 600, ERROR),
    ],
    "T6": [
        S(1, None, "frontend", "GET /health", SERVER, 0, 1, attrs={"http.route": "/health"}),
    ],
}
ORDER = ["T1", "T2", "T3", "T4", "T5", "T6"]  # newest first


def base_time_ns() -> int:
    """Start of T6: a minute ago, whole seconds (so start/end in seconds can bracket the set)."""
    return (int(time.time()) - 120) * 10**9


def trace_start_ns(name: str, base_ns: int) -> int:
    """Start of a trace: T6 at ``base_ns``, each newer trace 10 s later."""
    return base_ns + (6 - int(name[1:])) * 10 * 10**9


def _span(name: str, s: S, base_ns: int) -> Span:
    start = trace_start_ns(name, base_ns) + int(s.start_ms * MS)
    sp = Span(
        trace_id=trace_id(name),
        span_id=span_id(name, s.sid),
        name=s.name,
        kind=s.kind,  # type: ignore[arg-type]
        start_time_unix_nano=start,
        end_time_unix_nano=start + int(s.dur_ms * MS),
    )
    if s.parent is not None:
        sp.parent_span_id = span_id(name, s.parent)
    sp.status.code = s.status  # type: ignore[assignment]
    if s.status == ERROR:
        sp.status.message = "failed"
    sp.attributes.extend(kv(k, v) for k, v in s.attrs.items())
    for ev_name, offset_ms, ev_attrs in s.events:
        ev = sp.events.add(name=ev_name, time_unix_nano=start + int(offset_ms * MS))
        ev.attributes.extend(kv(k, v) for k, v in ev_attrs.items())
    for link_trace, link_sid in s.links:
        sp.links.add(trace_id=trace_id(link_trace), span_id=span_id(link_trace, link_sid))
    return sp


def resource_spans(
    names: list[str], base_ns: int, *, only: set[tuple[str, int]] | None = None
) -> list[ResourceSpans]:
    """The traces ``names`` as OTLP (one ResourceSpans per span: simple, and legal OTLP).

    ``only`` restricts to (trace, sid) pairs, ``exclude`` semantics by the caller's choice of set.
    """
    out = []
    for name in names:
        for s in TRACES[name]:
            if only is not None and (name, s.sid) not in only:
                continue
            res = Resource(
                attributes=[kv("service.name", s.service), *(kv(k, v) for k, v in s.resource.items())]
            )
            scope = InstrumentationScope(name=s.scope[0], version=s.scope[1])
            out.append(
                ResourceSpans(
                    resource=res, scope_spans=[ScopeSpans(scope=scope, spans=[_span(name, s, base_ns)])]
                )
            )
    return out


def request(names: list[str], base_ns: int, *, only: set[tuple[str, int]] | None = None) -> bytes:
    """An OTLP ExportTraceServiceRequest body."""
    return ExportTraceServiceRequest(
        resource_spans=resource_spans(names, base_ns, only=only)
    ).SerializeToString()


# (query, expected traces newest first)
QUERIES: list[tuple[str, list[str]]] = [
    ('{ resource.service.name = "frontend" }', ["T1", "T2", "T5", "T6"]),
    ('{ .service.name = "payment" }', ["T1"]),
    ("{ status = error }", ["T1", "T5"]),
    ("{ kind = consumer }", ["T4"]),
    ("{ duration > 1s }", ["T1", "T4"]),
    ('{ name =~ "GET /.*" }', ["T1", "T2", "T5", "T6"]),
    ('{ resource.service.name =~ "pay.*|auth" }', ["T1", "T3"]),
    ('{ resource.service.name !~ "frontend|catalog|worker" && kind = server }', ["T1", "T3", "T5"]),
    ("{ span.http.status_code >= 500 }", ["T1"]),
    ("{ span.user.id = 7 && span.user.admin = true }", ["T3"]),
    ('{ event:name = "exception" }', ["T1"]),
    ('{ event.exception.type = "CardDeclined" && event:name = "exception" }', ["T1"]),
    ('{ event.exception.type = "CardDeclined" && event:name = "retry" }', []),
    ("{ event:timeSinceStart > 15ms }", ["T1"]),
    (f'{{ link:traceID = "{trace_id("T1").hex()}" }}', ["T2"]),
    ('{ resource.service.name = "frontend" } > { resource.service.name = "checkout" }', ["T1"]),
    ('{ name = "GET /browse" } >> { kind = client }', ["T2"]),
    ('{ span.db.system = "postgresql" } << { name = "GET /browse" }', ["T2"]),
    ('{ name = "pay" } < { name = "charge" }', ["T1"]),
    ('{ name = "step" } ~ { name = "step" }', ["T4"]),
    ("{ kind = server } !> { status = error }", ["T1"]),
    ('{ name = "charge" } &> { name = "pay" }', ["T1"]),
    ("{ status = error } && { kind = consumer }", []),
    ('{ resource.service.name = "auth" } || { kind = consumer }', ["T3", "T4"]),
    ('{ name = "hash" } && { status = ok }', ["T3"]),
    ('{ name = "step" } | count() > 2', ["T4"]),
    ("{ } | count() >= 3", ["T1", "T2", "T4"]),
    ("{ } | max(duration) > 1500ms", ["T4"]),
    ('{ name = "step" } | sum(span.step) = 6', ["T4"]),
    ("{ } | avg(duration) > 800ms", ["T1"]),
    ("{ } | min(duration) < 2ms", ["T6"]),
    ("{ } | by(resource.service.name) | count() > 3", ["T4"]),
    ("{ trace:duration > 1s }", ["T1", "T4"]),
    ('{ trace:rootService = "auth" }', ["T3"]),
    ('{ rootName = "GET /browse" }', ["T2"]),
    ("{ traceDuration < 10ms }", ["T6"]),
    ('{ trace:rootService = "frontend" && resource.service.name = "api" }', ["T5"]),
    ('{ instrumentation:name = "io.worker" && instrumentation:version = "1.2" }', ["T4"]),
    ('{ resource.deployment.environment = "prod" && span.step >= 2 }', ["T4"]),
    ('{ .http.route = "/health" }', ["T6"]),
    ("{ span.amount > 40 }", ["T1"]),
    ('{ span:id = "0302030203020302" }', ["T3"]),
    (f'{{ trace:id = "{trace_id("T5").hex()}" }}', ["T5"]),
    ('{ .service.name = "catalog" || name = "job" && duration > 1s }', ["T4"]),
    ("{ }", ORDER),
    ("{ } with(most_recent=true)", ORDER),
    ("{ } | select(span.http.route) | by(resource.service.name) | coalesce()", ORDER),
]
