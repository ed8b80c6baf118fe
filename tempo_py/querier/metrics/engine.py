"""Metrics queries over a tenant's blocks and live data, through the search engine's block reading.

Blocks come from :meth:`SearchEngine.plan_blocks` (time overlap, footers) and
:meth:`SearchEngine.prune` (row-group statistics against the time range and the span
conditions); only the columns the query names are fetched and decoded, a few row groups at a time
on the search threads, each batch reduced at once to a partial aggregate
(:mod:`tempo_py.querier.metrics.observe`), so memory holds partials, not spans.

A span is counted once. The blocks ``Blocklist.searchable`` lists hold disjoint spans (a
compacted block is not listed once its replacement is). Copies arise only in live data (the same
span pushed twice) and between live data and a block just flushed from it: live tables are merged
and de-duplicated as search does (``dedupe_spans``), and a live span is dropped when a block whose
time range overlaps the live data holds a row with its (trace ID, span ID, kind).

Runs through the querier's query gate like searches, so its 429 (queue full) and 504 (timeout)
apply to metrics too.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tempo_py.block.interface import BlockScan
from tempo_py.model.table_ops import dedupe_spans
from tempo_py.querier.metrics.compare import compare_series, observe_compare
from tempo_py.querier.metrics.observe import matched, merge_partials, observe
from tempo_py.querier.metrics.plan import KEY_COLUMNS, MetricsPlan, plan_metrics
from tempo_py.querier.metrics.request import MetricsRequest
from tempo_py.querier.metrics.response import MetricsStats
from tempo_py.querier.metrics.series import SeriesResult, build_series
from tempo_py.querier.search import SearchEngine
from tempo_py.querier.search_decode import ListKeys, decode, fetch_columns, query_list_keys
from tempo_py.querier.search_query import SearchQuery, SearchStats
from tempo_py.querier.search_workers import cpu
from tempo_py.traceql.eval import Frame
from tempo_py.traceql.eval.plan import TRUE

BATCH_ROWS = 262_144  # span rows decoded and reduced per step of a block


class MetricsEngine:
    """Evaluates metrics requests over what a :class:`SearchEngine` reads."""

    def __init__(self, search: SearchEngine, max_series: int) -> None:
        self.search = search
        self.max_series = max_series

    async def query(self, tenant: str, req: MetricsRequest) -> tuple[SeriesResult, MetricsStats]:
        """The series of ``req`` (when the gate lets it run). Raises TraceQLUnsupportedError for
        what cannot be evaluated, QueueFull / QueryTimeout from the gate."""
        plan = plan_metrics(req.root)
        try:
            if self.search.gate is None:
                return await self._run(tenant, req, plan)
            return await self.search.gate.run(tenant, lambda: self._run(tenant, req, plan))
        finally:
            pa.default_memory_pool().release_unused()

    async def _run(
        self, tenant: str, req: MetricsRequest, plan: MetricsPlan
    ) -> tuple[SeriesResult, MetricsStats]:
        window = SearchQuery(plan.search_root, req.start_ns, req.end_ns)
        search_stats = SearchStats()
        scans = await self.search.plan_blocks(tenant, window, search_stats)
        stats = MetricsStats(
            total_blocks=search_stats.total_blocks, total_block_bytes=search_stats.total_block_bytes
        )
        # compare() reads every attribute: no list column may be skipped for lacking the filter's keys
        list_keys = {} if plan.compare is not None else query_list_keys(req.root)
        live = await self._live(tenant, plan)
        live_ids: pa.Array | None = None
        live_lo = live_hi = 0
        if live is not None:
            stats.inspected_spans += live.num_rows
            live_ids = pc.unique(live.column("trace_id"))
            starts = live.column("start_time_unix_nano")
            live_lo = int(pc.min(starts).as_py())
            live_hi = int(pc.max(live.column("end_time_unix_nano")).as_py())
        sem = asyncio.Semaphore(self.search.concurrency)
        partials: list[pa.Table | None] = []
        block_keys: list[pa.Table] = []

        async def read(scan: BlockScan) -> None:
            groups = SearchEngine.prune(scan, list(plan.leaf_exprs), window)
            overlaps = (
                live_ids is not None
                and scan.meta.start_time_ns <= live_hi
                and scan.meta.end_time_ns >= live_lo
            )
            columns = sorted(set(plan.columns) | (set(KEY_COLUMNS) if overlaps else set()))
            for batch in _batches(scan, groups):
                stats.inspected_spans += sum(scan.group_rows[g] for g in batch)
                await scan.fetch(scan.ranges(batch, fetch_columns(scan, batch, columns, list_keys)), sem)
                partial, keys = await cpu(
                    _block_batch, scan, batch, columns, list_keys, plan, req, live_ids if overlaps else None
                )
                partials.append(partial)
                if keys is not None and keys.num_rows:
                    block_keys.append(keys)

        await asyncio.gather(*(read(s) for s in scans))
        stats.inspected_bytes = sum(s.fetched_bytes for s in scans)
        stats.jobs = len(scans) + (live is not None)
        if live is not None:
            partials.append(await cpu(_live_partial, live, block_keys, plan, req))
        merged = await cpu(merge_partials, [p for p in partials if p is not None])
        if plan.compare is not None:
            result = await cpu(compare_series, merged, plan.compare, req, self.max_series)
        else:
            result = await cpu(build_series, merged, plan, req, self.max_series)
        return result, stats

    async def _live(self, tenant: str, plan: MetricsPlan) -> pa.Table | None:
        """Every live span of the tenant with the columns the query needs, copies merged."""
        tables: list[pa.Table] = []
        columns = sorted(set(plan.columns) | set(KEY_COLUMNS))
        for source in self.search.live:
            await source.settle()
            tables += [t.select(columns) for t in source.tables(tenant) if t.num_rows]
        if not tables:
            return None
        return await cpu(_merge_live, tables)


def _merge_live(tables: Sequence[pa.Table]) -> pa.Table:
    return dedupe_spans(pa.concat_tables(tables))


def _batches(scan: BlockScan, groups: list[int]) -> list[list[int]]:
    out: list[list[int]] = []
    rows = 0
    for g in groups:
        if not out or rows >= BATCH_ROWS:
            out.append([])
            rows = 0
        out[-1].append(g)
        rows += scan.group_rows[g]
    return out


def _block_batch(
    scan: BlockScan,
    groups: list[int],
    columns: list[str],
    list_keys: ListKeys,
    plan: MetricsPlan,
    req: MetricsRequest,
    live_ids: pa.Array | None,
) -> tuple[pa.Table | None, pa.Table | None]:
    """One batch of a block: its partial, and the span keys of traces also found in live data."""
    table = decode(scan, groups, columns, list_keys)
    keys = None
    if live_ids is not None:
        shared = pc.is_in(table.column("trace_id"), value_set=live_ids)
        keys = table.select(["trace_id", "span_id", "kind"]).filter(shared)
    return _observe(table, plan, req), keys


def _live_partial(
    live: pa.Table, block_keys: list[pa.Table], plan: MetricsPlan, req: MetricsRequest
) -> pa.Table | None:
    """The live data's partial, without spans a block read by this query already counted."""
    if block_keys:
        keys = pa.concat_tables(block_keys)
        mine = pa.table(
            {
                "t": pc.cast(live.column("trace_id"), pa.binary()),
                "s": pc.cast(live.column("span_id"), pa.binary()),
                "k": live.column("kind"),
                "row": pa.array(np.arange(live.num_rows, dtype=np.int64)),
            }
        )
        theirs = pa.table(
            {
                "t": pc.cast(keys.column("trace_id"), pa.binary()),
                "s": pc.cast(keys.column("span_id"), pa.binary()),
                "k": keys.column("kind"),
            }
        )
        kept = mine.join(theirs, keys=["t", "s", "k"], join_type="left anti", use_threads=False)
        live = live.take(kept.column("row"))
    return _observe(live, plan, req)


def _observe(table: pa.Table, plan: MetricsPlan, req: MetricsRequest) -> pa.Table | None:
    if plan.compare is not None:
        if plan.simple_filter != TRUE:
            table = table.filter(pa.array(matched(plan, Frame(table))))
        return observe_compare(table, plan.compare, req)
    return observe(table, plan, req)
