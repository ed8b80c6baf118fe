"""Enumerations shared by the TraceQL AST: operators, static types, scopes, intrinsics, functions.

Every enum but ``Op`` has its TraceQL spelling as value; ``Op.text`` gives an operator's spelling.
"""

from __future__ import annotations

from enum import Enum


class Op(Enum):
    """Binary and unary operators of field, scalar and spanset expressions.

    Values are unique names (several operators share their spelling, e.g. `>` is "greater" between
    fields and "child" between spansets); ``op.text`` is the spelling.
    """

    # arithmetic (SUB doubles as unary minus in UnaryOperation)
    ADD = "add"
    SUB = "sub"
    MUL = "mul"
    DIV = "div"
    MOD = "mod"
    POW = "pow"
    # comparisons
    EQ = "eq"
    NEQ = "neq"
    GT = "gt"
    GTE = "gte"
    LT = "lt"
    LTE = "lte"
    REGEX = "regex"
    NOT_REGEX = "not_regex"
    # boolean; between spansets AND/OR are spanset intersection/union
    AND = "and"
    OR = "or"
    NOT = "not"
    # structural, only between spansets
    CHILD = "child"
    PARENT = "parent"
    DESCENDANT = "descendant"
    ANCESTOR = "ancestor"
    SIBLING = "sibling"
    NOT_CHILD = "not_child"
    NOT_PARENT = "not_parent"
    NOT_DESCENDANT = "not_descendant"
    NOT_ANCESTOR = "not_ancestor"
    NOT_SIBLING = "not_sibling"
    UNION_CHILD = "union_child"
    UNION_PARENT = "union_parent"
    UNION_DESCENDANT = "union_descendant"
    UNION_ANCESTOR = "union_ancestor"
    UNION_SIBLING = "union_sibling"

    @property
    def text(self) -> str:
        """The operator as written in a query."""
        return _OP_TEXT[self]


_OP_TEXT: dict[Op, str] = {
    Op.ADD: "+",
    Op.SUB: "-",
    Op.MUL: "*",
    Op.DIV: "/",
    Op.MOD: "%",
    Op.POW: "^",
    Op.EQ: "=",
    Op.NEQ: "!=",
    Op.GT: ">",
    Op.GTE: ">=",
    Op.LT: "<",
    Op.LTE: "<=",
    Op.REGEX: "=~",
    Op.NOT_REGEX: "!~",
    Op.AND: "&&",
    Op.OR: "||",
    Op.NOT: "!",
    Op.CHILD: ">",
    Op.PARENT: "<",
    Op.DESCENDANT: ">>",
    Op.ANCESTOR: "<<",
    Op.SIBLING: "~",
    Op.NOT_CHILD: "!>",
    Op.NOT_PARENT: "!<",
    Op.NOT_DESCENDANT: "!>>",
    Op.NOT_ANCESTOR: "!<<",
    Op.NOT_SIBLING: "!~",
    Op.UNION_CHILD: "&>",
    Op.UNION_PARENT: "&<",
    Op.UNION_DESCENDANT: "&>>",
    Op.UNION_ANCESTOR: "&<<",
    Op.UNION_SIBLING: "&~",
}


ARITHMETIC_OPS = frozenset({Op.ADD, Op.SUB, Op.MUL, Op.DIV, Op.MOD, Op.POW})
COMPARISON_OPS = frozenset({Op.EQ, Op.NEQ, Op.GT, Op.GTE, Op.LT, Op.LTE})
BOOLEAN_RESULT_OPS = COMPARISON_OPS | {Op.REGEX, Op.NOT_REGEX, Op.AND, Op.OR}

# Spanset operators by source text; `&&`/`||` between spansets mean intersection/union of spansets.
SPANSET_OPS: dict[str, Op] = {
    "&&": Op.AND,
    "||": Op.OR,
    ">": Op.CHILD,
    "<": Op.PARENT,
    ">>": Op.DESCENDANT,
    "<<": Op.ANCESTOR,
    "~": Op.SIBLING,
    "!>": Op.NOT_CHILD,
    "!<": Op.NOT_PARENT,
    "!>>": Op.NOT_DESCENDANT,
    "!<<": Op.NOT_ANCESTOR,
    "!~": Op.NOT_SIBLING,
    "&>": Op.UNION_CHILD,
    "&<": Op.UNION_PARENT,
    "&>>": Op.UNION_DESCENDANT,
    "&<<": Op.UNION_ANCESTOR,
    "&~": Op.UNION_SIBLING,
}

# Operators of field expressions by source text.
FIELD_OPS: dict[str, Op] = {op.text: op for op in ARITHMETIC_OPS | BOOLEAN_RESULT_OPS}


class StaticType(Enum):
    """Types of values; ATTRIBUTE means "unknown until evaluated" (a custom attribute)."""

    NIL = "nil"
    INT = "int"
    FLOAT = "float"
    STRING = "string"
    BOOL = "bool"
    DURATION = "duration"
    STATUS = "status"
    KIND = "kind"
    ATTRIBUTE = "attribute"

    @property
    def is_numeric(self) -> bool:
        """Int, float and duration mix freely in arithmetic and comparisons."""
        return self in (StaticType.INT, StaticType.FLOAT, StaticType.DURATION)


STATUS_VALUES = ("error", "ok", "unset")
KIND_VALUES = ("unspecified", "internal", "server", "client", "producer", "consumer")


class AttributeScope(Enum):
    """Where an attribute or intrinsic lives; NONE (`.foo`) means "span, else resource"."""

    NONE = ""
    SPAN = "span"
    RESOURCE = "resource"
    TRACE = "trace"
    EVENT = "event"
    LINK = "link"
    INSTRUMENTATION = "instrumentation"


class Intrinsic(Enum):
    """Intrinsic fields; the value is the canonical (scoped where one exists) spelling."""

    DURATION = "span:duration"
    NAME = "span:name"
    STATUS = "span:status"
    STATUS_MESSAGE = "span:statusMessage"
    KIND = "span:kind"
    SPAN_ID = "span:id"
    PARENT_ID = "span:parentID"
    CHILD_COUNT = "span:childCount"
    TRACE_DURATION = "trace:duration"
    TRACE_ROOT_NAME = "trace:rootName"
    TRACE_ROOT_SERVICE = "trace:rootService"
    TRACE_ID = "trace:id"
    EVENT_NAME = "event:name"
    EVENT_TIME_SINCE_START = "event:timeSinceStart"
    LINK_TRACE_ID = "link:traceID"
    LINK_SPAN_ID = "link:spanID"
    INSTRUMENTATION_NAME = "instrumentation:name"
    INSTRUMENTATION_VERSION = "instrumentation:version"
    PARENT = "parent"
    NESTED_SET_LEFT = "nestedSetLeft"
    NESTED_SET_RIGHT = "nestedSetRight"
    NESTED_SET_PARENT = "nestedSetParent"


# Legacy unscoped spellings accepted by the parser.
UNSCOPED_INTRINSICS: dict[str, Intrinsic] = {
    "duration": Intrinsic.DURATION,
    "name": Intrinsic.NAME,
    "status": Intrinsic.STATUS,
    "statusMessage": Intrinsic.STATUS_MESSAGE,
    "kind": Intrinsic.KIND,
    "parent": Intrinsic.PARENT,
    "rootName": Intrinsic.TRACE_ROOT_NAME,
    "rootServiceName": Intrinsic.TRACE_ROOT_SERVICE,
    "traceDuration": Intrinsic.TRACE_DURATION,
    "nestedSetLeft": Intrinsic.NESTED_SET_LEFT,
    "nestedSetRight": Intrinsic.NESTED_SET_RIGHT,
    "nestedSetParent": Intrinsic.NESTED_SET_PARENT,
}

# `scope:name` spellings, derived from the canonical values.
SCOPED_INTRINSICS: dict[str, Intrinsic] = {i.value: i for i in Intrinsic if ":" in i.value}

INTRINSIC_TYPES: dict[Intrinsic, StaticType] = {
    Intrinsic.DURATION: StaticType.DURATION,
    Intrinsic.NAME: StaticType.STRING,
    Intrinsic.STATUS: StaticType.STATUS,
    Intrinsic.STATUS_MESSAGE: StaticType.STRING,
    Intrinsic.KIND: StaticType.KIND,
    Intrinsic.SPAN_ID: StaticType.STRING,
    Intrinsic.PARENT_ID: StaticType.STRING,
    Intrinsic.CHILD_COUNT: StaticType.INT,
    Intrinsic.TRACE_DURATION: StaticType.DURATION,
    Intrinsic.TRACE_ROOT_NAME: StaticType.STRING,
    Intrinsic.TRACE_ROOT_SERVICE: StaticType.STRING,
    Intrinsic.TRACE_ID: StaticType.STRING,
    Intrinsic.EVENT_NAME: StaticType.STRING,
    Intrinsic.EVENT_TIME_SINCE_START: StaticType.DURATION,
    Intrinsic.LINK_TRACE_ID: StaticType.STRING,
    Intrinsic.LINK_SPAN_ID: StaticType.STRING,
    Intrinsic.INSTRUMENTATION_NAME: StaticType.STRING,
    Intrinsic.INSTRUMENTATION_VERSION: StaticType.STRING,
    # `parent` is unsupported; typing it as unknown lets validation pass so check_supported reports it.
    Intrinsic.PARENT: StaticType.ATTRIBUTE,
    Intrinsic.NESTED_SET_LEFT: StaticType.INT,
    Intrinsic.NESTED_SET_RIGHT: StaticType.INT,
    Intrinsic.NESTED_SET_PARENT: StaticType.INT,
}


class AggregateOp(Enum):
    """Spanset aggregates used in scalar filters (`| count() > 2`)."""

    COUNT = "count"
    AVG = "avg"
    MIN = "min"
    MAX = "max"
    SUM = "sum"


class MetricsOp(Enum):
    """First-stage metrics functions (`| rate()`, `| quantile_over_time(duration, .9)`)."""

    RATE = "rate"
    COUNT_OVER_TIME = "count_over_time"
    MIN_OVER_TIME = "min_over_time"
    MAX_OVER_TIME = "max_over_time"
    AVG_OVER_TIME = "avg_over_time"
    SUM_OVER_TIME = "sum_over_time"
    QUANTILE_OVER_TIME = "quantile_over_time"
    HISTOGRAM_OVER_TIME = "histogram_over_time"


# Metrics functions that take no attribute argument.
METRICS_WITHOUT_ATTRIBUTE = frozenset({MetricsOp.RATE, MetricsOp.COUNT_OVER_TIME})


class SecondStageOp(Enum):
    """Second-stage metrics functions applied to series (`| topk(10)`)."""

    TOPK = "topk"
    BOTTOMK = "bottomk"
