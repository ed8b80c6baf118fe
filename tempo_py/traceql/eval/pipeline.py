"""Pipelines: spansets per trace flowing through filters, aggregates, by(), coalesce(), select().

Until the first stage that needs grouping, a trace's spanset is just a span mask. After that the
spansets are :class:`Spansets`: parallel arrays (span row, spanset number) plus per-spanset trace
code and attributes (the `by()` value, the aggregate a scalar filter compared), so aggregates are
numpy reductions over spanset numbers, not Python loops over spans.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, TypeAlias

import numpy as np

from tempo_py.traceql import ast
from tempo_py.traceql.enums import AggregateOp, Op, StaticType
from tempo_py.traceql.errors import TraceQLUnsupportedError
from tempo_py.traceql.eval.access import View
from tempo_py.traceql.eval.filter import evaluate, span_mask
from tempo_py.traceql.eval.frame import Frame
from tempo_py.traceql.eval.structural import combine
from tempo_py.traceql.eval.values import INT, NUMERIC, Mask, numeric_array

Ints: TypeAlias = np.ndarray[Any, np.dtype[Any]]
SpansetAttr = tuple[str, Any]  # (key, python value: str | int | float | bool)


@dataclass(frozen=True)
class Spansets:
    """Spansets of every trace in a frame: entry i is span ``rows[i]`` of spanset ``ids[i]``."""

    rows: Ints
    ids: Ints
    trace: Ints  # per spanset: trace code
    attrs: tuple[tuple[SpansetAttr, ...], ...]  # per spanset
    select: tuple[ast.Attribute, ...] = field(default=())

    @staticmethod
    def from_mask(mask: Mask, frame: Frame) -> Spansets:
        """One spanset per trace holding the masked spans."""
        rows = np.nonzero(mask)[0].astype(np.int64)
        codes = frame.trace_codes[rows]
        traces, ids = np.unique(codes, return_inverse=True)
        return Spansets(rows, ids.astype(np.int64), traces.astype(np.int64), ((),) * len(traces))

    @property
    def count(self) -> int:
        """Number of spansets."""
        return len(self.trace)

    def keep_entries(self, keep: Mask) -> Spansets:
        """Drop entries, then spansets left empty."""
        return self._renumber(self.rows[keep], self.ids[keep])

    def keep_spansets(self, keep: Mask, extra: list[SpansetAttr] | None = None) -> Spansets:
        """Keep whole spansets by spanset mask (optionally adding one attribute per spanset)."""
        attrs = (
            self.attrs if extra is None else tuple((*a, e) for a, e in zip(self.attrs, extra, strict=True))
        )
        entry_keep = keep[self.ids]
        kept = replace(self, attrs=attrs)
        return kept._renumber(self.rows[entry_keep], self.ids[entry_keep])

    def _renumber(self, rows: Ints, ids: Ints) -> Spansets:
        used, new_ids = np.unique(ids, return_inverse=True)
        return Spansets(
            rows,
            new_ids.astype(np.int64),
            self.trace[used],
            tuple(self.attrs[int(i)] for i in used),
            self.select,
        )

    def mask(self, n: int) -> Mask:
        """Union of all spansets as a span mask."""
        out = np.zeros(n, dtype=bool)
        out[self.rows] = True
        return out


def run_pipeline(pipeline: ast.Pipeline, frame: Frame) -> Spansets:
    """Evaluate a spanset pipeline over every trace of ``frame``."""
    stages = list(pipeline.stages)
    first = stages[0]
    if isinstance(first, ast.SpansetFilter | ast.SpansetOperation):
        sets = Spansets.from_mask(spanset_mask(first, frame), frame)
        stages = stages[1:]
    else:
        sets = Spansets.from_mask(np.ones(frame.n, dtype=bool), frame)
    for stage in stages:
        sets = _stage(stage, sets, frame)
    return sets


def spanset_mask(node: ast.SpansetOperand, frame: Frame) -> Mask:
    """Spans selected by a spanset expression (a wrapped pipeline gives its spansets' union)."""
    match node:
        case ast.SpansetFilter(expr=expr):
            return span_mask(expr, frame)
        case ast.SpansetOperation(op=op, lhs=lhs, rhs=rhs):
            return combine(op, spanset_mask(lhs, frame), spanset_mask(rhs, frame), frame)
        case ast.Pipeline():
            return run_pipeline(node, frame).mask(frame.n)
    raise TraceQLUnsupportedError(f"spanset operand {node}")


def _stage(stage: ast.PipelineStage, sets: Spansets, frame: Frame) -> Spansets:
    match stage:
        case ast.SpansetFilter() | ast.SpansetOperation():
            mask = spanset_mask(stage, frame)
            return sets.keep_entries(mask[sets.rows])
        case ast.ScalarFilter(op=op, lhs=ast.Aggregate() as aggregate, rhs=rhs):
            return _scalar_filter(op, aggregate, rhs, sets, frame)
        case ast.GroupOperation(expr=expr):
            return _group(expr, stage, sets, frame)
        case ast.CoalesceOperation():
            traces, ids = np.unique(sets.trace[sets.ids], return_inverse=True)
            return Spansets(sets.rows, ids.astype(np.int64), traces, ((),) * len(traces), sets.select)
        case ast.SelectOperation(attributes=attributes):
            return replace(sets, select=sets.select + attributes)
    raise TraceQLUnsupportedError(f"pipeline stage {stage}")


_COMPARE: dict[Op, Callable[[Any, Any], Any]] = {
    Op.EQ: operator.eq,
    Op.NEQ: operator.ne,
    Op.GT: operator.gt,
    Op.GTE: operator.ge,
    Op.LT: operator.lt,
    Op.LTE: operator.le,
}


def _scalar_filter(
    op: Op, aggregate: ast.Aggregate, rhs: ast.ScalarExpr, sets: Spansets, frame: Frame
) -> Spansets:
    values, is_int = aggregate_values(aggregate, sets, frame)
    threshold = constant(rhs)
    with np.errstate(invalid="ignore"):
        keep = _COMPARE[op](values, threshold) & ~np.isnan(values)
    key = str(aggregate)
    extra = [(key, int(v) if is_int and not np.isnan(v) else float(v)) for v in values]
    return sets.keep_spansets(np.asarray(keep, dtype=bool), extra)


def aggregate_values(
    aggregate: ast.Aggregate, sets: Spansets, frame: Frame
) -> tuple[np.ndarray[Any, np.dtype[Any]], bool]:
    """Per spanset: the aggregate's value (NaN when no span has a number) and whether it is integral."""
    count = np.bincount(sets.ids, minlength=sets.count).astype(float)
    if aggregate.op is AggregateOp.COUNT or aggregate.expr is None:
        return count, True
    value = evaluate(aggregate.expr, View(frame))
    numbers = numeric_array(value, frame.n)[sets.rows]
    is_int = (
        all(tag in (INT, "dur") for tag in value.parts if tag in NUMERIC)
        and aggregate.op is not AggregateOp.AVG
    )
    has = ~np.isnan(numbers)
    n_has = np.bincount(sets.ids[has], minlength=sets.count)
    out = np.full(sets.count, np.nan)
    if aggregate.op in (AggregateOp.SUM, AggregateOp.AVG):
        total = np.bincount(sets.ids[has], weights=numbers[has], minlength=sets.count)
        out = np.where(
            n_has > 0, total if aggregate.op is AggregateOp.SUM else total / np.maximum(n_has, 1), np.nan
        )
    elif aggregate.op is AggregateOp.MIN:
        acc = np.full(sets.count, np.inf)
        np.minimum.at(acc, sets.ids[has], numbers[has])
        out = np.where(n_has > 0, acc, np.nan)
    elif aggregate.op is AggregateOp.MAX:
        acc = np.full(sets.count, -np.inf)
        np.maximum.at(acc, sets.ids[has], numbers[has])
        out = np.where(n_has > 0, acc, np.nan)
    return out, is_int


def constant(node: ast.ScalarExpr) -> float:
    """The number a constant scalar expression stands for (durations in nanoseconds)."""
    match node:
        case ast.Static(type=StaticType.INT | StaticType.FLOAT | StaticType.DURATION, value=value):
            return float(value)  # type: ignore[arg-type]
        case ast.ScalarOperation(op=op, lhs=lhs, rhs=rhs):
            a, b = constant(lhs), constant(rhs)
            return {Op.ADD: a + b, Op.SUB: a - b, Op.MUL: a * b}.get(op, a / b if b else float("nan"))
        case ast.UnaryOperation(op=Op.SUB, expr=expr):
            return -constant(expr)  # type: ignore[arg-type]
    raise TraceQLUnsupportedError(f"scalar filters other than `aggregate <op> constant` ({node})")


def _group(expr: ast.FieldExpr, stage: ast.GroupOperation, sets: Spansets, frame: Frame) -> Spansets:
    value = evaluate(expr, View(frame))
    keys = _python_values(value, sets.rows)
    groups: dict[tuple[int, Any], int] = {}
    new_ids = np.empty(len(sets.rows), dtype=np.int64)
    for i, (ss, key) in enumerate(zip(sets.ids.tolist(), keys, strict=True)):
        new_ids[i] = groups.setdefault((ss, key), len(groups))
    label = str(stage)
    trace = np.array([sets.trace[ss] for ss, _ in groups], dtype=np.int64)
    attrs = tuple(
        (*sets.attrs[ss], (label, key)) if key is not None else sets.attrs[ss] for ss, key in groups
    )
    return Spansets(sets.rows, new_ids, trace, attrs, sets.select)


def _python_values(value: Any, rows: Ints) -> list[Any]:
    """Per selected row, the first present typed value as a Python object (None when missing)."""
    from tempo_py.traceql.eval.output import row_values

    return row_values(value, rows)
