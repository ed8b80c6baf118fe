"""TraceQL front end: lexer, parser, typed AST, validation.

Usage::

    root = parse_and_validate('{ span.http.status_code >= 500 } | count() > 2')
    check_supported(root)          # raises TraceQLUnsupportedError for parent.*, complex scalar filters
    str(root)                      # canonical TraceQL; parse(str(root)) == root

Errors: TraceQLParseError(message, line, column, token) renders as
``parse error at line 1, column 14 near "&&": ...`` plus the query line and a caret line;
TraceQLValidationError for semantic errors; TraceQLUnsupportedError ("not supported: ...").

The AST (frozen dataclasses in ``ast.py``, compared by value)::

    RootExpr(query, hints: Hints | None)      .is_metrics tells search from metrics queries
      query is one of:
        Pipeline(stages)                      search: stages run left to right per trace
        MetricsPipeline(pipeline, first_stage, second_stage)    `{ } | rate() by (x) | topk(5)`
        MetricsMath(op, lhs, rhs)             `(A) / (B)`, `(A) * 100`; op in + - * /
        MetricsSecondStage(expr: MetricsMath, stages)           `(A) + (B) | topk(5) > 1`

    Pipeline stages:
      SpansetFilter(expr)                     `{ expr }`; `{}` has expr Static(BOOL, True)
      SpansetOperation(op, lhs, rhs)          op AND/OR (spanset && / ||) or structural CHILD `>`,
                                              PARENT `<`, DESCENDANT `>>`, ANCESTOR `<<`, SIBLING `~`,
                                              NOT_* `!>` ..., UNION_* `&>` ...; operands SpansetFilter,
                                              SpansetOperation or a wrapped Pipeline
      ScalarFilter(op, lhs, rhs)              `count() > 2`; op a comparison; sides Aggregate,
                                              ScalarOperation, Static or wrapped scalar Pipeline
      GroupOperation(expr)                    `by(expr)`
      CoalesceOperation()                     `coalesce()`
      SelectOperation(attributes)             `select(a, b)`
      Aggregate(op, expr | None)              only as the last stage of a wrapped scalar pipeline
                                              `({ } | count())`; op COUNT AVG MIN MAX SUM
      ScalarOperation(op, lhs, rhs)           arithmetic between scalars (`count() + 1`, `1 - 3`)

    Field expressions (inside `{ }`, aggregates, by()):
      BinaryOperation(op, lhs, rhs)           arithmetic + - * / % ^, comparisons = != > >= < <=,
                                              regex =~ !~, boolean && ||. `x != nil` = x exists,
                                              `x = nil` = x does not exist
      UnaryOperation(op, expr)                op NOT (`!x`) or SUB (`-x`); `-<number>` is folded
                                              into a negative Static
      Static(type, value)                     StaticType STRING INT FLOAT BOOL NIL, DURATION (int
                                              nanoseconds), STATUS/KIND (the word, e.g. "error")
      Attribute(scope, name, parent, intrinsic)
                                              `.a` (scope NONE), `span.a`, `resource.a`, `event.a`,
                                              `link.a`, `instrumentation.a`, `parent.span.a`;
                                              intrinsics have ``intrinsic`` set (Intrinsic enum,
                                              e.g. DURATION for `duration` and `span:duration`)

    Metrics:
      MetricsAggregate(op, attribute, by, quantiles)   rate, count_over_time, min/max/avg/sum/
                                                       quantile/histogram_over_time
      MetricsCompare(filter, topn, start, end)         compare({ ... }, ...)
      TopK(op, limit)                                  topk(n) / bottomk(n) second stage
      MetricsFilter(op, value)                         `> 10` second stage; value is a constant

    Constants at pipeline level (thresholds, metrics math operands) are Static or ScalarOperation
    trees of Statics; they are not folded by the parser.

Operator binding, loosest first: `|` < `&&` = `||` (left-associative, as in Tempo's grammar) <
comparisons/structural < `+ -` < `* / %` < prefix `! -` < `^`.
"""

from __future__ import annotations

from tempo_py.traceql.ast import (
    Aggregate,
    Attribute,
    BinaryOperation,
    CoalesceOperation,
    FieldExpr,
    GroupOperation,
    Hint,
    Hints,
    MetricsAggregate,
    MetricsCompare,
    MetricsFilter,
    MetricsMath,
    MetricsPipeline,
    MetricsSecondStage,
    Node,
    Pipeline,
    Query,
    RootExpr,
    ScalarFilter,
    ScalarOperation,
    SelectOperation,
    SpansetFilter,
    SpansetOperation,
    Static,
    TopK,
    UnaryOperation,
)
from tempo_py.traceql.enums import (
    AggregateOp,
    AttributeScope,
    Intrinsic,
    MetricsOp,
    Op,
    SecondStageOp,
    StaticType,
)
from tempo_py.traceql.errors import (
    TraceQLError,
    TraceQLParseError,
    TraceQLUnsupportedError,
    TraceQLValidationError,
)
from tempo_py.traceql.parser import parse
from tempo_py.traceql.printer import to_traceql
from tempo_py.traceql.supported import check_supported
from tempo_py.traceql.validate import validate
from tempo_py.traceql.walk import walk


def parse_and_validate(query: str) -> RootExpr:
    """Parse ``query`` and validate it; raises TraceQLParseError or TraceQLValidationError.

    Does not call ``check_supported``: the caller decides whether unsupported constructs are an error.
    """
    root = parse(query)
    validate(root)
    return root


__all__ = [
    "Aggregate",
    "AggregateOp",
    "Attribute",
    "AttributeScope",
    "BinaryOperation",
    "CoalesceOperation",
    "FieldExpr",
    "GroupOperation",
    "Hint",
    "Hints",
    "Intrinsic",
    "MetricsAggregate",
    "MetricsCompare",
    "MetricsFilter",
    "MetricsMath",
    "MetricsOp",
    "MetricsPipeline",
    "MetricsSecondStage",
    "Node",
    "Op",
    "Pipeline",
    "Query",
    "RootExpr",
    "ScalarFilter",
    "ScalarOperation",
    "SecondStageOp",
    "SelectOperation",
    "SpansetFilter",
    "SpansetOperation",
    "Static",
    "StaticType",
    "TopK",
    "TraceQLError",
    "TraceQLParseError",
    "TraceQLUnsupportedError",
    "TraceQLValidationError",
    "UnaryOperation",
    "check_supported",
    "parse",
    "parse_and_validate",
    "to_traceql",
    "validate",
    "walk",
]
