"""Hand-written TraceQL tokenizer.

The one context-sensitive part is attributes: after `.`, `span.`, `resource.`, `parent.` ... every
character up to whitespace or an operator character belongs to the attribute name (so `.http.status`
and `.foo-bar/baz` are single names), with `"..."` segments for names containing such characters.
The lexer therefore emits a whole attribute as one ATTRIBUTE token.
"""

from __future__ import annotations

from tempo_py.traceql.durations import DURATION_CHARS, parse_duration
from tempo_py.traceql.enums import AttributeScope
from tempo_py.traceql.errors import TraceQLParseError
from tempo_py.traceql.tokens import AttributeRef, Token, TokenKind, TokenValue

_PUNCTUATION = ("{", "}", "(", ")", ",")
_COMPARISON_OPERATORS = ("=", "!=", "=~", "!~", ">", ">=", "<", "<=", "&&", "||", "!")
_ARITHMETIC_OPERATORS = ("+", "-", "*", "/", "%", "^")
_SPANSET_OPERATORS = ("|", ">>", "<<", "~", "!>", "!<", "!>>", "!<<", "&>", "&<", "&>>", "&<<", "&~")
# Longest first so `!>>` wins over `!>` and `!`.
_OPERATORS = sorted(
    {*_PUNCTUATION, *_COMPARISON_OPERATORS, *_ARITHMETIC_OPERATORS, *_SPANSET_OPERATORS},
    key=len,
    reverse=True,
)

# Characters that end an unquoted attribute name (besides whitespace).
_ATTRIBUTE_TERMINATORS = frozenset("{}()=~!<>&|^,")

ATTRIBUTE_DOT_SCOPES: dict[str, AttributeScope] = {
    "span": AttributeScope.SPAN,
    "resource": AttributeScope.RESOURCE,
    "event": AttributeScope.EVENT,
    "link": AttributeScope.LINK,
    "instrumentation": AttributeScope.INSTRUMENTATION,
}
COLON_SCOPES = frozenset({"trace", "span", "event", "link", "instrumentation"})
_STRING_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}
_MAX_INT = 2**63 - 1


def _is_digit(ch: str) -> bool:
    # ASCII only, as Go's lexer: str.isdigit() accepts '²', which int() then rejects (a 500).
    return len(ch) == 1 and "0" <= ch <= "9"


def is_attribute_char(ch: str) -> bool:
    """True when ``ch`` may appear in an unquoted attribute name."""
    return not ch.isspace() and ch not in _ATTRIBUTE_TERMINATORS


class _Lexer:
    def __init__(self, query: str) -> None:
        self.query = query
        self.pos = 0
        self.line = 1
        self.line_start = 0
        self.tokens: list[Token] = []

    def error(self, message: str, start: int, end: int | None = None) -> TraceQLParseError:
        line = self.query.count("\n", 0, start) + 1
        column = start - (self.query.rfind("\n", 0, start) + 1) + 1
        text = self.query[start : end if end is not None else start + 1]
        return TraceQLParseError(message, line, column, text.split("\n")[0], self.query)

    def emit(self, kind: TokenKind, start: int, value: TokenValue) -> None:
        line = self.query.count("\n", 0, start) + 1
        column = start - (self.query.rfind("\n", 0, start) + 1) + 1
        self.tokens.append(Token(kind, self.query[start : self.pos], value, start, line, column))

    def peek(self, ahead: int = 0) -> str:
        index = self.pos + ahead
        return self.query[index] if index < len(self.query) else ""

    def run(self) -> list[Token]:
        while True:
            while self.peek().isspace():
                self.pos += 1
            ch = self.peek()
            start = self.pos
            if not ch:
                self.emit(TokenKind.EOF, start, None)
                return self.tokens
            if _is_digit(ch) or (ch == "." and _is_digit(self.peek(1))):
                # `.9` is a number (as in Go's scanner); attribute names cannot start with a digit
                self.number()
            elif ch in '"`':
                self.emit_string()
            elif ch.isalpha() or ch == "_":
                self.word()
            elif ch == ".":
                self.pos += 1
                self.attribute(start, AttributeScope.NONE, parent=False)
            else:
                self.operator()

    def operator(self) -> None:
        start = self.pos
        for op in _OPERATORS:
            if self.query.startswith(op, start):
                self.pos += len(op)
                self.emit(TokenKind.OP, start, op)
                return
        raise self.error("unexpected character", start)

    def word(self) -> None:
        start = self.pos
        while self.peek().isalnum() or self.peek() == "_":
            self.pos += 1
        text = self.query[start : self.pos]
        if self.peek() == "." and (text in ATTRIBUTE_DOT_SCOPES or text == "parent"):
            self.pos += 1
            if text == "parent":
                self.attribute(start, AttributeScope.NONE, parent=True)
            else:
                self.attribute(start, ATTRIBUTE_DOT_SCOPES[text], parent=False)
        elif self.peek() == ":" and text in COLON_SCOPES:
            self.pos += 1
            self.emit(TokenKind.SCOPE_COLON, start, text)
        else:
            self.emit(TokenKind.WORD, start, text)

    def attribute(self, start: int, scope: AttributeScope, parent: bool) -> None:
        if parent:
            # `parent.span.x` / `parent.resource.x`: a scope may follow `parent.` only, unquoted.
            for word in ("span", "resource"):
                if self.query.startswith(word + ".", self.pos):
                    self.pos += len(word) + 1
                    scope = ATTRIBUTE_DOT_SCOPES[word]
                    break
        name = self.attribute_name()
        if not name:
            raise self.error("expected an attribute name", start, self.pos)
        self.emit(TokenKind.ATTRIBUTE, start, AttributeRef(scope, name, parent))

    def attribute_name(self) -> str:
        parts: list[str] = []
        while True:
            ch = self.peek()
            if ch == '"':
                parts.append(self.quoted_attribute())
            elif ch and is_attribute_char(ch):
                parts.append(ch)
                self.pos += 1
            else:
                return "".join(parts)

    def quoted_attribute(self) -> str:
        start = self.pos
        self.pos += 1
        parts: list[str] = []
        while True:
            ch = self.peek()
            if not ch:
                raise self.error('unterminated quoted attribute name, expected "', start, self.pos)
            self.pos += 1
            if ch == '"':
                return "".join(parts)
            if ch == "\\":
                escaped = self.peek()
                if escaped not in ('"', "\\"):
                    raise self.error(
                        'invalid escape in attribute name, only \\" and \\\\ allowed', self.pos - 1
                    )
                parts.append(escaped)
                self.pos += 1
            else:
                parts.append(ch)

    def number(self) -> None:
        start = self.pos
        while _is_digit(self.peek()):
            self.pos += 1
        is_float = start == self.pos  # a leading "." as in `.9`
        if self.peek() == "." and _is_digit(self.peek(1)):
            is_float = True
            self.pos += 1
            while _is_digit(self.peek()):
                self.pos += 1
        if self.peek() in ("e", "E") and (
            _is_digit(self.peek(1)) or (self.peek(1) in ("+", "-") and _is_digit(self.peek(2)))
        ):
            is_float = True
            self.pos += 2
            while _is_digit(self.peek()):
                self.pos += 1
        if self.try_duration(start):
            return
        text = self.query[start : self.pos]
        if is_float:
            value = float(text)
            if value in (float("inf"), float("-inf")):
                raise self.error("float literal out of range", start, self.pos)
            self.emit(TokenKind.FLOAT, start, value)
            return
        integer = int(text)
        if integer > _MAX_INT:
            raise self.error("integer literal out of range", start, self.pos)
        self.emit(TokenKind.INT, start, integer)

    def try_duration(self, start: int) -> bool:
        # A number directly followed by unit letters/digits is a duration literal if the whole run
        # parses as one (`1h30m`); otherwise the run is left for the next token.
        end = self.pos
        while end < len(self.query) and self.query[end] in DURATION_CHARS:
            end += 1
        if end == self.pos:
            return False
        nanos = parse_duration(self.query[start:end])
        if nanos is None:
            return False
        self.pos = end
        self.emit(TokenKind.DURATION, start, nanos)
        return True

    def emit_string(self) -> None:
        start = self.pos
        quote = self.peek()
        self.pos += 1
        parts: list[str] = []
        while True:
            ch = self.peek()
            if not ch or (ch == "\n" and quote == '"'):
                raise self.error("unterminated string literal", start, self.pos)
            self.pos += 1
            if ch == quote:
                break
            if ch == "\\" and quote == '"':
                parts.append(self.string_escape())
            else:
                parts.append(ch)
        self.emit(TokenKind.STRING, start, "".join(parts))

    def string_escape(self) -> str:
        at = self.pos - 1
        ch = self.peek()
        if not ch:
            raise self.error("unterminated string literal", at)
        self.pos += 1
        if ch in _STRING_ESCAPES:
            return _STRING_ESCAPES[ch]
        if ch in ('"', "\\"):
            return ch
        digits = {"x": 2, "u": 4, "U": 8}.get(ch)
        base = 16
        if digits is None and ch in "01234567":
            digits, base = 3, 8
            self.pos -= 1
        if digits is None:
            raise self.error("invalid escape sequence in string", at, self.pos)
        code_text = self.query[self.pos : self.pos + digits]
        try:
            code = int(code_text, base) if len(code_text) == digits else -1
        except ValueError:
            code = -1
        if not 0 <= code <= 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            raise self.error("invalid escape sequence in string", at, self.pos + digits)
        self.pos += digits
        return chr(code)


def tokenize(query: str) -> list[Token]:
    """Split ``query`` into tokens, ending with an EOF token; raise TraceQLParseError on bad input."""
    return _Lexer(query).run()
