"""Precedence-climbing parser for field expressions: the insides of `{ }`, aggregates and `by()`.

Binding, loosest first: `&&` and `||` (one level, left-associative, as in Tempo's yacc grammar:
`a || b && c` is `(a || b) && c`) < comparisons (`= != < <= > >= =~ !~`) < `+ -` < `* / %` <
prefix `! -` < `^` (right-associative).
"""

from __future__ import annotations

from tempo_py.traceql import ast
from tempo_py.traceql.enums import (
    FIELD_OPS,
    KIND_VALUES,
    SCOPED_INTRINSICS,
    STATUS_VALUES,
    UNSCOPED_INTRINSICS,
    AttributeScope,
    Op,
    StaticType,
)
from tempo_py.traceql.printer import BINARY_PRECEDENCE, RIGHT_ASSOCIATIVE, UNARY_PRECEDENCE
from tempo_py.traceql.stream import TokenStream
from tempo_py.traceql.tokens import AttributeRef, Token, TokenKind

_WORD_STATICS: dict[str, ast.Static] = {
    "true": ast.Static(StaticType.BOOL, True),
    "false": ast.Static(StaticType.BOOL, False),
    "nil": ast.Static(StaticType.NIL, None),
    "minInt": ast.Static(StaticType.INT, -(2**63)),
    "maxInt": ast.Static(StaticType.INT, 2**63 - 1),
    **{word: ast.Static(StaticType.STATUS, word) for word in STATUS_VALUES},
    **{word: ast.Static(StaticType.KIND, word) for word in KIND_VALUES},
}
_NIL = ast.Static(StaticType.NIL, None)


def parse_field_expression(stream: TokenStream) -> ast.FieldExpr:
    """Parse one field expression at the stream's position (stopping before `}`, `)` or `,`)."""
    expr = _parse(stream, 0)
    if expr == _NIL:
        raise stream.error("nil can only be compared with = or !=", stream.tokens[stream.index - 1])
    return expr


def _parse(stream: TokenStream, min_prec: int) -> ast.FieldExpr:
    lhs = _prefix(stream)
    while True:
        token = stream.current
        op = FIELD_OPS.get(token.text) if token.kind is TokenKind.OP else None
        if op is None or BINARY_PRECEDENCE[op] < min_prec:
            return lhs
        stream.advance()
        prec = BINARY_PRECEDENCE[op]
        rhs = _parse(stream, prec if op in RIGHT_ASSOCIATIVE else prec + 1)
        if _NIL in (lhs, rhs) and op not in (Op.EQ, Op.NEQ):
            raise stream.error("nil can only be compared with = or !=", token)
        lhs = ast.BinaryOperation(op, lhs, rhs)


def _prefix(stream: TokenStream) -> ast.FieldExpr:
    token = stream.current
    if token.is_op("-", "!"):
        stream.advance()
        operand = _parse(stream, UNARY_PRECEDENCE)
        if operand == _NIL:
            raise stream.error("nil can only be compared with = or !=", token)
        if token.text == "-":
            return negate(operand)
        return ast.UnaryOperation(Op.NOT, operand)
    if token.is_op("("):
        stream.advance()
        inner = _parse(stream, 0)
        stream.expect_op(")", "to close the parenthesis")
        return inner
    return parse_operand(stream)


def negate(operand: ast.FieldExpr) -> ast.FieldExpr:
    """`-operand`, folded into the literal for numeric statics so `-1` is the static -1."""
    if isinstance(operand, ast.Static) and operand.type in (
        StaticType.INT,
        StaticType.FLOAT,
        StaticType.DURATION,
    ):
        value = operand.value
        assert isinstance(value, int | float) and not isinstance(value, bool)
        if operand.type is not StaticType.INT or value != -(2**63):  # -minInt overflows, keep it explicit
            return ast.Static(operand.type, -value)
    return ast.UnaryOperation(Op.SUB, operand)


def parse_operand(stream: TokenStream) -> ast.Static | ast.Attribute:
    """A literal, attribute or intrinsic."""
    token = stream.current
    literal = literal_static(token)
    if literal is not None:
        stream.advance()
        return literal
    attribute = parse_attribute_or_none(stream)
    if attribute is not None:
        return attribute
    if token.kind is TokenKind.WORD:
        raise stream.error(
            f'unknown identifier "{token.text}"; custom attributes need a scope, e.g. .{token.text} '
            f"or span.{token.text}",
            token,
        )
    raise stream.error("expected a value, attribute or intrinsic")


def literal_static(token: Token) -> ast.Static | None:
    """The Static for a literal token (string, number, duration, true, ok, server...), else None."""
    value = token.value
    if isinstance(value, AttributeRef):
        return None
    match token.kind:
        case TokenKind.STRING:
            return ast.Static(StaticType.STRING, value)
        case TokenKind.INT:
            return ast.Static(StaticType.INT, value)
        case TokenKind.FLOAT:
            return ast.Static(StaticType.FLOAT, value)
        case TokenKind.DURATION:
            return ast.Static(StaticType.DURATION, value)
        case TokenKind.WORD:
            return _WORD_STATICS.get(token.text)
    return None


def parse_attribute_or_none(stream: TokenStream) -> ast.Attribute | None:
    """Parse an attribute or intrinsic at the current token, or return None if there is none."""
    token = stream.current
    if token.kind is TokenKind.ATTRIBUTE:
        stream.advance()
        ref = token.value
        assert isinstance(ref, AttributeRef)
        return ast.Attribute(ref.scope, ref.name, ref.parent)
    if token.kind is TokenKind.WORD and token.text in UNSCOPED_INTRINSICS:
        stream.advance()
        return intrinsic_attribute(UNSCOPED_INTRINSICS[token.text].value)
    if token.kind is TokenKind.SCOPE_COLON:
        stream.advance()
        name = stream.current
        spelled = f"{token.value}:{name.text}"
        if name.kind is not TokenKind.WORD or spelled not in SCOPED_INTRINSICS:
            raise stream.error(
                f'unknown intrinsic "{spelled}"', name if name.kind is TokenKind.WORD else None
            )
        stream.advance()
        return intrinsic_attribute(spelled)
    return None


def parse_attribute(stream: TokenStream) -> ast.Attribute:
    """Parse an attribute or intrinsic, or raise a parse error."""
    attribute = parse_attribute_or_none(stream)
    if attribute is None:
        raise stream.error("expected an attribute or intrinsic")
    return attribute


def intrinsic_attribute(canonical: str) -> ast.Attribute:
    """The Attribute node of the intrinsic whose canonical spelling is ``canonical``."""
    intrinsic = SCOPED_INTRINSICS.get(canonical) or UNSCOPED_INTRINSICS[canonical]
    scope_text, _, name = canonical.rpartition(":")
    return ast.Attribute(AttributeScope(scope_text), name, False, intrinsic)
