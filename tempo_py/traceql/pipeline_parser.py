"""First pass over a whole query: a precedence-climbing parse into a loose "raw" tree.

Spanset expressions, scalar filters, pipelines and metrics math all share one operator syntax in
TraceQL (`>` is "child" between spansets, "greater" between aggregates), so this pass only builds the
operator tree; leaves (`{ ... }`, function calls, numbers) are already typed AST nodes. The shaper
(shaper.py) then decides what each operator means from its operands and rejects what the grammar
does not allow, pointing at the operator's token.

Binding, loosest first: `|` < `&&` and `||` (one level, left-associative, as in Tempo) <
comparisons and structural operators < `+ -` < `* / %` < prefix `-` < `^` (right-associative).
"""

from __future__ import annotations

from dataclasses import dataclass

from tempo_py.traceql import ast
from tempo_py.traceql.enums import AggregateOp, MetricsOp, SecondStageOp, StaticType
from tempo_py.traceql.field_parser import literal_static, parse_attribute, parse_field_expression
from tempo_py.traceql.stream import TokenStream
from tempo_py.traceql.tokens import Token, TokenKind

_PRECEDENCE: dict[str, int] = {
    "|": 1,
    "||": 3,
    "&&": 3,
    **dict.fromkeys(("=", "!=", "<", "<=", ">", ">=", "=~", "!~", ">>", "<<", "~"), 4),
    **dict.fromkeys(("!>", "!<", "!>>", "!<<", "&>", "&<", "&>>", "&<<", "&~"), 4),
    "+": 5,
    "-": 5,
    "*": 6,
    "/": 6,
    "%": 6,
    "^": 8,
}
_PREFIX_MINUS = 7


@dataclass(frozen=True)
class RawLeaf:
    """A typed leaf: SpansetFilter, Static, Aggregate, Group/Select/Coalesce, metrics function, TopK."""

    token: Token
    node: ast.Node


@dataclass(frozen=True)
class RawParen:
    """`( inner )`; kept because a parenthesized pipeline is a different thing from a bare one."""

    token: Token
    inner: Raw


@dataclass(frozen=True)
class RawNeg:
    """Prefix minus on a pipeline-level constant."""

    token: Token
    operand: Raw


@dataclass(frozen=True)
class RawBinary:
    """``lhs text rhs`` with the operator's token for error positions."""

    token: Token
    lhs: Raw
    rhs: Raw


@dataclass(frozen=True)
class RawPipe:
    """`a | b | c` flattened into its stages."""

    token: Token
    stages: tuple[Raw, ...]


Raw = RawLeaf | RawParen | RawNeg | RawBinary | RawPipe


def parse_raw(stream: TokenStream, min_prec: int = 0) -> Raw:
    """Parse operators binding at least as tightly as ``min_prec``; stops at any non-operator token."""
    lhs = _prefix(stream)
    while True:
        token = stream.current
        prec = _PRECEDENCE.get(token.text) if token.kind is TokenKind.OP else None
        if prec is None or prec < min_prec:
            return lhs
        stream.advance()
        rhs = parse_raw(stream, prec if token.text == "^" else prec + 1)
        if token.text == "|":
            stages = lhs.stages if isinstance(lhs, RawPipe) else (lhs,)
            lhs = RawPipe(lhs.token if isinstance(lhs, RawPipe) else token, (*stages, rhs))
        else:
            lhs = RawBinary(token, lhs, rhs)


def _prefix(stream: TokenStream) -> Raw:
    token = stream.current
    if token.is_op("-"):
        stream.advance()
        return RawNeg(token, parse_raw(stream, _PREFIX_MINUS))
    if token.is_op("("):
        stream.advance()
        inner = parse_raw(stream)
        stream.expect_op(")", "to close the parenthesis")
        return RawParen(token, inner)
    if token.is_op("{"):
        return RawLeaf(token, parse_spanset_filter(stream))
    if token.kind in (TokenKind.INT, TokenKind.FLOAT, TokenKind.DURATION):
        stream.advance()
        static = literal_static(token)
        assert static is not None
        return RawLeaf(token, static)
    if token.kind is TokenKind.WORD and token.text in _FUNCTIONS:
        stream.advance()
        stream.expect_op("(", f"after {token.text}")
        node = _FUNCTIONS[token.text](stream, token.text)
        stream.expect_op(")", f"to close {token.text}(")
        if isinstance(node, ast.MetricsAggregate) and stream.current.is_word("by"):
            node = _metrics_by(stream, node)
        return RawLeaf(token, node)
    if token.kind is TokenKind.WORD:
        raise stream.error(f'unknown function or keyword "{token.text}"', token)
    raise stream.error("expected a spanset filter { ... }, a pipeline function or a number")


def parse_spanset_filter(stream: TokenStream) -> ast.SpansetFilter:
    """`{ }` or `{ field expression }`."""
    stream.expect_op("{")
    if stream.accept_op("}"):
        return ast.SpansetFilter(ast.Static(StaticType.BOOL, True))
    expr = parse_field_expression(stream)
    stream.expect_op("}", "to close the spanset filter")
    return ast.SpansetFilter(expr)


def _aggregate(stream: TokenStream, name: str) -> ast.Node:
    op = AggregateOp(name)
    if op is AggregateOp.COUNT:
        return ast.Aggregate(op, None)
    return ast.Aggregate(op, parse_field_expression(stream))


def _group(stream: TokenStream, _: str) -> ast.Node:
    return ast.GroupOperation(parse_field_expression(stream))


def _coalesce(stream: TokenStream, _: str) -> ast.Node:
    return ast.CoalesceOperation()


def _select(stream: TokenStream, _: str) -> ast.Node:
    return ast.SelectOperation(_attribute_list(stream))


def _attribute_list(stream: TokenStream) -> tuple[ast.Attribute, ...]:
    attributes = [parse_attribute(stream)]
    while stream.accept_op(","):
        attributes.append(parse_attribute(stream))
    return tuple(attributes)


def _metrics(stream: TokenStream, name: str) -> ast.Node:
    op = MetricsOp(name)
    if op in (MetricsOp.RATE, MetricsOp.COUNT_OVER_TIME):
        return ast.MetricsAggregate(op)
    attribute = parse_attribute(stream)
    quantiles: list[float] = []
    if op is MetricsOp.QUANTILE_OVER_TIME:
        stream.expect_op(",", "and quantiles after the attribute, e.g. quantile_over_time(duration, .9)")
        quantiles.append(_number(stream))
        while stream.accept_op(","):
            quantiles.append(_number(stream))
    return ast.MetricsAggregate(op, attribute, (), tuple(quantiles))


def _number(stream: TokenStream) -> float:
    token = stream.current
    if token.kind not in (TokenKind.INT, TokenKind.FLOAT):
        raise stream.error("expected a number")
    stream.advance()
    assert isinstance(token.value, int | float)
    return float(token.value)


def _metrics_by(stream: TokenStream, node: ast.MetricsAggregate) -> ast.MetricsAggregate:
    stream.advance()
    stream.expect_op("(", "after by")
    by = _attribute_list(stream)
    stream.expect_op(")", "to close by(")
    return ast.MetricsAggregate(node.op, node.attribute, by, node.quantiles)


def _compare(stream: TokenStream, _: str) -> ast.Node:
    spanset_filter = parse_spanset_filter(stream)
    numbers: list[int] = []
    while stream.accept_op(","):
        numbers.append(stream.expect_int("an integer argument of compare()"))
    if len(numbers) == 0:
        return ast.MetricsCompare(spanset_filter)
    if len(numbers) == 1:
        return ast.MetricsCompare(spanset_filter, numbers[0])
    if len(numbers) == 3:
        return ast.MetricsCompare(spanset_filter, *numbers)
    raise stream.error("compare() takes a spanset filter and 1 or 3 integers", stream.current)


def _topk(stream: TokenStream, name: str) -> ast.Node:
    return ast.TopK(SecondStageOp(name), stream.expect_int(f"a positive integer limit for {name}()"))


_FUNCTIONS = {
    **dict.fromkeys([op.value for op in AggregateOp], _aggregate),
    "by": _group,
    "coalesce": _coalesce,
    "select": _select,
    **dict.fromkeys([op.value for op in MetricsOp], _metrics),
    "compare": _compare,
    "topk": _topk,
    "bottomk": _topk,
}
