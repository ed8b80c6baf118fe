"""Phase-1 bookkeeping of a search: leaf hits per source, candidate formula, final ordering."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tempo_py.block.interface import BlockScan
from tempo_py.model.schema import SPAN_SCHEMA
from tempo_py.querier.search_decode import ListKeys, decode
from tempo_py.querier.search_query import SearchQuery
from tempo_py.traceql import ast
from tempo_py.traceql.eval import Frame, Spansets
from tempo_py.traceql.eval.filter import span_mask
from tempo_py.traceql.eval.plan import AllOf, AnyOf, Candidates, Leaf

_IDS = pa.binary(16)


@dataclass
class Gathered:
    """Per leaf, trace-ID arrays found by each source; and the span rows kept for phase 2.

    ``kept`` holds block rows of candidate traces only, each (block, row) once; ``live`` holds
    ingesters' tables whole (filtered to the candidates when evaluated); ``sources`` says which
    blocks (by id of their scan) rows came from, so rows need de-duplicating only across sources.
    """

    leaf_ids: list[list[pa.Array]]
    kept: list[pa.Table] = field(default_factory=list)
    live: list[pa.Table] = field(default_factory=list)
    sources: set[int] = field(default_factory=set)
    trace_ids: list[pa.Array] = field(default_factory=list)  # distinct trace IDs per table kept

    def keep(self, table: pa.Table, source: int) -> None:
        """Keep block rows (in block order) of source ``source``."""
        self.kept.append(table)
        self.sources.add(source)
        self.trace_ids.append(sorted_unique_ids(table.column("trace_id")))

    def keep_live(self, table: pa.Table) -> None:
        """Keep an ingester's table (any order)."""
        self.live.append(table)
        self.trace_ids.append(pc.unique(table.column("trace_id")))

    def all_trace_ids(self) -> pa.Array:
        """Distinct trace IDs of every row kept."""
        if not self.trace_ids:
            return pa.array([], _IDS)
        return pc.unique(pa.concat_arrays([a.cast(_IDS) for a in self.trace_ids]))


def sorted_unique_ids(ids: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Distinct values of a trace-ID column whose equal IDs are adjacent (rows in block order):
    where the ID changes, found on the raw 16-byte values, not by hashing each row."""
    arr = ids.combine_chunks() if isinstance(ids, pa.ChunkedArray) else ids
    if len(arr) == 0:
        return arr
    raw = np.frombuffer(arr.buffers()[1], dtype=np.uint64, count=2 * len(arr), offset=16 * arr.offset)
    pairs = raw.reshape(-1, 2)
    starts = np.concatenate(([True], (pairs[1:] != pairs[:-1]).any(axis=1)))
    return arr.filter(pa.array(starts))


class AllRows:
    """Every row of a row group was kept."""


ALL: Final = AllRows()
Kept = set[bytes] | AllRows  # whose rows of a row group are kept for phase 2


def record_hits(
    scan: BlockScan,
    groups: list[int],
    columns: list[str],
    exprs: list[ast.FieldExpr],
    wanted: ListKeys,
    out: Gathered,
) -> list[bytes]:
    """Record, per leaf, the traces of ``groups`` with a matching span (leaf columns fetched).
    Returns the IDs of those traces (all leaves)."""
    return record_leaf_ids(decode(scan, groups, columns, wanted), exprs, out)


def record_leaf_ids(table: pa.Table, exprs: list[ast.FieldExpr], out: Gathered) -> list[bytes]:
    """Record, per leaf, the traces of ``table`` with a matching span; returns their IDs."""
    frame = Frame(table)
    trace_ids = frame.column("trace_id")
    hits = np.zeros(frame.n, dtype=bool)
    for i, expr in enumerate(exprs):
        mask = span_mask(expr, frame)
        if mask.any():
            hits |= mask
            out.leaf_ids[i].append(pc.unique(trace_ids.filter(pa.array(mask))))
    return pc.unique(trace_ids.filter(pa.array(hits))).to_pylist() if hits.any() else []


def combine(formula: Candidates, leaf_exprs: list[ast.FieldExpr], gathered: Gathered) -> pa.Array | None:
    """Candidate trace IDs (None: every trace that was read)."""
    if formula is None:
        return None
    sets = {expr: _union(parts) for expr, parts in zip(leaf_exprs, gathered.leaf_ids, strict=True)}

    def visit(f: Candidates) -> pa.Array:
        if isinstance(f, Leaf):
            return sets[f.expr]
        assert isinstance(f, AllOf | AnyOf)
        parts = [visit(p) for p in f.parts]
        if isinstance(f, AnyOf):
            return _union(parts)
        acc = parts[0]
        for p in parts[1:]:
            acc = acc.filter(pc.is_in(acc, value_set=p))
        return acc

    return visit(formula)


def _union(parts: list[pa.Array]) -> pa.Array:
    if not parts:
        return pa.array([], _IDS)
    return pc.unique(pa.concat_arrays([p.cast(_IDS) for p in parts]))


def only(table: pa.Table, columns: list[str], ids: pa.Array | None) -> pa.Table:
    """``columns`` of the rows of traces in ``ids`` (all rows when ids is None)."""
    table = table.select(columns)
    if ids is None or table.num_rows == 0:
        return table
    return table.filter(
        pc.is_in(table.column("trace_id"), value_set=ids.cast(table.schema.field("trace_id").type))
    )


def empty(columns: list[str]) -> pa.Table:
    """An empty span table with ``columns``."""
    return SPAN_SCHEMA.empty_table().select(columns)


def span_bytes(ranges: list[tuple[int, int]]) -> int:
    """Total bytes of byte ranges."""
    return sum(hi - lo for lo, hi in ranges)


def order(frame: Frame, spansets: Spansets, query: SearchQuery) -> list[int]:
    """Matching trace codes within the time and duration bounds, newest first (ties: trace ID)."""
    codes = np.unique(spansets.trace)
    start, end = frame.trace_start[codes], frame.trace_end[codes]
    keep = np.ones(len(codes), dtype=bool)
    if query.start_ns is not None:
        keep &= end >= query.start_ns
    if query.end_ns is not None:
        keep &= start <= query.end_ns
    duration = end - start
    if query.min_duration_ns is not None:
        keep &= duration >= query.min_duration_ns
    if query.max_duration_ns is not None:
        keep &= duration <= query.max_duration_ns
    chosen = codes[keep]
    if len(chosen) == 0:
        return []
    # newest first, ties by trace ID (as two big-endian halves, so numpy can sort them)
    raw = np.frombuffer(
        frame.trace_ids.buffers()[1],
        dtype=">u8",
        count=2 * frame.num_traces,
        offset=16 * frame.trace_ids.offset,
    ).reshape(-1, 2)
    ids = raw[chosen]
    starts = frame.trace_start[chosen].astype(np.int64)
    ranked = np.lexsort((ids[:, 1], ids[:, 0], -starts))
    return [int(c) for c in chosen[ranked]]
