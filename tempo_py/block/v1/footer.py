"""The footer of a vParquet-py1 data.parquet, parsed once per block and cached.

``meta.json`` carries ``footer_size``, so the footer costs one range GET; what lookups and scans
derive from it (trace-ID min/max and the byte range of each row group) is computed once here.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow.parquet as pq

from tempo_py.block.rangefile import RegionFile
from tempo_py.block.v1 import keyindex


@dataclass(frozen=True)
class Footer:
    """Parsed footer plus what lookups derive from it."""

    raw: bytes
    metadata: pq.FileMetaData
    min_ids: list[bytes]
    max_ids: list[bytes]
    ranges: list[tuple[int, int]]  # per row group: [start, end) byte range of its column chunks
    keys: list[keyindex.GroupKeys] | None  # per row group: attribute keys present (None: unknown)

    @property
    def cache_weight(self) -> int:
        """Bytes held in the footer cache: the parsed metadata is several times the raw bytes."""
        return 4 * len(self.raw)


def parse_footer(raw: bytes, size: int) -> Footer:
    """Parse the footer bytes (the last ``footer_size`` bytes of data.parquet)."""
    md = pq.read_metadata(RegionFile(size, {size - len(raw): raw}))
    mins: list[bytes] = []
    maxs: list[bytes] = []
    ranges: list[tuple[int, int]] = []
    for i in range(md.num_row_groups):
        rg = md.row_group(i)
        stats = rg.column(0).statistics  # trace_id is column 0
        if stats is None or not stats.has_min_max:
            mins.append(b"")
            maxs.append(b"\xff" * 16)
        else:
            mins.append(stats.min)
            maxs.append(stats.max)
        lo, hi = 2**63, 0
        for c in range(rg.num_columns):
            col = rg.column(c)
            start = col.data_page_offset
            if col.has_dictionary_page and col.dictionary_page_offset:
                start = min(start, col.dictionary_page_offset)
            lo = min(lo, start)
            hi = max(hi, start + col.total_compressed_size)
        ranges.append((lo, hi))
    kv = md.metadata or {}
    keys = keyindex.decode(kv.get(keyindex.METADATA_KEY), md.num_row_groups)
    return Footer(raw=raw, metadata=md, min_ids=mins, max_ids=maxs, ranges=ranges, keys=keys)
