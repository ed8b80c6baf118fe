"""Deterministic generator of realistic microservice traces, shared by every benchmark and many tests.

The simulated system is an e-commerce shop (`bench.workload_topology`): 15 services (frontend,
api-gateway, auth, user, cart, checkout, payment, shipping, inventory, catalog, search,
recommendation, email, notification, ad) in Node.js, Go, Java and Python, talking HTTP and gRPC,
using PostgreSQL, MySQL, MongoDB, Redis and Kafka, and calling two third-party HTTP APIs. Spans follow
the OpenTelemetry semantic conventions (HTTP, gRPC, database, messaging; k8s/cloud resources) and
carry the instrumentation scope each language's real instrumentation library uses.

Distributions (seed 42, 1M spans = ~29,000 traces; `python -m bench.workload --stats` prints them):

* Trace size (spans): mean ~34, median ~21, p90 ~54, p99 ~230, p99.9 ~1,300, max ~4,000; ~2 % of
  traces have 100+ spans and ~0.15 % have 1,000+. The bulk comes from 10 kinds of request (home
  page, product page, search, cart, add-to-cart, checkout, order status, health check, mobile product
  API, order history); search and cart fan out to the catalog in parallel, checkout loops over 1-6
  items. The order-history page (2 % of traces) loops over lognormal(median 25, sigma 0.7) past
  orders: tens to hundreds of spans, the p99. Three batch jobs (~0.9 % of traces together) loop over
  lognormal(median 120, sigma 0.8, cap 800) items at 3-5 spans each: the 1,000+ span tail.
* Durations: each operation's own time is lognormal(median per operation, sigma 0.4-0.7), and 0.5 %
  of spans are 10x slower (GC pauses, lock waits). A span lasts its own time plus its children, laid
  out sequentially or in parallel, so children are always inside their parents. DB spans ~1-20 ms,
  requests through the frontend typically 20-300 ms (root p50 ~50 ms, p99 ~1 s), payment-provider
  calls ~180 ms; batch jobs run for seconds to minutes.
* Errors: `error_rate` (default 1.5 %) of traces contain one failing span (a DB, cache, third-party,
  handler or job span) with status ERROR, a message and an `exception` event with
  exception.type/message/stacktrace in the service's language. The caller stops its remaining calls
  and every ancestor fails too: HTTP spans get status code 500, gRPC spans code 13 (INTERNAL).
* Events: `event_rate` (default 1 %) of gRPC, HTTP-client and internal spans carry one non-error event.
* IDs: 128-bit trace IDs and 64-bit span IDs from the seeded RNG. Trace start times are a Poisson
  process (`traces_per_second`) from a base time: `start_time_ns`, or if None, now (floored to the
  second) minus `lookback_s`, so that data lands in the recent past. Same seed + same start time =
  byte-identical output.

Encoding is hand-rolled canonical protobuf from pre-encoded templates (`bench.workload_wire`,
`bench.workload_templates`); `generate_requests` parses it into `ExportTraceServiceRequest` objects.
Within a request, spans are grouped as a collector would: one `ResourceSpans` per pod (service
instance), one `ScopeSpans` per instrumentation scope. Requests hold whole traces.
Size on the wire: ~290 bytes/span as protobuf, ~660 bytes/span as OTLP/JSON. Speed on the 2-core
box: ~85-180k spans/s for protobuf bytes (1M spans in ~6-12 s, by load), ~8k spans/s for JSON (json_format).
"""

from __future__ import annotations

import argparse
import base64
import bisect
import json
import math
import random
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans

from bench import workload_wire as wire
from bench.workload_stats import WorkloadStats
from bench.workload_templates import OpTemplate, ScopeTable, build_pods, compile_operations
from bench.workload_topology import ROOTS, SERVICES, Count

__all__ = [
    "GeneratedTrace",
    "Workload",
    "WorkloadConfig",
    "WriteSummary",
    "generate_request_bytes",
    "generate_requests",
    "generate_traces",
    "main",
    "read_protobuf_requests",
    "request_to_otlp_json",
    "write_otlp_json",
    "write_protobuf_requests",
]


@dataclass(frozen=True)
class WorkloadConfig:
    """Knobs of the generated workload; the defaults are what every benchmark uses."""

    seed: int = 42
    start_time_ns: int | None = None
    lookback_s: float = 1800.0
    traces_per_second: float = 50.0
    error_rate: float = 0.015
    event_rate: float = 0.01
    environment: str = "production"
    cluster: str = "prod-eu-west-1"
    region: str = "eu-west-1"


@dataclass(slots=True)
class GeneratedTrace:
    """One generated trace: summary fields plus its spans as (pod index, scope index, encoded entry)."""

    trace_id: bytes
    start_ns: int
    end_ns: int
    error: bool
    root_service: str
    root_name: str
    spans: list[tuple[int, int, bytes]]

    @property
    def span_count(self) -> int:
        """Number of spans in the trace."""
        return len(self.spans)


@dataclass(frozen=True)
class WriteSummary:
    """What a writer produced."""

    path: Path
    requests: int
    traces: int
    spans: int
    bytes: int
    seconds: float


_QUERIES = (
    "running shoes",
    "wireless headphones",
    "coffee grinder",
    "yoga mat",
    "usb c cable",
    "desk lamp",
    "rain jacket",
    "water bottle",
    "mechanical keyboard",
    "backpack",
)
_CATEGORIES = ("shoes", "electronics", "kitchen", "sports", "books", "home", "outdoor", "toys")
_USER_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 "
    "Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 "
    "Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile "
    "Safari/537.36",
)

# Per-trace business identifiers referenced by URL, statement and key templates. Loops redraw some.
_DRAWERS: dict[str, Callable[[random.Random], object]] = {
    "user": lambda r: r.randrange(1, 5_000_000),
    "session": lambda r: f"{r.getrandbits(64):016x}",
    "order": lambda r: r.randrange(10_000_000, 100_000_000),
    "product": lambda r: r.randrange(1, 100_000),
    "qty": lambda r: r.randint(1, 5),
    "cents": lambda r: r.randrange(499, 50_000),
    "zip": lambda r: f"{r.randrange(10_000, 100_000)}",
    "query": lambda r: r.choice(_QUERIES),
    "category": lambda r: r.choice(_CATEGORIES),
    "ua": lambda r: r.choice(_USER_AGENTS),
    "offset": lambda r: r.randrange(1_000_000, 900_000_000),
}

_PARENT = b"\x22\x08"  # Span.parent_span_id tag + length
_SPAN_ID = b"\x12\x08"  # Span.span_id tag + length
_EVENT_FIELD = b"\x5a"  # Span.events tag
_EVENT_TIME_LEN = wire.EVENT_TIME.size
# Self-time tail: this share of spans is this much slower (GC pauses, lock waits, cold caches).
_SLOW_SHARE, _SLOW_FACTOR = 0.005, 10.0
# In an error trace, the chance that an eligible span is where the failure starts (else the root).
_ORIGIN_CHANCE = 0.15
_GAP_NS = 120_000  # upper bound of the idle time between two sequential calls


class Workload:
    """A seeded, endless stream of traces from the simulated shop; see the module docstring."""

    def __init__(self, config: WorkloadConfig | None = None) -> None:
        self.config = config or WorkloadConfig()
        cfg = self.config
        self.scopes = ScopeTable()
        self._ops = compile_operations(self.scopes)
        self.pods = build_pods(cfg.seed, cfg.environment, cfg.cluster, cfg.region)
        self._pods_of: list[list[int]] = [[] for _ in SERVICES]
        for idx, pod in enumerate(self.pods):
            self._pods_of[pod.service].append(idx)
        service_index = {s.name: i for i, s in enumerate(SERVICES)}
        self._roots = [(self._ops[key], service_index[svc]) for key, _, svc in ROOTS]
        total = sum(w for _, w, _ in ROOTS)
        acc = 0.0
        self._root_cum: list[float] = []
        for _, w, _ in ROOTS:
            acc += w / total
            self._root_cum.append(acc)
        if cfg.start_time_ns is not None:
            self.start_time_ns = cfg.start_time_ns
        else:
            now_s = time.time_ns() // 1_000_000_000
            self.start_time_ns = (now_s - int(cfg.lookback_s)) * 1_000_000_000
        self._rng = random.Random(cfg.seed)
        self._spans: list[tuple[int, int, bytes]] = []
        self._tid_field = b""
        self._fail_state = 0  # 0: healthy trace, 1: error planned, 2: error happened

    @property
    def operation_count(self) -> int:
        """Number of distinct operations (span templates, including client companions)."""
        return len(self._ops) + sum(1 for op in self._ops.values() if op.client is not None)

    def traces(self) -> Iterator[GeneratedTrace]:
        """Yield traces forever, in start-time order."""
        rng = self._rng
        t = self.start_time_ns
        while True:
            t += int(rng.expovariate(self.config.traces_per_second) * 1e9)
            yield self._trace(t)

    def _trace(self, start: int) -> GeneratedTrace:
        rng = self._rng
        root, svc = self._roots[min(bisect.bisect_right(self._root_cum, rng.random()), len(self._roots) - 1)]
        trace_id = rng.getrandbits(128).to_bytes(16, "big")
        self._tid_field = b"\x0a\x10" + trace_id
        spans: list[tuple[int, int, bytes]] = []
        self._spans = spans
        self._fail_state = 1 if rng.random() < self.config.error_rate else 0
        ctx = {key: draw(rng) for key, draw in _DRAWERS.items()}
        pod = rng.choice(self._pods_of[svc])
        end, failed = self._emit(root, b"", svc, pod, start, ctx, True)
        return GeneratedTrace(trace_id, start, end, failed, SERVICES[svc].name, root.name, spans)

    def _span_id(self) -> bytes:
        return (self._rng.getrandbits(64) or 1).to_bytes(8, "big")

    def _count(self, count: Count) -> int:
        if count.kind == "uniform":
            return self._rng.randint(int(count.a), int(count.b))
        if count.kind == "lognormal":
            n = round(count.a * math.exp(count.b * self._rng.gauss(0.0, 1.0)))
            return max(1, min(count.cap, n))
        return int(count.a)

    def _self_time(self, op: OpTemplate) -> int:
        rng = self._rng
        ns = math.exp(op.mu_ns + op.sigma * rng.gauss(0.0, 1.0))
        if rng.random() < _SLOW_SHARE:
            ns *= _SLOW_FACTOR
        return int(ns) + 1

    def _emit(
        self,
        op: OpTemplate,
        parent: bytes,
        svc: int,
        pod: int,
        start: int,
        ctx: dict[str, object],
        root: bool,
    ) -> tuple[int, bool]:
        """Emit `op`'s span and, recursively, its children; return (end time, failed)."""
        rng = self._rng
        span_id = self._span_id()
        own = self._self_time(op)
        pre = int(own * rng.random() * 0.5)
        cursor = start + pre
        failed = False
        child_parent = _PARENT + span_id
        for plan in op.calls:
            if plan.prob < 1.0 and rng.random() >= plan.prob:
                continue
            n = self._count(plan.count)
            group_start = cursor
            for _ in range(n):
                c = ctx
                if plan.fresh:
                    c = dict(ctx)
                    for key in plan.fresh:
                        c[key] = _DRAWERS[key](rng)
                # Parallel repetitions all start near the group start; sequential ones follow each other.
                t = (group_start if plan.parallel else cursor) + int(rng.random() * _GAP_NS)
                for target in plan.targets:
                    t, failed = self._call(target, child_parent, svc, pod, t, c)
                    if failed:
                        break
                cursor = max(cursor, t)
                if failed:
                    break
            if failed:
                break
        end = cursor + own - pre
        if failed:
            self._finish(op, span_id, parent, svc, pod, start, end, op.propagated_status, b"", ctx)
        elif self._fail_state == 1 and op.can_originate_error and (root or rng.random() < _ORIGIN_CHANCE):
            self._fail_state = 2
            failed = True
            err = op.errors[svc]
            event = wire.EVENT_TIME.pack(wire.EVENT_TIME_TAG, end - min(own, 50_000) // 2) + err.event_tail
            event_field = _EVENT_FIELD + wire.varint(len(event)) + event
            self._finish(op, span_id, parent, svc, pod, start, end, err.status, event_field, ctx)
        else:
            self._finish(op, span_id, parent, svc, pod, start, end, b"", b"", ctx)
        return end, failed

    def _call(
        self, target: OpTemplate, parent: bytes, svc: int, pod: int, start: int, ctx: dict[str, object]
    ) -> tuple[int, bool]:
        """Call `target` from a span of service `svc`; remote calls get a CLIENT span around them."""
        client = target.client
        if client is None:
            if target.service < 0:
                return self._emit(target, parent, svc, pod, start, ctx, False)
            # A consumer runs in its own service, as the child of the producer span.
            callee_pod = self._rng.choice(self._pods_of[target.service])
            return self._emit(target, parent, target.service, callee_pod, start, ctx, False)
        client_id = self._span_id()
        network = self._self_time(client)
        callee_pod = self._rng.choice(self._pods_of[target.service])
        end, failed = self._emit(
            target, _PARENT + client_id, target.service, callee_pod, start + network // 2, ctx, False
        )
        end += network - network // 2
        status = client.propagated_status if failed else b""
        self._finish(client, client_id, parent, svc, pod, start, end, status, b"", ctx)
        return end, failed

    def _finish(
        self,
        op: OpTemplate,
        span_id: bytes,
        parent: bytes,
        svc: int,
        pod: int,
        start: int,
        end: int,
        status: bytes,
        error_event: bytes,
        ctx: dict[str, object],
    ) -> None:
        """Encode one span and queue it under its pod and scope."""
        events = b""
        if op.event_tail and self._rng.random() < self.config.event_rate:
            at = start + int((end - start) * self._rng.random())
            event = wire.EVENT_TIME.pack(wire.EVENT_TIME_TAG, at) + op.event_tail
            events = _EVENT_FIELD + wire.varint(len(event)) + event
        parts = [
            self._tid_field,
            _SPAN_ID,
            span_id,
            parent,
            op.head,
            wire.SPAN_TIMES.pack(wire.SPAN_START_TAG, start, wire.SPAN_END_TAG, end),
            op.err_attrs if status else op.ok_attrs,
        ]
        if op.dynamic:
            parts.extend(attr.render(ctx) for attr in op.dynamic)
        parts.append(events)
        parts.append(error_event)
        parts.append(status)
        body = b"".join(parts)
        self._spans.append((pod, op.scope_by_service[svc], b"\x12" + wire.varint(len(body)) + body))

    def encode_request(self, traces: Iterable[GeneratedTrace]) -> bytes:
        """Serialize traces as one ExportTraceServiceRequest: ResourceSpans per pod, ScopeSpans per scope."""
        groups: dict[int, dict[int, list[bytes]]] = {}
        for trace in traces:
            for pod, scope, entry in trace.spans:
                by_scope = groups.get(pod)
                if by_scope is None:
                    by_scope = groups[pod] = {}
                entries = by_scope.get(scope)
                if entries is None:
                    by_scope[scope] = [entry]
                else:
                    entries.append(entry)
        out: list[bytes] = []
        for pod, by_scope in groups.items():
            parts = [self.pods[pod].resource_field]
            for scope, entries in by_scope.items():
                body = self.scopes.fields[scope] + b"".join(entries)
                parts.append(b"\x12" + wire.varint(len(body)) + body)
            rs = b"".join(parts)
            out.append(b"\x0a" + wire.varint(len(rs)) + rs)
        return b"".join(out)

    def batches(
        self, total_spans: int, spans_per_request: int = 1000
    ) -> Iterator[tuple[bytes, list[GeneratedTrace]]]:
        """Pack whole traces into requests of about `spans_per_request` spans until `total_spans` is reached.

        A request closes before the trace that would push it past `spans_per_request`; a trace larger
        than that travels alone. The last trace may overshoot `total_spans`.
        """
        pending: list[GeneratedTrace] = []
        pending_spans = 0
        emitted = 0
        traces = self.traces()
        while emitted < total_spans:
            trace = next(traces)
            n = trace.span_count
            if pending and pending_spans + n > spans_per_request:
                yield self.encode_request(pending), pending
                pending, pending_spans = [], 0
            pending.append(trace)
            pending_spans += n
            emitted += n
        if pending:
            yield self.encode_request(pending), pending


def _workload(config: WorkloadConfig | None, seed: int | None, start_time_ns: int | None) -> Workload:
    cfg = config or WorkloadConfig()
    if seed is not None:
        cfg = replace(cfg, seed=seed)
    if start_time_ns is not None:
        cfg = replace(cfg, start_time_ns=start_time_ns)
    return Workload(cfg)


def generate_traces(
    n_traces: int,
    *,
    seed: int | None = None,
    start_time_ns: int | None = None,
    config: WorkloadConfig | None = None,
) -> Iterator[list[ResourceSpans]]:
    """Yield `n_traces` traces, each as the ResourceSpans (grouped by pod and scope) holding it.

    `seed` and `start_time_ns` override the config's (default seed 42).
    """
    workload = _workload(config, seed, start_time_ns)
    traces = workload.traces()
    for _ in range(n_traces):
        request = ExportTraceServiceRequest.FromString(workload.encode_request([next(traces)]))
        yield list(request.resource_spans)


def generate_request_bytes(
    total_spans: int,
    *,
    spans_per_request: int = 1000,
    seed: int | None = None,
    start_time_ns: int | None = None,
    config: WorkloadConfig | None = None,
) -> Iterator[bytes]:
    """Yield serialized ExportTraceServiceRequests of whole traces, ~`spans_per_request` spans each."""
    workload = _workload(config, seed, start_time_ns)
    for body, _ in workload.batches(total_spans, spans_per_request):
        yield body


def generate_requests(
    total_spans: int,
    *,
    spans_per_request: int = 1000,
    seed: int | None = None,
    start_time_ns: int | None = None,
    config: WorkloadConfig | None = None,
) -> Iterator[ExportTraceServiceRequest]:
    """Like `generate_request_bytes`, parsed into ExportTraceServiceRequest messages."""
    for body in generate_request_bytes(
        total_spans,
        spans_per_request=spans_per_request,
        seed=seed,
        start_time_ns=start_time_ns,
        config=config,
    ):
        yield ExportTraceServiceRequest.FromString(body)


_LENGTH_PREFIX = 4


def _write_proto_stream(path: Path, requests: Iterable[bytes]) -> tuple[int, int]:
    count = written = 0
    with path.open("wb") as out:
        for body in requests:
            out.write(len(body).to_bytes(_LENGTH_PREFIX, "big"))
            out.write(body)
            count += 1
            written += _LENGTH_PREFIX + len(body)
    return count, written


def read_protobuf_requests(path: str | Path) -> Iterator[bytes]:
    """Yield each serialized request from a file written by `write_protobuf_requests`."""
    with Path(path).open("rb") as src:
        while header := src.read(_LENGTH_PREFIX):
            if len(header) != _LENGTH_PREFIX:
                raise ValueError(f"{path}: truncated length prefix")
            size = int.from_bytes(header, "big")
            body = src.read(size)
            if len(body) != size:
                raise ValueError(f"{path}: truncated request, wanted {size} bytes, got {len(body)}")
            yield body


def request_to_otlp_json(request: ExportTraceServiceRequest) -> dict[str, Any]:
    """Convert a request to the OTLP/JSON encoding: camelCase, hex IDs, int64 as strings, enums as ints."""
    doc: dict[str, Any] = json_format.MessageToDict(request, use_integers_for_enums=True)
    for rs in doc.get("resourceSpans", ()):
        for ss in rs.get("scopeSpans", ()):
            for span in ss.get("spans", ()):
                # json_format writes bytes as base64; OTLP/JSON wants trace and span IDs as hex.
                for key in ("traceId", "spanId", "parentSpanId"):
                    if key in span:
                        span[key] = base64.b64decode(span[key]).hex()
                for link in span.get("links", ()):
                    for key in ("traceId", "spanId"):
                        if key in link:
                            link[key] = base64.b64decode(link[key]).hex()
    return doc


def _write_json_stream(path: Path, requests: Iterable[bytes]) -> tuple[int, int]:
    count = written = 0
    with path.open("w", encoding="utf-8") as out:
        for body in requests:
            line = json.dumps(
                request_to_otlp_json(ExportTraceServiceRequest.FromString(body)), separators=(",", ":")
            )
            out.write(line + "\n")
            count += 1
            written += len(line) + 1
    return count, written


class _Tally:
    """Counts traces and spans of the requests flowing through it (cheap: uses generator metadata)."""

    def __init__(self, batches: Iterator[tuple[bytes, list[GeneratedTrace]]]) -> None:
        self._batches = batches
        self.traces = 0
        self.spans = 0

    def __iter__(self) -> Iterator[bytes]:
        for body, traces in self._batches:
            self.traces += len(traces)
            self.spans += sum(t.span_count for t in traces)
            yield body


def _write(
    fmt: str,
    path: str | Path,
    total_spans: int,
    spans_per_request: int,
    seed: int | None,
    start_time_ns: int | None,
    config: WorkloadConfig | None,
) -> WriteSummary:
    began = time.perf_counter()
    workload = _workload(config, seed, start_time_ns)
    tally = _Tally(workload.batches(total_spans, spans_per_request))
    target = Path(path)
    writer = _write_proto_stream if fmt == "proto" else _write_json_stream
    count, written = writer(target, tally)
    return WriteSummary(target, count, tally.traces, tally.spans, written, time.perf_counter() - began)


def write_protobuf_requests(
    path: str | Path,
    total_spans: int,
    *,
    spans_per_request: int = 1000,
    seed: int | None = None,
    start_time_ns: int | None = None,
    config: WorkloadConfig | None = None,
) -> WriteSummary:
    """Write requests as 4-byte big-endian length + serialized ExportTraceServiceRequest, back to back."""
    return _write("proto", path, total_spans, spans_per_request, seed, start_time_ns, config)


def write_otlp_json(
    path: str | Path,
    total_spans: int,
    *,
    spans_per_request: int = 1000,
    seed: int | None = None,
    start_time_ns: int | None = None,
    config: WorkloadConfig | None = None,
) -> WriteSummary:
    """Write one OTLP/JSON ExportTraceServiceRequest per line (JSON Lines)."""
    return _write("json", path, total_spans, spans_per_request, seed, start_time_ns, config)


class _Timed:
    """Wraps a request stream, timing only the generator (not the consumer) and feeding stats."""

    def __init__(self, inner: Iterable[bytes], stats: WorkloadStats | None) -> None:
        self._inner = inner
        self._stats = stats
        self.seconds = 0.0

    def __iter__(self) -> Iterator[bytes]:
        it = iter(self._inner)
        while True:
            began = time.perf_counter()
            body = next(it, None)
            self.seconds += time.perf_counter() - began
            if body is None:
                return
            if self._stats is not None:
                self._stats.add(body)
            yield body


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.workload",
        description="Generate a deterministic microservice trace workload as OTLP requests.",
    )
    parser.add_argument(
        "--spans", type=int, default=100_000, help="total spans (whole traces; may overshoot)"
    )
    parser.add_argument("--out", type=Path, help="output file; omit to only generate (e.g. with --stats)")
    parser.add_argument(
        "--format",
        choices=("proto", "json"),
        default="proto",
        help="proto: 4-byte big-endian length-prefixed requests; json: OTLP/JSON lines",
    )
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--spans-per-request", type=int, default=1000)
    parser.add_argument(
        "--start-time-ns",
        type=int,
        default=None,
        help="base time of the first trace (default: now minus --lookback-s)",
    )
    parser.add_argument("--lookback-s", type=float, default=WorkloadConfig.lookback_s)
    parser.add_argument("--error-rate", type=float, default=WorkloadConfig.error_rate)
    parser.add_argument("--stats", action="store_true", help="print trace-size and other distributions")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """CLI entry point; returns the process exit code."""
    args = _parse_args(argv)
    config = WorkloadConfig(
        seed=args.seed,
        start_time_ns=args.start_time_ns,
        lookback_s=args.lookback_s,
        error_rate=args.error_rate,
    )
    stats = WorkloadStats() if args.stats else None
    timed = _Timed(
        generate_request_bytes(args.spans, spans_per_request=args.spans_per_request, config=config), stats
    )
    began = time.perf_counter()
    if args.out is None:
        sizes = [len(body) for body in timed]
        count, written = len(sizes), sum(sizes)
    elif args.format == "proto":
        count, written = _write_proto_stream(args.out, timed)
    else:
        count, written = _write_json_stream(args.out, timed)
    elapsed = time.perf_counter() - began
    spans = stats.spans if stats else None
    where = f" to {args.out}" if args.out else ""
    print(f"wrote {count} requests, {written / 1e6:.1f} MB{where} in {elapsed:.2f} s", file=sys.stderr)
    if stats is not None:
        rate = (spans or 0) / timed.seconds if timed.seconds else 0.0
        print(f"generation: {timed.seconds:.2f} s, {rate:,.0f} spans/s")
        for line in stats.report():
            print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
