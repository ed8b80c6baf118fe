"""A Tempo block opened for reading: lookup by trace ID and row groups for compaction.

A lookup costs what it does in Tempo: the bloom shard for the ID (``bloom-<n>``, cached), the
``index`` object (largest trace ID per row group, cached) to pick the one row group, the footer
(cached), then one range GET of that row group. Only the trace's row is mapped to span rows.
"""

from __future__ import annotations

import asyncio

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from tempo_py import background
from tempo_py.block import paths
from tempo_py.block.bloom import IDHash
from tempo_py.block.cache import BlockCaches
from tempo_py.block.meta import BlockMeta
from tempo_py.block.rangefile import RegionFile
from tempo_py.block.tempo_vparquet.bloom import TempoBloomShard, shard_count, shard_for
from tempo_py.block.tempo_vparquet.footer import TempoFooter, read_footer
from tempo_py.block.tempo_vparquet.index import RowGroupIndex
from tempo_py.block.tempo_vparquet.mapping import COLUMNS, to_span_table
from tempo_py.block.tempo_vparquet.meta import DedicatedColumn, dedicated_columns
from tempo_py.block.tempo_vparquet.scan import TempoScan
from tempo_py.model.table_ops import block_order
from tempo_py.storage.base import ObjectNotFound, ObjectStore

INDEX = "index"


def read_traces(footer: TempoFooter, size: int, regions: dict[int, bytes], groups: list[int]) -> pa.Table:
    """Tempo's trace rows (``TraceID``, ``rs``) of ``groups`` from fetched regions."""
    regions = {**regions, size - len(footer.raw): footer.raw}
    pf = pq.ParquetFile(RegionFile(size, regions), metadata=footer.metadata, pre_buffer=False)
    return pf.read_row_groups(groups, columns=list(COLUMNS), use_threads=False)


class TempoBlockReader:
    """Reads one vParquet4/vParquet5 block (a :class:`~tempo_py.block.interface.BlockHandle`)."""

    def __init__(self, store: ObjectStore, meta: BlockMeta, caches: BlockCaches) -> None:
        self.store = store
        self.meta = meta
        self.caches = caches
        self.dedicated: list[DedicatedColumn] = dedicated_columns(meta)

    def _shard(self, trace_id: bytes) -> int:
        return shard_for(trace_id, shard_count(self.meta.bloom_shards))

    def cached_verdict(self, trace_id: bytes, h: IDHash) -> bool | None:
        """Bloom answer from cache alone (Tempo's own hashing; ``h`` is for our blocks)."""
        data = self.caches.blooms.get((self.meta.block_id, self._shard(trace_id)))
        return None if data is None else TempoBloomShard.parse(data).may_contain(trace_id)

    async def may_contain(self, trace_id: bytes, h: IDHash | None = None) -> bool:
        """Bloom check: False means the block certainly lacks the trace."""
        m = self.meta
        shard = self._shard(trace_id)
        key = (m.block_id, shard)
        data = self.caches.blooms.get(key)
        if data is None:
            data = await self.store.get(paths.bloom_key(m.tenant_id, m.block_id, shard))
            self.caches.blooms.put(key, data)
        return TempoBloomShard.parse(data).may_contain(trace_id)

    async def footer(self) -> TempoFooter:
        """The parsed footer, from cache or one (rarely two) range reads."""
        cached = self.caches.footers.get(self.meta.block_id)
        if isinstance(cached, TempoFooter):
            return cached
        footer = await read_footer(self.store, self.meta)
        self.caches.footers.put(self.meta.block_id, footer)
        return footer

    async def index(self) -> RowGroupIndex | None:
        """The row-group index, or None when the block has none (then footer statistics decide)."""
        ckey = f"{self.meta.block_id}/{INDEX}"
        cached = self.caches.footers.get(ckey)
        if isinstance(cached, RowGroupIndex):
            return cached
        m = self.meta
        try:
            data = await self.store.get(paths.object_key(m.tenant_id, m.block_id, INDEX))
        except ObjectNotFound:
            return None
        index = RowGroupIndex.parse(data)
        self.caches.footers.put(ckey, index)
        return index

    async def _groups_for(self, trace_id: bytes, footer: TempoFooter) -> list[int]:
        index = await self.index()
        if index is not None and len(index.max_ids) == len(footer.ranges):
            g = index.find(trace_id)
            return [] if g is None else [g]
        return [g for g, (lo, hi) in enumerate(footer.id_ranges) if lo <= trace_id <= hi]

    async def _fetch_groups(self, footer: TempoFooter, groups: list[int]) -> dict[int, bytes]:
        m = self.meta
        key = paths.data_key(m.tenant_id, m.block_id)
        starts = [footer.ranges[g][0] for g in groups]
        datas = await asyncio.gather(
            *(self.store.get_range(key, lo, hi - lo) for lo, hi in (footer.ranges[g] for g in groups))
        )
        return dict(zip(starts, datas, strict=True))

    async def find_trace(self, trace_id: bytes, h: IDHash | None = None) -> pa.Table | None:
        """The trace's span rows in this block (SPAN_SCHEMA), or None."""
        if not await self.may_contain(trace_id):
            return None
        footer = await self.footer()
        groups = await self._groups_for(trace_id, footer)
        if not groups:
            return None
        regions = await self._fetch_groups(footer, groups)

        def decode() -> pa.Table | None:
            traces = read_traces(footer, self.meta.size, regions, groups)
            ids = traces.column("TraceID")
            hit = traces.filter(pc.equal(ids, pa.scalar(trace_id, ids.type)))
            if hit.num_rows == 0:
                return None
            return to_span_table(hit, self.meta.version, self.dedicated)

        return await asyncio.to_thread(decode)

    async def scan(self) -> TempoScan:
        """The block opened for search (the footer, from cache or one range read)."""
        return TempoScan(self.store, self.meta, await self.footer(), self.dedicated)

    async def row_group_count(self) -> int:
        """Row groups in the block."""
        return len((await self.footer()).ranges)

    async def read_row_group(self, group: int) -> pa.Table:
        """Every span of one row group as our rows, in block order (trace ID, start time)."""
        footer = await self.footer()
        regions = await self._fetch_groups(footer, [group])

        def decode() -> pa.Table:
            table = to_span_table(
                read_traces(footer, self.meta.size, regions, [group]), self.meta.version, self.dedicated
            )
            return table.take(block_order(table))

        return await background.to_thread(decode)
