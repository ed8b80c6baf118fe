"""Search scans of a Tempo block: the Tempo leaf columns our asked-for columns come from.

Each span column of ours maps from a few of Tempo's nested fields (``mapping.SOURCES``: e.g.
``name`` from ``rs.ss.Spans.Name``, ``resource_attrs`` from the resource's attribute list,
dedicated and well-known columns); ``ranges`` covers only their column chunks (plus the span IDs,
which carry the nesting) and ``decode`` reads just those and maps them. Pruning has what the
footer gives: trace-ID and time ranges per row group (a trace's start/end bound its spans').
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

import pyarrow as pa

from tempo_py.block import paths
from tempo_py.block.meta import BlockMeta
from tempo_py.block.rangefile import FetchedRegions
from tempo_py.block.ranges import MERGE_GAP, merge_ranges
from tempo_py.block.tempo_vparquet.footer import TempoFooter, chunk_range
from tempo_py.block.tempo_vparquet.mapping import sources, to_span_table
from tempo_py.block.tempo_vparquet.meta import DedicatedColumn
from tempo_py.model.stats import ColumnStats, Stats
from tempo_py.storage.base import ObjectStore

# our columns whose values are exactly one Tempo leaf's (chunk min/max bound them)
_STAT_LEAVES = {
    "name": ("rs", "ss", "Spans", "Name"),
    "kind": ("rs", "ss", "Spans", "Kind"),
    "status_code": ("rs", "ss", "Spans", "StatusCode"),
    "service_name": ("rs", "Resource", "ServiceName"),
}


class TempoScan:
    """One Tempo block being searched (a :class:`~tempo_py.block.interface.BlockScan`)."""

    def __init__(
        self, store: ObjectStore, meta: BlockMeta, footer: TempoFooter, dedicated: list[DedicatedColumn]
    ) -> None:
        self.store = store
        self.meta = meta
        self.footer = footer
        self.dedicated = dedicated
        self.fetched = FetchedRegions(store, paths.data_key(meta.tenant_id, meta.block_id), meta.size)
        self.group_rows = list(footer.span_rows)
        self._stat_leaf = {
            name: footer.leaf_logical.index(path)
            for name, path in _STAT_LEAVES.items()
            if path in footer.leaf_logical
        }

    @property
    def num_groups(self) -> int:
        """Row groups in the block."""
        return len(self.footer.ranges)

    def id_range(self, group: int) -> tuple[bytes, bytes]:
        """Smallest and largest trace ID of one row group (footer statistics)."""
        return self.footer.id_ranges[group]

    def stats(self, group: int, columns: Iterable[str]) -> Stats:
        """Bounds of trace ID, span times, names, kinds, status codes and service names in one
        row group; nothing for other columns (attribute keys are not known)."""
        rg = self.footer.metadata.row_group(group)
        out: Stats = {}
        wanted = set(columns)
        if "trace_id" in wanted:
            lo, hi = self.footer.id_ranges[group]
            if lo:
                out["trace_id"] = ColumnStats(lo, hi)
        if wanted & {"start_time_unix_nano", "end_time_unix_nano"}:
            start = rg.column(self.footer.start_column).statistics
            end = rg.column(self.footer.end_column).statistics
            if start is not None and end is not None and start.has_min_max and end.has_min_max:
                bound = ColumnStats(start.min, end.max)  # every span starts and ends in the trace's range
                for name in ("start_time_unix_nano", "end_time_unix_nano"):
                    if name in wanted:
                        out[name] = bound
        for name in wanted & self._stat_leaf.keys():
            st = rg.column(self._stat_leaf[name]).statistics
            if st is not None and st.has_min_max:
                out[name] = ColumnStats(st.min, st.max)
        return out

    def ranges(self, groups: Iterable[int], columns: Iterable[str]) -> list[tuple[int, int]]:
        """Merged byte ranges of the Tempo column chunks ``columns`` map from, in ``groups``."""
        leaves = self.footer.leaves(sources(columns))
        md = self.footer.metadata
        return merge_ranges([chunk_range(md.row_group(g), c) for g in groups for c in leaves], MERGE_GAP)

    @property
    def fetched_bytes(self) -> int:
        """Bytes fetched from the store by this scan so far."""
        return self.fetched.fetched_bytes

    async def fetch(self, ranges: list[tuple[int, int]], sem: asyncio.Semaphore) -> None:
        """GET the ranges not yet fetched."""
        await self.fetched.fetch(ranges, sem)

    def decode(self, groups: list[int], columns: list[str]) -> pa.Table:
        """``columns`` (top-level, or dotted paths: their top-level column whole) of ``groups``
        (fetched with :meth:`ranges` of the same columns)."""
        pf = self.fetched.parquet(self.footer.raw, self.footer.metadata)
        leaves = [self.footer.leaf_paths[i] for i in self.footer.leaves(sources(columns))]
        traces = pf.read_row_groups(groups, columns=leaves, use_threads=False)
        return to_span_table(traces, self.meta.version, self.dedicated, columns)
