"""Services, operations and service dependencies of a tenant, without a scan per request.

Each block is summarised once (:mod:`.summary`: five narrow columns of every row group) and the
summary is kept, keyed by block ID, for as long as the block is in the tenant's block list; blocks
never change, so the cache is never stale, and entries of compacted or deleted blocks are dropped
when a request no longer sees them. Live data (the ingesters' tables, small and changing) is
summarised per request. Dependencies are counted per minute of the calling span's start, so a time
window is answered to the minute; an edge is found where parent and child span sit in the same
block or the same ingester (a trace is routed to one ingester and cut into one block when idle).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass

import pyarrow as pa

from tempo_py.block.encoding import open_block
from tempo_py.block.meta import BlockMeta
from tempo_py.querier.catalog.summary import BUCKET_NS, SUMMARY_COLUMNS, Summary, summarize
from tempo_py.querier.search import SearchEngine
from tempo_py.storage.base import ObjectNotFound

KIND_NAMES = {0: "", 1: "internal", 2: "server", 3: "client", 4: "producer", 5: "consumer"}


@dataclass(frozen=True)
class Dependency:
    """Calls from one service to another in a time window."""

    parent: str
    child: str
    calls: int
    errors: int


class ServiceCatalog:
    """Per-block summaries of one engine's tenants, plus the live data at request time."""

    def __init__(self, engine: SearchEngine) -> None:
        self.engine = engine
        self._blocks: dict[tuple[str, str], Summary] = {}
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}

    async def summary(self, tenant: str, start_ns: int | None = None, end_ns: int | None = None) -> Summary:
        """Everything known for ``tenant`` in blocks overlapping [start, end] and in live data."""
        metas = await self.engine.blocklist.searchable(tenant)
        self._forget(tenant, {m.block_id for m in metas})
        wanted = [m for m in metas if m.overlaps(start_ns, end_ns)]
        sem = asyncio.Semaphore(self.engine.concurrency)
        parts = await asyncio.gather(*(self._block(tenant, m, sem) for m in wanted))
        out = Summary()
        for part in parts:
            if part is not None:
                out.merge(part)
        for source in self.engine.live:
            await source.settle()
            tables = [t.select(SUMMARY_COLUMNS) for t in source.tables(tenant) if t.num_rows]
            if tables:
                # one source holds whole traces (routing by trace ID): summarise its tables together
                out.merge(await asyncio.to_thread(summarize, pa.concat_tables(tables)))
        return out

    def _forget(self, tenant: str, live_ids: set[str]) -> None:
        for key in [k for k in self._blocks if k[0] == tenant and k[1] not in live_ids]:
            del self._blocks[key]
            self._locks.pop(key, None)

    async def _block(self, tenant: str, meta: BlockMeta, sem: asyncio.Semaphore) -> Summary | None:
        key = (tenant, meta.block_id)
        cached = self._blocks.get(key)
        if cached is not None:
            return cached
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:  # concurrent requests read a new block once
            cached = self._blocks.get(key)
            if cached is not None:
                return cached
            try:
                scan = await open_block(self.engine.store, meta, self.engine.caches).scan()
                groups = list(range(scan.num_groups))
                columns = list(SUMMARY_COLUMNS)
                await scan.fetch(scan.ranges(groups, columns), sem)
                table = await asyncio.to_thread(scan.decode, groups, columns)
            except ObjectNotFound:
                return None  # compacted away between listing and reading
            summary = await asyncio.to_thread(summarize, table)
            self._blocks[key] = summary
            return summary

    async def services(self, tenant: str) -> list[str]:
        """Every service name with spans, sorted."""
        summary = await self.summary(tenant)
        return sorted({s for s, _, _ in summary.operations if s})

    async def operations(self, tenant: str, service: str, kind: str = "") -> list[tuple[str, str]]:
        """(operation, Jaeger span kind) of ``service``, sorted; ``kind`` ("server", ...) filters."""
        summary = await self.summary(tenant)
        found = {
            (name, KIND_NAMES.get(k, ""))
            for s, name, k in summary.operations
            if s == service and (not kind or KIND_NAMES.get(k, "") == kind)
        }
        return sorted(found)

    async def dependencies(self, tenant: str, start_ns: int, end_ns: int) -> list[Dependency]:
        """Calls between services whose calling span started in [start, end] (to the minute)."""
        summary = await self.summary(tenant, start_ns, end_ns)
        lo, hi = start_ns // BUCKET_NS, end_ns // BUCKET_NS
        calls: Counter[tuple[str, str]] = Counter()
        errors: Counter[tuple[str, str]] = Counter()
        for edge, n in summary.calls.items():
            if lo <= edge.bucket <= hi:
                calls[(edge.parent, edge.child)] += n
                errors[(edge.parent, edge.child)] += summary.errors.get(edge, 0)
        return [Dependency(p, c, n, errors[(p, c)]) for (p, c), n in sorted(calls.items())]
