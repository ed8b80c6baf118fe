"""Validation and support checks beyond the conformance corpus."""

from __future__ import annotations

import pytest

from tempo_py.traceql import (
    Pipeline,
    SpansetFilter,
    StaticType,
    TraceQLUnsupportedError,
    TraceQLValidationError,
    check_supported,
    parse,
    parse_and_validate,
    validate,
)
from tempo_py.traceql.types import infer_type


@pytest.mark.parametrize(
    "query",
    [
        "{ .a =~ .b }",  # regex needs a literal pattern
        '{ .a =~ "(" }',
        "{ 1 + true = 2 }",
        '{ span:childCount > "x" }',
        '{ kind = "server" }',
        "{ status = server }",
        "{ } | avg(name) > 1",
        "{ } | by(1 + 2)",
        "{ span:id = nil }",
        "{ } | rate() | bottomk(0)",
        "{ } | compare({ .a }) | topk(2)",
    ],
)
def test_rejected(query: str) -> None:
    with pytest.raises(TraceQLValidationError):
        validate(parse(query))


@pytest.mark.parametrize(
    "query",
    [
        '{ .a =~ "a.*" && name !~ "^b" }',
        "{ .a != nil && name != nil }",
        "{ resource.service.name != nil }",
        "{ resource.other = nil }",
        "{ duration > 100ms && duration < 1.5s * 2 }",
        '{ .http.status >= "200" }',
        "{ } | count() > 2 | avg(duration) < 1s",
        "{ } | by(resource.service.name) | max(span.bytes / 1024) > 10",
        "{ } | compare({ status = error }, 5)",
    ],
)
def test_accepted(query: str) -> None:
    root = parse_and_validate(query)
    check_supported(root)


@pytest.mark.parametrize(
    ("expr", "static_type"),
    [
        ("1 + 2", StaticType.INT),
        (".a + 1.5", StaticType.FLOAT),
        ("duration * 2", StaticType.DURATION),
        (".a = 1", StaticType.BOOL),
        (".a", StaticType.ATTRIBUTE),
        ("status", StaticType.STATUS),
        ("-span:childCount", StaticType.INT),
    ],
)
def test_infer_type(expr: str, static_type: StaticType) -> None:
    root = parse(f"{{ {expr} }}")
    assert isinstance(root.query, Pipeline)
    stage = root.query.stages[0]
    assert isinstance(stage, SpansetFilter)
    assert infer_type(stage.expr) is static_type


@pytest.mark.parametrize(
    "query",
    [
        "{ } | count() > max(duration)",
        "{ } | count() * 2 > 1",
        "2 < count()",
        "({ .a } | count()) > 1",
        "{ } | select(parent.foo)",
        "{ } | by(parent) | count() > 1",
    ],
)
def test_unsupported(query: str) -> None:
    root = parse_and_validate(query)
    with pytest.raises(TraceQLUnsupportedError):
        check_supported(root)
