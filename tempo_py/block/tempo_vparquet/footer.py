"""A Tempo block's Parquet footer, read once and cached, with what lookups and scans derive from it."""

from __future__ import annotations

import struct
from dataclasses import dataclass

import pyarrow.parquet as pq

from tempo_py import background
from tempo_py.block import paths
from tempo_py.block.meta import BlockMeta
from tempo_py.block.rangefile import RegionFile
from tempo_py.storage.base import ObjectStore

_SPAN_ID_PATH = ("rs", "ss", "Spans", "SpanID")
_NO_ID = (b"", b"\xff" * 16)


def _logical(path: str) -> tuple[str, ...]:
    """A leaf path without Parquet's list levels (``rs.list.element.ss`` -> ``rs.ss``)."""
    out: list[str] = []
    for part in path.split("."):
        if part in ("list", "element", "key_value") or (out and part == out[-1]):
            continue
        out.append(part)
    return tuple(out)


@dataclass(frozen=True)
class TempoFooter:
    """The parsed footer: Parquet metadata, each row group's byte range, spans and trace-ID range."""

    raw: bytes
    metadata: pq.FileMetaData
    ranges: tuple[tuple[int, int], ...]
    span_rows: tuple[int, ...]
    id_ranges: tuple[tuple[bytes, bytes], ...]
    trace_column: int
    start_column: int
    end_column: int
    leaf_paths: tuple[str, ...]  # Parquet paths of the leaf columns, as pyarrow selects them
    leaf_logical: tuple[tuple[str, ...], ...]  # the same without list levels

    def leaves(self, prefixes: set[tuple[str, ...]]) -> list[int]:
        """Leaf columns under any of the logical path ``prefixes``."""
        return [i for i, path in enumerate(self.leaf_logical) if any(path[: len(p)] == p for p in prefixes)]

    @property
    def cache_weight(self) -> int:
        """Bytes against the footer cache (the raw footer dominates)."""
        return 2 * len(self.raw) + 256 * len(self.ranges)


def chunk_range(rg: pq.RowGroupMetaData, column: int) -> tuple[int, int]:
    """Byte range of one column chunk (dictionary page included)."""
    col = rg.column(column)
    start = col.data_page_offset
    if col.has_dictionary_page and col.dictionary_page_offset:
        start = min(start, col.dictionary_page_offset)
    return start, start + col.total_compressed_size


def parse_footer(raw: bytes, size: int) -> TempoFooter:
    """Parse the last bytes of data.parquet (at least the whole footer)."""
    md = pq.ParquetFile(RegionFile(size, {size - len(raw): raw})).metadata
    schema = md.schema
    logical = [_logical(schema.column(i).path) for i in range(len(schema))]
    span_leaf = logical.index(_SPAN_ID_PATH)
    trace_leaf = logical.index(("TraceID",))
    ranges, rows, ids = [], [], []
    for g in range(md.num_row_groups):
        rg = md.row_group(g)
        chunks = [chunk_range(rg, c) for c in range(rg.num_columns)]
        ranges.append((min(lo for lo, _ in chunks), max(hi for _, hi in chunks)))
        chunk = rg.column(span_leaf)
        st = chunk.statistics
        nulls = st.null_count if st is not None and st.has_null_count else 0
        rows.append(chunk.num_values - nulls)
        tst = rg.column(trace_leaf).statistics
        ids.append((tst.min, tst.max) if tst is not None and tst.has_min_max else _NO_ID)
    return TempoFooter(
        raw=raw,
        metadata=md,
        ranges=tuple(ranges),
        span_rows=tuple(rows),
        id_ranges=tuple(ids),
        trace_column=trace_leaf,
        start_column=logical.index(("StartTimeUnixNano",)),
        end_column=logical.index(("EndTimeUnixNano",)),
        leaf_paths=tuple(schema.column(i).path for i in range(len(schema))),
        leaf_logical=tuple(logical),
    )


async def read_footer(store: ObjectStore, meta: BlockMeta) -> TempoFooter:
    """Read the footer: meta.json's footerSize bytes, or what the file's tail says it needs."""
    key = paths.data_key(meta.tenant_id, meta.block_id)
    want = meta.footer_size + 8 if meta.footer_size else 64 * 1024
    want = min(want, meta.size)
    raw = await store.get_range(key, meta.size - want, want)
    (length,) = struct.unpack("<I", raw[-8:-4])
    if raw[-4:] != b"PAR1":
        raise ValueError(f"block {meta.block_id}: data.parquet does not end in a Parquet footer")
    if length + 8 > len(raw):
        raw = await store.get_range(key, meta.size - length - 8, length + 8)
    return await background.to_thread(parse_footer, raw, meta.size)
