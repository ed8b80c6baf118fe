"""Search scans of a vParquet-py1 block: chosen columns of chosen row groups, in few range GETs.

A search reads a block twice at most: first only the columns its span conditions need, from the row
groups whose statistics may match; then every column the evaluation needs, from the row groups that
had a hit. Column chunks to read are turned into byte ranges, and ranges closer than ``MERGE_GAP``
bytes are merged (:func:`~tempo_py.block.ranges.merge_ranges`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

import pyarrow as pa

from tempo_py.block import paths
from tempo_py.block.meta import BlockMeta
from tempo_py.block.rangefile import FetchedRegions
from tempo_py.block.ranges import MERGE_GAP, merge_ranges
from tempo_py.block.v1.footer import Footer
from tempo_py.model.stats import ColumnStats, Stats
from tempo_py.storage.base import ObjectStore


class V1Scan:
    """One block being searched (a :class:`~tempo_py.block.interface.BlockScan`): its footer,
    column positions and the bytes fetched so far."""

    def __init__(self, store: ObjectStore, meta: BlockMeta, footer: Footer) -> None:
        self.store = store
        self.meta = meta
        self.footer = footer
        self.fetched = FetchedRegions(store, paths.data_key(meta.tenant_id, meta.block_id), meta.size)
        schema = footer.metadata.schema
        self.paths = [schema.column(i).path for i in range(len(schema))]
        self.leaf_of: dict[str, list[int]] = {}
        for i, path in enumerate(self.paths):
            self.leaf_of.setdefault(path.split(".", 1)[0], []).append(i)
        self.group_rows = [footer.metadata.row_group(g).num_rows for g in range(self.num_groups)]

    @property
    def num_groups(self) -> int:
        """Row groups in the block."""
        return int(self.footer.metadata.num_row_groups)

    def id_range(self, group: int) -> tuple[bytes, bytes]:
        """Smallest and largest trace ID of one row group."""
        return self.footer.min_ids[group], self.footer.max_ids[group]

    def stats(self, group: int, columns: Iterable[str]) -> Stats:
        """Min/max statistics of top-level ``columns`` in one row group."""
        rg = self.footer.metadata.row_group(group)
        out: Stats = {}
        keys = self.footer.keys[group] if self.footer.keys is not None else {}
        for name in columns:
            if name in keys:
                out[name] = ColumnStats(None, None, keys=keys[name])
                continue
            leaves = self.leaf_of.get(name)
            if not leaves or len(leaves) != 1:
                continue
            st = rg.column(leaves[0]).statistics
            if st is None:
                continue
            all_null = st.null_count == rg.num_rows if st.has_null_count else False
            if st.has_min_max:
                out[name] = ColumnStats(st.min, st.max, all_null)
            else:
                out[name] = ColumnStats(None, None, all_null)
        return out

    def leaves(self, column: str) -> list[int]:
        """Leaf column indexes under a top-level column or a dotted path (`attrs.list.element.key`)."""
        if "." not in column:
            return self.leaf_of.get(column, [])
        top = self.leaf_of.get(column.split(".", 1)[0], [])
        return [i for i in top if self.paths[i] == column or self.paths[i].startswith(column + ".")]

    def ranges(self, groups: Iterable[int], columns: Iterable[str]) -> list[tuple[int, int]]:
        """Merged byte ranges of the column chunks of ``columns`` in ``groups``."""
        leaves = sorted({leaf for c in columns for leaf in self.leaves(c)})
        spans: list[tuple[int, int]] = []
        for g in groups:
            rg = self.footer.metadata.row_group(g)
            for leaf in leaves:
                col = rg.column(leaf)
                start = col.data_page_offset
                if col.has_dictionary_page and col.dictionary_page_offset:
                    start = min(start, col.dictionary_page_offset)
                spans.append((start, start + col.total_compressed_size))
        return merge_ranges(spans, MERGE_GAP)

    @property
    def fetched_bytes(self) -> int:
        """Bytes fetched from the store by this scan so far."""
        return self.fetched.fetched_bytes

    async def fetch(self, ranges: list[tuple[int, int]], sem: asyncio.Semaphore) -> None:
        """GET the ranges not yet fetched."""
        await self.fetched.fetch(ranges, sem)

    def decode(self, groups: list[int], columns: list[str]) -> pa.Table:
        """Decode ``columns`` of ``groups`` (already fetched) into one table, in group order."""
        pf = self.fetched.parquet(self.footer.raw, self.footer.metadata)
        return pf.read_row_groups(groups, columns=columns, use_threads=False)
