"""Canonical TraceQL text for AST nodes: normalized spacing, `"` quoting, scoped intrinsic names,
and only the parentheses the grammar needs (plus some around nested spanset operations for clarity).

Invariant (tested over the conformance corpus): ``parse(to_traceql(parse(q))) == parse(q)``.
"""

from __future__ import annotations

from tempo_py.traceql import ast
from tempo_py.traceql.durations import format_duration
from tempo_py.traceql.enums import AttributeScope, Op, StaticType
from tempo_py.traceql.lexer import is_attribute_char

# Binding strength of binary operators, shared with the parsers; unary `-`/`!` sit between `*` and `^`.
# `&&` and `||` share one level and associate left, as in Tempo's grammar (`%left AND OR`).
BINARY_PRECEDENCE: dict[Op, int] = {
    Op.OR: 2,
    Op.AND: 2,
    Op.EQ: 3,
    Op.NEQ: 3,
    Op.GT: 3,
    Op.GTE: 3,
    Op.LT: 3,
    Op.LTE: 3,
    Op.REGEX: 3,
    Op.NOT_REGEX: 3,
    Op.ADD: 4,
    Op.SUB: 4,
    Op.MUL: 5,
    Op.DIV: 5,
    Op.MOD: 5,
    Op.POW: 7,
}
UNARY_PRECEDENCE = 6
RIGHT_ASSOCIATIVE = frozenset({Op.POW})
_ATOM = 100
_MIN_INT = -(2**63)
_CONTROL_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def to_traceql(node: ast.Node) -> str:
    """Return canonical TraceQL for ``node`` (any AST node, including a whole RootExpr)."""
    match node:
        case ast.RootExpr(query=query, hints=hints):
            return to_traceql(query) + (f" {to_traceql(hints)}" if hints else "")
        case ast.Hints(hints=hints):
            return "with(" + ", ".join(f"{h.name}={to_traceql(h.value)}" for h in hints) + ")"
        case ast.Hint(name=name, value=value):
            return f"{name}={to_traceql(value)}"
        case ast.Pipeline(stages=stages):
            return " | ".join(_stage(stage) for stage in stages)
        case ast.SpansetFilter(expr=expr):
            return "{ " + _expr(expr) + " }"
        case ast.SpansetOperation(op=op, lhs=lhs, rhs=rhs):
            return f"{_spanset_operand(lhs)} {op.text} {_spanset_operand(rhs)}"
        case ast.Aggregate(op=op, expr=expr):
            return f"{op.value}({'' if expr is None else _expr(expr)})"
        case ast.ScalarFilter(op=op, lhs=lhs, rhs=rhs):
            return f"{_expr(lhs)} {op.text} {_expr(rhs)}"
        case ast.GroupOperation(expr=expr):
            return f"by({_expr(expr)})"
        case ast.CoalesceOperation():
            return "coalesce()"
        case ast.SelectOperation(attributes=attributes):
            return "select(" + ", ".join(_attribute(a) for a in attributes) + ")"
        case ast.MetricsPipeline(pipeline=pipeline, first_stage=first, second_stage=second):
            return f"{to_traceql(pipeline)} | {to_traceql(first)}{_second_stages(second)}"
        case ast.MetricsAggregate():
            return _metrics_aggregate(node)
        case ast.MetricsCompare(filter=spanset_filter, topn=topn, start=start, end=end):
            args = [to_traceql(spanset_filter)]
            if (start, end) != (0, 0):
                args += [str(topn), str(start), str(end)]
            elif topn != 10:
                args.append(str(topn))
            return f"compare({', '.join(args)})"
        case ast.TopK(op=op, limit=limit):
            return f"{op.value}({limit})"
        case ast.MetricsFilter(op=op, value=value):
            return f"{op.text} {_expr(value)}"
        case ast.MetricsSecondStage(expr=expr, stages=stages):
            return _expr(expr) + _second_stages(stages)
        case _:
            return _expr(node)


def _stage(stage: ast.Node) -> str:
    return f"({to_traceql(stage)})" if isinstance(stage, ast.Pipeline) else to_traceql(stage)


def _spanset_operand(operand: ast.Node) -> str:
    # Nested spanset operations are always parenthesized: precedence among them is easy to misread.
    if isinstance(operand, ast.Pipeline | ast.SpansetOperation):
        return f"({to_traceql(operand)})"
    return to_traceql(operand)


def _second_stages(stages: tuple[ast.SecondStage, ...]) -> str:
    return "".join(f" | {to_traceql(s)}" if isinstance(s, ast.TopK) else f" {to_traceql(s)}" for s in stages)


def _metrics_aggregate(node: ast.MetricsAggregate) -> str:
    args = [] if node.attribute is None else [_attribute(node.attribute)]
    args += [repr(q) for q in node.quantiles]
    text = f"{node.op.value}({', '.join(args)})"
    if node.by:
        text += " by (" + ", ".join(_attribute(a) for a in node.by) + ")"
    return text


def _precedence(node: ast.Node) -> int:
    match node:
        case ast.BinaryOperation(op=op) | ast.ScalarOperation(op=op) | ast.MetricsMath(op=op):
            return BINARY_PRECEDENCE[op]
        case ast.UnaryOperation():
            return UNARY_PRECEDENCE
        case ast.Static(type=StaticType.INT | StaticType.FLOAT | StaticType.DURATION, value=value):
            # a negative literal prints as `-n`, which the parser reads as a prefix operation
            return (
                UNARY_PRECEDENCE if isinstance(value, int | float) and str(value).startswith("-") else _ATOM
            )
        case _:
            return _ATOM


def _expr(node: ast.Node) -> str:
    """Print a field/scalar/metrics expression with the minimum parentheses for its precedence."""
    match node:
        case ast.BinaryOperation(op=op, lhs=lhs, rhs=rhs) | ast.ScalarOperation(op=op, lhs=lhs, rhs=rhs):
            return _binary(op, lhs, rhs)
        case ast.MetricsMath(op=op, lhs=lhs, rhs=rhs):
            return _binary(op, lhs, rhs)
        case ast.UnaryOperation(op=op, expr=operand):
            inner = _expr(operand)
            return f"{op.text}({inner})" if _precedence(operand) <= UNARY_PRECEDENCE else f"{op.text}{inner}"
        case ast.Static():
            return _static(node)
        case ast.Attribute():
            return _attribute(node)
        case ast.Pipeline() | ast.MetricsPipeline():
            return f"({to_traceql(node)})"
        case _:
            return to_traceql(node)


def _binary(op: Op, lhs: ast.Node, rhs: ast.Node) -> str:
    prec = BINARY_PRECEDENCE[op]
    right_assoc = op in RIGHT_ASSOCIATIVE
    left, right = _expr(lhs), _expr(rhs)
    lp, rp = _precedence(lhs), _precedence(rhs)
    if lp < prec or (lp == prec and right_assoc):
        left = f"({left})"
    if rp < prec or (rp == prec and not right_assoc):
        right = f"({right})"
    return f"{left} {op.text} {right}"


def _static(node: ast.Static) -> str:
    value = node.value
    match node.type:
        case StaticType.STRING:
            return quote_string(str(value))
        case StaticType.DURATION:
            assert isinstance(value, int)
            return format_duration(value)
        case StaticType.BOOL:
            return "true" if value else "false"
        case StaticType.NIL:
            return "nil"
        case StaticType.INT if value == _MIN_INT:
            return "minInt"  # its magnitude does not fit an int literal
        case StaticType.FLOAT:
            return repr(float(value))  # type: ignore[arg-type]
        case _:
            return str(value)


def quote_string(value: str) -> str:
    """A double-quoted TraceQL string literal for ``value``."""
    out = []
    for ch in value:
        if ch in _CONTROL_ESCAPES:
            out.append(_CONTROL_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _attribute(attr: ast.Attribute) -> str:
    if attr.intrinsic is not None:
        return attr.intrinsic.value
    prefix = "parent." if attr.parent else ""
    if attr.scope is not AttributeScope.NONE:
        prefix += attr.scope.value + "."
    elif not attr.parent:
        prefix = "."
    return prefix + _attribute_name(attr)


def _attribute_name(attr: ast.Attribute) -> str:
    name = attr.name
    # After a bare `parent.` the lexer would read a leading `span.`/`resource.` as a scope.
    must_quote = attr.parent and attr.scope is AttributeScope.NONE and name.startswith(("span.", "resource."))
    # `.9x` would lex as the number .9
    must_quote = must_quote or (attr.scope is AttributeScope.NONE and name[:1].isdigit())
    if name and not must_quote and all(is_attribute_char(ch) and ch != '"' for ch in name):
        return name
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


ast.register_printer(to_traceql)
