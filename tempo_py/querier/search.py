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
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import pyarrow as pa
import pyarrow.compute as pc

from tempo_py.block.bloom import IDHash
from tempo_py.block.encoding import open_block
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
from tempo_py.querier.search_scan import BlockScan
from tempo_py.storage.base import ObjectNotFound
from tempo_py.traceql import ast
from tempo_py.traceql.eval import Frame, Spansets, check_search_query, evaluate_search
from tempo_py.traceql.eval.plan import (
    BASE_COLUMNS,
    candidates,
    columns_for,
    leaves,
)
from tempo_py.traceql.eval.prune import may_match


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


@dataclass(frozen=True)
class SearchQuery:
    """A parsed search request (times in ns; None = open)."""

    root: ast.RootExpr
    start_ns: int | None = None
    end_ns: int | None = None
    min_duration_ns: int | None = None
    max_duration_ns: int | None = None
    limit: int | None = None  # lets the search stop early; the response is truncated to it anyway


@dataclass
class SearchStats:
    """What a search looked at (SearchMetrics in the response)."""

    inspected_traces: int = 0
    inspected_bytes: int = 0
    inspected_spans: int = 0
    total_blocks: int = 0
    total_block_bytes: int = 0


@dataclass
class SearchOutcome:
    """Matching traces (codes into ``frame``), newest first, and the scan statistics."""

    frame: Frame
    spansets: Spansets
    traces: list[int]
    stats: SearchStats = field(default_factory=SearchStats)


class SearchEngine:
    """Runs TraceQL searches for a querier."""

    def __init__(self, querier: Querier, max_bytes_per_query: int) -> None:
        self.querier = querier
        self.budget = max_bytes_per_query

    async def search(self, tenant: str, query: SearchQuery) -> SearchOutcome:
        """Evaluate ``query`` over the tenant's blocks and live data."""
        check_search_query(query.root)
        formula = candidates(query.root)
        leaf_exprs = leaves(formula)
        columns = sorted(set(BASE_COLUMNS) | columns_for(query.root))
        leaf_columns = sorted(set().union(*(columns_for(e) for e in leaf_exprs))) if leaf_exprs else []
        stats = SearchStats()
        scans = await self.plan_blocks(tenant, query, stats)
        selected = {id(s): self.prune(s, leaf_exprs, query) for s in scans}
        planned = sum(span_bytes(s.ranges(selected[id(s)], leaf_columns or columns)) for s in scans)
        if planned > self.budget:
            raise SearchBudgetExceeded(planned, self.budget)
        gathered = Gathered([[] for _ in leaf_exprs])
        sem = asyncio.Semaphore(self.querier.concurrency)
        read_groups: dict[int, set[int]] = {}
        await self._scan_live(tenant, leaf_exprs, columns, gathered, stats)
        # Newest blocks first, in rounds of doubling size. A trace not yet discovered has all its
        # condition-matching spans in unread blocks, so it starts no later than their newest end:
        # once `limit` results start after that, no unread block can change the answer.
        scans.sort(key=lambda sc: (sc.meta.end_time_ns, sc.meta.block_id), reverse=True)
        done, step = 0, 1
        while True:
            batch = scans[done : done + step]
            found = await asyncio.gather(
                *(
                    self._scan_block(
                        sc, selected[id(sc)], leaf_exprs, leaf_columns, columns, gathered, stats, sem
                    )
                    for sc in batch
                )
            )
            for sc, groups in zip(batch, found, strict=True):
                read_groups[id(sc)] = groups
            done += len(batch)
            outcome = await self._judge(
                formula, leaf_exprs, columns, gathered, scans, read_groups, query, stats, sem
            )
            rest = scans[done:]
            if not rest:
                break
            if query.limit and len(outcome.traces) >= query.limit:
                kth_start = int(outcome.frame.trace_start[outcome.traces[query.limit - 1]])
                if kth_start > max(sc.meta.end_time_ns for sc in rest):
                    break
            step *= 2
        stats.inspected_bytes = sum(sc.fetched_bytes for sc in scans)
        return outcome

    async def _judge(
        self,
        formula: object,
        leaf_exprs: list[ast.FieldExpr],
        columns: list[str],
        gathered: Gathered,
        scans: list[BlockScan],
        read_groups: dict[int, set[int]],
        query: SearchQuery,
        stats: SearchStats,
        sem: asyncio.Semaphore,
    ) -> SearchOutcome:
        """Phase 2: every span of each candidate found so far, from every source; exact evaluation."""
        candidate_ids = combine(formula, leaf_exprs, gathered)  # type: ignore[arg-type]
        fetch_ids = candidate_ids
        if fetch_ids is None and gathered.kept:  # every trace read so far is a candidate
            fetch_ids = pc.unique(pa.chunked_array([t.column("trace_id") for t in gathered.kept]))
        rest = await asyncio.gather(
            *(self._fetch_rest(sc, read_groups.get(id(sc), set()), fetch_ids, columns, sem) for sc in scans)
        )
        spans = [
            only(t, columns, candidate_ids) for t in [*gathered.kept, *(t for t in rest if t is not None)]
        ]
        spans = [t for t in spans if t.num_rows]
        table = pa.concat_tables(spans) if spans else empty(columns)
        frame = Frame(dedupe_spans(table))
        stats.inspected_traces = frame.num_traces
        spansets = await asyncio.to_thread(evaluate_search, query.root, frame)
        return SearchOutcome(frame, spansets, order(frame, spansets, query), stats)

    async def plan_blocks(self, tenant: str, query: SearchQuery, stats: SearchStats) -> list[BlockScan]:
        """Footers of the tenant's blocks that overlap the query's time range."""
        metas = [
            m
            for m in await self.querier.blocklist.searchable(tenant)
            if m.overlaps(query.start_ns, query.end_ns)
        ]

        async def footer(meta: BlockMeta) -> BlockScan | None:
            try:
                return BlockScan(
                    meta, await open_block(self.querier.store, meta, self.querier.caches).footer()
                )
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

    async def _scan_block(
        self,
        scan: BlockScan,
        groups: list[int],
        leaf_exprs: list[ast.FieldExpr],
        leaf_columns: list[str],
        columns: list[str],
        out: Gathered,
        stats: SearchStats,
        sem: asyncio.Semaphore,
    ) -> set[int]:
        if not groups:
            return set()
        hit_groups = groups
        stats.inspected_spans += sum(scan.group_rows[g] for g in groups)
        if leaf_exprs:
            await scan.fetch(self.querier.store, scan.ranges(groups, leaf_columns), sem)
            hit_groups = await asyncio.to_thread(groups_with_hits, scan, groups, leaf_columns, leaf_exprs)
        if not hit_groups:
            return set()
        await scan.fetch(self.querier.store, scan.ranges(hit_groups, columns), sem)
        table = await asyncio.to_thread(scan.decode, hit_groups, columns)
        add_source(table, leaf_exprs, out)
        return set(hit_groups)

    async def _scan_live(
        self,
        tenant: str,
        leaf_exprs: list[ast.FieldExpr],
        columns: list[str],
        out: Gathered,
        stats: SearchStats,
    ) -> None:
        for source in self.querier.sources:
            if not isinstance(source, LiveSource):
                continue
            await source.settle()
            for table in source.tables(tenant):
                if table.num_rows:
                    stats.inspected_spans += table.num_rows
                    add_source(table.select(columns), leaf_exprs, out)

    async def _fetch_rest(
        self,
        scan: BlockScan,
        done: set[int],
        ids: pa.Array | None,
        columns: list[str],
        sem: asyncio.Semaphore,
    ) -> pa.Table | None:
        """Row groups not read yet that may hold spans of candidate traces (bloom, then ID range)."""
        if ids is None or len(ids) == 0:
            return None
        reader = open_block(self.querier.store, scan.meta, self.querier.caches)
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
            lo, hi = scan.footer.min_ids[g], scan.footer.max_ids[g]
            i = bisect.bisect_left(wanted, lo)
            if i < len(wanted) and wanted[i] <= hi:
                groups.append(g)
        if not groups:
            return None
        await scan.fetch(self.querier.store, scan.ranges(groups, columns), sem)
        table = await asyncio.to_thread(scan.decode, groups, columns)
        return only(table, columns, ids)
