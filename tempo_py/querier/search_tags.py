"""Tag autocomplete: attribute names per scope and the values of one attribute or intrinsic.

Answered from a projection: only the columns that hold the names (the `key` leaf of the attribute
lists, dedicated columns) or the values asked for are read, from row groups within start/end and,
when ``q`` is given, only spans matching its conditions count. Live data is included. Without
``q``, names of span, resource and scope attributes come from the blocks' key index and the
dedicated columns' statistics alone; values skip attribute lists that lack the key.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tempo_py.model.schema import DEDICATED
from tempo_py.querier.search import SearchBudgetExceeded, SearchEngine
from tempo_py.querier.search_decode import ListKeys, decode, fetch_columns, query_list_keys
from tempo_py.querier.search_query import SearchQuery, SearchStats
from tempo_py.querier.search_workers import cpu
from tempo_py.traceql import ast
from tempo_py.traceql.enums import KIND_VALUES, STATUS_VALUES, AttributeScope, Intrinsic
from tempo_py.traceql.eval.access import View, list_lookup, span_value
from tempo_py.traceql.eval.filter import evaluate, span_mask
from tempo_py.traceql.eval.frame import Frame
from tempo_py.traceql.eval.output import typed_row_values
from tempo_py.traceql.eval.plan import columns_for
from tempo_py.traceql.eval.values import BOOL, DUR, FLOAT, INT, KIND, STATUS, STR
from tempo_py.traceql.regex import check_regexes

_T = TypeVar("_T")
SCOPES = ("resource", "span", "event", "link", "instrumentation", "intrinsic")
INTRINSIC_TAGS = sorted(
    {
        "duration",
        "kind",
        "name",
        "status",
        "statusMessage",
        "rootName",
        "rootServiceName",
        "traceDuration",
        *(i.value for i in Intrinsic if ":" in i.value and i.value != "span:childCount"),
    }
)
_TAG_TYPES = {
    STR: "string",
    INT: "int",
    FLOAT: "float",
    BOOL: "bool",
    DUR: "duration",
    STATUS: "keyword",
    KIND: "keyword",
}
_NAME_SOURCES = {
    "span": "attrs.list.element.key",
    "resource": "resource_attrs.list.element.key",
    "instrumentation": "scope_attrs.list.element.key",
    "event": "events.list.element.attrs.list.element.key",
    "link": "links.list.element.attrs.list.element.key",
}


@dataclass(frozen=True)
class TagQuery:
    """An autocomplete request: time range, optional TraceQL filter (its span conditions), limit."""

    filters: tuple[ast.FieldExpr, ...] = ()
    start_ns: int | None = None
    end_ns: int | None = None
    limit: int = 0  # 0: no limit


async def scan_spans(
    engine: SearchEngine,
    tenant: str,
    query: TagQuery,
    columns: list[str],
    list_keys: ListKeys | None = None,
) -> list[pa.Table]:
    """Span rows (``columns`` plus what the filters need) matching any filter, from blocks and live
    data; through the engine's query gate, as searches are. With ``list_keys`` (top-level columns
    only), attribute lists holding none of those keys in a row group are not decoded there."""
    if engine.gate is None:
        return await _scan_spans(engine, tenant, query, columns, list_keys)
    return await engine.gate.run(tenant, lambda: _scan_spans(engine, tenant, query, columns, list_keys))


async def _scan_spans(
    engine: SearchEngine, tenant: str, query: TagQuery, columns: list[str], list_keys: ListKeys | None
) -> list[pa.Table]:
    for f in query.filters:
        check_regexes(f)  # RE2 only (linear time); a pattern it cannot run is a 400, not a stall
    read = sorted(set(columns) | set().union(*(columns_for(f) for f in query.filters)))
    probe = SearchQuery(ast.RootExpr(ast.Pipeline(())), query.start_ns, query.end_ns)
    stats = SearchStats()
    scans = await engine.plan_blocks(tenant, probe, stats)
    groups = {id(s): engine.prune(s, list(query.filters), probe) for s in scans}
    planned = sum(hi - lo for s in scans for lo, hi in s.ranges(groups[id(s)], read))
    if planned > engine.budget:
        raise SearchBudgetExceeded(planned, engine.budget)
    sem = asyncio.Semaphore(engine.concurrency)
    tables: list[pa.Table] = []
    for scan in scans:
        chosen = groups[id(scan)]
        if not chosen:
            continue
        if list_keys is None:
            await scan.fetch(scan.ranges(chosen, read), sem)
            tables.append(await cpu(scan.decode, chosen, read))
        else:
            await scan.fetch(scan.ranges(chosen, fetch_columns(scan, chosen, read, list_keys)), sem)
            tables.append(await cpu(decode, scan, chosen, read, list_keys))
    for source in engine.live:
        await source.settle()
        tables += [_project(t, read) for t in source.tables(tenant) if t.num_rows]
    if query.filters:
        tables = [await cpu(_matching, t, query.filters) for t in tables]
    return [t for t in tables if t.num_rows]


def _project(table: pa.Table, columns: list[str]) -> pa.Table:
    """Live tables have whole columns; keep the top-level ones a dotted projection names."""
    return table.select(sorted({c.split(".", 1)[0] for c in columns}))


def _matching(table: pa.Table, filters: Iterable[ast.FieldExpr]) -> pa.Table:
    frame = Frame(table)
    mask = np.zeros(frame.n, dtype=bool)
    for f in filters:
        mask |= span_mask(f, frame)
    return table.filter(pa.array(mask))


async def tag_names(
    engine: SearchEngine, tenant: str, query: TagQuery, scopes: Iterable[str]
) -> dict[str, list[str]]:
    """Attribute names per scope (intrinsic: the fixed list)."""
    wanted = [s for s in scopes if s in SCOPES]
    indexed = None if query.filters else await _indexed_names(engine, tenant, query, wanted)
    if indexed is not None:
        tables = await _live_tables(engine, tenant)
    else:
        columns = [_NAME_SOURCES[s] for s in wanted if s in _NAME_SOURCES]
        columns += [d.column for d in DEDICATED if d.scope in wanted]
        tables = await scan_spans(engine, tenant, query, columns) if columns else []
    out: dict[str, list[str]] = {}
    for scope in wanted:
        if scope == "intrinsic":
            out[scope] = _limit(INTRINSIC_TAGS, query.limit)
            continue
        names: set[str] = set(indexed.get(scope, ())) if indexed is not None else set()
        for table in tables:
            names |= _keys(table, scope)
        out[scope] = _limit(sorted(names), query.limit)
    return out


_INDEXED_LISTS = {"span": "attrs", "resource": "resource_attrs", "instrumentation": "scope_attrs"}


async def _indexed_names(
    engine: SearchEngine, tenant: str, query: TagQuery, scopes: list[str]
) -> dict[str, set[str]] | None:
    """Attribute names per scope in the blocks, from their key index and the statistics of the
    dedicated columns, reading no rows; None when some row group is not indexed (or a scope, such
    as event attributes, has no index)."""
    if any(s not in _INDEXED_LISTS and s != "intrinsic" for s in scopes):
        return None
    probe = SearchQuery(ast.RootExpr(ast.Pipeline(())), query.start_ns, query.end_ns)
    out: dict[str, set[str]] = {s: set() for s in scopes if s in _INDEXED_LISTS}
    for scan in await engine.plan_blocks(tenant, probe, SearchStats()):
        for g in engine.prune(scan, [], probe):
            for scope, names in out.items():
                dedicated = [d for d in DEDICATED if d.scope == scope]
                column = _INDEXED_LISTS[scope]
                st = scan.stats(g, (column, *(d.column for d in dedicated)))
                keys = st.get(column)
                if keys is None or keys.keys is None:
                    return None
                names |= keys.keys
                for d in dedicated:
                    col = st.get(d.column)
                    if col is None:
                        return None
                    if not col.all_null:
                        names.add(d.key)
    return out


async def _live_tables(engine: SearchEngine, tenant: str) -> list[pa.Table]:
    tables: list[pa.Table] = []
    for source in engine.live:
        await source.settle()
        tables += [t for t in source.tables(tenant) if t.num_rows]
    return tables


def _keys(table: pa.Table, scope: str) -> set[str]:
    top = _NAME_SOURCES[scope].split(".", 1)[0]
    lists = table.column(top).combine_chunks()
    if scope in ("event", "link"):
        lists = pc.list_flatten(lists).field("attrs")
    keys = set(pc.unique(pc.list_flatten(lists).field("key")).to_pylist())
    for d in DEDICATED:
        if (
            d.scope == scope
            and d.column in table.column_names
            and table.column(d.column).null_count < table.num_rows
        ):
            keys.add(d.key)
    return keys


async def tag_values(
    engine: SearchEngine, tenant: str, query: TagQuery, attr: ast.Attribute
) -> list[tuple[str, str]]:
    """Distinct (type, value) pairs of an attribute or intrinsic, sorted; keyword lists for status/kind."""
    if attr.intrinsic is Intrinsic.STATUS:
        return [("keyword", v) for v in _limit(list(STATUS_VALUES), query.limit)]
    if attr.intrinsic is Intrinsic.KIND:
        return [("keyword", v) for v in _limit(list(KIND_VALUES), query.limit)]
    wanted = query_list_keys(ast.Pipeline((ast.SpansetFilter(attr), *map(ast.SpansetFilter, query.filters))))
    tables = await scan_spans(engine, tenant, query, sorted(columns_for(attr) | {"trace_id"}), wanted)
    found: set[tuple[str, str]] = set()
    for table in tables:
        found |= _values(table, attr)
    return _limit(sorted(found, key=lambda tv: (tv[1], tv[0])), query.limit)


def _values(table: pa.Table, attr: ast.Attribute) -> set[tuple[str, str]]:
    frame = Frame(table)
    if attr.scope in (AttributeScope.EVENT, AttributeScope.LINK):
        from tempo_py.traceql.eval.filter import exploded

        view = exploded(frame, attr.scope)
        value = evaluate(attr, view)
        n = view.n
    elif attr.intrinsic is None and attr.scope is AttributeScope.INSTRUMENTATION:
        value = list_lookup(frame.column("scope_attrs"), attr.name, frame.n)
        n = frame.n
    else:
        value = (
            span_value(attr, frame)
            if attr.intrinsic is not None or attr.scope is not AttributeScope.NONE
            else evaluate(attr, View(frame))
        )
        n = frame.n
    out: set[tuple[str, str]] = set()
    for tag, part in value.parts.items():
        distinct = pc.unique(part).to_pylist() if isinstance(part, pa.Array) else [part.as_py()] * min(n, 1)
        rows = np.arange(len(distinct))
        for tv in typed_row_values(type(value)({tag: pa.array(distinct, part.type)}), rows):
            if tv is not None:
                kind, v = tv
                text = ("true" if v else "false") if kind == BOOL else str(v)
                out.add((_TAG_TYPES.get(kind, "string"), text))
    return out


def _limit(values: list[_T], limit: int) -> list[_T]:
    return values[:limit] if limit > 0 else values
