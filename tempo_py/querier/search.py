"""TraceQL search over blocks and ingesters, judging each trace on all of its spans.

Phase 1, per source: find candidate traces cheaply. Blocks: skip those outside start/end, skip row
groups whose statistics rule out every span condition (see traceql.eval.prune), read only the
condition columns, then, from row groups with a hit, the columns the whole query needs. Ingesters:
their live tables. Each source reports, per span condition (leaf), the trace IDs with a matching span.
Phase 2: the leaf sets from all sources are combined by the query's candidate formula; every span of
each candidate trace (including parts in row groups phase 1 did not read) is merged, de-duplicated,
and the full query is evaluated exactly on that one table.
"""

from __future__ import annotations

import asyncio
import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import pyarrow as pa
import pyarrow.compute as pc

from tempo_py.block.blocklist import Blocklist
from tempo_py.block.bloom import IDHash
from tempo_py.block.cache import BlockCaches
from tempo_py.block.encoding import open_block
from tempo_py.block.interface import BlockScan
from tempo_py.block.meta import BlockMeta
from tempo_py.model.table_ops import dedupe_spans
from tempo_py.querier.querier import Querier
from tempo_py.querier.search_merge import (
    Gathered,
    add_source,
    combine,
    empty,
    groups_with_hits,
    only,
    order,
    span_bytes,
)
from tempo_py.querier.search_query import SearchQuery, SearchStats
from tempo_py.storage.base import ObjectNotFound, ObjectStore
from tempo_py.traceql import ast
from tempo_py.traceql.eval import Frame, Spansets, check_search_query, evaluate_search
from tempo_py.traceql.eval.plan import (
    BASE_COLUMNS,
    Candidates,
    candidates,
    columns_for,
    leaves,
)
from tempo_py.traceql.eval.prune import may_match

__all__ = [
    "LiveSource",
    "SearchBudgetExceeded",
    "SearchEngine",
    "SearchOutcome",
    "SearchQuery",
    "SearchStats",
]


class SearchBudgetExceeded(Exception):
    """The blocks a query must read exceed ``querier.search.max_bytes_per_query``."""

    def __init__(self, planned: int, budget: int) -> None:
        super().__init__(
            f"query would scan {planned} bytes of blocks, more than the budget of {budget} bytes "
            "(querier.search.max_bytes_per_query); narrow start/end or the query"
        )
        self.planned = planned
        self.budget = budget


@runtime_checkable
class LiveSource(Protocol):
    """An ingester's view for search: its live tables per tenant."""

    async def settle(self) -> None:
        """Finish pending conversions so tables() is complete."""

    def tables(self, tenant: str) -> list[pa.Table]:
        """Every span table held for the tenant."""
        ...


@dataclass
class SearchOutcome:
    """Matching traces (codes into ``frame``), newest first, and the scan statistics."""

    frame: Frame
    spansets: Spansets
    traces: list[int]
    stats: SearchStats = field(default_factory=SearchStats)


@dataclass
class _QueryRun:
    """One search in progress: the query's plan and what has been read for it so far."""

    query: SearchQuery
    formula: Candidates
    leaf_exprs: list[ast.FieldExpr]
    columns: list[str]  # every column the evaluation needs
    leaf_columns: list[str]  # the columns of the span conditions (phase 1)
    gathered: Gathered
    stats: SearchStats
    sem: asyncio.Semaphore
    scans: list[BlockScan] = field(default_factory=list)
    selected: dict[int, list[int]] = field(default_factory=dict)  # id(scan) -> row groups after pruning
    read_groups: dict[int, set[int]] = field(default_factory=dict)  # id(scan) -> row groups read

    @staticmethod
    def plan(query: SearchQuery, concurrency: int) -> _QueryRun:
        """A run of ``query``: its candidate formula, span conditions and the columns they need."""
        formula = candidates(query.root)
        leaf_exprs = leaves(formula)
        return _QueryRun(
            query=query,
            formula=formula,
            leaf_exprs=leaf_exprs,
            columns=sorted(set(BASE_COLUMNS) | columns_for(query.root)),
            leaf_columns=sorted(set().union(*(columns_for(e) for e in leaf_exprs))) if leaf_exprs else [],
            gathered=Gathered([[] for _ in leaf_exprs]),
            stats=SearchStats(),
            sem=asyncio.Semaphore(concurrency),
        )


class SearchEngine:
    """Runs TraceQL searches over a tenant's blocks (through the block encodings) and live sources."""

    def __init__(
        self,
        store: ObjectStore,
        blocklist: Blocklist,
        caches: BlockCaches,
        live: Sequence[LiveSource],
        *,
        max_bytes_per_query: int,
        concurrency: int,
    ) -> None:
        self.store = store
        self.blocklist = blocklist
        self.caches = caches
        self.live = list(live)
        self.budget = max_bytes_per_query
        self.concurrency = concurrency

    @classmethod
    def for_querier(cls, querier: Querier, max_bytes_per_query: int) -> SearchEngine:
        """An engine over what ``querier`` reads: its store, blocks, caches and live sources."""
        return cls(
            querier.store,
            querier.blocklist,
            querier.caches,
            [s for s in querier.sources if isinstance(s, LiveSource)],
            max_bytes_per_query=max_bytes_per_query,
            concurrency=querier.concurrency,
        )

    async def search(self, tenant: str, query: SearchQuery) -> SearchOutcome:
        """Evaluate ``query`` over the tenant's blocks and live data."""
        check_search_query(query.root)
        run = _QueryRun.plan(query, self.concurrency)
        run.scans = scans = await self.plan_blocks(tenant, query, run.stats)
        run.selected = {id(s): self.prune(s, run.leaf_exprs, query) for s in scans}
        planned = sum(
            span_bytes(s.ranges(run.selected[id(s)], run.leaf_columns or run.columns)) for s in scans
        )
        if planned > self.budget:
            raise SearchBudgetExceeded(planned, self.budget)
        await self._scan_live(tenant, run)
        # Newest blocks first, in rounds of doubling size. A trace not yet discovered has all its
        # condition-matching spans in unread blocks, so it starts no later than their newest end:
        # once `limit` results start after that, no unread block can change the answer.
        scans.sort(key=lambda sc: (sc.meta.end_time_ns, sc.meta.block_id), reverse=True)
        done, step = 0, 1
        while True:
            batch = scans[done : done + step]
            found = await asyncio.gather(*(self._scan_block(run, sc) for sc in batch))
            for sc, groups in zip(batch, found, strict=True):
                run.read_groups[id(sc)] = groups
            done += len(batch)
            outcome = await self._judge(run)
            rest = scans[done:]
            if not rest:
                break
            if query.limit and len(outcome.traces) >= query.limit:
                kth_start = int(outcome.frame.trace_start[outcome.traces[query.limit - 1]])
                if kth_start > max(sc.meta.end_time_ns for sc in rest):
                    break
            step *= 2
        run.stats.inspected_bytes = sum(sc.fetched_bytes for sc in scans)
        return outcome

    async def _judge(self, run: _QueryRun) -> SearchOutcome:
        """Phase 2: every span of each candidate found so far, from every source; exact evaluation."""
        columns, gathered = run.columns, run.gathered
        candidate_ids = combine(run.formula, run.leaf_exprs, gathered)
        fetch_ids = candidate_ids
        if fetch_ids is None and gathered.kept:  # every trace read so far is a candidate
            fetch_ids = pc.unique(pa.chunked_array([t.column("trace_id") for t in gathered.kept]))
        rest = await asyncio.gather(*(self._fetch_rest(run, sc, fetch_ids) for sc in run.scans))
        spans = [
            only(t, columns, candidate_ids) for t in [*gathered.kept, *(t for t in rest if t is not None)]
        ]
        spans = [t for t in spans if t.num_rows]
        table = pa.concat_tables(spans) if spans else empty(columns)
        frame = Frame(dedupe_spans(table))
        run.stats.inspected_traces = frame.num_traces
        spansets = await asyncio.to_thread(evaluate_search, run.query.root, frame)
        return SearchOutcome(frame, spansets, order(frame, spansets, run.query), run.stats)

    async def plan_blocks(self, tenant: str, query: SearchQuery, stats: SearchStats) -> list[BlockScan]:
        """The tenant's blocks that overlap the query's time range, opened for search (footers)."""
        metas = [
            m for m in await self.blocklist.searchable(tenant) if m.overlaps(query.start_ns, query.end_ns)
        ]

        async def footer(meta: BlockMeta) -> BlockScan | None:
            try:
                return await open_block(self.store, meta, self.caches).scan()
            except ObjectNotFound:
                return None  # compacted away between listing and reading

        scans = [s for s in await asyncio.gather(*(footer(m) for m in metas)) if s is not None]
        stats.total_blocks = len(scans)
        stats.total_block_bytes = sum(s.meta.size for s in scans)
        return scans

    @staticmethod
    def prune(scan: BlockScan, leaf_exprs: list[ast.FieldExpr], query: SearchQuery) -> list[int]:
        """Row groups of ``scan`` that may hold a span in the time range matching some leaf."""
        keep = []
        stat_columns = (
            "start_time_unix_nano",
            "end_time_unix_nano",
            "name",
            "kind",
            "status_code",
            *sorted(set().union(*(columns_for(e) for e in leaf_exprs)) if leaf_exprs else set()),
        )
        for g in range(scan.num_groups):
            st = scan.stats(g, stat_columns)
            start, end = st.get("start_time_unix_nano"), st.get("end_time_unix_nano")
            if (
                query.end_ns is not None
                and start is not None
                and start.min is not None
                and start.min > query.end_ns
            ):
                continue
            if (
                query.start_ns is not None
                and end is not None
                and end.max is not None
                and end.max < query.start_ns
            ):
                continue
            if leaf_exprs and not any(may_match(e, st) for e in leaf_exprs):
                continue
            keep.append(g)
        return keep

    async def _scan_block(self, run: _QueryRun, scan: BlockScan) -> set[int]:
        groups = run.selected[id(scan)]
        if not groups:
            return set()
        hit_groups = groups
        run.stats.inspected_spans += sum(scan.group_rows[g] for g in groups)
        if run.leaf_exprs:
            await scan.fetch(scan.ranges(groups, run.leaf_columns), run.sem)
            hit_groups = await asyncio.to_thread(
                groups_with_hits, scan, groups, run.leaf_columns, run.leaf_exprs
            )
        if not hit_groups:
            return set()
        await scan.fetch(scan.ranges(hit_groups, run.columns), run.sem)
        table = await asyncio.to_thread(scan.decode, hit_groups, run.columns)
        add_source(table, run.leaf_exprs, run.gathered)
        return set(hit_groups)

    async def _scan_live(self, tenant: str, run: _QueryRun) -> None:
        for source in self.live:
            await source.settle()
            for table in source.tables(tenant):
                if table.num_rows:
                    run.stats.inspected_spans += table.num_rows
                    add_source(table.select(run.columns), run.leaf_exprs, run.gathered)

    async def _fetch_rest(self, run: _QueryRun, scan: BlockScan, ids: pa.Array | None) -> pa.Table | None:
        """Row groups not read yet that may hold spans of candidate traces (bloom, then ID range)."""
        if ids is None or len(ids) == 0:
            return None
        done = run.read_groups.get(id(scan), set())
        reader = open_block(self.store, scan.meta, self.caches)
        wanted: list[bytes] = []
        for tid in sorted(ids.to_pylist()):
            h = IDHash.of(tid)
            verdict = reader.cached_verdict(tid, h)
            if verdict is None:
                verdict = await reader.may_contain(tid, h)
            if verdict:
                wanted.append(tid)
        groups = []
        for g in range(scan.num_groups):
            if g in done:
                continue
            lo, hi = scan.id_range(g)
            i = bisect.bisect_left(wanted, lo)
            if i < len(wanted) and wanted[i] <= hi:
                groups.append(g)
        if not groups:
            return None
        await scan.fetch(scan.ranges(groups, run.columns), run.sem)
        table = await asyncio.to_thread(scan.decode, groups, run.columns)
        return only(table, run.columns, ids)
