"""What a metrics query asks of storage: its spanset pipeline, its function, the columns it reads.

Supported: one spanset pipeline followed by one first-stage function (`rate`, `count_over_time`,
`sum/avg/min/max_over_time(attr)`, `quantile_over_time(attr, p...)`, `histogram_over_time(attr)`),
optionally `by(...)`, then any second stages (`topk(n)`, `bottomk(n)`, `> 10`). Metrics math between
queries are refused with TraceQLUnsupportedError (HTTP 400 "not supported"); `compare({...})` after
one span-level spanset filter is planned apart (:mod:`tempo_py.querier.metrics.compare`).

A pipeline that is one spanset filter over span-level fields is a *simple* query: each span's
match depends on that span alone, so rows are judged without trace grouping and only the columns
the query names are decoded. Anything else (structural operators, aggregates, trace-level
intrinsics) is judged with every span of the trace at hand, as search does.

Traces Drilldown selects root spans with `nestedSetParent < 0` (a root's nestedSetParent is -1,
every other span's is ≥ 0). Numbering a trace's tree is Python work per span, so a top-level
conjunct `nestedSetParent < 0` or `= -1` is taken out of the filter and judged as "the span has no
parent span ID" (``roots_only``), which selects the same spans; the rest may then be simple.
"""

from __future__ import annotations

from dataclasses import dataclass

from tempo_py.model.schema import DEDICATED
from tempo_py.traceql import ast
from tempo_py.traceql.enums import AttributeScope, Intrinsic, MetricsOp, Op, StaticType
from tempo_py.traceql.errors import TraceQLUnsupportedError
from tempo_py.traceql.eval.plan import BASE_COLUMNS, TRUE, candidates, columns_for, leaves
from tempo_py.traceql.supported import check_supported
from tempo_py.traceql.walk import walk

# intrinsics whose value on a span is known from that span's own row
_SPAN_LEVEL = frozenset(
    {
        Intrinsic.DURATION,
        Intrinsic.NAME,
        Intrinsic.STATUS,
        Intrinsic.STATUS_MESSAGE,
        Intrinsic.KIND,
        Intrinsic.SPAN_ID,
        Intrinsic.PARENT_ID,
        Intrinsic.TRACE_ID,
        Intrinsic.INSTRUMENTATION_NAME,
        Intrinsic.INSTRUMENTATION_VERSION,
        Intrinsic.EVENT_NAME,
        Intrinsic.EVENT_TIME_SINCE_START,
        Intrinsic.LINK_TRACE_ID,
        Intrinsic.LINK_SPAN_ID,
    }
)

# the columns that tell copies of one span apart (see tempo_py.model.table_ops.dedupe_spans)
KEY_COLUMNS = ("trace_id", "span_id", "kind", "end_time_unix_nano")


@dataclass(frozen=True)
class MetricsPlan:
    """A metrics query taken apart for evaluation."""

    pipeline: ast.Pipeline
    function: ast.MetricsAggregate
    second: tuple[ast.SecondStage, ...]
    simple_filter: ast.FieldExpr | None  # set for simple queries (see the module docstring)
    roots_only: bool  # only spans without a parent span ID (`nestedSetParent < 0` taken out)
    columns: tuple[str, ...]  # what evaluating one table needs
    leaf_exprs: tuple[ast.FieldExpr, ...]  # span conditions, for pruning row groups
    compare: ast.MetricsCompare | None = None  # set for compare() (then ``function`` is unused)

    @property
    def search_root(self) -> ast.RootExpr:
        """The spanset part as a search query."""
        return ast.RootExpr(self.pipeline)


# The columns compare() counts values of (read for every span in range).
COMPARE_COLUMNS = (
    "attrs",
    "resource_attrs",
    "name",
    "kind",
    "status_code",
    *(d.column for d in DEDICATED),
)


def is_span_duration(attr: ast.Attribute | None) -> bool:
    """The span's own duration intrinsic, which Tempo's metrics functions read in seconds."""
    return attr is not None and attr.intrinsic is Intrinsic.DURATION


def plan_metrics(root: ast.RootExpr) -> MetricsPlan:
    """Take ``root`` apart; raise TraceQLUnsupportedError for what this backend cannot evaluate."""
    query = root.query
    if isinstance(query, ast.MetricsMath | ast.MetricsSecondStage):
        raise TraceQLUnsupportedError("metrics math between queries (`(A) / (B)`)")
    if not isinstance(query, ast.MetricsPipeline):
        raise TraceQLUnsupportedError(
            "a spanset query on the metrics API (add a function such as `| rate()`)"
        )
    first = query.first_stage
    if isinstance(first, ast.MetricsCompare):
        return _compare_plan(query.pipeline, first)
    if len(first.by) > 5:
        raise TraceQLUnsupportedError("more than 5 attributes in by()")
    if first.op in (MetricsOp.QUANTILE_OVER_TIME, MetricsOp.HISTOGRAM_OVER_TIME) and first.attribute is None:
        raise TraceQLUnsupportedError(f"{first.op.value} without an attribute")
    pipeline = query.pipeline
    check_supported(ast.RootExpr(pipeline))
    stages = pipeline.stages
    simple: ast.FieldExpr | None = None
    roots_only = False
    if len(stages) == 1 and isinstance(stages[0], ast.SpansetFilter):
        rest, roots_only = _without_root_test(stages[0].expr)
        if _span_level(rest):
            simple = rest
        else:
            roots_only = False
    reads: set[str] = {"start_time_unix_nano"}
    reads |= columns_for(first)
    if roots_only:
        reads.add("parent_span_id")
    if simple is not None:
        reads |= columns_for(simple)
    else:
        reads |= set(BASE_COLUMNS) | columns_for(pipeline)
    return MetricsPlan(
        pipeline=pipeline,
        function=first,
        second=query.second_stage,
        simple_filter=simple,
        roots_only=roots_only,
        columns=tuple(sorted(reads)),
        leaf_exprs=tuple(leaves(candidates(ast.RootExpr(pipeline)))),
    )


def _compare_plan(pipeline: ast.Pipeline, fn: ast.MetricsCompare) -> MetricsPlan:
    if len(pipeline.stages) != 1 or not isinstance(pipeline.stages[0], ast.SpansetFilter):
        raise TraceQLUnsupportedError("compare() after anything but one spanset filter")
    if not _span_level(pipeline.stages[0].expr) or not _span_level(fn.filter.expr):
        raise TraceQLUnsupportedError("compare() with trace-level conditions")
    check_supported(ast.RootExpr(pipeline))
    reads = {"start_time_unix_nano", *COMPARE_COLUMNS} | columns_for(fn.filter) | columns_for(pipeline)
    return MetricsPlan(
        pipeline=pipeline,
        function=ast.MetricsAggregate(MetricsOp.COUNT_OVER_TIME),
        second=(),
        simple_filter=pipeline.stages[0].expr,
        roots_only=False,
        columns=tuple(sorted(reads)),
        leaf_exprs=tuple(leaves(candidates(ast.RootExpr(pipeline)))),
        compare=fn,
    )


_ROOT = ast.Attribute(AttributeScope.NONE, "nestedSetParent", intrinsic=Intrinsic.NESTED_SET_PARENT)
_ROOT_TESTS = (
    ast.BinaryOperation(Op.LT, _ROOT, ast.Static(StaticType.INT, 0)),
    ast.BinaryOperation(Op.EQ, _ROOT, ast.Static(StaticType.INT, -1)),
)


def _without_root_test(expr: ast.FieldExpr) -> tuple[ast.FieldExpr, bool]:
    """``expr`` without top-level `nestedSetParent < 0` / `= -1` conjuncts, and whether it had one."""
    conjuncts: list[ast.FieldExpr] = []

    def split(e: ast.FieldExpr) -> None:
        if isinstance(e, ast.BinaryOperation) and e.op is Op.AND:
            split(e.lhs)
            split(e.rhs)
        else:
            conjuncts.append(e)

    split(expr)
    kept = [c for c in conjuncts if c not in _ROOT_TESTS]
    if len(kept) == len(conjuncts):
        return expr, False
    out: ast.FieldExpr = TRUE
    for c in kept:
        out = c if out == TRUE else ast.BinaryOperation(Op.AND, out, c)
    return out, True


def _span_level(node: ast.Node) -> bool:
    for n in walk(node):
        if isinstance(n, ast.Attribute):
            if n.parent:
                return False
            if n.intrinsic is not None and n.intrinsic not in _SPAN_LEVEL:
                return False
            if (
                n.scope
                not in (
                    AttributeScope.NONE,
                    AttributeScope.SPAN,
                    AttributeScope.RESOURCE,
                    AttributeScope.INSTRUMENTATION,
                    AttributeScope.EVENT,
                    AttributeScope.LINK,
                )
                and n.intrinsic is None
            ):
                return False
    return True
