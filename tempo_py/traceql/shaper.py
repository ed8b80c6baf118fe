"""Second pass: give the raw operator tree its meaning and enforce TraceQL's pipeline grammar.

Every raw node is classified bottom-up into a Kind (spanset, constant, aggregate expression, wrapped
pipeline, metrics query...). An operator's meaning follows from its operands' kinds, e.g. `>` between
spansets is "child", between an aggregate and a number it is a scalar filter, after a metrics query it
is a metrics filter. Combinations the grammar does not have are parse errors at the operator.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, auto

from tempo_py.traceql import ast
from tempo_py.traceql.enums import SPANSET_OPS, Op, StaticType
from tempo_py.traceql.errors import TraceQLParseError
from tempo_py.traceql.pipeline_parser import Raw, RawBinary, RawLeaf, RawNeg, RawParen, RawPipe
from tempo_py.traceql.stream import TokenStream
from tempo_py.traceql.tokens import Token


class Kind(Enum):
    """What a raw subtree turned out to be."""

    SPANSET = auto()  # SpansetFilter, or SpansetOperation of those
    SPANSET_PIPES = auto()  # SpansetOperation with a wrapped pipeline operand
    PIPELINE = auto()  # wrapped spanset pipeline `( a | b )`
    CONST = auto()  # number / duration, or + - * / of those
    SCALAR = auto()  # aggregate, or arithmetic with at least one aggregate
    SCALAR_PIPELINE = auto()  # `({ } | count())` and arithmetic of those
    SCALAR_FILTER = auto()  # aggregate comparison, a pipeline stage
    PIPELINE_FILTER = auto()  # comparison of wrapped scalar pipelines, root only
    STAGE = auto()  # by(), select(), coalesce()
    METRICS = auto()  # MetricsPipeline or MetricsMath
    METRICS_STAGED = auto()  # MetricsSecondStage (math followed by second stages), root only
    FIRST_STAGE = auto()  # a metrics function and its filters, inside a pipe
    SECOND_STAGE = auto()  # topk()/bottomk() and its filters, inside a pipe


_DESCRIPTION = {
    Kind.SPANSET: "a spanset",
    Kind.SPANSET_PIPES: "a spanset",
    Kind.PIPELINE: "a pipeline",
    Kind.CONST: "a number",
    Kind.SCALAR: "an aggregate",
    Kind.SCALAR_PIPELINE: "a scalar pipeline",
    Kind.SCALAR_FILTER: "a scalar filter",
    Kind.PIPELINE_FILTER: "a scalar filter",
    Kind.STAGE: "a pipeline operation",
    Kind.METRICS: "a metrics query",
    Kind.METRICS_STAGED: "a metrics query",
    Kind.FIRST_STAGE: "a metrics function",
    Kind.SECOND_STAGE: "a second stage function",
}
_SPANSETS = frozenset({Kind.SPANSET, Kind.SPANSET_PIPES, Kind.PIPELINE})
_COMPARISONS = {"=": Op.EQ, "!=": Op.NEQ, ">": Op.GT, ">=": Op.GTE, "<": Op.LT, "<=": Op.LTE}
_ARITHMETIC = {"+": Op.ADD, "-": Op.SUB, "*": Op.MUL, "/": Op.DIV, "%": Op.MOD, "^": Op.POW}
_METRICS_ARITHMETIC = frozenset({Op.ADD, Op.SUB, Op.MUL, Op.DIV})


@dataclass(frozen=True)
class _Chain:
    """A metrics function or topk/bottomk with the filters written after it (`rate() > 1`)."""

    head: ast.Node
    filters: tuple[ast.MetricsFilter, ...] = ()


@dataclass(frozen=True)
class Shaped:
    """A classified raw subtree: its kind, typed node and the token to blame in errors."""

    kind: Kind
    node: ast.Node | _Chain
    token: Token


class Shaper:
    """Classifies raw trees of one query; errors carry the query text for caret snippets."""

    def __init__(self, stream: TokenStream) -> None:
        self.stream = stream

    def error(self, message: str, token: Token) -> TraceQLParseError:
        return self.stream.error(message, token)

    # ------------------------------------------------------------ root

    def root(self, raw: Raw) -> ast.Query:
        """The query a whole raw tree stands for."""
        if isinstance(raw, RawPipe):
            return self.pipe(raw, at_root=True).node  # type: ignore[return-value]
        shaped = self.shape(raw)
        if shaped.kind in (Kind.METRICS, Kind.METRICS_STAGED, Kind.PIPELINE):
            return shaped.node  # type: ignore[return-value]
        if shaped.kind in (Kind.SPANSET_PIPES, Kind.PIPELINE_FILTER):
            return ast.Pipeline((shaped.node,))  # type: ignore[arg-type]
        return self.pipeline([shaped])

    # ------------------------------------------------------------ classification

    def shape(self, raw: Raw) -> Shaped:
        """Classify ``raw`` and build its typed node."""
        match raw:
            case RawLeaf(token=token, node=node):
                return Shaped(_leaf_kind(node), _Chain(node) if _is_chain_head(node) else node, token)
            case RawParen():
                return self.paren(raw)
            case RawNeg(token=token, operand=operand):
                inner = self.shape(operand)
                if inner.kind is not Kind.CONST:
                    raise self.error(f"unary minus cannot be applied to {_DESCRIPTION[inner.kind]}", token)
                return Shaped(Kind.CONST, _negate_const(inner.node), token)  # type: ignore[arg-type]
            case RawBinary():
                return self.binary(raw)
            case RawPipe():
                raise self.error("a pipeline must be the whole query or be wrapped in parentheses", raw.token)

    def paren(self, raw: RawParen) -> Shaped:
        if isinstance(raw.inner, RawPipe):
            shaped = self.pipe(raw.inner, at_root=False)
            return Shaped(shaped.kind, shaped.node, raw.token)
        inner = self.shape(raw.inner)
        if inner.kind in (Kind.SCALAR_FILTER, Kind.STAGE):
            return Shaped(Kind.PIPELINE, self.pipeline([inner]), raw.token)
        if inner.kind in (Kind.PIPELINE_FILTER, Kind.METRICS_STAGED, Kind.FIRST_STAGE, Kind.SECOND_STAGE):
            raise self.error(f"{_DESCRIPTION[inner.kind]} cannot be wrapped in parentheses here", raw.token)
        return Shaped(inner.kind, inner.node, raw.token)

    def pipe(self, raw: RawPipe, at_root: bool) -> Shaped:
        stages = [self.shape(stage) for stage in raw.stages]
        first = next((i for i, s in enumerate(stages) if s.kind is Kind.FIRST_STAGE), None)
        if first is not None:
            if first == 0:
                raise self.error(
                    "a metrics function must follow a spanset pipeline, e.g. { } | rate()", raw.token
                )
            chain = stages[first].node
            assert isinstance(chain, _Chain)
            metrics = ast.MetricsPipeline(self.pipeline(stages[:first]), chain.head, chain.filters)  # type: ignore[arg-type]
            return Shaped(Kind.METRICS, self.second_stages(metrics, stages[first + 1 :]), raw.token)
        if stages[0].kind in (Kind.METRICS, Kind.METRICS_STAGED):
            node = self.second_stages(stages[0].node, stages[1:])  # type: ignore[arg-type]
            kind = Kind.METRICS if isinstance(node, ast.MetricsPipeline) else Kind.METRICS_STAGED
            if kind is Kind.METRICS_STAGED and not at_root:
                raise self.error(
                    "second stages after metrics math cannot be wrapped in parentheses", raw.token
                )
            return Shaped(kind, node, raw.token)
        last = stages[-1]
        if not at_root and isinstance(last.node, ast.Aggregate):
            pipeline = self.pipeline(stages[:-1])
            return Shaped(Kind.SCALAR_PIPELINE, ast.Pipeline((*pipeline.stages, last.node)), raw.token)
        return Shaped(Kind.PIPELINE, self.pipeline(stages), raw.token)

    def pipeline(self, stages: list[Shaped]) -> ast.Pipeline:
        """A spanset pipeline from classified stages, rejecting what cannot be a stage."""
        nodes: list[ast.PipelineStage] = []
        for index, stage in enumerate(stages):
            node = stage.node
            if stage.kind in (Kind.SPANSET, Kind.SCALAR_FILTER, Kind.STAGE):
                if index == 0 and isinstance(node, ast.CoalesceOperation):
                    raise self.error("a pipeline cannot start with coalesce()", stage.token)
                nodes.append(node)  # type: ignore[arg-type]
            elif stage.kind in (Kind.SCALAR, Kind.SCALAR_PIPELINE):
                raise self.error("an aggregate must be compared with a value, e.g. count() > 1", stage.token)
            elif stage.kind is Kind.SECOND_STAGE:
                raise self.error("topk()/bottomk() must follow a metrics function, e.g. rate()", stage.token)
            else:
                raise self.error(f"{_DESCRIPTION[stage.kind]} cannot be a pipeline stage", stage.token)
        return ast.Pipeline(tuple(nodes))

    def second_stages(self, base: ast.Node, stages: list[Shaped]) -> ast.Query:
        """Append `| topk(n) > x ...` stages to a metrics query."""
        extra: list[ast.SecondStage] = []
        for stage in stages:
            if stage.kind is Kind.FIRST_STAGE:
                raise self.error("only one metrics function is allowed per pipeline", stage.token)
            if stage.kind is not Kind.SECOND_STAGE:
                raise self.error("expected topk() or bottomk() after a metrics function", stage.token)
            assert isinstance(stage.node, _Chain)
            extra += [stage.node.head, *stage.node.filters]  # type: ignore[list-item]
        return _with_second_stages(base, tuple(extra))

    def binary(self, raw: RawBinary) -> Shaped:
        text, token = raw.token.text, raw.token
        lhs, rhs = self.shape(raw.lhs), self.shape(raw.rhs)
        if text in SPANSET_OPS and lhs.kind in _SPANSETS and rhs.kind in _SPANSETS:
            kind = Kind.SPANSET if lhs.kind is rhs.kind is Kind.SPANSET else Kind.SPANSET_PIPES
            return Shaped(kind, ast.SpansetOperation(SPANSET_OPS[text], lhs.node, rhs.node), token)  # type: ignore[arg-type]
        if text in _COMPARISONS:
            shaped = self.comparison(_COMPARISONS[text], lhs, rhs, token)
            if shaped is not None:
                return shaped
        if text in _ARITHMETIC:
            shaped = self.arithmetic(_ARITHMETIC[text], lhs, rhs, token)
            if shaped is not None:
                return shaped
        raise self.error(
            f'operator "{text}" cannot combine {_DESCRIPTION[lhs.kind]} and {_DESCRIPTION[rhs.kind]}', token
        )

    def comparison(self, op: Op, lhs: Shaped, rhs: Shaped, token: Token) -> Shaped | None:
        kinds = (lhs.kind, rhs.kind)
        if Kind.SCALAR in kinds and set(kinds) <= {Kind.SCALAR, Kind.CONST}:
            return Shaped(Kind.SCALAR_FILTER, ast.ScalarFilter(op, lhs.node, rhs.node), token)  # type: ignore[arg-type]
        if lhs.kind is Kind.SCALAR_PIPELINE and rhs.kind in (Kind.SCALAR_PIPELINE, Kind.CONST):
            return Shaped(Kind.PIPELINE_FILTER, ast.ScalarFilter(op, lhs.node, rhs.node), token)  # type: ignore[arg-type]
        if rhs.kind is not Kind.CONST:
            return None
        metrics_filter = ast.MetricsFilter(op, rhs.node)  # type: ignore[arg-type]
        if lhs.kind in (Kind.METRICS, Kind.METRICS_STAGED):
            node = _with_second_stages(lhs.node, (metrics_filter,))  # type: ignore[arg-type]
            kind = Kind.METRICS if isinstance(node, ast.MetricsPipeline) else Kind.METRICS_STAGED
            return Shaped(kind, node, token)
        if lhs.kind in (Kind.FIRST_STAGE, Kind.SECOND_STAGE):
            assert isinstance(lhs.node, _Chain)
            return Shaped(lhs.kind, _Chain(lhs.node.head, (*lhs.node.filters, metrics_filter)), lhs.token)
        return None

    def arithmetic(self, op: Op, lhs: Shaped, rhs: Shaped, token: Token) -> Shaped | None:
        kinds = {lhs.kind, rhs.kind}
        if kinds == {Kind.CONST}:
            if op not in _METRICS_ARITHMETIC:
                raise self.error(f'operator "{op.text}" is not allowed between constants', token)
            if _has_duration(lhs.node) or _has_duration(rhs.node):
                raise self.error("durations cannot be used in constant arithmetic", token)
            return Shaped(Kind.CONST, ast.ScalarOperation(op, lhs.node, rhs.node), token)  # type: ignore[arg-type]
        if Kind.SCALAR in kinds and kinds <= {Kind.SCALAR, Kind.CONST}:
            return Shaped(Kind.SCALAR, ast.ScalarOperation(op, lhs.node, rhs.node), token)  # type: ignore[arg-type]
        if kinds == {Kind.SCALAR_PIPELINE}:
            return Shaped(Kind.SCALAR_PIPELINE, ast.ScalarOperation(op, lhs.node, rhs.node), token)  # type: ignore[arg-type]
        if Kind.METRICS in kinds and kinds <= {Kind.METRICS, Kind.CONST}:
            if op not in _METRICS_ARITHMETIC:
                raise self.error(f'operator "{op.text}" is not allowed in metrics math, only + - * /', token)
            if _has_duration(lhs.node) or _has_duration(rhs.node):
                raise self.error("durations cannot be used in metrics math", token)
            return Shaped(Kind.METRICS, ast.MetricsMath(op, lhs.node, rhs.node), token)  # type: ignore[arg-type]
        return None


def _leaf_kind(node: ast.Node) -> Kind:
    match node:
        case ast.SpansetFilter():
            return Kind.SPANSET
        case ast.Static():
            return Kind.CONST
        case ast.Aggregate():
            return Kind.SCALAR
        case ast.MetricsAggregate() | ast.MetricsCompare():
            return Kind.FIRST_STAGE
        case ast.TopK():
            return Kind.SECOND_STAGE
        case _:
            return Kind.STAGE


def _is_chain_head(node: ast.Node) -> bool:
    return isinstance(node, ast.MetricsAggregate | ast.MetricsCompare | ast.TopK)


def _with_second_stages(base: ast.Node, extra: tuple[ast.SecondStage, ...]) -> ast.Query:
    if not extra and isinstance(base, ast.MetricsPipeline | ast.MetricsMath | ast.MetricsSecondStage):
        return base
    match base:
        case ast.MetricsPipeline():
            return ast.MetricsPipeline(base.pipeline, base.first_stage, base.second_stage + extra)
        case ast.MetricsMath():
            return ast.MetricsSecondStage(base, extra)
        case ast.MetricsSecondStage():
            return ast.MetricsSecondStage(base.expr, base.stages + extra)
    raise AssertionError(f"not a metrics query: {base!r}")


def _negate_const(node: ast.Node) -> ast.Node:
    if isinstance(node, ast.Static):
        value = node.value
        assert isinstance(value, int | float) and not isinstance(value, bool)
        return ast.Static(node.type, -value)
    # `-(1 + 2)` is kept as `0 - (1 + 2)` so scalar expressions need no unary node
    zero = ast.Static(StaticType.INT, 0)
    return ast.ScalarOperation(Op.SUB, zero, node)  # type: ignore[arg-type]


def _has_duration(node: ast.Node | _Chain) -> bool:
    match node:
        case ast.Static(type=StaticType.DURATION):
            return True
        case ast.ScalarOperation(lhs=lhs, rhs=rhs):
            return _has_duration(lhs) or _has_duration(rhs)
    return False
