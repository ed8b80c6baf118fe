"""TraceQL search over blocks and ingesters, judging each trace on all of its spans.

The row groups a query may need (time range, min/max statistics, the block's attribute key index)
are read newest first, in rounds that grow with what the hit rate predicts. Phase 1, per round:
from blocks only the condition columns (and trace ID), recording per span condition (leaf) the
traces with a matching span; ingesters' live tables are read whole once. Phase 2, once the
candidates (the query's formula over the leaf sets) could make `limit` matches: every span of
each candidate not kept yet is fetched by trace ID from every block (bloom filter, then row-group
ID ranges), and the full query is evaluated exactly on that one table. The search stops once
`limit` matches are complete: the first found (Tempo's answer), or the newest overall where that
costs at most as much again, or always with `with(most_recent=true)`.
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
from tempo_py.querier.query_gate import QueryGate
from tempo_py.querier.search_decode import ListKeys, decode, fetch_columns, query_list_keys
from tempo_py.querier.search_merge import (
    ALL,
    AllRows,
    Gathered,
    Kept,
    combine,
    empty,
    only,
    order,
    record_hits,
    record_leaf_ids,
    span_bytes,
)
from tempo_py.querier.search_query import SearchQuery, SearchStats
from tempo_py.querier.search_workers import cpu
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
    list_keys: ListKeys  # attribute keys the query looks up, per attribute list column
    sem: asyncio.Semaphore
    scans: list[BlockScan] = field(default_factory=list)
    selected: dict[int, list[int]] = field(default_factory=dict)  # id(scan) -> row groups after pruning
    # id(scan) -> row group -> trace IDs whose rows in it were kept (ALL: every row)
    read_groups: dict[int, dict[int, Kept]] = field(default_factory=dict)
    # id(scan) -> trace ID -> whether the block may hold it (found there in phase 1, or its bloom)
    present: dict[int, dict[bytes, bool]] = field(default_factory=dict)

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
            leaf_columns=(
                sorted({"trace_id"}.union(*(columns_for(e) for e in leaf_exprs))) if leaf_exprs else []
            ),
            gathered=Gathered([[] for _ in leaf_exprs]),
            stats=SearchStats(),
            list_keys=query_list_keys(query.root),
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
        gate: QueryGate | None = None,
    ) -> None:
        self.store = store
        self.blocklist = blocklist
        self.caches = caches
        self.live = list(live)
        self.budget = max_bytes_per_query
        self.concurrency = concurrency
        self.gate = gate

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
            gate=querier.gate,
        )

    async def search(self, tenant: str, query: SearchQuery) -> SearchOutcome:
        """Evaluate ``query`` over the tenant's blocks and live data (when the gate lets it run).

        Raises QueueFull or QueryTimeout (:mod:`tempo_py.querier.query_gate`) from the gate."""
        check_search_query(query.root)
        try:
            if self.gate is None:
                return await self._search(tenant, query)
            return await self.gate.run(tenant, lambda: self._search(tenant, query))
        finally:
            # Arrow's allocator keeps freed pages for reuse; a search's intermediate tables are
            # gone now, and giving their pages back keeps the process at its working size.
            pa.default_memory_pool().release_unused()

    async def _search(self, tenant: str, query: SearchQuery) -> SearchOutcome:
        run = _QueryRun.plan(query, self.concurrency)
        run.scans = scans = await self.plan_blocks(tenant, query, run.stats)
        run.selected = {id(s): self.prune(s, run.leaf_exprs, query) for s in scans}
        planned = sum(
            span_bytes(s.ranges(run.selected[id(s)], run.leaf_columns or run.columns)) for s in scans
        )
        if planned > self.budget:
            raise SearchBudgetExceeded(planned, self.budget)
        await self._scan_live(tenant, run)
        queue = _read_order(scans, run.selected)
        exact = _most_recent(query)
        limit = query.limit or 0
        done, step = 0, (FIRST_ROUND_GROUPS if limit else len(queue))
        spare: int | None = None  # row groups still to spend on making a full answer exact
        while True:
            batch = queue[done : done + step]
            by_scan: dict[int, tuple[BlockScan, list[int]]] = {}
            for item in batch:
                by_scan.setdefault(id(item.scan), (item.scan, []))[1].append(item.group)
            await asyncio.gather(*(self._scan_groups(run, sc, gs) for sc, gs in by_scan.values()))
            done += len(batch)
            rest = queue[done:]
            if rest and limit:
                # Judging only pays once it could end the search: fewer candidates than `limit`
                # cannot be `limit` matches, so read on without fetching and evaluating them.
                candidate_ids = _candidates(run)
                possible = len(candidate_ids) if candidate_ids is not None else _traces_kept(run)
                if possible < limit:
                    step = _next_round(step, done, possible, limit)
                    continue
            outcome = await self._judge(run)
            found = len(outcome.traces)
            if not rest:
                break
            if limit and found >= limit:
                # A trace not yet found has all its condition-matching spans in unread row groups,
                # so it starts no later than their newest end: row groups ending before the k-th
                # result starts cannot change the answer, and once none of the rest could, the
                # answer is exact. Without most_recent, the rest is read only when that at most
                # doubles the work and can make the answer exact (time-ordered blocks); otherwise
                # the answer is the first `limit` matches found, as Tempo's is (compacted blocks).
                kth_start = int(outcome.frame.trace_start[outcome.traces[limit - 1]])
                newer = bisect.bisect_left([-item.newest_end for item in rest], -kth_start + 1)
                if newer == 0:
                    break
                if not exact:
                    spare = done if spare is None else spare
                    beyond = rest[spare].newest_end if spare < len(rest) else -1
                    if spare == 0 or beyond >= int(outcome.frame.trace_start[outcome.traces[0]]):
                        break
                    newer = min(newer, spare)
                    spare -= newer
                step = newer
                continue
            step = _next_round(step, done, found, limit)
        run.stats.inspected_bytes = sum(sc.fetched_bytes for sc in scans)
        return outcome

    async def _judge(self, run: _QueryRun) -> SearchOutcome:
        """Phase 2: every span of each candidate found so far, from every source; exact evaluation."""
        gathered = run.gathered
        candidate_ids = _candidates(run)
        fetch_ids = candidate_ids
        if fetch_ids is None and (gathered.kept or gathered.live):  # every trace read is a candidate
            fetch_ids = run.gathered.all_trace_ids()
        await asyncio.gather(*(self._fetch_rest(run, sc, fetch_ids) for sc in run.scans))
        frame, spansets, traces = await cpu(_evaluate, run, candidate_ids)
        run.stats.inspected_traces = frame.num_traces
        return SearchOutcome(frame, spansets, traces, run.stats)

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

    async def _scan_groups(self, run: _QueryRun, scan: BlockScan, groups: list[int]) -> None:
        """Phase 1 on some row groups of a block: per leaf, the traces with a matching span (leaf
        columns only); when nothing narrows the query, every row with the columns it needs."""
        run.stats.inspected_spans += sum(scan.group_rows[g] for g in groups)
        if run.leaf_exprs:
            await self._fetch(run, scan, groups, run.leaf_columns)
            found = await cpu(
                record_hits, scan, groups, run.leaf_columns, run.leaf_exprs, run.list_keys, run.gathered
            )
            run.present.setdefault(id(scan), {}).update(dict.fromkeys(found, True))
            return
        await self._fetch(run, scan, groups, run.columns)
        run.gathered.keep(await cpu(decode, scan, groups, run.columns, run.list_keys), id(scan))
        found = run.gathered.trace_ids[-1].to_pylist()
        run.present.setdefault(id(scan), {}).update(dict.fromkeys(found, True))
        read = run.read_groups.setdefault(id(scan), {})
        for g in groups:
            read[g] = ALL

    async def _scan_live(self, tenant: str, run: _QueryRun) -> None:
        for source in self.live:
            await source.settle()
            for table in source.tables(tenant):
                if table.num_rows:
                    run.stats.inspected_spans += table.num_rows
                    # kept whole: a candidate found in a block may have spans here that match nothing
                    run.gathered.keep_live(table.select(run.columns))
                    if run.leaf_exprs:
                        record_leaf_ids(table, run.leaf_exprs, run.gathered)

    async def _fetch_rest(self, run: _QueryRun, scan: BlockScan, ids: pa.Array | None) -> None:
        """Keep the rows of candidate traces not kept yet: from row groups whose ID range holds one
        (after the bloom filter), skipping what earlier rounds kept."""
        if ids is None or len(ids) == 0:
            return
        read = run.read_groups.setdefault(id(scan), {})
        present = run.present.setdefault(id(scan), {})  # phase-1 hits, then bloom verdicts
        reader = open_block(self.store, scan.meta, self.caches)
        wanted: list[bytes] = []
        for tid in sorted(ids.to_pylist()):
            verdict = present.get(tid)
            if verdict is None:
                h = IDHash.of(tid)
                verdict = reader.cached_verdict(tid, h)
                if verdict is None:
                    verdict = await reader.may_contain(tid, h)
                present[tid] = verdict
            if verdict:
                wanted.append(tid)
        new: dict[int, list[bytes]] = {}
        for g in range(scan.num_groups):
            kept = read.get(g, _NOTHING)
            if isinstance(kept, AllRows):
                continue
            lo, hi = scan.id_range(g)
            inside = wanted[bisect.bisect_left(wanted, lo) : bisect.bisect_right(wanted, hi)]
            missing = [tid for tid in inside if tid not in kept]
            if missing:
                new[g] = missing
        if not new:
            return
        groups = sorted(new)
        await self._fetch(run, scan, groups, run.columns)
        table = await cpu(decode, scan, groups, run.columns, run.list_keys)
        offset = 0
        for g in groups:
            part = table.slice(offset, scan.group_rows[g])
            offset += scan.group_rows[g]
            value_set = pa.array(new[g], part.schema.field("trace_id").type)
            run.gathered.keep(part.filter(pc.is_in(part.column("trace_id"), value_set=value_set)), id(scan))
            kept = read.setdefault(g, set())
            assert not isinstance(kept, AllRows)
            kept.update(new[g])

    @staticmethod
    async def _fetch(run: _QueryRun, scan: BlockScan, groups: list[int], columns: list[str]) -> None:
        """GET what decoding ``columns`` of ``groups`` reads (attribute lists only where they matter)."""
        await scan.fetch(scan.ranges(groups, fetch_columns(scan, groups, columns, run.list_keys)), run.sem)


def _candidates(run: _QueryRun) -> pa.Array | None:
    """IDs of the traces the formula admits so far (None: every trace read is one)."""
    return combine(run.formula, run.leaf_exprs, run.gathered)


def _traces_kept(run: _QueryRun) -> int:
    return len(run.gathered.all_trace_ids())


def _evaluate(run: _QueryRun, candidate_ids: pa.Array | None) -> tuple[Frame, Spansets, list[int]]:
    """The query evaluated exactly on the kept rows of the candidates: frame, spansets, order."""
    columns, gathered = run.columns, run.gathered
    live = [only(t, columns, candidate_ids) for t in gathered.live]
    spans = [t for t in (*gathered.kept, *live) if t.num_rows]
    table = pa.concat_tables(spans) if spans else empty(columns)
    # a block holds each span once and phase 2 keeps each of its rows once: only rows from
    # several sources can repeat a span
    several = len(gathered.sources) + any(t.num_rows for t in live) > 1
    frame = Frame(dedupe_spans(table) if several else table)
    spansets = evaluate_search(run.query.root, frame)
    return frame, spansets, order(frame, spansets, run.query)


FIRST_ROUND_GROUPS = 2  # row groups read before the first look at what was found


@dataclass(frozen=True)
class _Item:
    """One row group to read: of which block, and the newest span end it may hold."""

    scan: BlockScan
    group: int
    newest_end: int


_NOTHING: set[bytes] = set()  # read-only stand-in for "no rows kept"


def _read_order(scans: list[BlockScan], selected: dict[int, list[int]]) -> list[_Item]:
    """Every selected row group, newest first by its end-time statistics (then block, then position)."""
    items = []
    for sc in scans:
        for g in selected[id(sc)]:
            end = sc.stats(g, ("end_time_unix_nano",)).get("end_time_unix_nano")
            newest = end.max if end is not None and end.max is not None else sc.meta.end_time_ns
            items.append(_Item(sc, g, int(newest)))
    items.sort(key=lambda it: (-it.newest_end, it.scan.meta.block_id, it.group))
    return items


def _next_round(step: int, done: int, found: int, limit: int) -> int:
    """Row groups to read next: what the hit rate so far says the rest of ``limit`` needs (+25%),
    at least one and at most four times the last round; double the last round while nothing is found."""
    if found == 0:
        return step * 2
    predicted = -(-(limit - found) * done * 5 // (found * 4))
    return max(1, min(predicted, step * 4))


def _most_recent(query: SearchQuery) -> bool:
    """Whether the query asks for the newest matches overall (`with(most_recent=true)`)."""
    hints = query.root.hints
    hint = hints.get("most_recent") if hints is not None else None
    return hint is not None and hint.value is True
