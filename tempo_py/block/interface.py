"""The block-encoding seam: what every reader and writer of blocks uses, whatever the encoding.

meta.json names a block's encoding (``version``); :mod:`tempo_py.block.encoding` maps versions to
:class:`Encoding` objects. Through one, a block is

- opened for lookup by trace ID (:class:`BlockHandle`: bloom verdicts, ``find_trace``),
- scanned for search (:class:`BlockScan`: row-group statistics for pruning, byte ranges of column
  chunks, fetching them in few range GETs, decoding a projection of chosen row groups),
- read whole in trace order for compaction (:class:`RowGroupSource`), and
- created (:class:`BlockBuilder`: span tables in block order in, an :class:`EncodedBlock` out).

Spans cross this seam as Arrow tables with the columns of ``tempo_py.model.schema.SPAN_SCHEMA``;
an encoding converts to and from its own layout in C++ (no per-span Python work).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import pyarrow as pa

from tempo_py.block.bloom import IDHash
from tempo_py.block.cache import BlockCaches
from tempo_py.block.meta import BlockMeta
from tempo_py.block.settings import BlockConfig
from tempo_py.model.stats import Stats
from tempo_py.storage.base import ObjectStore

ByteRange = tuple[int, int]  # [start, end) in the block's data object


class UnsupportedBlockVersion(ValueError):
    """A block written in an encoding this build cannot read."""


@dataclass(frozen=True)
class EncodedBlock:
    """A block's objects, ready to upload: its meta and, by name in the block folder, the rest."""

    meta: BlockMeta
    objects: Mapping[str, bytes]


class BlockScan(Protocol):
    """One block opened for search: what pruning needs, then projected reads of chosen row groups.

    Row groups are numbered ``0..num_groups-1`` in trace-ID order. A search asks ``stats`` to
    prune, turns (groups, columns) into byte ranges with ``ranges`` (to budget and to fetch), GETs
    them with ``fetch`` and decodes from the fetched bytes with ``decode``.
    """

    @property
    def meta(self) -> BlockMeta:
        """The block's meta."""
        ...

    @property
    def num_groups(self) -> int:
        """Row groups in the block."""
        ...

    @property
    def group_rows(self) -> Sequence[int]:
        """Span rows of each row group."""
        ...

    @property
    def fetched_bytes(self) -> int:
        """Bytes fetched from the store by this scan so far."""
        ...

    def id_range(self, group: int) -> tuple[bytes, bytes]:
        """Smallest and largest trace ID of one row group (``b""``, ``b"\\xff" * 16`` if unknown)."""
        ...

    def stats(self, group: int, columns: Iterable[str]) -> Stats:
        """Min/max statistics of those top-level ``columns`` of one row group that have them; for
        attribute list columns (``attrs``, ``resource_attrs``, ``scope_attrs``), the keys present."""
        ...

    def ranges(self, groups: Iterable[int], columns: Iterable[str]) -> list[ByteRange]:
        """Merged byte ranges holding ``columns`` (top-level names or dotted leaf paths) of ``groups``."""
        ...

    async def fetch(self, ranges: list[ByteRange], sem: asyncio.Semaphore) -> None:
        """GET the ranges not fetched yet (each GET holding ``sem``)."""
        ...

    def decode(self, groups: list[int], columns: list[str]) -> pa.Table:
        """``columns`` of ``groups`` (already fetched) as one table, in group order. CPU-bound."""
        ...


class RowGroupSource(Protocol):
    """A block read whole, in trace order, one row group at a time (what compaction merges)."""

    async def row_group_count(self) -> int:
        """Row groups in the block."""
        ...

    async def read_row_group(self, group: int) -> pa.Table:
        """Every span row of one row group (SPAN_SCHEMA), in block order (trace ID, start time)."""
        ...


class BlockHandle(RowGroupSource, Protocol):
    """One block opened for reading: lookup by trace ID, search scans, iteration for compaction.

    Opening costs no I/O; each method reads what it needs (through the shared caches).
    """

    @property
    def meta(self) -> BlockMeta:
        """The block's meta."""
        ...

    def cached_verdict(self, trace_id: bytes, h: IDHash) -> bool | None:
        """Bloom answer from cache alone: False = certainly absent, None = not cached yet."""
        ...

    async def may_contain(self, trace_id: bytes, h: IDHash | None = None) -> bool:
        """Bloom check: False means the block certainly lacks the trace."""
        ...

    async def find_trace(self, trace_id: bytes, h: IDHash | None = None) -> pa.Table | None:
        """The trace's span rows in this block (SPAN_SCHEMA), or None."""
        ...

    async def scan(self) -> BlockScan:
        """The block opened for search (reads what pruning needs, e.g. the footer)."""
        ...


class BlockBuilder(Protocol):
    """Writes one new block from span tables that arrive in block order. CPU-bound: use a thread."""

    def add(self, table: pa.Table) -> None:
        """Append span rows; they must sort at or after everything added before (trace ID order)."""
        ...

    def finish(self) -> EncodedBlock:
        """Close the block: its objects and meta, ready for ``upload_block``."""
        ...


class Encoding(Protocol):
    """One block encoding: the reader and writer of blocks whose meta.json names ``version``."""

    @property
    def version(self) -> str:
        """The name meta.json carries (``version`` / ``format``)."""
        ...

    def open(self, store: ObjectStore, meta: BlockMeta, caches: BlockCaches) -> BlockHandle:
        """A handle on one block of this encoding (no I/O yet)."""
        ...

    def create(
        self, tenant: str, cfg: BlockConfig, *, block_id: str | None = None, level: int = 0
    ) -> BlockBuilder:
        """A writer of one new block (a fresh UUID unless ``block_id``; ``level`` > 0 when compacted)."""
        ...
