"""Typed TraceQL AST: frozen dataclasses, compared by value; ``str(node)`` is canonical TraceQL.

See the package docstring (tempo_py/traceql/__init__.py) for how the nodes fit together.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tempo_py.traceql.enums import (
    AggregateOp,
    AttributeScope,
    Intrinsic,
    MetricsOp,
    Op,
    SecondStageOp,
    StaticType,
)


class Node:
    """Base of every AST node; ``str()`` prints canonical TraceQL that parses back to an equal node."""

    __slots__ = ()

    def __str__(self) -> str:
        # The printer registers itself (tempo_py.traceql imports it), so this module need not
        # import the printer, which imports this one.
        return _printer[0](self)


def _no_printer(node: Node) -> str:
    raise RuntimeError("tempo_py.traceql.printer is not loaded")


_printer: list[Callable[[Node], str]] = [_no_printer]


def register_printer(fn: Callable[[Node], str]) -> None:
    """Install the function ``str(node)`` calls (tempo_py.traceql.printer does at import)."""
    _printer[0] = fn


# ---------------------------------------------------------------- field expressions (inside `{ }`)


@dataclass(frozen=True)
class Static(Node):
    """A literal. ``value`` by type: INT int, FLOAT float, STRING str, BOOL bool, DURATION int
    nanoseconds, STATUS/KIND the enum word ("error", "server"), NIL None."""

    type: StaticType
    value: int | float | str | bool | None


@dataclass(frozen=True)
class Attribute(Node):
    """A span/resource/... attribute (`.foo`, `span.foo`, `parent.resource.foo`) or an intrinsic.

    For intrinsics ``intrinsic`` is set, ``scope`` is the intrinsic's scope and ``name`` the part
    after the colon (`duration`, `rootService`), whatever spelling the query used (`duration`,
    `span:duration`, `traceDuration`...). For custom attributes ``intrinsic`` is None, ``scope`` is
    NONE for `.foo` (span first, then resource) and ``parent`` marks `parent.` attributes.
    """

    scope: AttributeScope
    name: str
    parent: bool = False
    intrinsic: Intrinsic | None = None


@dataclass(frozen=True)
class BinaryOperation(Node):
    """``lhs op rhs`` between field expressions: arithmetic, comparison, regex, `&&`, `||`.

    A comparison with nil means existence: `x != nil` (x exists), `x = nil` (x does not exist).
    """

    op: Op
    lhs: FieldExpr
    rhs: FieldExpr


@dataclass(frozen=True)
class UnaryOperation(Node):
    """``op expr`` with op NOT (`!x`) or SUB (`-x`). `-<number literal>` is folded into a negative
    Static by the parser instead."""

    op: Op
    expr: FieldExpr


FieldExpr = Static | Attribute | BinaryOperation | UnaryOperation


# ---------------------------------------------------------------- spansets and pipelines


@dataclass(frozen=True)
class SpansetFilter(Node):
    """`{ expr }`: the spans of each trace for which ``expr`` is true; `{}` is `{ true }`."""

    expr: FieldExpr


@dataclass(frozen=True)
class SpansetOperation(Node):
    """``lhs op rhs`` between spansets: AND/OR (intersection/union of traces' spansets) or a
    structural op (CHILD, DESCENDANT, NOT_SIBLING, UNION_PARENT, ...). Operands may be wrapped
    pipelines (`({ a } | count() > 1) && ({ b })`)."""

    op: Op
    lhs: SpansetOperand
    rhs: SpansetOperand


@dataclass(frozen=True)
class Aggregate(Node):
    """`count()`, `avg(expr)`, `min(expr)`, `max(expr)`, `sum(expr)` over a spanset; ``expr`` is None
    for count."""

    op: AggregateOp
    expr: FieldExpr | None


@dataclass(frozen=True)
class ScalarOperation(Node):
    """Arithmetic between scalar expressions outside a filter: `count() + 1`, `(P1) / (P2)`, `1 - 3`."""

    op: Op
    lhs: ScalarExpr
    rhs: ScalarExpr


@dataclass(frozen=True)
class ScalarFilter(Node):
    """``lhs op rhs`` comparing scalars, keeping spansets for which it holds: `| count() > 2`.

    Supported for evaluation: ``lhs`` an Aggregate and ``rhs`` a constant (Static, or ScalarOperation /
    UnaryOperation of constants). Operands may also be wrapped scalar pipelines `({ a } | count())`.
    """

    op: Op
    lhs: ScalarExpr
    rhs: ScalarExpr


@dataclass(frozen=True)
class GroupOperation(Node):
    """`by(expr)`: split each trace's spanset into one spanset per value of ``expr``."""

    expr: FieldExpr


@dataclass(frozen=True)
class CoalesceOperation(Node):
    """`coalesce()`: merge the spansets of a trace back into one."""


@dataclass(frozen=True)
class SelectOperation(Node):
    """`select(a, b)`: return these attributes with the matched spans."""

    attributes: tuple[Attribute, ...]


@dataclass(frozen=True)
class Pipeline(Node):
    """`stage | stage | ...`, evaluated left to right on each trace's spansets.

    The first stage is a spanset expression, scalar filter, group or select; later stages may also be
    coalesce. Inside a wrapped scalar pipeline `({ a } | count())` the last stage is an Aggregate.
    """

    stages: tuple[PipelineStage, ...]


SpansetExpr = SpansetFilter | SpansetOperation
SpansetOperand = SpansetFilter | SpansetOperation | Pipeline
PipelineStage = (
    SpansetFilter
    | SpansetOperation
    | ScalarFilter
    | GroupOperation
    | CoalesceOperation
    | SelectOperation
    | Aggregate
)
ScalarExpr = Aggregate | ScalarOperation | Static | UnaryOperation | Pipeline


# ---------------------------------------------------------------- metrics


@dataclass(frozen=True)
class MetricsAggregate(Node):
    """First-stage metrics function: `rate()`, `quantile_over_time(duration, 0.5, 0.9) by (name)`.

    ``attribute`` is None for rate/count_over_time; ``quantiles`` only for quantile_over_time.
    """

    op: MetricsOp
    attribute: Attribute | None = None
    by: tuple[Attribute, ...] = ()
    quantiles: tuple[float, ...] = ()


@dataclass(frozen=True)
class MetricsCompare(Node):
    """`compare({ filter }, topn, start, end)`: attribute values of a selection vs the baseline."""

    filter: SpansetFilter
    topn: int = 10
    start: int = 0
    end: int = 0


@dataclass(frozen=True)
class TopK(Node):
    """Second stage `topk(n)` / `bottomk(n)`."""

    op: SecondStageOp
    limit: int


@dataclass(frozen=True)
class MetricsFilter(Node):
    """Second stage `> 10`: drop series points failing ``op value`` (value a constant expression)."""

    op: Op
    value: ScalarExpr


SecondStage = TopK | MetricsFilter
FirstStage = MetricsAggregate | MetricsCompare


@dataclass(frozen=True)
class MetricsPipeline(Node):
    """`pipeline | first_stage second_stage...`: a metrics query, e.g. `{ } | rate() by (name) > 1`."""

    pipeline: Pipeline
    first_stage: FirstStage
    second_stage: tuple[SecondStage, ...] = ()


@dataclass(frozen=True)
class MetricsMath(Node):
    """Arithmetic (+ - * /) between metrics queries, or a metrics query and a numeric constant:
    `({ a } | rate()) / ({ } | rate())`, `({ } | rate()) * 100`. At least one side is metrics."""

    op: Op
    lhs: MetricsOperand
    rhs: MetricsOperand


@dataclass(frozen=True)
class MetricsSecondStage(Node):
    """Second stages applied to the result of metrics math: `(A) + (B) | topk(5) > 10`."""

    expr: MetricsMath
    stages: tuple[SecondStage, ...]


MetricsExpr = MetricsPipeline | MetricsMath
MetricsOperand = MetricsPipeline | MetricsMath | Static | ScalarOperation | UnaryOperation


# ---------------------------------------------------------------- root


@dataclass(frozen=True)
class Hint(Node):
    """One `name=value` query hint."""

    name: str
    value: Static


@dataclass(frozen=True)
class Hints(Node):
    """`with(name=value, ...)` at the end of a query."""

    hints: tuple[Hint, ...]

    def get(self, name: str) -> Static | None:
        """The value of the last hint called ``name``, if any."""
        found = None
        for hint in self.hints:
            if hint.name == name:
                found = hint.value
        return found


Query = Pipeline | MetricsPipeline | MetricsMath | MetricsSecondStage


@dataclass(frozen=True)
class RootExpr(Node):
    """A parsed query: a spanset Pipeline (search) or a metrics query, plus optional hints."""

    query: Query
    hints: Hints | None = None

    @property
    def is_metrics(self) -> bool:
        """True for metrics queries (rate(), ..._over_time(), compare(), metrics math)."""
        return not isinstance(self.query, Pipeline)
