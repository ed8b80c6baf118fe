"""TraceQL regexes (`=~`, `!~`) on RE2, a linear-time engine.

Tempo evaluates these with Go's regexp, whose syntax is RE2's and whose matching time is linear in
the input. Python's ``re`` backtracks: `"aaaa…" =~ "(a+)+b"` doubles its time per character, so one
query could freeze the server. Every Python-side match therefore goes through the ``google-re2``
binding (Arrow's ``match_substring_regex`` is RE2 already). That binding never falls back to ``re``:
a pattern RE2 cannot run (lookaround, back-references, ``\\Z``, repetition over 1000) raises
``re2.error``, which :func:`compile_regex` turns into a validation error (HTTP 400).

Matching is whole-string (both ends anchored), as Tempo's `=~` is.
"""

from __future__ import annotations

import functools
from typing import Protocol

import re2

from tempo_py.traceql import ast
from tempo_py.traceql.enums import Op, StaticType
from tempo_py.traceql.errors import TraceQLValidationError
from tempo_py.traceql.walk import walk


class CompiledRegex(Protocol):
    """The part of a compiled ``re2`` pattern this package uses (re2 ships no type hints)."""

    def fullmatch(self, text: str) -> object | None:
        """A match object when the whole of ``text`` matches, else None."""


def _options() -> re2.Options:
    options = re2.Options()
    # RE2 prints every rejected pattern to stderr by default; a bad query is the user's error, not
    # a server event worth a log line, and the message travels back in the 400 instead.
    options.log_errors = False
    return options


_OPTIONS = _options()


@functools.lru_cache(maxsize=256)
def compile_regex(pattern: str) -> CompiledRegex:
    """Compile a TraceQL regex with RE2; raise TraceQLValidationError naming the problem if RE2
    cannot run it. Cached: the same literal is matched against every block and live table."""
    try:
        compiled: CompiledRegex = re2.compile(pattern, _OPTIONS)
    except re2.error as exc:
        raise TraceQLValidationError(
            f"invalid regex {pattern!r}: {_reason(exc)} (TraceQL regexes use RE2/Go syntax: "
            "lookahead, lookbehind and back-references are not supported)"
        ) from exc
    return compiled


def _reason(exc: Exception) -> str:
    # The binding's error carries RE2's message as bytes, e.g. b'invalid perl operator: (?='.
    raw = exc.args[0] if exc.args else ""
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)


def full_match(pattern: str, text: str) -> bool:
    """Whether the whole of ``text`` matches ``pattern`` (anchored at both ends, as Tempo's `=~`)."""
    return compile_regex(pattern).fullmatch(text) is not None


def check_regexes(node: ast.Node) -> None:
    """Compile every regex literal under ``node``; raise TraceQLValidationError for one RE2 cannot
    run. For paths that parse without full validation (tag autocomplete's ``q``), so a bad pattern
    is a 400 before any block is read rather than an error halfway through a scan."""
    for n in walk(node):
        if (
            isinstance(n, ast.BinaryOperation)
            and n.op in (Op.REGEX, Op.NOT_REGEX)
            and isinstance(n.rhs, ast.Static)
            and n.rhs.type is StaticType.STRING
        ):
            compile_regex(str(n.rhs.value))
