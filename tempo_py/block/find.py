"""Find one trace by ID across many blocks, concurrently, merged and de-duplicated."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

import pyarrow as pa

from tempo_py.block.bloom import IDHash
from tempo_py.block.cache import BlockCaches
from tempo_py.block.encoding import open_block
from tempo_py.block.interface import BlockHandle
from tempo_py.block.meta import BlockMeta
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
    concurrency: int,
) -> pa.Table:
    """Span rows of ``trace_id`` from every candidate block (sorted, de-duplicated)."""
    sem = asyncio.Semaphore(concurrency)
    h = IDHash.of(trace_id)
    # Cached bloom shards answer most blocks synchronously; only the rest cost a task and I/O.
    readers = [open_block(store, m, caches) for m in candidate_blocks(metas, trace_id, start_ns, end_ns)]
    todo = [r for r in readers if r.cached_verdict(trace_id, h) is not False]

    async def one(reader: BlockHandle) -> pa.Table | None:
        async with sem:
            try:
                return await reader.find_trace(trace_id, h)
            except ObjectNotFound:
                return None  # deleted by retention/compaction between listing and reading

    found = await asyncio.gather(*(one(r) for r in todo))
    return sort_spans(dedupe_spans(concat(t for t in found if t is not None)))
