"""From the merged partial aggregate to Tempo's series: labels, one value per interval, then the
second stages, Tempo's series order and the series limit.

Values as Tempo's final combiner leaves them: `rate` (spans / step seconds) and `count_over_time`
have a sample in every interval of a series (0 where none matched); `sum/min/max/avg_over_time`
only where a span had a value; `histogram_over_time` is one count series per log2 bucket (label
``__bucket``, seconds for durations); `quantile_over_time` one series per quantile (label ``p``),
interpolated between log2 buckets as Tempo's Log2Quantile, 0 in intervals without spans.
"""

from __future__ import annotations

import json
import math
import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tempo_py.querier.metrics.observe import label_column
from tempo_py.querier.metrics.plan import MetricsPlan
from tempo_py.querier.metrics.request import SECOND, MetricsRequest
from tempo_py.traceql import ast
from tempo_py.traceql.enums import KIND_VALUES, UNSCOPED_INTRINSICS, MetricsOp, Op, SecondStageOp, StaticType
from tempo_py.traceql.errors import TraceQLUnsupportedError
from tempo_py.traceql.eval.values import BOOL, DUR, FLOAT, INT, KIND, STATUS, STR

Floats = np.ndarray[Any, np.dtype[np.float64]]
# A typed label value as tempopb's AnyValue field: ("stringValue" | "intValue" | "doubleValue" |
# "boolValue", python value)
LabelValue = tuple[str, Any]
Label = tuple[str, LabelValue]

_STATUS_WORDS = {0: "unset", 1: "ok", 2: "error"}
_LEGACY_NAMES = {intrinsic: name for name, intrinsic in UNSCOPED_INTRINSICS.items()}
NIL: LabelValue = ("stringValue", "nil")  # Tempo's nil label value


@dataclass
class Series:
    """One result series: labels and a value per interval (NaN: no sample)."""

    labels: tuple[Label, ...]
    values: Floats


@dataclass(frozen=True)
class SeriesResult:
    """The series to answer with, and whether the series limit cut them."""

    series: list[Series]
    truncated: bool
    limit: int


def label_name(attr: ast.Attribute) -> str:
    """The label a by() attribute gives its series: Tempo prints intrinsics unscoped (`name`)."""
    if attr.intrinsic is not None and attr.intrinsic in _LEGACY_NAMES and not attr.parent:
        return _LEGACY_NAMES[attr.intrinsic]
    return str(attr)


def go_duration(ns: int) -> str:
    """Go's time.Duration.String(): `1.5s`, `100ms`, `1m30s`, `1h0m0s`, `0s`."""
    if ns == 0:
        return "0s"
    sign, ns = ("-", -ns) if ns < 0 else ("", ns)
    if ns < SECOND:
        for unit, size in (("ms", 10**6), ("µs", 10**3), ("ns", 1)):
            if ns >= size:
                return sign + _decimal(ns, size) + unit
    hours, rest = divmod(ns, 3600 * SECOND)
    minutes, rest = divmod(rest, 60 * SECOND)
    seconds = _decimal(rest, SECOND) + "s"
    if hours:
        return f"{sign}{hours}h{minutes}m{seconds}"
    if minutes:
        return f"{sign}{minutes}m{seconds}"
    return sign + seconds


def _decimal(value: int, unit: int) -> str:
    whole, frac = divmod(value, unit)
    if not frac:
        return str(whole)
    digits = str(frac).rjust(len(str(unit)) - 1, "0").rstrip("0")
    return f"{whole}.{digits}"


def typed_label(tag: str, value: Any) -> LabelValue:
    """A label value of type tag ``tag`` as tempopb's AnyValue field."""
    match tag:
        case "str":
            return ("stringValue", value)
        case "int":
            return ("intValue", int(value))
        case "float":
            return ("doubleValue", float(value))
        case "bool":
            return ("boolValue", bool(value))
        case "dur":
            return ("stringValue", go_duration(int(value)))
        case "status":
            return ("stringValue", _STATUS_WORDS.get(int(value), str(value)))
        case "kind":
            code = int(value)
            return ("stringValue", KIND_VALUES[code] if 0 <= code < len(KIND_VALUES) else str(code))
    return ("stringValue", str(value))


_TAGS = (STR, INT, FLOAT, BOOL, DUR, STATUS, KIND)


def build_series(
    merged: pa.Table | None, plan: MetricsPlan, req: MetricsRequest, max_series: int
) -> SeriesResult:
    """Tempo's final series of a query from its merged partial aggregate."""
    fn = plan.function
    intervals = req.intervals
    series: list[Series] = []
    if merged is not None and merged.num_rows:
        label_cols = [
            (i, tag, label_column(i, tag))
            for i in range(len(fn.by))
            for tag in _TAGS
            if label_column(i, tag) in merged.column_names
        ]
        bucketed = "bucket" in merged.column_names
        key_cols = [c for _, _, c in label_cols]
        if bucketed and fn.op is MetricsOp.HISTOGRAM_OVER_TIME:
            key_cols.append("bucket")
        codes, first_rows = _series_codes(merged, key_cols)
        labels = [_labels_of(merged, int(r), fn, label_cols, bucketed) for r in first_rows]
        interval = merged.column("interval").to_numpy().astype(np.int64)
        n = merged.column("n").to_numpy().astype(np.float64)
        if fn.op is MetricsOp.QUANTILE_OVER_TIME:
            buckets = merged.column("bucket").to_numpy().astype(np.float64)
            for q in fn.quantiles:
                values = _quantiles(codes, interval, buckets, n, len(labels), intervals, q)
                series += [
                    Series((*lab, ("p", ("doubleValue", float(q)))), values[s])
                    for s, lab in enumerate(labels)
                ]
        else:
            values = _values(merged, fn.op, codes, interval, n, len(labels), intervals, req)
            series = [Series(lab, values[s]) for s, lab in enumerate(labels)]
    for stage in plan.second:
        series = _second_stage(stage, series)
    series = [s for s in series if not np.all(np.isnan(s.values))]
    series.sort(key=order_key)
    truncated = 0 < max_series < len(series)
    return SeriesResult(series[:max_series] if truncated else series, truncated, max_series)


def _series_codes(table: pa.Table, key_cols: list[str]) -> tuple[np.ndarray[Any, Any], list[int]]:
    """A dense series number per row, and one row of each series."""
    if not key_cols:
        return np.zeros(table.num_rows, dtype=np.int64), [0]
    combined = np.zeros(table.num_rows, dtype=np.int64)
    for name in key_cols:
        encoded = pc.dictionary_encode(table.column(name).combine_chunks(), null_encoding="encode")
        size = len(encoded.dictionary) + 1
        combined = combined * size + np.asarray(
            encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64
        )
    unique, first, codes = np.unique(combined, return_index=True, return_inverse=True)
    del unique
    return codes.astype(np.int64), [int(r) for r in first]


def _labels_of(
    table: pa.Table,
    row: int,
    fn: ast.MetricsAggregate,
    label_cols: list[tuple[int, str, str]],
    bucketed: bool,
) -> tuple[Label, ...]:
    out: list[Label] = []
    for i, attr in enumerate(fn.by):
        for index, tag, column in label_cols:
            if index != i:
                continue
            value = table.column(column)[row].as_py()
            if value is not None:
                out.append((label_name(attr), typed_label(tag, value)))
                break
    if bucketed and fn.op is MetricsOp.HISTOGRAM_OVER_TIME:
        out.append(("__bucket", ("doubleValue", float(table.column("bucket")[row].as_py()))))
    if bucketed:
        return tuple(out)
    if not fn.by:
        return (("__name__", ("stringValue", fn.op.value)),)
    if not out:
        return ((label_name(fn.by[0]), NIL),)
    return tuple(out)


def _values(
    table: pa.Table,
    op: MetricsOp,
    codes: np.ndarray[Any, Any],
    interval: np.ndarray[Any, Any],
    n: Floats,
    num_series: int,
    intervals: int,
    req: MetricsRequest,
) -> Floats:
    counting = op in (MetricsOp.RATE, MetricsOp.COUNT_OVER_TIME, MetricsOp.HISTOGRAM_OVER_TIME)
    out = np.zeros((num_series, intervals)) if counting else np.full((num_series, intervals), np.nan)
    match op:
        case MetricsOp.RATE:
            cell = n / (req.step_ns / SECOND)
        case MetricsOp.COUNT_OVER_TIME | MetricsOp.HISTOGRAM_OVER_TIME:
            cell = n
        case MetricsOp.SUM_OVER_TIME:
            cell = _col(table, "s")
        case MetricsOp.MIN_OVER_TIME:
            cell = _col(table, "lo")
        case MetricsOp.MAX_OVER_TIME:
            cell = _col(table, "hi")
        case MetricsOp.AVG_OVER_TIME:
            cell = _col(table, "s") / n
        case _:
            raise TraceQLUnsupportedError(op.value)
    out[codes, interval] = cell
    return out


def _col(table: pa.Table, name: str) -> Floats:
    return np.asarray(table.column(name).to_numpy(), dtype=np.float64)


def _quantiles(
    codes: np.ndarray[Any, Any],
    interval: np.ndarray[Any, Any],
    buckets: Floats,
    counts: Floats,
    num_series: int,
    intervals: int,
    p: float,
) -> Floats:
    """Tempo's Log2Quantile per (series, interval), vectorised: the bucket where the ceil(p*total)-th
    span falls, interpolated exponentially from the previous bucket's bound (half its own if first)."""
    out = np.zeros((num_series, intervals))
    if not len(codes):
        return out
    cell = codes * intervals + interval
    order = np.lexsort((buckets, cell))
    cell, buckets, counts = cell[order], buckets[order], counts[order]
    starts = np.flatnonzero(np.r_[True, cell[1:] != cell[:-1]])
    totals = np.add.reduceat(counts, starts)
    cum = np.cumsum(counts)
    before_cell = np.r_[0.0, cum][starts]
    want = np.maximum(np.ceil(p * totals), 1)
    if math.isnan(p) or p < 0 or p > 1:
        return out
    idx = np.searchsorted(cum, before_cell + want, side="left")
    consumed = np.r_[0.0, cum][idx] - before_cell  # spans in the cell's buckets before idx
    hi = np.log2(buckets[idx])
    first = idx == starts
    lo = np.where(first, hi - 1, np.log2(buckets[np.maximum(idx - 1, 0)]))
    interp = (want - consumed) / counts[idx]
    value = np.where(consumed + counts[idx] == want, buckets[idx], np.exp2(lo + (hi - lo) * interp))
    c = cell[starts]
    out[c // intervals, c % intervals] = value
    return out


_COMPARE: dict[Op, Callable[[Any, Any], Any]] = {
    Op.EQ: operator.eq,
    Op.NEQ: operator.ne,
    Op.GT: operator.gt,
    Op.GTE: operator.ge,
    Op.LT: operator.lt,
    Op.LTE: operator.le,
}


def _second_stage(stage: ast.SecondStage, series: list[Series]) -> list[Series]:
    if isinstance(stage, ast.TopK):
        return _top(series, stage.limit, stage.op is SecondStageOp.TOPK)
    compare = _COMPARE.get(stage.op)
    if compare is None:
        raise TraceQLUnsupportedError(f"second stage {stage}")
    threshold = constant(stage.value)
    out = []
    for s in series:
        with np.errstate(invalid="ignore"):
            keep = compare(s.values, threshold)
        out.append(Series(s.labels, np.where(keep, s.values, np.nan)))
    return out


def constant(node: ast.Node) -> float:
    """A constant threshold's value; durations in seconds, as Tempo compares them with series."""
    match node:
        case ast.Static(type=StaticType.DURATION, value=value):
            return float(value) / SECOND  # type: ignore[arg-type]
        case ast.Static(type=StaticType.INT | StaticType.FLOAT, value=value):
            return float(value)  # type: ignore[arg-type]
        case ast.UnaryOperation(op=Op.SUB, expr=inner):
            return -constant(inner)
        case ast.ScalarOperation(op=op, lhs=lhs, rhs=rhs):
            a, b = constant(lhs), constant(rhs)
            ops: dict[Op, Callable[[float, float], float]] = {
                Op.ADD: operator.add,
                Op.SUB: operator.sub,
                Op.MUL: operator.mul,
                Op.DIV: lambda x, y: x / y if y else math.nan,
                Op.MOD: lambda x, y: math.fmod(x, y) if y else math.nan,
                Op.POW: operator.pow,
            }
            if op in ops:
                return ops[op](a, b)
    raise TraceQLUnsupportedError(f"a non-constant metrics filter value ({node})")


def _top(series: list[Series], limit: int, largest: bool) -> list[Series]:
    """topk/bottomk as Tempo: per interval, the ``limit`` series with the largest (smallest) values
    (ties: label order); each kept series has values only where it made the cut."""
    if len(series) <= limit:
        return series
    keys = [order_key(s) for s in series]
    matrix = np.vstack([s.values for s in series])
    kept = np.zeros_like(matrix, dtype=bool)
    rank_by_key = np.argsort(np.array([json.dumps(k) for k in keys]), kind="stable")
    key_rank = np.empty(len(series), dtype=np.int64)
    key_rank[rank_by_key] = np.arange(len(series))
    for i in range(matrix.shape[1]):
        column = matrix[:, i]
        valid = np.flatnonzero(~np.isnan(column))
        if not len(valid):
            continue
        primary = -column[valid] if largest else column[valid]
        order = valid[np.lexsort((key_rank[valid], primary))]
        kept[order[:limit], i] = True
    out = []
    for s, row in zip(series, kept, strict=True):
        if row.any():
            out.append(Series(s.labels, np.where(row, s.values, np.nan)))
    return out


def order_key(s: Series) -> tuple[Any, ...]:
    """Tempo's response order: fewer labels first, then label by label, key then printed value."""
    parts: list[Any] = [len(s.labels)]
    for key, (field, value) in s.labels:
        printed = json.dumps(value) if isinstance(value, str) else str(value).lower()
        parts += [key, f"{_PROTO_FIELD[field]}:{printed}"]
    return tuple(parts)


_PROTO_FIELD = {
    "stringValue": "string_value",
    "intValue": "int_value",
    "doubleValue": "double_value",
    "boolValue": "bool_value",
}
