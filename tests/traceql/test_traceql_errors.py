"""Error reporting: positions, offending token, caret snippets, error classes."""

from __future__ import annotations

import pickle

import pytest

from tempo_py.traceql import (
    TraceQLParseError,
    TraceQLUnsupportedError,
    TraceQLValidationError,
    check_supported,
    parse,
    parse_and_validate,
)


def _parse_error(query: str) -> TraceQLParseError:
    with pytest.raises(TraceQLParseError) as info:
        parse(query)
    return info.value


def test_message_format_with_caret() -> None:
    err = _parse_error("{ .a = 1 } && && { .b }")
    assert (err.line, err.column, err.token) == (1, 15, "&&")
    lines = str(err).split("\n")
    assert lines[0].startswith('parse error at line 1, column 15 near "&&": ')
    assert lines[1] == "{ .a = 1 } && && { .b }"
    assert lines[2] == "              ^^"


def test_multi_line_query_points_at_the_right_line() -> None:
    query = '{ resource.service.name = "api" }\n  | by(span.route)\n  | count() >> 3'
    err = _parse_error(query)
    assert (err.line, err.column, err.token) == (3, 13, ">>")
    lines = str(err).split("\n")
    assert lines[1] == "  | count() >> 3"
    assert lines[2] == "            ^^"


def test_tabs_are_kept_in_the_caret_line() -> None:
    err = _parse_error("{\t.a = }")
    assert (err.line, err.column) == (1, 8)
    assert str(err).split("\n")[2] == " \t     ^"


def test_end_of_query() -> None:
    err = _parse_error("{ .a < 3")
    assert err.token == ""
    assert err.column == 9
    assert "at end of query" in str(err)
    assert 'expected "}"' in err.message


@pytest.mark.parametrize(
    ("query", "token", "fragment"),
    [
        ("{ attribute = 4 }", "attribute", "unknown identifier"),
        ("{ true } + { true }", "+", "cannot combine a spanset and a spanset"),
        ("{ true } | count()", "count", "must be compared"),
        ("coalesce() | { true }", "coalesce", "cannot start with coalesce()"),
        ("{} | topk(10)", "topk", "must follow a metrics function"),
        ("({} | rate()) * 10s", "*", "durations"),
        ("{ trace:status = error }", "status", "unknown intrinsic"),
        ("{ span. }", "span.", "attribute name"),
        ("{ .a = 1 } extra", "extra", "end of the query"),
        ("[ true ]", "[", "unexpected character"),
        ("", "", "empty query"),
    ],
)
def test_offending_token_and_message(query: str, token: str, fragment: str) -> None:
    err = _parse_error(query)
    assert err.token == token
    assert fragment in err.message


def test_parse_error_pickles() -> None:
    err = _parse_error("{ .a = }")
    clone = pickle.loads(pickle.dumps(err))
    assert str(clone) == str(err)


def test_validation_error() -> None:
    with pytest.raises(TraceQLValidationError, match="same type"):
        parse_and_validate('{ 1 + "a" = 1 }')


def test_unsupported_error_message() -> None:
    with pytest.raises(TraceQLUnsupportedError, match=r"^not supported: parent"):
        check_supported(parse_and_validate("{ parent.a != 3 }"))
