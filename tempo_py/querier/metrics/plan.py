"""What a metrics query asks of storage: its spanset pipeline, its function, the columns it reads.

Supported: one spanset pipeline followed by one first-stage function (`rate`, `count_over_time`,
`sum/avg/min/max_over_time(attr)`, `quantile_over_time(attr, p...)`, `histogram_over_time(attr)`),
optionally `by(...)`, then any second stages (`topk(n)`, `bottomk(n)`, `> 10`). Metrics math between
queries and `compare()` are refused with TraceQLUnsupportedError (HTTP 400 "not supported").

A pipeline that is one spanset filter over span-level fields is a *simple* query: each span's
match depends on that span alone, so rows are judged without trace grouping and only the columns
the query names are decoded. Anything else (structural operators, aggregates, trace-level
intrinsics) is judged with every span of the trace at hand, as search does.
"""

from __future__ import annotations

from dataclasses import dataclass

from tempo_py.traceql import ast
from tempo_py.traceql.enums import AttributeScope, Intrinsic, MetricsOp
from tempo_py.traceql.errors import TraceQLUnsupportedError
from tempo_py.traceql.eval.plan import BASE_COLUMNS, candidates, columns_for, leaves
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
    columns: tuple[str, ...]  # what evaluating one table needs
    leaf_exprs: tuple[ast.FieldExpr, ...]  # span conditions, for pruning row groups

    @property
    def search_root(self) -> ast.RootExpr:
        """The spanset part as a search query."""
        return ast.RootExpr(self.pipeline)


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
        raise TraceQLUnsupportedError("compare()")
    if len(first.by) > 5:
        raise TraceQLUnsupportedError("more than 5 attributes in by()")
    if first.op in (MetricsOp.QUANTILE_OVER_TIME, MetricsOp.HISTOGRAM_OVER_TIME) and first.attribute is None:
        raise TraceQLUnsupportedError(f"{first.op.value} without an attribute")
    pipeline = query.pipeline
    check_supported(ast.RootExpr(pipeline))
    stages = pipeline.stages
    simple: ast.FieldExpr | None = None
    if len(stages) == 1 and isinstance(stages[0], ast.SpansetFilter) and _span_level(stages[0]):
        simple = stages[0].expr
    reads: set[str] = {"start_time_unix_nano"}
    reads |= columns_for(first)
    if simple is not None:
        reads |= columns_for(stages[0])
    else:
        reads |= set(BASE_COLUMNS) | columns_for(pipeline)
    return MetricsPlan(
        pipeline=pipeline,
        function=first,
        second=query.second_stage,
        simple_filter=simple,
        columns=tuple(sorted(reads)),
        leaf_exprs=tuple(leaves(candidates(ast.RootExpr(pipeline)))),
    )


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
