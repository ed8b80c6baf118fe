"""Row-group pruning: can any span of a row group satisfy a span-level condition, judging only from
the footer's min/max statistics? "No" is certain; "maybe" means read it.

Understood: comparisons of name, status, kind and dedicated string columns (service_name,
http.route...) with literals, and duration, whose largest possible value in a group is max(end) - min(start).
Where the block's key index (``ColumnStats.keys`` of the attribute list columns) says no list of the
row group holds the attribute, a comparison is false unless a dedicated column holds it, and then
that column's min/max answer for every type of literal it could match (int columns included).
"""

from __future__ import annotations

from typing import Any

from tempo_py.model.schema import DEDICATED_BY_KEY, VT_INT
from tempo_py.model.stats import ColumnStats, Stats
from tempo_py.traceql import ast
from tempo_py.traceql.enums import AttributeScope, Intrinsic, Op, StaticType
from tempo_py.traceql.eval.plan import ATTRIBUTE_LISTS
from tempo_py.traceql.eval.values import KIND_CODES, STATUS_CODES

_FLIP = {Op.GT: Op.LT, Op.GTE: Op.LTE, Op.LT: Op.GT, Op.LTE: Op.GTE, Op.EQ: Op.EQ, Op.NEQ: Op.NEQ}


def may_match(expr: ast.FieldExpr, stats: Stats) -> bool:
    """False only if no span in the row group can satisfy ``expr``."""
    match expr:
        case ast.BinaryOperation(op=Op.AND, lhs=lhs, rhs=rhs):
            return may_match(lhs, stats) and may_match(rhs, stats)
        case ast.BinaryOperation(op=Op.OR, lhs=lhs, rhs=rhs):
            return may_match(lhs, stats) or may_match(rhs, stats)
        case ast.Static(type=StaticType.BOOL, value=False):
            return False
        case ast.BinaryOperation(op=op, lhs=ast.Attribute() as attr, rhs=ast.Static() as static):
            return _compare(op, attr, static, stats)
        case ast.BinaryOperation(op=op, lhs=ast.Static() as static, rhs=ast.Attribute() as attr):
            return _compare(_FLIP.get(op, op), attr, static, stats)
    return True


def _compare(op: Op, attr: ast.Attribute, static: ast.Static, stats: Stats) -> bool:
    if op not in (Op.EQ, Op.GT, Op.GTE, Op.LT, Op.LTE) or static.type is StaticType.NIL:
        return True
    if attr.intrinsic is Intrinsic.DURATION:
        start, end = stats.get("start_time_unix_nano"), stats.get("end_time_unix_nano")
        if start is None or end is None or start.min is None or end.max is None:
            return True
        if static.type not in (StaticType.DURATION, StaticType.INT, StaticType.FLOAT):
            return False
        longest = int(end.max) - int(start.min)
        return _in_range(op, 0, longest, static.value)
    if attr.intrinsic is None and _absent_from_lists(attr, stats):
        # only dedicated columns can hold it here, and they hold every value of it
        scopes = ("span", "resource") if attr.scope is AttributeScope.NONE else (attr.scope.value,)
        dedicated = [d for s in scopes if (d := DEDICATED_BY_KEY.get((s, attr.name))) is not None]
        return any(_dedicated_may_match(op, stats.get(d.column), d.vtype, static) for d in dedicated)
    column, literal = _column_literal(attr, static)
    if column is None:
        return True
    col = stats.get(column)
    if col is None:
        return True
    if col.all_null:
        # the column holds this attribute's values of the literal's type; none here
        return False
    if col.min is None or col.max is None:
        return True
    try:
        return _in_range(op, col.min, col.max, literal)
    except TypeError:
        return True


def _absent_from_lists(attr: ast.Attribute, stats: Stats) -> bool:
    """Whether the row group's key index says no attribute list of the attribute's scope holds it."""
    lists = ATTRIBUTE_LISTS.get(attr.scope)
    if not lists:
        return False
    for column in lists:
        st = stats.get(column)
        if st is None or st.keys is None or attr.name in st.keys:
            return False
    return True


def _dedicated_may_match(op: Op, col: ColumnStats | None, vtype: int, static: ast.Static) -> bool:
    if col is None:
        return True
    if col.all_null:
        return False
    numeric = static.type in (StaticType.INT, StaticType.FLOAT)
    comparable = numeric if vtype == VT_INT else static.type is StaticType.STRING
    if col.min is None or col.max is None or not comparable:
        return True
    try:
        return _in_range(op, col.min, col.max, static.value)
    except TypeError:
        return True


def _column_literal(attr: ast.Attribute, static: ast.Static) -> tuple[str | None, Any]:
    match attr.intrinsic:
        case Intrinsic.NAME if static.type is StaticType.STRING:
            return "name", static.value
        case Intrinsic.STATUS if static.type is StaticType.STATUS:
            return "status_code", STATUS_CODES[str(static.value)]
        case Intrinsic.KIND if static.type is StaticType.KIND:
            return "kind", KIND_CODES[str(static.value)]
        case None if attr.scope in (AttributeScope.SPAN, AttributeScope.RESOURCE):
            dedicated = DEDICATED_BY_KEY.get((attr.scope.value, attr.name))
            if dedicated is None:
                return None, None
            # Only string columns prune: an int column misses same-named float values kept in the
            # generic list, which still compare equal to an int literal.
            if dedicated.vtype != VT_INT and static.type is StaticType.STRING:
                return dedicated.column, static.value
    return None, None


def _in_range(op: Op, lo: Any, hi: Any, value: Any) -> bool:
    match op:
        case Op.EQ:
            return bool(lo <= value <= hi)
        case Op.GT:
            return bool(hi > value)
        case Op.GTE:
            return bool(hi >= value)
        case Op.LT:
            return bool(lo < value)
        case Op.LTE:
            return bool(lo <= value)
    return True
