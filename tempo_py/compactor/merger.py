"""Streaming k-way merge of blocks by trace ID: bounded memory, whole traces per batch, deduped.

Each input block is sorted by (trace ID, start time). A cursor per input holds the rows of its
current row group not yet emitted (and prefetches the next group). Each round takes the smallest
"last trace ID" among inputs that still have row groups to read -- the *bound*. Every input's
rows with a trace ID below the bound are final: no input can produce such a row later, because
each input's later rows sort at or after its current last ID, and that is at least the bound.
Those rows from all inputs form one batch: spans of a trace from several blocks meet there, so
duplicates are dropped there (same trace ID, span ID and kind; the newest block's copy wins) and
the batch is sorted into block order. Inputs whose last ID equals the bound then read their next
row group. Memory is about two decoded row groups per input, whatever the block sizes.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence

import numpy as np
import pyarrow as pa

from tempo_py import background
from tempo_py.block.interface import RowGroupSource
from tempo_py.model.table_ops import block_order


def _trace_ids(table: pa.Table) -> np.ndarray:
    """The trace-ID column as numpy ``S16`` (byte strings compare like the IDs do)."""
    parts = []
    for chunk in table.column("trace_id").chunks:
        buf = chunk.buffers()[1]
        parts.append(np.frombuffer(buf, dtype="S16", count=len(chunk), offset=16 * chunk.offset))
    return np.concatenate(parts) if parts else np.zeros(0, dtype="S16")


class _Cursor:
    """One input's unread rows, with its next row group prefetched."""

    def __init__(self, reader: RowGroupSource, groups: int) -> None:
        self.reader = reader
        self.groups = groups
        self.next_group = 0
        self.rows: pa.Table | None = None
        self.ids: np.ndarray = np.zeros(0, dtype="S16")
        self._prefetch: asyncio.Task[pa.Table] | None = None
        self.spans_read = 0

    @property
    def more(self) -> bool:
        """Whether row groups remain to be read."""
        return self.next_group < self.groups

    @property
    def last_id(self) -> bytes:
        """Trace ID of the last unread row (only meaningful while rows remain).

        numpy drops trailing zero bytes of ``S16`` items; comparisons stay those of the full IDs.
        """
        return bytes(self.ids[-1])

    def _fetch(self, group: int) -> asyncio.Task[pa.Table]:
        return asyncio.ensure_future(self.reader.read_row_group(group))

    async def load(self) -> None:
        """Append the next row group to the unread rows; repeat while they are empty."""
        while self.more:
            task = self._prefetch or self._fetch(self.next_group)
            self._prefetch = None
            table = await task
            self.next_group += 1
            if self.more:
                self._prefetch = self._fetch(self.next_group)
            self.spans_read += table.num_rows
            self.rows = (
                table
                if self.rows is None or self.rows.num_rows == 0
                else pa.concat_tables([self.rows, table])
            )
            self.ids = _trace_ids(self.rows)
            if self.rows.num_rows:
                return

    def take_below(self, bound: bytes | None) -> pa.Table | None:
        """Remove and return the unread rows with trace ID < ``bound`` (all rows when None)."""
        if self.rows is None or self.rows.num_rows == 0:
            return None
        n = self.rows.num_rows if bound is None else int(np.searchsorted(self.ids, bound, side="left"))
        if n == 0:
            return None
        out = self.rows.slice(0, n)
        self.rows = self.rows.slice(n)
        self.ids = self.ids[n:]
        return out

    def cancel(self) -> None:
        """Drop a pending prefetch (the merge was abandoned)."""
        if self._prefetch is not None:
            self._prefetch.cancel()


def _combine(parts: list[pa.Table]) -> pa.Table:
    """Concatenate, drop duplicate spans (table_ops' rule) and sort into block order."""
    table = pa.concat_tables(parts)
    return table.take(block_order(table))


class MergeStats:
    """Counts of one merge: rows read from inputs and rows emitted."""

    def __init__(self) -> None:
        self.spans_in = 0
        self.spans_out = 0


async def merge_blocks(
    readers: Sequence[RowGroupSource], stats: MergeStats | None = None
) -> AsyncIterator[pa.Table]:
    """Yield the inputs' spans merged in block order, one batch of whole traces at a time.

    ``readers`` go oldest first: a span present in several inputs keeps the copy of the last one.
    Batches are in non-decreasing trace-ID order across the whole stream, as block writers require.
    """
    stats = stats or MergeStats()
    cursors = []
    for r in readers:
        cursors.append(_Cursor(r, await r.row_group_count()))
    try:
        await asyncio.gather(*(c.load() for c in cursors))
        while True:
            live = [c for c in cursors if c.rows is not None and c.rows.num_rows]
            if not live:
                break
            pending = [c for c in live if c.more]
            bound = min(c.last_id for c in pending) if pending else None
            parts = [p for p in (c.take_below(bound) for c in cursors) if p is not None]
            if parts:
                batch = await background.to_thread(_combine, parts)
                stats.spans_out += batch.num_rows
                yield batch
            # Inputs holding only the bound's trace read on; others still hold later traces.
            await asyncio.gather(*(c.load() for c in pending if c.last_id == bound))
    finally:
        for c in cursors:
            c.cancel()
            stats.spans_in += c.spans_read
