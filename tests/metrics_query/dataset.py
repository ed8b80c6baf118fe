"""A fixed, seeded set of spans for metrics tests, and a plain-Python oracle of Tempo's metrics
functions over them (written from Tempo's documented behaviour, sharing no code with the engine).

200 traces of 1-6 spans over ten minutes ending at ``END_S``; four services; durations from 1 µs to
about 8 s (log-uniform, so quantiles cross many log2 buckets); an int attribute ``span.size`` on
most spans, a float ``span.ratio`` on some, a string ``span.route`` on a few and a resource
attribute ``resource.region``.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span, Status

from tempo_py.model.otlp_to_arrow import resource_spans_to_table

SECOND = 1_000_000_000
END_S = 1_750_000_230  # not a multiple of the steps used, so alignment matters
START_S = END_S - 600
SERVICES = ("frontend", "api", "db", "payment")
NAMES = ("GET /", "POST /pay", "SELECT", "process")
REGIONS = {"frontend": "eu", "api": "eu", "db": "us", "payment": "us"}


@dataclass
class Rec:
    """One span."""

    trace_id: bytes
    span_id: bytes
    parent: bytes
    service: str
    name: str
    kind: int
    status: int
    start_ns: int
    dur_ns: int
    attrs: dict[str, Any] = field(default_factory=dict)

    @property
    def region(self) -> str:
        return REGIONS[self.service]


def make_spans(seed: int = 7, traces: int = 200, end_s: int = END_S) -> list[Rec]:
    """The dataset (sorted by trace), over the ten minutes before ``end_s``."""
    rnd = random.Random(seed)
    start_s = end_s - 600
    out: list[Rec] = []
    for t in range(traces):
        tid = rnd.randbytes(16)
        start = start_s * SECOND + rnd.randrange(0, 600 * SECOND)
        parent = b""
        for s in range(rnd.randint(1, 6)):
            sid = rnd.randbytes(8)
            attrs: dict[str, Any] = {}
            if rnd.random() < 0.8:
                attrs["size"] = rnd.randint(0, 5000)
            if rnd.random() < 0.3:
                attrs["ratio"] = round(rnd.random() * 10, 3)
            if rnd.random() < 0.1:
                attrs["route"] = rnd.choice(["/a", "/b"])
            dur = int(math.exp(rnd.uniform(math.log(1_000), math.log(8 * SECOND))))
            if t == 0 and s == 0:
                dur = 1  # below Tempo's smallest log2 bucket
            out.append(
                Rec(
                    tid,
                    sid,
                    parent,
                    rnd.choice(SERVICES),
                    rnd.choice(NAMES),
                    rnd.choice([1, 2, 3]),
                    rnd.choice([0, 0, 1, 2]),
                    start + s * rnd.randrange(0, 2 * SECOND),
                    dur,
                    attrs,
                )
            )
            parent = sid
    return out


def _any(value: Any) -> AnyValue:
    if isinstance(value, bool):
        return AnyValue(bool_value=value)
    if isinstance(value, int):
        return AnyValue(int_value=value)
    if isinstance(value, float):
        return AnyValue(double_value=value)
    return AnyValue(string_value=str(value))


def to_table(spans: list[Rec]) -> pa.Table:
    """The spans as a span table (one ResourceSpans per span, in the given order)."""
    return resource_spans_to_table(to_otlp(spans))


def to_otlp(spans: list[Rec]) -> list[ResourceSpans]:
    """The spans as OTLP (one ResourceSpans per span, in the given order)."""
    batches = []
    for r in spans:
        span = Span(
            trace_id=r.trace_id,
            span_id=r.span_id,
            parent_span_id=r.parent,
            name=r.name,
            kind=r.kind,
            start_time_unix_nano=r.start_ns,
            end_time_unix_nano=r.start_ns + r.dur_ns,
            status=Status(code=r.status),  # type: ignore[arg-type]
            attributes=[KeyValue(key=k, value=_any(v)) for k, v in r.attrs.items()],
        )
        resource = Resource(
            attributes=[
                KeyValue(key="service.name", value=_any(r.service)),
                KeyValue(key="region", value=_any(r.region)),
            ]
        )
        batches.append(ResourceSpans(resource=resource, scope_spans=[ScopeSpans(spans=[span])]))
    return batches


# ------------------------------------------------------------------------------ the oracle


def oracle_intervals(start: int, end: int, step: int) -> tuple[int, int, int]:
    """(aligned start, aligned end, interval count) of a range query, as Tempo's docs describe:
    start down to the step, end up to it, one extra step in front."""
    s = (start // step) * step
    e = -(-end // step) * step
    if s > step:
        s -= step
    return s, e, (e - s) // step


def oracle_interval(ts: int, s: int, e: int, step: int) -> int | None:
    """Right-closed intervals (s + i*step, s + (i+1)*step]."""
    if not (s < ts <= e):
        return None
    i = (ts - s) // step
    if (ts - s) % step == 0:
        i -= 1
    return i


def log2_bucket(v: int) -> float | None:
    """Next power of two ≥ v (None below 2)."""
    if v < 2:
        return None
    return float(1 << (v - 1).bit_length())


def log2_quantile(p: float, buckets: list[tuple[float, int]]) -> float:
    """Tempo's documented log2 quantile over sorted (bucket max, count)."""
    total_count = sum(c for _, c in buckets)
    if not buckets or total_count == 0:
        return 0.0
    need = max(1, math.ceil(p * total_count))
    seen = 0
    for i, (mx, count) in enumerate(buckets):
        if seen + count >= need:
            if seen + count == need:
                return mx
            frac = (need - seen) / count
            hi = math.log2(mx)
            lo = math.log2(buckets[i - 1][0]) if i > 0 else hi - 1
            return float(2 ** (lo + (hi - lo) * frac))
        seen += count
    return buckets[-1][0]
