"""OTLP protobuf -> span table. The one per-span Python pass of the system.

Everything after this runs in Arrow/C++. The walk appends into flat Python lists (one per leaf
column) and builds list arrays from offsets, which is the cheapest shape for CPython: no per-span
dicts or tuples, no per-attribute objects. Resource and scope fields are converted once per
ResourceSpans / ScopeSpans and repeated onto span rows with ``take``.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans

from tempo_py.model.schema import (
    ATTR_STRUCT,
    DEDICATED,
    EVENT_STRUCT,
    LINK_STRUCT,
    SPAN_SCHEMA,
    VT_ARRAY,
    VT_BOOL,
    VT_BYTES,
    VT_DOUBLE,
    VT_EMPTY,
    VT_INT,
    VT_KVLIST,
    VT_STR,
)

_SPAN_DEDICATED = {d.key: (i, d.vtype) for i, d in enumerate(d for d in DEDICATED if d.scope == "span")}
_RES_DEDICATED = {d.key: (i, d.vtype) for i, d in enumerate(d for d in DEDICATED if d.scope == "resource")}
_SPAN_DED_COLS = [d for d in DEDICATED if d.scope == "span"]
_RES_DED_COLS = [d for d in DEDICATED if d.scope == "resource"]


# Scalar span fields read by one C-level attrgetter call per span (column name = OTLP field path).
_SPAN_FIELDS = (
    "trace_id",
    "span_id",
    "parent_span_id",
    "trace_state",
    "flags",
    "name",
    "kind",
    "start_time_unix_nano",
    "end_time_unix_nano",
    "status_code",
    "status_message",
    "dropped_attributes_count",
    "dropped_events_count",
    "dropped_links_count",
)
_span_fields = operator.attrgetter(
    *(
        ("status.code" if f == "status_code" else "status.message" if f == "status_message" else f)
        for f in _SPAN_FIELDS
    )
)


class _Attrs:
    """Flat leaf lists of one attribute-list column plus its offsets."""

    __slots__ = ("bools", "byts", "doubles", "ints", "keys", "offsets", "strs", "types")

    def __init__(self) -> None:
        self.offsets: list[int] = [0]
        self.keys: list[str] = []
        self.types: list[int] = []
        self.strs: list[str | None] = []
        self.ints: list[int | None] = []
        self.doubles: list[float | None] = []
        self.bools: list[bool | None] = []
        self.byts: list[bytes | None] = []

    def add(
        self,
        kvs: Iterable[Any],
        dedicated: dict[str, tuple[int, int]] | None = None,
        ded_out: list[Any] | None = None,
    ) -> None:
        """Append one attribute list; values of dedicated keys go to ``ded_out`` instead."""
        keys, types, strs, ints = self.keys, self.types, self.strs, self.ints
        doubles, bools, byts = self.doubles, self.bools, self.byts
        for kv in kvs:
            key = kv.key
            v = kv.value
            which = v.WhichOneof("value")
            if which == "string_value":
                if dedicated is not None and ded_out is not None:
                    hit = dedicated.get(key)
                    if hit is not None and hit[1] == VT_STR and ded_out[hit[0]] is None:
                        ded_out[hit[0]] = v.string_value
                        continue
                keys.append(key)
                types.append(VT_STR)
                strs.append(v.string_value)
                ints.append(None)
                doubles.append(None)
                bools.append(None)
                byts.append(None)
                continue
            if which == "int_value":
                if dedicated is not None and ded_out is not None:
                    hit = dedicated.get(key)
                    if hit is not None and hit[1] == VT_INT and ded_out[hit[0]] is None:
                        ded_out[hit[0]] = v.int_value
                        continue
                keys.append(key)
                types.append(VT_INT)
                strs.append(None)
                ints.append(v.int_value)
                doubles.append(None)
                bools.append(None)
                byts.append(None)
                continue
            keys.append(key)
            strs.append(None)
            ints.append(None)
            if which == "double_value":
                types.append(VT_DOUBLE)
                doubles.append(v.double_value)
                bools.append(None)
                byts.append(None)
            elif which == "bool_value":
                types.append(VT_BOOL)
                doubles.append(None)
                bools.append(v.bool_value)
                byts.append(None)
            elif which == "bytes_value":
                types.append(VT_BYTES)
                doubles.append(None)
                bools.append(None)
                byts.append(v.bytes_value)
            elif which is None:
                types.append(VT_EMPTY)
                doubles.append(None)
                bools.append(None)
                byts.append(None)
            else:  # array_value / kvlist_value: keep the exact protobuf, lossless
                types.append(VT_ARRAY if which == "array_value" else VT_KVLIST)
                doubles.append(None)
                bools.append(None)
                byts.append(v.SerializeToString())
        self.offsets.append(len(keys))

    def to_arrow(self) -> pa.ListArray:
        """The list<attr struct> array, one list per ``add`` call."""
        values = pa.StructArray.from_arrays(
            [
                pa.array(self.keys, pa.string()),
                pa.array(self.types, pa.int8()),
                pa.array(self.strs, pa.string()),
                pa.array(self.ints, pa.int64()),
                pa.array(self.doubles, pa.float64()),
                pa.array(self.bools, pa.bool_()),
                pa.array(self.byts, pa.binary()),
            ],
            fields=list(ATTR_STRUCT),
        )
        return pa.ListArray.from_arrays(pa.array(self.offsets, pa.int32()), values)


def resource_spans_to_table(resource_spans: Iterable[ResourceSpans], *, packed: bool = False) -> pa.Table:
    """Convert OTLP ResourceSpans (e.g. ``request.resource_spans``) to a span table in input order.

    ``packed``: resource and scope columns stay dictionary-encoded (one value per distinct
    resource/scope, an index per span) instead of repeated on every row; see :mod:`.packing`.
    """
    rows: list[tuple[Any, ...]] = []  # one attrgetter tuple per span; transposed once at the end
    span_attrs = _Attrs()
    span_ded: list[list[Any]] = [[] for _ in _SPAN_DED_COLS]
    n_ded = len(_SPAN_DED_COLS)

    ev_offsets: list[int] = [0]
    ev_time: list[int] = []
    ev_name: list[str] = []
    ev_dropped: list[int] = []
    ev_attrs = _Attrs()

    ln_offsets: list[int] = [0]
    ln_trace: list[bytes] = []
    ln_span: list[bytes] = []
    ln_state: list[str] = []
    ln_flags: list[int] = []
    ln_dropped: list[int] = []
    ln_attrs = _Attrs()

    res_index: list[int] = []
    res_attrs = _Attrs()
    res_dropped: list[int] = []
    res_schema: list[str] = []
    res_ded: list[list[Any]] = [[] for _ in _RES_DED_COLS]

    scope_index: list[int] = []
    sc_name: list[str] = []
    sc_version: list[str] = []
    sc_attrs = _Attrs()
    sc_dropped: list[int] = []
    sc_schema: list[str] = []

    for r_i, rs in enumerate(resource_spans):
        resource = rs.resource
        ded: list[Any] = [None] * len(_RES_DED_COLS)
        res_attrs.add(resource.attributes, _RES_DEDICATED, ded)
        for col, value in zip(res_ded, ded, strict=True):
            col.append(value)
        res_dropped.append(resource.dropped_attributes_count)
        res_schema.append(rs.schema_url)
        for ss in rs.scope_spans:
            s_i = len(sc_name)
            scope = ss.scope
            sc_name.append(scope.name)
            sc_version.append(scope.version)
            sc_attrs.add(scope.attributes)
            sc_dropped.append(scope.dropped_attributes_count)
            sc_schema.append(ss.schema_url)
            spans = ss.spans
            n = len(spans)
            res_index.extend([r_i] * n)
            scope_index.extend([s_i] * n)
            for sp in spans:
                rows.append(_span_fields(sp))
                sded: list[Any] = [None] * n_ded
                span_attrs.add(sp.attributes, _SPAN_DEDICATED, sded)
                for col, value in zip(span_ded, sded, strict=True):
                    col.append(value)
                for ev in sp.events:
                    ev_time.append(ev.time_unix_nano)
                    ev_name.append(ev.name)
                    ev_dropped.append(ev.dropped_attributes_count)
                    ev_attrs.add(ev.attributes)
                ev_offsets.append(len(ev_time))
                for ln in sp.links:
                    ln_trace.append(ln.trace_id)
                    ln_span.append(ln.span_id)
                    ln_state.append(ln.trace_state)
                    ln_flags.append(ln.flags)
                    ln_dropped.append(ln.dropped_attributes_count)
                    ln_attrs.add(ln.attributes)
                ln_offsets.append(len(ln_trace))

    events = pa.ListArray.from_arrays(
        pa.array(ev_offsets, pa.int32()),
        pa.StructArray.from_arrays(
            [
                pa.array(ev_time, pa.uint64()),
                pa.array(ev_name, pa.string()),
                ev_attrs.to_arrow(),
                pa.array(ev_dropped, pa.uint32()),
            ],
            fields=list(EVENT_STRUCT),
        ),
    )
    links = pa.ListArray.from_arrays(
        pa.array(ln_offsets, pa.int32()),
        pa.StructArray.from_arrays(
            [
                pa.array(ln_trace, pa.binary()),
                pa.array(ln_span, pa.binary()),
                pa.array(ln_state, pa.string()),
                pa.array(ln_flags, pa.uint32()),
                ln_attrs.to_arrow(),
                pa.array(ln_dropped, pa.uint32()),
            ],
            fields=list(LINK_STRUCT),
        ),
    )
    cols: list[tuple[Any, ...]] = list(zip(*rows, strict=True)) if rows else [() for _ in _SPAN_FIELDS]
    by_name = dict(zip(_SPAN_FIELDS, cols, strict=True))
    parent = pa.array(by_name["parent_span_id"], pa.binary())
    parent = pc.if_else(pc.equal(pc.binary_length(parent), 0), pa.scalar(None, pa.binary()), parent)
    r_idx = pa.array(res_index, pa.int32())
    s_idx = pa.array(scope_index, pa.int32())

    def per_span(values: pa.Array, idx: pa.Array) -> pa.Array:
        return pa.DictionaryArray.from_arrays(idx, values) if packed else values.take(idx)

    columns: dict[str, pa.Array] = {
        **{
            name: pa.array(by_name[name], SPAN_SCHEMA.field(name).type)
            for name in _SPAN_FIELDS
            if name != "parent_span_id"
        },
        "parent_span_id": parent,
        "attrs": span_attrs.to_arrow(),
        "events": events,
        "links": links,
        "resource_attrs": per_span(res_attrs.to_arrow(), r_idx),
        "resource_dropped_attributes_count": per_span(pa.array(res_dropped, pa.uint32()), r_idx),
        "resource_schema_url": per_span(pa.array(res_schema, pa.string()), r_idx),
        "scope_name": per_span(pa.array(sc_name, pa.string()), s_idx),
        "scope_version": per_span(pa.array(sc_version, pa.string()), s_idx),
        "scope_attrs": per_span(sc_attrs.to_arrow(), s_idx),
        "scope_dropped_attributes_count": per_span(pa.array(sc_dropped, pa.uint32()), s_idx),
        "scope_schema_url": per_span(pa.array(sc_schema, pa.string()), s_idx),
    }
    for d, values in zip(_SPAN_DED_COLS, span_ded, strict=True):
        columns[d.column] = pa.array(values, pa.int64() if d.vtype == VT_INT else pa.string())
    for d, values in zip(_RES_DED_COLS, res_ded, strict=True):
        typ = pa.int64() if d.vtype == VT_INT else pa.string()
        columns[d.column] = per_span(pa.array(values, typ), r_idx)
    if packed:
        return pa.Table.from_arrays([columns[f.name] for f in SPAN_SCHEMA], names=SPAN_SCHEMA.names)
    return pa.Table.from_arrays([columns[f.name] for f in SPAN_SCHEMA], schema=SPAN_SCHEMA)
