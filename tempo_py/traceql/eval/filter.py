"""Spanset filters: a field expression -> a boolean mask over span rows.

A filter reading event or link fields is evaluated over (span, event) or (span, link) rows, so one
event must satisfy every event condition at once (`{ event:name = "a" && event.x = 1 }` asks for one
event with both), as Tempo does; a span matches when any of its rows does.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tempo_py.traceql import ast
from tempo_py.traceql.enums import ARITHMETIC_OPS, AttributeScope, Op, StaticType
from tempo_py.traceql.errors import TraceQLUnsupportedError
from tempo_py.traceql.eval.access import View, attribute_value
from tempo_py.traceql.eval.frame import Frame
from tempo_py.traceql.eval.values import (
    Mask,
    Value,
    arithmetic,
    compare,
    logical,
    logical_not,
    negate,
    nil_check,
    static_value,
    truthy,
)
from tempo_py.traceql.walk import walk

_NIL = ast.Static(StaticType.NIL, None)


def evaluate(expr: ast.FieldExpr, view: View) -> Value:
    """The value of a field expression on every row of ``view``."""
    match expr:
        case ast.Static(type=static_type, value=value):
            return static_value(static_type, value)
        case ast.Attribute():
            return attribute_value(expr, view)
        case ast.UnaryOperation(op=Op.NOT, expr=operand):
            return logical_not(evaluate(operand, view), view.n)
        case ast.UnaryOperation(op=Op.SUB, expr=operand):
            return negate(evaluate(operand, view))
        case ast.BinaryOperation(op=op, lhs=lhs, rhs=rhs):
            if op in (Op.EQ, Op.NEQ) and _NIL in (lhs, rhs):
                return nil_check(op, evaluate(rhs if lhs == _NIL else lhs, view), view.n)
            left, right = evaluate(lhs, view), evaluate(rhs, view)
            if op in (Op.AND, Op.OR):
                return logical(op, left, right, view.n)
            if op in ARITHMETIC_OPS:
                return arithmetic(op, left, right)
            return compare(op, left, right, view.n)
    raise TraceQLUnsupportedError(f"expression {expr}")


def nested_scopes(expr: ast.Node) -> set[AttributeScope]:
    """Event/link scopes an expression reads."""
    return {
        n.scope
        for n in walk(expr)
        if isinstance(n, ast.Attribute) and n.scope in (AttributeScope.EVENT, AttributeScope.LINK)
    }


def span_mask(expr: ast.FieldExpr, frame: Frame) -> Mask:
    """Rows of ``frame`` for which ``expr`` is true."""
    scopes = nested_scopes(expr)
    if not scopes:
        return truthy(evaluate(expr, View(frame)), frame.n)
    if len(scopes) > 1:
        # event and link fields together: a span matches when some event and some link qualify
        # jointly is not expressible per row; judge each scope's rows separately, others empty.
        raise TraceQLUnsupportedError("event and link fields in one spanset filter")
    scope = scopes.pop()
    view = exploded(frame, scope)
    assert view.index is not None
    rows = np.asarray(view.index.to_numpy(), dtype=np.int64)
    hits = truthy(evaluate(expr, view), view.n)
    out = np.zeros(frame.n, dtype=bool)
    out[rows[hits]] = True
    return out


def exploded(frame: Frame, scope: AttributeScope) -> View:
    """A view with one row per (span, event) or (span, link); spans without any keep one null row."""
    column = "events" if scope is AttributeScope.EVENT else "links"
    lists = frame.column(column)
    flat = pc.list_flatten(lists)
    parents = np.asarray(pc.list_parent_indices(lists).to_numpy(), dtype=np.int64)
    lengths = np.asarray(pc.fill_null(pc.list_value_length(lists), 0).to_numpy(zero_copy_only=False))
    lonely = np.nonzero(lengths == 0)[0].astype(np.int64)
    index = pa.array(np.concatenate([parents, lonely]))
    nested = pa.concat_arrays([flat, pa.nulls(len(lonely), flat.type)])
    return View(frame, index=index, nested=nested, nested_scope=scope)
