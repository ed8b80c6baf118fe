"""Tokens produced by the TraceQL lexer."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from tempo_py.traceql.enums import AttributeScope


class TokenKind(Enum):
    """Lexical categories; operators and punctuation are all OP and told apart by text."""

    EOF = "end of query"
    WORD = "word"  # keywords, intrinsic names, function names, enum values
    STRING = "string"
    INT = "integer"
    FLOAT = "float"
    DURATION = "duration"
    ATTRIBUTE = "attribute"  # a whole `.foo`, `span."a b"`, `parent.resource.x`
    SCOPE_COLON = "scope"  # `span:`, `trace:` ...; the intrinsic name follows as a WORD
    OP = "operator"  # operators and punctuation: { } ( ) , = != && | ...


@dataclass(frozen=True)
class AttributeRef:
    """The value of an ATTRIBUTE token."""

    scope: AttributeScope
    name: str
    parent: bool = False


TokenValue = str | int | float | AttributeRef | None


@dataclass(frozen=True)
class Token:
    """One token: kind, raw source text, decoded value and 1-based position of its first character."""

    kind: TokenKind
    text: str
    value: TokenValue
    offset: int
    line: int
    column: int

    def is_op(self, *texts: str) -> bool:
        """True for an OP/punctuation token spelled as one of ``texts``."""
        return self.kind is TokenKind.OP and self.text in texts

    def is_word(self, *words: str) -> bool:
        """True for a WORD token spelled as one of ``words``."""
        return self.kind is TokenKind.WORD and self.text in words
