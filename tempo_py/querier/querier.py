"""Find a trace by ID: ingesters (live + WAL + being flushed) and backend blocks, merged and de-duplicated."""

from __future__ import annotations

import asyncio
from typing import Protocol

import pyarrow as pa

from tempo_py.block.blocklist import Blocklist
from tempo_py.block.cache import BlockCaches
from tempo_py.block.find import find_in_blocks
from tempo_py.model.table_ops import concat, dedupe_spans, sort_spans
from tempo_py.querier.query_gate import QueryGate
from tempo_py.storage.base import ObjectStore


class TraceSource(Protocol):
    """Anything that holds recent spans (an ingester)."""

    async def find_trace(self, tenant: str, trace_id: bytes) -> pa.Table:
        """Span rows of the trace held here."""
        ...


class Querier:
    """Answers trace-by-ID from every place a span can be."""

    def __init__(
        self,
        store: ObjectStore,
        blocklist: Blocklist,
        sources: list[TraceSource],
        caches: BlockCaches | None = None,
        *,
        concurrency: int,  # block lookups at once: storage.trace.pool.max_workers, via app.wiring
        gate: QueryGate | None = None,  # bounds the searches over this querier (None: unbounded)
    ) -> None:
        self.store = store
        self.blocklist = blocklist
        self.sources = sources
        self.caches = caches or BlockCaches()
        self.concurrency = concurrency
        self.gate = gate

    async def find_trace(
        self, tenant: str, trace_id: bytes, start_ns: int | None = None, end_ns: int | None = None
    ) -> pa.Table:
        """All span rows of the trace (sorted, each span once)."""
        metas = await self.blocklist.searchable(tenant)
        parts = await asyncio.gather(
            find_in_blocks(
                self.store,
                metas,
                trace_id,
                self.caches,
                start_ns=start_ns,
                end_ns=end_ns,
                concurrency=self.concurrency,
            ),
            *(s.find_trace(tenant, trace_id) for s in self.sources),
        )
        return sort_spans(dedupe_spans(concat(parts)))
