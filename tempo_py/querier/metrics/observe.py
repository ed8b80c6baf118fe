"""From a span table to a partial aggregate: matching spans counted per (series labels, interval).

CPU work, run on the search threads. One call judges one table (a block's row groups, or the live
data) and returns a small Arrow table, the *partial*: one row per distinct (label values, interval
[, log2 bucket]) with ``n`` (spans), and for value functions ``s`` (sum), ``lo`` (min) and ``hi``
(max) of the observed value. Partials of different sources merge by the same group-by
(:func:`merge_partials`), so a query never holds more than one table of spans at a time.

Labels are typed as TraceQL values are: ``by(.x)`` gives one key column per type tag present
(``g0:str``, ``g0:int``...), each row valid in at most one of them and null in all when the
attribute is absent (Tempo's nil label).

Bucketing uses Arrow's hash group-by. DuckDB (a declared dependency before this engine) was
measured for the same step: see docs/metrics.md, "Why Arrow and not DuckDB".
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tempo_py.querier.metrics.plan import MetricsPlan, is_span_duration
from tempo_py.querier.metrics.request import SECOND, MetricsRequest
from tempo_py.traceql import ast
from tempo_py.traceql.enums import AttributeScope, MetricsOp
from tempo_py.traceql.errors import TraceQLUnsupportedError
from tempo_py.traceql.eval import Frame, evaluate_search
from tempo_py.traceql.eval.access import View, attribute_value
from tempo_py.traceql.eval.filter import span_mask
from tempo_py.traceql.eval.plan import TRUE
from tempo_py.traceql.eval.values import DUR, FLOAT, INT, Value

Mask = np.ndarray[Any, np.dtype[np.bool_]]

VALUE_OPS = frozenset(
    {MetricsOp.SUM_OVER_TIME, MetricsOp.MIN_OVER_TIME, MetricsOp.MAX_OVER_TIME, MetricsOp.AVG_OVER_TIME}
)
BUCKET_OPS = frozenset({MetricsOp.QUANTILE_OVER_TIME, MetricsOp.HISTOGRAM_OVER_TIME})
AGGREGATES = ("n", "s", "lo", "hi")


def label_column(index: int, tag: str) -> str:
    """Key column of by() attribute ``index`` holding values of type ``tag``."""
    return f"g{index}:{tag}"


def matched(plan: MetricsPlan, frame: Frame) -> Mask:
    """Rows of ``frame`` the query's spanset pipeline selects."""
    if plan.simple_filter is not None:
        if plan.simple_filter == TRUE:
            return np.ones(frame.n, dtype=bool)
        return span_mask(plan.simple_filter, frame)
    return evaluate_search(plan.search_root, frame).mask(frame.n)


def observe(table: pa.Table, plan: MetricsPlan, req: MetricsRequest) -> pa.Table | None:
    """The partial aggregate of ``table``'s matching spans (None when nothing matched)."""
    if table.num_rows == 0:
        return None
    frame = Frame(table)
    interval = req.interval_of(frame.span_start)
    keep = interval >= 0
    if plan.roots_only:
        keep &= frame.is_root
    if plan.simple_filter != TRUE:
        keep &= matched(plan, frame)
    fn = plan.function
    columns: dict[str, pa.Array] = {}
    if fn.op in VALUE_OPS:
        values = _numbers(fn.attribute, frame)
        keep &= ~np.isnan(values)
        columns["v"] = pa.array(values)
    elif fn.op in BUCKET_OPS:
        buckets = _buckets(fn.attribute, frame)
        keep &= ~np.isnan(buckets)
        columns["bucket"] = pa.array(buckets)
    rows = np.nonzero(keep)[0]
    if len(rows) == 0:
        return None
    take = pa.array(rows)
    out: dict[str, pa.Array] = {"interval": pa.array(interval[rows])}
    view = View(frame)
    for i, attr in enumerate(fn.by):
        for tag, part in _label_value(attr, view).parts.items():
            column = part.take(take) if isinstance(part, pa.Array) else pa.repeat(part, len(rows))
            out[label_column(i, tag)] = _plain(column)
    out.update({name: col.take(take) for name, col in columns.items()})
    keys = [k for k in out if k != "v"]
    grouped = pa.table(out).group_by(keys, use_threads=False)
    if fn.op in VALUE_OPS:
        result = grouped.aggregate([("v", "count"), ("v", "sum"), ("v", "min"), ("v", "max")])
        names = {"v_count": "n", "v_sum": "s", "v_min": "lo", "v_max": "hi"}
    else:
        result = grouped.aggregate([([], "count_all")])
        names = {"count_all": "n"}
    return result.rename_columns([names.get(c, c) for c in result.column_names])


def merge_partials(partials: list[pa.Table]) -> pa.Table | None:
    """Partials of several sources as one (counts and sums added, minima and maxima taken)."""
    present = [p for p in partials if p is not None and p.num_rows]
    if not present:
        return None
    if len(present) == 1:
        return present[0]
    table = pa.concat_tables(present, promote_options="default")
    aggs = [c for c in AGGREGATES if c in table.column_names]
    keys = [c for c in table.column_names if c not in aggs]
    how = {"n": "sum", "s": "sum", "lo": "min", "hi": "max"}
    result = table.group_by(keys, use_threads=False).aggregate([(a, how[a]) for a in aggs])
    names = {f"{a}_{how[a]}": a for a in aggs}
    return result.rename_columns([names.get(c, c) for c in result.column_names])


def _label_value(attr: ast.Attribute, view: View) -> Value:
    if attr.scope in (AttributeScope.EVENT, AttributeScope.LINK):
        raise TraceQLUnsupportedError(f"event and link attributes in by() ({attr})")
    return attribute_value(attr, view)


def _plain(column: pa.Array) -> pa.Array:
    """Dictionary columns decoded, so partials of different sources share one key type."""
    if pa.types.is_dictionary(column.type):
        return column.dictionary_decode()
    return column


def _numbers(attr: ast.Attribute | None, frame: Frame) -> np.ndarray[Any, np.dtype[np.float64]]:
    """The value a value function aggregates, per row (NaN where the span has no number): the
    span's duration in seconds, otherwise ints, floats and durations (ns) as Tempo floats them."""
    if attr is None:
        return np.full(frame.n, np.nan)
    if is_span_duration(attr):
        return (frame.span_end - frame.span_start).astype(np.float64) / SECOND
    value = attribute_value(attr, View(frame))
    out = np.full(frame.n, np.nan)
    for tag in (INT, FLOAT, DUR):
        part = value.parts.get(tag)
        if part is None:
            continue
        arr = _numpy(part, frame.n)
        out = np.where(np.isnan(out), arr, out)
    return out


def _buckets(attr: ast.Attribute | None, frame: Frame) -> np.ndarray[Any, np.dtype[np.float64]]:
    """Tempo's log2 bucket per row (NaN where none): span duration and duration values as the
    next power of two of their nanoseconds, in seconds; ints as the next power of two; below 2
    and other types have no bucket."""
    out = np.full(frame.n, np.nan)
    if attr is None:
        return out
    if is_span_duration(attr):
        return log2_bucket((frame.span_end - frame.span_start).astype(np.float64)) / SECOND
    value = attribute_value(attr, View(frame))
    for tag, scale in ((INT, 1.0), (DUR, float(SECOND))):
        part = value.parts.get(tag)
        if part is not None:
            bucket = log2_bucket(_numpy(part, frame.n)) / scale
            out = np.where(np.isnan(out), bucket, out)
    return out


def log2_bucket(values: np.ndarray[Any, np.dtype[np.float64]]) -> np.ndarray[Any, np.dtype[np.float64]]:
    """The next power of two at or above each value (Tempo's Log2Bucketize), NaN below 2 or NaN."""
    valid = values >= 2  # NaN compares false
    x = np.where(valid, values, 2).astype(np.int64) - 1  # >= 1
    bits = np.floor(np.log2(x.astype(np.float64))).astype(np.int64) + 1
    bits = np.clip(bits, 1, 63)
    # float rounding near powers of two: make 2**(bits-1) <= x < 2**bits exact
    low = np.left_shift(np.int64(1), bits - 1)
    bits = np.where(low > x, bits - 1, bits)
    high = np.left_shift(np.int64(1), np.minimum(bits, 62))
    bits = np.where((bits < 63) & (x >= high), bits + 1, bits)
    return np.where(valid, np.ldexp(1.0, bits), np.nan)


def _numpy(part: Any, n: int) -> np.ndarray[Any, np.dtype[np.float64]]:
    if isinstance(part, pa.Scalar):
        return np.full(n, np.nan if not part.is_valid else float(part.as_py()))
    return np.asarray(pc.cast(part, pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64)
