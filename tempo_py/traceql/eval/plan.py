"""What a query needs from storage: columns, candidate-trace conditions, row-group pruning.

A trace can only be in a result if it has spans matching certain span-level conditions; those are
the *leaves* (relaxed spanset filters) combined into a :data:`Candidates` formula: `{a} && {b}` needs a
trace with an `a` span and a `b` span, `{a} || {b}` one of them, `{ } | count() > 3` every trace.
Sources report, per leaf, the traces with a matching span; the formula over the union of those sets
says which traces to load in full and evaluate exactly. Conditions that need the whole trace
(trace:duration, rootName, childCount...) relax to "true", which only widens the candidate set.
"""

from __future__ import annotations

from dataclasses import dataclass

from tempo_py.model.schema import DEDICATED_BY_KEY, VT_STR
from tempo_py.traceql import ast
from tempo_py.traceql.enums import AttributeScope, Intrinsic, Op, StaticType
from tempo_py.traceql.walk import walk

# Columns every evaluation reads: trace grouping, parent links, times and the response's fields.
BASE_COLUMNS = (
    "trace_id",
    "span_id",
    "parent_span_id",
    "start_time_unix_nano",
    "end_time_unix_nano",
    "name",
    "kind",
    "status_code",
    "service_name",
)
_INTRINSIC_COLUMNS: dict[Intrinsic, tuple[str, ...]] = {
    Intrinsic.DURATION: ("start_time_unix_nano", "end_time_unix_nano"),
    Intrinsic.NAME: ("name",),
    Intrinsic.STATUS: ("status_code",),
    Intrinsic.STATUS_MESSAGE: ("status_message",),
    Intrinsic.KIND: ("kind",),
    Intrinsic.SPAN_ID: ("span_id",),
    Intrinsic.PARENT_ID: ("parent_span_id",),
    Intrinsic.TRACE_ID: ("trace_id",),
    Intrinsic.EVENT_NAME: ("events",),
    Intrinsic.EVENT_TIME_SINCE_START: ("events", "start_time_unix_nano"),
    Intrinsic.LINK_TRACE_ID: ("links",),
    Intrinsic.LINK_SPAN_ID: ("links",),
    Intrinsic.INSTRUMENTATION_NAME: ("scope_name",),
    Intrinsic.INSTRUMENTATION_VERSION: ("scope_version",),
}
# Intrinsics whose value depends on other spans of the trace.
TRACE_LEVEL = frozenset(
    {
        Intrinsic.TRACE_DURATION,
        Intrinsic.TRACE_ROOT_NAME,
        Intrinsic.TRACE_ROOT_SERVICE,
        Intrinsic.CHILD_COUNT,
        Intrinsic.NESTED_SET_LEFT,
        Intrinsic.NESTED_SET_RIGHT,
        Intrinsic.NESTED_SET_PARENT,
    }
)
# The attribute list columns an attribute of each scope is looked up in (the block key index
# covers exactly these).
ATTRIBUTE_LISTS: dict[AttributeScope, tuple[str, ...]] = {
    AttributeScope.SPAN: ("attrs",),
    AttributeScope.RESOURCE: ("resource_attrs",),
    AttributeScope.NONE: ("attrs", "resource_attrs"),
    AttributeScope.INSTRUMENTATION: ("scope_attrs",),
}
_SCOPE_LISTS = {**ATTRIBUTE_LISTS, AttributeScope.EVENT: ("events",), AttributeScope.LINK: ("links",)}
TRUE = ast.Static(StaticType.BOOL, True)


def attribute_columns(attr: ast.Attribute) -> set[str]:
    """Storage columns that hold an attribute or intrinsic."""
    if attr.intrinsic is not None:
        if attr.intrinsic in TRACE_LEVEL:
            return set(BASE_COLUMNS)
        return set(_INTRINSIC_COLUMNS.get(attr.intrinsic, ()))
    out = set(_SCOPE_LISTS.get(attr.scope, ()))
    scopes = ("span", "resource") if attr.scope is AttributeScope.NONE else (attr.scope.value,)
    for scope in scopes:
        dedicated = DEDICATED_BY_KEY.get((scope, attr.name))
        if dedicated is not None:
            out.add(dedicated.column)
    return out


def columns_for(node: ast.Node) -> set[str]:
    """Columns needed to evaluate every attribute under ``node``.

    A scoped attribute with a dedicated string column, compared with a string literal, needs only that
    column: the generic list holds its values of other types, which never compare true with a string.
    That keeps `resource.service.name = "x"` from decoding the whole resource attribute list.
    """
    out: set[str] = set()
    covered: set[int] = set()
    for n in walk(node):
        dedicated = _dedicated_string_comparison(n)
        if dedicated is not None:
            attr, column = dedicated
            covered.add(id(attr))
            out.add(column)
        elif isinstance(n, ast.Attribute) and id(n) not in covered:
            out |= attribute_columns(n)
    return out


def _dedicated_string_comparison(node: ast.Node) -> tuple[ast.Attribute, str] | None:
    if not isinstance(node, ast.BinaryOperation) or node.op in (Op.AND, Op.OR):
        return None
    for attr, other in ((node.lhs, node.rhs), (node.rhs, node.lhs)):
        if (
            isinstance(attr, ast.Attribute)
            and attr.intrinsic is None
            and attr.scope in (AttributeScope.SPAN, AttributeScope.RESOURCE)
            and isinstance(other, ast.Static)
            and other.type is StaticType.STRING
        ):
            dedicated = DEDICATED_BY_KEY.get((attr.scope.value, attr.name))
            if dedicated is not None and dedicated.vtype == VT_STR:
                return attr, dedicated.column
    return None


@dataclass(frozen=True)
class Leaf:
    """Traces with a span for which ``expr`` holds."""

    expr: ast.FieldExpr


@dataclass(frozen=True)
class AllOf:
    """Traces in every part."""

    parts: tuple[Candidates, ...]


@dataclass(frozen=True)
class AnyOf:
    """Traces in some part."""

    parts: tuple[Candidates, ...]


# None means "every trace" (nothing narrows the query down).
Candidates = Leaf | AllOf | AnyOf | None


def candidates(node: ast.Node) -> Candidates:
    """The candidate formula of a search pipeline or spanset expression."""
    match node:
        case ast.RootExpr(query=query):
            return candidates(query)
        case ast.Pipeline(stages=stages):
            parts = [candidates(s) for s in stages if isinstance(s, ast.SpansetFilter | ast.SpansetOperation)]
            return _all(parts)
        case ast.SpansetFilter(expr=expr):
            relaxed = relax(expr)
            return None if relaxed == TRUE else Leaf(relaxed)
        case ast.SpansetOperation(op=op, lhs=lhs, rhs=rhs):
            left, right = candidates(lhs), candidates(rhs)
            if op is Op.OR:
                return None if left is None or right is None else AnyOf((left, right))
            if op.name.startswith("NOT_"):
                return right  # B's spans not related to A: A may be absent
            return _all([left, right])
    return None


def _all(parts: list[Candidates]) -> Candidates:
    kept = tuple(p for p in parts if p is not None)
    if not kept:
        return None
    return kept[0] if len(kept) == 1 else AllOf(kept)


def leaves(formula: Candidates) -> list[ast.FieldExpr]:
    """Distinct leaf expressions of a formula, in order."""
    out: dict[ast.FieldExpr, None] = {}

    def visit(f: Candidates) -> None:
        if isinstance(f, Leaf):
            out.setdefault(f.expr)
        elif isinstance(f, AllOf | AnyOf):
            for p in f.parts:
                visit(p)

    visit(formula)
    return list(out)


def relax(expr: ast.FieldExpr) -> ast.FieldExpr:
    """A span-level condition implied by ``expr`` (TRUE where only the whole trace could tell)."""
    match expr:
        case ast.BinaryOperation(op=Op.AND, lhs=lhs, rhs=rhs):
            left, right = relax(lhs), relax(rhs)
            if left == TRUE:
                return right
            return left if right == TRUE else ast.BinaryOperation(Op.AND, left, right)
        case ast.BinaryOperation(op=Op.OR, lhs=lhs, rhs=rhs):
            left, right = relax(lhs), relax(rhs)
            return TRUE if TRUE in (left, right) else ast.BinaryOperation(Op.OR, left, right)
    if _needs_trace(expr):
        return TRUE
    return expr


def _needs_trace(expr: ast.Node) -> bool:
    return any(isinstance(n, ast.Attribute) and n.intrinsic in TRACE_LEVEL for n in walk(expr))
