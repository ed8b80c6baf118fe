"""Tokenizer: durations, numbers, strings, attribute names."""

from __future__ import annotations

import pytest

from tempo_py.traceql.durations import format_duration, parse_duration
from tempo_py.traceql.enums import AttributeScope
from tempo_py.traceql.errors import TraceQLParseError
from tempo_py.traceql.lexer import tokenize
from tempo_py.traceql.tokens import AttributeRef, TokenKind

S = 1_000_000_000


@pytest.mark.parametrize(
    ("text", "nanos"),
    [
        ("1ns", 1),
        ("2us", 2_000),
        ("3µs", 3_000),
        ("4ms", 4_000_000),
        ("5s", 5 * S),
        ("6m", 360 * S),
        ("7h", 7 * 3600 * S),
        ("1h30m", 5400 * S),
        ("1.5s", 1_500_000_000),
        ("1d", 86400 * S),
        ("2w", 14 * 86400 * S),
        ("1m30s500ms", 90 * S + 500_000_000),
    ],
)
def test_duration_literals(text: str, nanos: int) -> None:
    tokens = tokenize(text)
    assert tokens[0].kind is TokenKind.DURATION
    assert tokens[0].value == nanos
    assert tokens[1].kind is TokenKind.EOF


@pytest.mark.parametrize("nanos", [1, 999, 1_000, 1_500_000_000, 5400 * S, 90061 * S + 7, 0])
def test_duration_format_round_trips(nanos: int) -> None:
    assert parse_duration(format_duration(nanos)) == nanos


def test_duration_format_is_compact() -> None:
    assert format_duration(5400 * S) == "1h30m"
    assert format_duration(1_500_000_000) == "1s500ms"
    assert format_duration(-2 * S) == "-2s"


def test_number_followed_by_non_unit_is_not_a_duration() -> None:
    kinds = [t.kind for t in tokenize("10)")]
    assert kinds == [TokenKind.INT, TokenKind.OP, TokenKind.EOF]
    assert [t.kind for t in tokenize("1s*2s")][:3] == [TokenKind.DURATION, TokenKind.OP, TokenKind.DURATION]


def test_floats_and_exponents() -> None:
    assert tokenize("0.9")[0].value == 0.9
    assert tokenize("1e+16")[0].value == 1e16
    assert tokenize("2.5e-3")[0].kind is TokenKind.FLOAT


def test_integer_overflow_is_an_error() -> None:
    with pytest.raises(TraceQLParseError, match="out of range"):
        tokenize("100000000000000000000000000000")


@pytest.mark.parametrize(
    ("text", "value"),
    [
        (r'"a\"b"', 'a"b'),
        (r'"tab\there"', "tab\there"),
        (r'"\x41\u00e9\101"', "AéA"),
        ('`raw \\n "quotes"`', 'raw \\n "quotes"'),
        ('"µs ünïcode"', "µs ünïcode"),
    ],
)
def test_string_literals(text: str, value: str) -> None:
    token = tokenize(text)[0]
    assert token.kind is TokenKind.STRING
    assert token.value == value


@pytest.mark.parametrize("text", ['"open', '"bad \\q escape"', '"line\nbreak"'])
def test_bad_strings(text: str) -> None:
    with pytest.raises(TraceQLParseError):
        tokenize(text)


@pytest.mark.parametrize(
    ("text", "ref"),
    [
        (".foo", AttributeRef(AttributeScope.NONE, "foo")),
        ("span.http.status_code", AttributeRef(AttributeScope.SPAN, "http.status_code")),
        ("resource.service.name", AttributeRef(AttributeScope.RESOURCE, "service.name")),
        ("event.exception.type", AttributeRef(AttributeScope.EVENT, "exception.type")),
        ("link.x", AttributeRef(AttributeScope.LINK, "x")),
        ("instrumentation.lib", AttributeRef(AttributeScope.INSTRUMENTATION, "lib")),
        ("parent.foo", AttributeRef(AttributeScope.NONE, "foo", parent=True)),
        ("parent.span.foo", AttributeRef(AttributeScope.SPAN, "foo", parent=True)),
        ("parent.resource.foo", AttributeRef(AttributeScope.RESOURCE, "foo", parent=True)),
        ('span."foo bar"', AttributeRef(AttributeScope.SPAN, "foo bar")),
        ('."a\\"b"', AttributeRef(AttributeScope.NONE, 'a"b')),
        ('.k8s."pod name".x', AttributeRef(AttributeScope.NONE, "k8s.pod name.x")),
        (".foo-bar/baz:1", AttributeRef(AttributeScope.NONE, "foo-bar/baz:1")),
    ],
)
def test_attribute_tokens(text: str, ref: AttributeRef) -> None:
    token = tokenize(text)[0]
    assert token.kind is TokenKind.ATTRIBUTE
    assert token.value == ref
    assert token.text == text


def test_attribute_name_ends_at_operator_characters() -> None:
    tokens = tokenize(".a=1")
    assert [t.text for t in tokens] == [".a", "=", "1", ""]


def test_scoped_intrinsic_tokens() -> None:
    tokens = tokenize("span:duration")
    assert tokens[0].kind is TokenKind.SCOPE_COLON and tokens[0].value == "span"
    assert tokens[1].kind is TokenKind.WORD and tokens[1].text == "duration"


def test_longest_operator_wins() -> None:
    assert [t.text for t in tokenize("!>> &<< != !~ &&")][:-1] == ["!>>", "&<<", "!=", "!~", "&&"]


def test_token_positions_are_one_based_lines_and_columns() -> None:
    tokens = tokenize('{\n  .a = "x"\n}')
    by_text = {t.text: (t.line, t.column) for t in tokens}
    assert by_text["{"] == (1, 1)
    assert by_text[".a"] == (2, 3)
    assert by_text['"x"'] == (2, 8)
    assert by_text["}"] == (3, 1)
