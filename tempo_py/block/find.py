"""Find one trace by ID across many blocks, concurrently, merged and de-duplicated."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

import pyarrow as pa

from tempo_py.block.encoding import open_block
from tempo_py.block.meta import BlockMeta
from tempo_py.block.v1.reader import BlockCaches
from tempo_py.model.table_ops import concat, dedupe_spans, sort_spans
from tempo_py.storage.base import ObjectNotFound, ObjectStore


def candidate_blocks(
    metas: Iterable[BlockMeta], trace_id: bytes, start_ns: int | None = None, end_ns: int | None = None
) -> list[BlockMeta]:
    """Blocks whose time range meets [start, end] and whose ID range holds the trace."""
    hexid = trace_id.hex()
    return [
        m for m in metas if m.overlaps(start_ns, end_ns) and (not m.min_id or m.min_id <= hexid <= m.max_id)
    ]


async def find_in_blocks(
    store: ObjectStore,
    metas: Iterable[BlockMeta],
    trace_id: bytes,
    caches: BlockCaches,
    *,
    start_ns: int | None = None,
    end_ns: int | None = None,
    concurrency: int = 32,
) -> pa.Table:
    """Span rows of ``trace_id`` from every candidate block (sorted, de-duplicated)."""
    sem = asyncio.Semaphore(concurrency)

    async def one(meta: BlockMeta) -> pa.Table | None:
        async with sem:
            try:
                return await open_block(store, meta, caches).find_trace(trace_id)
            except ObjectNotFound:
                return None  # deleted by retention/compaction between listing and reading

    found = await asyncio.gather(*(one(m) for m in candidate_blocks(metas, trace_id, start_ns, end_ns)))
    return sort_spans(dedupe_spans(concat(t for t in found if t is not None)))
