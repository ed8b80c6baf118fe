"""Span table -> OTLP ResourceSpans, for query answers (a few traces, so per-span Python is fine).

Spans are regrouped under one ResourceSpans per distinct resource and one ScopeSpans per distinct
scope within it, in first-seen order, which is how SDKs batch them.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span

from tempo_py.model.schema import (
    DEDICATED,
    RESOURCE_COLUMNS,
    SCOPE_COLUMNS,
    VT_ARRAY,
    VT_BOOL,
    VT_BYTES,
    VT_DOUBLE,
    VT_EMPTY,
    VT_INT,
    VT_KVLIST,
    VT_STR,
)

_SPAN_DED = [d for d in DEDICATED if d.scope == "span"]
_RES_DED = [d for d in DEDICATED if d.scope == "resource"]


def _fill_attrs(target: Any, attrs: list[dict[str, Any]]) -> None:
    for a in attrs:
        kv = target.add()
        kv.key = a["key"]
        set_any_value(kv.value, a)


def set_any_value(value: AnyValue, a: dict[str, Any]) -> None:
    """Fill an OTLP AnyValue from one attribute struct of the span table."""
    t = a["type"]
    if t == VT_STR:
        value.string_value = a["str"]
    elif t == VT_INT:
        value.int_value = a["int"]
    elif t == VT_DOUBLE:
        value.double_value = a["double"]
    elif t == VT_BOOL:
        value.bool_value = a["bool"]
    elif t == VT_BYTES:
        value.bytes_value = a["bytes"]
    elif t in (VT_ARRAY, VT_KVLIST):
        value.ParseFromString(a["bytes"])
    elif t != VT_EMPTY:
        raise ValueError(f"unknown attribute value type {t}")


def _dedicated_kv(target: Any, key: str, v: Any) -> None:
    kv: KeyValue = target.add()
    kv.key = key
    if isinstance(v, str):
        kv.value.string_value = v
    else:
        kv.value.int_value = v


def _resource_key(row: dict[str, Any]) -> str:
    return repr([row[c] for c in RESOURCE_COLUMNS])


def _scope_key(row: dict[str, Any]) -> str:
    return repr([row[c] for c in SCOPE_COLUMNS])


def _make_resource(row: dict[str, Any]) -> tuple[Resource, str]:
    res = Resource()
    for d in _RES_DED:
        v = row[d.column]
        if v is not None:
            _dedicated_kv(res.attributes, d.key, v)
    _fill_attrs(res.attributes, row["resource_attrs"])
    res.dropped_attributes_count = row["resource_dropped_attributes_count"]
    return res, row["resource_schema_url"]


def _fill_span(sp: Span, row: dict[str, Any]) -> None:
    sp.trace_id = row["trace_id"]
    sp.span_id = row["span_id"]
    if row["parent_span_id"]:
        sp.parent_span_id = row["parent_span_id"]
    sp.trace_state = row["trace_state"]
    sp.flags = row["flags"]
    sp.name = row["name"]
    sp.kind = row["kind"]
    sp.start_time_unix_nano = row["start_time_unix_nano"]
    sp.end_time_unix_nano = row["end_time_unix_nano"]
    if row["status_code"] or row["status_message"]:
        sp.status.code = row["status_code"]
        sp.status.message = row["status_message"]
    for d in _SPAN_DED:
        v = row[d.column]
        if v is not None:
            _dedicated_kv(sp.attributes, d.key, v)
    _fill_attrs(sp.attributes, row["attrs"])
    sp.dropped_attributes_count = row["dropped_attributes_count"]
    for e in row["events"]:
        ev = sp.events.add()
        ev.time_unix_nano = e["time_unix_nano"]
        ev.name = e["name"]
        _fill_attrs(ev.attributes, e["attrs"])
        ev.dropped_attributes_count = e["dropped_attributes_count"]
    sp.dropped_events_count = row["dropped_events_count"]
    for link in row["links"]:
        ln = sp.links.add()
        ln.trace_id = link["trace_id"]
        ln.span_id = link["span_id"]
        ln.trace_state = link["trace_state"]
        ln.flags = link["flags"]
        _fill_attrs(ln.attributes, link["attrs"])
        ln.dropped_attributes_count = link["dropped_attributes_count"]
    sp.dropped_links_count = row["dropped_links_count"]


def table_to_resource_spans(table: pa.Table) -> list[ResourceSpans]:
    """Rebuild OTLP ResourceSpans from span rows, grouping by resource then scope."""
    out: list[ResourceSpans] = []
    by_resource: dict[str, tuple[ResourceSpans, dict[str, ScopeSpans]]] = {}
    for row in table.to_pylist():
        rkey = _resource_key(row)
        entry = by_resource.get(rkey)
        if entry is None:
            rs = ResourceSpans()
            res, schema_url = _make_resource(row)
            rs.resource.CopyFrom(res)
            rs.schema_url = schema_url
            entry = (rs, {})
            by_resource[rkey] = entry
            out.append(rs)
        rs, scopes = entry
        skey = _scope_key(row)
        ss = scopes.get(skey)
        if ss is None:
            ss = rs.scope_spans.add()
            ss.scope.name = row["scope_name"]
            ss.scope.version = row["scope_version"]
            _fill_attrs(ss.scope.attributes, row["scope_attrs"])
            ss.scope.dropped_attributes_count = row["scope_dropped_attributes_count"]
            ss.schema_url = row["scope_schema_url"]
            scopes[skey] = ss
        _fill_span(ss.spans.add(), row)
    return out
