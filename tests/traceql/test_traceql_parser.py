"""Parser: precedence, AST shapes, literals, quoting, structural operators, metrics, hints."""

from __future__ import annotations

import pytest

from tempo_py.traceql import (
    Aggregate,
    AggregateOp,
    Attribute,
    AttributeScope,
    BinaryOperation,
    GroupOperation,
    Intrinsic,
    MetricsAggregate,
    MetricsFilter,
    MetricsMath,
    MetricsOp,
    MetricsPipeline,
    MetricsSecondStage,
    Op,
    Pipeline,
    ScalarFilter,
    ScalarOperation,
    SecondStageOp,
    SpansetFilter,
    SpansetOperation,
    Static,
    StaticType,
    TopK,
    UnaryOperation,
    parse,
    to_traceql,
)
from tempo_py.traceql.ast import FieldExpr


def _filter_expr(query: str) -> FieldExpr:
    root = parse(query)
    assert isinstance(root.query, Pipeline)
    stage = root.query.stages[0]
    assert isinstance(stage, SpansetFilter)
    return stage.expr


def attr(name: str) -> Attribute:
    return Attribute(AttributeScope.NONE, name)


def num(value: int) -> Static:
    return Static(StaticType.INT, value)


def test_and_or_equal_precedence_left_associative() -> None:
    # Tempo's expr.y: `%left AND OR`, so the leftmost operator binds first whichever it is
    a, b, c = (BinaryOperation(Op.EQ, attr(n), num(i)) for n, i in (("a", 1), ("b", 2), ("c", 3)))
    or_then_and = _filter_expr("{ .a = 1 || .b = 2 && .c = 3 }")
    assert or_then_and == BinaryOperation(Op.AND, BinaryOperation(Op.OR, a, b), c)
    and_then_or = _filter_expr("{ .a = 1 && .b = 2 || .c = 3 }")
    assert and_then_or == BinaryOperation(Op.OR, BinaryOperation(Op.AND, a, b), c)
    explicit = _filter_expr("{ .a = 1 || (.b = 2 && .c = 3) }")
    assert explicit == BinaryOperation(Op.OR, a, BinaryOperation(Op.AND, b, c))
    for expr in (or_then_and, and_then_or, explicit):
        assert _filter_expr(str(SpansetFilter(expr))) == expr
    assert str(SpansetFilter(explicit)) == "{ .a = 1 || (.b = 2 && .c = 3) }"
    assert str(SpansetFilter(or_then_and)) == "{ .a = 1 || .b = 2 && .c = 3 }"


def test_arithmetic_precedence_and_associativity() -> None:
    expr = _filter_expr("{ 1 + 2 * 3 - 4 = .x }")
    expected = BinaryOperation(
        Op.SUB, BinaryOperation(Op.ADD, num(1), BinaryOperation(Op.MUL, num(2), num(3))), num(4)
    )
    assert expr == BinaryOperation(Op.EQ, expected, attr("x"))
    power = _filter_expr("{ 2 ^ 3 ^ 2 = .x }")
    assert isinstance(power, BinaryOperation)
    assert power.lhs == BinaryOperation(Op.POW, num(2), BinaryOperation(Op.POW, num(3), num(2)))


def test_unary_operators() -> None:
    assert _filter_expr("{ -1 = .a }") == BinaryOperation(Op.EQ, num(-1), attr("a"))
    assert _filter_expr("{ -.a = 2 }") == BinaryOperation(Op.EQ, UnaryOperation(Op.SUB, attr("a")), num(2))
    # `!` binds tighter than comparisons: `!.a = true` is `(!.a) = true`
    assert _filter_expr("{ !.a = true }") == BinaryOperation(
        Op.EQ, UnaryOperation(Op.NOT, attr("a")), Static(StaticType.BOOL, True)
    )
    assert _filter_expr("{ !(.a = 1) }") == UnaryOperation(Op.NOT, BinaryOperation(Op.EQ, attr("a"), num(1)))


def test_intrinsics_have_one_node_whatever_the_spelling() -> None:
    duration = _filter_expr("{ duration > 1s }")
    assert duration == _filter_expr("{ span:duration > 1s }")
    assert isinstance(duration, BinaryOperation)
    assert duration.lhs == Attribute(AttributeScope.SPAN, "duration", False, Intrinsic.DURATION)
    assert _filter_expr('{ rootServiceName = "a" }') == _filter_expr('{ trace:rootService = "a" }')
    assert _filter_expr("{ traceDuration > 1s }") == _filter_expr("{ trace:duration > 1s }")
    assert str(parse("{ traceDuration > 1s }")) == "{ trace:duration > 1s }"


def test_statics() -> None:
    expr = _filter_expr("{ .a = 1h30m && .b = 1.5 && .c = error && .d = server && .e = `x` && .f = maxInt }")
    statics = []
    node = expr
    while isinstance(node, BinaryOperation) and node.op is Op.AND:
        assert isinstance(node.rhs, BinaryOperation)
        statics.append(node.rhs.rhs)
        node = node.lhs
    assert isinstance(node, BinaryOperation)
    statics.append(node.rhs)
    assert statics[::-1] == [
        Static(StaticType.DURATION, 5400 * 10**9),
        Static(StaticType.FLOAT, 1.5),
        Static(StaticType.STATUS, "error"),
        Static(StaticType.KIND, "server"),
        Static(StaticType.STRING, "x"),
        Static(StaticType.INT, 2**63 - 1),
    ]


def test_empty_filter_is_true() -> None:
    assert parse("{}") == parse("{ true }")


@pytest.mark.parametrize(
    ("query", "canonical"),
    [
        ('{ span."foo bar" = "v" }', '{ span."foo bar" = "v" }'),
        ('{ ."a\\"b" = "v" }', '{ ."a\\"b" = "v" }'),
        ('{ ."plain" = "v" }', '{ .plain = "v" }'),
        ("{ .a = `raw\\path` }", '{ .a = "raw\\\\path" }'),
        ('{ .a = "new\\nline" }', '{ .a = "new\\nline" }'),
        ("{.a=1}", "{ .a = 1 }"),
        ("{ parent.span.x = 1 }", "{ parent.span.x = 1 }"),
        ('{ parent."span.x" = 1 }', '{ parent."span.x" = 1 }'),
        ("{ (.a + 1) * 2 = 4 }", "{ (.a + 1) * 2 = 4 }"),
        ("{ (-2) ^ 2 = 4 }", "{ (-2) ^ 2 = 4 }"),
        ("{ -(2 ^ 2) = -4 }", "{ -2 ^ 2 = -4 }"),  # prefix minus binds looser than ^
        ('{ ."9x" = .5 }', '{ ."9x" = 0.5 }'),
        ("{ .a - (.b - .c) = 0 }", "{ .a - (.b - .c) = 0 }"),
        ("{ minInt < .a }", "{ minInt < .a }"),
    ],
)
def test_canonical_quoting_and_parentheses(query: str, canonical: str) -> None:
    root = parse(query)
    assert str(root) == canonical
    assert to_traceql(root) == canonical
    assert parse(canonical) == root


def test_quoted_and_unquoted_names_are_the_same_attribute() -> None:
    assert parse('{ span."foo" = 1 }') == parse("{ span.foo = 1 }")
    assert parse('{ parent."span.x" = 1 }') != parse("{ parent.span.x = 1 }")


@pytest.mark.parametrize(
    ("text", "op"),
    [
        (">", Op.CHILD),
        ("<", Op.PARENT),
        (">>", Op.DESCENDANT),
        ("<<", Op.ANCESTOR),
        ("~", Op.SIBLING),
        ("!>", Op.NOT_CHILD),
        ("!<", Op.NOT_PARENT),
        ("!>>", Op.NOT_DESCENDANT),
        ("!<<", Op.NOT_ANCESTOR),
        ("!~", Op.NOT_SIBLING),
        ("&>", Op.UNION_CHILD),
        ("&<", Op.UNION_PARENT),
        ("&>>", Op.UNION_DESCENDANT),
        ("&<<", Op.UNION_ANCESTOR),
        ("&~", Op.UNION_SIBLING),
        ("&&", Op.AND),
        ("||", Op.OR),
    ],
)
def test_structural_operators(text: str, op: Op) -> None:
    root = parse(f"{{ .a }} {text} {{ .b }}")
    a, b = SpansetFilter(attr("a")), SpansetFilter(attr("b"))
    assert root.query == Pipeline((SpansetOperation(op, a, b),))
    assert str(root) == f"{{ .a }} {text} {{ .b }}"


def test_spanset_operator_precedence() -> None:
    root = parse("{ .a } && { .b } > { .c } || { .d }")
    a, b, c, d = (SpansetFilter(attr(n)) for n in "abcd")
    expected = SpansetOperation(Op.OR, SpansetOperation(Op.AND, a, SpansetOperation(Op.CHILD, b, c)), d)
    assert root.query == Pipeline((expected,))
    assert parse(str(root)) == root
    # `&&` and `||` between spansets: equal precedence, left-associative
    root = parse("{ .a } || { .b } && { .c }")
    expected = SpansetOperation(Op.AND, SpansetOperation(Op.OR, a, b), c)
    assert root.query == Pipeline((expected,))
    assert parse(str(root)) == root
    grouped = parse("{ .a } || ({ .b } && { .c })")
    assert grouped.query == Pipeline((SpansetOperation(Op.OR, a, SpansetOperation(Op.AND, b, c)),))


def test_pipeline_stages() -> None:
    root = parse("{ .a } | by(resource.service.name) | count() > 2 | select(.b, span:name)")
    assert isinstance(root.query, Pipeline)
    stages = root.query.stages
    assert stages[1] == GroupOperation(Attribute(AttributeScope.RESOURCE, "service.name"))
    assert stages[2] == ScalarFilter(Op.GT, Aggregate(AggregateOp.COUNT, None), num(2))


def test_wrapped_pipelines_as_spanset_operands() -> None:
    root = parse("({ .a } | count() > 1) && ({ .b })")
    assert isinstance(root.query, Pipeline)
    operation = root.query.stages[0]
    assert isinstance(operation, SpansetOperation)
    assert isinstance(operation.lhs, Pipeline)
    assert operation.rhs == SpansetFilter(attr("b"))


def test_scalar_filter_constants_are_kept_unfolded() -> None:
    root = parse("avg(.field) > 1 - 3")
    assert isinstance(root.query, Pipeline)
    assert root.query.stages[0] == ScalarFilter(
        Op.GT, Aggregate(AggregateOp.AVG, attr("field")), ScalarOperation(Op.SUB, num(1), num(3))
    )


def test_metrics_pipeline() -> None:
    root = parse("{ } | quantile_over_time(duration, 0.5, .9) by (span.route) > 2 | topk(3) with(sample=0.1)")
    assert root.is_metrics
    assert isinstance(root.query, MetricsPipeline)
    first = root.query.first_stage
    assert isinstance(first, MetricsAggregate)
    assert first.op is MetricsOp.QUANTILE_OVER_TIME
    assert first.quantiles == (0.5, 0.9)
    assert first.by == (Attribute(AttributeScope.SPAN, "route"),)
    assert root.query.second_stage == (MetricsFilter(Op.GT, num(2)), TopK(SecondStageOp.TOPK, 3))
    assert root.hints is not None and root.hints.get("sample") == Static(StaticType.FLOAT, 0.1)


def test_wrapped_metrics_pipeline_with_filter_is_normalized() -> None:
    assert parse("({} | rate()) > 10") == parse("{} | rate() > 10")


def test_metrics_math() -> None:
    root = parse("({ .a } | rate()) / ({ } | rate()) * 100 | topk(5)")
    assert isinstance(root.query, MetricsSecondStage)
    math = root.query.expr
    assert isinstance(math, MetricsMath) and math.op is Op.MUL
    assert isinstance(math.lhs, MetricsMath) and math.lhs.op is Op.DIV
    assert math.rhs == num(100)
    assert root.query.stages == (TopK(SecondStageOp.TOPK, 5),)
    assert parse(str(root)) == root


def test_search_queries_are_not_metrics() -> None:
    assert not parse("{ .a } | count() > 1").is_metrics
