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
from tempo_py.model.schema import DEDICATED, EVENT_STRUCT, LINK_STRUCT, SPAN_SCHEMA

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

# the Tempo columns a mapping reads (what a projection of every span column needs)
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


def to_span_table(traces: pa.Table, version: str, dedicated: list[DedicatedColumn]) -> pa.Table:
    """Every span of ``traces`` (Tempo rows with ``TraceID`` and ``rs``) as SPAN_SCHEMA rows,
    in Tempo's order (trace, then resource, scope and span order)."""
    if traces.num_rows == 0:
        return SPAN_SCHEMA.empty_table()
    rs = traces.column("rs").combine_chunks()
    rs_trace = parents(rs)
    rs_v = pc.list_flatten(rs)
    res = pc.struct_field(rs_v, "Resource")
    ss = pc.struct_field(rs_v, "ss")
    ss_rs = parents(ss)
    ss_v = pc.list_flatten(ss)
    scope = pc.struct_field(ss_v, "Scope")
    spans = pc.struct_field(ss_v, "Spans")
    sp_ss = parents(spans)
    sp = pc.list_flatten(spans)
    sp_rs = ss_rs[sp_ss]
    sp_trace = rs_trace[sp_rs]
    n_rs, n_sp = len(rs_v), len(sp)

    # resource attributes: generic, then vParquet4's well-known columns, dedicated, service.name
    v4 = version == VPARQUET4
    res_parts = [convert(pc.struct_field(res, "Attrs"))]
    res_parts += _dedicated(res, "resource", dedicated, is_list=not v4)
    service = pc.struct_field(res, "ServiceName").cast(pa.string())
    res_parts.append(scalar_elems("service.name", pc.if_else(pc.equal(service, ""), None, service)))
    if v4:
        res_parts += [scalar_elems(k, pc.struct_field(res, c)) for c, k in _V4_RESOURCE]
    res_attrs, res_cols = _with_ours(merge(res_parts), "resource", n_rs)

    # span attributes: generic, dedicated, vParquet4's well-known columns
    sp_parts = [convert(pc.struct_field(sp, "Attrs"))]
    sp_parts += _dedicated(sp, "span", dedicated, is_list=not v4)
    if v4:
        sp_parts += [scalar_elems(k, pc.struct_field(sp, c)) for c, k in _V4_SPAN]
    sp_attrs, sp_cols = _with_ours(merge(sp_parts), "span", n_sp)

    scope_attrs = to_lists(convert(pc.struct_field(scope, "Attrs")), len(ss_v))
    take_rs = pa.array(sp_rs)
    take_ss = pa.array(sp_ss)
    start = pc.struct_field(sp, "StartTimeUnixNano").cast(pa.uint64())
    parent_id = pc.struct_field(sp, "ParentSpanID").cast(pa.binary())
    empty = pa.array(np.full(n_sp, "", dtype=object), pa.string())
    columns: dict[str, pa.Array] = {
        "trace_id": _trace_ids(traces.column("TraceID").combine_chunks()).take(pa.array(sp_trace)),
        "span_id": pc.struct_field(sp, "SpanID").cast(pa.binary(8)),
        "parent_span_id": pc.if_else(pc.equal(pc.binary_length(parent_id), 0), None, parent_id),
        "trace_state": pc.struct_field(sp, "TraceState").cast(pa.string()),
        "flags": pa.array(np.zeros(n_sp, np.uint32)),
        "name": pc.struct_field(sp, "Name").cast(pa.string()),
        "kind": pc.struct_field(sp, "Kind").cast(pa.int8()),
        "start_time_unix_nano": start,
        "end_time_unix_nano": pc.add(start, pc.struct_field(sp, "DurationNano").cast(pa.uint64())),
        "status_code": pc.struct_field(sp, "StatusCode").cast(pa.int8()),
        "status_message": pc.struct_field(sp, "StatusMessage").cast(pa.string()),
        "attrs": sp_attrs,
        "dropped_attributes_count": _u32(pc.struct_field(sp, "DroppedAttributesCount")),
        "events": _events(pc.struct_field(sp, "Events"), start, dedicated),
        "dropped_events_count": _u32(pc.struct_field(sp, "DroppedEventsCount")),
        "links": _links(pc.struct_field(sp, "Links")),
        "dropped_links_count": _u32(pc.struct_field(sp, "DroppedLinksCount")),
        "resource_attrs": res_attrs.take(take_rs),
        "resource_dropped_attributes_count": _u32(pc.struct_field(res, "DroppedAttributesCount")).take(
            take_rs
        ),
        "resource_schema_url": empty,
        "scope_name": pc.struct_field(scope, "Name").cast(pa.string()).take(take_ss),
        "scope_version": pc.struct_field(scope, "Version").cast(pa.string()).take(take_ss),
        "scope_attrs": scope_attrs.take(take_ss),
        "scope_dropped_attributes_count": _u32(pc.struct_field(scope, "DroppedAttributesCount")).take(
            take_ss
        ),
        "scope_schema_url": empty,
    }
    for name, col in res_cols.items():
        columns[name] = col.take(take_rs)
    columns.update(sp_cols)
    return pa.Table.from_arrays([columns[f.name] for f in SPAN_SCHEMA], schema=SPAN_SCHEMA)
