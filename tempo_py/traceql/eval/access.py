"""Reading attributes and intrinsics of span rows as :class:`Value` columns.

Generic attributes live in list<struct<key, type, str, int, double, bool, bytes>> columns; a lookup
flattens the list once, keeps the entries with the key and scatters them back to their rows (keys
are unique per span, so each row gets at most one). Well-known attributes are stored in dedicated
columns instead, moved out of the list, so a lookup of one of those reads its column and the list
(for values of another type than the column's).

Event and link fields are per event/link, not per span: they are read from a :class:`View` whose
rows are (span, event) or (span, link) pairs; span-level values are spread to those rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tempo_py.model.schema import DEDICATED_BY_KEY, VT_BOOL, VT_DOUBLE, VT_INT, VT_STR
from tempo_py.traceql import ast
from tempo_py.traceql.enums import AttributeScope, Intrinsic
from tempo_py.traceql.errors import TraceQLUnsupportedError
from tempo_py.traceql.eval.frame import Frame, hex_ids
from tempo_py.traceql.eval.values import BOOL, DUR, EMPTY, FLOAT, INT, KIND, STATUS, STR, Value, take

_TYPED_FIELDS = (
    (VT_STR, "str", STR),
    (VT_INT, "int", INT),
    (VT_DOUBLE, "double", FLOAT),
    (VT_BOOL, "bool", BOOL),
)
_LIST_COLUMNS = {
    AttributeScope.SPAN: "attrs",
    AttributeScope.RESOURCE: "resource_attrs",
    AttributeScope.INSTRUMENTATION: "scope_attrs",
}


@dataclass
class View:
    """Rows to evaluate over: the frame's spans, or (span, event|link) pairs when ``index`` is set.

    ``index`` maps each row to its span row; ``nested`` holds the event or link struct per row
    (null for spans without any) and ``nested_scope`` says which.
    """

    frame: Frame
    index: pa.Array | None = None
    nested: pa.StructArray | None = None
    nested_scope: AttributeScope | None = None
    _cache: dict[ast.Attribute, Value] = field(default_factory=dict)

    @property
    def n(self) -> int:
        """Number of rows."""
        return self.frame.n if self.index is None else len(self.index)


def attribute_value(attr: ast.Attribute, view: View) -> Value:
    """The value of an attribute or intrinsic on every row of ``view``."""
    cached = view._cache.get(attr)
    if cached is not None:
        return cached
    if attr.scope in (AttributeScope.EVENT, AttributeScope.LINK):
        value = _nested_value(attr, view)
    else:
        value = span_value(attr, view.frame)
        if view.index is not None:
            value = take(value, view.index)
    view._cache[attr] = value
    return value


def span_value(attr: ast.Attribute, frame: Frame) -> Value:
    """The value of a span-level attribute or intrinsic per span row."""
    if attr.intrinsic is not None:
        return _intrinsic(attr.intrinsic, frame)
    if attr.scope is AttributeScope.NONE:
        span = _scoped(AttributeScope.SPAN, attr.name, frame)
        resource = _scoped(AttributeScope.RESOURCE, attr.name, frame)
        if not resource.parts:
            return span
        if not span.parts:
            return resource
        # span first, then resource: a span attribute shadows the resource one of the same name
        on_span = pa.array(span.present(frame.n))
        tags = set(span.parts) | set(resource.parts)
        return Value(
            {t: pc.if_else(on_span, _full(span, t, frame.n), _full(resource, t, frame.n)) for t in tags}
        )
    return _scoped(attr.scope, attr.name, frame)


def _full(value: Value, tag: str, n: int) -> pa.Array:
    part = value.parts.get(tag)
    if part is None:
        other = next(iter(value.parts.values()))
        return pa.nulls(n, _tag_type(tag, other))
    return part if isinstance(part, pa.Array) else pa.array([part.as_py()] * n, part.type)


def _tag_type(tag: str, other: pa.Array | pa.Scalar) -> pa.DataType:
    return {STR: pa.string(), INT: pa.int64(), FLOAT: pa.float64(), BOOL: pa.bool_()}.get(tag, other.type)


def _scoped(scope: AttributeScope, name: str, frame: Frame) -> Value:
    column = _LIST_COLUMNS.get(scope)
    if column is None:
        raise TraceQLUnsupportedError(f"attributes of scope {scope.value!r}")
    value = list_lookup(frame.column(column), name, frame.n) if frame.has(column) else EMPTY
    dedicated = DEDICATED_BY_KEY.get((scope.value, name))
    if dedicated is None or not frame.has(dedicated.column):
        return value
    tag = INT if dedicated.vtype == VT_INT else STR
    col = frame.column(dedicated.column)
    parts = dict(value.parts)
    parts[tag] = pc.coalesce(col, parts[tag]) if tag in parts else col
    return Value(parts)


def list_lookup(lists: pa.Array, key: str, n: int) -> Value:
    """The value of ``key`` per row of a list<ATTR_STRUCT> array."""
    if len(lists) == 0:
        return EMPTY
    flat = pc.list_flatten(lists)
    hit = pc.equal(flat.field("key"), key)
    if not pc.any(hit).as_py():
        return EMPTY
    entries = flat.filter(hit)
    rows = np.asarray(pc.list_parent_indices(lists).filter(hit).to_numpy(), dtype=np.int64)
    positions = np.full(n, -1, dtype=np.int64)
    positions[rows] = np.arange(len(rows), dtype=np.int64)
    scatter = pa.array(positions, mask=positions < 0)
    types = entries.field("type")
    parts: dict[str, pa.Array] = {}
    for vtype, field_name, tag in _TYPED_FIELDS:
        is_type = pc.equal(types, vtype)
        if pc.any(is_type).as_py():
            typed = pc.if_else(
                is_type, entries.field(field_name), pa.scalar(None, entries.field(field_name).type)
            )
            parts[tag] = typed.take(scatter)
    return Value(parts)


def _intrinsic(intrinsic: Intrinsic, frame: Frame) -> Value:
    match intrinsic:
        case Intrinsic.NAME:
            return Value({STR: frame.column("name")})
        case Intrinsic.STATUS:
            return Value({STATUS: frame.column("status_code")})
        case Intrinsic.STATUS_MESSAGE:
            return Value({STR: frame.column("status_message")})
        case Intrinsic.KIND:
            return Value({KIND: frame.column("kind")})
        case Intrinsic.DURATION:
            return Value({DUR: pa.array(frame.span_end - frame.span_start)})
        case Intrinsic.SPAN_ID:
            return Value({STR: hex_ids(frame.column("span_id"))})
        case Intrinsic.PARENT_ID:
            return Value({STR: hex_ids(frame.column("parent_span_id"))})
        case Intrinsic.TRACE_ID:
            return Value({STR: frame.broadcast(hex_ids(frame.trace_ids))})
        case Intrinsic.CHILD_COUNT:
            return Value({INT: pa.array(frame.child_counts)})
        case Intrinsic.TRACE_DURATION:
            per_trace = pa.array(frame.trace_end - frame.trace_start)
            return Value({DUR: frame.broadcast(per_trace)})
        case Intrinsic.TRACE_ROOT_NAME:
            return Value({STR: frame.broadcast(pa.array(frame.per_trace_string("name"), pa.string()))})
        case Intrinsic.TRACE_ROOT_SERVICE:
            names = frame.per_trace_string("service_name")
            return Value({STR: frame.broadcast(pa.array(names, pa.string()))})
        case Intrinsic.NESTED_SET_LEFT:
            return Value({INT: pa.array(frame.nested_set[0])})
        case Intrinsic.NESTED_SET_RIGHT:
            return Value({INT: pa.array(frame.nested_set[1])})
        case Intrinsic.NESTED_SET_PARENT:
            return Value({INT: pa.array(frame.nested_set[2])})
        case Intrinsic.INSTRUMENTATION_NAME:
            return Value({STR: frame.column("scope_name")})
        case Intrinsic.INSTRUMENTATION_VERSION:
            return Value({STR: frame.column("scope_version")})
    raise TraceQLUnsupportedError(f"the intrinsic {intrinsic.value}")


def _nested_value(attr: ast.Attribute, view: View) -> Value:
    nested = view.nested
    if nested is None or view.nested_scope is not attr.scope or view.index is None:
        return EMPTY  # the view is not exploded over this scope: nothing to read
    match attr.intrinsic:
        case Intrinsic.EVENT_NAME:
            return Value({STR: nested.field("name")})
        case Intrinsic.EVENT_TIME_SINCE_START:
            start = pa.array(view.frame.span_start).take(view.index)
            since = pc.subtract(pc.cast(nested.field("time_unix_nano"), pa.int64()), start)
            return Value({DUR: since})
        case Intrinsic.LINK_TRACE_ID:
            return Value({STR: hex_ids(nested.field("trace_id"))})
        case Intrinsic.LINK_SPAN_ID:
            return Value({STR: hex_ids(nested.field("span_id"))})
        case None:
            return list_lookup(nested.field("attrs"), attr.name, len(nested))
    raise TraceQLUnsupportedError(f"the intrinsic {attr}")
