"""TraceQL parser entry point: text -> tokens -> raw operator tree -> typed RootExpr."""

from __future__ import annotations

from tempo_py.traceql import ast
from tempo_py.traceql.field_parser import literal_static
from tempo_py.traceql.lexer import tokenize
from tempo_py.traceql.pipeline_parser import parse_raw
from tempo_py.traceql.shaper import Shaper
from tempo_py.traceql.stream import TokenStream
from tempo_py.traceql.tokens import TokenKind


def parse(query: str) -> ast.RootExpr:
    """Parse a TraceQL query into its AST; raise TraceQLParseError (with position) if it is not valid.

    Parsing checks syntax and the pipeline grammar only; call ``validate`` for type checks.
    """
    stream = TokenStream(query, tokenize(query))
    if stream.at_end():
        raise stream.error("empty query, expected a spanset filter such as { }")
    raw = parse_raw(stream)
    hints = _parse_hints(stream) if stream.current.is_word("with") else None
    if not stream.at_end():
        raise stream.error("expected an operator, a pipe or the end of the query")
    return ast.RootExpr(Shaper(stream).root(raw), hints)


def _parse_hints(stream: TokenStream) -> ast.Hints:
    stream.advance()
    stream.expect_op("(", "after with")
    hints = [_parse_hint(stream)]
    while stream.accept_op(","):
        hints.append(_parse_hint(stream))
    stream.expect_op(")", "to close with(")
    return ast.Hints(tuple(hints))


def _parse_hint(stream: TokenStream) -> ast.Hint:
    name = stream.current
    if name.kind is not TokenKind.WORD:
        raise stream.error("expected a hint name")
    stream.advance()
    stream.expect_op("=", f"after hint {name.text}")
    value = literal_static(stream.current)
    if value is None:
        raise stream.error(f"expected a value for hint {name.text}")
    stream.advance()
    return ast.Hint(name.text, value)
