"""Tempo's nested trace rows -> our flat span rows (``SPAN_SCHEMA``), with Arrow kernels.

A Tempo row is one trace: ``TraceID`` and ``rs`` (resource spans) -> ``ss`` (scope spans) ->
``Spans``. Each level is flattened with its parent indices; resource and scope fields are
gathered onto their spans, trace IDs onto theirs. Span fields map one to one (end time = start
+ ``DurationNano``, event times = span start + ``TimeSinceStartNano``, an empty
``ParentSpanID`` is a root). Tempo keeps some attributes in their own columns (vParquet4's
well-known service/k8s/http columns, and each block's dedicated columns from meta.json); they
are put back into the attribute lists, then the ones our schema keeps in its own columns
(``DEDICATED``) are moved there, so search sees a Tempo block exactly as one of ours. Tempo does
not store span or link flags or schema URLs; they come back as 0 and "".
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tempo_py.block.tempo_vparquet.attrs import (
    AttrElems,
    convert,
    extract,
    lengths,
    list_elems,
    merge,
    parents,
    scalar_elems,
    to_lists,
)
from tempo_py.block.tempo_vparquet.meta import VPARQUET4, DedicatedColumn
from tempo_py.model.schema import DEDICATED, EVENT_STRUCT, LINK_STRUCT, RESOURCE_COLUMNS, SPAN_SCHEMA

# vParquet4's fixed columns for well-known attributes: (column, key)
_V4_RESOURCE = (
    ("Cluster", "cluster"),
    ("Namespace", "namespace"),
    ("Pod", "pod"),
    ("Container", "container"),
    ("K8sClusterName", "k8s.cluster.name"),
    ("K8sNamespaceName", "k8s.namespace.name"),
    ("K8sPodName", "k8s.pod.name"),
    ("K8sContainerName", "k8s.container.name"),
)
_V4_SPAN = (("HttpMethod", "http.method"), ("HttpUrl", "http.url"), ("HttpStatusCode", "http.status_code"))

# the Tempo columns a mapping of every span column reads
COLUMNS = ("TraceID", "rs")


def _u32(arr: pa.Array) -> pa.Array:
    return arr.cast(pa.uint32())


def _lists(offsets_from: pa.Array, values: pa.Array, typ: pa.DataType) -> pa.Array:
    n = lengths(offsets_from)
    offsets = np.concatenate([[0], np.cumsum(n)]).astype(np.int32)
    return pa.ListArray.from_arrays(pa.array(offsets), values, type=typ)


def _dedicated(
    parent: pa.Array, scope: str, dedicated: list[DedicatedColumn], is_list: bool
) -> list[AttrElems]:
    """Attributes of one scope's dedicated columns, from ``parent``'s ``DedicatedAttributes``
    (vParquet5 files hold only the spare columns in use, possibly none)."""
    if not any(f.name == "DedicatedAttributes" for f in parent.type):
        return []
    struct = pc.struct_field(parent, "DedicatedAttributes")
    out = []
    present = {f.name for f in struct.type}
    for d in dedicated:
        if d.scope != scope or d.column not in present:
            continue
        col = pc.struct_field(struct, d.column)
        out.append(list_elems(d.key, col) if is_list else scalar_elems(d.key, col))
    return out


def _with_ours(elems: AttrElems, scope: str, rows: int) -> tuple[pa.Array, dict[str, pa.Array]]:
    """Our dedicated columns of ``scope`` moved out of the elements, then the lists rebuilt."""
    columns = {}
    for d in DEDICATED:
        if d.scope == scope:
            columns[d.column], elems = extract(elems, d.key, d.vtype, rows)
    return to_lists(elems, rows), columns


def _events(events: pa.Array, span_start: pa.Array, dedicated: list[DedicatedColumn]) -> pa.Array:
    ev = pc.list_flatten(events)
    start = span_start.take(pa.array(parents(events)))
    time = pc.add(pc.struct_field(ev, "TimeSinceStartNano").cast(pa.uint64()), start)
    n = len(ev)
    parts = [convert(pc.struct_field(ev, "Attrs"))]
    parts += _dedicated(ev, "event", dedicated, is_list=True)  # vParquet5 only
    values = pa.StructArray.from_arrays(
        [
            time,
            pc.struct_field(ev, "Name").cast(pa.string()),
            to_lists(merge(parts), n),
            _u32(pc.struct_field(ev, "DroppedAttributesCount")),
        ],
        fields=list(EVENT_STRUCT),
    )
    return _lists(events, values, SPAN_SCHEMA.field("events").type)


def _links(links: pa.Array) -> pa.Array:
    lk = pc.list_flatten(links)
    n = len(lk)
    values = pa.StructArray.from_arrays(
        [
            pc.struct_field(lk, "TraceID").cast(pa.binary()),
            pc.struct_field(lk, "SpanID").cast(pa.binary()),
            pc.struct_field(lk, "TraceState").cast(pa.string()),
            pa.array(np.zeros(n, np.uint32)),
            to_lists(convert(pc.struct_field(lk, "Attrs")), n),
            _u32(pc.struct_field(lk, "DroppedAttributesCount")),
        ],
        fields=list(LINK_STRUCT),
    )
    return _lists(links, values, SPAN_SCHEMA.field("links").type)


def _trace_ids(ids: pa.Array) -> pa.Array:
    """16-byte trace IDs (Tempo pads shorter IDs on the left with zeros)."""
    if pa.types.is_fixed_size_binary(ids.type) and ids.type.byte_width == 16:
        return ids
    padded = [b.rjust(16, b"\x00")[-16:] for b in ids.to_pylist()]
    return pa.array(padded, pa.binary(16))


_SPAN = ("rs", "ss", "Spans")
_RES = ("rs", "Resource")
_SCOPE = ("rs", "ss", "Scope")
_SPAN_ATTRS = (
    (*_SPAN, "Attrs"),
    (*_SPAN, "DedicatedAttributes"),
    *((*_SPAN, c) for c, _ in _V4_SPAN),
)
_RES_ATTRS = (
    (*_RES, "Attrs"),
    (*_RES, "DedicatedAttributes"),
    (*_RES, "ServiceName"),
    *((*_RES, c) for c, _ in _V4_RESOURCE),
)
# the Tempo fields (logical paths, without Parquet's list levels) each span column comes from
SOURCES: dict[str, tuple[tuple[str, ...], ...]] = {
    "trace_id": (("TraceID",),),
    "span_id": ((*_SPAN, "SpanID"),),
    "parent_span_id": ((*_SPAN, "ParentSpanID"),),
    "trace_state": ((*_SPAN, "TraceState"),),
    "flags": (),
    "name": ((*_SPAN, "Name"),),
    "kind": ((*_SPAN, "Kind"),),
    "start_time_unix_nano": ((*_SPAN, "StartTimeUnixNano"),),
    "end_time_unix_nano": ((*_SPAN, "StartTimeUnixNano"), (*_SPAN, "DurationNano")),
    "status_code": ((*_SPAN, "StatusCode"),),
    "status_message": ((*_SPAN, "StatusMessage"),),
    "attrs": _SPAN_ATTRS,
    "dropped_attributes_count": ((*_SPAN, "DroppedAttributesCount"),),
    "events": ((*_SPAN, "Events"), (*_SPAN, "StartTimeUnixNano")),
    "dropped_events_count": ((*_SPAN, "DroppedEventsCount"),),
    "links": ((*_SPAN, "Links"),),
    "dropped_links_count": ((*_SPAN, "DroppedLinksCount"),),
    "resource_attrs": _RES_ATTRS,
    "resource_dropped_attributes_count": ((*_RES, "DroppedAttributesCount"),),
    "resource_schema_url": (),
    "scope_name": ((*_SCOPE, "Name"),),
    "scope_version": ((*_SCOPE, "Version"),),
    "scope_attrs": ((*_SCOPE, "Attrs"),),
    "scope_dropped_attributes_count": ((*_SCOPE, "DroppedAttributesCount"),),
    "scope_schema_url": (),
    **{d.column: _RES_ATTRS if d.scope == "resource" else _SPAN_ATTRS for d in DEDICATED},
}
# read with any projection: it carries the nesting down to spans (which span is whose)
STRUCTURE: tuple[str, ...] = (*_SPAN, "SpanID")


def sources(columns: Iterable[str]) -> set[tuple[str, ...]]:
    """Tempo fields (logical path prefixes) that mapping ``columns`` (top-level or dotted) reads."""
    out: set[tuple[str, ...]] = {STRUCTURE}
    for c in columns:
        out.update(SOURCES[c.split(".", 1)[0]])
    return out


def _has(struct: pa.Array, name: str) -> bool:
    return any(f.name == name for f in struct.type)


def to_span_table(
    traces: pa.Table,
    version: str,
    dedicated: list[DedicatedColumn],
    columns: Iterable[str] | None = None,
) -> pa.Table:
    """Spans of ``traces`` (Tempo rows: ``TraceID`` and ``rs``, possibly projected to the
    :func:`sources` of ``columns``) as SPAN_SCHEMA rows, in Tempo's order (trace, then resource,
    scope and span order); only ``columns`` (top-level names; all when None)."""
    names = SPAN_SCHEMA.names if columns is None else {c.split(".", 1)[0] for c in columns}
    fields = [f for f in SPAN_SCHEMA if f.name in names]
    schema = pa.schema(fields)
    if traces.num_rows == 0:
        return schema.empty_table()
    rs = traces.column("rs").combine_chunks()
    rs_trace = parents(rs)
    rs_v = pc.list_flatten(rs)
    ss = pc.struct_field(rs_v, "ss")
    ss_rs = parents(ss)
    ss_v = pc.list_flatten(ss)
    spans = pc.struct_field(ss_v, "Spans")
    sp_ss = parents(spans)
    sp = pc.list_flatten(spans)
    sp_rs = ss_rs[sp_ss]
    n_rs, n_sp = len(rs_v), len(sp)
    take_rs, take_ss = pa.array(sp_rs), pa.array(sp_ss)
    v4 = version == VPARQUET4
    out: dict[str, pa.Array] = {}

    def res(name: str) -> pa.Array:
        return pc.struct_field(pc.struct_field(rs_v, "Resource"), name)

    def scope(name: str) -> pa.Array:
        return pc.struct_field(pc.struct_field(ss_v, "Scope"), name)

    def span(name: str) -> pa.Array:
        return pc.struct_field(sp, name)

    if any(f.name in RESOURCE_COLUMNS and f.name != "resource_dropped_attributes_count" for f in fields):
        # generic attributes, dedicated columns, service name, vParquet4's well-known columns
        r = pc.struct_field(rs_v, "Resource")
        parts = [convert(res("Attrs")), *_dedicated(r, "resource", dedicated, is_list=not v4)]
        service = res("ServiceName").cast(pa.string())
        parts.append(scalar_elems("service.name", pc.if_else(pc.equal(service, ""), None, service)))
        parts += [scalar_elems(k, res(c)) for c, k in _V4_RESOURCE if v4 and _has(r, c)]
        attrs, ours = _with_ours(merge(parts), "resource", n_rs)
        out["resource_attrs"] = attrs.take(take_rs)
        out.update({name: col.take(take_rs) for name, col in ours.items()})
    if "attrs" in names or any(d.column in names for d in DEDICATED if d.scope == "span"):
        parts = [convert(span("Attrs")), *_dedicated(sp, "span", dedicated, is_list=not v4)]
        parts += [scalar_elems(k, span(c)) for c, k in _V4_SPAN if v4 and _has(sp, c)]
        attrs, ours = _with_ours(merge(parts), "span", n_sp)
        out["attrs"] = attrs
        out.update(ours)
    builders = {
        "trace_id": lambda: _trace_ids(traces.column("TraceID").combine_chunks()).take(
            pa.array(rs_trace[sp_rs])
        ),
        "span_id": lambda: span("SpanID").cast(pa.binary(8)),
        "parent_span_id": lambda: _parent_ids(span("ParentSpanID")),
        "trace_state": lambda: span("TraceState").cast(pa.string()),
        "flags": lambda: pa.array(np.zeros(n_sp, np.uint32)),
        "name": lambda: span("Name").cast(pa.string()),
        "kind": lambda: span("Kind").cast(pa.int8()),
        "start_time_unix_nano": lambda: span("StartTimeUnixNano").cast(pa.uint64()),
        "end_time_unix_nano": lambda: pc.add(
            span("StartTimeUnixNano").cast(pa.uint64()), span("DurationNano").cast(pa.uint64())
        ),
        "status_code": lambda: span("StatusCode").cast(pa.int8()),
        "status_message": lambda: span("StatusMessage").cast(pa.string()),
        "dropped_attributes_count": lambda: _u32(span("DroppedAttributesCount")),
        "events": lambda: _events(span("Events"), span("StartTimeUnixNano").cast(pa.uint64()), dedicated),
        "dropped_events_count": lambda: _u32(span("DroppedEventsCount")),
        "links": lambda: _links(span("Links")),
        "dropped_links_count": lambda: _u32(span("DroppedLinksCount")),
        "resource_dropped_attributes_count": lambda: _u32(res("DroppedAttributesCount")).take(take_rs),
        "resource_schema_url": lambda: pa.array(np.full(n_sp, "", dtype=object), pa.string()),
        "scope_name": lambda: scope("Name").cast(pa.string()).take(take_ss),
        "scope_version": lambda: scope("Version").cast(pa.string()).take(take_ss),
        "scope_attrs": lambda: to_lists(convert(scope("Attrs")), len(ss_v)).take(take_ss),
        "scope_dropped_attributes_count": lambda: _u32(scope("DroppedAttributesCount")).take(take_ss),
        "scope_schema_url": lambda: pa.array(np.full(n_sp, "", dtype=object), pa.string()),
    }
    arrays = [out[f.name] if f.name in out else builders[f.name]() for f in fields]
    return pa.Table.from_arrays(arrays, schema=schema)


def _parent_ids(ids: pa.Array) -> pa.Array:
    """Tempo's empty parent ID (a root span) as null."""
    ids = ids.cast(pa.binary())
    return pc.if_else(pc.equal(pc.binary_length(ids), 0), None, ids)
