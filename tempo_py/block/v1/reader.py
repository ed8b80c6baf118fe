"""vParquet-py1 block reader: find a trace with at most bloom + footer + row-group reads.

A lookup in one block: (1) the bloom shard for the ID (one small GET, cached); (2) the Parquet
footer (one range GET of ``footer_size`` bytes from meta.json, parsed once and cached);
(3) row groups whose trace-ID min/max hold the ID (one range GET spanning them). Blocks are
sorted by trace ID, so (3) is nearly always a single row group.
"""

from __future__ import annotations

import asyncio

import pyarrow as pa
import pyarrow.parquet as pq

from tempo_py import background
from tempo_py.block import paths
from tempo_py.block.bloom import IDHash
from tempo_py.block.cache import BlockCaches
from tempo_py.block.meta import BlockMeta
from tempo_py.block.rangefile import RegionFile
from tempo_py.block.v1.footer import Footer, parse_footer
from tempo_py.block.v1.scan import V1Scan
from tempo_py.model.schema import SPAN_SCHEMA
from tempo_py.model.table_ops import filter_trace
from tempo_py.storage.base import ObjectStore


def candidate_row_groups(footer: Footer, trace_id: bytes) -> list[int]:
    """Row groups whose trace-ID range holds ``trace_id``."""
    return [
        i
        for i, (lo, hi) in enumerate(zip(footer.min_ids, footer.max_ids, strict=True))
        if lo <= trace_id <= hi
    ]


def read_row_groups(
    footer: Footer,
    size: int,
    start: int,
    data: bytes,
    groups: list[int],
    columns: list[str] | None = None,
    *,
    use_threads: bool = False,
) -> pa.Table:
    """Decode ``groups`` from a fetched byte region beginning at ``start``.

    ``use_threads`` decodes columns in parallel: worth it for one latency-bound lookup, not for
    bulk reads that already run several at a time.
    """
    f = RegionFile(size, {start: data, size - len(footer.raw): footer.raw})
    pf = pq.ParquetFile(f, metadata=footer.metadata)
    table = pf.read_row_groups(groups, columns=columns, use_threads=use_threads)
    if columns is None:
        return table.cast(SPAN_SCHEMA)
    return table


class BlockReader:
    """Reads one block of the vParquet-py1 encoding (a :class:`~tempo_py.block.interface.BlockHandle`)."""

    def __init__(self, store: ObjectStore, meta: BlockMeta, caches: BlockCaches) -> None:
        self.store = store
        self.meta = meta
        self.caches = caches

    def _in_id_range(self, trace_id: bytes) -> bool:
        m = self.meta
        return not m.min_id or bytes.fromhex(m.min_id) <= trace_id <= bytes.fromhex(m.max_id)

    def cached_verdict(self, trace_id: bytes, h: IDHash) -> bool | None:
        """Bloom answer from cache alone: False = certainly absent, None = shard not cached yet."""
        if not self._in_id_range(trace_id):
            return False
        m = self.meta
        data = self.caches.blooms.get((m.block_id, h.shard(m.bloom_shards)))
        return None if data is None else h.in_shard(data)

    async def may_contain(self, trace_id: bytes, h: IDHash | None = None) -> bool:
        """Bloom check: False means the block certainly lacks the trace."""
        if not self._in_id_range(trace_id):
            return False
        h = h or IDHash.of(trace_id)
        m = self.meta
        shard = h.shard(m.bloom_shards)
        key = (m.block_id, shard)
        data = self.caches.blooms.get(key)
        if data is None:
            data = await self.store.get(paths.bloom_key(m.tenant_id, m.block_id, shard))
            self.caches.blooms.put(key, data)
        return h.in_shard(data)

    async def footer(self) -> Footer:
        """The parsed footer, from cache or one range read."""
        m = self.meta
        cached = self.caches.footers.get(m.block_id)
        if isinstance(cached, Footer):
            return cached
        raw = await self.store.get_range(
            paths.data_key(m.tenant_id, m.block_id), m.size - m.footer_size, m.footer_size
        )
        footer = await background.to_thread(parse_footer, raw, m.size)
        self.caches.footers.put(m.block_id, footer)
        return footer

    async def find_trace(self, trace_id: bytes, h: IDHash | None = None) -> pa.Table | None:
        """The trace's span rows in this block, or None."""
        if not await self.may_contain(trace_id, h):
            return None
        footer = await self.footer()
        groups = candidate_row_groups(footer, trace_id)
        if not groups:
            return None
        start = min(footer.ranges[g][0] for g in groups)
        end = max(footer.ranges[g][1] for g in groups)
        m = self.meta
        data = await self.store.get_range(paths.data_key(m.tenant_id, m.block_id), start, end - start)

        def decode() -> pa.Table:
            return filter_trace(
                read_row_groups(footer, m.size, start, data, groups, use_threads=True), trace_id
            )

        table = await asyncio.to_thread(decode)
        return table if table.num_rows else None

    async def scan(self) -> V1Scan:
        """The block opened for search (the footer, from cache or one range read)."""
        footer = await self.footer()
        return V1Scan(self.store, self.meta, footer)

    async def row_group_count(self) -> int:
        """Row groups in the block (from the footer)."""
        return int((await self.footer()).metadata.num_row_groups)

    async def read_row_group(self, group: int, columns: list[str] | None = None) -> pa.Table:
        """One whole row group (for compaction), in one range read."""
        footer = await self.footer()
        m = self.meta
        start, end = footer.ranges[group]
        data = await self.store.get_range(paths.data_key(m.tenant_id, m.block_id), start, end - start)
        return await background.to_thread(read_row_groups, footer, m.size, start, data, [group], columns)
