"""The query table: each TraceQL metrics query with the same computation in plain Python."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dataset import SECOND, Rec, log2_bucket, log2_quantile, oracle_interval, oracle_intervals

Label = tuple[str, tuple[str, Any]]
Result = dict[tuple[Label, ...], dict[int, float]]  # labels -> timestamp ms -> value

STATUS = {0: "unset", 1: "ok", 2: "error"}
KIND = {1: "internal", 2: "server", 3: "client"}


@dataclass
class Q:
    """A query and how to compute it: filter, group-by labels, function and its value."""

    text: str
    fn: str
    keep: Callable[[Rec], bool] = lambda r: True
    by: list[tuple[str, Callable[[Rec], tuple[str, Any] | None]]] = field(default_factory=list)
    value: Callable[[Rec], float | None] | None = None  # value functions
    bucket: Callable[[Rec], float | None] | None = None  # quantile / histogram
    quantiles: tuple[float, ...] = ()
    top: tuple[str, int] | None = None
    threshold: float | None = None  # `> threshold` second stage


def _dur_s(r: Rec) -> float:
    return r.dur_ns / SECOND


def _dur_bucket(r: Rec) -> float | None:
    b = log2_bucket(r.dur_ns)
    return None if b is None else b / SECOND


def _size(r: Rec) -> float | None:
    v = r.attrs.get("size")
    return None if v is None else float(v)


def _size_bucket(r: Rec) -> float | None:
    v = r.attrs.get("size")
    return None if v is None else log2_bucket(v)


def _svc(r: Rec) -> tuple[str, Any]:
    return ("stringValue", r.service)


def _route(r: Rec) -> tuple[str, Any] | None:
    v = r.attrs.get("route")
    return None if v is None else ("stringValue", v)


SVC = [("resource.service.name", _svc)]
QUERIES = [
    Q("{ } | rate()", "rate"),
    # Traces Drilldown's root-span queries (its default "root spans" filter)
    Q(
        "{ nestedSetParent < 0 && true } | rate() by (resource.service.name)",
        "rate",
        keep=lambda r: r.parent == b"",
        by=SVC,
    ),
    Q(
        "{ nestedSetParent < 0 && true } | histogram_over_time(duration)",
        "histogram",
        keep=lambda r: r.parent == b"",
        bucket=_dur_bucket,
    ),
    Q("{ } | count_over_time()", "count"),
    Q("{ } | rate() by (resource.service.name)", "rate", by=SVC),
    Q("{ status = error } | rate() by (resource.service.name)", "rate", keep=lambda r: r.status == 2, by=SVC),
    Q(
        '{ resource.service.name = "api" } | count_over_time() by (name, status)',
        "count",
        keep=lambda r: r.service == "api",
        by=[
            ("name", lambda r: ("stringValue", r.name)),
            ("status", lambda r: ("stringValue", STATUS[r.status])),
        ],
    ),
    Q("{ } | count_over_time() by (kind)", "count", by=[("kind", lambda r: ("stringValue", KIND[r.kind]))]),
    Q("{ } | count_over_time() by (span.route)", "count", by=[("span.route", _route)]),
    Q("{ } | count_over_time() by (.region)", "count", by=[(".region", lambda r: ("stringValue", r.region))]),
    Q(
        "{ } | count_over_time() by (span.size)",
        "count",
        by=[("span.size", lambda r: None if "size" not in r.attrs else ("intValue", r.attrs["size"]))],
    ),
    Q("{ } | sum_over_time(span.size) by (resource.service.name)", "sum", by=SVC, value=_size),
    Q("{ } | avg_over_time(duration) by (resource.service.name)", "avg", by=SVC, value=_dur_s),
    Q("{ } | min_over_time(duration)", "min", value=_dur_s),
    Q(
        "{ } | max_over_time(span.size) by (resource.region)",
        "max",
        value=_size,
        by=[("resource.region", lambda r: ("stringValue", r.region))],
    ),
    Q("{ } | avg_over_time(span.ratio)", "avg", value=lambda r: r.attrs.get("ratio")),
    Q(
        "{ duration > 100ms } | sum_over_time(duration)",
        "sum",
        keep=lambda r: r.dur_ns > 100_000_000,
        value=_dur_s,
    ),
    Q(
        "{ } | quantile_over_time(duration, .5, .9, .99)",
        "quantile",
        bucket=_dur_bucket,
        quantiles=(0.5, 0.9, 0.99),
    ),
    Q(
        "{ } | quantile_over_time(duration, .99) by (resource.service.name)",
        "quantile",
        by=SVC,
        bucket=_dur_bucket,
        quantiles=(0.99,),
    ),
    Q("{ } | quantile_over_time(span.size, .5)", "quantile", bucket=_size_bucket, quantiles=(0.5,)),
    Q("{ } | histogram_over_time(duration)", "histogram", bucket=_dur_bucket),
    Q(
        "{ kind = server } | histogram_over_time(duration) by (resource.service.name)",
        "histogram",
        keep=lambda r: r.kind == 2,
        by=SVC,
        bucket=_dur_bucket,
    ),
    Q("{ } | rate() by (resource.service.name) | topk(2)", "rate", by=SVC, top=("top", 2)),
    Q("{ } | count_over_time() by (resource.service.name) | bottomk(1)", "count", by=SVC, top=("bottom", 1)),
    Q("{ } | count_over_time() by (resource.service.name) > 2", "count", by=SVC, threshold=2),
    Q(
        '{ resource.service.name = "db" || name = "SELECT" } | count_over_time()',
        "count",
        keep=lambda r: r.service == "db" or r.name == "SELECT",
    ),
]


def compute(q: Q, spans: list[Rec], start: int, end: int, step: int, instant: bool) -> Result:
    """The expected series, from the spans alone."""
    if instant:
        s, e, n = start, end, 1
    else:
        s, e, n = oracle_intervals(start, end, step)
    eff_step = (end - start) if instant else step
    cells: dict[tuple[Label, ...], dict[int, list[Any]]] = {}
    for r in spans:
        if not q.keep(r):
            continue
        if instant:
            i = 0 if start <= r.start_ns <= end else None
        else:
            i = oracle_interval(r.start_ns, s, e, step)
        if i is None:
            continue
        obs: Any = None
        if q.value is not None:
            obs = q.value(r)
            if obs is None:
                continue
        if q.bucket is not None:
            obs = q.bucket(r)
            if obs is None:
                continue
        labels: list[Label] = []
        for name, get in q.by:
            v = get(r)
            if v is not None:
                labels.append((name, v))
        if q.fn == "histogram":
            labels.append(("__bucket", ("doubleValue", obs)))
        elif q.fn != "quantile":
            if not q.by:
                names = {
                    "rate": "rate",
                    "count": "count_over_time",
                    "sum": "sum_over_time",
                    "avg": "avg_over_time",
                    "min": "min_over_time",
                    "max": "max_over_time",
                }
                labels = [("__name__", ("stringValue", names[q.fn]))]
            elif not labels:
                labels = [(q.by[0][0], ("stringValue", "nil"))]
        cells.setdefault(tuple(labels), {}).setdefault(i, []).append(obs)

    def ts(i: int) -> int:
        return (end if instant else s + (i + 1) * step) // 1_000_000

    out: Result = {}
    for labels, by_interval in cells.items():
        if q.fn in ("rate", "count", "histogram"):
            series = {ts(i): 0.0 for i in range(n)}
            for i, obs in by_interval.items():
                series[ts(i)] = len(obs) / (eff_step / SECOND) if q.fn == "rate" else float(len(obs))
            out[labels] = series
        elif q.fn == "quantile":
            for p in q.quantiles:
                series = {}
                for i in range(n):
                    obs = by_interval.get(i, [])
                    counts: dict[float, int] = {}
                    for b in obs:
                        counts[b] = counts.get(b, 0) + 1
                    series[ts(i)] = log2_quantile(p, sorted(counts.items()))
                out[(*labels, ("p", ("doubleValue", p)))] = series
        else:
            agg = {"sum": sum, "min": min, "max": max, "avg": lambda xs: sum(xs) / len(xs)}[q.fn]
            out[labels] = {ts(i): float(agg(obs)) for i, obs in by_interval.items()}
    if q.top is not None:
        out = _top(out, q.top[0] == "top", q.top[1])
    if q.threshold is not None:
        filtered = {}
        for labels, series in out.items():
            kept = {t: v for t, v in series.items() if v > q.threshold}
            if kept:
                filtered[labels] = kept
        out = filtered
    return out


def _top(result: Result, largest: bool, k: int) -> Result:
    if len(result) <= k:
        return result
    out: Result = {}
    stamps = sorted({t for series in result.values() for t in series})
    for t in stamps:
        present = [(v[t], labels) for labels, v in result.items() if t in v and not math.isnan(v[t])]
        present.sort(key=lambda x: (-x[0] if largest else x[0], str(x[1])))
        for v, labels in present[:k]:
            out.setdefault(labels, {})[t] = v
    return out
