"""Cursor over the token list, shared by the field-expression and pipeline parsers."""

from __future__ import annotations

from tempo_py.traceql.errors import TraceQLParseError
from tempo_py.traceql.tokens import Token, TokenKind


class TokenStream:
    """Tokens of one query with a read position and error construction that knows the query text."""

    def __init__(self, query: str, tokens: list[Token]) -> None:
        self.query = query
        self.tokens = tokens
        self.index = 0

    @property
    def current(self) -> Token:
        """The next unread token (the EOF token at the end)."""
        return self.tokens[self.index]

    def at_end(self) -> bool:
        """True when every token but EOF has been consumed."""
        return self.current.kind is TokenKind.EOF

    def peek(self, ahead: int = 1) -> Token:
        """The token ``ahead`` positions after the current one (EOF past the end)."""
        return self.tokens[min(self.index + ahead, len(self.tokens) - 1)]

    def advance(self) -> Token:
        """Consume and return the current token."""
        token = self.current
        if token.kind is not TokenKind.EOF:
            self.index += 1
        return token

    def accept_op(self, text: str) -> Token | None:
        """Consume the current token if it is the operator/punctuation ``text``."""
        return self.advance() if self.current.is_op(text) else None

    def expect_op(self, text: str, context: str = "") -> Token:
        """Consume the operator/punctuation ``text`` or raise a parse error naming it."""
        if self.current.is_op(text):
            return self.advance()
        suffix = f" {context}" if context else ""
        raise self.error(f'expected "{text}"{suffix}')

    def expect_int(self, what: str) -> int:
        """Consume an integer literal or raise a parse error describing ``what`` was expected."""
        if self.current.kind is not TokenKind.INT:
            raise self.error(f"expected {what}")
        value = self.advance().value
        assert isinstance(value, int)
        return value

    def error(self, message: str, token: Token | None = None) -> TraceQLParseError:
        """A parse error located at ``token`` (default: the current token)."""
        at = token or self.current
        found = f", found {describe(at)}" if token is None else ""
        return TraceQLParseError(message + found, at.line, at.column, at.text, self.query)


def describe(token: Token) -> str:
    """Human description of a token for "expected X, found Y" messages."""
    if token.kind is TokenKind.EOF:
        return "end of query"
    if token.kind in (TokenKind.OP, TokenKind.WORD):
        return f'"{token.text}"'
    return f"{token.kind.value} {token.text}"
