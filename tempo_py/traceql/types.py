"""Static type inference and operator/type compatibility for TraceQL expressions.

ATTRIBUTE is the "unknown until evaluated" type of custom attributes: it matches everything, so only
expressions whose types are known statically can be rejected.
"""

from __future__ import annotations

from tempo_py.traceql import ast
from tempo_py.traceql.enums import BOOLEAN_RESULT_OPS, INTRINSIC_TYPES, AggregateOp, Op, StaticType

_NUMERIC_OPS = frozenset(
    {Op.ADD, Op.SUB, Op.MUL, Op.DIV, Op.MOD, Op.POW, Op.EQ, Op.NEQ, Op.GT, Op.GTE, Op.LT, Op.LTE}
)
_VALID_OPS: dict[StaticType, frozenset[Op]] = {
    StaticType.BOOL: frozenset({Op.AND, Op.OR, Op.EQ, Op.NEQ}),
    StaticType.INT: _NUMERIC_OPS,
    StaticType.FLOAT: _NUMERIC_OPS,
    StaticType.DURATION: _NUMERIC_OPS,
    StaticType.STRING: frozenset({Op.EQ, Op.NEQ, Op.REGEX, Op.NOT_REGEX, Op.GT, Op.GTE, Op.LT, Op.LTE}),
    StaticType.NIL: frozenset({Op.EQ, Op.NEQ}),
    StaticType.STATUS: frozenset({Op.EQ, Op.NEQ}),
    StaticType.KIND: frozenset({Op.EQ, Op.NEQ}),
}


def infer_type(node: ast.Node) -> StaticType:
    """The static type ``node`` evaluates to (ATTRIBUTE when unknown)."""
    match node:
        case ast.Static(type=static_type):
            return static_type
        case ast.Attribute(intrinsic=None):
            return StaticType.ATTRIBUTE
        case ast.Attribute(intrinsic=intrinsic) if intrinsic is not None:
            return INTRINSIC_TYPES[intrinsic]
        case ast.BinaryOperation(op=op, lhs=lhs, rhs=rhs) | ast.ScalarOperation(op=op, lhs=lhs, rhs=rhs):
            if op in BOOLEAN_RESULT_OPS:
                return StaticType.BOOL
            # arithmetic takes the first operand's type that is known
            left = infer_type(lhs)
            return left if left is not StaticType.ATTRIBUTE else infer_type(rhs)
        case ast.UnaryOperation(expr=expr):
            return infer_type(expr)
        case ast.Aggregate(op=op, expr=expr):
            if op is AggregateOp.COUNT or expr is None:
                return StaticType.INT
            return infer_type(expr)
        case ast.Pipeline(stages=stages) if stages and isinstance(stages[-1], ast.Aggregate):
            return infer_type(stages[-1])
    raise TypeError(f"no static type for {type(node).__name__}")


def operands_match(lhs: StaticType, rhs: StaticType) -> bool:
    """Whether values of these two types can meet in one binary operation."""
    if StaticType.ATTRIBUTE in (lhs, rhs) or StaticType.NIL in (lhs, rhs) or lhs is rhs:
        return True
    return lhs.is_numeric and rhs.is_numeric


def operator_accepts(op: Op, operand: StaticType) -> bool:
    """Whether ``op`` is defined for an operand of this type."""
    return operand is StaticType.ATTRIBUTE or op in _VALID_OPS.get(operand, frozenset())


def unary_accepts(op: Op, operand: StaticType) -> bool:
    """Whether unary ``op`` (NOT or SUB) is defined for this type."""
    if operand is StaticType.ATTRIBUTE:
        return True
    return operand is StaticType.BOOL if op is Op.NOT else operand.is_numeric


def references_span(node: ast.Node) -> bool:
    """Whether an expression reads anything from the span (an attribute or intrinsic)."""
    match node:
        case ast.Attribute():
            return True
        case ast.BinaryOperation(lhs=lhs, rhs=rhs):
            return references_span(lhs) or references_span(rhs)
        case ast.UnaryOperation(expr=expr):
            return references_span(expr)
    return False
