"""Errors raised by the TraceQL front end.

Three kinds, because callers react differently to each: a parse error points at a place in the query
text (HTTP 400 with a caret snippet), a validation error names a semantic problem in a query that is
well-formed (400), and an unsupported error names a construct that is valid TraceQL but that this
backend cannot evaluate yet (also 400, but the user should not rewrite their query, only wait).
"""

from __future__ import annotations


class TraceQLError(Exception):
    """Base class of every error the TraceQL front end raises."""


class TraceQLParseError(TraceQLError):
    """The query text is not valid TraceQL.

    ``line`` and ``column`` are 1-based and point at the first character of ``token``, the offending
    token's source text ("" when the problem is the end of the query). When the query text is known,
    ``str()`` adds the offending line and a caret line under the token.
    """

    def __init__(self, message: str, line: int, column: int, token: str, query: str = "") -> None:
        self.message = message
        self.line = line
        self.column = column
        self.token = token
        self.query = query
        super().__init__(self._render())

    def _render(self) -> str:
        where = f'near "{self.token}"' if self.token else "at end of query"
        head = f"parse error at line {self.line}, column {self.column} {where}: {self.message}"
        snippet = caret_snippet(self.query, self.line, self.column, len(self.token))
        return f"{head}\n{snippet}" if snippet else head

    def __reduce__(self) -> tuple[type[TraceQLParseError], tuple[str, int, int, str, str]]:
        # Exceptions with extra constructor arguments need this to survive pickling (worker processes).
        return (type(self), (self.message, self.line, self.column, self.token, self.query))


class TraceQLValidationError(TraceQLError):
    """The query parses, but it is semantically wrong (types, references, limits)."""


class TraceQLUnsupportedError(TraceQLError):
    """The query is valid TraceQL that this backend cannot evaluate; the message starts with
    "not supported: "."""

    def __init__(self, feature: str) -> None:
        self.feature = feature
        super().__init__(f"not supported: {feature}")

    def __reduce__(self) -> tuple[type[TraceQLUnsupportedError], tuple[str]]:
        return (type(self), (self.feature,))


def caret_snippet(query: str, line: int, column: int, width: int) -> str:
    """Return the query's ``line`` followed by a caret line marking ``width`` characters from ``column``.

    Tabs before the caret are kept so the caret lines up under the token in a terminal. Returns "" when
    ``line`` is outside the query.
    """
    lines = query.split("\n")
    if not query or not 1 <= line <= len(lines):
        return ""
    text = lines[line - 1]
    prefix = "".join(ch if ch == "\t" else " " for ch in text[: column - 1])
    span = max(1, min(width, len(text) - (column - 1)))
    return f"{text}\n{prefix}{'^' * span}"
