"""Semantic checks on a parsed query: types, span references, nil rules, regexes, limits.

Mirrors what Tempo rejects at validation time (its test_examples.yaml `validate_fails` bucket).
Constructs that are valid but not implemented are left to ``check_supported``.
"""

from __future__ import annotations

from tempo_py.traceql import ast
from tempo_py.traceql.enums import AttributeScope, Op, StaticType
from tempo_py.traceql.errors import TraceQLValidationError
from tempo_py.traceql.regex import compile_regex
from tempo_py.traceql.types import (
    infer_type,
    operands_match,
    operator_accepts,
    references_span,
    unary_accepts,
)
from tempo_py.traceql.walk import walk

_SERVICE_NAME = ast.Attribute(AttributeScope.RESOURCE, "service.name")


def validate(root: ast.RootExpr) -> None:
    """Raise TraceQLValidationError if ``root`` is semantically invalid."""
    _node(root.query)
    if (
        not isinstance(root.query, ast.Pipeline)
        and _uses_compare(root.query)
        and _has_math_or_stages(root.query)
    ):
        raise TraceQLValidationError("compare() cannot be used with second stage functions or metrics math")


def _node(node: ast.Node) -> None:
    match node:
        case ast.Pipeline(stages=stages):
            for stage in stages:
                _node(stage)
        case ast.SpansetFilter(expr=expr):
            _field(expr)
            if infer_type(expr) not in (StaticType.BOOL, StaticType.ATTRIBUTE):
                raise TraceQLValidationError(f"spanset filter expressions must evaluate to a boolean: {node}")
        case ast.SpansetOperation(lhs=lhs, rhs=rhs):
            _node(lhs)
            _node(rhs)
        case ast.ScalarFilter(op=op, lhs=lhs, rhs=rhs) | ast.ScalarOperation(op=op, lhs=lhs, rhs=rhs):
            _node(lhs)
            _node(rhs)
            _check_operands(node, op, infer_type(lhs), infer_type(rhs))
        case ast.Aggregate(expr=expr) if expr is not None:
            _field(expr)
            if not (infer_type(expr).is_numeric or infer_type(expr) is StaticType.ATTRIBUTE):
                raise TraceQLValidationError(f"aggregate field expressions must evaluate to a number: {node}")
            if not references_span(expr):
                raise TraceQLValidationError(f"aggregate field expressions must reference the span: {node}")
        case ast.GroupOperation(expr=expr):
            _field(expr)
            if not references_span(expr):
                raise TraceQLValidationError(f"grouping field expressions must reference the span: {node}")
        case ast.MetricsPipeline(pipeline=pipeline, first_stage=first, second_stage=second):
            _node(pipeline)
            _node(first)
            for second_stage in second:
                _node(second_stage)
        case ast.MetricsCompare(filter=spanset_filter):
            _node(spanset_filter)
        case ast.TopK(limit=limit) if limit <= 0:
            raise TraceQLValidationError(f"the limit of {node} must be greater than 0")
        case ast.MetricsMath(lhs=lhs, rhs=rhs):
            _node(lhs)
            _node(rhs)
        case ast.MetricsSecondStage(expr=expr):
            _node(expr)


def _field(expr: ast.FieldExpr) -> None:
    match expr:
        case ast.BinaryOperation(op=op, lhs=lhs, rhs=rhs):
            _field(lhs)
            _field(rhs)
            if op is Op.EQ:
                _check_nil_comparison(expr, lhs, rhs)
            _check_operands(expr, op, infer_type(lhs), infer_type(rhs))
            if op in (Op.REGEX, Op.NOT_REGEX):
                _check_regex(expr, rhs)
        case ast.UnaryOperation(op=op, expr=operand):
            _field(operand)
            if not unary_accepts(op, infer_type(operand)):
                raise TraceQLValidationError(f"illegal operation for the given type: {expr}")


def _check_operands(node: ast.Node, op: Op, lhs: StaticType, rhs: StaticType) -> None:
    if not operands_match(lhs, rhs):
        raise TraceQLValidationError(
            f"binary operations must operate on the same type, got {lhs.value} and {rhs.value}: {node}"
        )
    if not (operator_accepts(op, lhs) and operator_accepts(op, rhs)):
        raise TraceQLValidationError(f'operator "{op.text}" is not defined for these types: {node}')


def _check_nil_comparison(expr: ast.BinaryOperation, lhs: ast.FieldExpr, rhs: ast.FieldExpr) -> None:
    # `x = nil` asks for spans without x; intrinsics and resource.service.name always exist.
    nil = ast.Static(StaticType.NIL, None)
    other = rhs if lhs == nil else lhs if rhs == nil else None
    if isinstance(other, ast.Attribute) and (other.intrinsic is not None or other == _SERVICE_NAME):
        raise TraceQLValidationError(f"{expr} is not valid because {other} cannot be nil")


def _check_regex(expr: ast.BinaryOperation, rhs: ast.FieldExpr) -> None:
    if not (isinstance(rhs, ast.Static) and rhs.type is StaticType.STRING):
        raise TraceQLValidationError(f"the right side of =~ and !~ must be a string literal: {expr}")
    compile_regex(str(rhs.value))  # RE2, as evaluation: what it cannot run is a 400 here


def _uses_compare(node: ast.Node) -> bool:
    return any(isinstance(n, ast.MetricsCompare) for n in walk(node))


def _has_math_or_stages(node: ast.Node) -> bool:
    return any(
        isinstance(n, ast.MetricsMath | ast.MetricsSecondStage)
        or (isinstance(n, ast.MetricsPipeline) and n.second_stage)
        for n in walk(node)
    )
